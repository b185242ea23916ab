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

/// Builds the package (from a release build: the `deb` profile would rebuild every
/// dependency without debug information, and the scripts are what is tested); its path.
fn build() -> PathBuf {
    let out = root().join("target/debian-test");
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new("cargo")
        .args(["deb", "--locked", "--profile", "release", "--output"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "cargo deb: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_dir(&out)
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
    assert!(
        postinst.contains("deb-systemd-helper enable tocsin.service"),
        "{postinst}"
    );
    assert!(
        !postinst.contains("deb-systemd-invoke start"),
        "enabled, not started: {postinst}"
    );
    assert_eq!(
        postinst.matches("Automatically added by cargo-deb").count(),
        2,
        "each snippet once: {postinst}"
    );
    let prerm = script(&deb, "prerm");
    assert!(
        prerm.contains("deb-systemd-invoke stop tocsin.service"),
        "{prerm}"
    );
    let postrm = script(&deb, "postrm");
    assert!(
        postrm.contains("deb-systemd-helper purge tocsin.service"),
        "{postrm}"
    );

    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let helper = Path::new("/usr/bin/deb-systemd-helper").exists();
    let installed = Command::new("dpkg")
        .args(["-s", "tocsin"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !is_root || !helper || installed {
        eprintln!(
            "SKIPPED: not root, no deb-systemd-helper, or a tocsin package already installed \
             here: the package was not installed"
        );
        return;
    }
    let wants = Path::new("/etc/systemd/system/multi-user.target.wants/tocsin.service");
    let mask = Path::new("/etc/systemd/system/tocsin.service");
    let dpkg = |args: &[&str]| {
        let o = Command::new("dpkg").args(args).output().unwrap();
        assert!(
            o.status.success(),
            "dpkg {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    dpkg(&["-i", deb.to_str().unwrap()]);
    assert!(
        wants.symlink_metadata().is_ok(),
        "enabled on install: {} missing",
        wants.display()
    );
    dpkg(&["-r", "tocsin"]);
    // Removed: the unit is gone and masked (Debian's way: the enablement is kept for
    // a reinstall, and nothing can start it meanwhile).
    assert_eq!(
        std::fs::read_link(mask).ok().as_deref(),
        Some(Path::new("/dev/null")),
        "masked on removal"
    );
    dpkg(&["-P", "tocsin"]);
    assert!(wants.symlink_metadata().is_err(), "disabled on purge");
    assert!(mask.symlink_metadata().is_err(), "unmasked on purge");
}
