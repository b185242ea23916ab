//! Fetch: HTTP(S) GET or local file read, polite and bounded in time and size.
//!
//! - [`Fetcher`] is shared by every stage that downloads something. It owns the
//!   politeness rules, so every request gets them: a global concurrency limit, one
//!   request at a time per host with a minimum spacing ([`gate`]), a User-Agent.
//! - Redirects are followed here, hop by hop, so each hop is counted, loops are caught
//!   and the permanent ones (301/308) are reported for adoption ([`hints`]).
//! - Limits: a connect timeout, a total timeout (for the whole fetch, redirects and
//!   body included, not counting the wait for the host's turn), and a body cap checked
//!   while streaming on the *decompressed* bytes, so neither an endless body nor a
//!   gzip/brotli/deflate bomb can exhaust memory.
//! - Conditional GET: the caller passes the validators it has; a 304 is an
//!   [`Outcome::NotModified`].
//! - The bytes are text only for the parsers: [`crate::text::charset`] decodes them.
//!
//! `file://` URLs are read from disk under the same size cap, and only when they are a
//! source's configured `url`.
//!
//! What a derived URL (a link, a next page, a redirect, an adopted URL) may reach is
//! [`policy`]'s: each [`Request`] says whether its URL is the operator's own or derived,
//! and each redirect hop is judged again.

pub mod gate;
pub mod hints;
mod http;
pub mod policy;

use std::time::Duration;

use url::Url;

pub use hints::Hop;

/// Limits that apply to one fetch. Every error for a broken limit names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub connect_timeout: Duration,
    /// For the whole fetch: every redirect hop and the body.
    pub timeout: Duration,
    /// Bytes of body after decompression.
    pub max_body: u64,
    pub max_redirects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body: 8 * 1024 * 1024,
            max_redirects: 5,
        }
    }
}

/// Where a request goes through.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Proxy {
    /// `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY` from the environment.
    #[default]
    FromEnv,
    /// Straight to the server, whatever the environment says (`proxy = "none"`).
    Direct,
    /// Through this proxy (http, https or socks5 URL).
    Url(Url),
}

/// What a source fetches with: `[fetch]` with the source's overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceFetch {
    pub limits: Limits,
    pub proxy: Proxy,
    /// Derived URLs (links, next pages, redirects) may reach loopback, private and
    /// other internal addresses (`allow_private`, for intranet setups).
    pub allow_private: bool,
}

/// HTTP validators from a previous response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// What `Accept` a request sends.
pub const ACCEPT_FEED: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
     application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5";
pub const ACCEPT_HTML: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5";

/// One fetch to make.
#[derive(Debug, Clone)]
pub struct Request {
    /// Who asks (a source id), for messages and logs.
    pub source: String,
    pub url: Url,
    /// Sent as `If-None-Match` / `If-Modified-Since`; empty for an unconditional fetch.
    pub validators: Validators,
    pub limits: Limits,
    pub proxy: Proxy,
    pub accept: &'static str,
    /// `None`: `url` is the operator's own (a source's configured `url`), fetched as
    /// written. `Some(configured)`: `url` was derived (from a listing, a redirect, an
    /// adoption) from this configured URL, and [`policy`] judges it.
    pub derived_from: Option<Url>,
    /// The source's `allow_private`: derived URLs may reach internal addresses.
    pub allow_private: bool,
}

impl Request {
    /// An unconditional feed request for a configured URL, with a source's limits and
    /// proxy.
    pub fn new(source: &str, url: Url, fetch: &SourceFetch) -> Request {
        Request {
            source: source.to_string(),
            url,
            validators: Validators::default(),
            limits: fetch.limits.clone(),
            proxy: fetch.proxy.clone(),
            accept: ACCEPT_FEED,
            derived_from: None,
            allow_private: fetch.allow_private,
        }
    }

    /// Marks the URL as derived from the configured URL `configured` (the same URL
    /// is not: a source's own `url` stays trusted however it was reached).
    pub fn derived_from(mut self, configured: &Url) -> Request {
        if &self.url != configured {
            self.derived_from = Some(configured.clone());
        }
        self
    }

    /// The configured URL this request stands for: its own URL unless derived.
    pub fn configured(&self) -> &Url {
        self.derived_from.as_ref().unwrap_or(&self.url)
    }

    pub fn with_validators(mut self, v: Validators) -> Request {
        self.validators = v;
        self
    }

    pub fn with_accept(mut self, accept: &'static str) -> Request {
        self.accept = accept;
        self
    }
}

/// What the last response said besides its body.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// `None` for files.
    pub status: Option<u16>,
    /// Where the response came from after redirects.
    pub final_url: Option<Url>,
    /// Every redirect followed, in order.
    pub redirects: Vec<Hop>,
    pub validators: Validators,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
    pub date: Option<String>,
}

/// A fetched document.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub meta: Meta,
    pub final_url: Url,
    pub body: Vec<u8>,
}

/// How a fetch ended well.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// 304: what we have is current. Nothing to parse.
    NotModified(Meta),
    /// 2xx with a body (or a file).
    Body(Fetched),
}

impl Outcome {
    pub fn meta(&self) -> &Meta {
        match self {
            Outcome::NotModified(m) => m,
            Outcome::Body(f) => &f.meta,
        }
    }
}

/// Why a fetch failed. Every message names the source, the URL and, for a limit, the
/// limit's config key. URLs are kept as text to keep the error small.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("source `{id}`: {url}: HTTP {status}{}", retry_note(retry_after.as_deref()))]
    Status {
        id: String,
        url: String,
        status: u16,
        /// The `Retry-After` header as sent.
        retry_after: Option<String>,
    },
    #[error("source `{id}`: {url}: no connection within {} (connect_timeout)", humantime::format_duration(*limit))]
    ConnectTimeout {
        id: String,
        url: String,
        limit: Duration,
    },
    #[error("source `{id}`: {url}: not complete within {} (timeout)", humantime::format_duration(*limit))]
    Timeout {
        id: String,
        url: String,
        limit: Duration,
    },
    #[error("source `{id}`: {url}: body larger than {limit} bytes after decompression (max_body)")]
    TooLarge { id: String, url: String, limit: u64 },
    #[error("source `{id}`: {url}: more than {limit} redirects (max_redirects)")]
    TooManyRedirects {
        id: String,
        url: String,
        limit: usize,
    },
    #[error("source `{id}`: {url}: redirect loop: {to} was already visited")]
    RedirectLoop { id: String, url: String, to: String },
    #[error("source `{id}`: {url}: HTTP {status} redirect without a usable Location ({location})")]
    BadRedirect {
        id: String,
        url: String,
        status: u16,
        location: String,
    },
    #[error("source `{id}`: {url}: {message}")]
    Transport {
        id: String,
        url: String,
        message: String,
    },
    /// A derived URL that [`policy`] does not let tocsin fetch.
    #[error("source `{id}`: {url}{}: refused: {refusal}", redirected_note(redirected_from.as_deref()))]
    Refused {
        id: String,
        url: String,
        /// The URL whose redirect led here, when it was a redirect.
        redirected_from: Option<String>,
        refusal: Box<policy::Refusal>,
    },
    #[error("source `{id}`: {url}: cannot read file: {error}")]
    File {
        id: String,
        url: String,
        error: std::io::Error,
    },
}

fn redirected_note(from: Option<&str>) -> String {
    from.map(|f| format!(" (redirected from {f})"))
        .unwrap_or_default()
}

fn retry_note(r: Option<&str>) -> String {
    r.map(|v| format!(" (Retry-After: {v})"))
        .unwrap_or_default()
}

impl FetchError {
    /// The HTTP status, when the server answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The raw `Retry-After` of a 429 or 503.
    pub fn retry_after(&self) -> Option<&str> {
        match self {
            FetchError::Status {
                status: 429 | 503,
                retry_after,
                ..
            } => retry_after.as_deref(),
            _ => None,
        }
    }

    /// Whether the fetch was refused by the [`policy`] (no request was sent).
    pub fn is_refused(&self) -> bool {
        matches!(self, FetchError::Refused { .. })
    }
}

pub use http::{Fetcher, client_builder};

/// Installs the TLS crypto provider once per process.
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
