//! The low findings of issue 10, point 8, as a user meets them: exit codes on database
//! failures, `/healthz` under a lock held by someone else, markup in categories and
//! author names, and a database file that is whole after a one-shot command.

mod common;

use std::time::{Duration, Instant};

use common::daemon::{RunningDaemon, eventually};
use common::*;

const URGENT: &str = "Urgent appeal: arbitrary detention of Ms. Ana Popescu";

fn setup(items: &[(&str, &str)]) -> (tempfile::TempDir, FixtureServer, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.set("/feed.rss", Route::ok("application/rss+xml", rss(items)));
    let config = write_config(
        dir.path(),
        &[("watched", srv.url("/feed.rss"), Some("en"))],
        "",
    );
    (dir, srv, config)
}

/// Holds the database's write lock from another connection until dropped.
fn lock(db: &std::path::Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    c
}

#[test]
fn poll_exits_4_when_the_database_stays_locked() {
    let (dir, srv, config) = setup(&[(URGENT, "")]);
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    srv.set(
        "/feed.rss",
        Route::ok(
            "application/rss+xml",
            rss(&[(URGENT, ""), ("Urgent appeal: a second case", "")]),
        ),
    );
    let held = lock(&dir.path().join("var/tocsin.db"));
    let o = tocsin(&config, &["poll"]);
    drop(held);
    assert_eq!(o.status.code(), Some(4), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("database is locked"), "{}", stderr(&o));
    assert!(stdout(&o).contains("watched  error: "), "{}", stdout(&o));
    // Nothing was lost: the next poll stores the new item.
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(items_json(&config, &[]).len(), 2);
}

#[test]
fn render_exits_4_on_a_malformed_database() {
    let (dir, _srv, config) = setup(&[(URGENT, "")]);
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let db = dir.path().join("var/tocsin.db");
    // Garbage over the items table's root page: the file opens, reading items fails.
    let (root, page_size): (i64, i64) = {
        let c = rusqlite::Connection::open(&db).unwrap();
        let root = c
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'items'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (
            root,
            c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap(),
        )
    };
    let mut bytes = std::fs::read(&db).unwrap();
    let start = ((root - 1) * page_size) as usize;
    bytes[start..start + page_size as usize].fill(0xA5);
    std::fs::write(&db, bytes).unwrap();
    let o = tocsin(&config, &["render"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("malformed"), "{}", stderr(&o));
}

#[test]
fn healthz_answers_503_at_once_while_another_connection_holds_the_database() {
    let (dir, _srv, config) = setup(&[(URGENT, "")]);
    let d = RunningDaemon::start(&config, &[]);
    eventually(Duration::from_secs(30), "healthz ok", || {
        d.get("/healthz").0.contains("200")
    });
    let held = lock(&dir.path().join("var/tocsin.db"));
    // The healthy answer may be reused for a second; every answer comes at once.
    let (mut status, mut body) = (String::new(), String::new());
    eventually(Duration::from_secs(30), "healthz to see the lock", || {
        let started = Instant::now();
        (status, body) = d.get("/healthz");
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{took:?}");
        status.contains("503")
    });
    assert!(body.starts_with("database not writable: "), "{body}");
    assert!(
        body.contains("locked") || body.contains("busy"),
        "the reason: {body}"
    );
    drop(held);
    eventually(Duration::from_secs(30), "healthz ok again", || {
        d.get("/healthz").0.contains("200")
    });
}

#[test]
fn categories_and_author_names_are_published_without_markup() {
    let extra = "<category>&lt;b&gt;Moldova&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;</category>\
                 <dc:creator>&lt;a href=\"http://evil.example/\"&gt;Promo-LEX&lt;/a&gt;</dc:creator>";
    let (dir, _srv, config) = setup(&[(URGENT, extra)]);
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = dir.path().join("var/public");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(public.join("urgent.json")).unwrap())
            .unwrap();
    let item = &json["items"][0];
    let tags: Vec<&str> = item["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    assert!(tags.contains(&"Moldova"), "{tags:?}");
    assert!(tags.iter().all(|t| !t.contains('<')), "{tags:?}");
    // The source, with the publisher's own author (issue 14), without markup.
    assert_eq!(item["authors"][0]["name"], "watched (Promo-LEX)", "{item}");
    for doc in ["urgent.atom", "urgent.rss", "urgent.html"] {
        let text = std::fs::read_to_string(public.join(doc)).unwrap();
        assert!(!text.contains("onerror"), "{doc}");
        assert!(!text.contains("evil.example"), "{doc}");
        assert!(!text.contains("&lt;b&gt;"), "{doc}");
    }
}

#[test]
fn one_shot_commands_leave_the_database_file_whole() {
    let (dir, _srv, config) = setup(&[(URGENT, ""), ("Annual report", "")]);
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let db = dir.path().join("var/tocsin.db");
    let wal = dir.path().join("var/tocsin.db-wal");
    assert_eq!(
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0),
        0,
        "the write-ahead log is checkpointed and emptied"
    );
    // A copy of the file alone (as `cp tocsin.db` would make) holds every item.
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    let c = rusqlite::Connection::open(&copy).unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[test]
fn per_source_documents_are_cached_apart_from_the_main_ones_and_bounded() {
    let rt = common::inproc::runtime();
    let dir = tempfile::tempdir().unwrap();
    let feed_path = dir.path().join("feed.rss");
    std::fs::write(&feed_path, rss(&[(URGENT, "")])).unwrap();
    let url = format!("file://{}", feed_path.display());
    let ids: Vec<String> = (0..70).map(|n| format!("s{n}")).collect();
    let sources: Vec<(&str, String, Option<&str>)> = ids
        .iter()
        .map(|id| (id.as_str(), url.clone(), Some("en")))
        .collect();
    let config = tocsin::config::Config::load(&write_config(dir.path(), &sources, "")).unwrap();
    let (addr, d) = common::inproc::serve(&rt, config);
    let main = d.published.get().files.len();
    for id in &ids {
        let r = common::inproc::request(addr, "GET", &format!("/sources/{id}.atom"), &[]);
        assert_eq!(r.status, 200, "{id}");
        assert!(String::from_utf8_lossy(&r.body).contains("Ana Popescu"));
    }
    assert_eq!(
        d.published.get().files.len(),
        main,
        "the main snapshot does not grow"
    );
    assert_eq!(
        d.publisher.on_demand_cached(),
        tocsin::publish::MAX_ON_DEMAND
    );
    // Evicted, then rendered again on request.
    let r = common::inproc::request(addr, "GET", "/sources/s0.atom", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        d.publisher.on_demand_cached(),
        tocsin::publish::MAX_ON_DEMAND
    );

    // A cached document that changes is rendered again at the next publish.
    std::fs::write(
        &feed_path,
        rss(&[(URGENT, ""), ("Urgent appeal: torture of Mr. Ion Rusu", "")]),
    )
    .unwrap();
    let outcome = rt.block_on(async {
        d.poll_once(d.config.sources.clone(), true).await;
        d.publish().await.unwrap()
    });
    assert!(
        outcome.changed.iter().any(|p| p == "sources/s69.atom"),
        "{:?}",
        outcome.changed
    );
    let r = common::inproc::request(addr, "GET", "/sources/s69.atom", &[]);
    assert!(String::from_utf8_lossy(&r.body).contains("Ion Rusu"));
}
