//! Configuration: one TOML file, read in two phases.
//!
//! 1. [`raw`]: serde structs that mirror the file and deny unknown keys.
//! 2. [`validate`]: checks across fields (unique ids, URLs, cron expressions, paths) and
//!    builds the typed [`Config`] the rest of the daemon uses.
//!
//! Every problem names the file, line, column and key (`sources[2].schedule`), and all
//! problems are reported at once so an operator fixes the file in one go.

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

pub use fetch::{FetchConfig, Proxy, SourceFetch, parse_size};
pub use locate::{KeyPath, Position};

use crate::parse::html::ListingSpec;

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
    pub output: OutputConfig,
    pub classify: ClassifyConfig,
    pub websub: WebsubConfig,
    pub retention: RetentionConfig,
    pub fetch: FetchConfig,
    pub sources: Vec<SourceConfig>,
    pub rules: Vec<RuleConfig>,
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
pub struct OutputConfig {
    pub dir: PathBuf,
    pub title: String,
    pub max_items: usize,
    pub on_disk: OnDisk,
    /// At most this many entries of one source in a document that aggregates sources
    /// (urgent, all, per language); per-source documents are not capped.
    pub max_per_source: usize,
}

/// Which documents are written to `output.dir`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDisk {
    /// `urgent.*`, `all.*`, `index.html`, `sources.opml`; the per-language and
    /// per-source documents are rendered when first requested over HTTP.
    #[default]
    Main,
    /// Every selection, rendered at every publish.
    All,
}

#[derive(Debug, Clone)]
pub struct ClassifyConfig {
    /// An item is urgent when the weights of the rules that matched sum to at least this.
    pub threshold: f64,
}

/// WebSub (W3C): hubs pinged after a publish that changed the urgent feed, and
/// advertised in the feeds with `rel="hub"`.
#[derive(Debug, Clone, Default)]
pub struct WebsubConfig {
    pub hubs: Vec<Url>,
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Unique, `[a-z0-9-]`; part of stored keys, so renaming a source re-imports it.
    pub id: String,
    pub title: String,
    pub url: Url,
    /// Language of the items when the source is single-language (BCP 47 primary tag).
    pub language: Option<String>,
    pub schedule: String,
    pub enabled: bool,
    /// How far the operator trusts this source (higher leads): when several sources
    /// publish the same case, the entry is the most trusted one's item.
    pub trust: i32,
    /// Limits, proxy and deferral cap: `[fetch]` with this source's overrides.
    pub fetch: SourceFetch,
    /// How the document at `url` is read.
    pub kind: SourceKind,
}

/// What a source's URL serves.
#[derive(Debug, Clone, Default)]
pub enum SourceKind {
    /// RSS, Atom or JSON Feed.
    #[default]
    Feed,
    /// An HTML listing page read with CSS selectors (`[sources.html]`).
    Html(Arc<ListingSpec>),
}

/// The parts of an item a rule can look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Title,
    Summary,
    Content,
    Categories,
    Link,
    Source,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Title,
        Field::Summary,
        Field::Content,
        Field::Categories,
        Field::Link,
        Field::Source,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Content => "content",
            Field::Categories => "categories",
            Field::Link => "link",
            Field::Source => "source",
        }
    }

    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// One `[[rules]]` entry. A rule *matches* an item in its scope (`sources`, `languages`)
/// when any of its matchers (`keywords`, `regex`, `case_code`) finds something in one of
/// its `fields` and none of its `unless` phrases does; a rule with no matcher matches
/// every item in its scope.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleConfig {
    pub name: String,
    /// Phrases, any of which matches (case-, accent- and word-boundary-aware; a trailing
    /// `*` on a word matches any ending).
    pub keywords: Vec<String>,
    /// Regular expressions (Rust `regex` syntax) over the fields' plain text, unfolded.
    pub regex: Vec<String>,
    /// Matches when the item carries an Observatory or SOS-Torture case code.
    pub case_code: bool,
    /// Where to look; all text fields when the rule does not say.
    pub fields: Vec<Field>,
    /// Globs on source ids (`omct-*`); every source when empty.
    pub sources: Vec<String>,
    /// Primary language tags (`ro`); every item when empty. An item whose language is
    /// unknown is outside a rule that names languages.
    pub languages: Vec<String>,
    /// Veto phrases: when one matches in the rule's fields, the rule does not.
    pub unless: Vec<String>,
    /// Added to the item's score when the rule matches.
    pub weight: f64,
    /// A category added to the items the rule matches.
    pub tag: Option<String>,
    /// Items the rule matches are neither stored nor published.
    pub drop: bool,
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
    pub fn source(&self, id: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.id == id)
    }
}

/// Checks a cron expression the way the scheduler will read it (six fields, seconds
/// first), returning a message fit for an operator.
pub fn parse_cron(expr: &str) -> Result<croner::Cron, String> {
    let fields = expr.split_whitespace().count();
    if fields != 6 {
        return Err(format!(
            "`{expr}` has {fields} fields; tocsin needs 6 (seconds first, UTC), e.g. \"0 */10 * * * *\""
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| format!("`{expr}` is not a valid cron expression: {e}"))
}
