//! Politeness: one request at a time per host, with a minimum spacing between them.
//!
//! Every fetch, whichever stage asks for it (feeds, listing pages, item pages), takes
//! the host's permit first. The permits are FIFO (tokio's fair mutex), so no request
//! starves, and the spacing is measured from the end of the previous request to the
//! start of the next one. Time is tokio's, so tests run it paused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

type Slot = Arc<tokio::sync::Mutex<Option<Instant>>>;

/// The per-host locks.
#[derive(Debug)]
pub struct HostGate {
    spacing: Duration,
    hosts: Mutex<HashMap<String, Slot>>,
}

/// Held while talking to a host; dropping it stamps the end of the request.
#[derive(Debug)]
pub struct HostPermit {
    guard: OwnedMutexGuard<Option<Instant>>,
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        *self.guard = Some(Instant::now());
    }
}

impl HostGate {
    pub fn new(spacing: Duration) -> HostGate {
        HostGate {
            spacing,
            hosts: Mutex::default(),
        }
    }

    /// Waits until no other request to `host` runs and `spacing` has passed since the
    /// last one ended.
    pub async fn acquire(&self, host: &str) -> HostPermit {
        let slot = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            // Forget idle hosts now and then so the map stays as small as the source list.
            if hosts.len() > 4096 {
                hosts.retain(|_, s| Arc::strong_count(s) > 1);
            }
            hosts.entry(host.to_ascii_lowercase()).or_default().clone()
        };
        let guard = slot.lock_owned().await;
        if let Some(last) = *guard {
            tokio::time::sleep_until(last + self.spacing).await;
        }
        HostPermit { guard }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn same_host_waits_for_the_spacing_other_hosts_do_not() {
        let gate = Arc::new(HostGate::new(Duration::from_secs(1)));
        let t0 = Instant::now();
        drop(gate.acquire("a.example").await);
        drop(gate.acquire("b.example").await);
        assert_eq!(t0.elapsed(), Duration::ZERO, "first visits do not wait");
        drop(gate.acquire("A.example").await);
        assert_eq!(t0.elapsed(), Duration::from_secs(1), "host names fold case");
    }

    #[tokio::test(start_paused = true)]
    async fn one_request_at_a_time_per_host() {
        let gate = Arc::new(HostGate::new(Duration::from_millis(500)));
        let t0 = Instant::now();
        let first = gate.acquire("a.example").await;
        let g = gate.clone();
        let second = tokio::spawn(async move {
            let _p = g.acquire("a.example").await;
            Instant::now()
        });
        // The first request takes 3 s; the second may start 0.5 s after it ends.
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(first);
        let started = second.await.unwrap();
        assert_eq!(started - t0, Duration::from_millis(3500));
    }
}
