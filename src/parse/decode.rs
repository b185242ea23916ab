//! HTML bytes to text, in the order browsers use: a byte-order mark, then the HTTP
//! `Content-Type` charset, then a `<meta charset>` / `http-equiv` declaration in the
//! first 1024 bytes, else UTF-8 (invalid sequences become U+FFFD, nothing is lost
//! silently beyond them). Labels are resolved by encoding_rs (the WHATWG Encoding
//! Standard), so `latin1`, `cp1251` and friends mean what browsers take them to mean.
//!
//! Kept behind one function so it can be swapped for a shared charset module.

use encoding_rs::{Encoding, UTF_8};

/// How far into the document a `<meta>` charset declaration is looked for (HTML spec).
const META_PREFIX: usize = 1024;

/// Decodes an HTML document to UTF-8 text.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> String {
    let declared = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
        .or_else(|| meta_charset(&bytes[..bytes.len().min(META_PREFIX)]))
        .map(html_compatible)
        .unwrap_or(UTF_8);
    // `decode` lets a BOM override the declared encoding, as browsers do.
    let (text, _, _) = declared.decode(bytes);
    text.into_owned()
}

/// A page cannot really be UTF-16 if its declaration was readable as ASCII; the HTML
/// spec maps such declarations (and x-user-defined) to something that can.
fn html_compatible(e: &'static Encoding) -> &'static Encoding {
    if e == encoding_rs::UTF_16BE || e == encoding_rs::UTF_16LE {
        UTF_8
    } else if e == encoding_rs::X_USER_DEFINED {
        encoding_rs::WINDOWS_1252
    } else {
        e
    }
}

/// `charset=` from a Content-Type value, unquoted.
fn charset_param(ct: &str) -> Option<String> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// The charset a `<meta>` element in `head` declares, if any.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    // The prefix is ASCII-compatible in every encoding a page may declare this way.
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("<meta") {
        let tag_start = &rest[at + 5..];
        let end = tag_start.find('>').unwrap_or(tag_start.len());
        let tag = &tag_start[..end];
        if let Some(e) = attr_value(tag, "charset").and_then(|l| Encoding::for_label(l.as_bytes()))
        {
            return Some(e);
        }
        if attr_value(tag, "http-equiv").as_deref() == Some("content-type")
            && let Some(content) = attr_value(tag, "content")
            && let Some(label) = charset_param(&format!("x;{content}"))
            && let Some(e) = Encoding::for_label(label.as_bytes())
        {
            return Some(e);
        }
        rest = &tag_start[end..];
    }
    None
}

/// The value of `name=` inside a (lower-cased) tag, quoted or not.
fn attr_value(tag: &str, name: &str) -> Option<String> {
    let mut search = tag;
    while let Some(i) = search.find(name) {
        let before_ok = i == 0
            || search.as_bytes()[i - 1].is_ascii_whitespace()
            || search.as_bytes()[i - 1] == b'/';
        let after = search[i + name.len()..].trim_start();
        if before_ok && let Some(v) = after.strip_prefix('=') {
            let v = v.trim_start();
            let value = match v.chars().next() {
                Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or(""),
                _ => v
                    .split(|c: char| c.is_ascii_whitespace() || matches!(c, '>' | '/' | '"' | '\''))
                    .next()
                    .unwrap_or(""),
            };
            return Some(value.trim().to_string());
        }
        search = &search[i + name.len()..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_by_default_and_lossy() {
        assert_eq!(decode_html("Détention".as_bytes(), None), "Détention");
        assert_eq!(decode_html(b"a\xffb", None), "a\u{fffd}b");
    }

    #[test]
    fn http_charset_wins_over_meta() {
        let page = b"<meta charset=\"utf-8\"><p>D\xe9tention</p>";
        let text = decode_html(page, Some("text/html; charset=ISO-8859-1"));
        assert!(text.contains("Détention"), "{text}");
    }

    #[test]
    fn meta_charset_and_http_equiv() {
        let page = b"<html><head><meta charset='windows-1251'></head><body>\xd1\xf0\xee\xf7\xed\xee</body>";
        assert!(decode_html(page, Some("text/html")).contains("Срочно"));
        let page = b"<head><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\"></head>D\xe9tention";
        assert!(decode_html(page, None).contains("Détention"));
    }

    #[test]
    fn bom_overrides_declarations() {
        let mut page = vec![0xEF, 0xBB, 0xBF];
        page.extend_from_slice("<meta charset=\"iso-8859-1\">Détention".as_bytes());
        let text = decode_html(&page, Some("text/html; charset=windows-1252"));
        assert!(text.ends_with("Détention"), "{text}");
        assert!(!text.starts_with('\u{feff}'));
    }

    #[test]
    fn utf16_meta_means_utf8() {
        let page = "<meta charset=\"utf-16\">Détention".as_bytes();
        assert!(decode_html(page, None).contains("Détention"));
    }

    #[test]
    fn meta_after_the_first_kilobyte_is_ignored() {
        let mut page = vec![b' '; 1100];
        page.extend_from_slice(b"<meta charset=\"iso-8859-1\">D\xe9");
        assert!(decode_html(&page, None).ends_with("D\u{fffd}"));
    }
}
