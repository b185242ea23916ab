//! `tocsin inspect`: parse without storing, print what the rules make of each item.
//!
//! `--source ID` and `--html SELECTORS.toml PAGE.html` show instead what an HTML
//! source's selectors extract (see [`listing`]), so an operator can fix them when a
//! site changes.

pub(super) mod listing;

use chrono::Utc;
use url::Url;

use super::CliError;
use super::items::print_items;
use crate::classify::Classifier;
use crate::config::Config;
use crate::dedup::item_uid;
use crate::fetch::{Fetcher, Outcome, Request};
use crate::model::StoredItem;
use crate::poll::{prepare, preview};
use crate::source::Source;

pub(super) use listing::{run_html, run_source};

/// Turns a command-line target into a URL: http(s) and file URLs as given, anything
/// else a local path.
fn target_url(t: &str) -> Result<Url, String> {
    if let Ok(u) = Url::parse(t)
        && matches!(u.scheme(), "http" | "https" | "file")
    {
        return Ok(u);
    }
    let abs = std::path::absolute(t).map_err(|e| format!("{t}: {e}"))?;
    Url::from_file_path(&abs).map_err(|_| format!("{t}: not a usable path"))
}

pub(super) async fn run(config: &Config, targets: &[String]) -> Result<(), CliError> {
    let fetcher = config.fetcher();
    let classifier = config.classifier();
    let mut failed = 0;
    for t in targets {
        match inspect_one(config, &fetcher, &classifier, t).await {
            Ok(items) => print_items(&items, true),
            Err(e) => {
                eprintln!("tocsin: inspect {t}: {e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(CliError::Other(anyhow::anyhow!(
            "{failed} of {} targets could not be read",
            targets.len()
        )));
    }
    Ok(())
}

async fn inspect_one(
    config: &Config,
    fetcher: &Fetcher,
    classifier: &Classifier,
    target: &str,
) -> Result<Vec<StoredItem>, String> {
    let url = target_url(target)?;
    let source = config
        .sources
        .iter()
        .find(|s| s.url == url)
        .cloned()
        .unwrap_or_else(|| Source {
            id: "inspect".into(),
            title: target.to_string(),
            url: url.clone(),
            language: None,
            schedule: config.daemon.schedule.as_str().into(),
            enabled: true,
            trust: 0,
            kind: Default::default(),
            fetch: config.fetch.for_source().into(),
            max_defer: config.fetch.max_defer,
        });
    let req =
        Request::new(&source.id, url.clone(), &source.fetch).with_accept(source.kind.accept());
    let Outcome::Body(fetched) = fetcher.fetch(&req).await.map_err(|e| e.to_string())? else {
        return Err(format!(
            "{url}: 304 Not Modified to an unconditional request"
        ));
    };
    let (feed, notes) = preview(&source, &fetched).map_err(|e| e.to_string())?;
    for n in notes {
        eprintln!("tocsin: inspect {target}: {n}");
    }
    let now = Utc::now();
    Ok(prepare(classifier, &source, feed)
        .into_iter()
        .map(|p| {
            let published = p.item.published.unwrap_or(now);
            StoredItem {
                id: item_uid(&source.id, p.keys.primary()),
                source: source.id.clone(),
                title: p.item.title,
                link: p.item.link,
                summary: p.item.summary,
                content: p.item.content,
                categories: p.item.categories,
                authors: p.item.authors,
                published,
                updated: p.item.updated.unwrap_or(published),
                first_seen: now,
                language: p.language,
                urgent: p.class.urgent,
                score: p.class.score,
                reasons: p.class.reasons,
                case_codes: p.class.case_codes,
                tags: p.class.tags,
                countries: p.class.countries,
                related: Vec::new(),
                original: None,
            }
        })
        .collect())
}
