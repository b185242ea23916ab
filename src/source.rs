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
use crate::parse::html::ListingSpec;

/// One configured source.
#[derive(Debug, Clone)]
pub struct Source {
    /// Unique, `[a-z0-9-]`; part of stored keys, so renaming a source re-imports it.
    pub id: String,
    pub title: String,
    pub url: Url,
    /// Language of the items when the source is single-language (BCP 47 primary tag).
    pub language: Option<String>,
    /// Cron expression (six fields, seconds first, UTC).
    pub schedule: String,
    pub enabled: bool,
    /// How far the operator trusts this source (higher leads): when several sources
    /// publish the same case, the entry is the most trusted one's item.
    pub trust: i32,
    /// Limits, proxy and `allow_private`: `[fetch]` with this source's overrides.
    pub fetch: SourceFetch,
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
    /// An HTML listing page read with CSS selectors (`[sources.html]`).
    Html(Arc<ListingSpec>),
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
            SourceKind::Html(spec) => &spec.follow_hosts,
        }
    }

    /// Whether the source's URL serves a feed (not a page to read).
    pub fn is_feed(&self) -> bool {
        matches!(self, SourceKind::Feed)
    }
}
