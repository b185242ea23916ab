//! The score of a candidate list, as a sum of named components so that `inspect` can
//! say why one list won: how many entries, how title-like their texts are, how many
//! distinct pages of this site they lead to, dates, headings, summaries, and where the
//! list sits (main content, or navigation, header, footer, sidebar, menus, pagination,
//! share buttons, language switchers, tag clouds).

use super::candidates::{Candidate, Values};
use super::page::{PAGE_HEADER, Page};

/// One reason for a candidate's score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Component {
    /// Short name: `entries`, `titles`, `dates`, `boilerplate`...
    pub name: &'static str,
    /// What was measured, in words: "15 entries", "4.2 words on average".
    pub measured: String,
    /// What it adds to the score (negative for a penalty).
    pub points: f64,
}

/// The components of a candidate's score; the score is their sum.
pub(super) fn score(page: &Page, c: &Candidate) -> Vec<Component> {
    let mut s = Scored::default();
    let entries: Vec<_> = c.entries().collect();
    let n = entries.len() as f64;
    s.add("entries", format!("{n} entries"), 10.0 * n.min(100.0).ln());
    titles(&mut s, &entries, n);
    links(&mut s, page, &entries, n);
    let dated = entries.iter().filter(|e| e.date.is_some()).count() as f64;
    if dated > 0.0 {
        s.add("dates", format!("{dated} of {n} dated"), 15.0 * dated / n);
    }
    let headed = c
        .title
        .nodes
        .iter()
        .flatten()
        .filter(|&&t| page.node(t).title_hint >= 2)
        .count() as f64;
    if headed > 0.0 {
        s.add(
            "heading titles",
            format!("{headed} titles are headings or title-classed"),
            8.0 * headed / n,
        );
    }
    if c.summary.is_some() {
        s.add("summary", "entries have a summary".into(), 4.0);
    }
    let first = page.node(c.items[0]);
    if first.in_main {
        s.add(
            "main content",
            "inside the page's main content".into(),
            10.0,
        );
    }
    if let Some(why) = first.boiler {
        let points = if why == PAGE_HEADER { -20.0 } else { -35.0 };
        s.add("boilerplate", format!("inside {why}"), points);
    }
    s.0
}

/// The components gathered so far, rounded to a tenth.
#[derive(Default)]
struct Scored(Vec<Component>);

impl Scored {
    fn add(&mut self, name: &'static str, measured: String, points: f64) {
        self.0.push(Component {
            name,
            measured,
            points: (points * 10.0).round() / 10.0,
        });
    }
}

/// How title-like the entries' titles are: words, and none a bare number.
fn titles(s: &mut Scored, entries: &[&Values], n: f64) {
    let words: Vec<usize> = entries
        .iter()
        .map(|e| e.title.split_whitespace().count())
        .collect();
    let avg = words.iter().sum::<usize>() as f64 / n;
    s.add(
        "titles",
        format!("{avg:.1} words per title"),
        4.0 * avg.min(8.0) - 8.0,
    );
    let numeric = entries
        .iter()
        .filter(|e| !e.title.chars().any(char::is_alphabetic))
        .count() as f64;
    if numeric > 0.0 {
        s.add(
            "numbers as titles",
            format!("{numeric} titles without a letter (page numbers?)"),
            -25.0 * numeric / n,
        );
    }
}

/// Where the entries lead: distinct pages, of this site.
fn links(s: &mut Scored, page: &Page, entries: &[&Values], n: f64) {
    let mut targets: Vec<&str> = entries.iter().map(|e| e.target.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();
    let distinct = targets.len() as f64;
    if distinct < n {
        s.add(
            "distinct pages",
            format!("{distinct} distinct pages for {n} entries"),
            -30.0 * (1.0 - distinct / n),
        );
    }
    let on_site = entries.iter().filter(|e| page.on_site(&e.url)).count() as f64;
    if on_site < n {
        s.add(
            "other sites",
            format!("{} of {n} links lead to other sites", n - on_site),
            -15.0 * (1.0 - on_site / n),
        );
    }
}

pub(super) fn total(components: &[Component]) -> f64 {
    let sum: f64 = components.iter().map(|c| c.points).sum();
    (sum * 10.0).round() / 10.0
}
