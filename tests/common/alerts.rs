//! Helpers of the alert tests (`tests/alerts.rs`, `tests/alert_ops.rs`): a real SMTP
//! server (Debian's python3-aiosmtpd), the messages it received, a feed and a config.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::*;

/// A real SMTP server (aiosmtpd) on 127.0.0.1:`port`, writing each message it accepts
/// to a file in `dir`. Killed when dropped.
pub(crate) struct Smtp {
    _child: KillOnDrop,
    pub(crate) dir: PathBuf,
}

pub(crate) const SMTP_SERVER: &str = r#"
import os, sys, time, threading
from aiosmtpd.controller import Controller
out = sys.argv[1]
class Handler:
    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(out, "%d.eml" % time.time_ns())
        with open(name + ".tmp", "wb") as f:
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(name + ".tmp", name)
        return "250 2.0.0 queued as test"
c = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[2]))
c.start()
print("ready", flush=True)
sys.stdin.read()
"#;

/// Whether aiosmtpd can be imported (Debian's python3-aiosmtpd, /usr/bin/python3).
pub(crate) fn have_aiosmtpd() -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Smtp {
    pub(crate) fn start(port: u16, dir: &Path) -> Smtp {
        std::fs::create_dir_all(dir).unwrap();
        let mut child = Command::new("/usr/bin/python3")
            .args(["-c", SMTP_SERVER])
            .arg(dir)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start aiosmtpd");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "aiosmtpd did not start");
        Smtp {
            _child: KillOnDrop(child),
            dir: dir.to_path_buf(),
        }
    }

    /// The messages received so far, oldest first.
    pub(crate) fn messages(&self) -> Vec<String> {
        messages_in(&self.dir)
    }
}

pub(crate) fn messages_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// The value of header `name` in a raw message (first occurrence, unfolded).
pub(crate) fn header(msg: &str, name: &str) -> Option<String> {
    let head = msg.split("\r\n\r\n").next().unwrap_or(msg);
    let mut out: Option<String> = None;
    let mut taking = false;
    for line in head.split("\r\n") {
        if taking && line.starts_with([' ', '\t']) {
            // Unfolding removes the line break only (RFC 5322 2.2.3).
            out.as_mut().unwrap().push_str(line);
            continue;
        }
        taking = false;
        if out.is_none()
            && let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case(name)
        {
            out = Some(v.trim().to_string());
            taking = true;
        }
    }
    out
}

/// An RSS feed of (guid, title, description, days ago) items.
pub(crate) fn feed(items: &[(&str, &str, &str, i64)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>http://t/</link>",
    );
    for (guid, title, desc, days) in items {
        let date = (chrono::Utc::now() - chrono::Duration::days(*days)).to_rfc2822();
        s.push_str(&format!(
            "<item><title>{title}</title><link>http://t/{guid}</link><guid>{guid}</guid>\
             <description>{desc}</description><pubDate>{date}</pubDate></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

pub(crate) const OLD: (&str, &str, &str, i64) = (
    "old",
    "Urgent appeal: arbitrary detention of Ms. Ana Popescu",
    "Known before the first poll.",
    0,
);
pub(crate) const MOLDOVA: (&str, &str, &str, i64) = (
    "mda",
    "Moldova: Urgent appeal: arbitrary detention of Mr. Ion Rusu",
    "Mr. Rusu was detained in Chisinau on 3 May. <script>alert(1)</script>",
    0,
);
pub(crate) const QUIET: (&str, &str, &str, i64) =
    ("quiet", "Annual report published", "Nothing urgent.", 0);
pub(crate) const STALE: (&str, &str, &str, i64) = (
    "stale",
    "Urgent appeal: incommunicado detention of Mr. Petru Lungu",
    "Found late: published a month ago.",
    30,
);

/// A test's directory, feed and config.
pub(crate) struct Setup {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) config: PathBuf,
}

impl Setup {
    pub(crate) fn new(tail: &str, daemon_extra: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("feed.rss"), feed(&[OLD])).unwrap();
        let url = format!("file://{}", dir.path().join("feed.rss").display());
        let config = write_config_with(
            dir.path(),
            &[("omct-en", url, Some("en"))],
            daemon_extra,
            tail,
        );
        Setup { dir, config }
    }

    /// Replaces the feed at once (a running daemon must not read it half written).
    pub(crate) fn feed(&self, items: &[(&str, &str, &str, i64)]) {
        let tmp = self.dir.path().join("feed.rss.tmp");
        std::fs::write(&tmp, feed(items)).unwrap();
        std::fs::rename(&tmp, self.dir.path().join("feed.rss")).unwrap();
    }

    pub(crate) fn poll(&self) -> String {
        let o = tocsin(&self.config, &["poll", "--force"]);
        assert!(o.status.success(), "poll failed: {}", stderr(&o));
        stderr(&o)
    }

    pub(crate) fn channels(&self) -> Vec<serde_json::Value> {
        let o = tocsin(&self.config, &["notify", "list", "--json"]);
        assert!(o.status.success(), "notify list failed: {}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    }

    pub(crate) fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }
}

pub(crate) fn smtp_table(port: u16) -> String {
    format!(
        "\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"tocsin <alerts@example.org>\"\ntimeout = \"30s\"\n"
    )
}

/// Whether the test must be skipped for want of aiosmtpd: says so, loudly.
pub(crate) fn smtp_missing() -> bool {
    if have_aiosmtpd() {
        return false;
    }
    eprintln!(
        "SKIPPED: /usr/bin/python3 cannot import aiosmtpd (apt-get install python3-aiosmtpd)"
    );
    true
}
