//! The HTML page: the urgent items for people without a feed reader.
//!
//! No JavaScript, one inline stylesheet, readable on a phone. Every piece of item text is
//! escaped (titles) or sanitised (summaries); a Content-Security-Policy forbids scripts
//! even if something slipped through.

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::atom::item_link;
use super::sanitize::{html, plain};
use super::{FeedMeta, PublishError};
use crate::model::StoredItem;

pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#111;background:#fff}\
h1{font-size:1.5rem;margin:.5rem 0}nav a{margin-right:1rem}article{border-top:1px solid #ccc;padding:.75rem 0}\
h2{font-size:1.15rem;margin:.25rem 0}.meta{color:#555;font-size:.9rem}.why{font-size:.85rem;color:#7a1010}\
.summary{overflow-wrap:anywhere}img{max-width:100%;height:auto}";

/// Renders the page for `items`.
pub fn render(
    meta: &FeedMeta,
    items: &[StoredItem],
) -> Result<(Vec<u8>, &'static str), PublishError> {
    let title = plain(meta.title);
    let mut out = String::with_capacity(4096 + items.len() * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src https: http:\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{t}</title>\n<style>{STYLE}</style>\n\
         <link rel=\"alternate\" type=\"application/atom+xml\" title=\"{t} (Atom)\" href=\"urgent.atom\">\n\
         <link rel=\"alternate\" type=\"application/rss+xml\" title=\"{t} (RSS)\" href=\"urgent.rss\">\n\
         <link rel=\"alternate\" type=\"application/feed+json\" title=\"{t} (JSON Feed)\" href=\"urgent.json\">\n\
         </head>\n<body>\n<header><h1>{t}</h1>\n<nav>Subscribe: <a href=\"urgent.atom\">Atom</a> \
         <a href=\"urgent.rss\">RSS</a> <a href=\"urgent.json\">JSON Feed</a> \
         <a href=\"all.atom\">all items (Atom)</a></nav>\n\
         <p class=\"meta\">Updated {updated}. {n} urgent item{s}.</p></header>\n<main>\n",
        t = text(&title),
        updated = meta.updated.format("%Y-%m-%d %H:%M UTC"),
        n = items.len(),
        s = if items.len() == 1 { "" } else { "s" },
    );
    if items.is_empty() {
        out.push_str("<p>No urgent interventions at the moment.</p>\n");
    }
    for i in items {
        let href = item_link(meta, i);
        let source = meta.source(&i.source);
        let lang = i.language.as_deref().unwrap_or("");
        let _ = write!(
            out,
            "<article id=\"{id}\"{lang_attr}>\n<h2><a href=\"{href}\" rel=\"noopener noreferrer\">{title}</a></h2>\n\
             <p class=\"meta\"><span class=\"source\">{source}</span> · <time datetime=\"{iso}\">{date}</time>{lang_label}</p>\n",
            id = attr(&i.id),
            lang_attr = if lang.is_empty() {
                String::new()
            } else {
                format!(" lang=\"{}\"", attr(lang))
            },
            href = attr(&href),
            title = text(&plain(&i.title)),
            source = text(&plain(&source.title)),
            iso = i.published.to_rfc3339(),
            date = i.published.format("%Y-%m-%d %H:%M UTC"),
            lang_label = if lang.is_empty() {
                String::new()
            } else {
                format!(" · <span class=\"lang\">{}</span>", text(lang))
            },
        );
        if let Some(s) = i.summary.as_deref().or(i.content.as_deref()) {
            let _ = writeln!(out, "<div class=\"summary\">{}</div>", html(s, Some(&href)));
        }
        if !i.reasons.is_empty() {
            let why: Vec<String> = i
                .reasons
                .iter()
                .map(|r| {
                    if r.evidence.is_empty() {
                        plain(&r.rule)
                    } else {
                        format!("{} ({})", plain(&r.rule), plain(&r.evidence))
                    }
                })
                .collect();
            let _ = writeln!(
                out,
                "<p class=\"why\">Selected because: {}</p>",
                text(&why.join("; "))
            );
        }
        out.push_str("</article>\n");
    }
    out.push_str(
        "</main>\n<footer class=\"meta\"><p>Published by tocsin.</p></footer>\n</body>\n</html>\n",
    );
    Ok((out.into_bytes(), CONTENT_TYPE))
}
