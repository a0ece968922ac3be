//! Getting an email out: SMTP through one pooled, reused lettre transport,
//! or `.eml` files for the embedded default.

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::MailTransport;

/// Why a message did not go out, sorted the way retries need.
#[derive(Debug, Clone)]
pub struct SendFailure {
    /// A 5xx answer: sending again will not help.
    pub permanent: bool,
    /// The SMTP code and reply text, or what went wrong on the way.
    pub detail: String,
}

/// The configured way out.
#[derive(Clone)]
pub enum Mailer {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    /// Builds the transport once; connections are pooled and reused.
    pub fn new(transport: &MailTransport) -> anyhow::Result<Self> {
        Ok(match transport {
            MailTransport::File(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    anyhow::anyhow!("mail.file_dir: cannot create {}: {e}", dir.display())
                })?;
                Self::File(AsyncFileTransport::new(dir))
            }
            MailTransport::Smtp {
                url,
                username,
                password,
                timeout,
                max_connections,
            } => {
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                        .map_err(|e| anyhow::anyhow!("mail.smtp_url: {e}"))?
                        .timeout(Some(*timeout))
                        .pool_config(PoolConfig::new().max_size(*max_connections));
                if let (Some(user), Some(pass)) = (username, password) {
                    builder = builder.credentials(Credentials::new(
                        user.clone(),
                        pass.expose_secret().to_owned(),
                    ));
                }
                Self::Smtp(builder.build())
            }
        })
    }

    pub async fn send(&self, message: Message) -> Result<(), SendFailure> {
        match self {
            Self::File(t) => t.send(message).await.map(drop).map_err(|e| SendFailure {
                permanent: false,
                detail: format!("writing the message file failed: {e}"),
            }),
            Self::Smtp(t) => t.send(message).await.map(drop).map_err(|e| SendFailure {
                // Only a 5xx reply is final; refused or dropped connections,
                // timeouts, TLS trouble and 4xx replies may pass.
                permanent: e.is_permanent(),
                detail: smtp_detail(&e),
            }),
        }
    }
}

fn smtp_detail(e: &lettre::transport::smtp::Error) -> String {
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
    detail
}
