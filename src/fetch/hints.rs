//! What servers and failures say about when to poll next. Pure functions of their
//! inputs and an explicit `now`, so they are tested without a clock.
//!
//! HTTP dates are parsed with `httpdate` (IMF-fixdate and the two obsolete forms). We do
//! not use a full HTTP cache crate (`http-cache-semantics`): tocsin stores no responses,
//! it only needs "how long may I wait", which is `max-age` or `Expires - Date`.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use url::Url;

/// Consecutive polls that must see the same permanent redirect before it is adopted.
pub const ADOPT_AFTER: u32 = 3;
/// A 410 Gone source is retried this often.
pub const GONE_RETRY: Duration = Duration::from_secs(24 * 3600);
/// Validators are dropped for one fetch at least this often (some servers send broken
/// ETags and would answer 304 for ever).
pub const REVALIDATE_EVERY: Duration = Duration::from_secs(24 * 3600);

fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    httpdate::parse_http_date(s.trim())
        .ok()
        .map(DateTime::<Utc>::from)
}

fn until(t: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (t - now).to_std().unwrap_or(Duration::ZERO)
}

/// `Retry-After`: delay-seconds or an HTTP date. A date in the past means now.
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    parse_http_date(v).map(|t| until(t, now))
}

/// Why the next poll waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    MaxAge,
    Expires,
    Ttl,
}

impl Hint {
    pub fn name(self) -> &'static str {
        match self {
            Hint::MaxAge => "max-age",
            Hint::Expires => "expires",
            Hint::Ttl => "ttl",
        }
    }
}

/// How long the response says it stays fresh: `Cache-Control: max-age` (which beats
/// `Expires`), else `Expires` relative to the response's `Date` (or `now`), and RSS
/// `<ttl>`; the longest of these. `no-cache` / `no-store` cancel the header hints.
pub fn freshness(
    cache_control: Option<&str>,
    expires: Option<&str>,
    date: Option<&str>,
    ttl_minutes: Option<u32>,
    now: DateTime<Utc>,
) -> Option<(Duration, Hint)> {
    let mut header: Option<(Duration, Hint)> = None;
    let mut no_cache = false;
    if let Some(cc) = cache_control {
        for d in cc.split(',') {
            let d = d.trim().to_ascii_lowercase();
            if d == "no-cache" || d == "no-store" {
                no_cache = true;
            } else if let Some(v) = d.strip_prefix("max-age=")
                && let Ok(secs) = v.trim_matches('"').parse::<u64>()
            {
                header = Some((Duration::from_secs(secs), Hint::MaxAge));
            }
        }
    }
    if header.is_none()
        && let Some(exp) = expires
    {
        // An invalid Expires (often "0" or "-1") means already expired.
        let base = date.and_then(parse_http_date).unwrap_or(now);
        let fresh = parse_http_date(exp).map_or(Duration::ZERO, |t| until(t, base));
        header = Some((fresh, Hint::Expires));
    }
    if no_cache {
        header = None;
    }
    let ttl = ttl_minutes.map(|m| (Duration::from_secs(u64::from(m) * 60), Hint::Ttl));
    [header, ttl]
        .into_iter()
        .flatten()
        .filter(|(d, _)| !d.is_zero())
        .max_by_key(|(d, _)| *d)
}

/// The delay after `failures` consecutive failures: `base · 2^(failures-1)`, capped,
/// then "equal jitter" (half fixed, half random by `jitter` ∈ [0, 1)), so sources that
/// failed together do not retry together.
pub fn backoff(failures: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let exp = failures.saturating_sub(1).min(32);
    let full = base.saturating_mul(1u32 << exp.min(31)).min(cap);
    let half = full / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// A random number in [0, 1) for [`backoff`]; std's per-process random hash keys are
/// enough for spreading retries.
pub fn jitter() -> f64 {
    use std::hash::{BuildHasher, RandomState};
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let x = RandomState::new().hash_one(nanos);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// One redirect followed during a fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub status: u16,
    pub from: Url,
    pub to: Url,
}

/// Where the permanent redirects (301/308) at the start of the chain lead, if the
/// chain starts with one. Temporary redirects (302/303/307) end it: they are followed,
/// never adopted.
pub fn permanent_target(hops: &[Hop]) -> Option<Url> {
    hops.iter()
        .take_while(|h| matches!(h.status, 301 | 308))
        .last()
        .map(|h| h.to.clone())
}

/// The permanent redirect a source is seen taking, and on how many consecutive polls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedirectTrack {
    pub target: Option<String>,
    pub seen: u32,
}

/// Folds one poll's permanent target into the track; `true` when it is now adopted.
pub fn track_redirect(prev: &RedirectTrack, observed: Option<&Url>) -> (RedirectTrack, bool) {
    match observed {
        None => (RedirectTrack::default(), false),
        Some(u) => {
            let seen = if prev.target.as_deref() == Some(u.as_str()) {
                prev.seen + 1
            } else {
                1
            };
            let adopt = seen >= ADOPT_AFTER;
            let track = if adopt {
                RedirectTrack::default()
            } else {
                RedirectTrack {
                    target: Some(u.to_string()),
                    seen,
                }
            };
            (track, adopt)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(retry_after("120", now()), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Fri, 01 May 2026 13:30:00 GMT", now()),
            Some(Duration::from_secs(5400))
        );
        assert_eq!(
            retry_after("Fri, 01 May 2026 11:00:00 GMT", now()),
            Some(Duration::ZERO),
            "a past date means now"
        );
        assert_eq!(retry_after("soon", now()), None);
    }

    #[test]
    fn freshness_prefers_max_age_and_takes_the_longest_hint() {
        let f =
            |cc, exp, ttl| freshness(cc, exp, Some("Fri, 01 May 2026 12:00:00 GMT"), ttl, now());
        assert_eq!(
            f(
                Some("public, max-age=600"),
                Some("Fri, 01 May 2026 15:00:00 GMT"),
                None
            ),
            Some((Duration::from_secs(600), Hint::MaxAge))
        );
        assert_eq!(
            f(None, Some("Fri, 01 May 2026 12:20:00 GMT"), None),
            Some((Duration::from_secs(1200), Hint::Expires))
        );
        assert_eq!(f(None, Some("0"), None), None, "invalid Expires is stale");
        assert_eq!(
            f(Some("max-age=60"), None, Some(30)),
            Some((Duration::from_secs(1800), Hint::Ttl))
        );
        assert_eq!(f(Some("no-cache, max-age=600"), None, None), None);
        assert_eq!(f(None, None, None), None);
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let (base, cap) = (Duration::from_secs(60), Duration::from_secs(6 * 3600));
        assert_eq!(backoff(1, base, cap, 1.0), Duration::from_secs(60));
        assert_eq!(backoff(1, base, cap, 0.0), Duration::from_secs(30));
        assert_eq!(backoff(3, base, cap, 1.0), Duration::from_secs(240));
        assert_eq!(backoff(40, base, cap, 1.0), cap, "capped, no overflow");
        assert!(backoff(40, base, cap, 0.5) < cap);
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn a_permanent_redirect_is_adopted_on_the_third_consecutive_poll() {
        let u = |s: &str| Url::parse(s).unwrap();
        let hop = |status, from: &str, to: &str| Hop {
            status,
            from: u(from),
            to: u(to),
        };
        let chain = [
            hop(301, "http://a/", "http://b/"),
            hop(308, "http://b/", "http://c/"),
            hop(302, "http://c/", "http://d/"),
        ];
        assert_eq!(permanent_target(&chain), Some(u("http://c/")));
        assert_eq!(permanent_target(&chain[2..]), None, "302 is never adopted");

        let c = u("http://c/");
        let (t1, a1) = track_redirect(&RedirectTrack::default(), Some(&c));
        let (t2, a2) = track_redirect(&t1, Some(&c));
        assert!(!a1 && !a2);
        let (reset, _) = track_redirect(&t2, None);
        assert_eq!(reset, RedirectTrack::default(), "a poll without it resets");
        let (t3, a3) = track_redirect(&t2, Some(&c));
        assert!(a3);
        assert_eq!(t3, RedirectTrack::default());
        let (other, _) = track_redirect(&t2, Some(&u("http://e/")));
        assert_eq!(other.seen, 1, "another target starts over");
    }
}
