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

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use url::Url;

use super::{Pipeline, PollError, prepare};
use crate::config::SourceConfig;
use crate::dedup::{canonical_link, hex, keys_for};
use crate::fetch::{Fetched, Fetcher};
use crate::model::{ParsedFeed, ParsedItem};
use crate::parse::decode_html;
use crate::parse::html::{Listing, ListingSpec, Sel, page_content, parse_listing};
use crate::store::{FollowOutcome, PollCounts, SourceUpdate};

/// How many times an item page is fetched before tocsin gives up on its body.
pub const MAX_FOLLOW_ATTEMPTS: u32 = 3;

/// Decodes and parses a fetched listing page.
pub fn read_listing(fetched: &Fetched, spec: &ListingSpec) -> Listing {
    let html = decode_html(&fetched.body, fetched.content_type.as_deref());
    parse_listing(&html, &fetched.final_url, spec)
}

pub(super) async fn poll(
    p: &Pipeline,
    source: &SourceConfig,
    spec: &ListingSpec,
    now: DateTime<Utc>,
    warnings: &mut Vec<String>,
) -> Result<PollCounts, PollError> {
    let id = source.id.clone();
    let first_poll =
        p.db.call(move |s| s.source_state(&id))
            .await?
            .is_none_or(|st| st.last_success.is_none());

    let fetched = p.fetcher.fetch(&source.url).await?;
    let listing = read_listing(&fetched, spec);
    listing.check().map_err(|e| PollError::Parse {
        url: fetched.final_url.to_string(),
        source: e,
    })?;
    warnings.extend(listing.warnings());
    let (title, language, mut next) = (
        listing.title.clone(),
        listing.language.clone(),
        listing.next.clone(),
    );
    let mut items = listing.into_parsed();

    if first_poll {
        let mut seen = HashSet::from([source.url.clone(), fetched.final_url.clone()]);
        let mut page = 1;
        while page < spec.backfill_pages {
            let Some(url) = next.take().filter(|u| seen.insert(u.clone())) else {
                break;
            };
            page += 1;
            let f = match p.fetcher.fetch(&url).await {
                Ok(f) => f,
                Err(e) => {
                    warnings.push(format!("backfill stopped at page {page}: {e}"));
                    break;
                }
            };
            let l = read_listing(&f, spec);
            if let Err(e) = l.check() {
                warnings.push(format!(
                    "backfill stopped at page {page}: {}: {e}",
                    f.final_url
                ));
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
        let outcomes = follow(p, &source.id, content, &mut items, warnings).await?;
        if !outcomes.is_empty() {
            let id = source.id.clone();
            p.db.call(move |s| s.record_follows(&id, now, &outcomes))
                .await?;
        }
    }

    let feed = ParsedFeed {
        title,
        language,
        items,
        ..Default::default()
    };
    let prepared = prepare(&p.classifier, source, feed);
    let update = SourceUpdate {
        url: source.url.to_string(),
        status: fetched.status,
        body_hash: Some(hex(
            &<sha2::Sha256 as sha2::Digest>::digest(&fetched.body)[..16]
        )),
        ..Default::default()
    };
    let id = source.id.clone();
    Ok(p.db
        .call(move |s| s.apply_poll(&id, now, &prepared, &update))
        .await?)
}

/// Puts each item's body on it: from the store when its page was read before, else by
/// fetching the page of every item that is new (or whose earlier fetch failed).
async fn follow(
    p: &Pipeline,
    source: &str,
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
        source.to_string(),
        links.iter().flatten().cloned().collect::<Vec<_>>(),
    );
    let (known, states) =
        p.db.call(move |s| {
            Ok((
                s.known_items(&id, &keys)?,
                s.follow_states(&id, &all_links)?,
            ))
        })
        .await?;
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
        let result = fetch_content(&p.fetcher, &url, content).await;
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
pub async fn fetch_content(fetcher: &Fetcher, url: &Url, content: &Sel) -> Result<String, String> {
    let f = fetcher.fetch(url).await.map_err(|e| e.to_string())?;
    let html = decode_html(&f.body, f.content_type.as_deref());
    page_content(&html, content).ok_or_else(|| {
        format!(
            "{}: `content` selector `{}` matched nothing",
            f.final_url, content.raw
        )
    })
}
