//! `tocsin run`: the daemon, until SIGTERM or SIGINT; SIGHUP reloads the config.

use tokio::signal::unix::{SignalKind, signal};

use super::CliError;
use crate::config::Config;
use crate::daemon::{self, Daemon};

pub(super) async fn run(config: Config) -> Result<(), CliError> {
    let listener = daemon::bind(&config).await?;
    let daemon = Daemon::new(config)?;
    daemon.run(listener, shutdown_signal()).await?;
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for SIGTERM and SIGINT; stop the daemon with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = int.recv() => tracing::info!("SIGINT received"),
    }
}
