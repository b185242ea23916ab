//! `tocsin mark ID --urgent | --not-urgent [--note TEXT]`, `tocsin mark ID --clear`: an
//! editor's decision on one stored item, which wins over the rules.
//!
//! The mark is written to the database, the item is classified again at once (its
//! mark applied) and the output is published. A running daemon sharing the database
//! notices the change on its next heartbeat (the `marks_version` counter; every 20 s,
//! or a third of systemd's `WatchdogSec`) and publishes what it serves from memory.

use super::{CliError, written};
use crate::config::Config;
use crate::daemon::Daemon;
use crate::reclassify::reclassify_one;

/// What the editor decided: urgent, not urgent, or no decision any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    Urgent,
    NotUrgent,
    Clear,
}

pub(super) async fn run(
    config: Config,
    id: &str,
    decision: Decision,
    note: Option<&str>,
) -> Result<(), CliError> {
    let d = Daemon::new(config)?;
    let result = async {
        let (uid, note_owned) = (id.to_string(), note.map(str::to_string));
        let recorded =
            d.db.call(move |s| match decision {
                Decision::Urgent => s.set_mark(&uid, true, note_owned.as_deref()),
                Decision::NotUrgent => s.set_mark(&uid, false, note_owned.as_deref()),
                Decision::Clear => s.clear_mark(&uid),
            })
            .await?;
        if !recorded {
            return Err(CliError::Usage(match decision {
                Decision::Clear => format!("item `{id}` has no mark"),
                _ => format!("no stored item `{id}` (see `tocsin items`: the first column)"),
            }));
        }
        let (classifier, sources, uid) = (
            d.pipeline.classifier.clone(),
            d.config.sources.clone(),
            id.to_string(),
        );
        d.db.call(move |s| reclassify_one(s, &classifier, &sources, &uid))
            .await?;
        written(d.publish().await?)
    }
    .await;
    d.db.close().await?;
    let outcome = result?;
    let what = match decision {
        Decision::Urgent => "marked urgent",
        Decision::NotUrgent => "marked not urgent",
        Decision::Clear => "mark cleared (the rules decide again)",
    };
    println!(
        "{id}: {what}; published {} documents to {} ({} changed)",
        outcome.documents,
        d.publisher.dir().display(),
        outcome.changed.len()
    );
    Ok(())
}
