//! One poll of one source: fetch → parse → classify → store.
//!
//! A poll never panics and never fails the daemon: whatever goes wrong is returned in
//! the [`PollReport`], logged with the source id and URL, and written to the source's
//! state. Items already stored are never touched by a failed poll.
//!
//! Cheap paths first: a 304 writes only the source's row; a 200 whose body hashes to
//! the last one is not parsed; only a new body is decoded, parsed (repaired if need
//! be), classified and written, items and source state in one transaction.
//!
//! After the same conditional fetch, the body goes to the reader of the source's kind:
//! [`feed`] for RSS, Atom and JSON Feed, [`html`] for listing pages (backfill, item
//! pages). A new kind of source is one more reader file and one more arm in
//! [`PollCtx::run`] (and in [`preview`], for `inspect`).

mod feed;
pub mod html;
pub mod state;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::classify::{Classifier, body_text};
use crate::dedup::keys_for;
use crate::fetch::{FetchError, Fetcher, Meta, Outcome, Request};
use crate::model::{ParsedFeed, ParsedItem};
use crate::parse::ParseError;
use crate::source::{Source, SourceKind};
use crate::store::{Db, PollCounts, PollWrite, SourceState, StoreError, StoredPoll};
use crate::text::{language, sha256_hex};
pub use state::Retry;
use state::{Failure, Got, Plan};

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("source `{id}`: {url}: {source}")]
    Parse {
        id: String,
        url: String,
        #[source]
        source: ParseError,
    },
    #[error("source `{id}`: storing failed: {source}")]
    Store {
        id: String,
        #[source]
        source: StoreError,
    },
}

/// The log target of the one line per poll ([`PollReport::log`]): a one-shot `tocsin
/// poll` prints the same on its summary lines and filters it out.
pub const REPORT: &str = "tocsin::poll::report";

/// How a successful poll went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// 304 Not Modified: nothing parsed, nothing written but the source's state.
    NotModified,
    /// The body was byte for byte the last one: not parsed.
    SameBody,
    /// Parsed and stored; `repaired` when the feed needed the repair pass.
    Parsed { repaired: bool },
}

/// A successful poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polled {
    pub counts: PollCounts,
    pub how: How,
}

impl Polled {
    pub fn changed(&self) -> bool {
        self.counts.new + self.counts.updated > 0
    }
}

/// The outcome of one poll, for the summary line and the log.
#[derive(Debug)]
pub struct PollReport {
    pub source: String,
    pub url: String,
    pub result: Result<Polled, PollError>,
    pub duration: Duration,
    /// Problems that did not fail the poll (an HTML listing partly unreadable, an item
    /// page that could not be fetched...).
    pub warnings: Vec<String>,
}

impl std::fmt::Display for How {
    /// As the log says it (`how=not-modified`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            How::NotModified => "not-modified",
            How::SameBody => "same-body",
            How::Parsed { repaired: false } => "parsed",
            How::Parsed { repaired: true } => "parsed-after-repair",
        })
    }
}

impl PollReport {
    /// An error's message without its "source `ID`: URL: " prefix, which the log line
    /// carries as fields already (a different URL, after a redirect, is kept).
    fn without_source_and_url<'a>(&self, message: &'a str) -> &'a str {
        let prefix = format!("source `{}`: ", self.source);
        let Some(rest) = message.strip_prefix(&prefix) else {
            return message;
        };
        rest.strip_prefix(&format!("{}: ", self.url))
            .unwrap_or(rest)
    }

    /// One log line per poll, with the source, URL, counts and duration as fields.
    pub fn log(&self) {
        let ms = self.duration.as_millis() as u64;
        for w in &self.warnings {
            tracing::warn!(target: REPORT, source = %self.source, url = %self.url, "{w}");
        }
        match &self.result {
            Ok(Polled { counts: c, how }) => tracing::info!(
                target: REPORT, source = %self.source, url = %self.url, new = c.new, updated = c.updated,
                unchanged = c.unchanged, how = %how, ms, "polled"
            ),
            Err(e) => {
                let message = e.to_string();
                tracing::warn!(
                    target: REPORT, source = %self.source, url = %self.url, ms,
                    error = self.without_source_and_url(&message), "poll failed"
                );
            }
        }
    }
}

/// Everything a poll needs, shared by all polls.
#[derive(Clone)]
pub struct Pipeline {
    pub fetcher: Fetcher,
    pub classifier: Arc<Classifier>,
    pub db: Db,
    /// Backoff and Retry-After caps.
    pub retry: Retry,
    /// Parsing and classifying are CPU work: at most one per core at a time, so that
    /// many polls finishing together queue here instead of holding many documents.
    pub parse_slots: Arc<tokio::sync::Semaphore>,
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl Pipeline {
    /// How many parses may run at once: the number of cores.
    pub fn parse_slots() -> Arc<tokio::sync::Semaphore> {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get());
        Arc::new(tokio::sync::Semaphore::new(n))
    }
}

/// Turns parsed items into what the store writes: language resolved, verdict, keys and
/// the row's text columns (here, on a parse slot, rather than on the one writer thread).
/// Items a `drop` rule matched keep their verdict (`inspect` shows why) and the store
/// skips them: they are never stored.
pub fn prepare(classifier: &Classifier, source: &Source, feed: ParsedFeed) -> Vec<StoredPoll> {
    let keys = keys_for(&feed.items);
    let feed_lang = feed.language;
    feed.items
        .into_iter()
        .zip(keys)
        .map(|(mut item, keys)| {
            // The body as text, when detection needs it: the subject reads it too.
            let body = std::cell::OnceCell::new();
            let subject_lang = item_language(source, &item, feed_lang.as_deref(), || {
                body.get_or_init(|| body_text(&item)).as_str()
            });
            // Stored as the item's own declaration (`declared_language`): the
            // document's is no declaration of the item.
            if own_language(&item, feed_lang.as_deref()).is_none() {
                item.language = None;
            }
            let subject = classifier.subject_with_body(
                &item,
                &source.id,
                subject_lang.as_deref(),
                body.into_inner(),
            );
            let class = classifier.classify(&subject);
            StoredPoll {
                item,
                keys,
                class,
                language: subject_lang,
                text: None,
            }
            .with_text()
        })
        .collect()
}

/// The item's own declaration, then a confident detection from its title and `body`
/// (its [`body_text`], asked for only when detection runs), then the source's configured
/// language, then the document's (see [`language::resolve`]).
pub fn item_language<B: AsRef<str>>(
    source: &Source,
    item: &ParsedItem,
    feed: Option<&str>,
    body: impl FnOnce() -> B,
) -> Option<String> {
    language::resolve(
        own_language(item, feed),
        source.language.as_deref(),
        feed,
        &item.title,
        body,
    )
}

/// What the item declares apart from its document: readers copy the document's
/// language onto each item, which says nothing of the item itself.
fn own_language<'a>(item: &'a ParsedItem, feed: Option<&str>) -> Option<&'a str> {
    item.language.as_deref().filter(|l| Some(*l) != feed)
}

fn body_hash(body: &[u8]) -> String {
    sha256_hex(body, 16)
}

/// One poll under way: what every step of it reads.
pub(crate) struct PollCtx<'a> {
    pub(crate) pipeline: &'a Pipeline,
    pub(crate) source: &'a Source,
    /// The source's state before this poll.
    pub(crate) prev: &'a SourceState,
    /// Which URL, with which validators.
    pub(crate) plan: &'a Plan,
    pub(crate) now: DateTime<Utc>,
    /// Problems that do not fail the poll, for the report.
    pub(crate) warnings: Vec<String>,
}

/// A body read into items to store, by the reader of the source's kind.
pub(crate) struct Read {
    pub(crate) items: Vec<StoredPoll>,
    /// RSS `<ttl>`, in minutes.
    pub(crate) ttl_minutes: Option<u32>,
    /// The encoding and what decided it.
    pub(crate) encoding: String,
    /// What the repair pass changed, when the document needed it.
    pub(crate) repairs: Option<String>,
    /// A listing read by detection because its selectors matched nothing
    /// (`on_layout_change = "auto"`): the warning, kept as the source's `repaired` note
    /// (`status` shows it) while it lasts.
    pub(crate) fallback: Option<String>,
}

impl PollCtx<'_> {
    fn parse_error(&self, url: &url::Url, source: ParseError) -> PollError {
        PollError::Parse {
            id: self.source.id.clone(),
            url: url.to_string(),
            source,
        }
    }

    fn store_error(&self, source: StoreError) -> PollError {
        PollError::Store {
            id: self.source.id.clone(),
            source,
        }
    }

    /// Runs CPU work (parsing a document, classifying items) on the blocking pool, at
    /// most one per parse slot: a document that is slow to parse never stalls the async
    /// workers that serve HTTP and run the other polls, and many polls finishing
    /// together queue here instead of holding many documents.
    pub(crate) async fn on_cpu<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ParseError> {
        let crashed = |e: String| ParseError::Malformed {
            message: format!("the parser crashed: {e}"),
            line: None,
            column: None,
        };
        let _slot = self
            .pipeline
            .parse_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| crashed(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| crashed(e.to_string()))
    }

    /// Writes the source's next state alone (nothing was parsed).
    async fn save(&self, meta: &Meta, got: Got) -> Result<(), PollError> {
        let (next, adoption) =
            state::on_success(self.source, self.prev, self.plan, meta, &got, self.now);
        log_adoption(self.source, adoption);
        self.pipeline
            .db
            .save_state(next, self.now)
            .await
            .map_err(|e| self.store_error(e))
    }

    /// Writes the items and the source's new state in one transaction.
    async fn store(&self, meta: &Meta, hash: String, read: Read) -> Result<Polled, PollError> {
        let repaired = read.repairs.is_some();
        let got = Got::Parsed {
            body_hash: hash,
            ttl_minutes: read.ttl_minutes,
            encoding: read.encoding,
            repaired: read.repairs.or(read.fallback),
        };
        let (next, adoption) =
            state::on_success(self.source, self.prev, self.plan, meta, &got, self.now);
        log_adoption(self.source, adoption);
        let counts = self
            .pipeline
            .db
            .apply_poll(PollWrite {
                source: self.source.id.clone(),
                now: self.now,
                items: read.items,
                state: next,
            })
            .await
            .map_err(|e| self.store_error(e))?;
        Ok(Polled {
            counts,
            how: How::Parsed { repaired },
        })
    }

    /// The conditional fetch, then the reader of the source's kind, then the store.
    async fn run(&mut self) -> Result<Polled, PollError> {
        let source = self.source;
        // An adopted URL came from a server's redirects: it stays derived, judged by
        // the fetch policy at every poll, never promoted to configured.
        let req = Request::new(&source.id, self.plan.url.clone(), &source.fetch)
            .derived_from(&source.url)
            .with_validators(self.plan.validators.clone())
            .with_accept(source.kind.accept());
        let fetched = match self.pipeline.fetcher.fetch(&req).await? {
            Outcome::NotModified(meta) => {
                self.save(&meta, Got::NotModified).await?;
                return Ok(Polled {
                    counts: PollCounts::default(),
                    how: How::NotModified,
                });
            }
            Outcome::Body(f) => f,
        };
        let hash = body_hash(&fetched.body);
        // A listing with `follow` is read even when unchanged: item pages that failed
        // are retried while their item is listed.
        let follows = matches!(&source.kind, SourceKind::Html(h) if h.follow);
        if !follows
            && !state::in_fallback(source, self.prev)
            && self.prev.body_hash.as_deref() == Some(hash.as_str())
            && self.prev.url == self.plan.url.as_str()
            && self.prev.last_success.is_some()
        {
            self.save(&fetched.meta, Got::SameBody).await?;
            return Ok(Polled {
                counts: PollCounts::default(),
                how: How::SameBody,
            });
        }
        let meta = fetched.meta.clone();
        // One reader per kind of source: a new kind is a variant and a file.
        let read = match &source.kind {
            SourceKind::Feed => feed::read(self, fetched).await?,
            SourceKind::Html(h) => html::read(self, h, fetched).await?,
        };
        self.store(&meta, hash, read).await
    }
}

impl Pipeline {
    /// Polls `source` once and stores what it finds.
    pub async fn poll(&self, source: &Source, now: DateTime<Utc>) -> PollReport {
        let started = Instant::now();
        let _under_way = self.db.expect_write();
        let prev = {
            let id = source.id.clone();
            self.db.read(move |s| s.source_state(&id)).await
        };
        let (url, result, warnings) = match prev {
            Err(e) => (
                source.url.to_string(),
                Err(PollError::Store {
                    id: source.id.clone(),
                    source: e,
                }),
                Vec::new(),
            ),
            Ok(prev) => {
                let prev = prev.unwrap_or_default();
                let plan = state::plan(source, &prev, now);
                let mut ctx = PollCtx {
                    pipeline: self,
                    source,
                    prev: &prev,
                    plan: &plan,
                    now,
                    warnings: Vec::new(),
                };
                let result = ctx.run().await;
                if let Err(e) = &result {
                    self.record_failure(source, &prev, &plan, e, now).await;
                }
                (plan.url.to_string(), result, ctx.warnings)
            }
        };
        let report = PollReport {
            source: source.id.clone(),
            url,
            result,
            duration: started.elapsed(),
            warnings,
        };
        report.log();
        self.metrics.record_poll(
            &report.source,
            match &report.result {
                Ok(Polled {
                    how: How::NotModified,
                    ..
                }) => "not_modified",
                Ok(_) => "ok",
                Err(_) => "error",
            },
            report.duration.as_secs_f64(),
        );
        report
    }

    /// Writes the source's state after a failed poll: one more failure, and when it is
    /// due again (backoff, Retry-After, Gone).
    async fn record_failure(
        &self,
        source: &Source,
        prev: &SourceState,
        plan: &Plan,
        e: &PollError,
        now: DateTime<Utc>,
    ) {
        let fetch = match e {
            PollError::Fetch(f) => Some(f),
            _ => None,
        };
        let fail = Failure {
            status: fetch.and_then(FetchError::status),
            retry_after: fetch.and_then(|f| f.retry_after().map(str::to_string)),
            message: e.to_string(),
        };
        let next = state::on_failure(
            source,
            prev,
            plan,
            &fail,
            &self.retry,
            now,
            crate::fetch::hints::jitter(),
        );
        if let Err(e) = self.db.save_state(next, now).await {
            tracing::error!(source = %source.id, error = %e, "cannot record the failure");
        }
    }
}

/// What one fetched document of `source` holds, read as a poll reads it (page one of a
/// listing: no backfill, no item pages), without storing: what `inspect` shows, with
/// notes for the operator.
pub fn preview(
    source: &Source,
    fetched: &crate::fetch::Fetched,
) -> Result<(ParsedFeed, Vec<String>), ParseError> {
    match &source.kind {
        SourceKind::Feed => feed::preview(fetched),
        SourceKind::Html(h) => html::preview(fetched, h),
    }
}

fn log_adoption(source: &Source, adoption: Option<state::Adoption>) {
    if let Some(a) = adoption {
        tracing::warn!(
            source = %source.id, from = %a.from, to = %a.to,
            "permanent redirect seen on {} consecutive polls: polling the new URL from now on (the config file is not changed; update it)",
            crate::fetch::hints::ADOPT_AFTER
        );
    }
}
