//! Per-source state kept between polls (and across restarts).
//!
//! The poll computes the whole next state (see `crate::poll::state`) and the store
//! writes it in one statement, inside the poll's transaction when items come with it.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError, parse_ts, ts};

/// Everything stored about one source.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SourceState {
    pub id: String,
    /// The URL last fetched (the configured one, or the adopted one).
    pub url: String,
    pub last_poll: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    /// Consecutive failed polls.
    pub failures: u32,
    /// Not polled before this time (backoff, Retry-After, Gone, or freshness hints).
    pub next_due: Option<DateTime<Utc>>,
    /// Why `next_due` is set: `backoff`, `retry-after`, `gone`, `max-age`, `expires`, `ttl`.
    pub due_reason: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<String>,
    pub last_unconditional: Option<DateTime<Utc>>,
    /// The URL polled instead of the configured one after a permanent redirect.
    pub adopted_url: Option<String>,
    /// The configured URL `adopted_url` replaces.
    pub adopted_from: Option<String>,
    pub redirect_target: Option<String>,
    pub redirect_seen: u32,
    pub gone_since: Option<DateTime<Utc>>,
    pub repaired: Option<String>,
    pub encoding: Option<String>,
}

impl SourceState {
    /// Whether a poll may run at `now` (not deferred by a server or by backoff).
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.next_due.is_none_or(|d| d <= now)
    }
}

/// Writes the whole state of `s` (insert or replace).
pub(super) fn write_state(conn: &Connection, s: &SourceState) -> Result<(), StoreError> {
    let t = |v: Option<DateTime<Utc>>| v.map(ts);
    conn.prepare_cached(
        "INSERT INTO sources (id, url, last_poll, last_success, last_status, last_error, failures, \
         next_due, due_reason, etag, last_modified, body_hash, last_unconditional, adopted_url, \
         adopted_from, redirect_target, redirect_seen, gone_since, repaired, encoding, failing_since) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, \
         CASE WHEN ?7 > 0 THEN ?3 END) \
         ON CONFLICT (id) DO UPDATE SET url = ?2, last_poll = ?3, last_success = ?4, \
         last_status = ?5, last_error = ?6, failures = ?7, next_due = ?8, due_reason = ?9, \
         etag = ?10, last_modified = ?11, body_hash = ?12, last_unconditional = ?13, \
         adopted_url = ?14, adopted_from = ?15, redirect_target = ?16, redirect_seen = ?17, \
         gone_since = ?18, repaired = ?19, encoding = ?20, \
         failing_since = CASE WHEN ?7 > 0 THEN COALESCE(sources.failing_since, ?3) END",
    )?
    .execute(params![
        s.id,
        s.url,
        t(s.last_poll),
        t(s.last_success),
        s.last_status,
        s.last_error,
        s.failures,
        t(s.next_due),
        s.due_reason,
        s.etag,
        s.last_modified,
        s.body_hash,
        t(s.last_unconditional),
        s.adopted_url,
        s.adopted_from,
        s.redirect_target,
        s.redirect_seen,
        t(s.gone_since),
        s.repaired,
        s.encoding,
    ])?;
    Ok(())
}

/// How the configured sources fare: what the page, systemd's STATUS and `/healthz`
/// say ("2 of 5 sources failing since …").
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct SourceHealth {
    /// Sources configured.
    pub total: usize,
    /// Of those, the ones whose last poll failed.
    pub failing: usize,
    /// Since when the longest-failing of them has failed without a success between.
    pub failing_since: Option<DateTime<Utc>>,
    /// The last poll of any of them (successful or not).
    pub checked: Option<DateTime<Utc>>,
}

impl SourceHealth {
    /// "2 of 5 sources failing since 2026-11-29 15:00 UTC", or `None` when none fails.
    pub fn failing_line(&self) -> Option<String> {
        if self.failing == 0 {
            return None;
        }
        let mut line = format!(
            "{} of {} source{} failing",
            self.failing,
            self.total,
            if self.total == 1 { "" } else { "s" }
        );
        if let Some(t) = self.failing_since {
            line.push_str(&format!(" since {}", t.format("%Y-%m-%d %H:%M UTC")));
        }
        Some(line)
    }
}

impl Store {
    /// How the sources `ids` (the configured ones) fare (see [`SourceHealth`]).
    ///
    /// Read at every publish and heartbeat: with 10,000 sources it reads the failing
    /// ones and the newest check only, each on its index (migration 0009), not every
    /// row (stored times are `ts`, fixed width, so they sort as times do).
    pub fn source_health(&self, ids: &[&str]) -> Result<SourceHealth, StoreError> {
        let total = ids.len();
        let ids: std::collections::HashSet<&str> = ids.iter().copied().collect();
        let mut health = SourceHealth {
            total,
            ..Default::default()
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, failing_since, last_poll FROM sources WHERE failures > 0",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        for row in rows {
            let (id, since, last_poll) = row?;
            if !ids.contains(id.as_str()) {
                continue;
            }
            let last_poll = last_poll.as_deref().and_then(parse_ts);
            health.failing += 1;
            let since = since.as_deref().and_then(parse_ts).or(last_poll);
            health.failing_since = match (health.failing_since, since) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        // The newest check of a configured source: newest first on the index, the
        // first row unless that source is no longer configured.
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, last_poll FROM sources WHERE last_poll IS NOT NULL \
             ORDER BY last_poll DESC",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if ids.contains(r.get_ref(0)?.as_str().unwrap_or_default()) {
                health.checked = parse_ts(r.get_ref(1)?.as_str().unwrap_or_default());
                break;
            }
        }
        Ok(health)
    }

    /// When this database was created (or migrated to keep the time): what an empty
    /// feed shows as its `updated` time.
    pub fn created(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM classify_state WHERE key = 'created'")?
            .query_row([], |r| r.get::<_, String>(0))
            .optional()?
            .as_deref()
            .and_then(parse_ts))
    }

    /// The stored state of one source, if it was ever polled.
    pub fn source_state(&self, id: &str) -> Result<Option<SourceState>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!("{SELECT} WHERE id = ?"))?
            .query_row([id], row)
            .optional()?)
    }

    /// The stored state of every source ever polled.
    pub fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!("{SELECT} ORDER BY id"))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The states of the sources that fail now or were recorded failing for alerts
    /// (`alert_sources`): the only ones an alert pass's source-health step acts on. An
    /// idle daemon with 10,000 healthy sources reads none of them at each pass.
    pub fn failing_or_noted_states(&self) -> Result<Vec<SourceState>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{SELECT} WHERE failures > 0 OR id IN (SELECT source FROM alert_sources) ORDER BY id"
        ))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

const SELECT: &str = "SELECT id, url, last_poll, last_success, last_status, last_error, failures, \
     next_due, due_reason, etag, last_modified, body_hash, last_unconditional, adopted_url, \
     adopted_from, redirect_target, redirect_seen, gone_since, repaired, encoding FROM sources";

fn row(r: &rusqlite::Row) -> rusqlite::Result<SourceState> {
    let t = |i| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(r.get::<_, Option<String>>(i)?.as_deref().and_then(parse_ts))
    };
    Ok(SourceState {
        id: r.get(0)?,
        url: r.get(1)?,
        last_poll: t(2)?,
        last_success: t(3)?,
        last_status: r.get(4)?,
        last_error: r.get(5)?,
        failures: r.get(6)?,
        next_due: t(7)?,
        due_reason: r.get(8)?,
        etag: r.get(9)?,
        last_modified: r.get(10)?,
        body_hash: r.get(11)?,
        last_unconditional: t(12)?,
        adopted_url: r.get(13)?,
        adopted_from: r.get(14)?,
        redirect_target: r.get(15)?,
        redirect_seen: r.get(16)?,
        gone_since: t(17)?,
        repaired: r.get(18)?,
        encoding: r.get(19)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn state_round_trips() {
        let s = Store::in_memory().unwrap();
        let t = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
        let st = SourceState {
            id: "a".into(),
            url: "http://x/".into(),
            last_poll: Some(t),
            failures: 2,
            next_due: Some(t),
            due_reason: Some("backoff".into()),
            etag: Some("\"e\"".into()),
            adopted_url: Some("http://y/".into()),
            adopted_from: Some("http://x/".into()),
            redirect_seen: 1,
            gone_since: Some(t),
            repaired: Some("escaped 1 bare &".into()),
            ..Default::default()
        };
        write_state(&s.conn, &st).unwrap();
        assert_eq!(s.source_state("a").unwrap(), Some(st.clone()));
        let mut st2 = st;
        st2.failures = 0;
        st2.adopted_url = None;
        write_state(&s.conn, &st2).unwrap();
        assert_eq!(s.source_states().unwrap(), vec![st2]);
    }

    #[test]
    fn health_counts_the_configured_sources_only() {
        let mut s = Store::in_memory().unwrap();
        let t = |h| Utc.with_ymd_and_hms(2026, 5, 1, h, 0, 0).unwrap();
        let put = |s: &mut Store, id: &str, polled: u32, failures: u32| {
            write_state(
                &s.conn,
                &SourceState {
                    id: id.into(),
                    url: "http://x/".into(),
                    last_poll: Some(t(polled)),
                    failures,
                    ..Default::default()
                },
            )
            .unwrap();
        };
        assert_eq!(
            s.source_health(&["a"]).unwrap(),
            SourceHealth {
                total: 1,
                ..Default::default()
            }
        );
        put(&mut s, "a", 10, 0);
        put(&mut s, "b", 9, 2);
        put(&mut s, "c", 8, 1);
        // Polled last, but no longer configured: neither counted nor the last check.
        put(&mut s, "gone", 12, 3);
        let h = s.source_health(&["a", "b", "c", "new"]).unwrap();
        assert_eq!(h.total, 4);
        assert_eq!(h.failing, 2);
        // failing_since is set by the first failed write: c's (08:00) is the oldest.
        assert_eq!(h.failing_since, Some(t(8)));
        assert_eq!(h.checked, Some(t(10)));
        let h = s.source_health(&["b", "c"]).unwrap();
        assert_eq!(h.checked, Some(t(9)));
        let h = s.source_health(&["gone"]).unwrap();
        assert_eq!((h.failing, h.checked), (1, Some(t(12))));
        // The alert pass reads the failing sources (and those noted failing) only.
        let ids: Vec<String> = s
            .failing_or_noted_states()
            .unwrap()
            .into_iter()
            .map(|st| st.id)
            .collect();
        assert_eq!(ids, ["b", "c", "gone"]);
    }
}
