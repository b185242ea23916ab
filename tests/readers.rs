//! What a reader sees (issue 14): who published an appeal (the author), where (the
//! country, and documents per country), why in plain words (rule labels), a summary in
//! every entry, and dates as the publisher gave them; checked in the documents and in
//! the readers people use (feedparser, newsboat).

mod common;

use std::path::Path;
use std::process::Command;

use common::inproc::{request, runtime, serve};
use common::*;
use tocsin::config::Config;

/// A rule with a label, on top of the test rules.
const LABELLED: &str = r#"
[[rules]]
name = "torture-in-title"
keywords = ["torture"]
fields = ["title"]
label = "Torture named in the title"
"#;

/// An OMCT-like feed: a titled country prefix and a publisher's author; a case code and
/// no text at all; a date without a time.
fn feed() -> String {
    rss(&[
        (
            "Moldova: Arbitrary detention of Mr Ion Popescu",
            "<description>Mr Popescu was detained in Tiraspol.</description>\
             <dc:creator>Jane Doe</dc:creator>",
        ),
        (
            "Belarus - Torture of human rights defender",
            "<category>Belarus</category>",
        ),
        ("Torture of a journalist, Case MDA 170811", ""),
    ])
    .replacen(
        "<pubDate>03 Jun 2025 10:00:00 +0000</pubDate>",
        "<dc:date>2025-06-03</dc:date>",
        1,
    )
}

struct Published {
    _dir: tempfile::TempDir,
    public: std::path::PathBuf,
    addr: std::net::SocketAddr,
    _daemon: tocsin::daemon::Daemon,
    _rt: tokio::runtime::Runtime,
}

fn published() -> Published {
    let dir = tempfile::tempdir().unwrap();
    let feed_path = dir.path().join("omct.rss");
    std::fs::write(&feed_path, feed()).unwrap();
    let config = write_config_with(
        dir.path(),
        &[(
            "omct",
            format!("file://{}", feed_path.display()),
            Some("en"),
        )],
        "",
        LABELLED,
    );
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("id = \"omct\"\n", "id = \"omct\"\ntitle = \"OMCT\"\n");
    std::fs::write(&config, text).unwrap();
    let config = Config::load(&config).unwrap();
    let public = config.output.dir.clone();
    let rt = runtime();
    let (addr, daemon) = serve(&rt, config);
    Published {
        _dir: dir,
        public,
        addr,
        _daemon: daemon,
        _rt: rt,
    }
}

fn read(p: &Published, path: &str) -> String {
    std::fs::read_to_string(p.public.join(path)).unwrap()
}

#[test]
fn the_publishing_source_is_the_author_in_every_format() {
    let p = published();
    let atom = read(&p, "urgent.atom");
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    assert_eq!(feed.entries.len(), 3, "{atom}");
    for e in &feed.entries {
        assert_eq!(e.authors.len(), 1, "{atom}");
        assert!(
            e.authors[0].name.as_deref().unwrap().starts_with("OMCT"),
            "{atom}"
        );
    }
    let popescu = feed
        .entries
        .iter()
        .find(|e| e.title.as_ref().unwrap().content.contains("Popescu"))
        .unwrap();
    let names: Vec<&str> = popescu
        .authors
        .iter()
        .filter_map(|a| a.name.as_deref())
        .collect();
    assert_eq!(
        names,
        ["OMCT (Jane Doe)"],
        "the publisher's own author is kept"
    );
    let rss = read(&p, "urgent.rss");
    assert_eq!(
        rss.matches("<dc:creator>OMCT</dc:creator>").count(),
        2,
        "{rss}"
    );
    assert!(
        rss.contains("<dc:creator>OMCT (Jane Doe)</dc:creator>"),
        "{rss}"
    );
    let json: serde_json::Value = serde_json::from_str(&read(&p, "urgent.json")).unwrap();
    for item in json["items"].as_array().unwrap() {
        let name = item["authors"][0]["name"].as_str().unwrap();
        assert!(name.starts_with("OMCT"), "{item}");
    }
}

#[test]
fn countries_are_in_categories_json_and_the_page() {
    let p = published();
    let atom = read(&p, "urgent.atom");
    for (code, name) in [("MDA", "Moldova"), ("BLR", "Belarus")] {
        assert!(
            atom.contains(&format!(
                "<category term=\"{code}\" scheme=\"http://feeds.example.org/scheme/country\" label=\"{name}\"/>"
            )),
            "{atom}"
        );
    }
    let rss = read(&p, "urgent.rss");
    assert!(
        rss.contains("<category domain=\"http://feeds.example.org/scheme/country\">MDA</category>"),
        "{rss}"
    );
    let json: serde_json::Value = serde_json::from_str(&read(&p, "urgent.json")).unwrap();
    let countries: Vec<String> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["_tocsin"]["countries"].to_string())
        .collect();
    assert!(
        countries.contains(&"[\"MDA\"]".to_string()),
        "{countries:?}"
    );
    assert!(
        countries.contains(&"[\"BLR\"]".to_string()),
        "{countries:?}"
    );
    let page = read(&p, "urgent.html");
    assert!(
        page.contains("<span class=\"country\" title=\"MDA\">Moldova</span>"),
        "{page}"
    );
    // The filter: a link to each country's page.
    assert!(
        page.contains("href=\"http://feeds.example.org/country/BLR/urgent.html\""),
        "{page}"
    );
}

#[test]
fn per_country_documents_hold_that_country_only() {
    let p = published();
    for path in [
        "/country/MDA/urgent.atom",
        "/urgent.atom?country=MDA",
        "/urgent.atom?country=mda",
    ] {
        let r = request(p.addr, "GET", path, &[]);
        assert_eq!(r.status, 200, "{path}");
        let feed = feed_rs::parser::parse(&r.body[..]).unwrap();
        let titles: Vec<String> = feed
            .entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect();
        assert_eq!(titles.len(), 2, "{path}: {titles:?}");
        assert!(titles.iter().all(|t| !t.contains("Belarus")), "{titles:?}");
        assert_eq!(feed.title.unwrap().content, "Test urgent: Moldova");
    }
    let r = request(p.addr, "GET", "/country/BLR/urgent.html", &[]);
    assert_eq!(r.status, 200);
    let page = String::from_utf8(r.body).unwrap();
    assert!(
        page.contains("urgent interventions about Belarus"),
        "{page}"
    );
    assert_eq!(page.matches("<article").count(), 1, "{page}");
    // An unknown code is no document.
    assert_eq!(
        request(p.addr, "GET", "/country/XYZ/urgent.atom", &[]).status,
        404
    );
}

#[test]
fn every_entry_has_a_summary_and_labels_say_why() {
    let p = published();
    let atom = read(&p, "urgent.atom");
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    for e in &feed.entries {
        let s = e
            .summary
            .as_ref()
            .map(|s| s.content.clone())
            .unwrap_or_default();
        assert!(!s.trim().is_empty(), "an entry without text: {atom}");
    }
    // The item without text: source, country, case code and the reasons in words.
    assert!(
        atom.contains("OMCT · Moldova · Case MDA 170811 · Torture named in the title"),
        "{atom}"
    );
    // The publisher's text, then why in plain words.
    assert!(
        atom.contains("Selected because: detention-in-title"),
        "{atom}"
    );
    let rss = read(&p, "urgent.rss");
    assert_eq!(
        rss.matches("<description>").count(),
        4,
        "the channel's and every item's: {rss}"
    );
    let json: serde_json::Value = serde_json::from_str(&read(&p, "urgent.json")).unwrap();
    for item in json["items"].as_array().unwrap() {
        assert!(
            item["content_html"].as_str().is_some_and(|s| !s.is_empty()),
            "{item}"
        );
        assert!(
            item["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{item}"
        );
        // The evidence stays for programs.
        assert!(
            item["_tocsin"]["reasons"][0]["evidence"].is_string(),
            "{item}"
        );
    }
    let page = read(&p, "urgent.html");
    assert!(
        page.contains("Selected because: Torture named in the title</p>"),
        "{page}"
    );
    assert!(!page.contains("title: &quot;torture&quot;"), "{page}");
}

#[test]
fn a_date_without_a_time_is_shown_as_the_date_alone() {
    let p = published();
    let page = read(&p, "urgent.html");
    assert!(
        page.contains("<time datetime=\"2025-06-03\">2025-06-03</time>"),
        "{page}"
    );
    assert!(!page.contains("2025-06-03 00:00 UTC</time> ·"), "{page}");
    assert!(page.contains(">2025-06-01 10:00 UTC</time>"), "{page}");
}

#[test]
fn feedparser_sees_the_author_and_the_countries() {
    if !Path::new("/usr/bin/python3").exists()
        || !Command::new("/usr/bin/python3")
            .args(["-c", "import feedparser"])
            .status()
            .is_ok_and(|s| s.success())
    {
        eprintln!("SKIPPED: python3-feedparser is not installed (.ci/run installs it)");
        return;
    }
    let p = published();
    let script = r#"
import json, sys, feedparser
for path in sys.argv[1:]:
    d = feedparser.parse(path)
    for e in d.entries:
        print(json.dumps({"path": path, "author": e.get("author"),
            "tags": [t.get("term") for t in e.get("tags", [])],
            "summary": e.get("summary", "")}))
"#;
    let o = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(p.public.join("urgent.atom"))
        .arg(p.public.join("urgent.rss"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6, "{}", stdout(&o));
    for l in &lines {
        assert!(
            l["author"].as_str().is_some_and(|a| a.starts_with("OMCT")),
            "{l}"
        );
        assert!(l["summary"].as_str().is_some_and(|s| !s.is_empty()), "{l}");
        let tags = l["tags"].to_string();
        assert!(tags.contains("MDA") || tags.contains("BLR"), "{l}");
    }
}

#[test]
fn newsboat_shows_the_author() {
    if Command::new("newsboat").arg("--version").output().is_err() {
        eprintln!("SKIPPED: newsboat is not installed (.ci/run installs it)");
        return;
    }
    let p = published();
    let nb = p.public.parent().unwrap().join("nb");
    std::fs::create_dir_all(&nb).unwrap();
    let urls = format!(
        "http://{a}/urgent.atom\nhttp://{a}/urgent.rss\nhttp://{a}/country/MDA/urgent.atom\n",
        a = p.addr
    );
    std::fs::write(nb.join("urls"), urls).unwrap();
    let o = Command::new("newsboat")
        .current_dir(&nb)
        .env("HOME", &nb)
        .args([
            "-u",
            "urls",
            "-c",
            "cache.db",
            "-C",
            "/dev/null",
            "-x",
            "reload",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let db = rusqlite::Connection::open(nb.join("cache.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT feedurl, author FROM rss_item ORDER BY feedurl")
        .unwrap();
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(rows.len() >= 3, "{rows:?}");
    for (url, author) in &rows {
        assert!(author.starts_with("OMCT"), "{url}: author {author:?}");
    }
}

#[test]
fn an_item_in_another_language_than_its_source_is_tagged_with_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let feed = rss(&[
        (
            "Détention arbitraire et mauvais traitements à l’encontre de M. Patient Kabongo",
            "<description>L’Observatoire vous prie d’intervenir de toute urgence sur la \
             situation suivante en République démocratique du Congo.</description>",
        ),
        (
            "Arbitrary detention of whistleblower Mr. Alexandru Rjavitin",
            "<description>The Observatory requests your urgent intervention in the \
             following situation in the Republic of Moldova.</description>",
        ),
        ("OK", ""),
    ]);
    let atom = "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\
        <title>T</title><id>urn:t</id><updated>2025-06-01T00:00:00Z</updated>\
        <entry><title>Uruguay</title><id>urn:e1</id>\
        <updated>2025-06-01T00:00:00Z</updated><link href=\"http://t/e1\"/>\
        <content type=\"text\" xml:lang=\"es\">Uruguay</content></entry></feed>";
    std::fs::write(dir.path().join("fidh.rss"), feed).unwrap();
    std::fs::write(dir.path().join("omct.atom"), atom).unwrap();
    let config = write_config(
        dir.path(),
        &[
            (
                "fidh",
                format!("file://{}", dir.path().join("fidh.rss").display()),
                Some("en"),
            ),
            (
                "omct",
                format!("file://{}", dir.path().join("omct.atom").display()),
                Some("en"),
            ),
        ],
        "",
    );
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let items = items_json(&config, &[]);
    let lang = |prefix: &str| {
        items
            .iter()
            .find(|i| i["title"].as_str().unwrap().starts_with(prefix))
            .map(|i| i["language"].clone())
            .unwrap()
    };
    assert_eq!(
        lang("Détention"),
        "fr",
        "a confident detection beats the source's language"
    );
    assert_eq!(lang("Arbitrary"), "en");
    assert_eq!(lang("OK"), "en", "too little text: the source's language");
    assert_eq!(
        lang("Uruguay"),
        "es",
        "the entry's own xml:lang (on its content, where feed-rs reads it) wins"
    );
}
