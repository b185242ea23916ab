//! Case codes, one entry per case, `rules test` and re-classification, end to end.

mod common;

use common::*;

const CODE_RULE: &str = "\n[[rules]]\nname = \"case-code\"\ncase_code = true\n";

const OMCT: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>OMCT</title><id>tag:omct.example,2026:ui</id><updated>2026-02-06T09:00:00Z</updated>
  <entry>
    <title>Arbitrary detention of whistleblower Mr. Alexandru Rjavitin</title>
    <id>tag:omct.example,2026:1</id>
    <link href="https://omct.example/ui/rjavitin"/>
    <updated>2026-02-06T09:00:00Z</updated>
    <summary>MDA 001 /0120 / OBS 008 Arbitrary detention. The Observatory requests your urgent intervention.</summary>
  </entry>
  <entry>
    <title>Tunisia: Continued judicial harassment of Ms. Najet Laabidi</title>
    <id>tag:omct.example,2026:2</id>
    <link href="https://omct.example/ui/laabidi-2"/>
    <updated>2026-02-05T09:00:00Z</updated>
    <summary>New information TUN 001 / 0517 / OBS 052.1 Judicial harassment.</summary>
  </entry>
</feed>"#;

const FIDH: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>FIDH</title><link>https://fidh.example/</link><language>en</language>
  <item>
    <title>Moldova: Arbitrary detention of Mr. Alexandru Rjavitin</title>
    <link>https://fidh.example/rjavitin</link><guid>fidh-1</guid>
    <pubDate>Fri, 06 Feb 2026 10:00:00 +0000</pubDate>
    <description>Urgent Appeal MDA 001/0120/OBS 008</description>
  </item>
  <item>
    <title>Tunisia: Judicial harassment of Ms. Najet Laabidi</title>
    <link>https://fidh.example/laabidi</link><guid>fidh-0</guid>
    <pubDate>Thu, 22 May 2025 10:00:00 +0000</pubDate>
    <description>Urgent appeal TUN 001 / 0517 / OBS 052</description>
  </item>
</channel></rss>"#;

#[test]
fn the_same_case_from_two_publishers_is_published_once() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.set("/omct.atom", Route::ok("application/atom+xml", OMCT));
    srv.set("/fidh.rss", Route::ok("application/rss+xml", FIDH));
    let config = write_config_with(
        dir.path(),
        &[
            ("omct-en", srv.url("/omct.atom"), None),
            ("fidh-en", srv.url("/fidh.rss"), None),
        ],
        "",
        CODE_RULE,
    );
    // OMCT first: it is the first seen of the shared case.
    for source in ["omct-en", "fidh-en"] {
        let o = tocsin(&config, &["poll", "--source", source]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let items = items_json(&config, &[]);
    assert_eq!(items.len(), 4);
    let codes = |title: &str| {
        let i = items.iter().find(|i| i["title"] == title).unwrap();
        assert_eq!(i["urgent"], true, "{title}");
        i["case_codes"].clone()
    };
    assert_eq!(
        codes("Arbitrary detention of whistleblower Mr. Alexandru Rjavitin"),
        serde_json::json!(["MDA 001/0120/OBS 008"])
    );
    assert_eq!(
        codes("Moldova: Arbitrary detention of Mr. Alexandru Rjavitin"),
        serde_json::json!(["MDA 001/0120/OBS 008"])
    );
    assert_eq!(
        codes("Tunisia: Continued judicial harassment of Ms. Najet Laabidi"),
        serde_json::json!(["TUN 001/0517/OBS 052.1"])
    );

    let atom = std::fs::read_to_string(dir.path().join("var/public/urgent.atom")).unwrap();
    assert_eq!(
        atom.matches("<entry").count(),
        3,
        "Rjavitin once, the follow-up and its original each once:\n{atom}"
    );
    assert!(atom.contains("whistleblower Mr. Alexandru Rjavitin"));
    assert!(
        !atom.contains("<title>Moldova: Arbitrary detention of Mr. Alexandru Rjavitin"),
        "FIDH's copy is not an entry of its own"
    );
    // The other publisher is a related link, the code a category, in every format.
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    let rjavitin = feed
        .entries
        .iter()
        .find(|e| e.title.as_ref().unwrap().content.contains("whistleblower"))
        .unwrap();
    let related: Vec<_> = rjavitin
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("related"))
        .collect();
    assert_eq!(related.len(), 1, "{related:?}");
    assert_eq!(related[0].href, "https://fidh.example/rjavitin");
    assert_eq!(
        related[0].title.as_deref(),
        Some("also published by fidh-en: Moldova: Arbitrary detention of Mr. Alexandru Rjavitin")
    );
    assert!(
        rjavitin
            .categories
            .iter()
            .any(|c| c.term == "MDA 001/0120/OBS 008"
                && c.scheme.as_deref() == Some("http://feeds.example.org/scheme/case"))
    );
    let follow_up = feed
        .entries
        .iter()
        .find(|e| e.title.as_ref().unwrap().content.contains("Continued"))
        .unwrap();
    assert!(
        follow_up
            .links
            .iter()
            .any(|l| l.rel.as_deref() == Some("related")
                && l.href == "https://fidh.example/laabidi"
                && l.title
                    .as_deref()
                    .is_some_and(|t| t.starts_with("follow-up of: "))),
        "{:?}\n{}",
        follow_up.links,
        std::fs::read_to_string(dir.path().join("var/public/urgent.json")).unwrap()
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("var/public/urgent.json")).unwrap(),
    )
    .unwrap();
    let j = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("whistleblower"))
        .unwrap();
    assert_eq!(
        j["_tocsin"]["related"][0]["url"],
        "https://fidh.example/rjavitin"
    );
    assert_eq!(j["_tocsin"]["case_codes"][0], "MDA 001/0120/OBS 008");
    let rss = std::fs::read_to_string(dir.path().join("var/public/urgent.rss")).unwrap();
    assert!(rss.contains("https://fidh.example/rjavitin"), "{rss}");
    let html = std::fs::read_to_string(dir.path().join("var/public/index.html")).unwrap();
    assert!(
        html.contains("Also published by fidh-en: <a href=\"https://fidh.example/rjavitin\""),
        "{html}"
    );
    assert!(html.contains("<span class=\"code\">MDA 001/0120/OBS 008</span>"));
    assert!(html.contains("Follow-up of: <a href=\"https://fidh.example/laabidi\""));
    // Every item stays in the full feed.
    let all = std::fs::read_to_string(dir.path().join("var/public/all.atom")).unwrap();
    assert_eq!(all.matches("<entry").count(), 4);
}

const EDITED_RULES: &str = r#"
[[rules]]
name = "monitoring"
keywords = ["încălcări"]
fields = ["title"]

[[rules]]
name = "not-russian"
languages = ["ru"]
weight = -5.0
"#;

#[test]
fn rules_test_shows_what_an_edit_changes_and_the_next_poll_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.serve_fixture("/ro.rss", "feeds/promolex-ro.rss", "application/rss+xml");
    srv.serve_fixture("/ru.rss", "feeds/promolex-ru.rss", "application/rss+xml");
    let sources = [
        ("promolex-ro", srv.url("/ro.rss"), Some("ro")),
        ("promolex-ru", srv.url("/ru.rss"), Some("ru")),
    ];
    let config = write_config_with(dir.path(), &sources, "", "");
    assert!(tocsin(&config, &["poll"]).status.success());
    let urgent_before = items_json(&config, &["--urgent"]).len();
    assert_eq!(urgent_before, 3);

    write_config_with(dir.path(), &sources, "", EDITED_RULES);
    let o = tocsin(&config, &["rules", "test"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("newly urgent (1):"), "{out}");
    assert!(
        out.contains("Promo-LEX a găsit noi încălcări ale drepturilor omului în Transnistria"),
        "{out}"
    );
    assert!(
        out.contains("was not urgent (score 0), now score 1: monitoring +1"),
        "{out}"
    );
    assert!(out.contains("no longer urgent (1):"), "{out}");
    assert!(out.contains("not-russian -5"), "{out}");
    assert!(
        out.contains("checked 6 stored items against 4 rules: 1 newly urgent, 1 no longer urgent, 0 would be dropped"),
        "{out}"
    );
    // Scoped to one source and a date.
    let o = tocsin(
        &config,
        &[
            "rules",
            "test",
            "--source",
            "promolex-ru",
            "--since",
            "2026-11-06",
        ],
    );
    let out = stdout(&o);
    assert!(out.contains("checked 2 stored items"), "{out}");
    assert!(!out.contains("newly urgent ("), "{out}");
    let o = tocsin(&config, &["rules", "test", "--since", "yesterday"]);
    assert_eq!(o.status.code(), Some(2), "a bad date is a usage error");

    assert_eq!(
        items_json(&config, &["--urgent"]).len(),
        urgent_before,
        "rules test writes nothing"
    );

    // The next poll starts by re-classifying everything stored with the new rules.
    assert!(tocsin(&config, &["poll"]).status.success());
    let urgent: Vec<String> = items_json(&config, &["--urgent"])
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(urgent.len(), 3, "{urgent:?}");
    assert!(urgent.iter().any(|t| t.contains("noi încălcări")));
    assert!(!urgent.iter().any(|t| t.contains("немедленно")));
    let o = tocsin(&config, &["rules", "test"]);
    assert!(stdout(&o).contains(": 0 newly urgent, 0 no longer urgent"));
}
