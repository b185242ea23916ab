//! Writing polls: each item found again by its keys (then updated, or left alone when
//! it was pruned) or inserted, with its keys and case codes; several polls to a
//! transaction ([`Batch`]).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use sha2::{Digest, Sha256};

use super::sources::SourceState;
use super::{Store, StoreError, parse_ts, ts};
use crate::dedup::{Keys, item_uid};
use crate::model::{Classification, ParsedItem};
use crate::text::hex;

/// One parsed item ready to be stored: its keys, verdict and resolved language.
#[derive(Debug, Clone)]
pub struct StoredPoll {
    pub item: ParsedItem,
    pub keys: Keys,
    pub class: Classification,
    pub language: Option<String>,
    /// The row's text columns, when computed ahead ([`StoredPoll::with_text`]); `None`:
    /// the writer computes them. Whoever changes `item` or `class` after `with_text`
    /// must set it back to `None` (debug builds check it at every write).
    pub text: Option<RowText>,
}

impl StoredPoll {
    /// Items as a poll stores them before any rule judged them (tests).
    #[cfg(test)]
    pub(super) fn unjudged(items: Vec<ParsedItem>) -> Vec<StoredPoll> {
        let keys = crate::dedup::keys_for(&items);
        items
            .into_iter()
            .zip(keys)
            .map(|(item, keys)| StoredPoll {
                item,
                keys,
                class: Classification::default(),
                language: None,
                text: None,
            })
            .collect()
    }

    /// Computes the row's text columns now: the poll path does it where it classifies
    /// (on a parse slot, any core), so that the one writer thread only runs statements.
    pub fn with_text(mut self) -> StoredPoll {
        self.text = Some(RowText::of(&self.item, &self.class));
        self
    }

    /// The row's text columns: computed ahead, or now.
    fn row_text(&self) -> Cow<'_, RowText> {
        match &self.text {
            Some(t) => {
                debug_assert_eq!(
                    *t,
                    RowText::of(&self.item, &self.class),
                    "StoredPoll::text is stale: item or class changed after with_text"
                );
                Cow::Borrowed(t)
            }
            None => Cow::Owned(RowText::of(&self.item, &self.class)),
        }
    }
}

/// The text columns of an item's row that follow from the item and its verdict alone:
/// the content hash and the JSON lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowText {
    content_hash: String,
    categories: Json,
    authors: Json,
    reasons: Json,
    case_codes: Json,
    tags: Json,
    countries: Json,
}

/// A JSON list as stored: most are empty, and `[]` is not allocated for each.
type Json = Cow<'static, str>;

impl RowText {
    fn of(item: &ParsedItem, class: &Classification) -> RowText {
        RowText {
            content_hash: content_hash(item),
            categories: json(&item.categories),
            authors: json(&item.authors),
            reasons: json(&class.reasons),
            case_codes: json(&class.case_codes),
            tags: json(&class.tags),
            countries: json(&class.countries),
        }
    }
}

/// What a poll changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollCounts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
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

fn json<T: serde::Serialize>(v: &[T]) -> Json {
    if v.is_empty() {
        return Cow::Borrowed("[]");
    }
    Cow::Owned(serde_json::to_string(v).expect("plain data serialises"))
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
    if items.is_empty() {
        // A poll that stored nothing (not modified, the same body, a failure): only
        // the source's state changes.
        super::sources::write_state(tx, state)?;
        return Ok(counts);
    }
    let mut seen = Seen::of(tx, source)?;
    // Items of a source's first poll are its history (the backfill), not news: they
    // are never alert candidates.
    let news = super::alerts::polled_before(tx, source)?;
    for it in items.iter().filter(|it| !it.class.drop) {
        let became = upsert(tx, source, now, it, &mut counts, &mut seen)?;
        if let Some(uid) = became.filter(|_| news) {
            super::alerts::add_candidate(tx, &uid, now)?;
        }
    }
    super::sources::write_state(tx, state)?;
    Ok(counts)
}

/// What one poll's writes know beyond the database: which items it wrote, and, for a
/// source none of whose keys was stored before it (its first poll, the backfill of a
/// new source), the keys it stored itself, so that its items are found again without a
/// lookup each (on a 1,000-feed first pass the lookups were a fifth of the writer's
/// time). Items of one document can share a key: a later one is then the earlier one.
struct Seen<'a> {
    /// The uids written by this poll: the same item twice in one document is written once.
    touched: HashSet<String>,
    /// `Some`: the source had no stored keys when the poll began, and these are all of
    /// its keys now (key → index in `uids`; the first writer of a key keeps it, as
    /// `INSERT OR IGNORE` does). `None`: look keys up in `item_keys`.
    own_keys: Option<HashMap<&'a str, usize>>,
    /// The uids `own_keys` names.
    uids: Vec<String>,
    /// Whether any item carries an editor's mark (none: no lookup per item).
    marks: bool,
}

impl<'a> Seen<'a> {
    fn of(tx: &Connection, source: &str) -> Result<Seen<'a>, StoreError> {
        let stored_keys: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM item_keys WHERE source = ?)")?
            .query_row([source], |r| r.get(0))?;
        let marks: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM marks)")?
            .query_row([], |r| r.get(0))?;
        Ok(Seen {
            touched: HashSet::new(),
            own_keys: (!stored_keys).then(HashMap::new),
            uids: Vec::new(),
            marks,
        })
    }

    /// The item one of `keys` names: the strongest key that is known wins.
    fn find(
        &self,
        tx: &Connection,
        source: &str,
        keys: &Keys,
    ) -> Result<Option<String>, StoreError> {
        match &self.own_keys {
            Some(own) => Ok(keys
                .keys
                .iter()
                .find_map(|k| own.get(k.as_str()))
                .map(|&i| self.uids[i].clone())),
            None => find(tx, source, keys),
        }
    }

    /// Stores the item's keys (those already stored keep the item they name).
    fn add_keys(
        &mut self,
        tx: &Connection,
        source: &str,
        uid: &str,
        keys: &'a Keys,
    ) -> Result<(), StoreError> {
        if let Some(own) = &mut self.own_keys {
            let at = self.uids.len();
            let mut named = false;
            for k in &keys.keys {
                if let std::collections::hash_map::Entry::Vacant(e) = own.entry(k.as_str()) {
                    e.insert(at);
                    named = true;
                }
            }
            if named {
                self.uids.push(uid.to_string());
            }
        }
        add_keys(tx, source, uid, keys)
    }
}

/// Writes one item of a poll: found again by one of its keys (then updated, or left
/// alone when it was pruned), or inserted; then its keys. Returns the item's uid when
/// it became urgent by this write (new and urgent, or its content changed and made it
/// urgent); a verdict changed by new rules alone does not count.
fn upsert<'a>(
    tx: &Connection,
    source: &str,
    now: DateTime<Utc>,
    it: &'a StoredPoll,
    counts: &mut PollCounts,
    seen: &mut Seen<'a>,
) -> Result<Option<String>, StoreError> {
    // A mark changes the verdict, never the keys.
    let keys = &it.keys;
    let found = seen.find(tx, source, keys)?;
    let uid = found
        .clone()
        .unwrap_or_else(|| item_uid(source, it.keys.primary()));
    if !seen.touched.insert(uid.clone()) {
        // The same item twice in one document: the first occurrence wins.
        counts.unchanged += 1;
        return Ok(None);
    }
    let mut became_urgent = false;
    // An editor's mark wins over the rules (see `tocsin mark`).
    let marked;
    let mark = match seen.marks {
        true => super::marks::mark_of(tx, &uid)?,
        false => None,
    };
    let it = match mark {
        Some(mark) => {
            let mut m = it.clone();
            mark.apply(&mut m.class);
            m.text = None;
            marked = m;
            &marked
        }
        None => it,
    };
    if found.is_none() {
        // An item none of whose keys is known is new: no need to look for its row.
        insert(tx, source, now, &uid, it)?;
        counts.new += 1;
        became_urgent = it.class.urgent;
    } else {
        match stored_version(tx, &uid)? {
            // Keys without an item: it was pruned. It must not come back as new.
            None => {
                counts.unchanged += 1;
                return Ok(None);
            }
            Some(old) if old.content_hash != it.row_text().content_hash => {
                update(tx, now, &uid, it, &old)?;
                counts.updated += 1;
                became_urgent = it.class.urgent && !old.urgent;
            }
            Some(_) => {
                update_verdict(tx, now, &uid, it)?;
                counts.unchanged += 1;
            }
        }
    }
    seen.add_keys(tx, source, &uid, keys)?;
    Ok(became_urgent.then_some(uid))
}

/// The item one of `keys` names, in one lookup for all of them: the strongest key
/// that is known wins.
fn find(tx: &Connection, source: &str, keys: &Keys) -> Result<Option<String>, StoreError> {
    if keys.keys.is_empty() {
        return Ok(None);
    }
    static SQL: PerArity = PerArity::new();
    let sql = SQL.get(keys.keys.len(), |n| {
        format!(
            "SELECT key, item_uid FROM item_keys WHERE source = ?1 AND key IN ({})",
            (2..n + 2)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
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
    urgent: bool,
}

fn stored_version(tx: &Connection, uid: &str) -> Result<Option<StoredVersion>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT content_hash, updated, published, first_seen, urgent FROM items WHERE uid = ?",
        )?
        .query_row([uid], |r| {
            Ok(StoredVersion {
                content_hash: r.get(0)?,
                updated: r.get(1)?,
                published: r.get(2)?,
                first_seen: r.get(3)?,
                urgent: r.get(4)?,
            })
        })
        .optional()?)
}

/// The statements on `items` say `OR FAIL`: with the triggers that keep
/// `item_countries` in step, a statement changes several tables, and under SQLite's
/// default (`ABORT`) it would copy every page it touches into a statement journal to undo
/// itself alone (a tenth of the writer thread's time on a large pass). Nothing here needs
/// that: an error fails the whole transaction ([`Batch`] or [`Store::apply_poll`]), which
/// is rolled back, so a statement's partial changes are never committed.
fn insert(
    tx: &Connection,
    source: &str,
    now: DateTime<Utc>,
    uid: &str,
    it: &StoredPoll,
) -> Result<(), StoreError> {
    let text = it.row_text();
    let published = it.item.published.unwrap_or(now);
    let updated = it.item.updated.unwrap_or(published).max(published);
    tx.prepare_cached(
        "INSERT OR FAIL INTO items (uid, source, guid, link, title, summary, content, categories, \
         authors, language, published, updated, first_seen, last_seen, sort_time, \
         content_hash, urgent, score, reasons, case_codes, tags, countries, declared_language) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?17, ?18, \
         ?19, ?20, ?21, ?22)",
    )?
    .execute(params![
        uid,
        source,
        it.item.guid,
        it.item.link,
        it.item.title,
        it.item.summary,
        it.item.content,
        &text.categories,
        &text.authors,
        it.language,
        ts(published),
        ts(updated),
        ts(now),
        ts(published.min(now)),
        &text.content_hash,
        it.class.urgent,
        it.class.score,
        &text.reasons,
        &text.case_codes,
        &text.tags,
        &text.countries,
        it.item.language,
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
    let text = it.row_text();
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
        "UPDATE OR FAIL items SET guid = ?2, link = ?3, title = ?4, summary = ?5, content = ?6, \
         categories = ?7, authors = ?8, language = ?9, published = ?10, updated = ?11, \
         last_seen = ?12, sort_time = ?13, content_hash = ?14, urgent = ?15, score = ?16, \
         reasons = ?17, case_codes = ?18, tags = ?19, countries = ?20, declared_language = ?21, \
         version = version + 1 WHERE uid = ?1",
    )?
    .execute(params![
        uid,
        it.item.guid,
        it.item.link,
        it.item.title,
        it.item.summary,
        it.item.content,
        &text.categories,
        &text.authors,
        it.language,
        ts(published),
        ts(updated),
        ts(now),
        ts(published.min(first_seen)),
        &text.content_hash,
        it.class.urgent,
        it.class.score,
        &text.reasons,
        &text.case_codes,
        &text.tags,
        &text.countries,
        it.item.language,
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
    let text = it.row_text();
    tx.prepare_cached(
        "UPDATE OR FAIL items SET last_seen = ?2, \
         version = version + (urgent IS NOT ?3 OR score IS NOT ?4 OR reasons IS NOT ?5 \
         OR language IS NOT ?6 OR tags IS NOT ?7 OR countries IS NOT ?8), \
         urgent = ?3, score = ?4, reasons = ?5, language = ?6, tags = ?7, countries = ?8, \
         declared_language = ?9 WHERE uid = ?1",
    )?
    .execute(params![
        uid,
        ts(now),
        it.class.urgent,
        it.class.score,
        &text.reasons,
        it.language,
        &text.tags,
        &text.countries,
        it.item.language,
    ])?;
    Ok(())
}

/// The text of a statement made for `n` keys, written once per arity for the few
/// arities items have (at most three keys each: see [`crate::dedup`]), not once per item.
struct PerArity([OnceLock<String>; 4]);

impl PerArity {
    const fn new() -> PerArity {
        PerArity([const { OnceLock::new() }; 4])
    }

    fn get(&self, n: usize, make: impl Fn(usize) -> String) -> Cow<'_, str> {
        match self.0.get(n) {
            Some(cell) => Cow::Borrowed(cell.get_or_init(|| make(n))),
            None => Cow::Owned(make(n)),
        }
    }
}

/// Every key the item was seen with now, in one statement (one per arity is cached).
fn add_keys(tx: &Connection, source: &str, uid: &str, keys: &Keys) -> Result<(), StoreError> {
    let n = keys.keys.len();
    if n == 0 {
        return Ok(());
    }
    static SQL: PerArity = PerArity::new();
    let sql = SQL.get(n, |n| {
        format!(
            "INSERT OR IGNORE INTO item_keys (source, key, item_uid) VALUES {}",
            (0..n)
                .map(|i| format!("(?1, ?{}, ?2)", i + 3))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    let args = [source, uid]
        .into_iter()
        .chain(keys.keys.iter().map(String::as_str));
    tx.prepare_cached(&sql)?.execute(params_from_iter(args))?;
    Ok(())
}

#[cfg(test)]
mod row_text_tests {
    use super::*;
    use crate::dedup::keys_for;

    fn poll(title: &str) -> StoredPoll {
        let item = ParsedItem {
            guid: Some("g".into()),
            title: title.into(),
            categories: vec!["Urgent Appeals".into()],
            ..Default::default()
        };
        let keys = keys_for(std::slice::from_ref(&item)).remove(0);
        StoredPoll {
            item,
            keys,
            class: Classification::default(),
            language: None,
            text: None,
        }
    }

    #[test]
    fn text_computed_ahead_is_the_text_the_writer_would_compute() {
        let ahead = poll("Detained: A. B.").with_text();
        let now = poll("Detained: A. B.");
        assert_eq!(*ahead.row_text(), *now.row_text());
        assert_eq!(ahead.row_text().categories, r#"["Urgent Appeals"]"#);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "stale")]
    fn text_left_stale_after_a_change_is_caught_in_debug_builds() {
        let mut p = poll("Detained: A. B.").with_text();
        p.class.urgent = true;
        p.class.tags.push("changed".into());
        let _ = p.row_text();
    }
}

#[cfg(test)]
mod per_arity_tests {
    use super::*;

    #[test]
    fn each_arity_gets_its_own_text_made_once() {
        static SQL: PerArity = PerArity::new();
        let made = std::cell::Cell::new(0);
        let make = |n: usize| {
            made.set(made.get() + 1);
            format!("keys: {n}")
        };
        assert_eq!(SQL.get(2, make), "keys: 2");
        assert_eq!(SQL.get(2, make), "keys: 2");
        assert_eq!(SQL.get(3, make), "keys: 3");
        assert_eq!(made.get(), 2, "one text per arity");
        // Beyond the table: made each time, still right.
        assert!(matches!(SQL.get(9, make), Cow::Owned(s) if s == "keys: 9"));
    }
}
