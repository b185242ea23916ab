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
//! Feeds are parsed here; HTML listings (`kind = "html"`) are read in [`html`], after
//! the same conditional fetch.

pub mod html;
pub mod state;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::classify::Classifier;
use crate::dedup::keys_for;
use crate::fetch::{FetchError, Fetcher, Outcome, Request};
use crate::model::{ParsedFeed, ParsedItem};
use crate::parse::{ParseError, parse_document};
use crate::source::{Source, SourceKind};
use crate::store::{Db, PollCounts, SourceState, StoreError, StoredPoll};
use crate::text::{html_to_text, language, sha256_hex};
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

impl PollReport {
    /// One log line per poll, with the source, URL, counts and duration as fields.
    pub fn log(&self) {
        let ms = self.duration.as_millis() as u64;
        for w in &self.warnings {
            tracing::warn!(source = %self.source, url = %self.url, "{w}");
        }
        match &self.result {
            Ok(Polled { counts: c, how }) => tracing::info!(
                source = %self.source, url = %self.url, new = c.new, updated = c.updated,
                unchanged = c.unchanged, how = ?how, ms, "polled"
            ),
            Err(e) => {
                tracing::warn!(source = %self.source, url = %self.url, ms, error = %e, "poll failed")
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

/// Turns parsed items into what the store writes: language resolved, verdict and keys.
/// Items a `drop` rule matched keep their verdict (`inspect` shows why) and the store
/// skips them: they are never stored.
pub fn prepare(classifier: &Classifier, source: &Source, feed: ParsedFeed) -> Vec<StoredPoll> {
    let keys = keys_for(&feed.items);
    let feed_lang = feed.language;
    feed.items
        .into_iter()
        .zip(keys)
        .map(|(item, keys)| {
            let subject_lang = item_language(source, &item, feed_lang.as_deref());
            let subject = classifier.subject(&item, &source.id, subject_lang.as_deref());
            let class = classifier.classify(&subject);
            StoredPoll {
                item,
                keys,
                class,
                language: subject_lang,
            }
        })
        .collect()
}

/// The source's configured language first, then what the item or feed declares, then
/// what its text looks like (only when nothing is declared: detection is the slow path).
pub fn item_language(source: &Source, item: &ParsedItem, feed: Option<&str>) -> Option<String> {
    source
        .language
        .clone()
        .or_else(|| item.language.clone())
        .or_else(|| feed.map(str::to_string))
        .or_else(|| detect_language(item))
}

fn detect_language(item: &ParsedItem) -> Option<String> {
    let body = item
        .summary
        .as_deref()
        .or(item.content.as_deref())
        .map(html_to_text)
        .unwrap_or_default();
    language::detect(&item.title, &body).map(str::to_string)
}

fn body_hash(body: &[u8]) -> String {
    sha256_hex(body, 16)
}

impl Pipeline {
    /// Polls `source` once and stores what it finds.
    pub async fn poll(&self, source: &Source, now: DateTime<Utc>) -> PollReport {
        let started = Instant::now();
        let _under_way = self.db.expect_write();
        let id = source.id.clone();
        let store_err = |source| PollError::Store {
            id: id.clone(),
            source,
        };
        let prev = {
            let id = id.clone();
            self.db.read(move |s| s.source_state(&id)).await
        };
        let mut warnings = Vec::new();
        let (url, result) = match prev {
            Err(e) => (source.url.to_string(), Err(store_err(e))),
            Ok(prev) => {
                let prev = prev.unwrap_or_default();
                let plan = state::plan(source, &prev, now);
                let result = self
                    .poll_inner(source, &prev, &plan, now, &mut warnings)
                    .await;
                if let Err(e) = &result {
                    let fail = Failure {
                        status: match e {
                            PollError::Fetch(f) => f.status(),
                            _ => None,
                        },
                        retry_after: match e {
                            PollError::Fetch(f) => f.retry_after().map(str::to_string),
                            _ => None,
                        },
                        message: e.to_string(),
                    };
                    let next = state::on_failure(
                        source,
                        &prev,
                        &plan,
                        &fail,
                        &self.retry,
                        now,
                        crate::fetch::hints::jitter(),
                    );
                    if let Err(e) = self.db.call(move |s| s.save_source(&next)).await {
                        tracing::error!(source = %source.id, error = %e, "cannot record the failure");
                    }
                }
                (plan.url.to_string(), result)
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

    async fn save(&self, id: &str, next: SourceState) -> Result<(), PollError> {
        self.db
            .call(move |s| s.save_source(&next))
            .await
            .map_err(|source| PollError::Store {
                id: id.to_string(),
                source,
            })
    }

    async fn poll_inner(
        &self,
        source: &Source,
        prev: &SourceState,
        plan: &Plan,
        now: DateTime<Utc>,
        warnings: &mut Vec<String>,
    ) -> Result<Polled, PollError> {
        let spec = match &source.kind {
            SourceKind::Html(spec) => Some(spec.clone()),
            SourceKind::Feed => None,
        };
        // An adopted URL came from a server's redirects: it stays derived, judged by
        // the fetch policy at every poll, never promoted to configured.
        let mut req = Request::new(&source.id, plan.url.clone(), &source.fetch)
            .derived_from(&source.url)
            .with_validators(plan.validators.clone());
        if spec.is_some() {
            req = req.with_accept(crate::fetch::ACCEPT_HTML);
        }
        let fetched = match self.fetcher.fetch(&req).await? {
            Outcome::NotModified(meta) => {
                let (next, adoption) =
                    state::on_success(source, prev, plan, &meta, &Got::NotModified, now);
                log_adoption(source, adoption);
                self.save(&source.id, next).await?;
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
        let follows = spec.as_ref().is_some_and(|s| s.follow);
        if !follows
            && prev.body_hash.as_deref() == Some(hash.as_str())
            && prev.url == plan.url.as_str()
            && prev.last_success.is_some()
        {
            let (next, adoption) =
                state::on_success(source, prev, plan, &fetched.meta, &Got::SameBody, now);
            log_adoption(source, adoption);
            self.save(&source.id, next).await?;
            return Ok(Polled {
                counts: PollCounts::default(),
                how: How::SameBody,
            });
        }

        if let Some(spec) = spec {
            let meta = fetched.meta.clone();
            let (items, encoding) =
                html::read(self, source, prev, &spec, fetched, now, warnings).await?;
            let got = Got::Parsed {
                body_hash: hash,
                ttl_minutes: None,
                encoding,
                repaired: None,
            };
            return self
                .store(source, prev, plan, &meta, got, items, now, false)
                .await;
        }

        // Parsing and classifying are CPU work: off the async workers.
        let (classifier, src) = (self.classifier.clone(), source.clone());
        let meta = fetched.meta;
        let final_url = fetched.final_url;
        let body = fetched.body;
        let content_type = meta.content_type.clone();
        let base = final_url.clone();
        let slot = self
            .parse_slots
            .clone()
            .acquire_owned()
            .await
            .expect("parse slots never close");
        let parsed = tokio::task::spawn_blocking(move || {
            let doc = parse_document(&body, content_type.as_deref(), Some(&base))?;
            drop(body);
            let ttl = doc.feed.ttl_minutes;
            let items = prepare(&classifier, &src, doc.feed);
            Ok::<_, ParseError>((items, ttl, doc.encoding, doc.repairs))
        })
        .await
        .map_err(|e| PollError::Parse {
            id: source.id.clone(),
            url: final_url.to_string(),
            source: ParseError::Malformed {
                message: format!("the parser crashed: {e}"),
                line: None,
                column: None,
            },
        })?;
        // The slot is for parsing only: the write below may wait for other polls.
        drop(slot);
        let (items, ttl, encoding, repairs) = parsed.map_err(|e| PollError::Parse {
            id: source.id.clone(),
            url: final_url.to_string(),
            source: e,
        })?;
        if let Some(r) = &repairs {
            tracing::info!(source = %source.id, url = %final_url, repairs = %r, "feed repaired before parsing");
        }
        let got = Got::Parsed {
            body_hash: hash,
            ttl_minutes: ttl,
            encoding,
            repaired: repairs.as_ref().map(|r| r.to_string()),
        };
        self.store(
            source,
            prev,
            plan,
            &meta,
            got,
            items,
            now,
            repairs.is_some(),
        )
        .await
    }

    /// Writes the items and the source's new state in one transaction.
    #[allow(clippy::too_many_arguments)]
    async fn store(
        &self,
        source: &Source,
        prev: &SourceState,
        plan: &Plan,
        meta: &crate::fetch::Meta,
        got: Got,
        items: Vec<StoredPoll>,
        now: DateTime<Utc>,
        repaired: bool,
    ) -> Result<Polled, PollError> {
        let (next, adoption) = state::on_success(source, prev, plan, meta, &got, now);
        log_adoption(source, adoption);
        let counts = self
            .db
            .apply_poll(crate::store::PollWrite {
                source: source.id.clone(),
                now,
                items,
                state: next,
            })
            .await
            .map_err(|e| PollError::Store {
                id: source.id.clone(),
                source: e,
            })?;
        Ok(Polled {
            counts,
            how: How::Parsed { repaired },
        })
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
