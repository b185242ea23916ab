//! Parse: bytes from a source into [`ParsedFeed`].
//!
//! - [`feed`]: RSS 0.9x/1.0/2.0, Atom and JSON Feed, through feed-rs.
//! - [`atom03`]: Atom 0.3 rewritten as Atom 1.0 first (feed-rs reads only 1.0).

pub mod atom03;
mod feed;

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
}
