//! Where a key sits in the config file.
//!
//! Validation works on typed structs, which have forgotten their positions; the operator
//! needs `file:line:column`. This module re-reads the TOML with spans
//! ([`toml::de::DeTable`]) and answers two questions: where is the key with this path
//! (`sources[2].schedule`), and which key path covers this byte offset (for serde errors,
//! which carry a span but no path).

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A key path such as `sources[2].schedule`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn key(mut self, k: &str) -> Self {
        self.0.push(Seg::Key(k.to_string()));
        self
    }

    pub fn index(mut self, i: usize) -> Self {
        self.0.push(Seg::Index(i));
        self
    }

    /// Parses the `a.b[3].c` form used in messages (keys may not contain `.` or `[`).
    pub fn parse(s: &str) -> Self {
        let mut path = KeyPath::default();
        for part in s.split('.') {
            let mut rest = part;
            if let Some(open) = rest.find('[') {
                path.0.push(Seg::Key(rest[..open].to_string()));
                rest = &rest[open..];
                while let Some(stripped) = rest.strip_prefix('[') {
                    let close = stripped.find(']').unwrap_or(stripped.len());
                    if let Ok(i) = stripped[..close].parse() {
                        path.0.push(Seg::Index(i));
                    }
                    rest = stripped.get(close + 1..).unwrap_or("");
                }
            } else if !rest.is_empty() {
                path.0.push(Seg::Key(rest.to_string()));
            }
        }
        path
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Converts a byte offset into a 1-based line and column.
pub(super) fn position(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    Position { line, column }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The spanned document, parsed once per error report.
pub(super) struct Locator<'a> {
    doc: Option<Spanned<DeTable<'a>>>,
}

impl<'a> Locator<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Locator {
            doc: DeTable::parse(text).ok(),
        }
    }

    /// The span of the value at `path`, or of the closest enclosing element that exists
    /// (a missing key is reported where its table is).
    pub(super) fn span_of(&self, path: &KeyPath) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut best = None;
        let mut table: Option<&DeTable> = Some(doc.get_ref());
        let mut value: Option<&Spanned<DeValue>> = None;
        for seg in &path.0 {
            match seg {
                Seg::Key(k) => {
                    let t = table.or_else(|| value.and_then(|v| v.get_ref().as_table()))?;
                    let Some((key, v)) = t.iter().find(|(key, _)| key.get_ref() == k) else {
                        return best;
                    };
                    best = Some(key.span());
                    value = Some(v);
                    table = None;
                }
                Seg::Index(i) => {
                    let arr = value.and_then(|v| v.get_ref().as_array())?;
                    let Some(v) = arr.get(*i) else {
                        return best;
                    };
                    best = Some(v.span());
                    value = Some(v);
                    table = None;
                }
            }
        }
        best
    }

    /// The deepest key path whose key or value covers `offset`.
    pub(super) fn path_at(&self, offset: usize) -> KeyPath {
        let mut path = KeyPath::default();
        if let Some(doc) = &self.doc {
            walk_table(doc.get_ref(), offset, &mut path);
        }
        path
    }
}

fn covers(span: &Range<usize>, offset: usize) -> bool {
    span.start <= offset && offset < span.end.max(span.start + 1)
}

fn walk_table(table: &DeTable, offset: usize, path: &mut KeyPath) -> bool {
    for (key, value) in table.iter() {
        if covers(&key.span(), offset) {
            path.0.push(Seg::Key(key.get_ref().to_string()));
            return true;
        }
        if covers(&value.span(), offset) {
            path.0.push(Seg::Key(key.get_ref().to_string()));
            walk_value(value.get_ref(), offset, path);
            return true;
        }
        // Arrays of tables: the value span may not cover each `[[x]]` body, so look inside.
        if let Some(arr) = value.get_ref().as_array() {
            let mark = path.0.len();
            path.0.push(Seg::Key(key.get_ref().to_string()));
            if walk_array(arr, offset, path) {
                return true;
            }
            path.0.truncate(mark);
        }
        if let Some(inner) = value.get_ref().as_table() {
            let mark = path.0.len();
            path.0.push(Seg::Key(key.get_ref().to_string()));
            if walk_table(inner, offset, path) {
                return true;
            }
            path.0.truncate(mark);
        }
    }
    false
}

fn walk_array(arr: &[Spanned<DeValue>], offset: usize, path: &mut KeyPath) -> bool {
    for (i, item) in arr.iter().enumerate() {
        let mark = path.0.len();
        path.0.push(Seg::Index(i));
        if covers(&item.span(), offset) {
            walk_value(item.get_ref(), offset, path);
            return true;
        }
        if let Some(t) = item.get_ref().as_table()
            && walk_table(t, offset, path)
        {
            return true;
        }
        path.0.truncate(mark);
    }
    false
}

fn walk_value(value: &DeValue, offset: usize, path: &mut KeyPath) {
    if let Some(t) = value.as_table() {
        walk_table(t, offset, path);
    } else if let Some(arr) = value.as_array() {
        walk_array(arr, offset, path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[daemon]\nschedule = \"x\"\n\n[[sources]]\nid = \"a\"\n\n[[sources]]\nid = \"b\"\nurl = \"u\"\n";

    #[test]
    fn finds_keys_in_arrays_of_tables() {
        let loc = Locator::new(DOC);
        let span = loc.span_of(&KeyPath::parse("sources[1].url")).unwrap();
        assert_eq!(position(DOC, span.start), Position { line: 9, column: 1 });
        let span = loc.span_of(&KeyPath::parse("daemon.schedule")).unwrap();
        assert_eq!(position(DOC, span.start).line, 2);
    }

    #[test]
    fn missing_key_points_at_its_table() {
        let loc = Locator::new(DOC);
        let span = loc.span_of(&KeyPath::parse("sources[0].url")).unwrap();
        assert_eq!(position(DOC, span.start).line, 4, "the [[sources]] header");
    }

    #[test]
    fn path_at_offset() {
        let loc = Locator::new(DOC);
        let off = DOC.find("url").unwrap();
        assert_eq!(loc.path_at(off).to_string(), "sources[1].url");
    }

    #[test]
    fn parses_and_prints_paths() {
        assert_eq!(
            KeyPath::parse("rules[3].keywords[0]").to_string(),
            "rules[3].keywords[0]"
        );
    }
}
