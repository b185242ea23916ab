//! Serve: the published documents over HTTP, from memory.
//!
//! The publisher installs a new [`Snapshot`] after every publish; requests read the
//! current one and never render anything. Only the published paths exist: anything
//! else is 404, so there is no directory listing and no way out of the output.

use std::future::Future;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use tokio::net::TcpListener;

use crate::publish::Published;

/// The router: every published path, nothing else.
pub fn router(published: Published) -> Router {
    Router::new().fallback(move |req: Request<Body>| {
        let published = published.clone();
        async move { respond(&published, &req) }
    })
}

fn respond(published: &Published, req: &Request<Body>) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    let path = req.uri().path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let snap = published.get();
    let Some(doc) = snap.get(path) else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    let mut resp = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, doc.content_type)
        .header(header::ETAG, &doc.etag)
        .header(
            header::LAST_MODIFIED,
            httpdate::fmt_http_date(doc.last_modified.into()),
        )
        .header(header::CACHE_CONTROL, "public, max-age=60")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if doc.content_type.starts_with("text/html") {
        resp = resp.header(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:",
            ),
        );
    }
    let body = if req.method() == Method::HEAD {
        Body::empty()
    } else {
        Body::from(bytes::Bytes::from_owner(doc.body.clone()))
    };
    resp.header(header::CONTENT_LENGTH, doc.body.len())
        .body(body)
        .expect("static headers are valid")
}

fn plain(status: StatusCode, msg: &'static str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(msg))
        .expect("static response")
}

/// Serves `published` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    published: Published,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(published))
        .with_graceful_shutdown(shutdown)
        .await
}
