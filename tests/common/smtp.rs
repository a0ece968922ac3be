//! A small SMTP server on loopback for the tests: it speaks enough of RFC
//! 5321 for lettre (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), records what
//! it receives, and can be told how to answer: accept (at once or slowly),
//! a 4xx or 5xx after DATA, refuse a recipient, hang before answering, or
//! go down entirely. It offers SMTPUTF8 (RFC 6531) unless told not to, and
//! then refuses non-ASCII addresses as such a server does (553).
//! [`SmtpServer::start_tls`] also offers STARTTLS (RFC 3207) with a
//! self-signed certificate made for the test, as a stock Postfix does.
//! It counts the QUITs it is sent.
//! No crate offers these faults in-process, which is why it is written here.

#![allow(dead_code)] // each test crate uses part of it

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailparse::MailHeaderMap;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_rustls::rustls;

/// How to answer the end of one message's DATA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Accept,
    /// e.g. `(451, "4.3.0 Try again later")`
    Code(u16, &'static str),
    /// Never answer (the client times out or is killed meanwhile).
    Hang,
    /// Accept, but only after this long: a slow server.
    Slow(Duration),
}

/// A message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    /// What the server answered.
    pub accepted: bool,
    /// The message came over a connection encrypted with STARTTLS.
    pub tls: bool,
}

impl Received {
    /// The message as a mail reader parses it (MIME, RFC 2045-2049).
    fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(self.data.as_bytes())
            .unwrap_or_else(|e| panic!("not a MIME message ({e}): {}", self.data))
    }

    /// The value of a header as sent (first occurrence, unfolded; encoded
    /// words left encoded): what a header-injection test must look at.
    pub fn header(&self, name: &str) -> Option<String> {
        let parsed = self.parsed();
        let header = parsed.headers.get_first_header(name)?;
        let raw = String::from_utf8_lossy(header.get_value_raw());
        Some(
            raw.replace("\r\n ", " ")
                .replace("\r\n\t", " ")
                .trim()
                .to_owned(),
        )
    }

    /// The subject as a mail reader shows it (RFC 2047 words decoded).
    pub fn subject(&self) -> Option<String> {
        self.parsed().headers.get_first_value("Subject")
    }

    /// The HTML alternative, decoded.
    pub fn html_part(&self) -> String {
        texts(&self.parsed(), "text/html").join("\n")
    }

    /// Every text part (plain and HTML), decoded from its transfer
    /// encoding and charset, one after another.
    pub fn body_text(&self) -> String {
        texts(&self.parsed(), "text/").join("\n")
    }
}

/// The decoded bodies of the leaf parts whose type starts with `kind`.
fn texts(part: &mailparse::ParsedMail<'_>, kind: &str) -> Vec<String> {
    if part.subparts.is_empty() {
        if part.ctype.mimetype.starts_with(kind) {
            return vec![part.get_body().expect("a decodable part")];
        }
        return Vec::new();
    }
    part.subparts.iter().flat_map(|p| texts(p, kind)).collect()
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    refuse: HashSet<String>,
    received: Vec<Received>,
    no_smtputf8: bool,
    /// QUIT commands received.
    quits: usize,
    /// TLS handshakes that failed (the client refused the certificate).
    failed_handshakes: usize,
}

/// The server; dropping it (or [`SmtpServer::stop`]) closes the port.
pub struct SmtpServer {
    pub addr: SocketAddr,
    /// With [`SmtpServer::start_tls`]: its self-signed certificate (PEM).
    pub certificate_pem: Option<String>,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl SmtpServer {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    /// Starts a server that offers STARTTLS with a self-signed certificate
    /// for 127.0.0.1 and localhost, made now (see `certificate_pem`).
    pub async fn start_tls() -> Self {
        let cert = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])
        .unwrap();
        let pem = cert.cert.pem();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .unwrap();
        let mut server =
            Self::start_with("127.0.0.1:0".parse().unwrap(), Some(Arc::new(config))).await;
        server.certificate_pem = Some(pem);
        server
    }

    /// Starts on a given address (to bring a stopped server back).
    pub async fn start_on(addr: SocketAddr) -> Self {
        Self::start_with(addr, None).await
    }

    async fn start_with(addr: SocketAddr, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        // A server just stopped on this port may take a moment to let go.
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("bind SMTP port {addr}: {e}"),
            }
        };
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let changed = Arc::new(Notify::new());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (s, c) = (state.clone(), changed.clone());
        tokio::spawn(async move {
            let mut st = stopped.clone();
            loop {
                tokio::select! {
                    _ = st.wait_for(|down| *down) => break,
                    accepted = listener.accept() => {
                        let Ok((socket, _)) = accepted else { continue };
                        let (s, c, mut st) = (s.clone(), c.clone(), stopped.clone());
                        let tls = tls.clone();
                        tokio::spawn(async move {
                            tokio::select! {
                                _ = session(socket, s, c, tls) => {}
                                _ = st.wait_for(|down| *down) => {}
                            }
                        });
                    }
                }
            }
        });
        Self {
            addr,
            certificate_pem: None,
            state,
            changed,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Answers for the next messages, in order; after them, accept.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().unwrap().script.extend(replies);
    }

    /// Refuse this recipient at RCPT with 550.
    pub fn refuse(&self, address: &str) {
        self.state.lock().unwrap().refuse.insert(address.to_owned());
    }

    /// From now on, do not offer SMTPUTF8 (and refuse non-ASCII addresses).
    pub fn without_smtputf8(&self) {
        self.state.lock().unwrap().no_smtputf8 = true;
    }

    /// Every message whose DATA was completed, accepted or not.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// How many QUIT commands the server was sent.
    pub fn quits(&self) -> usize {
        self.state.lock().unwrap().quits
    }

    /// How many STARTTLS handshakes failed (the client refused the
    /// certificate).
    pub fn failed_handshakes(&self) -> usize {
        self.state.lock().unwrap().failed_handshakes
    }

    /// Waits up to 10 s for a count the server keeps ([`Self::quits`],
    /// [`Self::failed_handshakes`]) to reach `n`, and returns it. The server
    /// learns that a client quit or refused its certificate only after the
    /// client has moved on, so a test that reads the count at once races
    /// the server's task (it lost on a busy machine).
    pub async fn count_reaches(&self, count: fn(&Self) -> usize, n: usize) -> usize {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let now = count(self);
            if now >= n || tokio::time::Instant::now() >= deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Messages the server answered with 250.
    pub fn accepted(&self) -> Vec<Received> {
        self.received().into_iter().filter(|m| m.accepted).collect()
    }

    /// Waits until at least `n` messages were received (accepted or not).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, self.changed.notified())
                .await
                .is_err()
            {
                panic!(
                    "expected {n} messages within {timeout:?}, got {}",
                    got.len()
                );
            }
        }
    }

    /// Closes the port and every open connection: the server is down.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// How a conversation ended.
enum End {
    Closed,
    /// The client asked for STARTTLS and was told to go ahead.
    Starttls,
}

async fn session(
    socket: TcpStream,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let mut plain = BufReader::new(socket);
    if !say(&mut plain, "220 tipdesk-test ESMTP\r\n".into()).await {
        return;
    }
    let offer = tls.is_some();
    if let (End::Starttls, Some(config)) = (
        converse(&mut plain, &state, &changed, offer, false).await,
        tls,
    ) {
        // The client waits for "220 Ready" before its handshake, so
        // nothing is left in the buffer.
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        match acceptor.accept(plain.into_inner()).await {
            Ok(stream) => {
                let mut secure = BufReader::new(stream);
                converse(&mut secure, &state, &changed, false, true).await;
            }
            Err(_) => state.lock().unwrap().failed_handshakes += 1,
        }
    }
}

async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    lines: &mut BufReader<S>,
    state: &Arc<Mutex<State>>,
    changed: &Arc<Notify>,
    offer_starttls: bool,
    encrypted: bool,
) -> End {
    let (mut from, mut to) = (String::new(), Vec::new());
    // The current transaction's MAIL asked for SMTPUTF8.
    let mut smtputf8_session = false;
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return End::Closed,
            Ok(_) => {}
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let utf8 = !state.lock().unwrap().no_smtputf8;
        let answer = if upper.starts_with("EHLO") {
            let starttls = if offer_starttls {
                "250-STARTTLS\r\n"
            } else {
                ""
            };
            if utf8 {
                format!("250-tipdesk-test\r\n{starttls}250-8BITMIME\r\n250 SMTPUTF8\r\n")
            } else {
                format!("250-tipdesk-test\r\n{starttls}250 8BITMIME\r\n")
            }
        } else if upper == "STARTTLS" && offer_starttls {
            if !say(lines, "220 2.0.0 Ready to start TLS\r\n".into()).await {
                return End::Closed;
            }
            return End::Starttls;
        } else if (upper.starts_with("MAIL FROM:") || upper.starts_with("RCPT TO:"))
            && !cmd.is_ascii()
            && !(utf8 && (upper.contains(" SMTPUTF8") || smtputf8_session))
        {
            "553 5.6.7 Non-ASCII address without SMTPUTF8\r\n".to_owned()
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            "250 OK\r\n".to_owned()
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            "250 OK\r\n".to_owned()
        } else if upper.starts_with("MAIL FROM:") {
            smtputf8_session = upper.contains(" SMTPUTF8");
            from = address(&cmd[10..]);
            "250 OK\r\n".to_owned()
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&cmd[8..]);
            if state.lock().unwrap().refuse.contains(&rcpt) {
                "550 5.1.1 No such user here\r\n".to_owned()
            } else {
                to.push(rcpt);
                "250 OK\r\n".to_owned()
            }
        } else if upper == "DATA" {
            if !say(lines, "354 End data with <CR><LF>.<CR><LF>\r\n".into()).await {
                return End::Closed;
            }
            let mut data = String::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return End::Closed,
                    Ok(_) => {}
                }
                if line == ".\r\n" {
                    break;
                }
                let l = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(l);
            }
            let reply = state
                .lock()
                .unwrap()
                .script
                .pop_front()
                .unwrap_or(Reply::Accept);
            let accepted = matches!(reply, Reply::Accept | Reply::Slow(_));
            state.lock().unwrap().received.push(Received {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
                accepted,
                tls: encrypted,
            });
            changed.notify_waiters();
            match reply {
                Reply::Accept => "250 2.0.0 Queued\r\n".to_owned(),
                Reply::Slow(delay) => {
                    tokio::time::sleep(delay).await;
                    "250 2.0.0 Queued\r\n".to_owned()
                }
                Reply::Code(code, text) => format!("{code} {text}\r\n"),
                Reply::Hang => {
                    std::future::pending::<()>().await;
                    unreachable!()
                }
            }
        } else if upper.starts_with("QUIT") {
            state.lock().unwrap().quits += 1;
            let _ = say(lines, "221 Bye\r\n".into()).await;
            return End::Closed;
        } else {
            "502 Command not implemented\r\n".to_owned()
        };
        if !say(lines, answer).await {
            return End::Closed;
        }
    }
}

fn address(arg: &str) -> String {
    let arg = arg.trim();
    let start = arg.find('<').map_or(0, |i| i + 1);
    let end = arg.find('>').unwrap_or(arg.len());
    arg[start..end].to_owned()
}

async fn say<W: AsyncWrite + Unpin>(w: &mut W, text: String) -> bool {
    w.write_all(text.as_bytes()).await.is_ok() && w.flush().await.is_ok()
}
