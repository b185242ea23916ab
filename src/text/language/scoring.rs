//! whatlang's combined method, computed here for Latin and Cyrillic texts over the
//! allowlisted languages only (see the parent module's header): the crate's own
//! alphabets and trigram profiles (`../language_profiles.txt`), scores, weights and
//! confidence rule, with an inverted trigram index. Every other script goes to whatlang.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use whatlang::{Lang, Script};

use super::{ALLOWLIST, DETECTOR};

/// whatlang's threshold for a reliable guess (`RELIABLE_CONFIDENCE_THRESHOLD`).
pub(super) const RELIABLE_CONFIDENCE: f64 = 0.9;

/// whatlang's guess and its confidence, as `DETECTOR.detect` gives them.
pub(super) fn guess(text: &str) -> Option<(Lang, f64)> {
    let model = match whatlang::detect_script(text)? {
        Script::Latin => MODELS.latin.as_ref(),
        Script::Cyrillic => MODELS.cyrillic.as_ref(),
        _ => None,
    };
    match model {
        Some(model) => Some(SCRATCH.with_borrow_mut(|scratch| model.guess(text, scratch))),
        None => {
            let info = DETECTOR.detect(text)?;
            Some((info.lang(), info.confidence()))
        }
    }
}

/// A trigram's three characters in one integer, ordered as whatlang orders its
/// `Trigram(char, char, char)` (characters fit in 21 bits).
fn pack(c1: char, c2: char, c3: char) -> u64 {
    (u64::from(c1) << 42) | (u64::from(c2) << 21) | u64::from(c3)
}

/// whatlang's `MAX_TRIGRAM_DISTANCE`: a profile's length, and the distance a missing
/// trigram costs.
const MAX_TRIGRAM_DISTANCE: u32 = 300;
/// whatlang's `TEXT_TRIGRAMS_SIZE`: how many of the text's trigrams count.
const TEXT_TRIGRAMS_SIZE: usize = 600;
/// The most allowlisted languages one script has (nine Latin ones).
const MAX_LANGS: usize = 16;

/// One script's allowlisted languages, their alphabets and trigram profiles.
pub(super) struct ScriptModel {
    /// In whatlang's order for the script (`Script::langs`), which its alphabet scores
    /// keep and its final sort breaks ties by.
    langs: Vec<Lang>,
    /// Each ASCII letter: which of `langs` (bits) have it in their alphabet.
    ascii: [u16; 128],
    /// The other letters of the alphabets, sorted, with theirs.
    letters: Vec<(char, u16)>,
    /// Each profile trigram: which of `langs` has it, at which rank.
    /// (where its entries start in `hits` << 8 | how many there are).
    trigrams: HashMap<u64, u32, BuildHasherDefault<TrigramHasher>>,
    /// The profile entries of every trigram, one run each: (language, rank).
    hits: Vec<(u8, u16)>,
}

/// Buffers reused across guesses on one thread.
#[derive(Default)]
struct Scratch {
    trigrams: Vec<u64>,
    counted: Vec<(u32, u64)>,
    /// How many distinct trigrams occur n times, then how many occur more often.
    by_count: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// `None` for a script none of whose languages is allowlisted: whatlang answers those.
pub(super) struct Models {
    pub(super) latin: Option<ScriptModel>,
    pub(super) cyrillic: Option<ScriptModel>,
}

pub(super) static MODELS: LazyLock<Models> = LazyLock::new(|| Models {
    latin: ScriptModel::load(Script::Latin, "latin"),
    cyrillic: ScriptModel::load(Script::Cyrillic, "cyrillic"),
});

/// whatlang 0.18's alphabets and trigram profiles of the allowlisted Latin and Cyrillic
/// languages (see the file's header).
pub(super) const PROFILES: &str = include_str!("../language_profiles.txt");

impl ScriptModel {
    /// Reads the script's tables from [`PROFILES`]. The file is part of the binary and
    /// checked by the tests: a language missing from it is a build defect.
    fn load(script: Script, name: &str) -> Option<Self> {
        let langs: Vec<Lang> = script
            .langs()
            .iter()
            .copied()
            .filter(|l| ALLOWLIST.contains(l))
            .collect();
        if langs.is_empty() {
            return None;
        }
        assert!(langs.len() <= MAX_LANGS, "too many {name} languages");
        let mut letters: HashMap<char, u16> = HashMap::new();
        let mut profiles: HashMap<u64, Vec<(u8, u16)>> = HashMap::new();
        let mut seen = (0u16, 0u16);
        for line in PROFILES.lines().filter(|l| !l.starts_with('#')) {
            let mut fields = line.splitn(4, ' ');
            let (Some(kind), Some(s), Some(code), Some(data)) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                panic!("language_profiles.txt: malformed line {line:?}");
            };
            let Some(i) = langs.iter().position(|l| l.code() == code) else {
                continue;
            };
            if s != name {
                continue;
            }
            let bit = 1u16 << i;
            match kind {
                "alphabet" => {
                    seen.0 |= bit;
                    for c in data.chars() {
                        *letters.entry(c).or_insert(0) |= bit;
                    }
                }
                "trigrams" => {
                    seen.1 |= bit;
                    let chars: Vec<char> = data
                        .chars()
                        .map(|c| if c == '_' { ' ' } else { c })
                        .collect();
                    assert_eq!(chars.len(), 3 * MAX_TRIGRAM_DISTANCE as usize, "{code}");
                    for (rank, t) in chars.chunks(3).enumerate() {
                        let entry = profiles.entry(pack(t[0], t[1], t[2])).or_default();
                        assert!(!entry.iter().any(|&(l, _)| usize::from(l) == i), "{code}");
                        entry.push((i as u8, rank as u16));
                    }
                }
                _ => panic!("language_profiles.txt: unknown kind {kind:?}"),
            }
        }
        let all = u16::MAX >> (16 - langs.len());
        assert!(
            seen == (all, all),
            "language_profiles.txt lacks a {name} language"
        );
        let mut ascii = [0u16; 128];
        let mut others = Vec::new();
        for (c, bits) in letters {
            match usize::try_from(u32::from(c)) {
                Ok(i) if i < ascii.len() => ascii[i] = bits,
                _ => others.push((c, bits)),
            }
        }
        others.sort_unstable();
        let mut trigrams = HashMap::default();
        let mut hits = Vec::new();
        for (t, entries) in profiles {
            let start = u32::try_from(hits.len()).expect("a few thousand entries");
            trigrams.insert(t, start << 8 | entries.len() as u32);
            hits.extend(entries);
        }
        Some(ScriptModel {
            langs,
            ascii,
            letters: others,
            trigrams,
            hits,
        })
    }

    /// whatlang's combined method (alphabet and trigram scores) over this script's
    /// allowlisted languages, step for step where an order or a rounding could differ.
    fn guess(&self, text: &str, scratch: &mut Scratch) -> (Lang, f64) {
        // whatlang's `LowercaseText` (`str::to_lowercase`, which also knows a final
        // sigma: not the same as lowercasing each character).
        let lower = text.to_lowercase();
        let (letters, alphabet) = self.alphabet_scores(&lower);
        let (count, saved) = self.trigram_savings(&lower, scratch);

        // Each language's distance (`calculate_distance`): the sum over its profile of
        // |rank in text - rank in profile|, or 300 for a trigram the text lacks; here 300
        // per profile trigram less what each matched one saved.
        let max_total = MAX_TRIGRAM_DISTANCE * MAX_TRIGRAM_DISTANCE;
        let max_dist = count as u32 * MAX_TRIGRAM_DISTANCE;
        let trigram_score = |i: usize| {
            let total = i64::from(max_total) - saved[i];
            let mut dist = u32::try_from(total).unwrap_or(0);
            if MAX_TRIGRAM_DISTANCE > count as u32 {
                dist -= (MAX_TRIGRAM_DISTANCE - count as u32) * MAX_TRIGRAM_DISTANCE;
            }
            let dist = dist.clamp(0, max_total);
            f64::from(max_dist - dist) / f64::from(max_dist)
        };

        // Combined (`combined::raw_detect`), in the alphabet scores' order.
        let alphabet_weight = (-(letters as f64 / 300.0) + 2.0 / 3.0).clamp(1.0 / 3.0, 2.0 / 3.0);
        let trigram_weight = 1.0 - alphabet_weight;
        let mut scores: Vec<(Lang, f64)> = alphabet
            .iter()
            .map(|&(lang, raw)| {
                let i = self.langs.iter().position(|&l| l == lang).unwrap_or(0);
                let a = raw as f64 / letters as f64;
                (
                    lang,
                    a * alphabet_weight + trigram_score(i) * trigram_weight,
                )
            })
            .collect();
        scores.sort_unstable_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Less));
        let (lang, first) = scores[0];
        let confidence = match scores.get(1) {
            Some(&(_, second)) => confidence(first, second, count),
            None => 1.0,
        };
        (lang, confidence)
    }

    /// The text's letters, and each language's alphabet score: two points per letter of
    /// its alphabet, less one per letter of the text (`generic_alphabet_calculate_scores`),
    /// sorted as whatlang sorts them.
    fn alphabet_scores(&self, lower: &str) -> (usize, Vec<(Lang, usize)>) {
        let mut letters = 0usize;
        let mut in_alphabet = [0usize; MAX_LANGS];
        let add = |in_alphabet: &mut [usize; MAX_LANGS], mut bits: u16, n: usize| {
            while bits != 0 {
                in_alphabet[bits.trailing_zeros() as usize] += n;
                bits &= bits - 1;
            }
        };
        // ASCII letters counted first, then given to their alphabets once each.
        let mut ascii = [0usize; 128];
        for c in lower.chars().filter(|&c| !is_stop_char(c)) {
            letters += 1;
            match usize::try_from(u32::from(c)) {
                Ok(i) if i < ascii.len() => ascii[i] += 1,
                _ => {
                    if let Ok(at) = self.letters.binary_search_by_key(&c, |&(l, _)| l) {
                        add(&mut in_alphabet, self.letters[at].1, 1);
                    }
                }
            }
        }
        for (i, &n) in ascii.iter().enumerate().filter(|&(_, &n)| n > 0) {
            add(&mut in_alphabet, self.ascii[i], n);
        }
        let mut alphabet: Vec<(Lang, usize)> = self
            .langs
            .iter()
            .enumerate()
            .map(|(i, &l)| (l, (2 * in_alphabet[i]).saturating_sub(letters)))
            .collect();
        alphabet.sort_unstable_by_key(|(_, score)| Reverse(*score));
        (letters, alphabet)
    }

    /// The text's trigrams, ranked by count then by trigram, both descending (`count`
    /// and `trigram_occurances_to_positions`), the first 600; and for each language,
    /// what its profile's matched trigrams save on the distance: 300 - |rank in text -
    /// rank in profile| each.
    fn trigram_savings(&self, lower: &str, scratch: &mut Scratch) -> (usize, [i64; MAX_LANGS]) {
        let tris = &mut scratch.trigrams;
        tris.clear();
        let mut chars = lower
            .chars()
            .map(|c| if is_stop_char(c) { ' ' } else { c })
            .chain(Some(' '));
        let mut c1 = ' ';
        let mut c2 = chars.next().unwrap_or(' ');
        for c3 in chars {
            if !(c2 == ' ' && (c1 == ' ' || c3 == ' ')) {
                tris.push(pack(c1, c2, c3));
            }
            c1 = c2;
            c2 = c3;
        }
        tris.sort_unstable();
        let counted = &mut scratch.counted;
        counted.clear();
        for &t in tris.iter() {
            match counted.last_mut() {
                Some((n, last)) if *last == t => *n += 1,
                _ => counted.push((1, t)),
            }
        }
        // A trigram's rank is the number of those that occur more often, plus those
        // as frequent that are greater (`counted` is in ascending trigram order): a
        // counting sort, with the order whatlang's sort gives.
        let by_count = &mut scratch.by_count;
        by_count.clear();
        let most = counted.iter().map(|&(n, _)| n).max().unwrap_or(0) as usize;
        by_count.resize(most + 2, 0);
        for &(n, _) in counted.iter() {
            by_count[n as usize] += 1;
        }
        let mut more = 0;
        for n in (0..by_count.len()).rev() {
            (by_count[n], more) = (more, more + by_count[n]);
        }
        let mut saved = [0i64; MAX_LANGS];
        for &(n, t) in counted.iter().rev() {
            let pos = by_count[n as usize] as usize;
            by_count[n as usize] += 1;
            if pos >= TEXT_TRIGRAMS_SIZE {
                continue;
            }
            if let Some(&at) = self.trigrams.get(&t) {
                let start = (at >> 8) as usize;
                for &(l, rank) in &self.hits[start..start + (at & 0xff) as usize] {
                    let d = (pos as i64 - i64::from(rank)).abs();
                    saved[usize::from(l)] += i64::from(MAX_TRIGRAM_DISTANCE) - d;
                }
            }
        }
        let count = counted.len().min(TEXT_TRIGRAMS_SIZE);
        (count, saved)
    }
}

/// whatlang's `calculate_confidence`.
fn confidence(highest: f64, second: f64, count: usize) -> f64 {
    if highest == 0.0 {
        return 0.0;
    }
    if second == 0.0 {
        return highest;
    }
    let confident_rate = (3.0 / count as f64) + 0.015;
    let rate = (highest - second) / second;
    if rate > confident_rate {
        1.0
    } else {
        rate / confident_rate
    }
}

/// whatlang's `is_stop_char`: ASCII punctuation, digits and controls, read as spaces.
fn is_stop_char(c: char) -> bool {
    matches!(c, '\u{0000}'..='\u{0040}' | '\u{005B}'..='\u{0060}' | '\u{007B}'..='\u{007E}')
}

/// Hashes a packed trigram (already well spread over its 63 bits) with one multiply.
#[derive(Default)]
struct TrigramHasher(u64);

impl Hasher for TrigramHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        // splitmix64's finaliser: every bit of the key reaches the low bits (the
        // bucket) and the top ones (hashbrown's tag).
        let mut h = self.0 ^ n;
        h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = h ^ (h >> 31);
    }
}
