//! `sources.opml`: every source as a feed a reader can subscribe to (tocsin's per-source
//! Atom feed), with the publisher's site, written with the opml crate.

use std::collections::BTreeMap;

use opml::{Head, OPML, Outline};
use url::Url;

use super::catalog::{Format, Scope, Selection};
use super::sanitize::plain;
use super::{SourceInfo, join};

pub(super) const CONTENT_TYPE: &str = "text/x-opml; charset=utf-8";

pub(super) fn render(
    title: &str,
    public_url: &Url,
    sources: &BTreeMap<String, SourceInfo>,
) -> (Vec<u8>, &'static str) {
    let outlines = sources
        .iter()
        .map(|(id, info)| {
            let sel = Selection {
                scope: Scope::Source(id.clone()),
                language: None,
            };
            Outline {
                text: plain(&info.title),
                title: Some(plain(&info.title)),
                r#type: Some("rss".into()),
                xml_url: Some(join(public_url, &sel.path(Format::Atom))),
                html_url: (!info.url.is_empty()).then(|| info.url.clone()),
                description: (!info.feed_url.is_empty())
                    .then(|| format!("upstream: {}", info.feed_url)),
                ..Default::default()
            }
        })
        .collect();
    let doc = OPML {
        version: "2.0".into(),
        head: Some(Head {
            title: Some(format!("{}: sources", plain(title))),
            ..Default::default()
        }),
        body: opml::Body { outlines },
    };
    let xml = doc
        .to_string()
        .unwrap_or_else(|e| format!("<!-- OPML could not be written: {e} -->"));
    (xml.into_bytes(), CONTENT_TYPE)
}
