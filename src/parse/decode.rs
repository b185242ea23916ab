//! HTML bytes to text, in the order browsers use: a byte-order mark, then the HTTP
//! `Content-Type` charset, then a `<meta charset>` / `http-equiv` declaration in the
//! first 1024 bytes, then detection; the work is done by
//! [`crate::text::charset::to_utf8`], shared with feeds.

use crate::text::charset::{DocKind, to_utf8};

/// Decodes an HTML document to UTF-8 text.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> String {
    to_utf8(bytes, content_type, DocKind::Html)
        .text
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_by_default_else_detected() {
        assert_eq!(decode_html("Détention".as_bytes(), None), "Détention");
        // Not UTF-8 and nothing declared: the detector's guess (windows-1252 here).
        assert_eq!(decode_html(b"a\xffb", None), "a\u{ff}b");
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
        use crate::text::charset::{Decision, DocKind, to_utf8};
        let mut page = vec![b' '; 1100];
        page.extend_from_slice(b"<meta charset=\"koi8-r\">D\xe9");
        let d = to_utf8(&page, None, DocKind::Html);
        assert!(
            !matches!(d.decision, Decision::Declaration),
            "{:?}",
            d.decision
        );
    }
}
