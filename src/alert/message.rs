//! What an alert says: the data stored in the outbox with each message (so a resend
//! says the same), the webhook's JSON body, and what the templates see.
//!
//! The webhook body (`version` 1):
//!
//! ```json
//! { "version": 1, "event": "case", "delivery": "3f9c…", "channel": "moldova-desk",
//!   "feed_url": "https://…/urgent.atom",
//!   "item": { "id": "…", "url": "…", "title": "…", "summary": "…", "content_html": "…",
//!             "date_published": "…", "date_modified": "…", "language": "ro",
//!             "authors": [{"name": "…"}], "tags": ["…"],
//!             "_tocsin": { "source": {…}, "sources": [{…}], "countries": [{…}],
//!                          "case_codes": ["…"], "reasons": [{…}], "follow_up_of": {…} } } }
//! ```
//!
//! `item` has the JSON Feed 1.1 item's fields, and tocsin's own under `_tocsin` (the
//! JSON Feed extension convention, as in `urgent.json`). A digest has `items` (at most
//! [`DIGEST_ITEMS`]) and `more` instead of `item`; `source_failing` and
//! `source_recovered` have `source`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::StoredItem;
use crate::text::{cut_text, html_to_text};

/// Bytes of plain-text excerpt in an alert.
pub const EXCERPT_BYTES: usize = 600;
/// Bytes of (sanitised) HTML excerpt in an alert.
pub const EXCERPT_HTML_BYTES: usize = 4096;
/// Reasons shown per alert.
pub const MAX_REASONS: usize = 8;
/// Other sources shown per alert.
pub const MAX_SOURCES: usize = 10;
/// Cases listed in one digest; past that it says how many more.
pub const DIGEST_ITEMS: usize = 100;

/// A source as an alert names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRef {
    pub id: String,
    pub title: String,
    /// The item of this source (for the other publishers of a case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A country the case is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountryRef {
    /// ISO 3166 alpha-3.
    pub code: String,
    pub name: String,
}

/// Why the case was selected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonRef {
    pub rule: String,
    pub weight: f64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub evidence: String,
}

/// The case a follow-up develops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUpOf {
    pub case_code: String,
    pub title: Option<String>,
    pub url: Option<String>,
}

/// tocsin's own fields of a case alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extra {
    pub source: SourceRef,
    /// Every publisher of the development, the lead first.
    pub sources: Vec<SourceRef>,
    pub countries: Vec<CountryRef>,
    pub case_codes: Vec<String>,
    pub reasons: Vec<ReasonRef>,
    pub follow_up_of: Option<FollowUpOf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Author {
    pub name: String,
}

/// One case development, as a JSON Feed item with tocsin's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseAlert {
    pub id: String,
    pub url: Option<String>,
    pub title: String,
    /// Plain text, at most [`EXCERPT_BYTES`].
    pub summary: String,
    /// Sanitised HTML, at most [`EXCERPT_HTML_BYTES`] before sanitising.
    pub content_html: String,
    pub date_published: DateTime<Utc>,
    pub date_modified: DateTime<Utc>,
    pub language: Option<String>,
    pub authors: Vec<Author>,
    pub tags: Vec<String>,
    #[serde(rename = "_tocsin")]
    pub tocsin: Extra,
}

/// A source that fails, or works again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceAlert {
    pub id: String,
    pub title: String,
    pub url: String,
    /// Since when it fails (its last success, or when it was first seen failing).
    pub since: DateTime<Utc>,
    pub failures: u32,
    pub last_error: Option<String>,
}

/// What one outbox message carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Payload {
    Case {
        item: Box<CaseAlert>,
    },
    Digest {
        items: Vec<CaseAlert>,
        /// Cases beyond [`DIGEST_ITEMS`].
        more: usize,
    },
    SourceFailing {
        source: SourceAlert,
    },
    SourceRecovered {
        source: SourceAlert,
    },
}

impl Payload {
    pub fn event(&self) -> &'static str {
        match self {
            Payload::Case { .. } => "case",
            Payload::Digest { .. } => "digest",
            Payload::SourceFailing { .. } => "source_failing",
            Payload::SourceRecovered { .. } => "source_recovered",
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }

    /// A digest of `cases`, the first [`DIGEST_ITEMS`] listed.
    pub fn digest(mut cases: Vec<CaseAlert>) -> Payload {
        let more = cases.len().saturating_sub(DIGEST_ITEMS);
        cases.truncate(DIGEST_ITEMS);
        Payload::Digest { items: cases, more }
    }
}

/// The alert for a development shown by `entry` (an urgent selection entry: the lead
/// item with its `related` and `original`), `items` its stored items (lead first).
pub fn case_alert(
    entry: &StoredItem,
    items: &[&StoredItem],
    source_title: &dyn Fn(&str) -> String,
) -> CaseAlert {
    let body = entry
        .summary
        .as_deref()
        .or(entry.content.as_deref())
        .unwrap_or("");
    let summary = cut_text(
        &crate::publish::sanitize::plain(&html_to_text(body)),
        EXCERPT_BYTES,
    );
    let content_html = crate::publish::sanitize::html(
        &crate::text::cut_html(body, EXCERPT_HTML_BYTES),
        entry.link.as_deref(),
    );
    let countries = countries(items, entry.language.as_deref());
    let source = SourceRef {
        id: entry.source.clone(),
        title: source_title(&entry.source),
        url: entry.link.clone(),
    };
    let sources = std::iter::once(source.clone())
        .chain(entry.related.iter().map(|r| SourceRef {
            id: r.source.clone(),
            title: source_title(&r.source),
            url: r.link.clone(),
        }))
        .take(MAX_SOURCES)
        .collect();
    let follow_up_of = entry
        .case_codes
        .iter()
        .find_map(|c| crate::text::codes::original(c))
        .map(|code| FollowUpOf {
            case_code: code.to_string(),
            title: entry.original.as_ref().map(|o| o.title.clone()),
            url: entry.original.as_ref().and_then(|o| o.link.clone()),
        });
    let mut tags: Vec<String> = entry.categories.clone();
    for t in entry.case_codes.iter().chain(&entry.tags) {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    CaseAlert {
        id: entry.id.clone(),
        url: entry.link.clone(),
        title: crate::publish::sanitize::title(&entry.title),
        summary,
        content_html,
        date_published: entry.published,
        date_modified: entry.updated,
        language: entry.language.clone(),
        authors: entry
            .authors
            .iter()
            .map(|a| Author { name: a.clone() })
            .collect(),
        tags,
        tocsin: Extra {
            source,
            sources,
            countries,
            case_codes: entry.case_codes.clone(),
            reasons: entry
                .reasons
                .iter()
                .filter(|r| r.weight != 0.0)
                .take(MAX_REASONS)
                .map(|r| ReasonRef {
                    rule: r.rule.clone(),
                    weight: r.weight,
                    evidence: cut_text(&r.evidence, 200),
                })
                .collect(),
            follow_up_of,
        },
    }
}

/// The countries of a development's `items`, named in `lang`.
fn countries(items: &[&StoredItem], lang: Option<&str>) -> Vec<CountryRef> {
    let mut codes: Vec<&'static str> = Vec::new();
    for i in items {
        for c in super::channel::countries_of(i) {
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
    }
    codes
        .into_iter()
        .map(|c| CountryRef {
            code: c.to_string(),
            name: crate::text::country::name(c, lang).unwrap_or(c).to_string(),
        })
        .collect()
}

/// A made-up case, for `tocsin notify test`.
pub fn sample(now: DateTime<Utc>) -> CaseAlert {
    CaseAlert {
        id: "tocsin-test".into(),
        url: Some("https://example.org/tocsin-test".into()),
        title: "Test alert from tocsin: Moldova: arbitrary detention of a human rights defender"
            .into(),
        summary: "This is a test message sent by `tocsin notify test`. It is not an urgent appeal."
            .into(),
        content_html: "<p>This is a test message sent by <code>tocsin notify test</code>. It is not an urgent appeal.</p>".into(),
        date_published: now,
        date_modified: now,
        language: Some("en".into()),
        authors: Vec::new(),
        tags: vec!["MDA 001 / 0101 / OBS 001".into()],
        tocsin: Extra {
            source: SourceRef {
                id: "tocsin".into(),
                title: "tocsin".into(),
                url: None,
            },
            sources: Vec::new(),
            countries: vec![CountryRef {
                code: "MDA".into(),
                name: "Moldova".into(),
            }],
            case_codes: vec!["MDA 001 / 0101 / OBS 001".into()],
            reasons: vec![ReasonRef {
                rule: "test".into(),
                weight: 1.0,
                evidence: String::new(),
            }],
            follow_up_of: None,
        },
    }
}
