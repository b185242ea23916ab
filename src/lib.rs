//! tocsin watches the feeds and pages of human-rights organisations and publishes one
//! aggregated feed of urgent interventions.
//!
//! The modules follow the data:
//!
//! | stage | module | what it does |
//! |---|---|---|
//! | config | [`config`] | reads and validates the TOML file |
//! | schedule | [`schedule`] | cron ticks per source, overdue polls at start |
//! | fetch | [`fetch`] | HTTP(S) or file, bounded in time and size |
//! | parse | [`parse`] | RSS, Atom, JSON Feed, HTML listings into [`model::ParsedItem`]s |
//! | classify | [`classify`] | rules mark urgent items and say why |
//! | dedup | [`dedup`] | the keys that recognise an item seen again |
//! | group | [`group`] | which items are the same case development |
//! | store | [`store`] | SQLite, one transaction per poll |
//! | publish | [`publish`] | Atom, RSS, JSON Feed, HTML, written atomically |
//! | serve | [`serve`] | the published documents over HTTP, from memory |
//!
//! [`poll`] chains fetch → parse → classify → store for one source and decides when it
//! is due again, [`reclassify`] runs stored items through changed rules, [`daemon`]
//! wires the stages together and owns the shutdown order, [`cli`] is the command line,
//! [`status`] reports on every source from the database.

pub mod classify;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod fetch;
pub mod group;
pub mod health;
pub mod metrics;
pub mod model;
pub mod parse;
pub mod poll;
pub mod publish;
pub mod reclassify;
pub mod schedule;
pub mod serve;
pub mod source;
pub mod store;
pub mod systemd;
pub mod text;
