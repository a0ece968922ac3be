//! The reader's half of tipdesk: the form, its checks, and storing a tip
//! together with the desk's notification.

pub mod case;
pub mod input;
#[cfg(feature = "postgres")]
mod pg;
pub mod rate_limit;
pub mod routes;
pub mod routing;
pub mod writer;

use diesel::prelude::*;

use crate::articles::Article;
use crate::attachments::{self, AttachmentError, Prepared, Upload};
use crate::config::Settings;
use crate::db::schema::tips;
use crate::db::{locks, Conn, DbError};
use crate::domain::{CaseId, Receipt, Sensitive, TipId, TipKind, TipReference, TipStatus};
use crate::follow_up::receipts::{self, ReceiptHash};
use crate::notifications::outbox;
use crate::ops::Metrics;
use crate::privacy::SealingKeys;
use crate::secrets::{hmac_sha256, HmacKeys};
use crate::state::AppState;
use crate::web::client::ClientKey;
use crate::web::form_token::FormInstance;

pub use input::{FieldErrors, TipInput, ValidTip};
pub use writer::Stored;

#[derive(Insertable)]
#[diesel(table_name = tips)]
struct NewTip<'a> {
    reference: &'a str,
    article_id: &'a str,
    desk: &'a str,
    kind: TipKind,
    message: &'a str,
    /// `message` folded for the desk's search (`domain::folding`).
    search_text: String,
    /// The message's language (`domain::language`), decided once, here.
    language: Option<String>,
    quote: Option<&'a str>,
    /// Sealed with the privacy key ring.
    reader_name: Option<String>,
    /// Sealed with the privacy key ring.
    contact: Option<String>,
    contact_kind: Option<&'a str>,
    consent: bool,
    status: TipStatus,
    client_hash: &'a str,
    fingerprint: &'a str,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    /// How many files come with it (stored in the same transaction): the
    /// queue's "files attached" badge.
    attachment_count: i32,
    /// Its text's sketch, for the tips after it (`case`).
    case_sketch: Vec<u8>,
}

/// Proof that a submission is the resend of one already made (a double
/// click on Send, a retry after a lost answer), as opposed to the same
/// words sent by someone else. Only with one is an identical submission
/// within `limits.duplicate_window` answered with the stored tip and a new
/// receipt for it: the client address alone does not tell people apart
/// (carrier-grade NAT, a Tor exit, a newsroom's server posting for all its
/// readers), and a receipt opens the conversation with the desk.
#[derive(Debug, Clone)]
pub struct ResendProof(Sensitive<String>);

/// Why an `Idempotency-Key` header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadIdempotencyKey;

impl ResendProof {
    /// The served form the tip was posted from (the form token's nonce):
    /// only that page, in that browser, holds it. A token from before
    /// nonces existed names no form, so proves nothing.
    pub fn from_form(form: &FormInstance) -> Option<Self> {
        form.nonce().map(|n| Self(format!("form:{n}").into()))
    }

    /// The JSON API's `Idempotency-Key` header (IETF draft
    /// draft-ietf-httpapi-idempotency-key-header: a Structured Field
    /// string, e.g. `"8e03978e-40d5-43e8-bc93-6894a57f9324"`; the quotes
    /// may be left out). 1 to 255 visible ASCII characters; `None` when the
    /// header is absent.
    ///
    /// # Errors
    /// [`BadIdempotencyKey`] for an empty, over-long or non-ASCII value, or
    /// the header sent twice.
    pub fn from_idempotency_key<'a>(
        values: impl IntoIterator<Item = &'a actix_web::http::header::HeaderValue>,
    ) -> Result<Option<Self>, BadIdempotencyKey> {
        let mut values = values.into_iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(BadIdempotencyKey);
        }
        let raw = value.to_str().map_err(|_| BadIdempotencyKey)?.trim();
        let key = raw
            .strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .unwrap_or(raw);
        let valid = (1..=255).contains(&key.len())
            && key
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        if !valid {
            return Err(BadIdempotencyKey);
        }
        Ok(Some(Self(format!("key:{key}").into())))
    }
}

/// Why a valid tip was not stored.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// Its files cannot be taken now (the store budget is spent).
    #[error("attachments refused")]
    Files(AttachmentError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Accepts a valid tip: stores it with its files (sealed as they
/// arrived) and its notification (see [`store`]) through the group-commit
/// writer (`writer`, which announces the notifications to other
/// instances), wakes the worker, and counts it. Returns once the tip is
/// durable.
///
/// # Errors
/// [`AcceptError::Files`] when files came and the store-wide budget
/// (`attachments.max_store_bytes`) cannot take them; a tip without files
/// is never refused for it.
pub async fn accept(
    state: &AppState,
    article: Article,
    tip: ValidTip,
    client: ClientKey,
    resend: Option<ResendProof>,
    files: Vec<Upload>,
) -> Result<Stored, AcceptError> {
    let settings = state.settings.clone();
    let (hmac_keys, sealing_keys) = (state.hmac_keys.clone(), state.sealing_keys.clone());
    let kind = tip.kind;
    let attachments = prepare_files(state, files).await?;
    let count = attachments.len();
    let submission = Submission {
        article,
        tip,
        client,
        resend,
        attachments,
    };
    let work: writer::Work = Box::new(move |conn, group| {
        store(
            conn,
            group,
            &settings,
            &hmac_keys,
            &sealing_keys,
            &submission,
        )
    });
    let stored = state.tip_writer.write(work).await;
    state.metrics.health.write_result(&stored);
    let stored = stored?;
    state.wake.notify_one();
    state.metrics.tip_accepted(kind.as_str());
    tracing::info!(kind = kind.as_str(), attachments = count, "tip accepted");
    Ok(stored)
}

/// Checks `files` against the store-wide budget
/// (`attachments.max_store_bytes`) and makes them ready to store (their
/// content was sealed as it arrived): for a tip ([`accept`]) and for a reader's
/// follow-up message alike. No files: nothing is read or refused.
///
/// # Errors
/// [`AcceptError::Files`] with [`AttachmentError::StoreFull`] when the
/// files would take the store past its budget.
pub async fn prepare_files(
    state: &AppState,
    files: Vec<Upload>,
) -> Result<Vec<Prepared>, AcceptError> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let budget = state.settings.attachments.max_store_bytes;
    let incoming: u64 = files.iter().map(Upload::size).sum();
    let stored = state.pool.run(attachments::stored_bytes_db).await?;
    if budget > 0 && u64::try_from(stored).unwrap_or(0) + incoming > budget {
        tracing::warn!("attachment store budget spent: files refused");
        return Err(AcceptError::Files(AttachmentError::StoreFull));
    }
    // Already sealed as they arrived (`attachments::Incoming`).
    Ok(files.into_iter().map(Prepared::new).collect())
}

/// Counts and logs a refused submission (never its content).
pub fn refused(metrics: &Metrics, reason: &str) {
    metrics.tip_rejected(reason);
    tracing::info!(reason, "tip refused");
}

/// One reader's valid tip as it reaches storage: the article it is for,
/// the client it came from (a keyed hash, never an address) and, when the
/// request carried one, the proof that it resends an earlier submission.
pub struct Submission {
    pub article: Article,
    pub tip: ValidTip,
    pub client: ClientKey,
    pub resend: Option<ResendProof>,
    /// The tip's files, encrypted, stored in its transaction.
    pub attachments: Vec<Prepared>,
}

/// Stores `submission.tip` with a new receipt and queues the desk's notification in
/// one transaction. When this returns `Ok`, all are durable; on `Err`,
/// none exists. The reader's name and contact are stored sealed with
/// `sealing_keys`; the receipt only as its keyed hash.
///
/// A resend of the same submission (the same `resend` proof, article,
/// fields and client) within `limits.duplicate_window` is answered with
/// the stored tip's reference and a new receipt for it: the reader may
/// never have seen the first answer (a lost response, a browser retry),
/// and a receipt cannot be shown twice (only its hash is kept). Each
/// receipt the tip was given opens it. Without a proof the tip is always
/// stored anew: identical words from one address may be two people, and
/// a receipt for another's tip would show them the desk's messages.
///
/// `group` is what the tips stored before this one in the same
/// transaction (`writer`) counted: the article's tips of the last ten
/// minutes are counted in the database once per group, then added to.
pub fn store(
    conn: &mut Conn<'_>,
    group: &mut writer::Group,
    settings: &Settings,
    hmac_keys: &HmacKeys,
    sealing_keys: &SealingKeys,
    submission: &Submission,
) -> Result<Stored, DbError> {
    let Submission {
        article,
        tip,
        client,
        resend,
        attachments: files,
    } = submission;
    let (desk_key, desk) = routing::desk_for_section(&settings.desks, &article.section);
    let mail_domain = settings
        .server
        .public_url
        .host_str()
        .unwrap_or("tipdesk.invalid");
    // No proof of a resend: no fingerprint (''), which no lookup asks
    // for; PostgreSQL's index of fingerprints leaves such tips out (a
    // random key per tip cost that index a random page each).
    let fp = match resend {
        Some(proof) => fingerprint(hmac_keys, submission, proof),
        None => String::new(),
    };
    let search_text = crate::domain::folding::fold(tip.message.as_str());
    let sketch = crate::triage::similarity::Sketch::of(&search_text);
    let language = crate::domain::Language::detect(tip.message.as_str()).map(|l| l.to_string());
    let lock = locks::submission(&fp);
    let window = chrono::Duration::from_std(settings.limits.duplicate_window).unwrap_or_default();
    let surge_hold =
        chrono::Duration::from_std(settings.limits.article_surge_hold).unwrap_or_default();
    // A reference collision is a one-in-2^60 event; try again with a new one.
    let mut attempts = 0;
    loop {
        let reference = TipReference::generate();
        let now = crate::db::now();
        let row = NewTip {
            reference: reference.as_str(),
            article_id: &article.id,
            desk: desk_key,
            kind: tip.kind,
            message: tip.message.as_str(),
            search_text: search_text.clone(),
            language: language.clone(),
            quote: tip.quote.as_ref().map(|q| q.as_str()),
            reader_name: tip
                .name
                .as_ref()
                .map(|n| sealing_keys.seal("name", reference.as_str(), n.as_str())),
            contact: tip
                .contact
                .as_ref()
                .map(|c| sealing_keys.seal("contact", reference.as_str(), c.as_str())),
            contact_kind: tip.contact.as_ref().map(|c| c.kind()),
            consent: tip.consent,
            status: TipStatus::New,
            client_hash: client.as_str(),
            fingerprint: &fp,
            created_at: now,
            updated_at: now,
            attachment_count: i32::try_from(files.len()).unwrap_or(i32::MAX),
            case_sketch: sketch.to_bytes(),
        };
        let result = conn.write(|conn| {
            // Without a proof there is no fingerprint: nothing to lock or
            // look up, a round trip less per tip.
            let earlier: Option<(TipId, String)> = if resend.is_some() {
                locks::for_transaction(conn, lock)?;
                crate::db_run!(conn, |conn| tips::table
                    .filter(tips::fingerprint.eq(&fp))
                    .filter(HasFingerprint)
                    .filter(tips::created_at.gt(now - window))
                    .select((tips::id, tips::reference))
                    .first(conn)
                    .optional())?
            } else {
                None
            };
            if let Some((id, first)) = earlier {
                tracing::info!("resent submission answered with the stored tip");
                let stored = Stored {
                    reference: TipReference::from_stored(first),
                    receipt: receipts::issue(conn, hmac_keys, id)?,
                };
                return Ok((stored, None, None));
            }
            // Read once per group and article, then kept up to date
            // (`case::Recent`); `conn` is reborrowed inside for the read.
            let case_id = group
                .recent_cases(&article.id, || {
                    case::Recent::read(conn, &settings.triage, &article.id)
                })?
                .case_for(&settings.triage, desk_key, &sketch);
            // The article's tips of the last ten minutes, this one
            // included (counted before it is stored, so that it can be
            // stored in one statement with its jobs). A tip of the article
            // stored earlier in this transaction counted them already:
            // one more is this one. (Tips of other writers' transactions
            // not yet committed are not counted either way.)
            let limit = i64::from(settings.limits.article_surge_per_10min);
            let recent = if limit > 0 {
                match group.recent_tips(&article.id) {
                    Some(before) => before + 1,
                    None => surge_count(conn, &article.id, now, limit + 1)? + 1,
                }
            } else {
                0
            };
            let hold = (limit > 0 && recent > limit).then(|| now + surge_hold);
            if limit > 0 && recent == limit + 1 {
                tracing::warn!(article = %article.id, "article in surge: its notifications become digests");
            }
            let jobs = outbox::tip_jobs(desk_key, &desk.emails, mail_domain, hold);
            let receipt = Receipt::generate();
            let tip_id = insert_tip(
                conn,
                &row,
                case_id,
                &jobs,
                &ReceiptHash::of(hmac_keys, &receipt),
            )?;
            attachments::store(conn, sealing_keys, tip_id, reference.as_str(), files)?;
            let stored = Stored {
                reference: reference.clone(),
                receipt,
            };
            let new = (tip_id, case_id);
            Ok::<_, diesel::result::Error>((stored, (limit > 0).then_some(recent), Some(new)))
        });
        match result {
            Ok((stored, recent, new)) => {
                if let Some(recent) = recent {
                    group.stored(&article.id, recent);
                }
                // The group's next tips of the article compare with this one.
                if let Some((tip_id, case_id)) = new {
                    if let Ok(cases) = group.recent_cases(&article.id, || Err(())) {
                        cases.add(&settings.triage, tip_id, case_id, desk_key, sketch.clone());
                    }
                }
                return Ok(stored);
            }
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) if attempts < 3 => attempts += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Stores the tip's row, in case `case_id` (`None`: a case of its own),
/// with its notification `jobs` and its receipt (kept as `receipt`): one
/// statement on PostgreSQL (see [`pg`]), three on SQLite.
fn insert_tip(
    conn: &mut Conn<'_>,
    row: &NewTip<'_>,
    case_id: Option<CaseId>,
    jobs: &outbox::Jobs<'_>,
    receipt: &ReceiptHash,
) -> diesel::QueryResult<TipId> {
    let tip = diesel::insert_into(tips::table)
        .values((row, tips::case_id.eq(case_id)))
        .returning(tips::id);
    #[cfg(feature = "postgres")]
    if let Conn::Pg(c) = conn {
        return pg::TipWithJobs { tip, jobs, receipt }.get_result(&mut **c);
    }
    let tip_id: TipId = crate::db_run!(conn, |conn| tip.get_result(conn))?;
    jobs.insert(conn, tip_id)?;
    receipts::store(conn, receipt, tip_id)?;
    Ok(tip_id)
}

/// A keyed hash of what makes two submissions the same tip: the article,
/// every field as written, the sender, and the proof that one is a resend
/// of the other. Keyed, so it reveals nothing.
/// `tips.fingerprint <> ''` written into the SQL, not bound: PostgreSQL's
/// index of fingerprints is partial (`WHERE fingerprint <> ''`), and a
/// prepared statement's generic plan, which PostgreSQL switches to after
/// five executions, may use a partial index only when the query's own
/// terms prove its predicate. A bound `<> $2` proves nothing, so the
/// lookup scanned every tip on each resend (measured: the HTML form on
/// PostgreSQL fell from 1,177 to 563 tips/s within one 24 s benchmark).
/// Unlike `diesel::dsl::sql`, this leaves the statement cacheable.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
struct HasFingerprint;

impl diesel::Expression for HasFingerprint {
    type SqlType = diesel::sql_types::Bool;
}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for HasFingerprint {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql("\"tips\".\"fingerprint\" <> ''");
        Ok(())
    }
}

impl diesel::AppearsOnTable<tips::table> for HasFingerprint {}

impl diesel::expression::ValidGrouping<()> for HasFingerprint {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

fn fingerprint(keys: &HmacKeys, submission: &Submission, resend: &ResendProof) -> String {
    let Submission {
        article,
        tip,
        client,
        attachments,
        ..
    } = submission;
    // The files are part of what was sent: the same words with other
    // files are not a resend.
    let files: String = attachments.iter().map(|f| f.sha256()).collect();
    let fields = [
        files.as_str(),
        article.id.as_str(),
        tip.kind.as_str(),
        tip.message.as_str(),
        tip.quote.as_ref().map_or("", |q| q.as_str()),
        tip.name.as_ref().map_or("", |n| n.as_str()),
        tip.contact.as_ref().map_or("", |c| c.as_str()),
        client.as_str(),
        resend.0.as_str(),
    ];
    let lengths: Vec<[u8; 8]> = fields
        .iter()
        .map(|f| (f.len() as u64).to_be_bytes())
        .collect();
    let mut parts: Vec<&[u8]> = Vec::new();
    for (len, field) in lengths.iter().zip(fields) {
        parts.push(len);
        parts.push(field.as_bytes());
    }
    hex::encode(hmac_sha256(keys.fingerprint(), &parts))
}

/// Tips this article drew in the last ten minutes (stored ones: the
/// caller adds its own),
/// counted up to `cap`: past the surge threshold the exact figure changes
/// nothing, and counting every tip of a viral article inside each
/// submission's write transaction made every submission slower than the
/// last.
///
/// Ordered by `created_at` so that the limit stops an index scan of
/// `(article_id, created_at)` after `cap` entries. Without the order,
/// PostgreSQL without fresh statistics (a new database, or autovacuum
/// behind) chose a bitmap scan, which reads every recent tip of the
/// article before the limit applies: 15 ms per tip at 290,000 recent
/// tips instead of 0.05 ms (`EXPLAIN ANALYZE`), a cost that grew with
/// every tip of a rush on one article.
fn surge_count(
    conn: &mut Conn<'_>,
    article: &str,
    now: chrono::NaiveDateTime,
    cap: i64,
) -> diesel::QueryResult<i64> {
    let ids: Vec<i64> = crate::db_run!(conn, |conn| tips::table
        .filter(tips::article_id.eq(article))
        .filter(tips::created_at.gt(now - chrono::Duration::minutes(10)))
        .order(tips::created_at)
        .select(tips::id)
        .limit(cap)
        .load(conn))?;
    Ok(ids.len() as i64)
}
