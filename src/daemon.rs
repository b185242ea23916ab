//! The daemon: wiring and shutdown order.
//!
//! ```text
//! scheduler ──ticks──▶ dispatcher ──spawn──▶ poll tasks ──▶ store
//!                                                  │
//!                                        publish request
//!                                                  ▼
//!                       publisher task ──▶ files + snapshot ──▶ HTTP server
//! ```
//!
//! On shutdown: stop scheduling, let in-flight polls finish within the grace period,
//! publish once more, stop the server, close the database.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::classify::Classifier;
use crate::config::{Config, SourceConfig};
use crate::fetch::Fetcher;
use crate::poll::{Pipeline, PollReport};
use crate::publish::websub::{Pinger, is_topic};
use crate::publish::{PublishError, PublishOutcome, Published, Publisher, join, publish};
use crate::schedule::{ScheduleError, Scheduler, Tick, is_overdue};
use crate::store::{Db, SourceState, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// One source's line in a `poll` pass.
#[derive(Debug)]
pub enum PassLine {
    Polled(PollReport),
    /// Not polled: not due before `next_due` (its `due_reason` says why).
    Deferred(SourceState),
}

/// Everything the daemon and the one-shot commands share.
#[derive(Clone)]
pub struct Daemon {
    pub config: Arc<Config>,
    pub pipeline: Pipeline,
    pub publisher: Publisher,
    pub published: Published,
    pub db: Db,
    pub pinger: Pinger,
}

impl Daemon {
    /// Opens the database and builds the pipeline.
    pub fn new(config: Config) -> Result<Daemon, DaemonError> {
        let db = Db::new(Store::open(&config.daemon.database)?);
        let pipeline = Pipeline {
            fetcher: Fetcher::new(
                &config.daemon.user_agent,
                config.daemon.concurrency,
                config.fetch.host_spacing,
            ),
            classifier: Arc::new(Classifier::new(&config.rules, config.classify.threshold)),
            db: db.clone(),
            policy: Arc::new(config.fetch.clone()),
            parse_slots: Pipeline::parse_slots(),
        };
        Ok(Daemon {
            pinger: Pinger::new(&config.daemon.user_agent, config.websub.hubs.clone()),
            publisher: Publisher::new(&config),
            published: Published::default(),
            config: Arc::new(config),
            pipeline,
            db,
        })
    }

    /// Re-classifies the stored items when the rules changed since their verdicts were
    /// made (see [`crate::reclassify`]). Called at start, before a poll or a render; a
    /// config reload calls it after swapping the classifier.
    pub async fn reclassify_if_changed(
        &self,
    ) -> Result<Option<crate::reclassify::ReclassifyReport>, StoreError> {
        crate::reclassify::reclassify_if_changed(
            &self.db,
            self.pipeline.classifier.clone(),
            &self.config.sources,
        )
        .await
    }

    /// Renders the outputs from the store, writes and installs them.
    pub async fn publish(&self) -> Result<PublishOutcome, PublishError> {
        let started = std::time::Instant::now();
        let outcome = publish(&self.db, &self.publisher, &self.published).await?;
        tracing::info!(
            documents = outcome.documents,
            changed = outcome.changed.len(),
            ms = started.elapsed().as_millis() as u64,
            "published"
        );
        Ok(outcome)
    }

    /// How many polls may be under way at once. Fetching is limited to
    /// `daemon.concurrency` requests by the fetcher itself and parsing to one per core;
    /// more polls in flight than requests lets finished polls wait for the database
    /// writer together and share a commit, while the next requests go out.
    fn in_flight(&self) -> usize {
        self.config.daemon.concurrency.saturating_mul(2).max(8)
    }

    /// What the HTTP server needs.
    pub fn serve_state(&self) -> crate::serve::ServeState {
        crate::serve::ServeState {
            published: self.published.clone(),
            publisher: self.publisher.clone(),
            db: self.db.clone(),
        }
    }

    /// The WebSub topics among `changed` paths, as public URLs.
    pub fn topics(&self, changed: &[String]) -> Vec<String> {
        changed
            .iter()
            .filter(|p| is_topic(p))
            .map(|p| join(self.publisher.public_url(), p))
            .collect()
    }

    /// Polls `sources` now, at most `daemon.concurrency` at a time. A source that a
    /// server or its backoff deferred is left alone unless `force`.
    pub async fn poll_once(&self, sources: Vec<SourceConfig>, force: bool) -> Vec<PassLine> {
        let now = Utc::now();
        let states = if force {
            Vec::new()
        } else {
            match self.db.read(|s| s.source_states()).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read source states; polling everything");
                    Vec::new()
                }
            }
        };
        let sem = Arc::new(Semaphore::new(self.in_flight()));
        let mut set = tokio::task::JoinSet::new();
        let mut lines = Vec::new();
        for (i, source) in sources.into_iter().enumerate() {
            if let Some(st) = states
                .iter()
                .find(|st| st.id == source.id && !st.is_due(now))
            {
                lines.push((i, PassLine::Deferred(st.clone())));
                continue;
            }
            let (sem, pipeline) = (sem.clone(), self.pipeline.clone());
            set.spawn(async move {
                let _permit = sem.acquire_owned().await.expect("semaphore never closed");
                (
                    i,
                    PassLine::Polled(pipeline.poll(&source, Utc::now()).await),
                )
            });
        }
        lines.extend(set.join_all().await);
        lines.sort_by_key(|(i, _)| *i);
        lines.into_iter().map(|(_, r)| r).collect()
    }

    /// Runs until `shutdown` resolves: schedules polls, publishes, serves `listener`.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), DaemonError> {
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        self.reclassify_if_changed().await?;
        self.publish().await?;
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(addr = %addr, "listening");
        }
        let server = tokio::spawn(crate::serve::serve(
            listener,
            self.serve_state(),
            cancel.clone().cancelled_owned(),
        ));

        let (tx, mut rx) = mpsc::channel(4096);
        let sources: Vec<SourceConfig> = self
            .config
            .sources
            .iter()
            .filter(|s| s.enabled)
            .cloned()
            .collect();
        let scheduler = Scheduler::start(&sources, None, tx.clone()).await?;
        self.queue_overdue(&sources, &tx).await?;
        tracing::info!(sources = sources.len(), "tocsin running");

        let publish_needed = Arc::new(Notify::new());
        let publisher_task = {
            let (d, notify, cancel) = (self.clone(), publish_needed.clone(), cancel.clone());
            let pings = tracker.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = notify.notified() => match d.publish().await {
                            Err(e) => tracing::error!(error = %e, "publish failed"),
                            Ok(outcome) => {
                                let topics = d.topics(&outcome.changed);
                                if d.pinger.is_enabled() && !topics.is_empty() {
                                    let pinger = d.pinger.clone();
                                    pings.spawn(async move { pinger.ping(&topics).await; });
                                }
                            }
                        },
                    }
                }
            })
        };

        let in_flight: Arc<Mutex<HashSet<String>>> = Arc::default();
        let sem = Arc::new(Semaphore::new(self.in_flight()));
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                tick = rx.recv() => match tick {
                    None => break,
                    Some(Tick::Heartbeat) => {}
                    Some(Tick::Source(id)) => {
                        let Some(source) = self.config.source(&id).cloned() else { continue };
                        if !self.is_due(&id).await {
                            continue;
                        }
                        if !in_flight.lock().expect("in-flight set").insert(id.clone()) {
                            tracing::debug!(source = %id, "previous poll still running; tick skipped");
                            continue;
                        }
                        let (pipeline, sem, in_flight, notify) =
                            (self.pipeline.clone(), sem.clone(), in_flight.clone(), publish_needed.clone());
                        tracker.spawn(async move {
                            let _permit = sem.acquire_owned().await.expect("semaphore never closed");
                            let report = pipeline.poll(&source, Utc::now()).await;
                            in_flight.lock().expect("in-flight set").remove(&id);
                            if matches!(&report.result, Ok(p) if p.changed()) {
                                notify.notify_one();
                            }
                        });
                    }
                },
            }
        }

        tracing::info!("shutting down: no new polls");
        scheduler.shutdown().await;
        tracker.close();
        let grace = self.config.daemon.shutdown_grace;
        if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
            tracing::warn!(grace = ?grace, in_flight = tracker.len(), "polls still running after the grace period; abandoning them (their writes are rolled back)");
        }
        cancel.cancel();
        let _ = publisher_task.await;
        if let Err(e) = self.publish().await {
            tracing::error!(error = %e, "final publish failed");
        }
        match server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(DaemonError::Serve(e)),
            Err(e) => tracing::error!(error = %e, "server task failed"),
        }
        tracing::info!("stopped");
        Ok(())
    }

    /// Whether a tick for `id` may poll: not before the stored `next_due` (backoff,
    /// Retry-After, Gone, freshness hints).
    async fn is_due(&self, id: &str) -> bool {
        let key = id.to_string();
        match self.db.read(move |s| s.source_state(&key)).await {
            Ok(Some(st)) if !st.is_due(Utc::now()) => {
                tracing::debug!(source = %id, next_due = ?st.next_due, reason = ?st.due_reason, "not due yet; tick skipped");
                false
            }
            Ok(_) => true,
            Err(e) => {
                tracing::error!(source = %id, error = %e, "cannot read the source's state; polling anyway");
                true
            }
        }
    }

    async fn queue_overdue(
        &self,
        sources: &[SourceConfig],
        tx: &mpsc::Sender<Tick>,
    ) -> Result<(), DaemonError> {
        let states = self.db.read(|s| s.source_states()).await?;
        let now = Utc::now();
        for s in sources {
            let state = states.iter().find(|st| st.id == s.id);
            let last = state.and_then(|st| st.last_poll);
            let due = state.is_none_or(|st| st.is_due(now));
            if due && is_overdue(&s.schedule, last, now) {
                let _ = tx.send(Tick::Source(s.id.clone())).await;
            }
        }
        Ok(())
    }
}

/// Binds the configured listen address.
pub async fn bind(config: &Config) -> Result<TcpListener, DaemonError> {
    TcpListener::bind(config.server.listen)
        .await
        .map_err(|source| DaemonError::Bind {
            addr: config.server.listen,
            source,
        })
}
