//! Text cut to a byte limit: on a character boundary, never inside a tag, an entity or
//! a comment, ending with [`MARKER`].

/// Ends a cut text: visible, and language-neutral.
pub const MARKER: &str = " […]";

/// The largest index ≤ `max` on a character boundary of `s`.
fn floor_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Plain text cut to at most `max` bytes, [`MARKER`] included, at a word boundary
/// when one is near; unchanged when it fits.
pub fn cut_text(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = floor_boundary(s, max.saturating_sub(MARKER.len()));
    // Back to the last space if it is close (a word is not cut in half).
    if let Some(sp) = s[..end].rfind(char::is_whitespace)
        && end - sp < 64
    {
        end = sp;
    }
    let mut out = s[..end].trim_end().to_string();
    out.push_str(MARKER);
    out
}

/// HTML cut to at most `max` bytes, [`MARKER`] included: never inside a tag, an
/// entity or a comment; unchanged when it fits. Elements left open are closed by the
/// parser that reads it.
pub fn cut_html(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = floor_boundary(s, max.saturating_sub(MARKER.len()));
    let head = &s[..end];
    // Inside a comment: cut before it.
    if let Some(open) = head.rfind("<!--")
        && !head[open..].contains("-->")
    {
        end = open;
    }
    let head = &s[..end];
    // Inside a tag: cut before its `<`.
    if let Some(lt) = head.rfind('<')
        && !head[lt..].contains('>')
    {
        end = lt;
    }
    let head = &s[..end];
    // Inside an entity (`&eacute;`, `&#1234;`): cut before its `&`.
    if let Some(amp) = head.rfind('&')
        && head.len() - amp <= 32
        && head[amp + 1..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'#')
    {
        end = amp;
    }
    let mut out = s[..end].to_string();
    out.push_str(MARKER);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_outside_tags_entities_and_comments() {
        let s = format!(
            "{}<a href=\"https://example.org/x\">link</a>",
            "a".repeat(90)
        );
        let out = cut_html(&s, 100);
        assert_eq!(out, format!("{}{MARKER}", "a".repeat(90)));
        let s = format!("{}&eacute;tail and more text here", "a".repeat(90));
        assert_eq!(cut_html(&s, 100), format!("{}{MARKER}", "a".repeat(90)));
        let s = format!("{}<!-- a comment that goes on -->", "a".repeat(90));
        assert_eq!(cut_html(&s, 100), format!("{}{MARKER}", "a".repeat(90)));
        let s = "ж".repeat(100);
        let out = cut_html(&s, 51);
        assert!(out.len() <= 51 && out.ends_with(MARKER), "{out}");
    }

    #[test]
    fn titles_are_cut_at_a_word_with_the_marker() {
        let t = "word ".repeat(1000);
        let out = cut_text(&t, 100);
        assert!(out.len() <= 100, "{}", out.len());
        assert!(out.ends_with(&format!("word{MARKER}")), "{out}");
        assert_eq!(cut_text("short", 100), "short");
    }
}
