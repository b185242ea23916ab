//! A reload driven in-process, with paused time: `Daemon::run_with` takes its reload
//! requests (SIGHUP in production) and its shutdown as arguments, as mini-redis's
//! `server::run(listener, shutdown)` does.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::sync::{mpsc, oneshot};

const FIRST: &str = "Urgent appeal: arbitrary detention of Ms. Ana Popescu";
const SECOND: &str = "Urgent appeal: torture of Mr. Ion Rusu in Chisinau";

/// Waits (in real time: the daemon's work is on threads that paused time does not
/// stop) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_reload_request_applies_the_edited_config_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let feed = |name: &str, title: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, rss(&[(title, "")])).unwrap();
        format!("file://{}", path.display())
    };
    let (first, second) = (feed("first.rss", FIRST), feed("second.rss", SECOND));
    let path = write_config(dir.path(), &[("first", first.clone(), Some("en"))], "");
    let config = tocsin::config::Config::load(&path).unwrap();
    let d = tocsin::daemon::Daemon::new(config).unwrap();
    let published = d.published.clone();
    let urgent = move || {
        published
            .get()
            .get("urgent.atom")
            .map(|doc| String::from_utf8_lossy(&doc.body()).into_owned())
            .unwrap_or_default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (reload, requests) = mpsc::channel::<()>(1);
    let reloads =
        futures_util::stream::unfold(
            requests,
            |mut r| async move { r.recv().await.map(|()| ((), r)) },
        );
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(d.run_with(
        listener,
        async move {
            let _ = stopped.await;
        },
        reloads,
    ));

    let u = urgent.clone();
    until("the first source's appeal", move || {
        u().contains("Ana Popescu")
    })
    .await;
    assert!(!urgent().contains("Ion Rusu"));

    // A second source added to the file, then a reload request: it is polled (it is
    // overdue, never polled) and published by the running daemon.
    write_config(
        dir.path(),
        &[("first", first, Some("en")), ("second", second, Some("en"))],
        "",
    );
    reload.send(()).await.unwrap();
    let u = urgent.clone();
    until("the reloaded source's appeal", move || {
        u().contains("Ion Rusu")
    })
    .await;
    assert!(urgent().contains("Ana Popescu"));

    // A file that does not validate is refused; the daemon goes on as it was.
    std::fs::write(&path, "[daemon]\nconcurrency = 0\n").unwrap();
    reload.send(()).await.unwrap();
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    assert!(urgent().contains("Ion Rusu"));
}
