//! Getting an email out: SMTP over pooled, reused connections (see
//! [`super::smtp`]), or `.eml` files for the embedded default.

use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::smtp::{SmtpOptions, SmtpPool};
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
    Smtp(SmtpPool),
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
                tls_ca_file,
                timeout,
                max_connections,
            } => Self::Smtp(SmtpPool::new(
                url.expose_secret(),
                &SmtpOptions {
                    username: username.as_deref(),
                    password: password.as_ref().map(|p| p.expose_secret()),
                    tls_ca_file: tls_ca_file.as_deref(),
                    timeout: *timeout,
                    max_connections: *max_connections,
                },
            )?),
        })
    }

    pub async fn send(&self, message: Message) -> Result<(), SendFailure> {
        match self {
            Self::File(t) => t.send(message).await.map(drop).map_err(|e| SendFailure {
                permanent: false,
                detail: format!("writing the message file failed: {e}"),
            }),
            Self::Smtp(pool) => pool.send(message.envelope(), &message.formatted()).await,
        }
    }
}

impl Mailer {
    /// Closes, with QUIT, pooled connections idle for `max_idle` or longer.
    pub async fn retire_idle(&self, max_idle: std::time::Duration) -> usize {
        match self {
            Self::File(_) => 0,
            Self::Smtp(pool) => pool.retire_idle(max_idle).await,
        }
    }

    /// Closes every pooled connection with QUIT: the worker is stopping.
    pub async fn close(&self) -> usize {
        match self {
            Self::File(_) => 0,
            Self::Smtp(pool) => pool.close().await,
        }
    }
}
