//! `tocsin rules test`: what the current rules would change among the stored items.
//!
//! Reads the stored items (optionally of some sources, published since a date), runs
//! them through the rules of the config file as it is now, and prints the items whose
//! verdict would change, with the score and the rules behind it. Nothing is written, so
//! an operator can edit rules and try them before the daemon re-classifies for real.

use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc};

use super::CliError;
use crate::config::Config;
use crate::model::Classification;
use crate::reclassify::{Change, Comparison, Disagreement, compare};
use crate::store::{ItemFilter, Store};

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
pub(super) fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{s}` is not a date such as 2026-01-31 or 2026-01-31T12:00:00Z"))
}

fn why(c: &Classification) -> String {
    let reasons: Vec<String> = c
        .reasons
        .iter()
        .map(|r| format!("{} {:+}", r.rule, r.weight))
        .collect();
    format!("score {}: {}", c.score, reasons.join(", "))
}

fn line(out: &mut impl Write, c: &Change) {
    let s = &c.subject;
    let _ = writeln!(
        out,
        "  {} {:<16} {}\n      was {} (score {}), now {}",
        s.published.format("%Y-%m-%d"),
        s.source,
        s.item.title,
        if s.urgent { "urgent" } else { "not urgent" },
        s.score,
        why(&c.class),
    );
}

pub(super) async fn test(
    config: Config,
    sources: &[String],
    since: Option<DateTime<Utc>>,
) -> Result<(), CliError> {
    for id in sources {
        if config.source(id).is_none() {
            return Err(CliError::Usage(format!(
                "no source `{id}` in {}",
                config.path.display()
            )));
        }
    }
    // Read-only: the database is opened as is; nothing is re-classified or written.
    let store = Store::open(&config.daemon.database)?;
    let classifier = config.classifier();
    let filter = ItemFilter {
        sources: sources.to_vec(),
        since,
        ..Default::default()
    };
    let Comparison {
        checked,
        changes,
        disagreements,
    } = compare(&store, &classifier, &config.sources, &filter)?;
    let mut out = std::io::stdout().lock();
    fn newly(c: &Change) -> bool {
        !c.class.drop && c.class.urgent
    }
    fn no_longer(c: &Change) -> bool {
        !c.class.drop && !c.class.urgent
    }
    fn dropped(c: &Change) -> bool {
        c.class.drop
    }
    type Pick = fn(&Change) -> bool;
    let groups: [(&str, Pick); 3] = [
        ("newly urgent", newly),
        ("no longer urgent", no_longer),
        ("would be dropped", dropped),
    ];
    let mut counts = Vec::new();
    for (label, pick) in &groups {
        let picked: Vec<&Change> = changes.iter().filter(|c| pick(c)).collect();
        counts.push(format!("{} {label}", picked.len()));
        if picked.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{label} ({}):", picked.len());
        for c in picked {
            line(&mut out, c);
        }
    }
    if !disagreements.is_empty() {
        let _ = writeln!(
            out,
            "marked by an editor, where the rules disagree ({}):",
            disagreements.len()
        );
        for d in &disagreements {
            disagreement(&mut out, d);
        }
    }
    counts.push(format!(
        "{} editor's marks the rules disagree with",
        disagreements.len()
    ));
    let _ = writeln!(
        out,
        "checked {checked} stored items against {} rules: {}",
        config.rules.len(),
        counts.join(", ")
    );
    Ok(())
}

/// One mark the rules disagree with: what the editor decided (and why), what the
/// rules say, and the rules behind it, so a rule author sees what to change.
fn disagreement(out: &mut impl Write, d: &Disagreement) {
    let s = &d.subject;
    let said = |urgent: bool| if urgent { "urgent" } else { "not urgent" };
    let note = d
        .mark
        .note
        .as_deref()
        .map(|n| format!(" (\"{n}\")"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {} {:<16} {}\n      id {}: marked {}{note} on {}; the rules say {}, {}",
        s.published.format("%Y-%m-%d"),
        s.source,
        s.item.title,
        s.uid,
        said(d.mark.urgent),
        d.mark.marked_at.format("%Y-%m-%d"),
        said(d.class.urgent),
        why(&d.class),
    );
}
