//! What one item may cost (issue 10, point 3): hostile items served on loopback are
//! stored and published within the limits, valid and safe, and do not keep the other
//! items of their feed, or other sources, from being stored and published.
//!
//! The sizes are those at which the old code took from seconds to minutes; the test
//! asserts what a subscriber sees, never how long it took (`benches/bounds.rs` times it).

mod common;

use common::*;

const MARKER: &str = " […]";

/// An RSS feed of four items: nested escaped `<div>`, 150,000 case codes, an 8 MiB
/// title, and an ordinary urgent appeal.
fn hostile_rss() -> String {
    let nested = 40_000;
    let div = format!(
        "{}deep text{}",
        "&lt;div&gt;".repeat(nested),
        "&lt;/div&gt;".repeat(nested)
    );
    let codes: String = (0..150_000).map(|i| format!("Case MDA {i:06} ")).collect();
    let title = "urgent appeal word ".repeat(8 * 1024 * 1024 / 19);
    let item = |guid: &str, title: &str, description: &str| {
        format!(
            "<item><guid>{guid}</guid><link>https://hostile.example/{guid}</link>\
             <title>{title}</title><description>{description}</description>\
             <pubDate>Tue, 03 Feb 2026 10:00:00 +0000</pubDate></item>\n"
        )
    };
    // In `content:encoded`, whose limit (512 KiB) the 40,000 levels fit in.
    let nested_item = format!(
        "<item><guid>nested</guid><link>https://hostile.example/nested</link>\
         <title>Urgent appeal: nested markup</title><description>Nested</description>\
         <content:encoded>{div}</content:encoded>\
         <pubDate>Tue, 03 Feb 2026 10:00:00 +0000</pubDate></item>\n"
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>\
         <title>Hostile</title><link>https://hostile.example/</link>\n{}{}{}{}</channel></rss>",
        nested_item,
        item("codes", "Urgent appeal: many codes", &codes),
        item("title", &title, "An urgent appeal with a long title"),
        item(
            "ordinary",
            "Urgent appeal: release the defender",
            "&lt;p&gt;An ordinary urgent appeal.&lt;/p&gt;"
        ),
    )
}

/// A listing with a tag of 100,000 attributes and 100,000 nested `<div>` before its
/// entries, one of which has an item page that nests as many inside its content.
fn listing(srv: &FixtureServer) {
    srv.set(
        "/list.html",
        Route::ok(
            "text/html; charset=utf-8",
            format!(
                "<html><body><div{}>many attributes</div>{}{}<div class=\"card\"><a href=\"/item.html\">Urgent appeal: deep page</a></div>\
                 <div class=\"card\"><a href=\"/plain.html\">Urgent appeal: plain page</a></div></body></html>",
                (0..100_000).map(|i| format!(" a{i}=1")).collect::<String>(),
                "<div>".repeat(100_000),
                "</div>".repeat(100_000)
            ),
        ),
    );
    srv.set(
        "/item.html",
        Route::ok(
            "text/html; charset=utf-8",
            format!(
                "<html><body><article>{}the body of the deep page{}</article></body></html>",
                "<div>".repeat(100_000),
                "</div>".repeat(100_000)
            ),
        ),
    );
    srv.set(
        "/plain.html",
        Route::ok(
            "text/html; charset=utf-8",
            "<html><body><article><p>the body of the plain page</p></article></body></html>",
        ),
    );
}

#[test]
fn hostile_items_are_cut_capped_and_published_with_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.set(
        "/hostile.rss",
        Route::ok("application/rss+xml", hostile_rss()),
    );
    srv.serve_fixture("/ro.rss", "feeds/promolex-ro.rss", "application/rss+xml");
    listing(&srv);
    let tail = format!(
        "\n[fetch]\nmax_body = \"32 MiB\"\n\n\
         [[sources]]\nid = \"deep-listing\"\nkind = \"html\"\nurl = \"{}\"\n\n\
         [sources.html]\nitem = \".card\"\ntitle = \"a\"\nlink = \"a@href\"\n\
         follow = true\ncontent = \"article\"\n",
        srv.url("/list.html")
    );
    let config = write_config_with(
        dir.path(),
        &[
            ("hostile", srv.url("/hostile.rss"), Some("en")),
            ("promolex-ro", srv.url("/ro.rss"), Some("ro")),
        ],
        "",
        &tail,
    );
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[output]\n", "[output]\non_disk = \"all\"\n");
    std::fs::write(&config, text).unwrap();

    let o = tocsin(&config, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).contains("error"), "{}", stdout(&o));

    // Stored: every item of every source, each field within its limit.
    let items = items_json(&config, &[]);
    let by_link = |l: &str| {
        items
            .iter()
            .find(|i| i["link"].as_str().is_some_and(|x| x.ends_with(l)))
            .unwrap_or_else(|| panic!("no item {l} in {items:#?}"))
    };
    for i in &items {
        let title = i["title"].as_str().unwrap();
        assert!(title.len() <= 2048, "{}", title.len());
    }
    let long = by_link("/title");
    let title = long["title"].as_str().unwrap();
    assert!(title.starts_with("urgent appeal word"), "{title}");
    assert!(title.ends_with(MARKER), "{title}");
    let codes = by_link("/codes")["case_codes"].as_array().unwrap().len();
    assert_eq!(codes, 32);
    for l in ["/nested", "/ordinary", "/item.html", "/plain.html"] {
        assert_eq!(by_link(l)["urgent"], true, "{l}");
    }
    assert!(items.iter().any(|i| i["source"] == "promolex-ro"));

    // Published: valid and safe everywhere; the cut title with its marker, once.
    let public = dir.path().join("var/public");
    let (files, problems) = safety::check_dir(&public);
    assert!(files >= 10, "{files}");
    assert!(problems.is_empty(), "{problems:#?}");
    let feed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(public.join("urgent.json")).unwrap()).unwrap();
    let entries = feed["items"].as_array().unwrap();
    let titles: Vec<&str> = entries
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    for t in [
        "Urgent appeal: nested markup",
        "Urgent appeal: many codes",
        "Urgent appeal: release the defender",
        "Urgent appeal: deep page",
        "Urgent appeal: plain page",
    ] {
        assert!(titles.contains(&t), "{t} not in {titles:?}");
    }
    let cut = titles
        .iter()
        .find(|t| t.starts_with("urgent appeal word"))
        .expect("the long title is published");
    assert!(cut.len() <= 2048 && cut.ends_with(MARKER), "{cut}");
    let html = |title: &str| {
        let e = entries.iter().find(|e| e["title"] == title).unwrap();
        e["content_html"].as_str().unwrap().to_string()
    };
    for e in entries {
        let len = e["content_html"].as_str().map_or(0, str::len);
        assert!(len <= 600 * 1024, "{}: {len} bytes", e["title"]);
    }
    let nested = html("Urgent appeal: nested markup");
    assert!(nested.contains("deep text"), "{nested}");
    assert!(nested.matches("<div>").count() <= 64, "{}", nested.len());
    // The summary with 150,000 codes is cut where it entered, with the marker.
    let codes = html("Urgent appeal: many codes");
    assert!(
        codes.len() <= 64 * 1024 && codes.contains("[…]"),
        "{}",
        codes.len()
    );
    let deep = html("Urgent appeal: deep page");
    assert!(deep.contains("the body of the deep page"), "{}", deep.len());
    assert!(deep.matches("<div>").count() <= 64, "{}", deep.len());
    for name in ["urgent.atom", "urgent.rss", "urgent.html"] {
        let size = std::fs::metadata(public.join(name)).unwrap().len();
        assert!(size < 4 * 1024 * 1024, "{name}: {size} bytes");
    }
}
