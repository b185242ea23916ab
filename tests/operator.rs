//! What an operator meets at the command line (issue 14): pipes into `head` end
//! quietly.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use common::*;

/// Runs `tocsin ARGS` with its standard output closed before it writes, as `| head -0`
/// does, and checks that it ends as Unix tools do: no "Broken pipe" message, and either
/// success or death by SIGPIPE (which shells do not report).
fn closed_pipe(config: &std::path::Path, args: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("--config")
        .arg(config)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() || o.status.signal() == Some(libc::SIGPIPE),
        "{args:?}: {:?} {err}",
        o.status
    );
    assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
}

#[test]
fn commands_piped_into_head_end_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let titles: Vec<String> = (0..300)
        .map(|n| format!("Urgent appeal number {n}"))
        .collect();
    let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
    std::fs::write(dir.path().join("f.rss"), rss_titles(&refs)).unwrap();
    let config = write_config(
        dir.path(),
        &[(
            "src",
            format!("file://{}", dir.path().join("f.rss").display()),
            None,
        )],
        "",
    );
    assert!(tocsin(&config, &["poll"]).status.success());
    for args in [
        &["man"][..],
        &["status"],
        &["status", "--json"],
        &["items", "--limit", "300"],
        &["items", "--json", "--limit", "300"],
    ] {
        closed_pipe(&config, args);
    }
}

/// The journal reads well: no Rust debug text, a failure says its source and URL once,
/// a new urgent item is logged with its title.
#[test]
fn the_log_reads_well_in_journalctl() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("f.rss"),
        rss_titles(&["Urgent appeal: release Ion Popescu"]),
    )
    .unwrap();
    let missing = format!("file://{}/gone.rss", dir.path().display());
    let config = write_config(
        dir.path(),
        &[
            (
                "good",
                format!("file://{}", dir.path().join("f.rss").display()),
                None,
            ),
            ("gone", missing.clone(), None),
        ],
        "",
    );
    let mut d = common::daemon::RunningDaemon::start(&config, &[]);
    d.wait_for(
        |l| l.contains("new urgent item"),
        std::time::Duration::from_secs(30),
    );
    d.wait_for(
        |l| l.contains("poll failed"),
        std::time::Duration::from_secs(30),
    );
    let log = d.log.join("\n");
    let urgent = d
        .log
        .iter()
        .find(|l| l.contains("new urgent item"))
        .unwrap();
    assert!(
        urgent.contains("title=Urgent appeal: release Ion Popescu"),
        "{urgent}"
    );
    let polled = d.log.iter().find(|l| l.contains(" polled")).unwrap();
    assert!(polled.contains("how=parsed"), "{polled}");
    assert!(
        !log.contains("Parsed {") && !log.contains("NotModified"),
        "{log}"
    );
    let failed = d.log.iter().find(|l| l.contains("poll failed")).unwrap();
    assert_eq!(failed.matches("gone.rss").count(), 1, "{failed}");
    assert_eq!(
        failed.matches("gone").count(),
        2,
        "source=gone and the URL: {failed}"
    );
}

/// `tocsin poll` says a failure once: on its summary line, not again in a log line.
#[test]
fn a_one_shot_poll_prints_a_failure_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &[(
            "gone",
            format!("file://{}/gone.rss", dir.path().display()),
            None,
        )],
        "",
    );
    let o = tocsin(&config, &["poll"]);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(all.matches("cannot read file").count(), 1, "{all}");
}

/// The man page is one an operator can use: the commands, where the files are, what
/// the exit codes mean; no per-command pages that are not shipped.
#[test]
fn the_man_page_is_an_operator_page() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dist/tocsin.1"),
    )
    .unwrap();
    for section in [
        ".SH COMMANDS",
        ".SH \"CONFIGURATION\"",
        ".SH \"FILES\"",
        ".SH \"EXIT STATUS\"",
        ".SH \"ENVIRONMENT\"",
    ] {
        assert!(page.contains(section), "{section} missing");
    }
    assert!(!page.contains("tocsin\\-run(1)") && !page.contains("tocsin-run(1)"));
    assert!(page.contains("/etc/tocsin/tocsin.toml"));
    assert!(page.contains("\\fBtocsin mark\\fR"));
}

/// Under the unit's `UMask=0077` the published files are still readable by a web server
/// on the same host: they are public documents (0644, directories 0755).
#[test]
fn published_files_are_readable_by_a_web_server_under_a_strict_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.rss"), rss_titles(&["Urgent appeal: X"])).unwrap();
    let config = write_config(
        dir.path(),
        &[(
            "src",
            format!("file://{}", dir.path().join("f.rss").display()),
            None,
        )],
        "",
    );
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 077; exec '{}' --config '{}' poll",
            env!("CARGO_BIN_EXE_tocsin"),
            config.display()
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let public = dir.path().join("var/public");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&public), 0o755);
    for f in ["urgent.atom", "index.html", "all.json", "sources.opml"] {
        assert_eq!(mode(&public.join(f)), 0o644, "{f}");
    }
}

/// The drop-in that publishes the files for a web server keeps the unit's exposure
/// (`systemd-analyze security`) where it is.
#[test]
fn the_file_publishing_drop_in_keeps_the_unit_hardened() {
    let exposure = |unit: &std::path::Path| -> Option<f64> {
        let o = Command::new("systemd-analyze")
            .args(["security", "--offline=yes"])
            .arg(unit)
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        text.lines()
            .find_map(|l| {
                l.split("Overall exposure level for tocsin.service: ")
                    .nth(1)
            })
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("systemd/tocsin.service")).unwrap();
    let drop_in = std::fs::read_to_string(root.join("dist/tocsin-files.conf")).unwrap();
    let service_lines: String = drop_in
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('[') && !l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(service_lines.contains("RuntimeDirectory=tocsin"));
    let combined = unit.replace("[Install]", &format!("{service_lines}\n[Install]"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.service");
    std::fs::write(&path, combined).unwrap();
    let (Some(base), Some(with)) = (
        exposure(&root.join("systemd/tocsin.service")),
        exposure(&path),
    ) else {
        eprintln!("SKIPPED: systemd-analyze security is not available");
        return;
    };
    assert!(with <= base, "exposure {with} > {base} with the drop-in");
}
