//! Atom 1.0 (RFC 4287), written with atom_syndication.

use atom_syndication::{
    Category, Content, Entry, Feed, Generator, Link, Person, Source, Text, TextType,
};
use chrono::{DateTime, FixedOffset, Utc};

use super::sanitize::{html, plain, xml_text};
use super::{FeedMeta, PublishError};
use crate::model::StoredItem;

pub const CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.fixed_offset()
}

fn text(value: String, lang: Option<&str>, html: bool) -> Text {
    Text {
        value,
        base: None,
        lang: lang.map(str::to_string),
        r#type: if html { TextType::Html } else { TextType::Text },
    }
}

fn link(href: String, rel: &str, mime: Option<&str>, title: Option<String>) -> Link {
    Link {
        href,
        rel: rel.to_string(),
        mime_type: mime.map(str::to_string),
        title,
        ..Default::default()
    }
}

/// The item's own link when it is an absolute http(s) URL, else its anchor on our page.
pub fn item_link(meta: &FeedMeta, item: &StoredItem) -> String {
    match &item.link {
        Some(l) if l.starts_with("http://") || l.starts_with("https://") => l.clone(),
        _ => format!(
            "{}#{}",
            super::join(meta.public_url, meta.alternate),
            item.id
        ),
    }
}

fn entry(meta: &FeedMeta, item: &StoredItem) -> Entry {
    let lang = item.language.as_deref();
    let href = item_link(meta, item);
    let source = meta.source(&item.source);
    let mut categories: Vec<Category> = item
        .reasons
        .iter()
        .map(|r| Category {
            term: xml_text(&r.rule),
            scheme: Some(super::join(meta.public_url, "rules")),
            label: Some(xml_text(&format!("rule: {}", r.rule))),
        })
        .collect();
    categories.extend(item.categories.iter().map(|c| Category {
        term: plain(c),
        scheme: None,
        label: None,
    }));
    categories.retain(|c| !c.term.is_empty());
    let mut source_links = vec![];
    if !source.url.is_empty() {
        source_links.push(link(
            source.url.clone(),
            "alternate",
            Some("text/html"),
            None,
        ));
    }
    Entry {
        title: text(plain(&item.title), lang, false),
        id: meta.entry_id(&item.id),
        updated: fixed(item.updated),
        published: Some(fixed(item.published)),
        authors: item
            .authors
            .iter()
            .map(|a| Person {
                name: plain(a),
                ..Default::default()
            })
            .filter(|p| !p.name.is_empty())
            .collect(),
        links: vec![link(href.clone(), "alternate", Some("text/html"), None)],
        summary: item
            .summary
            .as_deref()
            .map(|s| text(html(s, Some(&href)), lang, true)),
        content: item.content.as_deref().map(|c| Content {
            value: Some(html(c, Some(&href))),
            content_type: Some("html".into()),
            lang: lang.map(str::to_string),
            ..Default::default()
        }),
        categories,
        source: Some(Source {
            title: text(plain(&source.title), None, false),
            id: format!(
                "tag:{},2026:source/{}",
                meta.public_url.host_str().unwrap_or("localhost"),
                item.source
            ),
            updated: fixed(item.updated),
            links: source_links,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Renders `items` as an Atom document.
pub fn render(
    meta: &FeedMeta,
    items: &[StoredItem],
) -> Result<(Vec<u8>, &'static str), PublishError> {
    let feed = Feed {
        title: text(plain(meta.title), None, false),
        id: format!(
            "tag:{},2026:feed/{}",
            meta.public_url.host_str().unwrap_or("localhost"),
            meta.path
        ),
        updated: fixed(meta.updated),
        authors: vec![Person {
            name: plain(meta.title),
            uri: Some(meta.public_url.to_string()),
            ..Default::default()
        }],
        generator: Some(Generator {
            value: "tocsin".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        links: vec![
            link(meta.self_url(), "self", Some("application/atom+xml"), None),
            link(
                super::join(meta.public_url, meta.alternate),
                "alternate",
                Some("text/html"),
                None,
            ),
        ],
        entries: items.iter().map(|i| entry(meta, i)).collect(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(1024 + items.len() * 1024);
    feed.write_to(&mut out).map_err(|e| PublishError::Render {
        path: meta.path.to_string(),
        message: e.to_string(),
    })?;
    Ok((out, CONTENT_TYPE))
}
