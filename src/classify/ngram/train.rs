//! Training an [`NgramModel`]: L2-regularised logistic regression by stochastic
//! gradient descent over the hashed n-grams of labelled items, deterministic (the items
//! in order of id, a fixed-seed shuffle per epoch, no threads), so that the same data
//! gives the same file byte for byte. The model is trained once over all buckets, the
//! `keep` buckets of largest weight are kept, and it is trained again on those alone:
//! what ships is exactly what was trained, only smaller.
//!
//! `cargo run --release --example train_model -- FILE.jsonl… > config/urgent-model.tsv`
//! trains on labelled items in the format of `tests/eval/real/*.jsonl`.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{FORMAT, Field, ModelError, NgramModel, Shape, Subject};
use crate::model::ParsedItem;

/// One labelled item: what the daemon would see of it, and whether it is urgent.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub id: String,
    pub url: String,
    pub source: String,
    pub language: String,
    pub item: ParsedItem,
    pub urgent: bool,
}

impl Labelled {
    /// Reads one line of a `tests/eval/real/*.jsonl` file (`id`, `url`, `source`,
    /// `language`, `title`, `summary`, `categories`, `urgent`; other keys are ignored).
    pub fn from_json_line(line: &str) -> Result<Labelled, String> {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let s = |k: &str| {
            v[k].as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("no string `{k}`"))
        };
        let categories = v["categories"]
            .as_array()
            .ok_or("no list `categories`")?
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .ok_or("a category is not a string")
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Labelled {
            id: s("id")?,
            url: s("url")?,
            source: s("source")?,
            language: s("language")?,
            item: ParsedItem {
                title: s("title")?,
                summary: Some(s("summary")?).filter(|x| !x.is_empty()),
                categories,
                ..Default::default()
            },
            urgent: v["urgent"].as_bool().ok_or("no boolean `urgent`")?,
        })
    }

    /// Every line of a JSON Lines file; an error names the line.
    pub fn from_jsonl(text: &str) -> Result<Vec<Labelled>, String> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| Labelled::from_json_line(l).map_err(|e| format!("line {}: {e}", n + 1)))
            .collect()
    }

    /// The item as the classifier sees it (published by its source, in its language).
    pub fn subject(&self) -> Subject {
        Subject::of(&self.item, &self.source, Some(&self.language))
    }
}

/// How to train.
#[derive(Debug, Clone)]
pub struct Options {
    pub shape: Shape,
    /// L2 regularisation.
    pub lambda: f64,
    /// The initial learning rate (it decays as `eta0 / (1 + eta0 * lambda * t)`).
    pub eta0: f64,
    pub epochs: usize,
    /// How many buckets the shipped model keeps.
    pub keep: usize,
    pub seed: u64,
}

impl Default for Options {
    /// The settings of the shipped model (chosen by cross-validation: see
    /// `examples/model_cv.rs` and README "The statistical model").
    fn default() -> Options {
        Options {
            shape: Shape {
                bits: 18,
                min: 4,
                max: 4,
                fields: vec![
                    (Field::Title, 300),
                    (Field::Summary, 200),
                    (Field::Categories, 120),
                ],
            },
            lambda: 1e-4,
            eta0: 0.5,
            epochs: 50,
            keep: 6000,
            seed: 0x746f_6373_696e,
        }
    }
}

/// An item as training sees it: its buckets with their values, and its label.
struct Example {
    x: Vec<(u32, f64)>,
    y: f64,
}

fn example(shape: &Shape, subject: &Subject, urgent: bool) -> Example {
    let mut buckets = Vec::new();
    shape.each(subject, |b, _, _, _| buckets.push(b));
    let norm = (buckets.len().max(1) as f64).sqrt();
    buckets.sort_unstable();
    let mut x: Vec<(u32, f64)> = Vec::new();
    for b in buckets {
        match x.last_mut() {
            Some((last, v)) if *last == b => *v += 1.0,
            _ => x.push((b, 1.0)),
        }
    }
    for (_, v) in &mut x {
        *v /= norm;
    }
    Example {
        x,
        y: if urgent { 1.0 } else { 0.0 },
    }
}

/// xorshift64*: a fixed sequence for the shuffles.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// SGD over `examples`, reading only the buckets `active` says (all when `None`):
/// the bias and the dense weights.
fn sgd(examples: &[Example], opts: &Options, active: Option<&[bool]>) -> (f64, Vec<f64>) {
    let dim = 1usize << opts.shape.bits;
    let mut v = vec![0.0f64; dim];
    let mut scale = 1.0f64;
    let mut bias = 0.0f64;
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut state = opts.seed | 1;
    let mut t = 0u64;
    let on = |b: u32| active.is_none_or(|a| a[b as usize]);
    for _ in 0..opts.epochs {
        for i in (1..order.len()).rev() {
            let j = (next(&mut state) % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        for &i in &order {
            let e = &examples[i];
            let eta = opts.eta0 / (1.0 + opts.eta0 * opts.lambda * t as f64);
            let dot: f64 =
                e.x.iter()
                    .filter(|(b, _)| on(*b))
                    .map(|(b, x)| v[*b as usize] * x)
                    .sum();
            let g = sigmoid(bias + scale * dot) - e.y;
            // Weight decay as a factor on all weights at once.
            scale *= 1.0 - eta * opts.lambda;
            if scale < 1e-9 {
                for w in &mut v {
                    *w *= scale;
                }
                scale = 1.0;
            }
            for (b, x) in e.x.iter().filter(|(b, _)| on(*b)) {
                v[*b as usize] -= eta * g * x / scale;
            }
            bias -= eta * g;
            t += 1;
        }
    }
    for w in &mut v {
        *w *= scale;
    }
    (bias, v)
}

/// Trains on `items` (subject and label) and returns the model file's text, with
/// `comment` (lines without `# `) at its top.
pub fn train(items: &[(&Subject, bool)], opts: &Options, comment: &str) -> String {
    let examples: Vec<Example> = items
        .iter()
        .map(|(s, u)| example(&opts.shape, s, *u))
        .collect();
    let (_, full) = sgd(&examples, opts, None);
    // The `keep` largest weights (ties: the lower bucket), then trained again alone.
    let mut ranked: Vec<u32> = (0..full.len() as u32)
        .filter(|&b| full[b as usize] != 0.0)
        .collect();
    ranked.sort_by(|&a, &b| {
        full[b as usize]
            .abs()
            .total_cmp(&full[a as usize].abs())
            .then(a.cmp(&b))
    });
    ranked.truncate(opts.keep);
    let mut active = vec![false; full.len()];
    for &b in &ranked {
        active[b as usize] = true;
    }
    let (bias, weights) = sgd(&examples, opts, Some(&active));
    // What each kept bucket stands for: its most frequent n-gram in the data.
    let mut names: HashMap<u32, HashMap<(Field, String), usize>> = HashMap::new();
    for (s, _) in items {
        opts.shape.each(s, |b, f, text, at| {
            if active[b as usize] {
                *names
                    .entry(b)
                    .or_default()
                    .entry((f, text[at].to_string()))
                    .or_default() += 1;
            }
        });
    }
    let mut rows: Vec<(u32, String, Field, String)> = ranked
        .iter()
        .map(|&b| {
            let w = format!("{:.4}", weights[b as usize]);
            let ((field, gram), _) = names[&b]
                .iter()
                .max_by(|a, b| {
                    a.1.cmp(b.1)
                        .then((b.0.0.name(), &b.0.1).cmp(&(a.0.0.name(), &a.0.1)))
                })
                .map(|(k, n)| (k.clone(), *n))
                .expect("a kept bucket was hit");
            (b, w, field, gram)
        })
        .filter(|(_, w, _, _)| w.parse::<f64>().is_ok_and(|w| w != 0.0))
        .collect();
    // Strongest evidence for urgency first, strongest against last.
    rows.sort_by(|a, b| {
        let (x, y) = (
            a.1.parse::<f64>().unwrap_or(0.0),
            b.1.parse::<f64>().unwrap_or(0.0),
        );
        y.total_cmp(&x).then(a.0.cmp(&b.0))
    });
    let mut out = String::new();
    for line in comment.lines() {
        let _ = writeln!(out, "# {line}").map(|_| ());
    }
    let _ = writeln!(out, "{FORMAT}");
    let _ = writeln!(out, "bits\t{}", opts.shape.bits);
    let _ = writeln!(out, "ngram\t{}\t{}", opts.shape.min, opts.shape.max);
    for (f, chars) in &opts.shape.fields {
        let _ = writeln!(out, "field\t{}\t{chars}", f.name());
    }
    let _ = writeln!(out, "bias\t{bias:.4}");
    let _ = writeln!(
        out,
        "# weight\tbucket\tweight\tfield\tits most frequent n-gram in the training data"
    );
    for (b, w, field, gram) in rows {
        let _ = writeln!(out, "weight\t{b}\t{w}\t{}\t\"{gram}\"", field.name());
    }
    out
}

/// [`train`], then the model read back from its text (what a file would give).
pub fn train_model(items: &[(&Subject, bool)], opts: &Options) -> Result<NgramModel, ModelError> {
    NgramModel::parse(&train(items, opts, ""))
}

/// The labelled files a model is trained on: their names as given (shown in the
/// model's header with their SHA-256, so a reader knows what data made it) and text.
pub fn train_files(files: &[(String, String)], opts: &Options) -> Result<String, String> {
    let mut items: Vec<Labelled> = Vec::new();
    let mut comment = String::from(
        "tocsin's urgent-item model: logistic regression over hashed character n-grams\n\
         (see README \"The statistical model\"). Generated: do not edit by hand; retrain with\n\
         cargo run --release --example train_model -- FILE.jsonl... > config/urgent-model.tsv\n\
         Trained on:\n",
    );
    for (name, text) in files {
        let read = Labelled::from_jsonl(text).map_err(|e| format!("{name}: {e}"))?;
        let urgent = read.iter().filter(|l| l.urgent).count();
        let _ = writeln!(
            comment,
            "  {name}: {} items, {urgent} urgent, sha256 {}",
            read.len(),
            crate::text::sha256_hex(text.as_bytes(), 32)
        );
        items.extend(read);
    }
    // The order of the files does not matter: items train in order of id.
    items.sort_by(|a, b| a.id.cmp(&b.id));
    let _ = write!(
        comment,
        "Settings: lambda {}, eta0 {}, {} epochs, seed {}, the {} largest weights kept.",
        opts.lambda, opts.eta0, opts.epochs, opts.seed, opts.keep
    );
    let subjects: Vec<Subject> = items.iter().map(Labelled::subject).collect();
    let pairs: Vec<(&Subject, bool)> = subjects
        .iter()
        .zip(&items)
        .map(|(s, l)| (s, l.urgent))
        .collect();
    Ok(train(&pairs, opts, &comment))
}
