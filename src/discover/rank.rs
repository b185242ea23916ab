//! Which of the feeds found is the best: the one a subscriber to the page would want.
//!
//! Feeds are compared on these points, in order; the first point where two differ
//! decides, and the report says which:
//!
//! 1. it has entries (an empty feed watches nothing);
//! 2. it is not a comments feed (WordPress advertises one beside the posts);
//! 3. it is this page's own feed, under the page's path (`/ro/category/stiri/feed/`
//!    for the page `/ro/category/stiri/`): the operator gave that page, not the site;
//! 4. it is in the page's language (a multilingual site advertises one per language);
//! 5. its newest entry is the most recent (a feed the site forgot stops moving);
//! 6. it has more entries;
//! 7. it comes first on the page (or among the places tried).

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use url::Url;

/// What ranking reads of one feed.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Facts {
    pub url: Url,
    pub title: Option<String>,
    pub items: usize,
    pub newest: Option<DateTime<Utc>>,
    pub language: Option<String>,
}

/// What ranking reads of the page.
pub(super) struct Page<'a> {
    pub url: &'a Url,
    pub language: Option<&'a str>,
}

/// Words that name a comments feed, in the five languages.
const COMMENTS: [&str; 6] = [
    "comments",
    "commentaires",
    "comentarios",
    "comentarii",
    "комментарии",
    "коментарии",
];

pub(super) fn is_comments(f: &Facts) -> bool {
    let in_path = f
        .url
        .path_segments()
        .is_some_and(|mut s| s.any(|seg| seg.eq_ignore_ascii_case("comments")));
    let in_title = f.title.as_deref().is_some_and(|t| {
        let t = t.to_lowercase();
        t.split(|c: char| !c.is_alphanumeric())
            .any(|w| COMMENTS.contains(&w))
    });
    in_path || in_title
}

/// Whether the feed lies under the page's own path (and the page is not the site's
/// root): the page's feed rather than the site's.
pub(super) fn is_page_feed(f: &Facts, page: &Url) -> bool {
    let p = page.path().trim_end_matches('/');
    !p.is_empty()
        && f.url.host() == page.host()
        && f.url.path().starts_with(p)
        && f.url.path()[p.len()..].starts_with('/')
}

fn same_language(f: &Facts, page: &Page) -> bool {
    matches!((f.language.as_deref(), page.language), (Some(a), Some(b)) if a == b)
}

/// The points of comparison, each with what it says of the better feed.
type Point = (&'static str, fn(&Facts, &Page) -> i64);

const POINTS: [Point; 6] = [
    ("it has entries", |f, _| i64::from(f.items > 0)),
    ("it is not a comments feed", |f, _| {
        i64::from(!is_comments(f))
    }),
    (
        "it is this page's own feed, not the whole site's",
        |f, p| i64::from(is_page_feed(f, p.url)),
    ),
    ("it is in the page's language", |f, p| {
        i64::from(same_language(f, p))
    }),
    ("its newest entry is more recent", |f, _| {
        f.newest.map_or(i64::MIN, |d| d.timestamp())
    }),
    ("it has more entries", |f, _| f.items as i64),
];

fn compare(a: &Facts, b: &Facts, page: &Page) -> Ordering {
    POINTS
        .iter()
        .map(|(_, key)| key(b, page).cmp(&key(a, page)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// The order of `feeds`, best first (indices into it); ties keep their order.
pub(super) fn order(feeds: &[Facts], page: &Page) -> Vec<usize> {
    let mut ix: Vec<usize> = (0..feeds.len()).collect();
    ix.sort_by(|&a, &b| compare(&feeds[a], &feeds[b], page));
    ix
}

/// Why `best` comes before `second`: the first point on which they differ.
pub(super) fn why(best: &Facts, second: &Facts, page: &Page) -> String {
    POINTS
        .iter()
        .find(|(_, key)| key(best, page) != key(second, page))
        .map(|(what, _)| (*what).to_string())
        .unwrap_or_else(|| "equal on every point: it comes first".into())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn feed(url: &str, title: &str, items: usize, day: u32, lang: Option<&str>) -> Facts {
        Facts {
            url: Url::parse(url).unwrap(),
            title: Some(title.into()),
            items,
            newest: (day > 0).then(|| Utc.with_ymd_and_hms(2025, 6, day, 0, 0, 0).unwrap()),
            language: lang.map(str::to_string),
        }
    }

    #[test]
    fn the_page_feed_in_its_language_before_the_site_and_comments() {
        let page_url = Url::parse("https://promolex.md/ro/category/stiri/").unwrap();
        let page = Page {
            url: &page_url,
            language: Some("ro"),
        };
        let feeds = [
            feed("https://promolex.md/feed/", "Promo-LEX", 10, 5, Some("en")),
            feed(
                "https://promolex.md/comments/feed/",
                "Comments",
                10,
                9,
                Some("ro"),
            ),
            feed(
                "https://promolex.md/ro/feed/",
                "Promo-LEX",
                10,
                5,
                Some("ro"),
            ),
            feed(
                "https://promolex.md/ro/category/stiri/feed/",
                "Știri",
                10,
                1,
                Some("ro"),
            ),
            feed("https://promolex.md/empty.xml", "Empty", 0, 0, Some("ro")),
        ];
        assert_eq!(order(&feeds, &page), [3, 2, 0, 1, 4]);
        assert_eq!(
            why(&feeds[3], &feeds[2], &page),
            "it is this page's own feed, not the whole site's"
        );
        assert_eq!(
            why(&feeds[2], &feeds[0], &page),
            "it is in the page's language"
        );
        assert_eq!(
            why(&feeds[0], &feeds[1], &page),
            "it is not a comments feed"
        );
        assert_eq!(why(&feeds[1], &feeds[4], &page), "it has entries");
    }

    #[test]
    fn then_freshness_then_size_then_page_order() {
        let page_url = Url::parse("https://x.org/").unwrap();
        let page = Page {
            url: &page_url,
            language: None,
        };
        let feeds = [
            feed("https://x.org/a.xml", "A", 10, 1, None),
            feed("https://x.org/b.xml", "B", 5, 3, None),
            feed("https://x.org/c.xml", "C", 20, 3, None),
            feed("https://x.org/d.xml", "D", 20, 3, None),
        ];
        assert_eq!(order(&feeds, &page), [2, 3, 1, 0]);
        assert_eq!(
            why(&feeds[1], &feeds[0], &page),
            "its newest entry is more recent"
        );
        assert_eq!(why(&feeds[2], &feeds[1], &page), "it has more entries");
        assert_eq!(
            why(&feeds[2], &feeds[3], &page),
            "equal on every point: it comes first"
        );
    }

    #[test]
    fn comments_are_known_by_path_or_title_in_five_languages() {
        assert!(is_comments(&feed(
            "https://x.org/comments/feed/",
            "X",
            1,
            1,
            None
        )));
        assert!(is_comments(&feed(
            "https://x.org/f",
            "Commentaires sur X",
            1,
            1,
            None
        )));
        assert!(is_comments(&feed(
            "https://x.org/f",
            "Комментарии",
            1,
            1,
            None
        )));
        assert!(!is_comments(&feed(
            "https://x.org/f",
            "Commentary and news",
            1,
            1,
            None
        )));
    }
}
