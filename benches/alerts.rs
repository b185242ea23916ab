//! Alerts (issue 12): 1,000 new urgent cases over 10 e-mail channels, queued by a poll
//! and delivered to a local SMTP server (Debian's python3-aiosmtpd).
//!
//! `cargo bench --bench alerts` prints, per round: the poll pass that stores the 1,000
//! items without channels and with the 10 channels (the difference is what the outbox
//! adds to a poll: one candidate row per urgent item, in the same transaction), the
//! publish, and the alert pass that plans 10,000 messages and delivers them, with the
//! messages the server counted and alerts per second.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tocsin::config::Config;
use tocsin::daemon::Daemon;

const CASES: usize = 1_000;
const CHANNELS: usize = 10;
/// Rounds (`TOCSIN_BENCH_ROUNDS`, default 3).
fn rounds() -> usize {
    std::env::var("TOCSIN_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

const SMTP_SERVER: &str = r#"
import sys
from aiosmtpd.controller import Controller
out = open(sys.argv[1], "a", buffering=1)
class Handler:
    async def handle_DATA(self, server, session, envelope):
        out.write("%s\n" % ",".join(envelope.rcpt_tos))
        return "250 2.0.0 ok"
c = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[2]))
c.start()
print("ready", flush=True)
sys.stdin.read()
"#;

struct Server {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_server(dir: &std::path::Path) -> Option<Server> {
    let log = dir.join("received.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", SMTP_SERVER])
        .arg(&log)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take()?)
        .read_line(&mut line)
        .ok()?;
    (line.trim() == "ready").then_some(Server { child, port, log })
}

fn feed(cases: usize) -> String {
    let now = chrono::Utc::now().to_rfc2822();
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>http://t/</link>\
         <item><title>Annual report</title><link>http://t/old</link><guid>old</guid></item>",
    );
    for n in 0..cases {
        let code = format!("MDA {:03} / 0126 / OBS {:03}", n / 100 + 1, n % 100 + 1);
        s.push_str(&format!(
            "<item><title>Urgent appeal: Moldova: arbitrary detention of Mr. Example {n} ({code})</title>\
             <link>http://t/case/{n}</link><guid>case-{n}</guid><pubDate>{now}</pubDate>\
             <description>&lt;p&gt;The Observatory has been informed of the &lt;b&gt;arbitrary \
             detention&lt;/b&gt; of human rights defender Mr. Example {n}, held incommunicado \
             since this morning. Please intervene.&lt;/p&gt;</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn config(dir: &std::path::Path, port: Option<u16>) -> Config {
    let mut text = format!(
        "[daemon]\ndatabase = \"bench.db\"\n[server]\npublic_url = \"https://feeds.example.org/\"\n\
         [output]\ndir = \"public\"\n\
         [[sources]]\nid = \"omct-en\"\nurl = \"file://{}\"\nlanguage = \"en\"\n\
         [[rules]]\nname = \"urgent-appeal\"\nkeywords = [\"urgent appeal\"]\n",
        dir.join("feed.rss").display()
    );
    if let Some(port) = port {
        text.push_str(&format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
             from = \"tocsin <alerts@example.org>\"\n"
        ));
        for c in 0..CHANNELS {
            text.push_str(&format!(
                "[[notify]]\nid = \"desk-{c}\"\nkind = \"email\"\nto = [\"desk{c}@example.org\"]\n\
                 burst = 10000\ncountries = [\"MDA\"]\n"
            ));
        }
    }
    let path = dir.join("tocsin.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(&path).unwrap()
}

struct Round {
    poll: Duration,
    publish: Duration,
    alerts: Option<(Duration, usize, usize)>,
}

/// One round: a first poll (the source's history), then the 1,000 cases.
fn round(rt: &tokio::runtime::Runtime, server: Option<&Server>) -> Round {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("feed.rss"), feed(0)).unwrap();
    let config = config(dir.path(), server.map(|s| s.port));
    let sources = config.sources.clone();
    let d = Daemon::new(config).unwrap();
    rt.block_on(async {
        d.poll_once(sources.clone(), true).await;
        // What `tocsin run` does at start: the channels exist from now.
        d.alerts.pass(&d.db).await.unwrap();
        std::fs::write(dir.path().join("feed.rss"), feed(CASES)).unwrap();
        let t = Instant::now();
        let lines = d.poll_once(sources, true).await;
        let poll = t.elapsed();
        assert_eq!(lines.len(), 1);
        let t = Instant::now();
        d.publish().await.unwrap();
        let publish = t.elapsed();
        let alerts = if let Some(server) = server {
            let before = received(server);
            let t = Instant::now();
            let mut sent = 0;
            loop {
                let r = d.alerts.pass(&d.db).await.unwrap();
                assert_eq!(r.failed, 0, "{r:?}");
                if r.sent == 0 && r.planned == 0 {
                    break;
                }
                sent += r.sent;
            }
            Some((t.elapsed(), sent, received(server) - before))
        } else {
            None
        };
        Round {
            poll,
            publish,
            alerts,
        }
    })
}

/// Messages the server has accepted so far (its log is appended to, never truncated).
fn received(server: &Server) -> usize {
    std::fs::read_to_string(&server.log)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = smtp_server(dir.path()) else {
        println!(
            "SKIPPED: /usr/bin/python3 cannot run aiosmtpd (apt-get install python3-aiosmtpd)"
        );
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    println!("{CASES} new urgent cases, {CHANNELS} e-mail channels, local aiosmtpd");
    for r in 0..rounds() {
        let without = round(&rt, None);
        let with = round(&rt, Some(&server));
        let (took, sent, received) = with.alerts.unwrap();
        println!(
            "round {r}: poll pass without channels {:.1} ms, with {:.1} ms (+{:.1} ms); \
             publish {:.1} / {:.1} ms; alert pass {:.0} ms: {sent} sent, {received} received, \
             {:.0} alerts/s",
            ms(without.poll),
            ms(with.poll),
            ms(with.poll) - ms(without.poll),
            ms(without.publish),
            ms(with.publish),
            ms(took),
            sent as f64 / took.as_secs_f64()
        );
        assert_eq!(sent, CASES * CHANNELS);
        assert_eq!(received, CASES * CHANNELS);
    }
}
