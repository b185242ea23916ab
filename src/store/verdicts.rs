//! What re-classification needs from the store: stored items as the classifier sees
//! them, in batches; new verdicts written back; the fingerprint of the rules that made
//! the stored verdicts.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params, params_from_iter};

use super::items::ItemFilter;
use super::write::write_codes;
use super::{Store, StoreError, parse_ts, ts};
use crate::model::{Classification, ParsedItem, Reason};

/// A stored item as the classifier sees it, with its stored verdict.
#[derive(Debug, Clone)]
pub struct StoredSubject {
    /// SQLite rowid: batches are read in its order.
    pub rowid: i64,
    pub uid: String,
    pub source: String,
    /// The item as stored; its `language` is what the item itself declared.
    pub item: ParsedItem,
    /// The language it was classified in.
    pub language: Option<String>,
    pub published: DateTime<Utc>,
    pub urgent: bool,
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub tags: Vec<String>,
    pub case_codes: Vec<String>,
    pub countries: Vec<String>,
}

impl StoredSubject {
    /// Whether `class` says something else than the stored verdict.
    pub fn differs(&self, class: &Classification) -> bool {
        class.drop
            || class.urgent != self.urgent
            || class.score != self.score
            || class.reasons != self.reasons
            || class.tags != self.tags
            || class.case_codes != self.case_codes
            || class.countries != self.countries
    }
}

/// A new verdict for a stored item.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub uid: String,
    pub class: Classification,
    pub language: Option<String>,
}

const FINGERPRINT_KEY: &str = "rules_fingerprint";

/// The columns [`subject_row`] reads, in its order.
const SUBJECT_SELECT: &str = "SELECT id, uid, source, guid, link, title, summary, content, \
     categories, authors, language, published, updated, urgent, score, reasons, tags, \
     case_codes, declared_language, countries FROM items";

fn subject_row(r: &rusqlite::Row) -> rusqlite::Result<StoredSubject> {
    let list = |i: usize| -> rusqlite::Result<Vec<String>> {
        Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default())
    };
    let published = parse_ts(&r.get::<_, String>(11)?).unwrap_or_default();
    Ok(StoredSubject {
        rowid: r.get(0)?,
        uid: r.get(1)?,
        source: r.get(2)?,
        item: ParsedItem {
            guid: r.get(3)?,
            link: r.get(4)?,
            title: r.get(5)?,
            summary: r.get(6)?,
            content: r.get(7)?,
            categories: list(8)?,
            authors: list(9)?,
            published: Some(published),
            updated: parse_ts(&r.get::<_, String>(12)?),
            // What the item itself declared (see `text::language::resolve`).
            language: r.get(18)?,
        },
        language: r.get(10)?,
        published,
        urgent: r.get(13)?,
        score: r.get(14)?,
        reasons: serde_json::from_str(&r.get::<_, String>(15)?).unwrap_or_default(),
        tags: list(16)?,
        case_codes: list(17)?,
        countries: list(19)?,
    })
}

impl Store {
    /// Up to `batch` items with a rowid above `after`, in rowid order, restricted by
    /// `filter`'s sources and `since` (its other fields are ignored).
    pub fn subjects_after(
        &self,
        after: i64,
        batch: usize,
        filter: &ItemFilter,
    ) -> Result<Vec<StoredSubject>, StoreError> {
        let mut sql = format!("{SUBJECT_SELECT} WHERE id > ?");
        let mut args = vec![after.to_string()];
        if !filter.sources.is_empty() {
            sql.push_str(&format!(
                " AND source IN ({})",
                vec!["?"; filter.sources.len()].join(",")
            ));
            args.extend(filter.sources.iter().cloned());
        }
        if let Some(t) = filter.since {
            sql.push_str(" AND published >= ?");
            args.push(ts(t));
        }
        sql.push_str(&format!(" ORDER BY id LIMIT {batch}"));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), subject_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The stored item `uid` as the classifier sees it.
    pub fn subject(&self, uid: &str) -> Result<Option<StoredSubject>, StoreError> {
        let sql = format!("{SUBJECT_SELECT} WHERE uid = ?");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query_map([uid], subject_row)?;
        Ok(rows.next().transpose()?)
    }

    /// Writes new verdicts in one transaction. An item whose verdict is `drop` is
    /// deleted with its keys, as if it had never been stored: should the rule go, the
    /// next poll brings it back as new.
    pub fn apply_verdicts(&mut self, verdicts: &[Verdict]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for v in verdicts {
            if v.class.drop {
                tx.prepare_cached("DELETE FROM items WHERE uid = ?")?
                    .execute([&v.uid])?;
                tx.prepare_cached("DELETE FROM item_keys WHERE item_uid = ?")?
                    .execute([&v.uid])?;
                tx.prepare_cached("DELETE FROM item_codes WHERE item_uid = ?")?
                    .execute([&v.uid])?;
                continue;
            }
            // A changed verdict is a visible change: the version moves (see 0005).
            tx.prepare_cached(
                "UPDATE items SET \
                 version = version + (urgent IS NOT ?2 OR score IS NOT ?3 OR reasons IS NOT ?4 \
                 OR tags IS NOT ?5 OR case_codes IS NOT ?6 OR language IS NOT ?7 \
                 OR countries IS NOT ?8), \
                 urgent = ?2, score = ?3, reasons = ?4, tags = ?5, \
                 case_codes = ?6, language = ?7, countries = ?8 WHERE uid = ?1",
            )?
            .execute(params![
                v.uid,
                v.class.urgent,
                v.class.score,
                serde_json::to_string(&v.class.reasons).expect("plain data"),
                serde_json::to_string(&v.class.tags).expect("plain data"),
                serde_json::to_string(&v.class.case_codes).expect("plain data"),
                v.language,
                serde_json::to_string(&v.class.countries).expect("plain data"),
            ])?;
            write_codes(&tx, &v.uid, &v.class.case_codes, false)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The fingerprint of the rules the stored verdicts were made with, if recorded.
    pub fn rules_fingerprint(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM classify_state WHERE key = ?",
                [FINGERPRINT_KEY],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn set_rules_fingerprint(&mut self, fingerprint: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO classify_state (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![FINGERPRINT_KEY, fingerprint],
        )?;
        Ok(())
    }
}
