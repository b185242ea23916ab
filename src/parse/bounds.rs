//! What one item may cost: the limits on the size of what is kept, classified and
//! published, and the nesting depth of markup that reaches html5ever.
//!
//! Every field from outside is cut where items enter ([`bound_item`], called by the feed
//! and listing parsers and on follow-page bodies), so the store, the classifier and
//! every output see bounded text; the publisher cuts again (items stored by an older
//! version). A cut falls on a character boundary, before a tag, entity or comment that
//! the limit would split, and ends with [`MARKER`](crate::text::MARKER).
//!
//! Markup is bounded for html5ever too: [`cap_fragment`] for item HTML and
//! [`cap_document`] for pages (see [`crate::text::cap_depth`]).

use crate::model::ParsedItem;
use crate::text::{cap_depth, cut_html, cut_text};

/// A title is plain text; a real one is under 300 characters (600 bytes in Cyrillic).
pub const MAX_TITLE_BYTES: usize = 2 * 1024;
/// A summary is a teaser: real ones are a few KB.
pub const MAX_SUMMARY_BYTES: usize = 64 * 1024;
/// A full article, even a long report with markup, fits: sanitising this much takes a
/// few milliseconds.
pub const MAX_CONTENT_BYTES: usize = 512 * 1024;
/// Categories (and listing extras) per item; each is cut to [`MAX_LABEL_BYTES`].
pub const MAX_CATEGORIES: usize = 32;
/// Authors per item; each is cut to [`MAX_LABEL_BYTES`].
pub const MAX_AUTHORS: usize = 16;
/// A category or author name.
pub const MAX_LABEL_BYTES: usize = 256;
/// A link or guid: one longer is dropped (a cut one would be wrong); browsers and
/// servers refuse URLs much past 8 KB, real item links are under 300 bytes.
pub const MAX_LINK_BYTES: usize = 4 * 1024;
/// Elements open at once in item HTML (summary, content) before sanitising.
pub const MAX_FRAGMENT_DEPTH: usize = 64;
/// Elements open at once in a listing or item page before it is parsed; real pages
/// nest 15 to 40 deep.
pub const MAX_DOCUMENT_DEPTH: usize = 128;

/// Cuts every field of `item` to its limit (see the module doc).
pub fn bound_item(item: &mut ParsedItem) {
    if item.title.len() > MAX_TITLE_BYTES {
        item.title = cut_text(&item.title, MAX_TITLE_BYTES);
    }
    for (field, max) in [
        (&mut item.summary, MAX_SUMMARY_BYTES),
        (&mut item.content, MAX_CONTENT_BYTES),
    ] {
        if let Some(s) = field
            && s.len() > max
        {
            *s = cut_html(s, max);
        }
    }
    bound_labels(&mut item.categories, MAX_CATEGORIES);
    bound_labels(&mut item.authors, MAX_AUTHORS);
    for s in [&mut item.guid, &mut item.link] {
        if s.as_ref().is_some_and(|s| s.len() > MAX_LINK_BYTES) {
            *s = None;
        }
    }
}

fn bound_labels(labels: &mut Vec<String>, max: usize) {
    labels.truncate(max);
    for l in labels.iter_mut() {
        if l.len() > MAX_LABEL_BYTES {
            *l = cut_text(l, MAX_LABEL_BYTES);
        }
    }
}

/// Item HTML bounded for html5ever ([`MAX_FRAGMENT_DEPTH`]).
pub fn cap_fragment(html: &str) -> std::borrow::Cow<'_, str> {
    cap_depth(html, MAX_FRAGMENT_DEPTH).0
}

/// A whole page bounded for html5ever ([`MAX_DOCUMENT_DEPTH`]).
pub fn cap_document(html: &str) -> std::borrow::Cow<'_, str> {
    cap_depth(html, MAX_DOCUMENT_DEPTH).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::MARKER;

    #[test]
    fn bound_item_caps_every_field() {
        let mut item = ParsedItem {
            title: "t".repeat(MAX_TITLE_BYTES * 10),
            summary: Some("<p>s</p>".repeat(MAX_SUMMARY_BYTES)),
            content: Some("c".repeat(MAX_CONTENT_BYTES + 1)),
            categories: (0..1000).map(|i| format!("c{i}")).collect(),
            authors: vec!["a".repeat(10_000)],
            link: Some(format!("https://x/{}", "l".repeat(10_000))),
            ..Default::default()
        };
        bound_item(&mut item);
        assert!(item.title.len() <= MAX_TITLE_BYTES && item.title.ends_with(MARKER));
        assert!(item.summary.as_ref().unwrap().len() <= MAX_SUMMARY_BYTES);
        assert!(item.content.as_ref().unwrap().len() <= MAX_CONTENT_BYTES);
        assert_eq!(item.categories.len(), MAX_CATEGORIES);
        assert!(item.authors[0].len() <= MAX_LABEL_BYTES);
        assert_eq!(item.link, None);
    }
}
