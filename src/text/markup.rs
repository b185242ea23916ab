//! HTML reduced to text, for matching, hashing and excerpts (never for display: the
//! publisher sanitises what it shows).

/// The text of an HTML fragment, for matching only (never for display): tags dropped,
/// `script`/`style` bodies skipped, entities decoded. Block boundaries become spaces so
/// words in adjacent paragraphs do not run together.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return html.to_string();
    }
    let stripped = strip_markup(html);
    match html_escape::decode_html_entities(&stripped) {
        std::borrow::Cow::Borrowed(_) => stripped,
        std::borrow::Cow::Owned(decoded) => decoded,
    }
}

/// Removes everything that looks like markup: tags (a `<` followed by a letter, `/`,
/// `!` or `?`, up to the next `>`) and the bodies of `script` and `style` elements.
/// A lone `<` (as in "1 < 2") stays. Entities are left as they are. Linear in the
/// length of `html`, whatever it holds: each search resumes where the last one ended.
pub fn strip_markup(html: &str) -> String {
    if !html.contains('<') {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    // Where the next `>` at or after `at` is (`None`: there is none left).
    let mut gt_cache: Option<Option<usize>> = None;
    let next_gt = |from: usize, cache: &mut Option<Option<usize>>| -> Option<usize> {
        match *cache {
            Some(Some(g)) if g >= from => Some(g),
            Some(None) => None,
            _ => {
                let g = html[from..].find('>').map(|g| from + g);
                *cache = Some(g);
                g
            }
        }
    };
    while let Some(lt) = html[at..].find('<').map(|i| at + i) {
        out.push_str(&html[at..lt]);
        let starts_tag = html[lt + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        let gt = if starts_tag {
            next_gt(lt, &mut gt_cache)
        } else {
            None
        };
        let Some(gt) = gt else {
            out.push('<');
            at = lt + 1;
            continue;
        };
        let tag = &html[lt..gt];
        let name = tag[1..]
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        at = gt + 1;
        if (name == "script" || name == "style") && !tag[1..].starts_with('/') {
            let close = format!("</{name}");
            match find_ascii_ci(&html[at..], &close) {
                Some(end) => {
                    let end = at + end;
                    at = match next_gt(end, &mut gt_cache) {
                        Some(g) => g + 1,
                        None => html.len(),
                    };
                }
                None => at = html.len(),
            }
        }
        out.push(' ');
    }
    out.push_str(&html[at..]);
    out
}

fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    hay.as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;

    #[test]
    fn html_to_text_drops_tags_scripts_and_decodes_entities() {
        let t = html_to_text(
            "<p>Urgent</p><p>appeal &eacute;t&amp;</p><script>alert('x urgent')</script>end",
        );
        assert_eq!(normalize(&t), "urgent appeal et end");
        assert_eq!(html_to_text("a < b"), "a < b");
        assert_eq!(html_to_text("1 < 2 & 3 > 0"), "1 < 2 & 3 > 0");
        assert_eq!(
            strip_markup("x <b>bold</b> &amp; <script>evil()</script>y"),
            "x  bold  &amp;  y"
        );
        assert_eq!(strip_markup("<a <b>c</b> <d"), " c  <d");
        assert_eq!(strip_markup("<<<a>>"), "<< >");
    }

    #[test]
    fn markup_without_an_end_is_stripped_in_linear_time() {
        // Was quadratic: each `<` searched the rest of the text for a `>`.
        let n = 200_000;
        let text = "<a".repeat(n);
        assert_eq!(strip_markup(&text), text);
        let text = format!("{}x", "<script>".repeat(n));
        assert_eq!(strip_markup(&text), " ");
    }
}
