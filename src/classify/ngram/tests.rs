//! Unit tests of the n-gram model: the file format, scoring, evidence, training.

use std::sync::Arc;

use super::train::{Options, train};
use super::*;
use crate::classify::{Classifier, RuleConfig};
use crate::model::ParsedItem;

fn subject(title: &str, summary: &str) -> Subject {
    let item = ParsedItem {
        title: title.into(),
        summary: Some(summary.to_string()).filter(|s| !s.is_empty()),
        ..Default::default()
    };
    Subject::of(&item, "src", Some("en"))
}

fn shape() -> Shape {
    Shape {
        bits: 18,
        min: 3,
        max: 3,
        fields: vec![(Field::Title, 100)],
    }
}

/// A model file over `shape()` with `weights` on the n-grams given.
fn model_text(bias: f32, weights: &[(&str, f32)]) -> String {
    let mut out =
        format!("# test\n{FORMAT}\nbits\t18\nngram\t3\t3\nfield\ttitle\t100\nbias\t{bias}\n");
    for (gram, w) in weights {
        // The bucket of `gram` as a title n-gram: the only 3-gram of a title that folds
        // to exactly it is the title itself (padded with spaces, so `gram` has them).
        let s = subject(gram.trim(), "");
        let mut bucket = None;
        shape().each(&s, |b, _, text, at| {
            if &text[at] == *gram {
                bucket = Some(b);
            }
        });
        out.push_str(&format!(
            "weight\t{}\t{w}\ttitle\t\"{gram}\"\n",
            bucket.unwrap()
        ));
    }
    out
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[test]
fn the_builtin_model_reads() {
    let m = NgramModel::builtin();
    assert!(!m.is_empty());
    assert!(m.shape().fields().any(|f| f == Field::Title));
}

#[test]
fn probability_is_the_logistic_of_the_weights_hit_over_the_root_of_the_count() {
    let m = NgramModel::parse(&model_text(-0.5, &[(" ab", 2.0), ("ab ", 1.0)])).unwrap();
    // " ab " has two 3-grams, " ab" and "ab ", both weighed.
    let p = m.probability(&subject("AB", ""));
    let want = sigmoid(-0.5 + 3.0 / 2f64.sqrt());
    assert!((p - want).abs() < 1e-6, "{p} != {want}");
    // Nothing the model knows: the bias alone (6 n-grams of " xy zw ").
    assert!((m.probability(&subject("xy zw", "")) - sigmoid(-0.5)).abs() < 1e-6);
    // An empty title: no n-gram at all.
    assert!((m.probability(&subject("", "")) - sigmoid(-0.5)).abs() < 1e-6);
    // The summary is not a field of this model.
    let p2 = m.probability(&subject("AB", "ab ab ab"));
    assert!((p2 - want).abs() < 1e-6);
}

#[test]
fn a_field_is_read_up_to_its_bound() {
    let text = model_text(0.0, &[(" ab", 1.0)]).replace("field\ttitle\t100", "field\ttitle\t2");
    let m = NgramModel::parse(&text).unwrap();
    // Two characters (" a") hold no 3-gram.
    assert!((m.probability(&subject("ab", "")) - 0.5).abs() < 1e-9);
}

#[test]
fn evidence_names_the_probability_and_the_ngrams_that_pushed() {
    let m = NgramModel::parse(&model_text(
        0.0,
        &[(" ab", 2.0), ("ab ", 1.0), (" cd", -3.0)],
    ))
    .unwrap();
    let (_, top) = m.explain(&subject("ab cd", ""));
    let grams: Vec<&str> = top.iter().map(|(_, g, _)| g.as_str()).collect();
    // " ab" and "ab " overlap: shown as one span, their weights added, over the root of
    // the item's 5 n-grams; " cd" pushed down, so it is not shown.
    assert_eq!(
        grams,
        ["ab"],
        "positive parts only, overlapping ones joined"
    );
    assert!((top[0].2 - 3.0 / 5f64.sqrt()).abs() < 1e-6, "{top:?}");
    let (_, top) = m.explain(&subject("ab xy ab ab", ""));
    assert_eq!(top.len(), 1, "a bucket hit again adds up: {top:?}");
    let rule = RuleConfig {
        name: "weak".into(),
        keywords: vec!["ab".into()],
        fields: vec![Field::Title],
        weight: 0.7,
        ..Default::default()
    };
    let alone = Classifier::new(std::slice::from_ref(&rule), 1.0).unwrap();
    let with = alone.clone().with_model(Some(ModelEvidence {
        model: Arc::new(m),
        weight: 0.4,
        min_probability: 0.6,
    }));
    let s = subject("ab", "");
    assert!(!alone.classify(&s).urgent);
    let v = with.classify(&with.subject(
        &ParsedItem {
            title: "ab".into(),
            ..Default::default()
        },
        "src",
        Some("en"),
    ));
    assert!(v.urgent, "{v:?}");
    assert!((v.score - 1.1).abs() < 1e-9);
    let r = v.reasons.iter().find(|r| r.rule == MODEL_RULE).unwrap();
    assert_eq!(r.weight, 0.4);
    assert!(r.label.is_some());
    assert_eq!(r.evidence, "p = 0.89; title: \"ab\" +2.12");
    // Below the level: no reason, the rules alone.
    let v = with.classify(&subject("ab cd", ""));
    assert!(v.reasons.iter().all(|r| r.rule != MODEL_RULE), "{v:?}");
}

#[test]
fn the_fingerprint_follows_the_model_and_how_it_counts() {
    let rules = [RuleConfig {
        name: "a".into(),
        keywords: vec!["x".into()],
        fields: vec![Field::Title],
        weight: 1.0,
        ..Default::default()
    }];
    let base = Classifier::new(&rules, 1.0).unwrap();
    let m1 = Arc::new(NgramModel::parse(&model_text(0.0, &[(" ab", 1.0)])).unwrap());
    let m2 = Arc::new(NgramModel::parse(&model_text(0.0, &[(" ab", 1.5)])).unwrap());
    let with = |m: &Arc<NgramModel>, weight, min_probability| {
        base.clone()
            .with_model(Some(ModelEvidence {
                model: m.clone(),
                weight,
                min_probability,
            }))
            .fingerprint()
            .to_string()
    };
    let fp = [
        base.fingerprint().to_string(),
        with(&m1, 0.2, 0.6),
        with(&m2, 0.2, 0.6),
        with(&m1, 0.3, 0.6),
        with(&m1, 0.2, 0.7),
    ];
    for i in 0..fp.len() {
        for j in i + 1..fp.len() {
            assert_ne!(fp[i], fp[j], "{i} and {j}");
        }
    }
    assert_eq!(
        base.clone().with_model(None).fingerprint(),
        base.fingerprint()
    );
    assert_eq!(with(&m1, 0.2, 0.6), with(&m1, 0.2, 0.6));
}

#[test]
fn a_corrupt_model_file_is_an_error_with_its_line() {
    let good = model_text(0.0, &[(" ab", 1.0)]);
    let cases: Vec<(String, Option<usize>, &str)> = vec![
        (String::new(), None, "empty"),
        ("hello\n".into(), Some(1), "not a tocsin model file"),
        (
            good.replace("bits\t18", "bits\t40"),
            Some(3),
            "from 1 to 24",
        ),
        (
            good.replace("ngram\t3\t3", "ngram\t3\t2"),
            Some(4),
            "from 3 to 8",
        ),
        (
            good.replace("field\ttitle", "field\tlink"),
            Some(5),
            "not a field",
        ),
        (good.replace("bias\t0", "bias\tNaN"), Some(6), "finite"),
        (good.replace("bias\t0\n", ""), None, "no `bias`"),
        (
            good.replace("bits\t18\n", ""),
            Some(6),
            "`bits` must come before",
        ),
        (
            format!("{good}weight\t999999999\t1\n"),
            Some(8),
            "from 0 to 262143",
        ),
        (format!("{good}weight\t5\tinf\n"), Some(8), "finite"),
        (
            format!("{good}weight\t5\n"),
            Some(8),
            "needs a bucket and a weight",
        ),
        (
            format!("{good}weight\t5\t1\nweight\t5\t2\n"),
            Some(9),
            "given twice",
        ),
        (format!("{good}colour\tblue\n"), Some(8), "unknown line"),
        (
            format!("{good}bias\t1\t2\n"),
            Some(8),
            "2 tab-separated columns",
        ),
    ];
    for (text, line, words) in cases {
        let e = NgramModel::parse(&text).unwrap_err();
        assert_eq!(e.line, line, "{e} in\n{text}");
        assert!(e.to_string().contains(words), "{e} lacks {words:?}");
    }
    // Arbitrary bytes never panic.
    let mut state = 0x1234_5678u64;
    for _ in 0..200 {
        let mut text = good.clone().into_bytes();
        for _ in 0..4 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let at = (state >> 33) as usize % text.len();
            text[at] = (state >> 20) as u8;
        }
        let _ = NgramModel::parse(&String::from_utf8_lossy(&text));
    }
}

#[test]
fn training_is_deterministic_and_learns() {
    let data: Vec<(Subject, bool)> = (0..40)
        .map(|i| {
            if i % 2 == 0 {
                (
                    subject(&format!("urgent appeal for prisoner {i}"), ""),
                    true,
                )
            } else {
                (
                    subject(&format!("annual report on the year {i}"), ""),
                    false,
                )
            }
        })
        .collect();
    let pairs: Vec<(&Subject, bool)> = data.iter().map(|(s, u)| (s, *u)).collect();
    let opts = Options {
        keep: 50,
        ..Options::default()
    };
    let a = train(&pairs, &opts, "a comment");
    assert_eq!(a, train(&pairs, &opts, "a comment"));
    assert!(a.starts_with("# a comment\n"));
    let m = NgramModel::parse(&a).unwrap();
    assert!(m.len() <= 50 && !m.is_empty());
    assert!(m.probability(&subject("urgent appeal for a journalist", "")) > 0.7);
    assert!(m.probability(&subject("report of the year", "")) < 0.3);
}

#[test]
fn every_ngram_of_every_field_is_read_once() {
    let item = ParsedItem {
        title: "Ab cdé, фыв!".into(),
        summary: Some("<p>x yz</p>".into()),
        ..Default::default()
    };
    let s = Subject::of(&item, "src", None);
    let shape = Shape {
        bits: 18,
        min: 2,
        max: 4,
        fields: vec![(Field::Title, 100), (Field::Summary, 4)],
    };
    let mut got: Vec<(Field, String)> = Vec::new();
    shape.each(&s, |_, f, text, at| got.push((f, text[at].to_string())));
    let mut want: Vec<(Field, String)> = Vec::new();
    for (field, text) in [
        (Field::Title, crate::text::normalize_padded("Ab cdé, фыв!")),
        (Field::Summary, " x y".to_string()),
    ] {
        let chars: Vec<char> = text.chars().collect();
        for i in 0..chars.len() {
            for n in 2..=4 {
                if i + n <= chars.len() {
                    want.push((field, chars[i..i + n].iter().collect()));
                }
            }
        }
    }
    let key = |(f, g): &(Field, String)| (f.name(), g.clone());
    got.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(got, want);
    // Shorter than the shortest n-gram: nothing.
    let short = Shape {
        min: 5,
        max: 5,
        fields: vec![(Field::Summary, 100)],
        ..shape
    };
    let mut n = 0;
    short.each(
        &Subject::of(
            &ParsedItem {
                summary: Some("ab".into()),
                ..Default::default()
            },
            "s",
            None,
        ),
        |_, _, _, _| n += 1,
    );
    assert_eq!(n, 0);
}
