use chrono::TimeZone;

use super::*;

fn spec(item: &str, title: &str, link: &str) -> ListingSpec {
    ListingSpec {
        item: Sel::parse(item).unwrap(),
        title: Pick::parse(title, None).unwrap(),
        link: Pick::parse(link, Some("href")).unwrap(),
        date: None,
        date_format: None,
        summary: None,
        extras: Vec::new(),
        next: None,
    }
}

const PAGE: &str = r#"<!doctype html><html lang="en-GB"><head><title>Urgent Interventions | OMCT</title></head>
<body><main>
<article class="card"><a class="card__link" href="/en/resources/urgent-interventions/a-case">
  <span class="card__country">Moldova</span> <span class="card__date">06.02.20</span>
  <span class="card__type">Urgent Interventions</span>
  <h3 class="card__title">  Arbitrary   detention of Mr. A </h3></a></article>
<a class="card" href="b-case"><h3 class="card__title">Card that is a link</h3>
  <time datetime="2021-03-04T10:00:00+01:00">4 March</time>
  <span class="card__country">Belarus</span><span class="card__country">Russia</span></a>
<article class="card"><h3 class="card__title">No link here</h3></article>
<article class="card"><a href="javascript:void(0)"><h3></h3></a></article>
</main>
<nav><a rel="next" href="?page=2">Next</a></nav></body></html>"#;

fn url() -> Url {
    Url::parse("https://www.omct.org/en/resources/urgent-interventions/").unwrap()
}

#[test]
fn picks_split_at_the_last_attribute_marker() {
    let attr = |raw: &str| {
        let p = Pick::parse(raw, None).unwrap();
        p.alts.iter().map(|a| a.attr.clone()).collect::<Vec<_>>()
    };
    assert_eq!(attr("a@href"), [Some("href".to_string())]);
    assert_eq!(
        attr(r#"a[href^="mailto:x@y"]"#),
        [None],
        "an @ inside brackets belongs to the selector"
    );
    assert_eq!(
        attr(r#"a[title="a,b@c"]@data-id"#),
        [Some("data-id".to_string())]
    );
    assert_eq!(
        attr(".date, time@datetime"),
        [None, Some("datetime".to_string())]
    );
    assert_eq!(
        attr(":is(h2, h3)"),
        [None],
        "a comma inside parentheses is the selector's"
    );
    let p = Pick::parse("@href", None).unwrap();
    assert!(p.alts[0].selector.is_none());
    assert_eq!(
        Pick::parse("a, b@src", Some("href")).unwrap().alts[0]
            .attr
            .as_deref(),
        Some("href")
    );
    assert!(
        Pick::parse("a@", None)
            .unwrap_err()
            .contains("attribute name")
    );
    assert!(
        Pick::parse("h2, ,h3", None)
            .unwrap_err()
            .contains("empty alternative")
    );
    assert!(Pick::parse("", None).is_err());
    let e = Pick::parse("h3[", None).unwrap_err();
    assert!(e.starts_with("`h3[` is not a valid CSS selector"), "{e}");
}

#[test]
fn items_titles_links_and_layout_report() {
    let l = parse_listing(PAGE, &url(), &spec(".card", ".card__title", "a@href"));
    assert_eq!(l.matched, 4);
    assert_eq!(l.language.as_deref(), Some("en"));
    assert_eq!(l.title.as_deref(), Some("Urgent Interventions | OMCT"));
    let titles: Vec<&str> = l.items.iter().map(|i| i.item.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Arbitrary detention of Mr. A", "Card that is a link"]
    );
    assert_eq!(
        l.items[0].item.link.as_deref(),
        Some("https://www.omct.org/en/resources/urgent-interventions/a-case")
    );
    assert_eq!(
        l.items[1].item.link.as_deref(),
        Some("https://www.omct.org/en/resources/urgent-interventions/b-case"),
        "the card itself is the link"
    );
    assert_eq!(
        l.skipped,
        vec![
            Skipped {
                position: 3,
                reason: "no link at `a@href`".into()
            },
            Skipped {
                position: 4,
                reason:
                    "no title at `.card__title`, link `javascript:void(0)` is not a web address"
                        .into()
            },
        ]
    );
    assert!(l.check().is_ok());
    let w = l.warnings();
    assert_eq!(w.len(), 1);
    assert!(
        w[0].starts_with("2 of 4 items skipped (no link at `a@href`)"),
        "{w:?}"
    );
}

#[test]
fn dates_summaries_and_extras() {
    let mut s = spec(".card", ".card__title", "a@href");
    s.date = Some(Pick::parse(".card__date, time@datetime", None).unwrap());
    s.date_format = Some("%d.%m.%y".into());
    s.summary = Some(Pick::parse(".card__type", None).unwrap());
    s.extras = vec![
        (
            "country".into(),
            Pick::parse(".card__country", None).unwrap(),
        ),
        ("type".into(), Pick::parse(".card__type", None).unwrap()),
    ];
    let l = parse_listing(PAGE, &url(), &s);
    let a = &l.items[0];
    assert_eq!(a.date_text.as_deref(), Some("06.02.20"));
    assert_eq!(
        a.item.published,
        Some(Utc.with_ymd_and_hms(2020, 2, 6, 0, 0, 0).unwrap())
    );
    assert_eq!(a.item.categories, ["Moldova", "Urgent Interventions"]);
    assert_eq!(a.item.summary.as_deref(), Some("Urgent Interventions"));
    let b = &l.items[1];
    assert_eq!(
        b.item.published,
        Some(Utc.with_ymd_and_hms(2021, 3, 4, 9, 0, 0).unwrap()),
        "the second selector of the list, an attribute, ISO without a format"
    );
    assert_eq!(
        b.item.categories,
        ["Belarus", "Russia"],
        "every match counts"
    );
    assert_eq!(
        b.extras,
        vec![
            (
                "country".to_string(),
                vec!["Belarus".to_string(), "Russia".to_string()]
            ),
            ("type".to_string(), vec![])
        ]
    );
    assert!(l.undated.is_empty());
}

#[test]
fn next_page_and_base_href() {
    let mut s = spec(".card", ".card__title", "a@href");
    s.next = Some(Pick::parse("a[rel=next]", Some("href")).unwrap());
    let l = parse_listing(PAGE, &url(), &s);
    assert_eq!(
        l.next.unwrap().as_str(),
        "https://www.omct.org/en/resources/urgent-interventions/?page=2"
    );
    let with_base = PAGE.replace("<head>", r#"<head><base href="https://mirror.example/x/">"#);
    let l = parse_listing(&with_base, &url(), &s);
    assert_eq!(
        l.items[1].item.link.as_deref(),
        Some("https://mirror.example/x/b-case")
    );
}

#[test]
fn a_base_that_is_not_http_never_makes_local_file_links() {
    let mut s = spec(".card", ".card__title", "a@href");
    s.next = Some(Pick::parse("a[rel=next]", Some("href")).unwrap());
    let page = r#"<html><head><base href="file:///etc/"></head><body>
<a class="card" href="passwd"><h3 class="card__title">passwd</h3></a>
<a class="card" href="/proc/self/environ"><h3 class="card__title">environ</h3></a>
<a class="card" href="file:///etc/hostname"><h3 class="card__title">hostname</h3></a>
<a rel="next" href="shadow">next</a></body></html>"#;
    let l = parse_listing(page, &url(), &s);
    let links: Vec<&str> = l
        .items
        .iter()
        .map(|i| i.item.link.as_deref().unwrap())
        .collect();
    assert_eq!(
        links,
        [
            "https://www.omct.org/en/resources/urgent-interventions/passwd",
            "https://www.omct.org/proc/self/environ"
        ]
    );
    assert_eq!(
        l.next.as_ref().unwrap().as_str(),
        "https://www.omct.org/en/resources/urgent-interventions/shadow"
    );
    assert_eq!(
        l.skipped[0].reason,
        "link `file:///etc/hostname` is not a web address"
    );
    assert!(
        l.warnings()[0].starts_with(r#"<base href="file:///etc/"> ignored"#),
        "{:?}",
        l.warnings()
    );
    // Other schemes are ignored the same way; an http(s) base is used.
    for base in ["javascript:alert(1)", "data:text/html,x", "ftp://x/"] {
        let p = page.replace("file:///etc/", base);
        let l = parse_listing(&p, &url(), &s);
        assert!(l.ignored_base.is_some(), "{base}");
        assert!(
            l.items
                .iter()
                .all(|i| i.item.link.as_deref().unwrap().starts_with("https://")),
            "{base}"
        );
    }
    // A saved page keeps its own links (shown, never fetched: see fetch::policy).
    let saved = Url::parse("file:///srv/pages/listing.html").unwrap();
    let l = parse_listing(page, &saved, &s);
    assert_eq!(
        l.items[0].item.link.as_deref(),
        Some("file:///srv/pages/passwd")
    );
}

#[test]
fn layout_change_is_an_error() {
    let l = parse_listing(PAGE, &url(), &spec(".teaser", "h3", "a@href"));
    let e = l.check().unwrap_err().to_string();
    assert_eq!(
        e,
        "selectors matched nothing: the page layout may have changed (`item` selector `.teaser` matched no element)"
    );
    let l = parse_listing(PAGE, &url(), &spec(".card", "h5", "a@href"));
    let e = l.check().unwrap_err().to_string();
    assert!(
        e.starts_with(
            "selectors matched nothing: the page layout may have changed (none of the 4 elements"
        ),
        "{e}"
    );
    assert!(l.warnings().is_empty(), "the error says it all");
}

#[test]
fn date_formats_and_iso() {
    let d = |y, m, dd| Some(Utc.with_ymd_and_hms(y, m, dd, 0, 0, 0).unwrap());
    assert_eq!(parse_date("06.02.20", Some("%d.%m.%y")), d(2020, 2, 6));
    assert_eq!(
        parse_date("  Published: 06.02.95 ", Some("%d.%m.%y")),
        d(1995, 2, 6)
    );
    assert_eq!(
        parse_date("2020-02-06", Some("%d.%m.%y")),
        d(2020, 2, 6),
        "ISO as a fallback"
    );
    assert_eq!(parse_date("2020-02-06", None), d(2020, 2, 6));
    assert_eq!(
        parse_date("2020-02-06T10:30:00Z", None),
        Some(Utc.with_ymd_and_hms(2020, 2, 6, 10, 30, 0).unwrap())
    );
    assert_eq!(
        parse_date("2020-02-06 10:30:00", None),
        Some(Utc.with_ymd_and_hms(2020, 2, 6, 10, 30, 0).unwrap())
    );
    assert_eq!(
        parse_date("06/02/2020 14:05", Some("%d/%m/%Y %H:%M")),
        Some(Utc.with_ymd_and_hms(2020, 2, 6, 14, 5, 0).unwrap())
    );
    assert_eq!(
        parse_date("06.02.20", None),
        None,
        "dd.mm.yy needs a format"
    );
    assert_eq!(parse_date("yesterday", Some("%d.%m.%y")), None);
}

#[test]
fn undated_items_are_kept_and_reported() {
    let mut s = spec(".card", ".card__title", "a@href");
    s.date = Some(Pick::parse(".card__date", None).unwrap());
    let l = parse_listing(PAGE, &url(), &s);
    assert_eq!(l.items.len(), 2);
    assert_eq!(l.items[0].item.published, None);
    assert_eq!(l.undated, ["06.02.20"]);
    let w = l.warnings();
    assert!(
        w.iter().any(|w| w.starts_with(
            "1 of 2 items have a date that is not ISO 8601 (set date_format) (first: \"06.02.20\")"
        )),
        "{w:?}"
    );
}

#[test]
fn date_formats_are_checked() {
    assert!(check_date_format("%d.%m.%y").is_ok());
    assert!(check_date_format("%d.%m.%").is_err());
    assert!(check_date_format("").is_err());
}

#[test]
fn item_page_content() {
    let page = r#"<html><body><header>menu</header><div class="rich-text"><p>The Observatory
        requests your <b>urgent intervention</b>.</p></div><div class="rich-text"><p>MDA 001 / 0120 / OBS 008</p></div>
        <footer>x</footer></body></html>"#;
    let c = page_content(page, &Sel::parse(".rich-text").unwrap()).unwrap();
    assert!(c.starts_with("<p>The Observatory"), "{c}");
    assert!(c.contains("<b>urgent intervention</b>"));
    assert!(c.contains("OBS 008"));
    assert!(!c.contains("menu"));
    assert_eq!(page_content(page, &Sel::parse(".article").unwrap()), None);
    let c = page_content(page, &Sel::parse(".article, .rich-text, body").unwrap()).unwrap();
    assert!(
        c.starts_with("<p>The Observatory"),
        "the first alternative that matches: {c}"
    );
    let nested = r#"<div class="rich-text">a<div class="rich-text">b</div></div>"#;
    assert_eq!(
        page_content(nested, &Sel::parse(".rich-text").unwrap()).unwrap(),
        r#"a<div class="rich-text">b</div>"#,
        "a match inside a match is not taken twice"
    );
}

#[test]
fn a_capture_takes_part_of_a_selector_text() {
    // OMCT's card: the country is a bare text node before the <time> in .card__meta.
    let page = r#"<html><body><article class="card"><a href="/a"><h3>Arbitrary detention</h3></a>
        <div class="card__meta">Moldova <time datetime="2024-03-12">12 March 2024</time></div>
        </article></body></html>"#;
    let mut s = spec("article.card", "h3", "a");
    s.extras = vec![(
        "country".to_string(),
        Pick::parse(r".card__meta /^([^0-9]+?)\s*[0-9]/", None).unwrap(),
    )];
    let items = parse_listing(page, &url(), &s).into_parsed();
    assert_eq!(items[0].categories, ["Moldova"]);
    // A value the regex does not match is skipped; a regex without a group keeps its
    // whole match; commas inside the regex are not alternatives.
    let p = Pick::parse(r".card__meta /[0-9]{4}/", None).unwrap();
    let doc = Html::parse_document(page);
    let card = doc
        .select(&Selector::parse("article").unwrap())
        .next()
        .unwrap();
    assert_eq!(p.first(card).as_deref(), Some("2024"));
    let p = Pick::parse(r".card__meta /^(x{1,3})/", None).unwrap();
    assert_eq!(p.first(card), None);
    assert!(Pick::parse(r".card__meta /(unclosed/", None).is_err());
    assert!(Pick::parse(r".card__meta /no end slash", None).is_err());
}
