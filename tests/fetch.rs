//! Fetch behaviour end to end: permanent redirects adopted after three polls (and
//! temporary ones never), proxies from the config and from the environment, per-source
//! limits, `tocsin status`.

mod common;

use std::process::Command;

use common::*;

fn status_json(config: &std::path::Path) -> Vec<serde_json::Value> {
    let o = tocsin(config, &["status", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn a_permanent_redirect_is_adopted_on_the_third_poll_a_temporary_one_never() {
    let dir = tempfile::tempdir().unwrap();
    let moved = FixtureServer::start_on("127.0.8.2");
    moved.set("/old.rss", Route::redirect(301, "/new.rss"));
    moved.serve_fixture("/new.rss", "feeds/promolex-ro.rss", "application/rss+xml");
    let temp = FixtureServer::start_on("127.0.8.3");
    temp.set("/feed", Route::redirect(302, "/today"));
    temp.serve_fixture("/today", "feeds/fidh.atom", "application/atom+xml");
    let config = write_config(
        dir.path(),
        &[
            ("moved", moved.url("/old.rss"), Some("ro")),
            ("temp", temp.url("/feed"), None),
        ],
        "",
    );
    for pass in 1..=3 {
        let o = tocsin(&config, &["poll"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let warned = stderr(&o).contains("permanent redirect seen on 3 consecutive polls");
        assert_eq!(warned, pass == 3, "pass {pass}: {}", stderr(&o));
        if pass == 3 {
            let err = stderr(&o);
            assert!(
                err.contains(&moved.url("/old.rss")) && err.contains(&moved.url("/new.rss")),
                "{err}"
            );
        }
    }
    let status = status_json(&config);
    assert_eq!(status[0]["adopted_url"], moved.url("/new.rss"));
    assert_eq!(
        status[0]["url"],
        moved.url("/old.rss"),
        "the config is not rewritten"
    );
    assert_eq!(status[1]["adopted_url"], serde_json::Value::Null);
    assert_eq!(status[1]["redirect_seen"], 0, "302 is not counted");
    let text = stdout(&tocsin(&config, &["status"]));
    assert!(
        text.contains(&format!("adopted URL: {}", moved.url("/new.rss"))),
        "{text}"
    );

    // From now on the new URL is polled directly.
    assert_eq!(moved.seen("/old.rss").len(), 3);
    assert!(tocsin(&config, &["poll"]).status.success());
    assert_eq!(moved.seen("/old.rss").len(), 3);
    assert_eq!(moved.seen("/new.rss").len(), 4);
    assert_eq!(temp.seen("/feed").len(), 4);
    assert_eq!(items_json(&config, &[]).len(), 6);
}

#[test]
fn proxies_come_from_the_source_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    // A forward proxy sees the absolute URL in the request line.
    let proxy = FixtureServer::start_on("127.0.8.4");
    proxy.serve_fixture(
        "http://feeds.invalid/ro.rss",
        "feeds/promolex-ro.rss",
        "application/rss+xml",
    );
    proxy.serve_fixture(
        "http://env.invalid/fidh.atom",
        "feeds/fidh.atom",
        "application/atom+xml",
    );
    let config = write_config_with(
        dir.path(),
        &[],
        "",
        &format!(
            "[[sources]]\nid = \"via-config\"\nurl = \"http://feeds.invalid/ro.rss\"\nproxy = \"{}\"\n\
             [[sources]]\nid = \"via-env\"\nurl = \"http://env.invalid/fidh.atom\"\n",
            proxy.url("")
        ),
    );
    let o = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("--config")
        .arg(&config)
        .arg("poll")
        .env("HTTP_PROXY", proxy.url(""))
        .env("http_proxy", proxy.url(""))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(out.contains("via-config  new    4"), "{out}{}", stderr(&o));
    assert!(out.contains("via-env     new    2"), "{out}{}", stderr(&o));
    assert_eq!(proxy.seen("http://feeds.invalid/ro.rss").len(), 1);
}

#[test]
fn a_per_source_limit_overrides_the_global_one_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.serve_fixture("/ro.rss", "feeds/promolex-ro.rss", "application/rss+xml");
    let config = write_config_with(
        dir.path(),
        &[],
        "",
        &format!(
            "[fetch]\nmax_body = \"1 MiB\"\nhost_spacing = \"0s\"\n\
             [[sources]]\nid = \"small\"\nurl = \"{0}\"\nmax_body = \"1 KiB\"\n\
             [[sources]]\nid = \"big\"\nurl = \"{0}\"\n",
            srv.url("/ro.rss")
        ),
    );
    let out = stdout(&tocsin(&config, &["poll"]));
    assert!(
        out.contains("small  error: source `small`:")
            && out.contains("larger than 1024 bytes after decompression (max_body)"),
        "{out}"
    );
    assert!(out.contains("big    new    4"), "{out}");
    let text = stdout(&tocsin(&config, &["status"]));
    assert!(
        text.contains("failing") && text.contains("error: source `small`"),
        "{text}"
    );
}

/// A SOCKS5 proxy (RFC 1928, no authentication, CONNECT only) that sends every
/// connection to `upstream` whatever it was asked for, and records what it was asked.
fn socks5_proxy(
    upstream: std::net::SocketAddr,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let asked: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let log = asked.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let log = log.clone();
            std::thread::spawn(move || -> std::io::Result<()> {
                let mut head = [0u8; 2];
                client.read_exact(&mut head)?;
                let mut methods = vec![0u8; head[1] as usize];
                client.read_exact(&mut methods)?;
                client.write_all(&[5, 0])?;
                let mut req = [0u8; 4];
                client.read_exact(&mut req)?;
                let host = match req[3] {
                    1 => {
                        let mut a = [0u8; 4];
                        client.read_exact(&mut a)?;
                        std::net::Ipv4Addr::from(a).to_string()
                    }
                    3 => {
                        let mut n = [0u8; 1];
                        client.read_exact(&mut n)?;
                        let mut name = vec![0u8; n[0] as usize];
                        client.read_exact(&mut name)?;
                        String::from_utf8_lossy(&name).into_owned()
                    }
                    _ => return Ok(()),
                };
                let mut port = [0u8; 2];
                client.read_exact(&mut port)?;
                log.lock()
                    .unwrap()
                    .push(format!("{host}:{}", u16::from_be_bytes(port)));
                let upstream = std::net::TcpStream::connect(upstream)?;
                client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0])?;
                let (mut c2, mut u2) = (client.try_clone()?, upstream.try_clone()?);
                std::thread::spawn(move || std::io::copy(&mut u2, &mut c2));
                let mut upstream = upstream;
                std::io::copy(&mut client, &mut upstream)?;
                Ok(())
            });
        }
    });
    (format!("socks5h://{addr}"), asked)
}

#[test]
fn a_socks5_proxy_from_the_config_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = FixtureServer::start_on("127.0.8.5");
    upstream.serve_fixture("/ro.rss", "feeds/promolex-ro.rss", "application/rss+xml");
    let (proxy, asked) = socks5_proxy(upstream.addr);
    let config = write_config_with(
        dir.path(),
        &[],
        "",
        &format!(
            "[[sources]]\nid = \"via-socks\"\nurl = \"http://feeds.invalid/ro.rss\"\nproxy = \"{proxy}\"\n"
        ),
    );
    let o = tocsin(&config, &["poll"]);
    let out = stdout(&o);
    assert!(out.contains("via-socks  new    4"), "{out}{}", stderr(&o));
    assert_eq!(
        *asked.lock().unwrap(),
        ["feeds.invalid:80"],
        "the proxy resolves the name"
    );
    assert_eq!(upstream.seen("/ro.rss").len(), 1);
}
