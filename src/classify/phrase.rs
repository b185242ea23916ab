//! Keyword phrases compiled against the folded text (see [`crate::text::normalize`]).

use crate::text::normalize;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;

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
}
