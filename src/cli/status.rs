//! `tocsin status`: how every source is doing, from the database only (it never
//! fetches, so it works beside a running daemon: WAL lets it read while the daemon
//! writes).

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::CliError;
use crate::config::Config;
use crate::parse::detect::{proposal_in, split_proposal};
use crate::store::{SourceState, Store, StoreError};

/// Prints how every source is doing (one JSON array with `json`).
pub(super) fn run(config: &Config, json: bool) -> Result<(), CliError> {
    let store = Store::open(&config.daemon.database)?;
    let rows = collect(config, &store)?;
    let mut out = std::io::stdout().lock();
    print(&rows, json, &mut out).map_err(anyhow::Error::from)?;
    // The alert channels below the sources (`notify list --json` has them as JSON).
    if !json && !config.notify.is_empty() {
        let channels = super::notify::collect(config, &store)?;
        writeln!(out).map_err(anyhow::Error::from)?;
        super::notify::print(&channels, false, &mut out).map_err(anyhow::Error::from)?;
    }
    Ok(())
}

/// One source's line.
#[derive(Debug, Serialize)]
pub(super) struct SourceStatus {
    pub id: String,
    /// The URL in the config.
    pub url: String,
    /// `ok`, `failing`, `gone`, `never polled`, `disabled`, `not in config`.
    pub state: &'static str,
    pub enabled: bool,
    /// The URL polled now (the adopted one after a permanent redirect).
    pub polled_url: Option<String>,
    pub last_poll: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub failures: u32,
    pub next_due: Option<DateTime<Utc>>,
    pub due_reason: Option<String>,
    pub adopted_url: Option<String>,
    /// A permanent redirect seen on `redirect_seen` consecutive polls, not adopted yet.
    pub redirect_target: Option<String>,
    pub redirect_seen: u32,
    pub gone_since: Option<DateTime<Utc>>,
    pub repaired: Option<String>,
    /// The selectors detection proposes for the page as it is now, as a
    /// `[sources.html]` table: when the layout-change error (or, with
    /// `on_layout_change = "auto"`, the note of a listing read by detection) carries
    /// them.
    pub proposed_selectors: Option<String>,
    pub encoding: Option<String>,
    pub items: i64,
    pub urgent_items: i64,
}

fn state_name(st: Option<&SourceState>, enabled: bool, configured: bool) -> &'static str {
    match st {
        _ if !configured => "not in config",
        _ if !enabled => "disabled",
        None => "never polled",
        Some(s) if s.gone_since.is_some() => "gone",
        Some(s) if s.failures > 0 => "failing",
        Some(s) if s.last_poll.is_none() => "never polled",
        Some(_) => "ok",
    }
}

/// Every configured source, then any the database knows that the config no longer has.
pub(super) fn collect(config: &Config, store: &Store) -> Result<Vec<SourceStatus>, StoreError> {
    let mut states: HashMap<String, SourceState> = store
        .source_states()?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let counts = store.item_counts_by_source()?;
    let mut out = Vec::new();
    let mut line =
        |id: &str, url: String, enabled: bool, configured: bool, st: Option<SourceState>| {
            let (items, urgent_items) = counts.get(id).copied().unwrap_or((0, 0));
            let state = state_name(st.as_ref(), enabled, configured);
            let st = st.unwrap_or_default();
            let proposed_selectors = [&st.last_error, &st.repaired]
                .into_iter()
                .flatten()
                .find_map(|m| proposal_in(m))
                .map(|s| s.to_toml());
            out.push(SourceStatus {
                id: id.to_string(),
                url,
                state,
                enabled,
                polled_url: Some(st.url).filter(|u| !u.is_empty()),
                last_poll: st.last_poll,
                last_success: st.last_success,
                last_status: st.last_status,
                last_error: st.last_error,
                failures: st.failures,
                next_due: st.next_due,
                due_reason: st.due_reason,
                adopted_url: st.adopted_url,
                redirect_target: st.redirect_target,
                redirect_seen: st.redirect_seen,
                gone_since: st.gone_since,
                repaired: st.repaired,
                proposed_selectors,
                encoding: st.encoding,
                items,
                urgent_items,
            });
        };
    for s in config.sources.iter() {
        let st = states.remove(&s.id);
        line(&s.id, s.url.to_string(), s.enabled, true, st);
    }
    let mut rest: Vec<SourceState> = states.into_values().collect();
    rest.sort_by(|a, b| a.id.cmp(&b.id));
    for st in rest {
        let (id, url) = (st.id.clone(), st.url.clone());
        line(&id, url, false, false, Some(st));
    }
    Ok(out)
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| "-".into())
}

/// Prints the table (or one JSON array with `json`).
pub(super) fn print(
    rows: &[SourceStatus],
    json: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, rows).map_err(std::io::Error::other)?;
        return writeln!(out);
    }
    let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    writeln!(
        out,
        "{:w$}  {:13}  {:20}  {:20}  {:4}  {:>5}  {:30}  {:>6}  {:>6}",
        "id", "state", "last poll", "last success", "http", "fails", "next due", "items", "urgent"
    )?;
    for r in rows {
        let next = match (&r.next_due, &r.due_reason) {
            (Some(t), Some(why)) => format!("{} ({why})", when(Some(*t))),
            (t, _) => when(*t),
        };
        writeln!(
            out,
            "{:w$}  {:13}  {:20}  {:20}  {:4}  {:>5}  {:30}  {:>6}  {:>6}",
            r.id,
            r.state,
            when(r.last_poll),
            when(r.last_success),
            r.last_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            r.failures,
            next,
            r.items,
            r.urgent_items
        )?;
        let pad = " ".repeat(w + 2);
        if let Some(e) = &r.last_error {
            writeln!(out, "{pad}error: {}", split_proposal(e).0)?;
        }
        if let Some(a) = &r.adopted_url {
            writeln!(
                out,
                "{pad}adopted URL: {a} (permanent redirect from {})",
                r.url
            )?;
        } else if let Some(t) = &r.redirect_target {
            writeln!(
                out,
                "{pad}permanent redirect to {t} seen on {} consecutive polls",
                r.redirect_seen
            )?;
        }
        if let Some(rep) = &r.repaired {
            match split_proposal(rep) {
                (cut, Some(_)) => writeln!(
                    out,
                    "{pad}read by detection (on_layout_change = \"auto\"): {cut}"
                )?,
                (_, None) => writeln!(out, "{pad}repaired: {rep}")?,
            }
        }
        if let Some(p) = &r.proposed_selectors {
            writeln!(
                out,
                "{pad}selectors detection proposes for the page as it is now (to replace the source's [sources.html]):"
            )?;
            for line in p.lines().filter(|l| !l.is_empty()) {
                writeln!(out, "{pad}    {line}")?;
            }
        }
    }
    Ok(())
}
