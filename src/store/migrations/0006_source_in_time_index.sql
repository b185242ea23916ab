-- One source's share of a document is capped (`output.max_per_source`): the newest-first
-- scan that counts items per source reads each item's source from this index too, so
-- the items a busy or flooding source has beyond its share cost an index entry each to
-- skip, not a table row.
DROP INDEX items_by_time;
CREATE INDEX items_by_time ON items (sort_time DESC, id DESC, version, urgent, language, source);
