//! The published documents: valid for strict and lenient readers, safe whatever the
//! items contain, escaped right in every format.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Polls the standard fixtures plus a hostile feed; returns (tempdir, config, public dir).
fn published() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let f = |name: &str| {
        format!(
            "file://{}",
            fixtures_dir().join("feeds").join(name).display()
        )
    };
    let config = write_config(
        dir.path(),
        &[
            ("promolex-ro", f("promolex-ro.rss"), Some("ro")),
            ("promolex-ru", f("promolex-ru.rss"), Some("ru")),
            ("fidh-en", f("fidh.atom"), None),
            ("amnesty", f("amnesty.json"), None),
            ("hostile", f("hostile.json"), None),
        ],
        "",
    );
    // Every selection on disk, so that every document can be checked as a file.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[output]\n", "[output]\non_disk = \"all\"\n");
    std::fs::write(&config, text).unwrap();
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).contains("error"), "{}", stdout(&o));
    let public = dir.path().join("var/public");
    (dir, config, public)
}

fn files_with_ext(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| exts.contains(&x))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_selection_exists_in_every_format() {
    let (_d, _c, public) = published();
    for path in [
        "urgent.atom",
        "urgent.rss",
        "urgent.json",
        "urgent.html",
        "index.html",
        "all.atom",
        "all.rss",
        "all.json",
        "all.html",
        "lang/ro/urgent.atom",
        "lang/ru/all.rss",
        "lang/en/urgent.json",
        "lang/fr/urgent.html",
        "sources/promolex-ro.atom",
        "sources/fidh-en.rss",
        "sources/amnesty.json",
        "sources/hostile.html",
        "sources.opml",
    ] {
        assert!(public.join(path).is_file(), "{path} missing");
    }
    let ro = std::fs::read_to_string(public.join("lang/ro/urgent.atom")).unwrap();
    assert_eq!(
        ro.matches("<entry").count(),
        2,
        "the two Romanian urgent items"
    );
    assert!(ro.contains("xml:lang=\"ro\""));
    let src = std::fs::read_to_string(public.join("sources/promolex-ru.atom")).unwrap();
    assert_eq!(src.matches("<entry").count(), 2, "every item of the source");
    let opml = std::fs::read_to_string(public.join("sources.opml")).unwrap();
    assert_eq!(opml.matches("<outline").count(), 5);
    assert!(
        opml.contains("xmlUrl=\"http://feeds.example.org/sources/promolex-ro.atom\""),
        "{opml}"
    );
}

#[test]
fn entries_carry_ids_links_dates_language_source_and_reasons() {
    let (_d, _c, public) = published();
    let atom = std::fs::read(public.join("urgent.atom")).unwrap();
    let feed = feed_rs::parser::parse(&atom[..]).unwrap();
    assert!(
        feed.links.iter().any(|l| l.rel.as_deref() == Some("self")
            && l.href == "http://feeds.example.org/urgent.atom")
    );
    assert_eq!(feed.generator.as_ref().unwrap().content, "tocsin");
    assert!(!feed.authors.is_empty());
    for e in &feed.entries {
        assert!(
            e.id.starts_with("tag:feeds.example.org,2026:item/"),
            "{}",
            e.id
        );
        assert!(e.links[0].href.starts_with("http"), "absolute link");
        assert!(e.published.is_some() && e.updated.is_some());
        assert!(!e.categories.is_empty(), "the matched rules are categories");
    }
    let text = String::from_utf8(atom).unwrap();
    assert!(
        text.contains("<source>") && text.contains("<title>promolex-ro</title>"),
        "atom:source"
    );
    // The same id in every format, for the same item.
    let ids: Vec<String> = feed.entries.iter().map(|e| e.id.clone()).collect();
    for f in ["urgent.rss", "urgent.json"] {
        let other = feed_rs::parser::parse(&std::fs::read(public.join(f)).unwrap()[..]).unwrap();
        let mut a: Vec<String> = other.entries.iter().map(|e| e.id.clone()).collect();
        let mut b = ids.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{f}");
    }
    // RFC 822 dates in RSS.
    let rss = std::fs::read_to_string(public.join("urgent.rss")).unwrap();
    assert!(
        rss.contains("<pubDate>Mon, 9 Nov 2026 09:15:00 +0000</pubDate>"),
        "{rss}"
    );
}

#[test]
fn titles_with_markup_characters_and_control_characters_never_break_a_document() {
    let (_d, _c, public) = published();
    let expected = "Urgent appeal: 1 < 2 & \"quotes\" ]]> not bold bell end";
    // Strict XML parsers accept every XML output.
    for p in files_with_ext(&public, &["atom", "rss", "opml"]) {
        let bytes = std::fs::read(&p).unwrap();
        assert!(
            !bytes
                .iter()
                .any(|&b| b < 0x20 && b != b'\n' && b != b'\r' && b != b'\t'),
            "{}: control character in XML",
            p.display()
        );
        if have("xmllint") {
            let o = Command::new("xmllint")
                .arg("--noout")
                .arg(&p)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}: {}", p.display(), stderr(&o));
        }
    }
    for f in ["urgent.atom", "urgent.rss", "urgent.json"] {
        let feed = feed_rs::parser::parse(&std::fs::read(public.join(f)).unwrap()[..]).unwrap();
        let titles: Vec<String> = feed
            .entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect();
        assert!(titles.contains(&expected.to_string()), "{f}: {titles:#?}");
        assert!(
            titles.iter().any(
                |t| t.starts_with("Apel urgent: ]]> CDATA end marker and  NUL")
                    || t.starts_with("Apel urgent: ]]> CDATA end marker and NUL")
            ),
            "{f}: {titles:#?}"
        );
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(public.join("urgent.json")).unwrap()).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    let html = std::fs::read_to_string(public.join("urgent.html")).unwrap();
    assert!(
        html.contains("Urgent appeal: 1 &lt; 2 &amp; \"quotes\" ]]&gt; not bold bell end"),
        "escaped in HTML"
    );
}

#[test]
fn hostile_item_html_is_defused_in_every_format() {
    let (_d, _c, public) = published();
    let (files, problems) = safety::check_dir(&public);
    assert!(files >= 60, "checked {files} documents");
    assert!(problems.is_empty(), "{problems:#?}");
    // Useful markup survives, and relative URLs are made absolute against the item.
    let atom = std::fs::read(public.join("sources/hostile.atom")).unwrap();
    let feed = feed_rs::parser::parse(&atom[..]).unwrap();
    let body = feed
        .entries
        .iter()
        .filter_map(|e| e.content.as_ref()?.body.clone())
        .find(|b| b.contains("Body"))
        .unwrap();
    assert!(
        body.contains("href=\"https://evil.example/relative/path\""),
        "{body}"
    );
    assert!(
        body.contains("src=\"https://evil.example/pic.png\""),
        "{body}"
    );
    assert!(body.contains("href=\"mailto:a@b.org\""), "{body}");
    assert!(
        body.contains("data:image/png;base64,iVBORw0KGgo="),
        "{body}"
    );
    assert!(!body.contains("svg"), "{body}");
}

#[test]
fn atom_outputs_are_valid_rfc4287() {
    let Some(shared) = shared_dir() else {
        eprintln!("SKIPPED: ../shared is absent, cannot validate Atom with its RELAX NG schema");
        return;
    };
    if !have("jing") {
        eprintln!("SKIPPED: jing is not installed (.ci/run installs it)");
        return;
    }
    let (_d, _c, public) = published();
    let files = files_with_ext(&public, &["atom"]);
    assert!(files.len() >= 15, "{files:?}");
    let o = Command::new("jing")
        .arg("-c")
        .arg(shared.join("validators/atom.rnc"))
        .args(&files)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn feedparser_reads_every_feed_without_bozo() {
    if !Path::new("/usr/bin/python3").exists()
        || !Command::new("/usr/bin/python3")
            .args(["-c", "import feedparser"])
            .status()
            .is_ok_and(|s| s.success())
    {
        eprintln!("SKIPPED: python3-feedparser is not installed (.ci/run installs it)");
        return;
    }
    let (_d, _c, public) = published();
    // Released feedparser (Debian 6.0.10, PyPI 6.0.14) has no JSON Feed reader: JSON
    // outputs are checked against the spec in `json_feed_outputs_follow_the_spec`.
    let files = files_with_ext(&public, &["atom", "rss"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/feedparser_check.py");
    let o = Command::new("/usr/bin/python3")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let mut seen = 0;
    for line in stdout(&o).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["bozo"], 0, "{v}");
        assert!(v["version"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
        seen += 1;
    }
    assert_eq!(seen, files.len());
    // Titles come through as published (markup removed, control characters dropped).
    let urgent = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["path"].as_str().unwrap().ends_with("/public/urgent.atom"))
        .unwrap();
    let titles: Vec<&str> = urgent["titles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Urgent appeal: 1 < 2 & \"quotes\" ]]> not bold bell end"),
        "{titles:#?}"
    );
    assert!(titles.contains(&"Alertă în Transnistria: Promo-LEX cere eliberarea urgentă a activistului Victor Pleșcanov"), "{titles:#?}");
}

#[test]
fn json_feed_outputs_follow_the_spec() {
    let (_d, _c, public) = published();
    let files = files_with_ext(&public, &["json"]);
    assert!(files.len() >= 15);
    let rfc3339 = |v: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or("")).is_ok()
    };
    for p in files {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let w = p.display();
        assert_eq!(v["version"], "https://jsonfeed.org/version/1.1", "{w}");
        assert!(v["title"].as_str().is_some_and(|t| !t.is_empty()), "{w}");
        for k in ["home_page_url", "feed_url"] {
            assert!(
                v[k].as_str()
                    .unwrap()
                    .starts_with("http://feeds.example.org/"),
                "{w} {k}"
            );
        }
        let mut ids = std::collections::HashSet::new();
        for it in v["items"].as_array().unwrap() {
            let id = it["id"].as_str().expect("id is a string");
            assert!(ids.insert(id.to_string()), "{w}: duplicate id {id}");
            assert!(
                it["content_html"].is_string() || it["content_text"].is_string(),
                "{w}"
            );
            assert!(it["url"].as_str().unwrap().starts_with("http"), "{w}");
            assert!(
                rfc3339(&it["date_published"]) && rfc3339(&it["date_modified"]),
                "{w}"
            );
            if let Some(tags) = it.get("tags") {
                assert!(
                    tags.as_array().unwrap().iter().all(|t| t.is_string()),
                    "{w}"
                );
            }
        }
        // feed-rs, a second reader, accepts it too.
        feed_rs::parser::parse(&std::fs::read(&p).unwrap()[..]).unwrap();
    }
}

#[test]
fn the_safety_checker_itself_catches_executable_constructs() {
    let bad = [
        "<script>alert(1)</script>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"jav\tascript:alert(1)\">x</a>",
        "<img src=x onerror=alert(1)>",
        "<iframe src=//x></iframe>",
        "<a href=\"data:text/html,x\">x</a>",
        "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">",
        "<form action=x></form>",
        "<meta http-equiv=refresh content=0>",
    ];
    for b in bad {
        assert!(!safety::check_fragment(b, "t").is_empty(), "{b}");
    }
    assert!(
        safety::check_fragment(
            "<p><a href=\"https://x/\">ok</a><img src=\"data:image/png;base64,AA==\"></p>",
            "t"
        )
        .is_empty()
    );
    assert!(!safety::check_title("x <script>y", "t").is_empty());
    assert!(safety::check_title("1 < 2", "t").is_empty());
}
