//! From [`RawConfig`] to [`Config`]: defaults, cross-field checks, key-named problems.

mod fetch;
mod html;
mod notify;
mod rules;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::fetch::SourceFetch;
use url::Url;

use super::fetch::FetchConfig;
use super::locate::{KeyPath, Locator, position};
use super::raw::{
    RawClassify, RawConfig, RawDaemon, RawOutput, RawRetention, RawServer, RawSource, RawWebsub,
};
use super::{
    ClassifyConfig, Config, DEFAULT_MODEL_MIN_PROBABILITY, DEFAULT_MODEL_WEIGHT, DaemonConfig,
    LogFormat, ModelChoice, Problem, RetentionConfig, ServerConfig, WebsubConfig,
    default_user_agent,
};
use crate::classify::{ModelEvidence, NgramModel};
use crate::publish::{OnDisk, Output};
use crate::schedule::parse_cron;
use crate::source::Source;

const DEFAULT_SCHEDULE: &str = "0 */10 * * * *";

/// Collects problems, each located in the text by its key path.
pub(super) struct Checker<'a> {
    text: &'a str,
    locator: Locator<'a>,
    problems: Vec<Problem>,
    warnings: Vec<String>,
}

impl<'a> Checker<'a> {
    pub(super) fn problem(&mut self, key: KeyPath, message: impl Into<String>) {
        let position = self
            .locator
            .span_of(&key)
            .map(|span| position(self.text, span.start));
        self.problems.push(Problem {
            key,
            position,
            message: message.into(),
        });
    }
}

/// Parses and validates; on failure returns every problem found.
pub(super) fn parse(text: &str, path: &Path) -> Result<Config, Vec<Problem>> {
    let locator = Locator::new(text);
    let raw: RawConfig =
        toml::from_str(text).map_err(|e| vec![toml_problem(&locator, text, &e)])?;
    let mut c = Checker {
        text,
        locator,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let base = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let config = build(&mut c, raw, path, &base);
    if c.problems.is_empty() {
        let mut config = config;
        config.warnings = c.warnings;
        Ok(config)
    } else {
        Err(c.problems)
    }
}

/// A TOML syntax or type error, located and keyed.
fn toml_problem(locator: &Locator, text: &str, e: &toml::de::Error) -> Problem {
    let (key, position) = match e.span() {
        Some(span) => (
            locator.path_at(span.start),
            Some(position(text, span.start)),
        ),
        None => (KeyPath::default(), None),
    };
    Problem {
        key,
        position,
        message: e.message().trim_end().to_string(),
    }
}

/// Parses a selectors file (the keys of `[sources.html]` at top level).
pub(super) fn parse_selectors(text: &str) -> Result<crate::parse::html::ListingSpec, Vec<Problem>> {
    let locator = Locator::new(text);
    let raw: super::raw::RawHtml =
        toml::from_str(text).map_err(|e| vec![toml_problem(&locator, text, &e)])?;
    let mut c = Checker {
        text,
        locator,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let spec = html::listing(&mut c, KeyPath::default(), raw);
    match spec {
        Some(spec) if c.problems.is_empty() => Ok(spec),
        _ => Err(c.problems),
    }
}

pub(super) fn root(k: &str) -> KeyPath {
    KeyPath::default().key(k)
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn build(c: &mut Checker, raw: RawConfig, path: &Path, base: &Path) -> Config {
    let daemon = daemon(c, raw.daemon, base);
    let server = server(c, raw.server);
    let output = output(c, raw.output, base);
    let (classify, model) = classify(c, &raw.classify, base);
    let fetch = fetch::fetch_config(c, &raw.fetch);
    let websub = websub(c, &raw.websub);
    let retention = retention(c, raw.retention);
    let mut ids = HashSet::new();
    let shared_fetch = Arc::new(fetch.for_source());
    let default_schedule: Arc<str> = Arc::from(daemon.schedule.as_str());
    let sources = raw
        .sources
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let defaults = Inherited {
                schedule: &default_schedule,
                fetch: &shared_fetch,
            };
            source(c, i, s, &defaults, &fetch, base, &mut ids)
        })
        .collect::<Vec<_>>()
        .into();
    let (rules, classifier) = rules::rules(c, raw.rules, classify.threshold, model);
    let smtp = notify::smtp(c, raw.smtp, base);
    let notify = notify::channels(c, raw.notify, smtp.as_ref(), base);
    Config {
        path: path.to_path_buf(),
        daemon,
        server,
        output,
        classify,
        websub,
        retention,
        fetch,
        sources,
        rules,
        classifier,
        smtp,
        notify,
        warnings: Vec::new(),
    }
}

/// `[daemon]`.
fn daemon(c: &mut Checker, d: RawDaemon, base: &Path) -> DaemonConfig {
    let key = |k: &str| root("daemon").key(k);
    let schedule = d.schedule.unwrap_or_else(|| DEFAULT_SCHEDULE.to_string());
    if let Err(m) = parse_cron(&schedule) {
        c.problem(key("schedule"), m);
    }
    let concurrency = count(c, key("concurrency"), d.concurrency, 1..=256, 8, 1);
    let user_agent = user_agent(c, d.user_agent);
    let shutdown_grace = duration(
        c,
        key("shutdown_grace"),
        d.shutdown_grace.as_deref(),
        Duration::from_secs(20),
    );
    let log_format = match d.log_format.as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => {
            c.problem(
                key("log_format"),
                format!("`{other}` is not one of \"text\", \"json\""),
            );
            LogFormat::Text
        }
    };
    let log_filter = d
        .log_filter
        .unwrap_or_else(|| "info,tokio_cron_scheduler=warn".to_string());
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_filter) {
        c.problem(
            key("log_filter"),
            format!("`{log_filter}` is not a log filter such as \"info,tocsin=debug\": {e}"),
        );
    }
    DaemonConfig {
        database: resolve(base, d.database.as_deref().unwrap_or("var/tocsin.db")),
        schedule,
        concurrency,
        user_agent,
        shutdown_grace,
        log_format,
        log_filter,
    }
}

/// `daemon.user_agent`: one printable line (it is an HTTP header), with a warning when
/// it carries no contact.
fn user_agent(c: &mut Checker, value: Option<String>) -> String {
    let user_agent = value.unwrap_or_else(default_user_agent);
    if user_agent.trim().is_empty() {
        c.problem(root("daemon").key("user_agent"), "must not be empty");
    } else if user_agent.chars().any(char::is_control)
        || reqwest::header::HeaderValue::from_str(&user_agent).is_err()
    {
        // The HTTP clients are built with it: an invalid header value made them panic.
        c.problem(
            root("daemon").key("user_agent"),
            "must be one line of printable characters (it is sent as an HTTP header)",
        );
    } else if user_agent.contains("example.org") || user_agent.contains("example.com") {
        c.warnings.push(format!(
            "daemon.user_agent still has the example contact (\"{user_agent}\"): put your own \
             URL or e-mail address, so that publishers can reach you before they block you"
        ));
    } else if !user_agent.contains("http") && !user_agent.contains('@') {
        c.warnings.push(
            "daemon.user_agent carries no contact (a URL or e-mail address): publishers \
             cannot reach you before they block you"
                .to_string(),
        );
    }
    user_agent
}

/// `[server]`.
fn server(c: &mut Checker, s: RawServer) -> ServerConfig {
    let listen_s = s.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
    let listen = match listen_s.parse::<SocketAddr>() {
        Ok(a) => a,
        Err(_) => {
            c.problem(
                root("server").key("listen"),
                format!("`{listen_s}` is not an address:port such as \"127.0.0.1:8080\""),
            );
            SocketAddr::from(([127, 0, 0, 1], 8080))
        }
    };
    let public_s = s.public_url.unwrap_or_else(|| format!("http://{listen}/"));
    let public_url = match Url::parse(&public_s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            with_trailing_slash(u)
        }
        _ => {
            c.problem(
                root("server").key("public_url"),
                format!("`{public_s}` is not an absolute http(s) URL"),
            );
            Url::parse("http://127.0.0.1:8080/").expect("static URL")
        }
    };
    ServerConfig { listen, public_url }
}

/// A count within `range`, `default` when not given; out of range is a problem (and
/// `fallback` stands in).
fn count(
    c: &mut Checker,
    key: KeyPath,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
    default: usize,
    fallback: usize,
) -> usize {
    match value {
        None => default,
        Some(n) if range.contains(&n) => n as usize,
        Some(n) => {
            c.problem(
                key,
                format!("{n} is out of range ({} to {})", range.start(), range.end()),
            );
            fallback
        }
    }
}

/// `[output]`.
fn output(c: &mut Checker, o: RawOutput, base: &Path) -> Output {
    let key = |k: &str| root("output").key(k);
    let max_items = count(c, key("max_items"), o.max_items, 1..=10_000, 200, 1);
    let title = o.title.unwrap_or_else(|| "Urgent interventions".into());
    if title.trim().is_empty() {
        c.problem(key("title"), "must not be empty");
    }
    let on_disk = match o.on_disk.as_deref() {
        None | Some("main") => OnDisk::Main,
        Some("all") => OnDisk::All,
        Some(other) => {
            c.problem(
                key("on_disk"),
                format!("`{other}` is not one of \"main\", \"all\""),
            );
            OnDisk::Main
        }
    };
    // By default half a document: room for the busiest real source, while a flood from
    // one source never pushes more than half of the others out.
    let max_per_source = count(
        c,
        key("max_per_source"),
        o.max_per_source,
        1..=10_000,
        max_items.div_ceil(2),
        1,
    );
    Output {
        dir: resolve(base, o.dir.as_deref().unwrap_or("var/public")),
        title,
        max_items,
        on_disk,
        max_per_source,
    }
}

/// `[classify]`, and the statistical model it turns on, read and checked.
fn classify(
    c: &mut Checker,
    raw: &RawClassify,
    base: &Path,
) -> (ClassifyConfig, Option<ModelEvidence>) {
    let threshold = raw.threshold.unwrap_or(1.0);
    if !threshold.is_finite() || threshold <= 0.0 {
        c.problem(
            root("classify").key("threshold"),
            format!("{threshold} must be a positive number"),
        );
    }
    let model_weight = raw.model_weight.unwrap_or(DEFAULT_MODEL_WEIGHT);
    if !model_weight.is_finite() || model_weight <= 0.0 {
        c.problem(
            root("classify").key("model_weight"),
            format!("{model_weight} must be a positive number"),
        );
    }
    let model_min_probability = raw
        .model_min_probability
        .unwrap_or(DEFAULT_MODEL_MIN_PROBABILITY);
    if !(model_min_probability > 0.0 && model_min_probability <= 1.0) {
        c.problem(
            root("classify").key("model_min_probability"),
            format!("{model_min_probability} must be a probability above 0, at most 1"),
        );
    }
    let model = match raw.model.as_deref().map(str::trim) {
        None | Some("off") => ModelChoice::Off,
        Some("builtin") => ModelChoice::Builtin,
        Some("") => {
            c.problem(
                root("classify").key("model"),
                "must be \"off\", \"builtin\" or the path of a model file",
            );
            ModelChoice::Off
        }
        Some(p) => ModelChoice::File(resolve(base, p)),
    };
    let loaded = match &model {
        ModelChoice::Off => None,
        ModelChoice::Builtin => Some(NgramModel::builtin()),
        ModelChoice::File(path) => match std::fs::read_to_string(path) {
            Ok(text) => match NgramModel::parse(&text) {
                Ok(m) => Some(m),
                Err(e) => {
                    c.problem(
                        root("classify").key("model"),
                        format!("{}: {e}", path.display()),
                    );
                    None
                }
            },
            Err(e) => {
                c.problem(
                    root("classify").key("model"),
                    format!("cannot read model file {}: {e}", path.display()),
                );
                None
            }
        },
    };
    let evidence = loaded.map(|m| ModelEvidence {
        model: Arc::new(m),
        weight: model_weight,
        min_probability: model_min_probability,
    });
    let config = ClassifyConfig {
        threshold,
        model,
        model_weight,
        model_min_probability,
    };
    (config, evidence)
}

/// `[websub]`.
fn websub(c: &mut Checker, raw: &RawWebsub) -> WebsubConfig {
    let mut hubs = Vec::new();
    for (i, h) in raw.hubs.iter().enumerate() {
        match Url::parse(h) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => hubs.push(u),
            _ => c.problem(
                root("websub").key("hubs").index(i),
                format!("`{h}` is not an absolute http(s) URL"),
            ),
        }
    }
    WebsubConfig { hubs }
}

/// `[retention]`.
fn retention(c: &mut Checker, r: RawRetention) -> RetentionConfig {
    let key = |k: &str| root("retention").key(k);
    let max_age = match r.max_age.as_deref() {
        Some("never") => None,
        other => Some(duration(
            c,
            key("max_age"),
            other,
            Duration::from_secs(180 * 86_400),
        )),
    };
    let batch_size = count(c, key("batch_size"), r.batch_size, 1..=100_000, 500, 500);
    let schedule = r.schedule.unwrap_or_else(|| "0 17 3 * * *".to_string());
    if let Err(m) = parse_cron(&schedule) {
        c.problem(key("schedule"), m);
    }
    RetentionConfig {
        max_age,
        keep_urgent: r.keep_urgent.unwrap_or(true),
        batch_size,
        schedule,
    }
}

fn with_trailing_slash(mut u: Url) -> Url {
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u
}

/// The longest duration a config may give: 100 years.
const MAX_DURATION: Duration = Duration::from_secs(100 * 366 * 24 * 3600);

pub(super) fn duration(
    c: &mut Checker,
    key: KeyPath,
    value: Option<&str>,
    default: Duration,
) -> Duration {
    match value {
        None => default,
        Some(s) => match humantime::parse_duration(s) {
            // Longer ones overflow date arithmetic (a next poll time, a retention
            // cutoff) and mean nothing for a daemon.
            Ok(d) if d > MAX_DURATION => {
                c.problem(key, format!("`{s}` is too long: at most 100 years"));
                default
            }
            Ok(d) => d,
            Err(e) => {
                c.problem(
                    key,
                    format!("`{s}` is not a duration such as \"20s\" or \"1h 30m\": {e}"),
                );
                default
            }
        },
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

/// A BCP 47 tag as feeds use it: `ro`, `en-GB`, `sr-Latn`.
pub(crate) fn valid_language(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// What a source inherits unless it says otherwise, shared by every source that does.
struct Inherited<'a> {
    schedule: &'a Arc<str>,
    fetch: &'a Arc<SourceFetch>,
}

fn source(
    c: &mut Checker,
    i: usize,
    s: RawSource,
    inherited: &Inherited<'_>,
    fetch: &FetchConfig,
    base: &Path,
    ids: &mut HashSet<String>,
) -> Option<Source> {
    let key = || root("sources").index(i);
    let (fetch, max_defer) = fetch::source_fetch(c, i, &s, fetch);
    let Some(id) = s.id else {
        c.problem(
            key().key("id"),
            "missing: every source needs an id ([a-z0-9-])",
        );
        return None;
    };
    if !valid_id(&id) {
        c.problem(
            key().key("id"),
            format!("`{id}` may use only a-z, 0-9 and -, and must not start with -"),
        );
    } else if !ids.insert(id.clone()) {
        c.problem(key().key("id"), format!("duplicate source id `{id}`"));
    }
    let url = match s.url {
        None => {
            c.problem(key().key("url"), "missing: every source needs a url");
            None
        }
        Some(u) => match source_url(&u, base) {
            Ok(url) => Some(url),
            Err(m) => {
                c.problem(key().key("url"), m);
                None
            }
        },
    };
    if let Some(lang) = &s.language
        && !valid_language(lang)
    {
        c.problem(
            key().key("language"),
            format!("`{lang}` is not a language tag such as \"ro\" or \"en-GB\""),
        );
    }
    // An inherited `daemon.schedule` is reported once, at `daemon.schedule`, not again
    // for every source that inherits it.
    let schedule = match s.schedule {
        Some(own) => {
            if let Err(m) = parse_cron(&own) {
                c.problem(key().key("schedule"), m);
            }
            Arc::from(own)
        }
        None => inherited.schedule.clone(),
    };
    let trust = match s.trust {
        None => 0,
        Some(t) if (-100..=100).contains(&t) => t as i32,
        Some(t) => {
            c.problem(
                key().key("trust"),
                format!("{t} is out of range (-100 to 100)"),
            );
            0
        }
    };
    let kind = html::source_kind(c, key(), s.kind, s.html);
    Some(Source {
        title: s.title.unwrap_or_else(|| id.clone()),
        id,
        url: url?,
        language: s.language,
        schedule,
        enabled: s.enabled.unwrap_or(true),
        trust,
        kind: kind?,
        // The sources that override no `[fetch]` setting share one.
        fetch: if fetch == **inherited.fetch {
            inherited.fetch.clone()
        } else {
            Arc::new(fetch)
        },
        max_defer,
    })
}

/// `http(s)://…`, `file:///abs/path`, or `file:relative/path` (against the config dir).
fn source_url(s: &str, base: &Path) -> Result<Url, String> {
    if let Some(rest) = s.strip_prefix("file:")
        && !rest.starts_with("//")
    {
        let p = resolve(base, rest);
        let abs = std::path::absolute(&p).unwrap_or(p);
        return Url::from_file_path(&abs).map_err(|_| format!("`{s}` is not a usable file path"));
    }
    let url = Url::parse(s).map_err(|e| format!("`{s}` is not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "file" => Ok(url),
        "http" | "https" => Err(format!("`{s}` has no host")),
        other => Err(format!(
            "`{s}`: scheme `{other}` is not supported (use http, https or file)"
        )),
    }
}
