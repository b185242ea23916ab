//! Reading items: the filters of the publisher and the CLI, each source's share of
//! a document, fingerprints of a selection. Writing them is `write.rs`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params_from_iter};

use super::{Store, StoreError, parse_ts, ts};
use crate::model::{Reason, StoredItem};

/// Which items to read.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub urgent_only: bool,
    /// Only these sources (all when empty).
    pub sources: Vec<String>,
    pub language: Option<String>,
    /// Only items about this country (ISO 3166-1 alpha-3), through `item_countries`.
    pub country: Option<String>,
    /// Only items published at or after this time.
    pub since: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
    /// At most this many items of any one source (`output.max_per_source`): the newest
    /// of each, so that one source cannot crowd the others out of a document.
    pub per_source: Option<usize>,
}

impl ItemFilter {
    /// `SELECT columns FROM items WHERE …` for this filter, newest first, and its
    /// arguments.
    fn sql(&self, columns: &str) -> (String, Vec<String>) {
        let mut sql = format!("SELECT {columns} FROM items WHERE 1=1");
        let mut args: Vec<String> = Vec::new();
        if self.urgent_only {
            sql.push_str(" AND urgent = 1");
        }
        if !self.sources.is_empty() {
            sql.push_str(&format!(
                " AND source IN ({})",
                vec!["?"; self.sources.len()].join(",")
            ));
            args.extend(self.sources.iter().cloned());
        }
        if let Some(l) = &self.language {
            sql.push_str(" AND language = ?");
            args.push(l.clone());
        }
        if let Some(c) = &self.country {
            // A probe of item_countries' key per candidate row: the scan stays on the
            // items' own index (urgent, newest first), a country's rows are not sorted.
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM item_countries \
                 WHERE country = ? AND item_uid = items.uid)",
            );
            args.push(c.clone());
        }
        if let Some(t) = self.since {
            sql.push_str(" AND published >= ?");
            args.push(ts(t));
        }
        sql.push_str(" ORDER BY sort_time DESC, id DESC");
        // With a per-source cap, rows are counted as they stream (see `Quota`).
        if let (Some(n), None) = (self.limit, self.per_source) {
            sql.push_str(&format!(" LIMIT {n}"));
        }
        (sql, args)
    }
}

/// Counts the rows of a newest-first scan against a filter's `limit` and `per_source`.
struct Quota<'a> {
    filter: &'a ItemFilter,
    taken: HashMap<String, usize>,
    total: usize,
}

impl<'a> Quota<'a> {
    fn new(filter: &'a ItemFilter) -> Quota<'a> {
        Quota {
            filter,
            taken: HashMap::new(),
            total: 0,
        }
    }

    /// The limit is reached: stop reading.
    fn full(&self) -> bool {
        self.filter.limit.is_some_and(|n| self.total >= n)
    }

    /// Whether the next row, of `source`, is kept (and counted).
    fn admit(&mut self, source: &str) -> bool {
        if let Some(cap) = self.filter.per_source {
            match self.taken.get_mut(source) {
                Some(n) if *n >= cap => return false,
                Some(n) => *n += 1,
                None => {
                    self.taken.insert(source.to_string(), 1);
                }
            }
        }
        self.total += 1;
        true
    }
}

/// The columns [`item_from_row`] reads, in its order: written once, for both lists below.
macro_rules! item_columns {
    () => {
        "uid, source, title, link, summary, content, categories, authors, published, updated, \
         first_seen, language, urgent, score, reasons, case_codes, tags, countries"
    };
}

/// The columns [`item_from_row`] reads, in its order.
pub(super) const ITEM_COLUMNS: &str = item_columns!();

/// [`ITEM_COLUMNS`] and then the row id (a strict insertion order), read by
/// [`item_and_row`].
pub(super) const ITEM_AND_ROW_COLUMNS: &str = concat!(item_columns!(), ", id");

/// A row of [`ITEM_AND_ROW_COLUMNS`]: the row id and the item.
pub(super) fn item_and_row(r: &rusqlite::Row) -> rusqlite::Result<(i64, StoredItem)> {
    Ok((r.get(ROW_ID_AT)?, item_from_row(r)?))
}

/// Where the row id is in [`ITEM_AND_ROW_COLUMNS`]: after every column of [`ITEM_COLUMNS`].
const ROW_ID_AT: usize = 18;

/// A row of [`ITEM_COLUMNS`] as a [`StoredItem`] (not grouped: no related items).
pub(super) fn item_from_row(r: &rusqlite::Row) -> rusqlite::Result<StoredItem> {
    let list = |i: usize| -> rusqlite::Result<Vec<String>> {
        Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default())
    };
    Ok(StoredItem {
        id: r.get(0)?,
        source: r.get(1)?,
        title: r.get(2)?,
        link: r.get(3)?,
        summary: r.get(4)?,
        content: r.get(5)?,
        categories: list(6)?,
        authors: list(7)?,
        published: parse_ts(&r.get::<_, String>(8)?).unwrap_or_default(),
        updated: parse_ts(&r.get::<_, String>(9)?).unwrap_or_default(),
        first_seen: parse_ts(&r.get::<_, String>(10)?).unwrap_or_default(),
        language: r.get(11)?,
        urgent: r.get(12)?,
        score: r.get(13)?,
        reasons: serde_json::from_str::<Vec<Reason>>(&r.get::<_, String>(14)?).unwrap_or_default(),
        case_codes: list(15)?,
        tags: list(16)?,
        countries: list(17)?,
        related: Vec::new(),
        original: None,
    })
}

impl Store {
    /// Reads items, newest first.
    pub fn items(&self, f: &ItemFilter) -> Result<Vec<StoredItem>, StoreError> {
        Ok(self
            .items_with_rows(f)?
            .into_iter()
            .map(|(_, i)| i)
            .collect())
    }

    /// [`items`](Self::items), each with its row id (what ranks the leads of a case
    /// group: read here rather than looked up again by uid).
    pub(super) fn items_with_rows(
        &self,
        f: &ItemFilter,
    ) -> Result<Vec<(i64, StoredItem)>, StoreError> {
        if f.per_source.is_some() {
            return self.items_by_share(f);
        }
        let (sql, args) = f.sql(ITEM_AND_ROW_COLUMNS);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), item_and_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// [`items`](Self::items) with a per-source cap: which rows, from the index alone
    /// (the rows a source has beyond its share are skipped there), then those rows.
    fn items_by_share(&self, f: &ItemFilter) -> Result<Vec<(i64, StoredItem)>, StoreError> {
        let (sql, args) = f.sql("id, source");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(args.iter()))?;
        let mut quota = Quota::new(f);
        let mut ids: Vec<i64> = Vec::new();
        while !quota.full()
            && let Some(r) = rows.next()?
        {
            if quota.admit(r.get_ref(1)?.as_str().unwrap_or_default()) {
                ids.push(r.get(0)?);
            }
        }
        let mut by_id: HashMap<i64, StoredItem> = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT {ITEM_AND_ROW_COLUMNS} FROM items WHERE id IN ({})",
                vec!["?"; chunk.len()].join(",")
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(chunk.iter()), item_and_row)?;
            for r in rows {
                let (id, item) = r?;
                by_id.insert(id, item);
            }
        }
        Ok(ids
            .iter()
            .filter_map(|&id| by_id.remove(&id).map(|i| (id, i)))
            .collect())
    }

    /// A fingerprint of what `f` selects: which items, in which order, in which version
    /// (content and verdict). Equal fingerprints mean an identical rendering, so a
    /// publish can skip the selection without reading the items themselves.
    /// Returns the fingerprint and the number of items.
    pub fn selection_fingerprint(&self, f: &ItemFilter) -> Result<(u64, usize), StoreError> {
        use std::hash::{Hash, Hasher};
        // Answered from the covering indexes of migrations 0005 and 0006, without the
        // table.
        let columns = if f.per_source.is_some() {
            "id, version, source"
        } else {
            "id, version"
        };
        let (sql, args) = f.sql(columns);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(args.iter()))?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut quota = Quota::new(f);
        while !quota.full()
            && let Some(r) = rows.next()?
        {
            let source = match f.per_source {
                Some(_) => r.get_ref(2)?.as_str().unwrap_or_default(),
                None => "",
            };
            if quota.admit(source) {
                r.get::<_, i64>(0)?.hash(&mut h);
                r.get::<_, i64>(1)?.hash(&mut h);
            }
        }
        Ok((h.finish(), quota.total))
    }

    /// A counter that moves whenever the case codes of any item change (see
    /// [`write_codes`]): the grouping of the urgent selection may have changed.
    pub fn codes_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM classify_state WHERE key = 'codes_version'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// Item counts of every source that has items: id → (all, urgent).
    pub fn item_counts_by_source(
        &self,
    ) -> Result<std::collections::HashMap<String, (i64, i64)>, StoreError> {
        // `+source`: grouped in a temporary b-tree rather than read in source order,
        // which took the source index and then every row (summaries and all) for
        // `urgent`; the time index holds both columns, so only the index is read
        // (1,000,000 items: 1.9 s -> 0.47 s).
        let mut stmt = self.conn.prepare_cached(
            "SELECT source, count(*), coalesce(sum(urgent), 0) FROM items GROUP BY +source",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ParsedItem;
    use crate::store::{PollCounts, SourceState, StoredPoll};
    use chrono::TimeZone;

    fn poll(items: Vec<ParsedItem>) -> Vec<StoredPoll> {
        StoredPoll::unjudged(items)
    }

    #[test]
    fn the_row_id_follows_the_item_columns() {
        let cols = |s: &'static str| s.split(',').map(str::trim).collect::<Vec<_>>();
        let (item, with_row) = (cols(ITEM_COLUMNS), cols(ITEM_AND_ROW_COLUMNS));
        assert_eq!(with_row[..ROW_ID_AT], item[..]);
        assert_eq!(with_row[ROW_ID_AT..], ["id"]);
    }

    fn item(guid: Option<&str>, link: &str, title: &str) -> ParsedItem {
        ParsedItem {
            guid: guid.map(Into::into),
            link: Some(link.into()),
            title: title.into(),
            published: Some(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()),
            ..Default::default()
        }
    }

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn second_sight_is_not_new_and_edit_is_an_update() {
        let mut s = Store::in_memory().unwrap();
        let up = SourceState::default();
        let a = vec![
            item(Some("1"), "http://x/1", "One"),
            item(None, "http://x/2", "Two"),
        ];
        let c = s.apply_poll("src", t(1), &poll(a.clone()), &up).unwrap();
        assert_eq!(
            c,
            PollCounts {
                new: 2,
                updated: 0,
                unchanged: 0
            }
        );
        let c = s.apply_poll("src", t(2), &poll(a.clone()), &up).unwrap();
        assert_eq!(
            c,
            PollCounts {
                new: 0,
                updated: 0,
                unchanged: 2
            }
        );
        let before = s.items(&ItemFilter::default()).unwrap();
        let mut b = a.clone();
        b[0].title = "One (edited)".into();
        let c = s.apply_poll("src", t(3), &poll(b), &up).unwrap();
        assert_eq!(
            c,
            PollCounts {
                new: 0,
                updated: 1,
                unchanged: 1
            }
        );
        let after = s.items(&ItemFilter::default()).unwrap();
        assert_eq!(after.len(), 2);
        let edited = after.iter().find(|i| i.title == "One (edited)").unwrap();
        let orig = before.iter().find(|i| i.title == "One").unwrap();
        assert_eq!(edited.id, orig.id, "the id does not move");
        assert_eq!(edited.updated, t(3), "the updated time does");
    }

    #[test]
    fn moved_item_is_the_same_item() {
        let mut s = Store::in_memory().unwrap();
        let up = SourceState::default();
        s.apply_poll(
            "src",
            t(1),
            &poll(vec![item(Some("g"), "http://x/old", "A")]),
            &up,
        )
        .unwrap();
        let c = s
            .apply_poll(
                "src",
                t(2),
                &poll(vec![item(Some("g"), "http://x/new", "A")]),
                &up,
            )
            .unwrap();
        assert_eq!(c.updated, 1);
        // Without a guid, a new URL is recognised by title + date.
        s.apply_poll(
            "src",
            t(1),
            &poll(vec![item(None, "http://y/old", "B")]),
            &up,
        )
        .unwrap();
        let c = s
            .apply_poll(
                "src",
                t(2),
                &poll(vec![item(None, "http://y/new", "B")]),
                &up,
            )
            .unwrap();
        assert_eq!(
            c,
            PollCounts {
                new: 0,
                updated: 1,
                unchanged: 0
            }
        );
        assert_eq!(s.items(&ItemFilter::default()).unwrap().len(), 2);
    }

    #[test]
    fn fingerprint_moves_with_content_and_verdict_only() {
        let mut s = Store::in_memory().unwrap();
        let up = SourceState::default();
        let f = ItemFilter::default();
        let mut p = poll(vec![item(Some("1"), "http://x/1", "One")]);
        s.apply_poll("src", t(1), &p, &up).unwrap();
        let fp1 = s.selection_fingerprint(&f).unwrap();
        assert_eq!(fp1.1, 1);
        s.apply_poll("src", t(2), &p, &up).unwrap();
        assert_eq!(
            s.selection_fingerprint(&f).unwrap(),
            fp1,
            "seen again: same"
        );
        p[0].class.urgent = true;
        p[0].class.score = 1.0;
        s.apply_poll("src", t(3), &p, &up).unwrap();
        let fp2 = s.selection_fingerprint(&f).unwrap();
        assert_ne!(fp2, fp1, "new verdict: changed");
        p[0].item.title = "One, edited".into();
        s.apply_poll("src", t(4), &p, &up).unwrap();
        assert_ne!(s.selection_fingerprint(&f).unwrap(), fp2, "edit: changed");
    }

    #[test]
    fn duplicates_within_one_document_count_once() {
        let mut s = Store::in_memory().unwrap();
        let c = s
            .apply_poll(
                "src",
                t(1),
                &poll(vec![
                    item(Some("g"), "http://x/1", "A"),
                    item(Some("g"), "http://x/2", "B"),
                ]),
                &SourceState::default(),
            )
            .unwrap();
        assert_eq!(
            c,
            PollCounts {
                new: 1,
                updated: 0,
                unchanged: 1
            }
        );
    }

    /// Two entries of one document with different guids but the same title and date are
    /// one item, on a source's first poll (whose keys the writer keeps in memory) as on
    /// a later one (whose keys it looks up).
    #[test]
    fn entries_sharing_a_key_are_one_item_on_a_first_poll_as_on_a_later_one() {
        let mut s = Store::in_memory().unwrap();
        let up = SourceState::default();
        let pair = |a: &str, b: &str, title: &str| {
            poll(vec![
                item(Some(a), &format!("http://x/{a}"), title),
                item(Some(b), &format!("http://x/{b}"), title),
            ])
        };
        let one_new = PollCounts {
            new: 1,
            updated: 0,
            unchanged: 1,
        };
        let first = pair("a1", "a2", "Same title");
        assert_eq!(s.apply_poll("src", t(1), &first, &up).unwrap(), one_new);
        let later = pair("b1", "b2", "Another title");
        assert_eq!(s.apply_poll("src", t(2), &later, &up).unwrap(), one_new);
        // Seen again, in the other order: the first entry's guid was never stored, its
        // shared key names the item (now with that entry's content).
        let again = pair("a2", "a1", "Same title");
        let c = s.apply_poll("src", t(3), &again, &up).unwrap();
        assert_eq!(c.new, 0);
        assert_eq!(s.items(&ItemFilter::default()).unwrap().len(), 2);
    }

    #[test]
    fn dropped_items_are_never_stored_and_codes_are_indexed() {
        let mut s = Store::in_memory().unwrap();
        let mut p = poll(vec![
            item(Some("1"), "http://x/1", "Vacancy: accountant"),
            item(Some("2"), "http://x/2", "Arbitrary detention"),
        ]);
        p[0].class.drop = true;
        p[1].class.case_codes = vec!["MDA 001/0120/OBS 008".into()];
        p[1].class.tags = vec!["Follow-up".into()];
        let c = s
            .apply_poll("src", t(1), &p, &SourceState::default())
            .unwrap();
        assert_eq!(c.new, 1);
        let all = s.items(&ItemFilter::default()).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].case_codes, ["MDA 001/0120/OBS 008"]);
        assert_eq!(all[0].tags, ["Follow-up"]);
        let indexed: i64 = s
            .conn
            .query_row(
                "SELECT count(*) FROM item_codes WHERE code = 'MDA 001/0120/OBS 008'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexed, 1);
    }

    #[test]
    fn same_guid_in_two_sources_is_two_items() {
        let mut s = Store::in_memory().unwrap();
        let up = SourceState::default();
        s.apply_poll(
            "a",
            t(1),
            &poll(vec![item(Some("g"), "http://x/1", "A")]),
            &up,
        )
        .unwrap();
        s.apply_poll(
            "b",
            t(1),
            &poll(vec![item(Some("g"), "http://x/1", "A")]),
            &up,
        )
        .unwrap();
        assert_eq!(s.items(&ItemFilter::default()).unwrap().len(), 2);
    }

    #[test]
    fn a_share_per_source_keeps_the_newest_of_each_and_skips_on_the_index() {
        let mut s = Store::in_memory().unwrap();
        let up = SourceState::default();
        let many: Vec<_> = (0..30)
            .map(|n| ParsedItem {
                published: Some(t(3) + chrono::Duration::minutes(n)),
                ..item(None, &format!("http://busy/{n}"), &format!("Busy {n}"))
            })
            .collect();
        s.apply_poll("busy", t(3), &poll(many), &up).unwrap();
        let few: Vec<_> = (0..3)
            .map(|n| ParsedItem {
                published: Some(t(1)),
                ..item(None, &format!("http://quiet/{n}"), &format!("Quiet {n}"))
            })
            .collect();
        s.apply_poll("quiet", t(4), &poll(few), &up).unwrap();
        let f = ItemFilter {
            limit: Some(10),
            per_source: Some(5),
            ..Default::default()
        };
        let got = s.items(&f).unwrap();
        let busy = got.iter().filter(|i| i.source == "busy").count();
        assert_eq!(
            (got.len(), busy),
            (8, 5),
            "5 of the busy source, all 3 others"
        );
        assert!(
            got[..5].iter().all(|i| i.source == "busy")
                && got[5..].iter().all(|i| i.source == "quiet"),
            "newest first"
        );
        assert_eq!(s.selection_fingerprint(&f).unwrap().1, 8);
        // The per-source count reads the source from the time index, not the table.
        let (sql, args) = ItemFilter {
            urgent_only: true,
            ..f.clone()
        }
        .sql("id, version, source");
        let plan: Vec<String> = s
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|p| p.contains("COVERING INDEX items_by_time")),
            "{plan:?}"
        );
    }
}
