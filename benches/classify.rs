//! Classification cost on the poll path, and the cost of the grouped urgent selection.
//!
//! `cargo bench --bench classify` (release). Classifies 50,000 realistic items (title +
//! ~500 bytes of summary, five languages, from tests/eval/items.jsonl) with the SHIPPED
//! rules and prints µs per item: with the language given (the normal case: source
//! config or feed declaration) and with detection (nothing declared), and then with the
//! built-in statistical model on as well (`[classify] model = "builtin"`, whatever the
//! shipped config says). Language detection is timed alone first (`BENCH_DETECT_ONLY=1`
//! stops there). Then stores 50,000 items and times `urgent_cases(200)`, what
//! every publish reads.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;

use tocsin::classify::{Classifier, ModelEvidence, NgramModel, Subject};
use tocsin::config::Config;
use tocsin::dedup::keys_for;
use tocsin::model::ParsedItem;
use tocsin::store::{SourceState, Store, StoredPoll};
use tocsin::text::{html_to_text, language};

const N: usize = 50_000;

/// Nanoseconds this thread has spent on a CPU (Linux `/proc/thread-self/schedstat`), so
/// figures stay meaningful on a machine busy with other work; 0 elsewhere.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Runs `f` and prints wall and on-CPU µs per item.
fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let (t, c) = (Instant::now(), cpu_ns());
    let out = f();
    let wall = t.elapsed().as_secs_f64() * 1e6 / N as f64;
    let cpu = (cpu_ns() - c) as f64 / 1e3 / N as f64;
    println!("{label}: {wall:.2} µs/item wall, {cpu:.2} µs/item on CPU");
    out
}

fn corpus() -> Vec<(String, String, ParsedItem)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/eval/items.jsonl")).unwrap();
    let base: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let obs = regex::Regex::new(r"([0-9]{3}\s*/\s*)[0-9]{4}").unwrap();
    let sos = regex::Regex::new(r"((?i:case|cas|caso)\s+[A-Z]{3}\s?)[0-9]{6}").unwrap();
    (0..N)
        .map(|n| {
            let v = &base[n % base.len()];
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            // ~500 bytes of summary: the item's lead, then other leads of its language.
            let mut summary = format!("<p>{}</p>", s("summary"));
            let mut k = n;
            while summary.len() < 500 {
                k = (k + 7) % base.len();
                if base[k]["language"] == v["language"] {
                    summary.push_str(&format!("<p>{}</p>", base[k]["summary"].as_str().unwrap()));
                }
            }
            let mut end = 520.min(summary.len());
            while !summary.is_char_boundary(end) {
                end -= 1;
            }
            summary.truncate(end);
            // Each pass over the labelled set is a new batch of cases: codes get the
            // pass number, so copies of one appeal from several sources share a code
            // within a pass, as they would in the wild, and not across passes.
            let pass = n / base.len();
            let recode = |t: String| {
                let t = obs.replace_all(&t, format!("${{1}}{:04}", pass % 10_000));
                sos.replace_all(&t, format!("${{1}}{:06}", pass))
                    .into_owned()
            };
            let summary = recode(summary);
            let item = ParsedItem {
                guid: Some(format!("g{n}")),
                link: Some(format!("https://example.org/{}/{n}", s("source"))),
                title: recode(format!("{} {n}", s("title"))),
                summary: Some(summary),
                categories: v["categories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect(),
                published: Some(
                    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
                        + Duration::minutes(n as i64),
                ),
                ..Default::default()
            };
            (s("source"), s("language"), item)
        })
        .collect()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(&root.join("config/tocsin.toml")).unwrap();
    let c = Classifier::new(&config.rules, config.classify.threshold).unwrap();
    let items = corpus();
    let bytes: usize = items
        .iter()
        .map(|(_, _, i)| i.title.len() + i.summary.as_ref().map_or(0, |s| s.len()))
        .sum();
    println!(
        "{N} items, {:.0} bytes of title + summary on average, {} rules",
        bytes as f64 / N as f64,
        config.rules.len()
    );
    // Language detection alone (what each item that declares no language of its own
    // costs on top of classifying it, whatever its feed declares): the bodies as text
    // first, outside the timing.
    let bodies: Vec<String> = items
        .iter()
        .map(|(_, _, i)| html_to_text(i.summary.as_deref().unwrap_or("")))
        .collect();
    for round in 0..3 {
        let found = timed(&format!("round {round}: language detection alone"), || {
            let mut found = 0;
            for ((_, _, item), body) in items.iter().zip(&bodies) {
                found += usize::from(language::detect(&item.title, body).is_some());
            }
            found
        });
        black_box(found);
    }
    drop(bodies);
    if std::env::var_os("BENCH_DETECT_ONLY").is_some() {
        return;
    }

    for round in 0..3 {
        let urgent = timed(&format!("round {round}: classify, language given"), || {
            let mut urgent = 0;
            for (source, lang, item) in &items {
                urgent += usize::from(c.classify(&c.subject(item, source, Some(lang))).urgent);
            }
            urgent
        });
        black_box(urgent);
    }
    let subjects: Vec<Subject> = timed(
        "  of which building the subject (HTML to text, folding, case codes)",
        || {
            items
                .iter()
                .map(|(source, lang, item)| c.subject(item, source, Some(lang)))
                .collect()
        },
    );
    timed("  of which matching the rules", || {
        for s in &subjects {
            black_box(c.classify(s));
        }
    });
    drop(subjects);
    let m = c.clone().with_model(Some(ModelEvidence {
        model: Arc::new(NgramModel::builtin()),
        weight: config.classify.model_weight,
        min_probability: config.classify.model_min_probability,
    }));
    for round in 0..2 {
        let urgent = timed(
            &format!("round {round}: classify with the built-in model, language given"),
            || {
                let mut urgent = 0;
                for (source, lang, item) in &items {
                    urgent += usize::from(m.classify(&m.subject(item, source, Some(lang))).urgent);
                }
                urgent
            },
        );
        black_box(urgent);
    }
    let subjects: Vec<Subject> = items
        .iter()
        .map(|(source, lang, item)| m.subject(item, source, Some(lang)))
        .collect();
    timed("  of which matching the rules and the model", || {
        for s in &subjects {
            black_box(m.classify(s));
        }
    });
    drop(subjects);
    if std::env::var_os("BENCH_PARTS").is_some() {
        let texts: Vec<String> = timed("    HTML to text", || {
            items
                .iter()
                .map(|(_, _, i)| html_to_text(i.summary.as_deref().unwrap_or("")))
                .collect()
        });
        timed("    folding title + summary", || {
            for ((_, _, i), t) in items.iter().zip(&texts) {
                black_box(tocsin::text::normalize_padded(&i.title));
                black_box(tocsin::text::normalize_padded(t));
            }
        });
        timed("    case codes in title + summary", || {
            for ((_, _, i), t) in items.iter().zip(&texts) {
                let mut v = Vec::new();
                tocsin::text::codes::extract(&i.title, &mut v);
                tocsin::text::codes::extract(t, &mut v);
                black_box(v);
            }
        });
    }
    if std::env::var_os("BENCH_CLASSIFY_ONLY").is_some() {
        return;
    }
    let detected = timed("classify with language detection", || {
        let mut detected = 0;
        for (source, _, item) in &items {
            let body = html_to_text(item.summary.as_deref().unwrap_or(""));
            let lang = language::detect(&item.title, &body);
            detected += usize::from(lang.is_some());
            black_box(c.classify(&c.subject(item, source, lang)));
        }
        detected
    });
    println!("  ({detected} of {N} detected reliably)");

    // The grouped urgent selection on a store of N items.
    let mut store = Store::in_memory().unwrap();
    let mut by_source: std::collections::BTreeMap<String, Vec<StoredPoll>> = Default::default();
    for (source, lang, item) in items {
        let class = c.classify(&c.subject(&item, &source, Some(&lang)));
        let keys = keys_for(std::slice::from_ref(&item)).remove(0);
        by_source.entry(source).or_default().push(StoredPoll {
            item,
            keys,
            class,
            language: Some(lang),
            text: None,
        });
    }
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    for (source, polls) in &by_source {
        store
            .apply_poll(source, now, polls, &SourceState::default())
            .unwrap();
    }
    let t = Instant::now();
    let pool = store
        .items(&tocsin::store::ItemFilter {
            urgent_only: true,
            limit: Some(620),
            ..Default::default()
        })
        .unwrap();
    println!(
        "  reading the 620 newest urgent items alone: {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    black_box(pool);
    for round in 0..3 {
        let t = Instant::now();
        let sel = store.urgent_cases(200).unwrap();
        println!(
            "round {round}: urgent_cases(200) over {N} stored items: {:.1} ms ({} entries, {} with related)",
            t.elapsed().as_secs_f64() * 1e3,
            sel.len(),
            sel.iter().filter(|i| !i.related.is_empty()).count()
        );
    }
}
