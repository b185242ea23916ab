//! Bytes to UTF-8 text, for every parser (feeds and HTML pages).
//!
//! The order of evidence: a byte-order mark; the HTTP `Content-Type` charset; the
//! document's own declaration (`<?xml … encoding="…"?>`, or for HTML a `<meta charset>` /
//! `<meta http-equiv="Content-Type">` in the first 1024 bytes); then detection
//! (chardetng, the detector Firefox uses). A declaration of UTF-8 that the bytes
//! contradict is ignored, as is a UTF-16 label on ASCII-compatible bytes, and an HTTP
//! legacy charset on a body that is valid non-ASCII UTF-8 (a server default, not a
//! statement about the document). Decoding is
//! encoding_rs (the WHATWG Encoding Standard: labels such as `iso-8859-1` mean
//! windows-1252, as browsers read them).
//!
//! For XML the declaration is rewritten to say UTF-8, because XML parsers (feed-rs among
//! them) trust it and would decode the already-decoded text a second time.

use std::borrow::Cow;
use std::fmt;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// What kind of document the bytes are: where to look for a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Xml,
    Html,
}

/// Which evidence chose the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Bom,
    HttpHeader,
    Declaration,
    Detected,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Bom => "byte-order mark",
            Decision::HttpHeader => "HTTP Content-Type",
            Decision::Declaration => "document declaration",
            Decision::Detected => "detected",
        })
    }
}

/// A document as UTF-8 text.
#[derive(Debug, Clone)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static Encoding,
    pub decision: Decision,
    /// Some bytes were not valid in the encoding and became U+FFFD.
    pub had_errors: bool,
}

impl Decoded<'_> {
    /// E.g. `windows-1251 (detected)`.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.encoding.name(), self.decision)
    }
}

/// The `charset` parameter of a `Content-Type` value.
pub fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

fn is_utf16(e: &'static Encoding) -> bool {
    e == UTF_16LE || e == UTF_16BE
}

/// Whether `enc` can be what `bytes` are in, as far as cheap checks tell.
fn plausible(enc: &'static Encoding, bytes: &[u8]) -> bool {
    if enc == UTF_8 {
        return std::str::from_utf8(bytes).is_ok();
    }
    if is_utf16(enc) {
        // Markup in UTF-16 has a NUL in every other byte of its ASCII characters; a
        // document whose first bytes have none was written in an ASCII-compatible
        // encoding, whatever it declares (the HTML spec reads such a label as UTF-8).
        return bytes[..bytes.len().min(64)].contains(&0);
    }
    true
}

/// A server default such as `charset=iso-8859-1` on a body that is valid UTF-8 with
/// non-ASCII text: legacy-encoded prose is practically never valid UTF-8, so the header
/// is the one that is wrong (web servers add it to every `text/*` response).
fn utf8_mislabelled(enc: &'static Encoding, bytes: &[u8]) -> bool {
    enc != UTF_8 && !is_utf16(enc) && !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok()
}

/// Finds `name="value"` (or single quotes) in `s`, case-insensitively on the name.
fn attr<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let lower = s.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
        let rest = s[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let (q, body) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), &rest[1..]),
            _ => (None, rest),
        };
        let end = match q {
            Some(q) => body.find(q),
            None => {
                body.find(|c: char| c.is_whitespace() || matches!(c, '>' | ';' | '/' | '"' | '\''))
            }
        }
        .unwrap_or(body.len());
        return Some(&body[..end]);
    }
    None
}

/// The encoding named by `<?xml … encoding="…"?>` at the start of the document.
fn xml_declaration(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    // UTF-16 without a BOM: "<?" as 16-bit units.
    if head.starts_with(&[0x3C, 0x00, 0x3F, 0x00]) {
        return Some(UTF_16LE);
    }
    if head.starts_with(&[0x00, 0x3C, 0x00, 0x3F]) {
        return Some(UTF_16BE);
    }
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    Encoding::for_label(attr(decl, "encoding")?.as_bytes())
}

/// The encoding named by a `<meta>` in the first 1024 bytes of an HTML page.
fn html_meta(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<meta") {
        let at = from + i;
        let end = lower[at..].find('>').map_or(lower.len(), |e| at + e);
        let tag = &head[at..end];
        from = end;
        if let Some(e) = attr(tag, "charset").and_then(|cs| Encoding::for_label(cs.as_bytes())) {
            return Some(e);
        }
        if attr(tag, "http-equiv").is_some_and(|v| v.eq_ignore_ascii_case("content-type"))
            && let Some(content) = attr(tag, "content")
            && let Some(e) = charset_param(content).and_then(|c| Encoding::for_label(c.as_bytes()))
        {
            return Some(e);
        }
    }
    None
}

fn detect(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
    let mut d = EncodingDetector::new(Iso2022JpDetection::Deny);
    d.feed(bytes, true);
    d.guess(None, Utf8Detection::Allow)
}

/// Chooses the encoding of `bytes` and decodes them to UTF-8.
pub fn to_utf8<'a>(bytes: &'a [u8], content_type: Option<&str>, kind: DocKind) -> Decoded<'a> {
    let (encoding, bom_len, decision) = if let Some((e, n)) = Encoding::for_bom(bytes) {
        (e, n, Decision::Bom)
    } else if let Some(e) = content_type
        .and_then(charset_param)
        .and_then(|c| Encoding::for_label(c.as_bytes()))
        .filter(|e| plausible(e, bytes) && !utf8_mislabelled(e, bytes))
    {
        (e, 0, Decision::HttpHeader)
    } else if let Some(e) = match kind {
        DocKind::Xml => xml_declaration(bytes),
        DocKind::Html => html_meta(bytes),
    }
    .map(|e| {
        if is_utf16(e) && !plausible(e, bytes) {
            UTF_8
        } else {
            e
        }
    })
    .filter(|e| plausible(e, bytes))
    {
        (e, 0, Decision::Declaration)
    } else {
        (detect(bytes), 0, Decision::Detected)
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
    let text = match kind {
        DocKind::Xml => declare_utf8(text),
        DocKind::Html => text,
    };
    Decoded {
        text,
        encoding,
        decision,
        had_errors,
    }
}

/// Makes the XML declaration (if any) say `encoding="UTF-8"`.
fn declare_utf8(text: Cow<'_, str>) -> Cow<'_, str> {
    let start = text.len() - text.trim_start().len();
    let t = &text[start..];
    if !t.starts_with("<?xml") {
        return text;
    }
    let Some(end) = t.find("?>") else { return text };
    let decl = &t[..end];
    let Some(value) = attr(decl, "encoding") else {
        return text;
    };
    if value.eq_ignore_ascii_case("utf-8") {
        return text;
    }
    // `value` points into `decl`; replace exactly that span.
    let v_start = start + (value.as_ptr() as usize - t.as_ptr() as usize);
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..v_start]);
    out.push_str("UTF-8");
    out.push_str(&text[v_start + value.len()..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_charset_is_read() {
        assert_eq!(
            charset_param("text/xml; charset=\"KOI8-R\""),
            Some("KOI8-R")
        );
        assert_eq!(charset_param("application/rss+xml"), None);
    }

    #[test]
    fn bom_beats_everything() {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("<?xml version=\"1.0\" encoding=\"windows-1251\"?><a>ț</a>".as_bytes());
        let d = to_utf8(&b, Some("text/xml; charset=iso-8859-2"), DocKind::Xml);
        assert_eq!(d.decision, Decision::Bom);
        assert_eq!(d.text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>ț</a>");
    }

    #[test]
    fn http_charset_beats_the_declaration_unless_the_bytes_contradict_it() {
        let (b, _, _) = encoding_rs::WINDOWS_1251
            .encode("<?xml version='1.0' encoding='koi8-r'?><a>Привет</a>");
        let d = to_utf8(&b, Some("text/xml; charset=windows-1251"), DocKind::Xml);
        assert_eq!(
            (d.encoding, d.decision),
            (encoding_rs::WINDOWS_1251, Decision::HttpHeader)
        );
        assert_eq!(
            d.text,
            "<?xml version='1.0' encoding='UTF-8'?><a>Привет</a>"
        );
        // A server that says UTF-8 about windows-1251 bytes is not believed.
        let d = to_utf8(&b, Some("text/xml; charset=utf-8"), DocKind::Xml);
        assert_eq!(d.decision, Decision::Declaration);
        assert_eq!(d.encoding, encoding_rs::KOI8_R);
    }

    #[test]
    fn a_server_default_charset_does_not_garble_utf8() {
        let b = "<?xml version=\"1.0\"?><a>Chișinău</a>".as_bytes();
        let d = to_utf8(b, Some("text/html; charset=ISO-8859-1"), DocKind::Xml);
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains("Chișinău"));
    }

    #[test]
    fn html_meta_is_read() {
        let (b, _, _) = encoding_rs::WINDOWS_1250.encode(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1250\"></head><body>Łódź</body></html>",
        );
        let d = to_utf8(&b, Some("text/html"), DocKind::Html);
        assert_eq!(
            (d.encoding, d.decision),
            (encoding_rs::WINDOWS_1250, Decision::Declaration)
        );
        assert!(d.text.contains("Łódź"));
        let d = to_utf8(
            b"<meta charset=koi8-r><p>\xf0\xd2\xc9\xd7\xc5\xd4",
            None,
            DocKind::Html,
        );
        assert_eq!(d.encoding, encoding_rs::KOI8_R);
        assert!(d.text.ends_with("Привет"));
    }

    #[test]
    fn utf8_text_is_borrowed_not_copied() {
        let b = "<?xml version=\"1.0\" encoding=\"utf-8\"?><a>ș</a>".as_bytes();
        let d = to_utf8(b, None, DocKind::Xml);
        assert!(matches!(d.text, Cow::Borrowed(_)));
        assert_eq!(d.describe(), "UTF-8 (document declaration)");
    }
}
