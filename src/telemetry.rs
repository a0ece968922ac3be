//! Logging set-up. Lines never carry a tip's text, a reader's name or
//! contact, a client address or a User-Agent: the types that hold those
//! redact themselves in `Debug`, and no handler logs them.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber, writing to standard output;
/// `RUST_LOG` overrides `log.level`. Text has colour only when standard
/// output is a terminal (and `NO_COLOR` is not set, no-color.org): a log
/// file or the journal gets no escape codes.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_target(false);
    // Ignore "already set": tests and embedders may have installed one.
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Tells the person who started tipdesk that it is up (`serve`, `worker`):
/// a plain line on standard output for text logs, a log event for JSON
/// logs, whose stream must hold JSON lines only.
pub fn announce(settings: &LogSettings, line: &str) {
    match settings.format {
        LogFormat::Text => println!("{line}"),
        LogFormat::Json => tracing::info!("{line}"),
    }
}

/// An error with its whole cause chain, for logs: `Chain(&e)` displays
/// as `outer: cause: root cause` ("database query failed: database or
/// disk is full"), skipping a cause whose text the error already shows.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.0.to_string();
        let mut source = self.0.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !shown.contains(&text) {
                shown.push_str(": ");
                shown.push_str(&text);
            }
            source = cause.source();
        }
        f.write_str(&shown)
    }
}

#[cfg(test)]
mod tests {
    use super::Chain;

    #[test]
    fn a_chain_names_every_cause_once() {
        let db = crate::db::DbError::Query(diesel::result::Error::NotFound);
        assert_eq!(
            Chain(&db).to_string(),
            "database query failed: Record not found"
        );
        let root = std::io::Error::other("database or disk is full");
        let wrapped = anyhow::Error::new(root).context("storing a batch of tips");
        let chain = Chain(wrapped.as_ref()).to_string();
        assert_eq!(chain, "storing a batch of tips: database or disk is full");
    }
}
