//! Candidate lists: the elements that share a tag path (the same tags and stable
//! classes from the root down), each read as an entry: which of its links is the
//! entry's, which element is its title, its date, summary and labels.
//!
//! Fields are found by their path *inside* the item ([`Key`]), the same in every item,
//! so that one CSS selector can name each of them afterwards.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::page::{Ix, Page, is_stable};
use super::texts;
use crate::parse::dates::{Order, Written, find_date, numeric_order};
use crate::parse::html::{parse_date, text_of};

/// Where a field sits inside an item: the tags from below the item down to it, and
/// the field element's stable classes (or, with none, its rank among same-tag
/// siblings), so that the date and the country of a card are two fields even when
/// both are `span`s.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Key {
    pub steps: Vec<u16>,
    pub last: Last,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Last {
    /// The item itself.
    Item,
    /// Tag + stable classes (interned signature).
    Sig(u32),
    /// No stable class: the 1-based rank among its element siblings of the same tag;
    /// 0 for all of them (labels: every category link of a post).
    Nth(u16),
}

/// One field of a candidate: its key and, per item, the element it is read from.
#[derive(Debug, Clone)]
pub(super) struct Field {
    pub key: Key,
    pub nodes: Vec<Option<Ix>>,
    /// Read an attribute rather than the text (`datetime`, `href`).
    pub attr: Option<&'static str>,
}

/// A named label field (country, type...).
#[derive(Debug, Clone)]
pub(super) struct Extra {
    pub name: String,
    pub key: Key,
    /// Per item, every element at the key.
    pub nodes: Vec<Vec<Ix>>,
}

/// The date field and how to read it.
#[derive(Debug, Clone)]
pub(super) struct DateField {
    pub field: Field,
    /// The `date_format` to propose (numeric dates only).
    pub format: Option<String>,
    /// Why that format (day/month order evidence), for the explanation.
    pub why: Option<String>,
}

/// A repeated structure read as a list of entries.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    /// Elements with that path (some may lack the entry link: outliers).
    pub group: usize,
    /// The elements the `item` selector must match: those with the entry link.
    pub items: Vec<Ix>,
    pub link: Field,
    pub title: Field,
    pub date: Option<DateField>,
    pub summary: Option<Field>,
    pub extras: Vec<Extra>,
    /// Per item: the title text, the entry address and date when the item is an
    /// entry (title and http(s) link).
    pub values: Vec<Option<Values>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Values {
    pub title: String,
    pub url: String,
    pub target: String,
    pub date: Option<DateTime<Utc>>,
}

impl Candidate {
    pub(super) fn entries(&self) -> impl Iterator<Item = &Values> {
        self.values.iter().flatten()
    }

    pub(super) fn entry_count(&self) -> usize {
        self.values.iter().flatten().count()
    }

    pub(super) fn depth(&self, page: &Page) -> u16 {
        page.node(self.items[0]).depth
    }
}

/// Groups elements by tag path and reads every group that could be a list.
pub(super) fn candidates(page: &Page) -> Vec<Candidate> {
    let mut groups: BTreeMap<u32, Vec<Ix>> = BTreeMap::new();
    for (ix, n) in page.nodes.iter().enumerate() {
        groups.entry(n.path).or_default().push(ix as Ix);
    }
    let mut groups: Vec<Vec<Ix>> = groups.into_values().filter(|g| g.len() >= 2).collect();
    // Outermost first: a deeper level whose items hold the same entry links (`li > a`
    // under `li`) is the same list, and reading it again is wasted (see
    // `merge_levels`: it keeps the level with fewer outliers, then the outermost).
    groups.sort_by_key(|g| (page.node(g[0]).depth, g[0]));
    let mut seen: HashMap<Vec<Ix>, usize> = HashMap::new();
    let mut out: Vec<Candidate> = Vec::new();
    for g in groups {
        if let Some(c) = read_group(page, &g, &seen) {
            let links: Vec<Ix> = c.link.nodes.iter().flatten().copied().collect();
            let outliers = c.group - c.items.len();
            let best = seen.entry(links).or_insert(outliers);
            *best = (*best).min(outliers);
            out.push(c);
        }
    }
    out.sort_by_key(|c| c.items[0]);
    out
}

/// The key of `target` inside `item`.
pub(super) fn key_of(page: &Page, item: Ix, target: Ix) -> Key {
    if item == target {
        return Key {
            steps: Vec::new(),
            last: Last::Item,
        };
    }
    let mut steps = Vec::new();
    let mut at = target;
    while at != item {
        steps.push(page.node(at).tag);
        match page.node(at).parent {
            Some(p) => at = p,
            None => break,
        }
    }
    steps.reverse();
    let t = page.node(target);
    let has_class = t.el.value().classes().any(is_stable);
    let last = if has_class {
        Last::Sig(t.sig)
    } else {
        Last::Nth(nth_of_type(page, target))
    };
    Key { steps, last }
}

/// How deep below its item a field may be: entries' titles and dates sit a few levels
/// down; bounding it keeps a hostile, deeply nested item from costing depth² work.
pub(super) const MAX_FIELD_DEPTH: u16 = 24;

/// Whether `d` is close enough below `item` to be one of its fields.
pub(super) fn near(page: &Page, item: Ix, d: Ix) -> bool {
    page.node(d).depth - page.node(item).depth <= MAX_FIELD_DEPTH
}

/// 1-based rank of an element among its element siblings with the same tag.
pub(super) fn nth_of_type(page: &Page, ix: Ix) -> u16 {
    let el = page.node(ix).el;
    let name = el.value().name();
    1 + el
        .prev_siblings()
        .filter_map(scraper::ElementRef::wrap)
        .filter(|s| s.value().name() == name)
        .count() as u16
}

/// Per item, the first element at each key among `nodes` (document order) that
/// `keep` accepts; keys in a stable order.
fn by_key(
    page: &Page,
    items: &[Ix],
    mut nodes_of: impl FnMut(Ix) -> Vec<Ix>,
) -> BTreeMap<Key, Vec<Vec<Ix>>> {
    let mut keys: BTreeMap<Key, Vec<Vec<Ix>>> = BTreeMap::new();
    for (k, &item) in items.iter().enumerate() {
        for n in nodes_of(item).into_iter().filter(|&n| near(page, item, n)) {
            let key = key_of(page, item, n);
            keys.entry(key)
                .or_insert_with(|| vec![Vec::new(); items.len()])[k]
                .push(n);
        }
    }
    keys
}

/// What `text_of` would give, measured without building it: words, characters
/// (collapsed), whether there is a digit.
pub(super) struct TextStats {
    pub words: usize,
    pub chars: usize,
    pub digits: bool,
}

pub(super) fn text_stats(el: scraper::ElementRef) -> TextStats {
    let mut stats = TextStats {
        words: 0,
        chars: 0,
        digits: false,
    };
    // Chunks are joined as they are, then whitespace collapsed: a word may span two.
    let mut in_word = false;
    for chunk in el.text() {
        for c in chunk.chars() {
            if c.is_whitespace() {
                in_word = false;
            } else {
                if !in_word {
                    stats.words += 1;
                    // The space collapsed between two words.
                    stats.chars += usize::from(stats.words > 1);
                }
                in_word = true;
                stats.chars += 1;
                stats.digits |= c.is_ascii_digit();
            }
        }
    }
    stats
}

pub(super) fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

fn read_group(page: &Page, group: &[Ix], seen: &HashMap<Vec<Ix>, usize>) -> Option<Candidate> {
    // Cheap test first: at least two elements hold a web link.
    let with_links = group
        .iter()
        .filter(|&&g| page.links_in(g).iter().any(|l| l.url.is_some()))
        .count();
    if with_links < 2 {
        return None;
    }
    let link = choose_link(page, group)?;
    // The items: the group's elements that have the entry link.
    let (items, link_nodes): (Vec<Ix>, Vec<Option<Ix>>) = group
        .iter()
        .zip(&link.nodes)
        .filter(|(_, n)| n.is_some())
        .map(|(&g, &n)| (g, n))
        .unzip();
    let outliers = group.len() - items.len();
    if seen
        .get(&link_nodes.iter().flatten().copied().collect::<Vec<_>>())
        .is_some_and(|&o| o <= outliers)
    {
        return None;
    }
    let link = Field {
        nodes: link_nodes,
        ..link
    };
    let title = choose_title(page, &items, &link)?;
    let mut c = Candidate {
        group: group.len(),
        items,
        link,
        title,
        date: None,
        summary: None,
        extras: Vec::new(),
        values: Vec::new(),
    };
    c.date = choose_date(page, &c);
    c.values = values(page, &c);
    if c.entry_count() < 2 {
        return None;
    }
    let texts = texts::text_fields(page, &c);
    c.summary = texts::choose_summary(page, &c, &texts);
    c.extras = texts::choose_extras(page, &c, texts);
    Some(c)
}

/// The entry's link: the link path present in most items, preferring one in a heading,
/// with words, to a different page in each item. `None` when items hold several
/// different pages at that path (a container of entries, not an entry).
fn choose_link(page: &Page, group: &[Ix]) -> Option<Field> {
    let keys = by_key(page, group, |item| {
        page.links_in(item).iter().map(|l| l.node).collect()
    });
    let n = group.len() as f64;
    let mut best: Option<(f64, Key, Vec<Option<Ix>>)> = None;
    for (key, per_item) in keys {
        let firsts: Vec<Option<Ix>> = per_item.iter().map(|v| v.first().copied()).collect();
        let link_of = |ix: Ix| page.link(ix);
        let valid: Vec<&str> = firsts
            .iter()
            .flatten()
            .filter_map(|&ix| link_of(ix).and_then(|l| l.target.as_deref()))
            .filter(|t| *t != page.page)
            .collect();
        if valid.len() < 2 {
            continue;
        }
        let mut distinct = valid.clone();
        distinct.sort_unstable();
        distinct.dedup();
        // Items with several different pages at this path.
        let multi = per_item
            .iter()
            .filter(|v| {
                let mut t: Vec<&str> = v
                    .iter()
                    .filter_map(|&ix| link_of(ix).and_then(|l| l.target.as_deref()))
                    .collect();
                t.sort_unstable();
                t.dedup();
                t.len() > 1
            })
            .count() as f64;
        let texts: Vec<usize> = firsts
            .iter()
            .flatten()
            .map(|&ix| text_stats(page.node(ix).el).words)
            .collect();
        let avg_words = texts.iter().sum::<usize>() as f64 / texts.len().max(1) as f64;
        let in_heading = firsts
            .iter()
            .flatten()
            .filter(|&&ix| heading_around(page, ix))
            .count() as f64;
        let score = valid.len() as f64 / n * 10.0
            + in_heading / n * 3.0
            + avg_words.min(8.0) * 0.5
            + distinct.len() as f64 / valid.len() as f64 * 5.0
            - multi / n * 10.0;
        if best.as_ref().is_none_or(|(b, ..)| score > *b) {
            best = Some((score, key, firsts));
        }
    }
    let (_, key, nodes) = best?;
    let multi_items = group
        .iter()
        .zip(&nodes)
        .filter(|(g, n)| {
            n.is_some() && {
                let mut t: Vec<&str> = page
                    .links_in(**g)
                    .iter()
                    .filter(|l| key_of(page, **g, l.node) == key)
                    .filter_map(|l| l.target.as_deref())
                    .collect();
                t.sort_unstable();
                t.dedup();
                t.len() > 1
            }
        })
        .count();
    let with = nodes.iter().flatten().count();
    if multi_items * 2 > with {
        return None;
    }
    Some(Field {
        key,
        nodes,
        attr: Some("href"),
    })
}

/// Whether a link is a heading, inside one, or holds one.
fn heading_around(page: &Page, link: Ix) -> bool {
    let mut at = Some(link);
    for _ in 0..3 {
        let Some(ix) = at else { break };
        if page.node(ix).title_hint >= 2 {
            return true;
        }
        at = page.node(ix).parent;
    }
    let end = page.node(link).end;
    (link..=end).any(|d| page.node(d).title_hint >= 2)
}

/// The title: a heading (or title-classed element) found in most items, else the
/// link's own text.
fn choose_title(page: &Page, items: &[Ix], link: &Field) -> Option<Field> {
    let keys = by_key(page, items, |item| {
        (item..=page.node(item).end)
            .filter(|&d| page.node(d).title_hint > 0 && !page.node(d).hidden)
            .collect()
    });
    let n = items.len() as f64;
    let mut best: Option<(f64, Field)> = None;
    let mut consider = |score: f64, field: Field| {
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, field));
        }
    };
    for (key, per_item) in keys {
        let (firsts, score) = title_option(page, per_item.iter().map(|v| v.as_slice()), n, 0.0);
        if let Some(score) = score {
            consider(
                score,
                Field {
                    key,
                    nodes: firsts,
                    attr: None,
                },
            );
        }
    }
    // The link's own text.
    let links: Vec<Vec<Ix>> = link
        .nodes
        .iter()
        .map(|l| l.iter().copied().collect())
        .collect();
    let (texts, score) = title_option(page, links.iter().map(|v| v.as_slice()), n, 2.0);
    if let Some(score) = score {
        consider(
            score,
            Field {
                key: link.key.clone(),
                nodes: texts,
                attr: None,
            },
        );
    }
    best.map(|(_, f)| f)
}

/// One way to read titles: per item, the first of its elements with text; and its
/// score (how many items have one, how title-like the elements are, how many words,
/// less for texts holding a date: a block around the title, not the title), `None`
/// when fewer than two items have one. `hint` stands for the elements' own title hint
/// when they have none (the link's text).
fn title_option<'v>(
    page: &Page,
    per_item: impl Iterator<Item = &'v [Ix]>,
    n: f64,
    hint: f64,
) -> (Vec<Option<Ix>>, Option<f64>) {
    let mut best_hint = hint;
    let (mut found, mut total_words, mut dated) = (0usize, 0usize, 0usize);
    let firsts: Vec<Option<Ix>> = per_item
        .map(|v| {
            v.iter().find_map(|&ix| {
                let el = page.node(ix).el;
                let stats = text_stats(el);
                (stats.words > 0).then(|| {
                    found += 1;
                    total_words += stats.words;
                    // Only a text with digits can hold a date: read it only then.
                    dated += usize::from(
                        stats.digits && find_date(&text_of(el), Order::DayFirst).is_some(),
                    );
                    best_hint = best_hint.max(f64::from(page.node(ix).title_hint) * 2.0);
                    ix
                })
            })
        })
        .collect();
    if found < 2 {
        return (firsts, None);
    }
    let (found, avg) = (found as f64, total_words as f64 / found as f64);
    let score = found / n * 10.0 + best_hint + avg.min(12.0) * 0.3 - dated as f64 / n * 4.0;
    (firsts, Some(score))
}

/// The text or attribute a field reads from an element, as a `Pick` would.
pub(super) fn read(page: &Page, ix: Ix, attr: Option<&str>) -> Option<String> {
    let el = page.node(ix).el;
    match attr {
        Some(a) => el.value().attr(a).map(|v| v.trim().to_string()),
        None => Some(text_of(el)),
    }
    .filter(|v| !v.is_empty())
}

/// Where a date is read: the element's key, and the attribute (`datetime`) or its text.
type DateKey = (Key, Option<&'static str>);

/// The date: `time[datetime]`, else the element with a date in its (short) text found
/// in most items; numeric dates get the format their day/month order proves.
fn choose_date(page: &Page, c: &Candidate) -> Option<DateField> {
    let is_title = |d: Ix, k: usize| {
        c.title.nodes[k].is_some_and(|t| page.contains(t, d) || page.contains(d, t))
    };
    let mut options: BTreeMap<DateKey, Vec<Option<(Ix, Written)>>> = BTreeMap::new();
    let n = c.items.len();
    for (k, &item) in c.items.iter().enumerate() {
        for d in item..=page.node(item).end {
            let node = page.node(d);
            if node.hidden || is_title(d, k) || !near(page, item, d) {
                continue;
            }
            let tag = page.tag(d);
            let mut offer = |attr: Option<&'static str>, text: String| {
                let found = find_date(&text, Order::DayFirst)
                    .or_else(|| find_date(&text, Order::MonthFirst));
                if let Some(f) = found {
                    let slot = &mut options
                        .entry((key_of(page, item, d), attr))
                        .or_insert_with(|| vec![None; n])[k];
                    if slot.is_none() {
                        *slot = Some((d, f.written));
                    }
                }
            };
            if tag == "time"
                && let Some(dt) = node.el.value().attr("datetime")
                && !dt.trim().is_empty()
            {
                offer(Some("datetime"), dt.trim().to_string());
            }
            let has_own_text = node
                .el
                .children()
                .filter_map(|ch| ch.value().as_text())
                .any(|t| !t.trim().is_empty());
            if has_own_text {
                let stats = text_stats(node.el);
                if stats.digits && stats.chars <= 100 {
                    offer(None, text_of(node.el));
                }
            }
        }
    }
    // Most items dated; on a tie an attribute (`time@datetime`), then the first key
    // (`max_by_key` keeps the last of equals: the keys are walked backwards).
    let ((key, attr), found) = options
        .into_iter()
        .rev()
        .max_by_key(|((_, attr), found)| (found.iter().flatten().count(), attr.is_some()))?;
    let count = found.iter().flatten().count();
    if count * 2 < n.max(2) {
        return None;
    }
    let (format, why) = date_format(page, found.iter().flatten().map(|(_, w)| w));
    // The element a Pick would read: the first at the key with a value.
    let nodes = found
        .iter()
        .map(|f| f.as_ref().map(|(ix, ..)| *ix))
        .collect();
    Some(DateField {
        field: Field { key, nodes, attr },
        format,
        why,
    })
}

/// The `date_format` for a listing's dates, when they are all numeric the same way.
fn date_format<'w>(
    page: &Page,
    written: impl Iterator<Item = &'w Written>,
) -> (Option<String>, Option<String>) {
    let written: Vec<&Written> = written.collect();
    let Some(first) = written.first() else {
        return (None, None);
    };
    match first {
        Written::Numeric {
            separator,
            year_digits,
            ..
        } => {
            let mut pairs = Vec::new();
            for w in &written {
                match w {
                    Written::Numeric {
                        first,
                        second,
                        separator: s,
                        year_digits: y,
                    } if s == separator && y == year_digits => pairs.push((*first, *second)),
                    _ => return (None, Some("dates are written in several ways".into())),
                }
            }
            let Some(order) = numeric_order(&pairs, *separator, page.language.as_deref()) else {
                return (
                    None,
                    Some("dates contradict each other on day/month order".into()),
                );
            };
            let why = if pairs.iter().any(|&(a, _)| a > 12) {
                "a first number above 12 proves day first"
            } else if pairs.iter().any(|&(_, b)| b > 12) {
                "a second number above 12 proves month first"
            } else if order == Order::MonthFirst {
                "ambiguous: month first, as the page is en-US"
            } else {
                "ambiguous: day first (the default)"
            };
            (first.format(order), Some(why.into()))
        }
        Written::YearFirst { separator } => {
            let same = written
                .iter()
                .all(|w| matches!(w, Written::YearFirst { separator: s } if s == separator));
            (same.then(|| first.format(Order::DayFirst)).flatten(), None)
        }
        Written::Iso | Written::Named => (None, None),
    }
}

/// Per item: its entry values when it has a title and a web link.
fn values(page: &Page, c: &Candidate) -> Vec<Option<Values>> {
    (0..c.items.len())
        .map(|k| {
            let title = c.title.nodes[k].and_then(|ix| read(page, ix, None))?;
            let link = page.link(c.link.nodes[k]?)?;
            let date = c.date.as_ref().and_then(|d| {
                let ix = d.field.nodes[k]?;
                parse_date(&read(page, ix, d.field.attr)?, d.format.as_deref())
            });
            Some(Values {
                title,
                url: link.url.clone()?,
                target: link.target.clone()?,
                date,
            })
        })
        .collect()
}

/// The link an element is or is inside of, up to `item`.
pub(super) fn enclosing_link<'p>(
    page: &'p Page,
    ix: Ix,
    item: Ix,
) -> Option<&'p super::page::Link> {
    let mut at = ix;
    loop {
        if let Some(l) = page.link(at) {
            return Some(l);
        }
        if at == item {
            return None;
        }
        at = page.node(at).parent?;
    }
}

#[cfg(test)]
mod tests {
    use scraper::Html;

    use super::*;

    #[test]
    fn text_stats_measure_what_text_of_builds() {
        let html = r#"<html><body><div class="card"> <b>Moldova</b><span>06.02.20</span>
            <h3>  Arbitrary <i>detention</i>of   Mr. A</h3><p></p><p>   </p></div></body></html>"#;
        let doc = Html::parse_document(html);
        for el in doc.root_element().descendent_elements() {
            let text = text_of(el);
            let stats = text_stats(el);
            assert_eq!(stats.words, words(&text), "{text:?}");
            assert_eq!(stats.chars, text.chars().count(), "{text:?}");
            assert_eq!(
                stats.digits,
                text.chars().any(|c| c.is_ascii_digit()),
                "{text:?}"
            );
        }
    }
}
