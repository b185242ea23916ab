//! `tocsin inspect --source ID` and `tocsin inspect --html [SELECTORS.toml] PAGE.html`:
//! what an HTML source's selectors extract from a page, value by value, with what did
//! not match and why; and, for a source read by detection (or a page given without
//! selectors, or selectors that match nothing), what detection found and why it chose
//! it. Exits 1 when a poll would fail on the page (the layout-change error, or no list
//! found).

use std::fmt::Write as _;
use std::io::Write as _;

use chrono::SecondsFormat;
use url::Url;

use super::super::CliError;
use crate::classify::Classifier;
use crate::config::Config;
use crate::fetch::Fetched;
use crate::model::{Classification, ParsedFeed};
use crate::parse::decode_html;
use crate::parse::detect::{Detection, detect_listing};
use crate::parse::html::{Listing, ListingItem, ListingSpec, parse_listing};
use crate::parse::{Detected, ParseError};
use crate::poll::html::{fetch_content, get_page, read_listing, read_page_one};
use crate::poll::prepare;
use crate::source::{ReadWith, Source, SourceKind};
use crate::text::charset::{DocKind, to_utf8};
use crate::text::html_to_text;

/// Characters of an item page's body shown as a sample.
const SAMPLE_CHARS: usize = 300;

/// Fetches a configured source's page one and reports what its selectors (or
/// detection) extract, as a poll would read it.
pub(crate) async fn run_source(config: &Config, id: &str) -> Result<(), CliError> {
    let Some(source) = config.source(id) else {
        return Err(CliError::Usage(format!(
            "no source `{id}` in {}",
            config.path.display()
        )));
    };
    let html = match &source.kind {
        SourceKind::Html(h) => h.clone(),
        SourceKind::Feed => return super::run(config, &[source.url.to_string()]).await,
    };
    let fetcher = config.fetcher();
    let fetched = get_page(&fetcher, source, &source.url)
        .await
        .map_err(|e| CliError::Other(anyhow::anyhow!("{e}")))?;
    let classifier = config.classifier();
    let page_url = &fetched.final_url;
    let mut out = format!("source {id}\n");
    if let ReadWith::Selectors { spec, .. } = &html.read {
        let configured = read_listing(&fetched, spec);
        if configured.check().is_err() {
            report(&mut out, page_url, &configured, spec, None);
        }
    }
    let page = match read_page_one(&fetched, &html) {
        Ok(page) => page,
        Err(e) => {
            if let ParseError::LayoutChanged {
                detected: Detected::Found(_),
                ..
            } = &e
            {
                instead(&mut out, &fetched, source, &classifier);
            }
            print(&out);
            return Err(CliError::Other(anyhow::Error::new(e)));
        }
    };
    if let Some(w) = page.fallback_warning() {
        let _ = writeln!(out, "\nwarning: {w}\n");
    }
    match &page.detection {
        Some(d) => detected(&mut out, page_url, &page.listing, d, source, &classifier),
        None => {
            let verdicts = verdicts(&classifier, source, &page.listing);
            report(
                &mut out,
                page_url,
                &page.listing,
                &page.spec,
                Some(&verdicts),
            );
        }
    }
    if html.follow {
        item_page(&mut out, &fetcher, source, &html, &page.listing).await;
    }
    finish(out, &page.listing)
}

/// A sample of the first item's page, read with `content`, as `follow` keeps it.
async fn item_page(
    out: &mut String,
    fetcher: &crate::fetch::Fetcher,
    source: &Source,
    html: &crate::source::HtmlSource,
    listing: &Listing,
) {
    if let (Some(content), Some(link)) = (
        &html.content,
        listing.items.first().and_then(|i| i.item.link.as_deref()),
    ) && let Ok(url) = Url::parse(link)
    {
        match fetch_content(fetcher, source, &url, content).await {
            Ok(body) => {
                let text = html_to_text(&body);
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let _ = writeln!(
                    out,
                    "\ncontent of item 1's page (`{}`): {} characters of text\n    {}",
                    content.raw,
                    text.chars().count(),
                    sample(&text)
                );
            }
            Err(e) => {
                let _ = writeln!(out, "\ncontent of item 1's page: {e}");
            }
        }
    }
}

/// What detection reads on a page whose selectors match nothing.
fn instead(out: &mut String, fetched: &Fetched, source: &Source, classifier: &Classifier) {
    let page_url = &fetched.final_url;
    let text = to_utf8(
        &fetched.body,
        fetched.meta.content_type.as_deref(),
        DocKind::Html,
    );
    if let Ok((listing, d)) = detect_listing(&text.text, page_url, None) {
        let _ = writeln!(
            out,
            "\nthe selectors match nothing; detection reads the page as below \
             (a poll fails instead: on_layout_change = \"error\")\n"
        );
        detected(out, page_url, &listing, &d, source, classifier);
    }
}

/// The rules' verdict on each entry of a listing.
pub(in crate::cli) fn verdicts(
    classifier: &Classifier,
    source: &Source,
    listing: &Listing,
) -> Vec<Classification> {
    prepare(
        classifier,
        source,
        ParsedFeed {
            items: listing.items.iter().map(|i| i.item.clone()).collect(),
            language: listing.language.clone(),
            ..Default::default()
        },
    )
    .into_iter()
    .map(|p| p.class)
    .collect()
}

/// What detection found: why that list, the selectors it proposes, and the entries.
fn detected(
    out: &mut String,
    page_url: &Url,
    listing: &Listing,
    d: &Detection,
    source: &Source,
    classifier: &Classifier,
) {
    explain(out, d);
    let verdicts = verdicts(classifier, source, listing);
    report(out, page_url, listing, &d.spec, Some(&verdicts));
}

/// Detection's explanation and proposed selectors.
pub(in crate::cli) fn explain(out: &mut String, d: &Detection) {
    let _ = write!(out, "detection {}", d.explanation);
    let _ = writeln!(
        out,
        "\nselectors detection uses (a [sources.html] table to keep or edit):\n{}",
        d.selectors.to_toml()
    );
}

/// Applies a selectors file to a saved page, offline; without one, shows what
/// detection finds on it.
pub(crate) fn run_html(
    selectors: Option<&str>,
    page: &str,
    base: Option<&str>,
) -> Result<(), CliError> {
    let spec = selectors
        .map(|s| Config::load_selectors(std::path::Path::new(s)))
        .transpose()?;
    let bytes = std::fs::read(page)
        .map_err(|e| CliError::Other(anyhow::anyhow!("cannot read {page}: {e}")))?;
    let base = match base {
        Some(b) => Url::parse(b)
            .ok()
            .filter(|u| u.has_host())
            .ok_or_else(|| CliError::Usage(format!("--base `{b}` is not an absolute URL")))?,
        None => std::path::absolute(page)
            .ok()
            .and_then(|p| Url::from_file_path(p).ok())
            .ok_or_else(|| CliError::Usage(format!("{page}: not a usable path")))?,
    };
    let text = decode_html(&bytes, None);
    let mut out = String::new();
    let Some(spec) = spec else {
        return match detect_listing(&text, &base, None) {
            Ok((listing, d)) => {
                explain(&mut out, &d);
                report(&mut out, &base, &listing, &d.spec, None);
                finish(out, &listing)
            }
            Err(e) => Err(CliError::Other(anyhow::anyhow!("{page}: {e}"))),
        };
    };
    let listing = parse_listing(&text, &base, &spec);
    report(&mut out, &base, &listing, &spec, None);
    finish(out, &listing)
}

fn print(out: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

fn finish(out: String, listing: &Listing) -> Result<(), CliError> {
    print(&out);
    listing
        .check()
        .map_err(|e| CliError::Other(anyhow::Error::new(e)))
}

fn sample(text: &str) -> String {
    let mut s: String = text.chars().take(SAMPLE_CHARS).collect();
    if text.chars().count() > SAMPLE_CHARS {
        s.push('…');
    }
    s
}

/// Writes the human-readable report of one page.
pub(in crate::cli) fn report(
    out: &mut String,
    page: &Url,
    l: &Listing,
    spec: &ListingSpec,
    verdicts: Option<&[Classification]>,
) {
    let _ = writeln!(out, "page {page}");
    if let Some(t) = &l.title {
        let _ = writeln!(out, "  title: {t}");
    }
    if let Some(lang) = &l.language {
        let _ = writeln!(out, "  language: {lang}");
    }
    let _ = writeln!(
        out,
        "  item `{}`: {} elements, {} items, {} skipped",
        spec.item.raw,
        l.matched,
        l.items.len(),
        l.skipped.len()
    );
    match (&spec.next, &l.next) {
        (Some(n), Some(u)) => {
            let _ = writeln!(out, "  next `{}`: {u}", n.raw);
        }
        (Some(n), None) => {
            let _ = writeln!(out, "  next `{}`: no further page", n.raw);
        }
        (None, _) => {}
    }
    let width = spec
        .extras
        .iter()
        .map(|(n, _)| n.chars().count())
        .chain([7])
        .max()
        .unwrap_or(7)
        + 1;
    for (i, it) in l.items.iter().enumerate() {
        item_report(out, i, it, spec, verdicts.and_then(|v| v.get(i)), width);
    }
    if !l.skipped.is_empty() {
        let _ = writeln!(out);
    }
    for s in &l.skipped {
        let _ = writeln!(out, "skipped element {}: {}", s.position, s.reason);
    }
    for w in l.warnings() {
        let _ = writeln!(out, "warning: {w}");
    }
}

/// One entry of the report: its values as found and read, and the rules' verdict.
fn item_report(
    out: &mut String,
    i: usize,
    it: &ListingItem,
    spec: &ListingSpec,
    verdict: Option<&Classification>,
    width: usize,
) {
    let item = &it.item;
    let _ = writeln!(out, "\n{}. {}", i + 1, item.title);
    let field = |out: &mut String, name: &str, value: &str| {
        let _ = writeln!(out, "   {:width$} {value}", format!("{name}:"));
    };
    field(out, "link", item.link.as_deref().unwrap_or(""));
    if let Some(d) = &spec.date {
        let value = match (&it.date_text, item.published) {
            (None, _) => format!("(nothing at `{}`)", d.raw),
            (Some(t), Some(p)) => {
                format!("{t} -> {}", p.to_rfc3339_opts(SecondsFormat::Secs, true))
            }
            (Some(t), None) => format!(
                "{t} -> not a date ({})",
                spec.date_format
                    .as_deref()
                    .map(|f| format!("date_format `{f}`"))
                    .unwrap_or_else(|| "not ISO 8601; set date_format".into())
            ),
        };
        field(out, "date", &value);
    }
    if spec.summary.is_some() {
        let s = item
            .summary
            .as_deref()
            .map(html_to_text)
            .unwrap_or_default();
        field(out, "summary", &sample(&s));
    }
    for (name, values) in &it.extras {
        let v = if values.is_empty() {
            "(none)".to_string()
        } else {
            values.join(" | ")
        };
        field(out, name, &v);
    }
    if let Some(v) = verdict {
        let rules: Vec<&str> = v.reasons.iter().map(|r| r.rule.as_str()).collect();
        let verdict = format!(
            "{} (score {}{})",
            if v.urgent { "urgent" } else { "not urgent" },
            v.score,
            if rules.is_empty() {
                String::new()
            } else {
                format!(": {}", rules.join(", "))
            }
        );
        field(out, "verdict", &verdict);
    }
}
