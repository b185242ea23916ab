//! What the HTML poller needs to follow item pages once: which items are already
//! stored, and which item pages were read (with the body they gave).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, ts};
use crate::dedup::Keys;

/// What is known of one item page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FollowState {
    /// Fetches tried so far, successful or not.
    pub attempts: u32,
    /// The page was read and its body extracted; it is never fetched again.
    pub fetched: bool,
    /// The extracted body, when `fetched`.
    pub content: Option<String>,
}

/// The result of following one item page.
#[derive(Debug, Clone)]
pub struct FollowOutcome {
    /// The item's canonical link.
    pub link: String,
    /// The extracted body, or why there is none.
    pub result: Result<String, String>,
}

impl Store {
    /// For each item, whether any of its keys is already stored for `source`.
    pub fn known_items(&self, source: &str, keys: &[Keys]) -> Result<Vec<bool>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM item_keys WHERE source = ? AND key = ?")?;
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let mut known = false;
            for key in &k.keys {
                if stmt
                    .query_row(params![source, key], |_| Ok(()))
                    .optional()?
                    .is_some()
                {
                    known = true;
                    break;
                }
            }
            out.push(known);
        }
        Ok(out)
    }

    /// The follow state of each of `links` (canonical) that has one.
    pub fn follow_states(
        &self,
        source: &str,
        links: &[String],
    ) -> Result<HashMap<String, FollowState>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT attempts, fetched IS NOT NULL, content FROM html_follow \
             WHERE source = ? AND link = ?",
        )?;
        let mut out = HashMap::new();
        for link in links {
            if let Some(state) = stmt
                .query_row(params![source, link], |r| {
                    Ok(FollowState {
                        attempts: r.get(0)?,
                        fetched: r.get(1)?,
                        content: r.get(2)?,
                    })
                })
                .optional()?
            {
                out.insert(link.clone(), state);
            }
        }
        Ok(out)
    }

    /// Records the item pages fetched by one poll, in one transaction.
    pub fn record_follows(
        &mut self,
        source: &str,
        now: DateTime<Utc>,
        outcomes: &[FollowOutcome],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut ok = tx.prepare_cached(
                "INSERT INTO html_follow (source, link, attempts, fetched, content, last_error) \
                 VALUES (?1, ?2, 1, ?3, ?4, NULL) ON CONFLICT (source, link) DO UPDATE SET \
                 attempts = attempts + 1, fetched = ?3, content = ?4, last_error = NULL",
            )?;
            let mut failed = tx.prepare_cached(
                "INSERT INTO html_follow (source, link, attempts, last_error) VALUES (?1, ?2, 1, ?3) \
                 ON CONFLICT (source, link) DO UPDATE SET attempts = attempts + 1, last_error = ?3",
            )?;
            for o in outcomes {
                match &o.result {
                    Ok(content) => ok.execute(params![source, o.link, ts(now), content])?,
                    Err(e) => failed.execute(params![source, o.link, e])?,
                };
            }
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::keys_for;
    use crate::model::ParsedItem;
    use crate::store::{SourceState, StoredPoll};

    #[test]
    fn known_items_and_follow_states() {
        let mut s = Store::in_memory().unwrap();
        let item = |link: &str| ParsedItem {
            link: Some(link.into()),
            title: link.into(),
            ..Default::default()
        };
        let stored = vec![item("http://x/1")];
        let polls: Vec<StoredPoll> = keys_for(&stored)
            .into_iter()
            .zip(stored)
            .map(|(keys, item)| StoredPoll {
                item,
                keys,
                class: Default::default(),
                language: None,
                text: None,
            })
            .collect();
        let now = Utc::now();
        s.apply_poll("src", now, &polls, &SourceState::default())
            .unwrap();
        let keys = keys_for(&[item("http://x/1"), item("http://x/2")]);
        assert_eq!(s.known_items("src", &keys).unwrap(), [true, false]);
        assert_eq!(s.known_items("other", &keys).unwrap(), [false, false]);

        let a = "http://x/1".to_string();
        let b = "http://x/2".to_string();
        s.record_follows(
            "src",
            now,
            &[
                FollowOutcome {
                    link: a.clone(),
                    result: Ok("<p>body</p>".into()),
                },
                FollowOutcome {
                    link: b.clone(),
                    result: Err("HTTP 500".into()),
                },
            ],
        )
        .unwrap();
        s.record_follows(
            "src",
            now,
            &[FollowOutcome {
                link: b.clone(),
                result: Err("HTTP 500".into()),
            }],
        )
        .unwrap();
        let st = s.follow_states("src", &[a.clone(), b.clone()]).unwrap();
        assert_eq!(
            st[&a],
            FollowState {
                attempts: 1,
                fetched: true,
                content: Some("<p>body</p>".into())
            }
        );
        assert_eq!(
            st[&b],
            FollowState {
                attempts: 2,
                fetched: false,
                content: None
            }
        );
        assert!(s.follow_states("other", &[a]).unwrap().is_empty());
    }
}
