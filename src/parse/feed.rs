//! Feeds through feed-rs, mapped to our model.
//!
//! feed-rs invents ids for entries that have none (a hash of link and title, or a random
//! UUID), which would make dedup unstable, so our id generator returns an empty string
//! and we treat that as "no guid". It does not sanitise: HTML is kept as published and
//! sanitised on the way out, where the output format is known.

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed, Link, Text};
use url::Url;

use super::ParseError;
use super::bounds::{MAX_CATEGORIES, bound_item};
use crate::model::{ParsedFeed, ParsedItem};
use crate::text::{collapse_whitespace as collapse, html_to_text, language, strip_markup};

/// Parses a feed document. `base` is the URL it was fetched from, for relative links.
pub fn parse_feed(bytes: &[u8], base: Option<&Url>) -> Result<ParsedFeed, ParseError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let parser = feed_rs::parser::Builder::new()
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .build();
    let converted;
    let bytes = if super::atom03::is_atom03(bytes) {
        converted = super::atom03::to_atom10(bytes).map_err(|e| ParseError::Malformed {
            message: format!("Atom 0.3 document: {e}"),
            line: None,
            column: None,
        })?;
        &converted[..]
    } else {
        bytes
    };
    let feed = parser.parse(bytes).map_err(map_error)?;
    Ok(convert(feed, base))
}

fn map_error(e: feed_rs::parser::ParseFeedError) -> ParseError {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => ParseError::NotAFeed(
            "no RSS, Atom or JSON Feed root element (is this an HTML page?)".into(),
        ),
        ParseFeedError::JsonUnsupportedVersion(v) => {
            ParseError::NotAFeed(format!("unsupported JSON Feed version {v}"))
        }
        ParseFeedError::JsonSerde(e) => ParseError::Malformed {
            message: format!("invalid JSON: {e}"),
            line: Some(e.line()),
            column: Some(e.column()),
        },
        other => ParseError::Malformed {
            message: other.to_string(),
            line: None,
            column: None,
        },
    }
}

fn convert(feed: Feed, base: Option<&Url>) -> ParsedFeed {
    let feed_link = pick_link(&feed.links).and_then(|l| absolute(&l.href, base));
    let item_base = base.cloned();
    let language = feed.language.as_deref().and_then(language::clean_tag);
    let items = feed
        .entries
        .into_iter()
        .map(|e| convert_entry(e, item_base.as_ref(), language.as_deref()))
        .collect();
    ParsedFeed {
        title: feed.title.map(|t| plain(&t)),
        link: feed_link,
        language,
        ttl_minutes: feed.ttl,
        items,
    }
}

fn convert_entry(e: Entry, base: Option<&Url>, language: Option<&str>) -> ParsedItem {
    let link = pick_link(&e.links).and_then(|l| absolute(&l.href, base));
    let summary = e.summary.as_ref().map(as_html).filter(|s| !s.is_empty());
    let content = e
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .map(|b| b.trim().to_string())
        .filter(|s| !s.is_empty());
    let mut title = e.title.as_ref().map(plain).unwrap_or_default();
    if title.is_empty() {
        title = fallback_title(summary.as_deref().or(content.as_deref()), link.as_deref());
    }
    let mut categories: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in &e.categories {
        if categories.len() >= MAX_CATEGORIES {
            break;
        }
        let label = c.label.as_deref().unwrap_or(&c.term).trim();
        if !label.is_empty() && seen.insert(label) {
            categories.push(label.to_string());
        }
    }
    let published: Option<DateTime<Utc>> = e.published.or(e.updated);
    let mut item = ParsedItem {
        guid: Some(e.id.trim().to_string()).filter(|s| !s.is_empty()),
        link,
        title,
        summary,
        content,
        categories,
        authors: e
            .authors
            .iter()
            .filter_map(|p| p.name.as_deref().map(str::trim).map(str::to_string))
            .filter(|n| !n.is_empty())
            .collect(),
        published,
        updated: e.updated,
        // The entry's own `xml:lang` (feed-rs reads it on `<content>`), else the
        // document's.
        language: e
            .language
            .as_deref()
            .and_then(language::clean_tag)
            .or_else(|| language.map(str::to_string)),
    };
    bound_item(&mut item);
    item
}

/// The entry's main link: `alternate` (or no rel) first, then anything.
fn pick_link(links: &[Link]) -> Option<&Link> {
    links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| links.first())
}

fn absolute(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    match Url::parse(href) {
        Ok(u) => Some(u.to_string()),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            base.and_then(|b| b.join(href).ok()).map(|u| u.to_string())
        }
        Err(_) => None,
    }
}

/// Plain text of a title-like field, whitespace collapsed. Markup in a "plain" title is
/// almost always HTML escaped once too often by the publisher: it is removed too.
fn plain(t: &Text) -> String {
    let raw = if t.content_type.subty() == "html" || t.content_type.subty() == "xhtml" {
        html_to_text(&t.content)
    } else {
        strip_markup(&t.content)
    };
    collapse(&raw)
}

/// A summary as HTML: plain-text summaries are escaped so every stored summary is HTML.
fn as_html(t: &Text) -> String {
    if t.content_type.subty() == "plain" {
        html_escape::encode_text(t.content.trim()).into_owned()
    } else {
        t.content.trim().to_string()
    }
}

fn fallback_title(body: Option<&str>, link: Option<&str>) -> String {
    if let Some(b) = body {
        let text = collapse(&html_to_text(b));
        if !text.is_empty() {
            let mut t: String = text.chars().take(80).collect();
            if text.chars().count() > 80 {
                t.push('…');
            }
            return t;
        }
    }
    link.map(str::to_string)
        .unwrap_or_else(|| "(untitled)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://ex.org/</link><language>ro-RO</language><ttl>30</ttl>
<item><title>Apel &amp; urgent</title><link>/a?utm_source=x</link><description>Text &lt;b&gt;bold&lt;/b&gt;</description>
<category>Comunicate</category><pubDate>Tue, 03 Feb 2026 10:00:00 +0000</pubDate></item>
<item><title>Cu guid</title><guid isPermaLink="false">id-2</guid></item>
</channel></rss>"#;

    #[test]
    fn maps_rss_items() {
        let base = Url::parse("https://ex.org/feed/").unwrap();
        let f = parse_feed(RSS.as_bytes(), Some(&base)).unwrap();
        assert_eq!(f.language.as_deref(), Some("ro"));
        assert_eq!(f.ttl_minutes, Some(30));
        let a = &f.items[0];
        assert_eq!(a.title, "Apel & urgent");
        assert_eq!(a.guid, None, "no guid in the feed means none here");
        assert_eq!(a.link.as_deref(), Some("https://ex.org/a?utm_source=x"));
        assert_eq!(a.categories, vec!["Comunicate"]);
        assert!(a.published.is_some());
        assert_eq!(f.items[1].guid.as_deref(), Some("id-2"));
    }

    #[test]
    fn html_page_is_not_a_feed() {
        let e = parse_feed(b"<html><body>hi</body></html>", None).unwrap_err();
        assert!(matches!(e, ParseError::NotAFeed(_)), "{e:?}");
        assert_eq!(parse_feed(b"  \n", None).unwrap_err(), ParseError::Empty);
    }
}
