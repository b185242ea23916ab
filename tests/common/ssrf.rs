//! Helpers of the fetch-policy tests (`tests/ssrf.rs`, `tests/ssrf_hosts.rs`): polls
//! and their output, what was stored and published, listings and configs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::*;
/// Lines a `poll` printed for `id`.
pub(crate) fn lines_of<'a>(out: &'a str, id: &str) -> Vec<&'a str> {
    out.lines()
        .filter(|l| l.split_whitespace().next() == Some(id))
        .collect()
}

/// The one line of `out` that mentions `needle`.
pub(crate) fn line_with<'a>(out: &'a str, needle: &str) -> &'a str {
    let found: Vec<&str> = out.lines().filter(|l| l.contains(needle)).collect();
    assert_eq!(found.len(), 1, "one line with {needle:?} in:\n{out}");
    found[0]
}

/// `tocsin poll --force` (a source that failed is polled again at once) with extra
/// environment and no proxy variables but those; returns (stdout, stderr).
pub(crate) fn poll_env(config: &Path, env: &[(&str, &str)]) -> (String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tocsin"));
    cmd.arg("--config")
        .arg(config)
        .args(["poll", "--force"])
        .env_remove("RUST_LOG");
    // No proxy from the environment unless the test sets one: names are then checked
    // by the resolver at connect time, not before a proxy.
    for k in tocsin::fetch::policy::PROXY_ENV_VARS {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o: Output = cmd.output().expect("run tocsin");
    assert!(o.status.success(), "{}", stderr(&o));
    (stdout(&o), stderr(&o))
}

pub(crate) fn poll(config: &Path) -> String {
    poll_env(config, &[]).0
}

/// Every published document (`urgent.*`, `all.*`, `index.html`…) as one text.
pub(crate) fn published(dir: &Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.join("var/public")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
            }
        }
    }
    assert!(out.contains("<feed"), "the outputs were written");
    out
}

/// Everything stored: the items as `items --json` prints them, and every byte of the
/// database files (its WAL included), for what `items` does not print (bodies).
pub(crate) fn stored(config: &Path) -> String {
    let mut out = items_json(config, &[])
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let var = config.parent().unwrap().join("var");
    for e in std::fs::read_dir(var).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("tocsin.db") {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()));
        }
    }
    out
}

/// The bodies of the published items (`all.json`'s `content_html`).
pub(crate) fn published_bodies(dir: &Path) -> Vec<String> {
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("var/public/all.json")).unwrap())
            .unwrap();
    all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["content_html"].as_str().map(str::to_string))
        .collect()
}

/// A listing page: one `.card` per (href, title), and a `next` link when given.
pub(crate) fn listing(head: &str, cards: &[(&str, &str)], next: Option<&str>) -> String {
    let mut s = format!("<!doctype html><html><head>{head}<title>Listing</title></head><body>\n");
    for (href, title) in cards {
        s.push_str(&format!(
            "<div class=\"card\"><a href=\"{href}\"><span class=\"t\">{title}</span></a></div>\n"
        ));
    }
    if let Some(n) = next {
        s.push_str(&format!("<a rel=\"next\" href=\"{n}\">next</a>\n"));
    }
    s.push_str("</body></html>\n");
    s
}

/// An html source reading `.card`s, following each item page for its `body`.
pub(crate) fn html_source(id: &str, url: &str, source_extra: &str, html_extra: &str) -> String {
    format!(
        "\n[[sources]]\nid = \"{id}\"\nkind = \"html\"\nurl = \"{url}\"\n{source_extra}\n\
         [sources.html]\nitem = \".card\"\ntitle = \".t\"\nlink = \"a@href\"\nfollow = true\n\
         content = \"body\"\nnext = \"a[rel=next]\"\n{html_extra}\n"
    )
}

/// A config with `[fetch]` keys and sources (no spacing between requests to a host).
pub(crate) fn make_config(dir: &Path, fetch: &str, sources: &str) -> PathBuf {
    write_config_with(
        dir,
        &[],
        "",
        &format!("\n[fetch]\nhost_spacing = \"0s\"\n{fetch}\n{sources}"),
    )
}

/// An item page whose body would show up in the store if it were ever fetched.
pub(crate) fn secret_page(marker: &str) -> Route {
    Route::ok(
        "text/html",
        format!("<html><body><p>internal {marker}</p></body></html>"),
    )
}
