//! Parse: bytes from a source into [`ParsedFeed`].
//!
//! - [`feed`]: RSS 0.9x/1.0/2.0, Atom and JSON Feed, through feed-rs.
//! - [`atom03`]: Atom 0.3 rewritten as Atom 1.0 first (feed-rs reads only 1.0).
//! - [`html`]: HTML listing pages, through CSS selectors (scraper).
//! - [`detect`]: HTML listing pages without selectors: finds the entries and proposes
//!   the selectors.
//! - [`links`]: the feeds an HTML page advertises (`<link rel="alternate">`), its CMS
//!   and language, for discovery.
//! - [`dates`]: dates as listing pages write them, in five languages (both of the
//!   above read them).
//! - [`bounds`]: what one item may keep (sizes, counts), cut where items enter.
//! - [`decode`]: HTML bytes to text (BOM, HTTP charset, `<meta>`, else UTF-8).
//! - [`repair`]: the second chance for a feed that does not parse.
//! - [`parse_document`]: charset → UTF-8 ([`crate::text::charset`]), parse, and on
//!   failure repair and parse again.

pub mod atom03;
pub mod bounds;
pub mod dates;
mod decode;
pub mod detect;
mod feed;
pub mod html;
pub mod links;
pub mod repair;

pub use decode::decode_html;
pub use feed::parse_feed;
pub use repair::{Repairs, repair};

use url::Url;

use crate::model::ParsedFeed;
use crate::text::charset::{DocKind, to_utf8};

/// Why a document yielded no items.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ParseError {
    #[error("the document is empty")]
    Empty,
    #[error("not a feed: {0}")]
    NotAFeed(String),
    #[error("{message}{}", at(*line, *column))]
    Malformed {
        message: String,
        /// 1-based position of the error, when the parser knows it.
        line: Option<usize>,
        column: Option<usize>,
    },
    /// An HTML listing answered, but its selectors found nothing usable; `detected`
    /// says what detection finds on the same page, so the operator has new selectors
    /// at hand.
    #[error(
        "selectors matched nothing: the page layout may have changed ({why}){}",
        detected.note()
    )]
    LayoutChanged { why: String, detected: Detected },
    /// A listing read without selectors where detection found no list of entries.
    #[error("{0}")]
    NoListing(#[from] detect::DetectError),
}

/// What detection made of a page whose selectors matched nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Detected {
    /// Not tried (a later page of a backfill).
    NotTried,
    /// The entries detection reads and the selectors that read them.
    Found(Box<detect::Proposal>),
    /// No list of entries either.
    Nothing,
}

impl Detected {
    /// The end of the layout-change message: the proposal, on one line, as a TOML
    /// inline table (`html = { item = "…", … }`) to put in the source's entry.
    fn note(&self) -> String {
        match self {
            Detected::NotTried => String::new(),
            Detected::Found(p) => format!("; {p}"),
            Detected::Nothing => "; detection finds no list of entries on the page either".into(),
        }
    }
}

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

/// A parsed feed and how it was read.
#[derive(Debug, Clone)]
pub struct Document {
    pub feed: ParsedFeed,
    /// The encoding and what decided it, e.g. `windows-1251 (detected)`.
    pub encoding: String,
    /// What the repair pass changed, when the feed needed it.
    pub repairs: Option<Repairs>,
}

/// Decodes, parses, and repairs if needed. `content_type` is the HTTP header (for its
/// charset), `base` the URL the document came from (for relative links).
pub fn parse_document(
    bytes: &[u8],
    content_type: Option<&str>,
    base: Option<&Url>,
) -> Result<Document, ParseError> {
    let decoded = to_utf8(bytes, content_type, DocKind::Xml);
    let encoding = decoded.describe();
    let text: &str = &decoded.text;
    let first = match parse_feed(text.as_bytes(), base) {
        Ok(feed) => {
            return Ok(Document {
                feed,
                encoding,
                repairs: None,
            });
        }
        Err(e) => e,
    };
    let looks_xml = text.trim_start().starts_with('<');
    if first == ParseError::Empty || !looks_xml {
        return Err(first);
    }
    let Some((fixed, repairs)) = repair(text) else {
        return Err(locate(first, text));
    };
    match parse_feed(fixed.as_bytes(), base) {
        Ok(feed) => Ok(Document {
            feed,
            encoding,
            repairs: Some(repairs),
        }),
        Err(ParseError::NotAFeed(_)) => Err(first),
        Err(e) => Err(locate(e, &fixed)),
    }
}

/// Adds the line and column of the first well-formedness error to a parse error that
/// has none (feed-rs does not report positions).
fn locate(e: ParseError, text: &str) -> ParseError {
    let ParseError::Malformed {
        message,
        line: None,
        ..
    } = &e
    else {
        return e;
    };
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    match roxmltree::Document::parse_with_options(text, opts) {
        Ok(_) => e,
        Err(x) => {
            let pos = x.pos();
            ParseError::Malformed {
                message: format!("{message}: {x}"),
                line: Some(pos.row as usize),
                column: Some(pos.col as usize),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_feed_is_repaired_and_says_so() {
        let doc = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>T &amp; co</title>\n\
                   <item><title>Fish & chips&nbsp;today</title><guid>1</guid></item>\n\
                   <item><title>Second</title><guid>2</guid></item>\n</channel></rss";
        let d = parse_document(doc.as_bytes(), None, None).unwrap();
        let r = d.repairs.expect("repaired");
        assert_eq!(r.bare_ampersands, 1);
        assert_eq!(r.html_entities, 1);
        assert!(r.truncated);
        assert_eq!(d.feed.items.len(), 2);
        assert_eq!(d.feed.items[0].title, "Fish & chips today");
    }

    #[test]
    fn an_unrepairable_feed_reports_line_and_column() {
        let doc = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>\n<item><title>x</description></item></channel></rss>";
        let e = parse_document(doc.as_bytes(), None, None).unwrap_err();
        let ParseError::Malformed { line, column, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*line, Some(3), "{e}");
        assert!(column.is_some(), "{e}");
        assert!(e.to_string().contains("at line 3, column"), "{e}");
    }
}
