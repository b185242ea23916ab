//! Case codes: the language-independent names of a case that the Observatory (OMCT +
//! FIDH) and OMCT's SOS-Torture network give their appeals.
//!
//! | kind | as published | normalised |
//! |---|---|---|
//! | Observatory | `MDA 001 /0120 / OBS 008`, `MDA 001/0120/OBS 008` | `MDA 001/0120/OBS 008` |
//! | Observatory follow-up | `TUN 001 / 0517 / OBS 052.1` | `TUN 001/0517/OBS 052.1` |
//! | SOS-Torture | `Case MDA 170811`, `Cas MAR 120321`, `Caso SAU 060598` | `Case MDA 170811` |
//! | SOS-Torture follow-up | `Caso SAU 060598.1` | `Case SAU 060598.1` |
//! | SOS-Torture follow-up without a number | `Follow-up of the case MDA 170811` | `Case MDA 170811 (follow-up)` |
//!
//! Two items with the same normalised code are the same case development; a suffix
//! (`.1`, or a follow-up without a number) is a new development of the case whose code
//! is the part before it ([`original`]).
//!
//! One regex finds both kinds in one pass over a field (ASCII word boundaries, so the
//! regex crate's DFA can run on any text). The Observatory's running number is read as
//! published even when it is not all digits (`OBS 10X`).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?-u:\b)(?P<cc>[A-Z]{3})\s*(?P<seq>[0-9]{3})\s*/\s*(?P<my>[0-9]{4})\s*/\s*OBS\s*
            (?P<num>[0-9]{1,3}[0-9A-Z]?)(?P<osuf>\.[0-9]{1,2})?(?-u:\b)
        |
        (?P<fu>(?i:follow[-\x20]?up\x20(?:of|to|on)(?:\x20the)?|seguimiento\x20(?:del|al|de)|suivi\x20(?:du|de))\s+)?
        (?-u:\b)(?i:case|cas|caso)\s+(?P<scc>[A-Z]{3})\s?(?P<snum>[0-9]{6})(?P<ssuf>\.[0-9]{1,2})?(?-u:\b)
        ",
    )
    .expect("case code regex compiles")
});

/// Case codes kept per item: an appeal quotes one to three (its own, the case it
/// follows up, a related one); the busiest real item seen carries a dozen.
pub const MAX_CASE_CODES: usize = 32;

/// Every case code in `text`, normalised, in order of appearance, without repeats,
/// appended to `out` until it holds [`MAX_CASE_CODES`].
pub fn extract(text: &str, out: &mut Vec<String>) {
    if out.len() >= MAX_CASE_CODES {
        return;
    }
    // Observatory codes need "OBS", SOS-Torture codes six digits in a row; most text
    // has neither, and these checks are much cheaper than the regex.
    if !text.contains("OBS") && !has_six_digits(text) {
        return;
    }
    let mut seen: HashSet<String> = out.iter().cloned().collect();
    for c in CODE.captures_iter(text) {
        let code = if let Some(cc) = c.name("cc") {
            format!(
                "{} {}/{}/OBS {}{}",
                cc.as_str(),
                &c["seq"],
                &c["my"],
                c["num"].to_ascii_uppercase(),
                c.name("osuf").map_or("", |m| m.as_str())
            )
        } else {
            let suffix = match (c.name("ssuf"), c.name("fu")) {
                (Some(s), _) => s.as_str().to_string(),
                (None, Some(_)) => FOLLOW_UP.to_string(),
                (None, None) => String::new(),
            };
            format!("Case {} {}{suffix}", &c["scc"], &c["snum"])
        };
        if seen.insert(code.clone()) {
            out.push(code);
            if out.len() >= MAX_CASE_CODES {
                return;
            }
        }
    }
}

const FOLLOW_UP: &str = " (follow-up)";

fn has_six_digits(text: &str) -> bool {
    let mut run = 0;
    for b in text.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            if run == 6 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Whether `code` is a follow-up: a numbered development (`.1`) or an unnumbered
/// SOS-Torture follow-up.
pub fn is_follow_up(code: &str) -> bool {
    original(code).is_some()
}

/// Whether `code` is an SOS-Torture follow-up without a number, which two different
/// developments of the case can share.
pub fn is_unnumbered_follow_up(code: &str) -> bool {
    code.ends_with(FOLLOW_UP)
}

/// The code of the case a follow-up develops: `TUN 001/0517/OBS 052.1` →
/// `TUN 001/0517/OBS 052`. `None` for a code that is not a follow-up.
pub fn original(code: &str) -> Option<&str> {
    if let Some(base) = code.strip_suffix(FOLLOW_UP) {
        return Some(base);
    }
    let (base, suffix) = code.rsplit_once('.')?;
    (!suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())).then_some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<String> {
        let mut v = Vec::new();
        extract(text, &mut v);
        v
    }

    #[test]
    fn observatory_codes_in_every_spacing_are_one_code() {
        for t in [
            "MDA 001 /0120 / OBS 008 Arbitrary detention",
            "Urgent Appeal MDA 001 / 0120 / OBS 008 Arbitrary",
            "MDA 001/0120/OBS 008. Detenție arbitrară",
            "(MDA 001/0120/OBS008)",
        ] {
            assert_eq!(codes(t), ["MDA 001/0120/OBS 008"], "{t}");
        }
        assert_eq!(
            codes("Nouvelles informations TUN 001 / 0517 / OBS 052.1 Harcèlement"),
            ["TUN 001/0517/OBS 052.1"]
        );
        assert_eq!(
            codes("TCD 001 / 1219 / OBS 10X Détention"),
            ["TCD 001/1219/OBS 10X"]
        );
        assert_eq!(
            codes("VEN 002/0421/OBS 037 Detención"),
            ["VEN 002/0421/OBS 037"]
        );
    }

    #[test]
    fn sos_torture_codes_in_three_languages() {
        assert_eq!(codes("Case MDA 170811"), ["Case MDA 170811"]);
        assert_eq!(codes("Cas MAR 120321 Le Secrétariat"), ["Case MAR 120321"]);
        assert_eq!(
            codes("Arabia Saudita: Seguimiento del Caso SAU 060598.1"),
            ["Case SAU 060598.1"]
        );
        assert_eq!(
            codes("Moldova: Follow-up of the case MDA 170811"),
            ["Case MDA 170811 (follow-up)"]
        );
        // The wordings publishers use, with or without the article.
        for title in [
            "Follow-up of case MDA 170811",
            "Follow up to the case MDA 170811",
            "Followup on case MDA 170811",
            "Seguimiento de caso MDA 170811",
            "Seguimiento al caso MDA 170811",
            "Suivi du cas MDA 170811",
            "Suivi de cas MDA 170811",
        ] {
            assert_eq!(codes(title), ["Case MDA 170811 (follow-up)"], "{title}");
        }
    }

    #[test]
    fn ordinary_text_has_no_code() {
        assert!(codes("In case you missed it: 2,000 cases in 170811 days").is_empty());
        assert!(codes("OBS 12 and ABC 123 / 4567").is_empty());
        assert!(codes("the case MDA 17081 is short").is_empty());
    }

    #[test]
    fn several_codes_keep_their_order_once_each() {
        assert_eq!(
            codes("ARG 004 / 0707 / OBS 078 and ARG 004/0707/OBS 078, then Case BLR 010203"),
            ["ARG 004/0707/OBS 078", "Case BLR 010203"]
        );
    }

    #[test]
    fn codes_are_capped_per_text() {
        let text: String = (0..150_000)
            .map(|i| format!("Case MDA {:06} ", i))
            .collect();
        let found = codes(&text);
        assert_eq!(found.len(), MAX_CASE_CODES);
        assert_eq!(found[0], "Case MDA 000000");
        let mut more = found.clone();
        extract("Case ARM 123456", &mut more);
        assert_eq!(more, found, "a full list takes no more");
    }

    #[test]
    fn follow_ups_name_their_original() {
        assert_eq!(
            original("TUN 001/0517/OBS 052.1"),
            Some("TUN 001/0517/OBS 052")
        );
        assert_eq!(original("Case SAU 060598.1"), Some("Case SAU 060598"));
        assert_eq!(
            original("Case MDA 170811 (follow-up)"),
            Some("Case MDA 170811")
        );
        assert_eq!(original("MDA 001/0120/OBS 008"), None);
        assert!(!is_follow_up("Case MDA 170811"));
    }
}
