//! Operator tooling: OPML export/import, completions and man page, the systemd unit.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn opml_export_then_import_round_trips() {
    let shipped = root().join("config/tocsin.toml");
    let o = tocsin(&shipped, &["opml", "export"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let opml = stdout(&o);
    assert!(
        opml.contains("xmlUrl=\"https://promolex.md/feed/\""),
        "{opml}"
    );
    assert!(
        opml.contains("type=\"link\""),
        "HTML listings are links, not feeds: {opml}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sources.opml");
    std::fs::write(&file, &opml).unwrap();
    // Into the same config: everything is already there.
    let o = tocsin(&shipped, &["opml", "import", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).contains("[[sources]]"), "{}", stdout(&o));
    assert!(stdout(&o).contains("already configured as `promolex-ro`"));

    // Into an empty config: entries that make a valid config.
    let empty = write_config(dir.path(), &[], "");
    let o = tocsin(&empty, &["opml", "import", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let entries = stdout(&o);
    let feeds = opml.matches("type=\"rss\"").count();
    assert_eq!(entries.matches("[[sources]]").count(), feeds, "{entries}");
    assert!(
        entries.contains("id = \"promo-lex\"") && entries.contains("id = \"promo-lex-2\""),
        "{entries}"
    );
    let mut text = std::fs::read_to_string(&empty).unwrap();
    text.push_str(&entries);
    std::fs::write(&empty, text).unwrap();
    let o = tocsin(&empty, &["check"]);
    assert!(
        o.status.success(),
        "imported entries must be valid: {}",
        stderr(&o)
    );

    std::fs::write(&file, "<html>not opml</html>").unwrap();
    let o = tocsin(&empty, &["opml", "import", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("not an OPML document"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn shipped_man_page_and_completions_are_current() {
    let config = root().join("config/tocsin.toml");
    for (args, file) in [
        (vec!["man"], "dist/tocsin.1"),
        (vec!["completions", "bash"], "dist/completions/tocsin.bash"),
        (vec!["completions", "zsh"], "dist/completions/_tocsin"),
        (vec!["completions", "fish"], "dist/completions/tocsin.fish"),
    ] {
        let o = tocsin(&config, &args);
        assert!(o.status.success());
        let shipped = std::fs::read(root().join(file)).unwrap();
        assert!(
            o.stdout == shipped,
            "{file} is stale ({}): run dist/regenerate.sh",
            args.join(" ")
        );
    }
}

fn analyze(args: &[&str]) -> Option<std::process::Output> {
    if !have("systemd-analyze") {
        eprintln!("SKIPPED: systemd-analyze is not installed (Debian package systemd)");
        return None;
    }
    Some(Command::new("systemd-analyze").args(args).output().unwrap())
}

#[test]
fn systemd_unit_verifies_and_is_hardened() {
    let unit = root().join("systemd/tocsin.service");
    let Some(o) = analyze(&["security", "--offline=yes", unit.to_str().unwrap()]) else {
        return;
    };
    let text = stdout(&o);
    let score: f64 = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for tocsin.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no score in:\n{text}{}", stderr(&o)));
    eprintln!("systemd-analyze security: {score}");
    assert!(score <= 1.5, "exposure {score} > 1.5:\n{text}");

    // Connections cannot take every file descriptor (see src/serve/accept.rs).
    let unit_text = std::fs::read_to_string(&unit).unwrap();
    assert!(
        unit_text.lines().any(|l| l == "LimitNOFILE=4096"),
        "the unit sets LimitNOFILE"
    );

    // `verify` checks that ExecStart exists: point it at the binary under test.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("tocsin.service");
    let text = std::fs::read_to_string(&unit)
        .unwrap()
        .replace("/usr/bin/tocsin", env!("CARGO_BIN_EXE_tocsin"));
    std::fs::write(&copy, text).unwrap();
    let o = analyze(&["verify", copy.to_str().unwrap()]).unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}
