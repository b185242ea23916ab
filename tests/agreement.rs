//! How far two careful labellers agree on the real evaluation set (issue 16): the ceiling
//! any classifier can be measured against.
//!
//! `tests/eval/real/agreement.jsonl` holds a second, independent label for 250 items of
//! the spent files (50 per language, drawn by a hash of the URL): the second labeller saw
//! only what the first one had (title, lead, the publisher's labels, URL, date, language),
//! plus DOMAIN.md and the label policy of `tests/eval/real/README.md`, never the first
//! labels. This test recomputes the agreement and checks it against the figures README
//! quotes, so that the figures cannot drift from the data; it also checks that the sample
//! never touches the current blind holdout.
//!
//! `cargo test --test agreement -- --nocapture` prints the table.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

/// The files the sample was drawn from: every one spent (measured once, now tuning data).
const SPENT: [&str; 6] = [
    "tune", "holdout", "holdout2", "holdout3", "holdout4", "holdout5",
];

/// The blind holdout of the round under way: the sample must never touch it.
const BLIND: &str = "holdout7";

fn lines(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/eval/real/{name}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

fn flag(v: &Value, key: &str, id: &str) -> bool {
    v[key]
        .as_bool()
        .unwrap_or_else(|| panic!("{id}: `{key}` is not true or false"))
}

/// Both labels of one item: the first (the set's), the second (agreement.jsonl).
struct Pair {
    language: String,
    first: bool,
    first_borderline: bool,
    second: bool,
    second_borderline: bool,
}

fn pairs() -> Vec<Pair> {
    let mut first: HashMap<String, Value> = HashMap::new();
    for name in SPENT {
        for v in lines(name) {
            let id = v["id"].as_str().expect("every item has an id").to_string();
            first.insert(id, v);
        }
    }
    let blind: HashSet<String> = lines(BLIND)
        .iter()
        .filter_map(|v| v["id"].as_str().map(str::to_string))
        .collect();
    let mut seen = HashSet::new();
    lines("agreement")
        .into_iter()
        .map(|v| {
            let id = v["id"].as_str().expect("every label has an id").to_string();
            assert!(seen.insert(id.clone()), "{id} is labelled twice");
            assert!(!blind.contains(&id), "{id} is in the blind {BLIND}");
            let f = first
                .get(&id)
                .unwrap_or_else(|| panic!("{id} is in no spent file"));
            assert!(
                v["reason"].as_str().is_some_and(|r| !r.trim().is_empty()),
                "{id}: empty reason"
            );
            Pair {
                language: f["language"].as_str().unwrap_or("?").to_string(),
                first: flag(f, "urgent", &id),
                first_borderline: flag(f, "borderline", &id),
                second: flag(&v, "urgent", &id),
                second_borderline: flag(&v, "borderline", &id),
            }
        })
        .collect()
}

/// Agreement on `urgent`, Cohen's kappa, and the second labeller scored against the
/// first as a classifier would be (precision, recall).
#[derive(Debug, Clone, Copy)]
struct Agreement {
    n: usize,
    agree: f64,
    kappa: f64,
    precision: f64,
    recall: f64,
}

fn agreement<'a>(pairs: impl Iterator<Item = &'a Pair>) -> Agreement {
    let (mut n, mut same, mut a1, mut a2, mut tp, mut fp, mut fn_) = (0, 0, 0, 0, 0, 0, 0);
    for p in pairs {
        n += 1;
        same += usize::from(p.first == p.second);
        a1 += usize::from(p.first);
        a2 += usize::from(p.second);
        tp += usize::from(p.first && p.second);
        fp += usize::from(!p.first && p.second);
        fn_ += usize::from(p.first && !p.second);
    }
    let nf = n as f64;
    let agree = same as f64 / nf;
    let (p1, p2) = (a1 as f64 / nf, a2 as f64 / nf);
    let chance = p1 * p2 + (1.0 - p1) * (1.0 - p2);
    let ratio = |a: usize, b: usize| {
        if a + b == 0 {
            1.0
        } else {
            a as f64 / (a + b) as f64
        }
    };
    Agreement {
        n,
        agree,
        kappa: (agree - chance) / (1.0 - chance),
        precision: ratio(tp, fp),
        recall: ratio(tp, fn_),
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[test]
fn two_labellers_agree_as_readme_says() {
    let pairs = pairs();
    assert_eq!(pairs.len(), 250, "the sample is 250 items");
    let mut table = Vec::new();
    let mut row = |name: &str, a: Agreement| {
        println!(
            "{name:<26} n={:>3} agree {:.3} kappa {:.3} second vs first: P {:.3} R {:.3}",
            a.n, a.agree, a.kappa, a.precision, a.recall
        );
        table.push((name.to_string(), a));
    };
    row("all", agreement(pairs.iter()));
    row(
        "first label clear",
        agreement(pairs.iter().filter(|p| !p.first_borderline)),
    );
    row(
        "first label borderline",
        agreement(pairs.iter().filter(|p| p.first_borderline)),
    );
    row(
        "both labels clear",
        agreement(
            pairs
                .iter()
                .filter(|p| !p.first_borderline && !p.second_borderline),
        ),
    );
    for lang in ["en", "fr", "es", "ro", "ru"] {
        let of_lang: Vec<&Pair> = pairs.iter().filter(|p| p.language == lang).collect();
        assert_eq!(of_lang.len(), 50, "50 items in {lang}");
        row(&format!("language {lang}"), agreement(of_lang.into_iter()));
    }
    // The figures README ("Measuring the rules", "How far labellers agree") and
    // tests/eval/real/README.md quote.
    let quoted: [(&str, [f64; 4]); 4] = [
        ("all", [0.944, 0.875, 0.929, 0.907]),
        ("first label clear", [0.994, 0.983, 1.0, 0.976]),
        ("first label borderline", [0.859, 0.717, 0.864, 0.844]),
        ("language ro", [0.86, 0.559, 1.0, 0.462]),
    ];
    for (name, want) in quoted {
        let a = table.iter().find(|(n, _)| n == name).unwrap().1;
        let got = [a.agree, a.kappa, a.precision, a.recall].map(round3);
        assert_eq!(got, want, "{name}: agreement, kappa, P, R");
    }
}

#[test]
fn agreement_of_identical_labels_is_perfect_and_of_opposite_ones_is_none() {
    let same: Vec<Pair> = [true, false, true, false]
        .into_iter()
        .map(|u| Pair {
            language: "en".into(),
            first: u,
            first_borderline: false,
            second: u,
            second_borderline: false,
        })
        .collect();
    let a = agreement(same.iter());
    assert_eq!(
        (a.agree, a.kappa, a.precision, a.recall),
        (1.0, 1.0, 1.0, 1.0)
    );
    let opposite: Vec<Pair> = same
        .into_iter()
        .map(|p| Pair {
            second: !p.first,
            ..p
        })
        .collect();
    let a = agreement(opposite.iter());
    assert_eq!(
        (a.agree, a.kappa, a.precision, a.recall),
        (0.0, -1.0, 0.0, 0.0)
    );
}
