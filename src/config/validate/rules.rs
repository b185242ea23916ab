//! `[[rules]]`: each rule checked alone (names, phrases, regexes, globs, languages,
//! fields), then the set compiled together as the daemon will run it.

use std::collections::HashSet;
use std::sync::Arc;

use super::super::raw::RawRule;
use super::{Checker, KeyPath, root, valid_language};
use crate::classify::{Classifier, Field, ModelEvidence, Phrase, RuleConfig};

/// `[[rules]]`, each checked alone, then compiled together as the daemon will run them,
/// so that a set too large to compile is refused here and not by a panic at run time.
pub(super) fn rules(
    c: &mut Checker,
    raw: Vec<RawRule>,
    threshold: f64,
    model: Option<ModelEvidence>,
) -> (Vec<RuleConfig>, Arc<Classifier>) {
    let mut names = HashSet::new();
    let before = c.problems.len();
    let rules: Vec<RuleConfig> = raw
        .into_iter()
        .enumerate()
        .filter_map(|(i, r)| rule(c, i, r, &mut names))
        .collect();
    // With a problem in some rule, `rules` no longer lines up with the file: the
    // config is refused anyway, and an empty classifier stands in.
    if c.problems.len() > before {
        return (rules, Arc::new(Classifier::empty()));
    }
    let classifier = match Classifier::new(&rules, threshold) {
        Ok(classifier) => classifier.with_model(model),
        Err(e) => {
            let (key, index) = e.key.parts();
            c.problem(root("rules").index(e.rule).key(key).index(index), e.message);
            Classifier::empty()
        }
    };
    (rules, Arc::new(classifier))
}

fn rule(c: &mut Checker, i: usize, r: RawRule, names: &mut HashSet<String>) -> Option<RuleConfig> {
    let key = || root("rules").index(i);
    let Some(name) = r.name.clone() else {
        c.problem(key().key("name"), "missing: every rule needs a name");
        return None;
    };
    if name.trim().is_empty() {
        c.problem(key().key("name"), "must not be empty");
    } else if !names.insert(name.clone()) {
        c.problem(key().key("name"), format!("duplicate rule name `{name}`"));
    }
    let case_code = r.case_code.unwrap_or(false);
    if r.keywords.is_empty()
        && r.regex.is_empty()
        && !case_code
        && r.sources.is_empty()
        && r.languages.is_empty()
    {
        c.problem(
            key().key("keywords"),
            format!(
                "rule `{name}` has nothing to match: give it keywords, regex or case_code \
                 (or a sources/languages scope to match every item in it)"
            ),
        );
    }
    matchers(c, &key, &r);
    let fields = fields(c, &key, r.fields);
    let weight = r.weight.unwrap_or(1.0);
    if !weight.is_finite() {
        c.problem(key().key("weight"), "must be a finite number");
    }
    if let Some(t) = &r.tag
        && t.trim().is_empty()
    {
        c.problem(key().key("tag"), "must not be empty");
    }
    let label = r.label.as_deref().map(str::trim).map(str::to_string);
    if let Some(l) = &label
        && (l.is_empty() || l.chars().any(char::is_control))
    {
        c.problem(
            key().key("label"),
            "must be one line of text (what a reader is told: \"Arrest or detention named in \
             the title\")",
        );
    }
    Some(RuleConfig {
        name,
        keywords: r.keywords,
        regex: r.regex,
        case_code,
        fields,
        sources: r.sources,
        languages: r.languages,
        unless: r.unless,
        weight,
        tag: r.tag.map(|t| t.trim().to_string()),
        drop: r.drop.unwrap_or(false),
        label,
    })
}

/// Each keyword, veto phrase, regex, glob and language of a rule, alone.
fn matchers(c: &mut Checker, key: &impl Fn() -> KeyPath, r: &RawRule) {
    for (list, field) in [(&r.keywords, "keywords"), (&r.unless, "unless")] {
        for (k, kw) in list.iter().enumerate() {
            if Phrase::parse(kw).is_none() {
                c.problem(
                    key().key(field).index(k),
                    format!(
                        "`{kw}` is not a phrase to match: it needs letters or digits, and `*` \
                         only at the end of a word"
                    ),
                );
            }
        }
    }
    for (k, re) in r.regex.iter().enumerate() {
        // Its syntax only: the classifier compiles every regex once, as one set, and
        // names one too large alone or together (`rules[i].regex[k]` all the same).
        if let Err(e) = regex_syntax::Parser::new().parse(re) {
            // The parser's message draws the pattern over several lines; its last line
            // says what is wrong.
            let text = e.to_string();
            let why = text
                .lines()
                .last()
                .unwrap_or(&text)
                .trim_start_matches("error: ");
            c.problem(
                key().key("regex").index(k),
                format!("`{re}` is not a valid regular expression: {why}"),
            );
        }
    }
    for (k, g) in r.sources.iter().enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            c.problem(
                key().key("sources").index(k),
                format!("`{g}` is not a valid glob: {}", e.kind()),
            );
        }
    }
    for (k, l) in r.languages.iter().enumerate() {
        if !valid_language(l) || l.contains('-') {
            c.problem(
                key().key("languages").index(k),
                format!("`{l}` is not a primary language tag such as \"ro\" or \"en\""),
            );
        }
    }
}

/// `fields`: every text field when not given.
fn fields(c: &mut Checker, key: &impl Fn() -> KeyPath, fields: Option<Vec<String>>) -> Vec<Field> {
    match fields {
        None => Field::ALL.to_vec(),
        Some(list) => {
            let mut out = Vec::new();
            for (k, f) in list.iter().enumerate() {
                match Field::from_name(f) {
                    Some(field) => out.push(field),
                    None => c.problem(
                        key().key("fields").index(k),
                        format!(
                            "unknown field `{f}`, expected one of {}",
                            Field::ALL.map(|f| format!("`{}`", f.name())).join(", ")
                        ),
                    ),
                }
            }
            out
        }
    }
}
