//! Parse: bytes from a source into [`ParsedFeed`].
//!
//! - [`feed`]: RSS 0.9x/1.0/2.0, Atom and JSON Feed, through feed-rs.
//! - [`atom03`]: Atom 0.3 rewritten as Atom 1.0 first (feed-rs reads only 1.0).
//! - [`html`]: HTML listing pages, through CSS selectors (scraper).
//! - [`decode`]: HTML bytes to text (BOM, HTTP charset, `<meta>`, else UTF-8).

pub mod atom03;
mod decode;
mod feed;
pub mod html;

pub use decode::decode_html;
pub(crate) use feed::clean_language;
pub use feed::parse_feed;

/// Why a document yielded no items.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ParseError {
    #[error("the document is empty")]
    Empty,
    #[error("not a feed: {0}")]
    NotAFeed(String),
    #[error("{message}")]
    Malformed {
        message: String,
        /// 1-based position of the error, when the parser knows it.
        line: Option<usize>,
        column: Option<usize>,
    },
    /// An HTML listing answered, but its selectors found nothing usable.
    #[error("selectors matched nothing: the page layout may have changed ({0})")]
    LayoutChanged(String),
}
