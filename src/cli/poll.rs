//! `tocsin poll`: every enabled (or each named) source once, then a publish if anything
//! changed, then one summary line per source.

use std::io::Write;
use std::sync::Arc;

use super::{CliError, written};
use crate::config::Config;
use crate::daemon::{Daemon, PassLine};
use crate::parse::detect::split_proposal;
use crate::poll::{How, PollError, PollReport, Polled};
use crate::publish::PublishOutcome;
use crate::source::Source;
use crate::store::SourceState;

pub(super) async fn run(config: Config, only: &[String], force: bool) -> Result<(), CliError> {
    let sources = selected(&config, only)?;
    let d = Daemon::new(config)?;
    // Rules edited since the last run: stored verdicts follow them before anything else.
    let reclassified = d.reclassify_if_changed().await?.is_some();
    // Channels added to the config since the last run exist from now on.
    if let Err(e) = d.alerts.sync_channels(&d.db, chrono::Utc::now()).await {
        tracing::error!(error = %e, "cannot record the alert channels");
    }
    let lines = d.poll_once(sources, force).await;
    let publish = publish_if_needed(&d, &lines, reclassified).await;
    d.db.close().await?;
    if let Ok(Some(outcome)) = &publish {
        d.after_publish(outcome).await;
    } else {
        // Nothing new, but alerts of earlier runs may be due again (retries, digests).
        d.deliver_alerts().await;
    }
    print_pass(&lines, &mut std::io::stdout().lock());
    publish?;
    // A poll that could not store what it fetched (the database locked for the whole
    // busy timeout, a full disk) is a database failure, as at any other step.
    match lines.into_iter().find_map(|l| match l {
        PassLine::Polled(PollReport {
            result: Err(PollError::Store { source, .. }),
            ..
        }) => Some(source),
        _ => None,
    }) {
        Some(e) => Err(CliError::Database(e)),
        None => Ok(()),
    }
}

/// The sources to poll: the named ones (each must exist), else every enabled one (the
/// config's own list when all are: no copy of every source).
fn selected(config: &Config, only: &[String]) -> Result<Arc<[Source]>, CliError> {
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
    if only.is_empty() && config.sources.iter().all(|s| s.enabled) {
        return Ok(config.sources.clone());
    }
    Ok(config
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
        .collect())
}

/// Publishes when a poll changed something, the rules changed the stored verdicts, or
/// the files were never written; with nothing new (all 304s, unchanged bodies,
/// failures) the published files are current already.
async fn publish_if_needed(
    d: &Daemon,
    lines: &[PassLine],
    reclassified: bool,
) -> Result<Option<PublishOutcome>, CliError> {
    let changed = lines
        .iter()
        .any(|l| matches!(l, PassLine::Polled(r) if matches!(&r.result, Ok(p) if p.changed())));
    if changed || reclassified || !d.publisher.dir().join("urgent.atom").exists() {
        written(d.publish().await?).map(Some)
    } else {
        Ok(None)
    }
}

/// One line per source: what its poll did, or until when it is deferred.
fn print_pass(lines: &[PassLine], out: &mut impl Write) {
    let width = lines
        .iter()
        .map(|l| match l {
            PassLine::Polled(r) => r.source.len(),
            PassLine::Deferred(s) => s.id.len(),
        })
        .max()
        .unwrap_or(0);
    for l in lines {
        match l {
            PassLine::Polled(r) => print_polled(r, width, out),
            PassLine::Deferred(s) => print_deferred(s, width, out),
        }
    }
}

fn print_deferred(s: &SourceState, width: usize, out: &mut impl Write) {
    let _ = writeln!(
        out,
        "{:width$}  deferred until {} ({}; --force polls it now)",
        s.id,
        s.next_due
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default(),
        s.due_reason.as_deref().unwrap_or("deferred"),
    );
}

fn print_polled(r: &PollReport, width: usize, out: &mut impl Write) {
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
        Err(e) => {
            let message = e.to_string();
            let (cut, proposed) = split_proposal(&message);
            let line = writeln!(out, "{:width$}  error: {cut}", r.source);
            // The one-line proposal (as logged and stored) as a table to copy.
            if let Some(p) = proposed {
                let pad = " ".repeat(width + 2);
                let _ = writeln!(
                    out,
                    "{pad}selectors detection proposes for the page as it is now:"
                );
                for l in p.to_toml().lines().filter(|l| !l.is_empty()) {
                    let _ = writeln!(out, "{pad}    {l}");
                }
            }
            line
        }
    };
    for w in &r.warnings {
        let _ = writeln!(out, "{:width$}  warning: {w}", r.source);
    }
}
