//! How often "same story" grouping without a code is wrong, on tests/eval/grouping.jsonl
//! (32 labelled pairs). Run with `-- --nocapture` for the figures and every error.

use std::path::Path;

use chrono::{NaiveDate, TimeZone, Utc};

use tocsin::group::{Candidate, overlap};

struct Pair {
    a: Candidate,
    b: Candidate,
    same: bool,
    note: String,
}

fn side(v: &serde_json::Value) -> Candidate {
    let day = NaiveDate::parse_from_str(v["published"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    Candidate::new(
        v["source"].as_str().unwrap(),
        v["language"].as_str(),
        Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap()),
        &[],
        v["title"].as_str().unwrap(),
    )
}

fn load() -> Vec<Pair> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/grouping.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            Pair {
                a: side(&v["a"]),
                b: side(&v["b"]),
                same: v["same"].as_bool().unwrap(),
                note: v["note"].as_str().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

#[test]
fn title_grouping_never_merges_different_developments_and_finds_most_duplicates() {
    let pairs = load();
    assert_eq!(pairs.len(), 32);
    let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
    // The title measure alone, without the source, language and time conditions.
    let (mut title_fp, mut title_fn) = (0, 0);
    for p in &pairs {
        let said = p.a.same_story(&p.b);
        let o = overlap(&p.a.words, &p.b.words);
        let title_said = o >= tocsin::group::MIN_OVERLAP;
        match (p.same, said) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => tn += 1,
        }
        match (p.same, title_said) {
            (false, true) => {
                title_fp += 1;
                println!("title alone would merge (overlap {o:.2}): {}", p.note);
            }
            (true, false) => title_fn += 1,
            _ => {}
        }
        if said != p.same {
            println!(
                "{} overlap {o:.2}: {} | {}\n      {}",
                if p.same {
                    "NOT GROUPED"
                } else {
                    "WRONGLY GROUPED"
                },
                p.a.words.join(" "),
                p.b.words.join(" "),
                p.note
            );
        }
    }
    println!(
        "grouping rule: {tp} same pairs grouped, {fn_} not; {tn} different pairs kept apart, {fp} merged"
    );
    println!(
        "title overlap alone (>= {}): {title_fn} same pairs missed, {title_fp} different pairs merged",
        tocsin::group::MIN_OVERLAP
    );
    assert_eq!(fp, 0, "a wrong merge hides an appeal");
    // Misses allowed: the two cross-language pairs (grouping is within one language)
    // and the Amnesty title that does not name the person.
    assert!(fn_ <= 3, "{fn_} same-story pairs not grouped");
}
