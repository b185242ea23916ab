//! Atom 1.0 (RFC 4287), written with atom_syndication.

use std::sync::Arc;

use atom_syndication::{
    Category, Content, Entry, Feed, Generator, Link, Person, Source, Text, TextType,
};

use super::catalog::Format;
use super::prepare::PreparedItem;
use super::sanitize::plain;
use super::{FeedMeta, PublishError, join};

pub(super) const CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

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

/// One category of an item: its term, the scheme saying what kind it is, and what a
/// reader is told (a country's name, a rule's label).
pub(super) struct Cat {
    pub(super) term: String,
    pub(super) scheme: Option<String>,
    pub(super) label: Option<String>,
}

/// Categories of an item: its countries (ISO 3166-1 alpha-3, named in the label), the
/// rules that selected it (labelled as readers are told), its case codes, the tags
/// rules added, and the publisher's own categories, each with a scheme saying which.
pub(super) fn categories(meta: &FeedMeta, i: &PreparedItem) -> Vec<Cat> {
    let scheme = |s: &str| Some(join(meta.public_url, &format!("scheme/{s}")));
    let cat = |term: String, scheme: Option<String>, label: Option<String>| Cat {
        term,
        scheme,
        label,
    };
    let mut out: Vec<Cat> = Vec::new();
    out.extend(
        i.countries
            .iter()
            .map(|(c, name)| cat(c.clone(), scheme("country"), Some(name.clone()))),
    );
    out.extend(i.reasons.iter().map(|r| {
        cat(
            plain(&r.rule),
            scheme("rule"),
            r.label.as_deref().map(plain),
        )
    }));
    out.extend(
        i.case_codes
            .iter()
            .map(|c| cat(plain(c), scheme("case"), None)),
    );
    out.extend(i.tags.iter().map(|t| cat(plain(t), scheme("tag"), None)));
    out.extend(i.categories.iter().map(|c| cat(c.clone(), None, None)));
    out.retain(|c| !c.term.is_empty());
    out
}

/// `rel="related"` links: the other publishers of the case, and for a follow-up the
/// case it develops. Atom entries carry them, and RSS items as `atom:link`.
pub(super) fn related_links(i: &PreparedItem) -> Vec<Link> {
    let related = i.related.iter().map(|r| {
        let title = format!("also published by {}: {}", r.source_title, r.title);
        (r, title)
    });
    let original = i.original.iter().map(|r| {
        let title = format!("follow-up of: {} ({})", r.title, r.source_title);
        (r, title)
    });
    related
        .chain(original)
        .map(|(r, title)| {
            link(
                r.link.clone(),
                "related",
                Some("text/html"),
                Some(plain(&title)),
            )
        })
        .collect()
}

fn entry(meta: &FeedMeta, i: &PreparedItem) -> Entry {
    let lang = i.language.as_deref();
    let mut links = vec![link(i.link.clone(), "alternate", Some("text/html"), None)];
    links.extend(related_links(i));
    let mut source_links = vec![];
    if !i.source_info.url.is_empty() {
        source_links.push(link(
            i.source_info.url.clone(),
            "alternate",
            Some("text/html"),
            None,
        ));
    }
    Entry {
        title: text(i.title.clone(), lang, false),
        id: i.id.clone(),
        updated: i.updated.fixed_offset(),
        published: Some(i.published.fixed_offset()),
        authors: i
            .authors
            .iter()
            .map(|a| Person {
                name: a.clone(),
                ..Default::default()
            })
            .collect(),
        links,
        summary: i.feed_summary().map(|s| text(s, lang, true)),
        content: i.content_html.clone().map(|c| Content {
            value: Some(c),
            content_type: Some("html".into()),
            lang: lang.map(str::to_string),
            ..Default::default()
        }),
        categories: categories(meta, i)
            .into_iter()
            .map(|c| Category {
                term: c.term,
                scheme: c.scheme,
                label: c.label,
            })
            .collect(),
        source: Some(Source {
            title: text(plain(&i.source_info.title), None, false),
            id: format!(
                "tag:{},2026:source/{}",
                meta.public_url.host_str().unwrap_or("localhost"),
                i.source
            ),
            updated: i.updated.fixed_offset(),
            links: source_links,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Renders `items` as an Atom document.
pub(super) fn render(
    meta: &FeedMeta,
    items: &[Arc<PreparedItem>],
) -> Result<(Vec<u8>, &'static str), PublishError> {
    let mut links = vec![
        link(meta.self_url(), "self", Some(Format::Atom.mime()), None),
        link(meta.alternate(), "alternate", Some("text/html"), None),
    ];
    links.extend(
        meta.hubs
            .iter()
            .map(|h| link(h.to_string(), "hub", None, None)),
    );
    let feed = Feed {
        title: text(plain(meta.title), None, false),
        id: meta.feed_id(),
        updated: meta.updated.fixed_offset(),
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
        lang: meta.selection.language.clone(),
        links,
        entries: items.iter().map(|i| entry(meta, i)).collect(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(1024 + items.len() * 1536);
    feed.write_to(&mut out).map_err(|e| PublishError::Render {
        path: meta.path(),
        message: e.to_string(),
    })?;
    Ok((out, CONTENT_TYPE))
}
