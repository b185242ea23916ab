//! Quality of the SHIPPED rules on the labelled evaluation set (tests/eval/items.jsonl,
//! see tests/eval/README.md): precision and recall overall and per language, on the
//! tune split, the holdout split and both.
//!
//! This set was read by the rules' author, partly composed: it is a regression check,
//! not a measure of how the rules generalise (that is `tests/eval_real.rs`, on real
//! items). The issue-8 and round-1 issue-16 rules score 1.00/1.00 on it, round 2's, 3's and
//! 4's rules miss none and raise one false alarm (`omct-es-101`); the test allows at most 2
//! misses and 2 false alarms of its 146 items (0.97), so a rule change may trade a
//! composed item for real ones, and no more.
//!
//! Run `cargo test --test eval -- --nocapture` to see the table and every miss.

#[path = "eval/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::{Counts, shipped};
use tocsin::classify::{Classifier, Subject};
use tocsin::config::Config;
use tocsin::model::ParsedItem;
use tocsin::text::{codes, language};

struct Labelled {
    id: String,
    split: String,
    language: String,
    source: String,
    item: ParsedItem,
    urgent: bool,
    case_code: Option<String>,
}

fn load() -> Vec<Labelled> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/items.jsonl");
    let text = std::fs::read_to_string(&path).expect("tests/eval/items.jsonl");
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            Labelled {
                id: s("id"),
                split: s("split"),
                language: s("language"),
                source: s("source"),
                item: ParsedItem {
                    title: s("title"),
                    summary: Some(s("summary")).filter(|x| !x.is_empty()),
                    categories: v["categories"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c.as_str().unwrap().to_string())
                        .collect(),
                    ..Default::default()
                },
                urgent: v["urgent"].as_bool().unwrap(),
                case_code: v["case_code"].as_str().map(str::to_string),
            }
        })
        .collect()
}

#[test]
fn shipped_rules_reach_the_quality_targets() {
    let items = load();
    assert_eq!(items.len(), 146, "the evaluation set as documented");
    let c = shipped();
    // (split, language) → counts; split "all" and language "all" aggregate.
    let mut table: BTreeMap<(String, String), Counts> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut margins: Vec<(f64, &str)> = Vec::new();
    // (lowest urgent score, highest non-urgent score) on the tune split.
    let mut gap = (f64::MAX, f64::MIN);
    for it in &items {
        let v = c.classify(&Subject::of(&it.item, &it.source, Some(&it.language)));
        margins.push((v.score - 1.0, it.id.as_str()));
        if it.split == "tune" {
            let (lo, hi) = &mut gap;
            if it.urgent {
                *lo = lo.min(v.score);
            } else {
                *hi = hi.max(v.score);
            }
        }
        for split in [it.split.as_str(), "all"] {
            for lang in [it.language.as_str(), "all"] {
                table
                    .entry((split.to_string(), lang.to_string()))
                    .or_default()
                    .add(it.urgent, v.urgent);
            }
        }
        if v.urgent != it.urgent {
            let why: Vec<String> = v
                .reasons
                .iter()
                .map(|r| format!("{}{:+} [{}]", r.rule, r.weight, r.evidence))
                .collect();
            misses.push(format!(
                "{} {:<8} {} score {}: {}\n      {}",
                if it.urgent { "MISSED  " } else { "FALSE+  " },
                it.split,
                it.id,
                v.score,
                it.item.title,
                why.join("; ")
            ));
        }
    }
    println!("split    lang  precision  recall   tp fp fn tn");
    for ((split, lang), k) in &table {
        println!(
            "{split:<8} {lang:<5} {:>9.3} {:>7.3}  {:>3} {:>2} {:>2} {:>2}",
            k.precision(),
            k.recall(),
            k.tp,
            k.fp,
            k.fn_,
            k.tn
        );
    }
    for m in &misses {
        println!("{m}");
    }
    let close: Vec<String> = margins
        .iter()
        .filter(|(m, _)| m.abs() <= 0.2 + 1e-9)
        .map(|(m, id)| format!("{id} ({:+.1})", m))
        .collect();
    println!(
        "tune split: lowest urgent score {:.1}, highest non-urgent score {:.1}",
        gap.0, gap.1
    );
    println!(
        "{} items within 0.2 of the threshold: {}",
        close.len(),
        close.join(", ")
    );
    let all = table[&("all".to_string(), "all".to_string())];
    assert!(
        all.fp <= 2 && all.fn_ <= 2,
        "regression on the old set: {} false alarms, {} misses (at most 2 each)",
        all.fp,
        all.fn_
    );
    for lang in ["en", "fr", "es", "ro", "ru"] {
        let k = table[&("all".to_string(), lang.to_string())];
        assert!(
            k.precision() >= 0.9,
            "{lang} precision {:.3}",
            k.precision()
        );
        assert!(k.recall() >= 0.9, "{lang} recall {:.3}", k.recall());
    }
}

#[test]
fn every_labelled_case_code_is_extracted() {
    for it in load() {
        let mut found = Vec::new();
        codes::extract(&it.item.title, &mut found);
        codes::extract(it.item.summary.as_deref().unwrap_or(""), &mut found);
        match &it.case_code {
            Some(code) => {
                // Spaces and the Case/Cas/Caso word do not matter.
                let squashed = |s: &str| {
                    let s = s.replace(' ', "").to_ascii_uppercase();
                    ["CASE", "CASO", "CAS"]
                        .iter()
                        .find_map(|p| s.strip_prefix(p).map(str::to_string))
                        .unwrap_or(s)
                };
                let want = squashed(code);
                assert!(
                    found.iter().any(|f| {
                        let f = squashed(f);
                        f == want || f == format!("{want}(FOLLOW-UP)")
                    }),
                    "{}: {code} not found in {found:?}",
                    it.id
                );
            }
            None => assert!(found.is_empty(), "{}: unexpected {found:?}", it.id),
        }
    }
}

/// Not a target, a figure: how often detection agrees with the label when an item's
/// language is declared nowhere.
#[test]
fn language_detection_on_the_evaluation_set() {
    let items = load();
    let mut right = 0;
    let mut unsure = 0;
    let mut wrong = Vec::new();
    for it in &items {
        match language::detect(&it.item.title, it.item.summary.as_deref().unwrap_or("")) {
            Some(l) if l == it.language => right += 1,
            Some(l) => wrong.push(format!("{} detected {l}", it.id)),
            None => unsure += 1,
        }
    }
    println!(
        "language detection: {right} right, {} wrong, {unsure} no reliable guess, of {}",
        wrong.len(),
        items.len()
    );
    for w in &wrong {
        println!("  {w}");
    }
    assert!(
        wrong.len() * 10 <= items.len(),
        "detection wrong on more than 10%: {wrong:?}"
    );
}

/// An honesty check, printed, not asserted: the rules were written by someone who had
/// read the whole set, holdout included. This keeps only the vocabulary the tune split
/// exercises (every keyword, veto phrase or regex that matches no tune item is removed,
/// as if it had been added for a holdout item) and scores the holdout split with that.
#[test]
fn holdout_with_tune_vocabulary_only() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/tocsin.toml");
    let config = Config::load(&path).unwrap();
    let items = load();
    let tune: Vec<&Labelled> = items.iter().filter(|i| i.split == "tune").collect();
    let subjects: Vec<Subject> = tune
        .iter()
        .map(|it| Subject::of(&it.item, &it.source, Some(&it.language)))
        .collect();
    let fires = |rule: &tocsin::classify::RuleConfig| {
        let c = Classifier::new(std::slice::from_ref(rule), 1e9).unwrap();
        subjects.iter().any(|s| !c.classify(s).reasons.is_empty())
    };
    let mut removed = Vec::new();
    let mut rules = config.rules.clone();
    for r in &mut rules {
        let single = |kw: Option<&String>, re: Option<&String>| tocsin::classify::RuleConfig {
            name: r.name.clone(),
            keywords: kw.into_iter().cloned().collect(),
            regex: re.into_iter().cloned().collect(),
            fields: r.fields.clone(),
            sources: r.sources.clone(),
            languages: r.languages.clone(),
            weight: 1.0,
            ..Default::default()
        };
        let keep_kw: Vec<String> = r
            .keywords
            .iter()
            .filter(|k| fires(&single(Some(k), None)))
            .cloned()
            .collect();
        let keep_unless: Vec<String> = r
            .unless
            .iter()
            .filter(|k| fires(&single(Some(k), None)))
            .cloned()
            .collect();
        let keep_re: Vec<String> = r
            .regex
            .iter()
            .filter(|re| fires(&single(None, Some(re))))
            .cloned()
            .collect();
        for k in r.keywords.iter().chain(&r.unless).chain(&r.regex) {
            if !keep_kw.contains(k) && !keep_unless.contains(k) && !keep_re.contains(k) {
                removed.push(format!("{}: {k}", r.name));
            }
        }
        r.keywords = keep_kw;
        r.unless = keep_unless;
        r.regex = keep_re;
    }
    rules.retain(|r| !r.keywords.is_empty() || !r.regex.is_empty() || r.case_code);
    let c = Classifier::new(&rules, config.classify.threshold).unwrap();
    let mut by_lang: BTreeMap<String, Counts> = BTreeMap::new();
    for it in items.iter().filter(|i| i.split == "holdout") {
        let v = c.classify(&Subject::of(&it.item, &it.source, Some(&it.language)));
        by_lang
            .entry(it.language.clone())
            .or_default()
            .add(it.urgent, v.urgent);
        by_lang
            .entry("all".into())
            .or_default()
            .add(it.urgent, v.urgent);
        if v.urgent != it.urgent {
            println!("  tune-vocabulary miss: {} {}", it.id, it.item.title);
        }
    }
    println!(
        "tune-vocabulary-only rules: {} keywords/vetoes/regexes removed",
        removed.len()
    );
    for (lang, k) in &by_lang {
        println!(
            "holdout (tune vocabulary only) {lang:<4} precision {:.3} recall {:.3}  tp {} fp {} fn {} tn {}",
            k.precision(),
            k.recall(),
            k.tp,
            k.fp,
            k.fn_,
            k.tn
        );
    }
}
