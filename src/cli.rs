//! The command line: `tocsin run | poll | check | render | items | rules test | inspect`.
//!
//! Exit codes: 0 success; 1 a command failed at run time; 2 bad usage (from clap);
//! 3 the config is invalid; 4 the database cannot be used.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::config::{self, Config, ConfigError};
use crate::daemon::{Daemon, DaemonError, PassLine};
use crate::model::StoredItem;
use crate::poll::{How, PollError, Polled};
use crate::publish::{PublishError, PublishOutcome};
use crate::store::{ItemFilter, StoreError};

pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_CONFIG: u8 = 3;
pub const EXIT_DATABASE: u8 = 4;

#[derive(Debug, Parser)]
#[command(
    name = "tocsin",
    version,
    about = "Watches human-rights organisations and publishes one feed of urgent interventions"
)]
pub struct Cli {
    /// The config file.
    #[arg(long, global = true, env = "TOCSIN_CONFIG", default_value = config::DEFAULT_PATH)]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll on schedule, publish, serve HTTP, until SIGTERM/SIGINT.
    Run,
    /// Poll all (or the named) sources once, store, publish, print a summary.
    Poll {
        /// Only this source (repeatable).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        /// Also poll sources that a server (Retry-After, Cache-Control) or their
        /// backoff asked to wait.
        #[arg(long)]
        force: bool,
    },
    /// How every source is doing: last poll, errors, failures, next due time, adopted
    /// URL, item counts. Reads the database only.
    Status {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Validate the config; exit 0, or print every problem and exit 3.
    Check,
    /// Publish the output files again from the database, without polling.
    Render,
    /// List stored items, newest first.
    Items {
        /// Only urgent items.
        #[arg(long)]
        urgent: bool,
        /// Only items from this source (repeatable).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        /// At most this many items.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Work with the rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Parse files or URLs without storing; print the items as JSON lines with the
    /// classification the current rules give. With --source or --html, show what an
    /// HTML source's selectors extract instead.
    Inspect {
        /// Feeds (or pages of a configured HTML source), as files or URLs.
        #[arg(value_name = "FILE_OR_URL", required_unless_present_any = ["source", "html"])]
        targets: Vec<String>,
        /// Fetch this configured source now and show what its selectors extract.
        #[arg(long, value_name = "ID", conflicts_with_all = ["targets", "html"])]
        source: Option<String>,
        /// Offline: apply the selectors in SELECTORS.toml to a saved page.
        #[arg(
            long,
            num_args = 2,
            value_names = ["SELECTORS.toml", "PAGE.html"],
            conflicts_with = "targets"
        )]
        html: Option<Vec<String>>,
        /// With --html: the URL the page was saved from, so relative links resolve as
        /// on the site (default: the saved file's own location).
        #[arg(long, value_name = "URL", requires = "html")]
        base: Option<String>,
    },
    /// Export the configured sources as OPML, or print config entries for an OPML file.
    Opml {
        #[command(subcommand)]
        action: OpmlAction,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum OpmlAction {
    /// Print the configured sources as an OPML 2.0 subscription list.
    Export,
    /// Print `[[sources]]` entries for the feeds of an OPML file that are not configured
    /// yet, to paste into the config (the config is not changed).
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Re-run the current rules over the stored items and print what would change
    /// (newly urgent, no longer urgent, dropped), without writing anything.
    Test {
        /// Only items from this source (repeatable).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        /// Only items published on or after this date (YYYY-MM-DD, or RFC 3339).
        #[arg(long, value_name = "DATE", value_parser = crate::rules_cmd::parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
}

/// A failure that maps to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Database(#[from] StoreError),
    #[error("{0}")]
    Usage(String),
    /// Our error messages carry their causes, so only the outermost is printed.
    #[error("{0}")]
    Other(#[from] anyhow::Error),
}

impl CliError {
    fn code(&self) -> u8 {
        match self {
            CliError::Config(_) => EXIT_CONFIG,
            CliError::Database(_) => EXIT_DATABASE,
            CliError::Usage(_) => 2,
            CliError::Other(_) => EXIT_FAILURE,
        }
    }
}

impl From<DaemonError> for CliError {
    fn from(e: DaemonError) -> Self {
        match e {
            DaemonError::Store(s) | DaemonError::Publish(PublishError::Store(s)) => {
                CliError::Database(s)
            }
            other => CliError::Other(other.into()),
        }
    }
}

/// A database that cannot be read while publishing is a database failure (exit 4);
/// anything else (a file that cannot be written) a run-time failure.
impl From<PublishError> for CliError {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Store(s) => CliError::Database(s),
            other => CliError::Other(other.into()),
        }
    }
}

/// A publish whose files could not be written failed, for a one-shot command: the
/// files are all it makes.
fn written(outcome: PublishOutcome) -> Result<PublishOutcome, CliError> {
    match outcome.write_error {
        Some(e) => Err(e.into()),
        None => Ok(outcome),
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tocsin: {e}");
            ExitCode::from(e.code())
        }
    }
}

/// glibc gives every thread that allocates its own malloc arena (up to 8 per core),
/// and freed memory stays in the arena it came from: with the blocking pool's threads
/// that doubled the peak memory of a large poll. Two arenas are plenty for a daemon
/// whose work is one writer and a parse per core.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Logs go to standard error (the journal under systemd), without colours unless it is
/// a terminal. The filter is `RUST_LOG` if set, else `daemon.log_filter` for `run`
/// (default `info,tokio_cron_scheduler=warn`), else warnings only: one-shot commands
/// print their own results.
fn init_logging(config: Option<&Config>, daemon: bool) {
    use tracing_subscriber::EnvFilter;
    let configured = match config {
        Some(c) if daemon => c.daemon.log_filter.clone(),
        _ => "warn,tokio_cron_scheduler=warn".to_string(),
    };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&configured))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let json = config.is_some_and(|c| c.daemon.log_format == crate::config::LogFormat::Json);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

fn load(cli: &Cli) -> Result<Config, CliError> {
    let config = Config::load(&cli.config);
    init_logging(config.as_ref().ok(), matches!(cli.command, Command::Run));
    let config = config?;
    for w in &config.warnings {
        tracing::warn!("{}: {w}", cli.config.display());
    }
    Ok(config)
}

async fn dispatch(cli: Cli) -> Result<(), CliError> {
    if matches!(
        cli.command,
        Command::Check | Command::Completions { .. } | Command::Man
    ) {
        init_logging(None, false);
    }
    match &cli.command {
        Command::Check => check(&cli),
        Command::Run => run(load(&cli)?).await,
        Command::Poll { sources, force } => poll(load(&cli)?, sources, *force).await,
        Command::Status { json } => {
            let config = load(&cli)?;
            let store = crate::store::Store::open(&config.daemon.database)?;
            let rows = crate::status::collect(&config, &store)?;
            crate::status::print(&rows, *json, &mut std::io::stdout().lock())
                .map_err(anyhow::Error::from)?;
            Ok(())
        }
        Command::Render => {
            let d = Daemon::new(load(&cli)?)?;
            let rendered = async {
                d.reclassify_if_changed().await?;
                written(d.publish().await?)
            }
            .await;
            d.db.close().await?;
            let outcome = rendered?;
            println!(
                "published {} documents to {} ({} changed)",
                outcome.documents,
                d.publisher.dir().display(),
                outcome.changed.len()
            );
            Ok(())
        }
        Command::Items {
            urgent,
            sources,
            limit,
            json,
        } => {
            let d = Daemon::new(load(&cli)?)?;
            let filter = ItemFilter {
                urgent_only: *urgent,
                sources: sources.clone(),
                limit: Some(*limit),
                ..Default::default()
            };
            let items = d.db.read(move |s| s.items(&filter)).await?;
            print_items(&items, *json);
            Ok(())
        }
        Command::Inspect {
            targets,
            source,
            html,
            base,
        } => match (source, html) {
            (Some(id), _) => crate::inspect::run_source(&load(&cli)?, id).await,
            (None, Some(files)) => crate::inspect::run_html(&files[0], &files[1], base.as_deref()),
            (None, None) => crate::inspect::run(&load(&cli)?, targets).await,
        },
        Command::Opml { action } => {
            let config = load(&cli)?;
            let out = match action {
                OpmlAction::Export => crate::ops::export(&config),
                OpmlAction::Import { file } => {
                    let text = std::fs::read_to_string(file).map_err(|e| {
                        CliError::Other(anyhow::anyhow!("cannot read {}: {e}", file.display()))
                    })?;
                    crate::ops::import(&config, &file.display().to_string(), &text)
                }
            }
            .map_err(anyhow::Error::from)?;
            print!("{out}");
            Ok(())
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "tocsin", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd)
                .render(&mut std::io::stdout())
                .map_err(|e| CliError::Other(anyhow::anyhow!("cannot write the man page: {e}")))?;
            Ok(())
        }
        Command::Rules {
            command: RulesCommand::Test { sources, since },
        } => crate::rules_cmd::test(load(&cli)?, sources, *since).await,
    }
}

fn check(cli: &Cli) -> Result<(), CliError> {
    let config = Config::load(&cli.config)?;
    for w in &config.warnings {
        eprintln!("warning: {}: {w}", cli.config.display());
    }
    println!(
        "{}: OK ({} sources, {} rules)",
        cli.config.display(),
        config.sources.len(),
        config.rules.len()
    );
    Ok(())
}

async fn run(config: Config) -> Result<(), CliError> {
    let listener = crate::daemon::bind(&config).await?;
    let daemon = Daemon::new(config)?;
    daemon.run(listener, shutdown_signal()).await?;
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = int.recv() => tracing::info!("SIGINT received"),
    }
}

async fn poll(config: Config, only: &[String], force: bool) -> Result<(), CliError> {
    for id in only {
        if config.source(id).is_none() {
            return Err(CliError::Usage(format!(
                "no source `{id}` in {} (known: {})",
                config.path.display(),
                config
                    .sources
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let sources = config
        .sources
        .iter()
        .filter(|s| {
            if only.is_empty() {
                s.enabled
            } else {
                only.contains(&s.id)
            }
        })
        .cloned()
        .collect();
    let d = Daemon::new(config)?;
    // Rules edited since the last run: stored verdicts follow them before anything else.
    let reclassified = d.reclassify_if_changed().await?.is_some();
    let lines = d.poll_once(sources, force).await;
    // Nothing new (all 304s, unchanged bodies, failures): the published files are
    // current already, unless they were never written.
    let changed = lines
        .iter()
        .any(|l| matches!(l, PassLine::Polled(r) if matches!(&r.result, Ok(p) if p.changed())));
    let publish = if changed || reclassified || !d.publisher.dir().join("urgent.atom").exists() {
        match d.publish().await {
            Ok(o) => written(o).map(Some),
            Err(e) => Err(CliError::from(e)),
        }
    } else {
        Ok(None)
    };
    d.db.close().await?;
    if let Ok(Some(outcome)) = &publish {
        let topics = d.topics(&outcome.changed);
        if d.pinger.is_enabled() && !topics.is_empty() {
            d.pinger.ping(&topics).await;
        }
    }
    let mut out = std::io::stdout().lock();
    let width = lines
        .iter()
        .map(|l| match l {
            PassLine::Polled(r) => r.source.len(),
            PassLine::Deferred(s) => s.id.len(),
        })
        .max()
        .unwrap_or(0);
    for l in &lines {
        let r = match l {
            PassLine::Polled(r) => r,
            PassLine::Deferred(s) => {
                let _ = writeln!(
                    out,
                    "{:width$}  deferred until {} ({}; --force polls it now)",
                    s.id,
                    s.next_due
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_default(),
                    s.due_reason.as_deref().unwrap_or("deferred"),
                );
                continue;
            }
        };
        let ms = r.duration.as_millis();
        let _ = match &r.result {
            Ok(Polled {
                how: How::NotModified,
                ..
            }) => writeln!(out, "{:width$}  not modified  ({ms} ms)", r.source),
            Ok(Polled {
                how: How::SameBody, ..
            }) => writeln!(out, "{:width$}  unchanged body  ({ms} ms)", r.source),
            Ok(Polled {
                counts: c,
                how: How::Parsed { repaired },
            }) => writeln!(
                out,
                "{:width$}  new {:>4}  updated {:>4}  unchanged {:>4}  ({ms} ms){}",
                r.source,
                c.new,
                c.updated,
                c.unchanged,
                if *repaired { "  repaired" } else { "" }
            ),
            Err(e) => writeln!(out, "{:width$}  error: {e}", r.source),
        };
        for w in &r.warnings {
            let _ = writeln!(out, "{:width$}  warning: {w}", r.source);
        }
    }
    publish?;
    // A poll that could not store what it fetched (the database locked for the whole
    // busy timeout, a full disk) is a database failure, as at any other step.
    if let Some(e) = lines.into_iter().find_map(|l| match l {
        PassLine::Polled(r) => match r.result {
            Err(PollError::Store { source, .. }) => Some(source),
            _ => None,
        },
        PassLine::Deferred(_) => None,
    }) {
        return Err(CliError::Database(e));
    }
    Ok(())
}

/// An item as `items --json` and `inspect` print it.
#[derive(Serialize)]
pub struct ItemLine<'a> {
    pub id: &'a str,
    pub source: &'a str,
    pub title: &'a str,
    pub link: Option<&'a str>,
    pub published: String,
    pub updated: String,
    pub language: Option<&'a str>,
    pub urgent: bool,
    pub score: f64,
    /// Names of the rules that matched.
    pub reasons: Vec<&'a str>,
    /// The rules that matched with their weights and evidence.
    pub evidence: &'a [crate::model::Reason],
    pub categories: &'a [String],
    /// Normalised case codes (`MDA 001/0120/OBS 008`).
    pub case_codes: &'a [String],
    /// Categories added by rules.
    pub tags: &'a [String],
}

impl<'a> ItemLine<'a> {
    pub fn of(i: &'a StoredItem) -> Self {
        use chrono::SecondsFormat::Secs;
        ItemLine {
            id: &i.id,
            source: &i.source,
            title: &i.title,
            link: i.link.as_deref(),
            published: i.published.to_rfc3339_opts(Secs, true),
            updated: i.updated.to_rfc3339_opts(Secs, true),
            language: i.language.as_deref(),
            urgent: i.urgent,
            score: i.score,
            reasons: i.reasons.iter().map(|r| r.rule.as_str()).collect(),
            evidence: &i.reasons,
            categories: &i.categories,
            case_codes: &i.case_codes,
            tags: &i.tags,
        }
    }
}

pub fn print_items(items: &[StoredItem], json: bool) {
    let mut out = std::io::stdout().lock();
    for i in items {
        let _ = if json {
            writeln!(
                out,
                "{}",
                serde_json::to_string(&ItemLine::of(i)).expect("plain data")
            )
        } else {
            writeln!(
                out,
                "{} {} {:<16} {}{}",
                i.published.format("%Y-%m-%d"),
                if i.urgent { "URGENT" } else { "      " },
                i.source,
                i.title,
                i.link
                    .as_deref()
                    .map(|l| format!("  <{l}>"))
                    .unwrap_or_default()
            )
        };
    }
}
