//! Ablation of the shipped rules, file by file: what each rule, each keyword and each
//! veto (`unless`) of the rules earns on each tuning file, measured by taking it out.
//!
//! ```sh
//! cargo run --release --example rule_ablation            # rules, keywords, vetoes, sweeps
//! ABLATION_CONFIG=/tmp/old.toml cargo run --release --example rule_ablation
//! ```
//!
//! It reads the tuning data (`tests/eval/real/{tune,holdout,…,holdout6}.jsonl`; never the
//! blind holdout of the current round: `ABLATION_FILES` may name other files, comma
//! separated, but not the blind one) and classifies every item with the shipped rules
//! (`config/tocsin.toml`, or `ABLATION_CONFIG`; the statistical model is not used).
//! The files were collected in different rounds by different people, so they serve as a
//! cross-validation of the rule set: a rule or keyword that earns its place on one file
//! only (the one its author read) and on no other is fitted to that file.
//!
//! A rule's score is additive, so removing a rule is exact arithmetic on the item's
//! score. A keyword is taken out by asking, for each item the rule matched, which of the
//! rule's keywords (and regexes, case code) match it: when the keyword is the only one,
//! the rule stops matching. A veto is taken out by asking whether the rule would match
//! the items it did not, without that veto.
//!
//! For each, per file: `net` = errors (misses + false alarms) without it − errors with it,
//! so a positive net is what it earns there; and the change in tp / fp / fn when it is
//! removed. Marks: `FIT` earns (net > 0) on one file only and ≤ 0 on every other;
//! `NONE` decides no verdict anywhere; `HARM` net < 0 over all files; `MIX` gains on some
//! files and loses on others.
//!
//! Then the sweeps: `classify.threshold` from 0.7 to 1.3, and each rule's weight ±0.1 and
//! ±0.2, with precision and recall per file, so a change can be judged across files.
//! `ABLATION_ALL=1` lists every keyword, also those that decide nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tocsin::classify::ngram::train::Labelled;
use tocsin::classify::{Classifier, RuleConfig, Subject};
use tocsin::config::Config;
use tocsin::model::ParsedItem;

#[path = "../tests/eval/support.rs"]
mod support;
use support::Counts;

/// The tuning files, in the order of their rounds.
const FILES: [&str; 7] = [
    "tune", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6",
];
/// The current round's blind holdout: never read here.
const BLIND: &str = "holdout7";

struct Item {
    file: usize,
    id: String,
    urgent: bool,
    source: String,
    language: String,
    item: ParsedItem,
}

fn load(root: &Path, files: &[String]) -> Vec<Item> {
    let mut out = Vec::new();
    for (n, f) in files.iter().enumerate() {
        assert_ne!(
            f, BLIND,
            "{BLIND}.jsonl is the blind holdout: never read it here"
        );
        // A name is a file of tests/eval/real/; a path (with a `/`) is read as it is,
        // e.g. an older round's `tune.jsonl` from git.
        let path = if f.contains('/') {
            PathBuf::from(f)
        } else {
            root.join(format!("tests/eval/real/{f}.jsonl"))
        };
        assert!(
            !f.ends_with(&format!("{BLIND}.jsonl")),
            "{BLIND}.jsonl is the blind holdout: never read it here"
        );
        // Nor under another name (a link, `..`): the same file once resolved. Resolving a
        // path reads no byte of the file.
        let blind = root.join(format!("tests/eval/real/{BLIND}.jsonl"));
        if let (Ok(a), Ok(b)) = (path.canonicalize(), blind.canonicalize()) {
            assert_ne!(a, b, "{f} is the blind holdout: never read it here");
        }
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let items = Labelled::from_jsonl(&text).unwrap_or_else(|e| panic!("{f}: {e}"));
        out.extend(items.into_iter().map(|l| Item {
            file: n,
            id: l.id,
            urgent: l.urgent,
            source: l.source,
            language: l.language,
            item: l.item,
        }));
    }
    out
}

/// Misses and false alarms.
fn errors(c: &Counts) -> i64 {
    (c.fp + c.fn_) as i64
}

/// Two counts alike (the shared `Counts` has no `PartialEq`).
fn same(a: &[Counts], b: &[Counts]) -> bool {
    let key = |c: &Counts| (c.tp, c.fp, c.fn_, c.tn);
    a.iter().map(key).eq(b.iter().map(key))
}

/// What the rule set said of every item: which rules matched.
struct Matched {
    /// `rules[i][r]`: rule `r` matched item `i`.
    rules: Vec<Vec<bool>>,
}

fn verdict(score: f64, drop: bool, threshold: f64) -> bool {
    !drop && (score * 1e9).round() / 1e9 >= threshold
}

/// The items' verdicts with `weights` (one per rule), `drops` and `threshold`.
fn verdicts(m: &Matched, weights: &[f64], drops: &[bool], threshold: f64) -> Vec<bool> {
    m.rules
        .iter()
        .map(|hit| {
            let mut score = 0.0;
            let mut drop = false;
            for (r, h) in hit.iter().enumerate() {
                if *h {
                    score += weights[r];
                    drop |= drops[r];
                }
            }
            verdict(score, drop, threshold)
        })
        .collect()
}

fn per_file(items: &[Item], said: &[bool], files: usize) -> Vec<Counts> {
    let mut out = vec![Counts::default(); files];
    for (it, s) in items.iter().zip(said) {
        out[it.file].add(it.urgent, *s);
    }
    out
}

/// One ablation: per file, the counts with and without.
struct Effect {
    with: Vec<Counts>,
    without: Vec<Counts>,
    /// The triple shows `with − without` (a change made) rather than `without − with`
    /// (a piece removed).
    change: bool,
}

impl Effect {
    fn net(&self, f: usize) -> i64 {
        errors(&self.without[f]) - errors(&self.with[f])
    }
    fn total(&self) -> i64 {
        (0..self.with.len()).map(|f| self.net(f)).sum()
    }
    fn moved(&self) -> bool {
        !same(&self.with, &self.without)
    }
    fn mark(&self) -> &'static str {
        let nets: Vec<i64> = (0..self.with.len()).map(|f| self.net(f)).collect();
        let gains = nets.iter().filter(|n| **n > 0).count();
        let losses = nets.iter().filter(|n| **n < 0).count();
        if !self.moved() {
            "NONE"
        } else if self.total() < 0 {
            "HARM"
        } else if gains == 1 && losses == 0 {
            "FIT"
        } else if gains > 0 && losses > 0 {
            "MIX"
        } else if gains == 0 {
            // Verdicts moved, errors the same: a swap.
            "SWAP"
        } else {
            ""
        }
    }
    /// `net (Δtp/Δfp/Δfn)` for one file, `–` when nothing moved there.
    fn cell(&self, f: usize) -> String {
        let (a, b) = (self.with[f], self.without[f]);
        if same(&[a], &[b]) {
            "–".to_string()
        } else {
            let (a, b) = if self.change { (b, a) } else { (a, b) };
            format!(
                "{:+} ({:+}/{:+}/{:+})",
                self.net(f),
                b.tp as i64 - a.tp as i64,
                b.fp as i64 - a.fp as i64,
                b.fn_ as i64 - a.fn_ as i64
            )
        }
    }
    fn row(&self, label: &str, files: usize) -> String {
        let cells: Vec<String> = (0..files).map(|f| self.cell(f)).collect();
        format!(
            "| {label} | {} | {:+} | {} |",
            cells.join(" | "),
            self.total(),
            self.mark()
        )
    }
}

/// A classifier of one rule (weight 1, threshold 1): does it match?
fn one_rule(rule: &RuleConfig) -> Classifier {
    let mut r = rule.clone();
    r.weight = 1.0;
    r.drop = false;
    r.tag = None;
    Classifier::new(&[r], 1.0).expect("the rule compiles alone")
}

fn matches(c: &Classifier, it: &Item) -> bool {
    !c.classify(&c.subject(&it.item, &it.source, Some(&it.language)))
        .reasons
        .is_empty()
}

fn table_header(what: &str, files: &[String]) -> String {
    format!(
        "| {what} | {} | total | mark |\n|---|{}---:|---|",
        files.join(" | "),
        "---|".repeat(files.len())
    )
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files: Vec<String> = std::env::var("ABLATION_FILES")
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_else(|_| FILES.iter().map(|s| s.to_string()).collect());
    let config_path = std::env::var("ABLATION_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("config/tocsin.toml"));
    let all_keywords = std::env::var("ABLATION_ALL").as_deref() == Ok("1");
    let config = Config::load(&config_path).expect("a valid config");
    let rules = &config.rules;
    let threshold = config.classify.threshold;
    let items = load(root, &files);
    let nf = files.len();

    // Which rules match each item: one classifier, each rule's reason.
    let full = Classifier::new(rules, threshold).expect("rules compile");
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    let subjects: Vec<Subject> = items
        .iter()
        .map(|it| full.subject(&it.item, &it.source, Some(&it.language)))
        .collect();
    let m = Matched {
        rules: subjects
            .iter()
            .map(|s| {
                let mut hit = vec![false; rules.len()];
                for reason in full.classify(s).reasons {
                    hit[index[reason.rule.as_str()]] = true;
                }
                hit
            })
            .collect(),
    };
    let weights: Vec<f64> = rules.iter().map(|r| r.weight).collect();
    let drops: Vec<bool> = rules.iter().map(|r| r.drop).collect();
    let base = verdicts(&m, &weights, &drops, threshold);
    // The arithmetic must agree with the classifier.
    for (s, b) in subjects.iter().zip(&base) {
        assert_eq!(
            full.classify(s).urgent,
            *b,
            "verdicts recomputed from the matches"
        );
    }
    let with = per_file(&items, &base, nf);
    // ABLATION_VERDICTS=path: every item's verdict, one line each (file, id, label,
    // verdict, score), to diff two rule sets item by item.
    // With ABLATION_MODEL=1 the verdicts are the config's own classifier's, with the
    // statistical model when its `[classify] model` turns it on.
    if let Ok(path) = std::env::var("ABLATION_VERDICTS") {
        let with_model = std::env::var("ABLATION_MODEL").as_deref() == Ok("1");
        let lines: Vec<String> = items
            .iter()
            .zip(&subjects)
            .map(|(it, s)| {
                let v = if with_model {
                    config
                        .classifier
                        .classify_item(&it.item, &it.source, Some(&it.language))
                } else {
                    full.classify(s)
                };
                format!(
                    "{}\t{}\t{}\t{}\t{:.2}",
                    files[it.file],
                    it.id,
                    u8::from(it.urgent),
                    u8::from(v.urgent),
                    v.score
                )
            })
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n").expect("verdicts written");
    }
    let keywords: usize = rules.iter().map(|r| r.keywords.len()).sum();
    let vetoes: usize = rules.iter().map(|r| r.unless.len()).sum();
    println!(
        "# Ablation: {} ({} rules, {keywords} keywords, {vetoes} vetoes, threshold {threshold}), {} items\n",
        config_path.display(),
        rules.len(),
        items.len()
    );
    println!("| file | items | P | R | tp | fp | fn |\n|---|---:|---:|---:|---:|---:|---:|");
    let mut all = Counts::default();
    for (f, name) in files.iter().enumerate() {
        let c = with[f];
        let n = items.iter().filter(|i| i.file == f).count();
        println!(
            "| {name} | {n} | {:.3} | {:.3} | {} | {} | {} |",
            c.precision(),
            c.recall(),
            c.tp,
            c.fp,
            c.fn_
        );
        all.tp += c.tp;
        all.fp += c.fp;
        all.fn_ += c.fn_;
    }
    println!(
        "| all | {} | {:.3} | {:.3} | {} | {} | {} |\n",
        items.len(),
        all.precision(),
        all.recall(),
        all.tp,
        all.fp,
        all.fn_
    );

    // 1. Rules.
    println!("## Rules removed one at a time\n");
    println!("Cell: net (Δtp/Δfp/Δfn when removed); net > 0: the rule earns its place there.\n");
    println!(
        "{}",
        table_header("rule (weight; items matched U/N)", &files)
    );
    for (r, rule) in rules.iter().enumerate() {
        let mut w = weights.clone();
        w[r] = 0.0;
        let mut d = drops.clone();
        d[r] = false;
        let without = per_file(&items, &verdicts(&m, &w, &d, threshold), nf);
        let matched_u = items
            .iter()
            .zip(&m.rules)
            .filter(|(it, h)| h[r] && it.urgent)
            .count();
        let matched_n = items
            .iter()
            .zip(&m.rules)
            .filter(|(it, h)| h[r] && !it.urgent)
            .count();
        let e = Effect {
            with: with.clone(),
            without,
            change: false,
        };
        println!(
            "{}",
            e.row(
                &format!("`{}` ({}; {matched_u}/{matched_n})", rule.name, rule.weight),
                nf
            )
        );
    }

    // 2. Keywords: for each rule, which of its matchers match each item it matched.
    println!("\n## Keywords removed one at a time\n");
    println!(
        "Only keywords that decide a verdict somewhere{}. `sole` = items where it is the \
         rule's only matcher (removing it un-matches the rule).\n",
        if all_keywords {
            " (and, with ABLATION_ALL, all)"
        } else {
            ""
        }
    );
    println!("{}", table_header("rule: keyword (sole items)", &files));
    let mut summary: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut newcomers: (usize, usize, usize, Vec<String>) = (0, 0, 0, Vec::new());
    let mut unmatched_per_rule: Vec<(String, usize, usize)> = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        if rule.keywords.is_empty() {
            continue;
        }
        // One rule per keyword (no vetoes: the items are ones the rule matched, so no
        // veto fired), plus the rule's regexes and case code as one more.
        let mut singles: Vec<RuleConfig> = rule
            .keywords
            .iter()
            .enumerate()
            .map(|(k, kw)| RuleConfig {
                name: format!("k{k}"),
                keywords: vec![kw.clone()],
                unless: Vec::new(),
                regex: Vec::new(),
                case_code: false,
                weight: 1.0,
                drop: false,
                tag: None,
                ..rule.clone()
            })
            .collect();
        let has_other = !rule.regex.is_empty() || rule.case_code;
        if has_other {
            singles.push(RuleConfig {
                name: "other".into(),
                keywords: Vec::new(),
                unless: Vec::new(),
                weight: 1.0,
                drop: false,
                tag: None,
                ..rule.clone()
            });
        }
        let c = Classifier::new(&singles, 1.0).expect("single keywords compile");
        let mut sole: Vec<Vec<usize>> = vec![Vec::new(); rule.keywords.len()];
        let mut any: Vec<usize> = vec![0; rule.keywords.len()];
        // Items matched in the last file only, per keyword.
        let mut in_last: Vec<usize> = vec![0; rule.keywords.len()];
        for (i, it) in items.iter().enumerate() {
            if !m.rules[i][r] {
                continue;
            }
            let v = c.classify(&c.subject(&it.item, &it.source, Some(&it.language)));
            let ks: Vec<usize> = v
                .reasons
                .iter()
                .filter_map(|x| x.rule.strip_prefix('k').and_then(|n| n.parse().ok()))
                .collect();
            let other = v.reasons.iter().any(|x| x.rule == "other");
            for k in &ks {
                any[*k] += 1;
                if it.file == nf - 1 {
                    in_last[*k] += 1;
                }
            }
            if ks.len() == 1 && !other {
                sole[ks[0]].push(i);
            }
        }
        let never = any.iter().filter(|n| **n == 0).count();
        unmatched_per_rule.push((rule.name.clone(), rule.keywords.len(), never));
        for (k, kw) in rule.keywords.iter().enumerate() {
            let e = if sole[k].is_empty() {
                Effect {
                    with: with.clone(),
                    without: with.clone(),
                    change: false,
                }
            } else {
                let mut said = base.clone();
                for &i in &sole[k] {
                    let mut hit = m.rules[i].clone();
                    hit[r] = false;
                    said[i] =
                        verdicts(&Matched { rules: vec![hit] }, &weights, &drops, threshold)[0];
                }
                Effect {
                    with: with.clone(),
                    without: per_file(&items, &said, nf),
                    change: false,
                }
            };
            let kind = if any[k] == 0 {
                "matches nothing"
            } else if !e.moved() {
                "matches, decides nothing"
            } else {
                match e.mark() {
                    "FIT" => "decides verdicts in one file only (FIT)",
                    "HARM" => "costs more than it earns (HARM)",
                    "MIX" => "gains in some files, loses in others (MIX)",
                    "SWAP" => "swaps errors (SWAP)",
                    _ => "earns in two files or more",
                }
            };
            *summary.entry(kind).or_default() += 1;
            // The newest file against the older ones: did keywords that matched nothing
            // before match there, and decide anything?
            if any[k] > 0 && any[k] == in_last[k] {
                newcomers.0 += 1;
                newcomers.1 += e.net(nf - 1).max(0) as usize;
                newcomers.2 += (-e.net(nf - 1)).max(0) as usize;
                newcomers
                    .3
                    .push(format!("{}: \"{kw}\" ({:+})", rule.name, e.net(nf - 1)));
            }
            if e.moved() || all_keywords {
                println!(
                    "{}",
                    e.row(
                        &format!("`{}`: \"{kw}\" ({})", rule.name, sole[k].len()),
                        nf
                    )
                );
            }
        }
    }
    println!("\nKeywords by what they do ({keywords} in all):\n");
    for (k, n) in &summary {
        println!("- {k}: {n}");
    }
    println!(
        "\nKeywords that match items of {} only, none of the older files: {} (net there: \
         {} verdicts earned, {} lost): {}",
        files[nf - 1],
        newcomers.0,
        newcomers.1,
        newcomers.2,
        newcomers.3.join(", ")
    );
    println!("\nKeywords that match no item, per rule (rule: never / all):");
    let line: Vec<String> = unmatched_per_rule
        .iter()
        .map(|(n, all, never)| format!("{n} {never}/{all}"))
        .collect();
    println!("{}", line.join(", "));

    // 3. Vetoes.
    println!("\n## Vetoes (`unless`) removed one at a time\n");
    println!("{}", table_header("rule: veto", &files));
    let mut veto_none = 0;
    for (r, rule) in rules.iter().enumerate() {
        for (u, veto) in rule.unless.iter().enumerate() {
            let mut without_veto = rule.clone();
            without_veto.unless.remove(u);
            let c = one_rule(&without_veto);
            let mut said = base.clone();
            let mut moved = false;
            for (i, it) in items.iter().enumerate() {
                if m.rules[i][r] || !matches(&c, it) {
                    continue;
                }
                let mut hit = m.rules[i].clone();
                hit[r] = true;
                said[i] = verdicts(&Matched { rules: vec![hit] }, &weights, &drops, threshold)[0];
                moved |= said[i] != base[i];
            }
            if !moved {
                veto_none += 1;
                continue;
            }
            let e = Effect {
                with: with.clone(),
                without: per_file(&items, &said, nf),
                change: false,
            };
            println!("{}", e.row(&format!("`{}`: \"{veto}\"", rule.name), nf));
        }
    }
    println!("\n{veto_none} of {vetoes} vetoes decide no verdict.");

    // 4. Threshold.
    println!("\n## Threshold\n");
    println!(
        "| threshold | {} | all |\n|---:|{}---|",
        files.join(" | "),
        "---|".repeat(nf)
    );
    for t in [0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3] {
        let c = per_file(&items, &verdicts(&m, &weights, &drops, t), nf);
        let mut all = Counts::default();
        let cells: Vec<String> = c
            .iter()
            .map(|k| {
                all.tp += k.tp;
                all.fp += k.fp;
                all.fn_ += k.fn_;
                format!("{:.3} / {:.3}", k.precision(), k.recall())
            })
            .collect();
        println!(
            "| {t} | {} | {:.3} / {:.3} (fp {} fn {}) |",
            cells.join(" | "),
            all.precision(),
            all.recall(),
            all.fp,
            all.fn_
        );
    }

    // 5. Weights.
    println!("\n## Weights, one rule at a time (±0.1, ±0.2)\n");
    println!(
        "Only changes that move a verdict. Cell: net (Δtp/Δfp/Δfn with the change); net > 0: the change helps.\n"
    );
    println!("{}", table_header("rule: weight → new", &files));
    for (r, rule) in rules.iter().enumerate() {
        if rule.drop {
            continue;
        }
        for delta in [-0.2, -0.1, 0.1, 0.2] {
            let mut w = weights.clone();
            w[r] = ((w[r] + delta) * 10.0).round() / 10.0;
            let changed = per_file(&items, &verdicts(&m, &w, &drops, threshold), nf);
            // "with" is the change here: net = errors now − errors after.
            let e = Effect {
                with: changed,
                without: with.clone(),
                change: true,
            };
            if !e.moved() {
                continue;
            }
            println!(
                "{}",
                e.row(&format!("`{}`: {} → {}", rule.name, rule.weight, w[r]), nf)
            );
        }
    }
    // 6. Pairs of weight changes: those that help in two files or more and lose in none.
    println!("\n## Pairs of weight changes that gain in two files or more and lose in none\n");
    println!("{}", table_header("rules: weights → new", &files));
    let deltas = [-0.2, -0.1, 0.1, 0.2];
    let options: Vec<(usize, f64)> = (0..rules.len())
        .filter(|r| !rules[*r].drop)
        .flat_map(|r| deltas.iter().map(move |d| (r, *d)))
        .collect();
    let mut pairs = 0;
    for (a, &(ra, da)) in options.iter().enumerate() {
        for &(rb, db) in &options[a + 1..] {
            if ra == rb {
                continue;
            }
            let mut w = weights.clone();
            w[ra] = ((w[ra] + da) * 10.0).round() / 10.0;
            w[rb] = ((w[rb] + db) * 10.0).round() / 10.0;
            let e = Effect {
                with: per_file(&items, &verdicts(&m, &w, &drops, threshold), nf),
                without: with.clone(),
                change: true,
            };
            let gains = (0..nf).filter(|f| e.net(*f) > 0).count();
            let losses = (0..nf).filter(|f| e.net(*f) < 0).count();
            if gains >= 2 && losses == 0 {
                pairs += 1;
                println!(
                    "{}",
                    e.row(
                        &format!(
                            "`{}` {} → {}, `{}` {} → {}",
                            rules[ra].name, weights[ra], w[ra], rules[rb].name, weights[rb], w[rb]
                        ),
                        nf
                    )
                );
            }
        }
    }
    println!("\n{pairs} pairs.");
    // Items by id, for the reader who wants to look one up: the errors.
    let errors: Vec<String> = items
        .iter()
        .zip(&base)
        .filter(|(it, s)| it.urgent != **s)
        .map(|(it, s)| format!("{}{}", it.id, if *s { "+" } else { "-" }))
        .collect();
    println!(
        "\n{} errors (id- missed, id+ false alarm): {}",
        errors.len(),
        errors.join(" ")
    );
}
