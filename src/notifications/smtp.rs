//! SMTP delivery over a small pool of reused connections that have
//! TCP_NODELAY set.
//!
//! lettre speaks the protocol; this module only opens the sockets and keeps
//! them. lettre's own pooled transport (0.11.23) leaves Nagle's algorithm
//! on, and as it writes a message's body and the closing "." separately,
//! every message waited for the server's delayed ACK: about 40 ms, which
//! held each connection to some 22 emails a second. (lettre has merged the
//! same fix, PR #1159, but not released it; once it is, this module can go
//! back to `AsyncSmtpTransport`.)
//!
//! Import cycle with `crate::notifications::mailer`: this is one of the
//! mailer's transports and reports failures in the mailer's terms
//! (`SendFailure`), which the worker sorts into retry or give up.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::{ClientId, Extension};
use tokio::sync::Semaphore;
use url::Url;

use super::mailer::SendFailure;

/// An idle connection older than this is checked with NOOP before reuse:
/// servers drop quiet clients (Postfix after 300 s).
const CHECK_AFTER: Duration = Duration::from_secs(30);

/// How the connection is secured, as `mail.smtp_url` says.
enum Tls {
    /// `smtp://host`: plain.
    None,
    /// `smtp://host?tls=required` or `?tls=opportunistic`: STARTTLS.
    Starttls {
        params: TlsParameters,
        required: bool,
    },
    /// `smtps://host`: TLS from the first byte.
    Implicit(TlsParameters),
}

/// Up to `max_connections` connections to one SMTP server, opened when
/// needed and kept for the next message.
#[derive(Clone)]
pub struct SmtpPool {
    inner: Arc<Inner>,
}

struct Inner {
    host: String,
    port: u16,
    tls: Tls,
    hello: ClientId,
    credentials: Option<Credentials>,
    timeout: Duration,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    slots: Semaphore,
}

impl SmtpPool {
    /// Reads `url` as lettre's `from_url` does: scheme, host, port (25,
    /// 587 with `tls=`, 465 for smtps), user and password, and the HELO
    /// name as the path. `username`/`password` override the URL's.
    pub fn new(
        url: &str,
        username: Option<&str>,
        password: Option<&str>,
        timeout: Duration,
        max_connections: u32,
    ) -> anyhow::Result<Self> {
        let bad = |why: &str| anyhow::anyhow!("mail.smtp_url: {why}");
        let url = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        let host = url.host_str().ok_or_else(|| bad("no host"))?.to_owned();
        let tls_param = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let params = || TlsParameters::new(host.clone()).map_err(|e| bad(&e.to_string()));
        let (tls, default_port) =
            match (url.scheme(), tls_param.as_deref()) {
                ("smtp", None) => (Tls::None, 25),
                ("smtp", Some(mode @ ("required" | "opportunistic"))) => (
                    Tls::Starttls {
                        params: params()?,
                        required: mode == "required",
                    },
                    587,
                ),
                ("smtps", _) => (Tls::Implicit(params()?), 465),
                _ => return Err(bad(
                    "must be smtp:// (optionally ?tls=required or ?tls=opportunistic) or smtps://",
                )),
            };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|e| bad(&e.to_string()))
        };
        let from_url = match url.password() {
            Some(p) => Some((decode(url.username())?, decode(p)?)),
            None => None,
        };
        let credentials = match (username, password, from_url) {
            (Some(u), Some(p), _) => Some(Credentials::new(u.to_owned(), p.to_owned())),
            (_, _, Some((u, p))) => Some(Credentials::new(u, p)),
            _ => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                port: url.port().unwrap_or(default_port),
                host,
                tls,
                hello,
                credentials,
                timeout,
                idle: Mutex::new(Vec::new()),
                slots: Semaphore::new(max_connections as usize),
            }),
        })
    }

    /// Sends one message over a pooled connection (or a new one). A
    /// connection that saw any error is closed, never reused.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), SendFailure> {
        let inner = &self.inner;
        let _slot = inner.slots.acquire().await.map_err(|_| SendFailure {
            permanent: false,
            detail: "the mail pool is shutting down".into(),
        })?;
        let mut conn = match self.reuse().await {
            Some(c) => c,
            None => self.connect().await?,
        };
        if let Some(address) = needs_smtputf8(envelope) {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                lock(&inner.idle).push((conn, Instant::now()));
                // Retrying cannot help until the server changes: fail at
                // once, saying why, rather than after every retry.
                return Err(SendFailure {
                    permanent: true,
                    detail: format!(
                        "the address {address} has a non-ASCII local part, which needs SMTPUTF8 (RFC 6531), and the mail server does not offer it"
                    ),
                });
            }
        }
        let sent = tokio::time::timeout(inner.timeout, conn.send(envelope, message)).await;
        match sent {
            Ok(Ok(_)) => {
                if !conn.has_broken() {
                    lock(&inner.idle).push((conn, Instant::now()));
                }
                Ok(())
            }
            Ok(Err(e)) => Err(failure(&e)),
            Err(_) => Err(timed_out(inner.timeout)),
        }
    }

    /// The most recently used idle connection that still answers.
    async fn reuse(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = lock(&self.inner.idle).pop()?;
            if since.elapsed() < CHECK_AFTER || conn.test_connected().await {
                return Some(conn);
            }
            conn.abort().await;
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendFailure> {
        let inner = &self.inner;
        let opened = tokio::time::timeout(inner.timeout, async {
            let mut conn = match &inner.tls {
                // lettre opens TLS-from-the-start connections itself; such
                // a socket keeps Nagle on (see the module comment).
                Tls::Implicit(params) => AsyncSmtpConnection::connect_tokio1(
                    (inner.host.as_str(), inner.port),
                    Some(inner.timeout),
                    &inner.hello,
                    Some(params.clone()),
                    None,
                )
                .await
                .map_err(|e| failure(&e))?,
                _ => {
                    let tcp = tokio::net::TcpStream::connect((inner.host.as_str(), inner.port))
                        .await
                        .map_err(|e| SendFailure {
                            permanent: false,
                            detail: format!("connecting to {}:{}: {e}", inner.host, inner.port),
                        })?;
                    // The point of this module: each write goes out at once.
                    let _ = tcp.set_nodelay(true);
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &inner.hello)
                        .await
                        .map_err(|e| failure(&e))?
                }
            };
            if let Tls::Starttls { params, required } = &inner.tls {
                if conn.can_starttls() {
                    conn.starttls(params.clone(), &inner.hello)
                        .await
                        .map_err(|e| failure(&e))?;
                } else if *required {
                    conn.abort().await;
                    return Err(SendFailure {
                        permanent: false,
                        detail: "the server does not offer STARTTLS (tls=required)".into(),
                    });
                }
            }
            if let Some(credentials) = &inner.credentials {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await
                    .map_err(|e| failure(&e))?;
            }
            Ok(conn)
        })
        .await;
        opened.unwrap_or_else(|_| Err(timed_out(inner.timeout)))
    }
}

/// The first address of `envelope` that only SMTPUTF8 can carry (domains
/// are already punycode, see `email::smtp_address`).
fn needs_smtputf8(envelope: &Envelope) -> Option<String> {
    envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .find(|a| !AsRef::<str>::as_ref(*a).is_ascii())
        .map(ToString::to_string)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn timed_out(after: Duration) -> SendFailure {
    SendFailure {
        permanent: false,
        detail: format!("no answer from the mail server within {after:?} (mail.timeout_seconds)"),
    }
}

/// Only a 5xx answer is final; refused or dropped connections, timeouts,
/// TLS trouble and 4xx replies may pass.
fn failure(e: &lettre::transport::smtp::Error) -> SendFailure {
    use std::error::Error as _;
    let mut detail = e.to_string();
    if let Some(code) = e.status() {
        if !detail.contains(&code.to_string()) {
            detail = format!("{code} {detail}");
        }
    }
    let mut source = e.source();
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    SendFailure {
        permanent: e.is_permanent(),
        detail,
    }
}
