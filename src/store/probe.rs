//! The database health probe behind `/healthz`: does the database take a write now?
//!
//! Answered within a bound whatever holds the database: the probe writes on a
//! connection of its own (so it never queues behind the daemon's writer) with a short
//! busy timeout, one probe runs at a time, and callers that arrive meanwhile share its
//! answer (reused for [`REUSE`]). A caller that cannot have an answer in time is told
//! the database is busy.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Db, Store, StoreError};

/// How long the probe's write waits for a lock held by another connection.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_millis(750);
/// An answer younger than this is given again rather than probing anew.
const REUSE: Duration = Duration::from_secs(1);

/// The probe's connection and its last answer.
#[derive(Debug)]
pub(super) struct Probe {
    conn: Arc<Mutex<Store>>,
    last: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Probe {
    pub(super) fn new(conn: Arc<Mutex<Store>>) -> Probe {
        Probe {
            conn,
            last: tokio::sync::Mutex::new(None),
        }
    }
}

impl Store {
    /// A connection for the health probe: writable, with a short busy timeout.
    pub(super) fn open_probe(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = rusqlite::Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // Its one-row writes never checkpoint: the writer's side does (see `checkpoint`),
        // and a probe waits for nothing but its own write.
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(open_err)?;
        Ok(Store::on(conn, path.to_path_buf()))
    }
}

impl Db {
    /// Whether the database takes a write, answered within `within`: `Err` with the
    /// reason (the SQLite error, or that no answer came in time).
    pub async fn probe(&self, within: Duration) -> Result<(), String> {
        let probe = self.probe.clone();
        // The probe runs in a task of its own: a caller that gives up does not cancel
        // it, and the next callers wait for its answer instead of starting another.
        let task = tokio::spawn(async move {
            let mut last = probe.last.lock().await;
            if let Some((at, answer)) = &*last
                && at.elapsed() < REUSE
            {
                return answer.clone();
            }
            let conn = probe.conn.clone();
            let answer = tokio::task::spawn_blocking(move || {
                conn.lock().unwrap_or_else(|p| p.into_inner()).probe_write()
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
            *last = Some((Instant::now(), answer.clone()));
            answer
        });
        match tokio::time::timeout(within, task).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => Err(format!("the probe failed: {e}")),
            Err(_) => Err(format!(
                "no answer within {} ms: the database is locked or busy",
                within.as_millis()
            )),
        }
    }
}
