//! The stages built from a validated config: one construction of each, so that the
//! daemon, `poll`, `render` and `inspect` fetch, classify and publish alike.

use std::sync::Arc;

use super::Config;
use crate::alert::Alerts;
use crate::classify::Classifier;
use crate::fetch::Fetcher;
use crate::publish::Publisher;
use crate::publish::websub::Pinger;

impl Config {
    /// The HTTP client every fetch goes through: the User-Agent, `daemon.concurrency`
    /// requests at once in all, `fetch.host_spacing` between two to one host.
    pub fn fetcher(&self) -> Fetcher {
        Fetcher::new(
            &self.daemon.user_agent,
            self.daemon.concurrency,
            self.fetch.host_spacing,
        )
    }

    /// The rules, compiled when the config was validated.
    pub fn classifier(&self) -> Arc<Classifier> {
        self.classifier.clone()
    }

    /// The renderer and writer of `[output]`, served at `server.public_url`.
    pub fn publisher(&self) -> Publisher {
        Publisher::new(
            &self.output,
            &self.server.public_url,
            &self.websub.hubs,
            &self.sources,
        )
    }

    /// The alert stage of `[smtp]` and `[[notify]]`; webhooks go through `fetch.proxy`.
    pub fn alerts(&self) -> Alerts {
        Alerts::new(
            self.notify.clone(),
            self.smtp.clone(),
            &self.sources,
            &self.server.public_url,
            &self.daemon.user_agent,
            &self.fetch.proxy,
        )
    }

    /// The WebSub hubs of `[websub]`, pinged through `fetch.proxy`.
    pub fn pinger(&self) -> Pinger {
        Pinger::new(
            &self.daemon.user_agent,
            self.websub.hubs.clone(),
            &self.fetch.proxy,
        )
    }
}
