//! The HTML page as a phone shows it: rendered by headless Chromium (through
//! ChromeDriver), checked in the live DOM: no horizontal scrolling at phone width,
//! readable type, each urgent item with its source, date, language, case code and why it
//! was selected, the subscribe links, and no script. A screenshot is kept in
//! `target/tocsin-page-phone.png` for people to look at.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::inproc::*;
use common::*;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Value,
) -> Value {
    let req = client
        .request(method, url)
        .header("content-type", "application/json");
    let req = if body.is_null() {
        req
    } else {
        req.body(body.to_string())
    };
    let resp = req.send().await.expect("chromedriver answers");
    let text = resp.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// The page at `url` as Chromium lays it out `width` CSS pixels wide: what the script
/// below measures in the live DOM; a screenshot goes to `target/SHOT_NAME`.
fn page_report(rt: &tokio::runtime::Runtime, url: &str, width: u32, shot_name: &str) -> Value {
    let (port, _held) = free_port();
    let driver = KillOnDrop(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let profile = tempfile::tempdir().unwrap();
    let profile = profile.path().join("chrome-profile");
    let report: Value = rt.block_on(async {
        #[allow(
            clippy::disallowed_methods,
            reason = "a plain client for the local test server, not one of tocsin's"
        )]
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         format!("--user-data-dir={}", profile.display()),
                         format!("--window-size={width},844"), "--force-device-scale-factor=1"],
                "mobileEmulation": {"deviceMetrics": {"width": width, "height": 844, "pixelRatio": 1.0}}
            }}}});
        let s = call(&client, reqwest::Method::POST, format!("{base}/session"), caps).await;
        let sid = s["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("{s}")).to_string();
        let session = format!("{base}/session/{sid}");
        call(&client, reqwest::Method::POST, format!("{session}/url"), json!({"url": url})).await;
        let script = r#"
            const q = (el, s) => { const x = el.querySelector(s); return x ? x.textContent.trim() : null; };
            const arts = [...document.querySelectorAll('article')].map(a => ({
                title: q(a, 'h2'), href: a.querySelector('h2 a').href, source: q(a, '.source'),
                time: a.querySelector('time') ? a.querySelector('time').getAttribute('datetime') : null,
                lang: q(a, '.lang'), code: q(a, '.code'), why: q(a, '.why'), country: q(a, '.country'),
                right: a.getBoundingClientRect().right }));
            const links = [...document.querySelectorAll('nav a')].map(a => ({
                text: a.textContent.trim(), href: a.getAttribute('href'),
                height: a.getBoundingClientRect().height }));
            return { innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
                     fontSize: parseFloat(getComputedStyle(document.body).fontSize),
                     scripts: document.scripts.length, articles: arts, links: links,
                     title: document.title, failing: q(document, '.failing'),
                     failingRight: document.querySelector('.failing') ? document.querySelector('.failing').getBoundingClientRect().right : null,
                     header: q(document, 'header .meta') };
        "#;
        let r = call(&client, reqwest::Method::POST, format!("{session}/execute/sync"), json!({"script": script, "args": []})).await;
        let shot = call(&client, reqwest::Method::GET, format!("{session}/screenshot"), Value::Null).await;
        if let Some(png) = shot["value"].as_str() {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD.decode(png).unwrap();
            let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join(shot_name);
            let _ = std::fs::write(out, bytes);
        }
        call(&client, reqwest::Method::DELETE, session, Value::Null).await;
        r["value"].clone()
    });
    drop(driver);
    report
}

#[test]
fn the_page_reads_well_on_a_phone_without_javascript() {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        eprintln!(
            "SKIPPED: chromium and chromium-driver are not installed (.ci/run installs them)"
        );
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

    let report = page_report(
        &rt,
        &format!("http://{addr}/"),
        390,
        "tocsin-page-phone.png",
    );

    eprintln!("rendered page: {report:#}");
    let width = report["innerWidth"].as_f64().unwrap();
    assert!(width <= 400.0, "phone width, got {width}");
    assert!(
        report["scrollWidth"].as_f64().unwrap() <= width,
        "no horizontal scrolling: {report}"
    );
    assert!(report["fontSize"].as_f64().unwrap() >= 16.0);
    assert_eq!(report["scripts"], 0);
    let articles = report["articles"].as_array().unwrap();
    assert_eq!(articles.len(), 7, "{report}");
    for a in articles {
        assert!(a["right"].as_f64().unwrap() <= width + 0.5, "{a}");
        assert!(a["source"].as_str().is_some_and(|s| !s.is_empty()), "{a}");
        assert!(
            a["time"].as_str().is_some_and(|t| t.starts_with("2026-")),
            "{a}"
        );
        assert!(
            a["why"]
                .as_str()
                .is_some_and(|w| w.starts_with("Selected because:")),
            "{a}"
        );
        assert!(a["href"].as_str().unwrap().starts_with("http"), "{a}");
    }
    let ro = articles
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("Pleșcanov"))
        .unwrap();
    assert_eq!(ro["lang"], "ro");
    assert_eq!(ro["source"], "promolex-ro");
    let links: Vec<&str> = report["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    for l in ["Atom", "RSS", "JSON Feed", "ro", "ru"] {
        assert!(links.contains(&l), "link {l} in {links:?}");
    }
    for l in report["links"].as_array().unwrap() {
        assert!(
            l["height"].as_f64().unwrap() >= 24.0,
            "tap target too small: {l}"
        );
    }
}

/// Sources that fail (a fresh install without network, a proxy problem) show on the
/// page as a banner a reader cannot miss, at phone and desktop widths; the header says
/// when the sources were checked, not the newest item's date.
#[test]
fn failing_sources_show_as_a_banner_at_phone_and_desktop_widths() {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        eprintln!(
            "SKIPPED: chromium and chromium-driver are not installed (.ci/run installs them)"
        );
        return;
    }
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let fidh = format!(
        "file://{}",
        fixtures_dir().join("feeds/fidh.atom").display()
    );
    let missing = |n: &str| format!("file://{}/gone-{n}.rss", dir.path().display());
    let config = write_config(
        dir.path(),
        &[
            ("fidh-en", fidh, None),
            ("down-1", missing("1"), None),
            ("down-2", missing("2"), None),
        ],
        "",
    );
    let config = tocsin::config::Config::load(&config).unwrap();
    let (addr, _d) = serve(&rt, config);
    for (width, shot) in [
        (390, "tocsin-page-failing-phone.png"),
        (1200, "tocsin-page-failing-desktop.png"),
    ] {
        let report = page_report(&rt, &format!("http://{addr}/"), width, shot);
        eprintln!("rendered page at {width}px: {report:#}");
        let banner = report["failing"]
            .as_str()
            .unwrap_or_else(|| panic!("{report}"));
        assert!(
            banner.starts_with("2 of 3 sources failing since 20"),
            "{banner}"
        );
        assert!(
            report["failingRight"].as_f64().unwrap() <= f64::from(width) + 0.5,
            "{report}"
        );
        assert!(
            report["scrollWidth"].as_f64().unwrap() <= report["innerWidth"].as_f64().unwrap(),
            "{report}"
        );
        let header = report["header"].as_str().unwrap();
        assert!(header.contains("sources checked 20"), "{header}");
        assert!(!header.contains("updated"), "{header}");
    }
}
