//! The alert outbox (migration 0007): candidates written with the items they are about,
//! messages per channel, and their delivery. What goes in it, and when, is decided in
//! `crate::alert` (whose module doc has the design); this file only keeps it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::items::{ITEM_COLUMNS, item_from_row};
use super::{Store, StoreError, parse_ts, ts};

/// Records that `uid`, an urgent item just stored by a poll that was not the source's
/// first, may need telling. Runs inside the poll's transaction.
pub(super) fn add_candidate(
    tx: &Connection,
    uid: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO alert_candidates (item_uid, created) VALUES (?1, ?2)")?
        .execute(params![uid, ts(now)])?;
    Ok(())
}

/// Whether the source has been polled successfully before (then its items are news; on
/// its first poll they are history: the backfill).
pub(super) fn polled_before(tx: &Connection, source: &str) -> rusqlite::Result<bool> {
    Ok(tx
        .prepare_cached("SELECT last_success IS NOT NULL FROM sources WHERE id = ?")?
        .query_row([source], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(false))
}

/// An urgent item waiting to be turned into messages.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertCandidate {
    pub id: i64,
    pub item_uid: String,
    pub created: DateTime<Utc>,
}

/// Where a new message goes when it is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// To send as soon as possible.
    Pending,
    /// Waits for the channel's digest.
    Queued,
}

/// A message to add to the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub channel: String,
    /// Unique per channel: a second message with the same key is not added.
    pub key: String,
    /// `case`, `digest`, `source_failing`, `source_recovered`.
    pub kind: String,
    /// The message's data, JSON.
    pub payload: String,
    pub disposition: Disposition,
    /// The items it tells about (none for operator alerts).
    pub items: Vec<String>,
}

/// A planned message, and the messages a digest carries instead of sending them
/// (the storm guard), which are recorded as told (`digested`).
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub alert: NewAlert,
    pub members: Vec<NewAlert>,
}

/// A message taken to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// The delivery id: the same at every attempt.
    pub id: i64,
    pub channel: String,
    pub key: String,
    pub kind: String,
    pub payload: String,
    pub attempts: u32,
    pub created: DateTime<Utc>,
}

/// One channel's outbox, for `status`, `notify list`, `/metrics` and `/healthz`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ChannelStats {
    pub channel: String,
    pub pending: i64,
    /// Waiting for a digest.
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    pub last_sent: Option<DateTime<Utc>>,
    /// The last error of a message not sent yet (or failed).
    pub last_error: Option<String>,
    /// How many attempts the oldest pending message has had.
    pub retries: i64,
    pub oldest_pending: Option<DateTime<Utc>>,
}

/// A source seen failing (see `alert_sources`).
#[derive(Debug, Clone, PartialEq)]
pub struct FailingSource {
    pub source: String,
    pub since: DateTime<Utc>,
    pub alerted: bool,
}

/// What [`Store::sync_alert_channels`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelSync {
    /// When each configured channel was first seen.
    pub created: HashMap<String, DateTime<Utc>>,
    /// Channels no longer configured, with how many unsent messages were dropped.
    pub dropped: Vec<(String, usize)>,
}

fn insert_alert(
    tx: &Connection,
    a: &NewAlert,
    state: &str,
    digest: Option<i64>,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<i64>> {
    let id: Option<i64> = tx
        .prepare_cached(
            "INSERT INTO alert_outbox (channel, key, kind, payload, created, state, digest_id, \
             next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5) \
             ON CONFLICT (channel, key) DO NOTHING RETURNING id",
        )?
        .query_row(
            params![a.channel, a.key, a.kind, a.payload, ts(now), state, digest],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = id {
        let mut add = tx.prepare_cached(
            "INSERT OR IGNORE INTO alert_items (channel, item_uid, outbox_id) VALUES (?1, ?2, ?3)",
        )?;
        for uid in &a.items {
            add.execute(params![a.channel, uid, id])?;
        }
    }
    Ok(id)
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<OutboxRow> {
    let created: String = r.get(6)?;
    Ok(OutboxRow {
        id: r.get(0)?,
        channel: r.get(1)?,
        key: r.get(2)?,
        kind: r.get(3)?,
        payload: r.get(4)?,
        attempts: r.get(5)?,
        created: parse_ts(&created).unwrap_or(DateTime::<Utc>::MIN_UTC),
    })
}

impl Store {
    /// The stored items with these uids (those that still exist), in no order.
    pub fn items_by_uid(
        &self,
        uids: &[String],
    ) -> Result<Vec<crate::model::StoredItem>, StoreError> {
        let mut out = Vec::with_capacity(uids.len());
        for chunk in uids.chunks(500) {
            let sql = format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE uid IN ({})",
                vec!["?"; chunk.len()].join(",")
            );
            let mut stmt = self.conn.prepare(&sql)?;
            for r in stmt.query_map(params_from_iter(chunk.iter()), item_from_row)? {
                out.push(r?);
            }
        }
        Ok(out)
    }

    /// The oldest `limit` candidates.
    pub fn alert_candidates(&self, limit: usize) -> Result<Vec<AlertCandidate>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, item_uid, created FROM alert_candidates ORDER BY id LIMIT ?",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            let created: String = r.get(2)?;
            Ok(AlertCandidate {
                id: r.get(0)?,
                item_uid: r.get(1)?,
                created: parse_ts(&created).unwrap_or(DateTime::<Utc>::MIN_UTC),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records the configured channels: a channel seen for the first time is created
    /// `now`; a channel no longer configured is forgotten, with its unsent messages
    /// (returned, to be logged). Sent messages stay, so a channel that comes back is not
    /// told again what it was told.
    pub fn sync_alert_channels(
        &mut self,
        ids: &[String],
        now: DateTime<Utc>,
    ) -> Result<ChannelSync, StoreError> {
        let tx = self.conn.transaction()?;
        let mut sync = ChannelSync::default();
        let known: Vec<(String, String)> = tx
            .prepare("SELECT id, created FROM alert_channels")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, created) in &known {
            if ids.contains(id) {
                sync.created
                    .insert(id.clone(), parse_ts(created).unwrap_or(now));
            } else {
                let n = tx.execute(
                    "DELETE FROM alert_outbox WHERE channel = ?1 AND state IN ('pending', 'queued')",
                    [id],
                )?;
                tx.execute("DELETE FROM alert_channels WHERE id = ?1", [id])?;
                sync.dropped.push((id.clone(), n));
            }
        }
        for id in ids {
            if !sync.created.contains_key(id) {
                tx.execute(
                    "INSERT INTO alert_channels (id, created) VALUES (?1, ?2)",
                    params![id, ts(now)],
                )?;
                sync.created.insert(id.clone(), now);
            }
        }
        tx.commit()?;
        Ok(sync)
    }

    /// Which of `uids` `channel` was told about already.
    pub fn alerted_items(
        &self,
        channel: &str,
        uids: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        let mut out = HashSet::new();
        for chunk in uids.chunks(500) {
            let sql = format!(
                "SELECT item_uid FROM alert_items WHERE channel = ?1 AND item_uid IN ({})",
                (0..chunk.len())
                    .map(|i| format!("?{}", i + 2))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let args = std::iter::once(channel).chain(chunk.iter().map(String::as_str));
            let mut stmt = self.conn.prepare_cached(&sql)?;
            for r in stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(0))? {
                out.insert(r?);
            }
        }
        Ok(out)
    }

    /// Whether `channel` has a message with `key` (sent or not).
    pub fn has_alert(&self, channel: &str, key: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM alert_outbox WHERE channel = ?1 AND key = ?2")?
            .query_row([channel, key], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Adds `planned` to the outbox and deletes the candidates `done`, in one
    /// transaction. A message whose key the channel has already is not added (nor are
    /// its items recorded again). Returns how many messages were added.
    pub fn plan_alerts(
        &mut self,
        done: &[i64],
        planned: &[Planned],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        for p in planned {
            let state = match p.alert.disposition {
                Disposition::Pending => "pending",
                Disposition::Queued => "queued",
            };
            let Some(id) = insert_alert(&tx, &p.alert, state, None, now)? else {
                continue;
            };
            added += 1;
            for m in &p.members {
                insert_alert(&tx, m, "digested", Some(id), now)?;
            }
        }
        let mut del = tx.prepare_cached("DELETE FROM alert_candidates WHERE id = ?")?;
        for id in done {
            del.execute([id])?;
        }
        drop(del);
        tx.commit()?;
        Ok(added)
    }

    /// The messages of `channel` waiting for its digest, oldest first.
    pub fn queued_alerts(&self, channel: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, channel, key, kind, payload, attempts, created FROM alert_outbox \
             WHERE channel = ?1 AND state = 'queued' ORDER BY id",
        )?;
        let rows = stmt.query_map([channel], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds `digest` (pending) and marks `members` as carried by it, in one transaction.
    pub fn add_digest(
        &mut self,
        digest: &NewAlert,
        members: &[i64],
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let tx = self.conn.transaction()?;
        let id = insert_alert(&tx, digest, "pending", None, now)?;
        if let Some(id) = id {
            let mut mark = tx.prepare_cached(
                "UPDATE alert_outbox SET state = 'digested', digest_id = ?1 \
                 WHERE id = ?2 AND state = 'queued'",
            )?;
            for m in members {
                mark.execute(params![id, m])?;
            }
        }
        tx.commit()?;
        Ok(id)
    }

    /// Takes at most `limit` messages due at `now` for this process (`owner`, its pid),
    /// the channels in turn (each one's oldest first, so that one channel's backlog
    /// never keeps the others waiting for a batch), until `lease` runs out: one that is not sent or failed by then (the process
    /// died) is taken again, with the same id. Leases of `owner` itself that outlived a
    /// previous run with the same pid are taken over.
    pub fn claim_alerts(
        &mut self,
        now: DateTime<Utc>,
        owner: u32,
        lease: chrono::Duration,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let tx = self.conn.transaction()?;
        let until = ts(now + lease);
        let rows: Vec<OutboxRow> = tx
            .prepare_cached(
                "UPDATE alert_outbox SET claimed_by = ?1, claimed_until = ?2 \
                 WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER \
                 (PARTITION BY channel ORDER BY id) AS turn FROM alert_outbox \
                 WHERE state = 'pending' AND next_attempt <= ?3 \
                 AND (claimed_until IS NULL OR claimed_until <= ?3 OR claimed_by = ?1)) \
                 ORDER BY turn, id LIMIT ?4) \
                 RETURNING id, channel, key, kind, payload, attempts, created",
            )?
            .query_map(params![owner, until, ts(now), limit as i64], row)?
            .collect::<Result<_, _>>()?;
        tx.commit()?;
        let mut rows = rows;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Releases every lease held by `owner` (a sender that stops, or a new process
    /// that got the pid of a dead one).
    pub fn release_alerts(&mut self, owner: u32) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE alert_outbox SET claimed_by = NULL, claimed_until = NULL \
             WHERE claimed_by = ?1 AND state = 'pending'",
            [owner],
        )?)
    }

    /// Releases leases whose holder is not alive (`alive` says, by pid).
    pub fn release_dead_claims(
        &mut self,
        alive: impl Fn(u32) -> bool,
    ) -> Result<usize, StoreError> {
        let owners: Vec<u32> = self
            .conn
            .prepare(
                "SELECT DISTINCT claimed_by FROM alert_outbox \
                 WHERE state = 'pending' AND claimed_by IS NOT NULL",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut n = 0;
        for o in owners.into_iter().filter(|&o| !alive(o)) {
            n += self.release_alerts(o)?;
        }
        Ok(n)
    }

    /// Records a delivery.
    pub fn alert_sent(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
        response: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE alert_outbox SET state = 'sent', sent = ?2, response = ?3, \
             attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL WHERE id = ?1",
            params![id, ts(now), response],
        )?;
        Ok(())
    }

    /// Records a failed attempt: tried again at `retry`, or never (`None`: refused for
    /// good).
    pub fn alert_failed(
        &mut self,
        id: i64,
        error: &str,
        retry: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        match retry {
            Some(at) => self.conn.execute(
                "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?2, \
                 next_attempt = ?3, claimed_by = NULL, claimed_until = NULL WHERE id = ?1",
                params![id, error, ts(at)],
            )?,
            None => self.conn.execute(
                "UPDATE alert_outbox SET state = 'failed', attempts = attempts + 1, \
                 last_error = ?2, claimed_by = NULL, claimed_until = NULL WHERE id = ?1",
                params![id, error],
            )?,
        };
        Ok(())
    }

    /// Gives back claimed messages not tried (their channel failed on an earlier one),
    /// to be tried at `at`, without counting an attempt.
    pub fn defer_alerts(&mut self, ids: &[i64], at: DateTime<Utc>) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE alert_outbox SET next_attempt = ?2, claimed_by = NULL, \
                 claimed_until = NULL WHERE id = ?1",
            )?;
            for id in ids {
                stmt.execute(params![id, ts(at)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// When the next pending message is due (for the sender's sleep).
    pub fn next_alert_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let t: Option<String> = self.conn.query_row(
            "SELECT MIN(next_attempt) FROM alert_outbox WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?;
        Ok(t.as_deref().and_then(parse_ts))
    }

    /// Every channel's outbox, by channel id.
    pub fn alert_stats(&self) -> Result<Vec<ChannelStats>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT channel, \
             SUM(state = 'pending'), SUM(state = 'queued'), \
             SUM(state = 'sent'), SUM(state = 'failed'), MAX(sent), \
             MIN(CASE WHEN state = 'pending' THEN created END), \
             MAX(CASE WHEN state = 'pending' THEN attempts ELSE 0 END) \
             FROM alert_outbox GROUP BY channel ORDER BY channel",
        )?;
        let mut out: Vec<ChannelStats> = stmt
            .query_map([], |r| {
                let t = |s: Option<String>| s.as_deref().and_then(parse_ts);
                Ok(ChannelStats {
                    channel: r.get(0)?,
                    pending: r.get(1)?,
                    queued: r.get(2)?,
                    sent: r.get(3)?,
                    failed: r.get(4)?,
                    last_sent: t(r.get(5)?),
                    oldest_pending: t(r.get(6)?),
                    retries: r.get(7)?,
                    last_error: None,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut err = self.conn.prepare_cached(
            "SELECT last_error FROM alert_outbox WHERE channel = ?1 AND last_error IS NOT NULL \
             AND state IN ('pending', 'failed') ORDER BY id DESC LIMIT 1",
        )?;
        for s in &mut out {
            s.last_error = err.query_row([&s.channel], |r| r.get(0)).optional()?;
        }
        Ok(out)
    }

    /// The sources seen failing.
    pub fn failing_sources(&self) -> Result<Vec<FailingSource>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT source, since, alerted FROM alert_sources")?;
        let rows = stmt.query_map([], |r| {
            let since: String = r.get(1)?;
            Ok(FailingSource {
                source: r.get(0)?,
                since: parse_ts(&since).unwrap_or(DateTime::<Utc>::MIN_UTC),
                alerted: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a source failing since `since` (`alerted`: its alert is in `alerts`),
    /// with the messages about it, in one transaction.
    pub fn note_failing_source(
        &mut self,
        f: &FailingSource,
        alerts: &[NewAlert],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO alert_sources (source, since, alerted) VALUES (?1, ?2, ?3) \
             ON CONFLICT (source) DO UPDATE SET since = ?2, alerted = ?3",
            params![f.source, ts(f.since), f.alerted],
        )?;
        for a in alerts {
            insert_alert(&tx, a, "pending", None, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets a source that works again, with the messages about its recovery.
    pub fn note_recovered_source(
        &mut self,
        source: &str,
        alerts: &[NewAlert],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM alert_sources WHERE source = ?1", [source])?;
        for a in alerts {
            insert_alert(&tx, a, "pending", None, now)?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(channel: &str, key: &str, items: &[&str]) -> NewAlert {
        NewAlert {
            channel: channel.into(),
            key: key.into(),
            kind: "case".into(),
            payload: "{}".into(),
            disposition: Disposition::Pending,
            items: items.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_key_is_added_once_per_channel_and_claims_are_leased() {
        let mut s = Store::in_memory().unwrap();
        let now = Utc::now();
        let p = |a| Planned {
            alert: a,
            members: Vec::new(),
        };
        let added = s
            .plan_alerts(
                &[],
                &[
                    p(alert("a", "case:X", &["i1"])),
                    p(alert("a", "case:X", &["i2"])),
                    p(alert("b", "case:X", &["i1"])),
                ],
                now,
            )
            .unwrap();
        assert_eq!(added, 2);
        assert_eq!(
            s.alerted_items("a", &["i1".into(), "i2".into()]).unwrap(),
            HashSet::from(["i1".to_string()])
        );
        let lease = chrono::Duration::minutes(2);
        let got = s.claim_alerts(now, 1, lease, 10).unwrap();
        assert_eq!(got.len(), 2);
        assert!(
            s.claim_alerts(now, 2, lease, 10).unwrap().is_empty(),
            "leased"
        );
        s.alert_failed(got[0].id, "down", Some(now)).unwrap();
        s.alert_sent(got[1].id, now, "250 ok").unwrap();
        let again = s.claim_alerts(now, 2, lease, 10).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].id, got[0].id, "the same delivery id");
        assert_eq!(again[0].attempts, 1);
        assert_eq!(
            s.release_dead_claims(|pid| pid == 2).unwrap(),
            0,
            "its owner lives"
        );
        assert_eq!(s.release_dead_claims(|_| false).unwrap(), 1);
        let stats = s.alert_stats().unwrap();
        assert_eq!(stats[0].channel, "a");
        assert_eq!((stats[0].pending, stats[0].sent), (1, 0));
        assert_eq!(stats[0].last_error.as_deref(), Some("down"));
        assert_eq!((stats[1].pending, stats[1].sent), (0, 1));
    }

    #[test]
    fn a_removed_channel_loses_its_unsent_messages() {
        let mut s = Store::in_memory().unwrap();
        let now = Utc::now();
        let sync = s
            .sync_alert_channels(&["a".into(), "b".into()], now)
            .unwrap();
        assert_eq!(sync.created.len(), 2);
        s.plan_alerts(
            &[],
            &[Planned {
                alert: alert("b", "k", &[]),
                members: Vec::new(),
            }],
            now,
        )
        .unwrap();
        let later = now + chrono::Duration::hours(1);
        let sync = s.sync_alert_channels(&["a".into()], later).unwrap();
        assert_eq!(sync.dropped, [("b".to_string(), 1)]);
        assert_eq!(sync.created["a"], parse_ts(&ts(now)).unwrap());
    }
}
