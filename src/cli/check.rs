//! `tocsin check`: validate the config, print every problem (exit 3) or a summary.

use super::{Cli, CliError};
use crate::config::Config;

pub(super) fn run(cli: &Cli) -> Result<(), CliError> {
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
