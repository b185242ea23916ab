//! Quality of the SHIPPED rules on the real evaluation set (tests/eval/real/, issue 16):
//! real items of the publishers tocsin ships and of relays of them, split by a hash of
//! their URL when collected (see tests/eval/real/README.md) into `tune.jsonl`,
//! `holdout.jsonl` to `holdout6.jsonl` (the holdouts of rounds 1 to 6, each measured once
//! and so **spent**: tuning data now) and `holdout7.jsonl` (round 7's **blind** holdout).
//!
//! - `cargo test --test eval_real -- --nocapture` measures the **tuning data**,
//!   `tune.jsonl` and the spent `holdout.jsonl` to `holdout6.jsonl` together: precision
//!   and recall overall, per file, per language, per source and per shipped publisher,
//!   then every miss and false alarm with its score and evidence. It fails below round
//!   7's figures (a floor that only rises); the test of issue 16's targets, not met yet,
//!   is ignored and fails when asked (`-- --ignored tuning_data_reaches_the_targets`).
//! - The blind **holdout7** is measured once, when the rules are final, and never while
//!   changing them. Its test is ignored and guarded by an environment variable, so that
//!   no `cargo test` (not even `-- --ignored`) reads it by accident:
//!   `TOCSIN_EVAL_HOLDOUT=1 cargo test --test eval_real -- --ignored --nocapture holdout7`
//!
//! `TOCSIN_EVAL_VERBOSE=1` prints every item's score and evidence, not only the errors.

#[path = "eval/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::{Counts, evidence, shipped, shipped_config};
use tocsin::model::ParsedItem;

/// The targets of issue 16.
const PRECISION: f64 = 0.95;
const RECALL: f64 = 0.95;
/// Recall in each language, and for each shipped source with at least
/// [`GROUP_MIN_ITEMS`] items in the set measured.
const GROUP_RECALL: f64 = 0.9;
const GROUP_MIN_ITEMS: usize = 10;

/// The tuning data: every file that may be read while changing rules.
const TUNING_FILES: [&str; 7] = [
    "tune", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6",
];
/// Their sizes, as tests/eval/real/README.md counts them. The spent holdouts are frozen:
/// a line more or less there is a change of the data, to be documented first. `tune.jsonl`
/// grows while collectors add even-hash items to it (412 after round 3, 568 after round
/// 4's two collections, 705 after round 5's, 847 after round 6's, 974 after round 7's), so
/// its size is a floor. `holdout5.jsonl` (153) joined the tuning data in round 6, once measured, and
/// `holdout6.jsonl` (165) in round 7.
const TUNING_SIZES: [usize; 7] = [974, 244, 79, 96, 150, 153, 165];
/// The file whose size is a floor, not an exact count.
const GROWING_FILE: &str = "tune";
/// The blind holdout of round 7: read only by [`holdout7`].
const BLIND_HOLDOUT: &str = "holdout7";

/// One line of a `tests/eval/real/*.jsonl` file.
struct Real {
    /// The file (without `.jsonl`) the item came from.
    file: &'static str,
    id: String,
    source: String,
    relay_of: Option<String>,
    language: String,
    item: ParsedItem,
    urgent: bool,
    borderline: bool,
    trap: Option<String>,
}

impl Real {
    /// The publisher whose item this is: the one relayed, else the source itself.
    fn publisher(&self) -> &str {
        self.relay_of.as_deref().unwrap_or(&self.source)
    }
}

fn path_of(split: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/eval/real/{split}.jsonl"))
}

fn load(split: &'static str) -> Vec<Real> {
    let path = path_of(split);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            let v: serde_json::Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{split}.jsonl line {}: {e}", n + 1));
            let s = |k: &str| {
                v[k].as_str()
                    .unwrap_or_else(|| panic!("{split}.jsonl line {}: no `{k}`", n + 1))
                    .to_string()
            };
            let opt = |k: &str| v[k].as_str().map(str::to_string);
            Real {
                file: split,
                id: s("id"),
                source: s("source"),
                relay_of: opt("relay_of"),
                language: s("language"),
                item: ParsedItem {
                    title: s("title"),
                    summary: Some(s("summary")).filter(|x| !x.is_empty()),
                    categories: v["categories"]
                        .as_array()
                        .expect("categories")
                        .iter()
                        .map(|c| c.as_str().expect("category").to_string())
                        .collect(),
                    ..Default::default()
                },
                urgent: v["urgent"].as_bool().expect("urgent"),
                borderline: v["borderline"].as_bool().expect("borderline"),
                trap: opt("trap"),
            }
        })
        .collect()
}

/// What one measurement found, group by group.
#[derive(Default)]
struct Report {
    all: Counts,
    by_file: BTreeMap<&'static str, Counts>,
    borderline: Counts,
    clear: Counts,
    by_language: BTreeMap<String, Counts>,
    by_source: BTreeMap<String, Counts>,
    /// Own items and relays of each publisher.
    by_publisher: BTreeMap<String, Counts>,
    by_trap: BTreeMap<String, Counts>,
    /// Misses and false alarms, printed.
    errors: Vec<String>,
    /// (score, id, urgent) of every item.
    scores: Vec<(f64, String, bool)>,
}

/// Classifies every item of `files` with the shipped rules and prints the tables under
/// the heading `name`.
fn measure(name: &str, files: &[&'static str]) -> Report {
    let items: Vec<Real> = files.iter().flat_map(|f| load(f)).collect();
    let config = shipped_config();
    let c = shipped();
    let threshold = config.classify.threshold;
    // TOCSIN_EVAL_VERBOSE=1: every item's verdict, not only the errors.
    let verbose = std::env::var("TOCSIN_EVAL_VERBOSE").as_deref() == Ok("1");
    let mut r = Report::default();
    for it in &items {
        let v = c.classify_item(&it.item, &it.source, Some(&it.language));
        let said = v.urgent;
        r.all.add(it.urgent, said);
        r.by_file.entry(it.file).or_default().add(it.urgent, said);
        if it.borderline {
            r.borderline.add(it.urgent, said);
        } else {
            r.clear.add(it.urgent, said);
        }
        r.by_language
            .entry(it.language.clone())
            .or_default()
            .add(it.urgent, said);
        r.by_source
            .entry(it.source.clone())
            .or_default()
            .add(it.urgent, said);
        r.by_publisher
            .entry(it.publisher().to_string())
            .or_default()
            .add(it.urgent, said);
        r.by_trap
            .entry(it.trap.clone().unwrap_or_else(|| "(none)".into()))
            .or_default()
            .add(it.urgent, said);
        r.scores.push((v.score, it.id.clone(), it.urgent));
        if verbose {
            println!(
                "{} {:<26} {:>5.2} {}\n      {}",
                match (it.urgent, said) {
                    (true, true) => "ok U  ",
                    (false, false) => "ok -  ",
                    (true, false) => "MISSED",
                    (false, true) => "FALSE+",
                },
                it.id,
                v.score,
                it.item.title,
                evidence(&v)
            );
        }
        if said != it.urgent {
            r.errors.push(format!(
                "{} {}{} [{} {}] score {:.2}: {}\n      categories: {:?}\n      {}",
                if it.urgent { "MISSED " } else { "FALSE+ " },
                it.id,
                if it.borderline { " (borderline)" } else { "" },
                it.language,
                it.source,
                v.score,
                it.item.title,
                it.item.categories,
                evidence(&v)
            ));
        }
    }
    let shipped_ids: Vec<String> = config.sources.iter().map(|s| s.id.clone()).collect();
    println!(
        "== {name} ({}): {} items, threshold {threshold}",
        files
            .iter()
            .map(|f| format!("{f}.jsonl"))
            .collect::<Vec<_>>()
            .join(" + "),
        items.len()
    );
    println!("{}", Counts::header("group"));
    println!("{}", r.all.row("all"));
    if files.len() > 1 {
        for (f, k) in &r.by_file {
            println!("{}", k.row(&format!("  file {f}.jsonl")));
        }
    }
    println!("{}", r.clear.row("  not borderline"));
    println!("{}", r.borderline.row("  borderline"));
    for (l, k) in &r.by_language {
        println!("{}", k.row(&format!("language {l}")));
    }
    for (s, k) in r
        .by_source
        .iter()
        .filter(|(_, k)| k.total() >= GROUP_MIN_ITEMS)
    {
        let mark = if shipped_ids.contains(s) { " *" } else { "" };
        println!("{}", k.row(&format!("source {s}{mark}")));
    }
    for (p, k) in r
        .by_publisher
        .iter()
        .filter(|(p, _)| shipped_ids.contains(p))
    {
        println!("{}", k.row(&format!("publisher {p} +relays")));
    }
    for (t, k) in &r.by_trap {
        println!("{}", k.row(&format!("trap {t}")));
    }
    println!("(* shipped source; publisher = own items and relays of a shipped source)");
    let close: Vec<String> = r
        .scores
        .iter()
        .filter(|(s, _, _)| (s - threshold).abs() <= 0.2 + 1e-9)
        .map(|(s, id, u)| format!("{id} {s:.1}{}", if *u { " U" } else { "" }))
        .collect();
    println!(
        "{} items within 0.2 of the threshold (U = urgent): {}",
        close.len(),
        close.join(", ")
    );
    println!("{} errors:", r.errors.len());
    for e in &r.errors {
        println!("  {e}");
    }
    r
}

/// Every target `r` falls short of, in words.
fn shortfalls(r: &Report) -> Vec<String> {
    let shipped_ids: Vec<String> = shipped_config()
        .sources
        .iter()
        .map(|s| s.id.clone())
        .collect();
    let mut out = Vec::new();
    if r.all.precision() < PRECISION {
        out.push(format!("precision {:.3} < {PRECISION}", r.all.precision()));
    }
    if r.all.recall() < RECALL {
        out.push(format!("recall {:.3} < {RECALL}", r.all.recall()));
    }
    for (l, k) in &r.by_language {
        if k.recall() < GROUP_RECALL {
            out.push(format!(
                "language {l}: recall {:.3} < {GROUP_RECALL}",
                k.recall()
            ));
        }
    }
    for (kind, groups) in [("source", &r.by_source), ("publisher", &r.by_publisher)] {
        for (s, k) in groups.iter() {
            if shipped_ids.contains(s) && k.total() >= GROUP_MIN_ITEMS && k.recall() < GROUP_RECALL
            {
                out.push(format!(
                    "{kind} {s} ({} items): recall {:.3} < {GROUP_RECALL}",
                    k.total(),
                    k.recall()
                ));
            }
        }
    }
    out
}

/// The floor the tuning data may not fall below: round 7's rules on the 1,861 items of
/// round 7's tuning data (round 6's 1,569, the spent `holdout6` and round 7's 127 new tune
/// items), with the shipped config (the rules alone: the statistical model is off;
/// precision 0.926, recall 0.858; recall en 0.923, fr 0.858, es 0.798, ro 0.721, ru
/// 0.806), each rounded down. Issue 16's targets are higher and not met yet
/// ([`tuning_data_reaches_the_targets`], ignored until they are): this floor is what keeps
/// a rule change from making selection worse in the meantime, and it only rises while the
/// data stays the same. Round 6's rules on the same items: precision 0.914, recall 0.845;
/// recall en 0.916, fr 0.845, es 0.766, ro 0.721, ru 0.790 (the floor before round 7's
/// changes: 0.91 / 0.84; en 0.91, fr 0.84, es 0.76, ro 0.72, ru 0.79).
const FLOOR_PRECISION: f64 = 0.92;
const FLOOR_RECALL: f64 = 0.85;
const FLOOR_LANGUAGE_RECALL: [(&str, f64); 5] = [
    ("en", 0.92),
    ("fr", 0.85),
    ("es", 0.79),
    ("ro", 0.72),
    ("ru", 0.80),
];

/// Checks the documented sizes of the tuning files.
fn check_sizes(r: &Report) {
    for (file, size) in TUNING_FILES.iter().zip(TUNING_SIZES) {
        let found = r.by_file.get(file).map_or(0, Counts::total);
        if *file == GROWING_FILE {
            assert!(
                found >= size,
                "{file}.jsonl has {found} items, fewer than the {size} documented in \
                 tests/eval/real/README.md"
            );
        } else {
            assert_eq!(
                found, size,
                "{file}.jsonl as documented in tests/eval/real/README.md"
            );
        }
    }
}

/// The tuning data (`tune.jsonl` and the spent `holdout.jsonl` to `holdout6.jsonl`) must
/// not fall below the floor ([`FLOOR_PRECISION`] …).
#[test]
fn tuning_data_stays_above_the_floor() {
    let r = measure("tuning data", &TUNING_FILES);
    check_sizes(&r);
    let mut short = Vec::new();
    if r.all.precision() < FLOOR_PRECISION {
        short.push(format!(
            "precision {:.3} < {FLOOR_PRECISION}",
            r.all.precision()
        ));
    }
    if r.all.recall() < FLOOR_RECALL {
        short.push(format!("recall {:.3} < {FLOOR_RECALL}", r.all.recall()));
    }
    for (l, floor) in FLOOR_LANGUAGE_RECALL {
        let recall = r.by_language.get(l).map_or(0.0, Counts::recall);
        if recall < floor {
            short.push(format!("language {l}: recall {recall:.3} < {floor}"));
        }
    }
    assert!(short.is_empty(), "tuning data below the floor: {short:#?}");
}

/// The tuning data must reach issue 16's targets. They are not met yet (README,
/// "Measuring the rules"), so this test is ignored: `cargo test --test eval_real --
/// --ignored tuning_data_reaches_the_targets` fails and lists every shortfall; when it
/// passes, remove the `ignore` and raise the floor above to the targets.
#[test]
#[ignore = "issue 16's targets are not met on the tuning data yet: see README, Measuring the rules"]
fn tuning_data_reaches_the_targets() {
    let r = measure("tuning data", &TUNING_FILES);
    check_sizes(&r);
    let short = shortfalls(&r);
    assert!(
        short.is_empty(),
        "tuning data below the targets: {short:#?}"
    );
}

/// Why a blind holdout file cannot be measured yet (missing, or no items in it), or
/// `None` when it holds items. Reads the file only to see whether it is blank.
fn nothing_to_measure(path: &Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!(
            "{} does not exist (no blind items yet)",
            path.display()
        )),
        Ok(text) if text.trim().is_empty() => {
            Some(format!("{} is empty (no blind items yet)", path.display()))
        }
        _ => None,
    }
}

/// The guard of [`holdout7`] on files it must skip and files it must measure, tried on
/// scratch files (never on the blind holdout itself).
#[test]
fn a_missing_or_empty_blind_holdout_is_skipped() {
    let dir = std::env::temp_dir().join(format!("tocsin-eval-real-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.jsonl");
    let empty = dir.join("empty.jsonl");
    let blank = dir.join("blank.jsonl");
    let full = dir.join("full.jsonl");
    std::fs::write(&empty, "").unwrap();
    std::fs::write(&blank, "\n  \n").unwrap();
    std::fs::write(&full, "{\"id\": \"x-001\"}\n").unwrap();
    assert!(
        nothing_to_measure(&missing)
            .unwrap()
            .contains("does not exist")
    );
    assert!(nothing_to_measure(&empty).unwrap().contains("is empty"));
    assert!(nothing_to_measure(&blank).unwrap().contains("is empty"));
    assert_eq!(nothing_to_measure(&full), None);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The one measurement of the blind holdout of round 7. Never run it while changing
/// rules (see tests/eval/real/README.md): it reads `holdout7.jsonl` only when asked
/// twice, by `--ignored` and by `TOCSIN_EVAL_HOLDOUT=1`. A missing or empty file (the
/// collectors have not filled it yet) is skipped, loudly, not measured as perfect.
#[test]
#[ignore = "the blind holdout is measured once, when the rules are final: see tests/eval/real/README.md"]
fn holdout7() {
    if std::env::var("TOCSIN_EVAL_HOLDOUT").as_deref() != Ok("1") {
        println!(
            "SKIPPED: the blind holdout ({BLIND_HOLDOUT}.jsonl) is measured once, when the \
             rules are final; set TOCSIN_EVAL_HOLDOUT=1 to measure it \
             (tests/eval/real/README.md)"
        );
        return;
    }
    if let Some(why) = nothing_to_measure(&path_of(BLIND_HOLDOUT)) {
        println!("SKIPPED: {why}");
        return;
    }
    let r = measure("blind holdout", &[BLIND_HOLDOUT]);
    let short = shortfalls(&r);
    assert!(
        short.is_empty(),
        "blind holdout below the targets: {short:#?}"
    );
}
