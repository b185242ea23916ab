//! Store: SQLite, embedded, one file.
//!
//! WAL mode, `synchronous = NORMAL` (a crash may lose the last commits, never corrupt),
//! schema in numbered migrations under `migrations/` applied under `PRAGMA
//! user_version`. Each poll of a source is written whole or not at all (several polls
//! may share one transaction: see [`Db::apply_poll`]), so a crash or a full disk leaves
//! either the whole poll or none of it.
//!
//! [`Store`] is synchronous and owns the one connection; async code reaches it through
//! [`Db`], which runs each call on the blocking pool.

mod alerts;
mod cases;
mod checkpoint;
mod follow;
mod items;
mod marks;
mod probe;
mod retention;
mod sources;
mod verdicts;
mod write;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

pub use alerts::{
    AlertCandidate, ChannelStats, ChannelSync, Disposition, FailingSource, NewAlert, OutboxRow,
    Planned,
};
pub use cases::Trust;
pub use follow::{FollowOutcome, FollowState};
pub use items::ItemFilter;
pub use sources::{SourceHealth, SourceState};
pub use verdicts::{StoredSubject, Verdict};
pub use write::{Batch, PollCounts, PollWrite, StoredPoll};
pub use writer::WriteExpected;
use writer::{QueuedPoll, group_writer};

/// Numbered migrations: (`user_version` after applying it, SQL), in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_fetch_state.sql")),
    (3, include_str!("migrations/0003_cases.sql")),
    (4, include_str!("migrations/0004_html.sql")),
    (5, include_str!("migrations/0005_publish_indexes.sql")),
    (6, include_str!("migrations/0006_source_in_time_index.sql")),
    (7, include_str!("migrations/0007_alerts.sql")),
    // 7 is another branch's (issue 12): numbers need not be contiguous here, only
    // increasing, each with its file (see `migration_tests`).
    (8, include_str!("migrations/0008_readers.sql")),
    (9, include_str!("migrations/0009_source_health_indexes.sql")),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the database directory {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {} has schema version {found}, newer than this tocsin knows ({known}); upgrade tocsin", path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("migration {version} failed on {}: {source}", path.display())]
    Migrate {
        path: PathBuf,
        version: i64,
        source: rusqlite::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A commit shared by several polls failed (each of them gets this).
    #[error("database commit failed: {0}")]
    Commit(String),
    #[error("database task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// The same failure for each of several polls that shared a commit.
    pub fn shared(&self) -> StoreError {
        StoreError::Commit(self.to_string())
    }
}

/// The database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The page cache size set by [`Store::fit_cache`] (KiB); SQLite's default until then.
    cache_kib: std::cell::Cell<i64>,
    /// The checkpointer this connection's commits wake (see `checkpoint`), told the
    /// database's size by [`Store::fit_cache`].
    rounds: Option<Arc<checkpoint::Rounds>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The page size of a new database (bytes; SQLite's default is 4096). An item's row
/// takes 1.5-2 KB, so a 4 KiB page holds two and the table splits a page every other
/// insert; larger pages hold more index keys, so a commit rewrites fewer pages. But
/// each page a commit touches is written to the log whole, and inserts into the uid
/// and time indexes land at random places: past some size, larger pages write more.
/// Package builds, the same binary, databases made with each size first, alternated:
/// - 10,000 feeds (a 0.9-1 GB file): 8 KiB 19.5-20.4 s (4 runs), 16 KiB 20.5-22.6 s
///   (4), 4 KiB 22.7-22.9 s (2);
/// - 1,000 feeds (4 runs each): 8 KiB 1.95-2.07 s, 16 KiB 1.97-2.18 s, 4 KiB 2.04-2.24
///   s; 98 MB, 92 MB and 110 MB of file; the same peak memory (the page cache is
///   sized in KiB). 64 KiB pages lost at 1,000 feeds (release builds: 2.07-2.20 s
///   against 2.05-2.10 s with 4 KiB).
const PAGE_SIZE: i64 = 8192;

/// The page size of the database `conn` is open on.
fn page_size(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "page_size", |r| r.get(0))
}

/// A connection to the database file at `path` that waits up to 10 s for a lock
/// another connection holds.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let open_err = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open(path).map_err(open_err)?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(open_err)?;
    Ok(conn)
}

/// Timestamps are stored as RFC 3339 UTC with seconds, so text order is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = connect(path)?;
        // Before anything is written: a new database takes it, one that exists keeps
        // its own (SQLite changes it only by `VACUUM`, outside WAL mode).
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        // Checkpoint every 32 MiB of log rather than every 1000 pages: a poll pass
        // rewrites the same index pages many times, and a checkpoint copies each page
        // once. The daemon's writer hands its checkpoints to a thread of their own (see
        // `checkpoint`); this is for the other connections (a command beside it).
        let page_size = page_size(&conn).map_err(open_err)?;
        conn.pragma_update(
            None,
            "wal_autocheckpoint",
            checkpoint::Lengths::for_pages_of(page_size).every,
        )
        .map_err(open_err)?;
        let mut store = Store::on(conn, path.to_path_buf());
        store.migrate()?;
        Ok(store)
    }

    /// The store on an open connection.
    fn on(conn: Connection, path: PathBuf) -> Store {
        Store {
            conn,
            path,
            cache_kib: std::cell::Cell::new(MIN_CACHE_KIB),
            rounds: None,
        }
    }

    /// A second connection to the database at `path` (already migrated), for reads.
    pub fn open_reader(path: &Path) -> Result<Store, StoreError> {
        let conn = connect(path)?;
        conn.pragma_update(None, "query_only", true)
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Store::on(conn, path.to_path_buf()))
    }

    /// An in-memory database, for tests and `inspect`.
    pub fn in_memory() -> Result<Store, StoreError> {
        let mut store = Store::on(Connection::open_in_memory()?, PathBuf::from(":memory:"));
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let current: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.last().map(|(v, _)| *v).unwrap_or(0);
        if current > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: current,
                known,
            });
        }
        for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            let err = |source| StoreError::Migrate {
                path: self.path.clone(),
                version,
                source,
            };
            let tx = self.conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", version)
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    }

    /// Proves the database takes writes (a row rewritten in its own transaction): a
    /// full disk or a read-only file fails here.
    pub fn probe_write(&mut self) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO classify_state (key, value) VALUES ('health_probe', ?1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [ts(Utc::now())],
        )?;
        Ok(())
    }

    /// Copies the write-ahead log into the database file and empties it
    /// (`PRAGMA wal_checkpoint(TRUNCATE)`), on the way out (the busy timeout drops to
    /// a second), so that the file alone holds the whole
    /// database (a copy of it is whole). False when another connection (a running
    /// daemon) still needed part of the log, which then stays.
    pub fn checkpoint(&self) -> Result<bool, StoreError> {
        // The connection is about to close: a daemon's write under way is not waited
        // for long.
        self.conn.busy_timeout(Duration::from_secs(1))?;
        let truncate = || {
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    r.get::<_, i64>(0)
                })
        };
        // Not while the checkpointer runs a round (see `checkpoint`).
        let busy = match &self.rounds {
            Some(rounds) => rounds.exclusive(truncate)?,
            None => truncate()?,
        };
        Ok(busy == 0)
    }

    /// Frees the pages this connection caches (`PRAGMA shrink_memory`); the next
    /// query reads what it needs again, from the operating system's cache.
    pub fn release_memory(&self) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch("PRAGMA shrink_memory")?)
    }

    /// Sizes this connection's page cache to the database: a 64th of the file, at
    /// least SQLite's default 2,000 KiB and at most [`MAX_CACHE_KIB`]. The writer's
    /// inserts land at random places in the uid and time indexes, whose pages outgrow
    /// the default cache as the table grows: at 500,000 items a 10,000-feed first pass
    /// took 34.7 s with 2,000 KiB and 30.5 s with 8 MiB; 16 MiB, which the file reaches
    /// at 1 GB (the end of that pass), took 1-2 s less again, for 2-5 MiB more at the
    /// peak. A 1,000-feed database (some 110 MB) keeps the default, and so its peak
    /// memory. The daemon empties the cache after each publish
    /// ([`Db::release_memory`]). Returns the size set, in KiB.
    fn fit_cache(&self) -> Result<i64, StoreError> {
        let bytes: i64 = self
            .conn
            .prepare_cached(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            )?
            .query_row([], |r| r.get(0))?;
        if let Some(rounds) = &self.rounds {
            rounds.set_db_bytes(bytes);
        }
        let kib = cache_kib_for(bytes);
        if kib != self.cache_kib.get() {
            self.conn.pragma_update(None, "cache_size", -kib)?;
            self.cache_kib.set(kib);
        }
        Ok(kib)
    }

    /// `PRAGMA integrity_check`: `ok` or the problems SQLite found.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// A shared handle for async code: one connection, calls run on the blocking pool.
#[derive(Clone, Debug)]
pub struct Db {
    /// The connection that writes (and serves general calls).
    inner: Arc<Mutex<Store>>,
    /// A second connection for reads, so that reads never wait for the writer (WAL
    /// lets readers and one writer work at once). `None` for in-memory databases.
    reader: Option<Arc<Mutex<Store>>>,
    /// The group-commit writer thread's queue (see [`Db::apply_poll`]).
    writes: std::sync::mpsc::Sender<QueuedPoll>,
    /// Polls under way (see [`Db::expect_write`]).
    expected: Arc<AtomicUsize>,
    /// The health probe (see [`Db::probe`]).
    probe: Arc<probe::Probe>,
}

/// SQLite's default page cache (`cache_size = -2000`), and the most [`Store::fit_cache`]
/// gives the writer, in KiB.
const MIN_CACHE_KIB: i64 = 2000;
const MAX_CACHE_KIB: i64 = 16384;

/// The writer's page cache for a database of `bytes` (see [`Store::fit_cache`]), in KiB.
fn cache_kib_for(bytes: i64) -> i64 {
    (bytes / 1024 / 64).clamp(MIN_CACHE_KIB, MAX_CACHE_KIB)
}

impl Db {
    pub fn new(mut store: Store) -> Db {
        if store.path != Path::new(":memory:")
            && let Err(e) = page_size(&store.conn)
                .map_err(StoreError::from)
                .and_then(|size| {
                    checkpoint::start(&mut store, checkpoint::Lengths::for_pages_of(size))
                })
        {
            tracing::warn!(error = %e, "checkpoints stay on the writer");
        }
        let reader = (store.path != Path::new(":memory:"))
            .then(|| Store::open_reader(&store.path).ok())
            .flatten()
            .map(|r| Arc::new(Mutex::new(r)));
        let probe = (store.path != Path::new(":memory:"))
            .then(|| Store::open_probe(&store.path).ok())
            .flatten()
            .map(|p| Arc::new(Mutex::new(p)));
        let inner = Arc::new(Mutex::new(store));
        let probe = Arc::new(probe::Probe::new(probe.unwrap_or_else(|| inner.clone())));
        let expected: Arc<AtomicUsize> = Arc::default();
        let (writes, queue) = std::sync::mpsc::channel::<QueuedPoll>();
        let (store, count) = (inner.clone(), expected.clone());
        std::thread::Builder::new()
            .name("tocsin-writer".into())
            .spawn(move || group_writer(&store, &queue, &count))
            .expect("spawn the database writer thread");
        Db {
            inner,
            reader,
            writes,
            expected,
            probe,
        }
    }

    /// Counts a poll as under way for as long as the guard lives: the writer keeps a
    /// group open a little ([`LINGER`](writer::LINGER)) while such polls may still join
    /// it.
    pub fn expect_write(&self) -> WriteExpected {
        self.expected.fetch_add(1, Ordering::SeqCst);
        WriteExpected(self.expected.clone())
    }

    /// Writes one poll (its items and the source's new state) and returns its counts.
    ///
    /// Group commit, on one writer thread: the first poll to arrive opens a transaction
    /// (a [`Batch`]); polls that arrive while it is open (for at most
    /// [`LINGER`](writer::LINGER), and only while other polls are under way) are written
    /// into it; then one commit. A poll alone is committed at once. Each poll lands
    /// whole or not at all: there is no savepoint per poll (see [`Batch`]), so when one
    /// fails the whole batch is rolled back and every poll of it is written again in a
    /// transaction of its own (the failing one then gets its own error); a failed
    /// commit fails them all.
    pub async fn apply_poll(&self, write: PollWrite) -> Result<PollCounts, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.writes
            .send((write, tx))
            .map_err(|_| StoreError::Task("the database writer stopped".into()))?;
        let (result, written) = rx
            .await
            .map_err(|_| StoreError::Task("the database writer stopped".into()))?;
        drop(written);
        result
    }

    /// Writes a source's next state alone, for a poll that stored nothing (not
    /// modified, the same body, a failure): in the writer's next group, like any poll,
    /// rather than in a transaction of its own (a commit each: on a pass where every
    /// feed answered 304, a fifth of the CPU).
    pub async fn save_state(
        &self,
        state: SourceState,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let write = PollWrite {
            source: state.id.clone(),
            now,
            items: Vec::new(),
            state,
        };
        self.apply_poll(write).await.map(drop)
    }

    /// Leaves the database file whole when a command is done: its write-ahead log
    /// copied in (see [`Store::checkpoint`]). Polls still being written finish first.
    pub async fn close(&self) -> Result<(), StoreError> {
        let whole = self.call(|s| s.checkpoint()).await?;
        if !whole {
            tracing::debug!("another connection holds part of the write-ahead log; left in place");
        }
        Ok(())
    }

    /// Runs `f` on the read connection (the writing one for in-memory databases).
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.reader.clone().unwrap_or_else(|| self.inner.clone());
        tokio::task::spawn_blocking(move || {
            let guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&guard)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Frees the page caches of the writing and the reading connection: the daemon
    /// calls it when a publish is done. After a publish with 10,000 sources they held
    /// some 4 MB until the next one, which reads its pages again from the system's
    /// file cache (a few hundred pages: a millisecond).
    pub async fn release_memory(&self) {
        for conn in [Some(&self.inner), self.reader.as_ref()]
            .into_iter()
            .flatten()
        {
            let conn = conn.clone();
            let released = tokio::task::spawn_blocking(move || {
                conn.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .release_memory()
            })
            .await;
            if let Ok(Err(e)) = released {
                tracing::debug!(error = %e, "cannot release SQLite's cache");
            }
        }
    }

    /// Runs `f` with the store on a blocking thread.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            // A panic in another call poisons the lock but leaves SQLite consistent.
            let mut guard = inner.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    #[test]
    fn the_writers_cache_grows_with_the_database_within_bounds() {
        const MB: i64 = 1 << 20;
        assert_eq!(cache_kib_for(0), 2000, "SQLite's default");
        assert_eq!(
            cache_kib_for(110 * MB),
            2000,
            "a 1,000-feed first pass keeps it"
        );
        assert_eq!(cache_kib_for(256 * MB), 4096);
        assert_eq!(cache_kib_for(1024 * MB), 16384);
        assert_eq!(
            cache_kib_for(4096 * MB),
            16384,
            "and never more than 16 MiB"
        );
    }

    #[test]
    fn fit_cache_sets_the_connection_cache() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        store.conn.pragma_update(None, "cache_size", -100).unwrap();
        store.cache_kib.set(100);
        assert_eq!(store.fit_cache().unwrap(), 2000);
        let set: i64 = store
            .conn
            .pragma_query_value(None, "cache_size", |r| r.get(0))
            .unwrap();
        assert_eq!(set, -2000);
    }

    #[test]
    fn a_new_database_takes_the_page_size_and_an_old_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint_at = |s: &Store| -> i64 {
            s.conn
                .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
                .unwrap()
        };
        let new = Store::open(&dir.path().join("new.db")).unwrap();
        assert_eq!(page_size(&new.conn).unwrap(), PAGE_SIZE);
        assert_eq!(checkpoint_at(&new) * PAGE_SIZE, checkpoint::EVERY);
        // A database made with SQLite's default page size, already in WAL mode and
        // holding a row, as every database before this page size was.
        let path = dir.path().join("old.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            conn.execute_batch("CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('x')")
                .unwrap();
            assert_eq!(page_size(&conn).unwrap(), 4096);
        }
        let old = Store::open(&path).unwrap();
        assert_eq!(page_size(&old.conn).unwrap(), 4096);
        assert_eq!(
            checkpoint_at(&old) * 4096,
            checkpoint::EVERY,
            "32 MiB of log"
        );
        let kept: String = old
            .conn
            .query_row("SELECT v FROM kept", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, "x");
        assert_eq!(old.integrity_check().unwrap(), "ok");
    }
}

#[cfg(test)]
mod migration_tests {
    use super::MIGRATIONS;

    #[test]
    fn migrations_are_numbered_like_their_files_and_in_order() {
        let files: Vec<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/migrations"))
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
        assert_eq!(
            files.len(),
            MIGRATIONS.len(),
            "every migration file is listed"
        );
        for w in MIGRATIONS.windows(2) {
            assert!(w[0].0 < w[1].0, "strictly increasing");
        }
        for (v, sql) in MIGRATIONS {
            let name = files
                .iter()
                .find(|f| f.starts_with(&format!("{v:04}_")))
                .unwrap_or_else(|| panic!("no file for migration {v}"));
            let text = std::fs::read_to_string(format!(
                "{}/src/store/migrations/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            assert_eq!(&text, sql);
        }
    }

    /// A database of the version before migration 0009 (sources stored) is upgraded in
    /// place: its rows kept, the health queries answered from the new indexes.
    #[test]
    fn migration_9_upgrades_a_database_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= 8) {
                conn.execute_batch(sql).unwrap();
                conn.pragma_update(None, "user_version", v).unwrap();
            }
            conn.execute(
                "INSERT INTO sources (id, url, last_poll, failures, failing_since) VALUES \
                 ('a', 'http://a/', '2026-05-01T10:00:00Z', 0, NULL), \
                 ('b', 'http://b/', '2026-05-01T11:00:00Z', 2, '2026-05-01T09:00:00Z')",
                [],
            )
            .unwrap();
        }
        let s = super::Store::open(&path).unwrap();
        let version: i64 = s
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.last().unwrap().0);
        let plan = |sql: &str| -> String {
            let mut stmt = s
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let newest = plan(
            "SELECT id, last_poll FROM sources WHERE last_poll IS NOT NULL ORDER BY last_poll DESC",
        );
        assert!(newest.contains("sources_by_last_poll"), "{newest}");
        let failing = plan("SELECT id, failing_since, last_poll FROM sources WHERE failures > 0");
        assert!(failing.contains("sources_failing"), "{failing}");
        let h = s.source_health(&["a", "b"]).unwrap();
        assert_eq!(h.failing, 1);
        assert_eq!(
            h.checked.map(super::ts).as_deref(),
            Some("2026-05-01T11:00:00Z")
        );
        assert_eq!(
            h.failing_since.map(super::ts).as_deref(),
            Some("2026-05-01T09:00:00Z")
        );
    }
}
