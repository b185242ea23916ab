//! Language detection, the last resort when neither the source config nor the feed says
//! which language an item is in.
//!
//! whatlang (trigram profiles, no model files, no allocation-heavy setup) guesses from
//! the title and the start of the summary. A guess it does not call reliable is no
//! answer: an item with no language is better than one scoped by the wrong language's
//! rules.

use std::sync::LazyLock;

use whatlang::Detector;

/// How much text detection looks at: enough for a stable guess, cheap on long content.
const SAMPLE_BYTES: usize = 100;

/// The languages a guess may name: those of the domain's publishers and of the regions
/// their appeals come from. Fewer candidates make a guess several times faster and keep
/// it from wandering into languages no source publishes in (a Romanian title read as
/// Italian, a Russian one as Bulgarian); a text in another language gets no reliable
/// guess rather than a wrong one.
static DETECTOR: LazyLock<Detector> = LazyLock::new(|| {
    use whatlang::Lang::*;
    Detector::with_allowlist(vec![
        Eng, Fra, Spa, Ron, Rus, Ukr, Bel, Por, Deu, Ita, Tur, Ara, Pes, Kat, Hye, Aze, Cmn,
    ])
});

/// The ISO 639-1 code of the language of `title` + `body`, when whatlang is confident.
pub fn detect(title: &str, body: &str) -> Option<&'static str> {
    let mut sample = String::with_capacity(SAMPLE_BYTES + 2);
    sample.push_str(title);
    sample.push_str(". ");
    let mut end = body.len().min(SAMPLE_BYTES);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    sample.push_str(&body[..end]);
    let info = DETECTOR.detect(&sample)?;
    if !info.is_reliable() {
        return None;
    }
    iso639_1(info.lang().code())
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
pub fn resolve(
    own: Option<&str>,
    configured: Option<&str>,
    document: Option<&str>,
    title: &str,
    body: impl FnOnce() -> String,
) -> Option<String> {
    if let Some(l) = own {
        return Some(l.to_string());
    }
    let default = configured.or(document);
    let detected =
        detect(title, &body()).filter(|d| default.is_none() || RULE_LANGUAGES.contains(d));
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
    use super::*;

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
