//! `[fetch]` and the per-source overrides of it, validated.

use std::time::Duration;

use url::Url;

use super::super::fetch::{FetchConfig, parse_size};
use super::super::raw::{RawFetch, RawSource};
use super::{Checker, KeyPath, duration, root};
use crate::fetch::{Limits, Proxy, SourceFetch};

/// The largest byte size a config may give.
const MAX_SIZE: u64 = 1 << 30;

fn size(c: &mut Checker, key: KeyPath, value: Option<&str>, default: u64) -> u64 {
    match value.map(parse_size) {
        None => default,
        Some(Ok(0)) => {
            c.problem(key, "must be larger than 0");
            default
        }
        // A body is held in memory whole; a limit near u64::MAX overflowed.
        Some(Ok(n)) if n > MAX_SIZE => {
            c.problem(key, format!("{n} bytes is too large: at most 1 GiB"));
            default
        }
        Some(Ok(n)) => n,
        Some(Err(m)) => {
            c.problem(key, m);
            default
        }
    }
}

fn positive(c: &mut Checker, key: KeyPath, value: Option<&str>, default: Duration) -> Duration {
    let d = duration(c, key.clone(), value, default);
    if d.is_zero() {
        c.problem(key, "must be longer than 0s");
        return default;
    }
    d
}

fn redirects(c: &mut Checker, key: KeyPath, value: Option<i64>, default: usize) -> usize {
    match value {
        None => default,
        Some(n) if (0..=20).contains(&n) => n as usize,
        Some(n) => {
            c.problem(key, format!("{n} is out of range (0 to 20)"));
            default
        }
    }
}

fn proxy(c: &mut Checker, key: KeyPath, value: Option<&str>, default: &Proxy) -> Proxy {
    match value {
        None => default.clone(),
        Some("env") => Proxy::FromEnv,
        Some("none") => Proxy::Direct,
        Some(s) => match Url::parse(s) {
            Ok(u)
                if matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h")
                    && u.host().is_some() =>
            {
                Proxy::Url(u)
            }
            _ => {
                c.problem(
                    key,
                    format!(
                        "`{s}` is not a proxy: use an http(s):// or socks5:// URL, \"env\" or \"none\""
                    ),
                );
                default.clone()
            }
        },
    }
}

/// Validates `[fetch]`.
pub(super) fn fetch_config(c: &mut Checker, f: &RawFetch) -> FetchConfig {
    let d = FetchConfig::default();
    let k = |name: &str| root("fetch").key(name);
    let limits = Limits {
        connect_timeout: positive(
            c,
            k("connect_timeout"),
            f.connect_timeout.as_deref(),
            d.limits.connect_timeout,
        ),
        timeout: positive(c, k("timeout"), f.timeout.as_deref(), d.limits.timeout),
        max_body: size(c, k("max_body"), f.max_body.as_deref(), d.limits.max_body),
        max_redirects: redirects(
            c,
            k("max_redirects"),
            f.max_redirects,
            d.limits.max_redirects,
        ),
    };
    let backoff_base = positive(
        c,
        k("backoff_base"),
        f.backoff_base.as_deref(),
        d.backoff_base,
    );
    let backoff_cap = positive(c, k("backoff_cap"), f.backoff_cap.as_deref(), d.backoff_cap);
    if backoff_cap < backoff_base {
        c.problem(
            k("backoff_cap"),
            "must not be shorter than fetch.backoff_base",
        );
    }
    FetchConfig {
        limits,
        host_spacing: duration(
            c,
            k("host_spacing"),
            f.host_spacing.as_deref(),
            d.host_spacing,
        ),
        max_defer: duration(c, k("max_defer"), f.max_defer.as_deref(), d.max_defer),
        backoff_base,
        backoff_cap,
        retry_after_cap: positive(
            c,
            k("retry_after_cap"),
            f.retry_after_cap.as_deref(),
            d.retry_after_cap,
        ),
        proxy: proxy(c, k("proxy"), f.proxy.as_deref(), &d.proxy),
        allow_private: f.allow_private.unwrap_or(d.allow_private),
    }
}

/// Validates the fetch overrides of `sources[i]` on top of `global`: what the source
/// fetches with, and how long freshness hints may defer its polls (`max_defer`).
pub(super) fn source_fetch(
    c: &mut Checker,
    i: usize,
    s: &RawSource,
    global: &FetchConfig,
) -> (SourceFetch, Duration) {
    let k = |name: &str| root("sources").index(i).key(name);
    let g = &global.limits;
    let max_defer = duration(c, k("max_defer"), s.max_defer.as_deref(), global.max_defer);
    let fetch = SourceFetch {
        limits: Limits {
            connect_timeout: positive(
                c,
                k("connect_timeout"),
                s.connect_timeout.as_deref(),
                g.connect_timeout,
            ),
            timeout: positive(c, k("timeout"), s.timeout.as_deref(), g.timeout),
            max_body: size(c, k("max_body"), s.max_body.as_deref(), g.max_body),
            max_redirects: redirects(c, k("max_redirects"), s.max_redirects, g.max_redirects),
        },
        proxy: proxy(c, k("proxy"), s.proxy.as_deref(), &global.proxy),
        allow_private: s.allow_private.unwrap_or(global.allow_private),
    };
    (fetch, max_defer)
}
