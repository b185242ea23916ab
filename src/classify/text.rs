//! Text as rules see it: HTML reduced to text, then folded so that case, accents,
//! Romanian ș/ş ț/ţ variants and punctuation do not matter; and keyword phrases
//! compiled against that folded form.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Folds text for matching: lower case, accents and other combining marks removed
/// (so ș, ş and s are the same letter, as are é and e, й and и), every run of
/// characters that are not letters or digits turned into one space, no leading or
/// trailing space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    fold_into(text, &mut out);
    out
}

/// The folded text with a space on each side (what keyword needles are matched
/// against), built in one buffer; empty when the text has no letters or digits.
pub fn normalize_padded(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    fold_into(text, &mut out);
    if out.len() == 1 {
        out.clear();
    } else {
        out.push(' ');
    }
    out
}

/// Appends the folded form of `text` to `out`; a separator is written only between
/// two words, never at the start of `out` or at its end.
fn fold_into(text: &str, out: &mut String) {
    let start = out.len();
    // A separator is pending once a word has been written to `out` by this call.
    let mut pending_space = false;
    // Pushes a letter or digit already folded, with the space a separator left pending.
    fn letter(c: char, out: &mut String, pending_space: &mut bool, start: usize) {
        if *pending_space && out.len() > start {
            out.push(' ');
        }
        *pending_space = false;
        out.push(c);
    }
    // Any other character: letters and digits lower-cased, the rest a separator.
    fn push(c: char, out: &mut String, pending_space: &mut bool, start: usize) {
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                letter(l, out, pending_space, start);
            }
        } else {
            *pending_space = true;
        }
    }
    for ch in text.chars() {
        let u = ch as u32;
        if ch.is_ascii() {
            // The hot path: ASCII needs no tables.
            if ch.is_ascii_alphanumeric() {
                if pending_space && out.len() > start {
                    out.push(' ');
                }
                pending_space = false;
                out.push(ch.to_ascii_lowercase());
            } else {
                pending_space = true;
            }
        } else if (0x0430..=0x044F).contains(&u) && u != 0x0439 {
            // Lower-case Russian letters other than й decompose to themselves.
            if pending_space && out.len() > start {
                out.push(' ');
            }
            pending_space = false;
            out.push(ch);
        } else if (0x0410..=0x042F).contains(&u) && u != 0x0419 {
            if pending_space && out.len() > start {
                out.push(' ');
            }
            pending_space = false;
            out.push(char::from_u32(u + 0x20).expect("Cyrillic lower case"));
        } else if let Some(base) = fold_letter(ch) {
            for b in base.chars() {
                push(b, out, &mut pending_space, start);
            }
        } else {
            // Per-character compatibility decomposition with a callback: much cheaper
            // than an NFKD iterator per character.
            decompose_compatible(ch, |d| {
                if !is_combining_mark(d) {
                    push(d, out, &mut pending_space, start);
                }
            });
        }
    }
}

/// Letters that Unicode does not decompose into a base letter plus a mark, folded the
/// way a reader would type them on a plain keyboard (Turkish dotless ı, Polish ł, …).
fn fold_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ı' => "i",
        'ł' | 'Ł' => "l",
        'ø' | 'Ø' => "o",
        'đ' | 'Đ' => "d",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        _ => return None,
    })
}

/// A keyword phrase compiled for the folded text: its words, each matched whole or, when
/// written with a trailing `*`, as a word beginning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    words: Vec<(String, bool)>,
}

impl Phrase {
    /// Compiles `keyword`. `None` when it has no letters or digits, or uses `*` anywhere
    /// but at the end of a word.
    pub fn parse(keyword: &str) -> Option<Phrase> {
        let mut words = Vec::new();
        for raw in keyword.split_whitespace() {
            let (body, prefix) = match raw.strip_suffix('*') {
                Some(b) => (b, true),
                None => (raw, false),
            };
            if body.contains('*') {
                return None;
            }
            let folded = normalize(body);
            if folded.is_empty() {
                return None;
            }
            let mut parts: Vec<String> = folded.split(' ').map(str::to_string).collect();
            let last = parts.pop().expect("non-empty folded text has a word");
            words.extend(parts.into_iter().map(|w| (w, false)));
            words.push((last, prefix));
        }
        (!words.is_empty()).then_some(Phrase { words })
    }

    /// What the automaton looks for in the folded text (which starts and ends with a
    /// space): the phrase up to its first open word ending, with its leading space and,
    /// when no word is open, its trailing space.
    pub fn needle(&self) -> String {
        let mut n = String::new();
        for (w, prefix) in &self.words {
            n.push(' ');
            n.push_str(w);
            if *prefix {
                return n;
            }
        }
        n.push(' ');
        n
    }

    /// Whether the phrase has a word with an open ending.
    pub fn is_open(&self) -> bool {
        self.words.iter().any(|(_, p)| *p)
    }

    /// Whether the phrase matches at `start`, where the automaton found its needle.
    /// Only phrases with an open word need more than the needle.
    pub fn matches_at(&self, text: &str, start: usize) -> bool {
        self.match_end(text, start).is_some()
    }

    /// Where the match at `start` ends (before the space that closes it), if it matches.
    pub fn match_end(&self, text: &str, start: usize) -> Option<usize> {
        let bytes = text.as_bytes();
        let mut at = start;
        for (w, prefix) in &self.words {
            if bytes.get(at) != Some(&b' ') || !text[at + 1..].starts_with(w.as_str()) {
                return None;
            }
            at += 1 + w.len();
            if *prefix {
                while at < bytes.len() && bytes[at] != b' ' {
                    at += 1;
                }
            } else if bytes.get(at) != Some(&b' ') {
                return None;
            }
        }
        Some(at)
    }
}

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
    fn padded_form_has_one_space_on_each_side() {
        assert_eq!(normalize_padded("  Apel -- URGENT! "), " apel urgent ");
        assert_eq!(normalize_padded(" -- "), "");
    }

    #[test]
    fn fast_paths_fold_like_the_general_one() {
        assert_eq!(normalize("ЙЁЖ йёж АЯ ая"), "иеж иеж ая ая");
        assert_eq!(normalize("ABC-def 123"), "abc def 123");
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
    fn folds_letters_without_a_decomposition() {
        assert_eq!(normalize("Şebnem Korur Fincancı"), "sebnem korur fincanci");
        assert_eq!(normalize("Łódź STRAßE"), "lodz strasse");
    }

    fn phrase_in(kw: &str, text: &str) -> bool {
        let p = Phrase::parse(kw).unwrap();
        let t = format!(" {} ", normalize(text));
        let n = p.needle();
        t.match_indices(&n).any(|(i, _)| p.matches_at(&t, i))
    }

    #[test]
    fn open_word_endings_match_inflections_only_at_word_starts() {
        assert!(phrase_in(
            "задержан*",
            "Беларусь: задержание правозащитника"
        ));
        assert!(phrase_in(
            "незаконн* заключ*",
            "2 года незаконного заключения"
        ));
        assert!(!phrase_in(
            "незаконн* заключ*",
            "незаконного решения о заключении"
        ));
        assert!(!phrase_in("задержан*", "перезадержание"));
        assert!(phrase_in(
            "arbitrary detention",
            "Arbitrary detention of Mr X"
        ));
        assert!(!phrase_in("arbitrary detent", "Arbitrary detention"));
        assert!(phrase_in("torturat*", "Deţinut torturat în izolator"));
        assert_eq!(Phrase::parse("a*b"), None);
        assert_eq!(Phrase::parse("*"), None);
        assert_eq!(Phrase::parse("--"), None);
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
