//! The config file as written: serde structs that mirror the TOML exactly.
//!
//! Every struct denies unknown fields so a typo is an error that names the key, never a
//! silently ignored setting. Nothing here is validated beyond its TOML type; turning
//! these into the checked [`crate::config::Config`] is `validate.rs`'s job.

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub daemon: RawDaemon,
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub output: RawOutput,
    #[serde(default)]
    pub classify: RawClassify,
    #[serde(default)]
    pub fetch: RawFetch,
    #[serde(default)]
    pub sources: Vec<RawSource>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
}

/// `[daemon]`: how the process runs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDaemon {
    pub database: Option<String>,
    pub schedule: Option<String>,
    pub concurrency: Option<i64>,
    pub user_agent: Option<String>,
    pub shutdown_grace: Option<String>,
}

/// `[server]`: the built-in HTTP server.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<String>,
    pub public_url: Option<String>,
}

/// `[output]`: the published files.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    pub dir: Option<String>,
    pub title: Option<String>,
    pub max_items: Option<i64>,
}

/// `[fetch]`: how tocsin talks to publishers' servers. Durations are humantime
/// strings ("10s", "1h 30m"), sizes are byte sizes ("8 MiB").
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFetch {
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
}

/// `[classify]`: how rule weights add up to "urgent".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClassify {
    pub threshold: Option<f64>,
}

/// One `[[sources]]` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub id: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    pub language: Option<String>,
    pub schedule: Option<String>,
    pub enabled: Option<bool>,
    // Per-source overrides of `[fetch]`, same names and forms.
    pub connect_timeout: Option<String>,
    pub timeout: Option<String>,
    pub max_body: Option<String>,
    pub max_redirects: Option<i64>,
    pub max_defer: Option<String>,
    pub proxy: Option<String>,
}

/// One `[[rules]]` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub name: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub fields: Option<Vec<String>>,
    pub weight: Option<f64>,
}
