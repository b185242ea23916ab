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

/// At most this many items of one code join a case: a case has a handful of publishers,
/// and a code quoted by hundreds of items (a digest run wild) must not slow every
/// publish down.
const PER_CODE: i64 = 50;

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
    /// The first [`PER_CODE`] stored items carrying each of `codes`: their uids from the
    /// code index first, then the items by uid, each step on an index.
    fn items_with_codes(&self, codes: &[String]) -> Result<Vec<StoredItem>, StoreError> {
        let mut uids: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT item_uid FROM item_codes JOIN items ON items.uid = item_codes.item_uid \
             WHERE item_codes.code = ? ORDER BY items.id LIMIT ?",
        )?;
        for code in codes {
            let rows =
                stmt.query_map(rusqlite::params![code, PER_CODE], |r| r.get::<_, String>(0))?;
            for r in rows {
                let uid = r?;
                if seen.insert(uid.clone()) {
                    uids.push(uid);
                }
            }
        }
        let mut out = Vec::with_capacity(uids.len());
        for chunk in uids.chunks(500) {
            let sql = format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE uid IN ({})",
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
        self.urgent_cases_in(&ItemFilter {
            limit: Some(limit),
            ..Default::default()
        })
    }

    /// The urgent items a grouped selection of `filter` (its sources, language and
    /// limit; urgent only) is made from: [`POOL_FACTOR`] times the limit, since
    /// duplicates take room.
    pub fn urgent_pool_filter(filter: &ItemFilter) -> ItemFilter {
        let limit = filter.limit.unwrap_or(200);
        ItemFilter {
            urgent_only: true,
            limit: Some(limit.saturating_mul(POOL_FACTOR).saturating_add(20)),
            ..filter.clone()
        }
    }

    /// [`urgent_cases`](Self::urgent_cases) within the sources and language of `filter`.
    pub fn urgent_cases_in(&self, filter: &ItemFilter) -> Result<Vec<StoredItem>, StoreError> {
        let limit = filter.limit.unwrap_or(200);
        let pool = self.items(&Self::urgent_pool_filter(filter))?;
        // The pool's codes and the codes of the originals its follow-ups develop (no
        // more per item than classifying keeps: items stored before the cap may hold
        // thousands).
        let mut wanted: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for i in &pool {
            for c in i.case_codes.iter().take(codes::MAX_CASE_CODES) {
                for code in [Some(c.as_str()), codes::original(c)].into_iter().flatten() {
                    if seen.insert(code) {
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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::dedup::keys_for;
    use crate::model::{Classification, ParsedItem};
    use crate::store::{SourceState, StoredPoll};

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 2, day, 9, 0, 0).unwrap()
    }

    /// Stores one item for `source`, first seen on `day`.
    fn put(s: &mut Store, source: &str, day: u32, title: &str, urgent: bool, codes: &[&str]) {
        let item = ParsedItem {
            guid: Some(format!("{source}/{title}")),
            link: Some(format!("https://{source}.example/{day}")),
            title: title.into(),
            published: Some(t(day)),
            ..Default::default()
        };
        let keys = keys_for(std::slice::from_ref(&item)).remove(0);
        let poll = StoredPoll {
            item,
            keys,
            class: Classification {
                urgent,
                score: if urgent { 1.0 } else { 0.0 },
                case_codes: codes.iter().map(|c| c.to_string()).collect(),
                ..Default::default()
            },
            language: Some("en".into()),
        };
        s.apply_poll(source, t(day), &[poll], &SourceState::default())
            .unwrap();
    }

    #[test]
    fn one_entry_per_code_led_by_the_first_seen_with_the_others_related() {
        let mut s = Store::in_memory().unwrap();
        let code = ["MDA 001/0120/OBS 008"];
        put(
            &mut s,
            "omct-en",
            6,
            "Arbitrary detention of Mr. Alexandru Rjavitin",
            true,
            &code,
        );
        put(
            &mut s,
            "fidh-en",
            7,
            "Moldova: Rjavitin detained",
            true,
            &code,
        );
        put(
            &mut s,
            "promolex-ro",
            8,
            "Observatorul: Detenție arbitrară",
            false,
            &code,
        );
        put(
            &mut s,
            "fidh-en",
            9,
            "Iran: Arbitrary detention of Ms. Nasrin Sotoudeh",
            true,
            &[],
        );
        let sel = s.urgent_cases(10).unwrap();
        let titles: Vec<&str> = sel.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Iran: Arbitrary detention of Ms. Nasrin Sotoudeh",
                "Arbitrary detention of Mr. Alexandru Rjavitin"
            ]
        );
        let lead = &sel[1];
        assert_eq!(lead.source, "omct-en");
        let related: Vec<&str> = lead.related.iter().map(|r| r.source.as_str()).collect();
        assert_eq!(
            related,
            ["fidh-en", "promolex-ro"],
            "first seen first, urgent or not"
        );
        assert_eq!(
            lead.related[0].link.as_deref(),
            Some("https://fidh-en.example/7")
        );
        assert!(sel[0].related.is_empty() && sel[0].original.is_none());
    }

    #[test]
    fn a_follow_up_is_its_own_entry_and_names_the_original() {
        let mut s = Store::in_memory().unwrap();
        put(
            &mut s,
            "omct-fr",
            1,
            "Tunisie : Harcèlement judiciaire de Me Najet Laabidi",
            true,
            &["TUN 001/0517/OBS 052"],
        );
        put(
            &mut s,
            "omct-fr",
            20,
            "Tunisie : Harcèlement judiciaire continu de Me Najet Laabidi",
            true,
            &["TUN 001/0517/OBS 052.1"],
        );
        put(
            &mut s,
            "fidh-fr",
            21,
            "Tunisie : harcèlement judiciaire continu de Me Najet Laabidi",
            true,
            &["TUN 001/0517/OBS 052.1"],
        );
        let sel = s.urgent_cases(10).unwrap();
        assert_eq!(sel.len(), 2);
        let fu = &sel[0];
        assert_eq!(fu.case_codes, ["TUN 001/0517/OBS 052.1"]);
        assert_eq!(fu.source, "omct-fr");
        assert_eq!(fu.related.len(), 1);
        let orig = fu.original.as_ref().expect("the original is named");
        assert_eq!(
            orig.title,
            "Tunisie : Harcèlement judiciaire de Me Najet Laabidi"
        );
        assert!(sel[1].original.is_none());
        assert!(
            sel[1].related.is_empty(),
            "the follow-up is not a duplicate of the original"
        );
    }

    #[test]
    fn without_a_code_near_identical_titles_from_two_sources_are_one_entry() {
        let mut s = Store::in_memory().unwrap();
        put(
            &mut s,
            "omct-en",
            6,
            "Iran: Arbitrary detention and judicial harassment of Ms. Nasrin Sotoudeh",
            true,
            &[],
        );
        put(
            &mut s,
            "fidh-en",
            7,
            "Iran: Arbitrary detention and judicial harassment of Mrs. Nasrin Sotoudeh",
            true,
            &[],
        );
        // Same source, near-identical, a new development: kept.
        put(
            &mut s,
            "omct-en",
            8,
            "Iran: Sentencing and arbitrary detention and judicial harassment of Ms. Nasrin Sotoudeh",
            true,
            &[],
        );
        let sel = s.urgent_cases(10).unwrap();
        assert_eq!(sel.len(), 2);
        assert_eq!(sel[1].source, "omct-en");
        assert_eq!(sel[1].related[0].source, "fidh-en");
    }

    #[test]
    fn the_limit_counts_entries_not_items() {
        let mut s = Store::in_memory().unwrap();
        for d in 1..=5 {
            let code = format!("MDA 00{d}/0120/OBS 00{d}");
            put(
                &mut s,
                "omct-en",
                d,
                &format!("Case number {d} of omct"),
                true,
                &[&code],
            );
            put(
                &mut s,
                "fidh-en",
                d + 1,
                &format!("FIDH copy {d}"),
                true,
                &[&code],
            );
        }
        let sel = s.urgent_cases(3).unwrap();
        let titles: Vec<&str> = sel.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Case number 5 of omct",
                "Case number 4 of omct",
                "Case number 3 of omct"
            ]
        );
    }
}
