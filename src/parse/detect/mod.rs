//! Listing pages read without selectors: find the repeated structure that holds a
//! page's entries, read them, and propose the `[sources.html]` selectors that read the
//! same entries with [`parse_listing`](super::html::parse_listing).
//!
//! [`detect`] takes a page and the URL it came from and returns a [`Detection`]:
//! - `entries`: title, absolute link, date, summary and labels of each entry, in page
//!   order, as the [`ListingItem`]s that `parse_listing` returns;
//! - `selectors` ([`Selectors`]): the `[sources.html]` table (`item`, `title`, `link`,
//!   `date`, `date_format`, `summary`, `[extra]`), as strings and as TOML, and `spec`,
//!   the same compiled. Applying them with `parse_listing` yields the same entries:
//!   every selector is checked against what detection read, on the same parsed page,
//!   with the same `Pick` code;
//! - `explanation` ([`Explanation`]): the winner's score by component, and what came
//!   second.
//!
//! How (one parse, one pass over the elements, then work per repeated structure):
//! 1. [`page`]: every element with its tag path (tags and stable classes from the
//!    root), where it sits (main content, or `nav`, `header`, `footer`, `aside`,
//!    menus, pagination, share buttons, language switchers, tag clouds), and every
//!    link resolved as `parse_listing` resolves it (`<base href>` included);
//! 2. [`candidates`]: elements sharing a tag path are one candidate list; in each item
//!    the entry link is the link path found in most items, preferring headings and
//!    words, and an item holding several different pages at that path makes the list a
//!    container, not entries; then the title (heading, title-classed element, or the
//!    link's text), the date ([`dates`](super::dates): `time@datetime` or a short text with a date
//!    in five languages), and ([`texts`]) a summary and labels (country, type...);
//! 3. the same entries found at several levels (`li` and `li > a`) are one candidate:
//!    the level whose every element is an entry, then the outermost, is kept;
//! 4. [`score`]: a sum of named components, highest wins; ties go to the list that
//!    comes first in the page;
//! 5. [`selectors`]: the simplest selectors that read exactly those entries.
//!
//! Everything is ordered by position in the page, never by hash order: the same page
//! gives the same entries, selectors and explanation every time. Class names are used
//! only to write selectors and as hints (a `title` class, a `pagination` region), never
//! to find the list, so a redesign that renames classes finds the same entries.
//!
//! A list needs two entries: a page with one (the last page of a listing) is no
//! repeated structure, [`DetectError::NoListing`]; read it with the selectors found on
//! page one. A winner must score above 0, so a page of navigation alone is an error,
//! not its menu.
//!
//! ## Against rss-proxy's corpus
//! `tests/detect.rs` reads the eight pages of `../shared/corpus/listings/rss-proxy`
//! (as served from `http://example.com`) and compares the links with rss-proxy's.
//! "Judged" is the list of entries a reader would expect, decided page by page:
//!
//! | page | rss-proxy | detect | agreed | P / R vs rss-proxy | judged entries | rss-proxy P / R judged | detect P / R judged |
//! |---|---|---|---|---|---|---|---|
//! | paulgraham | 194 (+3 repeats) | 194 (+1 repeat) | 194 | 1.00 / 1.00 | 194 | 1.00 / 1.00 | 1.00 / 1.00 |
//! | spencermounta.in | 32 | 32 | 32 | 1.00 / 1.00 | 32 | 1.00 / 1.00 | 1.00 / 1.00 |
//! | spotify | 2 | 2 | 2 | 1.00 / 1.00 | 2 | 1.00 / 1.00 | 1.00 / 1.00 |
//! | telepolis | 15 | 15 | 15 | 1.00 / 1.00 | 16 | 1.00 / 0.94 | 1.00 / 0.94 |
//! | arzg.github.io | 21 | 20 | 20 | 1.00 / 0.95 | 19 | 0.90 / 1.00 | 0.95 / 1.00 |
//! | brandonsmith.ninja | 12 | 12 | 12 | 1.00 / 1.00 | 12 | 1.00 / 1.00 | 1.00 / 1.00 |
//! | jon.bo | 5 | 5 | 5 | 1.00 / 1.00 | 5 | 1.00 / 1.00 | 1.00 / 1.00 |
//! | craigslist | 120 | 120 | 120 | 1.00 / 1.00 | 120 | 1.00 / 1.00 | 1.00 / 1.00 |
//!
//! Where the two differ, and who is right:
//! - arzg: the intro sentence ("… called Eldiro using the Rust programming language")
//!   links to GitHub and rust-lang.org; rss-proxy takes both links as entries. They are
//!   not parts of the series. Detection reads the intro paragraph as one more `main >
//!   p` item and takes its first link ("Eldiro"): one wrong entry instead of two.
//! - telepolis: both miss the top teaser ("Nieten, Loser und Versager…"), a single
//!   article in its own block above the list: one element is no repeated structure.
//! - paulgraham: the intro ("try Life is Short, Do Things that Don't Scale, or The
//!   Refragmentation") links to three essays that the list has too; rss-proxy repeats
//!   all three, detection repeats the first (the intro is a `td > font` like the
//!   rows). Storage deduplicates by link, so no item is doubled.
//! - Beyond the links, detection reads what rss-proxy's list does not give: titles
//!   (`.track-name` rather than the whole Spotify row), dates on four pages (Spotify's
//!   `11/05/2020` read day first: the page does not say `en-US`, and nothing above 12
//!   settles it), summaries (jon.bo, telepolis, spencermounta.in), labels (craigslist's
//!   neighbourhood, telepolis' author), and the selectors that read them again.
//!
//! html2rss's `auto_source` (Ruby) could not be run here: it is not packaged for
//! Debian and rubygems is out of reach. From its source, its generic scraper collects
//! the most frequent anchor paths (top five, at least two each), climbs from each
//! anchor to the first ancestor whose parent holds more anchors, and unions the items
//! of several scrapers (schema.org, microdata, `article`/`section`/`li`/`tr`
//! containers holding a link), with URL- and text-based noise filters. So it returns
//! entries from several lists at once rather than one list with its score, proposes no
//! selectors that a configured source could keep, and has no date reader for the five
//! languages. No figures for it are claimed here: it was not run.

mod candidates;
mod page;
mod score;
mod selectors;
mod texts;

use std::fmt;

use scraper::Html;
use url::Url;

use super::bounds::cap_document;
use super::html::{Listing, ListingItem, ListingSpec, Pick, Sel, entry, page_of};
use crate::model::ParsedItem;
use candidates::{Candidate, Field, read};
use page::Page;
pub use score::Component;
use selectors::{Expect, expected_first, field_selector, item_selector};

/// Why a page yielded no listing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DetectError {
    /// No repeated structure with links to two or more pages with a title, or only
    /// lists that look like navigation (score 0 or less).
    #[error(
        "found no list of entries: no repeated structure outside navigation links to two or more pages with a title"
    )]
    NoListing,
    /// Candidates were found but no selector reads them (should not happen; the
    /// candidates are named so the page can be reported).
    #[error("found {0} candidate lists but could not write selectors for any of them")]
    NoSelectors(usize),
}

/// The `[sources.html]` keys detection proposes, as the operator would write them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Selectors {
    pub item: String,
    pub title: String,
    pub link: String,
    pub date: Option<String>,
    /// Only for numeric dates (`%d.%m.%y`): dates with a month name or ISO dates are
    /// read without one.
    pub date_format: Option<String>,
    pub summary: Option<String>,
    /// `[sources.html.extra]`: name and selector of each label.
    pub extra: Vec<(String, String)>,
}

impl Selectors {
    /// The selectors as a `[sources.html]` table (and its `[sources.html.extra]`), to
    /// paste under a `[[sources]]` entry.
    pub fn to_toml(&self) -> String {
        self.write("sources.html")
    }

    /// The selectors as a selectors file for `tocsin inspect --html` (keys at the top,
    /// `[extra]`).
    pub fn to_selectors_file(&self) -> String {
        self.write("")
    }

    /// The selectors on one line, as a TOML inline table (`{ item = "…", title = "…",
    /// … }`): `html = ` and this in a `[[sources]]` entry is its `[sources.html]`.
    /// Messages carry it (the layout-change error, the log) and
    /// [`Selectors::from_inline`] reads it back.
    pub fn to_inline(&self) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut parts = vec![
            format!("item = {}", q(&self.item)),
            format!("title = {}", q(&self.title)),
            format!("link = {}", q(&self.link)),
        ];
        for (k, v) in self.optional() {
            if let Some(v) = v {
                parts.push(format!("{k} = {}", q(v)));
            }
        }
        if !self.extra.is_empty() {
            let extra: Vec<String> = self
                .extra
                .iter()
                .map(|(n, sel)| format!("{} = {}", key(n), q(sel)))
                .collect();
            parts.push(format!("extra = {{ {} }}", extra.join(", ")));
        }
        format!("{{ {} }}", parts.join(", "))
    }

    /// Reads back what [`Selectors::to_inline`] wrote.
    pub fn from_inline(inline: &str) -> Option<Selectors> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Inline {
            item: String,
            title: String,
            link: String,
            date: Option<String>,
            date_format: Option<String>,
            summary: Option<String>,
            #[serde(default)]
            extra: std::collections::BTreeMap<String, String>,
        }
        #[derive(serde::Deserialize)]
        struct Html {
            html: Inline,
        }
        let h: Html = toml::from_str(&format!("html = {inline}")).ok()?;
        let i = h.html;
        Some(Selectors {
            item: i.item,
            title: i.title,
            link: i.link,
            date: i.date,
            date_format: i.date_format,
            summary: i.summary,
            extra: i.extra.into_iter().collect(),
        })
    }

    fn optional(&self) -> [(&'static str, &Option<String>); 3] {
        [
            ("date", &self.date),
            ("date_format", &self.date_format),
            ("summary", &self.summary),
        ]
    }

    fn write(&self, table: &str) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out = String::new();
        if !table.is_empty() {
            out.push_str(&format!("[{table}]\n"));
        }
        out.push_str(&format!("item = {}\n", q(&self.item)));
        out.push_str(&format!("title = {}\n", q(&self.title)));
        out.push_str(&format!("link = {}\n", q(&self.link)));
        for (k, v) in self.optional() {
            if let Some(v) = v {
                out.push_str(&format!("{k} = {}\n", q(v)));
            }
        }
        if !self.extra.is_empty() {
            let extra = if table.is_empty() {
                "extra".to_string()
            } else {
                format!("{table}.extra")
            };
            out.push_str(&format!("\n[{extra}]\n"));
            for (name, sel) in &self.extra {
                out.push_str(&format!("{} = {}\n", key(name), q(sel)));
            }
        }
        out
    }

    /// The selectors compiled, as a configured source would have them (no `next`).
    pub fn spec(&self) -> Result<ListingSpec, String> {
        let opt = |v: &Option<String>| v.as_deref().map(|s| Pick::parse(s, None)).transpose();
        Ok(ListingSpec {
            item: Sel::parse(&self.item)?,
            title: Pick::parse(&self.title, None)?,
            link: Pick::parse(&self.link, Some("href"))?,
            date: opt(&self.date)?,
            date_format: self.date_format.clone(),
            summary: opt(&self.summary)?,
            extras: self
                .extra
                .iter()
                .map(|(n, s)| Pick::parse(s, None).map(|p| (n.clone(), p)))
                .collect::<Result<_, _>>()?,
            next: None,
        })
    }
}

/// A TOML key: bare when it can be, quoted otherwise.
fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        name.to_string()
    } else {
        toml::Value::String(name.to_string()).to_string()
    }
}

/// What detection proposes for a page whose configured selectors matched nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub selectors: Selectors,
    /// How many entries they read.
    pub entries: usize,
    /// The first entry's title, to recognise the list.
    pub first: String,
}

/// What comes before the inline table in a proposal's text; [`proposal_in`] looks for
/// it.
const PROPOSES: &str = "detection proposes, for the page as it is now";

impl fmt::Display for Proposal {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{PROPOSES} ({} entries, the first \"{}\"): html = {}",
            self.entries,
            self.first,
            self.selectors.to_inline()
        )
    }
}

impl Proposal {
    pub fn of(d: &Detection) -> Proposal {
        Proposal {
            selectors: d.selectors.clone(),
            entries: d.entries.len(),
            first: d
                .entries
                .first()
                .map(|e| e.item.title.chars().take(80).collect())
                .unwrap_or_default(),
        }
    }
}

/// The selectors a message (a stored last error, a log line) proposes, when it carries
/// a [`Proposal`]: what `status` shows as a `[sources.html]` table.
pub fn proposal_in(message: &str) -> Option<Selectors> {
    split_proposal(message).1
}

/// A message cut before the [`Proposal`] it carries (`"…; detection proposes…"`), and
/// the proposal's selectors; the whole message and `None` when it carries none.
pub fn split_proposal(message: &str) -> (&str, Option<Selectors>) {
    let Some(at) = message.rfind(PROPOSES) else {
        return (message, None);
    };
    let rest = &message[at..];
    let Some(table_at) = rest.find("html = {") else {
        return (message, None);
    };
    let table = &rest[table_at + "html = ".len()..];
    // The table ends at one of its closing braces: try from the last one back.
    let found = table
        .match_indices('}')
        .rev()
        .find_map(|(i, _)| Selectors::from_inline(&table[..=i]));
    match found {
        Some(s) => (message[..at].trim_end_matches([' ', ';']), Some(s)),
        None => (message, None),
    }
}

/// One candidate list as `inspect` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ranked {
    /// Its `item` selector (the winner's is the proposed one).
    pub item: String,
    pub entries: usize,
    pub score: f64,
    pub components: Vec<Component>,
    /// Its first titles, to recognise it.
    pub sample: Vec<String>,
}

/// Why the winner won.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Explanation {
    pub winner: Ranked,
    /// The best list with other entries, when there is one.
    pub runner_up: Option<Ranked>,
    /// Candidate lists scored (after merging the same entries found at several levels).
    pub candidates: usize,
    /// How the date format was decided (day or month first), when dates are numeric.
    pub date_order: Option<String>,
}

impl fmt::Display for Ranked {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        writeln!(
            f,
            "`{}`: {} entries, score {:.1}",
            self.item, self.entries, self.score
        )?;
        for c in &self.components {
            writeln!(f, "  {:+7.1}  {}: {}", c.points, c.name, c.measured)?;
        }
        if !self.sample.is_empty() {
            writeln!(f, "  first: {}", self.sample.join(" | "))?;
        }
        Ok(())
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "chosen among {} candidate lists: {}",
            self.candidates, self.winner
        )?;
        if let Some(why) = &self.date_order {
            writeln!(f, "  date order: {why}")?;
        }
        match &self.runner_up {
            Some(r) => write!(f, "second: {r}"),
            None => writeln!(f, "no other candidate list"),
        }
    }
}

/// What detection found on a page.
#[derive(Debug, Clone)]
pub struct Detection {
    /// The entries, in page order, as `parse_listing` reads them with `spec`.
    pub entries: Vec<ListingItem>,
    pub selectors: Selectors,
    /// `selectors`, compiled.
    pub spec: ListingSpec,
    pub explanation: Explanation,
}

impl Detection {
    /// The entries as the rest of the pipeline takes them.
    pub fn into_parsed(self) -> Vec<ParsedItem> {
        self.entries.into_iter().map(|i| i.item).collect()
    }
}

/// Finds the entries of a listing page fetched from `page_url`.
pub fn detect(html: &str, page_url: &Url) -> Result<Detection, DetectError> {
    // Nesting capped first, as for configured listings: html5ever's cost grows with
    // the square of the depth.
    let doc = Html::parse_document(&cap_document(html));
    detect_in(&doc, page_url)
}

/// Detection as a poll reads a page: the entries as a [`Listing`], with what the page
/// says besides (title, language, and the next page by `next`, the source's own
/// `next` selector), read as `parse_listing` reads them; and the detection, whose
/// `spec` carries `next` too, so later pages are read the same way. One parse.
pub fn detect_listing(
    html: &str,
    page_url: &Url,
    next: Option<&Pick>,
) -> Result<(Listing, Detection), DetectError> {
    let doc = Html::parse_document(&cap_document(html));
    let mut d = detect_in(&doc, page_url)?;
    d.spec.next = next.cloned();
    let (mut listing, _) = page_of(&doc, page_url, &d.spec);
    listing.matched = d.entries.len();
    listing.items = d.entries.clone();
    Ok((listing, d))
}

fn detect_in(doc: &Html, page_url: &Url) -> Result<Detection, DetectError> {
    let page = Page::new(doc, page_url);
    let cands = candidates::candidates(&page);
    let mut ranked: Vec<(f64, Vec<Component>, Candidate)> = merge_levels(&page, cands)
        .into_iter()
        .map(|c| {
            let comps = score::score(&page, &c);
            (score::total(&comps), comps, c)
        })
        .collect();
    if ranked.is_empty() {
        return Err(DetectError::NoListing);
    }
    // Highest score first; equal scores in page order (the sort is stable).
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let considered = ranked.len();
    // A list scoring 0 or less is navigation or a few stray links, not entries.
    if ranked[0].0 <= 0.0 {
        return Err(DetectError::NoListing);
    }
    let (won, selectors, date_order) = ranked
        .iter()
        .enumerate()
        .take_while(|(_, (score, ..))| *score > 0.0)
        .find_map(|(i, (_, _, c))| propose(&page, c).map(|(s, why)| (i, s, why)))
        .ok_or(DetectError::NoSelectors(considered))?;
    let spec = selectors
        .spec()
        .map_err(|_| DetectError::NoSelectors(considered))?;
    let winner = &ranked[won].2;
    let entries = read_entries(&page, doc, winner, &spec);
    let describe = |(score, comps, c): &(f64, Vec<Component>, Candidate), item: String| Ranked {
        item,
        entries: c.entry_count(),
        score: *score,
        components: comps.clone(),
        sample: c.entries().take(3).map(|e| e.title.clone()).collect(),
    };
    let winner_targets: Vec<&str> = winner.entries().map(|e| e.target.as_str()).collect();
    let runner_up = ranked
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != won)
        .find(|(_, r)| {
            r.2.entries()
                .map(|e| e.target.as_str())
                .ne(winner_targets.iter().copied())
        })
        .map(|(_, r)| {
            describe(
                r,
                item_selector(&page, &r.2).unwrap_or_else(|| path_of(&page, &r.2)),
            )
        });
    Ok(Detection {
        entries,
        explanation: Explanation {
            winner: describe(&ranked[won], selectors.item.clone()),
            runner_up,
            candidates: considered,
            date_order,
        },
        selectors,
        spec,
    })
}

/// The same entries found at several levels (`li`, `li > a`) are one list: keep the
/// level where every element is an entry, then the outermost.
fn merge_levels(page: &Page, all: Vec<Candidate>) -> Vec<Candidate> {
    let mut kept: Vec<Candidate> = Vec::new();
    for c in all {
        let same = kept.iter().position(|k| {
            k.entries()
                .map(|e| &e.target)
                .eq(c.entries().map(|e| &e.target))
        });
        match same {
            None => kept.push(c),
            Some(i) => {
                let k = &kept[i];
                let rank = |c: &Candidate| (c.group - c.items.len(), c.depth(page));
                if rank(&c) < rank(k) {
                    kept[i] = c;
                }
            }
        }
    }
    kept
}

/// A candidate's tag path, for the explanation when no selector was written for it.
fn path_of(page: &Page, c: &Candidate) -> String {
    let mut steps = Vec::new();
    let mut at = Some(c.items[0]);
    while let Some(ix) = at {
        steps.push(page.tag(ix).to_string());
        at = page.node(ix).parent;
    }
    steps.reverse();
    steps.join(" > ")
}

/// Selectors for a candidate: `None` when `item`, `title` or `link` cannot be written;
/// a date, summary or label whose selector cannot be written is left out.
fn propose(page: &Page, c: &Candidate) -> Option<(Selectors, Option<String>)> {
    let item = item_selector(page, c)?;
    let targets = |f: &Field| f.nodes.iter().flatten().copied().collect::<Vec<_>>();
    let field = |f: &Field, default_attr: Option<&str>| {
        field_selector(
            page,
            c,
            &f.key,
            &targets(f),
            f.attr,
            default_attr,
            &expected_first(page, f),
        )
    };
    let link = field(&c.link, Some("href"))?;
    let title = field(&c.title, None)?;
    let date = c
        .date
        .as_ref()
        .and_then(|d| field(&d.field, None).map(|s| (s, d)));
    let summary = c.summary.as_ref().and_then(|s| field(s, None));
    let mut extra = Vec::new();
    for e in &c.extras {
        let values: Vec<Vec<String>> = e
            .nodes
            .iter()
            .map(|v| {
                let mut out: Vec<String> = Vec::new();
                for &ix in v {
                    if let Some(t) = read(page, ix, None)
                        && !out.contains(&t)
                    {
                        out.push(t);
                    }
                }
                out
            })
            .collect();
        let targets: Vec<_> = e.nodes.iter().flatten().copied().collect();
        if let Some(s) = field_selector(page, c, &e.key, &targets, None, None, &Expect::All(values))
        {
            extra.push((e.name.clone(), s));
        }
    }
    // The config reads `[extra]` as a sorted table: the same order here, so that the
    // categories come in the same order too.
    extra.sort();
    Some((
        Selectors {
            item,
            title,
            link,
            date_format: date.as_ref().and_then(|(_, d)| d.format.clone()),
            date: date.as_ref().map(|(s, _)| s.clone()),
            summary,
            extra,
        },
        date.and_then(|(_, d)| d.why.clone()),
    ))
}

/// The winner's entries: the elements detection chose (checked above to be what the
/// selectors read), each built by [`entry`], as `parse_listing` builds them.
fn read_entries(page: &Page, doc: &Html, c: &Candidate, spec: &ListingSpec) -> Vec<ListingItem> {
    let language = doc
        .root_element()
        .value()
        .attr("lang")
        .and_then(crate::text::language::clean_tag);
    c.items
        .iter()
        .zip(&c.values)
        .filter_map(|(&item, v)| {
            let v = v.as_ref()?;
            let el = page.node(item).el;
            Some(entry(
                el,
                spec,
                v.title.clone(),
                v.url.clone(),
                language.as_deref(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests;
