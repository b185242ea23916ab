//! `tocsin notify list` (the channels, their filters, last delivery, what is pending)
//! and `tocsin notify test ID` (a sample alert through one channel, outside the
//! outbox, and what the server answered).

use std::io::Write;

use chrono::SecondsFormat;
use serde::Serialize;

use super::CliError;
use crate::alert::{Channel, Kind, Mode};
use crate::config::Config;
use crate::store::{ChannelStats, Store};

/// One channel's line.
#[derive(Debug, Serialize)]
pub(super) struct ChannelStatus {
    pub id: String,
    pub kind: &'static str,
    /// Addresses, or the webhook URL.
    pub target: String,
    pub mode: String,
    pub events: Vec<&'static str>,
    pub sources: Vec<String>,
    pub languages: Vec<String>,
    pub countries: Vec<String>,
    #[serde(flatten)]
    pub stats: ChannelStats,
}

fn target(c: &Channel) -> String {
    match &c.kind {
        Kind::Email { to } => to
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        Kind::Webhook { url, secret } => {
            format!("{url}{}", if secret.is_some() { " (signed)" } else { "" })
        }
    }
}

/// Every configured channel with its outbox.
pub(super) fn collect(config: &Config, store: &Store) -> Result<Vec<ChannelStatus>, CliError> {
    let stats = store.alert_stats()?;
    Ok(config
        .notify
        .iter()
        .map(|c| {
            let mut events = Vec::new();
            if c.events.urgent {
                events.push("urgent");
            }
            if c.events.source_failing {
                events.push("source_failing");
            }
            ChannelStatus {
                id: c.id.clone(),
                kind: c.kind.name(),
                target: target(c),
                mode: match &c.mode {
                    Mode::Each => "each".to_string(),
                    Mode::Digest { schedule } => format!("digest ({schedule})"),
                },
                events,
                sources: c.filter.sources.clone(),
                languages: c.filter.languages.clone(),
                countries: c.filter.countries.clone(),
                stats: stats
                    .iter()
                    .find(|s| s.channel == c.id)
                    .cloned()
                    .unwrap_or_else(|| ChannelStats {
                        channel: c.id.clone(),
                        ..ChannelStats::default()
                    }),
            }
        })
        .collect())
}

/// The channels as text (or one JSON array).
pub(super) fn print(
    rows: &[ChannelStatus],
    json: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, rows).map_err(std::io::Error::other)?;
        return writeln!(out);
    }
    if rows.is_empty() {
        return writeln!(out, "no alert channels ([[notify]]) configured");
    }
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_else(|| "-".into())
    };
    let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(7).max(7);
    writeln!(
        out,
        "{:w$}  {:7}  {:20}  {:20}  {:>7}  {:>6}  {:>6}  {:>6}",
        "channel", "kind", "mode", "last sent", "pending", "queued", "sent", "failed"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:w$}  {:7}  {:20}  {:20}  {:>7}  {:>6}  {:>6}  {:>6}",
            r.id,
            r.kind,
            r.mode,
            when(r.stats.last_sent),
            r.stats.pending,
            r.stats.queued,
            r.stats.sent,
            r.stats.failed
        )?;
        let pad = " ".repeat(w + 2);
        writeln!(out, "{pad}to: {}", r.target)?;
        writeln!(out, "{pad}events: {}", r.events.join(", "))?;
        let mut filters = Vec::new();
        for (name, v) in [
            ("sources", &r.sources),
            ("languages", &r.languages),
            ("countries", &r.countries),
        ] {
            if !v.is_empty() {
                filters.push(format!("{name} {}", v.join(" ")));
            }
        }
        if !filters.is_empty() {
            writeln!(out, "{pad}filters: {}", filters.join("; "))?;
        }
        if let Some(e) = &r.stats.last_error {
            writeln!(
                out,
                "{pad}error: {e} (oldest pending since {}, {} attempts)",
                when(r.stats.oldest_pending),
                r.stats.retries
            )?;
        }
    }
    Ok(())
}

/// `tocsin notify list`.
pub(super) fn list(config: &Config, json: bool) -> Result<(), CliError> {
    let store = Store::open(&config.daemon.database)?;
    let rows = collect(config, &store)?;
    print(&rows, json, &mut std::io::stdout().lock()).map_err(anyhow::Error::from)?;
    Ok(())
}

/// `tocsin notify test ID`.
pub(super) async fn test(config: &Config, id: &str) -> Result<(), CliError> {
    if config.notify.iter().all(|c| c.id != id) {
        return Err(CliError::Usage(format!(
            "no channel `{id}` in {} (known: {})",
            config.path.display(),
            config
                .notify
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    match config.alerts().test(id).await {
        Ok(answer) => {
            println!("{id}: sent; the server answered: {answer}");
            Ok(())
        }
        Err(e) => Err(CliError::Other(anyhow::anyhow!("{id}: not sent: {e}"))),
    }
}
