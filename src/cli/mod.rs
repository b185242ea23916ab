//! The command line: parsing, dispatch, exit codes and logging here; one file per
//! command beside it.
//!
//! | command | file |
//! |---|---|
//! | `run` | [`run`] |
//! | `poll` | [`poll`] |
//! | `status` | [`status`] |
//! | `check` | [`check`] |
//! | `render` | [`render`] |
//! | `items` | [`items`] |
//! | `rules test` | [`rules`] |
//! | `inspect` | [`inspect`] |
//! | `discover` | [`discover`] |
//! | `opml export`, `opml import` | [`opml`] |
//! | `notify list`, `notify test` | [`notify`] |
//! | `completions`, `man` | here |
//!
//! Exit codes: 0 success; 1 a command failed at run time; 2 bad usage (from clap);
//! 3 the config is invalid; 4 the database cannot be used.

mod check;
mod discover;
mod inspect;
mod items;
mod man;
mod mark;
mod notify;
mod opml;
mod poll;
mod render;
mod rules;
mod run;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{self, Config, ConfigError};
use crate::daemon::DaemonError;
use crate::publish::{PublishError, PublishOutcome};
use crate::store::{ItemFilter, StoreError};

const EXIT_FAILURE: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_CONFIG: u8 = 3;
const EXIT_DATABASE: u8 = 4;

#[derive(Debug, Parser)]
#[command(
    name = "tocsin",
    version,
    about = "Watches human-rights organisations and publishes one feed of urgent interventions"
)]
pub(crate) struct Cli {
    /// The config file.
    #[arg(long, global = true, env = "TOCSIN_CONFIG", default_value = config::DEFAULT_PATH)]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
    /// An editor's decision on one stored item, which wins over the rules at every
    /// re-classification: shown in its reasons ("marked by an editor", with the note)
    /// and published at once (a running daemon publishes it at its next heartbeat, within
    /// 20 s).
    Mark {
        /// The item's id (the first column of `tocsin items`, `id` in `items --json`).
        #[arg(value_name = "ID")]
        id: String,
        /// The item is urgent, whatever the rules say.
        #[arg(long, group = "decision", required_unless_present_any = ["not_urgent", "clear"])]
        urgent: bool,
        /// The item is not urgent, whatever the rules say.
        #[arg(long, group = "decision")]
        not_urgent: bool,
        /// Remove the mark: the rules decide again.
        #[arg(long, group = "decision", conflicts_with = "note")]
        clear: bool,
        /// Why (shown with the mark).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
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
        /// Offline: apply the selectors in SELECTORS.toml to a saved page; with the
        /// page alone, show what detection finds on it and the selectors it proposes.
        #[arg(
            long,
            num_args = 1..=2,
            value_names = ["SELECTORS.toml", "PAGE.html"],
            conflicts_with = "targets"
        )]
        html: Option<Vec<String>>,
        /// With --html: the URL the page was saved from, so relative links resolve as
        /// on the site (default: the saved file's own location).
        #[arg(long, value_name = "URL", requires = "html")]
        base: Option<String>,
    },
    /// Find a site's feeds from its address (or read its listing without selectors)
    /// and print a ready [[sources]] entry. Needs no config file; with one, uses its
    /// [fetch] settings and shows each entry's verdict under its rules.
    Discover {
        /// The page's address (http or https).
        #[arg(value_name = "URL")]
        url: String,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Export the configured sources as OPML, or print config entries for an OPML file.
    Opml {
        #[command(subcommand)]
        action: OpmlAction,
    },
    /// Alert channels (`[[notify]]`): list them, or send a test alert.
    Notify {
        #[command(subcommand)]
        command: NotifyCommand,
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
pub(crate) enum OpmlAction {
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
pub(crate) enum NotifyCommand {
    /// The channels: kind, target, filters, mode, last delivery, what is pending or
    /// failed. Reads the database only.
    List {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Send a sample alert through one channel now (outside the outbox) and print
    /// what the server answered.
    Test {
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Re-run the current rules over the stored items and print what would change
    /// (newly urgent, no longer urgent, dropped), without writing anything.
    Test {
        /// Only items from this source (repeatable).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        /// Only items published on or after this date (YYYY-MM-DD, or RFC 3339).
        #[arg(long, value_name = "DATE", value_parser = rules::parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
}

/// A failure that maps to an exit code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
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
            CliError::Usage(_) => EXIT_USAGE,
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
    crate::memory::limit_c_arenas();
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Run) {
        quiet_on_closed_pipe();
    }
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

/// `tocsin man | head`: when the reader of standard output goes away, end quietly as
/// Unix tools do (killed by SIGPIPE, which the shell does not report), rather than
/// with "Broken pipe (os error 32)" and exit 1. Rust ignores SIGPIPE by default; the
/// one-shot commands get the default action back. Not `run`: a daemon must never die
/// because a peer closed a socket.
#[allow(
    unsafe_code,
    reason = "signal is a C call; it restores SIGPIPE's default action before any thread starts"
)]
fn quiet_on_closed_pipe() {
    // SAFETY: setting a signal's disposition to SIG_DFL, before the runtime starts threads.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
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
        // A one-shot `poll` prints each source's failure and warnings on its own
        // summary line: the poll's log lines would say them a second time.
        _ => "warn,tocsin::poll::report=error,tokio_cron_scheduler=warn".to_string(),
    };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&configured))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let json = config.is_some_and(|c| c.daemon.log_format == config::LogFormat::Json);
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
    // Compiling the rules is the peak of a short command such as a poll where every
    // feed answers 304: what it freed goes back before the work starts.
    crate::memory::release_free();
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
        Command::Check => check::run(&cli),
        Command::Run => run::run(load(&cli)?).await,
        Command::Poll { sources, force } => poll::run(load(&cli)?, sources, *force).await,
        Command::Status { json } => status::run(&load(&cli)?, *json),
        Command::Render => render::run(load(&cli)?).await,
        Command::Items {
            urgent,
            sources,
            limit,
            json,
        } => {
            let filter = ItemFilter {
                urgent_only: *urgent,
                sources: sources.clone(),
                limit: Some(*limit),
                ..Default::default()
            };
            items::run(load(&cli)?, filter, *json).await
        }
        Command::Inspect {
            targets,
            source,
            html,
            base,
        } => match (source, html) {
            (Some(id), _) => inspect::run_source(&load(&cli)?, id).await,
            (None, Some(files)) => match files.as_slice() {
                [page] => inspect::run_html(None, page, base.as_deref()),
                [selectors, page, ..] => inspect::run_html(Some(selectors), page, base.as_deref()),
                [] => Err(CliError::Usage("--html needs a page".into())),
            },
            (None, None) => inspect::run(&load(&cli)?, targets).await,
        },
        Command::Discover { url, json } => discover::run(&cli.config, url, *json).await,
        Command::Opml { action } => opml::run(&load(&cli)?, action),
        Command::Notify {
            command: NotifyCommand::List { json },
        } => notify::list(&load(&cli)?, *json),
        Command::Notify {
            command: NotifyCommand::Test { id },
        } => notify::test(&load(&cli)?, id).await,
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "tocsin", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            man::render(&cmd, &mut std::io::stdout())
                .map_err(|e| CliError::Other(anyhow::anyhow!("cannot write the man page: {e}")))?;
            Ok(())
        }
        Command::Mark {
            id,
            urgent,
            not_urgent: _,
            clear,
            note,
        } => {
            let decision = match (urgent, clear) {
                (true, _) => mark::Decision::Urgent,
                (_, true) => mark::Decision::Clear,
                _ => mark::Decision::NotUrgent,
            };
            mark::run(load(&cli)?, id, decision, note.as_deref()).await
        }
        Command::Rules {
            command: RulesCommand::Test { sources, since },
        } => rules::test(load(&cli)?, sources, *since).await,
    }
}
