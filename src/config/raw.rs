//! The config file as written: serde structs that mirror the TOML exactly.
//!
//! Every struct denies unknown fields so a typo is an error that names the key, never a
//! silently ignored setting. Nothing here is validated beyond its TOML type; turning
//! these into the checked [`crate::config::Config`] is `validate.rs`'s job.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub daemon: RawDaemon,
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub output: RawOutput,
    #[serde(default)]
    pub classify: RawClassify,
    #[serde(default)]
    pub websub: RawWebsub,
    #[serde(default)]
    pub retention: RawRetention,
    #[serde(default)]
    pub fetch: RawFetch,
    #[serde(default)]
    pub sources: Vec<RawSource>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
    /// `[smtp]`: the server e-mail alerts go through.
    pub smtp: Option<RawSmtp>,
    /// `[[notify]]`: alert channels.
    #[serde(default)]
    pub notify: Vec<RawNotify>,
}

/// `[daemon]`: how the process runs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDaemon {
    pub database: Option<String>,
    pub schedule: Option<String>,
    pub concurrency: Option<i64>,
    pub user_agent: Option<String>,
    pub shutdown_grace: Option<String>,
    pub log_format: Option<String>,
    pub log_filter: Option<String>,
}

/// `[server]`: the built-in HTTP server.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub listen: Option<String>,
    pub public_url: Option<String>,
}

/// `[output]`: the published files.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutput {
    pub dir: Option<String>,
    pub title: Option<String>,
    pub max_items: Option<i64>,
    pub on_disk: Option<String>,
    pub max_per_source: Option<i64>,
}

/// `[fetch]`: how tocsin talks to publishers' servers. Durations are humantime
/// strings ("10s", "1h 30m"), sizes are byte sizes ("8 MiB").
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFetch {
    pub connect_timeout: Option<String>,
    pub timeout: Option<String>,
    pub max_body: Option<String>,
    pub max_redirects: Option<i64>,
    pub host_spacing: Option<String>,
    pub max_defer: Option<String>,
    pub backoff_base: Option<String>,
    pub backoff_cap: Option<String>,
    pub retry_after_cap: Option<String>,
    pub proxy: Option<String>,
    pub allow_private: Option<bool>,
}

/// `[classify]`: how rule weights add up to "urgent".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClassify {
    pub threshold: Option<f64>,
    /// `"off"`, `"builtin"` or the path of a model file.
    pub model: Option<String>,
    pub model_weight: Option<f64>,
    pub model_min_probability: Option<f64>,
}

/// `[retention]`: how long non-urgent items are kept.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetention {
    pub max_age: Option<String>,
    pub keep_urgent: Option<bool>,
    pub batch_size: Option<i64>,
    pub schedule: Option<String>,
}

/// `[websub]`: hubs told about every change of the urgent feed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebsub {
    #[serde(default)]
    pub hubs: Vec<String>,
}

/// One `[[sources]]` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub id: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    pub language: Option<String>,
    pub schedule: Option<String>,
    pub enabled: Option<bool>,
    pub trust: Option<i64>,
    // Per-source overrides of `[fetch]`, same names and forms.
    pub connect_timeout: Option<String>,
    pub timeout: Option<String>,
    pub max_body: Option<String>,
    pub max_redirects: Option<i64>,
    pub max_defer: Option<String>,
    pub proxy: Option<String>,
    pub allow_private: Option<bool>,
    /// `feed` (the default) or `html`.
    pub kind: Option<RawKind>,
    /// `[sources.html]`: the selectors of an HTML listing (`kind = "html"` only).
    pub html: Option<RawHtml>,
}

/// What a source's URL serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawKind {
    Feed,
    Html,
}

/// `[sources.html]`, and the whole of a selectors file for `tocsin inspect --html`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHtml {
    /// `true`: the listing is read by detection at every poll, without selectors.
    pub auto: Option<bool>,
    /// `error` (the default) or `auto`: what a poll does when the selectors match
    /// nothing.
    pub on_layout_change: Option<String>,
    pub item: Option<String>,
    pub title: Option<String>,
    pub link: Option<String>,
    pub date: Option<String>,
    pub date_format: Option<String>,
    pub summary: Option<String>,
    pub follow: Option<bool>,
    pub content: Option<String>,
    pub next: Option<String>,
    pub backfill_pages: Option<i64>,
    /// Hosts besides the listing's own whose pages `follow` and `next` may fetch.
    pub follow_hosts: Option<Vec<String>>,
    /// `[sources.html.extra]`: name = selector; the values become categories.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

/// One `[[rules]]` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub name: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub regex: Vec<String>,
    pub case_code: Option<bool>,
    pub fields: Option<Vec<String>>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub unless: Vec<String>,
    pub weight: Option<f64>,
    pub tag: Option<String>,
    pub drop: Option<bool>,
    pub label: Option<String>,
}

/// `[smtp]`: the server e-mail alerts are sent through.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSmtp {
    pub host: Option<String>,
    pub port: Option<i64>,
    pub security: Option<String>,
    pub username: Option<String>,
    pub password_file: Option<String>,
    pub from: Option<String>,
    pub timeout: Option<String>,
}

/// One `[[notify]]` channel.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotify {
    pub id: Option<String>,
    pub kind: Option<String>,
    pub to: Option<Vec<String>>,
    pub url: Option<String>,
    pub secret_file: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub countries: Vec<String>,
    pub mode: Option<String>,
    pub schedule: Option<String>,
    pub events: Option<Vec<String>>,
    pub max_age: Option<String>,
    pub burst: Option<i64>,
    pub failing_after: Option<String>,
    pub retry_base: Option<String>,
    pub retry_cap: Option<String>,
    pub templates: Option<String>,
    pub unsubscribe: Option<String>,
}
