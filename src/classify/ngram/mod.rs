//! The statistical evidence next to the rules: a logistic regression over hashed
//! character n-grams of an item's folded title, the start of its summary and its
//! categories (the publisher's labels), shipped as a text file (`config/urgent-model.tsv`,
//! embedded in the binary) and trained by [`train`] (`cargo run --release --example
//! train_model`).
//!
//! Each field's folded text (see [`crate::text::normalize_padded`]: lower case, no
//! accents, words separated by one space, a space at each end) is cut to the model's
//! bound for that field; every run of `min..=max` characters in it is hashed with the
//! field (so `title " urge"` and `summary " urge"` are two features) into one of
//! `2^bits` buckets. The model's logit is its bias plus the sum of the weights of the
//! buckets hit, divided by the square root of the number of n-grams (so a long text
//! weighs no more than a short one); its probability is the logistic of that.
//!
//! A model names only the buckets it weighs (the others weigh 0): scoring looks each
//! n-gram up in a small open-addressing table, allocating nothing. When the probability
//! reaches the configured level, [`ModelEvidence`] turns it into a [`Reason`] that
//! names the probability and the n-grams of the item that pushed it most.

pub mod train;

use std::fmt::Write as _;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Field, Subject};
use crate::model::Reason;
use crate::text::hex;

/// The model shipped in the binary (`[classify] model = "builtin"`).
pub const BUILTIN: &str = include_str!("../../../config/urgent-model.tsv");

/// The first line (after comments) of every model file.
const FORMAT: &str = "tocsin-ngram-model 1";

/// Bounds a model file may set, so that no file can make scoring slow or large.
const MAX_BITS: u32 = 24;
const MAX_NGRAM: usize = 8;
const MAX_FIELD_CHARS: usize = 5_000;
const MAX_WEIGHTS: usize = 1 << 20;

/// How many n-grams a reason names.
const EVIDENCE_FEATURES: usize = 4;

/// The fields a model may read.
const MODEL_FIELDS: [Field; 4] = [
    Field::Title,
    Field::Summary,
    Field::Content,
    Field::Categories,
];

/// Why a model file cannot be used: the line (1-based) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ModelError {
    pub line: Option<usize>,
    pub message: String,
}

fn error(line: usize, message: impl Into<String>) -> ModelError {
    ModelError {
        line: Some(line),
        message: message.into(),
    }
}

/// The hash seed of a field: the same n-gram in two fields is two features.
fn seed(field: Field) -> u64 {
    match field {
        Field::Title => 0x7469_746c_6531_a5f1,
        Field::Summary => 0x7375_6d6d_6172_79c3,
        Field::Content => 0x636f_6e74_656e_74e7,
        Field::Categories => 0x6361_7465_676f_72b9,
        Field::Link => 0x6c69_6e6b_0000_0b1d,
        Field::Source => 0x736f_7572_6365_0d2f,
    }
}

/// FNV-1a's 64-bit prime, applied per character.
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// A final mix (from SplitMix64), so the top bits depend on every character.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The first `chars` characters of `text`.
fn bounded(text: &str, chars: usize) -> &str {
    match text.char_indices().nth(chars) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// What a model reads of an item: which fields, how many characters of each, which
/// n-gram lengths, how many buckets.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub bits: u32,
    pub min: usize,
    pub max: usize,
    /// Each field read, with how many characters of its folded text.
    pub fields: Vec<(Field, usize)>,
}

impl Shape {
    /// Calls `f(bucket, field, n-gram)` for every n-gram of `subject` this shape reads,
    /// in order of field, then position, then length.
    pub(crate) fn each<'s>(&self, subject: &'s Subject, mut f: impl FnMut(u32, Field, &'s str)) {
        let shift = 64 - self.bits;
        for &(field, chars) in &self.fields {
            let Some((_, folded, _)) = subject.folded.iter().find(|(g, _, _)| *g == field) else {
                continue;
            };
            let text = bounded(folded, chars);
            for (start, _) in text.char_indices() {
                let mut h = seed(field);
                for (n, (offset, c)) in text[start..].char_indices().take(self.max).enumerate() {
                    h = (h ^ u64::from(c)).wrapping_mul(PRIME);
                    if n + 1 >= self.min {
                        let end = start + offset + c.len_utf8();
                        // `shift` ≥ 40: the bucket fits in 24 bits.
                        f((mix(h) >> shift) as u32, field, &text[start..end]);
                    }
                }
            }
        }
    }

    /// The fields whose folded text the model needs.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.fields.iter().map(|(f, _)| *f)
    }
}

/// A trained model, ready to score.
#[derive(Debug, Clone)]
pub struct NgramModel {
    shape: Shape,
    bias: f32,
    /// Open addressing: bucket + 1 (0 = empty slot) and its weight.
    keys: Vec<u32>,
    weights: Vec<f32>,
    /// How many buckets carry a weight.
    len: usize,
    /// A hash of the file, for [`super::Classifier::fingerprint`].
    hash: String,
}

impl NgramModel {
    /// The model embedded in the binary.
    pub fn builtin() -> NgramModel {
        NgramModel::parse(BUILTIN).expect("the built-in model parses (tests/model.rs)")
    }

    /// Reads a model file (see `config/urgent-model.tsv` for the format).
    pub fn parse(text: &str) -> Result<NgramModel, ModelError> {
        let mut format_seen = false;
        let mut bits = None;
        let mut ngram = None;
        let mut fields: Vec<(Field, usize)> = Vec::new();
        let mut bias = None;
        let mut pairs: Vec<(u32, f32, usize)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if !format_seen {
                if line != FORMAT {
                    return Err(error(
                        n,
                        format!("not a tocsin model file: expected `{FORMAT}` first"),
                    ));
                }
                format_seen = true;
                continue;
            }
            let want = |k: usize| {
                if cols.len() == k {
                    Ok(())
                } else {
                    Err(error(
                        n,
                        format!(
                            "`{}` takes {} tab-separated columns, found {}",
                            cols[0],
                            k,
                            cols.len()
                        ),
                    ))
                }
            };
            let int = |s: &str, lo: usize, hi: usize| -> Result<usize, ModelError> {
                s.parse::<usize>()
                    .ok()
                    .filter(|v| (lo..=hi).contains(v))
                    .ok_or_else(|| {
                        error(n, format!("`{s}` is not a whole number from {lo} to {hi}"))
                    })
            };
            let float = |s: &str| -> Result<f32, ModelError> {
                s.parse::<f32>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| error(n, format!("`{s}` is not a finite number")))
            };
            match cols[0] {
                "bits" => {
                    want(2)?;
                    bits = Some(int(cols[1], 1, MAX_BITS as usize)? as u32);
                }
                "ngram" => {
                    want(3)?;
                    let min = int(cols[1], 1, MAX_NGRAM)?;
                    let max = int(cols[2], min, MAX_NGRAM)?;
                    ngram = Some((min, max));
                }
                "field" => {
                    want(3)?;
                    let field = Field::from_name(cols[1])
                        .filter(|f| MODEL_FIELDS.contains(f))
                        .ok_or_else(|| {
                            error(
                                n,
                                format!(
                                    "`{}` is not a field a model reads (title, summary, \
                                     content, categories)",
                                    cols[1]
                                ),
                            )
                        })?;
                    if fields.iter().any(|(f, _)| *f == field) {
                        return Err(error(n, format!("field `{}` given twice", cols[1])));
                    }
                    fields.push((field, int(cols[2], 1, MAX_FIELD_CHARS)?));
                }
                "bias" => {
                    want(2)?;
                    bias = Some(float(cols[1])?);
                }
                "weight" => {
                    // weight, bucket, weight, then what a reader is shown (field and
                    // n-grams of the training data), which scoring does not need.
                    if cols.len() < 3 {
                        return Err(error(n, "`weight` needs a bucket and a weight"));
                    }
                    let Some(bits) = bits else {
                        return Err(error(n, "`bits` must come before the weights"));
                    };
                    let bucket = int(cols[1], 0, (1usize << bits) - 1)? as u32;
                    if pairs.len() >= MAX_WEIGHTS {
                        return Err(error(n, format!("more than {MAX_WEIGHTS} weights")));
                    }
                    pairs.push((bucket, float(cols[2])?, n));
                }
                other => {
                    return Err(error(
                        n,
                        format!(
                            "unknown line `{other}` (expected bits, ngram, field, bias or \
                             weight)"
                        ),
                    ));
                }
            }
        }
        let missing = |what: &str| ModelError {
            line: None,
            message: format!("no `{what}` line"),
        };
        if !format_seen {
            return Err(ModelError {
                line: None,
                message: format!("empty: expected `{FORMAT}` first"),
            });
        }
        let bits = bits.ok_or_else(|| missing("bits"))?;
        let (min, max) = ngram.ok_or_else(|| missing("ngram"))?;
        let bias = bias.ok_or_else(|| missing("bias"))?;
        if fields.is_empty() {
            return Err(missing("field"));
        }
        let size = (pairs.len() * 2).max(8).next_power_of_two();
        let mut model = NgramModel {
            shape: Shape {
                bits,
                min,
                max,
                fields,
            },
            bias,
            keys: vec![0; size],
            weights: vec![0.0; size],
            len: 0,
            hash: hex(&Sha256::digest(text.as_bytes())[..16]),
        };
        for (bucket, weight, n) in pairs {
            if !model.insert(bucket, weight) {
                return Err(error(n, format!("bucket {bucket} given twice")));
            }
        }
        Ok(model)
    }

    /// Adds a weight; false when the bucket has one already.
    fn insert(&mut self, bucket: u32, weight: f32) -> bool {
        let mask = self.keys.len() - 1;
        let mut i = bucket as usize & mask;
        loop {
            match self.keys[i] {
                0 => {
                    self.keys[i] = bucket + 1;
                    self.weights[i] = weight;
                    self.len += 1;
                    return true;
                }
                k if k == bucket + 1 => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The weight of a bucket (0 when the model does not name it).
    #[inline]
    fn weight(&self, bucket: u32) -> f32 {
        let mask = self.keys.len() - 1;
        let mut i = bucket as usize & mask;
        loop {
            let k = self.keys[i];
            if k == bucket + 1 {
                return self.weights[i];
            }
            if k == 0 {
                return 0.0;
            }
            i = (i + 1) & mask;
        }
    }

    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// How many buckets carry a weight.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A hash of the model file.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The probability that `subject` is urgent.
    pub fn probability(&self, subject: &Subject) -> f64 {
        let (mut sum, mut count) = (0.0f32, 0u32);
        self.shape.each(subject, |bucket, _, _| {
            sum += self.weight(bucket);
            count += 1;
        });
        self.logistic(sum, count)
    }

    fn logistic(&self, sum: f32, count: u32) -> f64 {
        let z = f64::from(self.bias)
            + if count == 0 {
                0.0
            } else {
                f64::from(sum) / f64::from(count).sqrt()
            };
        1.0 / (1.0 + (-z).exp())
    }

    /// The n-grams of `subject` that pushed its probability up most, strongest first,
    /// each with its field and its part of the logit.
    pub fn strongest(&self, subject: &Subject, k: usize) -> Vec<(Field, String, f64)> {
        let mut hits: Vec<(u32, Field, &str, f32)> = Vec::new();
        let mut count = 0u32;
        self.shape.each(subject, |bucket, field, gram| {
            count += 1;
            let w = self.weight(bucket);
            if w > 0.0 {
                hits.push((bucket, field, gram, w));
            }
        });
        // A bucket hit several times counts with all its hits, shown once.
        hits.sort_by_key(|h| h.0);
        let mut merged: Vec<(Field, &str, f32)> = Vec::new();
        let mut last = None;
        for (bucket, field, gram, w) in hits {
            if last == Some(bucket) {
                if let Some(m) = merged.last_mut() {
                    m.2 += w;
                }
            } else {
                merged.push((field, gram, w));
            }
            last = Some(bucket);
        }
        // Strongest first; among equals, the longer n-gram reads better.
        merged.sort_by(|a, b| {
            b.2.total_cmp(&a.2)
                .then(b.1.chars().count().cmp(&a.1.chars().count()))
        });
        let norm = f64::from(count.max(1)).sqrt();
        merged
            .into_iter()
            .take(k)
            .map(|(f, g, w)| (f, g.to_string(), f64::from(w) / norm))
            .collect()
    }
}

/// How the model takes part in a verdict: `[classify] model`, `model_weight`,
/// `model_min_probability`.
#[derive(Debug, Clone)]
pub struct ModelEvidence {
    pub model: Arc<NgramModel>,
    /// Added to the score when the probability reaches `min_probability`.
    pub weight: f64,
    pub min_probability: f64,
}

/// The name of the reason the model gives.
pub const MODEL_RULE: &str = "model";

impl ModelEvidence {
    /// What it adds to the fingerprint: the model and how it counts.
    pub(super) fn fingerprint(&self) -> String {
        format!(
            "model {} {:?} {:?}",
            self.model.hash(),
            self.weight,
            self.min_probability
        )
    }

    /// The model's reason for `subject`, when its probability reaches the level.
    pub(super) fn reason(&self, subject: &Subject) -> Option<Reason> {
        let p = self.model.probability(subject);
        if p < self.min_probability {
            return None;
        }
        let mut evidence = format!("p = {p:.2}");
        for (i, (field, gram, part)) in self
            .model
            .strongest(subject, EVIDENCE_FEATURES)
            .into_iter()
            .enumerate()
        {
            let sep = if i == 0 { "; " } else { ", " };
            let _ = write!(evidence, "{sep}{}: \"{gram}\" {part:+.2}", field.name());
        }
        Some(Reason {
            rule: MODEL_RULE.to_string(),
            weight: self.weight,
            evidence,
            label: Some("Worded like the appeals the statistical model was trained on".into()),
        })
    }
}

#[cfg(test)]
mod tests;
