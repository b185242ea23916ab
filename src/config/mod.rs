//! Configuration: one TOML file, read in two phases.
//!
//! 1. [`raw`]: serde structs that mirror the file and deny unknown keys.
//! 2. [`validate`]: checks across fields (unique ids, URLs, cron expressions, paths) and
//!    builds the typed [`Config`] the rest of the daemon uses.
//!
//! Every problem names the file, line, column and key (`sources[2].schedule`), and all
//! problems are reported at once so an operator fixes the file in one go.

mod build;
mod fetch;
mod locate;
mod raw;
mod validate;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use url::Url;

pub use fetch::{FetchConfig, parse_size};
pub use locate::{KeyPath, Position};

use crate::classify::{Classifier, RuleConfig};
use crate::parse::html::ListingSpec;
use crate::publish::Output;
use crate::source::Source;

/// Where `tocsin` looks for its config when neither `--config` nor `$TOCSIN_CONFIG` is set.
pub const DEFAULT_PATH: &str = "/etc/tocsin/tocsin.toml";

/// The default User-Agent; operators should add a contact (see README).
pub fn default_user_agent() -> String {
    format!("tocsin/{}", env!("CARGO_PKG_VERSION"))
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from; relative paths inside it resolve against its directory.
    pub path: PathBuf,
    pub daemon: DaemonConfig,
    pub server: ServerConfig,
    pub output: Output,
    pub classify: ClassifyConfig,
    pub websub: WebsubConfig,
    pub retention: RetentionConfig,
    pub fetch: FetchConfig,
    /// Shared, not copied, by everything that needs the sources (the publisher's
    /// catalogue, the alerts, the scheduler): with 10,000 sources each copy cost
    /// megabytes of the idle daemon's memory.
    pub sources: Arc<[Source]>,
    pub rules: Vec<RuleConfig>,
    /// `rules` compiled (with `classify.threshold`): validation builds it, so a rule
    /// set that does not compile is a config error, and it is built once.
    pub classifier: Arc<Classifier>,
    /// `[smtp]`: the server e-mail alerts go through.
    pub smtp: Option<crate::alert::Smtp>,
    /// `[[notify]]`: the alert channels.
    pub notify: Vec<crate::alert::Channel>,
    /// Things that are allowed but probably not what the operator wants.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// The SQLite database file.
    pub database: PathBuf,
    /// Default cron expression (six fields, with seconds, UTC) for every source.
    pub schedule: String,
    /// How many sources are polled at once.
    pub concurrency: usize,
    /// Sent with every request; should carry a contact so publishers can reach us.
    pub user_agent: String,
    /// How long in-flight polls may run after SIGTERM before they are abandoned.
    pub shutdown_grace: Duration,
    pub log_format: LogFormat,
    /// A `RUST_LOG`-style filter; the `RUST_LOG` environment variable wins over it.
    pub log_filter: String,
}

/// How log lines are written to standard error (the journal under systemd).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    /// One JSON object per line, fields included.
    Json,
}

/// `[retention]`.
#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// Items older than this (by publication time) are pruned; `None`: never.
    pub max_age: Option<Duration>,
    /// Urgent items are kept whatever their age.
    pub keep_urgent: bool,
    /// Items deleted per transaction.
    pub batch_size: usize,
    /// When pruning runs (cron, six fields, UTC).
    pub schedule: String,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// The URL subscribers use; self links and ids in the output derive from it.
    pub public_url: Url,
}

#[derive(Debug, Clone)]
pub struct ClassifyConfig {
    /// An item is urgent when the weights of the rules that matched sum to at least this.
    pub threshold: f64,
    /// The statistical model (`model`): off, built in, or read from a file.
    pub model: ModelChoice,
    /// Added to the score when the model's probability reaches `model_min_probability`.
    pub model_weight: f64,
    pub model_min_probability: f64,
}

/// `[classify] model`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelChoice {
    Off,
    /// The model embedded in the binary (`config/urgent-model.tsv`).
    Builtin,
    /// A model file (a relative path resolves against the config file's directory).
    File(PathBuf),
}

/// `model_weight` when the config does not say (chosen by cross-validation: README
/// "The statistical model").
pub const DEFAULT_MODEL_WEIGHT: f64 = 0.2;
/// `model_min_probability` when the config does not say.
pub const DEFAULT_MODEL_MIN_PROBABILITY: f64 = 0.7;

/// WebSub (W3C): hubs pinged after a publish that changed the urgent feed, and
/// advertised in the feeds with `rel="hub"`.
#[derive(Debug, Clone, Default)]
pub struct WebsubConfig {
    pub hubs: Vec<Url>,
}

/// One thing wrong with the config file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub key: KeyPath,
    pub position: Option<Position>,
    pub message: String,
}

/// Why the config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render_problems(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let mut out = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&p.render(path));
    }
    out
}

impl Problem {
    /// `file:line:column: key: message`, the form editors and humans both read.
    pub fn render(&self, path: &Path) -> String {
        let mut s = path.display().to_string();
        if let Some(pos) = self.position {
            s.push_str(&format!(":{}:{}", pos.line, pos.column));
        }
        s.push_str(": ");
        if !self.key.0.is_empty() {
            s.push_str(&format!("{}: ", self.key));
        }
        s.push_str(&self.message);
        s
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_str_at(&text, path)
    }

    /// Validates `text` as if read from `path` (relative paths resolve against its dir).
    pub fn from_str_at(text: &str, path: &Path) -> Result<Config, ConfigError> {
        validate::parse(text, path).map_err(|problems| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }

    /// Reads a selectors file for `tocsin inspect --html`: the keys of a
    /// `[sources.html]` table at top level (`[extra]` for the named extras).
    pub fn load_selectors(path: &Path) -> Result<ListingSpec, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        validate::parse_selectors(&text).map_err(|problems| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }

    /// The source with this id.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }
}
