//! Checkpoints beside the writer: the write-ahead log is copied into the database file
//! on a thread and connection of its own, so that the writer never waits for the disk.
//!
//! SQLite's automatic checkpoint runs on the connection that commits, right after the
//! commit: it copies the log into the file and waits for the disk twice (`fsync` of the
//! log, then of the file). On the one writer thread that wait holds every poll queued
//! behind it: a 10,000-feed first pass spent some 3 s of its 27-37 s there (the same
//! pass without any `fsync` took 27.3-29.6 s against 31.2-36.8 s). With the
//! checkpointer (package builds alternated, 2 pairs) it took 29.5 and 30.0 s against
//! 32.5 and 34.3 s.
//!
//! Here the writer's connection has no automatic checkpoint. After each commit its
//! log hook ([`rusqlite::Connection::wal_hook`]) sees how many pages the log holds; the
//! thresholds below are bytes of log, turned into pages of the database's own size
//! ([`Lengths::for_pages_of`]). While the database is under [`BESIDE_FROM`], the writer
//! checkpoints once the log holds [`EVERY`] bytes, as SQLite did (a 1,000-feed pass,
//! 110 MB, gained nothing beside it and held 1-2 MiB more at its peak; the
//! checkpointer's connection is opened only when it is first needed). From that size on:
//! - from [`EVERY`] bytes of log on, it wakes the checkpointer, which copies what the
//!   log holds (`PASSIVE`: it never waits for the writer, nor the writer for it); it is
//!   woken again once [`STEP`] more bytes have been committed, so that a page the
//!   commits rewrite (the indexes' pages are rewritten by commit after commit) is
//!   copied once for several commits, not after each;
//! - from [`AT_MOST`] bytes of log on (the checkpointer cannot keep up, or is stuck),
//!   the writer waits for the checkpointer's round to end and checkpoints itself, as
//!   SQLite would, so the log never grows past that by more than one commit.
//!
//! SQLite starts the log again from its beginning at the first commit after a
//! checkpoint copied all of it, as before.

use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use rusqlite::wal::CheckpointMode;

use super::{Store, StoreError};

/// The log's length (bytes) from which the checkpointer is woken: SQLite's automatic
/// checkpoint ran at this length before (8192 pages of 4 KiB).
pub(super) const EVERY: i64 = 32 << 20;

/// Bytes committed since the checkpointer's last round that wake it again: as many as
/// SQLite's automatic checkpoint let accumulate, so a round copies as few pages twice.
/// A quarter of that (a round every commit or two at 10,000 feeds) took as long and
/// 1.5-3 s more CPU (the same pages copied again, and one `fsync` each).
pub(super) const STEP: i64 = EVERY;

/// The database's size from which the checkpointer copies the log (256 MiB): at
/// 10,000 feeds, the first pass's second quarter on.
pub(super) const BESIDE_FROM: i64 = 256 << 20;

/// The log's length (bytes) from which the writer checkpoints itself (128 MiB). The
/// log seldom starts again before: SQLite starts it again only at a commit whose
/// transaction began after the whole log was copied, and the writer has begun its
/// next group by the time a round ends.
pub(super) const AT_MOST: i64 = 4 * EVERY;

/// The checkpointer's side, shared with the writer's log hook.
#[derive(Debug, Default)]
pub(super) struct Rounds {
    /// Held for each checkpoint: the checkpointer's and the writer's never overlap.
    running: Mutex<()>,
    /// The log's pages copied by the last round (its length then).
    copied: AtomicI64,
    /// The database's size (bytes) when the writer last looked.
    db_bytes: AtomicI64,
    /// Rounds run by the checkpointer; checkpoints made by the writer itself.
    by_checkpointer: AtomicUsize,
    by_writer: AtomicUsize,
}

impl Rounds {
    /// Runs `checkpoint` alone (no other round at the same time).
    pub(super) fn exclusive<T>(&self, checkpoint: impl FnOnce() -> T) -> T {
        let _running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        checkpoint()
    }

    pub(super) fn set_db_bytes(&self, bytes: i64) {
        self.db_bytes.store(bytes, Ordering::SeqCst);
    }

    #[cfg(test)]
    pub(super) fn counts(&self) -> (usize, usize) {
        (
            self.by_checkpointer.load(Ordering::SeqCst),
            self.by_writer.load(Ordering::SeqCst),
        )
    }
}

/// Thresholds of one log hook (see the module's header): the log's lengths in pages,
/// the database's size in bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lengths {
    pub(super) beside_from: i64,
    pub(super) every: i64,
    pub(super) step: i64,
    pub(super) at_most: i64,
}

impl Lengths {
    /// The thresholds above, in pages of `page_size` bytes (the log hook counts pages).
    pub(super) fn for_pages_of(page_size: i64) -> Lengths {
        let pages = |bytes: i64| (bytes / page_size.max(512)).max(1);
        Lengths {
            beside_from: BESIDE_FROM,
            every: pages(EVERY),
            step: pages(STEP),
            at_most: pages(AT_MOST),
        }
    }
}

/// Who checkpoints after a commit.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    Nobody,
    Checkpointer,
    Writer,
}

impl Lengths {
    /// After a commit that left `pages` in the log, of which the last round copied
    /// `copied` (more than `pages`: the log has started again since), in a database of
    /// `db_bytes`.
    fn next(&self, pages: i64, copied: i64, db_bytes: i64) -> Next {
        let copied = if copied > pages { 0 } else { copied };
        if pages >= self.at_most || (db_bytes < self.beside_from && pages >= self.every) {
            Next::Writer
        } else if pages >= self.every && pages - copied >= self.step {
            Next::Checkpointer
        } else {
            Next::Nobody
        }
    }
}

/// Starts the checkpointer for the database `writer` writes (a file: an in-memory
/// database has no log) and hands the writer's checkpoints over to it. The thread ends
/// when the writer's connection is closed.
pub(super) fn start(writer: &mut Store, lengths: Lengths) -> Result<Arc<Rounds>, StoreError> {
    let rounds = Arc::new(Rounds::default());
    let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
    let (path, theirs) = (writer.path().to_path_buf(), rounds.clone());
    std::thread::Builder::new()
        .name("tocsin-checkpoint".into())
        .spawn(move || run(&path, &woken, &theirs))
        .map_err(|e| StoreError::Task(format!("cannot start the checkpoint thread: {e}")))?;
    hook(writer, lengths, wake, rounds.clone())?;
    writer.rounds = Some(rounds.clone());
    Ok(rounds)
}

/// The checkpointer's connection: it only reads the log and writes the file.
fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = super::connect(path)?;
    // The database is in WAL mode already; saying so also opens it, without which a
    // checkpoint through the C interface does nothing (and answers -1).
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(conn)
}

/// Replaces the writer connection's automatic checkpoint with the hook that wakes the
/// checkpointer (or, past `at_most`, checkpoints on the writer).
pub(super) fn hook(
    writer: &mut Store,
    lengths: Lengths,
    wake: SyncSender<()>,
    rounds: Arc<Rounds>,
) -> Result<(), StoreError> {
    writer.conn.wal_hook(Some(
        move |wal: &mut rusqlite::hooks::Wal, pages: std::ffi::c_int| {
            let pages = i64::from(pages);
            let copied = rounds.copied.load(Ordering::SeqCst);
            match lengths.next(pages, copied, rounds.db_bytes.load(Ordering::SeqCst)) {
                Next::Nobody => {}
                Next::Checkpointer => match wake.try_send(()) {
                    // Full: already woken, not yet running.
                    Ok(()) | Err(TrySendError::Full(())) => {}
                    Err(TrySendError::Disconnected(())) => {
                        tracing::debug!(pages, "the checkpointer has stopped");
                    }
                },
                Next::Writer => {
                    rounds.exclusive(|| match wal.checkpoint_v2(CheckpointMode::PASSIVE) {
                        Ok((_, copied)) => rounds.copied.store(copied.into(), Ordering::SeqCst),
                        // As SQLite's own automatic checkpoint: a failure is left for the
                        // next commit (an error here would fail the commit that landed).
                        Err(e) => {
                            tracing::debug!(error = %e, pages, "checkpoint on the writer failed");
                        }
                    });
                    rounds.by_writer.fetch_add(1, Ordering::SeqCst);
                }
            }
            Ok(())
        },
    ))?;
    Ok(())
}

/// The checkpointer's loop: one `PASSIVE` checkpoint each time it is woken, on a
/// connection opened the first time (a failure is logged and tried again at the next;
/// meanwhile the writer checkpoints at [`AT_MOST`]).
fn run(path: &Path, woken: &Receiver<()>, rounds: &Rounds) {
    let mut conn = None;
    while woken.recv().is_ok() {
        if conn.is_none() {
            conn = open(path)
                .inspect_err(
                    |e| tracing::warn!(error = %e, "cannot open the checkpointer's connection"),
                )
                .ok();
        }
        let Some(conn) = &conn else { continue };
        let done =
            rounds.exclusive(|| conn.wal_checkpoint_v2(Some("main"), CheckpointMode::PASSIVE));
        rounds.by_checkpointer.fetch_add(1, Ordering::SeqCst);
        match done {
            Ok((log, copied)) => {
                rounds.copied.store(copied.into(), Ordering::SeqCst);
                tracing::trace!(log, copied, "checkpoint");
            }
            Err(e) => tracing::warn!(error = %e, "checkpoint failed; the next commit retries"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store on a file with one table to fill, and its log file's path.
    fn store(dir: &Path) -> (Store, std::path::PathBuf) {
        let path = dir.join("t.db");
        let store = Store::open(&path).unwrap();
        store
            .conn
            .execute_batch("CREATE TABLE fill (n INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            .unwrap();
        (store, dir.join("t.db-wal"))
    }

    /// `commits` commits of ten rows of three quarters of a page each (about ten pages).
    fn fill(store: &mut Store, commits: usize) {
        let body = "x".repeat(page_bytes(store) as usize * 3 / 4);
        for _ in 0..commits {
            let tx = store.conn.transaction().unwrap();
            for _ in 0..10 {
                tx.execute("INSERT INTO fill (body) VALUES (?1)", [&body])
                    .unwrap();
            }
            tx.commit().unwrap();
        }
    }

    /// Every row is there, and the file is whole once the log is copied (between two
    /// rounds: `Store::checkpoint` waits for the one running).
    fn assert_whole(store: &Store) {
        let n: i64 = store
            .conn
            .query_row("SELECT count(*) FROM fill", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3000);
        assert!(store.checkpoint().unwrap());
        assert_eq!(store.integrity_check().unwrap(), "ok");
    }

    /// Waits (10 s at most) until the checkpointer has ended a round: it runs on its
    /// own thread, woken by the commits.
    fn a_round_ended(rounds: &Rounds) -> usize {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while rounds.counts().0 == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        rounds.exclusive(|| rounds.counts().0)
    }

    fn page_bytes(store: &Store) -> u64 {
        super::super::page_size(&store.conn).unwrap() as u64
    }

    fn pages(store: &Store, wal: &Path) -> u64 {
        // The log's header is 32 bytes, each frame a 24-byte header and a page.
        let frame = 24 + page_bytes(store);
        std::fs::metadata(wal).map_or(0, |m| m.len().saturating_sub(32) / frame)
    }

    #[test]
    fn the_thresholds_are_bytes_of_log_whatever_the_page_size() {
        let small = Lengths::for_pages_of(4096);
        assert_eq!(
            (small.every, small.step, small.at_most),
            (8192, 8192, 32768)
        );
        let large = Lengths::for_pages_of(16384);
        assert_eq!((large.every, large.step, large.at_most), (2048, 2048, 8192));
        assert_eq!(
            large.beside_from,
            256 << 20,
            "the database's size stays in bytes"
        );
        // A page size no database has is no division by zero, and no zero length.
        assert_eq!(Lengths::for_pages_of(0).every, 65536);
    }

    const SMALL: Lengths = Lengths {
        beside_from: 0,
        every: 40,
        step: 20,
        at_most: 200,
    };

    #[test]
    fn the_checkpointer_is_woken_past_the_length_once_per_step() {
        use Next::*;
        let l = Lengths {
            beside_from: 1000,
            ..SMALL
        };
        let big = 1000;
        assert_eq!(l.next(39, 0, big), Nobody, "a short log stays");
        assert_eq!(l.next(40, 0, big), Checkpointer);
        assert_eq!(
            l.next(50, 40, big),
            Nobody,
            "less than a step since the last round"
        );
        assert_eq!(l.next(60, 40, big), Checkpointer, "a step since");
        assert_eq!(l.next(45, 150, big), Checkpointer, "the log started again");
        assert_eq!(l.next(30, 150, big), Nobody, "and is short again");
        assert_eq!(
            l.next(200, 199, big),
            Writer,
            "at the bound, whatever was copied"
        );
        assert_eq!(l.next(250, 0, big), Writer);
        // A smaller database: the writer checkpoints at the length, as SQLite would.
        assert_eq!(l.next(39, 0, 999), Nobody);
        assert_eq!(l.next(40, 0, 999), Writer);
        assert_eq!(l.next(60, 40, 999), Writer);
    }

    #[test]
    fn the_checkpointer_copies_the_log_beside_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = store(dir.path());
        // No bound: the writer never checkpoints itself.
        let lengths = Lengths {
            at_most: i64::MAX,
            ..SMALL
        };
        let rounds = start(&mut store, lengths).unwrap();
        fill(&mut store, 300);
        // Once a round is over, the checkpointer has copied at least the length that
        // woke it.
        assert!(a_round_ended(&rounds) > 0, "the checkpointer ran");
        assert_eq!(rounds.counts().1, 0, "the writer never checkpointed");
        assert!(
            rounds.copied.load(Ordering::SeqCst) >= SMALL.every,
            "it copied pages: {}",
            rounds.copied.load(Ordering::SeqCst)
        );
        assert_whole(&store);
    }

    #[test]
    fn the_log_stays_within_the_bound_with_the_checkpointer() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, wal) = store(dir.path());
        let rounds = start(&mut store, SMALL).unwrap();
        fill(&mut store, 300);
        assert!(a_round_ended(&rounds) > 0, "the checkpointer ran");
        let writer = rounds.counts().1;
        // Some 3,000 pages written; the log was started again from its beginning.
        assert!(
            pages(&store, &wal) <= 200 + 20,
            "{} pages",
            pages(&store, &wal)
        );
        assert_whole(&store);
        // The writer checkpoints only when the checkpointer falls behind the bound.
        assert!(writer < 300, "{writer}");
    }

    #[test]
    fn with_no_checkpointer_the_writer_checkpoints_at_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, wal) = store(dir.path());
        // Woken, but nobody listens: the checkpointer is stuck.
        let (wake, _stuck) = std::sync::mpsc::sync_channel(1);
        let rounds = Arc::new(Rounds::default());
        hook(&mut store, SMALL, wake, rounds.clone()).unwrap();
        fill(&mut store, 300);
        let (checkpointer, writer) = rounds.counts();
        assert_eq!(checkpointer, 0);
        assert!(writer > 0, "the writer checkpointed itself");
        // At most the bound, one commit (some ten pages) and SQLite's restart slack.
        assert!(
            pages(&store, &wal) <= 200 + 20,
            "the log stayed near the bound: {} pages",
            pages(&store, &wal)
        );
        assert_whole(&store);
    }

    #[test]
    fn without_the_hook_the_log_grows_past_the_bound() {
        // The control for the two tests above: with SQLite's own checkpoint turned off
        // and no hook, the same writes leave a log far longer than the bound.
        let dir = tempfile::tempdir().unwrap();
        let (mut store, wal) = store(dir.path());
        store
            .conn
            .pragma_update(None, "wal_autocheckpoint", 0)
            .unwrap();
        fill(&mut store, 300);
        assert!(pages(&store, &wal) > 1000, "{} pages", pages(&store, &wal));
    }
}
