//! Per-source state kept between polls (and across restarts).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::{Store, StoreError, parse_ts, ts};

/// What a successful poll learned about its source.
#[derive(Debug, Clone, Default)]
pub struct SourceUpdate {
    /// The URL that was fetched.
    pub url: String,
    pub status: Option<u16>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<String>,
    pub next_due: Option<DateTime<Utc>>,
}

/// Everything stored about one source.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SourceState {
    pub id: String,
    pub url: String,
    pub last_poll: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub failures: u32,
    pub next_due: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<String>,
    pub adopted_url: Option<String>,
}

pub(super) fn write_success(
    tx: &Transaction,
    source: &str,
    now: DateTime<Utc>,
    u: &SourceUpdate,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO sources (id, url, last_poll, last_success, last_status, last_error, failures, \
         next_due, etag, last_modified, body_hash) VALUES (?1, ?2, ?3, ?3, ?4, NULL, 0, ?5, ?6, ?7, ?8) \
         ON CONFLICT (id) DO UPDATE SET url = ?2, last_poll = ?3, last_success = ?3, last_status = ?4, \
         last_error = NULL, failures = 0, next_due = ?5, etag = ?6, last_modified = ?7, body_hash = ?8",
    )?
    .execute(params![
        source,
        u.url,
        ts(now),
        u.status,
        u.next_due.map(ts),
        u.etag,
        u.last_modified,
        u.body_hash,
    ])?;
    Ok(())
}

impl Store {
    /// Records a failed poll: the error, one more consecutive failure, when to retry.
    /// Items and HTTP validators are left as they were.
    pub fn record_failure(
        &mut self,
        source: &str,
        url: &str,
        now: DateTime<Utc>,
        status: Option<u16>,
        error: &str,
        next_due: Option<DateTime<Utc>>,
    ) -> Result<u32, StoreError> {
        let failures: u32 = self.conn.query_row(
            "INSERT INTO sources (id, url, last_poll, last_status, last_error, failures, next_due) \
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6) \
             ON CONFLICT (id) DO UPDATE SET url = ?2, last_poll = ?3, last_status = ?4, \
             last_error = ?5, failures = failures + 1, next_due = ?6 RETURNING failures",
            params![source, url, ts(now), status, error, next_due.map(ts)],
            |r| r.get(0),
        )?;
        Ok(failures)
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
}

const SELECT: &str = "SELECT id, url, last_poll, last_success, last_status, last_error, failures, \
     next_due, etag, last_modified, body_hash, adopted_url FROM sources";

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
        etag: r.get(8)?,
        last_modified: r.get(9)?,
        body_hash: r.get(10)?,
        adopted_url: r.get(11)?,
    })
}
