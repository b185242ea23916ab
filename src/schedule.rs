//! Schedule: when each source is polled.
//!
//! tokio-cron-scheduler fires one job per distinct cron expression of the sources (six
//! fields, seconds first, UTC), for all the sources that share it. A job only sends each
//! source id down a channel: the
//! daemon's dispatcher decides whether to poll (not while a poll of that source is still
//! running; not before the source's `next_due` when a server asked us to wait). The
//! scheduler keeps nothing across restarts, so at start every source whose next cron
//! time after its last poll has passed is polled at once.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::source::Source;

/// Checks a cron expression the way the scheduler will read it (six fields, seconds
/// first), returning a message fit for an operator.
pub(crate) fn parse_cron(expr: &str) -> Result<croner::Cron, String> {
    // Thousands of sources share a handful of schedules (most the default): each is
    // parsed once per thread, not once per source at every load and overdue check.
    thread_local! {
        static PARSED: std::cell::RefCell<std::collections::HashMap<String, Result<croner::Cron, String>>> =
            std::cell::RefCell::default();
    }
    const KEEP: usize = 64;
    PARSED.with_borrow_mut(|parsed| {
        if let Some(known) = parsed.get(expr) {
            return known.clone();
        }
        let result = parse_cron_uncached(expr);
        if parsed.len() >= KEEP {
            parsed.clear();
        }
        parsed.insert(expr.to_string(), result.clone());
        result
    })
}

fn parse_cron_uncached(expr: &str) -> Result<croner::Cron, String> {
    let fields = expr.split_whitespace().count();
    if fields != 6 {
        return Err(format!(
            "`{expr}` has {fields} fields; tocsin needs 6 (seconds first, UTC), e.g. \"0 */10 * * * *\""
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| format!("`{expr}` is not a valid cron expression: {e}"))
}

/// What the scheduler tells the dispatcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tick {
    /// Time to poll this source.
    Source(String),
    /// The scheduler is alive (drives the systemd watchdog and `/healthz`).
    Heartbeat,
    /// Time to prune old items (retention).
    Retention,
}

/// The next time `schedule` fires strictly after `after`.
pub(crate) fn next_after(schedule: &str, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    parse_cron(schedule)
        .ok()?
        .find_next_occurrence(&after, false)
        .ok()
}

/// Whether a source last polled at `last_poll` has missed a scheduled poll by `now`.
pub(crate) fn is_overdue(
    schedule: &str,
    last_poll: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    match last_poll {
        None => true,
        Some(last) => next_after(schedule, last).is_none_or(|next| next <= now),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("scheduler: {0}")]
pub struct ScheduleError(#[from] JobSchedulerError);

/// The running cron scheduler.
pub(crate) struct Scheduler {
    inner: JobScheduler,
}

/// The enabled sources (their positions in `sources`) grouped by schedule, each group
/// in config order, the groups in the order their first source appears.
fn by_schedule(sources: &[Source]) -> Vec<(&str, Vec<u32>)> {
    let mut groups: Vec<(&str, Vec<u32>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (k, s) in sources.iter().enumerate().filter(|(_, s)| s.enabled) {
        let i = *index.entry(&s.schedule).or_insert_with(|| {
            groups.push((&s.schedule, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(k as u32);
    }
    groups
}

impl Scheduler {
    /// Starts one job per distinct schedule of the enabled sources, which ticks each of
    /// them, and one per `(cron, tick)` in `extra` (heartbeat, retention).
    ///
    /// One job per schedule rather than per source: tokio-cron-scheduler looks at every
    /// job on each of its ticks (twice a second), so 10,000 sources as 10,000 jobs kept
    /// an idle daemon walking 20,000 jobs a second and holding a record, a lock and a
    /// boxed closure for each; sources share a handful of schedules. A job keeps the
    /// config's sources (shared, not copied) and the positions of its own.
    pub(crate) async fn start(
        sources: &Arc<[Source]>,
        extra: &[(String, Tick)],
        tx: mpsc::Sender<Tick>,
    ) -> Result<Scheduler, ScheduleError> {
        let inner = JobScheduler::new().await?;
        for (expr, members) in by_schedule(sources) {
            let (tx, sources, members) = (tx.clone(), sources.clone(), Arc::<[u32]>::from(members));
            let job = Job::new_async(expr, move |_, _| {
                let (sources, members, tx) = (sources.clone(), members.clone(), tx.clone());
                Box::pin(async move {
                    for &k in members.iter() {
                        // A full channel means the dispatcher is busy with this backlog
                        // already; the source's next tick or overdue check catches up.
                        let _ = tx.try_send(Tick::Source(sources[k as usize].id.clone()));
                    }
                })
            })?;
            inner.add(job).await?;
        }
        for (expr, tick) in extra {
            let (tx, tick) = (tx.clone(), tick.clone());
            let job = Job::new_async(expr.as_str(), move |_, _| {
                let (tx, tick) = (tx.clone(), tick.clone());
                Box::pin(async move {
                    let _ = tx.try_send(tick);
                })
            })?;
            inner.add(job).await?;
        }
        inner.start().await?;
        Ok(Scheduler { inner })
    }

    /// Stops firing. Running polls are the dispatcher's to wait for.
    pub(crate) async fn shutdown(mut self) {
        if let Err(e) = self.inner.shutdown().await {
            tracing::warn!(error = %e, "scheduler did not stop cleanly");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn overdue_when_a_tick_was_missed() {
        let t = |h, m| Utc.with_ymd_and_hms(2026, 5, 1, h, m, 0).unwrap();
        let every10 = "0 */10 * * * *";
        assert!(is_overdue(every10, None, t(0, 0)));
        assert!(!is_overdue(every10, Some(t(10, 1)), t(10, 9)));
        assert!(is_overdue(every10, Some(t(10, 1)), t(10, 10)));
        assert_eq!(next_after(every10, t(10, 1)), Some(t(10, 10)));
    }

    fn source(id: &str, schedule: &str, enabled: bool) -> Source {
        Source {
            id: id.into(),
            title: id.into(),
            url: url::Url::parse("http://example.org/feed").unwrap(),
            language: None,
            schedule: schedule.into(),
            enabled,
            trust: 0,
            fetch: Default::default(),
            max_defer: std::time::Duration::from_secs(3600),
            kind: Default::default(),
        }
    }

    /// 10,000 sources on three schedules are three jobs, each ticking its sources in
    /// config order; a disabled source is ticked by none.
    #[test]
    fn one_job_per_schedule_ticks_its_sources() {
        let schedules = ["0 */10 * * * *", "0 0 * * * *", "30 */5 * * * *"];
        let mut sources: Vec<Source> = (0..10_000)
            .map(|i| source(&format!("s{i}"), schedules[i % 3], true))
            .collect();
        sources[4].enabled = false;
        let groups = by_schedule(&sources);
        assert_eq!(groups.len(), 3);
        for (k, (expr, members)) in groups.iter().enumerate() {
            assert_eq!(*expr, schedules[k]);
            let ids: Vec<&str> = members
                .iter()
                .map(|&i| sources[i as usize].id.as_str())
                .collect();
            let want: Vec<String> = (0..10_000)
                .filter(|i| i % 3 == k && *i != 4)
                .map(|i| format!("s{i}"))
                .collect();
            assert_eq!(ids, want);
        }
        assert!(by_schedule(&[source("off", schedules[0], false)]).is_empty());
    }
}
