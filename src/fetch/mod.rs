//! Fetch: one HTTP(S) GET or local file read per poll, bounded in time and size.
//!
//! The body is read as a stream and the read stops at the size cap, so no response can
//! exhaust memory. `file://` sources are read from disk under the same cap (useful for
//! fixtures and for pages saved by another tool).

use std::time::Duration;

use futures_util::StreamExt;
use url::Url;

/// Limits that apply to one fetch.
#[derive(Debug, Clone)]
pub struct Limits {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub max_body: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_body: 8 * 1024 * 1024,
        }
    }
}

/// A fetched document.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: Option<u16>,
    /// Where the body came from after redirects.
    pub final_url: Url,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Why a fetch failed. Every message names the URL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: HTTP {status}")]
    Status { url: Url, status: u16 },
    #[error("{url}: no response within {limit:?} (total_timeout)")]
    Timeout { url: Url, limit: Duration },
    #[error("{url}: body larger than {limit} bytes (max_body)")]
    TooLarge { url: Url, limit: u64 },
    #[error("{url}: {message}")]
    Transport { url: Url, message: String },
    #[error("{url}: cannot read file: {source}")]
    File { url: Url, source: std::io::Error },
}

impl FetchError {
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The HTTP client, shared by all polls.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    limits: Limits,
}

/// Installs the TLS crypto provider once per process.
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    pub fn new(user_agent: &str, limits: Limits) -> Fetcher {
        install_crypto();
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.total_timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .expect("HTTP client configuration is static");
        Fetcher { client, limits }
    }

    /// Fetches `url` (http, https or file).
    pub async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError> {
        if url.scheme() == "file" {
            return self.read_file(url).await;
        }
        let resp = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| self.map(url, e))?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            return Err(FetchError::Status {
                url: url.clone(),
                status,
            });
        }
        let final_url = resp.url().clone();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.map(url, e))?;
            if body.len() as u64 + chunk.len() as u64 > self.limits.max_body {
                return Err(FetchError::TooLarge {
                    url: url.clone(),
                    limit: self.limits.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status: Some(status),
            final_url,
            content_type,
            body,
        })
    }

    async fn read_file(&self, url: &Url) -> Result<Fetched, FetchError> {
        use tokio::io::AsyncReadExt;
        let file_err = |source| FetchError::File {
            url: url.clone(),
            source,
        };
        let path = url.to_file_path().map_err(|_| {
            file_err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a local path",
            ))
        })?;
        let file = tokio::fs::File::open(&path).await.map_err(file_err)?;
        let mut body = Vec::new();
        file.take(self.limits.max_body + 1)
            .read_to_end(&mut body)
            .await
            .map_err(file_err)?;
        if body.len() as u64 > self.limits.max_body {
            return Err(FetchError::TooLarge {
                url: url.clone(),
                limit: self.limits.max_body,
            });
        }
        Ok(Fetched {
            status: None,
            final_url: url.clone(),
            content_type: None,
            body,
        })
    }

    fn map(&self, url: &Url, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            return FetchError::Timeout {
                url: url.clone(),
                limit: self.limits.total_timeout,
            };
        }
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message = format!("{message}: {s}");
            source = s.source();
        }
        FetchError::Transport {
            url: url.clone(),
            message,
        }
    }
}
