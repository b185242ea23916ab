//! The module floors written at the top of `src/lib.rs`, checked: every `crate::` path
//! (and every `super::` path that climbs out of its module) in `src/` names a module on
//! a floor below the one of the file it is in. Two modules on one floor may not use each
//! other either, so no import cycle between modules can pass. Within each directory
//! module, the submodules beside each other may not form a cycle.
//!
//! Comments are skipped (a doc link is no import); code in `#[cfg(test)]` modules
//! counts: a test that needs a higher floor is in the wrong module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One use of another module: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Use {
    file: String,
    line: usize,
    /// The module path the file's code is in (`["poll", "html"]`).
    from: Vec<String>,
    /// The absolute path used (`["store", "SourceState"]`).
    to: Vec<String>,
}

/// The floors: module → floor number, from the table in `lib.rs`'s doc.
fn floors(lib: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for line in lib.lines() {
        let Some(row) = line.strip_prefix("//! | ") else {
            continue;
        };
        let cells: Vec<&str> = row.split(" | ").collect();
        let Some(floor) = cells.first().and_then(|c| c.trim().parse::<usize>().ok()) else {
            continue;
        };
        for name in cells.get(1).unwrap_or(&"").split(',') {
            let name = name.trim().trim_matches('`');
            if !name.is_empty() {
                assert!(
                    out.insert(name.to_string(), floor).is_none(),
                    "lib.rs: `{name}` is on two floors"
                );
            }
        }
    }
    out
}

/// The top-level modules `lib.rs` declares.
fn declared(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect()
}

/// The module path of a file under `src/`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The code of a line: without its comment, and without the text of string literals
/// (a URL's `//` is not a comment, a message's `crate::` is not a path).
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        match (in_str, c) {
            (true, '\\') => {
                chars.next();
            }
            (true, '"') => {
                in_str = false;
                out.push('"');
            }
            (true, _) => {}
            (false, '"') => {
                in_str = true;
                out.push('"');
            }
            (false, '/') if chars.peek() == Some(&'/') => break,
            (false, _) => out.push(c),
        }
    }
    out
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Every absolute module path `text` (the code of a file whose module is `module`)
/// uses: `crate::a::b`, `crate::{a, b::c}`, and `super::…` resolved.
fn uses_in(file: &str, module: &[String], text: &str) -> Vec<Use> {
    let mut out = Vec::new();
    // Inline modules (`mod tests {`) deepen `super::`; tracked by brace depth.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut in_block_comment = false;
    for (n, raw) in text.lines().enumerate() {
        let mut line = raw.to_string();
        if in_block_comment {
            match line.find("*/") {
                Some(end) => {
                    line = line[end + 2..].to_string();
                    in_block_comment = false;
                }
                None => continue,
            }
        }
        if let Some(start) = line.find("/*") {
            if !line[start..].contains("*/") {
                in_block_comment = true;
            }
            line.truncate(start);
        }
        let code = code_of(&line);
        let trimmed = code.trim();
        if let Some(rest) = trimmed
            .strip_prefix("mod ")
            .or_else(|| trimmed.strip_prefix("pub mod "))
            .or_else(|| trimmed.strip_prefix("pub(crate) mod "))
            && rest.trim_end().ends_with('{')
        {
            inline.push((ident(rest), depth));
        }
        let mut here: Vec<String> = module.to_vec();
        here.extend(inline.iter().map(|(m, _)| m.clone()));
        for path in paths(&code) {
            let mut abs: Vec<String> = match path.first().map(String::as_str) {
                Some("crate") => Vec::new(),
                Some("super") => here.clone(),
                _ => continue,
            };
            let mut segs = path.into_iter().skip(1).peekable();
            if abs.len() == here.len() && !here.is_empty() {
                // `super::` from `here`: the first `super` was the path's head.
                abs.pop();
                while segs.peek().map(String::as_str) == Some("super") {
                    segs.next();
                    abs.pop();
                }
            }
            abs.extend(segs);
            out.push(Use {
                file: file.to_string(),
                line: n + 1,
                from: here.clone(),
                to: abs,
            });
        }
        for c in code.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if inline.last().is_some_and(|(_, d)| *d == depth) {
                        inline.pop();
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The paths that start with `crate` or `super` in one line of code, with grouped
/// imports (`crate::{a, b::{c, d}}`) expanded to each of their first segments.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let starts = (rest.starts_with("crate::") || rest.starts_with("super::"))
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if !starts {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let mut segs = Vec::new();
        let mut at = i;
        loop {
            let seg = ident(&code[at..]);
            if seg.is_empty() {
                break;
            }
            at += seg.len();
            segs.push(seg);
            if code[at..].starts_with("::") {
                at += 2;
            } else {
                break;
            }
        }
        if code[at..].starts_with('{') {
            // A group: each item's first segment, at depth one.
            let mut depth = 0;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in code[at..].chars() {
                match c {
                    '{' => {
                        depth += 1;
                        if depth == 1 {
                            continue;
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        items.push(std::mem::take(&mut item));
                        continue;
                    }
                    _ => {}
                }
                if depth >= 1 {
                    item.push(c);
                }
            }
            items.push(item);
            for it in items {
                let first = ident(it.trim());
                if !first.is_empty() && first != "self" {
                    let mut p = segs.clone();
                    p.push(first);
                    out.push(p);
                } else if first == "self" {
                    out.push(segs.clone());
                }
            }
        } else {
            out.push(segs);
        }
        i = at.max(i + 1);
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every use of another module in `src/`.
fn all_uses(src: &Path) -> Vec<Use> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        let name = format!("src/{}", rel.display());
        out.extend(uses_in(&name, &module_of(rel), &text));
    }
    out
}

/// The uses that break the floors: a module using one on its own floor or above, or
/// one the table does not place.
fn violations(uses: &[Use], floors: &BTreeMap<String, usize>) -> Vec<String> {
    let mut out = Vec::new();
    for u in uses {
        let (Some(from), Some(to)) = (u.from.first(), u.to.first()) else {
            continue;
        };
        if from == to {
            continue;
        }
        let floor = |m: &str| floors.get(m).copied();
        match (floor(from), floor(to)) {
            (Some(a), Some(b)) if b < a => {}
            (Some(a), Some(b)) => out.push(format!(
                "{}:{}: `{from}` (floor {a}) uses `{}` (floor {b}): a module may only use \
                 modules on floors below its own (src/lib.rs, Floors)",
                u.file,
                u.line,
                u.to.join("::")
            )),
            (None, _) => out.push(format!(
                "{}:{}: module `{from}` is on no floor: add it to the table in src/lib.rs",
                u.file, u.line
            )),
            (_, None) => {
                // A crate-root item (`crate::main`) or a name the table lacks.
                if !matches!(to.as_str(), "main") {
                    out.push(format!(
                        "{}:{}: `{}` is on no floor: add it to the table in src/lib.rs",
                        u.file,
                        u.line,
                        u.to.join("::")
                    ));
                }
            }
        }
    }
    out
}

/// Cycles among the submodules beside each other in one directory module (`parse::html`
/// and `parse::detect`, say): each found as the path of one submodule back to itself.
fn sibling_cycles(uses: &[Use]) -> Vec<String> {
    // parent module → submodule → the submodules beside it that it uses, with a witness.
    let mut edges: BTreeMap<Vec<String>, BTreeMap<String, BTreeMap<String, String>>> =
        BTreeMap::new();
    for u in uses {
        if u.from.len() < 2 || u.to.len() < u.from.len() {
            continue;
        }
        // The deepest common parent.
        let common = u.from.iter().zip(&u.to).take_while(|(a, b)| a == b).count();
        if common == 0 || common >= u.from.len() || common >= u.to.len() {
            continue;
        }
        let parent = u.from[..common].to_vec();
        let (a, b) = (u.from[common].clone(), u.to[common].clone());
        if a == b {
            continue;
        }
        edges
            .entry(parent)
            .or_default()
            .entry(a)
            .or_default()
            .entry(b)
            .or_insert_with(|| format!("{}:{}", u.file, u.line));
    }
    let mut out = Vec::new();
    for (parent, graph) in &edges {
        for start in graph.keys() {
            // Depth-first search for a way back to `start`.
            let mut stack = vec![(start.clone(), vec![start.clone()])];
            let mut seen = BTreeSet::new();
            while let Some((node, path)) = stack.pop() {
                for (next, witness) in graph.get(&node).into_iter().flatten() {
                    // Each cycle once: from its smallest member.
                    if next < start {
                        continue;
                    }
                    if next == start {
                        let mut shown: Vec<String> = path.clone();
                        shown.push(next.clone());
                        out.push(format!(
                            "{}: {} (the last step at {witness})",
                            parent.join("::"),
                            shown.join(" -> ")
                        ));
                    } else if seen.insert(next.clone()) {
                        let mut p = path.clone();
                        p.push(next.clone());
                        stack.push((next.clone(), p));
                    }
                }
            }
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_module_uses_only_modules_on_lower_floors() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let floors = floors(&lib);
    let unplaced: Vec<String> = declared(&lib)
        .into_iter()
        .filter(|m| !floors.contains_key(m))
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules on no floor of src/lib.rs: {unplaced:?}"
    );
    let uses = all_uses(&src());
    assert!(
        uses.len() > 200,
        "the scan finds the crate's imports ({})",
        uses.len()
    );
    let bad = violations(&uses, &floors);
    assert!(bad.is_empty(), "\n{}\n", bad.join("\n"));
}

#[test]
fn submodules_beside_each_other_form_no_cycle() {
    let cycles = sibling_cycles(&all_uses(&src()));
    assert!(cycles.is_empty(), "\n{}\n", cycles.join("\n"));
}

/// The check catches the cycles issue 11 found, planted in a copy of the floors.
#[test]
fn the_check_catches_the_cycles_it_was_written_for() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let floors = floors(&lib);
    let planted = [
        // fetch took its settings from config, which builds them from fetch.
        (
            "src/fetch/mod.rs",
            "use crate::config::{Proxy, SourceFetch};",
        ),
        // classify took `hex` from dedup, which took `normalize` from classify.
        ("src/dedup.rs", "use crate::classify::normalize;"),
        // parse took `html_to_text` from classify.
        (
            "src/parse/feed.rs",
            "use crate::classify::{html_to_text, strip_markup};",
        ),
        // the commands imported the command line that dispatches them, from below.
        (
            "src/poll/mod.rs",
            "    let e: crate::cli::CliError = todo();",
        ),
        // a grouped import, a nested one and a `super::` climbing out of its module.
        (
            "src/store/items.rs",
            "use crate::{model::X, publish::{Y, Z}};",
        ),
        ("src/text/fold.rs", "use super::super::config::Config;"),
    ];
    for (file, line) in planted {
        let rel = Path::new(file).strip_prefix("src").unwrap();
        let uses = uses_in(file, &module_of(rel), line);
        let bad = violations(&uses, &floors);
        assert!(!bad.is_empty(), "not caught: {file}: {line}");
        assert!(bad[0].starts_with(&format!("{file}:1: `")), "{bad:?}");
    }
    // Beside each other: parse::html and parse::detect using each other.
    let mut uses = uses_in(
        "src/parse/html.rs",
        &["parse".into(), "html".into()],
        "use super::detect::dates::read_named;",
    );
    uses.extend(uses_in(
        "src/parse/detect/mod.rs",
        &["parse".into(), "detect".into()],
        "use crate::parse::html::{Pick, Sel};",
    ));
    let cycles = sibling_cycles(&uses);
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert!(cycles[0].starts_with("parse: "), "{cycles:?}");
    // And nothing is reported for a use downwards, a comment or a string.
    let fine = uses_in(
        "src/poll/mod.rs",
        &["poll".into()],
        "use crate::store::Db; // crate::cli::x\nlet s = \"crate::daemon::y\";",
    );
    assert!(violations(&fine, &floors).is_empty(), "{fine:?}");
}
