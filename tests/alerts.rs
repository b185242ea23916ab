//! Alerts delivered, end to end (issue 12; how operators run them is `alert_ops.rs`): a
//! real SMTP server (Debian's python3-aiosmtpd, started by the test) receiving real
//! messages, and an HTTP receiver checking the webhooks' HMAC; the daemon driven as
//! operators drive it (`tocsin poll`, `tocsin run`, `kill -9`). Nothing sleeps for
//! timing: retries are configured in milliseconds and each wait polls for the expected
//! state with a deadline.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::alerts::*;
use common::daemon::eventually;
use common::*;

#[test]
fn a_new_urgent_case_is_mailed_once_per_matching_channel_and_never_again() {
    if smtp_missing() {
        return;
    }
    let (port, _held) = free_port();
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
    if smtp_missing() {
        return;
    }
    let (port, _held) = free_port();
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
    if smtp_missing() {
        return;
    }
    let (port, _held) = free_port();
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
    if smtp_missing() {
        return;
    }
    let hole = TcpListener::bind("127.0.0.1:0").unwrap();
    let hole_port = hole.local_addr().unwrap().port();
    let tail = format!(
        "{}
[[notify]]
id = \"desk\"
kind = \"email\"
to = [\"desk@example.org\"]
",
        smtp_table(hole_port).replace("timeout = \"30s\"", "timeout = \"60s\"")
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

    let (port, _held) = free_port();
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
