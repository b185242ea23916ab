//! A source as the stages see it: where it is, how it is fetched and read, when it is
//! polled and how far it is trusted.
//!
//! Config validates `[[sources]]` into a [`Source`]; the schedule, the poll, the
//! publisher (titles, trust), `status` and `inspect` all read this one description.
//! It sits above the stages whose settings it carries ([`crate::fetch`]'s
//! [`SourceFetch`], [`crate::parse`]'s [`ListingSpec`]) and below everything that polls
//! or shows sources, so none of them needs the config.
//!
//! A new kind of source is a [`SourceKind`] variant and one file per stage that reads
//! it (see README, Layout).

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::fetch::{ACCEPT_FEED, ACCEPT_HTML, SourceFetch};
use crate::parse::html::{ListingSpec, Pick, Sel};

/// One configured source.
#[derive(Debug, Clone)]
pub struct Source {
    /// Unique, `[a-z0-9-]`; part of stored keys, so renaming a source re-imports it.
    pub id: String,
    pub title: String,
    pub url: Url,
    /// Language of the items when the source is single-language (BCP 47 primary tag).
    pub language: Option<String>,
    /// Cron expression (six fields, seconds first, UTC); the sources that inherit
    /// `daemon.schedule` share one.
    pub schedule: Arc<str>,
    pub enabled: bool,
    /// How far the operator trusts this source (higher leads): when several sources
    /// publish the same case, the entry is the most trusted one's item.
    pub trust: i32,
    /// Limits, proxy and `allow_private`: `[fetch]` with this source's overrides. The
    /// sources that override nothing share one (with 10,000 sources, 1.4 MB less).
    pub fetch: Arc<SourceFetch>,
    /// Cache-Control / Expires / RSS `<ttl>` may defer a poll by at most this.
    pub max_defer: Duration,
    /// How the document at `url` is read.
    pub kind: SourceKind,
}

/// What a source's URL serves, and so how each stage reads it.
#[derive(Debug, Clone, Default)]
pub enum SourceKind {
    /// RSS, Atom or JSON Feed.
    #[default]
    Feed,
    /// An HTML listing page (`[sources.html]`), read with CSS selectors or by
    /// detection.
    Html(Arc<HtmlSource>),
}

/// How an HTML listing source is read: its page, the pages after it, its items' pages.
#[derive(Debug, Clone)]
pub struct HtmlSource {
    pub read: ReadWith,
    /// Fetch each new item's page and take its `content`.
    pub follow: bool,
    pub content: Option<Sel>,
    /// Listing pages read on the first poll, page one included.
    pub backfill_pages: u32,
    /// Hosts besides the listing's own that `follow` and `next` may fetch from,
    /// normalised by [`crate::fetch::policy::parse_follow_host`].
    pub follow_hosts: Vec<String>,
}

/// What reads the entries of a listing page.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per source, built once at load and shared behind an Arc"
)]
pub enum ReadWith {
    /// The configured selectors (`next` among them).
    Selectors {
        spec: ListingSpec,
        on_layout_change: OnLayoutChange,
    },
    /// Detection ([`crate::parse::detect`]) at every poll (`auto`). The pages after
    /// page one are read with page one's detected selectors; `next` finds them: the
    /// configured `next`, else the page's `rel="next"` links.
    Detect { next: Pick },
}

/// What a poll does when the configured selectors match nothing (`on_layout_change`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnLayoutChange {
    /// The poll fails with the layout-change error (which carries the selectors
    /// detection proposes); stored items are kept.
    #[default]
    Error,
    /// The entries detection finds are read instead, with a warning at every poll,
    /// until the selectors are fixed.
    Auto,
}

impl HtmlSource {
    /// The `next` of an auto source that sets none: the page's own `rel="next"` links
    /// (`<link rel="next">` in its head, or an `<a rel="next">`).
    pub const REL_NEXT: &'static str = "link[rel~=next], a[rel~=next]";

    /// A source read by detection with every other setting at its default.
    pub fn auto(backfill_pages: u32) -> HtmlSource {
        HtmlSource {
            read: ReadWith::Detect {
                next: Pick::parse(Self::REL_NEXT, Some("href")).expect("a valid selector"),
            },
            follow: false,
            content: None,
            backfill_pages,
            follow_hosts: Vec::new(),
        }
    }

    /// Whether the listing is read by detection at every poll.
    pub fn is_auto(&self) -> bool {
        matches!(self.read, ReadWith::Detect { .. })
    }
}

impl SourceKind {
    /// The `Accept` header of a request for the source's URL.
    pub fn accept(&self) -> &'static str {
        match self {
            SourceKind::Feed => ACCEPT_FEED,
            SourceKind::Html(_) => ACCEPT_HTML,
        }
    }

    /// Hosts besides the source's own whose pages links from it may lead to.
    pub fn follow_hosts(&self) -> &[String] {
        match self {
            SourceKind::Feed => &[],
            SourceKind::Html(h) => &h.follow_hosts,
        }
    }

    /// Whether the source's URL serves a feed (not a page to read).
    pub fn is_feed(&self) -> bool {
        matches!(self, SourceKind::Feed)
    }
}
