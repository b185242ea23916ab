//! Text as rules see it: HTML reduced to text, then folded so that case, accents,
//! Romanian ș/ş ț/ţ variants and punctuation do not matter.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for matching: lower case, accents and other combining marks removed
/// (so ș, ş and s are the same letter, as are é and e, й and и), every run of
/// characters that are not letters or digits turned into one space, no leading or
/// trailing space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let mut push = |c: char, out: &mut String| {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            for l in c.to_lowercase() {
                out.push(l);
            }
        } else {
            pending_space = true;
        }
    };
    for ch in text.chars() {
        if ch.is_ascii() {
            push(ch, &mut out);
        } else {
            for d in std::iter::once(ch).nfkd() {
                if !is_combining_mark(d) {
                    push(d, &mut out);
                }
            }
        }
    }
    out
}

/// The text of an HTML fragment, for matching only (never for display): tags dropped,
/// `script`/`style` bodies skipped, entities decoded. Block boundaries become spaces so
/// words in adjacent paragraphs do not run together.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return html.to_string();
    }
    html_escape::decode_html_entities(&strip_markup(html)).into_owned()
}

/// Removes everything that looks like markup: tags (a `<` followed by a letter, `/`,
/// `!` or `?`, up to the next `>`) and the bodies of `script` and `style` elements.
/// A lone `<` (as in "1 < 2") stays. Entities are left as they are.
pub fn strip_markup(html: &str) -> String {
    if !html.contains('<') {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tag = &rest[lt..];
        let starts_tag = tag[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        let Some(gt) = tag.find('>').filter(|_| starts_tag) else {
            out.push('<');
            rest = &tag[1..];
            continue;
        };
        let name = tag[1..gt]
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        rest = &tag[gt + 1..];
        if (name == "script" || name == "style") && !tag[1..].starts_with('/') {
            let close = format!("</{name}");
            match find_ascii_ci(rest, &close) {
                Some(end) => {
                    rest = &rest[end..];
                    rest = rest.find('>').map(|g| &rest[g + 1..]).unwrap_or("");
                }
                None => rest = "",
            }
        }
        out.push(' ');
    }
    out.push_str(rest);
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

    #[test]
    fn folds_romanian_comma_and_cedilla_alike() {
        assert_eq!(
            normalize("Eliberarea urgentă a activistului Pleșcanov"),
            normalize("ELIBERAREA URGENTA a activistului Pleşcanov")
        );
        assert_eq!(normalize("detenție"), "detentie");
        assert_eq!(normalize("detenţie"), "detentie");
    }

    #[test]
    fn folds_french_and_russian() {
        assert_eq!(normalize("Détention arbitraire"), "detention arbitraire");
        assert_eq!(normalize("СРОЧНЫЙ призыв!"), "срочныи призыв");
        assert_eq!(normalize("срочный"), normalize("Срочный"));
    }

    #[test]
    fn punctuation_becomes_single_spaces() {
        assert_eq!(
            normalize("  Urgent -- appeal: (MDA)  "),
            "urgent appeal mda"
        );
        assert_eq!(normalize("l'intervention"), "l intervention");
    }

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
    }
}
