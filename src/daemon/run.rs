//! `tocsin run`: the long-running daemon.
//!
//! - Start: re-classify if the rules changed, publish, listen, schedule, poll what is
//!   overdue, then tell systemd READY (the database is migrated and the server
//!   listens by then).
//! - Ticks: a source's cron tick polls it (unless it is still being polled, or a
//!   server or its backoff deferred it); the heartbeat tick feeds the systemd watchdog
//!   and `/healthz` and refreshes the STATUS line; the retention tick prunes.
//! - SIGHUP: reload the config; on success apply it (sources, schedules, rules with
//!   re-classification, outputs), on failure log why and keep running as before.
//! - SIGTERM / SIGINT: stop scheduling, let in-flight polls finish within
//!   `daemon.shutdown_grace`, publish, stop the server, close the database, exit 0. A
//!   second signal exits at once.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Daemon, DaemonError};
use crate::config::Config;
use crate::health::Health;
use crate::publish::Publisher;
use crate::schedule::{Scheduler, Tick, is_overdue};
use crate::serve::ServeState;
use crate::systemd::Notifier;

/// The daemon as configured now; a reload swaps it, tasks read it when they start.
type Current = Arc<RwLock<Daemon>>;

fn now_configured(c: &Current) -> Daemon {
    c.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// What the daemon's tasks share beyond the configuration.
struct Shared {
    notifier: Notifier,
    health: Health,
    publish_needed: Notify,
    last_publish: Mutex<Option<DateTime<Utc>>>,
    pruning: AtomicBool,
    /// Wakes the alert task (a reload changed the channels).
    alerts_wake: Notify,
    /// The editors' marks last seen (`marks_version`; -1 when it could not be read): a
    /// `tocsin mark` run beside the daemon moves it, and the heartbeat republishes.
    marks_seen: AtomicI64,
}

impl Daemon {
    /// Runs until `shutdown` resolves: schedules polls, publishes, serves `listener`,
    /// and reloads the config on SIGHUP.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), DaemonError> {
        let hup = signal(SignalKind::hangup()).map_err(DaemonError::Serve)?;
        let reloads = futures_util::stream::unfold(hup, |mut hup| async move {
            hup.recv().await.map(|()| ((), hup))
        });
        self.run_with(listener, shutdown, reloads).await
    }

    /// [`run`](Self::run) with the reload requests given: each item of `reloads`
    /// re-reads the config file, as SIGHUP does. Tests drive reloads (and `shutdown`)
    /// this way, with paused time.
    pub async fn run_with(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
        reloads: impl Stream<Item = ()>,
    ) -> Result<(), DaemonError> {
        let mut runner = Runner::start(self, listener).await?;
        tokio::pin!(shutdown);
        tokio::pin!(reloads);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                Some(()) = reloads.next() => runner.reload().await,
                tick = runner.ticks.recv() => match tick {
                    None => break,
                    Some(tick) => runner.tick(tick).await,
                },
            }
        }
        runner.shutdown().await
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
}

/// The running daemon: what the tick, reload and shutdown handlers share.
struct Runner {
    current: Current,
    shared: Arc<Shared>,
    /// The publisher the server renders on-demand documents with (a reload swaps it).
    serve_publisher: Arc<RwLock<Publisher>>,
    scheduler: Scheduler,
    /// Where the scheduler's ticks (and the overdue sources at start) arrive.
    ticks: mpsc::Receiver<Tick>,
    tx: mpsc::Sender<Tick>,
    cancel: CancellationToken,
    /// Every poll, prune and WebSub ping, waited for at shutdown.
    tracker: TaskTracker,
    server: JoinHandle<std::io::Result<()>>,
    publisher_task: JoinHandle<()>,
    alert_task: JoinHandle<()>,
    /// Sources being polled now: a tick for one of them is skipped.
    in_flight: Arc<Mutex<HashSet<String>>>,
    /// Polls under way at once (see [`Daemon::in_flight`]).
    slots: Arc<Semaphore>,
}

impl Runner {
    /// Start: re-classify if the rules changed, publish, listen, schedule, queue what
    /// is overdue, then tell systemd READY.
    async fn start(d: Daemon, listener: TcpListener) -> Result<Runner, DaemonError> {
        let notifier = Notifier::from_env();
        let shared = Arc::new(Shared {
            health: Health::new(notifier.heartbeat_timeout()),
            notifier,
            publish_needed: Notify::new(),
            last_publish: Mutex::new(None),
            pruning: AtomicBool::new(false),
            alerts_wake: Notify::new(),
            // Read before the first publish, which shows every mark made until then.
            marks_seen: AtomicI64::new(d.db.read(|s| s.marks_version()).await.unwrap_or(-1)),
        });
        if let Some(r) = d.reclassify_if_changed().await? {
            tracing::info!(
                changed = r.changed,
                "stored items re-classified with the current rules"
            );
        }
        let outcome = d.publish().await?;
        note_write(&shared, outcome.write_error.as_ref());
        *shared.last_publish.lock().expect("last publish") = Some(Utc::now());

        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let serve_publisher = Arc::new(RwLock::new(d.publisher.clone()));
        let state = ServeState {
            publisher: serve_publisher.clone(),
            health: Some(shared.health.clone()),
            ..d.serve_state()
        };
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(addr = %addr, "listening");
        }
        let server = tokio::spawn(crate::serve::serve(
            listener,
            state,
            cancel.clone().cancelled_owned(),
        ));
        let (tx, ticks) = mpsc::channel(4096);
        let scheduler = schedule(&d, &shared.notifier, tx.clone()).await?;
        queue_overdue(&d, &tx).await?;
        let _ = tx.try_send(Tick::Retention);
        tracing::info!(
            sources = d.config.sources.iter().filter(|s| s.enabled).count(),
            "tocsin running"
        );
        let slots = Arc::new(Semaphore::new(d.in_flight()));
        let current: Current = Arc::new(RwLock::new(d));
        shared.notifier.ready();
        update_status(&current, &shared).await;
        let publisher_task = tokio::spawn(publisher_loop(
            current.clone(),
            shared.clone(),
            cancel.clone(),
            tracker.clone(),
        ));
        let alert_task = tokio::spawn(alert_loop(current.clone(), shared.clone(), cancel.clone()));
        // Start-up's peak (the config's TOML, the rule compiles, the first render) is
        // over: what it left is made small, and what was freed goes back to the system
        // rather than staying in the heap.
        shed_memory(&now_configured(&current)).await;
        Ok(Runner {
            alert_task,
            current,
            shared,
            serve_publisher,
            scheduler,
            ticks,
            tx,
            cancel,
            tracker,
            server,
            publisher_task,
            in_flight: Arc::default(),
            slots,
        })
    }

    /// One tick: the heartbeat (watchdog, `/healthz`, STATUS), retention, or a
    /// source's poll (unless it is still being polled or not due).
    async fn tick(&mut self, tick: Tick) {
        match tick {
            Tick::Heartbeat => {
                self.shared.health.beat();
                self.shared.notifier.watchdog();
                update_status(&self.current, &self.shared).await;
                marks_changed(&self.current, &self.shared).await;
            }
            Tick::Retention => {
                self.tracker
                    .spawn(prune(now_configured(&self.current), self.shared.clone()));
            }
            Tick::Source(id) => self.poll(id).await,
        }
    }

    async fn poll(&mut self, id: String) {
        let d = now_configured(&self.current);
        let Some(source) = d.config.source(&id).cloned() else {
            return;
        };
        if !d.is_due(&id).await {
            return;
        }
        if !self
            .in_flight
            .lock()
            .expect("in-flight set")
            .insert(id.clone())
        {
            tracing::debug!(source = %id, "previous poll still running; tick skipped");
            return;
        }
        let (slots, in_flight, shared) = (
            self.slots.clone(),
            self.in_flight.clone(),
            self.shared.clone(),
        );
        self.tracker.spawn(async move {
            let _permit = slots.acquire_owned().await.expect("semaphore never closed");
            // Boxed, so a task waiting for its slot is a few words, not the whole poll
            // (fetch and parse state machines): a tick of 10,000 sources queues 10,000.
            let report = Box::pin(d.pipeline.poll(&source, Utc::now())).await;
            in_flight.lock().expect("in-flight set").remove(&id);
            if matches!(&report.result, Ok(p) if p.changed()) {
                shared.publish_needed.notify_one();
            }
        });
    }

    /// SIGHUP (or a reload request): see [`reload`].
    async fn reload(&mut self) {
        reload(
            &self.current,
            &self.serve_publisher,
            &mut self.scheduler,
            &self.tx,
            &self.shared,
        )
        .await;
    }

    /// Stop scheduling, let in-flight polls finish within `daemon.shutdown_grace`,
    /// publish, stop the server, close the database.
    async fn shutdown(self) -> Result<(), DaemonError> {
        tracing::info!("shutting down: no new polls");
        self.shared.notifier.stopping();
        tokio::spawn(exit_on_second_signal());
        self.scheduler.shutdown().await;
        self.tracker.close();
        let d = now_configured(&self.current);
        let grace = d.config.daemon.shutdown_grace;
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(grace = ?grace, in_flight = self.tracker.len(), "polls still running after the grace period; abandoning them (their writes are rolled back)");
        }
        self.cancel.cancel();
        let _ = self.publisher_task.await;
        // An alert being sent may take its timeout; what is not recorded is sent again
        // (with the same ids) at the next start.
        let mut alert_task = self.alert_task;
        if tokio::time::timeout(grace, &mut alert_task).await.is_err() {
            alert_task.abort();
        }
        match d.publish().await {
            Err(e) => tracing::error!(error = %e, "final publish failed"),
            Ok(o) if o.write_error.is_some() => {
                tracing::error!("final publish: the files could not be written")
            }
            Ok(_) => {}
        }
        match self.server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(DaemonError::Serve(e)),
            Err(e) => tracing::error!(error = %e, "server task failed"),
        }
        if let Err(e) = d.db.close().await {
            tracing::warn!(error = %e, "cannot checkpoint the database on the way out");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// A second SIGTERM or SIGINT during shutdown exits at once (in-flight transactions
/// are rolled back by SQLite at the next open).
async fn exit_on_second_signal() {
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::warn!("second signal: exiting now without waiting for polls");
    #[allow(
        clippy::disallowed_methods,
        reason = "the operator asked twice: stop now, SQLite rolls back what is under way"
    )]
    std::process::exit(143);
}

/// One cron job per enabled source, the heartbeat, and retention if enabled.
async fn schedule(
    d: &Daemon,
    notifier: &Notifier,
    tx: mpsc::Sender<Tick>,
) -> Result<Scheduler, DaemonError> {
    let mut extra = vec![(notifier.heartbeat_schedule(), Tick::Heartbeat)];
    if d.config.retention.max_age.is_some() {
        extra.push((d.config.retention.schedule.clone(), Tick::Retention));
    }
    Ok(Scheduler::start(&d.config.sources, &extra, tx).await?)
}

/// Queues every enabled source whose last poll is older than its schedule says (the
/// scheduler keeps nothing across restarts) and that no server asked us to leave.
async fn queue_overdue(d: &Daemon, tx: &mpsc::Sender<Tick>) -> Result<(), DaemonError> {
    let states = d.db.read(|s| s.source_states()).await?;
    let states: std::collections::HashMap<&str, &crate::store::SourceState> =
        states.iter().map(|st| (st.id.as_str(), st)).collect();
    let now = Utc::now();
    for s in d.config.sources.iter().filter(|s| s.enabled) {
        let state = states.get(s.id.as_str()).copied();
        let last = state.and_then(|st| st.last_poll);
        let due = state.is_none_or(|st| st.is_due(now));
        if due && is_overdue(&s.schedule, last, now) {
            let _ = tx.send(Tick::Source(s.id.clone())).await;
        }
    }
    Ok(())
}

/// What the daemon holds between publishes, made small: the documents served are kept
/// gzip-compressed (see [`crate::publish::Rendered`]; compressing what changed takes a
/// blocking thread), SQLite's page caches are emptied, and the freed memory goes back
/// to the system.
async fn shed_memory(d: &Daemon) {
    let published = d.published.clone();
    let _ = tokio::task::spawn_blocking(move || published.compact()).await;
    d.db.release_memory().await;
    crate::memory::release_free();
}

/// The first retry of a failed write comes after this; each failure doubles it.
const WRITE_RETRY_BASE: Duration = Duration::from_secs(1);
/// Retries of a failed write are at most this far apart.
const WRITE_RETRY_CAP: Duration = Duration::from_secs(60);

/// How long to wait before writing again after `failures` failed writes in a row.
fn write_retry_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    WRITE_RETRY_BASE
        .saturating_mul(1 << doublings)
        .min(WRITE_RETRY_CAP)
}

/// Records whether a publish wrote its files: `/healthz`, STATUS and the retry.
fn note_write(shared: &Shared, error: Option<&crate::publish::PublishError>) {
    match error {
        None => {
            if shared.health.output_failure().is_some() {
                tracing::info!("the output files are written again");
            }
            shared.health.output_written();
        }
        Some(e) => {
            let failures = shared
                .health
                .output_failure()
                .map_or(1, |f| f.failures.saturating_add(1));
            let retry = write_retry_delay(failures);
            shared.health.output_failed(e.to_string(), retry);
            tracing::warn!(retry_in = ?retry, failures, "the files will be written again");
        }
    }
}

/// Publishes whenever a poll changed something (requests arriving during a publish are
/// coalesced into one more), pings WebSub hubs for changed urgent feeds, and while the
/// files cannot be written (a full or read-only disk) tries again with a growing delay
/// (the documents are served from memory meanwhile).
async fn publisher_loop(
    current: Current,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    pings: TaskTracker,
) {
    loop {
        let retry = shared
            .health
            .output_failure()
            .map(|f| write_retry_delay(f.failures));
        let retry_due = async {
            match retry {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = shared.publish_needed.notified() => {}
            _ = retry_due => tracing::info!("writing the output files again"),
        }
        let d = now_configured(&current);
        match d.publish().await {
            Err(e) => tracing::error!(error = %e, "publish failed"),
            Ok(outcome) => {
                note_write(&shared, outcome.write_error.as_ref());
                *shared.last_publish.lock().expect("last publish") = Some(Utc::now());
                // Changed documents are served, written or not: what follows a
                // publish (WebSub pings) runs beside the next one.
                // The alert task then takes up what that pass left due later
                // (retries, digests): it was sleeping on an older deadline.
                let wake = shared.clone();
                pings.spawn(async move {
                    d.after_publish(&outcome).await;
                    wake.alerts_wake.notify_one();
                    // The previous documents and the render's buffers are freed by now.
                    shed_memory(&d).await;
                });
            }
        }
        update_status(&current, &shared).await;
    }
}

/// The alert task runs a pass at least this often (source health, digests, retries).
const ALERT_TICK: Duration = Duration::from_secs(30);

/// Alert passes: at start, when a retry or a digest is due, after a reload, and every
/// [`ALERT_TICK`] (a publish runs one too, in `after_publish`, and wakes this task when
/// it is done, so that the retries and digests it left are timed here).
async fn alert_loop(current: Current, shared: Arc<Shared>, cancel: CancellationToken) {
    loop {
        let d = now_configured(&current);
        d.deliver_alerts().await;
        let wait = d
            .alerts
            .next_wake(&d.db, ALERT_TICK)
            .await
            .max(Duration::from_millis(20));
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = shared.alerts_wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Asks for a publish when an editor's mark changed since the last look (`tocsin mark`
/// ran beside the daemon: it wrote the verdict; what is served from memory follows).
async fn marks_changed(current: &Current, shared: &Shared) {
    let d = now_configured(current);
    let Ok(version) = d.db.read(|s| s.marks_version()).await else {
        return;
    };
    let seen = shared.marks_seen.swap(version, Ordering::SeqCst);
    if seen >= 0 && seen != version {
        tracing::info!("an editor's mark changed: publishing");
        shared.publish_needed.notify_one();
    }
}

/// `STATUS=polling 12 sources, 3 failing, last publish 14:02` for `systemctl status`.
async fn update_status(current: &Current, shared: &Shared) {
    let d = now_configured(current);
    let ids: HashSet<String> = d
        .config
        .sources
        .iter()
        .filter(|s| s.enabled)
        .map(|s| s.id.clone())
        .collect();
    let total = ids.len();
    let failing = match d
        .db
        .read(move |s| s.source_health(&ids.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
    {
        // "3 failing since 14:00 UTC"
        Ok(h) => match h.failing_since.filter(|_| h.failing > 0) {
            Some(t) => format!(
                "{} failing since {}",
                h.failing,
                t.format("%Y-%m-%d %H:%M UTC")
            ),
            None => format!("{} failing", h.failing),
        },
        Err(_) => "? failing".into(),
    };
    let last = shared
        .last_publish
        .lock()
        .expect("last publish")
        .map(|t| t.format("%H:%M UTC").to_string())
        .unwrap_or_else(|| "never".into());
    let mut line = format!("polling {total} sources, {failing}, last publish {last}");
    if let Some(f) = shared.health.output_failure() {
        line.push_str(&format!(
            "; OUTPUT NOT WRITTEN ({} failures): {}",
            f.failures, f.error
        ));
    }
    shared.notifier.status(&line);
}

/// Deletes old non-urgent items in small batches (other writes go between batches),
/// then republishes if anything went.
async fn prune(d: Daemon, shared: Arc<Shared>) {
    let r = d.config.retention.clone();
    let Some(max_age) = r.max_age else { return };
    if shared.pruning.swap(true, Ordering::SeqCst) {
        return;
    }
    let cutoff = chrono::Duration::from_std(max_age)
        .ok()
        .and_then(|d| Utc::now().checked_sub_signed(d))
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
    let mut total = 0;
    loop {
        match d
            .db
            .call(move |s| s.prune_batch(cutoff, r.keep_urgent, r.batch_size))
            .await
        {
            Ok(n) => {
                total += n;
                if n < r.batch_size {
                    break;
                }
                tokio::task::yield_now().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "pruning old items failed");
                break;
            }
        }
    }
    shared.pruning.store(false, Ordering::SeqCst);
    if total > 0 {
        tracing::info!(pruned = total, cutoff = %cutoff, "old items pruned");
        shared.publish_needed.notify_one();
    }
}

/// A reload that cannot be applied: says why, line by line, and goes on as before.
fn reload_refused(shared: &Shared, e: &dyn std::fmt::Display) {
    for line in e.to_string().lines() {
        tracing::error!("config reload failed, keeping the running config: {line}");
    }
    shared
        .notifier
        .status("config reload failed; running with the previous config");
    shared.notifier.ready();
}

/// SIGHUP: re-reads the config file; applies it, or keeps the running one and says
/// why (file, line, key).
async fn reload(
    current: &Current,
    serve_publisher: &RwLock<Publisher>,
    scheduler: &mut Scheduler,
    tx: &mpsc::Sender<Tick>,
    shared: &Shared,
) {
    shared.notifier.reloading();
    let old = now_configured(current);
    let path = old.config.path.clone();
    let config = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => return reload_refused(shared, &e),
    };
    for w in &config.warnings {
        tracing::warn!("{}: {w}", path.display());
    }
    if config.daemon.database != old.config.daemon.database {
        tracing::warn!(
            old = %old.config.daemon.database.display(),
            new = %config.daemon.database.display(),
            "daemon.database changed: takes effect at the next restart"
        );
    }
    if config.server.listen != old.config.server.listen {
        tracing::warn!(
            old = %old.config.server.listen,
            new = %config.server.listen,
            "server.listen changed: takes effect at the next restart"
        );
    }
    let (sources, rules) = (config.sources.len(), config.rules.len());
    let mut d = match Daemon::build(
        config,
        old.db.clone(),
        old.published.clone(),
        old.metrics.clone(),
    ) {
        Ok(d) => d,
        Err(e) => return reload_refused(shared, &e),
    };
    d.alerts.adopt(&old.alerts);
    *current.write().unwrap_or_else(|p| p.into_inner()) = d.clone();
    *serve_publisher.write().unwrap_or_else(|p| p.into_inner()) = d.publisher.clone();
    // Polls under way finish with the config they started with.
    let replaced = std::mem::replace(
        scheduler,
        match schedule(&d, &shared.notifier, tx.clone()).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot schedule the reloaded sources");
                shared.notifier.ready();
                return;
            }
        },
    );
    replaced.shutdown().await;
    match d.reclassify_if_changed().await {
        Ok(Some(r)) => {
            tracing::info!(
                changed = r.changed,
                "stored items re-classified with the new rules"
            )
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "re-classification failed"),
    }
    if let Err(e) = queue_overdue(&d, tx).await {
        tracing::error!(error = %e, "cannot queue the reloaded sources");
    }
    shared.publish_needed.notify_one();
    // Channels added or removed take effect now (a removed one's alerts are dropped).
    shared.alerts_wake.notify_one();
    tracing::info!(sources, rules, config = %path.display(), "config reloaded");
    shared.notifier.ready();
    update_status(current, shared).await;
}
