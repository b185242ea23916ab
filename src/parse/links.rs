//! What an HTML page says about its feeds: the `<link rel="alternate">` elements that
//! advertise RSS, Atom and JSON Feed versions of it, and the facts that say where a
//! feed may be when it advertises none (its CMS, from `<meta name="generator">`, and its
//! language).
//!
//! Pure: the page's text in, absolute URLs out, resolved as listing links are
//! ([`super::html::document_base`]: a `<base href>` that is not http(s) is ignored).
//! Whether tocsin may fetch them is the fetcher's to judge: they are derived URLs.

use scraper::{Html, Selector};
use url::Url;

use super::bounds::cap_document;
use super::html::{document_base, resolve, text_of};
use crate::text::language;

/// At most this many advertised feeds are kept (the first ones, in page order): a page
/// may list thousands, and each is one request to check.
pub const MAX_FEED_LINKS: usize = 8;

/// Media types of `<link rel="alternate">` that advertise a feed.
const FEED_TYPES: [&str; 6] = [
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/x.atom+xml",
    "application/x-rss+xml",
];

/// One feed a page advertises.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeedLink {
    #[serde(serialize_with = "as_str")]
    pub url: Url,
    /// The `type` attribute, lower case, without parameters.
    pub media_type: String,
    /// The `title` attribute ("Comments Feed", "RSS – Știri").
    pub title: Option<String>,
    /// The `hreflang` attribute, reduced to its primary tag.
    pub hreflang: Option<String>,
}

fn as_str<S: serde::Serializer>(u: &Url, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(u.as_str())
}

/// What a page says about its feeds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFeeds {
    /// Advertised feeds, in page order, each URL once, at most [`MAX_FEED_LINKS`].
    pub links: Vec<FeedLink>,
    /// How many more the page advertised beyond [`MAX_FEED_LINKS`].
    pub dropped: usize,
    /// `<meta name="generator">`: "WordPress 6.4", "SPIP 4.2", "Drupal 10"…
    pub generator: Option<String>,
    /// `<html lang>`, reduced to its primary tag.
    pub language: Option<String>,
    /// `<title>`.
    pub title: Option<String>,
}

/// Reads the feeds `html`, fetched from `page_url`, advertises.
pub fn feed_links(html: &str, page_url: &Url) -> PageFeeds {
    let doc = Html::parse_document(&cap_document(html));
    let root = doc.root_element();
    let (base, _) = document_base(&doc, page_url);
    let sel = |css| Selector::parse(css).expect("static selector");
    let mut out = PageFeeds {
        language: root.value().attr("lang").and_then(language::clean_tag),
        title: doc
            .select(&sel("title"))
            .next()
            .map(text_of)
            .filter(|t| !t.is_empty()),
        generator: doc
            .select(&sel("meta[name][content]"))
            .find(|m| {
                m.value()
                    .attr("name")
                    .is_some_and(|n| n.eq_ignore_ascii_case("generator"))
            })
            .and_then(|m| m.value().attr("content"))
            .map(|c| c.trim().chars().take(80).collect::<String>())
            .filter(|c| !c.is_empty()),
        ..Default::default()
    };
    for el in doc.select(&sel("link[rel][href][type]")) {
        let v = el.value();
        let alternate = v.attr("rel").is_some_and(|r| {
            r.split_ascii_whitespace()
                .any(|t| t.eq_ignore_ascii_case("alternate"))
        });
        let media_type = v
            .attr("type")
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if !alternate || !FEED_TYPES.contains(&media_type.as_str()) {
            continue;
        }
        let Some(url) = v
            .attr("href")
            .and_then(|h| resolve(&base, page_url, h))
            .and_then(|u| Url::parse(&u).ok())
        else {
            continue;
        };
        if out.links.iter().any(|l| l.url == url) {
            continue;
        }
        if out.links.len() == MAX_FEED_LINKS {
            out.dropped += 1;
            continue;
        }
        out.links.push(FeedLink {
            url,
            media_type,
            title: v
                .attr("title")
                .map(|t| {
                    crate::text::collapse_whitespace(t)
                        .chars()
                        .take(200)
                        .collect()
                })
                .filter(|t: &String| !t.is_empty()),
            hreflang: v.attr("hreflang").and_then(language::clean_tag),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://promolex.md/ro/category/stiri/").unwrap()
    }

    #[test]
    fn alternate_feeds_resolved_in_page_order_each_once() {
        let page = r#"<!doctype html><html lang="ro-MD"><head><title> Știri – Promo-LEX </title>
<meta name="generator" content="WordPress 6.4.2">
<link rel="alternate" type="application/rss+xml" title="Promo-LEX &raquo; Feed" href="/ro/feed/">
<link rel="alternate" type="application/rss+xml" title="Promo-LEX &raquo; Comments Feed" href="../../comments/feed/">
<link rel="alternate" type="application/rss+xml" href="/ro/feed/">
<link rel="stylesheet" type="text/css" href="/style.css">
<link rel="alternate" hreflang="ru" href="/ru/">
<link rel="Alternate Feed" type="Application/Atom+XML; charset=utf-8" href="https://promolex.md/ro/feed/atom/">
<link rel="alternate" type="application/feed+json" href="feed.json" hreflang="ro">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body></body></html>"#;
        let f = feed_links(page, &url());
        let urls: Vec<&str> = f.links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://promolex.md/ro/feed/",
                "https://promolex.md/ro/comments/feed/",
                "https://promolex.md/ro/feed/atom/",
                "https://promolex.md/ro/category/stiri/feed.json",
            ]
        );
        assert_eq!(f.links[0].title.as_deref(), Some("Promo-LEX » Feed"));
        assert_eq!(f.links[2].media_type, "application/atom+xml");
        assert_eq!(f.links[3].hreflang.as_deref(), Some("ro"));
        assert_eq!(f.generator.as_deref(), Some("WordPress 6.4.2"));
        assert_eq!(f.language.as_deref(), Some("ro"));
        assert_eq!(f.title.as_deref(), Some("Știri – Promo-LEX"));
    }

    #[test]
    fn a_file_base_is_ignored_and_the_count_is_capped() {
        let mut page = String::from(r#"<head><base href="file:///etc/">"#);
        for n in 0..20 {
            page.push_str(&format!(
                r#"<link rel="alternate" type="application/atom+xml" href="f{n}.xml">"#
            ));
        }
        let f = feed_links(&page, &url());
        assert_eq!(f.links.len(), MAX_FEED_LINKS);
        assert_eq!(f.dropped, 20 - MAX_FEED_LINKS);
        assert!(f.links.iter().all(|l| l.url.scheme() == "https"), "{f:?}");
    }

    #[test]
    fn a_page_without_feeds() {
        let f = feed_links("<html><body><a href='/feed/'>RSS</a></body></html>", &url());
        assert!(f.links.is_empty());
        assert_eq!((f.generator, f.language, f.title), (None, None, None));
    }
}
