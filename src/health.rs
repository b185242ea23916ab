//! Liveness for `/healthz`: the scheduler's heartbeat, whether the output files are
//! being written, and (in `serve`) a database write probe.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// When the scheduler last showed it was alive, how long silence is tolerated, and
/// whether the last publish could write its files.
#[derive(Debug, Clone)]
pub struct Health {
    last_beat: Arc<AtomicI64>,
    timeout: Duration,
    output: Arc<Mutex<Option<WriteFailure>>>,
}

/// The output files could not be written (the documents are served from memory).
#[derive(Debug, Clone, PartialEq)]
pub struct WriteFailure {
    /// The last error, naming the path.
    pub error: String,
    /// When the first of these consecutive failures happened.
    pub since: DateTime<Utc>,
    /// How many writes failed in a row.
    pub failures: u32,
    /// When the write is tried again.
    pub retry_at: DateTime<Utc>,
}

impl Health {
    /// A health record that counts as alive for `timeout` from now.
    pub fn new(timeout: Duration) -> Health {
        Health::with_last_beat(Utc::now().timestamp(), timeout)
    }

    /// A health record whose last heartbeat was at `unix_secs`.
    pub fn with_last_beat(unix_secs: i64, timeout: Duration) -> Health {
        Health {
            last_beat: Arc::new(AtomicI64::new(unix_secs)),
            timeout,
            output: Arc::default(),
        }
    }

    /// The scheduler's heartbeat reached the dispatcher.
    pub fn beat(&self) {
        self.last_beat
            .store(Utc::now().timestamp(), Ordering::SeqCst);
    }

    /// `Err(reason)` when the heartbeat has been silent too long.
    pub fn scheduler(&self) -> Result<(), String> {
        self.scheduler_at(Utc::now().timestamp())
    }

    /// [`scheduler`](Self::scheduler) as of `now` (Unix seconds).
    fn scheduler_at(&self, now: i64) -> Result<(), String> {
        let silent = now - self.last_beat.load(Ordering::SeqCst);
        if silent > self.timeout.as_secs() as i64 {
            Err(format!(
                "scheduler: no heartbeat for {silent} s (expected every {} s at most)",
                self.timeout.as_secs()
            ))
        } else {
            Ok(())
        }
    }
}

impl Health {
    /// A write of the output files failed with `error`; it is tried again after
    /// `retry_in`. Returns how many writes have failed in a row.
    pub fn output_failed(&self, error: String, retry_in: Duration) -> u32 {
        let now = Utc::now();
        let mut o = self.output.lock().unwrap_or_else(|p| p.into_inner());
        let (since, failures) = o
            .as_ref()
            .map_or((now, 1), |f| (f.since, f.failures.saturating_add(1)));
        *o = Some(WriteFailure {
            error,
            since,
            failures,
            retry_at: now + chrono::Duration::from_std(retry_in).unwrap_or_default(),
        });
        failures
    }

    /// The output files were written.
    pub fn output_written(&self) {
        *self.output.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The current write failure, if the last write failed.
    pub fn output_failure(&self) -> Option<WriteFailure> {
        self.output
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// `Err(reason)` while the output files cannot be written.
    pub fn output(&self) -> Result<(), String> {
        match self.output_failure() {
            None => Ok(()),
            Some(f) => Err(format!(
                "output not written: {} ({} failed writes since {}; next try at {}; the \
                 documents are served from memory)",
                f.error,
                f.failures,
                f.since.format("%H:%M:%S UTC"),
                f.retry_at.format("%H:%M:%S UTC"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_beyond_the_timeout_is_unhealthy() {
        let h = Health::new(Duration::from_secs(60));
        assert!(h.scheduler().is_ok());
        // A fixed clock: read twice, the real one may tick between the two reads.
        let beat = Utc::now().timestamp() - 600;
        h.last_beat.store(beat, Ordering::SeqCst);
        assert!(h.scheduler_at(beat + 60).is_ok());
        let silent = h.scheduler_at(beat + 61).unwrap_err();
        assert!(silent.contains("no heartbeat for 61 s"), "{silent}");
        assert!(h.scheduler().is_err());
        h.beat();
        assert!(h.scheduler().is_ok());
    }

    #[test]
    fn a_failed_write_is_unhealthy_until_a_write_succeeds() {
        let h = Health::new(Duration::from_secs(60));
        assert!(h.output().is_ok());
        assert_eq!(
            h.output_failed("disk full".into(), Duration::from_secs(1)),
            1
        );
        assert_eq!(
            h.output_failed("disk full".into(), Duration::from_secs(2)),
            2
        );
        let reason = h.output().unwrap_err();
        assert!(
            reason.starts_with("output not written: disk full (2 failed writes since "),
            "{reason}"
        );
        h.output_written();
        assert!(h.output().is_ok());
    }
}
