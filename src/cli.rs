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
use crate::daemon::{Daemon, DaemonError};
use crate::model::StoredItem;
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
    /// classification the current rules give.
    Inspect {
        #[arg(value_name = "FILE_OR_URL", required = true)]
        targets: Vec<String>,
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
    #[error("{0:#}")]
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
            DaemonError::Store(s) => CliError::Database(s),
            other => CliError::Other(other.into()),
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(matches!(cli.command, Command::Run));
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

fn init_logging(daemon: bool) {
    let default = if daemon {
        "info,tokio_cron_scheduler=warn"
    } else {
        "warn,tokio_cron_scheduler=warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

fn load(cli: &Cli) -> Result<Config, CliError> {
    let config = Config::load(&cli.config)?;
    for w in &config.warnings {
        tracing::warn!("{}: {w}", cli.config.display());
    }
    Ok(config)
}

async fn dispatch(cli: Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Check => check(&cli),
        Command::Run => run(load(&cli)?).await,
        Command::Poll { sources } => poll(load(&cli)?, sources).await,
        Command::Render => {
            let d = Daemon::new(load(&cli)?)?;
            d.reclassify_if_changed().await?;
            d.publish().await.map_err(anyhow::Error::from)?;
            println!("published to {}", d.publisher.dir().display());
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
            let items = d.db.call(move |s| s.items(&filter)).await?;
            print_items(&items, *json);
            Ok(())
        }
        Command::Inspect { targets } => crate::inspect::run(&load(&cli)?, targets).await,
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

async fn poll(config: Config, only: &[String]) -> Result<(), CliError> {
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
    d.reclassify_if_changed().await?;
    let reports = d.poll_once(sources).await;
    let publish = d.publish().await;
    let mut out = std::io::stdout().lock();
    let width = reports.iter().map(|r| r.source.len()).max().unwrap_or(0);
    for r in &reports {
        let _ = match &r.result {
            Ok(c) => writeln!(
                out,
                "{:width$}  new {:>4}  updated {:>4}  unchanged {:>4}  ({} ms)",
                r.source,
                c.new,
                c.updated,
                c.unchanged,
                r.duration.as_millis()
            ),
            Err(e) => writeln!(out, "{:width$}  error: {e}", r.source),
        };
    }
    publish.map_err(anyhow::Error::from)?;
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
