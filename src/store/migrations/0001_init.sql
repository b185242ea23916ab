-- Sources: what we know of each configured source between polls.
CREATE TABLE sources (
    id            TEXT PRIMARY KEY,
    url           TEXT NOT NULL DEFAULT '',
    last_poll     TEXT,
    last_success  TEXT,
    last_status   INTEGER,
    last_error    TEXT,
    failures      INTEGER NOT NULL DEFAULT 0,
    next_due      TEXT,
    etag          TEXT,
    last_modified TEXT,
    body_hash     TEXT,
    adopted_url   TEXT
) STRICT;

-- Items: one row per item per source. `uid` is the public id and never changes.
CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    uid          TEXT NOT NULL UNIQUE,
    source       TEXT NOT NULL,
    guid         TEXT,
    link         TEXT,
    title        TEXT NOT NULL,
    summary      TEXT,
    content      TEXT,
    categories   TEXT NOT NULL DEFAULT '[]',
    authors      TEXT NOT NULL DEFAULT '[]',
    language     TEXT,
    published    TEXT NOT NULL,
    updated      TEXT NOT NULL,
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    -- Newest-first order: the publication time, but never later than first seen, so a
    -- future-dated item cannot pin itself to the top.
    sort_time    TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    urgent       INTEGER NOT NULL DEFAULT 0,
    score        REAL NOT NULL DEFAULT 0,
    reasons      TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX items_by_time ON items (sort_time DESC);
CREATE INDEX items_urgent_by_time ON items (urgent, sort_time DESC);
CREATE INDEX items_by_source ON items (source, sort_time DESC);

-- Every key an item was ever seen with (see src/dedup.rs). Kept when an item is pruned,
-- so a pruned item is recognised and never comes back as new.
CREATE TABLE item_keys (
    source   TEXT NOT NULL,
    key      TEXT NOT NULL,
    item_uid TEXT NOT NULL,
    PRIMARY KEY (source, key)
) STRICT, WITHOUT ROWID;
