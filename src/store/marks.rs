//! Editors' marks (`tocsin mark`): a decision on one item that wins over the rules at
//! every classification, kept in `marks` (see migration 0008). A counter in
//! `classify_state` (`marks_version`) moves with every change, so that a running daemon
//! sharing the database notices on its heartbeat and publishes again.

use std::collections::HashMap;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError, parse_ts, ts};
use crate::model::Mark;

/// The mark on `uid`, if any.
pub(super) fn mark_of(conn: &Connection, uid: &str) -> Result<Option<Mark>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT urgent, note, marked_at FROM marks WHERE item_uid = ?")?
        .query_row([uid], row)
        .optional()?)
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<Mark> {
    Ok(Mark {
        urgent: r.get(0)?,
        note: r.get(1)?,
        marked_at: parse_ts(&r.get::<_, String>(2)?).unwrap_or_default(),
    })
}

fn bump(conn: &Connection) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO classify_state (key, value) VALUES ('marks_version', '1') \
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
    )?
    .execute([])?;
    Ok(())
}

impl Store {
    /// Records an editor's decision on the stored item `uid` (replacing an earlier
    /// one). `false` when no such item is stored (nothing is recorded).
    pub fn set_mark(
        &mut self,
        uid: &str,
        urgent: bool,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let exists = tx
            .prepare_cached("SELECT 1 FROM items WHERE uid = ?")?
            .query_row([uid], |_| Ok(()))
            .optional()?
            .is_some();
        if exists {
            tx.prepare_cached(
                "INSERT INTO marks (item_uid, urgent, note, marked_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (item_uid) DO UPDATE SET urgent = ?2, note = ?3, marked_at = ?4",
            )?
            .execute(params![uid, urgent, note, ts(Utc::now())])?;
            bump(&tx)?;
        }
        tx.commit()?;
        Ok(exists)
    }

    /// Removes the mark on `uid`; `false` when there was none.
    pub fn clear_mark(&mut self, uid: &str) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let n = tx
            .prepare_cached("DELETE FROM marks WHERE item_uid = ?")?
            .execute([uid])?;
        if n > 0 {
            bump(&tx)?;
        }
        tx.commit()?;
        Ok(n > 0)
    }

    /// Every mark, by item uid.
    pub fn marks(&self) -> Result<HashMap<String, Mark>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT item_uid, urgent, note, marked_at FROM marks")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Mark {
                    urgent: r.get(1)?,
                    note: r.get(2)?,
                    marked_at: parse_ts(&r.get::<_, String>(3)?).unwrap_or_default(),
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Moves with every mark set or cleared (0 before the first).
    pub fn marks_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT CAST(value AS INTEGER) FROM classify_state WHERE key = 'marks_version'",
            )?
            .query_row([], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }
}
