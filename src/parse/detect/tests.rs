use chrono::{TimeZone, Utc};
use url::Url;

use super::*;
use crate::parse::html::parse_date;

fn url() -> Url {
    Url::parse("https://www.omct.org/en/resources/urgent-interventions/").unwrap()
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/html")
            .join(name),
    )
    .unwrap()
}

fn links(d: &Detection) -> Vec<&str> {
    d.entries
        .iter()
        .map(|e| e.item.link.as_deref().unwrap())
        .collect()
}

/// A page whose entries are two short cards, among bigger lists of navigation: a
/// mega menu, a language switcher, share buttons, a tag cloud, pagination, a footer.
const NOISY: &str = r#"<!doctype html><html lang="en"><body>
<header><nav><ul>
  <li><a href="/about">About us and our history</a></li><li><a href="/work">What we do around the world</a></li>
  <li><a href="/res">Resources and publications list</a></li><li><a href="/join">Get involved with our network</a></li>
  <li><a href="/donate">Donate to support our work</a></li><li><a href="/contact">Contact the secretariat team</a></li>
</ul></nav>
<ul class="lang"><li><a href="/fr">FR</a></li><li><a href="/es">ES</a></li><li><a href="/ru">RU</a></li></ul></header>
<main>
  <div class="share"><a href="https://twitter.com/share?u=x">Share on Twitter now</a><a href="https://facebook.com/share?u=x">Share on Facebook now</a></div>
  <div class="results">
    <div class="result"><h2><a href="/case/moldova">Moldova: arbitrary detention of a whistleblower</a></h2><span>6 February 2020</span></div>
    <div class="result"><h2><a href="/case/belarus">Belarus: incommunicado detention of a lawyer</a></h2><span>3 February 2020</span></div>
  </div>
  <div class="pagination"><a href="?p=1">1</a><a href="?p=2">2</a><a href="?p=3">3</a><a href="?p=4">4</a></div>
</main>
<aside><div class="tagcloud"><a href="/tag/a">torture</a><a href="/tag/b">detention</a><a href="/tag/c">defenders</a>
  <a href="/tag/d">Moldova</a><a href="/tag/e">Belarus</a><a href="/tag/f">lawyers</a></div></aside>
<footer><ul><li><a href="/legal">Legal notice and imprint</a></li><li><a href="/privacy">Privacy policy of the site</a></li>
  <li><a href="/jobs">Jobs and internships offered</a></li></ul></footer>
</body></html>"#;

#[test]
fn omct_cards_with_their_labels() {
    let d = detect(&fixture("omct-en-p1.html"), &url()).unwrap();
    assert_eq!(d.entries.len(), 6);
    assert_eq!(d.selectors.item, ".card");
    assert_eq!(d.selectors.title, ".card__title");
    assert_eq!(d.selectors.date_format.as_deref(), Some("%d.%m.%y"));
    let first = &d.entries[0];
    assert_eq!(
        first.item.link.as_deref(),
        Some(
            "https://www.omct.org/en/resources/urgent-interventions/moldova-arbitrary-detention-of-whistleblower-mr-alexandru-rjavitin"
        )
    );
    assert_eq!(
        first.item.published,
        Some(Utc.with_ymd_and_hms(2020, 2, 6, 0, 0, 0).unwrap())
    );
    assert_eq!(first.item.categories, ["Moldova", "Urgent Interventions"]);
    assert_eq!(first.item.language.as_deref(), Some("en"));
}

#[test]
fn navigation_share_buttons_tag_clouds_and_pagination_lose_to_two_entries() {
    let base = Url::parse("https://example.org/en/cases").unwrap();
    let d = detect(NOISY, &base).unwrap();
    assert_eq!(
        links(&d),
        [
            "https://example.org/case/moldova",
            "https://example.org/case/belarus"
        ],
        "{}",
        d.explanation
    );
    assert_eq!(
        d.entries[1].item.published,
        Some(Utc.with_ymd_and_hms(2020, 2, 3, 0, 0, 0).unwrap())
    );
    let text = d.explanation.to_string();
    assert!(text.contains("second: "), "{text}");
    assert!(
        text.contains("boilerplate"),
        "the runner-up's penalty is shown: {text}"
    );
}

#[test]
fn the_same_page_gives_the_same_answer() {
    let page = fixture("omct-en-p1.html");
    let a = detect(&page, &url()).unwrap();
    for _ in 0..5 {
        let b = detect(&page, &url()).unwrap();
        assert_eq!(a.selectors, b.selectors);
        assert_eq!(a.explanation, b.explanation);
        assert_eq!(
            a.entries.iter().map(|e| &e.item).collect::<Vec<_>>(),
            b.entries.iter().map(|e| &e.item).collect::<Vec<_>>()
        );
    }
}

#[test]
fn generated_class_names_give_tag_paths() {
    let page = r#"<html><body><main><ul class="css-1q2w3e">
      <li class="sc-bdVaJa css-9z8y7x"><a class="css-a1b2c3" href="/a">First entry with a long enough title</a></li>
      <li class="sc-bdVaJa css-9z8y7x"><a class="css-a1b2c3" href="/b">Second entry with a long enough title</a></li>
      <li class="sc-bdVaJa css-9z8y7x"><a class="css-a1b2c3" href="/c">Third entry with a long enough title</a></li>
    </ul></main></body></html>"#;
    let d = detect(page, &Url::parse("https://example.org/").unwrap()).unwrap();
    let all = d.selectors.to_toml();
    assert!(!all.contains("css-") && !all.contains("sc-"), "{all}");
    assert!(d.selectors.item.ends_with("ul > li"), "{all}");
    assert_eq!(d.entries.len(), 3);
}

#[test]
fn only_web_links_are_entries_and_base_href_applies() {
    let page = r#"<html><head><base href="https://cdn.example.net/site/"></head><body><main>
      <div class="post"><h3><a href="news/one">One long title of an entry here</a></h3></div>
      <div class="post"><h3><a href="javascript:void(0)">Two long title of an entry here</a></h3></div>
      <div class="post"><h3><a href="mailto:x@example.org">Three long title of an entry here</a></h3></div>
      <div class="post"><h3><a href="/news/four">Four long title of an entry here</a></h3></div>
    </main></body></html>"#;
    let d = detect(page, &Url::parse("https://example.org/list").unwrap()).unwrap();
    assert_eq!(
        links(&d),
        [
            "https://cdn.example.net/site/news/one",
            "https://cdn.example.net/news/four"
        ]
    );
}

#[test]
fn us_pages_write_month_first() {
    let page = r#"<html lang="en-US"><body><main>
      <article><h2><a href="/a">Arrest and detention of a defender</a></h2><span class="date">11/05/2020</span></article>
      <article><h2><a href="/b">Judicial harassment of a lawyer again</a></h2><span class="date">10/02/2020</span></article>
    </main></body></html>"#;
    let d = detect(page, &Url::parse("https://example.org/").unwrap()).unwrap();
    assert_eq!(d.selectors.date_format.as_deref(), Some("%m/%d/%Y"));
    assert_eq!(
        d.entries[0].item.published,
        Some(Utc.with_ymd_and_hms(2020, 11, 5, 0, 0, 0).unwrap())
    );
    assert!(
        d.explanation
            .date_order
            .as_deref()
            .unwrap()
            .contains("en-US"),
        "{}",
        d.explanation
    );
}

#[test]
fn a_hostile_page_costs_bounded_work_and_does_not_overflow() {
    // Deep nesting: the index is built without recursion, fields are looked for a
    // bounded depth below their item, and the whole-path selector is not written.
    let mut page = String::from("<html><body>");
    for _ in 0..5_000 {
        page.push_str("<div>");
    }
    page.push_str("<a href=\"/x\">x</a>");
    assert!(detect(&page, &Url::parse("https://example.org/").unwrap()).is_err());
    let mut page = String::from("<html><body><ul>");
    for i in 0..3 {
        page.push_str(&format!(
            "<li><a href=\"/e{i}\">Entry number {i} of the list</a>"
        ));
        for _ in 0..2_000 {
            page.push_str("<span>");
        }
        page.push_str("deep");
        for _ in 0..2_000 {
            page.push_str("</span>");
        }
        page.push_str("</li>");
    }
    page.push_str("</ul></body></html>");
    let d = detect(&page, &Url::parse("https://example.org/").unwrap()).unwrap();
    assert_eq!(d.entries.len(), 3);
    // No links at all.
    assert_eq!(
        detect("<p>nothing</p>", &url()).unwrap_err(),
        DetectError::NoListing
    );
}

#[test]
fn parse_date_reads_month_names_without_a_format() {
    let feb6 = Some(Utc.with_ymd_and_hms(2020, 2, 6, 0, 0, 0).unwrap());
    for text in [
        "6 februarie 2020",
        "6 февраля 2020",
        "6 de febrero de 2020",
        "6 février 2020",
        "February 6, 2020",
    ] {
        assert_eq!(parse_date(text, None), feb6, "{text}");
    }
    assert_eq!(
        parse_date("06.02.20", None),
        None,
        "numeric dates need a format"
    );
    assert_eq!(
        parse_date("2021-01-14 10:58", None),
        Some(Utc.with_ymd_and_hms(2021, 1, 14, 10, 58, 0).unwrap())
    );
}

#[test]
fn selectors_write_as_toml_for_a_source_and_for_inspect() {
    let d = detect(&fixture("omct-en-p1.html"), &url()).unwrap();
    let table = d.selectors.to_toml();
    assert!(
        table.starts_with("[sources.html]\nitem = \".card\"\n"),
        "{table}"
    );
    assert!(
        table.contains("\n[sources.html.extra]\ncountry = \".card__country\"\n"),
        "{table}"
    );
    let file = d.selectors.to_selectors_file();
    assert!(file.starts_with("item = \".card\"\n"), "{file}");
    assert!(file.contains("\n[extra]\n"), "{file}");
    let parsed: toml::Value = toml::from_str(&table).unwrap();
    assert_eq!(
        parsed["sources"]["html"]["date_format"].as_str(),
        Some("%d.%m.%y")
    );
}

#[test]
fn selectors_and_explanation_serialise_for_json_output() {
    let d = detect(&fixture("omct-en-p1.html"), &url()).unwrap();
    let v = serde_json::to_value((&d.selectors, &d.explanation)).unwrap();
    assert_eq!(v[0]["item"], ".card");
    assert_eq!(v[0]["extra"][0][0], "country");
    assert_eq!(v[1]["winner"]["entries"], 6);
    assert!(v[1]["winner"]["components"][0]["points"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_proposal_is_one_line_of_toml_that_reads_back() {
    let d = detect(&fixture("auto-omct-en.html"), &url()).unwrap();
    let p = Proposal::of(&d);
    let text = format!("source `omct-en`: https://x/: selectors matched nothing (…); {p}");
    assert!(!text.contains('\n'), "{text}");
    assert!(text.contains("html = { item = \".card\""), "{text}");
    assert!(text.contains("extra = { "), "{text}");
    assert_eq!(proposal_in(&text), Some(d.selectors.clone()));
    // Text after the table (a wrapping message) does not hide it.
    assert_eq!(
        proposal_in(&format!("{text} (while polling)")),
        Some(d.selectors)
    );
    assert_eq!(proposal_in("selectors matched nothing (…)"), None);
}

#[test]
fn odd_extra_names_and_quotes_survive_the_inline_table() {
    let s = Selectors {
        item: "li[data-x=\"a b\"]".into(),
        title: "h3".into(),
        link: "a@href".into(),
        date: None,
        date_format: Some("%d.%m.%y".into()),
        summary: None,
        extra: vec![
            ("a name".into(), ".x, .y".into()),
            ("type".into(), "\\".into()),
        ],
    };
    assert_eq!(Selectors::from_inline(&s.to_inline()), Some(s.clone()));
    let table: toml::Table = toml::from_str(&s.to_toml()).unwrap();
    assert_eq!(
        table["sources"]["html"]["extra"]["a name"].as_str(),
        Some(".x, .y")
    );
}
