//! What tocsin fetches beyond a source's own host (issue 10, point 2): links to other
//! hosts only where `follow_hosts` names them, derived URLs checked before a proxy gets
//! them, WebSub hubs that redirect or a proxy the config turned off, and `check` naming
//! the line of a bad `allow_private` or `follow_hosts`. Hostile servers on loopback.

mod common;

use std::path::{Path, PathBuf};

use common::ssrf::*;
use common::*;

#[test]
fn links_to_another_host_are_followed_only_when_follow_hosts_names_it() {
    let dir = tempfile::tempdir().unwrap();
    // 127.0.0.2 stands for another organisation's server.
    let other = FixtureServer::start_on("127.0.0.2");
    other.set("/item", secret_page("OTHER-SITE-3391"));
    other.set(
        "/p2",
        Route::ok("text/html", listing("", &[("/x", "page two")], None)),
    );
    let srv = FixtureServer::start();
    srv.set(
        "/list",
        Route::ok(
            "text/html",
            listing(
                "",
                &[(&other.url("/item"), "Urgent appeal elsewhere")],
                Some(&other.url("/p2")),
            ),
        ),
    );
    let source = |extra: &str, html: &str| html_source("lst", &srv.url("/list"), extra, html);
    let off_site = "refused: `127.0.0.2` is not the listing's own site (`127.0.0.1`); \
                    [sources.html] follow_hosts names the other hosts whose pages may be fetched";
    // Addresses allowed: only the site rule is at play.
    let config = make_config(dir.path(), "", &source("allow_private = true", ""));
    let out = poll(&config);
    assert!(
        out.contains(&format!(
            "lst  warning: item page not read (attempt 1 of 3): source `lst`: {}: {off_site}",
            other.url("/item")
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "lst  warning: backfill stopped at page 2: source `lst`: {}: {off_site}",
            other.url("/p2")
        )),
        "{out}"
    );
    assert!(other.all_seen().is_empty());

    // Named, but 127.0.0.2 is a loopback address: the address rule still holds.
    let config = make_config(
        dir.path(),
        "",
        &source("", r#"follow_hosts = ["127.0.0.2"]"#),
    );
    let out = poll(&config);
    assert!(
        out.contains(&format!(
            "item page not read (attempt 2 of 3): source `lst`: {}: refused: 127.0.0.2 is a loopback address",
            other.url("/item")
        )),
        "{out}"
    );
    assert!(other.all_seen().is_empty());

    // Named and allowed: read.
    let config = make_config(
        dir.path(),
        "",
        &source("allow_private = true", r#"follow_hosts = ["127.0.0.2"]"#),
    );
    let out = poll(&config);
    assert!(lines_of(&out, "lst")[0].contains("updated    1"), "{out}");
    assert_eq!(other.seen("/item").len(), 1);
    assert!(
        published_bodies(dir.path())
            .iter()
            .any(|b| b.contains("OTHER-SITE-3391"))
    );
}

#[test]
fn a_derived_url_behind_a_proxy_is_checked_before_the_proxy_gets_it() {
    let dir = tempfile::tempdir().unwrap();
    // A forward proxy sees absolute URLs; it would answer for an internal name.
    let proxy = FixtureServer::start();
    let list = "http://feeds.invalid/list";
    proxy.set(
        list,
        Route::ok(
            "text/html",
            listing(
                "",
                &[
                    ("/item", "Urgent appeal on the site"),
                    ("http://localhost/admin", "Urgent appeal internal"),
                ],
                None,
            ),
        ),
    );
    proxy.set("http://feeds.invalid/item", secret_page("ON-SITE-1"));
    proxy.set("http://localhost/admin", secret_page("ADMIN-2"));
    let config = make_config(
        dir.path(),
        "",
        &html_source(
            "proxied",
            list,
            &format!("proxy = \"{}\"", proxy.url("")),
            r#"follow_hosts = ["localhost"]"#,
        ),
    );
    let out = poll(&config);
    assert!(
        out.contains(
            "proxied  warning: item page not read (attempt 1 of 3): source `proxied`: http://localhost/admin: refused: localhost resolves to"
        ),
        "{out}"
    );
    assert_eq!(proxy.seen("http://feeds.invalid/item").len(), 1, "{out}");
    assert!(proxy.seen("http://localhost/admin").is_empty());
    assert!(!stored(&config).contains("ADMIN-2"));
    assert!(!published(dir.path()).contains("ADMIN-2"));
    assert!(
        published_bodies(dir.path())
            .iter()
            .any(|b| b.contains("ON-SITE-1")),
        "the item page on the listing's own site is read through the proxy"
    );
}

/// A config with one feed source on `srv` and `hub` as the WebSub hub.
fn websub_config(dir: &Path, srv: &FixtureServer, hub: &str, fetch: &str) -> PathBuf {
    srv.serve_fixture("/ro.rss", "feeds/promolex-ro.rss", "application/rss+xml");
    make_config(
        dir,
        fetch,
        &format!(
            "[[sources]]\nid = \"ro\"\nurl = \"{}\"\nlanguage = \"ro\"\n\n[websub]\nhubs = [\"{hub}\"]\n",
            srv.url("/ro.rss")
        ),
    )
}

#[test]
fn a_hub_that_redirects_never_gets_the_ping_replayed_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    let elsewhere = FixtureServer::start_on("127.0.0.2");
    elsewhere.set("/hub", Route::status(204));
    srv.set("/hub", Route::redirect(307, &elsewhere.url("/hub")));
    let config = websub_config(dir.path(), &srv, &srv.url("/hub"), "");
    let (out, err) = poll_env(&config, &[]);
    assert!(out.contains("ro  new"), "{out}");
    assert!(
        elsewhere.all_seen().is_empty(),
        "{:?}",
        elsewhere.all_seen()
    );
    // One POST per topic, not retried: a redirect is a final answer.
    let posts = srv.seen("/hub");
    assert_eq!(posts.len(), 3, "{posts:?}");
    assert!(posts.iter().all(|p| p.method == "POST"));
    assert!(
        err.contains("WebSub ping failed: the hub answered with a redirect")
            && err.contains(&elsewhere.url("/hub")),
        "{err}"
    );
}

#[test]
fn pings_go_through_the_configured_proxy_and_none_means_none() {
    let env_proxy = FixtureServer::start_on("127.0.0.3");
    let proxy_env = env_proxy.url("");
    let env = [
        ("HTTP_PROXY", proxy_env.as_str()),
        ("http_proxy", proxy_env.as_str()),
        ("HTTPS_PROXY", proxy_env.as_str()),
        ("ALL_PROXY", proxy_env.as_str()),
        ("NO_PROXY", ""),
        ("no_proxy", ""),
    ];

    // proxy = "none": straight to the hub, whatever the environment says.
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.set("/hub", Route::status(204));
    let config = websub_config(dir.path(), &srv, &srv.url("/hub"), "proxy = \"none\"");
    let (out, _) = poll_env(&config, &env);
    assert!(out.contains("ro  new"), "{out}");
    assert_eq!(srv.seen("/hub").len(), 3);
    assert!(
        env_proxy.all_seen().is_empty(),
        "{:?}",
        env_proxy.all_seen()
    );

    // A proxy URL: the pings go through it, not to the hub directly.
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    let proxy = FixtureServer::start_on("127.0.0.4");
    proxy.set(&srv.url("/hub"), Route::status(204));
    proxy.serve_fixture(
        &srv.url("/ro.rss"),
        "feeds/promolex-ro.rss",
        "application/rss+xml",
    );
    let config = websub_config(
        dir.path(),
        &srv,
        &srv.url("/hub"),
        &format!("proxy = \"{}\"", proxy.url("")),
    );
    let (out, _) = poll_env(&config, &env);
    assert!(out.contains("ro  new"), "{out}");
    assert_eq!(proxy.seen(&srv.url("/hub")).len(), 3);
    assert!(srv.all_seen().is_empty());
    assert!(env_proxy.all_seen().is_empty());
}

#[test]
fn check_names_the_line_of_a_bad_allow_private_or_follow_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let source = html_source(
        "lst",
        "http://127.0.0.1:9/list",
        "",
        r#"follow_hosts = ["partner.org", "*.omct.org", "https://partner.org/news"]"#,
    );
    let check = |config: &Path| {
        let o = tocsin(config, &["check"]);
        assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
        let text = std::fs::read_to_string(config).unwrap();
        (stderr(&o), text)
    };
    let line_of =
        |text: &str, start: &str| text.lines().position(|l| l.starts_with(start)).unwrap() + 1;
    let (err, text) = check(&make_config(dir.path(), "allow_private = \"yes\"", &source));
    assert!(
        err.contains(&format!("tocsin.toml:{}:", line_of(&text, "allow_private")))
            && err.contains("fetch.allow_private"),
        "{err}"
    );
    let (err, text) = check(&make_config(dir.path(), "", &source));
    assert!(
        err.contains(&format!("tocsin.toml:{}:", line_of(&text, "follow_hosts")))
            && err.contains(
                "sources[0].html.follow_hosts[2]: `https://partner.org/news` is not a host name"
            ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "the other entries are hosts: {err}");
}
