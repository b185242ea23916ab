//! The one database writer: a thread that writes the polls it is sent in groups, one
//! transaction (a [`Batch`]) per group, and answers each poll (see
//! [`Db::apply_poll`](super::Db::apply_poll)).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Batch, PollCounts, PollWrite, Store, StoreError};

pub(super) type QueuedPoll = (PollWrite, tokio::sync::oneshot::Sender<Written>);

/// The writer's answer to one poll: its counts or its error, and the write itself, handed
/// back so that its items are freed by the poll's task, on any core, rather than by the
/// one writer thread between two transactions.
type Written = (Result<PollCounts, StoreError>, PollWrite);

/// At most this many polls share one commit.
const MAX_GROUP: usize = 64;

/// How long an open group waits for polls under way to join it before committing.
pub(super) const LINGER: Duration = Duration::from_millis(25);

/// Counts a poll under way until dropped (see
/// [`Db::expect_write`](super::Db::expect_write)).
pub struct WriteExpected(pub(super) Arc<AtomicUsize>);

impl Drop for WriteExpected {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The writer thread: one batch (transaction) at a time, until every
/// [`Db`](super::Db) is gone.
pub(super) fn group_writer(
    store: &Mutex<Store>,
    queue: &std::sync::mpsc::Receiver<QueuedPoll>,
    expected: &AtomicUsize,
) {
    while let Ok(first) = queue.recv() {
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = store.fit_cache() {
            tracing::debug!(error = %e, "cannot size the page cache; it keeps its size");
        }
        let mut jobs: Vec<QueuedPoll> = Vec::new();
        let mut counts: Vec<PollCounts> = Vec::new();
        let mut failed = false;
        let committed = match Batch::begin(&mut store) {
            Err(e) => {
                jobs.push(first);
                Err(e)
            }
            Ok(mut batch) => {
                let deadline = Instant::now() + LINGER;
                let mut next = Some(first);
                while let Some(job) = next.take() {
                    match batch.write(&job.0) {
                        Ok(c) => counts.push(c),
                        Err(_) => failed = true,
                    }
                    jobs.push(job);
                    if failed || jobs.len() >= MAX_GROUP {
                        break;
                    }
                    // Polls under way are counted until they have their answer; those
                    // not written yet may join while there is time.
                    next = match queue.try_recv() {
                        Ok(job) => Some(job),
                        Err(_) => {
                            let waiting = expected.load(Ordering::SeqCst) > jobs.len();
                            let left = deadline.saturating_duration_since(Instant::now());
                            if waiting && !left.is_zero() {
                                queue.recv_timeout(left).ok()
                            } else {
                                None
                            }
                        }
                    };
                }
                if failed {
                    // Dropping the batch rolls it back; each poll is written alone below.
                    drop(batch);
                    Ok(())
                } else {
                    batch.commit()
                }
            }
        };
        tracing::debug!(polls = jobs.len(), failed, "wrote polls in one transaction");
        match committed {
            Ok(()) if !failed => {
                for ((w, reply), c) in jobs.into_iter().zip(counts) {
                    let _ = reply.send((Ok(c), w));
                }
            }
            Ok(()) => {
                // One poll failed: every poll of the group, alone, so that the others
                // land and the failing one gets its own error.
                for (w, reply) in jobs {
                    let result = store.apply_one(&w);
                    let _ = reply.send((result, w));
                }
            }
            Err(e) => {
                for (w, reply) in jobs {
                    let _ = reply.send((Err(e.shared()), w));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ParsedItem;
    use crate::store::{Db, ItemFilter, SourceState, StoredPoll};
    use chrono::Utc;

    fn write(source: &str, guid: &str) -> PollWrite {
        let items = vec![ParsedItem {
            guid: Some(guid.into()),
            link: Some(format!("http://x/{guid}")),
            title: guid.into(),
            ..Default::default()
        }];
        PollWrite {
            source: source.into(),
            now: Utc::now(),
            items: StoredPoll::unjudged(items),
            state: SourceState {
                id: source.into(),
                ..Default::default()
            },
        }
    }

    #[test]
    fn a_group_lands_except_the_poll_that_fails() {
        let store = Store::in_memory().unwrap();
        store
            .conn
            .execute_batch(
                "CREATE TEMP TRIGGER fail BEFORE INSERT ON items WHEN NEW.source = 'bad' \
                 BEGIN SELECT RAISE(ABORT, 'boom'); END;",
            )
            .unwrap();
        // Three polls queued before the writer starts: they form one group.
        let (tx, rx) = std::sync::mpsc::channel();
        let mut answers = Vec::new();
        for (source, guid) in [("a", "1"), ("bad", "2"), ("c", "3")] {
            let (reply, answer) = tokio::sync::oneshot::channel();
            tx.send((write(source, guid), reply)).unwrap();
            answers.push(answer);
        }
        drop(tx);
        let store = Mutex::new(store);
        group_writer(&store, &rx, &AtomicUsize::new(3));
        let (results, written): (Vec<_>, Vec<_>) = answers
            .into_iter()
            .map(|mut a| a.try_recv().unwrap())
            .unzip();
        // Each answer hands its own write back, to be freed by the poll's task.
        let sources: Vec<&str> = written.iter().map(|w| w.source.as_str()).collect();
        assert_eq!(sources, ["a", "bad", "c"]);
        assert_eq!(results[0].as_ref().unwrap().new, 1);
        assert!(
            results[1]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("boom")
        );
        assert_eq!(results[2].as_ref().unwrap().new, 1);
        let s = store.lock().unwrap();
        let stored = s.items(&ItemFilter::default()).unwrap();
        assert_eq!(stored.len(), 2);
        assert!(stored.iter().all(|i| i.source != "bad"));
        assert!(
            s.source_state("bad").unwrap().is_none(),
            "its state was rolled back too"
        );
        assert!(s.source_state("c").unwrap().is_some());
    }
    /// A poll that stored nothing writes its source's state in the writer's group, not
    /// in a commit of its own: ten such polls under way at once share at most a few
    /// commits (one each before `save_state`), and every state lands.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn states_alone_join_the_writers_groups() {
        let mut store = Store::in_memory().unwrap();
        let commits = Arc::new(AtomicUsize::new(0));
        let counted = commits.clone();
        store
            .conn
            .commit_hook(Some(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                false
            }))
            .unwrap();
        let db = Db::new(store);
        let under_way: Vec<WriteExpected> = (0..10).map(|_| db.expect_write()).collect();
        let mut saves = tokio::task::JoinSet::new();
        for i in 0..10 {
            let db = db.clone();
            saves.spawn(async move {
                let state = SourceState {
                    id: format!("s{i}"),
                    ..Default::default()
                };
                db.save_state(state, Utc::now()).await
            });
        }
        while let Some(saved) = saves.join_next().await {
            saved.unwrap().unwrap();
        }
        drop(under_way);
        let states = db.read(|s| s.source_states()).await.unwrap();
        assert_eq!(states.len(), 10);
        let commits = commits.load(Ordering::SeqCst);
        assert!(commits < 10, "{commits} commits for 10 states");
    }
}
