//! Fault injection: one `tocsin poll` over every way a server can misbehave, plus one
//! good feed. The good feed's items are stored, each bad source has its own clear
//! error, nothing panics, memory stays bounded and the pass ends within a bound set by
//! the configured timeouts. The second pass sends the validators it got.
//!
//! This file holds one test on purpose: it reads the peak RSS of the tocsin processes
//! it ran with getrusage(RUSAGE_CHILDREN), which covers every child of this process.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::*;

fn gzip_bomb(uncompressed: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..uncompressed / zeros.len() {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

const RSS_1251: &str = "<rss version=\"2.0\"><channel><title>Новости</title>\
<item><title>Срочный призыв: немедленно освободить правозащитника</title><guid>r1</guid>\
<description>Правозащитник задержан в Тирасполе и содержится без связи с адвокатом.</description></item>\
</channel></rss>";

const RSS_RO: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Știri</title>\
<item><title>Apel urgent: eliberați-l pe Ștefan din Chișinău</title><guid>w1</guid></item>\
</channel></rss>";

#[allow(
    unsafe_code,
    reason = "getrusage is a C call; it only writes the struct given"
)]
fn peak_rss_of_children_kib() -> i64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    assert_eq!(rc, 0);
    ru.ru_maxrss
}

fn line<'a>(out: &'a str, id: &str) -> &'a str {
    out.lines()
        .find(|l| l.split_whitespace().next() == Some(id))
        .unwrap_or_else(|| panic!("no line for {id} in:\n{out}"))
}

#[test]
fn one_pass_over_hostile_servers_keeps_the_good_feed_and_names_every_failure() {
    let dir = tempfile::tempdir().unwrap();
    let good = FixtureServer::start();
    good.set(
        "/good.rss",
        Route::Cached {
            etag: "\"v1\"".into(),
            last_modified: "Tue, 10 Nov 2026 10:00:00 GMT".into(),
            content_type: "application/rss+xml; charset=utf-8".into(),
            body: fixture_bytes("feeds/promolex-ro.rss"),
        },
    );

    // Every bad server on its own loopback address: its own host for politeness.
    let mut servers = Vec::new();
    let mut sources: Vec<(&str, String, Option<&str>)> =
        vec![("good", good.url("/good.rss"), None)];
    let mut add = |id: &'static str, path: &str, route: Route| {
        let srv = FixtureServer::start_on(&format!("127.0.7.{}", servers.len() + 2));
        srv.set(path, route);
        sources.push((id, srv.url(path), None));
        servers.push(srv.clone());
        srv
    };
    add(
        "slow-headers",
        "/f",
        Route::SlowHeaders(Duration::from_secs(60)),
    );
    add("drip", "/f", Route::Drip(Duration::from_millis(200)));
    add("reset", "/f", Route::Reset);
    add("error-500", "/f", Route::status(500));
    add("busy-429", "/f", Route::retry_after(429, "7200"));
    add(
        "down-503",
        "/f",
        Route::retry_after(
            503,
            &httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3 * 3600)),
        ),
    );
    add("gone-410", "/f", Route::status(410));
    add("endless", "/f", Route::Endless);
    add(
        "gzip-bomb",
        "/f",
        Route::Respond {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/rss+xml".into()),
                ("Content-Encoding".into(), "gzip".into()),
            ],
            body: gzip_bomb(64 << 20),
        },
    );
    add(
        "invalid-xml",
        "/f",
        Route::ok(
            "application/rss+xml",
            "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>\n<item><title>x</description></item></channel></rss>",
        ),
    );
    add(
        "undeclared-1251",
        "/f",
        Route::ok(
            "application/rss+xml",
            encoding_rs::WINDOWS_1251.encode(RSS_1251).0.into_owned(),
        ),
    );
    add(
        "wrong-type",
        "/f",
        Route::ok("text/html; charset=ISO-8859-1", RSS_RO),
    );
    let s = add("loop", "/a", Route::redirect(302, "/b"));
    s.set("/b", Route::redirect(307, &s.url("/a")));
    let s = add("too-many-redirects", "/r0", Route::redirect(301, "/r1"));
    for i in 1..=6 {
        s.set(
            &format!("/r{i}"),
            Route::redirect(301, &s.url(&format!("/r{}", i + 1))),
        );
    }
    let chain = add("chain-301", "/old", Route::redirect(301, "/older"));
    chain.set("/older", Route::redirect(308, "/feed"));
    chain.serve_fixture("/feed", "feeds/fidh.atom", "application/atom+xml");

    // A server that never accepts: its backlog of 0 is filled by one idle connection,
    // so the kernel leaves every further SYN unanswered.
    let blackhole =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    blackhole
        .bind(
            &"127.0.7.250:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    blackhole.listen(0).unwrap();
    let hole = blackhole.local_addr().unwrap().as_socket().unwrap();
    let _filler = std::net::TcpStream::connect(hole).unwrap();
    sources.push(("connect-timeout", format!("http://{hole}/f"), None));

    // The short timeouts under test go on the sources that must hit them; every other
    // fetch gets 30 s, so that a stalled machine cannot turn a good answer (or a body
    // read up to max_body) into a timeout.
    let config = write_config_with(
        dir.path(),
        &sources,
        "concurrency = 16",
        "\n[fetch]\nconnect_timeout = \"30s\"\ntimeout = \"30s\"\nmax_body = \"1 MiB\"\n",
    );
    let mut text = std::fs::read_to_string(&config).unwrap();
    for (id, key, limit) in [
        ("connect-timeout", "connect_timeout", "1s"),
        ("slow-headers", "timeout", "2s"),
        ("drip", "timeout", "2s"),
    ] {
        let table = format!("id = \"{id}\"\n");
        assert!(text.contains(&table), "{id} in\n{text}");
        text = text.replace(&table, &format!("{table}{key} = \"{limit}\"\n"));
    }
    std::fs::write(&config, text).unwrap();

    let started = Instant::now();
    let o = tocsin(&config, &["poll"]);
    let elapsed = started.elapsed();
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(o.status.success(), "{out}\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Bounded by the 2 s timeout (twice, at most, for a slot), not by the 60 s server.
    assert!(
        elapsed < Duration::from_secs(30),
        "pass took {elapsed:?}:\n{out}"
    );

    assert!(line(&out, "good").contains("new    4"), "{out}");
    let expect = [
        (
            "connect-timeout",
            "no connection within 1s (connect_timeout)",
        ),
        ("slow-headers", "not complete within 2s (timeout)"),
        ("drip", "not complete within 2s (timeout)"),
        ("reset", "connection"),
        ("error-500", "HTTP 500"),
        ("busy-429", "HTTP 429 (Retry-After: 7200)"),
        ("down-503", "HTTP 503 (Retry-After:"),
        ("gone-410", "HTTP 410"),
        (
            "endless",
            "larger than 1048576 bytes after decompression (max_body)",
        ),
        (
            "gzip-bomb",
            "larger than 1048576 bytes after decompression (max_body)",
        ),
        ("invalid-xml", "at line 3, column"),
        ("loop", "redirect loop"),
        (
            "too-many-redirects",
            "more than 5 redirects (max_redirects)",
        ),
    ];
    for (id, what) in expect {
        let l = line(&out, id);
        assert!(l.contains("error:") && l.contains(what), "{id}: {l}");
        assert!(
            l.contains(&format!("source `{id}`")),
            "the message names the source: {l}"
        );
    }
    assert!(line(&out, "undeclared-1251").contains("new    1"), "{out}");
    assert!(line(&out, "wrong-type").contains("new    1"), "{out}");
    assert!(line(&out, "chain-301").contains("new    2"), "{out}");

    let items = items_json(&config, &[]);
    let titles: Vec<&str> = items.iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert!(
        titles.contains(&"Срочный призыв: немедленно освободить правозащитника"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Apel urgent: eliberați-l pe Ștefan din Chișinău"),
        "{titles:?}"
    );
    assert_eq!(items.len(), 4 + 1 + 1 + 2);

    let o = tocsin(&config, &["status", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let status: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let st = |id: &str| status.iter().find(|s| s["id"] == id).unwrap().clone();
    assert_eq!(st("good")["state"], "ok");
    assert_eq!(st("good")["items"], 4);
    assert_eq!(st("busy-429")["due_reason"], "retry-after");
    assert_eq!(st("down-503")["due_reason"], "retry-after");
    assert_eq!(st("gone-410")["state"], "gone");
    assert_eq!(st("gone-410")["due_reason"], "gone");
    assert_eq!(st("error-500")["state"], "failing");
    assert_eq!(st("error-500")["failures"], 1);
    assert_eq!(st("error-500")["due_reason"], "backoff");
    assert_eq!(st("chain-301")["redirect_seen"], 1);
    assert!(
        st("chain-301")["redirect_target"]
            .as_str()
            .unwrap()
            .ends_with("/feed")
    );
    assert!(
        st("undeclared-1251")["encoding"]
            .as_str()
            .unwrap()
            .starts_with("windows-1251")
    );
    assert!(
        st("invalid-xml")["last_error"]
            .as_str()
            .unwrap()
            .contains("line 3")
    );

    // Second pass: the good feed is asked conditionally and answers 304; the failing
    // sources wait for their backoff or Retry-After.
    let published = dir.path().join("var/public/urgent.atom");
    let before = std::fs::metadata(&published).unwrap().modified().unwrap();
    let o = tocsin(&config, &["poll"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(line(&out, "good").contains("not modified"), "{out}");
    let after = std::fs::metadata(&published).unwrap().modified().unwrap();
    assert_eq!(before, after, "nothing changed, nothing republished");
    for id in ["error-500", "busy-429", "gone-410", "invalid-xml"] {
        assert!(line(&out, id).contains("deferred until"), "{out}");
    }
    let seen = good.seen("/good.rss");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("If-None-Match"), None);
    assert_eq!(seen[1].header("If-None-Match"), Some("\"v1\""));
    assert_eq!(
        seen[1].header("If-Modified-Since"),
        Some("Tue, 10 Nov 2026 10:00:00 GMT")
    );
    assert!(
        seen[1]
            .header("User-Agent")
            .unwrap()
            .contains("tocsin-test")
    );
    assert_eq!(items_json(&config, &[]).len(), 8, "a 304 writes no items");

    let peak_mib = peak_rss_of_children_kib() / 1024;
    eprintln!("peak RSS of the tocsin processes: {peak_mib} MiB");
    // The gzip bomb alone inflates to 64 MiB: staying well below shows the cap held.
    assert!(peak_mib < 56, "memory not bounded: {peak_mib} MiB");
}
