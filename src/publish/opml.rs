//! `sources.opml`: every source as a feed a reader can subscribe to (tocsin's per-source
//! Atom feed), with the publisher's site.
//!
//! Written directly, byte for byte what the opml crate writes for the same document
//! (the tests compare the two on hostile titles and URLs): with 10,000 sources the
//! crate's writer (a `format!` per attribute, an escaped copy of each value) and a URL
//! parse per source took half of a publish's instructions.

use url::Url;

use super::catalog::{Format, Scope, Selection};
use super::sanitize::plain;
use super::{SourceInfo, join};

pub(super) const CONTENT_TYPE: &str = "text/x-opml; charset=utf-8";

pub(super) fn render<'a>(
    title: &str,
    public_url: &Url,
    sources: impl ExactSizeIterator<Item = (&'a str, SourceInfo)>,
) -> (Vec<u8>, &'static str) {
    let mut xml = String::with_capacity(256 + sources.len() * 256);
    xml.push_str(r#"<opml version="2.0"><head><title>"#);
    escape_into(&mut xml, &format!("{}: sources", plain(title)));
    xml.push_str("</title></head>");
    if sources.len() == 0 {
        xml.push_str("<body/></opml>");
        return (xml.into_bytes(), CONTENT_TYPE);
    }
    xml.push_str("<body>");
    // `sources/ID.atom` resolved once: an id is `[a-z0-9-]`, which resolving leaves as
    // it is, so the per-source URL is this prefix and the file name.
    let prefix = join(public_url, "sources/");
    for (id, info) in sources {
        let text = plain(&info.title);
        xml.push_str(r#"<outline text=""#);
        escape_into(&mut xml, &text);
        xml.push_str(r#"" type="rss" xmlUrl=""#);
        if is_plain_id(id) {
            escape_into(&mut xml, &prefix);
            xml.push_str(id);
            xml.push_str(".atom");
        } else {
            let sel = Selection {
                scope: Scope::Source(id.to_string()),
                language: None,
            };
            escape_into(&mut xml, &join(public_url, &sel.path(Format::Atom)));
        }
        xml.push('"');
        if !info.feed_url.is_empty() {
            xml.push_str(r#" description="upstream: "#);
            escape_into(&mut xml, &info.feed_url);
            xml.push('"');
        }
        if !info.url.is_empty() {
            xml.push_str(r#" htmlUrl=""#);
            escape_into(&mut xml, &info.url);
            xml.push('"');
        }
        xml.push_str(r#" title=""#);
        escape_into(&mut xml, &text);
        xml.push_str(r#""/>"#);
    }
    xml.push_str("</body></opml>");
    (xml.into_bytes(), CONTENT_TYPE)
}

/// A source id as the config allows it (`[a-z0-9-]`, not empty).
fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Appends `s` escaped as the opml crate (hard-xml) escapes text and attribute values.
fn escape_into(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find(['<', '>', '&', '\'', '"']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'\'' => "&apos;",
            _ => "&quot;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use opml::{Head, OPML, Outline};
    use std::collections::BTreeMap;

    /// What the opml crate writes for the same document: the reference.
    fn with_crate(title: &str, public_url: &Url, sources: &BTreeMap<String, SourceInfo>) -> String {
        let outlines = sources
            .iter()
            .map(|(id, info)| {
                let sel = Selection {
                    scope: Scope::Source(id.clone()),
                    language: None,
                };
                Outline {
                    text: plain(&info.title),
                    title: Some(plain(&info.title)),
                    r#type: Some("rss".into()),
                    xml_url: Some(join(public_url, &sel.path(Format::Atom))),
                    html_url: (!info.url.is_empty()).then(|| info.url.clone()),
                    description: (!info.feed_url.is_empty())
                        .then(|| format!("upstream: {}", info.feed_url)),
                    ..Default::default()
                }
            })
            .collect();
        OPML {
            version: "2.0".into(),
            head: Some(Head {
                title: Some(format!("{}: sources", plain(title))),
                ..Default::default()
            }),
            body: opml::Body { outlines },
        }
        .to_string()
        .expect("the crate writes it")
    }

    fn info(title: &str, url: &str, feed_url: &str) -> SourceInfo {
        SourceInfo {
            title: title.into(),
            url: url.into(),
            feed_url: feed_url.into(),
        }
    }

    #[test]
    fn byte_for_byte_what_the_opml_crate_writes() {
        let mut sources = BTreeMap::new();
        sources.insert(
            "omct".to_string(),
            info(
                "OMCT",
                "https://www.omct.org/",
                "https://www.omct.org/en/feed",
            ),
        );
        sources.insert(
            "promo-lex".to_string(),
            info(
                "Promo-LEX <b>\"Asociația\"</b> & 'co'",
                "https://promolex.md/",
                "https://promolex.md/feed/?a=1&b=<2>",
            ),
        );
        sources.insert("local".to_string(), info("  spaced \t\n title  ", "", ""));
        sources.insert("empty-title".to_string(), info("", "", ""));
        sources.insert("Odd_Id".to_string(), info("odd", "", ""));
        sources.insert("ctl".to_string(), info("a\u{1}b\u{fffe}c", "", ""));
        for (title, base) in [
            ("Urgent interventions", "https://tocsin.example.org/"),
            ("A & <B> \"C\" 'D'", "https://tocsin.example.org/feeds/"),
            ("t", "https://tocsin.example.org/feeds"),
            ("t", "http://127.0.0.1:0/"),
            ("t", "https://tocsin.example.org/a/?q=1#f"),
        ] {
            let base = Url::parse(base).unwrap();
            for sources in [BTreeMap::new(), sources.clone()] {
                let infos = sources.iter().map(|(id, i)| (id.as_str(), i.clone()));
                let (ours, _) = render(title, &base, infos);
                assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    with_crate(title, &base, &sources),
                    "{base}"
                );
            }
        }
    }
}
