//! Serve: the published documents over HTTP, from memory.
//!
//! The publisher installs a new snapshot after every publish; requests read the current
//! one and never render anything. Compressed forms are made once per document version,
//! on the first request that asks for them. Only published paths exist: anything else
//! is 404, so there is no directory listing and no way out of the output (the path is a
//! key in a map, never a file name).
//!
//! HTTP: `ETag` (per content coding) and `Last-Modified` on every document, `304` for
//! `If-None-Match` / `If-Modified-Since` (the former wins, RFC 9110 §13.2.2), `gzip` and
//! `br` by `Accept-Encoding` q-values, `HEAD`, `Cache-Control: max-age=60`, `Vary`,
//! WebSub `Link` headers, a Content-Security-Policy on HTML.

use std::future::Future;
use std::time::SystemTime;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use headers::{CacheControl, ETag, HeaderMapExt, IfModifiedSince, IfNoneMatch};
use tokio::net::TcpListener;

pub mod accept;

pub use accept::Limits;

use crate::publish::catalog::resolve;
use std::sync::{Arc, RwLock};

use crate::health::Health;
use crate::metrics::Metrics;
use crate::publish::{Published, Publisher, Rendered};
use crate::store::Db;

/// How long readers and proxies may reuse a response without asking again.
pub const MAX_AGE_SECS: u64 = 60;

/// The content codings we can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Identity => "",
            Coding::Gzip => "-gz",
            Coding::Brotli => "-br",
        }
    }
}

/// Picks the coding from `Accept-Encoding` by q-value (brotli preferred on ties); no
/// header, or only unacceptable codings, means identity.
pub fn negotiate(accept: Option<&str>) -> Coding {
    let Some(accept) = accept else {
        return Coding::Identity;
    };
    let mut best = (Coding::Identity, 0.0f32);
    let mut star = None;
    let mut seen = Vec::new();
    for part in accept.split(',') {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let coding = match name.as_str() {
            "br" => Coding::Brotli,
            "gzip" | "x-gzip" => Coding::Gzip,
            "*" => {
                star = Some(q);
                continue;
            }
            _ => continue,
        };
        seen.push(coding);
        if q > best.1 || (q == best.1 && q > 0.0 && coding == Coding::Brotli) {
            best = (coding, q);
        }
    }
    if let Some(q) = star
        && q > best.1
    {
        for c in [Coding::Brotli, Coding::Gzip] {
            if !seen.contains(&c) {
                return c;
            }
        }
    }
    if best.1 > 0.0 {
        best.0
    } else {
        Coding::Identity
    }
}

/// What the server answers from.
#[derive(Clone)]
pub struct ServeState {
    /// The documents of the last publish.
    pub published: Published,
    /// Renders per-language and per-source documents on their first request (swapped
    /// by a config reload).
    pub publisher: Arc<RwLock<Publisher>>,
    pub db: Db,
    pub metrics: Arc<Metrics>,
    /// The scheduler's liveness, for `/healthz` (`None`: only the database is checked).
    pub health: Option<Health>,
    /// Rendering on demand, one at a time.
    pub renders: Arc<RenderSlots>,
}

/// Answers one request: `/metrics`, `/healthz`, and every published path, nothing else.
pub async fn handle(state: &ServeState, req: Request<Body>) -> Response<Body> {
    let resp = match req.uri().path() {
        "/metrics" => metrics(state).await,
        "/healthz" => healthz(state).await,
        _ => document(state, req).await,
    };
    state.metrics.record_http(resp.status().as_u16());
    resp
}

async fn metrics(state: &ServeState) -> Response<Body> {
    let m = state.metrics.clone();
    match state.db.read(move |s| m.scrape(s)).await {
        Ok(text) => {
            let mut r = Response::new(Body::from(text));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
            );
            r
        }
        Err(e) => plain_owned(StatusCode::INTERNAL_SERVER_ERROR, format!("metrics: {e}\n")),
    }
}

/// How long `/healthz` waits for the database to take its write.
pub const HEALTH_DB_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// 200 when the scheduler is alive, the output files are being written and the
/// database takes a write; else 503 with every reason, one per line. Answers within
/// about [`HEALTH_DB_WITHIN`] whatever holds the database. Failing sources are the
/// world's trouble, not the daemon's: they keep the 200 and are said on the next line
/// ("ok\n2 of 5 sources failing since …"); alert on them from `/metrics`.
async fn healthz(state: &ServeState) -> Response<Body> {
    let mut problems = Vec::new();
    if let Some(h) = &state.health {
        problems.extend(h.scheduler().err());
        problems.extend(h.output().err());
    }
    if let Err(e) = state.db.probe(HEALTH_DB_WITHIN).await {
        problems.push(format!("database not writable: {e}"));
    }
    if problems.is_empty() {
        // Alert channels and sources that fail are told, not fatal: restarting would
        // not help.
        let mut lines = alert_notes(state).await;
        lines.extend(sources_failing(state).await);
        if lines.is_empty() {
            plain(StatusCode::OK, "ok\n")
        } else {
            plain_owned(StatusCode::OK, format!("ok\n{}\n", lines.join("\n")))
        }
    } else {
        plain_owned(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}\n", problems.join("\n")),
        )
    }
}

/// One line per alert channel with messages not delivered (retrying or refused).
async fn alert_notes(state: &ServeState) -> Vec<String> {
    let read = state.db.read(|s| s.alert_stats());
    let Ok(Ok(stats)) = tokio::time::timeout(HEALTH_DB_WITHIN, read).await else {
        return Vec::new();
    };
    stats
        .iter()
        .filter(|s| s.failed > 0 || (s.pending > 0 && s.retries > 0))
        .map(|s| {
            format!(
                "alerts: channel {}: {} pending, {} failed; last error: {}",
                s.channel,
                s.pending,
                s.failed,
                s.last_error.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

/// "2 of 5 sources failing since …" when any configured source fails (`None` too when
/// the database does not answer within [`HEALTH_DB_WITHIN`]: the probe said so).
async fn sources_failing(state: &ServeState) -> Option<String> {
    let ids: Vec<String> = state
        .publisher
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .catalog()
        .ids()
        .map(String::from)
        .collect();
    let read = state.db.read(move |s| {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        s.source_health(&ids)
    });
    match tokio::time::timeout(HEALTH_DB_WITHIN, read).await {
        Ok(Ok(h)) => h.failing_line(),
        _ => None,
    }
}

/// How many documents are rendered on demand at once: one, so that a client walking
/// every per-source document takes one core at most, and the main documents (served
/// from memory, never waiting for this) stay fast.
const RENDERS_AT_ONCE: usize = 1;
/// How many requests may wait for a render; more get a `503` with `Retry-After`.
const RENDERS_WAITING: usize = 32;

/// Who may render a document on demand now.
#[derive(Debug)]
pub struct RenderSlots {
    running: tokio::sync::Semaphore,
    waiting: tokio::sync::Semaphore,
}

impl Default for RenderSlots {
    fn default() -> RenderSlots {
        RenderSlots {
            running: tokio::sync::Semaphore::new(RENDERS_AT_ONCE),
            waiting: tokio::sync::Semaphore::new(RENDERS_AT_ONCE + RENDERS_WAITING),
        }
    }
}

/// A published document: the main ones from the snapshot of the last publish; the
/// per-language and per-source ones from their own bounded cache, rendered on their
/// first request (one at a time) and again at publishes while they change.
async fn document(state: &ServeState, req: Request<Body>) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let path = resolve(req.uri().path(), req.uri().query());
    let snap = state.published.get();
    // Under the read lock only what this request needs: the hub links, a cached
    // document, and the publisher itself only when a document must be rendered.
    let (link, found) = {
        let publisher = state.publisher.read().unwrap_or_else(|p| p.into_inner());
        let found = match snap.get(&path) {
            Some(doc) => Found::Doc(doc.clone()),
            None => match publisher.cached_on_demand(&path) {
                Some(doc) => Found::Doc(doc),
                None => match publisher.catalog().selection_for_path(&path) {
                    Some(sel) => Found::Render(Box::new(publisher.clone()), sel),
                    None => Found::Nothing,
                },
            },
        };
        (hub_link_header(publisher.hubs()), found)
    };
    let doc = match found {
        Found::Doc(doc) => doc,
        Found::Nothing => return plain(StatusCode::NOT_FOUND, "not found\n"),
        Found::Render(publisher, sel) => match render_on_demand(state, publisher, sel, &path).await
        {
            Ok(doc) => doc,
            Err(r) => return r,
        },
    };
    respond(&doc, link.as_ref(), &req)
}

/// Where a request's document comes from.
enum Found {
    Doc(Arc<Rendered>),
    Render(Box<Publisher>, crate::publish::catalog::Selection),
    Nothing,
}

/// Renders `sel` for a request of `path`, when a render slot is free (or soon: a few
/// requests wait for one); a `503` when too many wait.
async fn render_on_demand(
    state: &ServeState,
    publisher: Box<Publisher>,
    sel: crate::publish::catalog::Selection,
    path: &str,
) -> Result<Arc<Rendered>, Response<Body>> {
    let busy = || {
        let mut r = plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy rendering other documents; try again\n",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        r
    };
    let Ok(_waiting) = state.renders.waiting.try_acquire() else {
        return Err(busy());
    };
    let Ok(_running) = state.renders.running.acquire().await else {
        return Err(busy());
    };
    // Rendered by a request that held the slot before this one?
    if let Some(doc) = publisher.cached_on_demand(path) {
        return Ok(doc);
    }
    let rendered = state
        .db
        .read(move |s| Ok(publisher.render_on_demand(s, &sel)))
        .await;
    let docs = match rendered {
        Ok(Ok(docs)) => docs,
        Ok(Err(e)) => {
            tracing::error!(error = %e, path, "rendering on demand failed");
            return Err(plain_owned(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot render {path}\n"),
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, path, "rendering on demand failed");
            return Err(plain_owned(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot render {path}\n"),
            ));
        }
    };
    docs.into_iter()
        .find(|(p, _)| p == path)
        .map(|(_, d)| d)
        .ok_or_else(|| plain(StatusCode::NOT_FOUND, "not found\n"))
}

fn hub_link_header(hubs: &[url::Url]) -> Option<HeaderValue> {
    if hubs.is_empty() {
        return None;
    }
    let v = hubs
        .iter()
        .map(|h| format!("<{h}>; rel=\"hub\""))
        .collect::<Vec<_>>()
        .join(", ");
    HeaderValue::from_str(&v).ok()
}

fn respond(doc: &Rendered, hub_link: Option<&HeaderValue>, req: &Request<Body>) -> Response<Body> {
    let coding = negotiate(
        req.headers()
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    let etag = tagged(&doc.etag, coding);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(doc.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(doc.last_modified.into())) {
        headers.insert(header::LAST_MODIFIED, v);
    }
    headers.typed_insert(
        CacheControl::new()
            .with_public()
            .with_max_age(std::time::Duration::from_secs(MAX_AGE_SECS)),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if doc.content_type.starts_with("text/html") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(crate::publish::html_csp()),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    } else if let Some(link) = hub_link {
        headers.insert(header::LINK, link.clone());
    }

    if not_modified(req.headers(), doc, coding) {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        headers.remove(header::CONTENT_TYPE);
        *r.headers_mut() = headers;
        return r;
    }

    let body = match coding {
        Coding::Identity => doc.body(),
        Coding::Gzip => doc.gzip().clone(),
        Coding::Brotli => doc.brotli().clone(),
    };
    match coding {
        Coding::Gzip => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        Coding::Brotli => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        }
        Coding::Identity => {}
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let mut r = Response::new(if req.method() == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body)
    });
    *r.headers_mut() = headers;
    r
}

fn tagged(etag: &str, coding: Coding) -> String {
    let inner = etag.trim_matches('"');
    format!("\"{inner}{}\"", coding.etag_suffix())
}

/// RFC 9110 §13.1: If-None-Match decides when present (any coding's tag of this
/// version matches); otherwise If-Modified-Since.
fn not_modified(h: &HeaderMap, doc: &Rendered, coding: Coding) -> bool {
    if let Some(inm) = h.typed_get::<IfNoneMatch>() {
        let candidates = [coding, Coding::Identity, Coding::Gzip, Coding::Brotli];
        return candidates.iter().any(|c| {
            tagged(&doc.etag, *c)
                .parse::<ETag>()
                .is_ok_and(|t| !inm.precondition_passes(&t))
        });
    }
    if let Some(ims) = h.typed_get::<IfModifiedSince>() {
        let lm: SystemTime = doc.last_modified.into();
        // HTTP dates have whole seconds.
        let lm = lm
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(d.as_secs()))
            .unwrap_or(lm);
        return !ims.is_modified(lm);
    }
    false
}

fn plain_owned(status: StatusCode, msg: String) -> Response<Body> {
    let mut r = Response::new(Body::from(msg));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn plain(status: StatusCode, msg: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(msg));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Serves `state` on `listener` until `shutdown` resolves, within the default
/// [`Limits`] (see [`accept`]).
pub async fn serve(
    listener: TcpListener,
    state: ServeState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, Limits::for_this_process(), shutdown).await
}

/// [`serve`] within `limits`.
pub async fn serve_with(
    listener: TcpListener,
    state: ServeState,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = state.metrics.clone();
    let handler = move |req: Request<Body>| {
        let state = state.clone();
        async move { handle(&state, req).await }
    };
    accept::run(listener, limits, metrics, handler, shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_by_q_value() {
        assert_eq!(negotiate(None), Coding::Identity);
        assert_eq!(negotiate(Some("gzip")), Coding::Gzip);
        assert_eq!(negotiate(Some("gzip, deflate, br")), Coding::Brotli);
        assert_eq!(negotiate(Some("br;q=0.5, gzip;q=0.8")), Coding::Gzip);
        assert_eq!(negotiate(Some("br;q=0, gzip;q=0")), Coding::Identity);
        assert_eq!(negotiate(Some("identity")), Coding::Identity);
        assert_eq!(negotiate(Some("*")), Coding::Brotli);
        assert_eq!(negotiate(Some("br;q=0, *;q=0.5")), Coding::Gzip);
    }
}
