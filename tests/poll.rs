//! `tocsin poll` end to end: a local server with fixture feeds, two passes, an edit.

mod common;

use common::*;

fn setup() -> (tempfile::TempDir, FixtureServer, std::path::PathBuf) {
    setup_with("")
}

fn setup_with(extra: &str) -> (tempfile::TempDir, FixtureServer, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.serve_fixture(
        "/ro.rss",
        "feeds/promolex-ro.rss",
        "application/rss+xml; charset=utf-8",
    );
    srv.serve_fixture("/ru.rss", "feeds/promolex-ru.rss", "application/rss+xml");
    srv.serve_fixture("/fidh.atom", "feeds/fidh.atom", "application/atom+xml");
    srv.serve_fixture(
        "/amnesty.json",
        "feeds/amnesty.json",
        "application/feed+json",
    );
    let config = write_config(
        dir.path(),
        &[
            ("promolex-ro", srv.url("/ro.rss"), Some("ro")),
            ("promolex-ru", srv.url("/ru.rss"), Some("ru")),
            ("fidh-en", srv.url("/fidh.atom"), None),
            ("amnesty", srv.url("/amnesty.json"), None),
        ],
        extra,
    );
    (dir, srv, config)
}

const URGENT: &[&str] = &[
    "Alertă în Transnistria: Promo-LEX cere eliberarea urgentă a activistului Victor Pleșcanov",
    "Apel urgent: detenţie ilegală a avocatului Ion Ţurcanu la Tiraspol",
    "Promo-LEX требует немедленно освободить активиста, задержанного в Тирасполе",
    "Moldova: Arbitrary detention of whistleblower Mr. Alexandru Rjavitin",
    "Urgent Action: Human rights lawyer held incommunicado",
];
const NOT_URGENT: &[&str] = &[
    "Promo-LEX a găsit noi încălcări ale drepturilor omului în Transnistria",
    "Raportul final al misiunii de observare a alegerilor locale generale",
    "Promo-LEX представил отчёт о мониторинге прав человека в Приднестровье",
    "FIDH publishes its annual activity report",
    "New report on prison conditions in Europe",
];

#[test]
fn two_passes_store_every_item_once_and_publish_only_the_urgent_ones() {
    let (dir, srv, config) = setup();
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("promolex-ro  new    4"), "{out}");
    assert!(out.contains("promolex-ru  new    2"), "{out}");
    assert!(out.contains("fidh-en      new    2"), "{out}");
    assert!(out.contains("amnesty      new    2"), "{out}");

    let items = items_json(&config, &[]);
    assert_eq!(items.len(), 10);
    let mut ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10, "ids are unique");
    for i in &items {
        let title = i["title"].as_str().unwrap();
        let urgent = i["urgent"].as_bool().unwrap();
        assert_eq!(urgent, URGENT.contains(&title), "{title}");
        if urgent {
            assert!(!i["reasons"].as_array().unwrap().is_empty(), "{title}");
        }
        for f in ["published", "updated"] {
            let t = i[f].as_str().unwrap();
            assert!(
                t.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(t).is_ok(),
                "{t}"
            );
        }
    }
    let ro = items.iter().find(|i| i["source"] == "promolex-ro").unwrap();
    assert_eq!(ro["language"], "ro");
    let fidh = items.iter().find(|i| i["source"] == "fidh-en").unwrap();
    assert_eq!(fidh["language"], "en", "declared by the feed's xml:lang");
    let annual = items.iter().find(|i| i["title"] == NOT_URGENT[3]).unwrap();
    assert_eq!(
        annual["link"].as_str().unwrap(),
        srv.url("/en/about-us/annual-report-2026"),
        "relative links resolve against the URL the feed came from"
    );

    let atom = std::fs::read_to_string(dir.path().join("var/public/urgent.atom")).unwrap();
    for t in URGENT {
        assert!(
            atom.contains(&t.replace('"', "&quot;")),
            "urgent.atom lacks {t}"
        );
    }
    for t in NOT_URGENT {
        assert!(!atom.contains(t), "urgent.atom must not list {t}");
    }
    assert_eq!(atom.matches("<entry").count(), URGENT.len());
    let all = std::fs::read_to_string(dir.path().join("var/public/all.atom")).unwrap();
    assert_eq!(all.matches("<entry").count(), 10);
    for f in ["urgent.rss", "urgent.json", "index.html"] {
        let body = std::fs::read_to_string(dir.path().join("var/public").join(f)).unwrap();
        assert!(body.contains("Victor Pleșcanov"), "{f}");
        assert!(!body.contains("alegerilor locale"), "{f}");
    }

    // Second pass: the same bytes again are not even parsed; nothing duplicated.
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert_eq!(out.matches("unchanged body").count(), 4, "{out}");
    assert_eq!(items_json(&config, &[]).len(), 10);
    let again = std::fs::read_to_string(dir.path().join("var/public/urgent.atom")).unwrap();
    assert_eq!(again.matches("<entry").count(), URGENT.len());
}

#[test]
fn an_edited_item_is_updated_in_place() {
    let (_dir, srv, config) = setup();
    assert!(tocsin(&config, &["poll"]).status.success());
    let before = items_json(&config, &["--source", "fidh-en"]);
    let old = before
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("Rjavitin"))
        .unwrap()
        .clone();

    let edited = String::from_utf8(fixture_bytes("feeds/fidh.atom"))
        .unwrap()
        .replace(
            "Moldova: Arbitrary detention of whistleblower Mr. Alexandru Rjavitin",
            "Moldova: Ongoing arbitrary detention of whistleblower Mr. Alexandru Rjavitin",
        );
    srv.set("/fidh.atom", Route::ok("application/atom+xml", edited));
    let o = tocsin(&config, &["poll", "--source", "fidh-en"]);
    let out = stdout(&o);
    assert!(
        out.contains("new    0  updated    1  unchanged    1"),
        "{out}"
    );

    let after = items_json(&config, &["--source", "fidh-en"]);
    assert_eq!(after.len(), 2);
    let new = after
        .iter()
        .find(|i| i["id"] == old["id"])
        .expect("same id");
    assert_eq!(
        new["title"],
        "Moldova: Ongoing arbitrary detention of whistleblower Mr. Alexandru Rjavitin"
    );
    assert!(
        new["updated"].as_str() > old["updated"].as_str(),
        "updated moves"
    );
    assert_eq!(new["published"], old["published"], "published stays");
}

#[test]
fn a_failing_source_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.serve_fixture("/ro.rss", "feeds/promolex-ro.rss", "application/rss+xml");
    srv.set("/broken", Route::status(500));
    srv.set(
        "/html",
        Route::ok("text/html", "<html><body>not a feed</body></html>"),
    );
    let config = write_config(
        dir.path(),
        &[
            ("broken", srv.url("/broken"), None),
            ("html-page", srv.url("/html"), None),
            ("good", srv.url("/ro.rss"), Some("ro")),
        ],
        "",
    );
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "a failing source is not a failed pass");
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "broken     error: source `broken`: {}: HTTP 500",
            srv.url("/broken")
        )),
        "{out}"
    );
    assert!(
        out.contains("html-page  error:") && out.contains("not a feed"),
        "{out}"
    );
    assert!(out.contains("good       new    4"), "{out}");
    assert_eq!(items_json(&config, &[]).len(), 4);
}

#[test]
fn unknown_source_is_a_usage_error() {
    let (_dir, _srv, config) = setup();
    let o = tocsin(&config, &["poll", "--source", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no source `nope`"), "{}", stderr(&o));
}

#[test]
fn unusable_database_is_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[], "");
    std::fs::create_dir_all(dir.path().join("var")).unwrap();
    std::fs::write(
        dir.path().join("var/tocsin.db"),
        b"this is not a database, it is text",
    )
    .unwrap();
    let o = tocsin(&config, &["poll"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("tocsin.db"), "{}", stderr(&o));
}

#[test]
fn inspect_prints_items_with_their_classification() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[], "");
    let path = fixtures_dir().join("feeds/promolex-ro.rss");
    let o = tocsin(&config, &["inspect", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines.iter().filter(|l| l["urgent"] == true).count(), 2);
    assert!(
        !dir.path().join("var/tocsin.db").exists(),
        "inspect stores nothing"
    );
    let o = tocsin(&config, &["inspect", "/nonexistent/feed.xml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/feed.xml"),
        "{}",
        stderr(&o)
    );
}
