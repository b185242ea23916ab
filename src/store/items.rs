//! Items: dedup on write, queries for the publisher and the CLI.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use sha2::{Digest, Sha256};

use super::sources::SourceState;
use super::{Store, StoreError, parse_ts, ts};
use crate::dedup::{Keys, item_uid};
use crate::model::{Classification, ParsedItem, Reason, StoredItem};
use crate::text::hex;

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
    tx: &Connection,
    uid: &str,
    codes: &[String],
    fresh: bool,
) -> rusqlite::Result<()> {
    if !fresh {
        tx.prepare_cached("DELETE FROM item_codes WHERE item_uid = ?")?
            .execute([uid])?;
    }
    if !fresh || !codes.is_empty() {
        // Which items share a code may have changed: cases must be regrouped.
        tx.prepare_cached(
            "INSERT INTO classify_state (key, value) VALUES ('codes_version', '1') \
             ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        )?
        .execute([])?;
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
        state: &SourceState,
    ) -> Result<PollCounts, StoreError> {
        let tx = self.conn.transaction()?;
        let counts = write_poll(&tx, source, now, items, state)?;
        tx.commit()?;
        Ok(counts)
    }

    /// One poll in its own transaction.
    pub fn apply_one(&mut self, p: &PollWrite) -> Result<PollCounts, StoreError> {
        self.apply_poll(&p.source, p.now, &p.items, &p.state)
    }

    /// Reads items, newest first.
    pub fn items(&self, f: &ItemFilter) -> Result<Vec<StoredItem>, StoreError> {
        if f.per_source.is_some() {
            return self.items_by_share(f);
        }
        let (sql, args) = f.sql(ITEM_COLUMNS);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), item_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// [`items`](Self::items) with a per-source cap: which rows, from the index alone
    /// (the rows a source has beyond its share are skipped there), then those rows.
    fn items_by_share(&self, f: &ItemFilter) -> Result<Vec<StoredItem>, StoreError> {
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
                "SELECT {ITEM_COLUMNS}, id FROM items WHERE id IN ({})",
                vec!["?"; chunk.len()].join(",")
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(chunk.iter()), |r| {
                Ok((r.get::<_, i64>(17)?, item_from_row(r)?))
            })?;
            for r in rows {
                let (id, item) = r?;
                by_id.insert(id, item);
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
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
        let mut stmt = self.conn.prepare_cached(
            "SELECT source, count(*), coalesce(sum(urgent), 0) FROM items GROUP BY source",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A transaction that several polls are written into. There is no savepoint per poll
/// (a savepoint journals every page it changes, which cost a sixth of a large poll
/// pass): when one poll fails, the caller drops the batch (rolling all of it back) and
/// writes each poll again in a transaction of its own.
pub struct Batch<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl<'a> Batch<'a> {
    pub fn begin(store: &'a mut Store) -> Result<Batch<'a>, StoreError> {
        Ok(Batch {
            tx: store.conn.transaction()?,
        })
    }

    pub fn write(&mut self, p: &PollWrite) -> Result<PollCounts, StoreError> {
        write_poll(&self.tx, &p.source, p.now, &p.items, &p.state)
    }

    pub fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }
}

/// One poll's items and source state, as the group writer gets them.
#[derive(Debug)]
pub struct PollWrite {
    pub source: String,
    pub now: DateTime<Utc>,
    pub items: Vec<StoredPoll>,
    pub state: SourceState,
}

fn write_poll(
    tx: &Connection,
    source: &str,
    now: DateTime<Utc>,
    items: &[StoredPoll],
    state: &SourceState,
) -> Result<PollCounts, StoreError> {
    let mut counts = PollCounts::default();
    let mut touched = HashSet::new();
    for it in items.iter().filter(|it| !it.class.drop) {
        upsert(tx, source, now, it, &mut counts, &mut touched)?;
    }
    super::sources::write_state(tx, state)?;
    Ok(counts)
}

/// Writes one item of a poll: found again by one of its keys (then updated, or left
/// alone when it was pruned), or inserted; then its keys.
fn upsert(
    tx: &Connection,
    source: &str,
    now: DateTime<Utc>,
    it: &StoredPoll,
    counts: &mut PollCounts,
    touched: &mut HashSet<String>,
) -> Result<(), StoreError> {
    let found = find(tx, source, &it.keys)?;
    let uid = found
        .clone()
        .unwrap_or_else(|| item_uid(source, it.keys.primary()));
    if !touched.insert(uid.clone()) {
        // The same item twice in one document: the first occurrence wins.
        counts.unchanged += 1;
        return Ok(());
    }
    if found.is_none() {
        // An item none of whose keys is known is new: no need to look for its row.
        insert(tx, source, now, &uid, it)?;
        counts.new += 1;
    } else {
        match stored_version(tx, &uid)? {
            // Keys without an item: it was pruned. It must not come back as new.
            None => {
                counts.unchanged += 1;
                return Ok(());
            }
            Some(old) if old.content_hash != content_hash(&it.item) => {
                update(tx, now, &uid, it, &old)?;
                counts.updated += 1;
            }
            Some(_) => {
                update_verdict(tx, now, &uid, it)?;
                counts.unchanged += 1;
            }
        }
    }
    add_keys(tx, source, &uid, &it.keys)
}

/// The item one of `keys` names, in one lookup for all of them: the strongest key
/// that is known wins.
fn find(tx: &Connection, source: &str, keys: &Keys) -> Result<Option<String>, StoreError> {
    if keys.keys.is_empty() {
        return Ok(None);
    }
    let n = keys.keys.len();
    let sql = format!(
        "SELECT key, item_uid FROM item_keys WHERE source = ?1 AND key IN ({})",
        (2..n + 2)
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let args = std::iter::once(source).chain(keys.keys.iter().map(String::as_str));
    let hits: Vec<(String, String)> = stmt
        .query_map(params_from_iter(args), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(keys.keys.iter().find_map(|k| {
        hits.iter()
            .find(|(hk, _)| hk == k)
            .map(|(_, uid)| uid.clone())
    }))
}

/// What the stored row of an item says about its version.
struct StoredVersion {
    content_hash: String,
    updated: String,
    published: String,
    first_seen: String,
}

fn stored_version(tx: &Connection, uid: &str) -> Result<Option<StoredVersion>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT content_hash, updated, published, first_seen FROM items WHERE uid = ?",
        )?
        .query_row([uid], |r| {
            Ok(StoredVersion {
                content_hash: r.get(0)?,
                updated: r.get(1)?,
                published: r.get(2)?,
                first_seen: r.get(3)?,
            })
        })
        .optional()?)
}

fn insert(
    tx: &Connection,
    source: &str,
    now: DateTime<Utc>,
    uid: &str,
    it: &StoredPoll,
) -> Result<(), StoreError> {
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
        content_hash(&it.item),
        it.class.urgent,
        it.class.score,
        json(&it.class.reasons),
        json(&it.class.case_codes),
        json(&it.class.tags),
    ])?;
    write_codes(tx, uid, &it.class.case_codes, true)?;
    Ok(())
}

/// An item seen again with other content: everything rewritten, its version moved.
fn update(
    tx: &Connection,
    now: DateTime<Utc>,
    uid: &str,
    it: &StoredPoll,
    old: &StoredVersion,
) -> Result<(), StoreError> {
    let first_seen = parse_ts(&old.first_seen).unwrap_or(now);
    let published = it
        .item
        .published
        .or_else(|| parse_ts(&old.published))
        .unwrap_or(first_seen);
    let old_updated = parse_ts(&old.updated).unwrap_or(first_seen);
    let updated = match it.item.updated {
        Some(u) if u > old_updated => u,
        _ => now.max(old_updated),
    };
    tx.prepare_cached(
        "UPDATE items SET guid = ?2, link = ?3, title = ?4, summary = ?5, content = ?6, \
         categories = ?7, authors = ?8, language = ?9, published = ?10, updated = ?11, \
         last_seen = ?12, sort_time = ?13, content_hash = ?14, urgent = ?15, score = ?16, \
         reasons = ?17, case_codes = ?18, tags = ?19, version = version + 1 WHERE uid = ?1",
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
        content_hash(&it.item),
        it.class.urgent,
        it.class.score,
        json(&it.class.reasons),
        json(&it.class.case_codes),
        json(&it.class.tags),
    ])?;
    write_codes(tx, uid, &it.class.case_codes, false)?;
    Ok(())
}

/// An item seen again with the same content. The verdict or language may change
/// without the content (new rules): that is a visible change, so the version moves too.
fn update_verdict(
    tx: &Connection,
    now: DateTime<Utc>,
    uid: &str,
    it: &StoredPoll,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE items SET last_seen = ?2, \
         version = version + (urgent IS NOT ?3 OR score IS NOT ?4 OR reasons IS NOT ?5 \
         OR language IS NOT ?6 OR tags IS NOT ?7), \
         urgent = ?3, score = ?4, reasons = ?5, language = ?6, tags = ?7 WHERE uid = ?1",
    )?
    .execute(params![
        uid,
        ts(now),
        it.class.urgent,
        it.class.score,
        json(&it.class.reasons),
        it.language,
        json(&it.class.tags),
    ])?;
    Ok(())
}

/// Every key the item was seen with now, in one statement (one per arity is cached).
fn add_keys(tx: &Connection, source: &str, uid: &str, keys: &Keys) -> Result<(), StoreError> {
    let n = keys.keys.len();
    if n == 0 {
        return Ok(());
    }
    let sql = format!(
        "INSERT OR IGNORE INTO item_keys (source, key, item_uid) VALUES {}",
        (0..n)
            .map(|i| format!("(?1, ?{}, ?2)", i + 3))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let args = [source, uid]
        .into_iter()
        .chain(keys.keys.iter().map(String::as_str));
    tx.prepare_cached(&sql)?.execute(params_from_iter(args))?;
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
