//! Discovery: from a site's address to a source, for `tocsin discover`.
//!
//! 1. The page is fetched as the operator typed it (a trusted URL, like a source's
//!    configured `url`), through the shared [`Fetcher`]: the same limits, per-host
//!    spacing and User-Agent as every poll. A page that is itself a feed is that feed.
//! 2. The feeds it advertises (`<link rel="alternate">`, [`crate::parse::links`]) are
//!    fetched and parsed, each one; only when it advertises none are the usual places
//!    ([`places`]) tried, one at a time, most specific first, stopping at the first
//!    that answers a feed with entries: a site is not sent a dozen requests when one
//!    does.
//! 3. Feeds found are ranked ([`rank`]: the best first, and why).
//! 4. When there is no feed, the page's listing is read by detection
//!    ([`crate::parse::detect`]): its entries and the selectors that read them.
//!
//! Every URL besides the typed one is *derived* (advertised links, usual places,
//! redirects): the fetcher judges it by the address policy ([`crate::fetch::policy`]),
//! and a refusal is reported as one more feed that could not be checked, never fetched.

mod places;
mod rank;

use chrono::{DateTime, Utc};
use url::Url;

use crate::fetch::{ACCEPT_FEED, ACCEPT_HTML, FetchError, Fetched, Fetcher, Outcome, Request};
use crate::fetch::{Hop, SourceFetch};
use crate::model::ParsedFeed;
use crate::parse::detect::{DetectError, Detection, detect_listing};
use crate::parse::html::Listing;
use crate::parse::links::{FeedLink, feed_links};
use crate::parse::{ParseError, parse_document};
use crate::text::charset::{DocKind, to_utf8};
use crate::text::language;

/// The name requests are made under, in messages and logs.
pub const REQUESTER: &str = "discover";

/// Where a feed was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The address itself answered a feed.
    Address,
    /// The page advertises it.
    Advertised(FeedLink),
    /// One of the usual places of a CMS's feed ("WordPress, in the page's language").
    Place(&'static str),
}

impl Origin {
    /// How the report names it.
    pub fn describe(&self) -> String {
        match self {
            Origin::Address => "the address itself".into(),
            Origin::Advertised(l) => format!("advertised by the page ({})", l.media_type),
            Origin::Place(what) => format!("usual place: {what}"),
        }
    }
}

/// A feed found and parsed.
#[derive(Debug, Clone)]
pub struct FoundFeed {
    /// The URL to configure (where it was found; `final_url` if it redirected).
    pub url: Url,
    /// Where the fetch ended, after redirects.
    pub final_url: Url,
    pub origin: Origin,
    pub feed: ParsedFeed,
    /// The newest date among its entries (published or updated).
    pub newest: Option<DateTime<Utc>>,
    /// Its language: the feed's own, else the advertised `hreflang`.
    pub language: Option<String>,
    /// Why it ranks where it does against the next one ("it has more entries").
    pub why: Option<String>,
}

/// A URL tried that gave no feed, and why.
#[derive(Debug, Clone)]
pub struct Miss {
    pub url: Url,
    pub origin: Origin,
    pub why: String,
    /// The fetcher refused it (address policy): no request was sent.
    pub refused: bool,
}

/// What discovery found at one address.
#[derive(Debug)]
pub struct Discovery {
    /// The address as typed.
    pub address: Url,
    /// Where the page's fetch ended, after redirects.
    pub page_url: Url,
    pub redirects: Vec<Hop>,
    pub page_title: Option<String>,
    pub page_language: Option<String>,
    /// `<meta name="generator">`.
    pub generator: Option<String>,
    /// Feeds advertised beyond [`crate::parse::links::MAX_FEED_LINKS`], not checked.
    pub advertised_dropped: usize,
    /// Whether the usual places were tried (the page advertised no feed).
    pub tried_places: bool,
    /// The feeds found, best first.
    pub feeds: Vec<FoundFeed>,
    /// What was tried and gave no feed, in the order tried.
    pub misses: Vec<Miss>,
    /// When no feed was found: the listing detection reads on the page.
    pub listing: Option<(Listing, Detection)>,
    /// When no feed was found and detection found no list either.
    pub no_listing: Option<DetectError>,
    /// Requests sent (refusals are not requests).
    pub requests: usize,
}

/// Why the page itself could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: 304 Not Modified to an unconditional request")]
    NotModified { url: Url },
}

/// Fetches `address` and finds its feeds, or else its listing.
pub async fn discover(
    fetcher: &Fetcher,
    fetch: &SourceFetch,
    address: &Url,
) -> Result<Discovery, DiscoverError> {
    let req = Request::new(REQUESTER, address.clone(), fetch).with_accept(ACCEPT_HTML);
    let page = match fetcher.fetch(&req).await? {
        Outcome::Body(f) => f,
        Outcome::NotModified(_) => {
            return Err(DiscoverError::NotModified {
                url: address.clone(),
            });
        }
    };
    let mut d = Discovery {
        address: address.clone(),
        page_url: page.final_url.clone(),
        redirects: page.meta.redirects.clone(),
        page_title: None,
        page_language: None,
        generator: None,
        advertised_dropped: 0,
        tried_places: false,
        feeds: Vec::new(),
        misses: Vec::new(),
        listing: None,
        no_listing: None,
        requests: 1 + page.meta.redirects.len(),
    };
    if let Some(feed) = as_feed(&page) {
        d.page_title.clone_from(&feed.title);
        d.feeds
            .push(found(address.clone(), &page, Origin::Address, feed));
        return Ok(d);
    }
    let text = to_utf8(&page.body, page.meta.content_type.as_deref(), DocKind::Html).text;
    let advertised = feed_links(&text, &page.final_url);
    d.page_title = advertised.title;
    d.page_language = advertised
        .language
        .or_else(|| places::language_prefix(&page.final_url).map(|p| p[1..].to_string()));
    d.generator = advertised.generator;
    d.advertised_dropped = advertised.dropped;
    for link in advertised.links {
        let url = link.url.clone();
        try_feed(
            fetcher,
            fetch,
            address,
            &mut d,
            url,
            Origin::Advertised(link),
        )
        .await;
    }
    if d.feeds.is_empty() && d.misses.is_empty() {
        d.tried_places = true;
        let cms = d.generator.as_deref().and_then(places::Cms::from_generator);
        for place in places::places(&page.final_url, d.page_language.as_deref(), cms) {
            let origin = Origin::Place(place.what);
            try_feed(fetcher, fetch, address, &mut d, place.url, origin).await;
            if d.feeds.iter().any(|f| !f.feed.items.is_empty()) {
                break;
            }
        }
    }
    rank_feeds(&mut d);
    if !d.feeds.iter().any(|f| !f.feed.items.is_empty()) {
        match detect_listing(&text, &page.final_url, None) {
            Ok(found) => d.listing = Some(found),
            Err(e) => d.no_listing = Some(e),
        }
    }
    Ok(d)
}

/// The page parsed as a feed, when the server says it is one or it looks like one.
fn as_feed(page: &Fetched) -> Option<ParsedFeed> {
    let ct = page.meta.content_type.as_deref().unwrap_or_default();
    let html = ct.contains("html");
    let head: String = String::from_utf8_lossy(&page.body[..page.body.len().min(512)])
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    let looks = head.starts_with("<?xml")
        || head.starts_with("<rss")
        || head.starts_with("<feed")
        || head.starts_with("<rdf")
        || head.starts_with('{');
    if html && !looks {
        return None;
    }
    parse_document(
        &page.body,
        page.meta.content_type.as_deref(),
        Some(&page.final_url),
    )
    .ok()
    .map(|doc| doc.feed)
}

/// Fetches and parses one candidate feed, recording it as found or missed.
async fn try_feed(
    fetcher: &Fetcher,
    fetch: &SourceFetch,
    address: &Url,
    d: &mut Discovery,
    url: Url,
    origin: Origin,
) {
    let req = Request::new(REQUESTER, url.clone(), fetch)
        .derived_from(address)
        .with_accept(ACCEPT_FEED);
    let miss = |why: String, refused| Miss {
        url: url.clone(),
        origin: origin.clone(),
        why,
        refused,
    };
    let fetched = match fetcher.fetch(&req).await {
        Ok(Outcome::Body(f)) => f,
        Ok(Outcome::NotModified(_)) => {
            d.requests += 1;
            d.misses.push(miss(
                "304 Not Modified to an unconditional request".into(),
                false,
            ));
            return;
        }
        Err(e) => {
            if sent(&e) {
                d.requests += 1;
            }
            d.misses.push(miss(fetch_reason(&e, &url), e.is_refused()));
            return;
        }
    };
    d.requests += 1 + fetched.meta.redirects.len();
    if let Some(same) = d.feeds.iter().find(|f| f.final_url == fetched.final_url) {
        let why = format!("the same feed as {}", same.url);
        d.misses.push(miss(why, false));
        return;
    }
    match parse_document(
        &fetched.body,
        fetched.meta.content_type.as_deref(),
        Some(&fetched.final_url),
    ) {
        Ok(doc) => d.feeds.push(found(url, &fetched, origin, doc.feed)),
        Err(e) => d.misses.push(miss(parse_reason(&e, &fetched), false)),
    }
}

/// A fetch error without the `source `discover`: URL:` prefix the report already shows.
fn fetch_reason(e: &FetchError, url: &Url) -> String {
    match e {
        FetchError::Status { status, .. } => format!("HTTP {status}"),
        FetchError::Refused {
            url,
            redirected_from: Some(_),
            refusal,
            ..
        } => format!("redirects to {url}, refused: {refusal}"),
        FetchError::Refused { refusal, .. } => format!("refused: {refusal}"),
        _ => {
            // The report names the URL already: "source `discover`: URL: " is noise.
            let full = e.to_string();
            let prefix = format!("source `{REQUESTER}`: {url}: ");
            full.strip_prefix(&prefix)
                .map_or(full.clone(), str::to_string)
        }
    }
}

/// Whether a failed fetch sent a request: a refusal sends none, unless a redirect
/// was what got refused.
fn sent(e: &FetchError) -> bool {
    !matches!(
        e,
        FetchError::Refused {
            redirected_from: None,
            ..
        }
    )
}

fn parse_reason(e: &ParseError, fetched: &Fetched) -> String {
    let ct = fetched
        .meta
        .content_type
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    format!("not a feed{ct}: {e}")
}

fn found(url: Url, fetched: &Fetched, origin: Origin, feed: ParsedFeed) -> FoundFeed {
    let newest = feed
        .items
        .iter()
        .filter_map(|i| i.published.max(i.updated))
        .max();
    let language = feed
        .language
        .as_deref()
        .and_then(language::clean_tag)
        .or_else(|| match &origin {
            Origin::Advertised(l) => l.hreflang.clone(),
            _ => None,
        });
    FoundFeed {
        url,
        final_url: fetched.final_url.clone(),
        origin,
        feed,
        newest,
        language,
        why: None,
    }
}

fn rank_feeds(d: &mut Discovery) {
    let facts: Vec<rank::Facts> = d
        .feeds
        .iter()
        .map(|f| rank::Facts {
            url: f.url.clone(),
            title: f.feed.title.clone().or_else(|| match &f.origin {
                Origin::Advertised(l) => l.title.clone(),
                _ => None,
            }),
            items: f.feed.items.len(),
            newest: f.newest,
            language: f.language.clone(),
        })
        .collect();
    let page = rank::Page {
        url: &d.page_url,
        language: d.page_language.as_deref(),
    };
    let order = rank::order(&facts, &page);
    let whys: Vec<Option<String>> = order
        .windows(2)
        .map(|w| Some(rank::why(&facts[w[0]], &facts[w[1]], &page)))
        .chain([None])
        .collect();
    let mut feeds: Vec<Option<FoundFeed>> =
        std::mem::take(&mut d.feeds).into_iter().map(Some).collect();
    d.feeds = order
        .iter()
        .zip(whys)
        .filter_map(|(&i, why)| {
            let mut f = feeds[i].take()?;
            f.why = why;
            Some(f)
        })
        .collect();
}
