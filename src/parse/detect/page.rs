//! One pass over the parsed page: every element in document order with what detection
//! asks of it (its tag path, where it sits, whether it is hidden), and every link with
//! its resolved address.

use std::borrow::Cow;
use std::collections::HashMap;

use scraper::{ElementRef, Html};
use url::Url;

use crate::parse::html::{document_base, resolve};

/// Index of an element in [`Page::nodes`] (document order).
pub(super) type Ix = u32;

/// The parsed page as detection sees it.
pub(super) struct Page<'a> {
    pub nodes: Vec<Node<'a>>,
    /// `a[href]` elements in document order.
    pub links: Vec<Link>,
    /// Tag names, by the ids in [`Node::tag`].
    pub tags: Vec<String>,
    /// The page's own address, without its fragment (links to it are not entries).
    pub page: String,
    /// Hosts that count as this site (`www.` removed): the page's, `<base href>`'s,
    /// and the canonical address's (a saved page keeps its site's absolute links).
    pub site: Vec<String>,
    /// `<html lang>`, as written (`en-US`).
    pub language: Option<String>,
}

/// One element.
pub(super) struct Node<'a> {
    pub el: ElementRef<'a>,
    pub parent: Option<Ix>,
    /// The last element inside this one (itself when it has none).
    pub end: Ix,
    pub tag: u16,
    /// Same value for elements whose ancestors and themselves have the same tags and
    /// stable classes: the elements of one repeated structure.
    pub path: u32,
    /// Tag + stable classes, interned.
    pub sig: u32,
    pub depth: u16,
    /// The innermost boilerplate region it is in or is (`nav`, `footer`,
    /// `pagination`...), which makes a list unlikely to be the entries.
    pub boiler: Option<&'static str>,
    /// Inside `main`, `[role=main]`, `#content`...
    pub in_main: bool,
    /// Hidden (`hidden`, `aria-hidden`, `display:none`, screen-reader-only classes).
    pub hidden: bool,
    /// Inside `article`, `main`, `section`, `aside` or `nav`: a `header` or `footer`
    /// there is that section's, not the page's.
    pub sectioned: bool,
    /// How much this element looks like an entry's title: 3 for `h1`–`h6` and
    /// `itemprop=headline`, 2 for a `title`/`headline` class, 1 for a `name` class.
    pub title_hint: u8,
}

/// An `a[href]`.
pub(super) struct Link {
    pub node: Ix,
    /// The absolute http(s) address, as `parse_listing` resolves it; `None` for
    /// `mailto:`, `javascript:`...
    pub url: Option<String>,
    /// `url` without its fragment: what makes two links the same page.
    pub target: Option<String>,
}

/// Tags, signatures (tag and stable classes) and tag paths, numbered as first seen.
#[derive(Default)]
struct Interner {
    tags: HashMap<String, u16>,
    sigs: HashMap<String, u32>,
    paths: HashMap<(u32, u32), u32>,
    /// Reused to build each signature.
    buf: String,
}

impl Interner {
    /// The number of tag `name` (added to `names` when new), without allocating for
    /// names already seen.
    fn tag(&mut self, names: &mut Vec<String>, name: &str) -> u16 {
        if let Some(&t) = self.tags.get(name) {
            return t;
        }
        let t = self.tags.len() as u16;
        self.tags.insert(name.to_string(), t);
        names.push(name.to_string());
        t
    }

    /// The number of `el`'s signature: its tag and stable classes.
    fn signature(&mut self, el: ElementRef, name: &str) -> u32 {
        self.buf.clear();
        self.buf.push_str(name);
        for c in stable_classes(el) {
            self.buf.push('.');
            self.buf.push_str(c);
        }
        if let Some(&s) = self.sigs.get(self.buf.as_str()) {
            return s;
        }
        let s = self.sigs.len() as u32;
        self.sigs.insert(self.buf.clone(), s);
        s
    }

    /// The number of the path of a `sig` element under a parent of path `parent`.
    fn path(&mut self, parent: u32, sig: u32) -> u32 {
        let next = self.paths.len() as u32;
        *self.paths.entry((parent, sig)).or_insert(next)
    }
}

/// Elements whose content is never an entry's.
const SKIPPED: [&str; 6] = ["script", "style", "template", "svg", "noscript", "head"];

impl<'a> Page<'a> {
    pub(super) fn new(doc: &'a Html, page_url: &Url) -> Page<'a> {
        let (base, _) = document_base(doc, page_url);
        let mut page = Page {
            nodes: Vec::new(),
            links: Vec::new(),
            tags: Vec::new(),
            page: without_fragment(page_url.as_str()).to_string(),
            site: Vec::new(),
            language: doc
                .root_element()
                .value()
                .attr("lang")
                .map(|l| l.trim().to_string()),
        };
        let mut ids = Interner::default();
        let mut own: Vec<String> = Vec::new();
        // Depth-first in document order, without recursion (a hostile page may nest
        // deeply): an element is opened, its children pushed, and it is closed once
        // they are done.
        enum Step<'d> {
            Open(ElementRef<'d>, Option<Ix>),
            Close(Ix),
        }
        let mut stack = vec![Step::Open(doc.root_element(), None)];
        while let Some(step) = stack.pop() {
            let (el, parent) = match step {
                Step::Close(ix) => {
                    page.nodes[ix as usize].end = page.nodes.len() as Ix - 1;
                    continue;
                }
                Step::Open(el, parent) => (el, parent),
            };
            let name = el.value().name();
            if SKIPPED.contains(&name) {
                if name == "head" {
                    own = own_addresses(el);
                }
                continue;
            }
            let ix = page.add_node(&mut ids, el, parent);
            if name == "a"
                && let Some(href) = el.value().attr("href")
            {
                let url = resolve(&base, page_url, href)
                    .filter(|u| u.starts_with("http://") || u.starts_with("https://"));
                let target = url.as_deref().map(|u| without_fragment(u).to_string());
                page.links.push(Link {
                    node: ix,
                    url,
                    target,
                });
            }
            stack.push(Step::Close(ix));
            // Children pushed last first, so that they are opened in document order.
            let mut child = el.last_child();
            while let Some(c) = child {
                if let Some(e) = ElementRef::wrap(c) {
                    stack.push(Step::Open(e, Some(ix)));
                }
                child = c.prev_sibling();
            }
        }
        let mut site = vec![host_of(page_url.as_str()), host_of(base.as_str())];
        site.extend(
            own.iter()
                .filter_map(|u| base.join(u.trim()).ok())
                .map(|u| host_of(u.as_str())),
        );
        site.retain(|h| !h.is_empty());
        site.sort();
        site.dedup();
        page.site = site;
        page
    }

    /// Adds `el`, a child of `parent`, with its interned tag and path and what it
    /// inherits (boilerplate region, main content, hidden, sectioned).
    fn add_node(&mut self, ids: &mut Interner, el: ElementRef<'a>, parent: Option<Ix>) -> Ix {
        let name = el.value().name();
        let tag = ids.tag(&mut self.tags, name);
        let up = parent.map(|p| &self.nodes[p as usize]);
        let sig = ids.signature(el, name);
        let path = ids.path(up.map_or(u32::MAX, |u| u.path), sig);
        let sectioned = up.is_some_and(|u| {
            u.sectioned
                || matches!(
                    self.tags[u.tag as usize].as_str(),
                    "article" | "main" | "section" | "aside" | "nav"
                )
        });
        let ix = self.nodes.len() as Ix;
        let node = Node {
            el,
            parent,
            end: ix,
            tag,
            path,
            sig,
            depth: up.map_or(0, |u| u.depth.saturating_add(1)),
            boiler: boilerplate(el, sectioned).or(up.and_then(|u| u.boiler)),
            in_main: up.is_some_and(|u| u.in_main) || is_main(el),
            hidden: up.is_some_and(|u| u.hidden) || is_hidden(el),
            sectioned,
            title_hint: title_hint(el),
        };
        self.nodes.push(node);
        ix
    }

    pub(super) fn node(&self, ix: Ix) -> &Node<'a> {
        &self.nodes[ix as usize]
    }

    pub(super) fn tag(&self, ix: Ix) -> &str {
        &self.tags[self.node(ix).tag as usize]
    }

    /// The links inside element `ix`, itself included.
    pub(super) fn links_in(&self, ix: Ix) -> &[Link] {
        let end = self.node(ix).end;
        let from = self.links.partition_point(|l| l.node < ix);
        let to = self.links.partition_point(|l| l.node <= end);
        &self.links[from..to]
    }

    /// The link that element `ix` is, if it is one.
    pub(super) fn link(&self, ix: Ix) -> Option<&Link> {
        self.links
            .binary_search_by_key(&ix, |l| l.node)
            .ok()
            .map(|i| &self.links[i])
    }

    /// Whether `inner` is `outer` or inside it.
    pub(super) fn contains(&self, outer: Ix, inner: Ix) -> bool {
        outer <= inner && inner <= self.node(outer).end
    }

    /// Whether `url`'s host is this site's.
    pub(super) fn on_site(&self, url: &str) -> bool {
        let h = host_of(url);
        self.site.contains(&h)
    }
}

/// The host of an absolute address without `www.`, or "".
pub(super) fn host_of(url: &str) -> String {
    Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_string())
        })
        .unwrap_or_default()
}

fn without_fragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

/// The addresses a page gives for itself: `<link rel=canonical>`, `og:url`, and its
/// feeds (`<link rel=alternate type=...xml|json>`), absolute or not.
fn own_addresses(head: ElementRef) -> Vec<String> {
    head.descendent_elements()
        .filter_map(|e| {
            let v = e.value();
            let rel = |r: &str| {
                v.attr("rel")
                    .is_some_and(|x| x.split_whitespace().any(|w| w.eq_ignore_ascii_case(r)))
            };
            let feed = v
                .attr("type")
                .is_some_and(|t| t.contains("xml") || t.contains("json"));
            let own = (v.name() == "link" && (rel("canonical") || rel("alternate") && feed))
                || (v.name() == "meta" && v.attr("property") == Some("og:url"));
            own.then(|| v.attr("href").or(v.attr("content")))
                .flatten()
                .map(str::to_string)
        })
        .collect()
}

/// Classes that say what an element is, not which one it is: without digits
/// (`post-123`), generated hashes (`css-1x2y3z`, `sc-bdVaJa`, `Card_title__a1B2c`),
/// per-item modifiers (`category-news`, `card--urgent`) and states (`active`).
pub(super) fn stable_classes<'e>(el: ElementRef<'e>) -> impl Iterator<Item = &'e str> {
    let mut classes: Vec<&str> = el.value().classes().filter(|c| is_stable(c)).collect();
    classes.sort_unstable();
    classes.dedup();
    classes.into_iter()
}

pub(super) fn is_stable(c: &str) -> bool {
    const STATES: [&str; 12] = [
        "active", "current", "selected", "first", "last", "odd", "even", "open", "sticky",
        "featured", "hentry", "clearfix",
    ];
    const PER_ITEM: [&str; 7] = [
        "category-",
        "tag-",
        "format-",
        "status-",
        "type-",
        "has-",
        "is-",
    ];
    !c.is_empty()
        && !c.chars().any(|ch| ch.is_ascii_digit())
        && !c.contains("--")
        && !STATES.contains(&c)
        && !PER_ITEM.iter().any(|p| c.starts_with(p))
        && !looks_generated(c)
}

/// Class names that a build tool made up: known prefixes followed by a hash, or a
/// part with mixed case inside (`bdVaJa`).
pub(super) fn looks_generated(c: &str) -> bool {
    const PREFIXES: [&str; 6] = ["css-", "sc-", "jsx-", "emotion-", "svelte-", "astro-"];
    if PREFIXES.iter().any(|p| c.starts_with(p)) {
        return true;
    }
    c.split(['-', '_']).any(|part| {
        let upper_inside = part
            .chars()
            .skip(1)
            .filter(char::is_ascii_uppercase)
            .count();
        let lower = part.chars().filter(char::is_ascii_lowercase).count();
        part.len() >= 5 && upper_inside >= 2 && lower >= 2
    })
}

/// Lower-case words of an element's class and id (`site-nav__list` → site, nav, list).
fn name_words(el: ElementRef<'_>) -> impl Iterator<Item = Cow<'_, str>> + '_ {
    let v = el.value();
    v.classes()
        .chain(v.id())
        .flat_map(|c| c.split(|ch: char| !ch.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(w.to_ascii_lowercase())
            } else {
                Cow::Borrowed(w)
            }
        })
}

/// The reason given for a `<header>` outside any article or section: the page's
/// banner, usually, but some sites put their main content in it, so it costs less.
pub(super) const PAGE_HEADER: &str = "the page's <header>";

/// Why an element is a boilerplate region, if it is one.
fn boilerplate(el: ElementRef, inside_sectioning: bool) -> Option<&'static str> {
    let v = el.value();
    match v.name() {
        "html" | "body" | "main" => return None,
        "nav" => return Some("nav"),
        "aside" => return Some("aside"),
        // A page's banner and footer; inside an article or section they are its own.
        "header" if !inside_sectioning => return Some(PAGE_HEADER),
        "footer" if !inside_sectioning => return Some("footer"),
        _ => {}
    }
    match v.attr("role") {
        Some("navigation" | "menu" | "menubar") => return Some("nav"),
        Some("banner") => return Some("header"),
        Some("contentinfo") => return Some("footer"),
        Some("complementary") => return Some("aside"),
        _ => {}
    }
    for w in name_words(el) {
        let why =
            match w.as_ref() {
                "menu" | "menus" | "nav" | "navbar" | "navigation" | "breadcrumb"
                | "breadcrumbs" => "menu",
                "pagination" | "pager" | "paginator" | "paging" => "pagination",
                "share" | "sharing" | "social" | "socials" | "addthis" | "sharedaddy" => {
                    "share buttons"
                }
                "lang" | "language" | "languages" | "langs" | "translations" | "wpml"
                | "polylang" => "language switcher",
                "tagcloud" | "cloud" | "tags" => "tag cloud",
                "sidebar" | "widget" | "widgets" | "secondary" => "sidebar",
                // An article's own header and footer (`entry-footer`) are its parts.
                "footer" | "colophon" if !inside_sectioning => "footer",
                "header" | "masthead" | "topbar" if !inside_sectioning => "header",
                "cookie" | "cookies" | "consent" | "gdpr" => "cookie banner",
                _ => continue,
            };
        return Some(why);
    }
    None
}

fn is_main(el: ElementRef) -> bool {
    let v = el.value();
    v.name() == "main"
        || v.attr("role") == Some("main")
        || name_words(el).any(|w| matches!(w.as_ref(), "main" | "content" | "primary"))
}

fn is_hidden(el: ElementRef) -> bool {
    let v = el.value();
    v.attr("hidden").is_some()
        || v.attr("aria-hidden") == Some("true")
        || v.attr("style").is_some_and(|s| {
            let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            s.to_ascii_lowercase().contains("display:none")
        })
        || v.classes().any(|c| {
            matches!(
                c,
                "sr-only"
                    | "screen-reader-text"
                    | "visually-hidden"
                    | "visuallyhidden"
                    | "hidden"
                    | "d-none"
                    | "hide"
            )
        })
}

fn title_hint(el: ElementRef) -> u8 {
    let v = el.value();
    if matches!(v.name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
        || v.attr("itemprop")
            .is_some_and(|p| p.eq_ignore_ascii_case("headline"))
    {
        return 3;
    }
    let mut hint = 0;
    for w in v
        .classes()
        .flat_map(|c| c.split(|ch: char| !ch.is_alphanumeric()))
    {
        match w.to_ascii_lowercase().as_str() {
            "title" | "headline" | "heading" | "hdrlnk" => hint = hint.max(2),
            "name" => hint = hint.max(1),
            _ => {}
        }
    }
    if v.attr("itemprop")
        .is_some_and(|p| p.eq_ignore_ascii_case("name"))
    {
        hint = hint.max(1);
    }
    hint
}
