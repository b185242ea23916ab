//! `kind` and `[sources.html]`: every selector is compiled at load (scraper), so a typo
//! is a config error naming its key and line, never a source that silently finds
//! nothing. A listing without selectors (no table, or `auto = true`) is read by
//! detection.

use std::sync::Arc;

use super::super::raw::{RawHtml, RawKind};
use super::{Checker, KeyPath};
use crate::parse::html::{ListingSpec, Pick, Sel, check_date_format};
use crate::source::{HtmlSource, OnLayoutChange, ReadWith, SourceKind};

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
        // No table: the listing is read by detection, everything else at its default.
        (RawKind::Html, None) => Some(SourceKind::Html(Arc::new(HtmlSource::auto(
            DEFAULT_BACKFILL_PAGES,
        )))),
        (RawKind::Html, Some(h)) => {
            html_source(c, key.key("html"), h).map(|s| SourceKind::Html(Arc::new(s)))
        }
    }
}

/// The selector keys, which `auto = true` replaces.
const SELECTOR_KEYS: [&str; 6] = ["item", "title", "link", "date", "date_format", "summary"];

/// Builds one `[sources.html]` table.
fn html_source(c: &mut Checker, key: KeyPath, mut h: RawHtml) -> Option<HtmlSource> {
    let auto = h.auto.unwrap_or(false);
    let on_layout_change = on_layout_change(c, &key, h.on_layout_change.take(), auto);
    let content = optional(c, &key, "content", h.content.take(), Sel::parse);
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
    let backfill = h.backfill_pages.take();
    let follow_hosts = h.follow_hosts.take();
    // Every key is checked, so that every problem of the table is reported at once.
    let read = if auto {
        let next = optional(c, &key, "next", h.next.take(), |v| {
            Pick::parse(v, Some("href"))
        });
        not_with_auto(c, &key, &h);
        let next = next.or_else(|| Pick::parse(HtmlSource::REL_NEXT, Some("href")).ok());
        next.map(|next| ReadWith::Detect { next })
    } else {
        listing(c, key.clone(), h).map(|spec| ReadWith::Selectors {
            spec,
            on_layout_change,
        })
    };
    let has_next = match &read {
        Some(ReadWith::Selectors { spec, .. }) => spec.next.is_some(),
        Some(ReadWith::Detect { .. }) | None => true,
    };
    let backfill_pages = backfill_pages(c, &key, backfill, has_next);
    let follow_hosts = self::follow_hosts(c, &key, follow_hosts, follow || has_next);
    Some(HtmlSource {
        read: read?,
        follow,
        content,
        backfill_pages,
        follow_hosts,
    })
}

/// `on_layout_change`: `error` or `auto` (meaningless, so a warning, with `auto = true`).
fn on_layout_change(
    c: &mut Checker,
    key: &KeyPath,
    value: Option<String>,
    auto: bool,
) -> OnLayoutChange {
    let k = || key.clone().key("on_layout_change");
    let v = match value.as_deref() {
        None => return OnLayoutChange::Error,
        Some("error") => OnLayoutChange::Error,
        Some("auto") => OnLayoutChange::Auto,
        Some(other) => {
            c.problem(k(), format!("`{other}` is not one of \"error\", \"auto\""));
            return OnLayoutChange::Error;
        }
    };
    if auto {
        c.warnings.push(format!(
            "{}: ignored: with auto = true the listing is always read by detection",
            k()
        ));
    }
    v
}

/// With `auto = true` the selector keys have no use: each one set is a problem (which
/// of the two did the operator mean?).
fn not_with_auto(c: &mut Checker, key: &KeyPath, h: &RawHtml) {
    let set = [
        &h.item,
        &h.title,
        &h.link,
        &h.date,
        &h.date_format,
        &h.summary,
    ];
    for (name, v) in SELECTOR_KEYS.iter().zip(set) {
        if v.is_some() {
            c.problem(
                key.clone().key(name),
                "auto = true reads the listing by detection, without selectors: remove the \
                 selectors, or remove auto = true to read the listing with them",
            );
        }
    }
    if let Some(name) = h.extra.keys().next() {
        c.problem(
            key.clone().key("extra").key(name),
            "auto = true reads the listing by detection, without selectors: remove \
             [sources.html.extra], or remove auto = true to read the listing with it",
        );
    }
}

/// Builds the selectors of one listing page; `key` is where the table is
/// (`sources[2].html`, or the top level of a selectors file).
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
    let next = optional(c, &key, "next", h.next, |v| Pick::parse(v, Some("href")));
    let extras = extras(c, &key, h.extra);
    Some(ListingSpec {
        item: item?,
        title: title?,
        link: link?,
        date,
        date_format: h.date_format,
        summary,
        extras,
        next,
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
                format!(
                    "missing: an html source needs `{name}` ({hint}), or auto = true to read \
                     the listing without selectors"
                ),
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
