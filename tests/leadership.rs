//! One source can neither take a case over nor crowd the others out (issue 10, point 6):
//! the operator's `trust` decides who leads a case several sources publish, never the
//! dates an item claims, and `output.max_per_source` caps one source's share of every
//! aggregated document.

mod common;

use common::*;

const CODE: &str = "MDA 001/0120/OBS 008";

/// An RSS feed of `(guid, title, pubDate)` items, each linking to `base/guid`.
fn rss(base: &str, items: &[(String, String, String)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>F</title><link>http://f/</link>",
    );
    for (guid, title, date) in items {
        s.push_str(&format!(
            "<item><title>{title}</title><link>{base}/{guid}</link><guid>{guid}</guid>\
             <pubDate>{date}</pubDate></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn one(guid: &str, title: &str, date: &str) -> Vec<(String, String, String)> {
    vec![(guid.into(), title.into(), date.into())]
}

/// The entries of an Atom document, each as its text.
fn entries(atom: &str) -> Vec<&str> {
    atom.split("<entry>").skip(1).collect()
}

fn from(entry: &str, source: &str) -> bool {
    entry.contains(&format!(":source/{source}</id>"))
}

#[test]
fn a_backdated_copy_polled_in_the_same_pass_does_not_take_the_case_over() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    srv.set(
        "/omct.rss",
        Route::ok(
            "application/rss+xml",
            rss(
                "https://www.omct.org/en",
                &one(
                    "appeal",
                    &format!("Moldova: Arbitrary detention of Mr. Alexandru Rjavitin ({CODE})"),
                    "Mon, 06 Jan 2025 10:00:00 +0000",
                ),
            ),
        ),
    );
    // The copy claims to be a year older, and is listed (and polled) first.
    srv.set(
        "/copycat.rss",
        Route::ok(
            "application/rss+xml",
            rss(
                "https://copycat.example",
                &one(
                    "copy",
                    &format!("Urgent appeal: arbitrary detention ({CODE})"),
                    "Sat, 06 Jan 2024 10:00:00 +0000",
                ),
            ),
        ),
    );
    let path = write_config(
        dir.path(),
        &[
            ("copycat", srv.url("/copycat.rss"), Some("en")),
            ("omct-en", srv.url("/omct.rss"), Some("en")),
        ],
        "",
    );
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("id = \"omct-en\"\n", "id = \"omct-en\"\ntrust = 10\n");
    std::fs::write(&path, text).unwrap();
    let o = tocsin(&path, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let atom = std::fs::read_to_string(dir.path().join("var/public/urgent.atom")).unwrap();
    let e = entries(&atom);
    assert_eq!(e.len(), 1, "one case, one entry:\n{atom}");
    assert!(from(e[0], "omct-en"), "{}", e[0]);
    assert!(
        e[0].contains("href=\"https://www.omct.org/en/appeal\""),
        "{}",
        e[0]
    );
    assert!(
        e[0].contains("rel=\"related\" href=\"https://copycat.example/copy\"")
            || e[0].contains("href=\"https://copycat.example/copy\" rel=\"related\""),
        "the copy is only \"also published by\": {}",
        e[0]
    );
}

#[test]
fn a_source_with_700_urgent_items_takes_at_most_its_share() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    let date = |day: u32, n: usize| {
        format!(
            "{day:02} Feb 2025 {:02}:{:02}:00 +0000",
            n / 60 % 24,
            n % 60
        )
    };
    let real: Vec<(String, String, String)> = (0..150)
        .map(|n| {
            (
                format!("r{n}"),
                format!("Urgent appeal {n} for a detained defender"),
                date(1 + (n / 60) as u32, n),
            )
        })
        .collect();
    let flood: Vec<(String, String, String)> = (0..700)
        .map(|n| {
            (
                format!("f{n}"),
                format!("Urgent appeal flood {n} zebra"),
                date(10 + (n / 600) as u32, n),
            )
        })
        .collect();
    srv.set(
        "/omct.rss",
        Route::ok("application/rss+xml", rss("https://omct.example", &real)),
    );
    srv.set(
        "/flood.rss",
        Route::ok("application/rss+xml", rss("https://flood.example", &flood)),
    );
    let path = write_config(
        dir.path(),
        &[
            ("omct-en", srv.url("/omct.rss"), Some("en")),
            ("flood", srv.url("/flood.rss"), Some("en")),
        ],
        "",
    );
    // Every selection written, so the per-source documents can be read from disk.
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("[output]\n", "[output]\non_disk = \"all\"\n");
    std::fs::write(&path, text).unwrap();
    let o = tocsin(&path, &["poll"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let public = dir.path().join("var/public");
    for doc in ["urgent.atom", "all.atom", "lang/en/urgent.atom"] {
        let atom = std::fs::read_to_string(public.join(doc)).unwrap();
        let e = entries(&atom);
        assert_eq!(e.len(), 200, "{doc}: max_items entries");
        let flooded = e.iter().filter(|e| from(e, "flood")).count();
        assert_eq!(flooded, 100, "{doc}: half the document by default");
        assert!(
            atom.contains("Urgent appeal flood 699 zebra"),
            "{doc}: the flood's newest stay"
        );
        assert!(
            atom.contains("Urgent appeal 149 for"),
            "{doc}: the others' newest are not pushed out"
        );
    }
    // A source's own document is not capped.
    let own = std::fs::read_to_string(public.join("sources/flood.atom")).unwrap();
    assert_eq!(entries(&own).len(), 200);

    // A tighter share, set by the operator.
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("[output]\n", "[output]\nmax_per_source = 20\n");
    std::fs::write(&path, text).unwrap();
    let o = tocsin(&path, &["render"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let atom = std::fs::read_to_string(public.join("urgent.atom")).unwrap();
    let e = entries(&atom);
    assert_eq!(e.iter().filter(|e| from(e, "flood")).count(), 20);
    assert_eq!(e.iter().filter(|e| from(e, "omct-en")).count(), 20);
}

#[test]
fn trust_and_max_per_source_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(
        &path,
        "[output]\nmax_per_source = 0\n\n[[sources]]\nid = \"a\"\nurl = \"https://example.org/feed\"\ntrust = 1000\n",
    )
    .unwrap();
    let o = tocsin(&path, &["check"]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains(":2:1: output.max_per_source: 0 is out of range (1 to 10000)"),
        "{err}"
    );
    assert!(
        err.contains(":7:1: sources[0].trust: 1000 is out of range (-100 to 100)"),
        "{err}"
    );
}
