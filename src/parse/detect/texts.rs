//! The text fields of a candidate besides its title and date: the summary (a sentence
//! or a paragraph found in most items) and the labels (country, type, categories:
//! short texts named by their class or repeated across items), which become the
//! entry's categories.

use std::collections::BTreeMap;

use super::candidates::{
    Candidate, Extra, Field, Key, Last, enclosing_link, key_of, near, text_stats, words,
};
use super::page::{Ix, Page, is_stable};
use crate::parse::dates::{Order, find_date};
use crate::parse::html::text_of;

/// Text elements per key, per item.
pub(super) type TextFields = BTreeMap<Key, Vec<Vec<Ix>>>;

/// Text fields other than the title and date: candidates for summary and labels.
pub(super) fn text_fields(page: &Page, c: &Candidate) -> TextFields {
    let taken = |d: Ix, k: usize| {
        let t = c.title.nodes[k];
        let dt = c.date.as_ref().and_then(|f| f.field.nodes[k]);
        [t, dt]
            .into_iter()
            .flatten()
            .any(|x| page.contains(x, d) || page.contains(d, x))
    };
    let mut keys: BTreeMap<Key, Vec<Vec<Ix>>> = BTreeMap::new();
    for (k, &item) in c.items.iter().enumerate() {
        let item_boiler = page.node(item).boiler;
        for d in item + 1..=page.node(item).end {
            let node = page.node(d);
            // Hidden text, and share buttons or menus inside the item, say nothing of
            // the entry; nor do links to other sites.
            if node.hidden || taken(d, k) || node.boiler != item_boiler || !near(page, item, d) {
                continue;
            }
            if enclosing_link(page, d, item)
                .and_then(|l| l.url.as_deref())
                .is_some_and(|u| !page.on_site(u))
            {
                continue;
            }
            let own_text = node
                .el
                .children()
                .filter_map(|ch| ch.value().as_text())
                .any(|t| t.chars().any(char::is_alphabetic));
            if own_text {
                let mut key = key_of(page, item, d);
                // Same-tag siblings are one field (all the category links of a post),
                // unless one of them is the title or the date (`span` country next to
                // `span` date).
                if let Last::Nth(_) = key.last {
                    // A sibling is taken when the title or the date is it or is inside
                    // it: look up from those two, not through every sibling.
                    let siblings_free = node.parent.is_none_or(|p| {
                        let title = c.title.nodes[k];
                        let date = c.date.as_ref().and_then(|f| f.field.nodes[k]);
                        [title, date].into_iter().flatten().all(|x| {
                            child_of_toward(page, p, x).is_none_or(|s| page.node(s).tag != node.tag)
                        })
                    });
                    if siblings_free {
                        key.last = Last::Nth(0);
                    }
                }
                keys.entry(key)
                    .or_insert_with(|| vec![Vec::new(); c.items.len()])[k]
                    .push(d);
            }
        }
    }
    keys
}

/// The summary: text of several words found in at least half the items.
pub(super) fn choose_summary(page: &Page, c: &Candidate, texts: &TextFields) -> Option<Field> {
    let n = c.items.len();
    let mut best: Option<(f64, Field)> = None;
    for (key, per_item) in texts {
        let firsts: Vec<Option<Ix>> = per_item.iter().map(|v| v.first().copied()).collect();
        if firsts.iter().flatten().count() * 2 < n.max(2) {
            continue;
        }
        let counts: Vec<usize> = firsts
            .iter()
            .flatten()
            .map(|&ix| text_stats(page.node(ix).el).words)
            .collect();
        let avg = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
        // A paragraph or a summary-classed element may be short ("and why not."); any
        // other text must be a sentence, not a "3 minute read".
        let hinted = per_item
            .iter()
            .flatten()
            .next()
            .is_some_and(|&ix| summary_like(page, ix));
        if avg < if hinted { 3.3 } else { 6.0 } {
            continue;
        }
        let score = counts.len() as f64 / n as f64 * avg.min(40.0);
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((
                score,
                Field {
                    key: key.clone(),
                    nodes: firsts,
                    attr: None,
                },
            ));
        }
    }
    best.map(|(_, f)| f)
}

/// A `p`, or an element whose class says summary.
fn summary_like(page: &Page, ix: Ix) -> bool {
    let el = page.node(ix).el;
    el.value().name() == "p"
        || el
            .value()
            .classes()
            .flat_map(|c| c.split(|ch: char| !ch.is_alphanumeric()))
            .any(|w| {
                matches!(
                    w.to_ascii_lowercase().as_str(),
                    "summary"
                        | "excerpt"
                        | "teaser"
                        | "description"
                        | "desc"
                        | "intro"
                        | "lead"
                        | "abstract"
                        | "content"
                        | "text"
                        | "sub"
                        | "subtitle"
                        | "dek"
                        | "standfirst"
                )
            })
}

/// Words in class names that name a label, and the name it gets.
const LABEL_WORDS: [(&str, &str); 20] = [
    ("country", "country"),
    ("countries", "country"),
    ("type", "type"),
    ("category", "category"),
    ("categories", "category"),
    ("cat", "category"),
    ("label", "label"),
    ("tag", "tag"),
    ("tags", "tag"),
    ("section", "section"),
    ("topic", "topic"),
    ("topics", "topic"),
    ("location", "location"),
    ("region", "region"),
    ("kind", "kind"),
    ("rubric", "rubric"),
    ("genre", "genre"),
    ("author", "author"),
    ("byline", "author"),
    ("programme", "programme"),
];

/// Labels: short texts at one path in at least half the items, named by their class
/// (`card__country` → country) or repeated across items (a label, not a one-off).
pub(super) fn choose_extras(page: &Page, c: &Candidate, texts: TextFields) -> Vec<Extra> {
    let n = c.items.len();
    let summary_key = c.summary.as_ref().map(|s| &s.key);
    let mut out: Vec<Extra> = Vec::new();
    for (key, per_item) in texts {
        if Some(&key) == summary_key || out.len() >= 4 {
            continue;
        }
        let texts: Vec<Vec<String>> = per_item
            .iter()
            .map(|v| v.iter().map(|&ix| text_of(page.node(ix).el)).collect())
            .collect();
        let present = texts.iter().filter(|t| !t.is_empty()).count();
        if present * 2 < n.max(2) {
            continue;
        }
        let all: Vec<&String> = texts.iter().flatten().collect();
        let short = all.iter().all(|t| {
            words(t) <= 6
                && t.chars().count() <= 60
                && t.chars().any(char::is_alphabetic)
                && find_date(t, Order::DayFirst).is_none()
        });
        if !short {
            continue;
        }
        let first = per_item.iter().flatten().next().copied();
        let mut distinct: Vec<&String> = all.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let varies = distinct.len() > 1;
        let repeats = distinct.len() < all.len() && varies;
        // Named by its own class (`card__type`, even when every item has the same
        // type), or by its parent's when the values vary (`cat-links > a`; a constant
        // `author > a` is the site's name, not a label).
        let hinted = first.and_then(|ix| {
            label_name(page, ix).or_else(|| {
                let parent = page.node(ix).parent?;
                label_name(page, parent).filter(|_| varies)
            })
        });
        let name = match hinted {
            Some(h) => h,
            // The text of a link to the entry itself ("Read more") is not a label; a
            // label inside a card that is all one link is.
            None if repeats && !entry_link_text(page, c, &per_item) => first
                .and_then(|ix| class_name(page, ix))
                .unwrap_or_else(|| "label".to_string()),
            None => continue,
        };
        let mut name = name;
        let mut i = 2;
        while out.iter().any(|e| e.name == name) {
            name = format!("{}{i}", name.trim_end_matches(char::is_numeric));
            i += 1;
        }
        out.push(Extra {
            name,
            key,
            nodes: per_item,
        });
    }
    out
}

fn label_name(page: &Page, ix: Ix) -> Option<String> {
    let el = page.node(ix).el;
    el.value()
        .classes()
        .chain(el.value().attr("itemprop"))
        .flat_map(|c| c.split(|ch: char| !ch.is_alphanumeric()))
        .find_map(|w| {
            let w = w.to_ascii_lowercase();
            LABEL_WORDS
                .iter()
                .find(|(word, _)| *word == w)
                .map(|(_, name)| name.to_string())
        })
}

/// A name from the last word of the element's first stable class (`result-hood` →
/// hood).
fn class_name(page: &Page, ix: Ix) -> Option<String> {
    let el = page.node(ix).el;
    let class = el.value().classes().find(|c| is_stable(c))?;
    let word = class
        .rsplit(|ch: char| !ch.is_ascii_alphanumeric())
        .find(|w| !w.is_empty())?
        .to_ascii_lowercase();
    Some(word)
}

/// Whether one of these elements is all the text of a link to its item's entry.
fn entry_link_text(page: &Page, c: &Candidate, per_item: &[Vec<Ix>]) -> bool {
    per_item.iter().enumerate().any(|(k, v)| {
        let entry = c.values[k].as_ref().map(|v| v.target.as_str());
        v.iter().any(|&ix| {
            enclosing_link(page, ix, c.items[k]).is_some_and(|l| {
                l.target.is_some()
                    && l.target.as_deref() == entry
                    && text_of(page.node(l.node).el) == text_of(page.node(ix).el)
            })
        })
    })
}

/// The child of `parent` that is or holds `x`, if `x` is below `parent`.
fn child_of_toward(page: &Page, parent: Ix, x: Ix) -> Option<Ix> {
    if !page.contains(parent, x) || x == parent {
        return None;
    }
    let mut at = x;
    while let Some(up) = page.node(at).parent {
        if up == parent {
            return Some(at);
        }
        at = up;
    }
    None
}
