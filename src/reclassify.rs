//! Re-classification: stored verdicts follow the rules.
//!
//! The store keeps the fingerprint of the rules its verdicts were made with
//! ([`Classifier::fingerprint`]). When the daemon starts, a poll or render begins, or
//! the config is reloaded, [`reclassify_if_changed`] compares it with the current rules
//! and, when they differ, runs every stored item through them again, in batches of
//! [`BATCH`] items, each batch one transaction, so polls can interleave. The fingerprint
//! is written last: an interrupted run starts again next time.
//!
//! [`compare`] does the same without writing, for `tocsin rules test`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::classify::Classifier;
use crate::model::{Classification, Mark};
use crate::source::Source;
use crate::store::{Db, ItemFilter, Store, StoreError, StoredSubject, Verdict};
use crate::text::{html_to_text, language};

/// Items per batch (and per transaction).
pub(crate) const BATCH: usize = 500;

/// What a re-classification changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReclassifyReport {
    /// Items read.
    pub items: usize,
    /// Items whose verdict, score, reasons, tags or codes changed.
    pub changed: usize,
    pub newly_urgent: usize,
    pub no_longer_urgent: usize,
    /// Items a `drop` rule now matches, deleted.
    pub dropped: usize,
}

/// The language of a stored item as the classifier sees it, in the order a poll
/// decides it (see [`language::resolve`]): its own declaration, a confident detection,
/// the source's configured language (it may have been added since), and what was stored
/// (standing in for the document's declaration, which is not kept).
fn language_of(languages: &HashMap<String, Option<String>>, s: &StoredSubject) -> Option<String> {
    language::resolve(
        s.item.language.as_deref(),
        languages.get(&s.source).and_then(|l| l.as_deref()),
        s.language.as_deref(),
        &s.item.title,
        || {
            s.item
                .summary
                .as_deref()
                .or(s.item.content.as_deref())
                .map(html_to_text)
                .unwrap_or_default()
        },
    )
}

fn languages(sources: &[Source]) -> HashMap<String, Option<String>> {
    sources
        .iter()
        .map(|s| (s.id.clone(), s.language.clone()))
        .collect()
}

/// Classifies one stored item with the current rules.
pub(crate) fn verdict(
    classifier: &Classifier,
    langs: &HashMap<String, Option<String>>,
    s: &StoredSubject,
) -> (Classification, Option<String>) {
    let lang = language_of(langs, s);
    let class = classifier.classify(&classifier.subject(&s.item, &s.source, lang.as_deref()));
    (class, lang)
}

/// One batch: reads up to [`BATCH`] items after `after`, writes the verdicts that
/// changed. Returns the last rowid read, `None` when there was nothing left.
fn batch(
    store: &mut Store,
    classifier: &Classifier,
    langs: &HashMap<String, Option<String>>,
    after: i64,
    report: &mut ReclassifyReport,
) -> Result<Option<i64>, StoreError> {
    let subjects = store.subjects_after(after, BATCH, &ItemFilter::default())?;
    let Some(last) = subjects.last().map(|s| s.rowid) else {
        return Ok(None);
    };
    let marks = store.marks()?;
    let mut verdicts = Vec::new();
    for s in &subjects {
        report.items += 1;
        let (mut class, language) = verdict(classifier, langs, s);
        // An editor's mark wins over the rules.
        if let Some(mark) = marks.get(&s.uid) {
            mark.apply(&mut class);
        }
        if !s.differs(&class) && language == s.language {
            continue;
        }
        report.changed += 1;
        if class.drop {
            report.dropped += 1;
        } else if class.urgent && !s.urgent {
            report.newly_urgent += 1;
        } else if !class.urgent && s.urgent {
            report.no_longer_urgent += 1;
        }
        verdicts.push(Verdict {
            uid: s.uid.clone(),
            class,
            language,
        });
    }
    store.apply_verdicts(&verdicts)?;
    Ok(Some(last))
}

/// Re-classifies every stored item with `classifier` and records its fingerprint: the
/// synchronous form of [`reclassify_if_changed`], for tests.
#[cfg(test)]
fn reclassify(
    store: &mut Store,
    classifier: &Classifier,
    sources: &[Source],
) -> Result<ReclassifyReport, StoreError> {
    let langs = languages(sources);
    let mut report = ReclassifyReport::default();
    let mut after = 0;
    while let Some(last) = batch(store, classifier, &langs, after, &mut report)? {
        after = last;
    }
    store.set_rules_fingerprint(classifier.fingerprint())?;
    Ok(report)
}

/// [`reclassify`] when the stored verdicts were made with other rules; `None` when they
/// are current. Runs batch by batch on the blocking pool so polls can interleave. This
/// is what a config reload (SIGHUP) calls after swapping the classifier, before
/// publishing again.
pub(crate) async fn reclassify_if_changed(
    db: &Db,
    classifier: Arc<Classifier>,
    sources: &[Source],
) -> Result<Option<ReclassifyReport>, StoreError> {
    let stored = db.call(|s| s.rules_fingerprint()).await?;
    if stored.as_deref() == Some(classifier.fingerprint()) {
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let langs = Arc::new(languages(sources));
    let mut report = ReclassifyReport::default();
    let mut after = 0;
    loop {
        let (c, l) = (classifier.clone(), langs.clone());
        let (next, r) = db
            .call(move |s| {
                let mut r = report;
                batch(s, &c, &l, after, &mut r).map(|n| (n, r))
            })
            .await?;
        report = r;
        match next {
            Some(last) => after = last,
            None => break,
        }
    }
    let fp = classifier.fingerprint().to_string();
    db.call(move |s| s.set_rules_fingerprint(&fp)).await?;
    tracing::info!(
        items = report.items,
        changed = report.changed,
        newly_urgent = report.newly_urgent,
        no_longer_urgent = report.no_longer_urgent,
        dropped = report.dropped,
        ms = started.elapsed().as_millis() as u64,
        "rules changed: stored items re-classified"
    );
    Ok(Some(report))
}

/// One item whose verdict the current rules would change.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub subject: StoredSubject,
    pub class: Classification,
}

/// An editor's mark the current rules disagree with (`class` is the rules' verdict).
#[derive(Debug, Clone)]
pub(crate) struct Disagreement {
    pub subject: StoredSubject,
    pub mark: Mark,
    pub class: Classification,
}

/// What [`compare`] found.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    pub checked: usize,
    /// Items whose verdict the rules would change (marks applied: a marked item
    /// changes only if its mark does not hold).
    pub changes: Vec<Change>,
    /// Marked items whose mark the rules alone would not give.
    pub disagreements: Vec<Disagreement>,
}

/// What the current rules would change among the stored items `filter` selects
/// (sources, since), without writing.
pub(crate) fn compare(
    store: &Store,
    classifier: &Classifier,
    sources: &[Source],
    filter: &ItemFilter,
) -> Result<Comparison, StoreError> {
    let langs = languages(sources);
    let marks = store.marks()?;
    let mut out = Comparison::default();
    let mut after = 0;
    loop {
        let subjects = store.subjects_after(after, BATCH, filter)?;
        let Some(last) = subjects.last().map(|s| s.rowid) else {
            break;
        };
        after = last;
        for s in subjects {
            out.checked += 1;
            let (mut class, _) = verdict(classifier, &langs, &s);
            if let Some(mark) = marks.get(&s.uid) {
                if class.urgent != mark.urgent {
                    out.disagreements.push(Disagreement {
                        subject: s.clone(),
                        mark: mark.clone(),
                        class: class.clone(),
                    });
                }
                mark.apply(&mut class);
            }
            if class.urgent != s.urgent || class.drop {
                out.changes.push(Change { subject: s, class });
            }
        }
    }
    Ok(out)
}

/// Classifies the stored item `uid` again with `classifier`, its mark applied, and
/// writes the verdict: what `tocsin mark` does at once. `false` when no such item.
pub(crate) fn reclassify_one(
    store: &mut Store,
    classifier: &Classifier,
    sources: &[Source],
    uid: &str,
) -> Result<bool, StoreError> {
    let Some(s) = store.subject(uid)? else {
        return Ok(false);
    };
    let (mut class, language) = verdict(classifier, &languages(sources), &s);
    if let Some(mark) = store.marks()?.get(uid) {
        mark.apply(&mut class);
    }
    store.apply_verdicts(&[Verdict {
        uid: s.uid.clone(),
        class,
        language,
    }])?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::classify::{Field, RuleConfig};
    use crate::dedup::keys_for;
    use crate::model::ParsedItem;
    use crate::store::{SourceState, StoredPoll};

    fn rules(kw: &str, drop: &str) -> Classifier {
        Classifier::new(
            &[
                RuleConfig {
                    name: "u".into(),
                    keywords: vec![kw.into()],
                    fields: Field::ALL.to_vec(),
                    weight: 1.0,
                    ..Default::default()
                },
                RuleConfig {
                    name: "jobs".into(),
                    keywords: vec![drop.into()],
                    fields: Field::ALL.to_vec(),
                    drop: true,
                    ..Default::default()
                },
            ],
            1.0,
        )
        .unwrap()
    }

    fn store_with(c: &Classifier, titles: &[&str]) -> Store {
        let mut s = Store::in_memory().unwrap();
        let items: Vec<ParsedItem> = titles
            .iter()
            .map(|t| ParsedItem {
                guid: Some(t.to_string()),
                title: t.to_string(),
                published: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
                ..Default::default()
            })
            .collect();
        let polls: Vec<StoredPoll> = items
            .iter()
            .zip(keys_for(&items))
            .map(|(item, keys)| StoredPoll {
                class: c.classify_item(item, "src", None),
                item: item.clone(),
                keys,
                language: None,
                text: None,
            })
            .collect();
        s.apply_poll("src", Utc::now(), &polls, &SourceState::default())
            .unwrap();
        s
    }

    #[test]
    fn changed_rules_change_the_stored_verdicts_and_drop_what_they_drop() {
        let old = rules("torture", "vacancy");
        let mut s = store_with(
            &old,
            &[
                "Torture in prison",
                "Arbitrary detention of X",
                "Job: secretary",
            ],
        );
        assert_eq!(s.rules_fingerprint().unwrap(), None);
        let new = rules("arbitrary detention", "job");
        let r = reclassify(&mut s, &new, &[]).unwrap();
        assert_eq!(
            r,
            ReclassifyReport {
                items: 3,
                changed: 3,
                newly_urgent: 1,
                no_longer_urgent: 1,
                dropped: 1
            }
        );
        assert_eq!(
            s.rules_fingerprint().unwrap().as_deref(),
            Some(new.fingerprint())
        );
        let urgent = s
            .items(&ItemFilter {
                urgent_only: true,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(urgent.len(), 1);
        assert_eq!(urgent[0].title, "Arbitrary detention of X");
        assert_eq!(urgent[0].reasons[0].rule, "u");
        assert_eq!(s.items(&ItemFilter::default()).unwrap().len(), 2, "dropped");
        // Same rules again: nothing changes.
        let again = reclassify(&mut s, &new, &[]).unwrap();
        assert_eq!(again.changed, 0);
    }

    #[test]
    fn compare_reports_without_writing() {
        let old = rules("torture", "vacancy");
        let s = store_with(&old, &["Torture in prison", "Arbitrary detention of X"]);
        let new = rules("arbitrary detention", "vacancy");
        let Comparison {
            checked, changes, ..
        } = compare(&s, &new, &[], &ItemFilter::default()).unwrap();
        assert_eq!(checked, 2);
        assert_eq!(changes.len(), 2);
        let urgent = s
            .items(&ItemFilter {
                urgent_only: true,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(urgent[0].title, "Torture in prison", "nothing was written");
    }

    #[tokio::test]
    async fn reclassify_if_changed_runs_once_per_rule_change() {
        let old = rules("torture", "vacancy");
        let db = Db::new(store_with(&old, &["Torture in prison"]));
        let new = Arc::new(rules("prison", "vacancy"));
        let first = reclassify_if_changed(&db, new.clone(), &[]).await.unwrap();
        assert_eq!(first.map(|r| r.items), Some(1));
        let second = reclassify_if_changed(&db, new, &[]).await.unwrap();
        assert_eq!(second, None);
    }
}
