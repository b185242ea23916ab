//! The HTML pages: a selection for people without a feed reader.
//!
//! No JavaScript, one inline stylesheet, readable on a phone (fluid width, large tap
//! targets, long words wrap). Titles are escaped, summaries sanitised; a
//! Content-Security-Policy forbids scripts even if something slipped through.

use std::fmt::Write;
use std::sync::Arc;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::FeedMeta;
use super::catalog::{Format, Scope};
use super::prepare::PreparedItem;
use super::sanitize::plain;

pub(super) const CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// The policy in the page's meta tag and in the HTTP header.
pub(super) const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; base-uri 'none'; form-action 'none'";

const STYLE: &str = "\
*{box-sizing:border-box}\
body{font:17px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:46rem;margin:0 auto;padding:.75rem 1rem;color:#111;background:#fff}\
h1{font-size:1.45rem;line-height:1.25;margin:.5rem 0}\
nav{display:flex;flex-wrap:wrap;gap:.25rem .5rem;align-items:center;font-size:.95rem}\
nav a{display:inline-block;padding:.35rem .6rem;border:1px solid #bbb;border-radius:.4rem;text-decoration:none;color:#0645ad}\
article{border-top:1px solid #ccc;padding:.9rem 0}\
h2{font-size:1.15rem;line-height:1.3;margin:.2rem 0;overflow-wrap:anywhere}\
h2 a{color:#0645ad}\
.meta{color:#444;font-size:.9rem;margin:.2rem 0}\
.code{font-family:ui-monospace,monospace;background:#f3f3f3;padding:0 .25rem;border-radius:.2rem}\
.why{font-size:.88rem;color:#7a1010;margin:.3rem 0}\
.failing{background:#fff4ce;color:#3d2e00;border:1px solid #e0c060;border-radius:.4rem;padding:.5rem .75rem;margin:.5rem 0}\
.summary{overflow-wrap:anywhere}.summary img{max-width:100%;height:auto}\
.related{font-size:.9rem;margin:.3rem 0;padding-left:1.2rem}\
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}.meta{color:#bbb}h2 a,nav a{color:#8ab4f8}.code{background:#333}.why{color:#f28b82}.failing{background:#3d2e00;color:#ffe08a;border-color:#806020}}";

fn selection_label(meta: &FeedMeta) -> String {
    match (&meta.selection.scope, &meta.selection.language) {
        (Scope::Urgent, None) => "urgent interventions".into(),
        (Scope::All, None) => "all items".into(),
        (Scope::Urgent, Some(l)) => format!("urgent interventions in {l}"),
        (Scope::All, Some(l)) => format!("all items in {l}"),
        (Scope::Source(_), _) => "items of this source".into(),
        (Scope::Country(c), _) => format!(
            "urgent interventions about {}",
            crate::text::country::name(c, None).unwrap_or(c)
        ),
    }
}

/// Renders the page for `items`.
pub(super) fn render(meta: &FeedMeta, items: &[Arc<PreparedItem>]) -> (Vec<u8>, &'static str) {
    let title = plain(meta.title);
    let mut out = String::with_capacity(4096 + items.len() * 1200);
    let feed_links: String = [Format::Atom, Format::Rss, Format::Json]
        .iter()
        .map(|f| {
            format!(
                "<link rel=\"alternate\" type=\"{}\" title=\"{} ({})\" href=\"{}\">\n",
                f.mime(),
                attr(&title),
                f.ext(),
                attr(&meta.url_of(*f))
            )
        })
        .collect();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{page_lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{t}</title>\n<style>{STYLE}</style>\n{feed_links}</head>\n<body>\n\
         <header><h1>{t}</h1>\n<nav aria-label=\"subscribe\"><span>Subscribe:</span> \
         <a href=\"{atom}\">Atom</a> <a href=\"{rss}\">RSS</a> <a href=\"{json}\">JSON Feed</a></nav>\n",
        page_lang = attr(meta.selection.language.as_deref().unwrap_or("en")),
        t = text(&title),
        atom = attr(&meta.url_of(Format::Atom)),
        rss = attr(&meta.url_of(Format::Rss)),
        json = attr(&meta.url_of(Format::Json)),
    );
    if !meta.languages.is_empty() && matches!(meta.selection.scope, Scope::Urgent | Scope::All) {
        let scope = if meta.selection.scope == Scope::All {
            "all"
        } else {
            "urgent"
        };
        out.push_str("<nav aria-label=\"languages\"><span>Language:</span> ");
        let _ = write!(
            out,
            "<a href=\"{}\">any</a> ",
            attr(&super::join(meta.public_url, &format!("{scope}.html")))
        );
        for l in meta.languages {
            let _ = write!(
                out,
                "<a href=\"{}\" hreflang=\"{l}\">{l}</a> ",
                attr(&super::join(
                    meta.public_url,
                    &format!("lang/{l}/{scope}.html")
                )),
                l = text(l)
            );
        }
        out.push_str("</nav>\n");
    }
    country_nav(&mut out, meta, items);
    header_meta(&mut out, meta, items.len());
    out.push_str("</header>\n<main>\n");
    if items.is_empty() {
        out.push_str("<p>Nothing here at the moment.</p>\n");
    }
    for i in items {
        article(&mut out, i);
    }
    out.push_str(
        "</main>\n<footer class=\"meta\"><p>Published by tocsin.</p></footer>\n</body>\n</html>\n",
    );
    (out.into_bytes(), CONTENT_TYPE)
}

/// The line under the title: how many items, when the sources were checked and the
/// page published; and the banner when sources fail.
fn header_meta(out: &mut String, meta: &FeedMeta, n: usize) {
    let _ = write!(
        out,
        "<p class=\"meta\">{n} {label}",
        label = text(&selection_label(meta)),
    );
    let minute = |t: chrono::DateTime<chrono::Utc>| {
        format!(
            "<time datetime=\"{}\">{}</time>",
            t.to_rfc3339(),
            t.format("%Y-%m-%d %H:%M UTC")
        )
    };
    // When tocsin last looked, not the newest item's date: a page checked a minute ago
    // must not look a year stale.
    if let Some(t) = meta.health.checked {
        let _ = write!(out, " · sources checked {}", minute(t));
    }
    let _ = writeln!(out, " · page published {}</p>", minute(chrono::Utc::now()));
    if let Some(line) = meta.health.failing_line() {
        let _ = writeln!(
            out,
            "<p class=\"failing\" role=\"status\">{}: what is shown may be out of date.</p>",
            text(&line)
        );
    }
}

/// The country filter: a link to each country's own page, for the countries of the
/// urgent items shown (the page is static: no script, no form), by name.
fn country_nav(out: &mut String, meta: &FeedMeta, items: &[Arc<PreparedItem>]) {
    if !meta.selection.scope.is_urgent() || meta.selection.language.is_some() {
        return;
    }
    let mut countries: Vec<(&str, &str)> = items
        .iter()
        .flat_map(|i| i.countries.iter())
        .map(|(c, _)| (c.as_str(), crate::text::country::name(c, None).unwrap_or(c)))
        .collect();
    countries.sort_by(|a, b| a.1.cmp(b.1));
    countries.dedup();
    if countries.is_empty() && meta.selection.scope == Scope::Urgent {
        return;
    }
    out.push_str("<nav aria-label=\"countries\"><span>Country:</span> ");
    let _ = write!(
        out,
        "<a href=\"{}\">any</a> ",
        attr(&super::join(meta.public_url, "urgent.html"))
    );
    for (code, name) in countries {
        let _ = write!(
            out,
            "<a href=\"{}\" title=\"{code}\">{}</a> ",
            attr(&super::join(
                meta.public_url,
                &format!("country/{code}/urgent.html")
            )),
            text(name),
            code = attr(code),
        );
    }
    out.push_str("</nav>\n");
}

/// An item's date as a reader should see it: the date alone when the publisher gave
/// no time.
fn when(i: &PreparedItem) -> (String, String) {
    if i.date_only {
        let d = i.published.format("%Y-%m-%d").to_string();
        (d.clone(), d)
    } else {
        (
            i.published.to_rfc3339(),
            i.published.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
    }
}

fn article(out: &mut String, i: &PreparedItem) {
    let (iso, date) = when(i);
    let lang = i.language.as_deref().unwrap_or("");
    let _ = write!(
        out,
        "<article id=\"{id}\"{lang_attr}>\n<h2><a href=\"{href}\" rel=\"noopener noreferrer\">{title}</a></h2>\n\
         <p class=\"meta\"><span class=\"source\">{source}</span> · <time datetime=\"{iso}\">{date}</time>",
        id = attr(&i.uid),
        lang_attr = if lang.is_empty() {
            String::new()
        } else {
            format!(" lang=\"{}\"", attr(lang))
        },
        href = attr(&i.link),
        title = text(&i.title),
        source = text(&plain(&i.source_info.title)),
        iso = iso,
        date = date,
    );
    for (code, name) in &i.countries {
        let _ = write!(
            out,
            " · <span class=\"country\" title=\"{}\">{}</span>",
            attr(code),
            text(name)
        );
    }
    if !lang.is_empty() {
        let _ = write!(out, " · <span class=\"lang\">{}</span>", text(lang));
    }
    for c in &i.case_codes {
        let _ = write!(out, " · <span class=\"code\">{}</span>", text(&plain(c)));
    }
    out.push_str("</p>\n");
    // Our own summary repeats the line above: the page shows only the publisher's.
    if let Some(s) = i.summary_html.as_deref().or(i.content_html.as_deref())
        && !i.summary_is_ours
    {
        let _ = writeln!(out, "<div class=\"summary\">{s}</div>");
    }
    let why = i.why();
    if !why.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"why\">Selected because: {}</p>",
            text(&why.join("; "))
        );
    }
    if let Some(o) = &i.original {
        let _ = writeln!(
            out,
            "<p class=\"meta\">Follow-up of: <a href=\"{}\" rel=\"noopener noreferrer\">{}</a> ({})</p>",
            attr(&o.link),
            text(&o.title),
            text(&o.source_title)
        );
    }
    if !i.related.is_empty() {
        out.push_str("<ul class=\"related\">\n");
        for r in &i.related {
            let _ = writeln!(
                out,
                "<li>Also published by {}: <a href=\"{}\" rel=\"noopener noreferrer\">{}</a></li>",
                text(&r.source_title),
                attr(&r.link),
                text(&r.title)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</article>\n");
}
