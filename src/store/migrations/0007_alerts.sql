-- Alerts (issue 12): the outbox. See src/alert/mod.rs for the design.
--
-- Urgent items stored by a poll that was not the source's first (no backfill), written
-- in the same transaction as the items themselves: nothing a crash can separate. The
-- alert stage turns them into messages per channel and deletes them, in one transaction.
CREATE TABLE alert_candidates (
    id       INTEGER PRIMARY KEY,
    item_uid TEXT NOT NULL,
    created  TEXT NOT NULL
) STRICT;

-- When tocsin first ran with each channel: nothing stored before is sent through it.
CREATE TABLE alert_channels (
    id      TEXT PRIMARY KEY,
    created TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- One row per message: due, sent, failed, or folded into a digest. `key` says what it
-- is about (`case:OBS 052.1`, `item:<uid>`, `digest:…`, `failing:<source>@<since>`) and
-- is unique per channel, so a development is never told twice; the delivery id and the
-- Message-ID derive from (channel, key): the same at every attempt and after a crash.
CREATE TABLE alert_outbox (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,
    key           TEXT NOT NULL,
    -- 'case', 'digest', 'source_failing', 'source_recovered'
    kind          TEXT NOT NULL,
    -- The message's data as JSON (rendered by the templates when sent).
    payload       TEXT NOT NULL,
    created       TEXT NOT NULL,
    -- 'pending' (to send), 'queued' (waits for the channel's digest), 'digested'
    -- (went out in the digest `digest_id`), 'sent', 'failed' (permanently refused).
    state         TEXT NOT NULL,
    digest_id     INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  TEXT NOT NULL,
    -- A sender working on it (process id) and until when (a lease, so that a crashed
    -- sender's message is taken up again).
    claimed_by    INTEGER,
    claimed_until TEXT,
    last_error    TEXT,
    sent          TEXT,
    -- What the server answered.
    response      TEXT,
    UNIQUE (channel, key)
) STRICT;
CREATE INDEX alert_outbox_due ON alert_outbox (state, next_attempt);

-- Which items each channel was told about: a later item of the same development (a
-- second publisher of the same appeal) is not told again.
CREATE TABLE alert_items (
    channel   TEXT NOT NULL,
    item_uid  TEXT NOT NULL,
    outbox_id INTEGER NOT NULL,
    PRIMARY KEY (channel, item_uid)
) STRICT, WITHOUT ROWID;

-- Sources seen failing: since when, and whether `source_failing` went out for it.
CREATE TABLE alert_sources (
    source  TEXT PRIMARY KEY,
    since   TEXT NOT NULL,
    alerted INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
