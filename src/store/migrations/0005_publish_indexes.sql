-- A publish fingerprints some thirty selections (urgent, all, per language, per source:
-- the newest N items of each) to skip the ones that did not change. With `version`
-- bumped on every visible change of an item, the fingerprint is the list of
-- (id, version) pairs, which these covering indexes answer without reading the table.
ALTER TABLE items ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
DROP INDEX items_by_time;
DROP INDEX items_urgent_by_time;
DROP INDEX items_by_source;
CREATE INDEX items_by_time ON items (sort_time DESC, id DESC, version);
CREATE INDEX items_urgent_by_time ON items (urgent, sort_time DESC, id DESC, version);
CREATE INDEX items_by_source ON items (source, sort_time DESC, id DESC, version);
CREATE INDEX items_by_language ON items (language, sort_time DESC, id DESC, version);
CREATE INDEX items_urgent_by_language ON items (urgent, language, sort_time DESC, id DESC, version);
