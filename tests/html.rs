//! HTML listing sources end to end: OMCT-like listing pages served locally, polled by
//! the real binary: items, links, dates, extras as categories, `follow`, backfill, the
//! layout-change error, and `inspect --source` / `inspect --html`.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const LISTING: &str = "/en/resources/urgent-interventions";
const RJAVITIN: &str = "/en/resources/urgent-interventions/moldova-arbitrary-detention-of-whistleblower-mr-alexandru-rjavitin";
const BELARUS: &str = "/en/resources/urgent-interventions/belarus-incommunicado-detention-of-lawyer-ms-hanna-dzmitrieva";

/// Rules that look at what only HTML sources provide: extras (as categories) and the
/// body of followed item pages.
const HTML_RULES: &str = r#"
[[rules]]
name = "omct-label"
keywords = ["Urgent Interventions", "Interventions urgentes"]
fields = ["categories"]
weight = 0.5

[[rules]]
name = "observatory-appeal-in-body"
keywords = ["requests your urgent intervention"]
fields = ["content"]
"#;

/// An html source with the selectors of the fixtures; `more` adds `[sources.html]` keys.
fn html_source(id: &str, url: &str, more: &str) -> String {
    format!(
        r#"
[[sources]]
id = "{id}"
kind = "html"
url = "{url}"

[sources.html]
item = ".card"
title = ".card__title"
link = "a@href"
date = ".card__date"
date_format = "%d.%m.%y"
next = "a[rel=next]"
{more}

[sources.html.extra]
country = ".card__country"
category = ".card__type"
"#
    )
}

fn config(dir: &Path, sources: &str) -> PathBuf {
    write_config_with(dir, &[], "", &format!("{HTML_RULES}{sources}"))
}

fn serve_listing(srv: &FixtureServer) {
    srv.serve_fixture(LISTING, "html/omct-en-p1.html", "text/html; charset=utf-8");
    for n in 2..=4 {
        srv.serve_fixture(
            &format!("{LISTING}/p{n}"),
            &format!("html/omct-en-p{n}.html"),
            "text/html; charset=utf-8",
        );
    }
}

/// The item links (`card__link` hrefs) of a fixture page.
fn card_links(page: &str) -> Vec<String> {
    page.split(r#"class="card__link" href=""#)
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture_bytes(name)).unwrap()
}

fn poll(config: &Path) -> String {
    let o = tocsin(config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

fn by_title<'a>(items: &'a [serde_json::Value], part: &str) -> &'a serde_json::Value {
    items
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains(part))
        .unwrap_or_else(|| panic!("no item with {part:?} in {items:#?}"))
}

fn reasons(item: &serde_json::Value) -> Vec<&str> {
    item["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect()
}

#[test]
fn a_listing_becomes_items_with_resolved_links_dates_and_categories() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    serve_listing(&srv);
    let config = config(
        dir.path(),
        &html_source("omct-en", &srv.url(LISTING), "backfill_pages = 1"),
    );
    let out = poll(&config);
    assert!(
        out.contains("omct-en  new    6  updated    0  unchanged    0"),
        "{out}"
    );
    assert!(!out.contains("warning"), "{out}");

    let items = items_json(&config, &[]);
    assert_eq!(items.len(), 6);
    let a = by_title(&items, "Alexandru Rjavitin");
    assert_eq!(
        a["title"],
        r#"Arbitrary detention of whistleblower Mr. Alexandru Rjavitin by the self-proclaimed "Moldovan Republic of Transnistria""#
    );
    assert_eq!(a["link"], srv.url(RJAVITIN), "relative link made absolute");
    assert_eq!(
        a["published"], "2020-02-06T00:00:00Z",
        "06.02.20 with %d.%m.%y"
    );
    assert_eq!(a["language"], "en", "from <html lang>");
    assert_eq!(
        a["categories"],
        serde_json::json!(["Urgent Interventions", "Moldova"])
    );
    assert!(reasons(a).contains(&"omct-label"), "{a}");
    assert!(reasons(a).contains(&"detention-in-title"), "{a}");
    assert_eq!(a["urgent"], true);

    let statement = by_title(&items, "Filipino political prisoners");
    assert_eq!(
        statement["link"],
        srv.url(
            "/en/resources/statements/philippines-immediately-release-filipino-political-prisoners"
        )
    );
    assert_eq!(
        statement["categories"],
        serde_json::json!(["Statements", "Philippines"])
    );
    assert!(!reasons(statement).contains(&"omct-label"));
    let report = by_title(&items, "Annual report 2019");
    assert_eq!(report["published"], "2020-01-28T00:00:00Z");
    assert_eq!(report["urgent"], false);

    assert!(
        srv.seen(&format!("{LISTING}/p2")).is_empty(),
        "backfill_pages = 1 reads page one only"
    );
    let out = poll(&config);
    assert!(
        out.contains("omct-en  unchanged body"),
        "the same listing is not parsed again: {out}"
    );
}

#[test]
fn backfill_follows_next_up_to_the_limit_on_the_first_poll_only() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    serve_listing(&srv);
    // The default backfill_pages is 3: pages 1, 2 and 3, never 4.
    let config = config(dir.path(), &html_source("omct-en", &srv.url(LISTING), ""));
    let out = poll(&config);
    assert!(out.contains("omct-en  new   11"), "6 + 3 + 2 items: {out}");
    let seen = |n: u32| srv.seen(&format!("{LISTING}/p{n}")).len();
    assert_eq!(
        (srv.seen(LISTING).len(), seen(2), seen(3), seen(4)),
        (1, 1, 1, 0)
    );
    let items = items_json(&config, &[]);
    assert_eq!(items.len(), 11);
    let p3 = by_title(&items, "Rosa Tunubala");
    assert_eq!(p3["published"], "2020-01-14T00:00:00Z");
    assert!(
        !items
            .iter()
            .any(|i| i["title"].as_str().unwrap().contains("Luis Obando"))
    );

    let out = poll(&config);
    assert!(out.contains("omct-en  unchanged body"), "{out}");
    assert_eq!(
        (srv.seen(LISTING).len(), seen(2), seen(3), seen(4)),
        (2, 1, 1, 0),
        "later polls read page one only"
    );
}

#[test]
fn a_failing_backfill_page_ends_the_backfill_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    serve_listing(&srv);
    srv.set(&format!("{LISTING}/p2"), Route::status(503));
    let config = config(dir.path(), &html_source("omct-en", &srv.url(LISTING), ""));
    let out = poll(&config);
    assert!(out.contains("omct-en  new    6"), "{out}");
    assert!(
        out.contains(&format!(
            "omct-en  warning: backfill stopped at page 2: source `omct-en`: {}: HTTP 503",
            srv.url(&format!("{LISTING}/p2"))
        )),
        "{out}"
    );
    assert!(srv.seen(&format!("{LISTING}/p3")).is_empty());
}

#[test]
fn follow_fetches_each_new_item_page_exactly_once_across_polls() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    serve_listing(&srv);
    let page1 = fixture_text("html/omct-en-p1.html");
    let links = card_links(&page1);
    assert_eq!(links.len(), 6);
    for l in &links {
        srv.serve_fixture(l, "html/omct-item.html", "text/html; charset=utf-8");
    }
    // One item page fails on the first poll: it is retried on the next.
    srv.set(BELARUS, Route::status(500));
    let config = config(
        dir.path(),
        &html_source(
            "omct-en",
            &srv.url(LISTING),
            "backfill_pages = 1\nfollow = true\ncontent = \".article__body\"",
        ),
    );
    let out = poll(&config);
    assert!(
        out.contains("omct-en  new    6  updated    0  unchanged    0"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "omct-en  warning: item page not read (attempt 1 of 3): source `omct-en`: {}: HTTP 500",
            srv.url(BELARUS)
        )),
        "{out}"
    );
    for l in &links {
        assert_eq!(srv.seen(l).len(), 1, "{l}");
    }
    let items = items_json(&config, &[]);
    let a = by_title(&items, "Alexandru Rjavitin");
    assert!(
        reasons(a).contains(&"observatory-appeal-in-body"),
        "the rules saw the item page's body: {a}"
    );
    let evidence = a["evidence"].to_string();
    assert!(evidence.contains("content"), "{evidence}");
    let b = by_title(&items, "Hanna Dzmitrieva");
    assert!(!reasons(b).contains(&"observatory-appeal-in-body"), "{b}");

    // Second poll: a new card on top; the Belarus page works now.
    let new_card = r#"<article class="card card--resource">
          <a class="card__link" href="/en/resources/urgent-interventions/azerbaijan-arbitrary-detention-of-mr-elvin-mammadov">
            <div class="card__meta"><span class="card__country">Azerbaijan</span><span class="card__date">10.02.20</span></div>
            <span class="card__type">Urgent Interventions</span>
            <h3 class="card__title">Arbitrary detention of human rights defender Mr. Elvin Mammadov</h3>
          </a>
        </article>
        "#;
    let new_link =
        "/en/resources/urgent-interventions/azerbaijan-arbitrary-detention-of-mr-elvin-mammadov";
    let grid = r#"<div class="listing__grid">"#;
    srv.set(
        LISTING,
        Route::ok(
            "text/html",
            page1.replace(grid, &format!("{grid}\n        {new_card}")),
        ),
    );
    srv.serve_fixture(new_link, "html/omct-item.html", "text/html");
    srv.serve_fixture(BELARUS, "html/omct-item.html", "text/html");
    let out = poll(&config);
    assert!(
        out.contains("omct-en  new    1  updated    1  unchanged    5"),
        "the Belarus item gains its body; the others keep theirs: {out}"
    );
    assert!(!out.contains("warning"), "{out}");
    assert_eq!(srv.seen(new_link).len(), 1);
    assert_eq!(srv.seen(BELARUS).len(), 2, "retried once after failing");
    for l in links.iter().filter(|l| *l != BELARUS) {
        assert_eq!(srv.seen(l).len(), 1, "never re-fetched: {l}");
    }
    let items = items_json(&config, &[]);
    assert!(
        reasons(by_title(&items, "Alexandru Rjavitin")).contains(&"observatory-appeal-in-body")
    );
    assert!(reasons(by_title(&items, "Hanna Dzmitrieva")).contains(&"observatory-appeal-in-body"));
    assert!(reasons(by_title(&items, "Elvin Mammadov")).contains(&"observatory-appeal-in-body"));

    // Third poll: nothing to fetch, nothing changes.
    let out = poll(&config);
    assert!(
        out.contains("omct-en  new    0  updated    0  unchanged    7"),
        "{out}"
    );
    assert_eq!(srv.seen(new_link).len(), 1);
    assert_eq!(srv.seen(BELARUS).len(), 2);
    assert_eq!(srv.seen(RJAVITIN).len(), 1);
}

#[test]
fn a_french_listing_declared_latin1_in_a_meta_element() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    let path = "/fr/ressources/interventions-urgentes";
    // No charset in the HTTP header: the page's http-equiv meta says ISO-8859-1.
    srv.serve_fixture(path, "html/omct-fr.html", "text/html");
    let config = config(
        dir.path(),
        &html_source("omct-fr", &srv.url(path), "backfill_pages = 1"),
    );
    let out = poll(&config);
    assert!(out.contains("omct-fr  new    3"), "{out}");
    let items = items_json(&config, &[]);
    let a = by_title(&items, "Alexandru Rjavitin");
    assert_eq!(
        a["title"],
        "Détention arbitraire du lanceur d'alerte M. Alexandru Rjavitin par la « République moldave de Transnistrie » autoproclamée"
    );
    assert_eq!(
        a["link"],
        srv.url("/fr/ressources/interventions-urgentes/moldavie-detention-arbitraire-du-lanceur-dalerte-m-alexandru-rjavitin")
    );
    assert_eq!(a["published"], "2020-02-06T00:00:00Z");
    assert_eq!(a["language"], "fr");
    assert_eq!(
        a["categories"],
        serde_json::json!(["Interventions urgentes", "Moldavie"])
    );
    assert!(reasons(a).contains(&"omct-label"));
    let decl = by_title(&items, "société civile");
    assert_eq!(
        decl["categories"],
        serde_json::json!(["Déclarations", "Tunisie"])
    );
}

#[test]
fn a_changed_layout_is_an_error_that_keeps_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    serve_listing(&srv);
    let config = config(
        dir.path(),
        &html_source("omct-en", &srv.url(LISTING), "backfill_pages = 1"),
    );
    let first = poll(&config);
    assert!(first.contains("omct-en  new    6"), "{first}");

    srv.serve_fixture(LISTING, "html/omct-en-changed.html", "text/html");
    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "a failing source is not a failed pass");
    let expected = format!(
        "source `omct-en`: {}: selectors matched nothing: the page layout may have changed (`item` selector `.card` matched no element); \
         detection proposes, for the page as it is now (6 entries, the first \"Arbitrary detention of whistleblower Mr. Alexandru Rjavitin by the self-proclaim\"): \
         html = {{ item = \".teaser\", title = \".teaser__headline\", link = \"a\", date = \".teaser__meta\", date_format = \"%d.%m.%y\" }}",
        srv.url(LISTING)
    );
    // `poll` prints the proposal as a table to copy; the log and the stored error
    // carry it on one line.
    let (cut, _) = expected.split_once("; detection proposes").unwrap();
    assert!(
        stdout(&o).contains(&format!(
            "omct-en  error: {cut}\n         selectors detection proposes for the page as it is now:\n             [sources.html]\n             item = \".teaser\"\n"
        )),
        "{}",
        stdout(&o)
    );
    // Said once, on the summary line: the poll's own log line would repeat it.
    assert!(
        !stderr(&o).contains(&expected),
        "logged again: {}",
        stderr(&o)
    );
    assert_eq!(items_json(&config, &[]).len(), 6, "stored items are kept");
    let db = tocsin::store::Store::open(&dir.path().join("var/tocsin.db")).unwrap();
    let state = db.source_state("omct-en").unwrap().unwrap();
    assert_eq!(state.last_error.as_deref(), Some(expected.as_str()));
    assert_eq!(state.failures, 1);
    drop(db);

    // Cards still there but their titles renamed: every item lacks a title.
    let renamed = fixture_text("html/omct-en-p1.html").replace("card__title", "card__heading");
    srv.set(LISTING, Route::ok("text/html", renamed));
    // The failure put the source in backoff: --force polls it anyway.
    let out = stdout(&tocsin(&config, &["poll", "--force"]));
    assert!(
        out.contains("selectors matched nothing: the page layout may have changed (none of the 6 elements matched by `item` (`.card`) has both a title and a link)"),
        "{out}"
    );

    // One card without its link: a warning with a count, the rest is read.
    let page = fixture_text("html/omct-en-p1.html");
    let partial = page.replacen(
        &format!(r#"class="card__link" href="{RJAVITIN}""#),
        r#"class="card__link""#,
        1,
    );
    assert_ne!(partial, page);
    srv.set(LISTING, Route::ok("text/html", partial));
    let out = stdout(&tocsin(&config, &["poll", "--force"]));
    assert!(
        out.contains("omct-en  new    0  updated    0  unchanged    5"),
        "{out}"
    );
    assert!(
        out.contains("omct-en  warning: 1 of 6 items skipped (no link at `a@href`); the page layout may be changing"),
        "{out}"
    );
    let db = tocsin::store::Store::open(&dir.path().join("var/tocsin.db")).unwrap();
    assert_eq!(
        db.source_state("omct-en").unwrap().unwrap().last_error,
        None
    );
}

const SELECTORS: &str = r#"item = ".card"
title = ".card__title"
link = "a@href"
date = ".card__date"
date_format = "%d.%m.%y"
next = "a[rel=next]"

[extra]
country = ".card__country"
category = ".card__type"
"#;

#[test]
fn inspect_html_works_offline_on_a_saved_page() {
    let dir = tempfile::tempdir().unwrap();
    let sel = dir.path().join("sel.toml");
    std::fs::write(&sel, SELECTORS).unwrap();
    let page = fixtures_dir().join("html/omct-en-p1.html");
    // No config file is needed.
    let nothing = dir.path().join("no-config.toml");
    let o = tocsin(
        &nothing,
        &[
            "inspect",
            "--html",
            sel.to_str().unwrap(),
            page.to_str().unwrap(),
            "--base",
            "https://www.omct.org/en/resources/urgent-interventions",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for expected in [
        "item `.card`: 6 elements, 6 items, 0 skipped",
        "next `a[rel=next]`: https://www.omct.org/en/resources/urgent-interventions/p2",
        "1. Arbitrary detention of whistleblower Mr. Alexandru Rjavitin",
        "   link:     https://www.omct.org/en/resources/urgent-interventions/moldova-arbitrary-detention-of-whistleblower-mr-alexandru-rjavitin",
        "   date:     06.02.20 -> 2020-02-06T00:00:00Z",
        "   country:  Moldova",
        "   category: Urgent Interventions",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }

    let changed = fixtures_dir().join("html/omct-en-changed.html");
    let o = tocsin(
        &nothing,
        &[
            "inspect",
            "--html",
            sel.to_str().unwrap(),
            changed.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("item `.card`: 0 elements"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("selectors matched nothing: the page layout may have changed"),
        "{}",
        stderr(&o)
    );

    std::fs::write(
        &sel,
        "item = \".card\"\ntitle = \"h3[\"\nlink = \"a@href\"\n",
    )
    .unwrap();
    let o = tocsin(
        &nothing,
        &[
            "inspect",
            "--html",
            sel.to_str().unwrap(),
            page.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o).replace(sel.to_str().unwrap(), "SEL");
    assert!(
        err.starts_with(
            "tocsin: SEL:2:1: title: `h3[` is not a valid CSS selector (it ends too early)"
        ),
        "{err}"
    );
}

#[test]
fn inspect_source_fetches_a_configured_source_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    serve_listing(&srv);
    srv.serve_fixture(RJAVITIN, "html/omct-item.html", "text/html");
    let config = config(
        dir.path(),
        &html_source(
            "omct-en",
            &srv.url(LISTING),
            "follow = true\ncontent = \".article__body\"",
        ),
    );
    let o = tocsin(&config, &["inspect", "--source", "omct-en"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for expected in [
        "source omct-en",
        &format!("page {}", srv.url(LISTING)),
        "item `.card`: 6 elements, 6 items, 0 skipped",
        &format!("   link:     {}", srv.url(RJAVITIN)),
        "   verdict:  urgent (score 1.5: detention-in-title, omct-label)",
        "content of item 1's page (`.article__body`):",
        "MDA 001 / 0120 / OBS 008",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert_eq!(srv.seen(RJAVITIN).len(), 1, "one sample item page");
    assert!(srv.seen(&format!("{LISTING}/p2")).is_empty());
    assert!(
        !dir.path().join("var/tocsin.db").exists(),
        "inspect stores nothing"
    );

    // The classic form also reads a configured html source's URL with its selectors.
    let o = tocsin(&config, &["inspect", &srv.url(LISTING)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0]["source"], "omct-en");
    assert_eq!(lines[0]["published"], "2020-02-06T00:00:00Z");

    let o = tocsin(&config, &["inspect", "--source", "nope"]);
    assert_eq!(o.status.code(), Some(2));

    // `--config` may also follow the subcommand, as in the README.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args([
            "inspect",
            "--config",
            config.to_str().unwrap(),
            "--source",
            "omct-en",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("item `.card`: 6 elements"),
        "{}",
        stdout(&o)
    );
}

fn check_err(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(&path, text).unwrap();
    let o = tocsin(&path, &["check"]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    stderr(&o).replace(path.to_str().unwrap(), "CONFIG")
}

#[test]
fn bad_html_sources_are_config_errors_with_key_and_line() {
    let head = "[[sources]]\nid = \"a\"\nurl = \"https://example.org/\"\n";
    let err = check_err(&format!(
        "{head}kind = \"html\"\n\n[sources.html]\nitem = \".card\"\ntitle = \"h3[\"\nlink = \"a@\"\ndate_format = \"%d.%m.%\"\ndate = \"time\"\nfollow = true\nbackfill_pages = 0\n\n[sources.html.extra]\ncountry = \"..x\"\n"
    ));
    for e in [
        "CONFIG:8:1: sources[0].html.title: `h3[` is not a valid CSS selector (it ends too early)",
        "CONFIG:9:1: sources[0].html.link: `a@`: expected an attribute name after `@`, as in \"a@href\"",
        "CONFIG:10:1: sources[0].html.date_format: `%d.%m.%` is not a valid date format",
        "CONFIG:12:1: sources[0].html.follow: follow = true needs a `content` selector",
        "CONFIG:13:1: sources[0].html.backfill_pages: 0 is out of range (1 to 50; 1 reads page one only)",
        "CONFIG:16:1: sources[0].html.extra.country: `..x` is not a valid CSS selector (class needs ident)",
    ] {
        assert!(err.contains(e), "missing {e:?} in:\n{err}");
    }
    assert_eq!(err.lines().count(), 6, "{err}");

    let err = check_err(&format!("{head}\n[sources.html]\nitem = \".card\"\n"));
    assert!(
        err.contains("CONFIG:5:10: sources[0].html: [sources.html] is read only for `kind = \"html\"` sources"),
        "{err}"
    );
    // Without a table the listing is read by detection (tests/auto.rs).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(&path, format!("{head}kind = \"html\"\n")).unwrap();
    let o = tocsin(&path, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = check_err(&format!(
        "{head}kind = \"html\"\n[sources.html]\nitem = \".card\"\ntitle = \"h3\"\n"
    ));
    assert!(
        err.contains("CONFIG:5:10: sources[0].html.link: missing: an html source needs `link` (e.g. \"a@href\")"),
        "{err}"
    );
    let err = check_err(&format!("{head}kind = \"rss\"\n"));
    assert!(
        err.contains("sources[0].kind: unknown variant `rss`, expected `feed` or `html`"),
        "{err}"
    );
    let err = check_err(&format!(
        "{head}kind = \"html\"\n[sources.html]\nitem = \".card\"\ntitel = \"h3\"\n"
    ));
    assert!(err.contains("unknown field `titel`"), "{err}");
}

#[test]
fn the_shipped_omct_selectors_read_the_fixture_pages() {
    use tocsin::config::Config;
    use tocsin::parse::decode_html;
    use tocsin::parse::html::{page_content, parse_listing};
    use tocsin::source::{OnLayoutChange, ReadWith, SourceKind};
    let config =
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/tocsin.toml")).unwrap();
    for (id, fixture, items) in [
        ("omct-en", "html/omct-en-p1.html", 6),
        ("omct-fr", "html/omct-fr.html", 3),
        ("omct-es", "html/omct-en-p1.html", 6),
    ] {
        let source = config.source(id).unwrap();
        let SourceKind::Html(h) = &source.kind else {
            panic!("{id} is not an html source")
        };
        let ReadWith::Selectors {
            spec,
            on_layout_change,
        } = &h.read
        else {
            panic!("{id} is read with selectors")
        };
        assert_eq!(*on_layout_change, OnLayoutChange::Auto, "{id}");
        let html = decode_html(&fixture_bytes(fixture), None);
        let l = parse_listing(&html, &source.url, spec);
        assert!(l.check().is_ok(), "{id}");
        assert_eq!(l.items.len(), items, "{id}");
        assert!(l.skipped.is_empty() && l.undated.is_empty(), "{id}");
        let first = &l.items[0].item;
        assert!(first.published.is_some(), "{id}");
        assert_eq!(first.categories.len(), 2, "{id}: country and type");
        assert!(l.next.is_some(), "{id}");
        assert!(h.follow, "{id}");
        let body = page_content(
            &String::from_utf8(fixture_bytes("html/omct-item.html")).unwrap(),
            h.content.as_ref().unwrap(),
        )
        .unwrap();
        assert!(body.contains("requests your urgent intervention"), "{id}");
        assert!(
            !body.contains("Another appeal"),
            "{id}: not the related cards"
        );
    }
}
