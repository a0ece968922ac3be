//! What every handler can reach: the settings, the database, the keys and
//! the running parts each capability keeps between requests. Built once by
//! [`crate::app`] (the wiring); the behaviour lives in the capabilities.

use std::sync::Arc;

use actix_web::HttpRequest;
use tokio::sync::Notify;

use crate::articles::ArticleCache;
use crate::config::Settings;
use crate::db::Pool;
use crate::ops::Metrics;
use crate::privacy::SealingKeys;
use crate::secrets::HmacKeys;
use crate::submission::rate_limit::SubmissionLimiter;
use crate::submission::writer::TipWriter;
use crate::web::client::ClientKey;

/// The shared state of one tipdesk process.
pub struct AppState {
    pub settings: Arc<Settings>,
    pub pool: Pool,
    /// Signs form tokens, keys the hashes of clients and tips.
    pub hmac_keys: HmacKeys,
    /// Seals and opens readers' names and contacts.
    pub sealing_keys: SealingKeys,
    pub limiter: SubmissionLimiter,
    /// Wakes this process's notification worker when a tip is stored.
    pub wake: Arc<Notify>,
    pub metrics: Arc<Metrics>,
    /// Articles recently shown, for the form page.
    pub articles: ArticleCache,
    /// Group commit for readers' tips (`submission::writer`).
    pub tip_writer: TipWriter,
}

impl AppState {
    /// Who is asking, as a daily-salted hash (see [`ClientKey`]).
    pub fn client_key(&self, req: &HttpRequest) -> ClientKey {
        crate::web::client::client_key(req, &self.hmac_keys, &self.settings.server.proxies)
    }
}
