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
use std::ops::Range;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Field, Subject};
use crate::model::{Classification, Reason};
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

/// Multiplicative hashing, one step per character: the top bits of the product depend
/// on every character so far.
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

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
    /// Calls `f(bucket, field, text, start..end)` for every n-gram `text[start..end]`
    /// of `subject` this shape reads, in order of field, then of position (each starting
    /// position once its n-grams are all read), then of length. One pass over each
    /// field's characters, keeping the last few, and nothing allocated.
    #[inline]
    pub(crate) fn each<'s>(
        &self,
        subject: &'s Subject,
        mut f: impl FnMut(u32, Field, &'s str, Range<usize>),
    ) {
        let shift = 64 - self.bits;
        let (min, max) = (self.min, self.max);
        for &(field, chars) in &self.fields {
            let Some((_, folded, _)) = subject.folded.iter().find(|(g, _, _)| *g == field) else {
                continue;
            };
            let text = bounded(folded, chars);
            // The last RING characters: (code point, byte start, byte end).
            let mut ring = [(0u64, 0usize, 0usize); RING];
            let seed = seed(field);
            // The n-grams starting at character `from` (of `n` read), up to `max` long.
            let mut emit = |ring: &[(u64, usize, usize); RING], from: usize, n: usize| {
                let mut h = seed;
                let start = ring[from % RING].1;
                for k in from..n.min(from + max) {
                    let (c, _, end) = ring[k % RING];
                    h = (h ^ c).wrapping_mul(MULTIPLIER);
                    if k + 1 - from >= min {
                        // `shift` ≥ 40: the bucket fits in 24 bits.
                        f((h >> shift) as u32, field, text, start..end);
                    }
                }
            };
            let mut n = 0;
            for (at, c) in text.char_indices() {
                ring[n % RING] = (u64::from(c), at, at + c.len_utf8());
                n += 1;
                if n >= max {
                    emit(&ring, n - max, n);
                }
            }
            for from in n.saturating_sub(max - 1)..n {
                emit(&ring, from, n);
            }
        }
    }

    /// The fields whose folded text the model needs.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.fields.iter().map(|(f, _)| *f)
    }
}

/// How many characters [`Shape::each`] keeps: more than the longest n-gram.
const RING: usize = 16;

/// How many hits scoring keeps: overlapping ones are joined into the spans shown.
const KEPT_HITS: usize = 2 * EVIDENCE_FEATURES;

/// One n-gram of an item that pushed the model's probability up: `text[start..end]`.
#[derive(Debug, Clone, Copy)]
struct Hit<'s> {
    bucket: u32,
    weight: f32,
    field: Field,
    text: &'s str,
    start: usize,
    end: usize,
}

/// The strongest [`KEPT_HITS`] hits of one item, kept while scoring.
struct Top<'s> {
    hits: [Option<Hit<'s>>; KEPT_HITS],
    /// What a hit must weigh to enter: once all are taken, the weakest's weight.
    floor: f32,
}

impl<'s> Top<'s> {
    fn new() -> Top<'s> {
        Top {
            hits: [None; KEPT_HITS],
            floor: 0.0,
        }
    }

    /// A hit above the floor: it adds to its bucket's if that is kept (a bucket hit
    /// again), else it takes the weakest's place.
    fn offer(&mut self, bucket: u32, weight: f32, field: Field, text: &'s str, at: Range<usize>) {
        if let Some(h) = self.hits.iter_mut().flatten().find(|h| h.bucket == bucket) {
            h.weight += weight;
        } else {
            let weakest = (0..self.hits.len())
                .min_by(|&a, &b| {
                    let w = |i: usize| self.hits[i].map_or(f32::NEG_INFINITY, |h| h.weight);
                    w(a).total_cmp(&w(b))
                })
                .unwrap_or(0);
            self.hits[weakest] = Some(Hit {
                bucket,
                weight,
                field,
                text,
                start: at.start,
                end: at.end,
            });
        }
        self.floor = self
            .hits
            .iter()
            .map(|h| h.map_or(0.0, |h| h.weight))
            .fold(f32::INFINITY, f32::min);
    }

    /// What a reader is shown: overlapping hits in one field joined into one span
    /// ("urge", "rgen", "gent" → "urgent") with their weights added, strongest first
    /// (among equals the longer), at most [`EVIDENCE_FEATURES`], each with its part of
    /// the logit of an item of `count` n-grams.
    fn parts(self, count: u32) -> Vec<(Field, &'s str, f64)> {
        let mut hits: Vec<Hit> = self.hits.into_iter().flatten().collect();
        hits.sort_by_key(|h| (h.field.name(), h.start));
        let mut spans: Vec<Hit> = Vec::new();
        for h in hits {
            match spans.last_mut() {
                Some(s) if s.field == h.field && h.start < s.end => {
                    s.end = s.end.max(h.end);
                    s.weight += h.weight;
                }
                _ => spans.push(h),
            }
        }
        spans.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then((b.end - b.start).cmp(&(a.end - a.start)))
        });
        let norm = f64::from(count.max(1)).sqrt();
        spans
            .into_iter()
            .take(EVIDENCE_FEATURES)
            .map(|h| {
                let text = h.text[h.start..h.end].trim();
                (h.field, text, f64::from(h.weight) / norm)
            })
            .collect()
    }
}

/// A trained model, ready to score.
#[derive(Debug, Clone)]
pub struct NgramModel {
    shape: Shape,
    bias: f32,
    /// Open addressing: bucket + 1 (0 = empty slot) and its weight, side by side so a
    /// probe reads one cache line.
    slots: Vec<(u32, f32)>,
    /// One bit per bucket, set for those in `slots`: most n-grams weigh nothing, and
    /// this answers them from 32 KiB (2^18 buckets) instead of the table.
    kept: Vec<u64>,
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
        let mut r = Reader::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if !r.format_seen {
                if line != FORMAT {
                    return Err(error(
                        i + 1,
                        format!("not a tocsin model file: expected `{FORMAT}` first"),
                    ));
                }
                r.format_seen = true;
                continue;
            }
            r.line(i + 1, &line.split('\t').collect::<Vec<_>>())?;
        }
        r.finish(text)
    }

    /// Adds a weight; false when the bucket has one already.
    fn insert(&mut self, bucket: u32, weight: f32) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = bucket as usize & mask;
        loop {
            match self.slots[i].0 {
                0 => {
                    self.slots[i] = (bucket + 1, weight);
                    self.kept[bucket as usize / 64] |= 1 << (bucket % 64);
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
        if self.kept[bucket as usize / 64] & (1 << (bucket % 64)) == 0 {
            return 0.0;
        }
        let mask = self.slots.len() - 1;
        let mut i = bucket as usize & mask;
        loop {
            let (k, w) = self.slots[i];
            if k == bucket + 1 {
                return w;
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
        self.score(subject).0
    }

    /// The probability, and the n-grams of `subject` that pushed it up most, strongest
    /// first, each with its field and its part of the logit.
    pub fn explain(&self, subject: &Subject) -> (f64, Vec<(Field, String, f64)>) {
        let (p, top, count) = self.score(subject);
        let parts = top
            .parts(count)
            .into_iter()
            .map(|(f, g, w)| (f, g.to_string(), w))
            .collect();
        (p, parts)
    }

    /// One pass: the probability, the strongest hits and how many n-grams were read.
    fn score<'s>(&self, subject: &'s Subject) -> (f64, Top<'s>, u32) {
        let (mut sum, mut count) = (0.0f32, 0u32);
        let mut top = Top::new();
        self.shape.each(subject, |bucket, field, text, at| {
            let w = self.weight(bucket);
            sum += w;
            count += 1;
            if w > top.floor {
                top.offer(bucket, w, field, text, at);
            }
        });
        (self.logistic(sum, count), top, count)
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
}

/// A model file being read: what its lines said so far.
#[derive(Default)]
struct Reader {
    format_seen: bool,
    bits: Option<u32>,
    ngram: Option<(usize, usize)>,
    fields: Vec<(Field, usize)>,
    bias: Option<f32>,
    /// Bucket, weight and line.
    pairs: Vec<(u32, f32, usize)>,
}

/// `s` as a whole number from `lo` to `hi`.
fn int(n: usize, s: &str, lo: usize, hi: usize) -> Result<usize, ModelError> {
    s.parse::<usize>()
        .ok()
        .filter(|v| (lo..=hi).contains(v))
        .ok_or_else(|| error(n, format!("`{s}` is not a whole number from {lo} to {hi}")))
}

/// `s` as a finite number.
fn float(n: usize, s: &str) -> Result<f32, ModelError> {
    s.parse::<f32>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| error(n, format!("`{s}` is not a finite number")))
}

impl Reader {
    /// One line after the format line, split at tabs.
    fn line(&mut self, n: usize, cols: &[&str]) -> Result<(), ModelError> {
        let want = |k: usize| {
            if cols.len() == k {
                Ok(())
            } else {
                Err(error(
                    n,
                    format!(
                        "`{}` takes {k} tab-separated columns, found {}",
                        cols[0],
                        cols.len()
                    ),
                ))
            }
        };
        match cols[0] {
            "bits" => {
                want(2)?;
                self.bits = Some(int(n, cols[1], 1, MAX_BITS as usize)? as u32);
            }
            "ngram" => {
                want(3)?;
                let min = int(n, cols[1], 1, MAX_NGRAM)?;
                self.ngram = Some((min, int(n, cols[2], min, MAX_NGRAM)?));
            }
            "field" => {
                want(3)?;
                let field = Field::from_name(cols[1])
                    .filter(|f| MODEL_FIELDS.contains(f))
                    .ok_or_else(|| {
                        error(
                            n,
                            format!(
                                "`{}` is not a field a model reads (title, summary, content, \
                                 categories)",
                                cols[1]
                            ),
                        )
                    })?;
                if self.fields.iter().any(|(f, _)| *f == field) {
                    return Err(error(n, format!("field `{}` given twice", cols[1])));
                }
                self.fields
                    .push((field, int(n, cols[2], 1, MAX_FIELD_CHARS)?));
            }
            "bias" => {
                want(2)?;
                self.bias = Some(float(n, cols[1])?);
            }
            "weight" => {
                // weight, bucket, weight, then what a reader is shown (field and the
                // n-gram of the training data), which scoring does not need.
                if cols.len() < 3 {
                    return Err(error(n, "`weight` needs a bucket and a weight"));
                }
                let Some(bits) = self.bits else {
                    return Err(error(n, "`bits` must come before the weights"));
                };
                let bucket = int(n, cols[1], 0, (1usize << bits) - 1)? as u32;
                if self.pairs.len() >= MAX_WEIGHTS {
                    return Err(error(n, format!("more than {MAX_WEIGHTS} weights")));
                }
                self.pairs.push((bucket, float(n, cols[2])?, n));
            }
            other => {
                return Err(error(
                    n,
                    format!("unknown line `{other}` (expected bits, ngram, field, bias or weight)"),
                ));
            }
        }
        Ok(())
    }

    /// The model, once every line is read.
    fn finish(self, text: &str) -> Result<NgramModel, ModelError> {
        let missing = |what: &str| ModelError {
            line: None,
            message: format!("no `{what}` line"),
        };
        if !self.format_seen {
            return Err(ModelError {
                line: None,
                message: format!("empty: expected `{FORMAT}` first"),
            });
        }
        let bits = self.bits.ok_or_else(|| missing("bits"))?;
        if let Some((bucket, _, n)) = self.pairs.iter().find(|p| p.0 >= 1 << bits) {
            return Err(error(*n, format!("bucket {bucket} is not below 2^{bits}")));
        }
        let (min, max) = self.ngram.ok_or_else(|| missing("ngram"))?;
        let bias = self.bias.ok_or_else(|| missing("bias"))?;
        if self.fields.is_empty() {
            return Err(missing("field"));
        }
        let size = (self.pairs.len() * 2).max(8).next_power_of_two();
        let mut model = NgramModel {
            shape: Shape {
                bits,
                min,
                max,
                fields: self.fields,
            },
            bias,
            slots: vec![(0, 0.0); size],
            kept: vec![0; (1usize << bits).div_ceil(64)],
            len: 0,
            hash: hex(&Sha256::digest(text.as_bytes())[..16]),
        };
        for (bucket, weight, n) in self.pairs {
            if !model.insert(bucket, weight) {
                return Err(error(n, format!("bucket {bucket} given twice")));
            }
        }
        Ok(model)
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

    /// Adds the model's reason to the rules' verdict on `subject`, when its
    /// probability reaches the level (and not when a rule drops the item anyway).
    pub(super) fn add_to(&self, subject: &Subject, out: &mut Classification) {
        if out.drop {
            return;
        }
        if let Some(r) = self.reason(subject) {
            out.score += r.weight;
            out.reasons.push(r);
        }
    }

    /// The model's reason for `subject`, when its probability reaches the level.
    fn reason(&self, subject: &Subject) -> Option<Reason> {
        let (p, top, count) = self.model.score(subject);
        if p < self.min_probability {
            return None;
        }
        let mut evidence = format!("p = {p:.2}");
        for (i, (field, gram, part)) in top.parts(count).into_iter().enumerate() {
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
