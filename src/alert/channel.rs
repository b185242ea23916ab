//! A channel as validated from `[[notify]]`, and the `[smtp]` server e-mail channels
//! send through.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use globset::GlobSet;
use url::Url;

use super::templates::Templates;
use crate::model::StoredItem;

/// A secret read from a file (`password_file`, `secret_file`): never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain text (a local relay).
    None,
    /// Plain, then STARTTLS (required).
    StartTls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// `[smtp]`.
#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// `From:`, e.g. `tocsin <alerts@example.org>`.
    pub from: lettre::message::Mailbox,
    /// How long one connection and exchange may take.
    pub timeout: Duration,
}

/// Where a channel's messages go.
#[derive(Debug, Clone)]
pub enum Kind {
    Email { to: Vec<lettre::message::Mailbox> },
    Webhook { url: Url, secret: Option<Secret> },
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Email { .. } => "email",
            Kind::Webhook { .. } => "webhook",
        }
    }
}

/// When a channel's case alerts go out.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// One message per case development, as soon as it is published.
    Each,
    /// One message per tick of the cron `schedule` (six fields, UTC), when any is due.
    Digest { schedule: String },
}

/// Which items a channel is told about; every filter given must match, an empty one
/// matches everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Source id globs, as written (for `notify list`), and compiled.
    pub sources: Vec<String>,
    pub source_set: Option<GlobSet>,
    /// Primary language tags (`ro`, `en`).
    pub languages: Vec<String>,
    /// ISO 3166 alpha-3 codes.
    pub countries: Vec<String>,
}

impl Filter {
    /// Whether a development with these items (lead first) passes: some item comes
    /// from a matching source, is in a matching language, and is about a matching
    /// country (each judged over all the items).
    pub fn matches(&self, items: &[&StoredItem]) -> bool {
        let source_ok = self
            .source_set
            .as_ref()
            .is_none_or(|set| items.iter().any(|i| set.is_match(&i.source)));
        let language_ok = self.languages.is_empty()
            || items.iter().any(|i| {
                i.language.as_deref().is_some_and(|l| {
                    let primary = l.split(['-', '_']).next().unwrap_or(l);
                    self.languages
                        .iter()
                        .any(|w| w.eq_ignore_ascii_case(primary))
                })
            });
        let country_ok = self.countries.is_empty()
            || items.iter().any(|i| {
                countries_of(i)
                    .iter()
                    .any(|c| self.countries.iter().any(|w| w == c))
            });
        source_ok && language_ok && country_ok
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty() && self.languages.is_empty() && self.countries.is_empty()
    }
}

/// The countries an item is about (see [`crate::text::country::of_item`]).
pub fn countries_of(i: &StoredItem) -> Vec<&'static str> {
    crate::text::country::of_item(
        &i.title,
        i.categories.iter().map(String::as_str),
        i.case_codes.iter().map(String::as_str),
    )
}

/// What a channel is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Events {
    /// Urgent case developments.
    pub urgent: bool,
    /// A source failing for longer than `failing_after`, and its recovery.
    pub source_failing: bool,
}

/// One `[[notify]]` channel.
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub kind: Kind,
    pub filter: Filter,
    pub mode: Mode,
    pub events: Events,
    /// Items published longer ago than this are not told.
    pub max_age: Duration,
    /// More case alerts than this due at once go out as one digest.
    pub burst: usize,
    /// A source failing this long is told.
    pub failing_after: Duration,
    /// The first retry of a failed delivery; each failure doubles it, up to `retry_cap`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// A `List-Unsubscribe` target (a mailto: or https: URL), when the operator has one.
    pub unsubscribe: Option<Url>,
    pub templates: Arc<Templates>,
}

impl Channel {
    /// How long to wait after `attempts` failed deliveries.
    pub fn retry_delay(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(20);
        self.retry_base
            .saturating_mul(1u32 << doublings)
            .min(self.retry_cap)
    }
}
