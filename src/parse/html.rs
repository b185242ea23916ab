//! HTML listing pages: CSS selectors (scraper, on html5ever) pick one element per
//! entry, then its title, link, date, summary and named extras.
//!
//! A *pick* is how the config names a value: `SELECTOR` (the element's text),
//! `SELECTOR@ATTR` (an attribute, e.g. `a@href`, `time@datetime`) or `@ATTR` (an
//! attribute of the item element itself), or a comma-separated list of these tried in
//! order (`.card__date, time@datetime`). Within an item, the item element itself is
//! tried first, then its descendants in document order, and the first non-empty value
//! wins, so `a@href` works whether the card *is* the link or contains it, and `h2, h3`
//! takes the `h2` if it has text, else the `h3`.
//!
//! Parsing never fails on a page: [`parse_listing`] reports what matched and what did
//! not, and [`Listing::check`] turns "nothing usable" into the layout-change error the
//! operator must see.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::bounds::{
    MAX_CATEGORIES, MAX_CONTENT_BYTES, MAX_SUMMARY_BYTES, bound_item, cap_document,
};
use super::{Detected, ParseError};
use crate::model::ParsedItem;
use crate::text::{collapse_whitespace as collapse, cut_html, language};

/// A CSS selector as configured, compiled: whole (for `item`, every element that
/// matches any part of the list) and part by part (for `content`, the first part that
/// matches anything).
#[derive(Debug, Clone)]
pub struct Sel {
    /// As written in the config, for messages.
    pub raw: String,
    selector: Selector,
    alts: Vec<Selector>,
}

impl Sel {
    /// Compiles a selector; the message says what is wrong with it.
    pub fn parse(raw: &str) -> Result<Sel, String> {
        if raw.trim().is_empty() {
            return Err("must not be empty".into());
        }
        let selector = compile(raw)?;
        let alts = split_top_level(raw, ',')
            .into_iter()
            .map(|part| compile(part.trim()))
            .collect::<Result<_, _>>()?;
        Ok(Sel {
            raw: raw.to_string(),
            selector,
            alts,
        })
    }
}

/// Where a value comes from: one or more alternatives, each an element (or the item
/// itself) and, optionally, one of its attributes.
#[derive(Debug, Clone)]
pub struct Pick {
    /// As written in the config, for messages.
    pub raw: String,
    alts: Vec<Alt>,
    /// `SELECTORS /REGEX/`: the part of each value the regex's first group captures
    /// (its whole match without a group); a value it does not match is skipped.
    capture: Option<regex::Regex>,
}

/// How large a capture's compiled regex may be (a config cannot make one costly).
const CAPTURE_SIZE_LIMIT: usize = 1 << 20;

/// Splits `SELECTORS /REGEX/` at the first ` /` outside brackets and quotes (a CSS
/// selector has no `/` of its own); the regex without its slashes.
fn split_capture(raw: &str) -> Result<(&str, Option<regex::Regex>), String> {
    let mut at = None;
    let mut prev = ' ';
    scan_top_level(raw, |i, c| {
        if at.is_none() && c == '/' && prev.is_whitespace() {
            at = Some(i);
        }
        prev = c;
    });
    let Some(at) = at else {
        return Ok((raw, None));
    };
    let pattern = raw[at + 1..].trim_end();
    let Some(pattern) = pattern.strip_suffix('/') else {
        return Err(format!(
            "`{}`: a capture is written between slashes, as in \".card__meta /^([^0-9]+?)\\s*[0-9]/\"",
            raw.trim()
        ));
    };
    let re = regex::RegexBuilder::new(pattern)
        .size_limit(CAPTURE_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("`/{pattern}/`: not a regular expression: {e}"))?;
    Ok((&raw[..at], Some(re)))
}

/// One alternative of a [`Pick`]: `SELECTOR`, `SELECTOR@ATTR` or `@ATTR`.
#[derive(Debug, Clone)]
struct Alt {
    /// `None`: the item element itself.
    selector: Option<Selector>,
    /// `None`: the element's text.
    attr: Option<String>,
}

impl Pick {
    /// Parses a comma-separated list of `SELECTOR`, `SELECTOR@ATTR` or `@ATTR`
    /// alternatives, tried in order (`.card__date, time@datetime`). Without `@`,
    /// `default_attr` is used (e.g. `href` for links), else the element's text.
    pub fn parse(raw: &str, default_attr: Option<&str>) -> Result<Pick, String> {
        if raw.trim().is_empty() {
            return Err("must not be empty".into());
        }
        let (selectors, capture) = split_capture(raw)?;
        let mut alts = Vec::new();
        for part in split_top_level(selectors, ',') {
            let (sel, attr) = split_attr(part)?;
            let selector = match sel.trim() {
                "" if attr.is_none() => {
                    return Err(format!("`{raw}`: an empty alternative between commas"));
                }
                "" => None,
                s => Some(compile(s)?),
            };
            alts.push(Alt {
                selector,
                attr: attr.or(default_attr).map(str::to_string),
            });
        }
        Ok(Pick {
            raw: raw.to_string(),
            alts,
            capture,
        })
    }

    /// Every non-empty value under `scope`: alternative by alternative, and within one
    /// the scope itself (when it matches) and then its descendants in document order.
    fn values<'a>(&'a self, scope: ElementRef<'a>) -> impl Iterator<Item = String> + 'a {
        self.alts.iter().flat_map(move |alt| {
            let elements: Box<dyn Iterator<Item = ElementRef<'a>>> = match &alt.selector {
                None => Box::new(std::iter::once(scope)),
                Some(sel) => {
                    let own = sel.matches(&scope).then_some(scope);
                    Box::new(own.into_iter().chain(scope.select(sel)))
                }
            };
            elements.filter_map(move |el| {
                match &alt.attr {
                    Some(a) => el.value().attr(a).map(|v| v.trim().to_string()),
                    None => Some(text_of(el)),
                }
                .and_then(|v| self.captured(v))
                .filter(|v| !v.is_empty())
            })
        })
    }

    /// `value` through the capture, if there is one.
    fn captured(&self, value: String) -> Option<String> {
        let Some(re) = &self.capture else {
            return Some(value);
        };
        let caps = re.captures(&value)?;
        let m = caps.get(1).or_else(|| caps.get(0))?;
        Some(m.as_str().trim().to_string())
    }

    /// The first non-empty value under `scope`.
    pub fn first(&self, scope: ElementRef) -> Option<String> {
        self.values(scope).next()
    }

    /// Every distinct non-empty value under `scope`, the first `max` of them.
    pub fn all(&self, scope: ElementRef, max: usize) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<String> = Vec::new();
        for v in self.values(scope) {
            if out.len() >= max {
                break;
            }
            if seen.insert(v.clone()) {
                out.push(v);
            }
        }
        out
    }
}

/// Compiles a selector, with a one-line message an operator can act on.
fn compile(css: &str) -> Result<Selector, String> {
    use scraper::error::SelectorErrorKind as K;
    Selector::parse(css).map_err(|e| {
        let why = match e {
            K::UnexpectedToken => "unexpected character".to_string(),
            K::EndOfLine => "it ends too early".to_string(),
            // selectors' own kinds (`ClassNeedsIdent(..)`, `EmptySelector`...), in words.
            K::UnexpectedSelectorParseError(kind) => {
                let name = format!("{kind:?}");
                let name = name.split('(').next().unwrap_or("");
                let mut words = String::new();
                for c in name.chars() {
                    if c.is_ascii_uppercase() && !words.is_empty() {
                        words.push(' ');
                    }
                    words.push(c.to_ascii_lowercase());
                }
                words
            }
            other => other.to_string().to_lowercase(),
        };
        format!("`{css}` is not a valid CSS selector ({why})")
    })
}

/// Splits at `sep` outside brackets, parentheses and quotes.
fn split_top_level(raw: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    scan_top_level(raw, |i, c| {
        if c == sep {
            out.push(&raw[start..i]);
            start = i + c.len_utf8();
        }
    });
    out.push(&raw[start..]);
    out
}

/// Calls `f` with every character outside brackets, parentheses and quotes.
fn scan_top_level(raw: &str, mut f: impl FnMut(usize, char)) {
    let (mut depth, mut quote) = (0i32, None);
    for (i, c) in raw.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth -= 1,
            (None, c) if depth == 0 => f(i, c),
            _ => {}
        }
    }
}

/// Splits `SELECTOR@ATTR` at the last `@` outside brackets and quotes (a selector such
/// as `a[href^="mailto:x@y"]` keeps its `@`).
fn split_attr(raw: &str) -> Result<(&str, Option<&str>), String> {
    let mut at = None;
    scan_top_level(raw, |i, c| {
        if c == '@' {
            at = Some(i);
        }
    });
    let Some(at) = at else {
        return Ok((raw, None));
    };
    let attr = raw[at + 1..].trim();
    let valid = attr
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && attr
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
    if !valid {
        return Err(format!(
            "`{}`: expected an attribute name after `@`, as in \"a@href\"",
            raw.trim()
        ));
    }
    Ok((&raw[..at], Some(attr)))
}

/// The text of an element, whitespace collapsed; no more than a summary may hold is
/// read (see [`super::bounds`]), however much text the element has.
pub(crate) fn text_of(el: ElementRef) -> String {
    let mut text = String::new();
    for t in el.text() {
        if text.len() > MAX_SUMMARY_BYTES {
            break;
        }
        text.push_str(t);
    }
    collapse(&text)
}

/// The selectors that read one listing page (`[sources.html]`), validated. How the
/// source's other pages are read (`follow`, `backfill_pages`…) is the source's
/// ([`crate::source::HtmlSource`]).
#[derive(Debug, Clone)]
pub struct ListingSpec {
    /// One element per entry.
    pub item: Sel,
    pub title: Pick,
    /// Defaults to the `href` attribute.
    pub link: Pick,
    pub date: Option<Pick>,
    /// chrono `strftime` format of `date`, e.g. `%d.%m.%y`; ISO 8601 dates are always
    /// recognised.
    pub date_format: Option<String>,
    pub summary: Option<Pick>,
    /// Named values that become the item's categories (country, type label...).
    pub extras: Vec<(String, Pick)>,
    /// The link to the next listing page (defaults to its `href`).
    pub next: Option<Pick>,
}

/// One entry found on a listing page, with the raw values `inspect` shows.
#[derive(Debug, Clone)]
pub struct ListingItem {
    pub item: ParsedItem,
    /// The date as found on the page, before parsing.
    pub date_text: Option<String>,
    /// Each extra by name with the values it found.
    pub extras: Vec<(String, Vec<String>)>,
}

/// An element matched by `item` that yielded no entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// 1-based position among the elements `item` matched.
    pub position: usize,
    pub reason: String,
}

/// What the selectors found on one page.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub items: Vec<ListingItem>,
    /// `<html lang>`, reduced to its primary tag.
    pub language: Option<String>,
    /// `<title>`.
    pub title: Option<String>,
    /// The next page, when `next` found one.
    pub next: Option<Url>,
    /// How many elements `item` matched.
    pub matched: usize,
    pub skipped: Vec<Skipped>,
    /// Entries with a `date` value that could not be read as a date.
    pub undated: Vec<String>,
    /// A `<base href>` that was not used because it is not an http(s) URL.
    pub ignored_base: Option<String>,
    /// The `item` selector, for messages.
    item_selector: String,
    date_format: Option<String>,
}

impl Listing {
    /// The layout-change error: a page where `item` matched nothing, or where no
    /// matched element had both a title and a link.
    pub fn check(&self) -> Result<(), ParseError> {
        let why = if self.matched == 0 {
            format!(
                "`item` selector `{}` matched no element",
                self.item_selector
            )
        } else if self.items.is_empty() {
            format!(
                "none of the {} elements matched by `item` (`{}`) has both a title and a link",
                self.matched, self.item_selector
            )
        } else {
            return Ok(());
        };
        Err(ParseError::LayoutChanged {
            why,
            detected: Detected::NotTried,
        })
    }

    /// Things the operator should know about a page that still yielded items.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(b) = &self.ignored_base {
            out.push(format!(
                "<base href=\"{b}\"> ignored: a base must be an http(s) address; links resolve against the page's own"
            ));
        }
        if !self.skipped.is_empty() && !self.items.is_empty() {
            out.push(format!(
                "{} of {} items skipped ({}); the page layout may be changing",
                self.skipped.len(),
                self.matched,
                self.skipped[0].reason
            ));
        }
        if let Some(first) = self.undated.first() {
            out.push(format!(
                "{} of {} items have a date that is not {} (first: \"{first}\")",
                self.undated.len(),
                self.items.len(),
                match &self.date_format {
                    Some(f) => format!("`{f}` or ISO 8601"),
                    None => "ISO 8601 (set date_format)".to_string(),
                }
            ));
        }
        out
    }

    /// The entries as the rest of the pipeline takes them.
    pub fn into_parsed(self) -> Vec<ParsedItem> {
        self.items.into_iter().map(|i| i.item).collect()
    }
}

/// Applies `spec` to a listing page fetched from `page_url`.
pub fn parse_listing(html: &str, page_url: &Url, spec: &ListingSpec) -> Listing {
    let doc = Html::parse_document(&cap_document(html));
    let (mut listing, base) = page_of(&doc, page_url, spec);
    for (i, el) in doc.select(&spec.item.selector).enumerate() {
        listing.matched += 1;
        let title = spec.title.first(el);
        let href = spec.link.first(el);
        let link = href.as_deref().and_then(|h| resolve(&base, page_url, h));
        match (title, link) {
            (Some(title), Some(link)) => {
                let entry = entry(el, spec, title, link, listing.language.as_deref());
                if let (Some(t), None) = (&entry.date_text, entry.item.published) {
                    listing.undated.push(t.clone());
                }
                listing.items.push(entry);
            }
            (title, link) => listing.skipped.push(Skipped {
                position: i + 1,
                reason: missing(spec, title.is_none(), link.is_none(), href.as_deref()),
            }),
        }
    }
    listing
}

/// What a listing page says besides its entries, read the same way whether the entries
/// come from selectors or from detection: language, title, the next page (by
/// `spec.next`), an ignored `<base>`; and the URL links resolve against.
pub(crate) fn page_of(doc: &Html, page_url: &Url, spec: &ListingSpec) -> (Listing, Url) {
    let root = doc.root_element();
    let (base, ignored_base) = document_base(doc, page_url);
    let next = spec
        .next
        .as_ref()
        .and_then(|n| n.first(root))
        .and_then(|h| resolve(&base, page_url, &h))
        .and_then(|u| Url::parse(&u).ok())
        .filter(|u| u != page_url);
    let listing = Listing {
        ignored_base,
        language: root.value().attr("lang").and_then(language::clean_tag),
        title: select_first(doc, "title")
            .map(text_of)
            .filter(|t| !t.is_empty()),
        next,
        item_selector: spec.item.raw.clone(),
        date_format: spec.date_format.clone(),
        ..Default::default()
    };
    (listing, base)
}

/// Why an element matched by `item` yielded no entry.
fn missing(spec: &ListingSpec, no_title: bool, no_link: bool, href: Option<&str>) -> String {
    let mut missing = Vec::new();
    if no_title {
        missing.push(format!("no title at `{}`", spec.title.raw));
    }
    if no_link {
        missing.push(match href {
            Some(h) => format!("link `{h}` is not a web address"),
            None => format!("no link at `{}`", spec.link.raw),
        });
    }
    missing.join(", ")
}

/// The entry of one element matched by `item`, with its title and absolute link: the
/// one place an entry is built, for configured selectors ([`parse_listing`]) and for
/// detection alike (which passes the title and link it chose, checked to be what the
/// selectors read).
pub(crate) fn entry(
    el: ElementRef,
    spec: &ListingSpec,
    title: String,
    link: String,
    language: Option<&str>,
) -> ListingItem {
    let date_text = spec.date.as_ref().and_then(|d| d.first(el));
    let published = date_text
        .as_deref()
        .and_then(|t| parse_date(t, spec.date_format.as_deref()));
    let summary = spec
        .summary
        .as_ref()
        .and_then(|s| s.first(el))
        .map(|s| html_escape::encode_text(&s).into_owned());
    let extras: Vec<(String, Vec<String>)> = spec
        .extras
        .iter()
        .map(|(name, pick)| (name.clone(), pick.all(el, MAX_CATEGORIES)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let categories: Vec<String> = extras
        .iter()
        .flat_map(|(_, vs)| vs)
        .filter(|v| seen.insert(v.as_str()))
        .cloned()
        .collect();
    let mut item = ParsedItem {
        link: Some(link),
        title,
        summary,
        categories,
        published,
        language: language.map(str::to_string),
        ..Default::default()
    };
    bound_item(&mut item);
    ListingItem {
        item,
        date_text,
        extras,
    }
}

/// The body of an item page: the inner HTML of every element matched by the first
/// alternative of `content` that matches anything (an element inside one already
/// taken is not taken twice), cut to the content limit (see [`super::bounds`]).
pub fn page_content(html: &str, content: &Sel) -> Option<String> {
    let doc = Html::parse_document(&cap_document(html));
    content.alts.iter().find_map(|sel| {
        let mut taken = std::collections::HashSet::new();
        let mut parts = Vec::new();
        let mut len = 0;
        for el in doc.select(sel) {
            if len > MAX_CONTENT_BYTES {
                break;
            }
            if el.ancestors().any(|a| taken.contains(&a.id())) {
                continue;
            }
            taken.insert(el.id());
            let inner = el.inner_html().trim().to_string();
            if !inner.is_empty() {
                len += inner.len() + 1;
                parts.push(inner);
            }
        }
        (!parts.is_empty()).then(|| cut_html(&parts.join("\n"), MAX_CONTENT_BYTES))
    })
}

fn select_first<'a>(doc: &'a Html, css: &str) -> Option<ElementRef<'a>> {
    let sel = Selector::parse(css).expect("static selector");
    doc.select(&sel).next()
}

/// The URL relative links resolve against: `<base href>` when the page has one that
/// resolves to an http(s) URL, else the page's own URL. A base of any other scheme
/// (`file:///etc/`) is ignored and returned second, for the warning: it would turn the
/// page's links into local files.
pub(crate) fn document_base(doc: &Html, page_url: &Url) -> (Url, Option<String>) {
    let Some(href) = select_first(doc, "base[href]").and_then(|b| b.value().attr("href")) else {
        return (page_url.clone(), None);
    };
    match page_url.join(href.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => (u, None),
        _ => (page_url.clone(), Some(href.trim().to_string())),
    }
}

/// An absolute http(s) link, or, on a page read from a file (a saved page), a link of
/// the page's own scheme: never a `file:` link from a page served over http(s), and
/// (with [`document_base`]) never one a `<base>` made. A `file:` link is only ever
/// shown, never fetched: the fetcher reads a local file only when it is a source's
/// configured `url`.
pub(crate) fn resolve(base: &Url, page_url: &Url, href: &str) -> Option<String> {
    let url = base.join(href.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") || url.scheme() == page_url.scheme())
        .then(|| url.to_string())
}

/// Reads a date: with `format` (chrono strftime, date or date and time), else or
/// failing that ISO 8601 / RFC 3339 / RFC 2822. The whole text is tried first, then
/// each word, so "Published 06.02.20" reads too. Last, a date with a month name in
/// en/fr/es/ro/ru (`6 février 2020`, `6 февраля 2020`) reads without a format; a
/// numeric one (`06.02.20`) needs `format`, as its day/month order is the page's to
/// say. A date without a time is midnight UTC.
pub fn parse_date(text: &str, format: Option<&str>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let words = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '|')));
    let candidates: Vec<&str> = std::iter::once(text).chain(words).collect();
    if let Some(f) = format {
        for c in &candidates {
            if let Some(t) = with_format(c, f) {
                return Some(t);
            }
        }
    }
    candidates
        .iter()
        .find_map(|c| iso(c))
        .or_else(|| super::dates::read_named(text))
}

fn with_format(s: &str, f: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_str(s, f) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(s, f)
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn iso(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    with_format(s, "%Y-%m-%d")
}

/// Checks a strftime format the way chrono will read it.
pub fn check_date_format(f: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if f.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if StrftimeItems::new(f).any(|i| matches!(i, Item::Error)) {
        return Err(format!(
            "`{f}` is not a valid date format (chrono strftime, e.g. \"%d.%m.%y\")"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
