//! The outbox: one job per recipient per tip, durable before the reader is
//! told their tip arrived.

use diesel::prelude::*;

use crate::db::schema::outbox;
use crate::db::Conn;

/// States a job moves through. `in_flight` is a claimed job whose lease
/// has not run out; `retrying` waits for its next attempt.
pub mod state {
    pub const PENDING: &str = "pending";
    pub const IN_FLIGHT: &str = "in_flight";
    pub const RETRYING: &str = "retrying";
    pub const SENT: &str = "sent";
    pub const DEAD: &str = "dead";
    pub const ALL: [&str; 5] = [PENDING, IN_FLIGHT, RETRYING, SENT, DEAD];
}

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewJob<'a> {
    tip_id: i64,
    desk: &'a str,
    recipient: &'a str,
    message_id: String,
    state: &'a str,
    attempts: i32,
    next_attempt_at: chrono::NaiveDateTime,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// Queues a notification about `tip_id` for each of the desk's addresses,
/// on the caller's connection (and so inside the caller's transaction).
///
/// The `Message-ID` is chosen now and reused on every attempt, so a resend
/// after a crash is recognizable as the same message.
pub fn enqueue_tip(
    conn: &mut Conn<'_>,
    tip_id: i64,
    desk: &str,
    recipients: &[String],
    mail_domain: &str,
) -> QueryResult<usize> {
    let now = crate::db::now();
    let jobs: Vec<NewJob<'_>> = recipients
        .iter()
        .map(|recipient| NewJob {
            tip_id,
            desk,
            recipient,
            message_id: format!(
                "<{}@{}>",
                hex::encode(rand::random::<[u8; 16]>()),
                mail_domain
            ),
            state: state::PENDING,
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
            updated_at: now,
        })
        .collect();
    crate::db_run!(conn => diesel::insert_into(outbox::table).values(&jobs).execute(conn))
}
