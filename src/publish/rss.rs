//! RSS 2.0, written with the rss crate.

use rss::extension::atom::AtomExtension;
use rss::{Category, Channel, Guid, Item, Source};

use super::atom::item_link;
use super::sanitize::{html, plain};
use super::{FeedMeta, PublishError};
use crate::model::StoredItem;

pub const CONTENT_TYPE: &str = "application/rss+xml; charset=utf-8";

fn item(meta: &FeedMeta, i: &StoredItem) -> Item {
    let href = item_link(meta, i);
    let source = meta.source(&i.source);
    let mut categories: Vec<Category> = i
        .reasons
        .iter()
        .map(|r| Category {
            name: plain(&r.rule),
            domain: Some(super::join(meta.public_url, "rules")),
        })
        .collect();
    categories.extend(i.categories.iter().map(|c| Category {
        name: plain(c),
        domain: None,
    }));
    categories.retain(|c| !c.name.is_empty());
    Item {
        title: Some(plain(&i.title)),
        link: Some(href.clone()),
        description: i
            .summary
            .as_deref()
            .or(i.content.as_deref())
            .map(|s| html(s, Some(&href))),
        content: i.content.as_deref().map(|c| html(c, Some(&href))),
        guid: Some(Guid {
            value: meta.entry_id(&i.id),
            permalink: false,
        }),
        pub_date: Some(i.published.to_rfc2822()),
        categories,
        source: (!source.feed_url.is_empty()).then(|| Source {
            url: source.feed_url.clone(),
            title: Some(plain(&source.title)),
        }),
        ..Default::default()
    }
}

/// Renders `items` as an RSS 2.0 document.
pub fn render(
    meta: &FeedMeta,
    items: &[StoredItem],
) -> Result<(Vec<u8>, &'static str), PublishError> {
    let channel = Channel {
        title: plain(meta.title),
        link: super::join(meta.public_url, meta.alternate),
        description: plain(meta.title),
        last_build_date: Some(meta.updated.to_rfc2822()),
        generator: Some(format!("tocsin {}", env!("CARGO_PKG_VERSION"))),
        atom_ext: Some(AtomExtension {
            links: vec![rss::extension::atom::Link {
                href: meta.self_url(),
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Default::default()
            }],
        }),
        items: items.iter().map(|i| item(meta, i)).collect(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(1024 + items.len() * 1024);
    channel
        .write_to(&mut out)
        .map_err(|e| PublishError::Render {
            path: meta.path.to_string(),
            message: e.to_string(),
        })?;
    Ok((out, CONTENT_TYPE))
}
