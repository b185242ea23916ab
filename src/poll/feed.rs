//! One poll of a feed source (RSS, Atom, JSON Feed): the body decoded, parsed
//! (repaired if need be) and classified, off the async workers.

use super::{PollCtx, PollError, Read, prepare};
use crate::fetch::Fetched;
use crate::model::ParsedFeed;
use crate::parse::{Document, ParseError, parse_document};

/// Parses a fetched feed.
fn parse(fetched: &Fetched) -> Result<Document, ParseError> {
    parse_document(
        &fetched.body,
        fetched.meta.content_type.as_deref(),
        Some(&fetched.final_url),
    )
}

/// Reads the fetched feed into items to store.
pub(super) async fn read(ctx: &PollCtx<'_>, fetched: Fetched) -> Result<Read, PollError> {
    let final_url = fetched.final_url.clone();
    let (classifier, source) = (ctx.pipeline.classifier.clone(), ctx.source.clone());
    let parsed = ctx
        .on_cpu(move || {
            let doc = parse(&fetched)?;
            drop(fetched);
            let ttl_minutes = doc.feed.ttl_minutes;
            let items = prepare(&classifier, &source, doc.feed);
            Ok::<_, ParseError>(Read {
                items,
                ttl_minutes,
                encoding: doc.encoding,
                repairs: doc.repairs.map(|r| r.to_string()),
                fallback: None,
            })
        })
        .await
        .and_then(|r| r)
        .map_err(|e| ctx.parse_error(&final_url, e))?;
    if let Some(r) = &parsed.repairs {
        tracing::info!(source = %ctx.source.id, url = %final_url, repairs = %r, "feed repaired before parsing");
    }
    Ok(parsed)
}

/// The feed's items without storing them (`inspect`), with what the operator should
/// know about how it was read.
pub(super) fn preview(fetched: &Fetched) -> Result<(ParsedFeed, Vec<String>), ParseError> {
    let doc = parse(fetched)?;
    let notes = doc
        .repairs
        .iter()
        .map(|r| format!("repaired before parsing: {r}"))
        .collect();
    Ok((doc.feed, notes))
}
