//! Items prepared for rendering: sanitised once, shared by every document.
//!
//! Sanitising HTML is the expensive part of a publish. A [`PreparedItem`] holds the
//! sanitised summary and content, the plain title and the absolute link, and is built
//! once per item version (uid + updated time): every format and selection reuses it,
//! and a cache keeps it across publishes, so a publish after one new item sanitises one
//! item. The cache holds only what the last publish used.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use url::Url;

use super::catalog::Catalog;
use super::sanitize::{html, plain, title};
use super::{SourceInfo, entry_id, join};
use crate::model::{Reason, Related, StoredItem};
use crate::parse::bounds::{MAX_AUTHORS, MAX_CATEGORIES, MAX_LABEL_BYTES, MAX_SUMMARY_BYTES};
use crate::text::codes::MAX_CASE_CODES;
use crate::text::{country, cut_html, cut_text, html_to_text};

/// Another publisher of the same case.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedLink {
    pub source_title: String,
    pub title: String,
    pub link: String,
}

/// One item, ready for any format.
#[derive(Debug, Clone)]
pub struct PreparedItem {
    pub uid: String,
    /// The permanent entry id (`tag:` URI).
    pub id: String,
    pub title: String,
    /// Absolute http(s) link: the item's own, or its anchor on our page.
    pub link: String,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    /// The summary as plain text (JSON Feed's `summary`).
    pub summary_text: Option<String>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub language: Option<String>,
    pub source: String,
    pub source_info: SourceInfo,
    /// The publisher's own categories, plain text.
    pub categories: Vec<String>,
    /// Who a reader is told published it: one name, the source's, with the publisher's
    /// own authors in brackets where they add a name (see [`authors`]).
    pub authors: Vec<String>,
    /// ISO 3166-1 alpha-3 codes of the countries it is about, each with its name in
    /// the item's language (English by default).
    pub countries: Vec<(String, String)>,
    /// Whether `published` was a date without a time (stored as midnight UTC): shown
    /// as the date alone.
    pub date_only: bool,
    /// Whether the summary is ours (the item had no text: see [`fallback_summary`]).
    pub summary_is_ours: bool,
    pub urgent: bool,
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub case_codes: Vec<String>,
    pub tags: Vec<String>,
    /// The other publishers of the same case development.
    pub related: Vec<RelatedLink>,
    /// For a follow-up: the first item of the case it develops.
    pub original: Option<RelatedLink>,
    /// What the item looked like when prepared (see [`version_key`]).
    version_key: u64,
}

/// A hash of everything a rendering shows of `item`: an item whose key is unchanged
/// need not be prepared again. Content edits move `updated`; verdicts, tags and the
/// case grouping are hashed themselves.
fn version_key(item: &StoredItem) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    item.updated.hash(&mut h);
    item.urgent.hash(&mut h);
    item.score.to_bits().hash(&mut h);
    for r in &item.reasons {
        (&r.rule, r.weight.to_bits(), &r.evidence).hash(&mut h);
    }
    item.language.hash(&mut h);
    item.tags.hash(&mut h);
    item.case_codes.hash(&mut h);
    item.countries.hash(&mut h);
    for r in &item.reasons {
        r.label.hash(&mut h);
    }
    for r in item.related.iter().chain(&item.original) {
        (&r.id, &r.title, &r.link).hash(&mut h);
    }
    item.original.is_some().hash(&mut h);
    h.finish()
}

impl PreparedItem {
    fn new(item: &StoredItem, public_url: &Url, page: &str, sources: &Catalog) -> PreparedItem {
        let source_info = info(sources, &item.source);
        let link = match &item.link {
            Some(l) if l.starts_with("http://") || l.starts_with("https://") => l.clone(),
            _ => format!("{}#{}", join(public_url, page), item.id),
        };
        // Items stored before the limits existed are cut here too (see
        // `crate::parse::bounds`); `html` caps content and nesting itself.
        let summary = item
            .summary
            .as_deref()
            .map(|s| cut_html(s, MAX_SUMMARY_BYTES));
        let summary_html = summary
            .as_deref()
            .map(|s| html(s, Some(&link)))
            .filter(|s| !s.trim().is_empty());
        let content_html = item
            .content
            .as_deref()
            .map(|s| html(s, Some(&link)))
            .filter(|s| !s.trim().is_empty());
        let mut summary_text = summary
            .as_deref()
            .map(|s| plain(&html_to_text(s)))
            .filter(|s| !s.is_empty());
        let countries = countries(item);
        let case_codes: Vec<String> = item
            .case_codes
            .iter()
            .take(MAX_CASE_CODES)
            .map(|c| plain(c))
            .collect();
        let mut summary_html = summary_html;
        let summary_is_ours = summary_html.is_none() && content_html.is_none();
        if summary_is_ours {
            // No text of the publisher's: a line saying what is known, so that no
            // entry is empty (the W3C validator's "Missing textual content").
            let line = fallback_summary(&source_info.title, &countries, &case_codes, &item.reasons);
            summary_html = Some(html_escape::encode_text(&line).into_owned());
            summary_text = Some(line);
        }
        PreparedItem {
            uid: item.id.clone(),
            id: entry_id(public_url, &item.id),
            title: title(&item.title),
            link,
            summary_html,
            content_html,
            summary_text,
            published: item.published,
            updated: item.updated,
            language: item.language.clone(),
            source: item.source.clone(),
            categories: categories(&item.categories),
            authors: authors(&source_info.title, &item.authors),
            countries,
            date_only: item.published.time() == chrono::NaiveTime::MIN,
            summary_is_ours,
            urgent: item.urgent,
            score: item.score,
            reasons: item.reasons.clone(),
            case_codes,
            tags: item.tags.iter().map(|t| plain(t)).collect(),
            related: item
                .related
                .iter()
                .filter_map(|r| related_link(r, sources))
                .collect(),
            original: item
                .original
                .as_ref()
                .and_then(|r| related_link(r, sources)),
            source_info,
            version_key: 0,
        }
    }

    /// What a reader is told of why the item was selected: the rules' labels (their
    /// names where they have none), each once.
    pub fn why(&self) -> Vec<String> {
        why(&self.reasons)
    }

    /// The feeds' summary: the publisher's (or ours), with a last line saying why the
    /// item was selected when the summary is the publisher's; `None` when the item
    /// has content but no summary and no reason.
    pub fn feed_summary(&self) -> Option<String> {
        let why = self.why();
        match &self.summary_html {
            Some(s) if self.summary_is_ours || why.is_empty() => Some(s.clone()),
            s => {
                if why.is_empty() {
                    return None;
                }
                let line = format!(
                    "<p>Selected because: {}</p>",
                    html_escape::encode_text(&why.join("; "))
                );
                Some(match s {
                    Some(s) => format!("{s}\n{line}"),
                    None => line,
                })
            }
        }
    }
}

fn why(reasons: &[Reason]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in reasons {
        let t = plain(r.reader_text());
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The publisher's categories, bounded, as plain text.
fn categories(raw: &[String]) -> Vec<String> {
    raw.iter()
        .take(MAX_CATEGORIES)
        .map(|c| title(&cut_text(c, MAX_LABEL_BYTES)))
        .filter(|c| !c.is_empty())
        .collect()
}

/// The item's countries, each with its name in the item's language (English by
/// default).
fn countries(item: &StoredItem) -> Vec<(String, String)> {
    let lang = item.language.as_deref();
    item.countries
        .iter()
        .take(MAX_CASE_CODES)
        .map(|c| {
            let name = country::name(c, lang).unwrap_or(c);
            (plain(c), plain(name))
        })
        .collect()
}

/// The one author a reader is shown: the source's title, with the publisher's own
/// authors in brackets when they add a name ("OMCT (Jane Doe)"; "OMCT" in the source
/// "OMCT (English)" adds nothing). One name, because readers show one: feedparser
/// shows the last Atom author, newsboat the first.
fn authors(source_title: &str, own: &[String]) -> Vec<String> {
    let source = plain(source_title);
    let folded = source.to_lowercase();
    let mut extra: Vec<String> = Vec::new();
    for a in own.iter().take(MAX_AUTHORS) {
        let a = title(&cut_text(a, MAX_LABEL_BYTES));
        let fa = a.to_lowercase();
        if !a.is_empty() && !folded.contains(&fa) && !extra.iter().any(|o| o.to_lowercase() == fa) {
            extra.push(a);
        }
    }
    let name = match (source.is_empty(), extra.is_empty()) {
        (true, _) => extra.join(", "),
        (false, true) => source,
        (false, false) => format!("{source} ({})", extra.join(", ")),
    };
    if name.is_empty() {
        Vec::new()
    } else {
        vec![name]
    }
}

/// The summary of an item without text: "OMCT · Moldova · MDA 001/0120/OBS 008 ·
/// Arrest or detention named in the title".
fn fallback_summary(
    source_title: &str,
    countries: &[(String, String)],
    case_codes: &[String],
    reasons: &[Reason],
) -> String {
    let mut parts = vec![plain(source_title)];
    parts.extend(countries.iter().map(|(_, name)| name.clone()));
    parts.extend(case_codes.iter().cloned());
    let why = why(reasons);
    if !why.is_empty() {
        parts.push(why.join("; "));
    }
    parts.retain(|p| !p.is_empty());
    parts.join(" · ")
}

fn info(sources: &Catalog, id: &str) -> SourceInfo {
    sources.info(id).unwrap_or_else(|| SourceInfo {
        title: id.to_string(),
        url: String::new(),
        feed_url: String::new(),
    })
}

/// A related item as a link; only absolute http(s) links are published.
fn related_link(r: &Related, sources: &Catalog) -> Option<RelatedLink> {
    let link = r
        .link
        .as_deref()
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))?;
    Some(RelatedLink {
        source_title: plain(&info(sources, &r.source).title),
        title: title(&r.title),
        link: link.to_string(),
    })
}

/// Prepared items by uid, valid while the item's `updated` time is unchanged.
#[derive(Debug, Default)]
pub struct Cache {
    items: Mutex<HashMap<String, Arc<PreparedItem>>>,
}

impl Cache {
    /// Prepares `items`, reusing what an earlier publish prepared, and forgets
    /// everything not in `keep` (called once per publish with every item it used).
    pub fn prepare(
        &self,
        items: &[StoredItem],
        public_url: &Url,
        page: &str,
        sources: &Catalog,
    ) -> Vec<Arc<PreparedItem>> {
        let mut cache = self.items.lock().unwrap_or_else(|p| p.into_inner());
        items
            .iter()
            .map(|item| {
                let key = version_key(item);
                if let Some(p) = cache.get(&item.id)
                    && p.version_key == key
                {
                    return p.clone();
                }
                let mut p = PreparedItem::new(item, public_url, page, sources);
                p.version_key = key;
                let p = Arc::new(p);
                cache.insert(item.id.clone(), p.clone());
                p
            })
            .collect()
    }

    /// Drops every cached item whose uid is not in `used`.
    pub fn retain(&self, used: &std::collections::HashSet<String>) {
        let mut cache = self.items.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|uid, _| used.contains(uid));
    }
}
