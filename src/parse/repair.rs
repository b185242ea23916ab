//! A repair pass for feeds that do not parse: what tolerant readers (feedparser,
//! newsboat) forgive and feed-rs does not.
//!
//! - a bare `&` (not the start of an entity) becomes `&amp;`;
//! - an HTML entity XML does not define (`&nbsp;`, `&eacute;`, …) becomes its character;
//!   an unknown one is escaped (`&amp;bogus;`);
//! - characters XML forbids (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF) are
//!   removed;
//! - an `<rss>` root without the `version` attribute (which feed-rs requires) gets
//!   `version="2.0"`;
//! - a truncated tail is cut back to the last complete markup and the elements still
//!   open are closed, so the items before the cut are kept.
//!
//! CDATA sections and comments are copied as they are (minus forbidden characters).
//! Line breaks are never added or removed, so a line number after repair is the line
//! number in the document as served.

use std::fmt;

/// What the repair changed, for the source's status and the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repairs {
    pub bare_ampersands: usize,
    pub html_entities: usize,
    pub unknown_entities: usize,
    pub control_chars: usize,
    pub rss_version: bool,
    pub truncated: bool,
}

impl Repairs {
    pub fn any(&self) -> bool {
        *self != Repairs::default()
    }
}

impl fmt::Display for Repairs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.bare_ampersands > 0 {
            parts.push(format!("escaped {} bare &", self.bare_ampersands));
        }
        if self.html_entities > 0 {
            parts.push(format!("replaced {} HTML entities", self.html_entities));
        }
        if self.unknown_entities > 0 {
            parts.push(format!(
                "escaped {} unknown entities",
                self.unknown_entities
            ));
        }
        if self.control_chars > 0 {
            parts.push(format!("removed {} control characters", self.control_chars));
        }
        if self.rss_version {
            parts.push("added the missing RSS version".to_string());
        }
        if self.truncated {
            parts.push("closed a truncated document".to_string());
        }
        if parts.is_empty() {
            f.write_str("nothing to repair")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

fn forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

const XML_ENTITIES: [&str; 5] = ["amp", "lt", "gt", "quot", "apos"];

/// The length of a well-formed character reference at the start of `s` (`&#…;`).
fn char_ref_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("&#")?;
    let (digits, radix, skip) = match body.strip_prefix('x') {
        Some(hex) => (hex, 16, 3),
        None => (body, 10, 2),
    };
    let end = digits.find(';')?;
    let n = u32::from_str_radix(&digits[..end], radix).ok()?;
    let c = char::from_u32(n)?;
    (!forbidden(c) && end > 0).then_some(skip + end + 1)
}

/// A named entity at the start of `s`: (name, length including `&` and `;`).
fn named_ref(s: &str) -> Option<(&str, usize)> {
    let body = &s[1..];
    let end = body
        .char_indices()
        .take(40)
        .find(|(_, c)| !c.is_ascii_alphanumeric())
        .map(|(i, _)| i)?;
    (end > 0 && body[end..].starts_with(';') && body.as_bytes()[0].is_ascii_alphabetic())
        .then(|| (&body[..end], end + 2))
}

fn copy_filtered(out: &mut String, s: &str, r: &mut Repairs) {
    for c in s.chars() {
        if forbidden(c) {
            r.control_chars += 1;
        } else {
            out.push(c);
        }
    }
}

/// Repairs `text`; `None` when there was nothing to repair.
pub fn repair(text: &str) -> Option<(String, Repairs)> {
    let mut r = Repairs::default();
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while !rest.is_empty() {
        let Some(i) = rest.find(|c: char| c == '&' || c == '<' || forbidden(c)) else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let c = rest.chars().next().expect("non-empty");
        if forbidden(c) {
            r.control_chars += 1;
            rest = &rest[c.len_utf8()..];
        } else if c == '<' {
            let (open, close) = if rest.starts_with("<![CDATA[") {
                ("<![CDATA[", "]]>")
            } else if rest.starts_with("<!--") {
                ("<!--", "-->")
            } else {
                out.push('<');
                rest = &rest[1..];
                continue;
            };
            match rest[open.len()..].find(close) {
                Some(e) => {
                    let end = open.len() + e + close.len();
                    copy_filtered(&mut out, &rest[..end], &mut r);
                    rest = &rest[end..];
                }
                None => {
                    // Unterminated: the tail pass cuts it off.
                    copy_filtered(&mut out, rest, &mut r);
                    rest = "";
                }
            }
        } else if let Some(n) = char_ref_len(rest) {
            out.push_str(&rest[..n]);
            rest = &rest[n..];
        } else if let Some(n) = rest
            .strip_prefix("&#X")
            .and_then(|hex| char_ref_len(&format!("&#x{hex}")))
        {
            // HTML allows `&#X41;`, XML only the lower-case x.
            r.html_entities += 1;
            out.push_str("&#x");
            out.push_str(&rest[3..n]);
            rest = &rest[n..];
        } else if let Some((name, n)) = named_ref(rest) {
            if XML_ENTITIES.contains(&name) {
                out.push_str(&rest[..n]);
            } else {
                let decoded = html_escape::decode_html_entities(&rest[..n]);
                if decoded != rest[..n] {
                    r.html_entities += 1;
                    for ch in decoded.chars() {
                        match ch {
                            '<' => out.push_str("&lt;"),
                            '&' => out.push_str("&amp;"),
                            c => out.push(c),
                        }
                    }
                } else {
                    r.unknown_entities += 1;
                    out.push_str("&amp;");
                    out.push_str(&rest[1..n]);
                }
            }
            rest = &rest[n..];
        } else {
            r.bare_ampersands += 1;
            out.push_str("&amp;");
            rest = &rest[1..];
        }
    }
    if close_truncated(&mut out) {
        r.truncated = true;
    }
    if add_rss_version(&mut out) {
        r.rss_version = true;
    }
    r.any().then_some((out, r))
}

/// Cuts an unfinished tag, comment, CDATA section or declaration off the end and closes
/// the elements left open. Returns whether anything changed.
fn close_truncated(doc: &mut String) -> bool {
    let mut stack: Vec<String> = Vec::new();
    let bytes = doc.as_bytes();
    let mut i = 0;
    let mut cut: Option<usize> = None;
    while let Some(off) = doc[i..].find('<') {
        let at = i + off;
        let rest = &doc[at..];
        let end = if rest.starts_with("<!--") {
            rest.find("-->").map(|e| e + 3)
        } else if rest.starts_with("<![CDATA[") {
            rest.find("]]>").map(|e| e + 3)
        } else if rest.starts_with("<?") {
            rest.find("?>").map(|e| e + 2)
        } else {
            tag_end(rest)
        };
        let Some(end) = end else {
            cut = Some(at);
            break;
        };
        let tag = &rest[..end];
        if let Some(name) = tag.strip_prefix("</") {
            let name = name.trim_end_matches('>').trim();
            if let Some(pos) = stack.iter().rposition(|n| n == name) {
                stack.truncate(pos);
            }
        } else if !tag.starts_with("<!") && !tag.starts_with("<?") && !tag.ends_with("/>") {
            let name: String = tag[1..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
                .collect();
            if !name.is_empty() {
                stack.push(name);
            }
        }
        i = at + end;
        if i >= bytes.len() {
            break;
        }
    }
    if cut.is_none() && stack.is_empty() {
        return false;
    }
    if let Some(at) = cut {
        doc.truncate(at);
    }
    if stack.is_empty() {
        return cut.is_some();
    }
    for name in stack.iter().rev() {
        doc.push_str("</");
        doc.push_str(name);
        doc.push('>');
    }
    true
}

/// Gives a versionless `<rss>` root element `version="2.0"`.
fn add_rss_version(doc: &mut String) -> bool {
    let mut from = 0;
    // The root is the first element that is not a declaration, comment or PI.
    while let Some(off) = doc[from..].find('<') {
        let at = from + off;
        let rest = &doc[at..];
        let skip = if rest.starts_with("<!--") {
            rest.find("-->").map(|e| e + 3)
        } else if rest.starts_with("<?") || rest.starts_with("<!") {
            rest.find('>').map(|e| e + 1)
        } else {
            let is_rss = rest.starts_with("<rss")
                && rest[4..].starts_with(|c: char| c.is_whitespace() || c == '>');
            let Some(end) = tag_end(rest) else {
                return false;
            };
            if !is_rss || rest[..end].contains("version") {
                return false;
            }
            doc.insert_str(at + 4, " version=\"2.0\"");
            return true;
        };
        match skip {
            Some(n) => from = at + n,
            None => return false,
        }
    }
    false
}

/// The length of the tag at the start of `s` up to and including its `>`, skipping
/// quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (i, b) in s.bytes().enumerate().skip(1) {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(i + 1),
            (None, b'<') => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ampersands_entities_and_controls() {
        let (out, r) =
            repair("<t>A & B &amp; C&nbsp;D &eacute; &bogus; &#233; &#x41;\u{1}</t>").unwrap();
        assert_eq!(
            out,
            "<t>A &amp; B &amp; C\u{a0}D é &amp;bogus; &#233; &#x41;</t>"
        );
        assert_eq!(
            r,
            Repairs {
                bare_ampersands: 1,
                html_entities: 2,
                unknown_entities: 1,
                control_chars: 1,
                rss_version: false,
                truncated: false
            }
        );
        assert!(r.to_string().contains("escaped 1 bare &"), "{r}");
    }

    #[test]
    fn cdata_is_left_alone() {
        assert_eq!(repair("<t><![CDATA[a & b &nbsp;]]></t>"), None);
    }

    #[test]
    fn truncated_tail_is_cut_and_closed() {
        let (out, r) =
            repair("<rss version=\"2\"><channel><item><title>A</title></item><item><title>B</tit")
                .unwrap();
        assert!(r.truncated);
        assert_eq!(
            out,
            "<rss version=\"2\"><channel><item><title>A</title></item><item><title>B</title></item></channel></rss>"
        );
        let (out, _) = repair("<rss version=\"x>y\"><channel></channel></rss").unwrap();
        assert_eq!(out, "<rss version=\"x>y\"><channel></channel></rss>");
        assert_eq!(repair("<?xml version=\"1.0\"?><a><b/></a>"), None);
    }

    #[test]
    fn a_versionless_rss_root_gets_one() {
        let (out, r) = repair("<!-- c -->\n<rss>\n<channel></channel></rss>").unwrap();
        assert!(r.rss_version);
        assert_eq!(
            out,
            "<!-- c -->\n<rss version=\"2.0\">\n<channel></channel></rss>"
        );
        assert_eq!(repair("<rss version=\"0.91\"><channel/></rss>"), None);
    }
}
