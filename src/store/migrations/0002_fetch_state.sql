-- Fetch state (issue 3): server hints, failures, redirects, repairs, per source.
-- Why next_due lies in the future: backoff, retry-after, gone, max-age, expires, ttl.
ALTER TABLE sources ADD COLUMN due_reason TEXT;
-- The last fetch sent without validators (one is forced at least daily).
ALTER TABLE sources ADD COLUMN last_unconditional TEXT;
-- A permanent redirect (301/308) seen on `redirect_seen` consecutive polls so far.
ALTER TABLE sources ADD COLUMN redirect_target TEXT;
ALTER TABLE sources ADD COLUMN redirect_seen INTEGER NOT NULL DEFAULT 0;
-- The configured URL that `adopted_url` replaces; a changed config URL drops the adoption.
ALTER TABLE sources ADD COLUMN adopted_from TEXT;
-- Since when the source answers 410 Gone (NULL when it does not).
ALTER TABLE sources ADD COLUMN gone_since TEXT;
-- What the repair pass changed on the last parse (NULL when the feed parsed as served).
ALTER TABLE sources ADD COLUMN repaired TEXT;
-- The encoding of the last parsed body and what decided it.
ALTER TABLE sources ADD COLUMN encoding TEXT;
