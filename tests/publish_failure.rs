//! A publish whose files cannot be written (issue 10, point 7): the new documents are
//! served all the same, `/healthz`, STATUS and `/metrics` say why, and the write is
//! tried again until it succeeds.

mod common;

use std::time::Duration;

use common::daemon::{RunningDaemon, eventually};
use common::notify::NotifySocket;
use common::{FixtureServer, Route, rss_titles, write_config};

#[test]
fn new_items_are_served_while_the_output_dir_is_unwritable_and_written_once_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    let first = "Urgent appeal: arbitrary detention of Ms. Ana Popescu";
    let second = "Urgent appeal: incommunicado detention of Mr. Ion Rusu";
    srv.set(
        "/feed.rss",
        Route::ok("application/rss+xml", rss_titles(&[first])),
    );
    let config = write_config(
        dir.path(),
        &[("watched", srv.url("/feed.rss"), Some("en"))],
        "schedule = \"* * * * * *\"",
    );
    let mut notify = NotifySocket::new(dir.path());
    let sock = notify.path.to_str().unwrap().to_string();
    let mut d = RunningDaemon::start(&config, &[("NOTIFY_SOCKET", &sock)]);
    let public = dir.path().join("var/public");
    let on_disk = || std::fs::read_to_string(public.join("urgent.atom")).unwrap_or_default();
    eventually(Duration::from_secs(30), "the first item written", || {
        on_disk().contains("Ana Popescu")
    });

    // The output directory becomes a file: every write fails (as root, a read-only
    // directory would not stop anything).
    std::fs::rename(&public, dir.path().join("var/public.old")).unwrap();
    std::fs::write(&public, "not a directory").unwrap();
    srv.set(
        "/feed.rss",
        Route::ok("application/rss+xml", rss_titles(&[first, second])),
    );
    eventually(Duration::from_secs(30), "the new item served", || {
        d.get("/urgent.atom").1.contains("Ion Rusu")
    });
    let mut health = (String::new(), String::new());
    eventually(Duration::from_secs(30), "healthz to fail", || {
        health = d.get("/healthz");
        health.0.contains("503")
    });
    let (_, body) = &health;
    assert!(
        body.starts_with("output not written: cannot write "),
        "{body}"
    );
    assert!(body.contains("var/public"), "the path is named: {body}");
    assert!(body.contains("served from memory"), "{body}");
    let (_, metrics) = d.get("/metrics");
    let failures: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("tocsin_output_write_failures "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no write failure gauge in\n{metrics}"));
    assert!(failures >= 1, "{metrics}");
    assert!(metrics.contains("tocsin_publishes_total{outcome=\"error\"}"));
    let status = notify.wait_for("OUTPUT NOT WRITTEN", Duration::from_secs(30));
    assert!(status.contains("cannot write"), "{status}");

    // Writable again: the next retry writes the files, with no new item to prompt it.
    std::fs::remove_file(&public).unwrap();
    eventually(Duration::from_secs(30), "the new item written", || {
        on_disk().contains("Ion Rusu")
    });
    eventually(Duration::from_secs(30), "healthz to recover", || {
        d.get("/healthz").0.contains("200")
    });
    assert!(
        d.get("/metrics")
            .1
            .contains("tocsin_output_write_failures 0\n")
    );
    d.wait_for(
        |l| l.contains("the output files are written again"),
        Duration::from_secs(30),
    );
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(30)), Some(0));
}
