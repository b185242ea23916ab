//! Making item text safe for every output.
//!
//! Item HTML comes from the open web. It goes through ammonia (a maintained, html5ever
//! based sanitiser) with an allow-list: no script, style, iframe, object, embed, form,
//! meta, link or base elements, no `on*` or `style` attributes, only http(s) and mailto
//! URLs (plus `data:` images in `<img src>`, in raster formats only: an SVG can carry
//! script), and relative URLs made absolute against the item's own link. Text for XML
//! outputs also loses the characters XML 1.0 forbids (C0 controls but tab, CR, LF;
//! U+FFFE and U+FFFF), which a hostile feed could otherwise use to break the document.
//!
//! Before ammonia sees it, item HTML is cut to the content limit and its nesting to
//! [`MAX_FRAGMENT_DEPTH`](crate::parse::bounds::MAX_FRAGMENT_DEPTH) open elements
//! ([`cap_fragment`]): html5ever's cost grows with the square of the nesting depth.

use std::collections::HashSet;

use ammonia::{Builder, UrlRelative};
use url::Url;

use crate::parse::bounds::{MAX_CONTENT_BYTES, MAX_TITLE_BYTES, cap_fragment};
use crate::text::{cut_html, cut_text};

fn builder() -> Builder<'static> {
    let mut b = Builder::default();
    b.url_schemes(HashSet::from(["http", "https", "mailto", "data"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true)
        .attribute_filter(|element, attribute, value| {
            let v = value.trim_start();
            if v.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:")) {
                return (element == "img" && attribute == "src" && safe_data_image(v))
                    .then(|| value.into());
            }
            Some(value.into())
        });
    b
}

/// `data:image/png;base64,…` and the like; never SVG, never without base64.
fn safe_data_image(v: &str) -> bool {
    let lower: String = v.chars().take(40).collect::<String>().to_ascii_lowercase();
    ["png", "gif", "jpeg", "jpg", "webp", "avif"]
        .iter()
        .any(|t| lower.starts_with(&format!("data:image/{t};base64,")))
}

/// Sanitises item HTML; relative URLs resolve against `base` (the item's link) or are
/// dropped when there is none.
pub fn html(fragment: &str, base: Option<&str>) -> String {
    let cut;
    let fragment = if fragment.len() > MAX_CONTENT_BYTES {
        cut = cut_html(fragment, MAX_CONTENT_BYTES);
        &cut
    } else {
        fragment
    };
    let fragment = &*cap_fragment(fragment);
    let base = base.and_then(|b| Url::parse(b).ok());
    let clean = match base {
        Some(base) => {
            let mut b = builder();
            b.url_relative(UrlRelative::RewriteWithBase(base));
            b.clean(fragment).to_string()
        }
        None => {
            let mut b = builder();
            b.url_relative(UrlRelative::Deny);
            b.clean(fragment).to_string()
        }
    };
    xml_text(&clean)
}

/// Removes characters that XML 1.0 does not allow.
pub fn xml_text(s: &str) -> String {
    if s.chars().all(xml_char) {
        return s.to_string();
    }
    s.chars().filter(|&c| xml_char(c)).collect()
}

fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A title: plain text, XML-safe, on one line, and without anything that looks like a
/// tag (some readers render RSS titles as HTML).
pub fn title(s: &str) -> String {
    let t = plain(&crate::text::strip_markup(s));
    if t.len() > MAX_TITLE_BYTES {
        cut_text(&t, MAX_TITLE_BYTES)
    } else {
        t
    }
}

/// A title or other plain text: XML-safe and on one line.
pub fn plain(s: &str) -> String {
    xml_text(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_go() {
        let out = html(
            r#"<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:alert(1)">l</a><iframe src="http://e"></iframe></p>"#,
            None,
        );
        assert!(!out.contains("script"), "{out}");
        assert!(!out.contains("onclick"), "{out}");
        assert!(!out.contains("javascript"), "{out}");
        assert!(!out.contains("iframe"), "{out}");
        assert!(out.contains("Hi"));
    }

    #[test]
    fn non_ascii_attribute_values_are_fine() {
        // Regression: a byte-indexed prefix check panicked inside a multi-byte letter.
        let out = html(
            r#"<img alt="Нажмите для просмотра" title="Нажмите" src="https://x/a.png">"#,
            None,
        );
        assert!(out.contains("Нажмите"), "{out}");
    }

    #[test]
    fn data_urls_only_for_raster_images() {
        let out = html(
            r#"<img src="data:image/png;base64,iVBORw0KGgo="><img src="data:image/svg+xml;base64,PHN2Zz4="><a href="data:text/html,<script>alert(1)</script>">x</a><a href="vbscript:msgbox(1)">y</a>"#,
            None,
        );
        assert!(out.contains("data:image/png;base64,iVBORw0KGgo="), "{out}");
        assert!(!out.contains("svg"), "{out}");
        assert!(!out.contains("data:text"), "{out}");
        assert!(!out.contains("vbscript"), "{out}");
    }

    #[test]
    fn relative_urls_become_absolute() {
        let out = html(r#"<a href="/case/1">c</a>"#, Some("https://omct.org/en/x"));
        assert!(out.contains(r#"href="https://omct.org/case/1""#), "{out}");
    }

    #[test]
    fn deep_nesting_is_capped_before_ammonia() {
        let n = 20_000;
        let out = html(
            &format!(
                "{}deep text{}<p>after</p>",
                "<div>".repeat(n),
                "</div>".repeat(n)
            ),
            None,
        );
        assert!(
            out.contains("deep text") && out.ends_with("<p>after</p>"),
            "{out}"
        );
        let depth = crate::parse::bounds::MAX_FRAGMENT_DEPTH;
        assert_eq!(out.matches("<div>").count(), depth, "{}", out.len());
    }

    #[test]
    fn long_titles_are_cut_with_the_marker() {
        let t = title(&"Urgent appeal ".repeat(100_000));
        assert!(t.len() <= MAX_TITLE_BYTES, "{}", t.len());
        assert!(t.ends_with(crate::text::MARKER), "{t}");
    }

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(xml_text("a\u{1}b\u{FFFF}c\td"), "abc\td");
        assert_eq!(plain(" a \n b\u{0}"), "a b");
    }
}
