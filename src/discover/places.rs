//! The usual places of a site's feed, tried when its page advertises none: where the
//! common CMSs publish one, most specific first.
//!
//! Pure: the page's URL, language and generator in, an ordered list of URLs out. The
//! CMS a page names in `<meta name="generator">` narrows the list to its own places
//! (one request or two instead of a dozen); a page that names none gets them all.

use url::Url;

/// The CMSs whose feed places are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cms {
    WordPress,
    Spip,
    Drupal,
    Hugo,
    Jekyll,
    Ghost,
}

impl Cms {
    /// The CMS a `<meta name="generator">` value names.
    pub(super) fn from_generator(generator: &str) -> Option<Cms> {
        let g = generator.to_ascii_lowercase();
        [
            ("wordpress", Cms::WordPress),
            ("spip", Cms::Spip),
            ("drupal", Cms::Drupal),
            ("hugo", Cms::Hugo),
            ("jekyll", Cms::Jekyll),
            ("ghost", Cms::Ghost),
        ]
        .into_iter()
        .find(|(name, _)| {
            g.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == *name)
        })
        .map(|(_, cms)| cms)
    }
}

/// One place to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Place {
    /// Which convention it follows ("WordPress, this page's feed"), for the report.
    pub what: &'static str,
    pub url: Url,
}

/// The places to try for the page at `page`, in order, each URL once (never the page
/// itself). `language` is the page's (from its path or `<html lang>`), `cms` the one
/// its generator names.
pub(super) fn places(page: &Url, language: Option<&str>, cms: Option<Cms>) -> Vec<Place> {
    let prefix = language_prefix(page).or_else(|| language.map(|l| format!("/{l}")));
    let lang = prefix.as_deref().map(|p| p.trim_start_matches('/'));
    let path = page.path();
    let mut wanted: Vec<(Cms, &'static str, String)> = Vec::new();
    let mut add = |cms, what, rel: String| wanted.push((cms, what, rel));
    if path != "/" && !path.is_empty() {
        let dir = if path.ends_with('/') {
            path.to_string()
        } else {
            format!("{path}/")
        };
        add(
            Cms::WordPress,
            "WordPress, this page's feed",
            format!("{dir}feed/"),
        );
    }
    if let Some(p) = &prefix {
        add(
            Cms::WordPress,
            "WordPress, in the page's language",
            format!("{p}/feed/"),
        );
    }
    add(Cms::WordPress, "WordPress", "/feed/".into());
    add(
        Cms::WordPress,
        "WordPress without pretty links",
        "/?feed=rss2".into(),
    );
    if let Some(l) = lang {
        add(
            Cms::Spip,
            "SPIP, in the page's language",
            format!("/spip.php?page=backend&lang={l}"),
        );
    }
    add(Cms::Spip, "SPIP", "/spip.php?page=backend".into());
    if let Some(p) = &prefix {
        add(
            Cms::Drupal,
            "Drupal, in the page's language",
            format!("{p}/rss.xml"),
        );
    }
    add(Cms::Drupal, "Drupal", "/rss.xml".into());
    if let Some(p) = &prefix {
        add(
            Cms::Hugo,
            "Hugo, in the page's language",
            format!("{p}/index.xml"),
        );
    }
    add(Cms::Hugo, "Hugo", "/index.xml".into());
    add(Cms::Jekyll, "Jekyll", "/feed.xml".into());
    add(Cms::Jekyll, "Jekyll, Atom", "/atom.xml".into());
    add(Cms::Ghost, "Ghost", "/rss/".into());
    let mut out: Vec<Place> = Vec::new();
    for (c, what, rel) in wanted {
        if cms.is_some_and(|cms| cms != c) {
            continue;
        }
        let Ok(url) = page.join(&rel) else { continue };
        if url != *page && !out.iter().any(|p| p.url == url) {
            out.push(Place { what, url });
        }
    }
    out
}

/// `/ro` when the page's path starts with a language segment (`/ro/…`, `/pt-br/…`).
pub(super) fn language_prefix(page: &Url) -> Option<String> {
    let first = page.path_segments()?.next()?;
    let (primary, region) = match first.split_once('-') {
        Some((p, r)) => (p, Some(r)),
        None => (first, None),
    };
    let is_lang = primary.len() == 2
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()));
    is_lang.then(|| format!("/{first}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(p: &[Place]) -> Vec<&str> {
        p.iter().map(|p| p.url.as_str()).collect()
    }

    #[test]
    fn a_wordpress_category_page_in_romanian() {
        let page = Url::parse("https://promolex.md/ro/category/stiri/").unwrap();
        let p = places(&page, Some("ro"), Cms::from_generator("WordPress 6.4.2"));
        assert_eq!(
            urls(&p),
            [
                "https://promolex.md/ro/category/stiri/feed/",
                "https://promolex.md/ro/feed/",
                "https://promolex.md/feed/",
                "https://promolex.md/?feed=rss2",
            ]
        );
    }

    #[test]
    fn without_a_generator_every_place_most_specific_first() {
        let page = Url::parse("https://www.fidh.org/").unwrap();
        let p = places(&page, Some("en"), None);
        assert_eq!(
            urls(&p),
            [
                "https://www.fidh.org/en/feed/",
                "https://www.fidh.org/feed/",
                "https://www.fidh.org/?feed=rss2",
                "https://www.fidh.org/spip.php?page=backend&lang=en",
                "https://www.fidh.org/spip.php?page=backend",
                "https://www.fidh.org/en/rss.xml",
                "https://www.fidh.org/rss.xml",
                "https://www.fidh.org/en/index.xml",
                "https://www.fidh.org/index.xml",
                "https://www.fidh.org/feed.xml",
                "https://www.fidh.org/atom.xml",
                "https://www.fidh.org/rss/",
            ]
        );
        assert_eq!(p[3].what, "SPIP, in the page's language");
    }

    #[test]
    fn the_language_comes_from_the_path_first() {
        let page = Url::parse("https://x.org/pt-br/noticias").unwrap();
        let p = places(&page, Some("en"), Some(Cms::Drupal));
        assert_eq!(
            urls(&p),
            ["https://x.org/pt-br/rss.xml", "https://x.org/rss.xml"]
        );
        let p = places(&page, None, Some(Cms::WordPress));
        assert_eq!(p[0].url.as_str(), "https://x.org/pt-br/noticias/feed/");
        // "news" is no language.
        let page = Url::parse("https://x.org/news/").unwrap();
        assert_eq!(
            urls(&places(&page, None, Some(Cms::Hugo))),
            ["https://x.org/index.xml"]
        );
    }

    #[test]
    fn generators_are_recognised_by_word() {
        assert_eq!(
            Cms::from_generator("SPIP 4.2.8 GIT [4.2: 1234]"),
            Some(Cms::Spip)
        );
        assert_eq!(
            Cms::from_generator("Drupal 10 (https://www.drupal.org)"),
            Some(Cms::Drupal)
        );
        assert_eq!(Cms::from_generator("Hugo 0.120.0"), Some(Cms::Hugo));
        assert_eq!(Cms::from_generator("Craft CMS"), None);
        assert_eq!(Cms::from_generator("notwordpressy"), None);
    }
}
