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
//!   needs) on folded text (see [`crate::text::normalize`]), so an item is scanned once per
//!   field however many rules there are, and a field no rule reads is neither folded
//!   nor scanned. Matches fall on word
//!   boundaries: text and keywords are folded to space-separated words and matched with
//!   a space on each side; a word written with a trailing `*` matches any ending.
//! - `regex`: all regular expressions are one [`regex::RegexSet`], run once per field over the
//!   plain (unfolded) text.
//! - `case_code`: the item carries a case code ([`codes`], one regex pass per field).
//!
//! Besides the score, rules may `tag` an item (a category) or `drop` it (never stored).
//! [`crate::text::language::detect`] guesses an item's language when nothing declares it.

mod compile;
pub mod ngram;
mod phrase;
mod rule;

use aho_corasick::AhoCorasick;
use globset::GlobSet;
use sha2::{Digest, Sha256};

pub use compile::Limits;
pub use ngram::{ModelEvidence, NgramModel};
pub use phrase::Phrase;
pub use rule::{Field, RuleConfig};

use crate::model::{Classification, ParsedItem, Reason};
use crate::text::{codes, country, hex, html_to_text, normalize_padded};

/// Bumped whenever matching changes meaning for the same rules, so that stored verdicts
/// are recomputed (see [`Classifier::fingerprint`]).
/// 3: countries derived (issue 14), evidence chosen by fit; stored items get them.
const MATCHING_VERSION: u32 = 3;

/// The text of one item, field by field, as rules see it.
#[derive(Debug, Default)]
pub struct Subject {
    /// `" folded words "` per field, for keywords, with the field's plain text (what
    /// evidence is chosen by: see [`fit`]).
    folded: Vec<(Field, String, String)>,
    /// Plain text per field (HTML reduced to text), for regexes.
    plain: Vec<(Field, String)>,
    /// Case codes with the field they were found in.
    codes: Vec<(Field, String)>,
    source: String,
    /// Primary language subtag, lower case.
    language: Option<String>,
    /// The countries the item is about (see [`country::of_item`]).
    countries: Vec<String>,
}

/// The item's summary, else its content, as text: what language detection reads, and
/// what the subject's field of the same name reads.
pub fn body_text(item: &ParsedItem) -> String {
    item.summary
        .as_deref()
        .or(item.content.as_deref())
        .map(html_to_text)
        .unwrap_or_default()
}

impl Subject {
    /// Builds the text of `item` as published by `source` in `language`, every field
    /// folded. [`Classifier::subject`] folds only what its rules read, which is cheaper.
    pub fn of(item: &ParsedItem, source: &str, language: Option<&str>) -> Subject {
        Subject::build(item, source, language, &Field::ALL, &Field::ALL, None)
    }

    /// Builds the subject, folding only the fields in `fold` and keeping the plain text
    /// of those in `plain`. Case codes are always read from title, summary and content.
    /// `body`: the item's [`body_text`] when the caller has it already (language
    /// detection read it), so that its HTML is not turned into text twice.
    fn build(
        item: &ParsedItem,
        source: &str,
        language: Option<&str>,
        fold: &[Field],
        plain: &[Field],
        mut body: Option<String>,
    ) -> Subject {
        let mut s = Subject {
            source: source.to_string(),
            language: language
                .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_ascii_lowercase()),
            ..Default::default()
        };
        let mut add = |field: Field, text: &mut dyn FnMut() -> String| {
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
            let folded = f.then(|| normalize_padded(&text)).filter(|n| !n.is_empty());
            match (folded, p) {
                (Some(n), true) => {
                    s.folded.push((field, n, text.clone()));
                    s.plain.push((field, text));
                }
                (Some(n), false) => s.folded.push((field, n, text)),
                (None, true) => s.plain.push((field, text)),
                (None, false) => {}
            }
        };
        add(Field::Title, &mut || item.title.clone());
        // The body text is the summary's, else the content's (see `body_text`).
        if let Some(x) = &item.summary {
            add(Field::Summary, &mut || {
                body.take().unwrap_or_else(|| html_to_text(x))
            });
        }
        if let Some(x) = &item.content {
            add(Field::Content, &mut || {
                body.take().unwrap_or_else(|| html_to_text(x))
            });
        }
        if !item.categories.is_empty() {
            add(Field::Categories, &mut || item.categories.join(" | "));
        }
        if let Some(l) = &item.link {
            add(Field::Link, &mut || l.clone());
        }
        add(Field::Source, &mut || source.to_string());
        let codes = s.case_codes();
        s.countries = country::of_item(
            &item.title,
            item.categories.iter().map(String::as_str),
            codes.iter().map(String::as_str),
        )
        .into_iter()
        .map(str::to_string)
        .collect();
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

/// A hash of `rules`, `threshold`, [`MATCHING_VERSION`] and the model, if any.
fn fingerprint(rules: &[RuleConfig], threshold: f64, model: Option<&ModelEvidence>) -> String {
    let mut h = Sha256::new();
    h.update(format!("{MATCHING_VERSION}\n{threshold:?}\n{rules:?}").as_bytes());
    if let Some(m) = model {
        h.update(m.fingerprint().as_bytes());
    }
    hex(&h.finalize()[..16])
}

/// What a reason quotes of the text it matched: a regex such as `.+` can match a whole
/// field, which is no evidence anyone reads, and is stored and published.
const MAX_EVIDENCE_BYTES: usize = 200;

fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    if s.len() <= MAX_EVIDENCE_BYTES {
        return s.into();
    }
    let mut end = MAX_EVIDENCE_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end]).into()
}

/// How well a keyword that matched (on folded text) fits the text as written, to
/// choose a rule's evidence among its keywords that match: keywords in several
/// languages fold alike (`détention*`, `detention*`; `execuți*` reads `execution`), and
/// an English item must be shown the English one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    /// Neither below: it matched only through folding.
    Folded,
    /// An ASCII keyword in an ASCII text.
    Ascii,
    /// The keyword is in the text as written (case aside), accents and all.
    Written,
}

/// A field's plain text, lower-cased when a choice of evidence first needs it.
struct FieldText<'a> {
    original: &'a str,
    lower: Option<String>,
}

impl<'a> FieldText<'a> {
    fn new(original: &'a str) -> FieldText<'a> {
        FieldText {
            original,
            lower: None,
        }
    }

    /// How well `keyword` fits this text (see [`Fit`]).
    fn fit(&mut self, keyword: &str) -> Fit {
        let original = self.original;
        let lower = self.lower.get_or_insert_with(|| original.to_lowercase());
        let written = keyword.to_lowercase().replace('*', "");
        if !written.trim().is_empty() && lower.contains(written.trim()) {
            Fit::Written
        } else if keyword.is_ascii() && original.is_ascii() {
            Fit::Ascii
        } else {
            Fit::Folded
        }
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
    regex_set: Option<compile::Set>,
    /// Per regex of the set: (rule, index in the rule's `regex`, the regex alone).
    regexes: Vec<(usize, usize, compile::LazyRegex)>,
    /// The fields some regex rule looks at: the set runs on those only.
    regex_fields: Vec<Field>,
    /// The fields some keyword or veto phrase looks at: only those are folded.
    keyword_fields: Vec<Field>,
    threshold: f64,
    /// The statistical model, when `[classify] model` is not `off`.
    model: Option<ModelEvidence>,
    fingerprint: String,
}

/// Which key of a rule a [`RuleError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKey {
    Keywords(usize),
    Unless(usize),
    Regex(usize),
    Sources(usize),
}

impl RuleKey {
    /// The key's name in the config (`regex`) and the index in its list.
    pub fn parts(self) -> (&'static str, usize) {
        match self {
            RuleKey::Keywords(i) => ("keywords", i),
            RuleKey::Unless(i) => ("unless", i),
            RuleKey::Regex(i) => ("regex", i),
            RuleKey::Sources(i) => ("sources", i),
        }
    }
}

impl std::fmt::Display for RuleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (key, i) = self.parts();
        write!(f, "{key}[{i}]")
    }
}

/// Why a rule set cannot be compiled: the rule (its position among `[[rules]]`, as in
/// the config, and its name), the key and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("rules[{rule}].{key} (rule `{name}`): {message}")]
pub struct RuleError {
    pub rule: usize,
    pub name: String,
    pub key: RuleKey,
    pub message: String,
}

impl Classifier {
    /// Compiles `rules` (validated with the config: see
    /// [`crate::config`], which calls this to refuse a rule set that does not compile).
    pub fn new(rules: &[RuleConfig], threshold: f64) -> Result<Classifier, RuleError> {
        Classifier::with_limits(rules, threshold, Limits::default())
    }

    /// [`new`](Self::new) with other size limits.
    pub fn with_limits(
        rules: &[RuleConfig],
        threshold: f64,
        limits: Limits,
    ) -> Result<Classifier, RuleError> {
        let mut b = compile::Build::new(rules, limits);
        let mut compiled = Vec::with_capacity(rules.len());
        for (r, rule) in rules.iter().enumerate() {
            b.phrases(r, rule)?;
            b.regexes(r, rule)?;
            compiled.push(Rule {
                has_matcher: !rule.keywords.is_empty() || !rule.regex.is_empty() || rule.case_code,
                config: rule.clone(),
                sources: b.sources(r, rule)?,
            });
        }
        // The regex set first: compiling it peaks at several times what it keeps
        // (9.6 MB against 2.7 with the shipped rules), and that peak no longer stacks
        // on the 6 MB of keyword automata kept (a pass of all-304 polls peaked there).
        let regex_set = b.regex_set()?;
        let automata = b.automata()?;
        let regex_fields = b.regex_fields();
        let mut keyword_fields: Vec<Field> = automata.iter().map(|a| a.field).collect();
        keyword_fields.dedup();
        let (patterns, regexes) = b.finish();
        Ok(Classifier {
            rules: compiled,
            patterns,
            automata,
            regex_set,
            regexes,
            regex_fields,
            keyword_fields,
            threshold,
            model: None,
            fingerprint: fingerprint(rules, threshold, None),
        })
    }

    /// A classifier without rules: nothing is urgent.
    pub fn empty() -> Classifier {
        Classifier {
            rules: Vec::new(),
            patterns: Vec::new(),
            automata: Vec::new(),
            regex_set: None,
            regexes: Vec::new(),
            regex_fields: Vec::new(),
            keyword_fields: Vec::new(),
            threshold: f64::INFINITY,
            model: None,
            fingerprint: fingerprint(&[], f64::INFINITY, None),
        }
    }

    /// These rules with the statistical model as one more piece of evidence (`None`:
    /// without). The fingerprint changes with the model, so stored verdicts are
    /// recomputed when it does.
    pub fn with_model(mut self, model: Option<ModelEvidence>) -> Classifier {
        if let Some(m) = &model {
            for f in m.model.shape().fields() {
                if !self.keyword_fields.contains(&f) {
                    self.keyword_fields.push(f);
                }
            }
        }
        let rules: Vec<RuleConfig> = self.rules.iter().map(|r| r.config.clone()).collect();
        self.fingerprint = fingerprint(&rules, self.threshold, model.as_ref());
        self.model = model;
        self
    }

    /// The statistical model and how it counts, if on.
    pub fn model(&self) -> Option<&ModelEvidence> {
        self.model.as_ref()
    }

    /// A hash of the rules, the threshold and the matching semantics: when it differs
    /// from the one the stored verdicts were made with, they must be recomputed.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Scores `subject`: every rule counts once, with the first evidence found for it.
    pub fn classify(&self, subject: &Subject) -> Classification {
        let in_scope: Vec<bool> = self.rules.iter().map(|r| r.in_scope(subject)).collect();
        let mut found: Vec<Option<(Fit, String)>> = vec![None; self.rules.len()];
        let mut vetoed = vec![false; self.rules.len()];
        for (field, text, original) in &subject.folded {
            let ascii_text = text.is_ascii();
            let mut field_text = FieldText::new(original);
            for a in self.automata.iter().filter(|a| a.field == *field) {
                // An ASCII text cannot contain a needle that is not.
                if !a.ascii && ascii_text {
                    continue;
                }
                self.scan(a, text, &mut field_text, &in_scope, &mut found, &mut vetoed);
            }
        }
        let mut hit: Vec<Option<String>> = found.into_iter().map(|f| f.map(|(_, e)| e)).collect();
        if let Some(set) = &self.regex_set {
            for (field, text) in &subject.plain {
                if !self.regex_fields.contains(field) {
                    continue;
                }
                for i in set.matches(text) {
                    let (r, _, re) = &self.regexes[i];
                    if !in_scope[*r] || !self.rules[*r].looks_at(*field) || hit[*r].is_some() {
                        continue;
                    }
                    let found = re
                        .get()
                        .and_then(|re| re.find(text))
                        .map(|m| m.as_str())
                        .unwrap_or_default();
                    hit[*r] = Some(format!("{}: \"{}\"", field.name(), clip(found)));
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
            countries: subject.countries.clone(),
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
                label: rule.config.label.clone(),
            });
        }
        if let Some(m) = &self.model {
            m.add_to(subject, &mut out);
        }
        // Sums of decimal weights carry binary noise (0.6 + 0.4 = 0.9999999999999999):
        // round to a precision no rule set needs more of.
        out.score = (out.score * 1e9).round() / 1e9;
        out.urgent = !out.drop && out.score >= self.threshold;
        out
    }

    /// Runs one automaton over one folded field, recording hits and vetoes. A rule that
    /// matched already takes another of its keywords as evidence only when that one
    /// fits the item's text better (see [`fit`]).
    fn scan(
        &self,
        a: &Automaton,
        text: &str,
        field_text: &mut FieldText,
        in_scope: &[bool],
        hit: &mut [Option<(Fit, String)>],
        vetoed: &mut [bool],
    ) {
        for m in a.ac.find_overlapping_iter(text) {
            let p = &self.patterns[a.ids[m.pattern().as_usize()]];
            let best_so_far = hit[p.rule].as_ref().map(|(f, _)| *f);
            if !in_scope[p.rule] || (!p.veto && best_so_far == Some(Fit::Written)) {
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
                let fit = field_text.fit(kw);
                if best_so_far.is_some_and(|best| best >= fit) {
                    continue;
                }
                let mut evidence = format!("{}: \"{kw}\"", a.field.name());
                if open {
                    // What the open ending matched, as folded text.
                    evidence.push_str(&format!(" = \"{}\"", clip(&text[m.start() + 1..end])));
                }
                hit[p.rule] = Some((fit, evidence));
            }
        }
    }

    /// The subject of `item` with only the fields these rules read folded.
    pub fn subject(&self, item: &ParsedItem, source: &str, language: Option<&str>) -> Subject {
        self.subject_with_body(item, source, language, None)
    }

    /// [`Classifier::subject`], given the item's [`body_text`] when it was computed
    /// already (for language detection): it is what the subject's summary (else
    /// content) field reads.
    pub fn subject_with_body(
        &self,
        item: &ParsedItem,
        source: &str,
        language: Option<&str>,
        body: Option<String>,
    ) -> Subject {
        Subject::build(
            item,
            source,
            language,
            &self.keyword_fields,
            &self.regex_fields,
            body,
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
