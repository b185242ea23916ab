//! Classify: which items are urgent interventions, and why.
//!
//! Each `[[rules]]` entry is evidence with a weight: an item's score is the sum of the
//! weights of the rules that match it, and it is urgent when the score reaches
//! `[classify] threshold`. A rule matches an item in its scope (`sources` globs,
//! `languages`) when one of its matchers finds something in one of its `fields` and
//! none of its `unless` phrases does:
//!
//! - `keywords`: the keywords and veto phrases of all rules are compiled into
//!   Aho-Corasick automata per field (over the patterns of the rules that look at it;
//!   one for needles that fold to ASCII, one for the others, which only non-ASCII text
//!   needs) on folded text (see [`text::normalize`]), so an item is scanned once per
//!   field however many rules there are, and a field no rule reads is neither folded
//!   nor scanned. Matches fall on word
//!   boundaries: text and keywords are folded to space-separated words and matched with
//!   a space on each side; a word written with a trailing `*` matches any ending.
//! - `regex`: all regular expressions are one [`RegexSet`], run once per field over the
//!   plain (unfolded) text.
//! - `case_code`: the item carries a case code ([`codes`], one regex pass per field).
//!
//! Besides the score, rules may `tag` an item (a category) or `drop` it (never stored).
//! [`language::detect`] guesses an item's language when nothing declares it.

pub mod codes;
pub mod language;
mod text;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::{Regex, RegexSet};
use sha2::{Digest, Sha256};

pub use text::{Phrase, html_to_text, normalize, normalize_padded, strip_markup};

use crate::config::{Field, RuleConfig};
use crate::dedup::hex;
use crate::model::{Classification, ParsedItem, Reason};

/// Bumped whenever matching changes meaning for the same rules, so that stored verdicts
/// are recomputed (see [`Classifier::fingerprint`]).
const MATCHING_VERSION: u32 = 2;

/// The text of one item, field by field, as rules see it.
#[derive(Debug, Default)]
pub struct Subject {
    /// `" folded words "` per field, for keywords.
    folded: Vec<(Field, String)>,
    /// Plain text per field (HTML reduced to text), for regexes.
    plain: Vec<(Field, String)>,
    /// Case codes with the field they were found in.
    codes: Vec<(Field, String)>,
    source: String,
    /// Primary language subtag, lower case.
    language: Option<String>,
}

impl Subject {
    /// Builds the text of `item` as published by `source` in `language`, every field
    /// folded. [`Classifier::subject`] folds only what its rules read, which is cheaper.
    pub fn of(item: &ParsedItem, source: &str, language: Option<&str>) -> Subject {
        Subject::build(item, source, language, &Field::ALL, &Field::ALL)
    }

    /// Builds the subject, folding only the fields in `fold` and keeping the plain text
    /// of those in `plain`. Case codes are always read from title, summary and content.
    fn build(
        item: &ParsedItem,
        source: &str,
        language: Option<&str>,
        fold: &[Field],
        plain: &[Field],
    ) -> Subject {
        let mut s = Subject {
            source: source.to_string(),
            language: language
                .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_ascii_lowercase()),
            ..Default::default()
        };
        let mut add = |field: Field, text: &dyn Fn() -> String| {
            let coded = matches!(field, Field::Title | Field::Summary | Field::Content);
            let (f, p) = (fold.contains(&field), plain.contains(&field));
            if !coded && !f && !p {
                return;
            }
            let text = text();
            if coded {
                let mut found = Vec::new();
                codes::extract(&text, &mut found);
                s.codes.extend(found.into_iter().map(|c| (field, c)));
            }
            if f {
                let n = normalize_padded(&text);
                if !n.is_empty() {
                    s.folded.push((field, n));
                }
            }
            if p {
                s.plain.push((field, text));
            }
        };
        add(Field::Title, &|| item.title.clone());
        if let Some(x) = &item.summary {
            add(Field::Summary, &|| html_to_text(x));
        }
        if let Some(x) = &item.content {
            add(Field::Content, &|| html_to_text(x));
        }
        if !item.categories.is_empty() {
            add(Field::Categories, &|| item.categories.join(" | "));
        }
        if let Some(l) = &item.link {
            add(Field::Link, &|| l.clone());
        }
        add(Field::Source, &|| source.to_string());
        s
    }

    /// The normalised case codes, each once, in order of appearance, at most
    /// [`codes::MAX_CASE_CODES`].
    pub fn case_codes(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.codes
            .iter()
            .map(|(_, c)| c)
            .filter(|c| seen.insert(c.as_str()))
            .take(codes::MAX_CASE_CODES)
            .cloned()
            .collect()
    }
}

/// What an automaton pattern stands for.
#[derive(Debug, Clone)]
struct Pattern {
    rule: usize,
    /// Index into the rule's keywords, or its veto phrases.
    index: usize,
    veto: bool,
    phrase: Phrase,
}

#[derive(Debug, Clone)]
struct Rule {
    config: RuleConfig,
    sources: Option<GlobSet>,
    /// Whether any matcher is given; a rule without one matches its whole scope.
    has_matcher: bool,
}

impl Rule {
    fn in_scope(&self, s: &Subject) -> bool {
        if let Some(g) = &self.sources
            && !g.is_match(&s.source)
        {
            return false;
        }
        let langs = &self.config.languages;
        langs.is_empty()
            || s.language
                .as_deref()
                .is_some_and(|l| langs.iter().any(|x| x.eq_ignore_ascii_case(l)))
    }

    fn looks_at(&self, f: Field) -> bool {
        self.config.fields.contains(&f)
    }
}

/// An automaton over some of the needles that rules look for in one field.
#[derive(Debug, Clone)]
struct Automaton {
    field: Field,
    /// Whether its needles are all ASCII (and so the only ones an ASCII text can hold).
    ascii: bool,
    ac: AhoCorasick,
    /// Its pattern numbers → indexes into `Classifier::patterns`.
    ids: Vec<usize>,
}

/// The compiled rule set.
#[derive(Debug, Clone)]
pub struct Classifier {
    rules: Vec<Rule>,
    patterns: Vec<Pattern>,
    /// Per field, the automata over the patterns of the rules that look at it.
    automata: Vec<Automaton>,
    regex_set: Option<RegexSet>,
    /// Per regex of the set: (rule, index in the rule's `regex`, the regex alone).
    regexes: Vec<(usize, usize, Regex)>,
    /// The fields some regex rule looks at: the set runs on those only.
    regex_fields: Vec<Field>,
    /// The fields some keyword or veto phrase looks at: only those are folded.
    keyword_fields: Vec<Field>,
    threshold: f64,
    fingerprint: String,
}

impl Classifier {
    /// Compiles `rules`; they have been validated with the config (an invalid keyword,
    /// regex or glob that slipped through is ignored rather than fatal).
    pub fn new(rules: &[RuleConfig], threshold: f64) -> Classifier {
        let mut patterns = Vec::new();
        let mut regexes = Vec::new();
        let mut compiled = Vec::with_capacity(rules.len());
        for (r, rule) in rules.iter().enumerate() {
            for (veto, list) in [(false, &rule.keywords), (true, &rule.unless)] {
                for (index, kw) in list.iter().enumerate() {
                    if let Some(phrase) = Phrase::parse(kw) {
                        patterns.push(Pattern {
                            rule: r,
                            index,
                            veto,
                            phrase,
                        });
                    }
                }
            }
            for (k, re) in rule.regex.iter().enumerate() {
                if let Ok(re) = Regex::new(re) {
                    regexes.push((r, k, re));
                }
            }
            let sources = (!rule.sources.is_empty()).then(|| {
                let mut b = GlobSetBuilder::new();
                for g in &rule.sources {
                    if let Ok(g) = Glob::new(g) {
                        b.add(g);
                    }
                }
                b.build().unwrap_or_else(|_| GlobSet::empty())
            });
            compiled.push(Rule {
                has_matcher: !rule.keywords.is_empty() || !rule.regex.is_empty() || rule.case_code,
                config: rule.clone(),
                sources,
            });
        }
        // Per field, two automata: one for the needles that fold to ASCII (Latin-script
        // languages) and one for the rest (Cyrillic, …). Each has far fewer byte classes
        // and states than one for all, so its table is a fraction of the size and stays
        // in cache, and an all-ASCII text needs only the first.
        let mut automata: Vec<Automaton> = Vec::new();
        for field in Field::ALL {
            for ascii in [true, false] {
                let ids: Vec<usize> = (0..patterns.len())
                    .filter(|&i| {
                        rules[patterns[i].rule].fields.contains(&field)
                            && patterns[i].phrase.needle().is_ascii() == ascii
                    })
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let ac = AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    // Every needle starts with a space: a start-byte prefilter would stop
                    // at every word and cost more than it saves.
                    .prefilter(false)
                    .build(ids.iter().map(|&i| patterns[i].phrase.needle()))
                    .expect("keyword automaton within size limits");
                automata.push(Automaton {
                    field,
                    ascii,
                    ac,
                    ids,
                });
            }
        }
        let regex_set = (!regexes.is_empty()).then(|| {
            RegexSet::new(regexes.iter().map(|(_, _, re)| re.as_str()))
                .expect("regexes that compile alone compile as a set")
        });
        let mut regex_fields: Vec<Field> = Vec::new();
        for (r, _, _) in &regexes {
            for f in &rules[*r].fields {
                if !regex_fields.contains(f) {
                    regex_fields.push(*f);
                }
            }
        }
        let mut keyword_fields: Vec<Field> = automata.iter().map(|a| a.field).collect();
        keyword_fields.dedup();
        let mut h = Sha256::new();
        h.update(format!("{MATCHING_VERSION}\n{threshold:?}\n{rules:?}").as_bytes());
        Classifier {
            rules: compiled,
            patterns,
            automata,
            regex_set,
            regexes,
            regex_fields,
            keyword_fields,
            threshold,
            fingerprint: hex(&h.finalize()[..16]),
        }
    }

    /// A hash of the rules, the threshold and the matching semantics: when it differs
    /// from the one the stored verdicts were made with, they must be recomputed.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Scores `subject`: every rule counts once, with the first evidence found for it.
    pub fn classify(&self, subject: &Subject) -> Classification {
        let in_scope: Vec<bool> = self.rules.iter().map(|r| r.in_scope(subject)).collect();
        let mut hit: Vec<Option<String>> = vec![None; self.rules.len()];
        let mut vetoed = vec![false; self.rules.len()];
        for (field, text) in &subject.folded {
            let ascii_text = text.is_ascii();
            for a in self.automata.iter().filter(|a| a.field == *field) {
                // An ASCII text cannot contain a needle that is not.
                if !a.ascii && ascii_text {
                    continue;
                }
                self.scan(a, text, &in_scope, &mut hit, &mut vetoed);
            }
        }
        if let Some(set) = &self.regex_set {
            for (field, text) in &subject.plain {
                if !self.regex_fields.contains(field) {
                    continue;
                }
                for i in set.matches(text).iter() {
                    let (r, _, re) = &self.regexes[i];
                    if !in_scope[*r] || !self.rules[*r].looks_at(*field) || hit[*r].is_some() {
                        continue;
                    }
                    let found = re.find(text).map(|m| m.as_str()).unwrap_or_default();
                    hit[*r] = Some(format!("{}: \"{found}\"", field.name()));
                }
            }
        }
        for (r, rule) in self.rules.iter().enumerate() {
            if !in_scope[r] || hit[r].is_some() {
                continue;
            }
            if rule.config.case_code {
                if let Some((f, code)) = subject.codes.iter().find(|(f, _)| rule.looks_at(*f)) {
                    hit[r] = Some(format!("{}: {code}", f.name()));
                }
            } else if !rule.has_matcher {
                hit[r] = Some(match &subject.language {
                    Some(l) if !rule.config.languages.is_empty() => format!("language: {l}"),
                    _ => format!("source: {}", subject.source),
                });
            }
        }
        let mut out = Classification {
            case_codes: subject.case_codes(),
            ..Default::default()
        };
        for ((rule, h), veto) in self.rules.iter().zip(hit).zip(vetoed) {
            let (Some(evidence), false) = (h, veto) else {
                continue;
            };
            out.score += rule.config.weight;
            out.drop |= rule.config.drop;
            if let Some(t) = &rule.config.tag
                && !out.tags.contains(t)
            {
                out.tags.push(t.clone());
            }
            out.reasons.push(Reason {
                rule: rule.config.name.clone(),
                weight: rule.config.weight,
                evidence,
            });
        }
        // Sums of decimal weights carry binary noise (0.6 + 0.4 = 0.9999999999999999):
        // round to a precision no rule set needs more of.
        out.score = (out.score * 1e9).round() / 1e9;
        out.urgent = !out.drop && out.score >= self.threshold;
        out
    }

    /// Runs one automaton over one folded field, recording hits and vetoes.
    fn scan(
        &self,
        a: &Automaton,
        text: &str,
        in_scope: &[bool],
        hit: &mut [Option<String>],
        vetoed: &mut [bool],
    ) {
        for m in a.ac.find_overlapping_iter(text) {
            let p = &self.patterns[a.ids[m.pattern().as_usize()]];
            if !in_scope[p.rule] || (!p.veto && hit[p.rule].is_some()) {
                continue;
            }
            let open = p.phrase.is_open();
            let end = if open {
                match p.phrase.match_end(text, m.start()) {
                    Some(end) => end,
                    None => continue,
                }
            } else {
                m.end()
            };
            if p.veto {
                vetoed[p.rule] = true;
            } else {
                let kw = &self.rules[p.rule].config.keywords[p.index];
                let mut evidence = format!("{}: \"{kw}\"", a.field.name());
                if open {
                    // What the open ending matched, as folded text.
                    evidence.push_str(&format!(" = \"{}\"", &text[m.start() + 1..end]));
                }
                hit[p.rule] = Some(evidence);
            }
        }
    }

    /// The subject of `item` with only the fields these rules read folded.
    pub fn subject(&self, item: &ParsedItem, source: &str, language: Option<&str>) -> Subject {
        Subject::build(
            item,
            source,
            language,
            &self.keyword_fields,
            &self.regex_fields,
        )
    }

    /// Convenience for one parsed item in `language`.
    pub fn classify_item(
        &self,
        item: &ParsedItem,
        source: &str,
        language: Option<&str>,
    ) -> Classification {
        self.classify(&self.subject(item, source, language))
    }
}

#[cfg(test)]
mod tests;
