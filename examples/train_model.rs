//! Trains tocsin's statistical model on labelled items and prints the model file.
//!
//! ```sh
//! cargo run --release --example train_model -- \
//!     tests/eval/real/{tune,holdout,holdout2,holdout3,holdout4,holdout5,holdout6}.jsonl > config/urgent-model.tsv
//! ```
//!
//! Each file is JSON Lines in the format of `tests/eval/real/*.jsonl` (`id`, `url`,
//! `source`, `language`, `title`, `summary`, `categories`, `urgent`). Training is
//! deterministic: the same files give the same model, byte for byte (`tests/model.rs`
//! checks the shipped one). The settings are `Options::default()`, chosen by
//! `examples/model_cv.rs`.

use tocsin::classify::ngram::train::{Options, train_files};

fn main() -> std::process::ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() || paths.iter().any(|p| p.starts_with('-')) {
        eprintln!("usage: train_model FILE.jsonl... > model.tsv");
        return std::process::ExitCode::from(2);
    }
    let mut files = Vec::new();
    for p in paths {
        match std::fs::read_to_string(&p) {
            Ok(text) => files.push((p, text)),
            Err(e) => {
                eprintln!("{p}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    match train_files(&files, &Options::default()) {
        Ok(model) => {
            print!("{model}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
