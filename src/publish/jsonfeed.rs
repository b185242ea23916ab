//! JSON Feed 1.1 (https://jsonfeed.org/version/1.1), written with serde_json.

use std::sync::Arc;

use chrono::SecondsFormat;
use serde::Serialize;

use super::prepare::PreparedItem;
use super::sanitize::plain;
use super::{FeedMeta, PublishError};
use crate::model::Reason;

pub(super) const CONTENT_TYPE: &str = "application/feed+json; charset=utf-8";

#[derive(Serialize)]
struct Feed<'a> {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub>,
    authors: Vec<Author>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Hub {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
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

/// Our extension object (JSON Feed allows `_`-prefixed keys): where the item comes
/// from and why it was selected.
#[derive(Serialize)]
struct Ext<'a> {
    source: &'a str,
    source_title: &'a str,
    urgent: bool,
    score: f64,
    reasons: &'a [Reason],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    case_codes: &'a [String],
    /// ISO 3166-1 alpha-3 codes of the countries the item is about.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    countries: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<Related<'a>>,
    /// For a follow-up: the first item of the case it develops.
    #[serde(skip_serializing_if = "Option::is_none")]
    original: Option<Related<'a>>,
}

#[derive(Serialize)]
struct Related<'a> {
    source_title: &'a str,
    title: &'a str,
    url: &'a str,
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Renders `items` as a JSON Feed document.
pub(super) fn render(
    meta: &FeedMeta,
    items: &[Arc<PreparedItem>],
) -> Result<(Vec<u8>, &'static str), PublishError> {
    let feed = Feed {
        version: "https://jsonfeed.org/version/1.1",
        title: plain(meta.title),
        home_page_url: meta.alternate(),
        feed_url: meta.self_url(),
        language: meta.selection.language.as_deref(),
        hubs: meta
            .hubs
            .iter()
            .map(|h| Hub {
                kind: "WebSub",
                url: h.to_string(),
            })
            .collect(),
        authors: vec![Author {
            name: plain(meta.title),
        }],
        items: items
            .iter()
            .map(|i| Item {
                id: &i.id,
                url: &i.link,
                title: &i.title,
                content_html: i
                    .content_html
                    .as_deref()
                    .or(i.summary_html.as_deref())
                    .unwrap_or(""),
                summary: i.summary_text.as_deref(),
                date_published: rfc3339(i.published),
                date_modified: rfc3339(i.updated),
                tags: super::atom::categories(meta, i)
                    .into_iter()
                    .map(|c| c.term)
                    .collect(),
                language: i.language.as_deref(),
                authors: i
                    .authors
                    .iter()
                    .map(|a| Author { name: a.clone() })
                    .collect(),
                _tocsin: Ext {
                    source: &i.source,
                    source_title: &i.source_info.title,
                    urgent: i.urgent,
                    score: i.score,
                    reasons: &i.reasons,
                    case_codes: &i.case_codes,
                    countries: i.countries.iter().map(|(c, _)| c.as_str()).collect(),
                    related: i
                        .related
                        .iter()
                        .map(|r| Related {
                            source_title: &r.source_title,
                            title: &r.title,
                            url: &r.link,
                        })
                        .collect(),
                    original: i.original.as_ref().map(|r| Related {
                        source_title: &r.source_title,
                        title: &r.title,
                        url: &r.link,
                    }),
                },
            })
            .collect(),
    };
    let body = serde_json::to_vec(&feed).map_err(|e| PublishError::Render {
        path: meta.path(),
        message: e.to_string(),
    })?;
    Ok((body, CONTENT_TYPE))
}
