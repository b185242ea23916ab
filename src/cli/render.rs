//! `tocsin render`: publish the output files again from the database, without polling.

use super::{CliError, written};
use crate::config::Config;
use crate::daemon::Daemon;

pub(super) async fn run(config: Config) -> Result<(), CliError> {
    let d = Daemon::new(config)?;
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
