//! Runs `tocsin run` as a child process and watches its log.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// A running daemon, killed when dropped.
pub(crate) struct RunningDaemon {
    pub child: Child,
    lines: Receiver<String>,
    /// Every log line seen so far.
    pub log: Vec<String>,
    pub addr: SocketAddr,
}

impl RunningDaemon {
    /// Starts `tocsin --config CONFIG run` with `env` and waits for its listen address.
    pub(crate) fn start(config: &Path, env: &[(&str, &str)]) -> RunningDaemon {
        RunningDaemon::start_with(config, env, |_| {})
    }

    /// [`start`](Self::start), with `customize` applied to the command first (resource
    /// limits, say).
    pub(crate) fn start_with(
        config: &Path,
        env: &[(&str, &str)],
        customize: impl FnOnce(&mut Command),
    ) -> RunningDaemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tocsin"));
        cmd.arg("--config")
            .arg(config)
            .arg("run")
            .env("RUST_LOG", "info,tokio_cron_scheduler=warn")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .stderr(Stdio::piped())
            .stdout(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        customize(&mut cmd);
        let mut child = cmd.spawn().expect("start tocsin run");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut d = RunningDaemon {
            child,
            lines: rx,
            log: Vec::new(),
            addr: "127.0.0.1:1".parse().unwrap(),
        };
        let line = d.wait_for(|l| l.contains("listening"), Duration::from_secs(30));
        // Text logs say `addr=…`, JSON logs `"addr":"…"`.
        let addr = match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(v) => v["addr"]
                .as_str()
                .expect("a JSON listening line has addr")
                .to_string(),
            Err(_) => line
                .split("addr=")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .expect("listening line has addr=")
                .to_string(),
        };
        d.addr = addr.parse().unwrap();
        d
    }

    /// Waits (bounded) for a log line matching `pred` and returns it.
    pub(crate) fn wait_for(&mut self, pred: impl Fn(&str) -> bool, limit: Duration) -> String {
        if let Some(l) = self.log.iter().find(|l| pred(l)) {
            return l.clone();
        }
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.log.push(l.clone());
                    if pred(&l) {
                        return l;
                    }
                }
                Err(_) => panic!(
                    "no matching log line within {limit:?}; log:\n{}",
                    self.log.join("\n")
                ),
            }
        }
    }

    /// Waits (bounded) until at least `n` log lines match `pred`.
    pub(crate) fn wait_count(&mut self, pred: impl Fn(&str) -> bool, n: usize, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.log.iter().filter(|l| pred(l)).count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.log.push(l),
                Err(_) => panic!(
                    "fewer than {n} matching log lines within {limit:?}; log:\n{}",
                    self.log.join("\n")
                ),
            }
        }
    }

    /// Collects the log lines available now.
    pub(crate) fn drain(&mut self) {
        while let Ok(l) = self.lines.try_recv() {
            self.log.push(l);
        }
    }

    pub(crate) fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Waits (bounded) for the process to exit; returns its exit code.
    pub(crate) fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                // Keep the tail of the log.
                while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(100)) {
                    self.log.push(l);
                }
                return s.code();
            }
            assert!(
                Instant::now() < deadline,
                "did not exit within {limit:?}; log:\n{}",
                self.log.join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `GET path` over HTTP/1.0: (status line, body).
    pub(crate) fn get(&self, path: &str) -> (String, String) {
        http_get(self.addr, path)
    }
}

impl Drop for RunningDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.0 GET: (status line, body).
pub(crate) fn http_get(addr: SocketAddr, path: &str) -> (String, String) {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return ("connect failed".into(), String::new());
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

/// Polls `f` until it returns true, at most `limit` (for conditions that depend on the
/// daemon's schedule; never used to wait a fixed time).
pub(crate) fn eventually(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
