//! The statistical model (`[classify] model`): the shipped file is what the trainer makes
//! of the committed data, it gives the expected probabilities on fixed tuning items, and
//! the config turns it on, off or to a file, refusing a bad one by key and line.

use std::path::Path;

use tocsin::classify::NgramModel;
use tocsin::classify::ngram::train::{Labelled, Options, train_files};
use tocsin::config::{Config, ModelChoice};

/// The files the shipped model is trained on, in the order of the README's command.
const FILES: [&str; 7] = [
    "tune", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn the_shipped_model_is_what_the_trainer_makes_of_the_committed_data() {
    let files: Vec<(String, String)> = FILES
        .iter()
        .map(|f| {
            let name = format!("tests/eval/real/{f}.jsonl");
            let text = read(&name);
            (name, text)
        })
        .collect();
    let trained = train_files(&files, &Options::default()).unwrap();
    let shipped = read("config/urgent-model.tsv");
    assert!(
        trained == shipped,
        "config/urgent-model.tsv is not what the trainer makes of the data (did the data or \
         the trainer change?); retrain with\n  cargo run --release --example train_model -- \
         tests/eval/real/{{tune,holdout,holdout2,holdout3,holdout4,holdout5,holdout6}}.jsonl > config/urgent-model.tsv"
    );
    assert_eq!(
        NgramModel::builtin().hash(),
        NgramModel::parse(&shipped).unwrap().hash()
    );
}

/// The built-in model's probability for tuning items chosen once, far from 0.5 either
/// way: a model that stopped reading them (a broken hash, field or bound) fails here.
#[test]
fn the_shipped_model_scores_fixed_tuning_items_as_expected() {
    let m = NgramModel::builtin();
    let items: Vec<Labelled> = FILES
        .iter()
        .flat_map(|f| Labelled::from_jsonl(&read(&format!("tests/eval/real/{f}.jsonl"))).unwrap())
        .collect();
    let p = |id: &str| {
        let l = items
            .iter()
            .find(|l| l.id == id)
            .unwrap_or_else(|| panic!("{id}"));
        m.probability(&l.subject())
    };
    for id in URGENT {
        assert!(p(id) >= 0.8, "{id}: {}", p(id));
    }
    for id in NOT_URGENT {
        assert!(p(id) <= 0.2, "{id}: {}", p(id));
    }
}

/// Appeals (probability 0.95 to 0.99 when chosen) and non-appeals (0.02 to 0.03) in
/// four languages.
const URGENT: [&str; 4] = ["omct-en-012", "fld-en-009", "fidh-fr-008", "amnesty-es-020"];
const NOT_URGENT: [&str; 4] = [
    "omct-en-046",
    "scribd-ro-002",
    "hchrmx-es-001",
    "omct-fr-015",
];

fn config(classify: &str) -> Result<Config, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(
        dir.path().join("bad.tsv"),
        "tocsin-ngram-model 1\nbits\t99\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mine.tsv"),
        tocsin::classify::ngram::BUILTIN,
    )
    .unwrap();
    let text =
        format!("[[rules]]\nname = \"u\"\nkeywords = [\"urgent\"]\n\n[classify]\n{classify}\n");
    Config::from_str_at(&text, &path).map_err(|e| e.to_string())
}

#[test]
fn the_config_turns_the_model_on_off_or_to_a_file() {
    let off = config("threshold = 1.0").unwrap();
    assert_eq!(off.classify.model, ModelChoice::Off);
    assert!(off.classifier.model().is_none());

    let on =
        config("model = \"builtin\"\nmodel_weight = 0.3\nmodel_min_probability = 0.7").unwrap();
    assert_eq!(on.classify.model, ModelChoice::Builtin);
    let m = on.classifier.model().unwrap();
    assert_eq!((m.weight, m.min_probability), (0.3, 0.7));
    assert_ne!(on.classifier.fingerprint(), off.classifier.fingerprint());

    // A file relative to the config's directory; the same model, the same fingerprint.
    let file =
        config("model = \"mine.tsv\"\nmodel_weight = 0.3\nmodel_min_probability = 0.7").unwrap();
    assert!(matches!(&file.classify.model, ModelChoice::File(p) if p.ends_with("mine.tsv")));
    assert_eq!(file.classifier.fingerprint(), on.classifier.fingerprint());

    // Defaults of the weight and level.
    let d = config("model = \"builtin\"").unwrap();
    let m = d.classifier.model().unwrap();
    assert_eq!((m.weight, m.min_probability), (0.2, 0.7));
}

#[test]
fn a_bad_model_setting_names_the_key_and_line() {
    for (classify, words) in [
        (
            "model = \"missing.tsv\"",
            "classify.model: cannot read model file",
        ),
        (
            "model = \"bad.tsv\"",
            "bad.tsv: line 2: `99` is not a whole number from 1 to 24",
        ),
        (
            "model = \"\"",
            "classify.model: must be \"off\", \"builtin\" or the path",
        ),
        (
            "model = \"builtin\"\nmodel_weight = -1.0",
            "classify.model_weight: -1 must be a positive",
        ),
        (
            "model = \"builtin\"\nmodel_min_probability = 1.5",
            "classify.model_min_probability",
        ),
        ("model = 3", "classify.model"),
    ] {
        let e = config(classify).unwrap_err();
        assert!(e.contains(words), "{classify}: {e}");
        // The line of the key in the config (line 6: after the rule and the table).
        if !classify.starts_with("model = 3") && !classify.contains('\n') {
            assert!(e.contains("tocsin.toml:6:"), "{classify}: {e}");
        }
    }
}

#[test]
fn the_shipped_configs_say_how_the_model_is_set() {
    for rel in ["config/tocsin.toml", "config/tocsin.packaged.toml"] {
        let text = read(rel);
        for key in ["model = ", "model_weight = ", "model_min_probability = "] {
            assert!(text.contains(key), "{rel} documents `{key}`");
        }
    }
    let shipped = Config::load(&root().join("config/tocsin.toml")).unwrap();
    assert_eq!(shipped.classify.model, ModelChoice::Off);
}
