//! Markup bounded for html5ever: at most so many elements open, at most so many
//! attributes per tag.
//!
//! html5ever's tree builder looks through the stack of open elements for nearly every
//! tag ("is there a `p` in button scope?"), so a document of *n* nested elements costs
//! *n*² steps: 100,000 nested `<div>` took minutes. [`cap_depth`] is a linear pre-pass
//! (html5ever's own tokenizer, then a re-serialisation) that keeps at most a given
//! number of elements open: deeper start tags and their end tags are dropped, their
//! text kept. It closes explicitly what it closes (implied ends of `p`, `li`, `td`…,
//! and whatever an end tag jumps over), so the tree builder's stack never holds more
//! than a small multiple of the depth it allows.

use std::cell::RefCell;
use std::collections::HashMap;

use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::{LocalName, local_name};

/// Attributes kept per tag before any html5ever work: its tokenizer looks for a
/// duplicate among a tag's attributes at every attribute, so one tag with 45,000 of
/// them took half a second and a page-sized one minutes. Real tags have under 30.
pub const MAX_ATTRIBUTES: usize = 64;

/// Elements that have no end tag.
fn is_void(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("area")
            | local_name!("base")
            | local_name!("basefont")
            | local_name!("bgsound")
            | local_name!("br")
            | local_name!("col")
            | local_name!("embed")
            | local_name!("frame")
            | local_name!("hr")
            | local_name!("image")
            | local_name!("img")
            | local_name!("input")
            | local_name!("keygen")
            | local_name!("link")
            | local_name!("meta")
            | local_name!("param")
            | local_name!("source")
            | local_name!("track")
            | local_name!("wbr")
    )
}

/// How the tokenizer reads the body of an HTML element (outside SVG and MathML).
fn raw_kind(name: &LocalName) -> Option<TokenSinkResult<()>> {
    Some(match *name {
        local_name!("script") => TokenSinkResult::RawData(RawKind::ScriptData),
        local_name!("style")
        | local_name!("xmp")
        | local_name!("iframe")
        | local_name!("noembed")
        | local_name!("noframes")
        | local_name!("noscript") => TokenSinkResult::RawData(RawKind::Rawtext),
        local_name!("title") | local_name!("textarea") => TokenSinkResult::RawData(RawKind::Rcdata),
        local_name!("plaintext") => TokenSinkResult::Plaintext,
        _ => return None,
    })
}

/// Start tags that close an open `p` (HTML's "close a p element in button scope").
fn closes_p(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("address")
            | local_name!("article")
            | local_name!("aside")
            | local_name!("blockquote")
            | local_name!("center")
            | local_name!("details")
            | local_name!("dialog")
            | local_name!("dir")
            | local_name!("div")
            | local_name!("dl")
            | local_name!("dd")
            | local_name!("dt")
            | local_name!("fieldset")
            | local_name!("figcaption")
            | local_name!("figure")
            | local_name!("footer")
            | local_name!("form")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("header")
            | local_name!("hgroup")
            | local_name!("li")
            | local_name!("listing")
            | local_name!("main")
            | local_name!("menu")
            | local_name!("nav")
            | local_name!("ol")
            | local_name!("p")
            | local_name!("pre")
            | local_name!("section")
            | local_name!("summary")
            | local_name!("table")
            | local_name!("ul")
            | local_name!("xmp")
    )
}

/// Elements that stop the search for an element to close implicitly.
fn is_boundary(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("html")
            | local_name!("body")
            | local_name!("table")
            | local_name!("td")
            | local_name!("th")
            | local_name!("caption")
            | local_name!("marquee")
            | local_name!("object")
            | local_name!("applet")
            | local_name!("template")
            | local_name!("button")
            | local_name!("svg")
            | local_name!("math")
    )
}

/// For a start tag, the open elements it ends (HTML's optional end tags, with what
/// they contain) and the containers where looking for them stops.
fn implied_end(name: &LocalName) -> Option<(&'static [LocalName], &'static [LocalName])> {
    use std::sync::LazyLock;
    static LI: LazyLock<[LocalName; 1]> = LazyLock::new(|| [local_name!("li")]);
    static LISTS: LazyLock<[LocalName; 3]> =
        LazyLock::new(|| [local_name!("ul"), local_name!("ol"), local_name!("menu")]);
    static DTDD: LazyLock<[LocalName; 2]> =
        LazyLock::new(|| [local_name!("dt"), local_name!("dd")]);
    static DL: LazyLock<[LocalName; 1]> = LazyLock::new(|| [local_name!("dl")]);
    static OPTION: LazyLock<[LocalName; 1]> = LazyLock::new(|| [local_name!("option")]);
    static OPTGROUP: LazyLock<[LocalName; 2]> =
        LazyLock::new(|| [local_name!("option"), local_name!("optgroup")]);
    static SELECT: LazyLock<[LocalName; 2]> =
        LazyLock::new(|| [local_name!("select"), local_name!("datalist")]);
    static CELL: LazyLock<[LocalName; 2]> =
        LazyLock::new(|| [local_name!("td"), local_name!("th")]);
    static SECTION: LazyLock<[LocalName; 3]> = LazyLock::new(|| {
        [
            local_name!("thead"),
            local_name!("tbody"),
            local_name!("tfoot"),
        ]
    });
    static TR: LazyLock<[LocalName; 2]> =
        LazyLock::new(|| [local_name!("tr"), local_name!("table")]);
    static ROWS: LazyLock<[LocalName; 1]> = LazyLock::new(|| [local_name!("tr")]);
    static TABLE: LazyLock<[LocalName; 1]> = LazyLock::new(|| [local_name!("table")]);
    static SECTIONS: LazyLock<[LocalName; 4]> = LazyLock::new(|| {
        [
            local_name!("thead"),
            local_name!("tbody"),
            local_name!("tfoot"),
            local_name!("table"),
        ]
    });
    Some(match *name {
        local_name!("li") => (&LI[..], &LISTS[..]),
        local_name!("dt") | local_name!("dd") => (&DTDD[..], &DL[..]),
        local_name!("option") => (&OPTION[..], &SELECT[..]),
        local_name!("optgroup") => (&OPTGROUP[..], &SELECT[..]),
        local_name!("td") | local_name!("th") => (&CELL[..], &TR[..]),
        local_name!("tr") => (&ROWS[..], &SECTIONS[..]),
        local_name!("thead") | local_name!("tbody") | local_name!("tfoot") => {
            (&SECTION[..], &TABLE[..])
        }
        _ => return None,
    })
}

/// A tag or attribute name that re-serialises as itself.
fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
}

#[derive(Default)]
struct DepthState {
    out: String,
    /// The elements open in `out`, outermost first.
    open: Vec<LocalName>,
    /// Start tags dropped for depth, by name, whose end tags are still to come.
    dropped: HashMap<LocalName, usize>,
    /// SVG / MathML elements among `open`: their bodies are not raw text.
    foreign: usize,
    /// Inside a raw-text element whose start tag was dropped: its text goes too.
    skip_raw: Option<LocalName>,
    max: usize,
    deepest: usize,
}

impl DepthState {
    fn escape_text(&mut self, t: &str) {
        for c in t.chars() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                c => self.out.push(c),
            }
        }
    }

    fn close(&mut self, name: &LocalName) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        if matches!(*name, local_name!("svg") | local_name!("math")) {
            self.foreign = self.foreign.saturating_sub(1);
        }
    }

    /// Closes the open elements down to and including the one at `at`.
    fn pop_to(&mut self, at: usize) {
        while self.open.len() > at {
            let Some(name) = self.open.pop() else { break };
            self.close(&name);
        }
        // Whatever was dropped below the closed elements is closed with them.
        if self.open.len() < self.max {
            self.dropped.clear();
        }
    }

    /// The position of the outermost open element named in `names` above the
    /// innermost element named in `stop` (or, for `scoped`, a scope boundary).
    fn find_open(&self, names: &[LocalName], stop: &[LocalName], scoped: bool) -> Option<usize> {
        let mut found = None;
        for (i, n) in self.open.iter().enumerate().rev() {
            if names.contains(n) {
                found = Some(i);
            } else if stop.contains(n) || (scoped && is_boundary(n)) {
                break;
            }
        }
        found
    }

    fn start(&mut self, tag: html5ever::tokenizer::Tag) -> TokenSinkResult<()> {
        let name = tag.name;
        if !plain_name(&name) {
            return TokenSinkResult::Continue;
        }
        let html = self.foreign == 0;
        if html {
            if closes_p(&name)
                && let Some(at) = self.find_open(&[local_name!("p")], &[], true)
            {
                self.pop_to(at);
            }
            let table_part = matches!(
                name,
                local_name!("td")
                    | local_name!("th")
                    | local_name!("tr")
                    | local_name!("thead")
                    | local_name!("tbody")
                    | local_name!("tfoot")
            );
            if let Some((ends, stop)) = implied_end(&name)
                && let Some(at) = self.find_open(ends, stop, !table_part)
            {
                self.pop_to(at);
            }
        }
        let void = html && is_void(&name);
        if !void && self.open.len() >= self.max {
            *self.dropped.entry(name.clone()).or_default() += 1;
            if html && let Some(raw) = raw_kind(&name) {
                self.skip_raw = Some(name);
                return raw;
            }
            return TokenSinkResult::Continue;
        }
        self.out.push('<');
        self.out.push_str(&name);
        for a in &tag.attrs {
            let n: &str = &a.name.local;
            if !plain_name(n) {
                continue;
            }
            self.out.push(' ');
            self.out.push_str(n);
            self.out.push_str("=\"");
            for c in a.value.chars() {
                match c {
                    '&' => self.out.push_str("&amp;"),
                    '"' => self.out.push_str("&quot;"),
                    '<' => self.out.push_str("&lt;"),
                    '>' => self.out.push_str("&gt;"),
                    c => self.out.push(c),
                }
            }
            self.out.push('"');
        }
        self.out.push('>');
        if void {
            return TokenSinkResult::Continue;
        }
        if tag.self_closing {
            // `<div/>` opens a div in HTML, but is meant closed: closed it is, so it
            // cannot be used to nest.
            self.out.push_str("</");
            self.out.push_str(&name);
            self.out.push('>');
            return TokenSinkResult::Continue;
        }
        if matches!(name, local_name!("svg") | local_name!("math")) {
            self.foreign += 1;
        }
        let raw = if html { raw_kind(&name) } else { None };
        self.open.push(name);
        self.deepest = self.deepest.max(self.open.len());
        raw.unwrap_or(TokenSinkResult::Continue)
    }

    fn end(&mut self, name: LocalName) {
        if self.skip_raw.as_ref() == Some(&name) {
            self.skip_raw = None;
            if let Some(n) = self.dropped.get_mut(&name) {
                *n = n.saturating_sub(1);
            }
            return;
        }
        if let Some(n) = self.dropped.get_mut(&name)
            && *n > 0
        {
            *n -= 1;
            return;
        }
        if let Some(at) = self.open.iter().rposition(|n| *n == name) {
            self.pop_to(at);
        }
        // An end tag with nothing open to close is dropped.
    }
}

struct DepthSink(RefCell<DepthState>);

impl TokenSink for DepthSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut s = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => return s.start(tag),
                TagKind::EndTag => s.end(tag.name),
            },
            Token::CharacterTokens(t) => {
                if s.skip_raw.is_none() {
                    s.escape_text(&t);
                }
            }
            Token::DoctypeToken(d) => {
                if s.out.is_empty() && d.name.is_some() {
                    s.out.push_str("<!DOCTYPE html>");
                }
            }
            // Comments are dropped (every consumer ignores them), as are NULs.
            Token::CommentToken(_)
            | Token::NullCharacterToken
            | Token::EOFToken
            | Token::ParseError(_) => {}
        }
        TokenSinkResult::Continue
    }
}

/// `html` with at most [`MAX_ATTRIBUTES`] attributes per tag and at most `max_depth`
/// elements open at any point (see the module doc), and how deep the kept markup
/// nests. Markup with fewer tags than that is returned as it is (attributes capped);
/// otherwise it is re-serialised (comments dropped, end tags made explicit).
pub fn cap_depth(html: &str, max_depth: usize) -> (std::borrow::Cow<'_, str>, usize) {
    let html = cap_attributes(html, MAX_ATTRIBUTES);
    if html
        .bytes()
        .filter(|&b| b == b'<')
        .take(max_depth + 1)
        .count()
        <= max_depth
    {
        return (html, 0);
    }
    let sink = DepthSink(RefCell::new(DepthState {
        out: String::with_capacity(html.len() + html.len() / 8),
        max: max_depth.max(1),
        ..Default::default()
    }));
    let tok = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back((&*html).into());
    let _ = tok.feed(&input);
    tok.end();
    let state = tok.sink.0.into_inner();
    (std::borrow::Cow::Owned(state.out), state.deepest)
}

/// `html` without the attributes of a tag past the first `max`, in one pass that
/// reads tags, comments and declarations as the HTML tokenizer does (everything else is
/// copied as it is). Unchanged, and not copied, when no tag has more.
pub fn cap_attributes(html: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let b = html.as_bytes();
    let n = b.len();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(lt) = find(b, b'<', i) {
        i = lt + 1;
        let Some(&c) = b.get(i) else { break };
        if c == b'!' {
            i = past_declaration(b, i);
            continue;
        }
        if c == b'?' {
            i = past_gt(b, i);
            continue;
        }
        let start = if c == b'/' { i + 1 } else { i };
        if !b.get(start).is_some_and(u8::is_ascii_alphabetic) {
            if c == b'/' {
                // `</>` is nothing; `</ …>` a bogus comment.
                i = past_gt(b, start);
            }
            continue;
        }
        let mut j = start;
        while j < n && !ws(b[j]) && !matches!(b[j], b'/' | b'>') {
            j += 1;
        }
        let mut count = 0;
        loop {
            match next_attribute(b, j) {
                Err(end) => {
                    j = end;
                    break;
                }
                Ok((gap, end)) => {
                    j = end;
                    count += 1;
                    if count > max {
                        let o = out.get_or_insert_with(|| String::with_capacity(n));
                        o.push_str(&html[copied..gap]);
                        copied = j;
                    }
                }
            }
        }
        i = j;
    }
    match out {
        None => std::borrow::Cow::Borrowed(html),
        Some(mut o) => {
            o.push_str(&html[copied..]);
            std::borrow::Cow::Owned(o)
        }
    }
}

/// HTML's whitespace.
fn ws(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// The first `c` at or after `from`.
fn find(b: &[u8], c: u8, from: usize) -> Option<usize> {
    b[from.min(b.len())..]
        .iter()
        .position(|&x| x == c)
        .map(|p| from + p)
}

/// Just past the next `>` at or after `from` (or the end).
fn past_gt(b: &[u8], from: usize) -> usize {
    find(b, b'>', from).map_or(b.len(), |g| g + 1)
}

/// Just past the comment or declaration whose `!` is at `i` (`<!--…-->`; DOCTYPE,
/// CDATA outside foreign content and bogus comments end at the next `>`).
fn past_declaration(b: &[u8], i: usize) -> usize {
    if !b[i..].starts_with(b"!--") {
        return past_gt(b, i);
    }
    let body = i + 3;
    if b[body..].starts_with(b">") {
        body + 1
    } else if b[body..].starts_with(b"->") {
        body + 2
    } else {
        comment_end(b, body)
    }
}

/// The attribute of a tag at or after `j` (just past the tag name or the previous
/// attribute): `Ok((gap, end))`, `gap` where the space before it starts (a dropped
/// attribute goes with it), `end` just past it; `Err(at)` when the tag ends first, at
/// its `>` (or the end of the text).
fn next_attribute(b: &[u8], mut j: usize) -> Result<(usize, usize), usize> {
    let n = b.len();
    let gap = j;
    while j < n && (ws(b[j]) || b[j] == b'/') {
        j += 1;
    }
    if j >= n || b[j] == b'>' {
        return Err(j);
    }
    // A name's first character may be `=`.
    j += 1;
    while j < n && !ws(b[j]) && !matches!(b[j], b'/' | b'>' | b'=') {
        j += 1;
    }
    let mut k = j;
    while k < n && ws(b[k]) {
        k += 1;
    }
    if k < n && b[k] == b'=' {
        k += 1;
        while k < n && ws(b[k]) {
            k += 1;
        }
        match b.get(k) {
            Some(&q @ (b'"' | b'\'')) => k = find(b, q, k + 1).map_or(n, |e| e + 1),
            Some(b'>') | None => {}
            Some(_) => {
                while k < n && !ws(b[k]) && b[k] != b'>' {
                    k += 1;
                }
            }
        }
        j = k;
    }
    Ok((gap, j))
}

/// Just past the end of a comment whose body starts at `from`: `-->` or `--!>`.
fn comment_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(p) = b[i.min(b.len())..].iter().position(|&x| x == b'-') {
        let at = i + p;
        if b[at..].starts_with(b"-->") {
            return at + 3;
        }
        if b[at..].starts_with(b"--!>") {
            return at + 4;
        }
        i = at + 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_flattened_beyond_the_limit_and_text_is_kept() {
        let n = 1000;
        let html = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        let (out, deepest) = cap_depth(&html, 8);
        assert_eq!(deepest, 8);
        assert_eq!(out, format!("{}x{}", "<div>".repeat(8), "</div>".repeat(8)));
    }

    #[test]
    fn what_follows_deep_markup_keeps_its_structure() {
        let html = format!(
            "<ul><li>{}deep{}</li><li><a href=\"/a?x=1&amp;y=2\">second</a></li></ul>",
            "<span>".repeat(50),
            "</span>".repeat(50)
        );
        let (out, _) = cap_depth(&html, 4);
        assert!(
            out.ends_with("<li><a href=\"/a?x=1&amp;y=2\">second</a></li></ul>"),
            "{out}"
        );
        assert!(out.contains("deep"));
    }

    #[test]
    fn unclosed_paragraphs_and_list_items_do_not_nest() {
        let html = format!("{}<p>end", "<p>para<li>item".repeat(200));
        let (out, deepest) = cap_depth(&html, 8);
        assert!(deepest <= 2, "{deepest}");
        assert_eq!(out.matches("<li>").count(), 200);
        assert!(out.ends_with("<p>end"), "{out}");
        let rows = format!("<table>{}</table>", "<tr><td>a<td>b".repeat(100));
        let (out, deepest) = cap_depth(&rows, 8);
        assert!(deepest <= 3, "{deepest}");
        assert_eq!(out.matches("<td>").count(), 200);
    }

    #[test]
    fn self_closed_elements_do_not_nest() {
        let html = format!(
            "<svg>{}</svg>{}",
            "<path d=\"M0\"/>".repeat(100),
            "<div/>".repeat(100)
        );
        let (out, deepest) = cap_depth(&html, 8);
        assert_eq!(deepest, 1);
        assert_eq!(out.matches("<div>").count(), 100);
    }

    #[test]
    fn raw_text_stays_text_and_cannot_hide_tags() {
        let html = format!(
            "<style>a > b {{}}</style><p title=\"</style><div>\">x</p>{}",
            "<b>".repeat(20)
        );
        let (out, _) = cap_depth(&html, 4);
        assert!(out.starts_with("<style>a &gt; b {}</style>"), "{out}");
        assert!(out.contains("title=\"&lt;/style&gt;&lt;div&gt;\""), "{out}");
        // A dropped script takes its body with it.
        let html = format!("{}<script>alert(1)</script>after", "<i>".repeat(10));
        let (out, _) = cap_depth(&html, 4);
        assert!(!out.contains("alert"), "{out}");
        assert!(out.ends_with("after"), "{out}");
    }

    #[test]
    fn attributes_past_the_limit_are_dropped_in_one_pass() {
        let many: String = (0..100_000).map(|i| format!(" a{i}=\"{i}\"")).collect();
        let html = format!("<p{many}>text</p><!-- <b{many}> --><i x=1 y z='>'>i</i>");
        let out = cap_attributes(&html, 4);
        assert!(
            out.starts_with("<p a0=\"0\" a1=\"1\" a2=\"2\" a3=\"3\">text</p><!-- <b a0="),
            "{}",
            &out[..80]
        );
        assert!(out.ends_with(" --><i x=1 y z='>'>i</i>"), "{out:.80}");
        // The comment is copied whole; only the paragraph lost attributes.
        assert_eq!(
            out.len(),
            html.len() - many.len() + " a0=\"0\" a1=\"1\" a2=\"2\" a3=\"3\"".len()
        );
        assert!(matches!(
            cap_attributes("<a href=x title='y'>z</a>", 4),
            std::borrow::Cow::Borrowed(_)
        ));
        // Sanitising goes through it: one tag with 100,000 attributes is cheap.
        let one = format!("<p{many}>text</p>");
        let (capped, _) = cap_depth(&one, 64);
        assert!(capped.len() < 2_000, "{}", capped.len());
    }

    #[test]
    fn short_markup_is_untouched() {
        let html = "<p>Hi <!-- c --> <b>there</b>";
        assert!(matches!(
            cap_depth(html, 64).0,
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
