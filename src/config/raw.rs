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
}

/// One `[[rules]]` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
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
}
