//! Delivery: one rendered message through one channel, e-mail (lettre, SMTP) or webhook
//! (reqwest, HMAC-SHA256 signature). Each attempt is bounded in time; the answer says
//! whether to try again.

use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;

use super::channel::{Channel, Kind, Security, Smtp};
use super::templates::Rendered;

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again (a server down, a timeout, a 4xx SMTP reply, HTTP 5xx/429).
    #[error("{0}")]
    Transient(String),
    /// Refused for good (a 5xx SMTP reply, HTTP 4xx, a redirect, a bad address).
    #[error("{0}")]
    Permanent(String),
}

/// The headers a message carries besides its body.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The delivery id: the same at every attempt (`X-Tocsin-Delivery`, and the local
    /// part of the `Message-ID`).
    pub delivery: String,
    /// `case`, `digest`, `source_failing`, `source_recovered`.
    pub event: String,
    /// The delivery id of the message a follow-up develops (`In-Reply-To`).
    pub in_reply_to: Option<String>,
    /// The host part of Message-IDs (the public URL's host).
    pub domain: String,
}

/// HTTP user agent and timeouts for webhooks.
#[derive(Debug, Clone)]
pub struct WebClient {
    /// Built at the first webhook, so that a process without one does not hold a TLS
    /// configuration and its root certificates.
    client: std::sync::Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
    user_agent: String,
    proxy: crate::fetch::Proxy,
    timeout: Duration,
}

impl WebClient {
    /// A client through the `[fetch] proxy`, that never follows a redirect.
    pub fn new(user_agent: &str, proxy: &crate::fetch::Proxy, timeout: Duration) -> WebClient {
        WebClient {
            client: Default::default(),
            user_agent: user_agent.to_string(),
            proxy: proxy.clone(),
            timeout,
        }
    }

    /// The client, or why it could not be built.
    pub fn client(&self) -> &Result<reqwest::Client, String> {
        self.client.get_or_init(|| {
            crate::fetch::client_builder(&self.user_agent, Duration::from_secs(10), &self.proxy)
                .and_then(|b| {
                    b.timeout(self.timeout)
                        .build()
                        .map_err(|e| format!("cannot build the HTTP client: {e}"))
                })
        })
    }
}

/// Sends `msg` through `channel`; returns the server's answer.
pub(super) async fn send(
    channel: &Channel,
    smtp: Option<&Smtp>,
    web: &WebClient,
    env: &Envelope,
    msg: &Rendered,
    json_body: &str,
) -> Result<String, SendError> {
    match &channel.kind {
        Kind::Email { to } => {
            let smtp = smtp.ok_or_else(|| {
                SendError::Permanent("no [smtp] server is configured".to_string())
            })?;
            email(channel, smtp, to, env, msg).await
        }
        Kind::Webhook { url, secret } => {
            webhook(
                web,
                url,
                secret.as_ref().map(|s| s.expose().as_bytes()),
                env,
                json_body,
            )
            .await
        }
    }
}

fn raw(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// The e-mail: text and HTML alternatives, a stable Message-ID, list headers.
pub fn build_email(
    channel: &Channel,
    smtp: &Smtp,
    to: &[lettre::message::Mailbox],
    env: &Envelope,
    msg: &Rendered,
) -> Result<Message, SendError> {
    let mut b = Message::builder()
        .from(smtp.from.clone())
        .subject(msg.subject.clone())
        .message_id(Some(format!("<{}@{}>", env.delivery, env.domain)))
        .raw_header(raw("Auto-Submitted", "auto-generated".into()))
        .raw_header(raw("X-Auto-Response-Suppress", "All".into()))
        .raw_header(raw("Precedence", "list".into()))
        .raw_header(raw(
            "List-Id",
            format!("tocsin {} <{}.{}>", channel.id, channel.id, env.domain),
        ))
        .raw_header(raw("X-Tocsin-Event", env.event.clone()))
        .raw_header(raw("X-Tocsin-Delivery", env.delivery.clone()));
    if let Some(u) = &channel.unsubscribe {
        b = b.raw_header(raw("List-Unsubscribe", format!("<{u}>")));
    }
    if let Some(parent) = &env.in_reply_to {
        let id = format!("<{parent}@{}>", env.domain);
        b = b.in_reply_to(id.clone()).references(id);
    }
    for m in to {
        b = b.to(m.clone());
    }
    b.multipart(
        MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(msg.text.clone()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(msg.html.clone()),
            ),
    )
    .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
}

fn transport(smtp: &Smtp) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let tls_err = |e: lettre::transport::smtp::Error| {
        SendError::Permanent(format!("SMTP {}: TLS setup failed: {e}", smtp.host))
    };
    let builder = match smtp.security {
        Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        Security::StartTls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(tls_err)?
        }
        Security::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(tls_err)?
        }
    };
    let mut builder = builder.port(smtp.port).timeout(Some(smtp.timeout));
    if let (Some(user), Some(pass)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), pass.expose().to_string()));
    }
    Ok(builder.build())
}

async fn email(
    channel: &Channel,
    smtp: &Smtp,
    to: &[lettre::message::Mailbox],
    env: &Envelope,
    msg: &Rendered,
) -> Result<String, SendError> {
    let message = build_email(channel, smtp, to, env, msg)?;
    let transport = transport(smtp)?;
    let sent = tokio::time::timeout(smtp.timeout * 2, transport.send(message)).await;
    match sent {
        Err(_) => Err(SendError::Transient(format!(
            "SMTP {}:{}: no answer within {:?}",
            smtp.host,
            smtp.port,
            smtp.timeout * 2
        ))),
        Ok(Ok(r)) => Ok(format!(
            "{} {}",
            r.code(),
            r.message().collect::<Vec<_>>().join(" ")
        )),
        Ok(Err(e)) => {
            let m = format!("SMTP {}:{}: {e}", smtp.host, smtp.port);
            if e.is_permanent() {
                Err(SendError::Permanent(m))
            } else {
                Err(SendError::Transient(m))
            }
        }
    }
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` with `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", crate::text::hex(&mac.finalize().into_bytes()))
}

/// Most bytes of a webhook's answer kept.
const ANSWER_BYTES: usize = 300;

async fn webhook(
    web: &WebClient,
    url: &url::Url,
    secret: Option<&[u8]>,
    env: &Envelope,
    body: &str,
) -> Result<String, SendError> {
    let client = web
        .client()
        .as_ref()
        .map_err(|e| SendError::Transient(e.clone()))?;
    let mut req = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Tocsin-Event", &env.event)
        .header("X-Tocsin-Delivery", &env.delivery)
        .body(body.to_string());
    if let Some(secret) = secret {
        req = req.header("X-Tocsin-Signature", signature(secret, body.as_bytes()));
    }
    let resp = req
        .send()
        .await
        .map_err(|e| SendError::Transient(format!("{url}: {e}")))?;
    let status = resp.status();
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Read a bounded part of the answer, for the record.
    let mut answer = Vec::new();
    let mut resp = resp;
    while let Ok(Some(chunk)) = resp.chunk().await {
        answer.extend_from_slice(&chunk);
        if answer.len() >= ANSWER_BYTES {
            break;
        }
    }
    let answer = crate::text::cut_text(
        &crate::publish::sanitize::plain(&String::from_utf8_lossy(&answer)),
        ANSWER_BYTES,
    );
    let line = format!("HTTP {status} {answer}").trim_end().to_string();
    if status.is_success() {
        Ok(line)
    } else if status.is_redirection() {
        Err(SendError::Permanent(format!(
            "{url}: redirect to {} not followed (configure the final URL)",
            location.as_deref().unwrap_or("?")
        )))
    } else if status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
    {
        Err(SendError::Transient(format!("{url}: {line}")))
    } else {
        Err(SendError::Permanent(format!("{url}: {line}")))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            super::signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
