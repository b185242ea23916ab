//! The urgent selection, one entry per case development (see [`crate::group`]).

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::params_from_iter;

use super::items::{ITEM_AND_ROW_COLUMNS, ItemFilter, item_and_row};
use super::{Store, StoreError};
use crate::group::{Candidate, group};
use crate::model::{Related, StoredItem};
use crate::text::codes;

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

/// How much the operator trusts each source (`[[sources]] trust`, 0 when not set).
/// Higher leads: a group of items is shown under its most trusted source's item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust(HashMap<String, i32>);

impl Trust {
    pub fn new(sources: impl IntoIterator<Item = (String, i32)>) -> Trust {
        // Only the sources trusted otherwise than by default: with 10,000 sources,
        // most at 0, a map of all of them was 1 MB per copy (publisher and alerts).
        Trust(sources.into_iter().filter(|(_, t)| *t != 0).collect())
    }

    pub fn of(&self, source: &str) -> i32 {
        self.0.get(source).copied().unwrap_or(0)
    }
}

/// Who leads a group, smallest first: the most trusted source, then the item stored
/// first (first seen, then the row id, a strict insertion order). What an item claims
/// (its dates) never counts, so a copy cannot take a case over by backdating itself.
fn lead_key(i: &StoredItem, row: i64, trust: &Trust) -> (Reverse<i32>, DateTime<Utc>, i64) {
    (Reverse(trust.of(&i.source)), i.first_seen, row)
}

impl Store {
    /// The first [`PER_CODE`] stored items carrying each of `codes`, with their row ids:
    /// their uids from the code index first, then the items by uid, each step on an
    /// index.
    fn items_with_codes(&self, codes: &[String]) -> Result<Vec<(i64, StoredItem)>, StoreError> {
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
                "SELECT {ITEM_AND_ROW_COLUMNS} FROM items WHERE uid IN ({})",
                vec!["?"; chunk.len()].join(",")
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(chunk.iter()), item_and_row)?;
            for r in rows {
                out.push(r?);
            }
        }
        Ok(out)
    }

    /// The urgent selection, newest first, at most `limit` entries, one per case
    /// development: items sharing a case code, and same-language items from different
    /// sources with near-identical titles within a few days, are one entry. The entry is
    /// the group's leading urgent item (most trusted source, then stored first: see
    /// [`lead_key`]); the group's items from other sources (urgent or not, one per
    /// source, in the same order) are its `related`; a follow-up's `original` is the
    /// item that leads the case it develops.
    pub fn urgent_cases(&self, limit: usize) -> Result<Vec<StoredItem>, StoreError> {
        self.urgent_cases_in(
            &ItemFilter {
                limit: Some(limit),
                ..Default::default()
            },
            &Trust::default(),
        )
    }

    /// The urgent items a grouped selection of `filter` (its sources, language,
    /// limit and share per source; urgent only) is made from: [`POOL_FACTOR`] times the
    /// limit and the share, since duplicates take room.
    pub fn urgent_pool_filter(filter: &ItemFilter) -> ItemFilter {
        let limit = filter.limit.unwrap_or(200);
        ItemFilter {
            urgent_only: true,
            limit: Some(limit.saturating_mul(POOL_FACTOR).saturating_add(20)),
            per_source: filter.per_source.map(|n| n.saturating_mul(POOL_FACTOR)),
            ..filter.clone()
        }
    }

    /// [`urgent_cases`](Self::urgent_cases) within the sources and language of `filter`,
    /// each group led by its most `trust`ed source, and no source leading more than
    /// `filter.per_source` entries (past that, the next source of the group leads it).
    pub fn urgent_cases_in(
        &self,
        filter: &ItemFilter,
        trust: &Trust,
    ) -> Result<Vec<StoredItem>, StoreError> {
        let limit = filter.limit.unwrap_or(200);
        let Pool {
            items,
            rows,
            in_pool,
        } = self.pool_with_codes(filter)?;
        let code_only: Vec<bool> = items.iter().map(|i| !in_pool.contains(&i.id)).collect();
        // Only the pool groups by title; the rest joins through the pool's codes.
        let roots = group(&candidates(&items, &in_pool), &code_only);
        let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
        for (n, r) in roots.iter().enumerate() {
            groups.entry(*r).or_default().push(n);
        }
        let cases = Cases {
            items: &items,
            rows: &rows,
            trust,
            by_code: by_code(&items),
        };
        let mut led: HashMap<&str, usize> = HashMap::new();
        let mut entries: Vec<StoredItem> = Vec::new();
        for (members, leads) in cases.ranked(&groups, &code_only) {
            let has_room = |n: &usize| {
                filter.per_source.is_none_or(|cap| {
                    led.get(items[*n].source.as_str()).copied().unwrap_or(0) < cap
                })
            };
            let Some(&lead) = leads.iter().find(|n| has_room(n)) else {
                continue;
            };
            *led.entry(items[lead].source.as_str()).or_default() += 1;
            entries.push(cases.entry(lead, members));
        }
        entries.sort_by(|a, b| sort_key(b).cmp(&sort_key(a)).then_with(|| b.id.cmp(&a.id)));
        entries.truncate(limit);
        Ok(entries)
    }

    /// The urgent pool of `filter`, then the stored items that carry its codes and the
    /// codes of the originals its follow-ups develop (no more per item than classifying
    /// keeps: items stored before the cap may hold thousands). Returns them all, pool
    /// first, their row ids in the same order, and the ids of the pool.
    fn pool_with_codes(&self, filter: &ItemFilter) -> Result<Pool, StoreError> {
        let (mut rows, pool): (Vec<i64>, Vec<StoredItem>) = self
            .items_with_rows(&Self::urgent_pool_filter(filter))?
            .into_iter()
            .unzip();
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
        for (row, extra) in self.items_with_codes(&wanted)? {
            if !in_pool.contains(&extra.id) {
                items.push(extra);
                rows.push(row);
            }
        }
        Ok(Pool {
            items,
            rows,
            in_pool,
        })
    }
}

/// The items an urgent selection groups (see [`Store::pool_with_codes`]).
struct Pool {
    /// The urgent pool, then the items that carry its codes.
    items: Vec<StoredItem>,
    /// Each item's row id (strict insertion order), in the same order.
    rows: Vec<i64>,
    /// The uids of the pool.
    in_pool: HashSet<String>,
}

/// What grouping compares of each item. Items outside the pool join groups only
/// through the codes the pool carries, so a follow-up's original does not swallow the
/// follow-up.
fn candidates(items: &[StoredItem], in_pool: &HashSet<String>) -> Vec<Candidate> {
    let pool_codes: HashSet<&str> = items
        .iter()
        .filter(|i| in_pool.contains(&i.id))
        .flat_map(|i| i.case_codes.iter().map(String::as_str))
        .collect();
    items
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
        .collect()
}

/// The items carrying each code, by index.
fn by_code(items: &[StoredItem]) -> HashMap<String, Vec<usize>> {
    let mut by_code: HashMap<String, Vec<usize>> = HashMap::new();
    for (n, i) in items.iter().enumerate() {
        for c in &i.case_codes {
            by_code.entry(c.clone()).or_default().push(n);
        }
    }
    by_code
}

/// The grouped items of one urgent selection, and what ranks them.
struct Cases<'a> {
    items: &'a [StoredItem],
    /// Each item's row id (strict insertion order).
    rows: &'a [i64],
    trust: &'a Trust,
    by_code: HashMap<String, Vec<usize>>,
}

impl<'a> Cases<'a> {
    fn key(&self, n: usize) -> (Reverse<i32>, DateTime<Utc>, i64) {
        lead_key(&self.items[n], self.rows[n], self.trust)
    }

    /// Each group with urgent items, and those items in the order they would lead it;
    /// the groups newest first (by who would lead), so that a source's share goes to
    /// its newest.
    fn ranked<'g>(
        &self,
        groups: &'g HashMap<usize, Vec<usize>>,
        code_only: &[bool],
    ) -> Vec<(&'g Vec<usize>, Vec<usize>)> {
        let mut ranked: Vec<(&Vec<usize>, Vec<usize>)> = groups
            .values()
            .filter(|members| !members.iter().all(|&n| code_only[n]))
            .map(|members| {
                let mut leads: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&n| self.items[n].urgent)
                    .collect();
                leads.sort_by_key(|&n| self.key(n));
                (members, leads)
            })
            .filter(|(_, leads)| !leads.is_empty())
            .collect();
        ranked.sort_by(|(_, a), (_, b)| {
            let (a, b) = (&self.items[a[0]], &self.items[b[0]]);
            sort_key(b).cmp(&sort_key(a)).then_with(|| b.id.cmp(&a.id))
        });
        ranked
    }

    /// The entry a group shows, led by `lead`: the group's items from other sources
    /// (one per source, in lead order) are its `related`; a follow-up's `original` is
    /// the item that leads the case it develops.
    fn entry(&self, lead: usize, members: &[usize]) -> StoredItem {
        let items = self.items;
        let mut entry = items[lead].clone();
        let mut others: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&n| n != lead && items[n].source != entry.source)
            .collect();
        others.sort_by_key(|&n| self.key(n));
        let mut seen_sources = HashSet::new();
        entry.related = others
            .into_iter()
            .map(|n| &items[n])
            .filter(|i| seen_sources.insert(i.source.clone()))
            .map(related)
            .collect();
        entry.original = entry
            .case_codes
            .iter()
            .filter_map(|c| codes::original(c))
            .filter_map(|orig| {
                self.by_code
                    .get(orig)
                    .and_then(|ns| ns.iter().copied().min_by_key(|&n| self.key(n)))
            })
            .min_by_key(|&n| self.key(n))
            .map(|n| related(&items[n]));
        entry
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
            text: None,
        };
        s.apply_poll(source, t(day), &[poll], &SourceState::default())
            .unwrap();
    }

    /// Stores `items` (title, claimed publication time, codes; all urgent) for `source`
    /// in one poll seen at `seen`.
    fn put_seen(
        s: &mut Store,
        source: &str,
        seen: DateTime<Utc>,
        items: &[(&str, DateTime<Utc>, &[&str])],
    ) {
        let polls: Vec<StoredPoll> = items
            .iter()
            .map(|(title, published, codes)| {
                let item = ParsedItem {
                    guid: Some(format!("{source}/{title}")),
                    link: Some(format!(
                        "https://{source}.example/{}",
                        title.replace(' ', "-")
                    )),
                    title: title.to_string(),
                    published: Some(*published),
                    ..Default::default()
                };
                let keys = keys_for(std::slice::from_ref(&item)).remove(0);
                StoredPoll {
                    item,
                    keys,
                    class: Classification {
                        urgent: true,
                        score: 1.0,
                        case_codes: codes.iter().map(|c| c.to_string()).collect(),
                        ..Default::default()
                    },
                    language: Some("en".into()),
                    text: None,
                }
            })
            .collect();
        s.apply_poll(source, seen, &polls, &SourceState::default())
            .unwrap();
    }

    fn selection(
        s: &Store,
        limit: usize,
        per_source: Option<usize>,
        trust: &Trust,
    ) -> Vec<StoredItem> {
        s.urgent_cases_in(
            &ItemFilter {
                limit: Some(limit),
                per_source,
                ..Default::default()
            },
            trust,
        )
        .unwrap()
    }

    #[test]
    fn a_backdated_copy_seen_in_the_same_second_does_not_lead() {
        let code: &[&str] = &["MDA 001/0120/OBS 008"];
        let seen = t(10);
        let title = "Moldova: Arbitrary detention of Mr. Alexandru Rjavitin";
        let backdated = t(10) - chrono::Duration::days(365);
        // By code: the appeal is stored first, the copy in the same second after it,
        // claiming a date a year earlier.
        let mut s = Store::in_memory().unwrap();
        put_seen(&mut s, "omct-en", seen, &[(title, t(10), code)]);
        put_seen(
            &mut s,
            "copycat",
            seen,
            &[("Copied appeal", backdated, code)],
        );
        let sel = selection(&s, 10, None, &Trust::default());
        assert_eq!(sel.len(), 1);
        assert_eq!(
            sel[0].source, "omct-en",
            "stored first leads, whatever the dates"
        );
        assert_eq!(sel[0].related[0].source, "copycat");

        // Stored before the appeal: the operator's trust decides.
        let mut s = Store::in_memory().unwrap();
        put_seen(
            &mut s,
            "copycat",
            seen,
            &[("Copied appeal", backdated, code)],
        );
        put_seen(&mut s, "omct-en", seen, &[(title, t(10), code)]);
        let trust = Trust::new([("omct-en".to_string(), 10)]);
        let sel = selection(&s, 10, None, &trust);
        assert_eq!(sel[0].source, "omct-en");
        assert_eq!(
            sel[0].link.as_deref(),
            Some(format!("https://omct-en.example/{}", title.replace(' ', "-")).as_str())
        );
        assert_eq!(sel[0].related[0].source, "copycat");

        // By title, without a code: the same.
        let mut s = Store::in_memory().unwrap();
        put_seen(
            &mut s,
            "copycat",
            seen,
            &[(title, backdated + chrono::Duration::days(364), &[])],
        );
        put_seen(&mut s, "omct-en", seen, &[(title, t(10), &[])]);
        let sel = selection(&s, 10, None, &trust);
        assert_eq!(sel.len(), 1, "{sel:#?}");
        assert_eq!(sel[0].source, "omct-en");
        assert_eq!(sel[0].related[0].source, "copycat");
    }

    #[test]
    fn one_source_leads_at_most_its_share_of_a_document() {
        let mut s = Store::in_memory().unwrap();
        let base = t(1);
        let real: Vec<(String, DateTime<Utc>)> = (0..300)
            .map(|n| {
                (
                    format!("Appeal number {n} of the observatory"),
                    base + chrono::Duration::hours(n),
                )
            })
            .collect();
        let refs: Vec<(&str, DateTime<Utc>, &[&str])> = real
            .iter()
            .map(|(t, p)| (t.as_str(), *p, &[][..]))
            .collect();
        put_seen(&mut s, "omct-en", t(20), &refs);
        // 700 newer urgent items from one source.
        let flood: Vec<(String, DateTime<Utc>)> = (0..700)
            .map(|n| {
                (
                    format!("Flood {n} zebra quokka"),
                    t(15) + chrono::Duration::minutes(n),
                )
            })
            .collect();
        let refs: Vec<(&str, DateTime<Utc>, &[&str])> = flood
            .iter()
            .map(|(t, p)| (t.as_str(), *p, &[][..]))
            .collect();
        put_seen(&mut s, "flood", t(20), &refs);

        let uncapped = selection(&s, 200, None, &Trust::default());
        assert!(
            uncapped.iter().all(|i| i.source == "flood"),
            "the flood fills it all"
        );

        // Half the document at most (the default share): the other source keeps its
        // newest 100 entries.
        let sel = selection(&s, 200, Some(100), &Trust::default());
        assert_eq!(sel.len(), 200);
        assert_eq!(sel.iter().filter(|i| i.source == "flood").count(), 100);
        assert_eq!(sel[0].title, "Flood 699 zebra quokka", "its newest");
        assert!(
            sel.iter()
                .any(|i| i.title == "Appeal number 299 of the observatory")
        );
        assert!(
            sel.iter()
                .any(|i| i.title == "Appeal number 200 of the observatory")
        );
        // The cap holds for every source, even when the document is left shorter.
        let sel = selection(&s, 200, Some(50), &Trust::default());
        assert_eq!(sel.len(), 100);
        assert_eq!(sel.iter().filter(|i| i.source == "flood").count(), 50);
    }

    #[test]
    fn past_its_share_a_source_gives_the_lead_to_the_next() {
        let mut s = Store::in_memory().unwrap();
        let codes = [
            "MDA 001/0120/OBS 001",
            "MDA 002/0120/OBS 002",
            "MDA 003/0120/OBS 003",
        ];
        let omct: Vec<(String, DateTime<Utc>)> = (0..3)
            .map(|n| (format!("OMCT appeal on case {n}"), t(1 + n as u32)))
            .collect();
        let fidh: Vec<(String, DateTime<Utc>)> = (0..3)
            .map(|n| (format!("FIDH copy of case {n}"), t(1 + n as u32)))
            .collect();
        let as_refs = |v: &[(String, DateTime<Utc>)]| -> Vec<(String, DateTime<Utc>, Vec<&str>)> {
            v.iter()
                .enumerate()
                .map(|(n, (t, p))| (t.clone(), *p, vec![codes[n]]))
                .collect()
        };
        for (source, v) in [("omct-en", &omct), ("fidh-en", &fidh)] {
            let owned = as_refs(v);
            let refs: Vec<(&str, DateTime<Utc>, &[&str])> = owned
                .iter()
                .map(|(t, p, c)| (t.as_str(), *p, c.as_slice()))
                .collect();
            put_seen(&mut s, source, t(10), &refs);
        }
        let trust = Trust::new([("omct-en".to_string(), 10)]);
        let sel = selection(&s, 10, Some(2), &trust);
        let leads: Vec<(&str, &str)> = sel
            .iter()
            .map(|i| (i.source.as_str(), i.related[0].source.as_str()))
            .collect();
        assert_eq!(
            leads,
            [
                ("omct-en", "fidh-en"),
                ("omct-en", "fidh-en"),
                ("fidh-en", "omct-en")
            ],
            "the newest two cases under OMCT, the third under FIDH"
        );
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
