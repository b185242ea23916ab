//! Accepting connections within bounds, so that slow or idle clients cannot take every
//! file descriptor (slowloris) and starve the polls and the server itself.
//!
//! - **A cap on open connections** ([`Limits::max_connections`]: 512, or half the
//!   process's soft open-file limit when that is lower), so polls, the database and the
//!   output files always have descriptors left.
//! - **A deadline for request headers** ([`Limits::header_timeout`], 10 s): hyper's
//!   header-read timer, which also runs while a keep-alive connection waits for its next
//!   request, so it bounds idle connections too.
//! - **Room is made, never queued.** When the cap is reached, the connection idle the
//!   longest (waiting for headers, between requests, or sending a response to a slow
//!   reader) is closed to make room for the new one; a connection whose request is being
//!   handled is never chosen. When none is idle, the new connection gets a `503` and is
//!   closed at once rather than held open.
//! - **Small buffers**: a request head over [`Limits::max_buf`] is refused, so 512
//!   connections cost at most a few MiB.
//! - **Graceful shutdown**: stop accepting, let requests under way finish (at most
//!   [`Limits::shutdown_grace`]), then close whatever is left.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::metrics::Metrics;

/// At most this many connections, whatever the open-file limit.
pub const MAX_CONNECTIONS: usize = 512;
/// A request's headers must arrive within this, and an idle keep-alive connection is
/// closed after it.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The bounds of the server (see the module documentation).
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    /// Largest request head (and read buffer) per connection.
    pub max_buf: usize,
    /// How long requests under way may take to finish at shutdown.
    pub shutdown_grace: Duration,
    /// How long a new connection may wait for an evicted one to let go of its slot.
    pub evict_wait: Duration,
}

impl Limits {
    /// The defaults, with the connection cap lowered to half the soft open-file limit
    /// of this process when that is below twice [`MAX_CONNECTIONS`].
    pub fn for_this_process() -> Limits {
        let max_connections = match open_file_limit() {
            Some(n) => MAX_CONNECTIONS.min((n / 2).max(16)),
            None => MAX_CONNECTIONS,
        };
        Limits {
            max_connections,
            ..Limits::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: MAX_CONNECTIONS,
            header_timeout: HEADER_TIMEOUT,
            max_buf: 16 * 1024,
            shutdown_grace: Duration::from_secs(5),
            evict_wait: Duration::from_millis(250),
        }
    }
}

/// The soft `RLIMIT_NOFILE` of this process.
#[allow(
    unsafe_code,
    reason = "getrlimit is a C call; it only writes the struct it is given"
)]
fn open_file_limit() -> Option<usize> {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let r = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) };
    (r == 0 && rl.rlim_cur != libc::RLIM_INFINITY).then_some(rl.rlim_cur as usize)
}

/// What the accept loop knows of one open connection.
struct Conn {
    /// A request is being handled: never evicted then.
    busy: AtomicBool,
    /// Since when it has been idle, in milliseconds since the server started.
    idle_since: AtomicU64,
    /// Cancelled to close it at once (eviction, or the end of the shutdown grace).
    close: CancellationToken,
}

/// Marks a connection busy while a request is handled.
struct Busy {
    conn: Arc<Conn>,
    epoch: Instant,
}

impl Busy {
    fn new(conn: Arc<Conn>, epoch: Instant) -> Busy {
        conn.busy.store(true, Ordering::SeqCst);
        Busy { conn, epoch }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.conn
            .idle_since
            .store(millis_since(self.epoch), Ordering::SeqCst);
        self.conn.busy.store(false, Ordering::SeqCst);
    }
}

fn millis_since(epoch: Instant) -> u64 {
    epoch.elapsed().as_millis() as u64
}

/// The open connections.
#[derive(Default)]
struct Table {
    next: u64,
    conns: HashMap<u64, Arc<Conn>>,
}

impl Table {
    /// Closes the connection idle the longest; false when every one is busy.
    fn evict_one(&mut self) -> bool {
        // Ties (the same millisecond) go to the older connection.
        let victim = self
            .conns
            .iter()
            .filter(|(_, c)| !c.busy.load(Ordering::SeqCst) && !c.close.is_cancelled())
            .min_by_key(|(id, c)| (c.idle_since.load(Ordering::SeqCst), **id));
        match victim {
            Some((_, c)) => {
                c.close.cancel();
                true
            }
            None => false,
        }
    }
}

const BUSY_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Content-Type: text/plain; charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\n\
Content-Length: 21\r\n\r\ntoo many connections\n";

/// What every connection task shares.
struct Shared<H> {
    handler: H,
    builder: http1::Builder,
    table: Mutex<Table>,
    metrics: Arc<Metrics>,
    /// When the server started: idle times count from it.
    epoch: Instant,
    /// Cancelled at shutdown: each connection finishes its request and closes.
    graceful: CancellationToken,
}

/// Serves `listener` with `handler` within `limits` until `shutdown` resolves.
pub async fn run<H, F>(
    listener: TcpListener,
    limits: Limits,
    metrics: Arc<Metrics>,
    handler: H,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    H: Fn(Request<Body>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .max_buf_size(limits.max_buf);
    let shared = Arc::new(Shared {
        handler,
        builder,
        table: Mutex::default(),
        metrics,
        epoch: Instant::now(),
        graceful: CancellationToken::new(),
    });
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let tracker = TaskTracker::new();
    // Cancelled when the shutdown grace is over: every connection closes.
    let stopping = CancellationToken::new();
    tracing::debug!(
        max_connections = limits.max_connections,
        header_timeout = ?limits.header_timeout,
        "server limits"
    );
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
        };
        let Some(permit) = slot(&slots, &shared, &limits).await else {
            shared.metrics.record_connection_rejected();
            let _ = stream.try_write(BUSY_RESPONSE);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let conn = Arc::new(Conn {
            busy: AtomicBool::new(false),
            idle_since: AtomicU64::new(millis_since(shared.epoch)),
            close: stopping.child_token(),
        });
        let id = {
            let mut t = shared.table.lock().unwrap_or_else(|p| p.into_inner());
            t.next += 1;
            let id = t.next;
            t.conns.insert(id, conn.clone());
            shared.metrics.set_connections(t.conns.len());
            id
        };
        tracker.spawn(serve_connection(stream, permit, conn, id, shared.clone()));
    }
    drop(listener);
    // Requests under way finish, then their connections close; idle ones close at once
    // (hyper's graceful shutdown); whatever is left after the grace is closed.
    shared.graceful.cancel();
    tracker.close();
    if tokio::time::timeout(limits.shutdown_grace, tracker.wait())
        .await
        .is_err()
    {
        tracing::debug!(
            left = tracker.len(),
            "connections still open after the grace; closing them"
        );
        stopping.cancel();
        tracker.wait().await;
    }
    Ok(())
}

/// A connection slot: free at once, or made free by closing the connection idle the
/// longest; `None` when every connection is busy.
async fn slot<H>(
    slots: &Arc<Semaphore>,
    shared: &Shared<H>,
    limits: &Limits,
) -> Option<OwnedSemaphorePermit> {
    if let Ok(p) = slots.clone().try_acquire_owned() {
        return Some(p);
    }
    let evicted = shared
        .table
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .evict_one();
    if !evicted {
        return None;
    }
    shared.metrics.record_connection_evicted();
    tokio::time::timeout(limits.evict_wait, slots.clone().acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
}

/// Out of descriptors or memory: wait a little rather than spin; anything else (a
/// connection reset before it was accepted) is the client's problem.
async fn accept_failed(e: &std::io::Error) {
    let resource = matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    );
    if resource {
        tracing::warn!(error = %e, "cannot accept a connection; retrying in 100 ms");
        tokio::time::sleep(Duration::from_millis(100)).await;
    } else {
        tracing::debug!(error = %e, "accept failed");
    }
}

async fn serve_connection<H, F>(
    stream: TcpStream,
    permit: OwnedSemaphorePermit,
    conn: Arc<Conn>,
    id: u64,
    shared: Arc<Shared<H>>,
) where
    H: Fn(Request<Body>) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let (on_request, s) = (conn.clone(), shared.clone());
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let busy = Busy::new(on_request.clone(), s.epoch);
        let response = (s.handler)(req.map(Body::new));
        async move {
            let r = response.await;
            drop(busy);
            Ok::<_, Infallible>(r)
        }
    });
    let served = shared
        .builder
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    let ended = |r: Result<(), hyper::Error>| {
        if let Err(e) = r {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    };
    tokio::select! {
        r = served.as_mut() => ended(r),
        _ = conn.close.cancelled() => {}
        _ = shared.graceful.cancelled() => {
            served.as_mut().graceful_shutdown();
            tokio::select! {
                r = served.as_mut() => ended(r),
                _ = conn.close.cancelled() => {}
            }
        }
    }
    let mut t = shared.table.lock().unwrap_or_else(|p| p.into_inner());
    t.conns.remove(&id);
    shared.metrics.set_connections(t.conns.len());
    drop(permit);
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};

    use tokio::sync::Notify;

    use super::*;

    /// Holds `/wait` requests until opened, and counts those that reached the handler
    /// (so a test knows the connection is busy, not merely open).
    #[derive(Default)]
    struct Gate {
        open: Notify,
        waiting: std::sync::atomic::AtomicUsize,
    }

    impl Gate {
        /// Waits (bounded) until `n` requests are held in the handler.
        fn holding(&self, n: usize) {
            let held = || self.waiting.load(Ordering::SeqCst) == n;
            assert!(until(held), "the handler never held {n} requests");
        }
    }

    /// Whether `done` came true within [`PATIENCE`], polling it.
    fn until(done: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + PATIENCE;
        while !done() {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// How long a test waits for what should happen (a busy CI machine can stall for
    /// seconds; passing tests never wait this long).
    const PATIENCE: Duration = Duration::from_secs(30);

    /// The limits under test; the eviction wait and the shutdown grace, which bound
    /// what should happen rather than what is tested, are generous.
    fn limits(max_connections: usize, header_timeout: Duration) -> Limits {
        Limits {
            max_connections,
            header_timeout,
            evict_wait: PATIENCE,
            shutdown_grace: PATIENCE,
            ..Limits::default()
        }
    }

    /// A server answering `ok` (or waiting for `gate` on `/wait`) in this runtime.
    async fn start(
        limits: Limits,
        gate: Arc<Gate>,
    ) -> (
        SocketAddr,
        Arc<Metrics>,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics = Arc::new(Metrics::new());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handler = move |req: Request<Body>| {
            let gate = gate.clone();
            async move {
                if req.uri().path() == "/wait" {
                    gate.waiting.fetch_add(1, Ordering::SeqCst);
                    gate.open.notified().await;
                }
                Response::new(Body::from("ok\n"))
            }
        };
        let server = tokio::spawn(run(listener, limits, metrics.clone(), handler, async {
            let _ = stopped.await;
        }));
        (addr, metrics, stop, server)
    }

    /// `GET path` on a fresh blocking connection: the status line, or the error.
    fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        match s.read_to_string(&mut out) {
            Ok(_) => out.lines().next().unwrap_or("closed").to_string(),
            Err(e) => e.to_string(),
        }
    }

    /// Waits (bounded) until the server counts `n` open connections.
    fn open(metrics: &Metrics, n: usize) {
        let line = format!("tocsin_http_connections {n}\n");
        assert!(
            until(|| metrics.render().contains(&line)),
            "the server never had {n} connections open"
        );
    }

    /// Connects and sends the start of a request head, never the end.
    fn trickle(addr: SocketAddr) -> TcpStream {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: 1\r\n")
            .unwrap();
        s
    }

    /// Reads until the server closes the connection (bounded).
    fn closed_by_server(s: &mut TcpStream, within: Duration) -> bool {
        s.set_read_timeout(Some(within)).unwrap();
        let mut buf = [0u8; 512];
        loop {
            match s.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn headers_that_never_end_and_idle_keep_alive_connections_are_closed() {
        let (addr, _, _stop, _) =
            start(limits(8, Duration::from_millis(300)), Arc::default()).await;
        tokio::task::spawn_blocking(move || {
            let mut slow = trickle(addr);
            assert!(
                closed_by_server(&mut slow, PATIENCE),
                "a request head still incomplete after the timeout is dropped"
            );
            // A keep-alive connection that asks nothing more is closed too.
            let mut idle = TcpStream::connect(addr).unwrap();
            idle.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                .unwrap();
            assert!(closed_by_server(&mut idle, PATIENCE));
        })
        .await
        .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_the_cap_the_longest_idle_connection_makes_room() {
        let (addr, metrics, _stop, _) =
            start(limits(4, Duration::from_secs(30)), Arc::default()).await;
        tokio::task::spawn_blocking(move || {
            let mut slow: Vec<TcpStream> = Vec::new();
            for n in 1..=4 {
                slow.push(trickle(addr));
                open(&metrics, n);
            }
            assert_eq!(get(addr, "/"), "HTTP/1.1 200 OK");
            assert!(
                closed_by_server(&mut slow[0], PATIENCE),
                "the oldest idle connection was closed"
            );
            assert!(metrics.render().contains("reason=\"evicted\"} 1"));
        })
        .await
        .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn when_every_connection_is_busy_a_new_one_gets_503_at_once() {
        let gate = Arc::new(Gate::default());
        let (addr, metrics, stop, server) =
            start(limits(1, Duration::from_secs(30)), gate.clone()).await;
        let waiting = tokio::task::spawn_blocking(move || get(addr, "/wait"));
        let (m, g) = (metrics.clone(), gate.clone());
        tokio::task::spawn_blocking(move || {
            open(&m, 1);
            // Open is not enough: until its request is in the handler, the connection
            // is idle and would be evicted to make room.
            g.holding(1);
            // Refused before it even asks.
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(PATIENCE)).unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            assert!(
                out.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
                "{out}"
            );
            assert!(out.contains("Retry-After: 1\r\n"));
        })
        .await
        .unwrap();
        assert!(metrics.render().contains("reason=\"refused\"} 1"));
        // Shutdown lets the busy request finish: the request is let go only once the
        // server has stopped listening (shutdown is under way), not after a guessed sleep.
        stop.send(()).unwrap();
        tokio::task::spawn_blocking(move || {
            let stopped = || TcpStream::connect(addr).is_err();
            assert!(until(stopped), "the server never stopped listening");
        })
        .await
        .unwrap();
        gate.open.notify_one();
        assert_eq!(waiting.await.unwrap(), "HTTP/1.1 200 OK");
        server.await.unwrap().unwrap();
    }
}
