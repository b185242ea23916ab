//! What the evaluation tests share (`tests/eval.rs`, `tests/eval_real.rs`): the shipped
//! classifier, precision/recall counts and how a verdict is printed.
#![allow(dead_code)]

use std::path::Path;

use tocsin::classify::Classifier;
use tocsin::config::Config;
use tocsin::model::Classification;

/// The shipped config, `config/tocsin.toml`.
pub(crate) fn shipped_config() -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/tocsin.toml");
    Config::load(&path).expect("the shipped config is valid")
}

/// The shipped rules and threshold, compiled, with the statistical model when the
/// shipped config turns it on (`[classify] model`): what the daemon runs.
pub(crate) fn shipped() -> Classifier {
    Classifier::clone(&shipped_config().classifier)
}

/// A confusion matrix: urgent is the positive class.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

impl Counts {
    pub(crate) fn add(&mut self, truth: bool, said: bool) {
        match (truth, said) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }

    pub(crate) fn total(&self) -> usize {
        self.tp + self.fp + self.fn_ + self.tn
    }

    /// 1.0 when nothing was selected.
    pub(crate) fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    /// 1.0 when nothing was urgent.
    pub(crate) fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }

    /// One table row: `label  precision recall  tp fp fn tn`.
    pub(crate) fn row(&self, label: &str) -> String {
        format!(
            "{label:<28} {:>9.3} {:>7.3}  {:>3} {:>3} {:>3} {:>3}",
            self.precision(),
            self.recall(),
            self.tp,
            self.fp,
            self.fn_,
            self.tn
        )
    }

    pub(crate) fn header(title: &str) -> String {
        format!("{title:<28} precision  recall   tp  fp  fn  tn")
    }
}

/// The rules that matched, with weights and evidence, on one line.
pub(crate) fn evidence(v: &Classification) -> String {
    let why: Vec<String> = v
        .reasons
        .iter()
        .map(|r| format!("{}{:+} [{}]", r.rule, r.weight, r.evidence))
        .collect();
    if why.is_empty() {
        "no rule matched".to_string()
    } else {
        why.join("; ")
    }
}
