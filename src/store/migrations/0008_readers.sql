-- What readers and operators see (issue 14): countries, the item's own language,
-- editors' marks, since when a source fails, and when the database was created.

-- ISO 3166-1 alpha-3 codes of the countries an item is about (`["MDA"]`), a JSON array
-- (see src/text/country/), derived when the item is classified.
ALTER TABLE items ADD COLUMN countries TEXT NOT NULL DEFAULT '[]';
-- The language the item itself declares (Atom `xml:lang` on the entry), apart from the
-- document's and the source's: it wins over both (see text::language::resolve).
ALTER TABLE items ADD COLUMN declared_language TEXT;

-- Every country of every item, so a per-country document (`country/MDA/urgent.atom`)
-- reads the items of that country without scanning the others. Kept by triggers, so
-- no write of `items.countries` (a poll, a re-classification, a delete) can forget it.
CREATE TABLE item_countries (
    country  TEXT NOT NULL,
    item_uid TEXT NOT NULL,
    PRIMARY KEY (country, item_uid)
) STRICT, WITHOUT ROWID;
CREATE INDEX item_countries_by_item ON item_countries (item_uid);

CREATE TRIGGER items_countries_insert AFTER INSERT ON items
WHEN NEW.countries <> '[]'
BEGIN
    INSERT OR IGNORE INTO item_countries (country, item_uid)
    SELECT value, NEW.uid FROM json_each(NEW.countries);
END;

CREATE TRIGGER items_countries_update AFTER UPDATE OF countries ON items
WHEN NEW.countries IS NOT OLD.countries
BEGIN
    DELETE FROM item_countries WHERE item_uid = OLD.uid;
    INSERT OR IGNORE INTO item_countries (country, item_uid)
    SELECT value, NEW.uid FROM json_each(NEW.countries);
END;

CREATE TRIGGER items_countries_delete AFTER DELETE ON items
WHEN OLD.countries <> '[]'
BEGIN
    DELETE FROM item_countries WHERE item_uid = OLD.uid;
END;

-- An editor's decision on one item (`tocsin mark`): it wins over the rules at every
-- classification. Kept when the item is pruned (a mark is small, and the item may be
-- seen again under the same id).
CREATE TABLE marks (
    item_uid  TEXT PRIMARY KEY,
    urgent    INTEGER NOT NULL,
    note      TEXT,
    marked_at TEXT NOT NULL
) STRICT;

-- Since when the source has failed without a success in between (NULL while it works).
ALTER TABLE sources ADD COLUMN failing_since TEXT;

-- When this database was created (for a migrated one: when it was migrated): what an
-- empty feed shows as its `updated` time, rather than 1970.
INSERT OR IGNORE INTO classify_state (key, value)
VALUES ('created', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
