-- How the sources fare (the page's header, STATUS, /healthz) is read at every publish
-- and heartbeat: the newest check, and the failing sources. With 10,000 sources each
-- was a scan of the whole table (every source's validators and errors); these answer
-- both from a few index entries. A source's state is written once per poll, so the
-- two entries cost little there.
CREATE INDEX sources_by_last_poll ON sources (last_poll);
CREATE INDEX sources_failing ON sources (id) WHERE failures > 0;
