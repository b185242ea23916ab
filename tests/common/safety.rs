//! Finds executable constructs in published documents: what a hostile item could use to
//! run script in a subscriber's reader or browser.

use scraper::{ElementRef, Html, node::Node};

/// Elements that must never come out of item HTML.
const FORBIDDEN: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "meta",
    "link", "base", "svg", "math", "template", "noscript", "input", "button", "textarea", "select",
];

/// Attributes whose value is a URL.
const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "poster",
    "xlink:href",
    "background",
    "lowsrc",
    "dynsrc",
    "cite",
    "longdesc",
    "srcset",
    "ping",
];

fn squash(v: &str) -> String {
    v.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn safe_data_image(v: &str) -> bool {
    ["png", "gif", "jpeg", "jpg", "webp", "avif"]
        .iter()
        .any(|t| v.starts_with(&format!("data:image/{t};base64,")))
}

/// Problems in one element's attributes.
fn check_attrs(el: &ElementRef, out: &mut Vec<String>, where_: &str) {
    let name = el.value().name();
    for (attr, value) in el.value().attrs() {
        let a = attr.to_ascii_lowercase();
        if a.starts_with("on") {
            out.push(format!("{where_}: <{name} {attr}=…> event handler"));
        }
        if a == "style" && squash(value).contains("expression(") {
            out.push(format!("{where_}: <{name} style> with expression()"));
        }
        if URL_ATTRS.contains(&a.as_str()) {
            let v = squash(value);
            if v.starts_with("javascript:")
                || v.starts_with("vbscript:")
                || v.starts_with("livescript:")
            {
                out.push(format!("{where_}: <{name} {attr}=\"{value}\"> script URL"));
            }
            if v.starts_with("data:") && !(name == "img" && a == "src" && safe_data_image(&v)) {
                out.push(format!("{where_}: <{name} {attr}=\"{value}\"> data URL"));
            }
        }
    }
}

/// Executable constructs in an HTML fragment taken from an item.
pub(crate) fn check_fragment(html: &str, where_: &str) -> Vec<String> {
    let doc = Html::parse_fragment(html);
    let mut out = Vec::new();
    for node in doc.tree.nodes() {
        if let Node::Element(_) = node.value() {
            let el = ElementRef::wrap(node).unwrap();
            let name = el.value().name();
            if FORBIDDEN.contains(&name) {
                out.push(format!("{where_}: <{name}> element"));
            }
            check_attrs(&el, &mut out, where_);
        }
    }
    out
}

/// A title must be plain text: nothing a lenient reader would take for a tag.
pub(crate) fn check_title(title: &str, where_: &str) -> Vec<String> {
    let bytes = title.as_bytes();
    let tagish = bytes.windows(2).any(|w| {
        w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!' || w[1] == b'?')
    });
    if tagish {
        vec![format!("{where_}: title looks like markup: {title:?}")]
    } else {
        vec![]
    }
}

/// Executable constructs anywhere in a whole published HTML page. The page's own
/// `<meta>`, `<link rel=alternate>` and one `<style>` in `<head>` are expected.
pub(crate) fn check_page(html: &str, where_: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let mut out = Vec::new();
    for node in doc.tree.nodes() {
        let Node::Element(e) = node.value() else {
            continue;
        };
        let el = ElementRef::wrap(node).unwrap();
        let name = e.name();
        let in_head = el
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|a| a.value().name() == "head");
        let allowed_in_head = in_head
            && match name {
                "meta" | "style" | "title" => true,
                "link" => e.attr("rel") == Some("alternate"),
                _ => false,
            };
        if FORBIDDEN.contains(&name) && !allowed_in_head {
            out.push(format!("{where_}: <{name}> element"));
        }
        check_attrs(&el, &mut out, where_);
    }
    out
}

/// Checks every item of a published feed (Atom, RSS or JSON Feed) read back with
/// feed-rs: HTML fields must be safe, titles plain.
pub(crate) fn check_feed(bytes: &[u8], where_: &str) -> Vec<String> {
    let feed = match feed_rs::parser::Builder::new()
        .sanitize_content(false)
        .build()
        .parse(bytes)
    {
        Ok(f) => f,
        Err(e) => return vec![format!("{where_}: does not parse: {e}")],
    };
    let mut out = Vec::new();
    for (n, e) in feed.entries.iter().enumerate() {
        let w = format!("{where_} entry {n}");
        if let Some(t) = &e.title {
            out.extend(check_title(&t.content, &w));
        }
        if let Some(s) = &e.summary {
            out.extend(check_fragment(&s.content, &w));
        }
        if let Some(c) = e.content.as_ref().and_then(|c| c.body.as_deref()) {
            out.extend(check_fragment(c, &w));
        }
        for l in &e.links {
            let v = squash(&l.href);
            if !(v.starts_with("http://") || v.starts_with("https://")) {
                out.push(format!("{w}: link {:?} is not http(s)", l.href));
            }
        }
    }
    out
}

/// Checks every published document under `dir` by its extension.
pub(crate) fn check_dir(dir: &std::path::Path) -> (usize, Vec<String>) {
    let mut files = 0;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.strip_prefix(dir).unwrap().display().to_string();
            let bytes = std::fs::read(&p).unwrap();
            match p.extension().and_then(|x| x.to_str()) {
                Some("atom" | "rss" | "json") => out.extend(check_feed(&bytes, &name)),
                Some("html") => out.extend(check_page(&String::from_utf8_lossy(&bytes), &name)),
                _ => continue,
            }
            files += 1;
        }
    }
    (files, out)
}
