//! A fake systemd notify socket, to watch what the daemon tells systemd.

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

/// A fake systemd notify socket.
pub(crate) struct NotifySocket {
    sock: UnixDatagram,
    pub path: std::path::PathBuf,
    pub seen: Vec<String>,
}

impl NotifySocket {
    pub(crate) fn new(dir: &std::path::Path) -> NotifySocket {
        let path = dir.join("notify.sock");
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        NotifySocket {
            sock,
            path,
            seen: Vec::new(),
        }
    }

    /// Waits (bounded) for a message containing `what`.
    pub(crate) fn wait_for(&mut self, what: &str, limit: Duration) -> String {
        if let Some(m) = self.seen.iter().find(|m| m.contains(what)) {
            return m.clone();
        }
        let deadline = Instant::now() + limit;
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            if let Ok(n) = self.sock.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..n]).to_string();
                self.seen.push(msg.clone());
                if msg.contains(what) {
                    return msg;
                }
            }
        }
        panic!("no {what} within {limit:?}; got {:#?}", self.seen)
    }

    /// Collects messages until `done` holds (bounded).
    pub(crate) fn collect_until(&mut self, limit: Duration, done: impl Fn(&NotifySocket) -> bool) {
        let deadline = Instant::now() + limit;
        let mut buf = [0u8; 4096];
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out; got {:#?}", self.seen);
            if let Ok(n) = self.sock.recv(&mut buf) {
                self.seen
                    .push(String::from_utf8_lossy(&buf[..n]).to_string());
            }
        }
    }

    pub(crate) fn count(&self, what: &str) -> usize {
        self.seen.iter().filter(|m| m.contains(what)).count()
    }
}
