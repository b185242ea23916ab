//! What a publish changed, for what comes after it: WebSub pings today, alerts next
//! (see `Daemon::after_publish`, the one place both `run` and `poll` hand it to).
//!
//! ## "Became urgent", exactly
//! A publish compares the urgent selection it rendered (the main `urgent.*` documents:
//! every language, at most `output.max_items` entries, one per case development) with
//! the one this process published last. A case development *became urgent* when its
//! entry is in this publish and none of its items (the one that leads the entry or the
//! related ones, "also published by") was in an entry of the previous publish:
//!
//! - the first publish of a process reports none: what it shows was there before the
//!   start (or is the store read for the first time), which is not news. A config
//!   reload keeps the comparison: the served snapshot outlives it;
//! - a new source, or a new publisher of a case, joining an entry already published
//!   does not make it new; a follow-up (`OBS 052.1`) is its own development;
//! - it costs nothing beyond the publish: the urgent selection is rendered at every
//!   publish anyway, and reused whole when its fingerprint says it did not change. No
//!   other document is rendered for it;
//! - it is what the *documents* show, not what a reader must be told: an item that
//!   becomes urgent because the rules changed, one of a source's first poll (backfill),
//!   or an entry that comes back after leaving the document (the document holds the
//!   newest `max_items` cases) is reported too. Deciding which of these to push is the
//!   alert stage's business.

use super::PublishError;
use super::catalog::{Catalog, Selection};
use crate::model::StoredItem;

/// What a publish did.
#[derive(Debug, Default)]
pub struct PublishOutcome {
    /// Paths whose content changed: files rewritten on disk, and documents served
    /// from memory whose bytes differ from what was served before (all of them when
    /// the files could not be written), and documents rendered on demand that were
    /// rendered again.
    pub changed: Vec<String>,
    /// The selections of `changed`, each once (`index.html` and `sources.opml` are no
    /// selection).
    pub selections: Vec<Selection>,
    /// The case developments that entered the urgent selection (see the module doc),
    /// newest first.
    pub became_urgent: Vec<UrgentCase>,
    /// Documents in the snapshot served now.
    pub documents: usize,
    /// The files could not be written (a full or read-only disk): the documents are
    /// served from memory all the same, and the write is to be tried again.
    pub write_error: Option<PublishError>,
}

/// One case development as an entry of the urgent selection shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct UrgentCase {
    /// The public id of the item that leads the entry (its `<entry>` in `urgent.atom`).
    pub lead: String,
    /// The source of that item.
    pub source: String,
    /// Every item of the development: the lead first, then the related ones.
    pub items: Vec<String>,
    /// The lead item's normalised case codes.
    pub case_codes: Vec<String>,
}

impl UrgentCase {
    /// The case development an entry of the urgent selection stands for.
    pub fn of(entry: &StoredItem) -> UrgentCase {
        UrgentCase {
            lead: entry.id.clone(),
            source: entry.source.clone(),
            items: std::iter::once(entry.id.clone())
                .chain(entry.related.iter().map(|r| r.id.clone()))
                .collect(),
            case_codes: entry.case_codes.clone(),
        }
    }
}

/// The cases of `now` none of whose items was in a case of `before`; none when there
/// was no publish before.
pub(super) fn became_urgent(
    before: Option<&Vec<UrgentCase>>,
    now: Option<&Vec<UrgentCase>>,
) -> Vec<UrgentCase> {
    let (Some(before), Some(now)) = (before, now) else {
        return Vec::new();
    };
    let known: std::collections::HashSet<&str> = before
        .iter()
        .flat_map(|c| c.items.iter().map(String::as_str))
        .collect();
    now.iter()
        .filter(|c| !c.items.iter().any(|i| known.contains(i.as_str())))
        .cloned()
        .collect()
}

/// The selections the changed `paths` belong to, each once, in the order of `paths`.
pub(super) fn selections(catalog: &Catalog, paths: &[String]) -> Vec<Selection> {
    let mut out: Vec<Selection> = Vec::new();
    for sel in paths.iter().filter_map(|p| catalog.selection_for_path(p)) {
        if !out.contains(&sel) {
            out.push(sel);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(items: &[&str]) -> UrgentCase {
        UrgentCase {
            lead: items[0].to_string(),
            source: "s".into(),
            items: items.iter().map(|s| s.to_string()).collect(),
            case_codes: Vec::new(),
        }
    }

    #[test]
    fn a_case_is_new_when_none_of_its_items_was_published_urgent() {
        let before = vec![case(&["a", "b"]), case(&["c"])];
        let now = vec![
            case(&["d"]),
            case(&["b", "a"]),
            case(&["e", "c"]),
            case(&["c"]),
        ];
        assert_eq!(became_urgent(Some(&before), Some(&now)), [case(&["d"])]);
        assert!(
            became_urgent(None, Some(&now)).is_empty(),
            "the first publish of a process reports nothing"
        );
    }
}
