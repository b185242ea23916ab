//! Text folded for matching, so that case, accents, Romanian ș/ş ț/ţ variants and
//! punctuation do not matter.

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
}
