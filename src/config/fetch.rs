//! `[fetch]`, validated (see `validate/fetch.rs`): limits, politeness, server hints,
//! proxies, backoff.

use std::time::Duration;

use crate::fetch::{Limits, Proxy, SourceFetch};
use crate::poll::Retry;

/// The validated `[fetch]` table.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Defaults for every source.
    pub limits: Limits,
    /// Minimum time between two requests to the same host.
    pub host_spacing: Duration,
    /// Cache-Control / Expires / RSS `<ttl>` may defer a poll by at most this.
    pub max_defer: Duration,
    /// First delay after a failure; doubles with each consecutive failure.
    pub backoff_base: Duration,
    /// Longest delay after failures.
    pub backoff_cap: Duration,
    /// Longest wait a 429/503 `Retry-After` can impose.
    pub retry_after_cap: Duration,
    pub proxy: Proxy,
    /// Derived URLs (links, next pages, redirects) may reach loopback, private and
    /// other internal addresses (intranet setups). Off by default.
    pub allow_private: bool,
}

impl Default for FetchConfig {
    fn default() -> Self {
        let retry = Retry::default();
        FetchConfig {
            limits: Limits::default(),
            host_spacing: Duration::from_secs(1),
            max_defer: Duration::from_secs(3600),
            backoff_base: retry.backoff_base,
            backoff_cap: retry.backoff_cap,
            retry_after_cap: retry.retry_after_cap,
            proxy: Proxy::FromEnv,
            allow_private: false,
        }
    }
}

impl FetchConfig {
    /// The settings of a source that overrides nothing.
    pub fn for_source(&self) -> SourceFetch {
        SourceFetch {
            limits: self.limits.clone(),
            proxy: self.proxy.clone(),
            allow_private: self.allow_private,
        }
    }

    /// How polls back off after failures and how long a server may make them wait.
    pub fn retry(&self) -> Retry {
        Retry {
            backoff_base: self.backoff_base,
            backoff_cap: self.backoff_cap,
            retry_after_cap: self.retry_after_cap,
        }
    }
}

/// Parses a byte size: `"8 MiB"`, `"500 KB"`, `"1048576"`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| format!("`{s}` is not a byte size such as \"8 MiB\" or \"500 KB\": {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(parse_size("8 MiB"), Ok(8 * 1024 * 1024));
        assert_eq!(parse_size("500 KB"), Ok(500_000));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert!(parse_size("lots").is_err());
    }
}
