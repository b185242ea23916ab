//! Cross-validation of the statistical model, alone and next to the shipped rules.
//!
//! ```sh
//! cargo run --release --example model_cv
//! ```
//!
//! Reads the tuning data (`tests/eval/real/{tune,holdout,holdout2,holdout3,holdout4,holdout5,holdout6}.jsonl`, never
//! the blind holdout of the current round) and splits it into `CV_FOLDS` (10) folds by
//! the second byte of SHA-256 of each item's URL (the first decides tune/holdout, so it
//! is not used again). For each fold it trains a model on the other folds with
//! `Options::default()` (what `train_model` ships) and scores the fold's items. It
//! prints:
//!
//! - the model alone: AUC, precision and recall at probability 0.5;
//! - the shipped rules alone (`config/tocsin.toml`, its `[classify] model` ignored);
//! - the rules with the model as one more piece of evidence, for a grid of weights
//!   (`model_weight`) and probability levels (`model_min_probability`), each with the
//!   items it turns urgent and not urgent;
//! - per language, the rules alone and with the model at `CV_WEIGHT` / `CV_LEVEL` (or the
//!   setting of the grid with the best recall at precision ≥ 0.95, or, when the rules
//!   alone are below 0.95, at most 0.005 below the rules alone).
//!
//! The rules were written by people who had read all these items, so the rules' own
//! figures here are in-sample: the model's added value on new items is understated.
//!
//! Settings to explore (environment): `CV_FOLDS`, `CV_KEEP`, `CV_LAMBDA`, `CV_EPOCHS`,
//! `CV_ETA`, `CV_MIN`, `CV_MAX`, `CV_BITS`, `CV_TITLE`, `CV_SUMMARY`, `CV_CATEGORIES`
//! (characters of each field; 0 leaves it out).

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use tocsin::classify::Classifier;
use tocsin::classify::Field;
use tocsin::classify::ngram::train::{Labelled, Options, train_model};
use tocsin::config::Config;

const FILES: [&str; 7] = [
    "tune", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6",
];

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Counts {
    fn add(&mut self, truth: bool, said: bool) {
        match (truth, said) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn p(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    fn r(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
    fn show(&self) -> String {
        format!(
            "P {:.3} R {:.3} (tp {} fp {} fn {} tn {})",
            self.p(),
            self.r(),
            self.tp,
            self.fp,
            self.fn_,
            self.tn
        )
    }
}

/// One item: label, language, the rules' score and drop, the out-of-fold probability.
struct Scored {
    id: String,
    language: String,
    urgent: bool,
    score: f64,
    drop: bool,
    p: f64,
}

fn combined(s: &Scored, threshold: f64, weight: f64, level: f64) -> bool {
    let add = if s.p >= level { weight } else { 0.0 };
    !s.drop && ((s.score + add) * 1e9).round() / 1e9 >= threshold
}

fn auc(scored: &[Scored]) -> f64 {
    let pos: Vec<f64> = scored.iter().filter(|s| s.urgent).map(|s| s.p).collect();
    let neg: Vec<f64> = scored.iter().filter(|s| !s.urgent).map(|s| s.p).collect();
    let mut wins = 0.0;
    for p in &pos {
        for n in &neg {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (pos.len() * neg.len()) as f64
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut items: Vec<Labelled> = Vec::new();
    for f in FILES {
        let path = root.join(format!("tests/eval/real/{f}.jsonl"));
        let text = std::fs::read_to_string(&path).expect("tuning file");
        items.extend(Labelled::from_jsonl(&text).expect("valid items"));
    }
    items.sort_by(|a, b| a.id.cmp(&b.id));
    let config = Config::load(&root.join("config/tocsin.toml")).expect("shipped config");
    let threshold = config.classify.threshold;
    let rules = Classifier::new(&config.rules, threshold).expect("rules compile");

    let d = Options::default();
    let mut opts = d.clone();
    let folds: u8 = env("CV_FOLDS", 10);
    opts.keep = env("CV_KEEP", d.keep);
    opts.lambda = env("CV_LAMBDA", d.lambda);
    opts.epochs = env("CV_EPOCHS", d.epochs);
    opts.eta0 = env("CV_ETA", d.eta0);
    opts.shape.min = env("CV_MIN", d.shape.min);
    opts.shape.max = env("CV_MAX", d.shape.max);
    opts.shape.bits = env("CV_BITS", d.shape.bits);
    let chars = |f: Field| d.shape.fields.iter().find(|x| x.0 == f).map_or(0, |x| x.1);
    opts.shape.fields = [
        (Field::Title, "CV_TITLE"),
        (Field::Summary, "CV_SUMMARY"),
        (Field::Categories, "CV_CATEGORIES"),
    ]
    .into_iter()
    .map(|(f, var)| (f, env(var, chars(f))))
    .filter(|(_, n)| *n > 0)
    .collect();
    println!(
        "{} items (tuning data: {}), {folds} folds by URL hash; model: {:?}, lambda {}, eta0 {}, \
         {} epochs, keep {}",
        items.len(),
        FILES.join(", "),
        opts.shape,
        opts.lambda,
        opts.eta0,
        opts.epochs,
        opts.keep
    );

    let fold = |l: &Labelled| Sha256::digest(l.url.as_bytes())[1] % folds;
    let subjects: Vec<_> = items.iter().map(Labelled::subject).collect();
    let mut p = vec![0.0; items.len()];
    for k in 0..folds {
        let train: Vec<_> = items
            .iter()
            .zip(&subjects)
            .filter(|(l, _)| fold(l) != k)
            .map(|(l, s)| (s, l.urgent))
            .collect();
        let model = train_model(&train, &opts).expect("the trained model reads back");
        for (i, l) in items.iter().enumerate() {
            if fold(l) == k {
                p[i] = model.probability(&subjects[i]);
            }
        }
    }
    let scored: Vec<Scored> = items
        .iter()
        .zip(p)
        .map(|(l, p)| {
            let v = rules.classify_item(&l.item, &l.source, Some(&l.language));
            Scored {
                id: l.id.clone(),
                language: l.language.clone(),
                urgent: l.urgent,
                score: v.score,
                drop: v.drop,
                p,
            }
        })
        .collect();

    let mut alone = Counts::default();
    let mut rules_alone = Counts::default();
    for s in &scored {
        alone.add(s.urgent, s.p >= 0.5);
        rules_alone.add(s.urgent, combined(s, threshold, 0.0, 2.0));
    }
    println!("model alone: AUC {:.3}", auc(&scored));
    for level in [0.5, 0.7, 0.8, 0.9] {
        let mut c = Counts::default();
        for s in &scored {
            c.add(s.urgent, s.p >= level);
        }
        println!("  p >= {level}: {}", c.show());
    }
    println!("rules alone (in-sample): {}", rules_alone.show());
    // "Without hurting precision": at least 0.95 (the issue's target), or, where the
    // rules alone are below it, at most 0.005 below theirs (about 2 false alarms in 400).
    let floor = if rules_alone.p() >= 0.95 {
        0.95
    } else {
        rules_alone.p() - 0.005
    };
    println!("rules + model (weight w when p >= level; * = precision >= {floor:.3}):");
    let mut best: Option<(f64, f64, Counts)> = None;
    for weight in [0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0] {
        for level in [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95] {
            let mut c = Counts::default();
            for s in &scored {
                c.add(s.urgent, combined(s, threshold, weight, level));
            }
            let mark = if c.p() >= floor { " *" } else { "" };
            println!("  w {weight:.1} p >= {level:.2}: {}{mark}", c.show());
            let better = best
                .as_ref()
                .is_none_or(|(_, _, b)| c.r() > b.r() || (c.r() == b.r() && c.p() > b.p()));
            if c.p() >= floor && better {
                best = Some((weight, level, c));
            }
        }
    }
    let (weight, level) = match best {
        Some((w, l, c)) => {
            println!(
                "best recall at P >= {floor:.3}: w {w} p >= {l}: {}",
                c.show()
            );
            (env("CV_WEIGHT", w), env("CV_LEVEL", l))
        }
        None => {
            println!("no setting keeps precision >= {floor:.3}");
            (env("CV_WEIGHT", 0.5), env("CV_LEVEL", 0.9))
        }
    };
    println!("rules + graded model (adds w * (2p - 1), negative below 0.5):");
    for weight in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8] {
        let mut c = Counts::default();
        for s in &scored {
            let v = ((s.score + weight * (2.0 * s.p - 1.0)) * 1e9).round() / 1e9;
            c.add(s.urgent, !s.drop && v >= threshold);
        }
        println!("  w {weight:.1}: {}", c.show());
    }
    if let Ok(seen) = std::env::var("CV_SEEN") {
        // Items the rules were not written against: ids absent from CV_SEEN (a JSON
        // Lines file of the items the rules had seen).
        let text = std::fs::read_to_string(&seen).expect("CV_SEEN file");
        let old: std::collections::HashSet<String> = Labelled::from_jsonl(&text)
            .expect("CV_SEEN items")
            .into_iter()
            .map(|l| l.id)
            .collect();
        let fresh: Vec<&Scored> = scored.iter().filter(|s| !old.contains(&s.id)).collect();
        println!(
            "{} items absent from {seen} (unseen by the rules):",
            fresh.len()
        );
        for (weight, level) in [
            (0.0, 2.0),
            (0.2, 0.6),
            (0.2, 0.7),
            (0.3, 0.7),
            (0.5, 0.7),
            (0.5, 0.8),
            (0.5, 0.9),
            (1.0, 0.9),
        ] {
            let mut c = Counts::default();
            for s in &fresh {
                c.add(s.urgent, combined(s, threshold, weight, level));
            }
            println!("  w {weight:.1} p >= {level:.2}: {}", c.show());
        }
    }
    println!("per language, rules alone -> rules + model (w {weight}, p >= {level}):");
    let mut by: BTreeMap<&str, (Counts, Counts)> = BTreeMap::new();
    for s in &scored {
        let e = by.entry(&s.language).or_default();
        e.0.add(s.urgent, combined(s, threshold, 0.0, 2.0));
        e.1.add(s.urgent, combined(s, threshold, weight, level));
    }
    for (l, (a, b)) in &by {
        println!("  {l}: {}  ->  {}", a.show(), b.show());
    }
    println!("items the model changes at that setting:");
    for s in &scored {
        let (a, b) = (
            combined(s, threshold, 0.0, 2.0),
            combined(s, threshold, weight, level),
        );
        if a != b {
            println!(
                "  {} {} rules {:.2} p {:.3}: {}",
                if s.urgent { "urgent" } else { "NOT   " },
                s.id,
                s.score,
                s.p,
                if b { "now urgent" } else { "now not urgent" }
            );
        }
    }
}
