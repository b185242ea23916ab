//! Compiling a rule set: keyword phrases into Aho-Corasick automata per field, regexes
//! into one [`regex::RegexSet`], source globs into a [`GlobSet`] per rule, each within
//! [`Limits`], every failure a [`RuleError`] naming the rule and key.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};

use regex::{Regex, RegexBuilder, RegexSetBuilder};
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::util::syntax;
use regex_automata::{Input, PatternSet, meta};

use super::{Automaton, Field, Pattern, Phrase, RuleConfig, RuleError, RuleKey};

/// How large the compiled rules may grow. Keywords are compiled per field they are
/// looked for in, so a keyword looked for in every field counts six times.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of keyword and veto needles over all automata. The shipped rules use
    /// 12.6 KB (574 phrases); 4 MiB is some 180,000 keywords of 20 letters looked for
    /// in one field, or 30,000 in all six, and compiles in about a second with a peak
    /// of some 200 MB (`bench/bounds.sh`).
    pub keyword_bytes: usize,
    /// Estimated transition table of one automaton: above it the automaton is built
    /// as a (compact, somewhat slower) NFA instead of a DFA. 4 MiB keeps the DFA for
    /// the automata that scan the long fields (summary, content: 2.6 MB estimated for the
    /// shipped rules, 0.6 MB built) and makes the title's, which has most keywords but
    /// scans some 100 bytes an item, an NFA: 4.5 MB less memory in every process that
    /// classifies, the daemon's too, at no measurable cost (matching the shipped rules:
    /// 9.72 against 9.76 µs per item, `cargo bench --bench classify`).
    pub dfa_bytes: usize,
    /// Compiled size of the one regex set all rules' regexes form (the regex crate's
    /// default for one regex).
    pub regex_set_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            keyword_bytes: 4 << 20,
            dfa_bytes: 4 << 20,
            regex_set_bytes: 10 << 20,
        }
    }
}

/// An upper bound on the size of a DFA over `needles`: a state per needle byte, a
/// transition per byte class, four bytes each.
fn dfa_estimate<'a>(needles: impl Iterator<Item = &'a str>) -> usize {
    let mut used = [false; 256];
    let mut states = 1usize;
    for n in needles {
        states = states.saturating_add(n.len());
        for b in n.bytes() {
            used[b as usize] = true;
        }
    }
    let distinct = used.iter().filter(|&&u| u).count();
    let classes = (2 * distinct + 1).min(256).next_power_of_two();
    states.saturating_mul(classes).saturating_mul(4)
}

/// Builds one automaton: a DFA when its table fits `dfa_bytes`, else a contiguous NFA,
/// else a non-contiguous one.
fn build_automaton(needles: &[String], dfa_bytes: usize) -> Result<AhoCorasick, String> {
    let dfa = dfa_estimate(needles.iter().map(String::as_str)) <= dfa_bytes;
    let kinds: &[AhoCorasickKind] = if dfa {
        &[
            AhoCorasickKind::DFA,
            AhoCorasickKind::ContiguousNFA,
            AhoCorasickKind::NoncontiguousNFA,
        ]
    } else {
        &[
            AhoCorasickKind::ContiguousNFA,
            AhoCorasickKind::NoncontiguousNFA,
        ]
    };
    let mut last = String::new();
    for &kind in kinds {
        match AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            // Every needle starts with a space: a start-byte prefilter would stop at
            // every word and cost more than it saves.
            .prefilter(false)
            .build(needles)
        {
            Ok(ac) => return Ok(ac),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// One rule regex, compiled alone only when the set says it matched (to quote what it
/// matched): the set is what runs on every item, and compiling each regex a second time
/// at every start cost as much as the set itself (a Unicode class under a bounded
/// repetition compiles to megabytes), for evidence most regexes never have to give.
#[derive(Debug, Clone)]
pub(super) struct LazyRegex {
    pattern: String,
    /// The set's size limit: the set holds this regex, so it fits alone.
    size_limit: usize,
    compiled: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    fn new(pattern: &str, size_limit: usize) -> LazyRegex {
        LazyRegex {
            pattern: pattern.to_string(),
            size_limit,
            compiled: OnceLock::new(),
        }
    }

    pub(super) fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The regex alone; `None` only if it does not compile alone, which the set it
    /// belongs to rules out.
    pub(super) fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| {
                RegexBuilder::new(&self.pattern)
                    .size_limit(self.size_limit)
                    .build()
                    .ok()
            })
            .as_ref()
    }
}

/// All rules' regexes as one set, built as the regex crate builds a `RegexSet` (same
/// syntax, match semantics and limits), but searched with lazy DFA caches of its own:
/// the regex crate keeps one per thread that ever searched (up to 8 of them, 2 MiB
/// each with the shipped rules), and polls classify on whichever blocking thread is
/// free, so a long pass ended up with all of them. Here there are at most
/// [`max_caches`]: a search is a tenth of an item's classification, so one cache
/// serves several parse slots, and a search that finds every cache busy waits for one
/// (a cache holds some 2 MiB, the lazy DFA's states and its sparse sets).
#[derive(Debug)]
pub(super) struct Set {
    meta: meta::Regex,
    caches: Mutex<Caches>,
    freed: Condvar,
    max: usize,
}

#[derive(Debug, Default)]
struct Caches {
    idle: Vec<meta::Cache>,
    made: usize,
    /// Searches waiting for a cache: a cache given back wakes one only if there is
    /// one (std's `notify_one` is a `futex` system call even when nobody waits: 1.5% of
    /// a 1,000-feed first pass's CPU, one call per search).
    waiting: usize,
}

/// At most one cache per four cores (one on a two-core machine).
fn max_caches() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().div_ceil(4))
}

impl Set {
    fn new(meta: meta::Regex, max: usize) -> Set {
        Set {
            meta,
            caches: Mutex::default(),
            freed: Condvar::new(),
            max: max.max(1),
        }
    }

    /// The indexes of the regexes that match somewhere in `text`, ascending (what
    /// `RegexSet::matches` gives).
    pub(super) fn matches(&self, text: &str) -> impl Iterator<Item = usize> {
        let mut lease = self.lease();
        let mut found = PatternSet::new(self.meta.pattern_len());
        self.meta
            .which_overlapping_matches_with(lease.cache(), &Input::new(text), &mut found);
        drop(lease);
        found
            .iter()
            .map(|p| p.as_usize())
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// A cache to search with: an idle one, a new one while fewer than `max` exist, or
    /// the next one given back.
    fn lease(&self) -> Lease<'_> {
        let mut caches = self.caches.lock().unwrap_or_else(PoisonError::into_inner);
        let cache = loop {
            if let Some(c) = caches.idle.pop() {
                break c;
            }
            if caches.made < self.max {
                caches.made += 1;
                break self.meta.create_cache();
            }
            caches.waiting += 1;
            caches = self
                .freed
                .wait(caches)
                .unwrap_or_else(PoisonError::into_inner);
            caches.waiting -= 1;
        };
        Lease {
            set: self,
            cache: Some(cache),
        }
    }

    /// Caches made so far.
    #[cfg(test)]
    pub(super) fn caches_made(&self) -> usize {
        self.caches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .made
    }
}

impl Clone for Set {
    fn clone(&self) -> Set {
        Set::new(self.meta.clone(), self.max)
    }
}

/// A cache taken from a [`Set`], given back when dropped, even by a search that
/// panicked (that cache is dropped and its place freed): otherwise every later search
/// would wait for it forever.
struct Lease<'a> {
    set: &'a Set,
    cache: Option<meta::Cache>,
}

impl Lease<'_> {
    fn cache(&mut self) -> &mut meta::Cache {
        self.cache
            .as_mut()
            .expect("a lease holds its cache until dropped")
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut caches = self
            .set
            .caches
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match self.cache.take() {
            Some(c) if !std::thread::panicking() => caches.idle.push(c),
            _ => caches.made -= 1,
        }
        let wake = caches.waiting > 0;
        drop(caches);
        if wake {
            self.set.freed.notify_one();
        }
    }
}

/// The regex crate's `RegexSetBuilder` settings (regex 1.x: `builders.rs`).
fn build_set(patterns: &[&str], size_limit: usize) -> Result<meta::Regex, String> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .nfa_size_limit(Some(size_limit))
                .hybrid_cache_capacity(2 << 20)
                .match_kind(regex_automata::MatchKind::All)
                .utf8_empty(true)
                .which_captures(WhichCaptures::None),
        )
        .syntax(syntax::Config::default().utf8(true))
        .build_many(patterns)
        .map_err(|e| e.to_string())
}

/// Compiles the regexes as one set; on failure, the index of the first regex whose
/// addition makes the set fail (found by bisection: a set's size grows with its
/// members) and the regex crate's error.
fn regex_set(
    regexes: &[(usize, usize, LazyRegex)],
    size_limit: usize,
) -> Result<Set, (usize, String)> {
    let patterns: Vec<&str> = regexes.iter().map(|(_, _, re)| re.as_str()).collect();
    let first = match build_set(&patterns, size_limit) {
        Ok(meta) => {
            return Ok(Set::new(meta, max_caches()));
        }
        Err(e) => e,
    };
    // The error path only: the regex crate's own builder, for its messages.
    let build = |n: usize| {
        RegexSetBuilder::new(&patterns[..n])
            .size_limit(size_limit)
            .build()
    };
    let Err(err) = build(regexes.len()) else {
        return Err((regexes.len() - 1, first));
    };
    // The smallest failing prefix: `lo` regexes compile together, `hi` do not.
    let (mut lo, mut hi, mut last) = (0, regexes.len(), err);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match build(mid) {
            Ok(_) => lo = mid,
            Err(e) => {
                hi = mid;
                last = e;
            }
        }
    }
    Err((hi - 1, last.to_string()))
}

/// A rule set being compiled: the patterns and regexes gathered rule by rule, then
/// the automata and the regex set built from them.
pub(super) struct Build<'a> {
    rules: &'a [RuleConfig],
    limits: Limits,
    patterns: Vec<Pattern>,
    /// Per regex: (rule, index in the rule's `regex`, the regex alone).
    regexes: Vec<(usize, usize, LazyRegex)>,
    /// Needle bytes over all automata, counted per field a pattern is looked for in.
    keyword_bytes: usize,
}

impl<'a> Build<'a> {
    pub(super) fn new(rules: &'a [RuleConfig], limits: Limits) -> Build<'a> {
        Build {
            rules,
            limits,
            patterns: Vec::new(),
            regexes: Vec::new(),
            keyword_bytes: 0,
        }
    }

    fn error(&self, rule: usize, key: RuleKey, message: String) -> RuleError {
        RuleError {
            rule,
            name: self
                .rules
                .get(rule)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            key,
            message,
        }
    }

    /// The keywords and veto phrases of rule `r`.
    pub(super) fn phrases(&mut self, r: usize, rule: &RuleConfig) -> Result<(), RuleError> {
        for (veto, list) in [(false, &rule.keywords), (true, &rule.unless)] {
            for (index, kw) in list.iter().enumerate() {
                let key = if veto {
                    RuleKey::Unless(index)
                } else {
                    RuleKey::Keywords(index)
                };
                let Some(phrase) = Phrase::parse(kw) else {
                    return Err(self.error(r, key, format!("`{kw}` is not a phrase to match")));
                };
                self.keyword_bytes = self
                    .keyword_bytes
                    .saturating_add(phrase.needle().len().saturating_mul(rule.fields.len()));
                if self.keyword_bytes > self.limits.keyword_bytes {
                    return Err(self.error(
                        r,
                        key,
                        format!(
                            "the keywords and `unless` phrases of all rules, up to this \
                             one, exceed {} MiB compiled (each counts once per field \
                             it is looked for in): use fewer, or narrow `fields`",
                            self.limits.keyword_bytes >> 20
                        ),
                    ));
                }
                self.patterns.push(Pattern {
                    rule: r,
                    index,
                    veto,
                    phrase,
                });
            }
        }
        Ok(())
    }

    /// The regexes of rule `r`, each parsed alone (its syntax, with the regex crate's
    /// own parser and messages); they are compiled as one set by
    /// [`regex_set`](Self::regex_set), which also finds one too large alone.
    pub(super) fn regexes(&mut self, r: usize, rule: &RuleConfig) -> Result<(), RuleError> {
        for (k, re) in rule.regex.iter().enumerate() {
            regex_syntax::Parser::new().parse(re).map_err(|e| {
                self.error(
                    r,
                    RuleKey::Regex(k),
                    format!("`{re}` does not compile: {e}"),
                )
            })?;
            let lazy = LazyRegex::new(re, self.limits.regex_set_bytes);
            self.regexes.push((r, k, lazy));
        }
        Ok(())
    }

    /// The source globs of rule `r` as one set (`None`: every source).
    pub(super) fn sources(
        &self,
        r: usize,
        rule: &RuleConfig,
    ) -> Result<Option<GlobSet>, RuleError> {
        if rule.sources.is_empty() {
            return Ok(None);
        }
        let mut b = GlobSetBuilder::new();
        for (k, g) in rule.sources.iter().enumerate() {
            let g = Glob::new(g).map_err(|e| {
                self.error(
                    r,
                    RuleKey::Sources(k),
                    format!("`{g}` is not a valid glob: {e}"),
                )
            })?;
            b.add(g);
        }
        b.build().map(Some).map_err(|e| {
            self.error(
                r,
                RuleKey::Sources(rule.sources.len().saturating_sub(1)),
                format!("the globs do not compile together: {e}"),
            )
        })
    }

    /// Per field, two automata: one for the needles that fold to ASCII (Latin-script
    /// languages) and one for the rest (Cyrillic, …). Each has far fewer byte classes
    /// and states than one for all, so its table is a fraction of the size and stays
    /// in cache, and an all-ASCII text needs only the first.
    pub(super) fn automata(&self) -> Result<Vec<Automaton>, RuleError> {
        let patterns = &self.patterns;
        let mut automata: Vec<Automaton> = Vec::new();
        for field in Field::ALL {
            for ascii in [true, false] {
                let ids: Vec<usize> = (0..patterns.len())
                    .filter(|&i| {
                        self.rules[patterns[i].rule].fields.contains(&field)
                            && patterns[i].phrase.needle().is_ascii() == ascii
                    })
                    .collect();
                let Some(&last) = ids.last() else {
                    continue;
                };
                let needles: Vec<String> =
                    ids.iter().map(|&i| patterns[i].phrase.needle()).collect();
                let ac = build_automaton(&needles, self.limits.dfa_bytes).map_err(|e| {
                    let p = &patterns[last];
                    let key = if p.veto {
                        RuleKey::Unless(p.index)
                    } else {
                        RuleKey::Keywords(p.index)
                    };
                    self.error(
                        p.rule,
                        key,
                        format!(
                            "the keywords looked for in `{}` do not compile together \
                             ({e}): use fewer",
                            field.name()
                        ),
                    )
                })?;
                automata.push(Automaton {
                    field,
                    ascii,
                    ac,
                    ids,
                });
            }
        }
        Ok(automata)
    }

    /// All rules' regexes as one set (`None` without regexes); on failure, the regex
    /// that breaks it.
    pub(super) fn regex_set(&self) -> Result<Option<Set>, RuleError> {
        if self.regexes.is_empty() {
            return Ok(None);
        }
        let limit = self.limits.regex_set_bytes;
        regex_set(&self.regexes, limit).map(Some).map_err(|(n, e)| {
            let (r, k, re) = &self.regexes[n];
            let re = re.as_str();
            // Too large even alone (the regex crate's own limit): said as such.
            let alone = if n == 0 { None } else { Regex::new(re).err() };
            let message = if n == 0 || alone.is_some() {
                format!(
                    "`{re}` does not compile: {}",
                    alone.map_or(e, |a| a.to_string())
                )
            } else {
                let before = if n == 1 {
                    "the regex".to_string()
                } else {
                    format!("the {n} regexes")
                };
                format!(
                    "`{re}` does not fit with {before} before it: all rules' regexes form \
                     one set, and with this one it exceeds its size limit of {} MiB ({}); \
                     simplify it (a smaller repetition, or `(?-u:\\w)` / `[0-9]` for \
                     Unicode `\\w` / `\\d`)",
                    limit >> 20,
                    e.trim_end_matches('.')
                )
            };
            self.error(*r, RuleKey::Regex(*k), message)
        })
    }

    /// The fields some regex rule looks at.
    pub(super) fn regex_fields(&self) -> Vec<Field> {
        let mut fields: Vec<Field> = Vec::new();
        for (r, _, _) in &self.regexes {
            for f in &self.rules[*r].fields {
                if !fields.contains(f) {
                    fields.push(*f);
                }
            }
        }
        fields
    }

    /// The patterns and regexes, for the classifier to keep.
    pub(super) fn finish(self) -> (Vec<Pattern>, Vec<(usize, usize, LazyRegex)>) {
        (self.patterns, self.regexes)
    }
}

#[cfg(test)]
mod set_tests {
    use super::*;

    /// Searches from several threads at once share the one cache allowed, each waiting
    /// its turn, and every one gets its own answer.
    #[test]
    fn searches_beyond_the_cache_cap_wait_and_answer_right() {
        let meta = build_set(
            &[r"\bdetain\w*", r"\burgent\b", r"[0-9]{3}/[0-9]{4}"],
            1 << 20,
        )
        .unwrap();
        let set = Set::new(meta, 1);
        let texts = [
            ("journalist detained", vec![0]),
            ("urgent: case 123/2026", vec![1, 2]),
            ("nothing here", vec![]),
        ];
        std::thread::scope(|s| {
            for t in 0..4 {
                let (set, texts) = (&set, &texts);
                s.spawn(move || {
                    for i in 0..300 {
                        let (text, want) = &texts[(i + t) % texts.len()];
                        assert_eq!(set.matches(text).collect::<Vec<_>>(), *want, "{text}");
                    }
                });
            }
        });
        assert_eq!(set.caches_made(), 1);
        assert_eq!(set.clone().caches_made(), 0, "a clone starts with no cache");
    }

    /// A search that waits for the one cache is woken when it is given back: it
    /// answers once the lease held here is dropped.
    #[test]
    fn a_waiting_search_is_woken_when_the_cache_comes_back() {
        let meta = build_set(&[r"urgent"], 1 << 20).unwrap();
        let set = std::sync::Arc::new(Set::new(meta, 1));
        let held = set.lease();
        let (done, answer) = std::sync::mpsc::channel();
        let searcher = std::sync::Arc::clone(&set);
        std::thread::spawn(move || {
            let _ = done.send(searcher.matches("urgent").collect::<Vec<_>>());
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while set.caches.lock().unwrap().waiting == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the search never waited"
            );
            std::thread::yield_now();
        }
        assert!(
            answer.try_recv().is_err(),
            "no answer while the cache is held"
        );
        drop(held);
        let found = answer
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the waiting search was woken");
        assert_eq!(found, vec![0]);
        assert_eq!(set.caches.lock().unwrap().waiting, 0);
    }

    /// A search that panics gives its place back: the next search gets a cache rather
    /// than waiting forever.
    #[test]
    fn a_search_that_panics_does_not_keep_its_cache() {
        let meta = build_set(&[r"urgent"], 1 << 20).unwrap();
        let set = std::sync::Arc::new(Set::new(meta, 1));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _lease = set.lease();
            panic!("a search that fails");
        }));
        assert!(panicked.is_err());
        assert_eq!(
            set.caches_made(),
            0,
            "the panicked search's cache is dropped"
        );
        let (done, answer) = std::sync::mpsc::channel();
        let searcher = std::sync::Arc::clone(&set);
        std::thread::spawn(move || {
            let _ = done.send(searcher.matches("urgent").collect::<Vec<_>>());
        });
        let found = answer
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the next search got a cache");
        assert_eq!(found, vec![0]);
    }
}
