//! The text floor: what every stage does to text, importing nothing of ours.
//!
//! - [`charset`]: bytes to UTF-8 (BOM, HTTP charset, declarations, detection).
//! - [`normalize`] / [`normalize_padded`]: text folded for matching (case, accents,
//!   punctuation), used by rules, dedup keys, grouping and source ids.
//! - [`html_to_text`] / [`strip_markup`]: markup reduced to text, linear whatever the
//!   input.
//! - [`cut_text`] / [`cut_html`]: text cut to a byte limit with a [`MARKER`], never
//!   inside a tag, entity or comment.
//! - [`cap_depth`] / [`cap_attributes`]: markup bounded before html5ever reads it
//!   (nesting depth, attributes per tag).
//! - [`codes`]: the Observatory and SOS-Torture case codes.
//! - [`country`]: which countries an item is about (ISO 3166 alpha-3), from its case
//!   codes, its country label and its title's leading "Country:".
//! - [`language`]: language detection and declared language tags.
//! - [`hex`] / [`sha256_hex`]: hashes as text.
//!
//! The limits that say how much of an item is kept live with the parsers
//! ([`crate::parse::bounds`]); this module has the mechanisms.

pub mod charset;
pub mod codes;
pub mod country;
mod cut;
mod fold;
mod hash;
pub mod language;
mod markup;
mod nesting;

pub use cut::{MARKER, cut_html, cut_text};
pub use fold::{normalize, normalize_padded};
pub use hash::{hex, sha256_hex};
pub use markup::{html_to_text, strip_markup};
pub use nesting::{MAX_ATTRIBUTES, cap_attributes, cap_depth};

/// Every run of whitespace turned into one space, none at either end.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
