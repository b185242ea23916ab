//! Dedup keys: how an item is recognised when it is seen again.
//!
//! Every item gets several keys, all scoped to its source:
//!
//! | key | from | catches |
//! |---|---|---|
//! | `g:` | the feed's guid / id | the same item, edited or moved to a new URL |
//! | `l:` | the canonical link | items without a guid |
//! | `d:` | folded title + publication time | a guid or URL that changed while the item did not |
//! | `t:` | folded title | items with neither guid, link nor date |
//!
//! The first key that exists is the *primary* key: it names the item for ever (its
//! public id is a hash of source and primary key). Matching tries the keys in the order
//! above; the store keeps every key an item was ever seen with, so an item moved twice
//! is still recognised, and keys outlive pruned items so those never come back as new.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use url::Url;

use crate::model::ParsedItem;
use crate::text::{hex, normalize, sha256_hex};

/// Query parameters that track a click and say nothing about the page.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "_ga", "_gl", "igshid",
];

/// The keys of one item, strongest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub keys: Vec<String>,
}

impl Keys {
    /// The key that names the item (the first one).
    pub fn primary(&self) -> &str {
        &self.keys[0]
    }
}

/// The stable public id of an item: 16 hex digits of SHA-256(source, primary key).
pub fn item_uid(source: &str, primary_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(source.as_bytes());
    h.update([0]);
    h.update(primary_key.as_bytes());
    hex(&h.finalize()[..8])
}

fn short_hash(s: &str) -> String {
    sha256_hex(s.as_bytes(), 12)
}

/// A link as a key: scheme and host lower-cased (the URL parser does that), default
/// port, fragment and tracking parameters (`utm_*`, `fbclid`, …) removed.
pub fn canonical_link(link: &str) -> Option<String> {
    let mut url = Url::parse(link).ok()?;
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Some(url.to_string())
}

/// Computes the keys of every item in one document. A link shared by several items of
/// the same document (feeds that point every entry at their home page) is not used as
/// a key for them, or they would all merge into one.
pub fn keys_for(items: &[ParsedItem]) -> Vec<Keys> {
    let links: Vec<Option<String>> = items
        .iter()
        .map(|i| i.link.as_deref().and_then(canonical_link))
        .collect();
    let mut link_count: HashMap<&str, usize> = HashMap::new();
    for l in links.iter().flatten() {
        *link_count.entry(l.as_str()).or_default() += 1;
    }
    items
        .iter()
        .zip(&links)
        .map(|(item, link)| {
            let link = link
                .as_deref()
                .filter(|l| link_count.get(l).copied() == Some(1));
            keys_of(item, link)
        })
        .collect()
}

fn keys_of(item: &ParsedItem, link: Option<&str>) -> Keys {
    let mut keys = Vec::with_capacity(4);
    if let Some(g) = &item.guid {
        keys.push(format!("g:{g}"));
    }
    if let Some(l) = link {
        keys.push(format!("l:{l}"));
    }
    if let Some(p) = item.published {
        let title = normalize(&item.title);
        keys.push(format!(
            "d:{}",
            short_hash(&format!("{title}\0{}", p.timestamp()))
        ));
    }
    // A title-only key is too weak to *match* on when anything stronger exists: it is
    // only the last resort for items that have nothing else.
    if keys.is_empty() {
        keys.push(format!("t:{}", short_hash(&normalize(&item.title))));
    }
    Keys { keys }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn item(guid: Option<&str>, link: Option<&str>, title: &str) -> ParsedItem {
        ParsedItem {
            guid: guid.map(Into::into),
            link: link.map(Into::into),
            title: title.into(),
            ..Default::default()
        }
    }

    #[test]
    fn canonical_links_drop_tracking_and_fragments() {
        assert_eq!(
            canonical_link("HTTPS://Example.ORG:443/a/b?utm_source=x&id=3&fbclid=y#top").unwrap(),
            "https://example.org/a/b?id=3"
        );
        assert_eq!(
            canonical_link("http://ex.org/p?utm_medium=rss").unwrap(),
            "http://ex.org/p"
        );
    }

    #[test]
    fn guid_is_primary_and_title_key_is_last_resort() {
        let k = keys_for(&[item(Some("abc"), Some("http://x/1"), "T")]);
        assert_eq!(k[0].keys, vec!["g:abc", "l:http://x/1"]);
        let k = keys_for(&[item(None, None, "Only a title")]);
        assert_eq!(k[0].keys.len(), 1);
        assert!(k[0].primary().starts_with("t:"));
    }

    #[test]
    fn shared_links_are_not_keys() {
        let k = keys_for(&[
            item(None, Some("http://x/"), "One"),
            item(None, Some("http://x/#b"), "Two"),
        ]);
        assert_ne!(k[0].primary(), k[1].primary());
        assert!(k[0].primary().starts_with("t:"));
    }

    #[test]
    fn title_and_date_key_survives_a_new_url() {
        let when = chrono::Utc.with_ymd_and_hms(2026, 2, 3, 10, 0, 0).unwrap();
        let mut a = item(None, Some("http://x/old"), "Apel urgent");
        a.published = Some(when);
        let mut b = item(None, Some("http://x/new"), "APEL URGENT");
        b.published = Some(when);
        let (ka, kb) = (&keys_for(&[a])[0], &keys_for(&[b])[0]);
        assert_ne!(ka.primary(), kb.primary());
        assert_eq!(ka.keys[1], kb.keys[1], "the d: key is shared");
    }

    #[test]
    fn uid_is_stable() {
        assert_eq!(item_uid("s", "g:1"), item_uid("s", "g:1"));
        assert_ne!(item_uid("s", "g:1"), item_uid("t", "g:1"));
        assert_eq!(item_uid("s", "g:1").len(), 16);
    }
}
