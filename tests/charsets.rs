//! Legacy charsets, with and without declarations: the feed's text comes out right.
//! (Romanian has two forms of ș/ț: comma below, the correct one, and cedilla ş/ţ from
//! the encodings that lacked it; both must come through as what the bytes say.)

use tocsin::parse::parse_document;
use tocsin::text::charset::{Decision, DocKind, to_utf8};

const RU: &str = "Ассоциация Promo-LEX требует немедленно освободить правозащитника, \
задержанного в Тирасполе. Его содержат без связи с адвокатом и семьёй уже третью неделю.";
const RO_COMMA: &str = "Asociația Promo-LEX cere eliberarea urgentă a activistului reținut la \
Tiraspol. Ștefan Țurcanu este deținut fără acces la avocat și familie de trei săptămâni.";
const CS: &str = "Obránce lidských práv byl zadržen bez přístupu k advokátovi. Žádáme jeho \
okamžité propuštění a vyšetření mučení, kterému byl vystaven ve vazbě.";

fn cedilla(s: &str) -> String {
    s.replace('ș', "ş")
        .replace('ț', "ţ")
        .replace('Ș', "Ş")
        .replace('Ț', "Ţ")
}

fn feed(decl: Option<&str>, text: &str) -> String {
    let head = decl
        .map(|e| format!("<?xml version=\"1.0\" encoding=\"{e}\"?>\n"))
        .unwrap_or_default();
    format!(
        "{head}<rss version=\"2.0\"><channel><title>T</title><item><title>{text}</title>\
         <description>{text} {text}</description><guid>1</guid></item></channel></rss>"
    )
}

/// Encodes `text` in `label`, parses it (declared or not) and returns the item title.
fn round_trip(label: &str, text: &str, declared: bool, http: Option<&str>) -> (String, String) {
    let enc = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
    let doc = feed(declared.then_some(label), text);
    let (bytes, _, unmappable) = enc.encode(&doc);
    assert!(!unmappable, "{label} cannot encode the sample");
    let d = parse_document(&bytes, http, None).unwrap_or_else(|e| panic!("{label}: {e}"));
    (d.feed.items[0].title.clone(), d.encoding)
}

#[test]
fn cyrillic_in_windows_1251_and_koi8_r() {
    for label in ["windows-1251", "koi8-r"] {
        let (title, how) = round_trip(label, RU, true, None);
        assert_eq!(title, RU, "{label} declared");
        assert!(how.contains("declaration"), "{how}");
        let (title, how) = round_trip(label, RU, false, None);
        assert_eq!(title, RU, "{label} undeclared, detected as {how}");
        assert!(how.contains("detected"), "{how}");
        let (title, how) = round_trip(
            label,
            RU,
            false,
            Some(&format!("application/rss+xml; charset={label}")),
        );
        assert_eq!(title, RU);
        assert!(how.contains("HTTP"), "{how}");
    }
}

#[test]
fn central_european_in_iso_8859_2_and_windows_1250() {
    for label in ["iso-8859-2", "windows-1250"] {
        for text in [CS.to_string(), cedilla(RO_COMMA)] {
            let (title, _) = round_trip(label, &text, true, None);
            assert_eq!(title, text, "{label} declared");
            let (title, how) = round_trip(label, &text, false, None);
            assert_eq!(title, text, "{label} undeclared, read as {how}");
        }
    }
}

#[test]
fn romanian_in_iso_8859_16_keeps_the_comma_below_when_declared() {
    let (title, _) = round_trip("iso-8859-16", RO_COMMA, true, None);
    assert_eq!(title, RO_COMMA);
    // Undeclared, the same bytes mean the cedilla forms in windows-1250/iso-8859-2
    // (what a detector picks: no detector tells 8859-16 apart); every other letter is
    // right, and the classifier treats ș and ş alike.
    let (title, how) = round_trip("iso-8859-16", RO_COMMA, false, None);
    assert_eq!(title, cedilla(RO_COMMA), "read as {how}");
}

#[test]
fn both_romanian_forms_survive_utf8_untouched() {
    let mixed = format!("{RO_COMMA} {}", cedilla(RO_COMMA));
    let (title, how) = round_trip("utf-8", &mixed, false, None);
    assert_eq!(title, mixed);
    assert_eq!(how, "UTF-8 (detected)");
}

#[test]
fn html_pages_use_their_meta_charset() {
    let page = format!(
        "<html><head><meta charset=\"koi8-r\"><title>x</title></head><body><p>{RU}</p></body></html>"
    );
    let (bytes, _, _) = encoding_rs::KOI8_R.encode(&page);
    let d = to_utf8(&bytes, Some("text/html"), DocKind::Html);
    assert_eq!(d.decision, Decision::Declaration);
    assert!(d.text.contains(RU));
}
