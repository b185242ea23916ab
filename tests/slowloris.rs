//! Slowloris (issue 10, point 5): 1,100 connections that trickle request headers at a
//! daemon limited to 1,024 open files must not make `/healthz` or the urgent feed
//! unreachable, nor make its polls fail for want of file descriptors.

#![allow(
    unsafe_code,
    reason = "the test sets its own and the daemon's open-file limits"
)]

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::daemon::{RunningDaemon, eventually};
use common::{FixtureServer, Route, rss_titles, write_config};

const ATTACKERS: usize = 1100;

/// Raises this process's soft open-file limit to at least `want` (within the hard
/// limit); false when the hard limit is lower.
fn raise_own_file_limit(want: u64) -> bool {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) != 0 {
            return false;
        }
        if rl.rlim_cur >= want as libc::rlim_t {
            return true;
        }
        if rl.rlim_max < want as libc::rlim_t {
            return false;
        }
        rl.rlim_cur = want as libc::rlim_t;
        libc::setrlimit(libc::RLIMIT_NOFILE, &rl) == 0
    }
}

/// Keeps `ATTACKERS` connections open to `addr`, each sending one more header line every
/// 200 ms and never the end of its request; a connection the server closes is opened
/// again at once. Returns how many are open.
fn attack(addr: SocketAddr, stop: Arc<AtomicBool>, open: Arc<AtomicUsize>) {
    let connect = || -> Option<TcpStream> {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
        s.set_write_timeout(Some(Duration::from_secs(1))).ok()?;
        s.write_all(b"GET /urgent.atom HTTP/1.1\r\nHost: tocsin\r\n")
            .ok()?;
        Some(s)
    };
    let mut conns: Vec<Option<TcpStream>> = (0..ATTACKERS).map(|_| None).collect();
    while !stop.load(Ordering::SeqCst) {
        for c in conns.iter_mut() {
            let alive = c
                .as_mut()
                .is_some_and(|s| s.write_all(b"X-Slow: 1\r\n").is_ok());
            if !alive {
                *c = connect();
            }
        }
        open.store(
            conns.iter().filter(|c| c.is_some()).count(),
            Ordering::SeqCst,
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn trickling_connections_leave_healthz_the_feed_and_polls_working_under_1024_files() {
    if !raise_own_file_limit(ATTACKERS as u64 + 400) {
        eprintln!(
            "SKIPPED: the hard open-file limit is below {}",
            ATTACKERS + 400
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = FixtureServer::start();
    let first = "Urgent appeal: arbitrary detention of Ms. Ana Popescu";
    srv.set(
        "/feed.rss",
        Route::ok("application/rss+xml", rss_titles(&[first])),
    );
    let config = write_config(
        dir.path(),
        &[("watched", srv.url("/feed.rss"), Some("en"))],
        "schedule = \"* * * * * *\"",
    );
    let mut d = RunningDaemon::start_with(&config, &[], |cmd| {
        // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                let mut rl = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                rl.rlim_cur = 1024;
                if libc::setrlimit(libc::RLIMIT_NOFILE, &rl) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", d.child.id())).unwrap();
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .unwrap();
    assert_eq!(soft, "1024", "{limits}");
    let addr = d.addr;
    eventually(Duration::from_secs(30), "the first item published", || {
        d.get("/urgent.atom").1.contains("Ana Popescu")
    });

    let stop = Arc::new(AtomicBool::new(false));
    let open = Arc::new(AtomicUsize::new(0));
    let attacker = {
        let (stop, open) = (stop.clone(), open.clone());
        std::thread::spawn(move || attack(addr, stop, open))
    };
    eventually(
        Duration::from_secs(60),
        "1,100 trickling connections",
        || open.load(Ordering::SeqCst) >= ATTACKERS,
    );

    // Under attack: the probe and the feed answer, and a new item is polled, stored,
    // written and served (a socket, the database and the output files all need fds).
    let (status, body) = d.get("/healthz");
    assert!(status.contains("200"), "{status} {body}");
    let (status, body) = d.get("/urgent.atom");
    assert!(
        status.contains("200") && body.contains("Ana Popescu"),
        "{status}"
    );
    let second = "Urgent appeal: incommunicado detention of Mr. Ion Rusu";
    srv.set(
        "/feed.rss",
        Route::ok("application/rss+xml", rss_titles(&[first, second])),
    );
    eventually(Duration::from_secs(30), "the new item served", || {
        d.get("/urgent.atom").1.contains("Ion Rusu")
    });
    // Installed for the server first, then written.
    eventually(Duration::from_secs(30), "the new item written", || {
        std::fs::read_to_string(dir.path().join("var/public/urgent.atom"))
            .is_ok_and(|t| t.contains("Ion Rusu"))
    });
    let (_, metrics) = d.get("/metrics");
    assert!(
        metrics.contains("tocsin_http_connections_shed_total{reason=\"evicted\"}"),
        "{metrics}"
    );
    assert!(open.load(Ordering::SeqCst) >= ATTACKERS / 2);

    stop.store(true, Ordering::SeqCst);
    attacker.join().unwrap();
    d.drain();
    let starved: Vec<&String> = d
        .log
        .iter()
        .filter(|l| l.contains("Too many open files") || l.contains("os error 24"))
        .collect();
    assert!(starved.is_empty(), "{starved:#?}");
    assert!(
        !d.log
            .iter()
            .any(|l| l.contains("poll failed") || l.contains("publish failed")),
        "{:#?}",
        d.log
    );
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(30)), Some(0));
}
