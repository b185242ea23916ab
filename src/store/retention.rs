//! Retention: old non-urgent items are deleted in small batches.
//!
//! Only the item rows go. Their dedup keys stay in `item_keys`, so a pruned item that is
//! still in a publisher's feed is recognised and never comes back as new. Urgent items
//! are kept unless the operator says otherwise. The database file does not shrink
//! (SQLite reuses the freed pages); `VACUUM` is never run automatically because it
//! rewrites the whole file and blocks writers while it does.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, StoreError, ts};

impl Store {
    /// Deletes at most `batch` items first seen or published before `cutoff` (urgent ones
    /// only if `keep_urgent` is false), in one short transaction. Returns how many went.
    pub fn prune_batch(
        &mut self,
        cutoff: DateTime<Utc>,
        keep_urgent: bool,
        batch: usize,
    ) -> Result<usize, StoreError> {
        let sql = if keep_urgent {
            "DELETE FROM items WHERE id IN \
             (SELECT id FROM items WHERE urgent = 0 AND sort_time < ?1 LIMIT ?2)"
        } else {
            "DELETE FROM items WHERE id IN (SELECT id FROM items WHERE sort_time < ?1 LIMIT ?2)"
        };
        Ok(self
            .conn
            .prepare_cached(sql)?
            .execute(params![ts(cutoff), batch as i64])?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use crate::dedup::keys_for;
    use crate::model::{Classification, ParsedItem};
    use crate::store::{ItemFilter, PollCounts, SourceState, Store, StoredPoll};

    fn polls(n: usize, urgent_every: usize) -> Vec<StoredPoll> {
        let items: Vec<ParsedItem> = (0..n)
            .map(|i| ParsedItem {
                guid: Some(format!("g{i}")),
                title: format!("item {i}"),
                published: Some(
                    chrono::Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
                        + chrono::Duration::days(i as i64),
                ),
                ..Default::default()
            })
            .collect();
        let keys = keys_for(&items);
        items
            .into_iter()
            .zip(keys)
            .enumerate()
            .map(|(i, (item, keys))| StoredPoll {
                item,
                keys,
                class: Classification {
                    urgent: i % urgent_every == 0,
                    ..Default::default()
                },
                language: None,
                text: None,
            })
            .collect()
    }

    #[test]
    fn prunes_old_non_urgent_items_in_batches_and_they_never_come_back() {
        let mut s = Store::in_memory().unwrap();
        let now = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let p = polls(100, 10);
        s.apply_poll("src", now, &p, &SourceState::default())
            .unwrap();
        // Everything published in 2025 before 2025-03-01 (days 0..59) is old.
        let cutoff = chrono::Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
        let mut total = 0;
        loop {
            let n = s.prune_batch(cutoff, true, 7).unwrap();
            assert!(n <= 7);
            total += n;
            if n == 0 {
                break;
            }
        }
        assert_eq!(
            total, 53,
            "59 old items (days 0 to 58) minus the 6 urgent ones"
        );
        let left = s.items(&ItemFilter::default()).unwrap();
        assert_eq!(left.len(), 47);
        assert!(
            left.iter()
                .filter(|i| i.published < cutoff)
                .all(|i| i.urgent)
        );
        // The feed still carries them: they are not new.
        let c = s
            .apply_poll("src", now, &p, &SourceState::default())
            .unwrap();
        assert_eq!(
            c,
            PollCounts {
                new: 0,
                updated: 0,
                unchanged: 100
            }
        );
        assert_eq!(s.items(&ItemFilter::default()).unwrap().len(), 47);
        // keep_urgent = false removes the urgent ones too.
        while s.prune_batch(cutoff, false, 100).unwrap() > 0 {}
        assert_eq!(s.items(&ItemFilter::default()).unwrap().len(), 41);
    }
}
