//! CSS selectors for a candidate: the `item` selector that matches its items and
//! nothing else on the page, and for each field the simplest selector that reads, in
//! every item, exactly the value detection read (checked with the same [`Pick`] that
//! `parse_listing` uses, on the same parsed page).
//!
//! Preference: a stable class (`.card`, `.card__title`), then a tag (`h3`, `time`),
//! then a path from a named ancestor (`ul.post-list > li`), then the exact tag path.
//! Generated class names (`css-1x2y3z`) and per-item classes (`post-123`) are never
//! used (see [`super::page::is_stable`]), so a page whose classes are hashes gets tag
//! paths.

use scraper::Selector;

use super::candidates::{Candidate, Field, Key, Last, read};
use super::page::{Ix, Page, is_stable, looks_generated};
use crate::parse::bounds::MAX_CATEGORIES;
use crate::parse::html::Pick;

/// The deepest list whose whole tag path is written as a selector.
const MAX_PATH: usize = 40;

/// Whether `s` can be written in a selector without escaping.
fn ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !s.starts_with("--")
}

fn classes(page: &Page, ix: Ix) -> Vec<String> {
    let mut out: Vec<String> = page
        .node(ix)
        .el
        .value()
        .classes()
        .filter(|c| is_stable(c) && ident(c))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The classes every one of `nodes` has, that can name them: stable ones first (see
/// [`is_stable`]), then others they all share (`has-author`), never generated ones or
/// ones with digits.
fn common_classes(page: &Page, nodes: &[Ix]) -> Vec<String> {
    let Some(&first) = nodes.first() else {
        return Vec::new();
    };
    let mut out: Vec<String> = page
        .node(first)
        .el
        .value()
        .classes()
        .filter(|c| ident(c) && !looks_generated(c) && !c.chars().any(|ch| ch.is_ascii_digit()))
        .filter(|c| {
            nodes
                .iter()
                .all(|&n| page.node(n).el.value().classes().any(|o| o == *c))
        })
        .map(str::to_string)
        .collect();
    out.sort_by_key(|c| (!is_stable(c), c.clone()));
    out.dedup();
    out
}

/// `tag.class1.class2`, or `tag#id` when `with_id`.
fn rich(page: &Page, ix: Ix, with_id: bool) -> String {
    let tag = page.tag(ix);
    if with_id
        && let Some(id) = page.node(ix).el.value().id()
        && is_stable(id)
        && ident(id)
    {
        return format!("{tag}#{id}");
    }
    let mut s = tag.to_string();
    for c in classes(page, ix) {
        s.push('.');
        s.push_str(&c);
    }
    s
}

/// The ancestor `up` levels above `ix`.
fn ancestor(page: &Page, ix: Ix, up: usize) -> Option<Ix> {
    let mut at = ix;
    for _ in 0..up {
        at = page.node(at).parent?;
    }
    Some(at)
}

/// Whether `css` matches exactly `items` among the page's elements, in order.
fn selects_exactly(page: &Page, css: &str, items: &[Ix]) -> bool {
    let Ok(sel) = Selector::parse(css) else {
        return false;
    };
    let tag = page.node(items[0]).tag;
    // Every item selector below ends with the items' tag or is one of their classes:
    // checking that first keeps this linear pass cheap.
    let class = css.strip_prefix('.').filter(|c| ident(c));
    let mut expect = items.iter();
    let mut next = expect.next();
    for (ix, n) in page.nodes.iter().enumerate() {
        let candidate = match class {
            Some(c) => n.el.value().classes().any(|x| x == c),
            None => n.tag == tag,
        };
        if !candidate {
            continue;
        }
        if sel.matches(&n.el) {
            if next != Some(&(ix as Ix)) {
                return false;
            }
            next = expect.next();
        }
    }
    next.is_none()
}

/// The `item` selector: the first of the candidates below that matches exactly the
/// candidate's items.
pub(super) fn item_selector(page: &Page, c: &Candidate) -> Option<String> {
    let first = c.items[0];
    let tag = page.tag(first).to_string();
    let own = common_classes(page, &c.items);
    let mut tries: Vec<String> = Vec::new();
    for cl in &own {
        tries.push(format!(".{cl}"));
        tries.push(format!("{tag}.{cl}"));
    }
    if own.len() > 1 {
        tries.push(rich(page, first, false));
    }
    let item_step = rich(page, first, false);
    // From a named ancestor (class or id) first: `ul.post-list li`, `main#main
    // article`; bare tag chains (`div > article`) only after, as any new list with the
    // same tags would match them.
    let mut chains: Vec<String> = Vec::new();
    let depth = page.node(first).depth as usize;
    for up in 1..=depth.min(8) {
        let Some(anc) = ancestor(page, first, up) else {
            break;
        };
        // An ancestor is named by its id only when every item sits under that element.
        let shared = c.items.iter().all(|&i| ancestor(page, i, up) == Some(anc));
        let top = rich(page, anc, shared);
        let named = top != page.tag(anc);
        let mut chain = vec![top.clone()];
        for k in (1..up).rev() {
            chain.push(page.tag(ancestor(page, first, k)?).to_string());
        }
        let chain = chain.join(" > ");
        let (list, steps) = if named {
            (
                &mut tries,
                vec![format!("{top} {tag}"), format!("{top} {item_step}")],
            )
        } else {
            (&mut chains, Vec::new())
        };
        list.extend(steps);
        list.push(format!("{chain} > {tag}"));
        list.push(format!("{chain} > {item_step}"));
    }
    tries.extend(chains);
    tries.dedup();
    // The whole path, as the items were grouped.
    // (Not for a list nested absurdly deep: that selector would be as long as the page.)
    let mut full: Vec<String> = Vec::new();
    let mut at = page.node(first).parent;
    while let Some(a) = at
        && full.len() <= MAX_PATH
    {
        full.push(rich(page, a, false));
        at = page.node(a).parent;
    }
    full.reverse();
    full.push(item_step);
    let full = full.join(" > ");
    if depth <= MAX_PATH {
        tries.push(full.clone());
    }
    // Some elements of the path lack the entry link: keep those that have it.
    if c.items.len() < c.group
        && !c.link.key.steps.is_empty()
        && let Some(link) = c.link.nodes[0]
    {
        tries.push(format!(
            "{full}:has({})",
            relative(page, &c.link.key, link, None)
        ));
    }
    tries
        .into_iter()
        .find(|t| selects_exactly(page, t, &c.items))
}

/// The exact path of a field inside the item: `:scope > div > span.card__date`, or
/// for a `:has()` (`> div > a`) when `scope` is `None`.
fn relative(page: &Page, key: &Key, target: Ix, scope: Option<&str>) -> String {
    let mut steps: Vec<String> = key
        .steps
        .iter()
        .map(|&t| page.tags[t as usize].clone())
        .collect();
    if let Some(last) = steps.last_mut() {
        match key.last {
            Last::Sig(_) => *last = rich(page, target, false),
            Last::Nth(0) => {}
            Last::Nth(n) => last.push_str(&format!(":nth-of-type({n})")),
            Last::Item => {}
        }
    }
    match scope {
        Some(s) => std::iter::once(s.to_string())
            .chain(steps)
            .collect::<Vec<_>>()
            .join(" > "),
        None => format!("> {}", steps.join(" > ")),
    }
}

/// What a field must read in each item.
pub(super) enum Expect {
    /// The first value (title, link, date, summary).
    First(Vec<Option<String>>),
    /// Every distinct value (labels).
    All(Vec<Vec<String>>),
}

/// The values a field reads per item, from detection's own elements.
pub(super) fn expected_first(page: &Page, field: &Field) -> Expect {
    Expect::First(
        field
            .nodes
            .iter()
            .map(|n| n.and_then(|ix| read(page, ix, field.attr)))
            .collect(),
    )
}

/// The selector for a field (`.card__title`, `time@datetime`, `h2 a`), as written in
/// the config: `default_attr` is the one `Pick::parse` is given for this key.
pub(super) fn field_selector(
    page: &Page,
    c: &Candidate,
    key: &Key,
    targets: &[Ix],
    attr: Option<&str>,
    default_attr: Option<&str>,
    expect: &Expect,
) -> Option<String> {
    let target = *targets.first()?;
    let tag = page.tag(target).to_string();
    let own = common_classes(page, targets);
    let mut tries: Vec<String> = Vec::new();
    if key.last == Last::Item {
        tries.push(tag.clone());
    } else {
        for cl in &own {
            tries.push(format!(".{cl}"));
            tries.push(format!("{tag}.{cl}"));
        }
        tries.push(tag.clone());
        if let Some(parent) = page.node(target).parent {
            let p = rich(page, parent, false);
            tries.push(format!("{p} > {tag}"));
            tries.push(format!("{p} {tag}"));
        }
        tries.push(relative(page, key, target, Some(":scope")));
    }
    let suffix = match attr {
        Some(a) if Some(a) != default_attr => format!("@{a}"),
        _ => String::new(),
    };
    tries
        .into_iter()
        .map(|t| format!("{t}{suffix}"))
        .find(|t| reads(page, c, t, default_attr, expect))
}

/// Whether `raw` reads `expect` in every item.
fn reads(
    page: &Page,
    c: &Candidate,
    raw: &str,
    default_attr: Option<&str>,
    expect: &Expect,
) -> bool {
    let Ok(pick) = Pick::parse(raw, default_attr) else {
        return false;
    };
    c.items.iter().enumerate().all(|(k, &item)| {
        let el = page.node(item).el;
        match expect {
            Expect::First(v) => pick.first(el) == v[k],
            Expect::All(v) => pick.all(el, MAX_CATEGORIES) == v[k],
        }
    })
}
