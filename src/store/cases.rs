//! The urgent selection, one entry per case development (see [`crate::group`]).

use std::collections::{HashMap, HashSet};

use rusqlite::params_from_iter;

use super::items::{ITEM_COLUMNS, ItemFilter, item_from_row};
use super::{Store, StoreError};
use crate::classify::codes;
use crate::group::{Candidate, group};
use crate::model::{Related, StoredItem};

/// How many urgent items are read per entry wanted: duplicates take room.
const POOL_FACTOR: usize = 3;

fn related(i: &StoredItem) -> Related {
    Related {
        id: i.id.clone(),
        source: i.source.clone(),
        title: i.title.clone(),
        link: i.link.clone(),
    }
}

/// Newest-first position of an item, as `sort_time` in the table: its publication
/// time, but never later than first seen.
fn sort_key(i: &StoredItem) -> chrono::DateTime<chrono::Utc> {
    i.published.min(i.first_seen)
}

/// Who leads a group: first seen, then first published, then the smaller id.
fn first_seen_key(
    i: &StoredItem,
) -> (
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Utc>,
    &str,
) {
    (i.first_seen, i.published, &i.id)
}

impl Store {
    /// Every item carrying one of `codes`.
    fn items_with_codes(&self, codes: &[String]) -> Result<Vec<StoredItem>, StoreError> {
        let mut out = Vec::new();
        for chunk in codes.chunks(500) {
            let sql = format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE uid IN \
                 (SELECT item_uid FROM item_codes WHERE code IN ({}))",
                vec!["?"; chunk.len()].join(",")
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(chunk.iter()), item_from_row)?;
            for r in rows {
                out.push(r?);
            }
        }
        Ok(out)
    }

    /// The urgent selection, newest first, at most `limit` entries, one per case
    /// development: items sharing a case code, and same-language items from different
    /// sources with near-identical titles within a few days, are one entry. The entry is
    /// the group's first-seen urgent item; the group's items from other sources (urgent
    /// or not, one per source) are its `related`; a follow-up's `original` is the first
    /// stored item of the case it develops.
    pub fn urgent_cases(&self, limit: usize) -> Result<Vec<StoredItem>, StoreError> {
        let pool = self.items(&ItemFilter {
            urgent_only: true,
            limit: Some(limit.saturating_mul(POOL_FACTOR).saturating_add(20)),
            ..Default::default()
        })?;
        // The pool's codes and the codes of the originals its follow-ups develop.
        let mut wanted: Vec<String> = Vec::new();
        for i in &pool {
            for c in &i.case_codes {
                for code in [Some(c.as_str()), codes::original(c)].into_iter().flatten() {
                    if !wanted.iter().any(|w| w == code) {
                        wanted.push(code.to_string());
                    }
                }
            }
        }
        let in_pool: HashSet<String> = pool.iter().map(|i| i.id.clone()).collect();
        let mut items = pool;
        let mut by_code: HashMap<String, Vec<usize>> = HashMap::new();
        for extra in self.items_with_codes(&wanted)? {
            if !in_pool.contains(&extra.id) {
                items.push(extra);
            }
        }
        for (n, i) in items.iter().enumerate() {
            for c in &i.case_codes {
                by_code.entry(c.clone()).or_default().push(n);
            }
        }
        // Items outside the pool join groups only through the codes the pool carries,
        // so a follow-up's original does not swallow the follow-up.
        let pool_codes: HashSet<&str> = items
            .iter()
            .filter(|i| in_pool.contains(&i.id))
            .flat_map(|i| i.case_codes.iter().map(String::as_str))
            .collect();
        let candidates: Vec<Candidate> = items
            .iter()
            .map(|i| {
                let codes: Vec<String> = if in_pool.contains(&i.id) {
                    i.case_codes.clone()
                } else {
                    i.case_codes
                        .iter()
                        .filter(|c| pool_codes.contains(c.as_str()))
                        .cloned()
                        .collect()
                };
                Candidate::new(
                    &i.source,
                    i.language.as_deref(),
                    i.published,
                    &codes,
                    &i.title,
                )
            })
            .collect();
        // Only the pool groups by title; the rest joins through the pool's codes.
        let code_only: Vec<bool> = items.iter().map(|i| !in_pool.contains(&i.id)).collect();
        let roots = group(&candidates, &code_only);

        let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
        for (n, r) in roots.iter().enumerate() {
            groups.entry(*r).or_default().push(n);
        }
        let mut entries: Vec<StoredItem> = Vec::new();
        for members in groups.values() {
            if members.iter().all(|&n| code_only[n]) {
                continue;
            }
            let Some(&lead) = members
                .iter()
                .filter(|&&n| items[n].urgent)
                .min_by_key(|&&n| first_seen_key(&items[n]))
            else {
                continue;
            };
            let mut entry = items[lead].clone();
            let mut others: Vec<&StoredItem> = members
                .iter()
                .filter(|&&n| n != lead)
                .map(|&n| &items[n])
                .filter(|i| i.source != entry.source)
                .collect();
            others.sort_by_key(|i| first_seen_key(i));
            let mut seen_sources = HashSet::new();
            entry.related = others
                .into_iter()
                .filter(|i| seen_sources.insert(i.source.clone()))
                .map(related)
                .collect();
            entry.original = entry
                .case_codes
                .iter()
                .filter_map(|c| codes::original(c))
                .filter_map(|orig| {
                    by_code.get(orig).and_then(|ns| {
                        ns.iter()
                            .map(|&n| &items[n])
                            .min_by_key(|i| first_seen_key(i))
                    })
                })
                .min_by_key(|i| first_seen_key(i))
                .map(related);
            entries.push(entry);
        }
        entries.sort_by(|a, b| sort_key(b).cmp(&sort_key(a)).then_with(|| b.id.cmp(&a.id)));
        entries.truncate(limit);
        Ok(entries)
    }
}
