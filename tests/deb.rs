//! The Debian package enables the unit on install (not started) and stops and disables
//! it on removal: built with cargo-deb, installed with dpkg here, the enablement read
//! from the `multi-user.target.wants` symlink that deb-systemd-helper makes (there is no
//! running systemd to ask). Building the package is a release build: this test runs
//! where cargo-deb is installed (`cargo install cargo-deb`) and skips loudly elsewhere
//! (CI does not install it, to stay under its time budget).

use std::path::{Path, PathBuf};
use std::process::Command;

fn have(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Builds the package; its path.
fn build() -> PathBuf {
    let o = Command::new("cargo")
        .args(["deb", "--locked", "--output"])
        .arg(root().join("target/debian-test"))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "cargo deb: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_dir(root().join("target/debian-test"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .expect("a .deb")
}

fn script(deb: &Path, name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new("dpkg-deb")
        .arg("-e")
        .arg(deb)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(dir.path().join(name)).unwrap_or_default()
}

#[test]
fn the_package_enables_the_unit_on_install_and_disables_it_on_removal() {
    if !have("cargo", &["deb", "--version"]) {
        eprintln!(
            "SKIPPED: cargo-deb is not installed (`cargo install cargo-deb`); the package's \
             maintainer scripts were not checked"
        );
        return;
    }
    let deb = build();
    let postinst = script(&deb, "postinst");
    assert!(postinst.contains("deb-systemd-helper"), "{postinst}");
    assert!(postinst.contains("enable"), "{postinst}");
    assert!(
        !postinst.contains("deb-systemd-invoke start")
            && !postinst.contains("deb-systemd-invoke $_dh_action"),
        "enabled, not started: {postinst}"
    );
    let prerm = script(&deb, "prerm");
    assert!(prerm.contains("deb-systemd-invoke stop"), "{prerm}");
    let postrm = script(&deb, "postrm");
    assert!(postrm.contains("deb-systemd-helper"), "{postrm}");

    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root || !Path::new("/usr/bin/deb-systemd-helper").exists() {
        eprintln!("SKIPPED: not root or no deb-systemd-helper: the package was not installed");
        return;
    }
    let wants = Path::new("/etc/systemd/system/multi-user.target.wants/tocsin.service");
    let o = Command::new("dpkg").arg("-i").arg(&deb).output().unwrap();
    assert!(
        o.status.success(),
        "dpkg -i: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        wants.symlink_metadata().is_ok(),
        "enabled on install: {} missing",
        wants.display()
    );
    let o = Command::new("dpkg")
        .args(["-r", "tocsin"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "dpkg -r: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(wants.symlink_metadata().is_err(), "disabled on removal");
    // Purged, nothing of it is left enabled.
    let _ = Command::new("dpkg").args(["-P", "tocsin"]).output();
}
