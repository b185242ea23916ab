//! RSS 2.0, written with the rss crate (atom:link for self, hub and related links).

use std::sync::Arc;

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Guid, Item, Source};

use super::atom::categories;
use super::catalog::Format;
use super::prepare::PreparedItem;
use super::sanitize::plain;
use super::{FeedMeta, PublishError};

pub(super) const CONTENT_TYPE: &str = "application/rss+xml; charset=utf-8";

fn atom_link(href: String, rel: &str, mime: Option<&str>, title: Option<String>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: mime.map(str::to_string),
        title,
        ..Default::default()
    }
}

fn item(meta: &FeedMeta, i: &PreparedItem) -> Item {
    let related = super::atom::related_links(i);
    Item {
        title: Some(i.title.clone()),
        link: Some(i.link.clone()),
        description: i.feed_summary().or_else(|| i.content_html.clone()),
        content: i.content_html.clone(),
        guid: Some(Guid {
            value: i.id.clone(),
            permalink: false,
        }),
        pub_date: Some(i.published.to_rfc2822()),
        // RSS `author` must be an e-mail address: the names go in `dc:creator`.
        author: None,
        dublin_core_ext: (!i.authors.is_empty()).then(|| DublinCoreExtension {
            creators: i.authors.clone(),
            ..Default::default()
        }),
        categories: categories(meta, i)
            .into_iter()
            .map(|c| Category {
                name: c.term,
                domain: c.scheme,
            })
            .collect(),
        source: (!i.source_info.feed_url.is_empty()).then(|| Source {
            url: i.source_info.feed_url.clone(),
            title: Some(plain(&i.source_info.title)),
        }),
        atom_ext: (!related.is_empty()).then_some(AtomExtension { links: related }),
        ..Default::default()
    }
}

/// Renders `items` as an RSS 2.0 document.
pub(super) fn render(
    meta: &FeedMeta,
    items: &[Arc<PreparedItem>],
) -> Result<(Vec<u8>, &'static str), PublishError> {
    let mut links = vec![atom_link(
        meta.self_url(),
        "self",
        Some(Format::Rss.mime()),
        None,
    )];
    links.extend(
        meta.hubs
            .iter()
            .map(|h| atom_link(h.to_string(), "hub", None, None)),
    );
    let channel = Channel {
        title: plain(meta.title),
        link: meta.alternate(),
        description: plain(meta.title),
        language: meta.selection.language.clone(),
        last_build_date: Some(meta.updated.to_rfc2822()),
        generator: Some(format!("tocsin {}", env!("CARGO_PKG_VERSION"))),
        atom_ext: Some(AtomExtension { links }),
        items: items.iter().map(|i| item(meta, i)).collect(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(1024 + items.len() * 1536);
    channel
        .write_to(&mut out)
        .map_err(|e| PublishError::Render {
            path: meta.path(),
            message: e.to_string(),
        })?;
    Ok((out, CONTENT_TYPE))
}
