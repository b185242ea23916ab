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
    let spec = Config::load_selectors(&file)
        .unwrap_or_else(|e| panic!("{name}: the proposed selectors do not load: {e}\n{}", d.selectors.to_toml()));
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
        assert_eq!(a.item, b.item, "{name}: entry {k}\n{}", d.selectors.to_toml());
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
    let hits = found.iter().filter(|f| expected.contains(f)).count();
    let mut distinct_found = found.to_vec();
    distinct_found.sort();
    distinct_found.dedup();
    let good = distinct_found.iter().filter(|f| expected.contains(f)).count();
    let _ = hits;
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
}
