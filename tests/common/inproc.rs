//! An in-process daemon serving published fixtures, and a raw HTTP/1.1 client.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;

use tocsin::config::Config;
use tocsin::daemon::Daemon;

use super::{fixtures_dir, write_config};

pub(crate) struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Resp {
    pub(crate) fn h(&self, k: &str) -> Option<&str> {
        self.headers
            .get(&k.to_ascii_lowercase())
            .map(String::as_str)
    }
}

pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    // axum may answer in chunks without a Content-Length for empty bodies; decode if so.
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..nl]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + size]);
        b = &b[nl + 2 + size + 2..];
    }
}

/// Starts a daemon's server in-process over published fixtures; returns its address,
/// the output dir and the daemon (so the test can publish again).
pub(crate) fn start(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
) -> (SocketAddr, std::path::PathBuf, Daemon) {
    start_with(rt, dir, &["promolex-ro.rss", "fidh.atom"])
}

pub(crate) fn start_with(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    fixtures: &[&str],
) -> (SocketAddr, std::path::PathBuf, Daemon) {
    let f = |name: &str| {
        format!(
            "file://{}",
            fixtures_dir().join("feeds").join(name).display()
        )
    };
    let sources: Vec<(String, String, Option<&str>)> = fixtures
        .iter()
        .map(|name| {
            let id = name.split('.').next().unwrap().to_string();
            let lang = match id.as_str() {
                "promolex-ro" => Some("ro"),
                "promolex-ru" => Some("ru"),
                _ => None,
            };
            (id, f(name), lang)
        })
        .collect();
    let refs: Vec<(&str, String, Option<&str>)> = sources
        .iter()
        .map(|(i, u, l)| (i.as_str(), u.clone(), *l))
        .collect();
    let path = write_config(dir, &refs, "");
    let config = Config::load(&path).unwrap();
    let public = config.output.dir.clone();
    let (addr, d) = serve(rt, config);
    (addr, public, d)
}

/// Polls every source of `config` once, publishes, and serves the outputs.
pub(crate) fn serve(rt: &tokio::runtime::Runtime, config: Config) -> (SocketAddr, Daemon) {
    rt.block_on(async {
        let d = Daemon::new(config).unwrap();
        let sources = d.config.sources.clone();
        d.poll_once(sources, true).await;
        d.publish().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(tocsin::serve::serve(
            listener,
            d.serve_state(),
            std::future::pending(),
        ));
        (addr, d)
    })
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
