//! WebSub publisher side (W3C Recommendation): after a publish that changed the urgent
//! feed, tell each configured hub which topic URLs changed, so subscribers get urgent
//! items in seconds rather than at their reader's next poll.
//!
//! A ping is `POST hub` with `hub.mode=publish&hub.url=TOPIC` (form-encoded), one per
//! topic. A failed ping is retried twice (after 2 s and 4 s) and then logged; it never
//! delays a publish.
//!
//! Hubs are configured URLs, trusted as written; nothing else is. A ping goes through
//! the `[fetch] proxy` (so `proxy = "none"` means no proxy, whatever `HTTP_PROXY`
//! says) and never follows a redirect: a hub answering 3xx would otherwise have the
//! POST replayed to a host of its choosing. A redirect is a failed ping, logged with
//! its target, and not retried.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use url::Url;

use crate::fetch::Proxy;

/// Pings hubs.
#[derive(Debug, Clone)]
pub struct Pinger {
    /// The client, or why it could not be built (logged at each ping, never a panic):
    /// built at the first ping, so that a process without hubs (or that pings none)
    /// does not hold a TLS configuration and its root certificates.
    client: Arc<OnceLock<Result<reqwest::Client, String>>>,
    user_agent: String,
    proxy: Proxy,
    hubs: Vec<Url>,
}

/// Which changed paths are WebSub topics: the urgent selections, in every format.
pub fn is_topic(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let file = match parts.as_slice() {
        [f] | ["lang", _, f] => *f,
        _ => return false,
    };
    matches!(file, "urgent.atom" | "urgent.rss" | "urgent.json")
}

impl Pinger {
    /// Pings `hubs` through `proxy` (the `[fetch] proxy`).
    pub fn new(user_agent: &str, hubs: Vec<Url>, proxy: &Proxy) -> Pinger {
        Pinger {
            client: Arc::default(),
            user_agent: user_agent.to_string(),
            proxy: proxy.clone(),
            hubs,
        }
    }

    fn client(&self) -> &Result<reqwest::Client, String> {
        self.client.get_or_init(|| {
            crate::fetch::client_builder(&self.user_agent, Duration::from_secs(10), &self.proxy)
                .and_then(|b| {
                    b.timeout(Duration::from_secs(20))
                        .build()
                        .map_err(|e| format!("cannot build the HTTP client: {e}"))
                })
        })
    }

    pub fn is_enabled(&self) -> bool {
        !self.hubs.is_empty()
    }

    /// Pings every hub for every topic URL; returns how many pings were accepted.
    pub async fn ping(&self, topics: &[String]) -> usize {
        let mut ok = 0;
        for hub in &self.hubs {
            for topic in topics {
                if self.ping_one(hub, topic).await {
                    ok += 1;
                }
            }
        }
        ok
    }

    async fn ping_one(&self, hub: &Url, topic: &str) -> bool {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("hub.mode", "publish")
            .append_pair("hub.url", topic)
            .finish();
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(hub = %hub, topic, error = %e, "WebSub ping failed");
                return false;
            }
        };
        let mut delay = Duration::from_secs(2);
        for attempt in 1..=3 {
            let res = client
                .post(hub.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body.clone())
                .send()
                .await;
            match res {
                Ok(r) if r.status().is_success() => {
                    tracing::info!(hub = %hub, topic, "WebSub hub notified");
                    return true;
                }
                Ok(r) if r.status().is_redirection() => {
                    let location = r
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("none")
                        .to_string();
                    tracing::warn!(
                        hub = %hub, topic, status = r.status().as_u16(), location,
                        "WebSub ping failed: the hub answered with a redirect, which pings never follow (the POST is not sent elsewhere); configure the hub's final address in websub.hubs"
                    );
                    return false;
                }
                Ok(r) => {
                    tracing::warn!(hub = %hub, topic, status = r.status().as_u16(), attempt, "WebSub hub refused the ping")
                }
                Err(e) => {
                    tracing::warn!(hub = %hub, topic, error = %e, attempt, "WebSub ping failed")
                }
            }
            if attempt < 3 {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_the_urgent_feeds() {
        assert!(is_topic("urgent.atom"));
        assert!(is_topic("lang/ro/urgent.rss"));
        assert!(!is_topic("urgent.html"));
        assert!(!is_topic("all.atom"));
        assert!(!is_topic("sources/urgent.atom"));
    }
}
