//! Metrics in the Prometheus/OpenMetrics text format (`/metrics`), with the
//! prometheus-client crate (the Prometheus project's Rust client: typed metric families,
//! no global registry, so every daemon and test has its own).
//!
//! Counters and histograms are updated as things happen (polls, publishes, requests);
//! the per-source gauges that the database already knows (last success, consecutive
//! failures, item counts) are refreshed from it at each scrape, so they are right even
//! for sources this process has not polled yet.

use std::collections::HashMap;
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::store::{SourceState, Store, StoreError};

/// The content type of [`Metrics::render`]'s output.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabel {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PollLabel {
    source: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AlertLabel {
    channel: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

type HistogramFamily = Family<SourceLabel, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    // 10 ms to about 40 s.
    Histogram::new(exponential_buckets(0.01, 2.0, 13))
}

/// Every metric tocsin exports.
pub struct Metrics {
    registry: Mutex<Registry>,
    last_success: Family<SourceLabel, Gauge>,
    failures: Family<SourceLabel, Gauge>,
    source_items: Family<SourceLabel, Gauge>,
    source_urgent: Family<SourceLabel, Gauge>,
    fetch_duration: HistogramFamily,
    polls: Family<PollLabel, Counter>,
    items: Gauge,
    urgent_items: Gauge,
    publishes: Family<OutcomeLabel, Counter>,
    http_requests: Family<StatusLabel, Counter>,
    http_connections: Gauge,
    http_connections_closed: Family<ReasonLabel, Counter>,
    output_write_failures: Gauge,
    output_last_written: Gauge,
    alerts: Family<AlertLabel, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let m = Metrics {
            registry: Mutex::new(Registry::with_prefix("tocsin")),
            last_success: Family::default(),
            failures: Family::default(),
            source_items: Family::default(),
            source_urgent: Family::default(),
            fetch_duration: Family::new_with_constructor(duration_histogram),
            polls: Family::default(),
            items: Gauge::default(),
            urgent_items: Gauge::default(),
            publishes: Family::default(),
            http_requests: Family::default(),
            http_connections: Gauge::default(),
            http_connections_closed: Family::default(),
            output_write_failures: Gauge::default(),
            output_last_written: Gauge::default(),
            alerts: Family::default(),
        };
        m.register_sources();
        m.register_totals();
        m
    }

    /// The per-source series.
    fn register_sources(&self) {
        let mut r = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        r.register(
            "source_last_success_timestamp_seconds",
            "Unix time of the source's last successful poll",
            self.last_success.clone(),
        );
        r.register(
            "source_consecutive_failures",
            "Failed polls of the source since its last success",
            self.failures.clone(),
        );
        r.register(
            "source_items",
            "Items stored for the source",
            self.source_items.clone(),
        );
        r.register(
            "source_urgent_items",
            "Urgent items stored for the source",
            self.source_urgent.clone(),
        );
        r.register(
            "source_poll_duration_seconds",
            "Time to fetch, parse and store one poll of the source",
            self.fetch_duration.clone(),
        );
        r.register(
            "source_polls",
            "Polls of the source by outcome",
            self.polls.clone(),
        );
    }

    /// The totals: items, publishes, HTTP, output writes.
    fn register_totals(&self) {
        let mut r = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        r.register(
            "alert_messages",
            "Alert messages per channel and state (sent, failed, pending, queued for a digest)",
            self.alerts.clone(),
        );
        r.register("items", "Items stored", self.items.clone());
        r.register(
            "urgent_items",
            "Urgent items stored",
            self.urgent_items.clone(),
        );
        r.register("publishes", "Publishes by outcome", self.publishes.clone());
        r.register(
            "http_requests",
            "HTTP requests served, by status code",
            self.http_requests.clone(),
        );
        r.register(
            "http_connections",
            "HTTP connections open now",
            self.http_connections.clone(),
        );
        r.register(
            "http_connections_shed",
            "HTTP connections closed at the connection cap: `evicted` (the one idle the \
             longest, to make room) or `refused` (every connection busy)",
            self.http_connections_closed.clone(),
        );
        r.register(
            "output_write_failures",
            "Writes of output.dir that failed in a row (0: the last one succeeded); the \
             documents are served from memory meanwhile",
            self.output_write_failures.clone(),
        );
        r.register(
            "output_last_written_timestamp_seconds",
            "Unix time of the last successful write of output.dir",
            self.output_last_written.clone(),
        );
    }

    /// Records one poll: its duration and outcome (`ok`, `not_modified`, `error`).
    pub fn record_poll(&self, source: &str, outcome: &str, seconds: f64) {
        self.fetch_duration
            .get_or_create(&SourceLabel {
                source: source.to_string(),
            })
            .observe(seconds);
        self.polls
            .get_or_create(&PollLabel {
                source: source.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
    }

    pub fn record_publish(&self, ok: bool) {
        self.publishes
            .get_or_create(&OutcomeLabel {
                outcome: if ok { "ok" } else { "error" }.to_string(),
            })
            .inc();
    }

    pub fn record_http(&self, status: u16) {
        self.http_requests
            .get_or_create(&StatusLabel {
                status: status.to_string(),
            })
            .inc();
    }

    /// A publish wrote `output.dir` (`ok`) or could not.
    pub fn record_output_write(&self, ok: bool) {
        if ok {
            self.output_write_failures.set(0);
            self.output_last_written.set(chrono::Utc::now().timestamp());
        } else {
            self.output_write_failures.inc();
        }
    }

    /// How many HTTP connections are open.
    pub fn set_connections(&self, n: usize) {
        self.http_connections.set(n as i64);
    }

    /// An idle connection was closed to make room for a new one.
    pub fn record_connection_evicted(&self) {
        self.http_connections_closed
            .get_or_create(&ReasonLabel {
                reason: "evicted".into(),
            })
            .inc();
    }

    /// A new connection was refused: every connection was busy.
    pub fn record_connection_rejected(&self) {
        self.http_connections_closed
            .get_or_create(&ReasonLabel {
                reason: "refused".into(),
            })
            .inc();
    }

    /// Sets the gauges the database knows: per-source state and item counts.
    pub fn refresh(&self, states: &[SourceState], counts: &HashMap<String, (i64, i64)>) {
        for s in states {
            let l = SourceLabel {
                source: s.id.clone(),
            };
            self.last_success
                .get_or_create(&l)
                .set(s.last_success.map(|t| t.timestamp()).unwrap_or(0));
            self.failures.get_or_create(&l).set(i64::from(s.failures));
        }
        let (mut all, mut urgent) = (0, 0);
        for (source, (n, u)) in counts {
            let l = SourceLabel {
                source: source.clone(),
            };
            self.source_items.get_or_create(&l).set(*n);
            self.source_urgent.get_or_create(&l).set(*u);
            all += n;
            urgent += u;
        }
        self.items.set(all);
        self.urgent_items.set(urgent);
    }

    /// Sets the alert gauges: messages per channel and state (`sent`, `failed`,
    /// `pending`, `queued` for a digest).
    pub fn refresh_alerts(&self, stats: &[crate::store::ChannelStats]) {
        for s in stats {
            for (state, n) in [
                ("sent", s.sent),
                ("failed", s.failed),
                ("pending", s.pending),
                ("queued", s.queued),
            ] {
                self.alerts
                    .get_or_create(&AlertLabel {
                        channel: s.channel.clone(),
                        state: state.to_string(),
                    })
                    .set(n);
            }
        }
    }

    /// Refreshes from the store, then renders every metric.
    pub fn scrape(&self, store: &Store) -> Result<String, StoreError> {
        let states = store.source_states()?;
        let counts = store.item_counts_by_source()?;
        self.refresh(&states, &counts);
        self.refresh_alerts(&store.alert_stats()?);
        Ok(self.render())
    }

    /// The OpenMetrics text of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let r = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        encode(&mut out, &r).expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_per_source_and_total_metrics() {
        let m = Metrics::new();
        m.record_poll("omct-en", "ok", 0.2);
        m.record_poll("omct-en", "error", 10.0);
        m.record_publish(true);
        m.record_http(200);
        m.record_http(304);
        m.refresh(
            &[SourceState {
                id: "omct-en".into(),
                failures: 3,
                ..Default::default()
            }],
            &HashMap::from([("omct-en".into(), (12, 4)), ("fidh".into(), (5, 1))]),
        );
        let text = m.render();
        for line in [
            "tocsin_source_consecutive_failures{source=\"omct-en\"} 3",
            "tocsin_source_items{source=\"fidh\"} 5",
            "tocsin_source_urgent_items{source=\"omct-en\"} 4",
            "tocsin_items 17",
            "tocsin_urgent_items 5",
            "tocsin_source_polls_total{source=\"omct-en\",outcome=\"error\"} 1",
            "tocsin_publishes_total{outcome=\"ok\"} 1",
            "tocsin_http_requests_total{status=\"304\"} 1",
            "tocsin_source_poll_duration_seconds_count{source=\"omct-en\"} 2",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
