//! `tocsin items`: stored items, newest first, as lines or JSON (the JSON form is also
//! what `inspect` prints).

use std::io::Write;

use serde::Serialize;

use super::CliError;
use crate::config::Config;
use crate::daemon::Daemon;
use crate::model::StoredItem;
use crate::store::ItemFilter;

/// Prints the items `filter` selects.
pub(super) async fn run(config: Config, filter: ItemFilter, json: bool) -> Result<(), CliError> {
    let d = Daemon::new(config)?;
    let items = d.db.read(move |s| s.items(&filter)).await?;
    print_items(&items, json);
    Ok(())
}

/// An item as `items --json` and `inspect` print it.
#[derive(Serialize)]
pub(super) struct ItemLine<'a> {
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
    /// ISO 3166-1 alpha-3 codes of the countries the item is about.
    pub countries: &'a [String],
}

impl<'a> ItemLine<'a> {
    pub(super) fn of(i: &'a StoredItem) -> Self {
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
            countries: &i.countries,
        }
    }
}

pub(super) fn print_items(items: &[StoredItem], json: bool) {
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
                "{} {} {} {:<16} {}{}",
                i.id,
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
