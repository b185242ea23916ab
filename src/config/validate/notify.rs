//! `[smtp]` and `[[notify]]`, validated into the alert stage's channels.
//!
//! Secrets (`password_file`, `secret_file`) are read here, at load and at every
//! reload: a file that cannot be read is a config problem naming the key (a reload
//! then keeps the running config), never a failure discovered when an alert is due.
//! Their content is never logged or printed.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use globset::{Glob, GlobSetBuilder};
use lettre::message::Mailbox;
use url::Url;

use super::super::raw::{RawNotify, RawSmtp};
use super::{Checker, KeyPath, count, duration, resolve, root};
use crate::alert::{Channel, Events, Filter, Kind, Mode, Secret, Security, Smtp, Templates};
use crate::schedule::parse_cron;

/// The largest secret file read.
const MAX_SECRET: u64 = 64 * 1024;

/// Reads a secret file (trailing newline dropped).
fn secret(c: &mut Checker, key: KeyPath, path: &str, base: &Path) -> Option<Secret> {
    let p = resolve(base, path);
    let read = std::fs::metadata(&p).and_then(|m| {
        if m.len() > MAX_SECRET {
            Err(std::io::Error::other("larger than 64 KiB: not a secret"))
        } else {
            std::fs::read_to_string(&p)
        }
    });
    match read {
        Ok(s) => {
            let s = s.trim_end_matches(['\n', '\r']).to_string();
            if s.is_empty() {
                c.problem(key, format!("{} is empty", p.display()));
                None
            } else {
                Some(Secret::new(s))
            }
        }
        Err(e) => {
            c.problem(key, format!("cannot read {}: {e}", p.display()));
            None
        }
    }
}

fn mailbox(c: &mut Checker, key: KeyPath, s: &str) -> Option<Mailbox> {
    match s.parse::<Mailbox>() {
        Ok(m) => Some(m),
        Err(e) => {
            c.problem(
                key,
                format!("`{s}` is not an e-mail address such as \"Desk <desk@example.org>\": {e}"),
            );
            None
        }
    }
}

/// `[smtp]`.
pub(super) fn smtp(c: &mut Checker, raw: Option<RawSmtp>, base: &Path) -> Option<Smtp> {
    let raw = raw?;
    let key = |k: &str| root("smtp").key(k);
    let security = match raw.security.as_deref() {
        None | Some("starttls") => Security::StartTls,
        Some("none") => Security::None,
        Some("tls") => Security::Tls,
        Some(other) => {
            c.problem(
                key("security"),
                format!("`{other}` is not one of \"none\", \"starttls\", \"tls\""),
            );
            Security::StartTls
        }
    };
    let default_port = match security {
        Security::None => 25,
        Security::StartTls => 587,
        Security::Tls => 465,
    };
    let port = count(c, key("port"), raw.port, 1..=65535, default_port, 25) as u16;
    let host = match raw.host {
        Some(h) if !h.trim().is_empty() && !h.contains(char::is_whitespace) => h,
        Some(h) => {
            c.problem(key("host"), format!("`{h}` is not a host name"));
            String::new()
        }
        None => {
            c.problem(root("smtp"), "`host` is required");
            String::new()
        }
    };
    let password = raw
        .password_file
        .as_deref()
        .and_then(|p| secret(c, key("password_file"), p, base));
    match (&raw.username, &raw.password_file) {
        (Some(_), None) => c.problem(key("username"), "needs `password_file`"),
        (None, Some(_)) => c.problem(key("password_file"), "needs `username`"),
        _ => {}
    }
    let from = match raw.from.as_deref() {
        Some(f) => mailbox(c, key("from"), f),
        None => {
            c.problem(
                root("smtp"),
                "`from` is required (the alerts' From: address)",
            );
            None
        }
    };
    let timeout = duration(
        c,
        key("timeout"),
        raw.timeout.as_deref(),
        Duration::from_secs(30),
    );
    Some(Smtp {
        host,
        port,
        security,
        username: raw.username,
        password,
        from: from.unwrap_or_else(|| "tocsin <tocsin@localhost>".parse().expect("static")),
        timeout: timeout.max(Duration::from_secs(1)),
    })
}

/// `[[notify]]`.
pub(super) fn channels(
    c: &mut Checker,
    raw: Vec<RawNotify>,
    smtp: Option<&Smtp>,
    base: &Path,
) -> Vec<Channel> {
    let mut ids = HashSet::new();
    raw.into_iter()
        .enumerate()
        .filter_map(|(i, n)| channel(c, i, n, smtp, base, &mut ids))
        .collect()
}

fn channel(
    c: &mut Checker,
    i: usize,
    n: RawNotify,
    smtp: Option<&Smtp>,
    base: &Path,
    ids: &mut HashSet<String>,
) -> Option<Channel> {
    let key = |k: &str| root("notify").index(i).key(k);
    let before = c.problems.len();
    let id = channel_id(c, key("id"), n.id.as_deref(), ids);
    let kind = kind(c, i, &n, smtp, base);
    let filter = filter(c, i, &n);
    let mode = mode(c, i, n.mode.as_deref(), n.schedule);
    let events = events(c, key("events"), n.events.as_deref());
    let retry_base = duration(
        c,
        key("retry_base"),
        n.retry_base.as_deref(),
        Duration::from_secs(30),
    );
    let retry_cap = duration(
        c,
        key("retry_cap"),
        n.retry_cap.as_deref(),
        Duration::from_secs(3600),
    );
    if retry_base.is_zero() {
        c.problem(key("retry_base"), "must be longer than 0s");
    }
    if retry_cap < retry_base {
        c.problem(key("retry_cap"), "must not be shorter than `retry_base`");
    }
    let templates = templates(c, i, n.templates.as_deref(), base);
    let unsubscribe = n.unsubscribe.as_deref().and_then(|u| match Url::parse(u) {
        Ok(url) if matches!(url.scheme(), "mailto" | "https" | "http") => Some(url),
        _ => {
            c.problem(
                key("unsubscribe"),
                format!("`{u}` is not a mailto: or http(s): URL"),
            );
            None
        }
    });
    let channel = Channel {
        id,
        kind: kind?,
        filter,
        mode,
        events,
        max_age: duration(
            c,
            key("max_age"),
            n.max_age.as_deref(),
            Duration::from_secs(3 * 86400),
        ),
        burst: count(c, key("burst"), n.burst, 1..=10_000, 10, 10),
        failing_after: duration(
            c,
            key("failing_after"),
            n.failing_after.as_deref(),
            Duration::from_secs(6 * 3600),
        ),
        retry_base: retry_base.max(Duration::from_millis(1)),
        retry_cap: retry_cap.max(retry_base),
        unsubscribe,
        templates: Arc::new(templates?),
    };
    (c.problems.len() == before).then_some(channel)
}

/// `mode` and `schedule` of channel `i`.
fn mode(c: &mut Checker, i: usize, mode: Option<&str>, schedule: Option<String>) -> Mode {
    let key = |k: &str| root("notify").index(i).key(k);
    match (mode, schedule) {
        (None | Some("each"), None) => Mode::Each,
        (None | Some("each"), Some(_)) => {
            c.problem(key("schedule"), "only for `mode = \"digest\"`");
            Mode::Each
        }
        (Some("digest"), Some(s)) => {
            if let Err(m) = parse_cron(&s) {
                c.problem(key("schedule"), m);
            }
            Mode::Digest { schedule: s }
        }
        (Some("digest"), None) => {
            c.problem(
                key("mode"),
                "a digest needs a `schedule` (six-field cron, UTC), e.g. \"0 0 7 * * *\"",
            );
            Mode::Each
        }
        (Some(other), _) => {
            c.problem(
                key("mode"),
                format!("`{other}` is not one of \"each\", \"digest\""),
            );
            Mode::Each
        }
    }
}

/// Channel `i`'s templates: the shipped ones, overridden from `dir`.
fn templates(c: &mut Checker, i: usize, dir: Option<&str>, base: &Path) -> Option<Templates> {
    let key = |k: &str| root("notify").index(i).key(k);
    let dir = dir.map(|d| resolve(base, d));
    match &dir {
        Some(d) if !d.is_dir() => {
            c.problem(
                key("templates"),
                format!("{} is not a directory", d.display()),
            );
            None
        }
        _ => match Templates::load(dir.as_deref()) {
            Ok(t) => Some(t),
            Err(m) => {
                c.problem(key("templates"), m);
                None
            }
        },
    }
}

fn channel_id(
    c: &mut Checker,
    key: KeyPath,
    id: Option<&str>,
    ids: &mut HashSet<String>,
) -> String {
    let Some(id) = id else {
        c.problem(key, "is required");
        return String::new();
    };
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
    {
        c.problem(
            key.clone(),
            format!("`{id}` must be 1 to 64 characters of a-z, 0-9 and -"),
        );
    }
    if !ids.insert(id.to_string()) {
        c.problem(key, format!("`{id}` is used by another channel"));
    }
    id.to_string()
}

fn kind(
    c: &mut Checker,
    i: usize,
    n: &RawNotify,
    smtp: Option<&Smtp>,
    base: &Path,
) -> Option<Kind> {
    let key = |k: &str| root("notify").index(i).key(k);
    match n.kind.as_deref() {
        Some("email") => {
            if n.url.is_some() {
                c.problem(key("url"), "only for `kind = \"webhook\"`");
            }
            if n.secret_file.is_some() {
                c.problem(key("secret_file"), "only for `kind = \"webhook\"`");
            }
            if smtp.is_none() {
                c.problem(key("kind"), "e-mail channels need an [smtp] table");
            }
            let to: Vec<Mailbox> = match &n.to {
                Some(to) if !to.is_empty() => to
                    .iter()
                    .enumerate()
                    .filter_map(|(j, t)| mailbox(c, key("to").index(j), t))
                    .collect(),
                _ => {
                    c.problem(
                        key("kind"),
                        "an e-mail channel needs `to` (one address or more)",
                    );
                    Vec::new()
                }
            };
            Some(Kind::Email { to })
        }
        Some("webhook") => {
            if n.to.is_some() {
                c.problem(key("to"), "only for `kind = \"email\"`");
            }
            let url = match n.url.as_deref().map(Url::parse) {
                Some(Ok(u)) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
                Some(_) => {
                    c.problem(key("url"), "is not an absolute http(s) URL");
                    return None;
                }
                None => {
                    c.problem(key("kind"), "a webhook channel needs `url`");
                    return None;
                }
            };
            let secret = n
                .secret_file
                .as_deref()
                .and_then(|p| secret(c, key("secret_file"), p, base));
            if n.secret_file.is_none() {
                c.warnings.push(format!(
                    "notify[{i}] (webhook) has no secret_file: its requests are not signed"
                ));
            }
            Some(Kind::Webhook { url, secret })
        }
        Some(other) => {
            c.problem(
                key("kind"),
                format!("`{other}` is not one of \"email\", \"webhook\""),
            );
            None
        }
        None => {
            c.problem(key("kind"), "is required (\"email\" or \"webhook\")");
            None
        }
    }
}

fn filter(c: &mut Checker, i: usize, n: &RawNotify) -> Filter {
    let key = |k: &str| root("notify").index(i).key(k);
    let mut b = GlobSetBuilder::new();
    for (j, g) in n.sources.iter().enumerate() {
        match Glob::new(g) {
            Ok(g) => {
                b.add(g);
            }
            Err(e) => c.problem(key("sources").index(j), format!("`{g}` is not a glob: {e}")),
        }
    }
    let source_set = if n.sources.is_empty() {
        None
    } else {
        b.build().ok()
    };
    for (j, l) in n.languages.iter().enumerate() {
        if !(2..=3).contains(&l.len()) || !l.chars().all(|ch| ch.is_ascii_alphabetic()) {
            c.problem(
                key("languages").index(j),
                format!("`{l}` is not a language code such as \"ro\""),
            );
        }
    }
    let mut countries = Vec::new();
    for (j, code) in n.countries.iter().enumerate() {
        let upper = code.to_ascii_uppercase();
        if crate::text::country::is_code(&upper) {
            countries.push(upper);
        } else {
            c.problem(
                key("countries").index(j),
                format!("`{code}` is not an ISO 3166 alpha-3 country code such as \"MDA\""),
            );
        }
    }
    Filter {
        sources: n.sources.clone(),
        source_set,
        languages: n.languages.iter().map(|l| l.to_ascii_lowercase()).collect(),
        countries,
    }
}

fn events(c: &mut Checker, key: KeyPath, raw: Option<&[String]>) -> Events {
    let Some(raw) = raw else {
        return Events {
            urgent: true,
            source_failing: false,
        };
    };
    let mut e = Events {
        urgent: false,
        source_failing: false,
    };
    for (j, name) in raw.iter().enumerate() {
        match name.as_str() {
            "urgent" => e.urgent = true,
            "source_failing" => e.source_failing = true,
            other => c.problem(
                key.clone().index(j),
                format!("`{other}` is not one of \"urgent\", \"source_failing\""),
            ),
        }
    }
    if raw.is_empty() {
        c.problem(key, "must name at least one event");
    }
    e
}
