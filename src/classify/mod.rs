//! Classify: which items are urgent interventions, and why.
//!
//! Each `[[rules]]` entry is a set of keywords scoped to some fields with a weight.
//! All keywords of all rules are compiled into one Aho-Corasick automaton over folded
//! text (see [`text::normalize`]), so an item is scanned once per field however many
//! rules there are. Matches must fall on word boundaries: both the text and the
//! keywords are folded to space-separated words and matched with a space on each side.
//! An item's score is the sum of the weights of the rules that matched; it is urgent
//! when the score reaches the threshold.

mod text;

use aho_corasick::{AhoCorasick, MatchKind};

pub use text::{html_to_text, normalize, strip_markup};

use crate::config::{Field, RuleConfig};
use crate::model::{Classification, ParsedItem, Reason};

/// The text of one item, field by field, as rules see it.
#[derive(Debug, Default)]
pub struct Subject {
    fields: Vec<(Field, String)>,
}

impl Subject {
    /// Builds the folded text of `item` as published by `source`.
    pub fn of(item: &ParsedItem, source: &str) -> Subject {
        let mut fields = Vec::with_capacity(6);
        let mut add = |f: Field, s: &str| {
            let n = normalize(s);
            if !n.is_empty() {
                fields.push((f, format!(" {n} ")));
            }
        };
        add(Field::Title, &item.title);
        if let Some(s) = &item.summary {
            add(Field::Summary, &html_to_text(s));
        }
        if let Some(s) = &item.content {
            add(Field::Content, &html_to_text(s));
        }
        if !item.categories.is_empty() {
            add(Field::Categories, &item.categories.join(" | "));
        }
        if let Some(l) = &item.link {
            add(Field::Link, l);
        }
        add(Field::Source, source);
        Subject { fields }
    }
}

/// Which rule and keyword an automaton pattern belongs to.
#[derive(Debug, Clone)]
struct Pattern {
    rule: usize,
    keyword: usize,
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    keywords: Vec<String>,
    fields: Vec<Field>,
    weight: f64,
}

/// The compiled rule set.
#[derive(Debug, Clone)]
pub struct Classifier {
    rules: Vec<Rule>,
    patterns: Vec<Pattern>,
    automaton: Option<AhoCorasick>,
    threshold: f64,
}

impl Classifier {
    /// Compiles `rules`; they have been validated with the config.
    pub fn new(rules: &[RuleConfig], threshold: f64) -> Classifier {
        let mut patterns = Vec::new();
        let mut needles = Vec::new();
        for (r, rule) in rules.iter().enumerate() {
            for (k, kw) in rule.keywords.iter().enumerate() {
                let n = normalize(kw);
                if !n.is_empty() {
                    needles.push(format!(" {n} "));
                    patterns.push(Pattern {
                        rule: r,
                        keyword: k,
                    });
                }
            }
        }
        let automaton = if needles.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&needles)
                    .expect("keyword automaton within size limits"),
            )
        };
        Classifier {
            rules: rules
                .iter()
                .map(|r| Rule {
                    name: r.name.clone(),
                    keywords: r.keywords.clone(),
                    fields: r.fields.clone(),
                    weight: r.weight,
                })
                .collect(),
            patterns,
            automaton,
            threshold,
        }
    }

    /// Scores `subject`: every rule counts once, with the first evidence found for it.
    pub fn classify(&self, subject: &Subject) -> Classification {
        let mut hit: Vec<Option<(Field, usize)>> = vec![None; self.rules.len()];
        if let Some(ac) = &self.automaton {
            for (field, text) in &subject.fields {
                for m in ac.find_overlapping_iter(text) {
                    let p = &self.patterns[m.pattern().as_usize()];
                    let rule = &self.rules[p.rule];
                    if hit[p.rule].is_none() && rule.fields.contains(field) {
                        hit[p.rule] = Some((*field, p.keyword));
                    }
                }
            }
        }
        let mut score = 0.0;
        let mut reasons = Vec::new();
        for (rule, h) in self.rules.iter().zip(hit) {
            if let Some((field, k)) = h {
                score += rule.weight;
                reasons.push(Reason {
                    rule: rule.name.clone(),
                    weight: rule.weight,
                    evidence: format!("{}: \"{}\"", field.name(), rule.keywords[k]),
                });
            }
        }
        Classification {
            urgent: score >= self.threshold,
            score,
            reasons,
        }
    }

    /// Convenience for one parsed item.
    pub fn classify_item(&self, item: &ParsedItem, source: &str) -> Classification {
        self.classify(&Subject::of(item, source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, kws: &[&str], fields: &[Field], weight: f64) -> RuleConfig {
        RuleConfig {
            name: name.into(),
            keywords: kws.iter().map(|s| s.to_string()).collect(),
            fields: fields.to_vec(),
            weight,
        }
    }

    fn item(title: &str) -> ParsedItem {
        ParsedItem {
            title: title.into(),
            ..Default::default()
        }
    }

    #[test]
    fn matches_phrases_on_word_boundaries_only() {
        let c = Classifier::new(&[rule("a", &["urgent appeal"], &Field::ALL, 1.0)], 1.0);
        assert!(
            c.classify_item(&item("An URGENT   appeal for X"), "s")
                .urgent
        );
        assert!(!c.classify_item(&item("Urgent appealing times"), "s").urgent);
        assert!(!c.classify_item(&item("nonurgent appeal"), "s").urgent);
    }

    #[test]
    fn romanian_cedilla_and_comma_forms_both_match() {
        let c = Classifier::new(&[rule("ro", &["detenție ilegală"], &Field::ALL, 1.0)], 1.0);
        assert!(
            c.classify_item(&item("Detenţie ilegală la Tiraspol"), "s")
                .urgent
        );
        assert!(c.classify_item(&item("DETENȚIE ILEGALA"), "s").urgent);
    }

    #[test]
    fn fields_scope_the_rule() {
        let c = Classifier::new(&[rule("t", &["torture"], &[Field::Title], 1.0)], 1.0);
        let mut i = item("Annual report");
        i.summary = Some("<p>on torture</p>".into());
        assert!(!c.classify_item(&i, "s").urgent);
        i.title = "Torture case".into();
        let v = c.classify_item(&i, "s");
        assert!(v.urgent);
        assert_eq!(v.reasons[0].evidence, "title: \"torture\"");
    }

    #[test]
    fn weights_sum_to_the_threshold() {
        let c = Classifier::new(
            &[
                rule(
                    "label",
                    &["urgent interventions"],
                    &[Field::Categories],
                    0.5,
                ),
                rule("detention", &["arbitrary detention"], &Field::ALL, 0.6),
                rule("report", &["annual report"], &Field::ALL, -2.0),
            ],
            1.0,
        );
        let mut i = item("Arbitrary detention of Mr X");
        assert!(!c.classify_item(&i, "s").urgent, "0.6 alone is below 1.0");
        i.categories = vec!["Urgent Interventions".into()];
        let v = c.classify_item(&i, "s");
        assert!(v.urgent);
        assert!((v.score - 1.1).abs() < 1e-9);
        i.title = "Annual report: arbitrary detention in 2025".into();
        assert!(!c.classify_item(&i, "s").urgent);
    }
}
