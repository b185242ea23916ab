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

use url::Url;

use super::{PollCtx, PollError, Read, prepare};
use crate::dedup::{canonical_link, keys_for};
use crate::fetch::{ACCEPT_HTML, FetchError, Fetched, Fetcher, Outcome, Request, policy};
use crate::model::{ParsedFeed, ParsedItem};
use crate::parse::ParseError;
use crate::parse::html::{Listing, ListingSpec, Sel, page_content, parse_listing};
use crate::source::Source;
use crate::store::FollowOutcome;
use crate::text::charset::{DocKind, to_utf8};

/// How many times an item page is fetched before tocsin gives up on its body.
pub const MAX_FOLLOW_ATTEMPTS: u32 = 3;

/// Decodes a fetched listing page and reads its entries with the source's selectors.
///
/// This is the one place where a listing page becomes entries (page one, backfill
/// pages, `inspect`): a source read without selectors (detection, [`crate::parse::detect`])
/// takes its entries here too.
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
    let follow_hosts = source.kind.follow_hosts();
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
/// first poll, item pages for new items with `follow`.
///
/// Parsing pages and classifying items is CPU work: it runs on the blocking pool under
/// a parse slot ([`PollCtx::on_cpu`]), never on the async workers.
pub(super) async fn read(
    ctx: &mut PollCtx<'_>,
    spec: &ListingSpec,
    fetched: Fetched,
) -> Result<Read, PollError> {
    let spec = Arc::new(spec.clone());
    let final_url = fetched.final_url.clone();
    let (listing, encoding) = {
        let spec = spec.clone();
        ctx.on_cpu(move || {
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
        .map_err(|e| ctx.parse_error(&final_url, e))?
    };
    listing
        .check()
        .map_err(|e| ctx.parse_error(&final_url, e))?;
    ctx.warnings.extend(listing.warnings());
    let (title, language, next) = (
        listing.title.clone(),
        listing.language.clone(),
        listing.next.clone(),
    );
    let mut items = listing.into_parsed();
    if ctx.prev.last_success.is_none() {
        backfill(ctx, &spec, &final_url, next, &mut items).await;
    }
    if spec.follow
        && let Some(content) = &spec.content
    {
        let outcomes = follow(ctx, content, &mut items).await?;
        if !outcomes.is_empty() {
            let (id, now) = (ctx.source.id.clone(), ctx.now);
            ctx.pipeline
                .db
                .call(move |s| s.record_follows(&id, now, &outcomes))
                .await
                .map_err(|e| ctx.store_error(e))?;
        }
    }
    let feed = ParsedFeed {
        title,
        language,
        items,
        ..Default::default()
    };
    let (classifier, src) = (ctx.pipeline.classifier.clone(), ctx.source.clone());
    let items = ctx
        .on_cpu(move || prepare(&classifier, &src, feed))
        .await
        .map_err(|e| ctx.parse_error(&final_url, e))?;
    Ok(Read {
        items,
        ttl_minutes: None,
        encoding,
        repairs: None,
    })
}

/// On the first poll of a source, the pages after page one (`next`), up to
/// `backfill_pages` in all. A page that fails ends the backfill with a warning.
async fn backfill(
    ctx: &mut PollCtx<'_>,
    spec: &Arc<ListingSpec>,
    final_url: &Url,
    mut next: Option<Url>,
    items: &mut Vec<ParsedItem>,
) {
    let source = ctx.source;
    let mut seen = HashSet::from([source.url.clone(), final_url.clone()]);
    let mut page = 1;
    while page < spec.backfill_pages {
        let Some(url) = next.take().filter(|u| seen.insert(u.clone())) else {
            break;
        };
        page += 1;
        let f = match get_linked(&ctx.pipeline.fetcher, source, &url).await {
            Ok(f) => f,
            Err(e) => {
                ctx.warnings
                    .push(format!("backfill stopped at page {page}: {e}"));
                break;
            }
        };
        let page_url = f.final_url.clone();
        let spec = spec.clone();
        let l = match ctx.on_cpu(move || read_listing(&f, &spec)).await {
            Ok(l) => l,
            Err(e) => {
                ctx.warnings
                    .push(format!("backfill stopped at page {page}: {page_url}: {e}"));
                break;
            }
        };
        if let Err(e) = l.check() {
            ctx.warnings
                .push(format!("backfill stopped at page {page}: {page_url}: {e}"));
            break;
        }
        ctx.warnings.extend(
            l.warnings()
                .into_iter()
                .map(|w| format!("page {page}: {w}")),
        );
        next = l.next.clone();
        items.extend(l.into_parsed());
    }
}

/// Puts each item's body on it: from the store when its page was read before, else by
/// fetching the page of every item that is new (or whose earlier fetch failed).
async fn follow(
    ctx: &mut PollCtx<'_>,
    content: &Sel,
    items: &mut [ParsedItem],
) -> Result<Vec<FollowOutcome>, PollError> {
    let keys = keys_for(items);
    let links: Vec<Option<String>> = items
        .iter()
        .map(|i| i.link.as_deref().and_then(canonical_link))
        .collect();
    let (id, all_links) = (
        ctx.source.id.clone(),
        links.iter().flatten().cloned().collect::<Vec<_>>(),
    );
    let (known, states) = ctx
        .pipeline
        .db
        .call(move |s| {
            Ok((
                s.known_items(&id, &keys)?,
                s.follow_states(&id, &all_links)?,
            ))
        })
        .await
        .map_err(|e| ctx.store_error(e))?;
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
        let result = fetch_page_content(ctx, &url, content).await;
        match &result {
            Ok(body) => item.content = Some(body.clone()),
            Err(e) => ctx.warnings.push(format!(
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

/// One item page fetched and its body extracted (on the blocking pool).
async fn fetch_page_content(ctx: &PollCtx<'_>, url: &Url, content: &Sel) -> Result<String, String> {
    match get_linked(&ctx.pipeline.fetcher, ctx.source, url).await {
        Ok(f) => {
            let content = content.clone();
            ctx.on_cpu(move || content_of(&f, &content))
                .await
                .unwrap_or_else(|e| Err(format!("{url}: {e}")))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Page one of a listing without storing it (`inspect`): its entries, or the
/// layout-change error.
pub(super) fn preview(
    fetched: &Fetched,
    spec: &ListingSpec,
) -> Result<(ParsedFeed, Vec<String>), ParseError> {
    let listing = read_listing(fetched, spec);
    listing.check()?;
    let feed = ParsedFeed {
        language: listing.language.clone(),
        items: listing.into_parsed(),
        ..Default::default()
    };
    Ok((feed, Vec::new()))
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
