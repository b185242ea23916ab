//! Items: dedup on write, queries for the publisher and the CLI.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params, params_from_iter};
use sha2::{Digest, Sha256};

use super::sources::SourceUpdate;
use super::{Store, StoreError, parse_ts, ts};
use crate::dedup::{Keys, hex, item_uid};
use crate::model::{Classification, ParsedItem, Reason, StoredItem};

/// One parsed item ready to be stored: its keys, verdict and resolved language.
#[derive(Debug, Clone)]
pub struct StoredPoll {
    pub item: ParsedItem,
    pub keys: Keys,
    pub class: Classification,
    pub language: Option<String>,
}

/// What a poll changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollCounts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Which items to read.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub urgent_only: bool,
    /// Only these sources (all when empty).
    pub sources: Vec<String>,
    pub language: Option<String>,
    /// Only items published at or after this time.
    pub since: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
}

/// The columns [`item_from_row`] reads, in its order.
pub(super) const ITEM_COLUMNS: &str = "uid, source, title, link, summary, content, categories, \
     authors, published, updated, first_seen, language, urgent, score, reasons, case_codes, tags";

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
        related: Vec::new(),
        original: None,
    })
}

/// Replaces the case-code index entries of `uid` with `codes` (`fresh`: the item is new
/// and has none yet, which spares the poll path a delete per item).
pub(super) fn write_codes(
    tx: &Transaction,
    uid: &str,
    codes: &[String],
    fresh: bool,
) -> rusqlite::Result<()> {
    if !fresh {
        tx.prepare_cached("DELETE FROM item_codes WHERE item_uid = ?")?
            .execute([uid])?;
    }
    let mut add =
        tx.prepare_cached("INSERT OR IGNORE INTO item_codes (code, item_uid) VALUES (?, ?)")?;
    for c in codes {
        add.execute(params![c, uid])?;
    }
    Ok(())
}

fn content_hash(i: &ParsedItem) -> String {
    let mut h = Sha256::new();
    for part in [
        i.title.as_str(),
        i.link.as_deref().unwrap_or(""),
        i.summary.as_deref().unwrap_or(""),
        i.content.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for c in &i.categories {
        h.update(c.as_bytes());
        h.update([1]);
    }
    hex(&h.finalize()[..16])
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

impl Store {
    /// Writes one successful poll of `source` in a single transaction: the items, deduped
    /// against everything stored before, and the source's new state. Items a `drop` rule
    /// matched are skipped: they are never stored.
    pub fn apply_poll(
        &mut self,
        source: &str,
        now: DateTime<Utc>,
        items: &[StoredPoll],
        update: &SourceUpdate,
    ) -> Result<PollCounts, StoreError> {
        let tx = self.conn.transaction()?;
        let mut counts = PollCounts::default();
        let mut touched = HashSet::new();
        for it in items.iter().filter(|it| !it.class.drop) {
            upsert(&tx, source, now, it, &mut counts, &mut touched)?;
        }
        super::sources::write_success(&tx, source, now, update)?;
        tx.commit()?;
        Ok(counts)
    }

    /// Reads items, newest first.
    pub fn items(&self, f: &ItemFilter) -> Result<Vec<StoredItem>, StoreError> {
        let mut sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE 1=1");
        let mut args: Vec<String> = Vec::new();
        if f.urgent_only {
            sql.push_str(" AND urgent = 1");
        }
        if !f.sources.is_empty() {
            sql.push_str(&format!(
                " AND source IN ({})",
                vec!["?"; f.sources.len()].join(",")
            ));
            args.extend(f.sources.iter().cloned());
        }
        if let Some(l) = &f.language {
            sql.push_str(" AND language = ?");
            args.push(l.clone());
        }
        if let Some(t) = f.since {
            sql.push_str(" AND published >= ?");
            args.push(ts(t));
        }
        sql.push_str(" ORDER BY sort_time DESC, id DESC");
        if let Some(n) = f.limit {
            sql.push_str(&format!(" LIMIT {n}"));
        }
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), item_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many items a source has stored: (all, urgent).
    pub fn item_counts(&self, source: &str) -> Result<(i64, i64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*), coalesce(sum(urgent), 0) FROM items WHERE source = ?",
            [source],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }
}

fn upsert(
    tx: &Transaction,
    source: &str,
    now: DateTime<Utc>,
    it: &StoredPoll,
    counts: &mut PollCounts,
    touched: &mut HashSet<String>,
) -> Result<(), StoreError> {
    let mut found: Option<String> = None;
    {
        let mut stmt =
            tx.prepare_cached("SELECT item_uid FROM item_keys WHERE source = ? AND key = ?")?;
        for key in &it.keys.keys {
            if let Some(uid) = stmt
                .query_row(params![source, key], |r| r.get::<_, String>(0))
                .optional()?
            {
                found = Some(uid);
                break;
            }
        }
    }
    let uid = found
        .clone()
        .unwrap_or_else(|| item_uid(source, it.keys.primary()));
    if !touched.insert(uid.clone()) {
        // The same item twice in one document: the first occurrence wins.
        counts.unchanged += 1;
        return Ok(());
    }
    let hash = content_hash(&it.item);
    let class_reasons = json(&it.class.reasons);
    let case_codes = json(&it.class.case_codes);
    let tags = json(&it.class.tags);
    let existing = tx
        .prepare_cached(
            "SELECT content_hash, updated, published, first_seen FROM items WHERE uid = ?",
        )?
        .query_row([&uid], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .optional()?;
    match (found.is_some(), existing) {
        (true, None) => {
            // Keys without an item: it was pruned. It must not come back as new.
            counts.unchanged += 1;
            return Ok(());
        }
        (_, Some((old_hash, old_updated, old_published, first_seen))) => {
            let first_seen = parse_ts(&first_seen).unwrap_or(now);
            let published = it
                .item
                .published
                .or_else(|| parse_ts(&old_published))
                .unwrap_or(first_seen);
            if old_hash != hash {
                let old_updated = parse_ts(&old_updated).unwrap_or(first_seen);
                let updated = match it.item.updated {
                    Some(u) if u > old_updated => u,
                    _ => now.max(old_updated),
                };
                tx.prepare_cached(
                    "UPDATE items SET guid = ?2, link = ?3, title = ?4, summary = ?5, content = ?6, \
                     categories = ?7, authors = ?8, language = ?9, published = ?10, updated = ?11, \
                     last_seen = ?12, sort_time = ?13, content_hash = ?14, urgent = ?15, score = ?16, \
                     reasons = ?17, case_codes = ?18, tags = ?19 WHERE uid = ?1",
                )?
                .execute(params![
                    uid,
                    it.item.guid,
                    it.item.link,
                    it.item.title,
                    it.item.summary,
                    it.item.content,
                    json(&it.item.categories),
                    json(&it.item.authors),
                    it.language,
                    ts(published),
                    ts(updated),
                    ts(now),
                    ts(published.min(first_seen)),
                    hash,
                    it.class.urgent,
                    it.class.score,
                    class_reasons,
                    case_codes,
                    tags,
                ])?;
                write_codes(tx, &uid, &it.class.case_codes, false)?;
                counts.updated += 1;
            } else {
                tx.prepare_cached(
                    "UPDATE items SET last_seen = ?2, urgent = ?3, score = ?4, reasons = ?5, \
                     language = ?6, tags = ?7 WHERE uid = ?1",
                )?
                .execute(params![
                    uid,
                    ts(now),
                    it.class.urgent,
                    it.class.score,
                    class_reasons,
                    it.language,
                    tags,
                ])?;
                counts.unchanged += 1;
            }
        }
        (false, None) => {
            let published = it.item.published.unwrap_or(now);
            let updated = it.item.updated.unwrap_or(published).max(published);
            tx.prepare_cached(
                "INSERT INTO items (uid, source, guid, link, title, summary, content, categories, \
                 authors, language, published, updated, first_seen, last_seen, sort_time, \
                 content_hash, urgent, score, reasons, case_codes, tags) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
            )?
            .execute(params![
                uid,
                source,
                it.item.guid,
                it.item.link,
                it.item.title,
                it.item.summary,
                it.item.content,
                json(&it.item.categories),
                json(&it.item.authors),
                it.language,
                ts(published),
                ts(updated),
                ts(now),
                ts(published.min(now)),
                hash,
                it.class.urgent,
                it.class.score,
                class_reasons,
                case_codes,
                tags,
            ])?;
            write_codes(tx, &uid, &it.class.case_codes, true)?;
            counts.new += 1;
        }
    }
    let mut add_key = tx.prepare_cached(
        "INSERT OR IGNORE INTO item_keys (source, key, item_uid) VALUES (?, ?, ?)",
    )?;
    for key in &it.keys.keys {
        add_key.execute(params![source, key, uid])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::keys_for;
    use chrono::TimeZone;

    fn poll(items: Vec<ParsedItem>) -> Vec<StoredPoll> {
        let keys = keys_for(&items);
        items
            .into_iter()
            .zip(keys)
            .map(|(item, keys)| StoredPoll {
                item,
                keys,
                class: Classification::default(),
                language: None,
            })
            .collect()
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
        let up = SourceUpdate::default();
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
        let up = SourceUpdate::default();
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
                &SourceUpdate::default(),
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
            .apply_poll("src", t(1), &p, &SourceUpdate::default())
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
        let up = SourceUpdate::default();
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
}
