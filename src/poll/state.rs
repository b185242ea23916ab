//! The source's next state after a poll: pure functions of the previous state, what
//! happened, the config and an explicit `now` (and jitter), so every rule here is
//! unit-tested without a clock or a server.

use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use crate::fetch::hints::{
    self, GONE_RETRY, REVALIDATE_EVERY, RedirectTrack, permanent_target, track_redirect,
};
use crate::fetch::{Meta, Validators};
use crate::source::{Source, SourceKind};
use crate::store::SourceState;

/// What to fetch for a poll.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub url: Url,
    /// Empty when this fetch must be unconditional.
    pub validators: Validators,
}

fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// The adopted URL, when it was adopted for the URL the config names now.
fn adopted(source: &Source, prev: &SourceState) -> Option<Url> {
    let from = prev.adopted_from.as_deref()?;
    if from != source.url.as_str() {
        return None;
    }
    prev.adopted_url.as_deref().and_then(|u| Url::parse(u).ok())
}

/// Which URL to poll and with which validators. Validators are sent only to the URL
/// they came from, and not at all when the last unconditional fetch is a day old.
pub fn plan(source: &Source, prev: &SourceState, now: DateTime<Utc>) -> Plan {
    let url = adopted(source, prev).unwrap_or_else(|| source.url.clone());
    let fresh = prev
        .last_unconditional
        .is_some_and(|t| after(t, REVALIDATE_EVERY) > now);
    let validators = if fresh && prev.url == url.as_str() && !in_fallback(source, prev) {
        Validators {
            etag: prev.etag.clone(),
            last_modified: prev.last_modified.clone(),
        }
    } else {
        Validators::default()
    };
    Plan { url, validators }
}

/// Whether the source is a listing read by detection because its selectors matched
/// nothing on the last parse (`on_layout_change = "auto"`; its note is kept in
/// `repaired`). Such a listing is fetched without validators and read whole at every
/// poll, even when its body did not change, so a fix of the selectors takes effect at
/// the next poll and the warning is logged at each.
pub fn in_fallback(source: &Source, prev: &SourceState) -> bool {
    matches!(&source.kind, SourceKind::Html(h) if !h.is_auto()) && prev.repaired.is_some()
}

/// What a successful poll brought.
#[derive(Debug, Clone)]
pub enum Got {
    /// 304.
    NotModified,
    /// The same bytes as last time: not parsed.
    SameBody,
    /// A parsed body.
    Parsed {
        body_hash: String,
        ttl_minutes: Option<u32>,
        encoding: String,
        repaired: Option<String>,
    },
}

/// A permanent redirect adopted by this poll.
#[derive(Debug, Clone, PartialEq)]
pub struct Adoption {
    pub from: String,
    pub to: String,
}

fn common(source: &Source, prev: &SourceState, plan: &Plan, now: DateTime<Utc>) -> SourceState {
    let mut s = prev.clone();
    s.id = source.id.clone();
    s.url = plan.url.to_string();
    s.last_poll = Some(now);
    if adopted(source, prev).is_none() {
        s.adopted_url = None;
        s.adopted_from = None;
    }
    s
}

/// The state after a poll that got a response worth keeping.
pub fn on_success(
    source: &Source,
    prev: &SourceState,
    plan: &Plan,
    meta: &Meta,
    got: &Got,
    now: DateTime<Utc>,
) -> (SourceState, Option<Adoption>) {
    let mut s = common(source, prev, plan, now);
    s.last_success = Some(now);
    s.last_status = meta.status;
    s.last_error = None;
    s.failures = 0;
    s.gone_since = None;
    if plan.validators.is_empty() {
        s.last_unconditional = Some(now);
    }
    // A 304 may omit validators it does not change; a 200 replaces them.
    match got {
        Got::NotModified => {
            if meta.validators.etag.is_some() {
                s.etag = meta.validators.etag.clone();
            }
            if meta.validators.last_modified.is_some() {
                s.last_modified = meta.validators.last_modified.clone();
            }
        }
        Got::SameBody | Got::Parsed { .. } => {
            s.etag = meta.validators.etag.clone();
            s.last_modified = meta.validators.last_modified.clone();
        }
    }
    let mut ttl = None;
    if let Got::Parsed {
        body_hash,
        ttl_minutes,
        encoding,
        repaired,
    } = got
    {
        s.body_hash = Some(body_hash.clone());
        s.encoding = Some(encoding.clone());
        s.repaired = repaired.clone();
        ttl = *ttl_minutes;
    }
    match hints::freshness(
        meta.cache_control.as_deref(),
        meta.expires.as_deref(),
        meta.date.as_deref(),
        ttl,
        now,
    ) {
        Some((fresh, hint)) => {
            s.next_due = Some(after(now, fresh.min(source.max_defer)));
            s.due_reason = Some(hint.name().to_string());
        }
        None => {
            s.next_due = None;
            s.due_reason = None;
        }
    }
    let prev_track = RedirectTrack {
        target: prev.redirect_target.clone(),
        seen: prev.redirect_seen,
    };
    let (track, adopt) = track_redirect(&prev_track, permanent_target(&meta.redirects).as_ref());
    s.redirect_target = track.target;
    s.redirect_seen = track.seen;
    let mut adoption = None;
    if adopt && let Some(to) = permanent_target(&meta.redirects) {
        adoption = Some(Adoption {
            from: plan.url.to_string(),
            to: to.to_string(),
        });
        s.adopted_url = Some(to.to_string());
        s.adopted_from = Some(source.url.to_string());
    }
    (s, adoption)
}

/// How polls back off after failures, and how long a server may make them wait
/// (`[fetch] backoff_base`, `backoff_cap`, `retry_after_cap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// First delay after a failure; doubles with each consecutive failure.
    pub backoff_base: Duration,
    /// Longest delay after failures.
    pub backoff_cap: Duration,
    /// Longest wait a 429/503 `Retry-After` can impose.
    pub retry_after_cap: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            backoff_base: Duration::from_secs(60),
            backoff_cap: Duration::from_secs(6 * 3600),
            retry_after_cap: Duration::from_secs(6 * 3600),
        }
    }
}

/// How a poll failed, as far as the schedule cares.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    pub status: Option<u16>,
    pub retry_after: Option<String>,
    pub message: String,
}

/// The state after a failed poll: one more failure, retried after a jittered backoff,
/// a `Retry-After` (capped) when the server sent one, or a day for 410 Gone. Items,
/// validators and the body hash stay as they were.
pub fn on_failure(
    source: &Source,
    prev: &SourceState,
    plan: &Plan,
    fail: &Failure,
    policy: &Retry,
    now: DateTime<Utc>,
    jitter: f64,
) -> SourceState {
    let mut s = common(source, prev, plan, now);
    s.last_status = fail.status;
    s.last_error = Some(fail.message.clone());
    s.failures = prev.failures.saturating_add(1);
    if fail.status == Some(410) {
        s.gone_since = prev.gone_since.or(Some(now));
        s.next_due = Some(after(now, GONE_RETRY));
        s.due_reason = Some("gone".into());
        return s;
    }
    s.gone_since = None;
    let backoff = hints::backoff(s.failures, policy.backoff_base, policy.backoff_cap, jitter);
    let asked = fail
        .retry_after
        .as_deref()
        .and_then(|v| hints::retry_after(v, now))
        .map(|d| d.min(policy.retry_after_cap));
    let (delay, reason) = match asked {
        Some(d) if d >= backoff => (d, "retry-after"),
        _ => (backoff, "backoff"),
    };
    s.next_due = Some(after(now, delay));
    s.due_reason = Some(reason.into());
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::Hop;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, h, m, 0).unwrap()
    }

    fn source() -> Source {
        Source {
            id: "s".into(),
            title: "S".into(),
            url: Url::parse("http://old.example/feed").unwrap(),
            language: None,
            schedule: "0 */10 * * * *".into(),
            enabled: true,
            trust: 0,
            fetch: Default::default(),
            max_defer: Duration::from_secs(3600),
            kind: Default::default(),
        }
    }

    fn meta(status: u16) -> Meta {
        Meta {
            status: Some(status),
            validators: Validators {
                etag: Some("\"v1\"".into()),
                last_modified: None,
            },
            ..Meta::default()
        }
    }

    fn parsed() -> Got {
        Got::Parsed {
            body_hash: "h".into(),
            ttl_minutes: None,
            encoding: "UTF-8 (detected)".into(),
            repaired: None,
        }
    }

    #[test]
    fn validators_are_sent_until_a_day_has_passed() {
        let src = source();
        let first = plan(&src, &SourceState::default(), t(0, 0));
        assert!(first.validators.is_empty());
        let (s, _) = on_success(
            &src,
            &SourceState::default(),
            &first,
            &meta(200),
            &parsed(),
            t(0, 0),
        );
        assert_eq!(s.last_unconditional, Some(t(0, 0)));
        let p = plan(&src, &s, t(23, 59));
        assert_eq!(p.validators.etag.as_deref(), Some("\"v1\""));
        let (s2, _) = on_success(&src, &s, &p, &meta(304), &Got::NotModified, t(23, 59));
        assert_eq!(
            s2.last_unconditional,
            Some(t(0, 0)),
            "a conditional fetch does not count"
        );
        let next_day = t(0, 0) + chrono::Duration::hours(24);
        assert!(
            plan(&src, &s2, next_day).validators.is_empty(),
            "forced daily"
        );
    }

    #[test]
    fn freshness_defers_but_never_past_max_defer() {
        let src = source();
        let p = plan(&src, &SourceState::default(), t(0, 0));
        let mut m = meta(200);
        m.cache_control = Some("max-age=600".into());
        let (s, _) = on_success(&src, &SourceState::default(), &p, &m, &parsed(), t(0, 0));
        assert_eq!(s.next_due, Some(t(0, 10)));
        assert_eq!(s.due_reason.as_deref(), Some("max-age"));
        m.cache_control = Some("max-age=86400".into());
        let (s, _) = on_success(&src, &SourceState::default(), &p, &m, &parsed(), t(0, 0));
        assert_eq!(s.next_due, Some(t(1, 0)), "capped at max_defer (1 h)");
        let got = Got::Parsed {
            body_hash: "h".into(),
            ttl_minutes: Some(30),
            encoding: String::new(),
            repaired: None,
        };
        let (s, _) = on_success(&src, &SourceState::default(), &p, &meta(200), &got, t(0, 0));
        assert_eq!(
            (s.next_due, s.due_reason.as_deref()),
            (Some(t(0, 30)), Some("ttl"))
        );
    }

    #[test]
    fn failures_back_off_honour_retry_after_and_reset_on_success() {
        let (src, policy) = (source(), Retry::default());
        let p = plan(&src, &SourceState::default(), t(0, 0));
        let fail = Failure {
            status: Some(500),
            retry_after: None,
            message: "HTTP 500".into(),
        };
        let mut s = SourceState::default();
        let mut delays = Vec::new();
        for _ in 0..12 {
            s = on_failure(&src, &s, &p, &fail, &policy, t(0, 0), 1.0);
            delays.push((s.next_due.unwrap() - t(0, 0)).num_seconds());
        }
        assert_eq!(&delays[..4], &[60, 120, 240, 480]);
        assert_eq!(*delays.last().unwrap(), 6 * 3600, "capped");
        assert_eq!(s.failures, 12);
        assert_eq!(s.due_reason.as_deref(), Some("backoff"));

        let busy = Failure {
            status: Some(429),
            retry_after: Some("7200".into()),
            message: "HTTP 429".into(),
        };
        let r = on_failure(
            &src,
            &SourceState::default(),
            &p,
            &busy,
            &policy,
            t(0, 0),
            1.0,
        );
        assert_eq!(
            (r.next_due, r.due_reason.as_deref()),
            (Some(t(2, 0)), Some("retry-after"))
        );
        let greedy = Failure {
            retry_after: Some("999999".into()),
            ..busy
        };
        let r = on_failure(
            &src,
            &SourceState::default(),
            &p,
            &greedy,
            &policy,
            t(0, 0),
            1.0,
        );
        assert_eq!(r.next_due, Some(t(6, 0)), "capped at retry_after_cap");

        let (ok, _) = on_success(&src, &s, &p, &meta(200), &parsed(), t(1, 0));
        assert_eq!((ok.failures, ok.next_due, ok.last_error), (0, None, None));
    }

    #[test]
    fn gone_is_retried_daily_and_never_disabled() {
        let (src, policy) = (source(), Retry::default());
        let p = plan(&src, &SourceState::default(), t(0, 0));
        let gone = Failure {
            status: Some(410),
            ..Failure::default()
        };
        let s = on_failure(
            &src,
            &SourceState::default(),
            &p,
            &gone,
            &policy,
            t(0, 0),
            0.5,
        );
        assert_eq!(s.gone_since, Some(t(0, 0)));
        assert_eq!(s.next_due, Some(t(0, 0) + chrono::Duration::hours(24)));
        let s2 = on_failure(&src, &s, &p, &gone, &policy, t(5, 0), 0.5);
        assert_eq!(s2.gone_since, Some(t(0, 0)), "gone since the first 410");
        assert!(!s2.is_due(t(6, 0)) && s2.is_due(t(5, 0) + chrono::Duration::hours(24)));
    }

    #[test]
    fn permanent_redirect_adopted_after_three_polls_and_dropped_when_config_changes() {
        let mut src = source();
        let mut m = meta(200);
        let new = Url::parse("http://new.example/feed").unwrap();
        m.redirects = vec![Hop {
            status: 301,
            from: src.url.clone(),
            to: new.clone(),
        }];
        let mut s = SourceState::default();
        let mut adoptions = Vec::new();
        for i in 0..3 {
            let p = plan(&src, &s, t(i, 0));
            assert_eq!(p.url, src.url);
            let (next, a) = on_success(&src, &s, &p, &m, &Got::SameBody, t(i, 0));
            s = next;
            adoptions.push(a);
        }
        assert_eq!(adoptions[..2], [None, None]);
        assert_eq!(
            adoptions[2],
            Some(Adoption {
                from: src.url.to_string(),
                to: new.to_string()
            })
        );
        assert_eq!(plan(&src, &s, t(4, 0)).url, new);
        let mut temp = meta(200);
        temp.redirects = vec![Hop {
            status: 302,
            from: src.url.clone(),
            to: new.clone(),
        }];
        let (t1, _) = on_success(
            &src,
            &SourceState::default(),
            &plan(&src, &SourceState::default(), t(0, 0)),
            &temp,
            &Got::SameBody,
            t(0, 0),
        );
        assert_eq!(t1.redirect_seen, 0, "302 is never counted");
        src.url = Url::parse("http://other.example/feed").unwrap();
        assert_eq!(
            plan(&src, &s, t(5, 0)).url,
            src.url,
            "config change drops it"
        );
    }
}
