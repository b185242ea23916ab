//! Grouping: which items are the same case development, so the urgent feed carries each
//! once.
//!
//! - **By case code.** Items that share a normalised code (follow-up suffix included)
//!   are one development, whatever their source, language or date. A follow-up
//!   (`OBS 052.1`) is its own development. An SOS-Torture follow-up without a number
//!   (`Case MDA 170811 (follow-up)`) groups only within [`WINDOW`], since two of them
//!   months apart are two developments.
//! - **By title, without a code.** Two items are the same story when they come from
//!   different sources, are declared or detected in the same language, were published
//!   within [`WINDOW`] of each other, do not both carry codes (codes decide then), no
//!   source would then hold two items of the group (a source tells a story once), and
//!   their titles are *near-identical*: after folding (case, accents, punctuation),
//!   dropping function words and honorifics, at least [`MIN_OVERLAP`] of the shorter
//!   title's words appear in the other (overlap coefficient), with at least
//!   [`MIN_WORDS`] words in the shorter one. The overlap coefficient rather than Jaccard
//!   because publishers shorten each other's titles (drop a country prefix, "her
//!   husband", an honorific); the same-source rule and the window are what keep apart
//!   follow-ups whose titles extend the original ("Sentencing and ongoing arbitrary
//!   detention of …"). Measured on `tests/eval/grouping.jsonl` by `tests/grouping.rs`.
//!
//! Grouping happens when the urgent selection is read ([`crate::store::Store::urgent_cases`]),
//! not when items are written: verdicts change when rules do, and who is "first seen
//! among the urgent items" with them.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};

use crate::text::{codes, normalize};

/// How far apart two publications of the same story can be.
pub const WINDOW: Duration = Duration::days(3);
/// Share of the shorter title's words that must appear in the other.
pub const MIN_OVERLAP: f64 = 0.7;
/// Titles with fewer significant words than this never group by title.
pub const MIN_WORDS: usize = 3;

/// Words that say nothing about which story a title tells: articles, prepositions,
/// conjunctions and honorifics in the five languages of the domain (folded). Words of
/// one letter are ignored too.
const IGNORED: &[&str] = &[
    // en
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "by", "with", "from", "her",
    "his", "their", "mr", "mrs", "ms", "mses", "messrs", "dr", "aka", // fr
    "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "ou", "au", "aux", "en",
    "a", "pour", "par", "sur", "dans", "contre", "encontre", "m", "mm", "me", "mme", "mmes",
    // es
    "el", "los", "las", "una", "unos", "unas", "del", "y", "e", "o", "al", "por", "para", "con",
    "su", "sus", "sr", "sra", "sres", "sras", "srta", // ro
    "si", "sau", "lui", "al", "ai", "ale", "cu", "din", "pe", "la", "de", "catre", "pentru", "dl",
    "dna", "dnei", "dlui", // ru
    "и", "в", "во", "на", "с", "со", "о", "об", "по", "к", "за", "из", "от", "для", "г", "н", "жа",
];

/// [`IGNORED`] as a set: a title's every word is looked up (a scan of the list was
/// most of what making a candidate cost).
static IGNORED_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| IGNORED.iter().copied().collect());

/// The significant words of a title, folded, sorted, each once.
pub fn title_words(title: &str) -> Vec<String> {
    let mut words: Vec<String> = normalize(title)
        .split(' ')
        .filter(|w| w.chars().nth(1).is_some() && !IGNORED_SET.contains(w))
        .map(str::to_string)
        .collect();
    words.sort();
    words.dedup();
    words
}

/// The share of the shorter word list found in the longer (both sorted, deduplicated);
/// 0 when the shorter has fewer than [`MIN_WORDS`] words.
pub fn overlap<T: Ord>(a: &[T], b: &[T]) -> f64 {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() < MIN_WORDS {
        return 0.0;
    }
    let common = short
        .iter()
        .filter(|w| long.binary_search(w).is_ok())
        .count();
    common as f64 / short.len() as f64
}

/// Whether at least [`MIN_OVERLAP`] of the shorter hash list is in the longer (both
/// sorted, deduplicated): `overlap(a, b) >= MIN_OVERLAP`, answered as soon as too many
/// words are missing. Grouping asks it of every pair of items within the window, and
/// nearly every pair differs early.
fn overlaps(a: &[u64], b: &[u64]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() < MIN_WORDS {
        return false;
    }
    let n = short.len();
    // The fewest common words that reach the share, found with the same division
    // `overlap` makes, so the two never disagree at the boundary.
    let needed = (0..=n)
        .find(|&c| c as f64 / n as f64 >= MIN_OVERLAP)
        .unwrap_or(usize::MAX);
    let Some(may_miss) = n.checked_sub(needed) else {
        return false;
    };
    let mut missed = 0;
    for w in short {
        if long.binary_search(w).is_err() {
            missed += 1;
            if missed > may_miss {
                return false;
            }
        }
    }
    true
}

/// FNV-1a: stable, fast, and collisions between title words are rare enough to ignore.
fn word_hash(w: &str) -> u64 {
    w.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// What grouping needs to know of an item.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub source: String,
    pub language: Option<String>,
    pub published: DateTime<Utc>,
    pub codes: Vec<String>,
    /// The title's significant words ([`title_words`]).
    pub words: Vec<String>,
    /// The same words hashed and sorted: what comparisons use, cheaper than strings.
    hashes: Vec<u64>,
}

impl Candidate {
    pub fn new(
        source: &str,
        language: Option<&str>,
        published: DateTime<Utc>,
        codes: &[String],
        title: &str,
    ) -> Candidate {
        // Folded once: a publish with 1,000,000 items stored makes 600 candidates.
        let words = title_words(title);
        let mut hashes: Vec<u64> = words.iter().map(|w| word_hash(w)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        Candidate {
            source: source.to_string(),
            language: language
                .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_ascii_lowercase()),
            published,
            codes: codes.to_vec(),
            hashes,
            words,
        }
    }

    fn close_in_time(&self, other: &Candidate) -> bool {
        (self.published - other.published).abs() <= WINDOW
    }

    /// Whether the two share a code that makes them one development.
    pub fn same_code(&self, other: &Candidate) -> bool {
        self.codes.iter().any(|c| {
            other.codes.contains(c)
                && (!codes::is_unnumbered_follow_up(c) || self.close_in_time(other))
        })
    }

    /// Whether the two are the same story by title (see the module doc).
    pub fn same_story(&self, other: &Candidate) -> bool {
        self.source != other.source
            && self.language.is_some()
            && self.language == other.language
            && !(!self.codes.is_empty() && !other.codes.is_empty())
            && self.close_in_time(other)
            && overlaps(&self.hashes, &other.hashes)
    }
}

/// What the title pass of [`group`] compares for every pair within the window, as
/// integers: the source and language interned, the time in nanoseconds (exact, as the
/// `DateTime` it comes from). Comparing the strings and dates themselves took most of a
/// publish's grouping with 600 urgent items.
struct Brief {
    source: u32,
    language: Option<u32>,
    coded: bool,
    at: i128,
}

fn briefs<'a>(items: &'a [Candidate]) -> Vec<Brief> {
    let mut names: HashMap<&'a str, u32> = HashMap::new();
    let mut intern = |s: &'a str| -> u32 {
        let next = names.len() as u32;
        *names.entry(s).or_insert(next)
    };
    items
        .iter()
        .map(|c| Brief {
            source: intern(&c.source),
            language: c.language.as_deref().map(&mut intern),
            coded: !c.codes.is_empty(),
            at: nanos(c.published),
        })
        .collect()
}

fn nanos(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

/// Groups `items`: `code_only[i]` items join groups by code only (they are not in the
/// urgent selection themselves). Returns, per item, the index of its group's
/// representative (the smallest index in the group).
pub fn group(items: &[Candidate], code_only: &[bool]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..items.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let union = |p: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(p, a), find(p, b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            p[hi] = lo;
        }
    };
    // By code: a shared code is one development, so every holder joins the first;
    // unnumbered follow-ups join in time order, each within the window of the last.
    let mut by_code: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in items.iter().enumerate() {
        for code in &c.codes {
            by_code.entry(code.as_str()).or_default().push(i);
        }
    }
    for (code, members) in &mut by_code {
        if codes::is_unnumbered_follow_up(code) {
            members.sort_by_key(|&i| items[i].published);
            for w in members.windows(2) {
                if items[w[0]].close_in_time(&items[w[1]]) {
                    union(&mut parent, w[0], w[1]);
                }
            }
        } else {
            for &m in &members[1..] {
                union(&mut parent, members[0], m);
            }
        }
    }
    // By title: only pairs within the window, found by sorting on time, earliest pairs
    // first. A source tells a story once: two groups that both hold an item of the same
    // source are two stories (an original and its follow-up whose title extends it), so
    // a title match never joins them.
    let mut sources: HashMap<usize, Vec<&str>> = HashMap::new();
    for (i, c) in items.iter().enumerate() {
        let r = find(&mut parent, i);
        sources.entry(r).or_default().push(c.source.as_str());
    }
    let brief = briefs(items);
    let window = nanos(DateTime::UNIX_EPOCH + WINDOW);
    let mut order: Vec<usize> = (0..items.len()).filter(|&i| !code_only[i]).collect();
    order.sort_by_key(|&i| brief[i].at);
    for (k, &a) in order.iter().enumerate() {
        // `same_story`, field by field on the briefs, the words last.
        let ba = &brief[a];
        if ba.language.is_none() {
            continue;
        }
        for &b in &order[k + 1..] {
            let bb = &brief[b];
            if bb.at - ba.at > window {
                break;
            }
            if bb.source == ba.source
                || bb.language != ba.language
                || (ba.coded && bb.coded)
                || !overlaps(&items[a].hashes, &items[b].hashes)
            {
                continue;
            }
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra == rb {
                continue;
            }
            let (sa, sb) = (&sources[&ra], &sources[&rb]);
            if sa.iter().any(|x| sb.contains(x)) {
                continue;
            }
            let merged: Vec<&str> = sa.iter().chain(sb.iter()).copied().collect();
            union(&mut parent, a, b);
            let root = find(&mut parent, a);
            sources.insert(root, merged);
        }
    }
    (0..items.len()).map(|i| find(&mut parent, i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn cand(source: &str, lang: &str, day: u32, codes: &[&str], title: &str) -> Candidate {
        let codes: Vec<String> = codes.iter().map(|s| s.to_string()).collect();
        Candidate::new(
            source,
            Some(lang),
            Utc.with_ymd_and_hms(2020, 2, day, 12, 0, 0).unwrap(),
            &codes,
            title,
        )
    }

    #[test]
    fn overlaps_agrees_with_the_overlap_share_at_every_size() {
        for short in 0..=16u64 {
            for long in short..=24 {
                for common in 0..=short {
                    // `a` is 0..short; `b` holds the last `common` of them and more.
                    let a: Vec<u64> = (0..short).collect();
                    let b: Vec<u64> = (short - common..short - common + long).collect();
                    let want = overlap(&a, &b) >= MIN_OVERLAP;
                    assert_eq!(overlaps(&a, &b), want, "{short} {long} {common}");
                    assert_eq!(overlaps(&b, &a), want, "{short} {long} {common}");
                }
            }
        }
    }

    /// The title pass as it was written before the briefs: `same_story` on every pair
    /// within the window, earliest first.
    fn group_by_same_story(items: &[Candidate]) -> Vec<usize> {
        let mut parent: Vec<usize> = (0..items.len()).collect();
        fn find(p: &mut [usize], mut i: usize) -> usize {
            while p[i] != i {
                i = p[i];
            }
            i
        }
        let mut sources: HashMap<usize, Vec<&str>> = (0..items.len())
            .map(|i| (i, vec![items[i].source.as_str()]))
            .collect();
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| items[i].published);
        for (k, &a) in order.iter().enumerate() {
            for &b in &order[k + 1..] {
                if items[b].published - items[a].published > WINDOW {
                    break;
                }
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra == rb || !items[a].same_story(&items[b]) {
                    continue;
                }
                let (sa, sb) = (&sources[&ra], &sources[&rb]);
                if sa.iter().any(|x| sb.contains(x)) {
                    continue;
                }
                let merged: Vec<&str> = sa.iter().chain(sb.iter()).copied().collect();
                let (lo, hi) = (ra.min(rb), ra.max(rb));
                parent[hi] = lo;
                sources.insert(lo, merged);
            }
        }
        (0..items.len()).map(|i| find(&mut parent, i)).collect()
    }

    #[test]
    fn the_title_pass_groups_as_same_story_does() {
        // A small vocabulary, few sources and close times: many pairs are near-identical,
        // many are not, and times tie to the second and differ by nanoseconds.
        let words = [
            "arrest", "defender", "lawyer", "torture", "court", "moldova", "iran",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let base = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        for round in 0..40 {
            let items: Vec<Candidate> = (0..60)
                .map(|i| {
                    let title: Vec<&str> =
                        (0..3 + next(4)).map(|_| words[next(7) as usize]).collect();
                    // A code of its own: none groups by code, but two coded items
                    // never group by title.
                    let codes: Vec<String> = if next(6) == 0 {
                        vec![format!("OBS {i:03}")]
                    } else {
                        vec![]
                    };
                    let at = base
                        + Duration::hours(next(24 * 8) as i64)
                        + Duration::nanoseconds(next(3) as i64);
                    Candidate::new(
                        ["a", "b", "c", "d"][next(4) as usize],
                        [None, Some("en"), Some("EN-gb"), Some("fr")][next(4) as usize],
                        at,
                        &codes,
                        &title.join(" "),
                    )
                })
                .collect();
            let grouped = group(&items, &vec![false; items.len()]);
            assert_eq!(grouped, group_by_same_story(&items), "round {round}");
            assert!(
                grouped.iter().enumerate().any(|(i, r)| i != *r),
                "round {round}"
            );
        }
    }

    #[test]
    fn words_drop_honorifics_and_function_words() {
        assert_eq!(
            title_words("Iran: Arbitrary detention of Mrs. Nasrin Sotoudeh"),
            ["arbitrary", "detention", "iran", "nasrin", "sotoudeh"]
        );
    }

    #[test]
    fn same_story_needs_two_sources_one_language_and_a_short_interval() {
        let a = cand(
            "omct-en",
            "en",
            6,
            &[],
            "Iran: Arbitrary detention of Ms. Nasrin Sotoudeh",
        );
        let b = cand(
            "fidh-en",
            "en",
            7,
            &[],
            "Iran: Arbitrary detention of Mrs. Nasrin Sotoudeh",
        );
        assert!(a.same_story(&b));
        let same_source = cand(
            "omct-en",
            "en",
            7,
            &[],
            "Iran: Arbitrary detention of Mrs. Nasrin Sotoudeh",
        );
        assert!(!a.same_story(&same_source));
        let later = cand(
            "fidh-en",
            "en",
            20,
            &[],
            "Iran: Arbitrary detention of Mrs. Nasrin Sotoudeh",
        );
        assert!(!a.same_story(&later));
        let fr = cand(
            "fidh-fr",
            "fr",
            6,
            &[],
            "Iran: Arbitrary detention of Mrs. Nasrin Sotoudeh",
        );
        assert!(!a.same_story(&fr));
    }

    #[test]
    fn codes_decide_when_both_have_them() {
        let a = cand(
            "omct-fr",
            "fr",
            6,
            &["TUN 001/0517/OBS 052"],
            "Tunisie : Harcèlement judiciaire de Me Najet Laabidi",
        );
        let b = cand(
            "fidh-fr",
            "fr",
            7,
            &["TUN 001/0517/OBS 052.1"],
            "Tunisie : Harcèlement judiciaire de Me Najet Laabidi",
        );
        assert!(!a.same_story(&b) && !a.same_code(&b));
        let c = cand(
            "fidh-fr",
            "fr",
            28,
            &["TUN 001/0517/OBS 052"],
            "Another title entirely, weeks later",
        );
        assert!(
            a.same_code(&c),
            "a shared code groups whatever the title and date"
        );
    }

    #[test]
    fn unnumbered_follow_ups_group_only_within_the_window() {
        let code = ["Case MDA 170811 (follow-up)"];
        let a = cand(
            "omct-en",
            "en",
            1,
            &code,
            "Moldova: Follow-up of the case MDA 170811",
        );
        let b = cand(
            "omct-fr",
            "fr",
            2,
            &code,
            "Moldavie : suivi du cas MDA 170811",
        );
        let c = cand(
            "omct-en",
            "en",
            25,
            &code,
            "Moldova: Follow-up of the case MDA 170811",
        );
        assert!(a.same_code(&b));
        assert!(!a.same_code(&c));
    }

    #[test]
    fn groups_are_transitive_and_code_only_members_join_by_code() {
        let items = vec![
            cand(
                "omct-en",
                "en",
                6,
                &["MDA 001/0120/OBS 008"],
                "Arbitrary detention of whistleblower Mr. Alexandru Rjavitin",
            ),
            cand(
                "fidh-en",
                "en",
                6,
                &["MDA 001/0120/OBS 008"],
                "Moldova: Arbitrary detention of Mr. Alexandru Rjavitin",
            ),
            cand(
                "amnesty-en",
                "en",
                7,
                &[],
                "Moldova: Arbitrary detention of Alexandru Rjavitin",
            ),
            cand(
                "omct-en",
                "en",
                7,
                &[],
                "Iran: Arbitrary detention of Ms. Nasrin Sotoudeh",
            ),
            cand(
                "promolex-ro",
                "ro",
                7,
                &["MDA 001/0120/OBS 008"],
                "Observatorul: Detenție arbitrară",
            ),
        ];
        let g = group(&items, &[false, false, false, false, true]);
        assert_eq!(g, [0, 0, 0, 3, 0]);
    }
}
