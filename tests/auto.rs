//! HTML sources read without hand-written selectors, polled by the real binary: a
//! `kind = "html"` source with no `[sources.html]` table read by detection at every
//! poll and surviving a cosmetic redesign without duplicates; the layout-change error
//! carrying detection's proposal in `status`; `on_layout_change = "auto"` going on with
//! detected entries; `inspect --source` saying what detection found and why.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const LISTING: &str = "/en/resources/urgent-interventions";

fn config(dir: &Path, source: &str) -> PathBuf {
    write_config_with(dir, &[], "", source)
}

/// `poll --force` (a source is polled whatever hints or backoff say), its stdout.
fn poll(config: &Path) -> (String, String) {
    let o = tocsin(config, &["poll", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    (stdout(&o), stderr(&o))
}

fn links(config: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items_json(config, &[])
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["link"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn an_auto_source_survives_a_cosmetic_redesign_without_duplicates() {
    let srv = FixtureServer::start();
    srv.serve_fixture(
        LISTING,
        "html/auto-omct-en.html",
        "text/html; charset=utf-8",
    );
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        &format!(
            "[[sources]]\nid = \"omct-en\"\nkind = \"html\"\nurl = \"{}\"\n",
            srv.url(LISTING)
        ),
    );
    let (out, _) = poll(&config);
    assert!(out.contains("omct-en  new    9"), "{out}");
    let before = links(&config);
    assert_eq!(before.len(), 9);
    let urgent = items_json(&config, &["--urgent"]);
    assert!(!urgent.is_empty(), "the rules see detected entries");

    // Same page: not even read again.
    let (out, _) = poll(&config);
    assert!(out.contains("omct-en  unchanged body"), "{out}");

    // Class names changed, same structure: the same items, not duplicates.
    srv.serve_fixture(
        LISTING,
        "html/auto-omct-en-redesign.html",
        "text/html; charset=utf-8",
    );
    let (out, _) = poll(&config);
    assert!(out.contains("omct-en  new    0"), "{out}");
    assert_eq!(links(&config), before);

    // inspect --source says what detection found and why.
    let o = tocsin(&config, &["inspect", "--source", "omct-en"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("detection chosen among"), "{out}");
    assert!(out.contains("second: "), "{out}");
    assert!(out.contains("[sources.html]\nitem = "), "{out}");
}

/// An OMCT source with the selectors of `omct-en-p1.html` and `more` in its table.
fn selectors_source(url: &str, more: &str) -> String {
    format!(
        r#"
[[sources]]
id = "omct-en"
kind = "html"
url = "{url}"

[sources.html]
item = ".card"
title = ".card__title"
link = "a@href"
date = ".card__date"
date_format = "%d.%m.%y"
backfill_pages = 1
{more}
"#
    )
}

#[test]
fn status_carries_the_selectors_detection_proposes_after_a_layout_change() {
    let srv = FixtureServer::start();
    srv.serve_fixture(LISTING, "html/omct-en-p1.html", "text/html");
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &selectors_source(&srv.url(LISTING), ""));
    poll(&config);
    srv.serve_fixture(LISTING, "html/omct-en-changed.html", "text/html");
    let (out, _) = poll(&config);
    assert!(out.contains("omct-en  error: "), "{out}");

    let o = tocsin(&config, &["status"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("selectors matched nothing: the page layout may have changed (`item` selector `.card` matched no element)\n"),
        "the one-line proposal is cut from the error: {out}"
    );
    assert!(
        out.contains("selectors detection proposes for the page as it is now (to replace the source's [sources.html]):\n"),
        "{out}"
    );
    assert!(out.contains("    item = \".teaser\"\n"), "{out}");
    let o = tocsin(&config, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let proposed = v[0]["proposed_selectors"].as_str().unwrap();
    assert!(
        proposed.starts_with("[sources.html]\nitem = \".teaser\"\ntitle = \".teaser__headline\"\n"),
        "{proposed}"
    );
    // The proposal is a table that reads: pasted in place of the old one, the next
    // poll reads the page again.
    let text = std::fs::read_to_string(&config).unwrap();
    let start = text.find("[sources.html]").unwrap();
    std::fs::write(&config, format!("{}{proposed}", &text[..start])).unwrap();
    let (out, _) = poll(&config);
    assert!(out.contains("omct-en  new    0"), "{out}");
    assert!(!out.contains("error"), "{out}");
}

#[test]
fn on_layout_change_auto_goes_on_with_detected_entries_and_warns() {
    let srv = FixtureServer::start();
    srv.serve_fixture(LISTING, "html/omct-en-p1.html", "text/html");
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        &selectors_source(&srv.url(LISTING), "on_layout_change = \"auto\""),
    );
    let (out, err) = poll(&config);
    assert!(out.contains("omct-en  new    6"), "{out}");
    assert!(
        !err.contains("WARN") && !out.contains("warning:"),
        "selectors that match: no warning: {out}{err}"
    );
    let before = links(&config);

    srv.serve_fixture(LISTING, "html/omct-en-changed.html", "text/html");
    for _ in 0..2 {
        let (out, err) = poll(&config);
        assert!(!out.contains("error"), "{out}");
        assert!(out.contains("omct-en  new    0"), "{out}");
        // Said at every poll, until the config is fixed: a one-shot poll prints it on
        // the source's own warning line (the daemon logs it at warn, target
        // tocsin::poll::report, which a one-shot poll leaves to that line).
        let warning = out
            .lines()
            .find(|l| l.contains("warning:"))
            .unwrap_or_else(|| panic!("no warning line: {out}\n{err}"));
        assert!(
            warning.contains("selectors matched nothing")
                && warning.contains("read the 6 entries detection finds instead"),
            "{out}"
        );
        // The second time the body is the same: it is read again all the same, so
        // the warning is not lost to the unchanged-body shortcut.
    }
    assert_eq!(links(&config), before, "the same items, not duplicates");
    let out = stdout(&tocsin(&config, &["status"]));
    assert!(
        out.contains("read by detection (on_layout_change = \"auto\"): "),
        "{out}"
    );
    assert!(out.contains("    item = \".teaser\"\n"), "{out}");
}

fn check(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(&path, text).unwrap();
    let o = tocsin(&path, &["check"]);
    (
        o.status.code(),
        stderr(&o).replace(path.to_str().unwrap(), "CONFIG"),
    )
}

#[test]
fn auto_and_on_layout_change_are_checked_with_key_and_line() {
    let head = "[[sources]]\nid = \"a\"\nurl = \"https://example.org/\"\nkind = \"html\"\n\n[sources.html]\n";
    let (code, err) = check(&format!(
        "{head}auto = true\nitem = \".card\"\n\n[sources.html.extra]\ncountry = \".c\"\n"
    ));
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("CONFIG:8:1: sources[0].html.item: auto = true reads the listing by detection, without selectors: remove the selectors, or remove auto = true to read the listing with them"),
        "{err}"
    );
    assert!(
        err.contains("sources[0].html.extra.country: auto = true"),
        "{err}"
    );
    let (code, err) = check(&format!(
        "{head}on_layout_change = \"ignore\"\nitem = \".card\"\ntitle = \"h3\"\nlink = \"a@href\"\n"
    ));
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("CONFIG:7:1: sources[0].html.on_layout_change: `ignore` is not one of \"error\", \"auto\""),
        "{err}"
    );
    // auto = true with the keys that still apply is valid.
    let (code, err) = check(&format!(
        "{head}auto = true\nbackfill_pages = 2\nfollow = true\ncontent = \"article\"\n"
    ));
    assert_eq!(code, Some(0), "{err}");
}
