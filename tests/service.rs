//! The daemon as systemd runs it: sd_notify messages, the watchdog, SIGHUP reloads,
//! SIGTERM with polls in flight, /healthz and /metrics.

mod common;

use std::time::{Duration, Instant};

use common::daemon::*;
use common::notify::NotifySocket;
use common::*;

fn two_feeds(srv: &FixtureServer) {
    srv.serve_fixture("/ro.rss", "feeds/promolex-ro.rss", "application/rss+xml");
    srv.serve_fixture("/fidh.atom", "feeds/fidh.atom", "application/atom+xml");
}

#[test]
fn notify_ready_after_listening_watchdog_status_and_reload() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    two_feeds(&srv);
    let config = write_config(
        dir.path(),
        &[("promolex-ro", srv.url("/ro.rss"), Some("ro"))],
        "",
    );
    let mut notify = NotifySocket::new(dir.path());
    let sock = notify.path.to_str().unwrap().to_string();
    // WatchdogSec=3s: heartbeats every second.
    let mut d = RunningDaemon::start(
        &config,
        &[("NOTIFY_SOCKET", &sock), ("WATCHDOG_USEC", "3000000")],
    );

    notify.wait_for("READY=1", Duration::from_secs(30));
    // READY comes after the listener is up: the feed is served at once.
    let (status, body) = d.get("/urgent.atom");
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("<feed"));
    let st = notify.wait_for("STATUS=polling 1 sources", Duration::from_secs(30));
    assert!(st.contains("failing, last publish"), "{st}");

    // Keep-alives from the scheduler's loop, about one a second.
    let before = notify.count("WATCHDOG=1");
    notify.collect_until(Duration::from_secs(30), |n| {
        n.count("WATCHDOG=1") >= before + 3
    });

    // SIGHUP: RELOADING=1 (with MONOTONIC_USEC) then READY=1 again.
    let readies = notify.count("READY=1");
    d.signal("HUP");
    let reloading = notify.wait_for("RELOADING=1", Duration::from_secs(30));
    assert!(reloading.contains("MONOTONIC_USEC="), "{reloading}");
    notify.collect_until(Duration::from_secs(30), |n| n.count("READY=1") > readies);
    d.wait_for(|l| l.contains("config reloaded"), Duration::from_secs(30));

    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(30)), Some(0));
    notify.collect_until(Duration::from_secs(30), |n| n.count("STOPPING=1") >= 1);
}

#[test]
fn sighup_applies_a_valid_config_and_keeps_running_on_an_invalid_one() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    two_feeds(&srv);
    // Polled at start (never polled yet), then not before New Year: the default
    // schedule (every 10 minutes) would poll again whenever the test crossed a tick,
    // and the rule change below asserts that no poll was made.
    let config = write_config(
        dir.path(),
        &[("promolex-ro", srv.url("/ro.rss"), Some("ro"))],
        "schedule = \"0 0 0 1 1 *\"",
    );
    let mut d = RunningDaemon::start(&config, &[]);
    eventually(Duration::from_secs(30), "the first poll", || {
        d.get("/urgent.atom").1.contains("Pleșcanov")
    });
    assert!(!d.get("/urgent.atom").1.contains("Rjavitin"));

    // A valid change: a source added. It is polled at once and published.
    let text = std::fs::read_to_string(&config).unwrap();
    let added = text.replacen(
        "[[rules]]",
        &format!(
            "[[sources]]\nid = \"fidh-en\"\nurl = \"{}\"\n\n[[rules]]",
            srv.url("/fidh.atom")
        ),
        1,
    );
    std::fs::write(&config, &added).unwrap();
    d.signal("HUP");
    d.wait_for(
        |l| l.contains("config reloaded") && l.contains("sources=2"),
        Duration::from_secs(30),
    );
    eventually(
        Duration::from_secs(30),
        "the added source published",
        || d.get("/urgent.atom").1.contains("Rjavitin"),
    );

    // A rule change: the stored items are re-classified and republished, with no new
    // poll (the feeds have not changed and are not due).
    let polls = srv.seen("/ro.rss").len();
    let vetoed =
        format!("{added}\n[[rules]]\nname = \"veto\"\nkeywords = [\"Pleșcanov\"]\nweight = -5.0\n");
    std::fs::write(&config, &vetoed).unwrap();
    d.signal("HUP");
    d.wait_for(
        |l| l.contains("re-classified with the new rules"),
        Duration::from_secs(30),
    );
    eventually(
        Duration::from_secs(30),
        "the vetoed item unpublished",
        || !d.get("/urgent.atom").1.contains("Pleșcanov"),
    );
    assert_eq!(srv.seen("/ro.rss").len(), polls, "no poll was needed");

    // An invalid change: logged with file, line and key; the running config stays.
    let broken = vetoed.replace(
        "[[sources]]\nid = \"fidh-en\"",
        "[[sources]]\nid = \"fidh-en\"\nshedule = \"x\"",
    );
    std::fs::write(&config, &broken).unwrap();
    d.signal("HUP");
    let err = d.wait_for(
        |l| l.contains("config reload failed"),
        Duration::from_secs(30),
    );
    assert!(
        err.contains(&format!("{}:", config.display())) && err.contains("shedule"),
        "{err}"
    );
    // Still running the previous config: serving, and healthy.
    let (status, body) = d.get("/healthz");
    assert!(status.contains("200"), "{status} {body}");
    assert!(d.get("/urgent.atom").1.contains("Rjavitin"));
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(30)), Some(0));
}

#[test]
fn sighup_with_rules_that_do_not_compile_together_keeps_the_daemon_running() {
    // Issue 10: two regexes that compile alone but not as one RegexSet killed the
    // daemon on SIGHUP. The reload is refused, with the rule, file, line and column;
    // the daemon keeps serving and polling with the config it had.
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    two_feeds(&srv);
    let config = write_config(
        dir.path(),
        &[("promolex-ro", srv.url("/ro.rss"), Some("ro"))],
        "schedule = \"* * * * * *\"",
    );
    let mut d = RunningDaemon::start(&config, &[]);
    eventually(Duration::from_secs(30), "the first poll", || {
        d.get("/urgent.atom").1.contains("Pleșcanov")
    });
    let text = std::fs::read_to_string(&config).unwrap();
    let broken = format!(
        "{text}\n[[rules]]\nname = \"words\"\nregex = [\"\\\\w{{200}}\", \"\\\\w{{200}}\"]\n"
    );
    let line = broken.lines().count();
    std::fs::write(&config, &broken).unwrap();
    d.signal("HUP");
    let err = d.wait_for(
        |l| l.contains("config reload failed"),
        Duration::from_secs(30),
    );
    assert!(
        err.contains(&format!("{}:{line}:22:", config.display()))
            && err.contains(".regex[1]: `\\w{200}` does not fit"),
        "{err}"
    );
    // Still the previous config: healthy, serving, polling.
    let (status, body) = d.get("/healthz");
    assert!(status.contains("200"), "{status} {body}");
    assert!(d.get("/urgent.atom").1.contains("Pleșcanov"));
    let polls = srv.seen("/ro.rss").len();
    eventually(Duration::from_secs(30), "another poll", || {
        srv.seen("/ro.rss").len() > polls
    });
    d.drain();
    assert!(
        !d.log.iter().any(|l| l.contains("panicked")),
        "{}",
        d.log.join("\n")
    );
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(30)), Some(0));
}

#[test]
fn sigterm_mid_poll_exits_0_within_the_grace_period_and_leaves_a_sound_database() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    two_feeds(&srv);
    // A publisher on another host (per-host politeness would otherwise queue the good
    // feed behind it) that sends headers, then its body a byte a second, for ever.
    let slow = FixtureServer::start_on("127.0.0.2");
    slow.set("/slow", Route::Drip(Duration::from_secs(1)));
    // The slow poll must still be under way at SIGTERM: with the default 30 s fetch
    // timeout, a machine slow to store the good feed let it time out first.
    let config = write_config_with(
        dir.path(),
        &[
            ("promolex-ro", srv.url("/ro.rss"), Some("ro")),
            ("slow", slow.url("/slow"), None),
        ],
        "shutdown_grace = \"2s\"",
        "\n[fetch]\ntimeout = \"1h\"\n",
    );
    let mut d = RunningDaemon::start(&config, &[]);
    eventually(Duration::from_secs(30), "the slow poll to start", || {
        !slow.seen("/slow").is_empty()
    });
    eventually(Duration::from_secs(30), "the good feed stored", || {
        d.get("/urgent.atom").1.contains("Pleșcanov")
    });
    let t = Instant::now();
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(30)), Some(0));
    let took = t.elapsed();
    eprintln!("exit after SIGTERM with a poll in flight: {took:?} (grace 2 s)");
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert!(
        d.log.iter().any(|l| l.contains("grace period")),
        "{:#?}",
        d.log
    );
    let store = tocsin::store::Store::open(&dir.path().join("var/tocsin.db")).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(items_json(&config, &[]).len(), 4);
}

#[test]
fn healthz_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    two_feeds(&srv);
    srv.set("/broken", Route::status(500));
    let config = write_config(
        dir.path(),
        &[
            ("promolex-ro", srv.url("/ro.rss"), Some("ro")),
            ("broken", srv.url("/broken"), None),
        ],
        "",
    );
    let mut notify = NotifySocket::new(dir.path());
    let sock = notify.path.to_str().unwrap().to_string();
    let d = RunningDaemon::start(&config, &[("NOTIFY_SOCKET", &sock)]);
    eventually(Duration::from_secs(30), "both polls", || {
        let m = d.get("/metrics").1;
        m.contains("tocsin_source_items{source=\"promolex-ro\"} 4")
            && m.contains("tocsin_source_consecutive_failures{source=\"broken\"} 1")
    });
    // A failing source is not the daemon's failure: 200, and the detail on the next
    // line for whoever reads it.
    let (status, body) = d.get("/healthz");
    assert!(
        status.contains("200") && body.starts_with("ok\n1 of 2 sources failing since 20"),
        "{status} {body:?}"
    );
    // And in `systemctl status`.
    let st = notify.wait_for(
        "STATUS=polling 2 sources, 1 failing since 20",
        Duration::from_secs(30),
    );
    assert!(st.contains("UTC, last publish"), "{st}");
    let (_, m) = d.get("/metrics");
    for want in [
        "tocsin_items 4",
        "tocsin_urgent_items 2",
        "tocsin_source_last_success_timestamp_seconds{source=\"promolex-ro\"}",
        "tocsin_source_poll_duration_seconds_count{source=\"broken\"}",
        "tocsin_publishes_total{outcome=\"ok\"}",
        "tocsin_http_requests_total{status=\"200\"}",
    ] {
        assert!(m.contains(want), "missing {want} in\n{m}");
    }
}

#[test]
fn healthz_is_503_with_the_reason_when_the_scheduler_is_silent() {
    let rt = inproc::runtime();
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &[], "");
    let config = tocsin::config::Config::load(&path).unwrap();
    let addr = rt.block_on(async {
        let d = tocsin::daemon::Daemon::new(config).unwrap();
        let mut state = d.serve_state();
        // Last heartbeat ten minutes ago, one expected every minute.
        state.health = Some(tocsin::health::Health::with_last_beat(
            chrono::Utc::now().timestamp() - 600,
            Duration::from_secs(60),
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(tocsin::serve::serve(
            listener,
            state,
            std::future::pending(),
        ));
        addr
    });
    let r = inproc::request(addr, "GET", "/healthz", &[]);
    assert_eq!(r.status, 503);
    let body = String::from_utf8(r.body).unwrap();
    assert!(body.starts_with("scheduler: no heartbeat for 60"), "{body}");
}

#[test]
fn retention_prunes_old_non_urgent_items_at_start_and_json_logs_carry_fields() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    two_feeds(&srv);
    let sources = [("promolex-ro", srv.url("/ro.rss"), Some("ro"))];
    let config = write_config(dir.path(), &sources, "");
    assert!(tocsin(&config, &["poll"]).status.success());
    assert_eq!(items_json(&config, &[]).len(), 4);

    // Items older than a day go (the fixtures are older), urgent ones stay; JSON logs.
    let config = write_config_with(
        dir.path(),
        &sources,
        "log_format = \"json\"\nschedule = \"0 0 0 1 1 *\"",
        "\n[retention]\nmax_age = \"1 day\"\nbatch_size = 1\n",
    );
    let mut d = RunningDaemon::start(&config, &[]);
    let pruned = d.wait_for(|l| l.contains("old items pruned"), Duration::from_secs(30));
    let v: serde_json::Value = serde_json::from_str(&pruned).expect("a JSON log line");
    assert_eq!(v["pruned"], 2, "{v}");
    assert_eq!(v["level"], "INFO");
    let left = items_json(&config, &[]);
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|i| i["urgent"] == true), "{left:#?}");
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(30)), Some(0));
    // The pruned items are still in the feed: a poll does not bring them back.
    let o = tocsin(&config, &["poll", "--force"]);
    assert!(stdout(&o).contains("unchanged"), "{}", stdout(&o));
    assert_eq!(items_json(&config, &[]).len(), 2);
}
