//! Language detection, the last resort when neither the source config nor the feed says
//! which language an item is in.
//!
//! whatlang (trigram profiles, no model files, no allocation-heavy setup) guesses from
//! the title and the start of the summary. A guess it does not call reliable is no
//! answer: an item with no language is better than one scoped by the wrong language's
//! rules.
//!
//! For texts in Latin or Cyrillic script (nearly every item) the guess is computed here,
//! with whatlang's own alphabets, trigram profiles, scores, weights and confidence rule
//! (`language_profiles.txt`, generated from whatlang 0.18's source by
//! `tools/gen_language_profiles.py`), but only over the allowlisted languages and with
//! an inverted trigram index: whatlang looks each of a language's 300 profile trigrams
//! up in a hash map of the text's trigrams (2,700 lookups for the nine Latin languages),
//! counts trigrams in a hash map and allocates a dozen vectors per call; here each of
//! the text's trigrams is looked up once. The crate offers
//! no way to reuse its tables or pass a smaller search, so this is the one part written
//! here; the script is still whatlang's (`detect_script`) and every other script goes to
//! whatlang whole. `the_fast_path_gives_whatlangs_answers` proves the two equal, score
//! for score, on the eval sets, the corpus and generated texts.

mod scoring;

use std::sync::LazyLock;

use whatlang::{Detector, Lang};

use scoring::{RELIABLE_CONFIDENCE, guess};

/// How much text detection looks at: enough for a stable guess, cheap on long content.
const SAMPLE_BYTES: usize = 100;

/// The languages a guess may name: those of the domain's publishers and of the regions
/// their appeals come from. Fewer candidates make a guess several times faster and keep
/// it from wandering into languages no source publishes in (a Romanian title read as
/// Italian, a Russian one as Bulgarian); a text in another language gets no reliable
/// guess rather than a wrong one.
const ALLOWLIST: [Lang; 17] = {
    use whatlang::Lang::*;
    [
        Eng, Fra, Spa, Ron, Rus, Ukr, Bel, Por, Deu, Ita, Tur, Ara, Pes, Kat, Hye, Aze, Cmn,
    ]
};

static DETECTOR: LazyLock<Detector> =
    LazyLock::new(|| Detector::with_allowlist(ALLOWLIST.to_vec()));

/// The ISO 639-1 code of the language of `title` + `body`, when whatlang is confident.
pub fn detect(title: &str, body: &str) -> Option<&'static str> {
    let mut sample = String::with_capacity(title.len() + SAMPLE_BYTES + 2);
    sample.push_str(title);
    sample.push_str(". ");
    let mut end = body.len().min(SAMPLE_BYTES);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    sample.push_str(&body[..end]);
    let (lang, confidence) = guess(&sample)?;
    // whatlang's `Info::is_reliable`.
    if confidence <= RELIABLE_CONFIDENCE {
        return None;
    }
    iso639_1(lang.code())
}

/// whatlang's ISO 639-3 codes as the two-letter tags feeds and the config use.
fn iso639_1(code: &str) -> Option<&'static str> {
    Some(match code {
        "eng" => "en",
        "fra" => "fr",
        "spa" => "es",
        "ron" => "ro",
        "rus" => "ru",
        "ukr" => "uk",
        "bel" => "be",
        "deu" => "de",
        "ita" => "it",
        "por" => "pt",
        "nld" => "nl",
        "pol" => "pl",
        "ces" => "cs",
        "slk" => "sk",
        "slv" => "sl",
        "hrv" => "hr",
        "srp" => "sr",
        "mkd" => "mk",
        "bul" => "bg",
        "ell" => "el",
        "tur" => "tr",
        "aze" => "az",
        "hye" => "hy",
        "kat" => "ka",
        "ara" => "ar",
        "heb" => "he",
        "yid" => "yi",
        "pes" => "fa",
        "urd" => "ur",
        "hin" => "hi",
        "ben" => "bn",
        "mar" => "mr",
        "guj" => "gu",
        "pan" => "pa",
        "tam" => "ta",
        "tel" => "te",
        "kan" => "kn",
        "mal" => "ml",
        "ori" => "or",
        "nep" => "ne",
        "sin" => "si",
        "tha" => "th",
        "khm" => "km",
        "mya" => "my",
        "vie" => "vi",
        "ind" => "id",
        "jav" => "jv",
        "tgl" => "tl",
        "cmn" => "zh",
        "jpn" => "ja",
        "kor" => "ko",
        "hun" => "hu",
        "fin" => "fi",
        "est" => "et",
        "lit" => "lt",
        "lav" => "lv",
        "swe" => "sv",
        "dan" => "da",
        "nob" => "nb",
        "cat" => "ca",
        "lat" => "la",
        "epo" => "eo",
        "afr" => "af",
        "zul" => "zu",
        "sna" => "sn",
        "aka" => "ak",
        "amh" => "am",
        "uzb" => "uz",
        "tuk" => "tk",
        "cym" => "cy",
        _ => return None,
    })
}

/// The languages rules are written in: a detection overrides a configured or declared
/// default only when it names one of these (a Romanian title read as Italian must not
/// take a Romanian item out of its rules).
pub const RULE_LANGUAGES: [&str; 5] = ["en", "fr", "es", "ro", "ru"];

/// An item's language, in order: what the item itself declares (`own`: an Atom entry's
/// `xml:lang`, not the document's); a confident detection from its text; the source's
/// configured language (`configured`); what the document declares (`document`: RSS
/// `<language>`, the feed's `xml:lang`, `<html lang>`). While a configured or declared
/// default exists, a detection wins only in one of [`RULE_LANGUAGES`]. `body` (the
/// summary or content as text) is asked for only when detection runs.
pub fn resolve<B: AsRef<str>>(
    own: Option<&str>,
    configured: Option<&str>,
    document: Option<&str>,
    title: &str,
    body: impl FnOnce() -> B,
) -> Option<String> {
    if let Some(l) = own {
        return Some(l.to_string());
    }
    let default = configured.or(document);
    let detected =
        detect(title, body().as_ref()).filter(|d| default.is_none() || RULE_LANGUAGES.contains(d));
    detected.or(default).map(str::to_string)
}

/// Reduces a declared language (`ro-RO`, `en_US`, `RU`) to a BCP 47 tag, or drops it.
pub fn clean_tag(raw: &str) -> Option<String> {
    let tag = raw.trim().replace('_', "-");
    let mut parts = tag.split('-');
    let primary = parts.next()?.to_ascii_lowercase();
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    Some(primary)
}

#[cfg(test)]
mod tests {
    use super::scoring::{MODELS, PROFILES};
    use super::*;
    use whatlang::Script;

    /// whatlang's own answer, as the fast path must give it.
    fn whatlang(text: &str) -> Option<(Lang, u64)> {
        DETECTOR
            .detect(text)
            .map(|i| (i.lang(), i.confidence().to_bits()))
    }

    /// Texts to compare on: windows of every file under `dir`, cut on character
    /// boundaries, at most `limit`.
    fn windows_of(dir: &std::path::Path, limit: usize, out: &mut Vec<String>) {
        let mut files = vec![dir.to_path_buf()];
        let start = out.len();
        while let Some(path) = files.pop() {
            if out.len() - start >= limit {
                return;
            }
            if path.is_dir() {
                let mut entries: Vec<_> = std::fs::read_dir(&path)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path())
                    .collect();
                entries.sort();
                files.extend(entries);
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            let mut at = 0;
            for len in [24, 60, 140, 400, 2500].into_iter().cycle() {
                if at >= text.len() || out.len() - start >= limit {
                    break;
                }
                let mut end = (at + len).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                out.push(text[at..end].to_string());
                at = end + 1733;
                while at < text.len() && !text.is_char_boundary(at) {
                    at += 1;
                }
            }
        }
    }

    /// Generated texts: words of every allowlisted language (their profile trigrams run
    /// together), capitals, digits, punctuation, other scripts, a final sigma, a dotted
    /// capital I, of every length up to a few hundred characters.
    fn generated(n: usize, out: &mut Vec<String>) {
        let mut pieces: Vec<String> = PROFILES
            .lines()
            .filter(|l| l.starts_with("trigrams"))
            .flat_map(|l| {
                let chars: Vec<char> = l.splitn(4, ' ').nth(3).unwrap_or("").chars().collect();
                chars
                    .chunks(6)
                    .map(|c| c.iter().map(|&c| if c == '_' { ' ' } else { c }).collect())
                    .collect::<Vec<String>>()
            })
            .collect();
        for extra in [
            " ",
            ". ",
            ", ",
            "1984 ",
            "- ",
            "«",
            "»",
            "’",
            "İstanbul ",
            "ΟΔΥΣΣΕΥΣ ",
            "ß",
            "日本語",
            "ქართ",
            "Հայ",
            "العربية ",
            "فارسی ",
            "ў",
            "ё",
            "ÉTAT ",
            "ÇA ",
            "ÑOÑO ",
            "Ș",
            "ţ",
            "ə̇",
            "\u{300}",
            "OMCT ",
            "Promo-LEX ",
            "http://x.org/a?b=1 ",
        ] {
            pieces.push(extra.to_string());
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        for _ in 0..n {
            let len = next(60);
            let mut text = String::new();
            // Mostly one language's pieces (a run of one line's), sometimes a mix.
            let base = next(pieces.len());
            for _ in 0..len {
                let i = if next(4) == 0 {
                    next(pieces.len())
                } else {
                    (base + next(50)) % pieces.len()
                };
                let piece = &pieces[i];
                if next(8) == 0 {
                    text.push_str(&piece.to_uppercase());
                } else {
                    text.push_str(piece);
                }
            }
            out.push(text);
        }
    }

    #[test]
    fn the_fast_path_gives_whatlangs_answers() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts: Vec<String> = Vec::new();
        // The eval sets (not the blind holdouts): each item as `detect` samples it, its
        // title alone and its summary alone.
        for set in ["tests/eval/items.jsonl", "tests/eval/real/tune.jsonl"] {
            let jsonl = std::fs::read_to_string(root.join(set)).unwrap();
            for line in jsonl.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let title = v["title"].as_str().unwrap_or("").to_string();
                let summary = v["summary"].as_str().unwrap_or("").to_string();
                let mut end = summary.len().min(SAMPLE_BYTES);
                while !summary.is_char_boundary(end) {
                    end -= 1;
                }
                texts.push(format!("{title}. {}", &summary[..end]));
                texts.push(title);
                texts.push(summary);
            }
        }
        let eval = texts.len();
        windows_of(&root.join("tests/fixtures"), 3000, &mut texts);
        let shared = root.join("../shared/corpus");
        if shared.is_dir() {
            windows_of(&shared, 12_000, &mut texts);
        } else {
            println!("SKIPPED: the corpus part (no ../shared/corpus)");
        }
        generated(12_000, &mut texts);
        texts.push(String::new());
        texts.push("1234 -- !!".to_string());

        assert!(MODELS.latin.is_some() && MODELS.cyrillic.is_some());
        let (mut fast, mut reliable) = (0, 0);
        for text in &texts {
            let ours = guess(text).map(|(l, c)| (l, c.to_bits()));
            assert_eq!(ours, whatlang(text), "{text:?}");
            if matches!(
                whatlang::detect_script(text),
                Some(Script::Latin | Script::Cyrillic)
            ) {
                fast += 1;
                if ours.is_some_and(|(_, c)| f64::from_bits(c) > RELIABLE_CONFIDENCE) {
                    reliable += 1;
                }
            }
        }
        println!(
            "{} texts ({eval} from the eval sets), {fast} on the fast path, {reliable} reliable",
            texts.len()
        );
        assert!(fast > 10_000 && reliable > 4_000, "{fast} {reliable}");
    }

    #[test]
    fn declared_tags_are_cleaned() {
        assert_eq!(clean_tag("ro_RO").as_deref(), Some("ro"));
        assert_eq!(clean_tag("RU").as_deref(), Some("ru"));
        assert_eq!(clean_tag("x").as_deref(), None);
    }

    #[test]
    fn detects_the_five_languages_of_the_domain() {
        let cases = [
            (
                "Arbitrary detention of whistleblower Mr. Alexandru Rjavitin",
                "The Observatory requests your urgent intervention in the following situation.",
                "en",
            ),
            (
                "Détention arbitraire et mauvais traitements à l’encontre de M. Patient Kabongo",
                "L’Observatoire vous prie d’intervenir de toute urgence sur la situation suivante.",
                "fr",
            ),
            (
                "Detención arbitraria y malos tratos contra el Sr. Julián Prado",
                "El Observatorio solicita su intervención urgente ante la siguiente situación.",
                "es",
            ),
            (
                "Promo-LEX cere eliberarea urgentă a activistului Victor Pleșcanov",
                "Promo-LEX solicită eliberarea urgentă a lui Victor Pleșcanov, încarcerat în închisoarea din Tiraspol.",
                "ro",
            ),
            (
                "Незаконное задержание Сергея Лупу в Тирасполе",
                "Сергей Лупу задержан силовиками за публикацию в социальной сети.",
                "ru",
            ),
        ];
        for (title, body, lang) in cases {
            assert_eq!(detect(title, body), Some(lang), "{title}");
        }
    }

    #[test]
    fn the_item_then_a_confident_detection_then_the_configured_default() {
        let fr = || {
            "L’Observatoire vous prie d’intervenir de toute urgence sur la situation suivante."
                .to_string()
        };
        let title =
            "Détention arbitraire et mauvais traitements à l’encontre de M. Patient Kabongo";
        // The item's own declaration wins.
        assert_eq!(
            resolve(Some("es"), Some("en"), None, title, fr).as_deref(),
            Some("es")
        );
        // A confident detection beats the configured language (FIDH's French item in an
        // English source).
        assert_eq!(
            resolve(None, Some("en"), Some("en"), title, fr).as_deref(),
            Some("fr")
        );
        // Too little text: the configured language, then the document's.
        assert_eq!(
            resolve(None, Some("ro"), Some("en"), "OK", String::new).as_deref(),
            Some("ro")
        );
        assert_eq!(
            resolve(None, None, Some("en"), "OK", String::new).as_deref(),
            Some("en")
        );
        assert_eq!(resolve(None, None, None, "OK", String::new), None);
    }

    #[test]
    fn too_little_text_is_no_answer() {
        assert_eq!(detect("OK", ""), None);
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary() {
        let body = "é".repeat(1000);
        let _ = detect("x", &body);
    }
}
