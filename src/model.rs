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
    /// The item's or the feed's declared language.
    pub language: Option<String>,
}

/// A parsed document: the feed-level facts and its entries.
#[derive(Debug, Clone, Default)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub link: Option<String>,
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
}

/// The classifier's verdict on one item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Classification {
    pub urgent: bool,
    pub score: f64,
    pub reasons: Vec<Reason>,
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
}
