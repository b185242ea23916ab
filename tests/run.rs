//! `tocsin run`: the daemon polls on its schedule, serves the feed, stops on SIGTERM.

mod common;

use std::time::Duration;

use common::daemon::*;
use common::*;

#[test]
fn daemon_polls_on_schedule_serves_the_feed_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.serve_fixture("/ro.rss", "feeds/promolex-ro.rss", "application/rss+xml");
    // Every second, so the test sees scheduled polls and not only the start-up one.
    let config = write_config(
        dir.path(),
        &[("promolex-ro", srv.url("/ro.rss"), Some("ro"))],
        "schedule = \"* * * * * *\"",
    );
    let mut d = RunningDaemon::start(&config, &[]);
    eventually(
        Duration::from_secs(30),
        "the item in the served feed",
        || {
            let (status, body) = d.get("/urgent.atom");
            status.contains("200") && body.contains("Victor Pleșcanov")
        },
    );
    // Scheduled polls keep coming (every second): at least two more requests.
    eventually(Duration::from_secs(30), "scheduled polls", || {
        srv.seen("/ro.rss").len() >= 3
    });
    let (status, _) = d.get("/nope");
    assert!(status.contains("404"), "{status}");

    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(30)), Some(0));
    assert!(d.log.iter().any(|l| l.contains("stopped")), "{:#?}", d.log);
    // Exactly one copy of each item despite the many polls.
    assert_eq!(items_json(&config, &[]).len(), 4);
}

#[test]
fn the_daemon_skips_ticks_until_retry_after_has_passed() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.set("/busy", Route::retry_after(429, "3600"));
    let config = write_config(
        dir.path(),
        &[("busy", srv.url("/busy"), None)],
        "schedule = \"* * * * * *\"",
    );
    let mut d = RunningDaemon::start(&config, &[("RUST_LOG", "info,tocsin::daemon=debug")]);
    // Three ticks the dispatcher skipped because the server asked to wait.
    d.wait_count(
        |l| l.contains("not due yet; tick skipped") && l.contains("retry-after"),
        3,
        Duration::from_secs(30),
    );
    assert_eq!(srv.seen("/busy").len(), 1, "polled once, then it waits");
}
