//! One poll of one source: fetch → parse → classify → store.
//!
//! A poll never panics and never fails the daemon: whatever goes wrong is returned in
//! the [`PollReport`], logged with the source id and URL, and written to the source's
//! state. Items already stored are never touched by a failed poll.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::classify::{Classifier, html_to_text, language};
use crate::config::SourceConfig;
use crate::dedup::{hex, keys_for};
use crate::fetch::{FetchError, Fetcher};
use crate::model::{ParsedFeed, ParsedItem};
use crate::parse::{ParseError, parse_feed};
use crate::store::{Db, PollCounts, StoreError, StoredPoll};

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: {source}")]
    Parse {
        url: String,
        #[source]
        source: ParseError,
    },
    #[error("storing failed: {0}")]
    Store(#[from] StoreError),
}

/// The outcome of one poll, for the summary line and the log.
#[derive(Debug)]
pub struct PollReport {
    pub source: String,
    pub url: String,
    pub result: Result<PollCounts, PollError>,
    pub duration: Duration,
}

impl PollReport {
    /// One log line per poll, with the source, URL, counts and duration as fields.
    pub fn log(&self) {
        let ms = self.duration.as_millis() as u64;
        match &self.result {
            Ok(c) => tracing::info!(
                source = %self.source, url = %self.url, new = c.new, updated = c.updated,
                unchanged = c.unchanged, ms, "polled"
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
}

/// Turns parsed items into what the store writes: language resolved, verdict and keys.
/// Items a `drop` rule matched keep their verdict (`inspect` shows why) and the store
/// skips them: they are never stored.
pub fn prepare(
    classifier: &Classifier,
    source: &SourceConfig,
    feed: ParsedFeed,
) -> Vec<StoredPoll> {
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
pub fn item_language(
    source: &SourceConfig,
    item: &ParsedItem,
    feed: Option<&str>,
) -> Option<String> {
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

impl Pipeline {
    /// Polls `source` once and stores what it finds.
    pub async fn poll(&self, source: &SourceConfig, now: DateTime<Utc>) -> PollReport {
        let started = Instant::now();
        let url = source.url.to_string();
        let result = self.poll_inner(source, now).await;
        if let Err(e) = &result {
            let status = match e {
                PollError::Fetch(f) => f.status(),
                _ => None,
            };
            let (id, u, msg) = (source.id.clone(), url.clone(), e.to_string());
            if let Err(store_err) = self
                .db
                .call(move |s| s.record_failure(&id, &u, now, status, &msg, None))
                .await
            {
                tracing::error!(source = %source.id, error = %store_err, "cannot record the failure");
            }
        }
        let report = PollReport {
            source: source.id.clone(),
            url,
            result,
            duration: started.elapsed(),
        };
        report.log();
        report
    }

    async fn poll_inner(
        &self,
        source: &SourceConfig,
        now: DateTime<Utc>,
    ) -> Result<PollCounts, PollError> {
        let fetched = self.fetcher.fetch(&source.url).await?;
        let feed =
            parse_feed(&fetched.body, Some(&fetched.final_url)).map_err(|e| PollError::Parse {
                url: fetched.final_url.to_string(),
                source: e,
            })?;
        let items = prepare(&self.classifier, source, feed);
        let update = crate::store::SourceUpdate {
            url: source.url.to_string(),
            status: fetched.status,
            body_hash: Some(hex(
                &<sha2::Sha256 as sha2::Digest>::digest(&fetched.body)[..16]
            )),
            ..Default::default()
        };
        let id = source.id.clone();
        Ok(self
            .db
            .call(move |s| s.apply_poll(&id, now, &items, &update))
            .await?)
    }
}
