//! Liveness for `/healthz`: the scheduler's heartbeat and a database write probe.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::Utc;

/// When the scheduler last showed it was alive, and how long silence is tolerated.
#[derive(Debug, Clone)]
pub struct Health {
    last_beat: Arc<AtomicI64>,
    timeout: Duration,
}

impl Health {
    /// A health record that counts as alive for `timeout` from now.
    pub fn new(timeout: Duration) -> Health {
        Health {
            last_beat: Arc::new(AtomicI64::new(Utc::now().timestamp())),
            timeout,
        }
    }

    /// A health record whose last heartbeat was at `unix_secs`.
    pub fn with_last_beat(unix_secs: i64, timeout: Duration) -> Health {
        Health {
            last_beat: Arc::new(AtomicI64::new(unix_secs)),
            timeout,
        }
    }

    /// The scheduler's heartbeat reached the dispatcher.
    pub fn beat(&self) {
        self.last_beat
            .store(Utc::now().timestamp(), Ordering::SeqCst);
    }

    /// `Err(reason)` when the heartbeat has been silent too long.
    pub fn scheduler(&self) -> Result<(), String> {
        let silent = Utc::now().timestamp() - self.last_beat.load(Ordering::SeqCst);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_beyond_the_timeout_is_unhealthy() {
        let h = Health::new(Duration::from_secs(60));
        assert!(h.scheduler().is_ok());
        h.last_beat
            .store(Utc::now().timestamp() - 61, Ordering::SeqCst);
        assert!(h.scheduler().unwrap_err().contains("no heartbeat for 61 s"));
        h.beat();
        assert!(h.scheduler().is_ok());
    }
}
