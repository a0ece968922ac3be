//! The one place a receipt is checked, for the pages and the API alike.
//!
//! A wrong receipt must tell a guesser nothing: whether it was unknown,
//! belonged to a tip since removed, or could not even be read, it gets the
//! same answer ([`Access::Wrong`]) after the same time. So every attempt
//! does the same work — the throttle's bookkeeping, one keyed hash, one
//! lookup (of a decoy hash when the receipt could not be read) — and every
//! wrong answer is held back until `follow_up.wrong_receipt_answer_ms`
//! after the request arrived, which covers what differences remain. Wrong
//! receipts are throttled per client (see [`super::throttle`]), counted in
//! `tipdesk_receipt_failures_total`, and a surge of them across clients is
//! logged and shown on `/ops/queue`.

use tokio::time::Instant;

use super::receipts::{self, ReceiptHash};
use super::throttle;
use crate::db::DbError;
use crate::domain::{Receipt, TipId};
use crate::state::AppState;
use crate::web::client::ClientKey;

/// The answer to "does this receipt open a tip?".
#[derive(Debug)]
pub enum Access {
    /// It does: the tip's id, and the receipt as read (for the page's next
    /// form).
    Granted { tip_id: TipId, receipt: Receipt },
    /// It does not, for whatever reason.
    Wrong,
    /// This client tried too many wrong receipts; it may try again after
    /// this many seconds.
    Throttled { retry_after: u64 },
}

/// Checks the receipt `raw` (as typed) for `client`.
pub async fn check(state: &AppState, client: ClientKey, raw: &str) -> Result<Access, DbError> {
    let arrived = Instant::now();
    let settings = &state.settings.follow_up;
    let receipt = Receipt::parse(raw);
    let hash = match &receipt {
        Some(r) => ReceiptHash::of(&state.hmac_keys, r),
        None => ReceiptHash::decoy(&state.hmac_keys),
    };
    let per_hour = settings.failures_per_hour.get();
    let surge = i64::from(settings.failure_surge_per_10min);
    let readable = receipt.is_some();
    let (found, recent) = state
        .pool
        .query(move |conn| {
            let now = crate::db::now();
            let attempt = match throttle::begin(conn, &client, now, per_hour)? {
                Ok(attempt) => attempt,
                Err(wait) => return Ok((Err(wait), 0)),
            };
            // The same lookup whether or not the receipt could be read.
            let tip = receipts::find(conn, &hash)?.filter(|_| readable);
            if tip.is_some() {
                throttle::withdraw(conn, attempt)?;
                return Ok((Ok(tip), 0));
            }
            let recent = if surge > 0 {
                throttle::failures_since(conn, now - chrono::Duration::minutes(10))?
            } else {
                0
            };
            Ok((Ok(None), recent))
        })
        .await?;
    match (found, receipt) {
        (Err(retry_after), _) => {
            tracing::info!(retry_after, "receipt attempts throttled for a client");
            Ok(Access::Throttled { retry_after })
        }
        (Ok(Some(tip_id)), Some(receipt)) => Ok(Access::Granted { tip_id, receipt }),
        (Ok(_), _) => {
            state.metrics.receipt_failed();
            tracing::info!("wrong receipt");
            if surge > 0 && recent == surge + 1 {
                tracing::warn!(
                    failures = recent,
                    "wrong receipts from many clients in ten minutes: someone may be guessing"
                );
            }
            let answer_at = arrived + settings.wrong_receipt_answer;
            tokio::time::sleep_until(answer_at).await;
            Ok(Access::Wrong)
        }
    }
}
