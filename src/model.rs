//! The data that flows between stages: what a parser yields, what the classifier
//! decides, what the store keeps and the publisher renders.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One entry as a source published it, normalised but not yet stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedItem {
    /// The feed's own id (RSS guid, Atom id, JSON Feed id), when it has one.
    pub guid: Option<String>,
    /// Absolute link to the item's page.
    pub link: Option<String>,
    /// Plain text.
    pub title: String,
    /// HTML as published (sanitised only on the way out).
    pub summary: Option<String>,
    /// HTML as published.
    pub content: Option<String>,
    pub categories: Vec<String>,
    pub authors: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// The language the item itself declares (Atom `xml:lang` on the entry), reduced to
    /// its primary tag. The document's declaration is [`ParsedFeed::language`].
    pub language: Option<String>,
}

/// A parsed document: the feed-level facts and its entries.
#[derive(Debug, Clone, Default)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub link: Option<String>,
    /// What the document declares (RSS `<language>`, the feed's `xml:lang`,
    /// `<html lang>`): a default for its items, after the source's configured language.
    pub language: Option<String>,
    /// RSS `<ttl>` in minutes.
    pub ttl_minutes: Option<u32>,
    pub items: Vec<ParsedItem>,
}

/// Why a rule fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The rule's name.
    pub rule: String,
    pub weight: f64,
    /// Where it matched and on what, e.g. `title: "urgent appeal"`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub evidence: String,
    /// What a reader is told (the rule's `label`, e.g. "Arrest or detention named in
    /// the title"); `None` for a rule without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// The name of the reason an editor's mark adds (see `tocsin mark`).
pub const EDITOR_RULE: &str = "marked by an editor";

impl Reason {
    /// What a reader is told of this reason: its label, else the rule's name.
    pub fn reader_text(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.rule)
    }
}

/// An editor's decision on one item: it wins over the rules (see `tocsin mark`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mark {
    pub urgent: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub marked_at: DateTime<Utc>,
}

impl Mark {
    /// Applies the mark to a verdict of the rules: urgency set (and no drop when marked
    /// urgent), the mark added to the reasons (with the note as its evidence). Score,
    /// tags and codes stay the rules'.
    pub fn apply(&self, class: &mut Classification) {
        // Marked urgent, it is kept even if a drop rule matches it.
        if self.urgent {
            class.drop = false;
        }
        class.urgent = self.urgent;
        class.reasons.retain(|r| r.rule != EDITOR_RULE);
        class.reasons.push(Reason {
            rule: EDITOR_RULE.to_string(),
            weight: 0.0,
            evidence: self.note.clone().unwrap_or_default(),
            label: Some(
                if self.urgent {
                    "Marked urgent by an editor"
                } else {
                    "Marked not urgent by an editor"
                }
                .to_string(),
            ),
        });
    }
}

/// The classifier's verdict on one item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Classification {
    pub urgent: bool,
    pub score: f64,
    /// Every rule that matched, with its weight (including rules of weight 0 that only tag).
    pub reasons: Vec<Reason>,
    /// Categories added by the `tag` of the rules that matched.
    pub tags: Vec<String>,
    /// A rule with `drop = true` matched: the item is neither stored nor published.
    pub drop: bool,
    /// Observatory / SOS-Torture codes found in the title, summary and content,
    /// normalised (see [`crate::text::codes`]).
    pub case_codes: Vec<String>,
    /// ISO 3166-1 alpha-3 codes of the countries the item is about, from its case
    /// codes, country label and title (see [`crate::text::country::of_item`]).
    pub countries: Vec<String>,
}

/// Another item of the same case, as the publisher links to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Related {
    /// Its public id.
    pub id: String,
    pub source: String,
    pub title: String,
    pub link: Option<String>,
}

/// An item as stored, with everything the publisher and `tocsin items` show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredItem {
    /// Stable public id, never changes for the item.
    pub id: String,
    pub source: String,
    pub title: String,
    pub link: Option<String>,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub categories: Vec<String>,
    pub authors: Vec<String>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    pub language: Option<String>,
    pub urgent: bool,
    pub score: f64,
    pub reasons: Vec<Reason>,
    /// Normalised case codes (`MDA 001/0120/OBS 008`, `Case MDA 170811`); published as
    /// categories.
    pub case_codes: Vec<String>,
    /// Categories the rules added (`tag`).
    pub tags: Vec<String>,
    /// ISO 3166-1 alpha-3 codes of the countries the item is about (`MDA`).
    pub countries: Vec<String>,
    /// In the urgent selection: the other publishers of the same case development
    /// ("also published by FIDH"), first seen first. Empty elsewhere.
    pub related: Vec<Related>,
    /// In the urgent selection, for a follow-up (`OBS 052.1`): the first item of the case
    /// it develops, when stored. `None` elsewhere.
    pub original: Option<Related>,
}
