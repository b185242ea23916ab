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
//! - A source without selectors (`auto`) has page one read by detection at every poll
//!   ([`crate::parse::detect`]), and the pages after it with page one's detected
//!   selectors (detection again on a page they do not read). A source whose selectors
//!   match nothing fails with the layout-change error, which carries the selectors
//!   detection proposes for the page as it is; with `on_layout_change = "auto"` it is
//!   read by detection instead, with a warning at every poll.
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
use crate::parse::detect::{Detection, Proposal, detect_listing};
use crate::parse::html::{Listing, ListingSpec, Sel, page_content, parse_listing};
use crate::parse::{Detected, ParseError};
use crate::source::{HtmlSource, OnLayoutChange, ReadWith, Source};
use crate::store::FollowOutcome;
use crate::text::charset::{DocKind, to_utf8};

/// How many times an item page is fetched before tocsin gives up on its body.
pub const MAX_FOLLOW_ATTEMPTS: u32 = 3;

/// Decodes a fetched listing page and reads its entries with `spec`.
pub fn read_listing(fetched: &Fetched, spec: &ListingSpec) -> Listing {
    let html = to_utf8(
        &fetched.body,
        fetched.meta.content_type.as_deref(),
        DocKind::Html,
    );
    parse_listing(&html.text, &fetched.final_url, spec)
}

/// Page one of a listing source, read as the source says.
#[derive(Debug)]
pub struct PageOne {
    pub listing: Listing,
    /// What read it (the configured selectors, or detection's): the pages after it are
    /// read with the same.
    pub spec: Arc<ListingSpec>,
    /// Detection's findings, when detection read the page.
    pub detection: Option<Detection>,
    /// With `on_layout_change = "auto"`, the layout-change error that detection stood
    /// in for.
    pub fallback: Option<ParseError>,
    /// The encoding and what decided it.
    pub encoding: String,
}

impl PageOne {
    /// The warning a poll logs when detection stood in for the configured selectors.
    pub fn fallback_warning(&self) -> Option<String> {
        self.fallback.as_ref().map(|e| {
            format!(
                "{e}; read the {} entries detection finds instead (on_layout_change = \"auto\") \
                 until the selectors are fixed",
                self.listing.items.len()
            )
        })
    }
}

/// Decodes a fetched page one and reads its entries: with the source's selectors, or
/// by detection. This is the one place where page one becomes entries (poll and
/// `inspect`); later pages go through [`read_next`].
pub fn read_page_one(fetched: &Fetched, html: &HtmlSource) -> Result<PageOne, ParseError> {
    let decoded = to_utf8(
        &fetched.body,
        fetched.meta.content_type.as_deref(),
        DocKind::Html,
    );
    let (text, url) = (&decoded.text, &fetched.final_url);
    let encoding = decoded.describe();
    let page = |(listing, d): (Listing, Detection), fallback| PageOne {
        listing,
        spec: Arc::new(d.spec.clone()),
        detection: Some(d),
        fallback,
        encoding: encoding.clone(),
    };
    let (spec, on_layout_change) = match &html.read {
        ReadWith::Detect { next } => return Ok(page(detect_listing(text, url, Some(next))?, None)),
        ReadWith::Selectors {
            spec,
            on_layout_change,
        } => (spec, *on_layout_change),
    };
    let listing = parse_listing(text, url, spec);
    let Err(ParseError::LayoutChanged { why, .. }) = listing.check() else {
        return Ok(PageOne {
            listing,
            spec: Arc::new(spec.clone()),
            detection: None,
            fallback: None,
            encoding,
        });
    };
    let Ok(found) = detect_listing(text, url, spec.next.as_ref()) else {
        return Err(ParseError::LayoutChanged {
            why,
            detected: Detected::Nothing,
        });
    };
    let error = ParseError::LayoutChanged {
        why,
        detected: Detected::Found(Box::new(Proposal::of(&found.1))),
    };
    match on_layout_change {
        OnLayoutChange::Error => Err(error),
        OnLayoutChange::Auto => Ok(page(found, Some(error))),
    }
}

/// A page after page one (backfill), read with page one's selectors; when they match
/// nothing and page one was read by detection, by detection on this page.
pub fn read_next(
    fetched: &Fetched,
    spec: &ListingSpec,
    detect: bool,
) -> Result<Listing, ParseError> {
    let listing = read_listing(fetched, spec);
    match listing.check() {
        Ok(()) => Ok(listing),
        Err(_) if detect => {
            let decoded = to_utf8(
                &fetched.body,
                fetched.meta.content_type.as_deref(),
                DocKind::Html,
            );
            Ok(detect_listing(&decoded.text, &fetched.final_url, spec.next.as_ref())?.0)
        }
        Err(e) => Err(e),
    }
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
    html: &HtmlSource,
    fetched: Fetched,
) -> Result<Read, PollError> {
    let final_url = fetched.final_url.clone();
    let page = {
        let html = html.clone();
        ctx.on_cpu(move || read_page_one(&fetched, &html))
            .await
            .and_then(|r| r)
            .map_err(|e| ctx.parse_error(&final_url, e))?
    };
    let fallback = page.fallback_warning();
    ctx.warnings.extend(fallback.clone());
    ctx.warnings.extend(page.listing.warnings());
    let PageOne {
        listing,
        spec,
        detection,
        encoding,
        ..
    } = page;
    let (title, language, next) = (
        listing.title.clone(),
        listing.language.clone(),
        listing.next.clone(),
    );
    let mut items = listing.into_parsed();
    if ctx.prev.last_success.is_none() {
        let detect = detection.is_some();
        backfill(ctx, html, &spec, detect, &final_url, next, &mut items).await;
    }
    if html.follow
        && let Some(content) = &html.content
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
        fallback,
    })
}

/// On the first poll of a source, the pages after page one (`next`), up to
/// `backfill_pages` in all, read with page one's selectors (`detect`: by detection on
/// a page they do not read). A page that fails ends the backfill with a warning.
async fn backfill(
    ctx: &mut PollCtx<'_>,
    html: &HtmlSource,
    spec: &Arc<ListingSpec>,
    detect: bool,
    final_url: &Url,
    mut next: Option<Url>,
    items: &mut Vec<ParsedItem>,
) {
    let source = ctx.source;
    let mut seen = HashSet::from([source.url.clone(), final_url.clone()]);
    let mut page = 1;
    while page < html.backfill_pages {
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
        let l = match ctx
            .on_cpu(move || read_next(&f, &spec, detect))
            .await
            .and_then(|r| r)
        {
            Ok(l) => l,
            Err(e) => {
                ctx.warnings
                    .push(format!("backfill stopped at page {page}: {page_url}: {e}"));
                break;
            }
        };
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
/// layout-change error; with a note when detection read it.
pub(super) fn preview(
    fetched: &Fetched,
    html: &HtmlSource,
) -> Result<(ParsedFeed, Vec<String>), ParseError> {
    let page = read_page_one(fetched, html)?;
    let notes = page.fallback_warning().into_iter().collect();
    let feed = ParsedFeed {
        language: page.listing.language.clone(),
        items: page.listing.into_parsed(),
        ..Default::default()
    };
    Ok((feed, notes))
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
