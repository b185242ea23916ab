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
