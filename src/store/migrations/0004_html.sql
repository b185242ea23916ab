-- Item pages of HTML sources with `follow = true`: one row per item page, so a page
-- read once is never fetched again, and its extracted body is put back on the item at
-- every later poll (the listing alone does not carry it). A failed fetch is retried on
-- later polls while the item is on the listing, up to a small number of attempts.
CREATE TABLE html_follow (
    source    TEXT NOT NULL,
    -- The item's canonical link (see src/dedup.rs).
    link      TEXT NOT NULL,
    attempts  INTEGER NOT NULL DEFAULT 0,
    -- When the page was read and its content extracted; NULL while it has failed.
    fetched   TEXT,
    -- The body taken with the `content` selector (HTML as published).
    content   TEXT,
    last_error TEXT,
    PRIMARY KEY (source, link)
) STRICT, WITHOUT ROWID;
