//! One poll of an HTML listing source: listing page(s) → items → item pages → store.
//!
//! - Page one is always read; on the first poll of a source (no successful poll
//!   stored yet) the `next` link is followed up to `backfill_pages` pages in all, to
//!   pick up recent history. A later page that fails ends the backfill with a warning;
//!   page one failing, or matching nothing, fails the poll.
//! - With `follow = true`, each item not stored before has its page fetched once,
//!   through the same [`Fetcher`](crate::fetch::Fetcher) as the listing, one at a time,
//!   and its `content` is kept in `html_follow` so it is put back on the item at every
//!   later poll. A page that fails is retried on later polls while the item is listed,
//!   up to [`MAX_FOLLOW_ATTEMPTS`] fetches. The outcomes are written before the items,
//!   so a crash between the two never loses a body already fetched.
//! - Item pages and next pages are *derived* URLs ([`crate::fetch::policy`]): they stay
//!   on the listing's own site unless `follow_hosts` names another host, are never
//!   local files, and may not reach internal addresses. A refused item page is a
//!   warning for that item; a refused next page ends the backfill with a warning.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use url::Url;

use super::{Pipeline, PollError, prepare};
use crate::dedup::{canonical_link, keys_for};
use crate::fetch::{ACCEPT_HTML, FetchError, Fetched, Fetcher, Outcome, Request, policy};
use crate::model::{ParsedFeed, ParsedItem};
use crate::parse::ParseError;
use crate::parse::html::{Listing, ListingSpec, Sel, page_content, parse_listing};
use crate::source::{Source, SourceKind};
use crate::store::{FollowOutcome, SourceState, StoredPoll};
use crate::text::charset::{DocKind, to_utf8};

/// How many times an item page is fetched before tocsin gives up on its body.
pub const MAX_FOLLOW_ATTEMPTS: u32 = 3;

/// Decodes and parses a fetched listing page.
pub fn read_listing(fetched: &Fetched, spec: &ListingSpec) -> Listing {
    let html = to_utf8(
        &fetched.body,
        fetched.meta.content_type.as_deref(),
        DocKind::Html,
    );
    parse_listing(&html.text, &fetched.final_url, spec)
}

/// A GET of an HTML page of `source`, unconditional, through the shared fetcher (so
/// with the same limits and per-host politeness as every poll). `url` is trusted only
/// when it is the source's configured `url`; any other is judged as derived by the
/// fetcher (a page linked from the listing goes through [`get_linked`] first).
pub async fn get_page(
    fetcher: &Fetcher,
    source: &Source,
    url: &Url,
) -> Result<Fetched, FetchError> {
    let req = Request::new(&source.id, url.clone(), &source.fetch)
        .derived_from(&source.url)
        .with_accept(ACCEPT_HTML);
    match fetcher.fetch(&req).await? {
        Outcome::Body(f) => Ok(f),
        // An unconditional request cannot get a 304; a server that sends one anyway
        // has sent nothing usable.
        Outcome::NotModified(meta) => Err(FetchError::Status {
            id: source.id.clone(),
            url: url.to_string(),
            status: meta.status.unwrap_or(304),
            retry_after: None,
        }),
    }
}

/// A page linked from the source's listing (an item page, a next page): derived from
/// content, so it must stay on the listing's own site (or a `follow_hosts` host), and
/// the fetcher judges its address and every redirect.
pub async fn get_linked(
    fetcher: &Fetcher,
    source: &Source,
    url: &Url,
) -> Result<Fetched, FetchError> {
    let follow_hosts = match &source.kind {
        SourceKind::Html(spec) => spec.follow_hosts.as_slice(),
        SourceKind::Feed => &[],
    };
    let refused = |refusal| FetchError::Refused {
        id: source.id.clone(),
        url: url.to_string(),
        redirected_from: None,
        refusal: Box::new(refusal),
    };
    policy::check_scheme(url).map_err(refused)?;
    if !policy::on_site(url, &source.url, follow_hosts) {
        return Err(refused(policy::Refusal::OffSite {
            host: url.host_str().unwrap_or_default().to_string(),
            site: source.url.host_str().unwrap_or_default().to_string(),
        }));
    }
    get_page(fetcher, source, url).await
}

/// Reads a fetched listing (page one) into items to store: the next pages on the
/// first poll, item pages for new items with `follow`. `prev` is the source's state
/// before this poll.
///
/// Parsing pages and classifying items is CPU work: it runs on the blocking pool under
/// a parse slot ([`on_cpu`]), never on the async workers. Returns the items and the
/// encoding page one was read in.
pub(super) async fn read(
    p: &Pipeline,
    source: &Source,
    prev: &SourceState,
    spec: &ListingSpec,
    fetched: Fetched,
    now: DateTime<Utc>,
    warnings: &mut Vec<String>,
) -> Result<(Vec<StoredPoll>, String), PollError> {
    let parse_err = |url: &Url, e| PollError::Parse {
        id: source.id.clone(),
        url: url.to_string(),
        source: e,
    };
    let first_poll = prev.last_success.is_none();
    let spec = Arc::new(spec.clone());
    let final_url = fetched.final_url.clone();
    let (listing, encoding) = {
        let spec = spec.clone();
        on_cpu(p, move || {
            let encoding = to_utf8(
                &fetched.body,
                fetched.meta.content_type.as_deref(),
                DocKind::Html,
            )
            .encoding
            .name()
            .to_string();
            (read_listing(&fetched, &spec), encoding)
        })
        .await
        .map_err(|e| parse_err(&final_url, e))?
    };
    listing.check().map_err(|e| parse_err(&final_url, e))?;
    warnings.extend(listing.warnings());
    let (title, language, mut next) = (
        listing.title.clone(),
        listing.language.clone(),
        listing.next.clone(),
    );
    let mut items = listing.into_parsed();

    if first_poll {
        let mut seen = HashSet::from([source.url.clone(), final_url.clone()]);
        let mut page = 1;
        while page < spec.backfill_pages {
            let Some(url) = next.take().filter(|u| seen.insert(u.clone())) else {
                break;
            };
            page += 1;
            let f = match get_linked(&p.fetcher, source, &url).await {
                Ok(f) => f,
                Err(e) => {
                    warnings.push(format!("backfill stopped at page {page}: {e}"));
                    break;
                }
            };
            let page_url = f.final_url.clone();
            let spec = spec.clone();
            let l = match on_cpu(p, move || read_listing(&f, &spec)).await {
                Ok(l) => l,
                Err(e) => {
                    warnings.push(format!("backfill stopped at page {page}: {page_url}: {e}"));
                    break;
                }
            };
            if let Err(e) = l.check() {
                warnings.push(format!("backfill stopped at page {page}: {page_url}: {e}"));
                break;
            }
            warnings.extend(
                l.warnings()
                    .into_iter()
                    .map(|w| format!("page {page}: {w}")),
            );
            next = l.next.clone();
            items.extend(l.into_parsed());
        }
    }

    if spec.follow
        && let Some(content) = &spec.content
    {
        let outcomes = follow(p, source, content, &mut items, warnings).await?;
        if !outcomes.is_empty() {
            let id = source.id.clone();
            p.db.call(move |s| s.record_follows(&id, now, &outcomes))
                .await
                .map_err(|e| PollError::Store {
                    id: source.id.clone(),
                    source: e,
                })?;
        }
    }

    let feed = ParsedFeed {
        title,
        language,
        items,
        ..Default::default()
    };
    let (classifier, src) = (p.classifier.clone(), source.clone());
    let items = on_cpu(p, move || prepare(&classifier, &src, feed))
        .await
        .map_err(|e| parse_err(&final_url, e))?;
    Ok((items, encoding))
}

/// Runs CPU work (parsing a page, classifying items) on the blocking pool, at most
/// one per parse slot, as the feed path does: a page that is slow to parse never
/// stalls the async workers that serve HTTP and run the other polls.
async fn on_cpu<T: Send + 'static>(
    p: &Pipeline,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ParseError> {
    let crashed = |e: String| ParseError::Malformed {
        message: format!("the parser crashed: {e}"),
        line: None,
        column: None,
    };
    let _slot = p
        .parse_slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| crashed(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| crashed(e.to_string()))
}

/// Puts each item's body on it: from the store when its page was read before, else by
/// fetching the page of every item that is new (or whose earlier fetch failed).
async fn follow(
    p: &Pipeline,
    source: &Source,
    content: &Sel,
    items: &mut [ParsedItem],
    warnings: &mut Vec<String>,
) -> Result<Vec<FollowOutcome>, PollError> {
    let keys = keys_for(items);
    let links: Vec<Option<String>> = items
        .iter()
        .map(|i| i.link.as_deref().and_then(canonical_link))
        .collect();
    let (id, all_links) = (
        source.id.clone(),
        links.iter().flatten().cloned().collect::<Vec<_>>(),
    );
    let (known, states) =
        p.db.call(move |s| {
            Ok((
                s.known_items(&id, &keys)?,
                s.follow_states(&id, &all_links)?,
            ))
        })
        .await
        .map_err(|e| PollError::Store {
            id: source.id.clone(),
            source: e,
        })?;
    let mut outcomes = Vec::new();
    let mut tried = HashSet::new();
    for (i, item) in items.iter_mut().enumerate() {
        let Some(link) = &links[i] else { continue };
        let attempts = match states.get(link) {
            Some(st) if st.fetched => {
                item.content = st.content.clone();
                continue;
            }
            Some(st) if st.attempts >= MAX_FOLLOW_ATTEMPTS => continue,
            Some(st) => st.attempts,
            // Stored before `follow` was turned on: not new, not fetched.
            None if known[i] => continue,
            None => 0,
        };
        if !tried.insert(link.clone()) {
            continue;
        }
        let Some(url) = item.link.as_deref().and_then(|l| Url::parse(l).ok()) else {
            continue;
        };
        let result = match get_linked(&p.fetcher, source, &url).await {
            Ok(f) => {
                let content = content.clone();
                on_cpu(p, move || content_of(&f, &content))
                    .await
                    .unwrap_or_else(|e| Err(format!("{url}: {e}")))
            }
            Err(e) => Err(e.to_string()),
        };
        match &result {
            Ok(body) => item.content = Some(body.clone()),
            Err(e) => warnings.push(format!(
                "item page not read (attempt {} of {MAX_FOLLOW_ATTEMPTS}): {e}",
                attempts + 1
            )),
        }
        outcomes.push(FollowOutcome {
            link: link.clone(),
            result,
        });
    }
    Ok(outcomes)
}

/// Fetches an item page and extracts its body.
pub async fn fetch_content(
    fetcher: &Fetcher,
    source: &Source,
    url: &Url,
    content: &Sel,
) -> Result<String, String> {
    let f = get_linked(fetcher, source, url)
        .await
        .map_err(|e| e.to_string())?;
    content_of(&f, content)
}

/// The body of a fetched item page (CPU work: see [`on_cpu`]).
fn content_of(f: &Fetched, content: &Sel) -> Result<String, String> {
    let html = to_utf8(&f.body, f.meta.content_type.as_deref(), DocKind::Html);
    page_content(&html.text, content).ok_or_else(|| {
        format!(
            "{}: `content` selector `{}` matched nothing",
            f.final_url, content.raw
        )
    })
}
