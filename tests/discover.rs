//! `tocsin discover URL` end to end, on loopback: advertised feeds (relative hrefs,
//! one that 404s), the usual places when the page advertises none, the listing read by
//! detection when there is no feed (and the printed entry polled for real), redirects
//! to another host under the address policy, with and without `allow_private`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

/// `tocsin discover` without any config file: the defaults apply.
fn discover_without_config(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("discover")
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("TOCSIN_CONFIG")
        .output()
        .expect("run tocsin")
}

/// A config whose fetches are spaced 10 ms apart (the default is 1 s per host), with
/// `fetch` added to its `[fetch]` table.
fn fast_config(dir: &Path, fetch: &str) -> PathBuf {
    write_config_with(
        dir,
        &[],
        "",
        &format!("\n[fetch]\nhost_spacing = \"10ms\"\n{fetch}\n"),
    )
}

fn json_of(o: &Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(o), stderr(o)))
}

fn page(head: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><title>Appeals</title>{head}</head><body>{body}</body></html>"
    )
}

const RSS: &str = "application/rss+xml";

#[test]
fn advertised_feeds_are_checked_and_the_best_comes_first() {
    let srv = FixtureServer::start();
    srv.set(
        "/news/",
        Route::ok(
            "text/html",
            page(
                r#"<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed/">
<link rel="alternate" type="application/rss+xml" title="Appeals" href="feed.xml">
<link rel="alternate" type="application/atom+xml" title="Old" href="gone.xml">"#,
                "<p>hello</p>",
            ),
        ),
    );
    srv.set(
        "/comments/feed/",
        Route::ok(RSS, rss_titles(&["Re: one", "Re: two", "Re: three"])),
    );
    srv.set(
        "/news/feed.xml",
        Route::ok(RSS, rss_titles(&["Urgent appeal for Ana", "Second"])),
    );
    let o = discover_without_config(&["--json", &srv.url("/news/")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_of(&o);
    let feeds = v["feeds"].as_array().unwrap();
    // The relative href resolved against the page; comments after the posts, though
    // the comments feed has more entries and comes first on the page.
    assert_eq!(feeds[0]["url"], srv.url("/news/feed.xml"));
    assert_eq!(feeds[0]["entries"], 2);
    assert_eq!(feeds[0]["title"], "T");
    assert_eq!(feeds[0]["newest"], "2025-06-02T10:00:00Z");
    assert_eq!(feeds[0]["why_before_next"], "it is not a comments feed");
    assert_eq!(feeds[1]["url"], srv.url("/comments/feed/"));
    // The 404 is skipped, and said so.
    assert_eq!(v["not_feeds"][0]["url"], srv.url("/news/gone.xml"));
    assert_eq!(v["not_feeds"][0]["why"], "HTTP 404");
    assert_eq!(v["tried_usual_places"], false);
    assert_eq!(v["requests"], 4, "the page and its three links");
    assert!(srv.seen("/feed/").is_empty(), "no usual place tried");
    let entry = v["source"].as_str().unwrap();
    assert!(
        entry.contains(&format!("url = \"{}\"", srv.url("/news/feed.xml"))),
        "{entry}"
    );
    assert!(v["listing"].is_null());

    // The same as text: the ranking explained, the 404 named, the entry to paste.
    let o = discover_without_config(&[&srv.url("/news/")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(&format!("1. {}", srv.url("/news/feed.xml"))),
        "{out}"
    );
    assert!(
        out.contains("best: before the next: it is not a comments feed"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{} (advertised by the page (application/atom+xml)): HTTP 404",
            srv.url("/news/gone.xml")
        )),
        "{out}"
    );
    assert!(
        out.contains("\n[[sources]]\nid = \"t\"\ntitle = \"T\"\n"),
        "{out}"
    );
}

#[test]
fn without_a_link_the_usual_places_are_tried_and_the_first_feed_ends_the_search() {
    let srv = FixtureServer::start();
    srv.set(
        "/ro/category/stiri/",
        Route::ok(
            "text/html",
            r#"<html lang="ro"><head><title>Știri</title><meta name="generator" content="WordPress 6.4.2"></head><body></body></html>"#,
        ),
    );
    srv.set(
        "/ro/feed/",
        Route::ok(RSS, rss_titles(&["Apel urgent", "Al doilea"])),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = fast_config(dir.path(), "");
    let o = tocsin(&config, &["discover", &srv.url("/ro/category/stiri/")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("the page advertises no feed (<link rel=\"alternate\">): tried the usual places of WordPress 6.4.2"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{} (usual place: WordPress, this page's feed): HTTP 404",
            srv.url("/ro/category/stiri/feed/")
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "1. {}\n   found: usual place: WordPress, in the page's language",
            srv.url("/ro/feed/")
        )),
        "{out}"
    );
    // The first feed with entries ends the search: the site's root feed and the other
    // CMSs' places are never asked for.
    assert!(srv.seen("/feed/").is_empty());
    assert!(srv.seen("/rss.xml").is_empty());
    assert!(out.contains("3 requests sent"), "{out}");
    // With a config, each entry's verdict under its rules.
    assert!(
        out.contains("Apel urgent: urgent (score 1: urgent-appeal)"),
        "{out}"
    );
    assert!(out.contains("Al doilea: not urgent (score 0)"), "{out}");
    assert!(
        out.contains(&format!(
            "[[sources]]\nid = \"t\"\ntitle = \"T\"\nurl = \"{}\"\n",
            srv.url("/ro/feed/")
        )),
        "{out}"
    );
}

#[test]
fn without_any_feed_the_listing_is_read_by_detection_and_the_entry_polls() {
    let srv = FixtureServer::start();
    let path = "/en/resources/urgent-interventions";
    srv.serve_fixture(path, "html/auto-omct-en.html", "text/html; charset=utf-8");
    let dir = tempfile::tempdir().unwrap();
    let config = fast_config(dir.path(), "");
    let o = tocsin(&config, &["discover", "--json", &srv.url(path)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(v["tried_usual_places"], true);
    assert!(v["feeds"].as_array().unwrap().is_empty());
    let misses = v["not_feeds"].as_array().unwrap();
    assert_eq!(misses.len(), 13, "{misses:?}");
    assert!(misses.iter().all(|m| m["why"] == "HTTP 404"), "{misses:?}");
    assert_eq!(v["requests"], 14, "the page and 13 places");
    let listing = &v["listing"];
    let entries = listing["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 9);
    assert!(
        entries[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Arbitrary detention of whistleblower"),
        "{entries:?}"
    );
    assert!(
        entries[0]["link"]
            .as_str()
            .unwrap()
            .starts_with(&srv.url("/en/")),
        "{entries:?}"
    );
    assert!(entries.iter().all(|e| e["published"].is_string()));
    assert_eq!(entries[0]["labels"].as_array().unwrap().len(), 2);
    assert_eq!(entries[0]["verdict"]["urgent"], true, "{:?}", entries[0]);
    assert_eq!(listing["selectors"]["item"], ".card");
    assert_eq!(listing["explanation"]["winner"]["entries"], 9);
    let entry = v["source"].as_str().unwrap();
    assert!(entry.contains("kind = \"html\"\n"), "{entry}");
    assert!(
        entry.contains("[sources.html]\nitem = \".card\"\n"),
        "{entry}"
    );

    // The entry, pasted into a config, is valid and a real poll reads the 9 entries.
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push('\n');
    text.push_str(entry);
    std::fs::write(&config, text).unwrap();
    let o = tocsin(&config, &["check"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(items_json(&config, &[]).len(), 9);

    // The text report says why that list and shows the entries.
    let o = tocsin(&config, &["discover", &srv.url(path)]);
    let out = stdout(&o);
    assert!(
        out.contains("no feed: the page's listing, read by detection"),
        "{out}"
    );
    assert!(out.contains("detection chosen among"), "{out}");
    assert!(out.contains("second: `.teaser`"), "{out}");
    // The url is configured already: the proposed id is a new one, and it says so.
    assert!(out.contains("is already configured as `"), "{out}");
}

#[test]
fn a_page_with_neither_feed_nor_listing_fails_clearly() {
    let srv = FixtureServer::start();
    srv.set(
        "/",
        Route::ok("text/html", page("", "<p>Nothing here.</p>")),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = fast_config(dir.path(), "");
    let o = tocsin(&config, &["discover", &srv.url("/")]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("no feed, and no listing"),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains("no feed found, and"), "{}", stderr(&o));
}

#[test]
fn a_redirect_to_another_host_is_judged_by_the_address_policy() {
    let site = FixtureServer::start();
    // Another loopback address: another host, and an internal one.
    let other = FixtureServer::start_on("127.0.0.2");
    site.set(
        "/",
        Route::ok(
            "text/html",
            page(
                r#"<link rel="alternate" type="application/rss+xml" href="/feed.xml">"#,
                "",
            ),
        ),
    );
    site.set("/feed.xml", Route::redirect(301, &other.url("/rss")));
    other.set("/rss", Route::ok(RSS, rss_titles(&["Moved", "Two"])));

    // By default a derived address may not reach an internal host: refused, said so,
    // and the request never sent.
    let dir = tempfile::tempdir().unwrap();
    let config = fast_config(dir.path(), "");
    let o = tocsin(&config, &["discover", &site.url("/")]);
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "{} (advertised by the page (application/rss+xml)): redirects to {}, refused: 127.0.0.2 is a loopback address",
            site.url("/feed.xml"),
            other.url("/rss"),
        )),
        "{out}"
    );
    assert!(out.contains("2 requests sent"), "{out}");
    assert!(
        out.contains("allow_private = true goes in the [fetch] table"),
        "{out}"
    );
    assert!(
        other.all_seen().is_empty(),
        "nothing sent to the other host"
    );

    // With allow_private the redirect is followed, within the usual limits.
    let dir = tempfile::tempdir().unwrap();
    let config = fast_config(dir.path(), "allow_private = true");
    let o = tocsin(&config, &["discover", "--json", &site.url("/")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(v["feeds"][0]["url"], site.url("/feed.xml"));
    assert_eq!(v["feeds"][0]["final_url"], other.url("/rss"));
    assert_eq!(v["feeds"][0]["entries"], 2);
    assert_eq!(other.seen("/rss").len(), 1);

    // The typed address is trusted, but where it redirects is derived: the page
    // moving to an internal host is refused too, and the error says where.
    let moved = FixtureServer::start();
    moved.set("/", Route::redirect(302, &other.url("/rss")));
    let dir = tempfile::tempdir().unwrap();
    let config = fast_config(dir.path(), "");
    let o = tocsin(&config, &["discover", &moved.url("/")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!(
            "{} (redirected from {})",
            other.url("/rss"),
            moved.url("/")
        )) && stderr(&o).contains("refused"),
        "{}",
        stderr(&o)
    );
    // Within the usual limits: a loop of redirects ends with the max_redirects error.
    let looping = FixtureServer::start();
    looping.set(
        "/",
        Route::ok(
            "text/html",
            page(
                r#"<link rel="alternate" type="application/rss+xml" href="/a">"#,
                "",
            ),
        ),
    );
    looping.set("/a", Route::redirect(302, "/b"));
    looping.set("/b", Route::redirect(302, "/a"));
    let o = tocsin(&config, &["discover", &looping.url("/")]);
    assert!(stdout(&o).contains("redirect loop"), "{}", stdout(&o));
}

#[test]
fn an_address_that_is_a_feed_is_that_feed() {
    let srv = FixtureServer::start();
    srv.set("/feed.xml", Route::ok(RSS, rss_titles(&["One", "Two"])));
    let dir = tempfile::tempdir().unwrap();
    let config = fast_config(dir.path(), "");
    let o = tocsin(&config, &["discover", "--json", &srv.url("/feed.xml")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(v["feeds"][0]["found"], "the address itself");
    assert_eq!(v["requests"], 1);
    let o = tocsin(&config, &["discover", "not a url"]);
    assert_eq!(o.status.code(), Some(2));
}
