//! JSON Feed 1.1 (https://jsonfeed.org/version/1.1), written with serde_json.

use serde::Serialize;

use super::atom::item_link;
use super::sanitize::{html, plain};
use super::{FeedMeta, PublishError};
use crate::model::{Reason, StoredItem};

pub const CONTENT_TYPE: &str = "application/feed+json; charset=utf-8";

#[derive(Serialize)]
struct Feed<'a> {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Item<'a> {
    id: String,
    url: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author>,
    _tocsin: Ext<'a>,
}

#[derive(Serialize)]
struct Author {
    name: String,
}

/// Our extension object (JSON Feed allows `_`-prefixed keys): why the item was selected.
#[derive(Serialize)]
struct Ext<'a> {
    source: &'a str,
    source_title: String,
    urgent: bool,
    score: f64,
    reasons: &'a [Reason],
}

/// Renders `items` as a JSON Feed document.
pub fn render(
    meta: &FeedMeta,
    items: &[StoredItem],
) -> Result<(Vec<u8>, &'static str), PublishError> {
    let feed = Feed {
        version: "https://jsonfeed.org/version/1.1",
        title: plain(meta.title),
        home_page_url: super::join(meta.public_url, meta.alternate),
        feed_url: meta.self_url(),
        items: items
            .iter()
            .map(|i| {
                let href = item_link(meta, i);
                let body = i.content.as_deref().or(i.summary.as_deref());
                let mut tags: Vec<String> = i.reasons.iter().map(|r| plain(&r.rule)).collect();
                tags.extend(i.categories.iter().map(|c| plain(c)));
                tags.retain(|t| !t.is_empty());
                Item {
                    id: meta.entry_id(&i.id),
                    content_html: Some(body.map(|b| html(b, Some(&href))).unwrap_or_default()),
                    summary: i
                        .summary
                        .as_deref()
                        .map(|s| plain(&crate::classify::html_to_text(s))),
                    url: href,
                    title: plain(&i.title),
                    date_published: i.published.to_rfc3339(),
                    date_modified: i.updated.to_rfc3339(),
                    tags,
                    language: i.language.as_deref(),
                    authors: i
                        .authors
                        .iter()
                        .map(|a| Author { name: plain(a) })
                        .collect(),
                    _tocsin: Ext {
                        source: &i.source,
                        source_title: plain(&meta.source(&i.source).title),
                        urgent: i.urgent,
                        score: i.score,
                        reasons: &i.reasons,
                    },
                }
            })
            .collect(),
    };
    let body = serde_json::to_vec_pretty(&feed).map_err(|e| PublishError::Render {
        path: meta.path.to_string(),
        message: e.to_string(),
    })?;
    Ok((body, CONTENT_TYPE))
}
