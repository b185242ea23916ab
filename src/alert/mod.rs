//! Alerts: each new urgent case development pushed to the people who must act, by
//! e-mail and webhook, once, never flooding, never losing one.
//!
//! ## The outbox
//!
//! ```text
//! poll transaction ──▶ alert_candidates ──plan──▶ alert_outbox ──send──▶ SMTP / HTTP
//!  (items + verdict)     (one per item)     (one per channel and   (lease, retries,
//!                                             development, unique)   delivery recorded)
//! ```
//!
//! - **Written with the items.** The poll's transaction (the store's group writer)
//!   adds a *candidate* for each item that became urgent by that write: new and
//!   urgent, or edited into urgent. Not on a source's first successful poll (its
//!   backfill is history), not when new rules change a verdict (`reclassify` writes no
//!   candidate), not at a restart (nothing is written). A crash loses both or neither.
//! - **Planned per development.** Which items are one case development is decided when
//!   the urgent selection is read (codes, and near-identical titles: see
//!   [`crate::group`]), so a pass reads the selection and, for each candidate, finds
//!   its entry: a development with a case code is keyed `case:CODE`, one without
//!   `item:LEAD`. For each channel whose filters match, that existed when the item was
//!   stored, and for which the item is not older than `max_age`, one message is added
//!   with that key (unique per channel in the table), and every item of the entry is
//!   recorded as told (`alert_items`), so a second publisher of the same appeal later is
//!   not told again. The messages and the deletion of the candidates are one
//!   transaction. More than `burst` messages for one channel in one plan become one
//!   digest (the storm guard); a `digest` channel's messages wait (`queued`) for its
//!   schedule.
//! - **Sent with a lease.** A sender takes due messages with a lease (its pid and a
//!   deadline), sends, then records the answer. A crash between send and record sends
//!   again after the lease (or at once, when the pid is dead at the next start) with
//!   the same `Message-ID` / `X-Tocsin-Delivery` (derived from channel and key), so the
//!   receiver can drop the copy: at-least-once, with an idempotency key. A failure is
//!   retried with exponential backoff (`retry_base` doubling up to `retry_cap`), for
//!   ever unless the server refused for good (SMTP 5xx, HTTP 4xx, a redirect): then the
//!   message is `failed`, logged and counted. Channels are sent to concurrently and each
//!   attempt is bounded in time, so one that hangs delays only itself.
//!
//! Failure modes: a candidate whose item was pruned or is no longer urgent when planned
//! is dropped; two processes planning the same candidates at once (`tocsin poll` beside
//! `tocsin run`) are kept apart by the unique key for coded cases, while two
//! title-grouped items of the same story could then each be told once.

mod channel;
pub mod message;
mod send;
mod templates;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use channel::{Channel, Events, Filter, Kind, Mode, Secret, Security, Smtp, countries_of};
pub use message::{CaseAlert, Payload, SourceAlert};
pub use send::{Envelope, SendError, WebClient, build_email, signature};
pub use templates::{FILES as TEMPLATE_FILES, Rendered, Templates};

use crate::model::StoredItem;
use crate::source::Source;
use crate::store::{
    Db, Disposition, FailingSource, ItemFilter, NewAlert, OutboxRow, Planned, SourceState,
    StoreError, Trust,
};

/// Candidates planned per pass (the rest wait for the next pass).
const PLAN_BATCH: usize = 2000;
/// Entries of the urgent selection read to find candidates' developments.
const SELECTION: usize = 2000;
/// Messages taken at once by a sender.
const SEND_BATCH: usize = 500;
/// Batches sent per pass at most.
const SEND_ROUNDS: usize = 20;
/// How long a sender holds the messages it took.
const LEASE: chrono::Duration = chrono::Duration::minutes(5);

/// The alert stage as configured: channels, the SMTP server, what messages need.
#[derive(Clone)]
pub struct Alerts {
    pub channels: Vec<Arc<Channel>>,
    pub smtp: Option<Arc<Smtp>>,
    web: WebClient,
    /// `urgent.atom`'s public URL.
    feed_url: String,
    /// The host part of Message-IDs.
    domain: String,
    /// The configured sources, shared with the config (their titles and URLs are in
    /// messages): no copy of 10,000 sources' strings.
    sources: Arc<[Source]>,
    trust: Arc<Trust>,
    /// One pass at a time in this process (kept across reloads: see [`Alerts::adopt`]).
    pass_lock: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts")
            .field("channels", &self.channels.len())
            .finish_non_exhaustive()
    }
}

/// What a pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub planned: usize,
    pub sent: usize,
    pub failed: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no channel `{0}`")]
    NoChannel(String),
    #[error("{0}")]
    Template(String),
    #[error(transparent)]
    Send(#[from] SendError),
}

impl Alerts {
    /// The stage for `channels`, sending through `smtp` and (webhooks) a client with
    /// `user_agent` through `proxy`; `public_url` names the feed in messages.
    pub fn new(
        channels: Vec<Channel>,
        smtp: Option<Smtp>,
        sources: &Arc<[Source]>,
        public_url: &url::Url,
        user_agent: &str,
        proxy: &crate::fetch::Proxy,
    ) -> Alerts {
        Alerts {
            channels: channels.into_iter().map(Arc::new).collect(),
            smtp: smtp.map(Arc::new),
            web: WebClient::new(user_agent, proxy, Duration::from_secs(30)),
            feed_url: public_url
                .join("urgent.atom")
                .map_or_else(|_| public_url.to_string(), |u| u.to_string()),
            domain: public_url
                .host_str()
                .unwrap_or("tocsin.invalid")
                .to_string(),
            sources: sources.clone(),
            trust: Arc::new(Trust::new(sources.iter().map(|s| (s.id.clone(), s.trust)))),
            pass_lock: Arc::default(),
        }
    }

    /// Keeps `old`'s pass lock (a reload must not run two passes at once).
    pub fn adopt(&mut self, old: &Alerts) {
        self.pass_lock = old.pass_lock.clone();
    }

    pub fn is_enabled(&self) -> bool {
        !self.channels.is_empty()
    }

    pub fn channel(&self, id: &str) -> Option<&Arc<Channel>> {
        self.channels.iter().find(|c| c.id == id)
    }

    fn source_title(&self, id: &str) -> String {
        self.sources
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.title.clone())
    }

    /// One pass now: see [`Alerts::pass_at`].
    pub async fn pass(&self, db: &Db) -> Result<PassReport, AlertError> {
        self.pass_at(db, Utc::now()).await
    }

    /// One pass as of `now`: record the channels (dropping the messages of removed
    /// ones), turn candidates into messages, make the digests that are due, alert on
    /// failing sources, and send what is due. Candidates are consumed even without
    /// channels (so none pile up).
    pub async fn pass_at(&self, db: &Db, now: DateTime<Utc>) -> Result<PassReport, AlertError> {
        let _one = self.pass_lock.lock().await;
        // Leases of a sender that died (with the lock held, none is ours).
        db.call(|s| s.release_dead_claims(pid_alive)).await?;
        let created = self.sync_channels(db, now).await?;
        let mut report = PassReport {
            planned: self.plan(db, &created, now).await?,
            ..PassReport::default()
        };
        report.planned += self.digests(db, now).await?;
        report.planned += self.source_health(db, now).await?;
        let (sent, failed) = self.send_due(db, now).await?;
        report.sent = sent;
        report.failed = failed;
        Ok(report)
    }

    /// Records the configured channels (a new one exists from `now`: nothing stored
    /// before is sent through it) and drops the unsent messages of removed ones.
    /// Returns when each channel came into being. Run by every pass, and by `tocsin
    /// poll` before it polls (so that a channel added to the config before a poll is
    /// told of what that poll stores).
    pub async fn sync_channels(
        &self,
        db: &Db,
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, DateTime<Utc>>, AlertError> {
        let ids: Vec<String> = self.channels.iter().map(|c| c.id.clone()).collect();
        let sync = db.call(move |s| s.sync_alert_channels(&ids, now)).await?;
        for (channel, n) in &sync.dropped {
            if *n > 0 {
                tracing::warn!(channel = %channel, dropped = n, "channel removed from the config: its unsent alerts are dropped");
            } else {
                tracing::info!(channel = %channel, "channel removed from the config");
            }
        }
        Ok(sync.created)
    }

    /// When the next pass should run at the latest (a retry or a digest due), capped.
    pub async fn next_wake(&self, db: &Db, cap: Duration) -> Duration {
        let now = Utc::now();
        let mut next = now + chrono::Duration::from_std(cap).unwrap_or_default();
        if let Ok(Some(due)) = db.read(|s| s.next_alert_due()).await {
            next = next.min(due);
        }
        for c in &self.channels {
            if let Mode::Digest { schedule } = &c.mode
                && let Some(t) = crate::schedule::next_after(schedule, now)
            {
                next = next.min(t);
            }
        }
        (next - now).to_std().unwrap_or(Duration::ZERO)
    }

    /// Candidates → messages (see the module doc).
    async fn plan(
        &self,
        db: &Db,
        created: &HashMap<String, DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<usize, AlertError> {
        let candidates = db.read(|s| s.alert_candidates(PLAN_BATCH)).await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let (items, selection) = self.candidate_items(db, &candidates).await?;
        let items: HashMap<&str, &StoredItem> = items.iter().map(|i| (i.id.as_str(), i)).collect();
        let mut entry_of: HashMap<&str, &StoredItem> = HashMap::new();
        for e in &selection {
            entry_of.insert(e.id.as_str(), e);
            for r in &e.related {
                entry_of.entry(r.id.as_str()).or_insert(e);
            }
        }
        let mut planned: Vec<(Arc<Channel>, NewAlert)> = Vec::new();
        let mut taken: HashSet<(String, String)> = HashSet::new();
        for cand in &candidates {
            let Some(item) = items.get(cand.item_uid.as_str()).filter(|i| i.urgent) else {
                continue;
            };
            let entry = entry_of.get(item.id.as_str()).copied().unwrap_or(item);
            let key = development_key(entry);
            let mut dev_items: Vec<String> = std::iter::once(entry.id.clone())
                .chain(entry.related.iter().map(|r| r.id.clone()))
                .collect();
            if !dev_items.contains(&item.id) {
                dev_items.push(item.id.clone());
            }
            let members: Vec<&StoredItem> = if entry.id == item.id {
                vec![entry]
            } else {
                vec![entry, item]
            };
            let alert = message::case_alert(entry, &members, &|s| self.source_title(s));
            for ch in self.channels.iter().filter(|c| c.events.urgent) {
                if !self.due_for(ch, item, &members, entry, created, now) {
                    continue;
                }
                let told = {
                    let (channel, uids) = (ch.id.clone(), dev_items.clone());
                    db.read(move |s| s.alerted_items(&channel, &uids)).await?
                };
                let fresh = told.is_empty()
                    && dev_items
                        .iter()
                        .all(|u| !taken.contains(&(ch.id.clone(), u.clone())))
                    && taken.insert((ch.id.clone(), key.clone()));
                if !fresh {
                    continue;
                }
                for u in &dev_items {
                    taken.insert((ch.id.clone(), u.clone()));
                }
                planned.push((ch.clone(), case_message(ch, &key, &alert, &dev_items)));
            }
        }
        let planned = storm_guard(planned);
        let done: Vec<i64> = candidates.iter().map(|c| c.id).collect();
        let added = db
            .call(move |s| s.plan_alerts(&done, &planned, now))
            .await?;
        if added > 0 {
            tracing::info!(messages = added, "alerts queued");
        }
        Ok(added)
    }

    /// The candidates' items, and the urgent selection that says which development
    /// each belongs to (nothing read when no channel wants urgent cases).
    async fn candidate_items(
        &self,
        db: &Db,
        candidates: &[crate::store::AlertCandidate],
    ) -> Result<(Vec<StoredItem>, Vec<StoredItem>), AlertError> {
        if !self.channels.iter().any(|c| c.events.urgent) {
            return Ok((Vec::new(), Vec::new()));
        }
        let uids: Vec<String> = candidates.iter().map(|c| c.item_uid.clone()).collect();
        let trust = self.trust.clone();
        Ok(db
            .read(move |s| {
                let items = s.items_by_uid(&uids)?;
                let filter = ItemFilter {
                    limit: Some(SELECTION),
                    ..ItemFilter::default()
                };
                Ok((items, s.urgent_cases_in(&filter, &trust)?))
            })
            .await?)
    }

    /// Whether `ch` is to be told about `item` (of the development led by `entry`,
    /// `members` its stored items): it existed when the item was stored, the item is
    /// not older than `max_age`, and the filters match.
    fn due_for(
        &self,
        ch: &Channel,
        item: &StoredItem,
        members: &[&StoredItem],
        entry: &StoredItem,
        created: &HashMap<String, DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> bool {
        let existed = created.get(&ch.id).is_some_and(|c| item.first_seen >= *c);
        let max_age = chrono::Duration::from_std(ch.max_age).unwrap_or(chrono::Duration::MAX);
        let recent = now.signed_duration_since(item.published.min(item.first_seen)) <= max_age;
        let related_source =
            |set: &globset::GlobSet| entry.related.iter().any(|r| set.is_match(&r.source));
        let filters = ch.filter.matches(members)
            || (ch.filter.languages.is_empty()
                && ch.filter.countries.is_empty()
                && ch.filter.source_set.as_ref().is_some_and(related_source));
        existed && recent && filters
    }

    /// Digests that are due: a `digest` channel's queued messages, when its schedule
    /// fired since the oldest of them was queued.
    async fn digests(&self, db: &Db, now: DateTime<Utc>) -> Result<usize, AlertError> {
        let mut made = 0;
        for ch in &self.channels {
            let Mode::Digest { schedule } = &ch.mode else {
                continue;
            };
            let id = ch.id.clone();
            let queued = db.read(move |s| s.queued_alerts(&id)).await?;
            let Some(oldest) = queued.first() else {
                continue;
            };
            if crate::schedule::next_after(schedule, oldest.created).is_none_or(|t| t > now) {
                continue;
            }
            let digest = digest_of(&ch.id, &queued);
            let members: Vec<i64> = queued.iter().map(|r| r.id).collect();
            if db
                .call(move |s| s.add_digest(&digest, &members, now))
                .await?
                .is_some()
            {
                made += 1;
            }
        }
        Ok(made)
    }

    /// `source_failing` and its recovery (see [`Events`]).
    async fn source_health(&self, db: &Db, now: DateTime<Utc>) -> Result<usize, AlertError> {
        let subscribed: Vec<&Arc<Channel>> = self
            .channels
            .iter()
            .filter(|c| c.events.source_failing)
            .collect();
        let (states, failing) = db
            .read(|s| Ok((s.failing_or_noted_states()?, s.failing_sources()?)))
            .await?;
        // By id: with 10,000 sources a linear `find` per source was 10^8 comparisons
        // at every pass.
        let states: HashMap<&str, &SourceState> =
            states.iter().map(|st| (st.id.as_str(), st)).collect();
        let failing: HashMap<&str, &FailingSource> =
            failing.iter().map(|f| (f.source.as_str(), f)).collect();
        let mut added = 0;
        for src in self.sources.iter().filter(|s| s.enabled) {
            let Some(&st) = states.get(src.id.as_str()) else {
                continue;
            };
            let row = failing.get(src.id.as_str()).copied();
            if st.failures > 0 {
                let since = row.map_or_else(
                    || st.last_success.or(st.last_poll).unwrap_or(now).min(now),
                    |f| f.since,
                );
                let key = format!("failing:{}@{}", src.id, crate::store::ts(since));
                let layout = st
                    .last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("selectors matched nothing"));
                let mut alerts = Vec::new();
                for ch in &subscribed {
                    let after = chrono::Duration::from_std(ch.failing_after)
                        .unwrap_or(chrono::Duration::MAX);
                    if !(layout || now.signed_duration_since(since) >= after) {
                        continue;
                    }
                    let (c, k) = (ch.id.clone(), key.clone());
                    if db.read(move |s| s.has_alert(&c, &k)).await? {
                        continue;
                    }
                    alerts.push(source_alert(ch, &key, "source_failing", src, st, since));
                }
                if row.is_none() || !alerts.is_empty() {
                    added += alerts.len();
                    let f = FailingSource {
                        source: src.id.clone(),
                        since,
                        alerted: row.is_some_and(|r| r.alerted) || !alerts.is_empty(),
                    };
                    db.call(move |s| s.note_failing_source(&f, &alerts, now))
                        .await?;
                }
            } else if let Some(f) = row {
                let failed_key = format!("failing:{}@{}", src.id, crate::store::ts(f.since));
                let key = format!("recovered:{}@{}", src.id, crate::store::ts(f.since));
                let mut alerts = Vec::new();
                for ch in &subscribed {
                    let (c, k) = (ch.id.clone(), failed_key.clone());
                    if db.read(move |s| s.has_alert(&c, &k)).await? {
                        alerts.push(source_alert(ch, &key, "source_recovered", src, st, f.since));
                    }
                }
                added += alerts.len();
                let id = src.id.clone();
                db.call(move |s| s.note_recovered_source(&id, &alerts, now))
                    .await?;
            }
        }
        Ok(added)
    }

    /// Sends every message due, the channels side by side, [`SEND_BATCH`] at a time
    /// (at most [`SEND_ROUNDS`] batches: the next pass takes the rest).
    async fn send_due(&self, db: &Db, now: DateTime<Utc>) -> Result<(usize, usize), AlertError> {
        let owner = std::process::id();
        let mut totals = (0, 0);
        // Nothing pending is due: no claim (a write transaction) at all. The claim's own
        // conditions are narrower, so this skips no message it would take.
        if db
            .read(|s| s.next_alert_due())
            .await?
            .is_none_or(|due| due > now)
        {
            return Ok(totals);
        }
        for _ in 0..SEND_ROUNDS {
            let rows = db
                .call(move |s| s.claim_alerts(now, owner, LEASE, SEND_BATCH))
                .await?;
            let full = rows.len() == SEND_BATCH;
            let mut by_channel: HashMap<String, Vec<OutboxRow>> = HashMap::new();
            for r in rows {
                by_channel.entry(r.channel.clone()).or_default().push(r);
            }
            let jobs = by_channel
                .into_iter()
                .map(|(id, rows)| self.send_channel(db, id, rows));
            for (sent, failed) in futures_util::future::join_all(jobs).await {
                totals.0 += sent;
                totals.1 += failed;
            }
            if !full {
                break;
            }
        }
        Ok(totals)
    }

    /// One channel's messages, in order; after a failure worth retrying the rest wait
    /// with it (the server is likely down for them too).
    async fn send_channel(&self, db: &Db, id: String, rows: Vec<OutboxRow>) -> (usize, usize) {
        let (mut sent, mut failed) = (0, 0);
        let Some(ch) = self.channel(&id).cloned() else {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let _ = db
                .call(move |s| {
                    for id in ids {
                        s.alert_failed(id, "the channel is no longer configured", None)?;
                    }
                    Ok(())
                })
                .await;
            return (0, rows.len());
        };
        let mut rows = rows.into_iter();
        while let Some(row) = rows.next() {
            let result = self.deliver(&ch, &row).await;
            let now = Utc::now();
            let record = match result {
                Ok(answer) => {
                    sent += 1;
                    tracing::info!(channel = %ch.id, delivery = row.id, key = %row.key, answer = %answer, "alert sent");
                    let answer = crate::text::cut_text(&answer, 500);
                    db.call(move |s| s.alert_sent(row.id, now, &answer)).await
                }
                Err(SendError::Permanent(e)) => {
                    failed += 1;
                    tracing::error!(channel = %ch.id, delivery = row.id, key = %row.key, error = %e, "alert refused for good; not retried");
                    db.call(move |s| s.alert_failed(row.id, &e, None)).await
                }
                Err(SendError::Transient(e)) => {
                    failed += 1;
                    let delay = ch.retry_delay(row.attempts + 1);
                    let at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                    tracing::warn!(channel = %ch.id, delivery = row.id, key = %row.key, attempts = row.attempts + 1, retry_in = ?delay, error = %e, "alert not delivered; will retry");
                    let rest: Vec<i64> = rows.by_ref().map(|r| r.id).collect();
                    db.call(move |s| {
                        s.alert_failed(row.id, &e, Some(at))?;
                        s.defer_alerts(&rest, at)
                    })
                    .await
                }
            };
            if let Err(e) = record {
                tracing::error!(channel = %ch.id, error = %e, "cannot record an alert delivery");
            }
        }
        (sent, failed)
    }

    /// Renders and sends one message.
    async fn deliver(&self, ch: &Channel, row: &OutboxRow) -> Result<String, SendError> {
        let payload: Payload = serde_json::from_str(&row.payload)
            .map_err(|e| SendError::Permanent(format!("unreadable stored alert: {e}")))?;
        let env = self.envelope(ch, &row.key, &payload);
        let (rendered, body) = self
            .render(ch, &env, &payload)
            .map_err(SendError::Transient)?;
        send::send(ch, self.smtp.as_deref(), &self.web, &env, &rendered, &body).await
    }

    fn envelope(&self, ch: &Channel, key: &str, payload: &Payload) -> Envelope {
        let in_reply_to = match payload {
            Payload::Case { item } => item
                .tocsin
                .follow_up_of
                .as_ref()
                .map(|f| delivery_id(&ch.id, &format!("case:{}", f.case_code))),
            Payload::SourceRecovered { source } => Some(delivery_id(
                &ch.id,
                &format!("failing:{}@{}", source.id, crate::store::ts(source.since)),
            )),
            _ => None,
        };
        Envelope {
            delivery: delivery_id(&ch.id, key),
            event: payload.event().to_string(),
            in_reply_to,
            domain: self.domain.clone(),
        }
    }

    /// The message's three parts and its webhook body.
    fn render(
        &self,
        ch: &Channel,
        env: &Envelope,
        payload: &Payload,
    ) -> Result<(Rendered, String), String> {
        let body = serde_json::json!({
            "version": 1,
            "delivery": env.delivery,
            "channel": ch.id,
            "feed_url": self.feed_url,
        });
        let mut body = body.as_object().cloned().unwrap_or_default();
        if let serde_json::Value::Object(p) = serde_json::to_value(payload).unwrap_or_default() {
            body.extend(p);
        }
        let body = serde_json::Value::Object(body);
        let rendered = match &ch.kind {
            Kind::Email { .. } => ch.templates.render(&body)?,
            Kind::Webhook { .. } => Rendered {
                subject: String::new(),
                text: String::new(),
                html: String::new(),
            },
        };
        Ok((rendered, body.to_string()))
    }

    /// `tocsin notify test`: a made-up case through channel `id`, now, outside the
    /// outbox. Returns the server's answer.
    pub async fn test(&self, id: &str) -> Result<String, AlertError> {
        let ch = self
            .channel(id)
            .ok_or_else(|| AlertError::NoChannel(id.to_string()))?;
        let now = Utc::now();
        let payload = Payload::Case {
            item: Box::new(message::sample(now)),
        };
        let key = format!("test:{}", now.timestamp_micros());
        let env = self.envelope(ch, &key, &payload);
        let (rendered, body) = self
            .render(ch, &env, &payload)
            .map_err(AlertError::Template)?;
        Ok(send::send(ch, self.smtp.as_deref(), &self.web, &env, &rendered, &body).await?)
    }
}

/// The message telling `ch` about one development.
fn case_message(ch: &Channel, key: &str, alert: &CaseAlert, items: &[String]) -> NewAlert {
    NewAlert {
        channel: ch.id.clone(),
        key: key.to_string(),
        kind: "case".into(),
        payload: Payload::Case {
            item: Box::new(alert.clone()),
        }
        .to_json(),
        disposition: match ch.mode {
            Mode::Each => Disposition::Pending,
            Mode::Digest { .. } => Disposition::Queued,
        },
        items: items.to_vec(),
    }
}

/// The key of the development `entry` leads: its first case code in order (items that
/// share a code are one development), else its lead item.
fn development_key(entry: &StoredItem) -> String {
    match entry.case_codes.iter().min() {
        Some(code) => format!("case:{code}"),
        None => format!("item:{}", entry.id),
    }
}

/// The delivery id of the message with `key` on `channel`: the same at every attempt
/// and across restarts.
pub fn delivery_id(channel: &str, key: &str) -> String {
    crate::text::sha256_hex(format!("{channel}\n{key}").as_bytes(), 16)
}

/// More than `burst` messages for one `each` channel in one plan: one digest carries
/// them instead.
fn storm_guard(planned: Vec<(Arc<Channel>, NewAlert)>) -> Vec<Planned> {
    let mut by_channel: Vec<(Arc<Channel>, Vec<NewAlert>)> = Vec::new();
    for (ch, a) in planned {
        match by_channel.iter_mut().find(|(c, _)| c.id == ch.id) {
            Some((_, v)) => v.push(a),
            None => by_channel.push((ch, vec![a])),
        }
    }
    let mut out = Vec::new();
    for (ch, alerts) in by_channel {
        if ch.mode == Mode::Each && alerts.len() > ch.burst {
            tracing::warn!(channel = %ch.id, alerts = alerts.len(), burst = ch.burst, "more alerts due at once than `burst`: sending one digest");
            let cases: Vec<CaseAlert> = alerts
                .iter()
                .filter_map(|a| match serde_json::from_str(&a.payload) {
                    Ok(Payload::Case { item }) => Some(*item),
                    _ => None,
                })
                .collect();
            let key = format!(
                "storm:{}",
                crate::text::sha256_hex(
                    alerts
                        .iter()
                        .map(|a| a.key.as_str())
                        .collect::<Vec<_>>()
                        .join("\n")
                        .as_bytes(),
                    8
                )
            );
            out.push(Planned {
                alert: NewAlert {
                    channel: ch.id.clone(),
                    key,
                    kind: "digest".into(),
                    payload: Payload::digest(cases).to_json(),
                    disposition: Disposition::Pending,
                    items: Vec::new(),
                },
                members: alerts,
            });
        } else {
            out.extend(alerts.into_iter().map(|alert| Planned {
                alert,
                members: Vec::new(),
            }));
        }
    }
    out
}

/// The digest of a channel's queued messages.
fn digest_of(channel: &str, queued: &[OutboxRow]) -> NewAlert {
    let cases: Vec<CaseAlert> = queued
        .iter()
        .filter_map(|r| match serde_json::from_str(&r.payload) {
            Ok(Payload::Case { item }) => Some(*item),
            _ => None,
        })
        .collect();
    let (first, last) = (
        queued.first().map_or(0, |r| r.id),
        queued.last().map_or(0, |r| r.id),
    );
    NewAlert {
        channel: channel.to_string(),
        key: format!("digest:{first}-{last}"),
        kind: "digest".into(),
        payload: Payload::digest(cases).to_json(),
        disposition: Disposition::Pending,
        items: Vec::new(),
    }
}

fn source_alert(
    ch: &Channel,
    key: &str,
    kind: &str,
    src: &Source,
    st: &SourceState,
    since: DateTime<Utc>,
) -> NewAlert {
    let s = SourceAlert {
        id: src.id.clone(),
        title: src.title.clone(),
        url: src.url.to_string(),
        since,
        failures: st.failures,
        last_error: st
            .last_error
            .as_deref()
            .map(|e| crate::text::cut_text(e, 500)),
    };
    let payload = if kind == "source_failing" {
        Payload::SourceFailing { source: s }
    } else {
        Payload::SourceRecovered { source: s }
    };
    NewAlert {
        channel: ch.id.clone(),
        key: key.to_string(),
        kind: kind.to_string(),
        payload: payload.to_json(),
        disposition: Disposition::Pending,
        items: Vec::new(),
    }
}

/// Whether a process with this pid runs (a lease of a dead one is released). Our own
/// pid counts as dead: passes of this process run one at a time and record every
/// message they took, so a lease with our pid at the start of a pass is from an
/// earlier process that had the same pid.
fn pid_alive(pid: u32) -> bool {
    pid != std::process::id() && std::path::Path::new(&format!("/proc/{pid}")).exists()
}
