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
//!
//! TLS, as `mail.smtp_url` says:
//! - `?tls=required` and `smtps://` verify the server's certificate against
//!   the bundled public roots, the operating system's store
//!   (`SSL_CERT_FILE`/`SSL_CERT_DIR` too) and `mail.tls_ca_file`;
//! - `?tls=opportunistic` is RFC 7435's opportunistic security: encrypt
//!   whenever STARTTLS is offered, without authenticating the server (a
//!   stock Postfix offers a self-signed certificate), and say once in the
//!   log that the certificate was not verified.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::extension::{ClientId, Extension};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio::sync::Semaphore;
use url::Url;

use super::mailer::SendFailure;

/// An idle connection older than this is checked with NOOP before reuse:
/// servers may drop quiet clients early.
const CHECK_AFTER: Duration = Duration::from_secs(30);

/// An idle connection older than this is closed with QUIT: well inside the
/// time servers wait for a quiet client (Postfix's `smtpd_timeout`, 300 s),
/// so the relay sees a polite goodbye rather than logging a timeout.
pub const RETIRE_AFTER: Duration = Duration::from_secs(120);

/// How the connection is secured, as `mail.smtp_url` says.
enum Tls {
    /// `smtp://host`: plain.
    None,
    /// `smtp://host?tls=required`: STARTTLS, verified, or no mail.
    Required(TlsParameters),
    /// `smtp://host?tls=opportunistic`: STARTTLS whenever the server offers
    /// it, the certificate accepted unverified (RFC 7435).
    Opportunistic(TlsParameters),
    /// `smtps://host`: TLS from the first byte, verified.
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
    /// The log said that the certificate was not verified (opportunistic).
    told_unverified: AtomicBool,
}

/// What [`SmtpPool::new`] needs besides the URL.
pub struct SmtpOptions<'a> {
    pub username: Option<&'a str>,
    pub password: Option<&'a str>,
    /// `mail.tls_ca_file`: PEM certificates trusted besides the usual roots.
    pub tls_ca_file: Option<&'a Path>,
    pub timeout: Duration,
    pub max_connections: u32,
}

impl SmtpPool {
    /// Reads `url` as lettre's `from_url` does: scheme, host, port (25,
    /// 587 with `tls=`, 465 for smtps), user and password, and the HELO
    /// name as the path. `username`/`password` override the URL's.
    ///
    /// Errors name the key: a URL that is not one, a `tls=` that is neither
    /// `required` nor `opportunistic`, a `mail.tls_ca_file` that cannot be
    /// read or holds no usable certificate.
    pub fn new(url: &str, options: &SmtpOptions<'_>) -> anyhow::Result<Self> {
        let bad = |why: &str| anyhow::anyhow!("mail.smtp_url: {why}");
        let url = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        let host = url.host_str().ok_or_else(|| bad("no host"))?.to_owned();
        let tls_param = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let extra = match options.tls_ca_file {
            Some(path) => read_ca_file(path)?,
            None => Vec::new(),
        };
        let verified = || verifying(&host, &extra);
        let (tls, default_port) =
            match (url.scheme(), tls_param.as_deref()) {
                ("smtp", None) => (Tls::None, 25),
                ("smtp", Some("required")) => (Tls::Required(verified()?), 587),
                ("smtp", Some("opportunistic")) => {
                    let params = TlsParameters::builder(host.clone())
                        .dangerous_accept_invalid_certs(true)
                        .build_rustls()
                        .map_err(|e| bad(&e.to_string()))?;
                    (Tls::Opportunistic(params), 587)
                }
                ("smtps", _) => (Tls::Implicit(verified()?), 465),
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
        let credentials = match (options.username, options.password, from_url) {
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
                timeout: options.timeout,
                idle: Mutex::new(Vec::new()),
                slots: Semaphore::new(options.max_connections as usize),
                told_unverified: AtomicBool::new(false),
            }),
        })
    }

    /// `host:port`, for messages.
    fn server(&self) -> String {
        format!("{}:{}", self.inner.host, self.inner.port)
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
                        "the address {address} has a non-ASCII local part, which needs SMTPUTF8 (RFC 6531), and the mail server {} does not offer it",
                        self.server()
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
            Ok(Err(e)) => Err(self.failure("sending to", &e)),
            // The server stopped answering mid-message: the connection
            // is dropped without a QUIT it would not answer either.
            Err(_) => Err(self.timed_out()),
        }
    }

    /// The most recently used idle connection that still answers. One
    /// idle for too long is closed with QUIT instead.
    async fn reuse(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = lock(&self.inner.idle).pop()?;
            let idle = since.elapsed();
            if idle >= RETIRE_AFTER {
                self.quit(conn).await;
                continue;
            }
            if idle < CHECK_AFTER || conn.test_connected().await {
                return Some(conn);
            }
            self.quit(conn).await;
        }
    }

    /// Closes, with QUIT, every idle connection unused for `max_idle` or
    /// longer; returns how many. The worker calls this between passes with
    /// [`RETIRE_AFTER`], so no connection waits for the server to drop it.
    pub async fn retire_idle(&self, max_idle: Duration) -> usize {
        let old: Vec<AsyncSmtpConnection> = {
            let mut idle = lock(&self.inner.idle);
            let (old, keep) = idle.drain(..).partition(|(_, t)| t.elapsed() >= max_idle);
            *idle = keep;
            old.into_iter().map(|(c, _)| c).collect()
        };
        let n = old.len();
        for conn in old {
            self.quit(conn).await;
        }
        n
    }

    /// Closes every idle connection with QUIT (the worker is stopping).
    pub async fn close(&self) -> usize {
        self.retire_idle(Duration::ZERO).await
    }

    /// Says QUIT, unless the connection is known to be broken, and closes
    /// it, waiting at most `mail.timeout_seconds` for the server.
    async fn quit(&self, mut conn: AsyncSmtpConnection) {
        let _ = tokio::time::timeout(self.inner.timeout, conn.abort()).await;
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
                .map_err(|e| self.failure("connecting over TLS to", &e))?,
                _ => {
                    let tcp = tokio::net::TcpStream::connect((inner.host.as_str(), inner.port))
                        .await
                        .map_err(|e| SendFailure {
                            permanent: false,
                            detail: format!("connecting to {} failed: {e}", self.server()),
                        })?;
                    // The point of this module: each write goes out at once.
                    let _ = tcp.set_nodelay(true);
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &inner.hello)
                        .await
                        .map_err(|e| self.failure("greeting", &e))?
                }
            };
            match &inner.tls {
                Tls::Required(params) if conn.can_starttls() => conn
                    .starttls(params.clone(), &inner.hello)
                    .await
                    .map_err(|e| self.failure("STARTTLS with", &e))?,
                Tls::Required(_) => {
                    self.quit(conn).await;
                    return Err(SendFailure {
                        permanent: false,
                        detail: format!(
                            "the mail server {} does not offer STARTTLS (tls=required)",
                            self.server()
                        ),
                    });
                }
                Tls::Opportunistic(params) if conn.can_starttls() => {
                    conn.starttls(params.clone(), &inner.hello)
                        .await
                        .map_err(|e| self.failure("STARTTLS with", &e))?;
                    if !inner.told_unverified.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            server = %self.server(),
                            "mail is encrypted with STARTTLS, but the server's certificate is not verified (tls=opportunistic, RFC 7435); use tls=required, with mail.tls_ca_file for a private CA, to verify it"
                        );
                    }
                }
                _ => {}
            }
            if let Some(credentials) = &inner.credentials {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await
                    .map_err(|e| self.failure("logging in (AUTH) to", &e))?;
            }
            Ok(conn)
        })
        .await;
        opened.unwrap_or_else(|_| Err(self.timed_out()))
    }

    fn timed_out(&self) -> SendFailure {
        SendFailure {
            permanent: false,
            detail: format!(
                "no answer from the mail server {} within {:?} (mail.timeout_seconds)",
                self.server(),
                self.inner.timeout
            ),
        }
    }

    /// What failed and where, once: `STARTTLS with mail.example:587
    /// failed: tls error: invalid peer certificate: UnknownIssuer`. Only a
    /// 5xx answer is final; refused or dropped connections, timeouts, TLS
    /// trouble and 4xx replies may pass.
    fn failure(&self, step: &str, e: &lettre::transport::smtp::Error) -> SendFailure {
        // lettre's message already carries its cause; `Chain` adds only
        // what it does not say yet.
        let mut detail = crate::telemetry::Chain(e).to_string();
        if let Some(code) = e.status() {
            if !detail.contains(&code.to_string()) {
                detail = format!("{code} {detail}");
            }
        }
        SendFailure {
            permanent: e.is_permanent(),
            detail: format!("{step} {} failed: {detail}", self.server()),
        }
    }
}

/// Parameters that verify the server: the bundled public roots, the
/// operating system's store and `extra` (from `mail.tls_ca_file`).
fn verifying(host: &str, extra: &[CertificateDer<'static>]) -> anyhow::Result<TlsParameters> {
    let mut builder =
        TlsParameters::builder(host.to_owned()).certificate_store(CertificateStore::WebpkiRoots);
    for der in system_roots().iter().chain(extra) {
        let cert = Certificate::from_der(der.to_vec())
            .map_err(|e| anyhow::anyhow!("a trusted certificate: {e}"))?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build_rustls()
        .map_err(|e| anyhow::anyhow!("mail TLS settings: {}", crate::telemetry::Chain(&e)))
}

/// The operating system's trusted roots that rustls can use (read once:
/// they do not change while tipdesk runs). An unreadable store or a
/// certificate rustls refuses is skipped with a warning, as a browser
/// would: the bundled roots still apply.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::warn!(error = %e, "reading the system's trusted certificates");
        }
        found
            .certs
            .into_iter()
            .filter(|c| rustls::RootCertStore::empty().add(c.clone()).is_ok())
            .collect()
    })
}

/// The certificates of `mail.tls_ca_file`: PEM, one or more, each usable
/// as a trust anchor.
fn read_ca_file(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bad = |why: String| anyhow::anyhow!("mail.tls_ca_file: {}: {why}", path.display());
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not PEM certificates ({e})")))?;
    if certs.is_empty() {
        return Err(bad(
            "holds no certificate (expected one or more -----BEGIN CERTIFICATE----- blocks)".into(),
        ));
    }
    for (i, cert) in certs.iter().enumerate() {
        rustls::RootCertStore::empty()
            .add(cert.clone())
            .map_err(|e| bad(format!("certificate {} cannot be trusted: {e}", i + 1)))?;
    }
    Ok(certs)
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
