//! Alerts end to end (issue 12): a real SMTP server (Debian's python3-aiosmtpd, started
//! by the test) receiving real messages, and an HTTP receiver checking the webhooks'
//! HMAC; the daemon driven as operators drive it (`tocsin poll`, `tocsin run` with
//! SIGHUP, `kill -9`). Nothing sleeps for timing: retries are configured in
//! milliseconds and each wait polls for the expected state with a deadline.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::daemon::{RunningDaemon, eventually};
use common::*;

/// A real SMTP server (aiosmtpd) on 127.0.0.1:`port`, writing each message it accepts
/// to a file in `dir`. Killed when dropped.
struct Smtp {
    _child: KillOnDrop,
    dir: PathBuf,
}

const SMTP_SERVER: &str = r#"
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
fn have_aiosmtpd() -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Smtp {
    fn start(port: u16, dir: &Path) -> Smtp {
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
    fn messages(&self) -> Vec<String> {
        messages_in(&self.dir)
    }
}

fn messages_in(dir: &Path) -> Vec<String> {
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
fn header(msg: &str, name: &str) -> Option<String> {
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
fn feed(items: &[(&str, &str, &str, i64)]) -> String {
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

const OLD: (&str, &str, &str, i64) = (
    "old",
    "Urgent appeal: arbitrary detention of Ms. Ana Popescu",
    "Known before the first poll.",
    0,
);
const MOLDOVA: (&str, &str, &str, i64) = (
    "mda",
    "Moldova: Urgent appeal: arbitrary detention of Mr. Ion Rusu",
    "Mr. Rusu was detained in Chisinau on 3 May. <script>alert(1)</script>",
    0,
);
const QUIET: (&str, &str, &str, i64) = ("quiet", "Annual report published", "Nothing urgent.", 0);
const STALE: (&str, &str, &str, i64) = (
    "stale",
    "Urgent appeal: incommunicado detention of Mr. Petru Lungu",
    "Found late: published a month ago.",
    30,
);

/// A test's directory, feed and config.
struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Setup {
    fn new(tail: &str, daemon_extra: &str) -> Setup {
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
    fn feed(&self, items: &[(&str, &str, &str, i64)]) {
        let tmp = self.dir.path().join("feed.rss.tmp");
        std::fs::write(&tmp, feed(items)).unwrap();
        std::fs::rename(&tmp, self.dir.path().join("feed.rss")).unwrap();
    }

    fn poll(&self) -> String {
        let o = tocsin(&self.config, &["poll", "--force"]);
        assert!(o.status.success(), "poll failed: {}", stderr(&o));
        stderr(&o)
    }

    fn channels(&self) -> Vec<serde_json::Value> {
        let o = tocsin(&self.config, &["notify", "list", "--json"]);
        assert!(o.status.success(), "notify list failed: {}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }
}

fn smtp_table(port: u16) -> String {
    format!(
        "\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"tocsin <alerts@example.org>\"\ntimeout = \"5s\"\n"
    )
}

macro_rules! need_smtp {
    () => {
        if !have_aiosmtpd() {
            eprintln!("SKIPPED: /usr/bin/python3 cannot import aiosmtpd (apt-get install python3-aiosmtpd)");
            return;
        }
    };
}

#[test]
fn a_new_urgent_case_is_mailed_once_per_matching_channel_and_never_again() {
    need_smtp!();
    let port = free_port();
    let tail = format!(
        "{}
[[notify]]
id = \"all\"
kind = \"email\"
to = [\"desk@example.org\"]
unsubscribe = \"mailto:admin@example.org?subject=unsubscribe\"

[[notify]]
id = \"moldova\"
kind = \"email\"
to = [\"Moldova desk <md@example.org>\"]
countries = [\"MDA\"]
sources = [\"omct-*\"]

[[notify]]
id = \"french\"
kind = \"email\"
to = [\"fr@example.org\"]
languages = [\"fr\"]
",
        smtp_table(port)
    );
    let s = Setup::new(&tail, "");
    let smtp = Smtp::start(port, &s.mail_dir());

    // The first poll is the source's history: nothing is sent.
    s.poll();
    assert!(smtp.messages().is_empty(), "{:?}", smtp.messages());

    // One new urgent case, one non-urgent item, one urgent but older than max_age.
    s.feed(&[OLD, MOLDOVA, QUIET, STALE]);
    s.poll();
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 2, "one per matching channel: {msgs:#?}");
    let to: Vec<String> = msgs
        .iter()
        .map(|m| header(m, "X-Envelope-To").unwrap())
        .collect();
    assert!(to.contains(&"desk@example.org".to_string()), "{to:?}");
    assert!(to.contains(&"md@example.org".to_string()), "{to:?}");
    for m in &msgs {
        let subject = header(m, "Subject").unwrap();
        assert!(subject.contains("Ion Rusu"), "{subject}");
        let id = header(m, "Message-ID").unwrap();
        assert!(id.ends_with("@feeds.example.org>"), "{id}");
        assert_eq!(header(m, "From").unwrap(), "tocsin <alerts@example.org>");
        assert_eq!(header(m, "Auto-Submitted").unwrap(), "auto-generated");
        assert_eq!(header(m, "X-Tocsin-Event").unwrap(), "case");
        assert!(header(m, "List-Id").is_some());
        assert!(m.contains("multipart/alternative"), "{m}");
        assert!(m.contains("text/plain") && m.contains("text/html"), "{m}");
        assert!(m.contains("Moldova (MDA)"), "the country: {m}");
        assert!(m.contains("urgent-appeal"), "the reason: {m}");
        assert!(m.contains("http://t/mda"), "the link: {m}");
        assert!(!m.contains("<script>"), "the excerpt is sanitised: {m}");
    }
    let all = msgs
        .iter()
        .find(|m| header(m, "X-Envelope-To").unwrap() == "desk@example.org")
        .unwrap();
    assert_eq!(
        header(all, "List-Unsubscribe").unwrap(),
        "<mailto:admin@example.org?subject=unsubscribe>"
    );
    let ids: Vec<String> = msgs
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    assert_ne!(ids[0], ids[1], "a Message-ID per case and channel");

    // The same feed again, and a process started anew: nothing more.
    s.poll();
    s.poll();
    assert_eq!(smtp.messages().len(), 2);
    let list = s.channels();
    let sent = |id: &str| {
        list.iter().find(|c| c["id"] == id).unwrap()["sent"]
            .as_i64()
            .unwrap()
    };
    assert_eq!((sent("all"), sent("moldova"), sent("french")), (1, 1, 0));
}

#[test]
fn webhooks_carry_a_versioned_json_body_a_delivery_id_and_an_hmac_signature() {
    let hooks = FixtureServer::start();
    hooks.set("/hook", Route::ok("text/plain", "thanks"));
    let secret_dir = tempfile::tempdir().unwrap();
    let secret = secret_dir.path().join("hook.secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let tail = format!(
        "
[[notify]]
id = \"hook\"
kind = \"webhook\"
url = \"{}\"
secret_file = \"{}\"
",
        hooks.url("/hook"),
        secret.display()
    );
    let s = Setup::new(&tail, "");
    s.poll();
    assert!(hooks.seen("/hook").is_empty());
    s.feed(&[OLD, MOLDOVA]);
    s.poll();
    let seen = hooks.seen("/hook");
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.header("Content-Type"), Some("application/json"));
    assert_eq!(req.header("X-Tocsin-Event"), Some("case"));
    let expected = tocsin::alert::signature(b"s3cret", &req.body);
    assert_eq!(req.header("X-Tocsin-Signature"), Some(expected.as_str()));
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["version"], 1);
    assert_eq!(body["event"], "case");
    assert_eq!(body["channel"], "hook");
    assert_eq!(
        body["delivery"].as_str(),
        req.header("X-Tocsin-Delivery"),
        "the delivery id, in the body and the header"
    );
    assert_eq!(body["feed_url"], "http://feeds.example.org/urgent.atom");
    let item = &body["item"];
    assert!(item["title"].as_str().unwrap().contains("Ion Rusu"));
    assert_eq!(item["url"], "http://t/mda");
    assert!(item["date_published"].is_string());
    assert_eq!(item["_tocsin"]["countries"][0]["code"], "MDA");
    assert_eq!(item["_tocsin"]["source"]["id"], "omct-en");
    assert_eq!(item["_tocsin"]["reasons"][0]["rule"], "urgent-appeal");
    assert!(!item["content_html"].as_str().unwrap().contains("script"));
}

#[test]
fn a_digest_channel_waits_for_its_schedule_and_a_storm_becomes_one_digest() {
    need_smtp!();
    let port = free_port();
    let tail = format!(
        "{}
[[notify]]
id = \"morning\"
kind = \"email\"
to = [\"digest@example.org\"]
mode = \"digest\"
schedule = \"0 0 7 * * *\"

[[notify]]
id = \"storm\"
kind = \"email\"
to = [\"storm@example.org\"]
burst = 2
",
        smtp_table(port)
    );
    let s = Setup::new(&tail, "");
    let smtp = Smtp::start(port, &s.mail_dir());
    s.poll();
    let three = [
        OLD,
        (
            "a",
            "Urgent appeal: arbitrary detention of Mr. Andrei Ciobanu",
            "First.",
            0,
        ),
        (
            "b",
            "Urgent appeal: torture of Mr. Victor Rotari in custody",
            "Second.",
            0,
        ),
        (
            "c",
            "Urgent appeal: threats against lawyer Elena Munteanu",
            "Third.",
            0,
        ),
    ];
    s.feed(&three);
    s.poll();
    // The storm channel: three due at once with burst = 2, one digest.
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1, "{msgs:#?}");
    assert_eq!(
        header(&msgs[0], "X-Envelope-To").unwrap(),
        "storm@example.org"
    );
    assert_eq!(header(&msgs[0], "X-Tocsin-Event").unwrap(), "digest");
    assert!(
        header(&msgs[0], "Subject")
            .unwrap()
            .contains("3 urgent cases")
    );
    for name in ["Andrei Ciobanu", "Victor Rotari", "Elena Munteanu"] {
        assert!(msgs[0].contains(name), "{name} in the storm digest");
    }
    // The digest channel has them queued until 07:00 UTC: drive its tick directly.
    let morning =
        |list: &[serde_json::Value]| list.iter().find(|c| c["id"] == "morning").cloned().unwrap();
    assert_eq!(morning(&s.channels())["queued"], 3);
    let config = tocsin::config::Config::load(&s.config).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let d = tocsin::daemon::Daemon::new(config).unwrap();
        let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
        let report = d.alerts.pass_at(&d.db, tomorrow).await.unwrap();
        assert_eq!(report.sent, 1, "{report:?}");
        // Another pass later sends nothing more, and with nothing due it writes
        // nothing either (an idle daemon runs one every 30 s): another connection sees
        // the database unchanged.
        let watcher = rusqlite::Connection::open(&d.config.daemon.database).unwrap();
        let version = |c: &rusqlite::Connection| -> i64 {
            c.pragma_query_value(None, "data_version", |r| r.get(0))
                .unwrap()
        };
        let before = version(&watcher);
        let report = d.alerts.pass_at(&d.db, tomorrow).await.unwrap();
        assert_eq!(report.sent, 0);
        assert_eq!(version(&watcher), before, "an idle alert pass wrote");
    });
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 2);
    let digest = msgs
        .iter()
        .find(|m| header(m, "X-Envelope-To").unwrap() == "digest@example.org")
        .unwrap();
    assert!(
        header(digest, "Subject")
            .unwrap()
            .contains("3 urgent cases")
    );
    assert_eq!(morning(&s.channels())["queued"], 0);
}

#[test]
fn an_smtp_server_down_then_up_gets_the_alert_once() {
    need_smtp!();
    let port = free_port();
    let tail = format!(
        "{}
[[notify]]
id = \"desk\"
kind = \"email\"
to = [\"desk@example.org\"]
retry_base = \"10ms\"
retry_cap = \"20ms\"
",
        smtp_table(port)
    );
    let s = Setup::new(&tail, "");
    s.poll();
    s.feed(&[OLD, MOLDOVA]);
    // Nobody listens on the port: the alert stays in the outbox.
    s.poll();
    let desk = s.channels().remove(0);
    assert_eq!(desk["pending"], 1, "{desk}");
    assert!(
        desk["last_error"].as_str().unwrap().contains("SMTP"),
        "{desk}"
    );
    let o = tocsin(&s.config, &["status"]);
    assert!(
        stdout(&o).contains("desk"),
        "status shows the channel: {}",
        stdout(&o)
    );

    let smtp = Smtp::start(port, &s.mail_dir());
    eventually(Duration::from_secs(30), "the retry", || {
        s.poll();
        smtp.messages().len() == 1
    });
    s.poll();
    assert_eq!(smtp.messages().len(), 1, "delivered once");
    let desk = s.channels().remove(0);
    assert_eq!(
        (desk["pending"].as_i64(), desk["sent"].as_i64()),
        (Some(0), Some(1))
    );
}

/// A fake SMTP server that takes one whole message and never confirms it: the sender
/// is killed while waiting for the `250`. Returns the message as received.
fn swallow_one(
    listener: TcpListener,
) -> (
    std::thread::JoinHandle<String>,
    std::sync::mpsc::Receiver<()>,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut conn, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        conn.write_all(b"220 hole ESMTP\r\n").unwrap();
        let mut data = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return data;
            }
            let cmd = line.to_ascii_uppercase();
            if cmd.starts_with("EHLO") {
                conn.write_all(b"250-hole\r\n250 8BITMIME\r\n").unwrap();
            } else if cmd.starts_with("DATA") {
                conn.write_all(b"354 go on\r\n").unwrap();
                loop {
                    let mut l = String::new();
                    if reader.read_line(&mut l).unwrap_or(0) == 0 || l == ".\r\n" {
                        break;
                    }
                    data.push_str(&l);
                }
                // Never answer: wait until the sender is gone.
                let _ = tx.send(());
                let mut rest = Vec::new();
                let _ = reader.read_to_end(&mut rest);
                return data;
            } else {
                conn.write_all(b"250 ok\r\n").unwrap();
            }
        }
    });
    (handle, rx)
}

#[test]
fn kill_9_between_store_and_send_loses_nothing_and_sends_once_with_the_same_id() {
    need_smtp!();
    let hole = TcpListener::bind("127.0.0.1:0").unwrap();
    let hole_port = hole.local_addr().unwrap().port();
    let tail = format!(
        "{}
[[notify]]
id = \"desk\"
kind = \"email\"
to = [\"desk@example.org\"]
",
        smtp_table(hole_port).replace("timeout = \"5s\"", "timeout = \"60s\"")
    );
    let s = Setup::new(&tail, "");
    s.poll();
    s.feed(&[OLD, MOLDOVA]);
    let (swallowed, received) = swallow_one(hole);
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .arg("--config")
            .arg(&s.config)
            .args(["poll", "--force"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The poll stored the item and its alert, and sent the whole message; the server's
    // confirmation never comes. kill -9 now.
    received
        .recv_timeout(Duration::from_secs(60))
        .expect("the message reached the server");
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let first = swallowed.join().unwrap();

    let port = free_port();
    let config = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        config.replace(&format!("port = {hole_port}"), &format!("port = {port}")),
    )
    .unwrap();
    let smtp = Smtp::start(port, &s.mail_dir());
    s.poll();
    s.poll();
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1, "delivered once after the restart");
    let id = header(&msgs[0], "Message-ID").unwrap();
    assert_eq!(
        header(
            &first.replace('\n', "\r\n").replace("\r\r\n", "\r\n"),
            "Message-ID"
        )
        .as_deref(),
        Some(id.as_str()),
        "the resend carries the Message-ID of the attempt cut short"
    );
}

#[test]
fn a_reload_adds_and_removes_channels_without_a_restart() {
    let hooks = FixtureServer::start();
    hooks.set("/a", Route::status(503));
    hooks.set("/b", Route::ok("text/plain", "ok"));
    let channel = |id: &str, path: &str| {
        format!(
            "\n[[notify]]\nid = \"{id}\"\nkind = \"webhook\"\nurl = \"{}\"\nretry_base = \"50ms\"\nretry_cap = \"100ms\"\n",
            hooks.url(path)
        )
    };
    let every_second = "schedule = \"* * * * * *\"";
    let s = Setup::new(&channel("a", "/a"), every_second);
    s.poll();
    let mut d = RunningDaemon::start(&s.config, &[]);
    s.feed(&[OLD, MOLDOVA]);
    // Channel a answers 503: its alert is retried.
    eventually(Duration::from_secs(30), "retries to a", || {
        hooks.seen("/a").len() >= 2
    });
    // The failing channel shows in /healthz (still 200: restarting would not help)
    // and /metrics.
    let (status, health) = d.get("/healthz");
    assert!(status.contains("200"), "{status}");
    assert!(health.contains("alerts: channel a: 1 pending"), "{health}");
    assert!(health.contains("503"), "{health}");
    let (_, metrics) = d.get("/metrics");
    assert!(
        metrics.contains("tocsin_alert_messages{channel=\"a\",state=\"pending\"} 1"),
        "{metrics}"
    );
    // Channel a removed, b added: a's pending alert is dropped, b is told of what is
    // stored from now on only.
    write_config_with(
        s.dir.path(),
        &[(
            "omct-en",
            format!("file://{}", s.dir.path().join("feed.rss").display()),
            Some("en"),
        )],
        every_second,
        &channel("b", "/b"),
    );
    d.signal("HUP");
    d.wait_for(
        |l| l.contains("channel removed") && l.contains("dropped"),
        Duration::from_secs(30),
    );
    let tried = hooks.seen("/a").len();
    s.feed(&[
        OLD,
        MOLDOVA,
        STALE,
        (
            "new",
            "Urgent appeal: hunger strike of Mr. Pavel Grosu",
            "Now.",
            0,
        ),
    ]);
    d.wait_for(|l| l.contains("alert sent"), Duration::from_secs(30));
    let body: serde_json::Value = serde_json::from_slice(&hooks.seen("/b")[0].body).unwrap();
    assert!(
        body["item"]["title"]
            .as_str()
            .unwrap()
            .contains("Pavel Grosu")
    );
    assert_eq!(
        hooks.seen("/a").len(),
        tried,
        "nothing more to the removed channel"
    );
    d.signal("TERM");
    d.wait_exit(Duration::from_secs(30));
    assert_eq!(hooks.seen("/b").len(), 1);
}

#[test]
fn notify_test_sends_a_sample_and_prints_the_answer() {
    need_smtp!();
    let port = free_port();
    let tail = format!(
        "{}\n[[notify]]\nid = \"desk\"\nkind = \"email\"\nto = [\"desk@example.org\"]\n",
        smtp_table(port)
    );
    let s = Setup::new(&tail, "");
    let smtp = Smtp::start(port, &s.mail_dir());
    let o = tocsin(&s.config, &["notify", "test", "desk"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("250"), "{}", stdout(&o));
    assert!(stdout(&o).contains("queued as test"), "{}", stdout(&o));
    assert_eq!(smtp.messages().len(), 1);
    let o = tocsin(&s.config, &["notify", "test", "nope"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_bad_channel_is_a_config_error_naming_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let tail = "
[[notify]]
id = \"Desk!\"
kind = \"email\"
to = [\"not an address\"]
countries = [\"XXX\"]
mode = \"digest\"

[[notify]]
id = \"hook\"
kind = \"webhook\"
url = \"https://hooks.example.org/x\"
secret_file = \"missing.secret\"
";
    let config = write_config_with(dir.path(), &[], "", tail);
    let o = tocsin(&config, &["check"]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    for want in [
        "notify[0].id: `Desk!` must be",
        "notify[0].kind: e-mail channels need an [smtp] table",
        "notify[0].to[0]: `not an address` is not an e-mail address",
        "notify[0].countries[0]: `XXX` is not an ISO 3166",
        "notify[0].mode: a digest needs a `schedule`",
        "notify[1].secret_file: cannot read",
    ] {
        assert!(err.contains(want), "{want:?} in:\n{err}");
    }
    // file:line:column: key: message
    let line = err.lines().find(|l| l.contains("notify[0].id:")).unwrap();
    let rest = line
        .split_once(&format!("{}:", config.display()))
        .unwrap_or_else(|| panic!("{line}"))
        .1;
    let mut parts = rest.splitn(3, ':');
    assert!(parts.next().unwrap().parse::<u32>().is_ok(), "{line}");
    assert!(parts.next().unwrap().parse::<u32>().is_ok(), "{line}");
}

#[test]
fn a_failing_source_is_told_once_and_once_more_when_it_recovers() {
    let hooks = FixtureServer::start();
    hooks.set("/ops", Route::ok("text/plain", "ok"));
    hooks.set("/patient", Route::ok("text/plain", "ok"));
    let tail = format!(
        "
[[notify]]
id = \"ops\"
kind = \"webhook\"
url = \"{}\"
events = [\"source_failing\"]
failing_after = \"1ms\"

[[notify]]
id = \"patient\"
kind = \"webhook\"
url = \"{}\"
events = [\"source_failing\", \"urgent\"]
",
        hooks.url("/ops"),
        hooks.url("/patient"),
    );
    let s = Setup::new(&tail, "");
    s.poll();
    // The feed is gone: the source fails, poll after poll.
    std::fs::remove_file(s.dir.path().join("feed.rss")).unwrap();
    s.poll();
    s.poll();
    let seen = hooks.seen("/ops");
    assert_eq!(seen.len(), 1, "told once, not at every failed poll");
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body["event"], "source_failing");
    assert_eq!(body["source"]["id"], "omct-en");
    assert!(body["source"]["failures"].as_u64().unwrap() >= 1, "{body}");
    assert!(body["source"]["last_error"].is_string(), "{body}");
    assert!(
        hooks.seen("/patient").is_empty(),
        "failing_after (6h by default) has not passed for the other channel"
    );

    // It works again: one recovery message, then nothing more.
    s.feed(&[OLD]);
    s.poll();
    s.poll();
    let seen = hooks.seen("/ops");
    assert_eq!(seen.len(), 2);
    let body: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(body["event"], "source_recovered");
    assert_eq!(body["source"]["id"], "omct-en");
    assert!(
        hooks.seen("/patient").is_empty(),
        "a channel not told of the failure is not told of the recovery"
    );
}

#[test]
fn a_follow_up_is_a_new_alert_naming_the_case_it_develops() {
    let hooks = FixtureServer::start();
    hooks.set("/hook", Route::ok("text/plain", "ok"));
    let tail = format!(
        "\n[[notify]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\n",
        hooks.url("/hook")
    );
    let s = Setup::new(&tail, "");
    s.poll();
    let case = (
        "case",
        "Urgent appeal: Moldova: arbitrary detention of Mr. Ion Rusu (MDA 001 / 0520 / OBS 052)",
        "Detained on 3 May.",
        0,
    );
    s.feed(&[OLD, case]);
    s.poll();
    // The same case edited: no new alert.
    let edited = (
        "case",
        "Urgent appeal: Moldova: arbitrary detention of Mr. Ion Rusu (MDA 001 / 0520 / OBS 052)",
        "Detained on 3 May; still held.",
        0,
    );
    s.feed(&[OLD, edited]);
    s.poll();
    assert_eq!(hooks.seen("/hook").len(), 1);
    let follow = (
        "follow",
        "Urgent appeal: Moldova: Mr. Ion Rusu sentenced (MDA 001 / 0520 / OBS 052.1)",
        "Sentenced on 20 May.",
        0,
    );
    s.feed(&[OLD, edited, follow]);
    s.poll();
    let seen = hooks.seen("/hook");
    assert_eq!(seen.len(), 2, "the follow-up is a development of its own");
    let first: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    let second: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(
        first["item"]["_tocsin"]["case_codes"][0],
        "MDA 001/0520/OBS 052"
    );
    assert_eq!(
        second["item"]["_tocsin"]["follow_up_of"]["case_code"],
        "MDA 001/0520/OBS 052"
    );
    assert_ne!(first["delivery"], second["delivery"]);
}
