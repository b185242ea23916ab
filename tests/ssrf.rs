//! What tocsin refuses to fetch (issue 10, points 1 and 2), against hostile servers on
//! loopback: a listing whose `<base href="file:///etc/">` would make it read local
//! files, links and redirects to every spelling of loopback and to private addresses,
//! a permanent redirect to an internal address (other hosts, proxies and WebSub hubs are
//! in `ssrf_hosts.rs`). Where a loopback address is the target, a second server stands
//! at it and must see no request at all.

mod common;

use std::path::Path;

use common::ssrf::*;
use common::*;

#[test]
fn a_base_href_to_local_files_never_gets_them_stored_or_published() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    let cards = [
        ("passwd", "Urgent appeal: passwd"),
        ("/proc/self/environ", "Urgent appeal: environ"),
        ("file:///etc/passwd", "Urgent appeal: absolute passwd"),
        ("CONFIG", "Urgent appeal: the config file"),
    ];
    let config_path = dir.path().join("tocsin.toml");
    let config_url = format!("file://{}", config_path.display());
    let page = listing(
        r#"<base href="file:///etc/">"#,
        &cards.map(|(h, t)| {
            (
                if h == "CONFIG" {
                    config_url.as_str()
                } else {
                    h
                },
                t,
            )
        }),
        Some("hostname"),
    );
    srv.set("/list", Route::ok("text/html", page));
    let config = make_config(
        dir.path(),
        "",
        &format!(
            "# SECRET-CONFIG-MARKER-4471\n{}",
            html_source("hostile", &srv.url("/list"), "", "")
        ),
    );
    assert_eq!(config, config_path);
    let (out, _) = poll_env(&config, &[("TOCSIN_TEST_SECRET", "ENVIRON-MARKER-5521")]);

    // The poll says what it ignored; the relative links resolved against the page.
    let base = line_with(&out, "<base href=");
    assert!(
        base.starts_with("hostile  warning: <base href=\"file:///etc/\"> ignored"),
        "{out}"
    );
    assert!(
        out.contains("2 of 4 items skipped (link `file:///etc/passwd` is not a web address)"),
        "{out}"
    );
    assert_eq!(srv.seen("/passwd").len(), 1, "{out}");
    assert_eq!(srv.seen("/proc/self/environ").len(), 1, "{out}");
    assert_eq!(
        srv.seen("/hostname").len(),
        1,
        "next page 2, on the site: {out}"
    );
    assert!(
        out.contains(&format!(
            "backfill stopped at page 2: source `hostile`: {}: HTTP 404",
            srv.url("/hostname")
        )),
        "{out}"
    );

    let items = stored(&config);
    let outputs = published(dir.path());
    for (what, text) in [("stored", &items), ("published", &outputs)] {
        for leak in [
            "root:",
            "/bin/",
            "ENVIRON-MARKER-5521",
            "PATH=",
            "SECRET-CONFIG-MARKER-4471",
            "[daemon]",
        ] {
            assert!(!text.contains(leak), "{leak} {what}:\n{text}");
        }
    }
    assert!(
        outputs.contains("Urgent appeal: passwd"),
        "the items themselves are published"
    );
    assert!(!items.contains("file:"), "{items}");
}

#[test]
fn a_saved_listing_read_from_a_file_never_reads_the_files_it_links() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    std::fs::create_dir(&pages).unwrap();
    std::fs::write(
        pages.join("passwd"),
        "<body>root:x:0:0:LEAKED-MARKER-8812</body>",
    )
    .unwrap();
    std::fs::write(
        pages.join("hostname"),
        "<div class=\"card\"><a href=\"x\"><span class=\"t\">LEAKED page 2</span></a></div>",
    )
    .unwrap();
    let page = listing(
        r#"<base href="file:///etc/">"#,
        &[
            ("passwd", "Urgent appeal: relative"),
            ("file:///etc/passwd", "Urgent appeal: absolute"),
        ],
        Some("hostname"),
    );
    std::fs::write(pages.join("listing.html"), page).unwrap();
    let url = format!("file://{}", pages.join("listing.html").display());
    let config = make_config(dir.path(), "", &html_source("saved", &url, "", ""));
    let out = poll(&config);
    let file_rule = "refused: a file: URL; only a source's configured `url` may be a local file, \
                     never a link, a next page or a redirect";
    for link in [
        format!("file://{}", pages.join("passwd").display()),
        "file:///etc/passwd".to_string(),
    ] {
        let l = line_with(&out, &format!("{link}: refused"));
        assert!(
            l.starts_with("saved  warning: item page not read (attempt 1 of 3): source `saved`:")
                && l.ends_with(file_rule),
            "{out}"
        );
    }
    let next = line_with(&out, "backfill stopped");
    assert!(
        next.contains(&format!(
            "page 2: source `saved`: file://{}: {file_rule}",
            pages.join("hostname").display()
        )),
        "{out}"
    );
    let items = stored(&config);
    assert!(items.contains("Urgent appeal: relative"), "{items}");
    assert!(
        !items.contains("LEAKED") && !items.contains("root:"),
        "{items}"
    );
    assert!(!published(dir.path()).contains("LEAKED"));
}

/// Every spelling of loopback, private and link-local addresses a link or a redirect
/// can take, with the refusal each must get. `{Q}` is the port of a server on
/// 127.0.0.1 that must never be reached.
const INTERNAL: &[(&str, &str)] = &[
    ("http://127.0.0.1:{Q}/s1", "127.0.0.1 is a loopback address"),
    ("http://localhost:{Q}/s2", "a loopback address"),
    ("http://[::1]:{Q}/s3", "::1 is a loopback address"),
    ("http://0.0.0.0:{Q}/s4", "0.0.0.0 is an unspecified address"),
    (
        "http://2130706433:{Q}/s5",
        "127.0.0.1 is a loopback address",
    ),
    ("http://0x7f.1:{Q}/s6", "127.0.0.1 is a loopback address"),
    (
        "http://0177.0.0.1:{Q}/s7",
        "127.0.0.1 is a loopback address",
    ),
    ("http://127.1:{Q}/s8", "127.0.0.1 is a loopback address"),
    (
        "http://[::ffff:127.0.0.1]:{Q}/s9",
        "::ffff:127.0.0.1 is a loopback address",
    ),
    ("http://10.1.2.3/s10", "10.1.2.3 is a private address"),
    ("http://192.168.1.1/s11", "192.168.1.1 is a private address"),
    (
        "http://169.254.169.254/latest/meta-data/",
        "169.254.169.254 is a link-local address",
    ),
];

/// The hosts of [`INTERNAL`] other than the listing's own (127.0.0.1), so that the
/// address rules, not the site rule, are what refuses them.
const INTERNAL_HOSTS: &str = r#"follow_hosts = ["localhost", "[::1]", "0.0.0.0", "[::ffff:127.0.0.1]", "10.1.2.3", "192.168.1.1", "169.254.169.254"]"#;

const RULE_TAIL: &str = "links, next pages and redirects may not reach local or private addresses \
     (allow_private = true allows it)";

fn internal_urls(victim: &FixtureServer) -> Vec<(String, &'static str)> {
    let q = victim.addr.port().to_string();
    INTERNAL
        .iter()
        .map(|(u, why)| (u.replace("{Q}", &q), *why))
        .collect()
}

/// How `url` reads once parsed (`0x7f.1` is `127.0.0.1`...), as messages show it.
fn normal(url: &str) -> String {
    url::Url::parse(url).unwrap().to_string()
}

#[test]
fn links_to_every_spelling_of_an_internal_address_are_refused_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let victim = FixtureServer::start();
    for n in 1..=12 {
        victim.set(&format!("/s{n}"), secret_page("SECRET-7781"));
    }
    let srv = FixtureServer::start();
    let urls = internal_urls(&victim);
    let cards: Vec<(String, String)> = urls
        .iter()
        .enumerate()
        .map(|(i, (u, _))| (u.clone(), format!("Urgent appeal number {i}")))
        .collect();
    let cards: Vec<(&str, &str)> = cards
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    srv.set("/list", Route::ok("text/html", listing("", &cards, None)));
    let config = make_config(
        dir.path(),
        "",
        &html_source("links", &srv.url("/list"), "", INTERNAL_HOSTS),
    );
    let out = poll(&config);
    assert!(lines_of(&out, "links")[0].contains("new   12"), "{out}");
    for (u, why) in &urls {
        let l = line_with(&out, &format!("{}: refused", normal(u)));
        assert!(
            l.starts_with("links  warning: item page not read (attempt 1 of 3): source `links`:")
                && l.contains(why)
                && l.ends_with(RULE_TAIL),
            "{u}: {l}"
        );
    }
    // `localhost` is a name: refused on the address it resolved to, at connect time.
    assert!(
        line_with(&out, "/s2: refused").contains("refused: localhost resolves to"),
        "{out}"
    );
    assert!(victim.all_seen().is_empty(), "{:?}", victim.all_seen());
    assert!(!stored(&config).contains("SECRET-7781"));
    assert!(!published(dir.path()).contains("SECRET-7781"));

    // Operators of an intranet opt out: the same links are read.
    let dir = tempfile::tempdir().unwrap();
    // Those a server on 127.0.0.1 answers (not [::1] and the mapped form: IPv6).
    let port = format!(":{}/", victim.addr.port());
    let loopback: Vec<(&str, &str)> = cards
        .iter()
        .zip(&urls)
        .filter(|(_, (u, _))| u.contains(&port) && !u.contains('['))
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(loopback.len(), 7, "{loopback:?}");
    srv.set(
        "/list2",
        Route::ok("text/html", listing("", &loopback, None)),
    );
    let config = make_config(
        dir.path(),
        "allow_private = true",
        &html_source("intranet", &srv.url("/list2"), "", INTERNAL_HOSTS),
    );
    let out = poll(&config);
    assert!(!out.contains("warning"), "{out}");
    assert_eq!(victim.all_seen().len(), 7, "{out}");
    let bodies = published_bodies(dir.path());
    assert_eq!(
        bodies
            .iter()
            .filter(|b| b.contains("internal SECRET-7781"))
            .count(),
        7,
        "{bodies:?}"
    );
}

#[test]
fn redirects_to_internal_addresses_fail_the_poll_and_never_connect() {
    let dir = tempfile::tempdir().unwrap();
    let victim = FixtureServer::start();
    victim.serve_fixture("/feed", "feeds/promolex-ro.rss", "application/rss+xml");
    let srv = FixtureServer::start();
    let urls = internal_urls(&victim);
    let statuses = [301, 302, 303, 307, 308];
    let mut sources = String::new();
    for (i, (u, _)) in urls.iter().enumerate() {
        srv.set(&format!("/r{i}"), Route::redirect(statuses[i % 5], u));
        sources.push_str(&format!(
            "[[sources]]\nid = \"r{i}\"\nurl = \"{}\"\n",
            srv.url(&format!("/r{i}"))
        ));
    }
    // A chain on the configured server that ends at a private address.
    srv.set("/c1", Route::redirect(301, "/c2"));
    srv.set("/c2", Route::redirect(308, &srv.url("/c3")));
    srv.set("/c3", Route::redirect(302, "http://10.0.0.1/feed"));
    // The same redirect to loopback, allowed for this source alone.
    srv.set("/ok", Route::redirect(302, &victim.url("/feed")));
    sources.push_str(&format!(
        "[[sources]]\nid = \"chain\"\nurl = \"{}\"\n\
         [[sources]]\nid = \"allowed\"\nurl = \"{}\"\nallow_private = true\n",
        srv.url("/c1"),
        srv.url("/ok")
    ));
    let config = make_config(dir.path(), "", &sources);
    let out = poll(&config);
    for (i, (u, why)) in urls.iter().enumerate() {
        let id = format!("r{i}");
        let l = lines_of(&out, &id);
        let want = format!(
            "{id:<7}  error: source `{id}`: {} (redirected from {}): refused: ",
            normal(u),
            srv.url(&format!("/r{i}"))
        );
        assert!(
            l.len() == 1
                && l[0].starts_with(&want)
                && l[0].contains(why)
                && l[0].ends_with(RULE_TAIL),
            "{want}\n{out}"
        );
    }
    let chain = lines_of(&out, "chain");
    assert!(
        chain[0].starts_with(&format!(
            "chain    error: source `chain`: http://10.0.0.1/feed (redirected from {}): refused: 10.0.0.1 is a private address",
            srv.url("/c3")
        )),
        "{out}"
    );
    assert!(lines_of(&out, "allowed")[0].contains("new    4"), "{out}");
    assert_eq!(
        victim.all_seen().len(),
        1,
        "only the allowed source's fetch"
    );
    let status = status_json(&config);
    assert!(
        status
            .iter()
            .filter(|s| s["id"] != "allowed")
            .all(|s| s["state"] == "failing"
                && s["last_error"].as_str().unwrap().contains("refused")),
        "{status:#?}"
    );
}

fn status_json(config: &Path) -> Vec<serde_json::Value> {
    let o = tocsin(config, &["status", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn a_permanent_redirect_to_an_internal_address_is_never_adopted_and_an_adopted_url_is_judged_at_every_poll()
 {
    let dir = tempfile::tempdir().unwrap();
    let victim = FixtureServer::start();
    victim.serve_fixture("/new.rss", "feeds/promolex-ro.rss", "application/rss+xml");
    let srv = FixtureServer::start();
    srv.set("/old.rss", Route::redirect(301, &victim.url("/new.rss")));
    let source = |extra: &str| {
        format!(
            "[[sources]]\nid = \"moved\"\nurl = \"{}\"\n{extra}\n",
            srv.url("/old.rss")
        )
    };
    let config = make_config(dir.path(), "", &source(""));
    for _ in 0..4 {
        let out = poll(&config);
        assert!(
            out.contains(&format!(
                "moved  error: source `moved`: {} (redirected from {}): refused: 127.0.0.1 is a loopback address",
                victim.url("/new.rss"),
                srv.url("/old.rss")
            )),
            "{out}"
        );
    }
    let st = &status_json(&config)[0];
    assert_eq!(st["adopted_url"], serde_json::Value::Null, "{st:#}");
    assert_eq!(st["redirect_seen"], 0, "a refused redirect is not counted");
    assert!(victim.all_seen().is_empty());
    assert_eq!(srv.seen("/old.rss").len(), 4);

    // Allowed, it is adopted on the third poll like any other...
    let config = write_config_with(
        dir.path(),
        &[],
        "",
        &format!(
            "\n[fetch]\nhost_spacing = \"0s\"\n{}",
            source("allow_private = true")
        ),
    );
    for pass in 1..=3 {
        let (out, err) = poll_env(&config, &[]);
        assert!(
            out.starts_with("moved  ") && !out.contains("error"),
            "{out}"
        );
        assert_eq!(
            err.contains("permanent redirect seen on 3 consecutive polls"),
            pass == 3,
            "{err}"
        );
    }
    assert_eq!(
        status_json(&config)[0]["adopted_url"],
        victim.url("/new.rss")
    );
    // ...but stays a derived URL: without allow_private, polling it is refused.
    let config = make_config(dir.path(), "", &source(""));
    let out = poll(&config);
    assert!(
        out.contains(&format!(
            "moved  error: source `moved`: {}: refused: 127.0.0.1 is a loopback address",
            victim.url("/new.rss")
        )),
        "{out}"
    );
    assert_eq!(victim.seen("/new.rss").len(), 3);
    assert_eq!(
        srv.seen("/old.rss").len(),
        7,
        "the adopted URL is polled directly"
    );
}
