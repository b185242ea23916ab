//! Atom 0.3 (the pre-RFC draft, namespace `http://purl.org/atom/ns#`), rewritten as
//! Atom 1.0 so that feed-rs, which reads only 1.0, sees its entries.
//!
//! Old blogs and some NGO sites still serve 0.3; feed-rs parses the `feed` root and
//! silently finds no entries. The rewrite is an event-by-event pass with quick-xml:
//! the namespace becomes 1.0's, renamed elements get their 1.0 names
//! (`tagline`→`subtitle`, `copyright`→`rights`, `modified`→`updated`,
//! `issued`→`published`, `url`→`uri`), and text constructs trade 0.3's `type` (a MIME
//! type) + `mode` (`xml`, `escaped`, `base64`) for 1.0's `type` (`text`, `html`,
//! `xhtml`), base64 content being decoded.

use base64::Engine;
use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesStart, BytesText, Event};

pub const NS_03: &str = "http://purl.org/atom/ns#";
const NS_10: &str = "http://www.w3.org/2005/Atom";

/// Whether `bytes` look like an Atom 0.3 document (its namespace near the top).
pub fn is_atom03(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    head.windows(NS_03.len()).any(|w| w == NS_03.as_bytes())
}

const TEXT_CONSTRUCTS: &[&str] = &[
    "title",
    "tagline",
    "subtitle",
    "copyright",
    "rights",
    "summary",
    "content",
    "info",
];

fn rename(local: &str) -> &str {
    match local {
        "tagline" => "subtitle",
        "copyright" => "rights",
        "modified" => "updated",
        "issued" => "published",
        "url" => "uri",
        other => other,
    }
}

/// How a text construct's content must be carried over.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Text or escaped HTML: copied as is.
    Copy,
    /// Base64: decoded, then written as text.
    Base64,
}

/// Rewrites an Atom 0.3 document as Atom 1.0.
pub fn to_atom10(bytes: &[u8]) -> Result<Vec<u8>, quick_xml::Error> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut writer = Writer::new(Vec::with_capacity(bytes.len() + 256));
    let mut modes: Vec<Mode> = Vec::new();
    let mut buf = Vec::new();
    loop {
        let ev = reader.read_event_into(&mut buf)?;
        match ev {
            Event::Eof => break,
            Event::Start(e) => {
                let (start, mode) = convert_start(&e);
                modes.push(mode);
                writer.write_event(Event::Start(start))?;
            }
            Event::Empty(e) => {
                let (start, _) = convert_start(&e);
                writer.write_event(Event::Empty(start))?;
            }
            Event::End(e) => {
                modes.pop();
                let name = e.name();
                let renamed = if name.prefix().is_none() {
                    rename(name.local_name().as_ref()).to_string()
                } else {
                    AsRef::<str>::as_ref(&name).to_string()
                };
                writer.write_event(Event::End(quick_xml::events::BytesEnd::new(renamed)))?;
            }
            Event::Text(t) if modes.last() == Some(&Mode::Base64) => {
                let raw = t.into_inner();
                let cleaned: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(cleaned.as_bytes())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                writer.write_event(Event::Text(BytesText::new(&decoded)))?;
            }
            other => writer.write_event(other)?,
        }
        buf.clear();
    }
    Ok(writer.into_inner())
}

fn convert_start(e: &BytesStart) -> (BytesStart<'static>, Mode) {
    let name = e.name();
    let unprefixed = name.prefix().is_none();
    let local = name.local_name();
    let new_name = if unprefixed {
        rename(local.as_ref()).to_string()
    } else {
        AsRef::<str>::as_ref(&name).to_string()
    };
    let is_text = unprefixed && TEXT_CONSTRUCTS.contains(&local.as_ref());
    let mut mime: Option<String> = None;
    let mut mode: Option<String> = None;
    let mut out = BytesStart::new(new_name);
    for a in e.attributes().flatten() {
        let key = a.key.as_ref();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|v| v.into_owned())
            .unwrap_or_default();
        match key {
            "xmlns" if value == NS_03 => out.push_attribute(("xmlns", NS_10)),
            "version" if AsRef::<str>::as_ref(&local) == "feed" => {}
            "type" if is_text => mime = Some(value.to_ascii_lowercase()),
            "mode" if is_text => mode = Some(value.to_ascii_lowercase()),
            _ => out.push_attribute((key, value.as_str())),
        }
    }
    let mut carry = Mode::Copy;
    if is_text {
        let mime = mime.unwrap_or_else(|| "text/plain".into());
        let html = mime.contains("html");
        if mode.as_deref() == Some("base64") {
            carry = Mode::Base64;
        }
        let ty = match mode.as_deref() {
            Some("escaped" | "base64") if html => "html",
            Some("escaped" | "base64") => "text",
            // Inline XML: markup as child elements.
            _ if html => "xhtml",
            _ => "text",
        };
        out.push_attribute(("type", ty));
    }
    (out, carry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_an_atom03_entry() {
        let doc = br#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title mode="escaped" type="text/html">A &amp;lt;b&amp;gt;</title>
<entry><title>E</title><issued>2004-01-01T00:00:00Z</issued><modified>2004-01-02T00:00:00Z</modified>
<content type="text/html" mode="escaped">safe&lt;b&gt;x&lt;/b&gt;</content>
<summary type="text/plain" mode="base64">aGVsbG8gPHdvcmxkPg==</summary></entry></feed>"#;
        assert!(is_atom03(doc));
        let out = String::from_utf8(to_atom10(doc).unwrap()).unwrap();
        assert!(
            out.contains(r#"<feed xmlns="http://www.w3.org/2005/Atom">"#),
            "{out}"
        );
        assert!(
            out.contains("<published>2004-01-01T00:00:00Z</published>"),
            "{out}"
        );
        assert!(
            out.contains("<updated>2004-01-02T00:00:00Z</updated>"),
            "{out}"
        );
        assert!(
            out.contains(r#"<content type="html">safe&lt;b&gt;x&lt;/b&gt;</content>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<summary type="text">hello &lt;world&gt;</summary>"#),
            "{out}"
        );
        let feed = feed_rs::parser::parse(out.as_bytes()).unwrap();
        assert_eq!(feed.entries.len(), 1);
        assert!(feed.entries[0].published.is_some());
    }
}
