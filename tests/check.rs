//! `tocsin check`: a valid config passes; each kind of mistake is reported with the
//! file, line, column and key, and exit code 3.

mod common;

use common::*;

fn check(text: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(&path, text).unwrap();
    let o = tocsin(&path, &["check"]);
    let err = stderr(&o).replace(path.to_str().unwrap(), "CONFIG");
    (o.status.code(), stdout(&o), err)
}

const SOURCE: &str = "[[sources]]\nid = \"a\"\nurl = \"https://example.org/feed\"\n";

#[test]
fn the_shipped_config_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/tocsin.toml");
    let o = tocsin(&path, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(": OK ("), "{}", stdout(&o));
}

#[test]
fn a_minimal_config_is_valid() {
    let (code, out, _) = check(SOURCE);
    assert_eq!(code, Some(0));
    assert!(out.contains("OK (1 sources, 0 rules)"), "{out}");
}

#[test]
fn unknown_key_names_the_key_and_line() {
    let (code, _, err) = check(&format!("{SOURCE}shedule = \"0 * * * * *\"\n"));
    assert_eq!(code, Some(3));
    assert!(
        err.starts_with(
            "tocsin: CONFIG:4:1: sources[0].shedule: unknown field `shedule`, expected one of"
        ),
        "{err}"
    );
}

#[test]
fn five_field_cron_is_rejected_with_a_hint() {
    let (code, _, err) = check(&format!("{SOURCE}schedule = \"*/5 * * * *\"\n"));
    assert_eq!(code, Some(3));
    assert_eq!(
        err.trim(),
        "tocsin: CONFIG:4:1: sources[0].schedule: `*/5 * * * *` has 5 fields; tocsin needs 6 (seconds first, UTC), e.g. \"0 */10 * * * *\""
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = "[daemon]\nconcurrency = 0\n\n[[sources]]\nid = \"Bad_ID\"\nurl = \"ftp://x.org/f\"\n\n[[sources]]\nid = \"b\"\nurl = \"https://x.org/\"\n\n[[sources]]\nid = \"b\"\nurl = \"not a url\"\nlanguage = \"Romanian\"\n\n[[rules]]\nname = \"r\"\nkeywords = [\"x\"]\nfields = [\"titel\"]\n";
    let (code, _, err) = check(text);
    assert_eq!(code, Some(3));
    let expected = [
        "CONFIG:2:1: daemon.concurrency: 0 is out of range (1 to 256)",
        "CONFIG:5:1: sources[0].id: `Bad_ID` may use only a-z, 0-9 and -, and must not start with -",
        "CONFIG:6:1: sources[0].url: `ftp://x.org/f`: scheme `ftp` is not supported (use http, https or file)",
        "CONFIG:13:1: sources[2].id: duplicate source id `b`",
        "CONFIG:14:1: sources[2].url: `not a url` is not a URL: relative URL without a base",
        "CONFIG:15:1: sources[2].language: `Romanian` is not a language tag such as \"ro\" or \"en-GB\"",
        "CONFIG:20:11: rules[0].fields[0]: unknown field `titel`, expected one of `title`, `summary`, `content`, `categories`, `link`, `source`",
    ];
    for e in expected {
        assert!(err.contains(e), "missing {e:?} in:\n{err}");
    }
    assert_eq!(err.lines().count(), expected.len(), "{err}");
}

#[test]
fn toml_syntax_error_has_line_and_column() {
    let (code, _, err) = check("[daemon]\nschedule = \"0 * * * * *\n");
    assert_eq!(code, Some(3));
    assert!(err.starts_with("tocsin: CONFIG:2:"), "{err}");
    assert!(
        err.contains("invalid basic string") || err.contains("unterminated"),
        "{err}"
    );
}

#[test]
fn wrong_type_names_the_key() {
    let (code, _, err) = check("[output]\nmax_items = \"lots\"\n");
    assert_eq!(code, Some(3));
    assert!(
        err.starts_with(
            "tocsin: CONFIG:2:13: output.max_items: invalid type: string \"lots\", expected i64"
        ),
        "{err}"
    );
}

#[test]
fn missing_file_is_a_config_error() {
    let o = tocsin(std::path::Path::new("/nonexistent/tocsin.toml"), &["check"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("cannot read config file /nonexistent/tocsin.toml"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn fetch_keys_are_checked_globally_and_per_source() {
    let text = format!(
        "[fetch]\ntimeout = \"soon\"\nmax_body = \"lots\"\nmax_redirects = 50\nproxy = \"ftp://p\"\n\
         {SOURCE}max_body = \"0 KB\"\nconnect_timeout = \"0s\"\n"
    );
    let (code, _, err) = check(&text);
    assert_eq!(code, Some(3), "{err}");
    for want in [
        "CONFIG:2:1: fetch.timeout: `soon` is not a duration",
        "CONFIG:3:1: fetch.max_body: `lots` is not a byte size",
        "CONFIG:4:1: fetch.max_redirects: 50 is out of range (0 to 20)",
        "CONFIG:5:1: fetch.proxy: `ftp://p` is not a proxy",
        "CONFIG:9:1: sources[0].max_body: must be larger than 0",
        "CONFIG:10:1: sources[0].connect_timeout: must be longer than 0s",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    let ok = format!(
        "[fetch]\nmax_body = \"8 MiB\"\nhost_spacing = \"2s\"\nproxy = \"none\"\n\
         {SOURCE}max_body = \"512 KiB\"\ntimeout = \"1m\"\nproxy = \"http://127.0.0.1:3128\"\n"
    );
    let (code, _, err) = check(&ok);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn rule_matchers_are_checked_with_the_key_that_is_wrong() {
    let text = format!(
        "{SOURCE}\n[[rules]]\nname = \"r\"\nkeywords = [\"ab*c\"]\nregex = [\"(unclosed\"]\nsources = [\"a[\"]\nlanguages = [\"Romanian\"]\nunless = [\"--\"]\ntag = \" \"\n\n[[rules]]\nname = \"empty\"\n"
    );
    let (code, _, err) = check(&text);
    assert_eq!(code, Some(3));
    for want in [
        "CONFIG:7:13: rules[0].keywords[0]: `ab*c` is not a phrase to match",
        "CONFIG:8:10: rules[0].regex[0]: `(unclosed` is not a valid regular expression: unclosed group\n",
        "CONFIG:9:12: rules[0].sources[0]: `a[` is not a valid glob",
        "CONFIG:10:14: rules[0].languages[0]: `Romanian` is not a primary language tag",
        "CONFIG:11:11: rules[0].unless[0]: `--` is not a phrase to match",
        "CONFIG:12:1: rules[0].tag: must not be empty",
        "rules[1].keywords: rule `empty` has nothing to match",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
}

#[test]
fn a_scope_alone_is_a_rule() {
    let text = format!(
        "{SOURCE}\n[[rules]]\nname = \"amnesty-prior\"\nsources = [\"amnesty-*\"]\nweight = 0.2\n"
    );
    let (code, out, err) = check(&text);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("1 rules"), "{out}");
}

#[test]
fn the_packaged_config_is_the_shipped_one_with_system_paths() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let packaged = root.join("config/tocsin.packaged.toml");
    let o = tocsin(&packaged, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let settings = |p: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    };
    let dev = settings(&root.join("config/tocsin.toml"));
    let pkg = settings(&packaged);
    assert_eq!(dev.len(), pkg.len(), "same keys in both");
    for (d, p) in dev.iter().zip(&pkg) {
        if d != p {
            assert!(
                (d.starts_with("database = ") && p == "database = \"/var/lib/tocsin/tocsin.db\"")
                    || (d.starts_with("dir = ") && p == "dir = \"/var/lib/tocsin/public\""),
                "the packaged config differs beyond its paths:\n  {d}\n  {p}"
            );
        }
    }
}

#[test]
fn regexes_that_compile_alone_but_not_as_one_set_are_refused_with_the_rule() {
    // Issue 10: each `\w{200}` compiles, the two do not fit one RegexSet; `poll` and
    // `run` panicked on it. `check` (and so `poll`, `run` and a reload) refuses it and
    // names the rule, the key, the line and the column.
    let text = format!(
        "{SOURCE}\n[[rules]]\nname = \"ok\"\nkeywords = [\"urgent\"]\n\n[[rules]]\nname = \"words\"\nregex = [\"\\\\w{{200}}\", \"\\\\w{{200}}\"]\n"
    );
    let (code, _, err) = check(&text);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.starts_with(
            "tocsin: CONFIG:11:22: rules[1].regex[1]: `\\w{200}` does not fit with the regex before it"
        ),
        "{err}"
    );
    assert!(err.contains("size limit"), "{err}");

    // `poll` reads the same config: it exits 3 with the same message, no panic.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(
        &path,
        format!(
            "[daemon]\ndatabase = \"{}\"\n{text}",
            dir.path().join("t.db").display()
        ),
    )
    .unwrap();
    let o = tocsin(&path, &["poll"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("rules[1].regex[1]"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn durations_and_sizes_past_what_the_daemon_can_compute_are_refused() {
    // Both were accepted: a retention age past chrono's range panicked in `run`, a
    // max_body near u64::MAX overflowed when a file source was read.
    let (code, _, err) = check(&format!(
        "[retention]\nmax_age = \"500000000years\"\n[fetch]\nmax_body = \"18446744073709551615\"\n{SOURCE}"
    ));
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains(
            "CONFIG:2:1: retention.max_age: `500000000years` is too long: at most 100 years"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "CONFIG:4:1: fetch.max_body: 18446744073709551615 bytes is too large: at most 1 GiB"
        ),
        "{err}"
    );
}

#[test]
fn a_user_agent_that_is_no_http_header_is_refused() {
    // It panicked when the HTTP clients were built.
    let (code, _, err) = check(&format!(
        "[daemon]\nuser_agent = \"tocsin (+http://x)\\nX-Evil: 1\"\n{SOURCE}"
    ));
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("CONFIG:2:1: daemon.user_agent: must be one line of printable characters"),
        "{err}"
    );
}

#[test]
fn an_inherited_bad_schedule_is_reported_once() {
    let text = format!(
        "[daemon]\nschedule = \"*/5 * * * *\"\n\n{SOURCE}\n[[sources]]\nid = \"b\"\nurl = \"https://example.org/b\"\n"
    );
    let (code, _, err) = check(&text);
    assert_eq!(code, Some(3));
    assert_eq!(err.matches("has 5 fields").count(), 1, "{err}");
    assert!(err.contains("daemon.schedule"), "{err}");
}

#[test]
fn the_example_contact_in_user_agent_is_a_warning() {
    let (code, out, err) = check(&format!(
        "[daemon]\nuser_agent = \"tocsin/0.1 (+https://example.org/contact)\"\n\n{SOURCE}"
    ));
    assert_eq!(code, Some(0), "a warning, not an error: {err}");
    let all = format!("{out}{err}");
    assert!(all.contains("still has the example contact"), "{all}");
    let (_, out, err) = check(&format!(
        "[daemon]\nuser_agent = \"tocsin/0.1 (+https://ngo.md/contact)\"\n\n{SOURCE}"
    ));
    assert!(!format!("{out}{err}").contains("example contact"));
}

/// Sources that override no `[fetch]` setting share one copy of it (10,000 sources
/// held 10,000 copies); a source that overrides one has its own, with the override.
#[test]
fn sources_without_fetch_overrides_share_the_global_settings() {
    let text = "[fetch]\nmax_body = \"2 MiB\"\nproxy = \"none\"\n\
                [[sources]]\nid = \"a\"\nurl = \"https://example.org/a\"\n\
                [[sources]]\nid = \"b\"\nurl = \"https://example.org/b\"\nmax_body = \"1 MiB\"\n\
                [[sources]]\nid = \"c\"\nurl = \"https://example.org/c\"\nmax_body = \"2 MiB\"\n";
    let config =
        tocsin::config::Config::from_str_at(text, std::path::Path::new("/tmp/x.toml")).unwrap();
    let [a, b, c] = &config.sources[..] else {
        panic!("three sources")
    };
    assert!(std::sync::Arc::ptr_eq(&a.fetch, &c.fetch));
    assert!(!std::sync::Arc::ptr_eq(&a.fetch, &b.fetch));
    assert_eq!(a.fetch.limits.max_body, 2 << 20);
    assert_eq!(b.fetch.limits.max_body, 1 << 20);
    assert_eq!(*a.fetch, config.fetch.for_source());
    assert_eq!(b.fetch.proxy, tocsin::fetch::Proxy::Direct);
}
