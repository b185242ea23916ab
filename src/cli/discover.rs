//! `tocsin discover URL`: a site's feeds, or its listing read by detection, and a
//! ready `[[sources]]` entry ([`crate::discover`] finds them; this prints them).
//!
//! No config file is needed: without one the defaults apply (the fetch limits,
//! politeness and address policy every poll has). With one (`--config`, or the default
//! path when it exists) its `[fetch]` settings are used, its rules give each entry's
//! verdict, and the proposed id is one it does not use yet.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use url::Url;

use super::CliError;
use super::inspect::listing::{explain, report, verdicts};
use super::opml::slug;
use crate::config::{self, Config};
use crate::discover::{Discovery, FoundFeed, discover};
use crate::model::{Classification, ParsedFeed};
use crate::parse::html::ListingItem;
use crate::poll::prepare;
use crate::source::{Source, SourceKind};

/// Entries of the best feed shown in the report.
const SHOWN: usize = 10;

/// Loads the config the command was given, or the defaults when there is none at the
/// default path.
pub(super) fn config(path: &Path) -> Result<(Config, bool), CliError> {
    if !path.exists() && path == Path::new(config::DEFAULT_PATH) {
        super::init_logging(None, false);
        let defaults = Config::from_str_at("", Path::new("(defaults)"))?;
        return Ok((defaults, false));
    }
    let config = Config::load(path);
    super::init_logging(config.as_ref().ok(), false);
    Ok((config?, true))
}

pub(super) async fn run(path: &Path, address: &str, as_json: bool) -> Result<(), CliError> {
    let url = Url::parse(address)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .ok_or_else(|| CliError::Usage(format!("`{address}` is not an http(s) address")))?;
    let (config, configured) = config(path)?;
    let fetcher = config.fetcher();
    let d = discover(&fetcher, &config.fetch.for_source(), &url)
        .await
        .map_err(|e| CliError::Other(anyhow::anyhow!("discover {url}: {e}")))?;
    let source = proposed_source(&config, &d);
    let verdicts = configured.then(|| judge(&config, &source, &d));
    let entry = entry(&source, &d, &config);
    let out = if as_json {
        let mut s = serde_json::to_string_pretty(&to_json(&d, &entry, verdicts.as_deref()))
            .unwrap_or_default();
        s.push('\n');
        s
    } else {
        text(&d, &entry, verdicts.as_deref(), &config)
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    if d.feeds.is_empty() && d.listing.is_none() {
        return Err(CliError::Other(anyhow::anyhow!(
            "{url}: no feed found, and {}",
            d.no_listing
                .as_ref()
                .map_or_else(String::new, ToString::to_string)
        )));
    }
    Ok(())
}

/// The source discovery proposes: the best feed, or the page read as a listing.
fn proposed_source(config: &Config, d: &Discovery) -> Source {
    let best = d.feeds.first().filter(|f| !f.feed.items.is_empty());
    let title = best
        .and_then(|f| f.feed.title.clone())
        .or_else(|| d.page_title.clone())
        .unwrap_or_else(|| d.page_url.host_str().unwrap_or("source").to_string());
    let mut ids: HashSet<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
    let base = slug(&title);
    let mut id = base.clone();
    let mut n = 2;
    while ids.contains(id.as_str()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    ids.insert(&base);
    let (url, language) = match best {
        Some(f) => (f.url.clone(), f.language.clone()),
        None => (
            d.address.clone(),
            d.listing
                .as_ref()
                .and_then(|(l, _)| l.language.clone())
                .or_else(|| d.page_language.clone()),
        ),
    };
    Source {
        id,
        title,
        url,
        language,
        schedule: config.daemon.schedule.as_str().into(),
        enabled: true,
        trust: 0,
        kind: SourceKind::Feed,
        fetch: config.fetch.for_source().into(),
        max_defer: config.fetch.max_defer,
    }
}

/// The rules' verdict on each entry shown: the best feed's, or the listing's.
fn judge(config: &Config, source: &Source, d: &Discovery) -> Vec<Classification> {
    let classifier = config.classifier();
    if let Some((listing, _)) = &d.listing {
        return verdicts(&classifier, source, listing);
    }
    let Some(best) = d.feeds.first() else {
        return Vec::new();
    };
    let feed = ParsedFeed {
        items: best.feed.items.iter().take(SHOWN).cloned().collect(),
        ..best.feed.clone()
    };
    prepare(&classifier, source, feed)
        .into_iter()
        .map(|p| p.class)
        .collect()
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The `[[sources]]` entry to paste into the config.
fn entry(source: &Source, d: &Discovery, config: &Config) -> String {
    let mut out = String::new();
    if let Some(s) = config.sources.iter().find(|s| s.url == source.url) {
        let _ = writeln!(out, "# {} is already configured as `{}`", source.url, s.id);
    }
    let _ = writeln!(out, "[[sources]]");
    let _ = writeln!(out, "id = {}", toml_string(&source.id));
    let _ = writeln!(out, "title = {}", toml_string(&source.title));
    let _ = writeln!(out, "url = {}", toml_string(source.url.as_str()));
    if let Some(l) = &source.language {
        let _ = writeln!(out, "language = {}", toml_string(l));
    }
    if let Some((_, det)) = &d.listing {
        let _ = writeln!(out, "kind = \"html\"");
        let _ = writeln!(
            out,
            "# The selectors detection reads the page with today. Keep them (a poll fails\n\
             # with the layout-change error if they stop matching; on_layout_change = \"auto\"\n\
             # reads by detection instead), edit them, or delete the table to have every poll\n\
             # detect the listing afresh."
        );
        out.push_str(&det.selectors.to_toml());
    }
    out
}

fn date(d: Option<DateTime<Utc>>) -> String {
    d.map_or_else(
        || "no dates".into(),
        |d| d.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

fn verdict_text(v: &Classification) -> String {
    let rules: Vec<&str> = v.reasons.iter().map(|r| r.rule.as_str()).collect();
    format!(
        "{} (score {}{})",
        if v.urgent { "urgent" } else { "not urgent" },
        v.score,
        if rules.is_empty() {
            String::new()
        } else {
            format!(": {}", rules.join(", "))
        }
    )
}

/// The report for a person.
fn text(
    d: &Discovery,
    entry: &str,
    verdicts: Option<&[Classification]>,
    config: &Config,
) -> String {
    let mut out = String::new();
    page_text(&mut out, d);
    if d.tried_places {
        let _ = writeln!(
            out,
            "\nthe page advertises no feed (<link rel=\"alternate\">): tried the usual places{}",
            d.generator
                .as_deref()
                .map(|g| format!(" of {g}"))
                .unwrap_or_default()
        );
    }
    if d.advertised_dropped > 0 {
        let _ = writeln!(
            out,
            "\nthe page advertises {} more feeds, not checked",
            d.advertised_dropped
        );
    }
    if !d.feeds.is_empty() {
        let _ = writeln!(out, "\nfeeds found, the best first:");
        for (i, f) in d.feeds.iter().enumerate() {
            feed_text(&mut out, i, f, d.feeds.len());
        }
    }
    misses_text(&mut out, d);
    if let (Some(best), Some(v)) = (d.feeds.first(), verdicts)
        && d.listing.is_none()
    {
        let _ = writeln!(
            out,
            "\nthe rules of {} on the best feed's first entries:",
            config.path.display()
        );
        for (item, v) in best.feed.items.iter().zip(v) {
            let _ = writeln!(out, "  {}: {}", item.title, verdict_text(v));
        }
    }
    match (&d.listing, &d.no_listing) {
        (Some((listing, det)), _) => {
            let _ = writeln!(out, "\nno feed: the page's listing, read by detection\n");
            explain(&mut out, det);
            report(&mut out, &d.page_url, listing, &det.spec, verdicts);
        }
        (None, Some(e)) if d.feeds.is_empty() => {
            let _ = writeln!(out, "\nno feed, and no listing: {e}");
        }
        _ => {}
    }
    let _ = writeln!(
        out,
        "\n{} request{} sent",
        d.requests,
        if d.requests == 1 { "" } else { "s" }
    );
    if d.feeds.first().is_some_and(|f| !f.feed.items.is_empty()) || d.listing.is_some() {
        let _ = writeln!(
            out,
            "\nthe source, to paste into the config ({}):\n\n{entry}",
            if d.listing.is_some() {
                "an HTML listing"
            } else {
                "the best feed"
            }
        );
    }
    out
}

fn page_text(out: &mut String, d: &Discovery) {
    let _ = writeln!(out, "page {}", d.page_url);
    for h in &d.redirects {
        let _ = writeln!(
            out,
            "  redirected: HTTP {} {} -> {}",
            h.status, h.from, h.to
        );
    }
    for (k, v) in [
        ("title", &d.page_title),
        ("language", &d.page_language),
        ("generator", &d.generator),
    ] {
        if let Some(v) = v {
            let _ = writeln!(out, "  {k}: {v}");
        }
    }
}

fn misses_text(out: &mut String, d: &Discovery) {
    if !d.misses.is_empty() {
        let _ = writeln!(out, "\nno feed at:");
        for m in &d.misses {
            let _ = writeln!(out, "  {} ({}): {}", m.url, m.origin.describe(), m.why);
        }
        if d.misses.iter().any(|m| m.refused) {
            let _ = writeln!(
                out,
                "  (an address the page or a redirect leads to is judged like a link a poll \
                 follows; allow_private = true goes in the [fetch] table of a --config file)"
            );
        }
    }
}

fn feed_text(out: &mut String, i: usize, f: &FoundFeed, n: usize) {
    let _ = writeln!(out, "\n{}. {}", i + 1, f.url);
    if f.final_url != f.url {
        let _ = writeln!(out, "   redirects to: {}", f.final_url);
    }
    let _ = writeln!(out, "   found: {}", f.origin.describe());
    if let Some(t) = &f.feed.title {
        let _ = writeln!(out, "   title: {t}");
    }
    let _ = writeln!(
        out,
        "   entries: {}, newest: {}, language: {}",
        f.feed.items.len(),
        date(f.newest),
        f.language.as_deref().unwrap_or("not said")
    );
    if let Some(why) = &f.why {
        let _ = writeln!(
            out,
            "   {} {}: {why}",
            if i == 0 { "best: before" } else { "before" },
            if i + 2 == n {
                "the next".to_string()
            } else {
                format!("number {}", i + 2)
            }
        );
    }
    for item in f.feed.items.iter().take(3) {
        let _ = writeln!(out, "   - {}", item.title);
    }
}

fn verdict_json(v: &Classification) -> Value {
    json!({"urgent": v.urgent, "score": v.score, "reasons": v.reasons})
}

fn item_json(i: &ListingItem) -> Value {
    json!({
        "title": i.item.title,
        "link": i.item.link,
        "published": i.item.published,
        "summary": i.item.summary,
        "labels": i.item.categories,
        "extras": i.extras.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
    })
}

/// The report as one JSON object.
fn to_json(d: &Discovery, entry: &str, verdicts: Option<&[Classification]>) -> Value {
    let feeds: Vec<Value> = d
        .feeds
        .iter()
        .enumerate()
        .map(|(n, f)| {
            let mut entries: Vec<Value> = f
                .feed
                .items
                .iter()
                .take(SHOWN)
                .map(|i| json!({"title": i.title, "link": i.link, "published": i.published}))
                .collect();
            if n == 0
                && let Some(v) = verdicts
            {
                for (e, v) in entries.iter_mut().zip(v) {
                    e["verdict"] = verdict_json(v);
                }
            }
            json!({
                "url": f.url.as_str(),
                "final_url": f.final_url.as_str(),
                "found": f.origin.describe(),
                "title": f.feed.title,
                "entries": f.feed.items.len(),
                "newest": f.newest,
                "language": f.language,
                "why_before_next": f.why,
                "first_entries": entries,
            })
        })
        .collect();
    let listing = d.listing.as_ref().map(|(l, det)| {
        let mut entries: Vec<Value> = l.items.iter().map(item_json).collect();
        if let Some(v) = verdicts {
            for (e, v) in entries.iter_mut().zip(v) {
                e["verdict"] = verdict_json(v);
            }
        }
        json!({
            "entries": entries,
            "selectors": det.selectors,
            "sources_html": det.selectors.to_toml(),
            "explanation": det.explanation,
        })
    });
    json!({
        "address": d.address.as_str(),
        "page": {
            "url": d.page_url.as_str(),
            "redirects": d.redirects.iter().map(|h| json!({"status": h.status, "from": h.from.as_str(), "to": h.to.as_str()})).collect::<Vec<_>>(),
            "title": d.page_title,
            "language": d.page_language,
            "generator": d.generator,
        },
        "tried_usual_places": d.tried_places,
        "feeds": feeds,
        "not_feeds": d.misses.iter().map(|m| json!({
            "url": m.url.as_str(),
            "found": m.origin.describe(),
            "why": m.why,
            "refused": m.refused,
        })).collect::<Vec<_>>(),
        "listing": listing,
        "no_listing": d.no_listing.as_ref().map(ToString::to_string),
        "requests": d.requests,
        "source": (d.feeds.first().is_some_and(|f| !f.feed.items.is_empty()) || d.listing.is_some()).then_some(entry),
    })
}
