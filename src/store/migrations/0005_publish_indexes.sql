-- A publish fingerprints its selections (urgent, all, per language, per source: the
-- newest N items of each) to skip the ones that did not change. With `version` bumped
-- on every visible change of an item, the fingerprint is the list of (id, version)
-- pairs, which these covering indexes answer without reading the table. `urgent` and
-- `language` are in the time index so the per-language selections are answered from
-- it too: a separate index per language would cost every write of an item one more
-- random index page.
ALTER TABLE items ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
DROP INDEX items_by_time;
-- The urgent selections scan the time index too (urgent is one of its columns): a
-- separate urgent index would cost every item written one more random index page.
DROP INDEX items_urgent_by_time;
DROP INDEX items_by_source;
CREATE INDEX items_by_time ON items (sort_time DESC, id DESC, version, urgent, language);
CREATE INDEX items_by_source ON items (source, sort_time DESC, id DESC, version);
