//! Shared test helpers: a local fixture HTTP server and a way to run the binary.
#![allow(dead_code)]

pub(crate) mod alerts;
pub(crate) mod daemon;
pub(crate) mod inproc;
pub(crate) mod notify;
pub(crate) mod safety;
pub(crate) mod ssrf;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the fixture server answers on a path.
#[derive(Clone, Debug)]
pub(crate) enum Route {
    /// A complete response.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Sends the headers after waiting.
    SlowHeaders(Duration),
    /// Sends a chunk every interval, for ever.
    Drip(Duration),
    /// Closes the connection without answering.
    Reset,
    /// A 200 whose body never ends, sent as fast as the client reads.
    Endless,
    /// A feed that honours `If-None-Match` / `If-Modified-Since` with a 304.
    Cached {
        etag: String,
        last_modified: String,
        content_type: String,
        body: Vec<u8>,
    },
}

impl Route {
    pub(crate) fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Route {
        Route::Respond {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A redirect with this status to `location`.
    pub(crate) fn redirect(status: u16, location: &str) -> Route {
        Route::Respond {
            status,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
        }
    }

    /// An error status with a `Retry-After` header.
    pub(crate) fn retry_after(status: u16, value: &str) -> Route {
        Route::Respond {
            status,
            headers: vec![("Retry-After".into(), value.into())],
            body: b"busy\n".to_vec(),
        }
    }

    pub(crate) fn status(status: u16) -> Route {
        Route::Respond {
            status,
            headers: vec![],
            body: format!("status {status}\n").into_bytes(),
        }
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1:0, one thread per connection, for fixtures.
/// Clones share the server.
#[derive(Clone)]
pub(crate) struct FixtureServer {
    pub addr: SocketAddr,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FixtureServer {
    pub(crate) fn start() -> FixtureServer {
        FixtureServer::start_on("127.0.0.1")
    }

    /// A server on another loopback address (all of 127/8 is loopback on Linux), so
    /// that it counts as another host for per-host politeness.
    pub(crate) fn start_on(ip: &str) -> FixtureServer {
        let listener = TcpListener::bind((ip, 0)).unwrap_or_else(|e| panic!("bind {ip}:0: {e}"));
        let addr = listener.local_addr().unwrap();
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (r, s) = (routes.clone(), seen.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (r, s) = (r.clone(), s.clone());
                std::thread::spawn(move || handle(conn, &r, &s));
            }
        });
        FixtureServer { addr, routes, seen }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub(crate) fn set(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.to_string(), route);
    }

    /// Serves a fixture file from `tests/fixtures/`.
    pub(crate) fn serve_fixture(&self, path: &str, fixture: &str, content_type: &str) {
        self.set(path, Route::ok(content_type, fixture_bytes(fixture)));
    }

    pub(crate) fn seen(&self, path: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    /// Every request the server saw, whatever its path.
    pub(crate) fn all_seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn handle(mut conn: TcpStream, routes: &Mutex<HashMap<String, Route>>, seen: &Mutex<Vec<Seen>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 65536 {
            return;
        }
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut body = buf[end..].to_vec();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let method = request_line.split(' ').next().unwrap_or("GET").to_string();
    let path = request_line.split(' ').nth(1).unwrap_or("/").to_string();
    let headers: Vec<(String, String)> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while body.len() < length.min(1 << 20) {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let this = Seen {
        method,
        path: path.clone(),
        headers,
        body,
    };
    seen.lock().unwrap().push(this.clone());
    let route = routes.lock().unwrap().get(&path).cloned();
    let route = route.unwrap_or_else(|| Route::status(404));
    match route {
        Route::Respond {
            status,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let _ = conn.write_all(out.as_bytes());
            let _ = conn.write_all(&body);
        }
        Route::SlowHeaders(d) => {
            std::thread::sleep(d);
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
        Route::Drip(every) => {
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n<rss version=\"2.0\"><channel>",
            );
            loop {
                std::thread::sleep(every);
                if conn.write_all(b" ").is_err() {
                    return;
                }
            }
        }
        Route::Endless => {
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n<rss version=\"2.0\"><channel>",
            );
            let chunk = b"<item><title>again and again</title></item>\n".repeat(1000);
            while conn.write_all(&chunk).is_ok() {}
        }
        Route::Cached {
            etag,
            last_modified,
            content_type,
            body,
        } => {
            let hit = this.header("If-None-Match") == Some(etag.as_str())
                || this.header("If-Modified-Since") == Some(last_modified.as_str());
            let head = |status: &str, len: usize| {
                format!(
                    "HTTP/1.1 {status}\r\nETag: {etag}\r\nLast-Modified: {last_modified}\r\n\
                     Content-Type: {content_type}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
                )
            };
            if hit {
                let _ = conn.write_all(head("304 Not Modified", 0).as_bytes());
            } else {
                let _ = conn.write_all(head("200 OK", body.len()).as_bytes());
                let _ = conn.write_all(&body);
            }
        }
        Route::Reset => {
            // SO_LINGER 0 turns close() into a RST.
            let sock = socket2::SockRef::from(&conn);
            let _ = sock.set_linger(Some(Duration::ZERO));
            drop(conn);
        }
    }
}

pub(crate) fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub(crate) fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A port on 127.0.0.1 for a server started later (aiosmtpd, chromedriver), held for
/// the test: the socket returned is bound (with SO_REUSEADDR, which both servers set
/// too, so that they can bind the port beside it) but never listens, so connections
/// are refused until the server starts, and no other test's `bind(0)` is given the
/// port meanwhile (a port merely looked up and let go could be).
pub(crate) fn free_port() -> (u16, socket2::Socket) {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.set_reuse_address(true).unwrap();
    let addr: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    sock.bind(&addr.into()).unwrap();
    let port = sock.local_addr().unwrap().as_socket().unwrap().port();
    (port, sock)
}

/// Runs the tocsin binary with `--config config` and `args`.
pub(crate) fn tocsin(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run tocsin")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `items --json` parsed.
pub(crate) fn items_json(config: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["items", "--json", "--limit", "100000"];
    args.extend_from_slice(extra);
    let o = tocsin(config, &args);
    assert!(o.status.success(), "items failed: {}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

/// The `../shared` directory beside the repository, when present.
pub(crate) fn shared_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    p.is_dir().then_some(p)
}

/// Whether a program is on PATH.
pub(crate) fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program} >/dev/null 2>&1"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The rules used by the end-to-end tests: a small multilingual set.
pub(crate) const TEST_RULES: &str = r#"
[[rules]]
name = "urgent-appeal"
keywords = ["urgent appeal", "urgent action", "urgent intervention", "apel urgent", "eliberarea urgentă", "немедленно освободить"]

[[rules]]
name = "detention-in-title"
keywords = ["arbitrary detention", "incommunicado"]
fields = ["title"]
"#;

/// Writes a config for `sources` (id, url, language) into `dir`, returning its path.
/// `daemon_extra` goes into the `[daemon]` table.
pub(crate) fn write_config(
    dir: &Path,
    sources: &[(&str, String, Option<&str>)],
    daemon_extra: &str,
) -> PathBuf {
    write_config_with(dir, sources, daemon_extra, "")
}

/// Like [`write_config`], with `tail` (more tables) appended at the end.
pub(crate) fn write_config_with(
    dir: &Path,
    sources: &[(&str, String, Option<&str>)],
    daemon_extra: &str,
    tail: &str,
) -> PathBuf {
    let mut s = format!(
        "[daemon]\ndatabase = \"var/tocsin.db\"\nuser_agent = \"tocsin-test (+http://127.0.0.1/)\"\n{daemon_extra}\n\
         [server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://feeds.example.org/\"\n\
         [output]\ndir = \"var/public\"\ntitle = \"Test urgent\"\n"
    );
    for (id, url, lang) in sources {
        s.push_str(&format!("[[sources]]\nid = \"{id}\"\nurl = \"{url}\"\n"));
        if let Some(l) = lang {
            s.push_str(&format!("language = \"{l}\"\n"));
        }
    }
    s.push_str(TEST_RULES);
    s.push_str(tail);
    let path = dir.join("tocsin.toml");
    std::fs::write(&path, s).unwrap();
    path
}

/// An RSS 2.0 feed of `(title, extra XML)` items, the n-th with guid `t-n`, link
/// `http://t/n` and a date on the n+1-th of June 2025.
pub(crate) fn rss(items: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
         <channel><title>T</title><link>http://t/</link>",
    );
    for (n, (title, extra)) in items.iter().enumerate() {
        s.push_str(&format!(
            "<item><title>{title}</title><link>http://t/{n}</link><guid>t-{n}</guid>\
             <pubDate>{d:02} Jun 2025 10:00:00 +0000</pubDate>{extra}</item>",
            d = n + 1
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// [`rss`] of plain titles.
pub(crate) fn rss_titles(titles: &[&str]) -> String {
    rss(&titles.iter().map(|t| (*t, "")).collect::<Vec<_>>())
}

/// Kills the child process when dropped, so a failing test leaves no daemon behind.
pub(crate) struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
