use url::Url;

use super::*;

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

#[test]
fn omct_cards() {
    let d = detect(&fixture("omct-en-p1.html"), &url()).unwrap();
    println!("{}", d.selectors.to_toml());
    println!("{}", d.explanation);
    for e in &d.entries {
        println!(
            "{:?} {:?} {:?} {:?}",
            e.item.title, e.item.link, e.item.published, e.extras
        );
    }
    assert_eq!(d.entries.len(), 6);
}
