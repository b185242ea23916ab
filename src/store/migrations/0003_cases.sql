-- Case codes and rule tags per item, the index that finds the other publishers of a
-- case, and the fingerprint of the rules the stored verdicts were made with.

-- Normalised codes (`MDA 001/0120/OBS 008`, `Case MDA 170811`), a JSON array.
ALTER TABLE items ADD COLUMN case_codes TEXT NOT NULL DEFAULT '[]';
-- Categories added by rules (`tag`), a JSON array.
ALTER TABLE items ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';

-- Every code an item carries, so the items of one case (and the original of a
-- follow-up) are found without reading every item.
CREATE TABLE item_codes (
    code     TEXT NOT NULL,
    item_uid TEXT NOT NULL,
    PRIMARY KEY (code, item_uid)
) STRICT, WITHOUT ROWID;
CREATE INDEX item_codes_by_item ON item_codes (item_uid);

-- Facts about the classification of the stored items as a whole:
-- `rules_fingerprint` = Classifier::fingerprint() of the rules that made the verdicts.
CREATE TABLE classify_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
