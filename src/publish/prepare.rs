//! Items prepared for rendering: sanitised once, shared by every document.
//!
//! Sanitising HTML is the expensive part of a publish. A [`PreparedItem`] holds the
//! sanitised summary and content, the plain title and the absolute link, and is built
//! once per item version (uid + updated time): every format and selection reuses it,
//! and a cache keeps it across publishes, so a publish after one new item sanitises one
//! item. The cache holds only what the last publish used.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use url::Url;

use super::sanitize::{html, plain, title};
use super::{SourceInfo, entry_id, join};
use crate::model::{Reason, Related, StoredItem};
use crate::parse::bounds::{MAX_AUTHORS, MAX_CATEGORIES, MAX_LABEL_BYTES, MAX_SUMMARY_BYTES};
use crate::text::codes::MAX_CASE_CODES;
use crate::text::{cut_html, cut_text, html_to_text};

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
    pub authors: Vec<String>,
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
    for r in item.related.iter().chain(&item.original) {
        (&r.id, &r.title, &r.link).hash(&mut h);
    }
    item.original.is_some().hash(&mut h);
    h.finish()
}

impl PreparedItem {
    fn new(
        item: &StoredItem,
        public_url: &Url,
        page: &str,
        sources: &BTreeMap<String, SourceInfo>,
    ) -> PreparedItem {
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
        let summary_text = summary
            .as_deref()
            .map(|s| plain(&html_to_text(s)))
            .filter(|s| !s.is_empty());
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
            source_info,
            categories: item
                .categories
                .iter()
                .take(MAX_CATEGORIES)
                .map(|c| title(&cut_text(c, MAX_LABEL_BYTES)))
                .filter(|c| !c.is_empty())
                .collect(),
            authors: item
                .authors
                .iter()
                .take(MAX_AUTHORS)
                .map(|a| title(&cut_text(a, MAX_LABEL_BYTES)))
                .filter(|a| !a.is_empty())
                .collect(),
            urgent: item.urgent,
            score: item.score,
            reasons: item.reasons.clone(),
            case_codes: item
                .case_codes
                .iter()
                .take(MAX_CASE_CODES)
                .map(|c| plain(c))
                .collect(),
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
            version_key: 0,
        }
    }
}

fn info(sources: &BTreeMap<String, SourceInfo>, id: &str) -> SourceInfo {
    sources.get(id).cloned().unwrap_or_else(|| SourceInfo {
        title: id.to_string(),
        url: String::new(),
        feed_url: String::new(),
    })
}

/// A related item as a link; only absolute http(s) links are published.
fn related_link(r: &Related, sources: &BTreeMap<String, SourceInfo>) -> Option<RelatedLink> {
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
        sources: &BTreeMap<String, SourceInfo>,
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
