//! `kind` and `[sources.html]`: every selector is compiled at load (scraper), so a typo
//! is a config error naming its key and line, never a source that silently finds
//! nothing.

use std::sync::Arc;

use super::super::raw::{RawHtml, RawKind};
use super::{Checker, KeyPath};
use crate::parse::html::{ListingSpec, Pick, Sel, check_date_format};
use crate::source::SourceKind;

/// Listing pages read on the first poll of an HTML source unless configured.
const DEFAULT_BACKFILL_PAGES: u32 = 3;
const MAX_BACKFILL_PAGES: i64 = 50;

/// Checks that `kind` and the `html` table agree and builds the source's kind.
pub(super) fn source_kind(
    c: &mut Checker,
    key: KeyPath,
    kind: Option<RawKind>,
    html: Option<RawHtml>,
) -> Option<SourceKind> {
    match (kind.unwrap_or(RawKind::Feed), html) {
        (RawKind::Feed, None) => Some(SourceKind::Feed),
        (RawKind::Feed, Some(_)) => {
            c.problem(
                key.key("html"),
                "[sources.html] is read only for `kind = \"html\"` sources: add kind = \"html\" \
                 or remove the table",
            );
            None
        }
        (RawKind::Html, None) => {
            c.problem(
                key.key("kind"),
                "an html source needs a [sources.html] table with item, title and link selectors",
            );
            None
        }
        (RawKind::Html, Some(h)) => {
            listing(c, key.key("html"), h).map(|s| SourceKind::Html(Arc::new(s)))
        }
    }
}

/// Builds the selectors of one listing; `key` is where the table is (`sources[2].html`,
/// or the top level of a selectors file).
pub(super) fn listing(c: &mut Checker, key: KeyPath, h: RawHtml) -> Option<ListingSpec> {
    let item = required(
        c,
        &key,
        "item",
        h.item,
        "one element per entry, e.g. \".card\"",
        Sel::parse,
    );
    let title = required(c, &key, "title", h.title, "e.g. \".card__title\"", |v| {
        Pick::parse(v, None)
    });
    let link = required(c, &key, "link", h.link, "e.g. \"a@href\"", |v| {
        Pick::parse(v, Some("href"))
    });
    let date = optional(c, &key, "date", h.date, |v| Pick::parse(v, None));
    if let Some(f) = &h.date_format {
        if let Err(m) = check_date_format(f) {
            c.problem(key.clone().key("date_format"), m);
        } else if date.is_none() {
            c.warnings.push(format!(
                "{}: ignored: there is no `date` selector",
                key.clone().key("date_format")
            ));
        }
    }
    let summary = optional(c, &key, "summary", h.summary, |v| Pick::parse(v, None));
    let content = optional(c, &key, "content", h.content, Sel::parse);
    let follow = h.follow.unwrap_or(false);
    if follow && content.is_none() {
        c.problem(
            key.clone().key("follow"),
            "follow = true needs a `content` selector: what to take from each item's page",
        );
    } else if !follow && content.is_some() {
        c.warnings.push(format!(
            "{}: ignored: item pages are fetched only with follow = true",
            key.clone().key("content")
        ));
    }
    let next = optional(c, &key, "next", h.next, |v| Pick::parse(v, Some("href")));
    let backfill_pages = backfill_pages(c, &key, h.backfill_pages, next.is_some());
    let follow_hosts = follow_hosts(c, &key, h.follow_hosts, follow || next.is_some());
    let extras = extras(c, &key, h.extra);
    Some(ListingSpec {
        item: item?,
        title: title?,
        link: link?,
        date,
        date_format: h.date_format,
        summary,
        extras,
        follow,
        content,
        next,
        backfill_pages,
        follow_hosts,
    })
}

/// `backfill_pages`: listing pages read on a source's first poll.
fn backfill_pages(c: &mut Checker, key: &KeyPath, value: Option<i64>, has_next: bool) -> u32 {
    match value {
        None => DEFAULT_BACKFILL_PAGES,
        Some(n) if (1..=MAX_BACKFILL_PAGES).contains(&n) => {
            if !has_next && n > 1 {
                c.warnings.push(format!(
                    "{}: ignored: there is no `next` selector to find more pages",
                    key.clone().key("backfill_pages")
                ));
            }
            n as u32
        }
        Some(n) => {
            c.problem(
                key.clone().key("backfill_pages"),
                format!("{n} is out of range (1 to {MAX_BACKFILL_PAGES}; 1 reads page one only)"),
            );
            1
        }
    }
}

/// `follow_hosts`, normalised; `fetches_links`: `follow` or `next` is set (else they
/// are ignored, with a warning).
fn follow_hosts(
    c: &mut Checker,
    key: &KeyPath,
    value: Option<Vec<String>>,
    fetches_links: bool,
) -> Vec<String> {
    let mut hosts = Vec::new();
    for (j, h) in value.iter().flatten().enumerate() {
        match crate::fetch::policy::parse_follow_host(h) {
            Ok(host) => hosts.push(host),
            Err(m) => c.problem(key.clone().key("follow_hosts").index(j), m),
        }
    }
    if !hosts.is_empty() && !fetches_links {
        c.warnings.push(format!(
            "{}: ignored: only `follow` and `next` links are fetched",
            key.clone().key("follow_hosts")
        ));
    }
    hosts
}

/// `[sources.html.extra]`: name = pick.
fn extras(
    c: &mut Checker,
    key: &KeyPath,
    extra: std::collections::BTreeMap<String, String>,
) -> Vec<(String, Pick)> {
    let mut extras = Vec::new();
    for (name, v) in extra {
        let k = key.clone().key("extra").key(&name);
        if name.trim().is_empty() {
            c.problem(k, "an extra needs a name");
            continue;
        }
        match Pick::parse(&v, None) {
            Ok(p) => extras.push((name, p)),
            Err(m) => c.problem(k, m),
        }
    }
    extras
}

fn required<T>(
    c: &mut Checker,
    key: &KeyPath,
    name: &str,
    value: Option<String>,
    hint: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    match value {
        None => {
            c.problem(
                key.clone().key(name),
                format!("missing: an html source needs `{name}` ({hint})"),
            );
            None
        }
        v => optional(c, key, name, v, parse),
    }
}

fn optional<T>(
    c: &mut Checker,
    key: &KeyPath,
    name: &str,
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    match parse(&value?) {
        Ok(v) => Some(v),
        Err(m) => {
            c.problem(key.clone().key(name), m);
            None
        }
    }
}
