//! An editor's word beats the rules: `tocsin mark` puts an item in (or out of) the
//! urgent feed at once, through re-classifications, through a running daemon, and
//! `rules test` shows where the rules disagree.

mod common;

use std::time::Duration;

use common::daemon::{RunningDaemon, eventually};
use common::notify::NotifySocket;
use common::*;

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let feed = rss_titles(&[
        "Urgent appeal: release Ion Popescu",
        "Journalist beaten in Tiraspol, family fears for his life",
    ]);
    std::fs::write(dir.path().join("f.rss"), feed).unwrap();
    // The fixture's items are from 2025: kept, whatever their age.
    let config = write_config_with(
        dir.path(),
        &[(
            "src",
            format!("file://{}", dir.path().join("f.rss").display()),
            Some("en"),
        )],
        "",
        "\n[retention]\nmax_age = \"never\"\n",
    );
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    (dir, config)
}

fn item<'a>(items: &'a [serde_json::Value], prefix: &str) -> &'a serde_json::Value {
    items
        .iter()
        .find(|i| i["title"].as_str().unwrap().starts_with(prefix))
        .unwrap()
}

#[test]
fn a_mark_wins_over_the_rules_shows_why_and_is_published_at_once() {
    let (dir, config) = setup();
    let items = items_json(&config, &[]);
    let beaten = item(&items, "Journalist");
    assert_eq!(beaten["urgent"], false, "the rules miss it");
    let id = beaten["id"].as_str().unwrap().to_string();

    let o = tocsin(
        &config,
        &[
            "mark",
            &id,
            "--urgent",
            "--note",
            "confirmed with the family",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("marked urgent"), "{}", stdout(&o));
    let items = items_json(&config, &[]);
    let beaten = item(&items, "Journalist");
    assert_eq!(beaten["urgent"], true);
    let reasons = beaten["evidence"].to_string();
    assert!(reasons.contains("marked by an editor"), "{reasons}");
    assert!(reasons.contains("confirmed with the family"), "{reasons}");
    let atom = std::fs::read_to_string(dir.path().join("var/public/urgent.atom")).unwrap();
    assert!(
        atom.contains("Journalist beaten"),
        "published at once: {atom}"
    );
    assert!(atom.contains("Marked urgent by an editor"), "{atom}");

    // A change of rules re-classifies every item: the mark holds.
    let text = std::fs::read_to_string(&config).unwrap()
        + "\n[[rules]]\nname = \"extra\"\nkeywords = [\"nothing matches this\"]\n";
    std::fs::write(&config, text).unwrap();
    let o = tocsin(&config, &["render"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        item(&items_json(&config, &[]), "Journalist")["urgent"],
        true
    );

    // Rule authors learn from it.
    let o = tocsin(&config, &["rules", "test"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("marked by an editor, where the rules disagree (1):"),
        "{out}"
    );
    assert!(
        out.contains("marked urgent (\"confirmed with the family\")"),
        "{out}"
    );
    assert!(out.contains("the rules say not urgent"), "{out}");
    assert!(out.contains("0 newly urgent, 0 no longer urgent"), "{out}");

    // Not urgent beats the rules too; clearing gives the rules back their say.
    let appeal = item(&items_json(&config, &[]), "Urgent appeal")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        tocsin(&config, &["mark", &appeal, "--not-urgent"])
            .status
            .success()
    );
    assert_eq!(
        item(&items_json(&config, &[]), "Urgent appeal")["urgent"],
        false
    );
    assert!(
        tocsin(&config, &["mark", &appeal, "--clear"])
            .status
            .success()
    );
    assert!(tocsin(&config, &["mark", &id, "--clear"]).status.success());
    let items = items_json(&config, &[]);
    assert_eq!(item(&items, "Urgent appeal")["urgent"], true);
    assert_eq!(item(&items, "Journalist")["urgent"], false);
    assert!(
        !item(&items, "Journalist")["evidence"]
            .to_string()
            .contains("editor")
    );
}

#[test]
fn an_unknown_item_is_a_usage_error() {
    let (_dir, config) = setup();
    let o = tocsin(&config, &["mark", "0123456789abcdef", "--urgent"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no stored item `0123456789abcdef`"),
        "{}",
        stderr(&o)
    );
    let o = tocsin(&config, &["mark", "x"]);
    assert!(!o.status.success(), "a decision is required");
}

#[test]
fn a_running_daemon_publishes_a_mark_made_beside_it() {
    let (dir, config) = setup();
    let id = item(&items_json(&config, &[]), "Journalist")["id"]
        .as_str()
        .unwrap()
        .to_string();
    // WatchdogSec=3s: a heartbeat every second.
    let notify = NotifySocket::new(dir.path());
    let sock = notify.path.to_str().unwrap().to_string();
    let mut d = RunningDaemon::start(
        &config,
        &[("NOTIFY_SOCKET", &sock), ("WATCHDOG_USEC", "3000000")],
    );
    eventually(Duration::from_secs(30), "the first publish", || {
        d.get("/urgent.atom").1.contains("Urgent appeal")
    });
    assert!(!d.get("/urgent.atom").1.contains("Journalist"));
    let o = tocsin(&config, &["mark", &id, "--urgent"]);
    assert!(o.status.success(), "{}", stderr(&o));
    d.wait_for(
        |l| l.contains("an editor's mark changed"),
        Duration::from_secs(30),
    );
    eventually(
        Duration::from_secs(30),
        "the daemon to publish the mark",
        || d.get("/urgent.atom").1.contains("Journalist beaten"),
    );
}
