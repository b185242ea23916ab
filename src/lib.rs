//! tocsin watches the feeds and pages of human-rights organisations and publishes one
//! aggregated feed of urgent interventions.
//!
//! The modules follow the data:
//!
//! | stage | module | what it does |
//! |---|---|---|
//! | config | [`config`] | reads and validates the TOML file, builds the stages |
//! | schedule | `schedule` | cron ticks per source, overdue polls at start |
//! | fetch | [`fetch`] | HTTP(S) or file, bounded in time and size, polite, guarded |
//! | parse | [`parse`] | RSS, Atom, JSON Feed, HTML listings into [`model::ParsedItem`]s |
//! | classify | [`classify`] | rules mark urgent items and say why |
//! | dedup | [`dedup`] | the keys that recognise an item seen again |
//! | group | [`group`] | which items are the same case development |
//! | store | [`store`] | SQLite, each poll written whole |
//! | publish | [`publish`] | Atom, RSS, JSON Feed, HTML, written atomically; the outcome |
//! | serve | [`serve`] | the published documents over HTTP, from memory |
//! | alert | [`alert`] | new urgent cases by e-mail and webhook, through an outbox |
//!
//! Beside them: [`text`] is what every stage does to text (folding, markup, cuts,
//! case codes, language, charsets, hashes); [`model`] the data passed between stages;
//! [`source`] a configured source as every stage sees it; [`poll`] chains fetch →
//! parse → classify → store for one source; `reclassify` runs stored items through
//! changed rules; [`discover`] finds a site's feeds or reads its listing from its
//! address alone; [`daemon`] wires the stages together and owns the shutdown order;
//! [`health`], `metrics` and `systemd` report on it; [`memory`] is the allocator and
//! gives freed memory back; `cli` is the command line, one file per command.
//!
//! ## Floors
//!
//! Each module uses only modules on floors below its own, so no two modules import
//! each other, and reading from the bottom up never needs what comes later.
//! `tests/layers.rs` checks every `crate::` path in `src/` against this table (a
//! module missing from it fails the check too):
//!
//! | floor | modules | what |
//! |---|---|---|
//! | 0 | `text`, `model`, `health`, `memory` | text, data, liveness, the allocator: nothing of ours |
//! | 1 | `fetch` | bytes from servers and files, and what they may reach |
//! | 2 | `parse` | documents into items |
//! | 3 | `classify`, `dedup`, `group` | judging items: rules, keys, cases |
//! | 4 | `store` | SQLite |
//! | 5 | `metrics` | counters, some read from the store |
//! | 6 | `source` | a configured source: how it is fetched and read |
//! | 7 | `schedule`, `poll`, `reclassify`, `publish`, `discover` | the stages that work on sources |
//! | 8 | `serve`, `systemd`, `alert` | what the running daemon shows and tells |
//! | 9 | `config` | the file, validated into the stages' own settings |
//! | 10 | `daemon` | wiring, signals, shutdown order |
//! | 11 | `cli` | the command line |

#![warn(clippy::too_many_lines)]

pub mod alert;
pub mod classify;
mod cli;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod discover;
pub mod fetch;
pub mod group;
pub mod health;
pub mod memory;
mod metrics;
pub mod model;
pub mod parse;
pub mod poll;
pub mod publish;
mod reclassify;
mod schedule;
pub mod serve;
pub mod source;
pub mod store;
mod systemd;
pub mod text;

pub use cli::main;
