//! The HTTP side of [`Fetcher`]: clients, the redirect loop, the capped body stream.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{self, HeaderMap};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use super::gate::{HostGate, HostPermit};
use super::policy::{self, GuardedResolver};
use super::{FetchError, Fetched, Hop, Meta, Outcome, Proxy, Request, Validators, install_crypto};

/// Clients differ only by what a request cannot change: connect timeout, proxy, and
/// whether names are resolved through the [`GuardedResolver`].
type ClientKey = (Duration, Proxy, bool);

/// A client builder with what every tocsin client shares: the User-Agent, the connect
/// timeout, no redirects (tocsin follows them itself, or not at all), and the
/// configured proxy (`env`, `none` or a URL), so that `proxy = "none"` means none.
pub fn client_builder(
    user_agent: &str,
    connect_timeout: Duration,
    proxy: &Proxy,
) -> Result<reqwest::ClientBuilder, String> {
    install_crypto();
    #[allow(
        clippy::disallowed_methods,
        reason = "the one place tocsin's HTTP clients are built"
    )]
    let b = reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true);
    Ok(match proxy {
        Proxy::FromEnv => b,
        Proxy::Direct => b.no_proxy(),
        Proxy::Url(u) => {
            let p = reqwest::Proxy::all(u.as_str()).map_err(|e| format!("proxy {u}: {e}"))?;
            b.no_proxy().proxy(p)
        }
    })
}

/// The proxies a client may connect to, whose names its resolver resolves unchecked.
fn proxy_hosts(proxy: &Proxy) -> Vec<String> {
    match proxy {
        Proxy::FromEnv => policy::env_proxy_hosts(),
        Proxy::Direct => Vec::new(),
        Proxy::Url(u) => u.host_str().map(str::to_string).into_iter().collect(),
    }
}

/// Whether a request may go through a proxy, which resolves names itself.
fn may_use_proxy(proxy: &Proxy) -> bool {
    match proxy {
        Proxy::FromEnv => !policy::env_proxy_hosts().is_empty(),
        Proxy::Direct => false,
        Proxy::Url(_) => true,
    }
}

/// The HTTP client, shared by all polls (cheap to clone).
#[derive(Debug, Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    user_agent: String,
    gate: HostGate,
    permits: Arc<Semaphore>,
    clients: Mutex<HashMap<ClientKey, reqwest::Client>>,
}

/// Where a fetch is in its chain of redirects.
struct Hops {
    /// The URL of the current hop.
    url: Url,
    visited: HashSet<Url>,
    /// Every redirect followed, in order.
    hops: Vec<Hop>,
    /// The turn of the current hop's host, once taken.
    turn: Option<Turn>,
    deadline: Option<Instant>,
}

impl Hops {
    fn new(url: Url) -> Hops {
        Hops {
            visited: HashSet::from([url.clone()]),
            url,
            hops: Vec::new(),
            turn: None,
            deadline: None,
        }
    }

    /// Moves to the target of the redirect `resp`, unless it has no usable
    /// `Location`, there were too many, or it loops.
    fn follow(&mut self, req: &Request, resp: &reqwest::Response) -> Result<(), FetchError> {
        let status = resp.status().as_u16();
        let location = header_string(resp.headers(), header::LOCATION);
        let next = location.as_deref().and_then(|l| self.url.join(l).ok());
        let Some(next) = next.filter(|n| matches!(n.scheme(), "http" | "https")) else {
            return Err(FetchError::BadRedirect {
                id: req.source.clone(),
                url: self.url.to_string(),
                status,
                location: location.unwrap_or_else(|| "none".into()),
            });
        };
        if self.hops.len() >= req.limits.max_redirects {
            return Err(FetchError::TooManyRedirects {
                id: req.source.clone(),
                url: req.url.to_string(),
                limit: req.limits.max_redirects,
            });
        }
        if !self.visited.insert(next.clone()) {
            return Err(FetchError::RedirectLoop {
                id: req.source.clone(),
                url: req.url.to_string(),
                to: next.to_string(),
            });
        }
        let from = std::mem::replace(&mut self.url, next.clone());
        self.hops.push(Hop {
            status,
            from,
            to: next,
        });
        Ok(())
    }
}

fn timeout(req: &Request, url: &Url) -> FetchError {
    FetchError::Timeout {
        id: req.source.clone(),
        url: url.to_string(),
        limit: req.limits.timeout,
    }
}

/// The host's turn and a global slot, held while talking to one host.
struct Turn {
    host: String,
    _host: HostPermit,
    _slot: OwnedSemaphorePermit,
}

fn header_string(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn meta_of(status: u16, headers: &HeaderMap, final_url: &Url, redirects: Vec<Hop>) -> Meta {
    Meta {
        status: Some(status),
        final_url: Some(final_url.clone()),
        redirects,
        validators: Validators {
            etag: header_string(headers, header::ETAG),
            last_modified: header_string(headers, header::LAST_MODIFIED),
        },
        content_type: header_string(headers, header::CONTENT_TYPE),
        cache_control: header_string(headers, header::CACHE_CONTROL),
        expires: header_string(headers, header::EXPIRES),
        date: header_string(headers, header::DATE),
    }
}

impl Fetcher {
    /// `concurrency` requests at most at once in all; `host_spacing` between two
    /// requests to one host.
    pub fn new(user_agent: &str, concurrency: usize, host_spacing: Duration) -> Fetcher {
        install_crypto();
        Fetcher {
            inner: Arc::new(Inner {
                user_agent: user_agent.to_string(),
                gate: HostGate::new(host_spacing),
                permits: Arc::new(Semaphore::new(concurrency.max(1))),
                clients: Mutex::default(),
            }),
        }
    }

    /// The client for one hop: `guarded` clients resolve names through the
    /// [`GuardedResolver`], for URLs the [`policy`] judges.
    fn client(&self, req: &Request, guarded: bool) -> Result<reqwest::Client, FetchError> {
        let key = (req.limits.connect_timeout, req.proxy.clone(), guarded);
        let mut clients = self.inner.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let transport = |message| FetchError::Transport {
            id: req.source.clone(),
            url: req.url.to_string(),
            message,
        };
        let mut b = client_builder(
            &self.inner.user_agent,
            req.limits.connect_timeout,
            &req.proxy,
        )
        .map_err(transport)?
        // No idle connections: polls of one host are minutes apart (or at least
        // `host_spacing`), so reuse saves little, while hyper keeps each idle
        // connection's grown read buffer: 1,000 publishers held ~40 MB that way.
        .pool_max_idle_per_host(0);
        if guarded {
            b = b.dns_resolver(GuardedResolver::system(proxy_hosts(&req.proxy)));
        }
        let client = b
            .build()
            .map_err(|e| transport(format!("cannot build the HTTP client: {e}")))?;
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// Judges one hop of a fetch: `Ok(true)` when the hop's URL is derived and must go
    /// through a guarded client, after the checks that can be made before sending (the
    /// scheme, IP literals, and the name when a proxy will resolve it).
    async fn judge(
        &self,
        req: &Request,
        url: &Url,
        first: bool,
        from: Option<&Url>,
    ) -> Result<bool, FetchError> {
        let trusted = first && req.derived_from.is_none();
        if trusted {
            return Ok(false);
        }
        let refused = |refusal| FetchError::Refused {
            id: req.source.clone(),
            url: url.to_string(),
            redirected_from: from.map(Url::to_string),
            refusal: Box::new(refusal),
        };
        // Whatever else is allowed, a derived URL is never a local file.
        policy::check_scheme(url).map_err(refused)?;
        if req.allow_private || policy::same_origin(req.configured(), url) {
            return Ok(false);
        }
        policy::check_literal(url).map_err(refused)?;
        // Through a proxy the resolver sees only the proxy's name: check the host here
        // (fail closed when it does not resolve).
        if let Some(url::Host::Domain(host)) = url.host()
            && may_use_proxy(&req.proxy)
        {
            let check = GuardedResolver::system(Vec::new());
            match tokio::time::timeout(req.limits.connect_timeout, check.check_host(host)).await {
                Ok(r) => r.map_err(refused)?,
                Err(_) => {
                    return Err(refused(policy::Refusal::Unresolved {
                        host: host.to_string(),
                        reason: format!(
                            "no answer within {} (connect_timeout)",
                            humantime::format_duration(req.limits.connect_timeout)
                        ),
                    }));
                }
            }
        }
        Ok(true)
    }

    async fn turn(&self, url: &Url) -> Turn {
        let host = url.host_str().unwrap_or("").to_string();
        let host_permit = self.inner.gate.acquire(&host).await;
        let slot = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the fetch semaphore is never closed");
        Turn {
            host,
            _host: host_permit,
            _slot: slot,
        }
    }

    /// Fetches `req.url` (http, https or file).
    /// A derived URL goes through [`policy`] at every hop; a configured one is trusted
    /// at its first hop only (redirects are derived).
    pub async fn fetch(&self, req: &Request) -> Result<Outcome, FetchError> {
        if req.url.scheme() == "file" && req.derived_from.is_none() {
            return self.read_file(req).await;
        }
        let mut hops = Hops::new(req.url.clone());
        loop {
            // Judged before taking the host's turn: a refused hop never waits for it.
            let from = hops.hops.last().map(|h: &Hop| &h.from);
            let guarded = self
                .judge(req, &hops.url, hops.hops.is_empty(), from)
                .await?;
            let client = self.client(req, guarded)?;
            let deadline = self.take_turn(req, &mut hops).await;
            let resp = self.send(req, &client, &hops, deadline).await?;
            let status = resp.status().as_u16();
            if resp.status().is_redirection() && status != 304 {
                hops.follow(req, &resp)?;
                continue;
            }
            return self.finish(req, hops, resp, deadline).await;
        }
    }

    /// Waits for the turn of the hop's host (unless it holds it already, after a
    /// redirect to the same host) and returns the fetch's deadline. The total timeout
    /// runs while we talk to servers, not while we wait our turn.
    async fn take_turn(&self, req: &Request, hops: &mut Hops) -> Instant {
        let host = hops.url.host_str().unwrap_or("");
        if hops.turn.as_ref().is_none_or(|t| t.host != host) {
            drop(hops.turn.take()); // never hold one host while waiting for another
            let waited_from = Instant::now();
            hops.turn = Some(self.turn(&hops.url).await);
            hops.deadline = Some(match hops.deadline {
                None => Instant::now() + req.limits.timeout,
                Some(d) => d + waited_from.elapsed(),
            });
        }
        hops.deadline
            .unwrap_or_else(|| Instant::now() + req.limits.timeout)
    }

    /// Sends the GET of the current hop, conditional when the request has validators.
    async fn send(
        &self,
        req: &Request,
        client: &reqwest::Client,
        hops: &Hops,
        deadline: Instant,
    ) -> Result<reqwest::Response, FetchError> {
        let url = &hops.url;
        let mut rb = client.get(url.clone()).header(header::ACCEPT, req.accept);
        if let Some(e) = &req.validators.etag {
            rb = rb.header(header::IF_NONE_MATCH, e);
        }
        if let Some(lm) = &req.validators.last_modified {
            rb = rb.header(header::IF_MODIFIED_SINCE, lm);
        }
        match tokio::time::timeout_at(deadline, rb.send()).await {
            Err(_) => Err(timeout(req, url)),
            Ok(Err(e)) => Err(self.map(req, url, hops.hops.last().map(|h| &h.from), e)),
            Ok(Ok(r)) => Ok(r),
        }
    }

    /// The last hop's answer: 304, an error status, or the body (read by the deadline).
    async fn finish(
        &self,
        req: &Request,
        hops: Hops,
        resp: reqwest::Response,
        deadline: Instant,
    ) -> Result<Outcome, FetchError> {
        let status = resp.status().as_u16();
        let url = hops.url;
        let meta = meta_of(status, resp.headers(), &url, hops.hops);
        if status == 304 {
            return Ok(Outcome::NotModified(meta));
        }
        if !resp.status().is_success() {
            return Err(FetchError::Status {
                id: req.source.clone(),
                url: url.to_string(),
                status,
                retry_after: header_string(resp.headers(), header::RETRY_AFTER),
            });
        }
        let body = match tokio::time::timeout_at(deadline, self.read_body(req, &url, resp)).await {
            Err(_) => return Err(timeout(req, &url)),
            Ok(r) => r?,
        };
        drop(hops.turn);
        Ok(Outcome::Body(Fetched {
            meta,
            final_url: url,
            body,
        }))
    }

    /// Streams the (decompressed) body, stopping as soon as it passes the cap.
    async fn read_body(
        &self,
        req: &Request,
        url: &Url,
        mut resp: reqwest::Response,
    ) -> Result<Vec<u8>, FetchError> {
        let limit = req.limits.max_body;
        let too_large = || FetchError::TooLarge {
            id: req.source.clone(),
            url: url.to_string(),
            limit,
        };
        // Content-Length is absent when reqwest decompresses, so this only catches an
        // honest large plain body early; the stream check below catches everything.
        let expected = resp.content_length().unwrap_or(0);
        if expected > limit {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(expected.min(limit) as usize);
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.map(req, url, None, e))?
        {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    async fn read_file(&self, req: &Request) -> Result<Outcome, FetchError> {
        use tokio::io::AsyncReadExt;
        let url = &req.url;
        let file_err = |error| FetchError::File {
            id: req.source.clone(),
            url: url.to_string(),
            error,
        };
        let path = url.to_file_path().map_err(|_| {
            file_err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a local path",
            ))
        })?;
        let file = tokio::fs::File::open(&path).await.map_err(file_err)?;
        let mut body = Vec::new();
        file.take(req.limits.max_body + 1)
            .read_to_end(&mut body)
            .await
            .map_err(file_err)?;
        if body.len() as u64 > req.limits.max_body {
            return Err(FetchError::TooLarge {
                id: req.source.clone(),
                url: url.to_string(),
                limit: req.limits.max_body,
            });
        }
        Ok(Outcome::Body(Fetched {
            meta: Meta {
                final_url: Some(url.clone()),
                ..Meta::default()
            },
            final_url: url.clone(),
            body,
        }))
    }

    fn map(&self, req: &Request, url: &Url, from: Option<&Url>, e: reqwest::Error) -> FetchError {
        // The guarded resolver's refusal, somewhere in the chain of causes.
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            if let Some(refusal) = s.downcast_ref::<policy::Refusal>() {
                return FetchError::Refused {
                    id: req.source.clone(),
                    url: url.to_string(),
                    redirected_from: from.map(Url::to_string),
                    refusal: Box::new(refusal.clone()),
                };
            }
            source = s.source();
        }
        if e.is_connect() && e.is_timeout() {
            return FetchError::ConnectTimeout {
                id: req.source.clone(),
                url: url.to_string(),
                limit: req.limits.connect_timeout,
            };
        }
        if e.is_timeout() {
            return FetchError::Timeout {
                id: req.source.clone(),
                url: url.to_string(),
                limit: req.limits.timeout,
            };
        }
        // reqwest's own message repeats the URL; its causes say what happened.
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            causes.push(s.to_string());
            source = s.source();
        }
        let message = if causes.is_empty() {
            e.to_string()
        } else {
            causes.join(": ")
        };
        FetchError::Transport {
            id: req.source.clone(),
            url: url.to_string(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::SourceFetch;
    use crate::fetch::policy::{Refusal, Rule};

    /// A listener that must never see a connection.
    fn trap() -> (std::net::TcpListener, u16) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        (l, port)
    }

    fn untouched(l: &std::net::TcpListener) -> bool {
        matches!(l.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
    }

    #[tokio::test]
    async fn a_derived_name_is_refused_on_its_resolved_address_without_connecting() {
        let (listener, port) = trap();
        let fetcher = Fetcher::new("tocsin-test", 2, Duration::ZERO);
        let fetch = SourceFetch {
            proxy: Proxy::Direct,
            ..SourceFetch::default()
        };
        let configured = Url::parse("https://listing.example/").unwrap();
        let url = Url::parse(&format!("http://localhost:{port}/admin")).unwrap();
        let req = Request::new("s", url.clone(), &fetch).derived_from(&configured);
        let err = fetcher.fetch(&req).await.unwrap_err();
        match &err {
            FetchError::Refused {
                refusal, url: u, ..
            } => {
                assert_eq!(u, url.as_str());
                assert!(
                    matches!(
                        **refusal,
                        Refusal::Address {
                            rule: Rule::Loopback,
                            literal: false,
                            ..
                        }
                    ),
                    "{err}"
                );
            }
            other => panic!("{other}"),
        }
        assert!(untouched(&listener));

        // The same URL configured is fetched as written (and reaches the listener): the
        // test waits for that connection, however slowly the fetch gets to it.
        let req = Request::new("s", url.clone(), &fetch);
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        tokio::select! {
            biased;
            accepted = listener.accept() => assert!(accepted.is_ok()),
            _ = fetcher.fetch(&req) => panic!("the fetch ended without connecting"),
            _ = tokio::time::sleep(Duration::from_secs(30)) => panic!("no connection in 30 s"),
        }
    }

    #[tokio::test]
    async fn a_derived_file_url_is_never_read() {
        let fetcher = Fetcher::new("tocsin-test", 2, Duration::ZERO);
        let fetch = SourceFetch {
            allow_private: true,
            ..SourceFetch::default()
        };
        let configured = Url::parse("https://listing.example/").unwrap();
        let url = Url::parse("file:///etc/passwd").unwrap();
        let req = Request::new("s", url, &fetch).derived_from(&configured);
        let err = fetcher.fetch(&req).await.unwrap_err();
        assert!(
            err.to_string()
                .starts_with("source `s`: file:///etc/passwd: refused: a file: URL"),
            "{err}"
        );
    }
}
