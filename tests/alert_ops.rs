//! Alerts as operators run them (issue 12): channels added and removed by a reload,
//! `notify test`, a bad channel as a config error, a failing source told once and once
//! more when it recovers, a follow-up naming the case it develops. A real SMTP server
//! (Debian's python3-aiosmtpd, started by the test); nothing sleeps for timing.

mod common;

use std::time::Duration;

use common::alerts::*;
use common::daemon::{RunningDaemon, eventually};
use common::*;

#[test]
fn a_reload_adds_and_removes_channels_without_a_restart() {
    let hooks = FixtureServer::start();
    hooks.set("/a", Route::status(503));
    hooks.set("/b", Route::ok("text/plain", "ok"));
    let channel = |id: &str, path: &str| {
        format!(
            "\n[[notify]]\nid = \"{id}\"\nkind = \"webhook\"\nurl = \"{}\"\nretry_base = \"50ms\"\nretry_cap = \"100ms\"\n",
            hooks.url(path)
        )
    };
    let every_second = "schedule = \"* * * * * *\"";
    let s = Setup::new(&channel("a", "/a"), every_second);
    s.poll();
    let mut d = RunningDaemon::start(&s.config, &[]);
    s.feed(&[OLD, MOLDOVA]);
    // Channel a answers 503: its alert is retried.
    eventually(Duration::from_secs(30), "retries to a", || {
        hooks.seen("/a").len() >= 2
    });
    // The failing channel shows in /healthz (still 200: restarting would not help)
    // and /metrics.
    let (status, health) = d.get("/healthz");
    assert!(status.contains("200"), "{status}");
    assert!(health.contains("alerts: channel a: 1 pending"), "{health}");
    assert!(health.contains("503"), "{health}");
    let (_, metrics) = d.get("/metrics");
    assert!(
        metrics.contains("tocsin_alert_messages{channel=\"a\",state=\"pending\"} 1"),
        "{metrics}"
    );
    // Channel a removed, b added: a's pending alert is dropped, b is told of what is
    // stored from now on only.
    write_config_with(
        s.dir.path(),
        &[(
            "omct-en",
            format!("file://{}", s.dir.path().join("feed.rss").display()),
            Some("en"),
        )],
        every_second,
        &channel("b", "/b"),
    );
    d.signal("HUP");
    d.wait_for(
        |l| l.contains("channel removed") && l.contains("dropped"),
        Duration::from_secs(30),
    );
    let tried = hooks.seen("/a").len();
    s.feed(&[
        OLD,
        MOLDOVA,
        STALE,
        (
            "new",
            "Urgent appeal: hunger strike of Mr. Pavel Grosu",
            "Now.",
            0,
        ),
    ]);
    d.wait_for(|l| l.contains("alert sent"), Duration::from_secs(30));
    let body: serde_json::Value = serde_json::from_slice(&hooks.seen("/b")[0].body).unwrap();
    assert!(
        body["item"]["title"]
            .as_str()
            .unwrap()
            .contains("Pavel Grosu")
    );
    assert_eq!(
        hooks.seen("/a").len(),
        tried,
        "nothing more to the removed channel"
    );
    d.signal("TERM");
    d.wait_exit(Duration::from_secs(30));
    assert_eq!(hooks.seen("/b").len(), 1);
}

#[test]
fn notify_test_sends_a_sample_and_prints_the_answer() {
    if smtp_missing() {
        return;
    }
    let (port, _held) = free_port();
    let tail = format!(
        "{}\n[[notify]]\nid = \"desk\"\nkind = \"email\"\nto = [\"desk@example.org\"]\n",
        smtp_table(port)
    );
    let s = Setup::new(&tail, "");
    let smtp = Smtp::start(port, &s.mail_dir());
    let o = tocsin(&s.config, &["notify", "test", "desk"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("250"), "{}", stdout(&o));
    assert!(stdout(&o).contains("queued as test"), "{}", stdout(&o));
    assert_eq!(smtp.messages().len(), 1);
    let o = tocsin(&s.config, &["notify", "test", "nope"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_bad_channel_is_a_config_error_naming_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let tail = "
[[notify]]
id = \"Desk!\"
kind = \"email\"
to = [\"not an address\"]
countries = [\"XXX\"]
mode = \"digest\"

[[notify]]
id = \"hook\"
kind = \"webhook\"
url = \"https://hooks.example.org/x\"
secret_file = \"missing.secret\"
";
    let config = write_config_with(dir.path(), &[], "", tail);
    let o = tocsin(&config, &["check"]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    for want in [
        "notify[0].id: `Desk!` must be",
        "notify[0].kind: e-mail channels need an [smtp] table",
        "notify[0].to[0]: `not an address` is not an e-mail address",
        "notify[0].countries[0]: `XXX` is not an ISO 3166",
        "notify[0].mode: a digest needs a `schedule`",
        "notify[1].secret_file: cannot read",
    ] {
        assert!(err.contains(want), "{want:?} in:\n{err}");
    }
    // file:line:column: key: message
    let line = err.lines().find(|l| l.contains("notify[0].id:")).unwrap();
    let rest = line
        .split_once(&format!("{}:", config.display()))
        .unwrap_or_else(|| panic!("{line}"))
        .1;
    let mut parts = rest.splitn(3, ':');
    assert!(parts.next().unwrap().parse::<u32>().is_ok(), "{line}");
    assert!(parts.next().unwrap().parse::<u32>().is_ok(), "{line}");
}

#[test]
fn a_failing_source_is_told_once_and_once_more_when_it_recovers() {
    let hooks = FixtureServer::start();
    hooks.set("/ops", Route::ok("text/plain", "ok"));
    hooks.set("/patient", Route::ok("text/plain", "ok"));
    let tail = format!(
        "
[[notify]]
id = \"ops\"
kind = \"webhook\"
url = \"{}\"
events = [\"source_failing\"]
failing_after = \"1ms\"

[[notify]]
id = \"patient\"
kind = \"webhook\"
url = \"{}\"
events = [\"source_failing\", \"urgent\"]
",
        hooks.url("/ops"),
        hooks.url("/patient"),
    );
    let s = Setup::new(&tail, "");
    s.poll();
    // The feed is gone: the source fails, poll after poll.
    std::fs::remove_file(s.dir.path().join("feed.rss")).unwrap();
    s.poll();
    s.poll();
    let seen = hooks.seen("/ops");
    assert_eq!(seen.len(), 1, "told once, not at every failed poll");
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body["event"], "source_failing");
    assert_eq!(body["source"]["id"], "omct-en");
    assert!(body["source"]["failures"].as_u64().unwrap() >= 1, "{body}");
    assert!(body["source"]["last_error"].is_string(), "{body}");
    assert!(
        hooks.seen("/patient").is_empty(),
        "failing_after (6h by default) has not passed for the other channel"
    );

    // It works again: one recovery message, then nothing more.
    s.feed(&[OLD]);
    s.poll();
    s.poll();
    let seen = hooks.seen("/ops");
    assert_eq!(seen.len(), 2);
    let body: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(body["event"], "source_recovered");
    assert_eq!(body["source"]["id"], "omct-en");
    assert!(
        hooks.seen("/patient").is_empty(),
        "a channel not told of the failure is not told of the recovery"
    );
}

#[test]
fn a_follow_up_is_a_new_alert_naming_the_case_it_develops() {
    let hooks = FixtureServer::start();
    hooks.set("/hook", Route::ok("text/plain", "ok"));
    let tail = format!(
        "\n[[notify]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\n",
        hooks.url("/hook")
    );
    let s = Setup::new(&tail, "");
    s.poll();
    let case = (
        "case",
        "Urgent appeal: Moldova: arbitrary detention of Mr. Ion Rusu (MDA 001 / 0520 / OBS 052)",
        "Detained on 3 May.",
        0,
    );
    s.feed(&[OLD, case]);
    s.poll();
    // The same case edited: no new alert.
    let edited = (
        "case",
        "Urgent appeal: Moldova: arbitrary detention of Mr. Ion Rusu (MDA 001 / 0520 / OBS 052)",
        "Detained on 3 May; still held.",
        0,
    );
    s.feed(&[OLD, edited]);
    s.poll();
    assert_eq!(hooks.seen("/hook").len(), 1);
    let follow = (
        "follow",
        "Urgent appeal: Moldova: Mr. Ion Rusu sentenced (MDA 001 / 0520 / OBS 052.1)",
        "Sentenced on 20 May.",
        0,
    );
    s.feed(&[OLD, edited, follow]);
    s.poll();
    let seen = hooks.seen("/hook");
    assert_eq!(seen.len(), 2, "the follow-up is a development of its own");
    let first: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    let second: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(
        first["item"]["_tocsin"]["case_codes"][0],
        "MDA 001/0520/OBS 052"
    );
    assert_eq!(
        second["item"]["_tocsin"]["follow_up_of"]["case_code"],
        "MDA 001/0520/OBS 052"
    );
    assert_ne!(first["delivery"], second["delivery"]);
}
