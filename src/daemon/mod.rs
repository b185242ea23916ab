//! The daemon: what the long-running process and the one-shot commands share.
//!
//! ```text
//! scheduler ──ticks──▶ dispatcher ──spawn──▶ poll tasks ──▶ writer thread ──▶ SQLite
//!                                                  │
//!                                        publish request
//!                                                  ▼
//!                       publisher task ──▶ files + snapshot ──▶ HTTP server
//!                                                  │
//!                                       PublishOutcome
//!                                                  ▼
//!                    after_publish: WebSub pings, alert pass (src/alert: outbox → SMTP/HTTP)
//! ```
//!
//! `run` (run.rs) is the long-running part: start, the tick, reload and shutdown
//! handlers (reloads and shutdown are passed in, SIGHUP and SIGTERM/SIGINT in
//! production), systemd notifications, the watchdog, retention.

mod run;

use std::sync::Arc;

use chrono::Utc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::poll::{Pipeline, PollReport};
use crate::publish::websub::{Pinger, is_topic};
use crate::publish::{PublishError, PublishOutcome, Published, Publisher, join, publish};
use crate::schedule::ScheduleError;
use crate::source::Source;
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
    /// The alert channels (`[[notify]]`).
    pub alerts: crate::alert::Alerts,
    /// Shared by every configuration the process runs with (reloads keep it).
    pub metrics: Arc<Metrics>,
}

impl Daemon {
    /// Opens the database and builds the pipeline.
    pub fn new(config: Config) -> Result<Daemon, DaemonError> {
        let db = Db::new(Store::open(&config.daemon.database)?);
        Daemon::build(config, db, Published::default(), Arc::new(Metrics::new()))
    }

    /// A daemon for `config` on an open database (a reload keeps the database, what is
    /// served and the metrics).
    pub fn build(
        config: Config,
        db: Db,
        published: Published,
        metrics: Arc<Metrics>,
    ) -> Result<Daemon, DaemonError> {
        let pipeline = Pipeline {
            fetcher: config.fetcher(),
            classifier: config.classifier(),
            db: db.clone(),
            retry: config.fetch.retry(),
            parse_slots: Pipeline::parse_slots(),
            metrics: metrics.clone(),
        };
        Ok(Daemon {
            pinger: config.pinger(),
            alerts: config.alerts(),
            publisher: config.publisher(),
            published,
            config: Arc::new(config),
            pipeline,
            db,
            metrics,
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

    /// Renders the outputs from the store, installs them for the server and writes
    /// them. A failed write is in the outcome (`write_error`), not an error: the new
    /// documents are served all the same.
    pub async fn publish(&self) -> Result<PublishOutcome, PublishError> {
        let started = std::time::Instant::now();
        let outcome = publish(&self.db, &self.publisher, &self.published).await;
        let written = outcome.as_ref().is_ok_and(|o| o.write_error.is_none());
        self.metrics.record_publish(written);
        let outcome = outcome?;
        self.metrics.record_output_write(written);
        let ms = started.elapsed().as_millis() as u64;
        match &outcome.write_error {
            None => tracing::info!(
                documents = outcome.documents,
                changed = outcome.changed.len(),
                ms,
                "published"
            ),
            Some(e) => tracing::error!(
                documents = outcome.documents,
                changed = outcome.changed.len(),
                ms,
                error = %e,
                "published, but the files could not be written (served from memory)"
            ),
        }
        self.log_new_urgent(&outcome).await;
        Ok(outcome)
    }

    /// One log line per case that became urgent, with its title: what an operator
    /// reading the journal wants to see.
    async fn log_new_urgent(&self, outcome: &PublishOutcome) {
        if outcome.became_urgent.is_empty() {
            return;
        }
        let leads: Vec<String> = outcome
            .became_urgent
            .iter()
            .map(|c| c.lead.clone())
            .collect();
        let found = self
            .db
            .read(move |s| {
                leads
                    .iter()
                    .filter_map(|uid| s.subject(uid).transpose())
                    .collect::<Result<Vec<_>, _>>()
            })
            .await;
        for s in found.unwrap_or_default() {
            tracing::info!(source = %s.source, id = %s.uid, title = %s.item.title, "new urgent item");
        }
    }

    /// How many polls may be under way at once. Fetching is limited to
    /// `daemon.concurrency` requests by the fetcher itself and parsing to one per core;
    /// more polls in flight than requests lets finished polls wait for the database
    /// writer together and share a commit, while the next requests go out. The
    /// [`WRITER_QUEUE`] more keep the parse slots busy while a commit is written (on a
    /// 1,000-feed first pass at concurrency 8: 6% less time than at twice the
    /// concurrency alone, for 1 MiB more at the peak).
    fn in_flight(&self) -> usize {
        in_flight(self.config.daemon.concurrency)
    }

    /// What the HTTP server needs.
    pub fn serve_state(&self) -> crate::serve::ServeState {
        crate::serve::ServeState {
            published: self.published.clone(),
            publisher: Arc::new(std::sync::RwLock::new(self.publisher.clone())),
            db: self.db.clone(),
            metrics: self.metrics.clone(),
            health: None,
            renders: Arc::default(),
        }
    }

    /// What follows a publish, for `run` and `poll` alike: the WebSub hubs are told
    /// which urgent feeds changed, and the alerts of what the polls stored go out (see
    /// [`crate::alert`]: the outbox, not `outcome.became_urgent`, says what is new, so
    /// that nothing is lost to a crash or a restart). Returns when every ping was
    /// answered or given up and the alert pass is done (`run` spawns it, so a slow hub
    /// or mail server never delays the next publish).
    pub async fn after_publish(&self, outcome: &PublishOutcome) {
        let topics = self.topics(&outcome.changed);
        if self.pinger.is_enabled() && !topics.is_empty() {
            self.pinger.ping(&topics).await;
        }
        self.deliver_alerts().await;
    }

    /// One alert pass (plan, digests, source health, send what is due); a failure is
    /// logged (the outbox keeps everything for the next pass).
    pub async fn deliver_alerts(&self) {
        if let Err(e) = self.alerts.pass(&self.db).await {
            tracing::error!(error = %e, "alert pass failed; the alerts stay queued");
        }
    }

    /// The WebSub topics among `changed` paths, as public URLs.
    fn topics(&self, changed: &[String]) -> Vec<String> {
        changed
            .iter()
            .filter(|p| is_topic(p))
            .map(|p| join(self.publisher.public_url(), p))
            .collect()
    }

    /// Polls `sources` now, at most `daemon.concurrency` at a time. A source that a
    /// server or its backoff deferred is left alone unless `force`.
    pub async fn poll_once(
        &self,
        sources: impl AsRef<[Source]> + Send,
        force: bool,
    ) -> Vec<PassLine> {
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
        let deferred: std::collections::HashMap<&str, &SourceState> = states
            .iter()
            .filter(|st| !st.is_due(now))
            .map(|st| (st.id.as_str(), st))
            .collect();
        let sem = Arc::new(Semaphore::new(self.in_flight()));
        let mut set = tokio::task::JoinSet::new();
        let mut lines = Vec::new();
        for (i, source) in sources.as_ref().iter().enumerate() {
            if let Some(st) = deferred.get(source.id.as_str()) {
                lines.push((i, PassLine::Deferred((*st).clone())));
                continue;
            }
            // A task is spawned only when it may start: each holds its whole future (the
            // fetch and parse state machines), and one per source up front cost memory in
            // proportion to the sources (10,000 sources: some 100 MB).
            let permit = sem
                .clone()
                .acquire_owned()
                .await
                .expect("semaphore never closed");
            let pipeline = self.pipeline.clone();
            let source = source.clone();
            set.spawn(async move {
                let _permit = permit;
                (
                    i,
                    PassLine::Polled(pipeline.poll(&source, Utc::now()).await),
                )
            });
            while let Some(done) = set.try_join_next() {
                lines.push(joined(done));
            }
        }
        while let Some(done) = set.join_next().await {
            lines.push(joined(done));
        }
        lines.sort_by_key(|(i, _)| *i);
        lines.into_iter().map(|(_, r)| r).collect()
    }
}

/// Polls beyond twice the concurrency that may be parsed, or wait for the writer, while
/// it writes a group (see [`Daemon::in_flight`]).
const WRITER_QUEUE: usize = 8;

fn in_flight(concurrency: usize) -> usize {
    concurrency.saturating_mul(2).saturating_add(WRITER_QUEUE)
}

/// A finished poll task's line; a poll that panicked panics the pass, as it did when the
/// pass awaited every task at once.
fn joined<T>(done: Result<T, tokio::task::JoinError>) -> T {
    match done {
        Ok(line) => line,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("a poll task was cancelled: {e}"),
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
