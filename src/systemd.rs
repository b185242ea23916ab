//! systemd integration: `sd_notify` messages (READY, STATUS, WATCHDOG, RELOADING,
//! STOPPING). Outside systemd (`NOTIFY_SOCKET` unset) every call is a no-op.
//!
//! The watchdog keep-alive is not sent from a timer of its own: the daemon sends it when
//! the scheduler's heartbeat tick reaches its dispatcher loop, so a stuck scheduler or a
//! stuck loop stops the keep-alives and systemd restarts the service, while a healthy
//! idle daemon keeps them coming.

use std::time::Duration;

use sd_notify::NotifyState;

/// Talks to the service manager.
#[derive(Debug, Clone, Default)]
pub(crate) struct Notifier {
    /// `WatchdogSec=` as passed in `WATCHDOG_USEC`, if this process is the watched one.
    watchdog: Option<Duration>,
}

impl Notifier {
    pub(crate) fn from_env() -> Notifier {
        Notifier {
            watchdog: sd_notify::watchdog_enabled(),
        }
    }

    fn send(&self, states: &[NotifyState]) {
        if let Err(e) = sd_notify::notify(states) {
            tracing::debug!(error = %e, "sd_notify failed");
        }
    }

    /// Startup is finished: the database is migrated and the server listens.
    pub(crate) fn ready(&self) {
        self.send(&[NotifyState::Ready]);
    }

    /// A reload begins (followed by [`ready`](Self::ready) when it is done).
    pub(crate) fn reloading(&self) {
        let mut states = vec![NotifyState::Reloading];
        if let Ok(now) = NotifyState::monotonic_usec_now() {
            states.push(now);
        }
        self.send(&states);
    }

    pub(crate) fn stopping(&self) {
        self.send(&[NotifyState::Stopping]);
    }

    /// One line for `systemctl status`.
    pub(crate) fn status(&self, line: &str) {
        self.send(&[NotifyState::Status(line)]);
    }

    /// Watchdog keep-alive.
    pub(crate) fn watchdog(&self) {
        if self.watchdog.is_some() {
            self.send(&[NotifyState::Watchdog]);
        }
    }

    /// The cron expression for the scheduler's heartbeat: three times per watchdog
    /// interval (every second at most, every 20 s at least), or every 20 s without one
    /// (the heartbeat also tells `/healthz` that the scheduler is alive).
    pub(crate) fn heartbeat_schedule(&self) -> String {
        let secs = self
            .watchdog
            .map(|d| (d.as_secs() / 3).clamp(1, 20))
            .unwrap_or(20);
        format!("*/{secs} * * * * *")
    }

    /// How long without a heartbeat means the scheduler is stuck.
    pub(crate) fn heartbeat_timeout(&self) -> Duration {
        let secs = self
            .watchdog
            .map(|d| (d.as_secs() / 3).clamp(1, 20))
            .unwrap_or(20);
        Duration::from_secs(secs * 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_is_three_times_per_watchdog_interval() {
        let n = Notifier {
            watchdog: Some(Duration::from_secs(60)),
        };
        assert_eq!(n.heartbeat_schedule(), "*/20 * * * * *");
        let n = Notifier {
            watchdog: Some(Duration::from_secs(2)),
        };
        assert_eq!(n.heartbeat_schedule(), "*/1 * * * * *");
        assert!(crate::schedule::parse_cron(&n.heartbeat_schedule()).is_ok());
        assert_eq!(Notifier::default().heartbeat_schedule(), "*/20 * * * * *");
    }
}
