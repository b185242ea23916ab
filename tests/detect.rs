//! Listing detection (`tocsin::parse::detect`) on the corpus of real listing pages
//! (`../shared/corpus/listings/rss-proxy`, compared with the links rss-proxy's detector
//! found) and on fixtures of the sites tocsin ships. On every page, the proposed
//! selectors, written as TOML, loaded as a selectors file and applied with
//! `parse_listing`, read exactly the entries detection returned.

mod common;

use tocsin::config::Config;
use tocsin::parse::detect::{Detection, detect};
use tocsin::parse::html::parse_listing;
use url::Url;

/// Applies the proposed selectors the way a configured source would (TOML → config
/// validation → `parse_listing`) and checks that they read the same entries.
fn assert_selectors_read_the_same(name: &str, html: &str, base: &Url, d: &Detection) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("selectors.toml");
    std::fs::write(&file, d.selectors.to_selectors_file()).unwrap();
    let spec = Config::load_selectors(&file).unwrap_or_else(|e| {
        panic!(
            "{name}: the proposed selectors do not load: {e}\n{}",
            d.selectors.to_toml()
        )
    });
    let listing = parse_listing(html, base, &spec);
    assert_eq!(
        listing.items.len(),
        d.entries.len(),
        "{name}: parse_listing reads {} entries, detection {}\n{}",
        listing.items.len(),
        d.entries.len(),
        d.selectors.to_toml()
    );
    for (k, (a, b)) in listing.items.iter().zip(&d.entries).enumerate() {
        assert_eq!(
            a.item,
            b.item,
            "{name}: entry {k}\n{}",
            d.selectors.to_toml()
        );
        assert_eq!(a.date_text, b.date_text, "{name}: entry {k} date text");
        assert_eq!(a.extras, b.extras, "{name}: entry {k} extras");
    }
    assert!(
        listing.undated.is_empty(),
        "{name}: parse_listing could not read dates {:?}",
        listing.undated
    );
}

/// Precision and recall of `found` against `expected` (sets of links).
fn precision_recall(found: &[String], expected: &[String]) -> (usize, usize, f64, f64) {
    let mut distinct_found = found.to_vec();
    distinct_found.sort();
    distinct_found.dedup();
    let good = distinct_found
        .iter()
        .filter(|f| expected.contains(f))
        .count();
    let p = good as f64 / distinct_found.len().max(1) as f64;
    let r = good as f64 / expected.len().max(1) as f64;
    (distinct_found.len(), good, p, r)
}

#[test]
fn corpus_precision_and_recall_against_rss_proxy() {
    let Some(shared) = common::shared_dir() else {
        println!("SKIPPED: ../shared is absent, no corpus of listing pages to read");
        return;
    };
    let dir = shared.join("corpus/listings/rss-proxy");
    let base = Url::parse("http://example.com").unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.strip_suffix(".input.html").map(str::to_string)
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 8, "the corpus has eight pages");
    println!(
        "{:<30} {:>8} {:>6} {:>6} {:>9} {:>7}",
        "page", "expected", "found", "agreed", "precision", "recall"
    );
    let mut rows = Vec::new();
    for name in &names {
        let html = std::fs::read_to_string(dir.join(format!("{name}.input.html"))).unwrap();
        let expected: Vec<String> = serde_json::from_str::<Vec<String>>(
            &std::fs::read_to_string(dir.join(format!("{name}.output.json"))).unwrap(),
        )
        .unwrap()
        .into_iter()
        // rss-proxy wrote some links unnormalised (`http://example.com/./2019/x`).
        .map(|u| Url::parse(&u).unwrap().to_string())
        .collect();
        let mut expected_set = expected.clone();
        expected_set.sort();
        expected_set.dedup();
        let d = detect(&html, &base).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_selectors_read_the_same(name, &html, &base, &d);
        let found: Vec<String> = d
            .entries
            .iter()
            .map(|e| e.item.link.clone().unwrap())
            .collect();
        let (n, good, p, r) = precision_recall(&found, &expected_set);
        println!(
            "{name:<30} {:>8} {n:>6} {good:>6} {p:>9.2} {r:>7.2}",
            expected_set.len()
        );
        rows.push((name.clone(), p, r, d));
    }
    for (name, _, _, d) in &rows {
        println!("\n== {name}\n{}{}", d.selectors.to_toml(), d.explanation);
    }
    // The floor is what was measured when this was written, page by page: every link
    // found is one rss-proxy found too (precision 1), and every one it found is found
    // (recall 1) but on arzg's page, whose intro sentence links to two other sites
    // ("Eldiro" on GitHub, "Rust"): both are in rss-proxy's list, neither is an entry of
    // the series; detection takes the first as the intro paragraph's entry (20 of 21).
    // See the table in `src/parse/detect/mod.rs`.
    for (name, p, r, _) in &rows {
        let min_recall = if name.starts_with("04-arzg") {
            20.0 / 21.0
        } else {
            1.0
        };
        assert!(
            *p >= 1.0,
            "{name}: precision {p:.3} against rss-proxy fell below 1"
        );
        assert!(
            *r >= min_recall - 1e-9,
            "{name}: recall {r:.3} against rss-proxy fell below {min_recall:.3}"
        );
    }
}

/// An entry as a fixture's `.expected.json` lists it.
#[derive(serde::Deserialize, Debug)]
struct Expected {
    title: String,
    link: String,
    date: String,
    labels: Vec<String>,
}

fn fixture_text(name: &str) -> String {
    tocsin::parse::decode_html(&common::fixture_bytes(name), None)
}

/// Detects a fixture page and checks it against its `.expected.json`: every entry, in
/// order, with its title, absolute link and date, its labels among the categories, and
/// nothing else (no menu, footer, sidebar, pagination or share link).
fn check_fixture(name: &str, page_url: &str) -> Detection {
    let html = fixture_text(&format!("html/{name}.html"));
    let expected: Vec<Expected> = serde_json::from_slice(&common::fixture_bytes(&format!(
        "html/{name}.expected.json"
    )))
    .unwrap();
    let base = Url::parse(page_url).unwrap();
    let d = detect(&html, &base).unwrap_or_else(|e| panic!("{name}: {e}"));
    println!("== {name}\n{}{}", d.selectors.to_toml(), d.explanation);
    assert_selectors_read_the_same(name, &html, &base, &d);
    let found: Vec<(&str, &str, String)> = d
        .entries
        .iter()
        .map(|e| {
            (
                e.item.title.as_str(),
                e.item.link.as_deref().unwrap(),
                e.item
                    .published
                    .map(|p| p.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_default(),
            )
        })
        .collect();
    let want: Vec<(&str, &str, String)> = expected
        .iter()
        .map(|e| (e.title.as_str(), e.link.as_str(), e.date.clone()))
        .collect();
    assert_eq!(
        found,
        want,
        "{name}\n{}\n{}",
        d.selectors.to_toml(),
        d.explanation
    );
    for (e, x) in d.entries.iter().zip(&expected) {
        for label in &x.labels {
            assert!(
                e.item.categories.contains(label),
                "{name}: {:?} lacks the label {label:?} (has {:?})\n{}",
                e.item.title,
                e.item.categories,
                d.selectors.to_toml()
            );
        }
    }
    d
}

#[test]
fn omct_cards_in_three_languages() {
    for (lang, path) in [
        ("en", "en/resources/urgent-interventions"),
        ("fr", "fr/ressources/interventions-urgentes"),
        ("es", "es/recursos/intervenciones-urgentes"),
    ] {
        let d = check_fixture(
            &format!("auto-omct-{lang}"),
            &format!("https://www.omct.org/{path}"),
        );
        assert_eq!(
            d.selectors.date_format.as_deref(),
            Some("%d.%m.%y"),
            "{lang}"
        );
        let names: Vec<&str> = d.selectors.extra.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["country", "type"], "{lang}");
    }
}

#[test]
fn promolex_wordpress_in_romanian_and_russian() {
    for (lang, path) in [("ro", "blog/"), ("ru", "ru/blog/")] {
        let d = check_fixture(
            &format!("auto-promolex-{lang}"),
            &format!("https://promolex.md/{path}"),
        );
        assert!(
            d.selectors.summary.is_some(),
            "{lang}: the excerpt is the summary"
        );
        assert_eq!(
            d.selectors.date_format, None,
            "{lang}: month names need no format"
        );
        let second = d.explanation.runner_up.as_ref().expect("a runner-up");
        assert!(
            second.score < d.explanation.winner.score,
            "{}",
            d.explanation
        );
    }
}

#[test]
fn fidh_spip_with_base_href() {
    // The page is served from one address and says <base href="https://www.fidh.org/">:
    // relative links resolve against the base, as parse_listing resolves them.
    let d = check_fixture(
        "auto-fidh-en",
        "https://www.fidh.org/en/issues/human-rights-defenders/urgent-appeals/",
    );
    assert_eq!(d.selectors.date_format.as_deref(), Some("%d/%m/%Y"));
    assert!(
        d.explanation
            .date_order
            .as_deref()
            .unwrap_or("")
            .contains("day first"),
        "{}",
        d.explanation
    );
}

#[test]
fn a_redesign_that_renames_every_class_gives_the_same_entries() {
    let before = check_fixture(
        "auto-omct-en",
        "https://www.omct.org/en/resources/urgent-interventions",
    );
    let after = check_fixture(
        "auto-omct-en-redesign",
        "https://www.omct.org/en/resources/urgent-interventions",
    );
    let key = |d: &Detection| {
        d.entries
            .iter()
            .map(|e| (e.item.title.clone(), e.item.link.clone(), e.item.published))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&before), key(&after));
    assert_ne!(
        before.selectors.item, after.selectors.item,
        "the selectors follow the new markup"
    );
}

#[test]
fn the_shipped_omct_fixtures_read_the_same_as_their_selectors() {
    let base = Url::parse("https://www.omct.org/en/resources/urgent-interventions").unwrap();
    let spec = Config::load_selectors(&{
        let dir = tempfile::tempdir().unwrap().keep();
        let f = dir.join("omct.toml");
        std::fs::write(
            &f,
            "item = \".card\"\ntitle = \".card__title\"\nlink = \"a@href\"\ndate = \".card__date\"\n\
             date_format = \"%d.%m.%y\"\n[extra]\ncountry = \".card__country\"\ncategory = \".card__type\"\n",
        )
        .unwrap();
        f
    })
    .unwrap();
    let mut p1 = None;
    // Page 4 has one card: one link is no repeated structure, so no list (a source
    // reads its later pages with the selectors found on page one).
    let p4 = detect(&fixture_text("html/omct-en-p4.html"), &base).unwrap_err();
    assert!(
        p4.to_string().starts_with("found no list of entries"),
        "{p4}"
    );
    for name in [
        "omct-en-p1",
        "omct-en-p2",
        "omct-en-p3",
        "omct-fr",
        "omct-en-changed",
    ] {
        let html = fixture_text(&format!("html/{name}.html"));
        let d = detect(&html, &base).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_selectors_read_the_same(name, &html, &base, &d);
        let entries: Vec<_> = d
            .entries
            .iter()
            .map(|e| (e.item.title.clone(), e.item.link.clone(), e.item.published))
            .collect();
        if name == "omct-en-changed" {
            // Another structure (one meta line instead of country, date and type
            // elements): the same titles, links and dates.
            assert_eq!(Some(&entries), p1.as_ref(), "{}", d.selectors.to_toml());
            continue;
        }
        let configured: Vec<_> = parse_listing(&html, &base, &spec)
            .items
            .into_iter()
            .map(|e| (e.item.title, e.item.link, e.item.published))
            .collect();
        assert_eq!(
            entries, configured,
            "{name}: as the hand-written selectors read it"
        );
        if name == "omct-en-p1" {
            p1 = Some(entries);
        }
    }
}

#[test]
fn a_page_without_a_list_is_an_error_not_its_menu() {
    let html = r#"<html><body><header><nav><ul><li><a href="/a">About</a></li>
        <li><a href="/b">Contact</a></li><li><a href="/c">Donate</a></li></ul></nav></header>
        <main><h1>Moldova: arbitrary detention</h1><p>The Observatory requests your urgent
        intervention.</p></main><footer><a href="/legal">Legal</a></footer></body></html>"#;
    let base = Url::parse("https://example.org/item").unwrap();
    let e = detect(html, &base).unwrap_err();
    assert!(e.to_string().starts_with("found no list of entries"), "{e}");
}
