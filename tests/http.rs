//! The built-in HTTP server: caching validators, compression, HEAD, 404s, selections,
//! and WebSub pings.

mod common;

use std::io::Read;

use common::inproc::*;
use common::*;

#[test]
fn validators_and_304() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let (addr, _, _d) = start(&rt, dir.path());
    let r = request(addr, "GET", "/urgent.atom", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.h("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    assert_eq!(r.h("cache-control"), Some("public, max-age=60"));
    let etag = r.h("etag").unwrap().to_string();
    let lm = r.h("last-modified").unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    assert_eq!(
        r.h("content-length").unwrap().parse::<usize>().unwrap(),
        r.body.len()
    );

    let r = request(addr, "GET", "/urgent.atom", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.h("etag"), Some(etag.as_str()));
    let r = request(
        addr,
        "GET",
        "/urgent.atom",
        &[("If-None-Match", "\"other\", W/\"x\"")],
    );
    assert_eq!(r.status, 200);
    let r = request(addr, "GET", "/urgent.atom", &[("If-None-Match", "*")]);
    assert_eq!(r.status, 304);
    let r = request(addr, "GET", "/urgent.atom", &[("If-Modified-Since", &lm)]);
    assert_eq!(r.status, 304);
    let r = request(
        addr,
        "GET",
        "/urgent.atom",
        &[("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")],
    );
    assert_eq!(r.status, 200);
    // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    let r = request(
        addr,
        "GET",
        "/urgent.atom",
        &[("If-None-Match", "\"stale\""), ("If-Modified-Since", &lm)],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn gzip_and_brotli_when_asked() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let (addr, _, _d) = start(&rt, dir.path());
    let plain = request(addr, "GET", "/all.atom", &[]);
    assert_eq!(plain.h("content-encoding"), None);
    assert_eq!(plain.h("vary"), Some("Accept-Encoding"));

    let gz = request(addr, "GET", "/all.atom", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gz.h("content-encoding"), Some("gzip"));
    assert!(gz.body.len() < plain.body.len());
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, plain.body);
    assert_ne!(gz.h("etag"), plain.h("etag"), "one validator per coding");
    let again = request(
        addr,
        "GET",
        "/all.atom",
        &[
            ("Accept-Encoding", "gzip"),
            ("If-None-Match", gz.h("etag").unwrap()),
        ],
    );
    assert_eq!(again.status, 304);

    let br = request(
        addr,
        "GET",
        "/all.atom",
        &[("Accept-Encoding", "gzip, deflate, br")],
    );
    assert_eq!(br.h("content-encoding"), Some("br"));
    let mut out = Vec::new();
    brotli::Decompressor::new(&br.body[..], 4096)
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, plain.body);
    let none = request(
        addr,
        "GET",
        "/all.atom",
        &[("Accept-Encoding", "br;q=0, gzip;q=0")],
    );
    assert_eq!(none.h("content-encoding"), None);
    assert_eq!(none.body, plain.body);
}

#[test]
fn head_content_types_selections_and_404s() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let (addr, public, _d) = start(&rt, dir.path());
    let get = request(addr, "GET", "/urgent.rss", &[]);
    let head = request(addr, "HEAD", "/urgent.rss", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.h("content-length"),
        Some(get.body.len().to_string().as_str())
    );
    assert_eq!(head.h("etag"), get.h("etag"));

    for (path, ct) in [
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/urgent.json", "application/feed+json; charset=utf-8"),
        ("/all.rss", "application/rss+xml; charset=utf-8"),
        ("/sources/fidh.atom", "application/atom+xml; charset=utf-8"),
        ("/sources.opml", "text/x-opml; charset=utf-8"),
    ] {
        let r = request(addr, "GET", path, &[]);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.h("content-type"), Some(ct), "{path}");
    }
    let html = request(addr, "GET", "/", &[]);
    assert!(
        html.h("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );

    // Per-language and per-source documents are rendered on their first request and
    // not written to disk (output.on_disk = "main", the default).
    assert!(!public.join("lang/ro/urgent.atom").exists());
    assert!(!public.join("sources/fidh.atom").exists());
    let ro = request(addr, "GET", "/urgent.atom?lang=ro", &[]);
    let ro_text = String::from_utf8(ro.body).unwrap();
    assert_eq!(ro_text.matches("<entry").count(), 2);
    assert!(!ro_text.contains("Rjavitin"));
    let en = String::from_utf8(request(addr, "GET", "/urgent.atom?lang=en", &[]).body).unwrap();
    assert!(en.contains("Rjavitin") && !en.contains("Pleșcanov"));

    // Files that exist on disk but are not published, and every way out of the output.
    std::fs::write(public.join("secret.txt"), "no").unwrap();
    for path in [
        "/nope",
        "/secret.txt",
        "/../tocsin.toml",
        "/%2e%2e/tocsin.toml",
        "/..%2ftocsin.toml",
        "/sources/../../tocsin.toml",
        "//etc/passwd",
        "/lang/ro/../../urgent.atom",
        "/sources/",
        "/lang/",
        "/var/public/urgent.atom",
        "/urgent.atom/",
        "/.tocsin-x",
    ] {
        let r = request(addr, "GET", path, &[]);
        assert_eq!(r.status, 404, "{path}");
        assert!(
            !String::from_utf8_lossy(&r.body).contains("[daemon]"),
            "{path}"
        );
    }
    assert_eq!(request(addr, "POST", "/urgent.atom", &[]).status, 405);
    assert_eq!(request(addr, "DELETE", "/urgent.atom", &[]).status, 405);
}

#[test]
fn served_from_memory_and_unchanged_documents_keep_their_validators() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let (addr, public, d) = start(&rt, dir.path());
    let first = request(addr, "GET", "/urgent.atom", &[]);
    std::fs::remove_dir_all(&public).unwrap();
    let again = request(addr, "GET", "/urgent.atom", &[]);
    assert_eq!(again.status, 200, "served from memory, not from disk");
    assert_eq!(again.body, first.body);
    rt.block_on(d.publish()).unwrap();
    assert!(
        public.join("urgent.atom").is_file(),
        "a publish rewrites missing files"
    );
    let after = request(addr, "GET", "/urgent.atom", &[]);
    assert_eq!(after.h("etag"), first.h("etag"));
    assert_eq!(after.h("last-modified"), first.h("last-modified"));
}

#[test]
fn websub_hubs_are_advertised_and_pinged_when_the_urgent_feed_changes() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.set("/hub", Route::status(204));
    srv.serve_fixture("/ro.rss", "feeds/promolex-ro.rss", "application/rss+xml");
    let hub = srv.url("/hub");
    let config = write_config_with(
        dir.path(),
        &[("promolex-ro", srv.url("/ro.rss"), Some("ro"))],
        "",
        &format!("\n[websub]\nhubs = [\"{hub}\"]\n"),
    );
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pings: Vec<String> = srv
        .seen("/hub")
        .iter()
        .map(|s| {
            assert_eq!(s.method, "POST");
            assert_eq!(
                s.header("content-type"),
                Some("application/x-www-form-urlencoded")
            );
            String::from_utf8(s.body.clone()).unwrap()
        })
        .collect();
    // The per-language feeds are rendered when first requested: only those in use
    // are topics (none here).
    for topic in ["urgent.atom", "urgent.rss", "urgent.json"] {
        let body = format!("hub.mode=publish&hub.url=http%3A%2F%2Ffeeds.example.org%2F{topic}");
        assert!(pings.contains(&body), "no ping for {topic}: {pings:#?}");
    }
    assert!(
        !pings
            .iter()
            .any(|p| p.contains("all.") || p.contains(".html")),
        "{pings:#?}"
    );
    let atom = std::fs::read_to_string(dir.path().join("var/public/urgent.atom")).unwrap();
    assert!(
        atom.contains(&format!("<link href=\"{hub}\" rel=\"hub\"/>")),
        "{atom}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("var/public/urgent.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["hubs"][0]["url"], hub);

    // Nothing changed: no ping.
    let before = srv.seen("/hub").len();
    assert!(tocsin(&config, &["poll"]).status.success());
    assert_eq!(srv.seen("/hub").len(), before);
}

#[test]
fn newsboat_reloads_every_served_feed_with_the_right_titles() {
    if !have("newsboat") {
        eprintln!("SKIPPED: newsboat is not installed (.ci/run installs it)");
        return;
    }
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let all = [
        "promolex-ro.rss",
        "promolex-ru.rss",
        "fidh.atom",
        "amnesty.json",
        "hostile.json",
    ];
    let (addr, _, _d) = start_with(&rt, dir.path(), &all);
    let feeds = [
        "urgent.atom",
        "urgent.rss",
        "all.atom",
        "all.rss",
        "urgent.atom?lang=ro",
        "sources/hostile.atom",
        "sources/promolex-ru.rss",
    ];
    let urls: Vec<String> = feeds.iter().map(|f| format!("http://{addr}/{f}")).collect();
    let nb = dir.path().join("nb");
    std::fs::create_dir_all(&nb).unwrap();
    std::fs::write(nb.join("urls"), urls.join("\n") + "\n").unwrap();
    let o = std::process::Command::new("newsboat")
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
            "-d",
            "log.txt",
            "-l",
            "4",
        ])
        .output()
        .unwrap();
    let log = format!(
        "{}{}{}",
        stdout(&o),
        stderr(&o),
        std::fs::read_to_string(nb.join("log.txt")).unwrap_or_default()
    );
    assert!(o.status.success(), "{}\n{log}", stderr(&o));
    let db = rusqlite::Connection::open(nb.join("cache.db")).unwrap();
    // newsboat keys articles by guid across feeds (an item in urgent.atom and all.atom
    // is one article), so look every served entry up by its id.
    let mut checked = 0;
    for url in &urls {
        let served = request(
            addr,
            "GET",
            url.trim_start_matches(&format!("http://{addr}")),
            &[],
        );
        let entries = feed_rs::parser::parse(&served.body[..]).unwrap().entries;
        assert!(!entries.is_empty(), "{url} is empty");
        for e in entries {
            let title: Option<String> = db
                .query_row("SELECT title FROM rss_item WHERE guid = ?", [&e.id], |r| {
                    r.get(0)
                })
                .ok();
            assert_eq!(
                title.as_deref(),
                Some(e.title.as_ref().unwrap().content.as_str()),
                "newsboat's cache for {} in {url}; newsboat's log:\n{log}",
                e.id
            );
            checked += 1;
        }
    }
    assert!(checked >= 25, "{checked}");
}
