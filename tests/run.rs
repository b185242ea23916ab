//! `tocsin run`: the daemon polls on its schedule, serves the feed, stops on SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;

/// A plain HTTP/1.0 GET, returning status line and body.
fn get(addr: &str, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

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

    let mut guard = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .arg("--config")
            .arg(&config)
            .arg("run")
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let child = &mut guard.0;
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no 'listening' line; log so far: {log:#?}"));
        log.push(line.clone());
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };

    // Wait (by polling the served feed, bounded) for the urgent item to appear.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = get(&addr, "/urgent.atom");
        if status.contains("200") && body.contains("Victor Pleșcanov") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "feed never showed the item: {status}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Scheduled polls keep coming (every second): wait for at least two more requests.
    let deadline = Instant::now() + Duration::from_secs(30);
    while srv.seen("/ro.rss").len() < 3 {
        assert!(Instant::now() < deadline, "the schedule did not fire");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, _) = get(&addr, "/nope");
    assert!(status.contains("404"), "{status}");

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    while let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
        log.push(l);
    }
    assert!(log.iter().any(|l| l.contains("stopped")), "{log:#?}");
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
    let mut guard = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .arg("--config")
            .arg(&config)
            .arg("run")
            .env("RUST_LOG", "info,tocsin::daemon=debug")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stderr = guard.0.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Wait for three ticks the dispatcher skipped because the server asked to wait.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut skipped = 0;
    let mut log = Vec::new();
    while skipped < 3 {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("ticks were not skipped; log: {log:#?}"));
        if line.contains("not due yet; tick skipped") && line.contains("retry-after") {
            skipped += 1;
        }
        log.push(line);
    }
    assert_eq!(srv.seen("/busy").len(), 1, "polled once, then it waits");
}
