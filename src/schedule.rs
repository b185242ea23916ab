//! Schedule: when each source is polled.
//!
//! One task holds every job (one per source, on the source's cron expression: six
//! fields, seconds first, UTC; the heartbeat; retention) in a queue ordered by the next
//! time each fires, and sleeps until the first of them. A job only sends its tick down
//! a channel: the daemon's dispatcher decides whether to poll (not while a poll of that
//! source is still running; not before the source's `next_due` when a server asked us
//! to wait). The scheduler keeps nothing across restarts, so at start every source
//! whose next cron time after its last poll has passed is polled at once.
//!
//! It replaced tokio-cron-scheduler, which woke every 500 ms to walk every job (with
//! 10,000 sources, 20,000 job visits a second of an idle daemon) and kept some 7 MB of
//! job records, locks and boxed closures for them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

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
pub struct ScheduleError(String);

/// The scheduler sleeps at most this long at once, then reads the clock again: a wall
/// clock set forward (or a resumed machine) is noticed within this, not at the next
/// planned time.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// The running scheduler.
pub(crate) struct Scheduler {
    task: tokio::task::JoinHandle<()>,
}

/// One cron job: its expression and what it sends.
struct Job {
    expr: String,
    tick: Tick,
}

impl Scheduler {
    /// Starts one job per enabled source and one per `(cron, tick)` in `extra`
    /// (heartbeat, retention).
    pub(crate) async fn start(
        sources: &[Source],
        extra: &[(String, Tick)],
        tx: mpsc::Sender<Tick>,
    ) -> Result<Scheduler, ScheduleError> {
        let jobs: Vec<Job> = sources
            .iter()
            .filter(|s| s.enabled)
            .map(|s| Job {
                expr: s.schedule.clone(),
                tick: Tick::Source(s.id.clone()),
            })
            .chain(extra.iter().map(|(expr, tick)| Job {
                expr: expr.clone(),
                tick: tick.clone(),
            }))
            .collect();
        for job in &jobs {
            parse_cron(&job.expr).map_err(ScheduleError)?;
        }
        Ok(Scheduler {
            task: tokio::spawn(run(jobs, tx, Utc::now)),
        })
    }

    /// Stops firing. Running polls are the dispatcher's to wait for.
    pub(crate) async fn shutdown(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Fires `jobs` on `clock`'s time: each at every time its expression gives, strictly
/// after the time it was planned at (a missed time fires once, late, not once per
/// time missed). A full channel drops the tick: the dispatcher is busy with this
/// backlog already, and the source's next tick or overdue check catches up.
async fn run(jobs: Vec<Job>, tx: mpsc::Sender<Tick>, clock: impl Fn() -> DateTime<Utc>) {
    let mut now = clock();
    let mut queue: BinaryHeap<Reverse<(DateTime<Utc>, usize)>> = jobs
        .iter()
        .enumerate()
        .filter_map(|(n, job)| Some(Reverse((next_after(&job.expr, now)?, n))))
        .collect();
    loop {
        while let Some(&Reverse((at, n))) = queue.peek() {
            if at > now {
                break;
            }
            queue.pop();
            if tx.try_send(jobs[n].tick.clone()).is_err() && tx.is_closed() {
                return;
            }
            if let Some(next) = next_after(&jobs[n].expr, now.max(at)) {
                queue.push(Reverse((next, n)));
            }
        }
        let Some(&Reverse((first, _))) = queue.peek() else {
            return;
        };
        let wait = (first - now).to_std().unwrap_or_default().min(MAX_SLEEP);
        tokio::time::sleep(wait).await;
        now = clock();
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

    /// An idle hour on a faked clock: every job fires at each of its times, on time,
    /// and the scheduler wakes only for them (the heartbeat's 180), not on a polling
    /// interval (tokio-cron-scheduler's 500 ms was 7,200 wake-ups an hour).
    #[tokio::test(start_paused = true)]
    async fn fires_each_job_on_time_and_wakes_only_when_one_is_due() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let base = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 5).unwrap();
        let start = tokio::time::Instant::now();
        let clock = move || base + chrono::Duration::from_std(start.elapsed()).unwrap();
        let looks = Arc::new(AtomicUsize::new(0));
        let counted = {
            let looks = looks.clone();
            move || {
                looks.fetch_add(1, Ordering::SeqCst);
                clock()
            }
        };
        let mut jobs: Vec<Job> = (0..3)
            .map(|i| Job {
                expr: "0 */10 * * * *".into(),
                tick: Tick::Source(format!("s{i}")),
            })
            .collect();
        jobs.push(Job {
            expr: "*/20 * * * * *".into(),
            tick: Tick::Heartbeat,
        });
        let (tx, mut rx) = mpsc::channel(4096);
        let task = tokio::spawn(run(jobs, tx, counted));
        let got = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(t) = rx.recv().await {
                got.push((clock(), t));
            }
            got
        });
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        task.abort();
        let _ = task.await;
        let got = got.await.unwrap();
        let beats: Vec<_> = got.iter().filter(|(_, t)| *t == Tick::Heartbeat).collect();
        assert_eq!(beats.len(), 180);
        assert!(
            beats.iter().all(|(at, _)| at.timestamp() % 20 == 0),
            "{beats:?}"
        );
        for i in 0..3 {
            let polls: Vec<_> = got
                .iter()
                .filter(|(_, t)| *t == Tick::Source(format!("s{i}")))
                .map(|(at, _)| *at)
                .collect();
            let want: Vec<_> = (1..=6)
                .map(|k| {
                    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
                        + chrono::Duration::minutes(10 * k)
                })
                .collect();
            assert_eq!(polls, want);
        }
        // One look at the clock at start, one per wake-up.
        assert_eq!(looks.load(Ordering::SeqCst), 1 + 180);
    }

    /// Without a job due for an hour the scheduler still looks at the clock once a
    /// minute at most ([`MAX_SLEEP`]), no more.
    #[tokio::test(start_paused = true)]
    async fn a_quiet_hour_is_a_look_a_minute() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let base = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 5).unwrap();
        let start = tokio::time::Instant::now();
        let looks = Arc::new(AtomicUsize::new(0));
        let counted = {
            let looks = looks.clone();
            move || {
                looks.fetch_add(1, Ordering::SeqCst);
                base + chrono::Duration::from_std(start.elapsed()).unwrap()
            }
        };
        let jobs = vec![Job {
            expr: "0 0 3 * * *".into(),
            tick: Tick::Retention,
        }];
        let (tx, mut rx) = mpsc::channel(16);
        let task = tokio::spawn(run(jobs, tx, counted));
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        task.abort();
        let _ = task.await;
        assert!(rx.try_recv().is_err());
        let n = looks.load(Ordering::SeqCst);
        assert!((60..=62).contains(&n), "{n} looks at the clock in an hour");
    }
}
