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

use std::sync::Arc;

use diesel::prelude::*;

use crate::articles::Article;
use crate::attachments::{self, AttachmentError, Prepared, Upload};
use crate::config::Settings;
use crate::db::schema::tips;
use crate::db::{locks, Conn, DbError};
use crate::domain::{CaseId, Receipt, Sensitive, TipId, TipKind, TipReference, TipStatus};
use crate::follow_up::receipts::{self, ReceiptHash};
use crate::notifications::outbox;
use crate::ops::health::Outcome;
use crate::ops::Metrics;
use crate::privacy::SealingKeys;
use crate::secrets::{hmac_sha256, HmacKeys};
use crate::state::AppState;
use crate::triage::similarity::Sketch;
use crate::web::client::ClientKey;
use crate::web::form_token::FormInstance;

use case::CaseName;

pub use input::{FieldErrors, TipInput, ValidTip};

#[derive(Insertable)]
#[diesel(table_name = tips)]
struct NewTip<'a> {
    reference: String,
    article_id: &'a str,
    desk: &'a str,
    kind: TipKind,
    message: &'a str,
    /// `message` folded for the desk's search (`domain::folding`).
    search_text: &'a str,
    /// The message's language (`domain::language`), decided once, here.
    language: Option<&'a str>,
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

/// What the reader is given for a stored tip: its reference, and the
/// receipt to come back with (`follow_up`), shown once and never stored.
#[derive(Debug, Clone)]
pub struct Stored {
    pub reference: TipReference,
    pub receipt: Receipt,
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
    /// The article takes no tips (anymore), as the writer read it with
    /// the tip: the request's check may have read it seconds earlier.
    #[error("the article takes no tips: {0:?}")]
    Closed(ArticleClosed),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Why an article takes no tips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleClosed {
    /// The CMS retired it: 410, as its form says.
    Retired,
    /// Not in the database: 404.
    Missing,
}

impl From<diesel::result::Error> for AcceptError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// Accepts a valid tip: stores it with its files (sealed as they
/// arrived) and its notification (see [`store`]) through the group-commit
/// writer (`writer`, which announces the notifications to other
/// instances), wakes the worker, and counts it. Returns once the tip is
/// durable.
///
/// `article` is the one the request was checked against (perhaps from
/// the cache, seconds old); the writer reads it again with the tip's
/// group, and routes the tip by its section as it is then.
///
/// # Errors
/// [`AcceptError::Files`] when files came and the store-wide budget
/// (`attachments.max_store_bytes`) cannot take them; a tip without files
/// is never refused for it. [`AcceptError::Closed`] when the article
/// stopped taking tips since `article` was read.
pub async fn accept(
    state: &AppState,
    article: Article,
    tip: ValidTip,
    client: ClientKey,
    resend: Option<ResendProof>,
    files: Vec<Upload>,
) -> Result<Stored, AcceptError> {
    let kind = tip.kind;
    let attachments = prepare_files(state, files).await?;
    let count = attachments.len();
    let job = TipJob::new(
        state,
        Submission {
            article,
            tip,
            client,
            resend,
            attachments,
        },
    );
    let stored = state.tip_writer.write_tip(job).await;
    state.metrics.health.write_outcome(match &stored {
        Ok(_) => Outcome::Written,
        Err(AcceptError::Db(e)) => Outcome::Failed(e),
        Err(_) => Outcome::Refused,
    });
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

/// One tip on its way to the writer: the submission, the settings and
/// keys its rows need, and what its text gives, worked out here on the
/// request's thread rather than on a writer thread (which every tip of a
/// group waits for): the folded copy for search, its case sketch, its
/// language and, with a resend proof, its fingerprint.
pub struct TipJob {
    settings: Arc<Settings>,
    hmac_keys: HmacKeys,
    sealing_keys: SealingKeys,
    submission: Submission,
    /// Keyed hash for spotting a resend; '' without a resend proof.
    fingerprint: String,
    search_text: String,
    sketch: Sketch,
    language: Option<String>,
}

impl TipJob {
    pub fn new(state: &AppState, submission: Submission) -> Self {
        // No proof of a resend: no fingerprint (''), which no lookup asks
        // for; PostgreSQL's index of fingerprints leaves such tips out (a
        // random key per tip cost that index a random page each).
        let fingerprint = match &submission.resend {
            Some(proof) => fingerprint(&state.hmac_keys, &submission, proof),
            None => String::new(),
        };
        let message = submission.tip.message.as_str();
        let search_text = crate::domain::folding::fold(message);
        Self {
            settings: state.settings.clone(),
            hmac_keys: state.hmac_keys.clone(),
            sealing_keys: state.sealing_keys.clone(),
            sketch: Sketch::of(&search_text),
            language: crate::domain::Language::detect(message).map(|l| l.to_string()),
            search_text,
            fingerprint,
            submission,
        }
    }

    /// Whether PostgreSQL may store this tip in its group's one statement
    /// (`pg::store_group`): not a possible resend, which first takes a
    /// lock and looks for the earlier tip, and without files, whose
    /// chunks are rows of their own.
    #[cfg(feature = "postgres")]
    fn fits_one_statement(&self) -> bool {
        self.submission.resend.is_none() && self.submission.attachments.is_empty()
    }

    /// The settings of `limits` that decide the surge: how many of an
    /// article's tips in ten minutes are counted at most (0: surge mode
    /// off, nothing counted).
    fn surge_count_cap(&self) -> i64 {
        match self.settings.limits.article_surge_per_10min {
            0 => 0,
            limit => i64::from(limit) + 1,
        }
    }

    /// The new tip's rows, decided: its desk by `article`'s section as
    /// the writer read it, `case` (`None`: a case of its own), and its
    /// notifications held for a digest when it is past the article's
    /// surge threshold with `recent` tips in ten minutes (itself
    /// included). The one place each of these is decided, for both ways
    /// of storing ([`store`], `pg::store_group`).
    fn plan<'a>(
        &'a self,
        article: &Article,
        case: Option<CaseName>,
        recent: i64,
        now: chrono::NaiveDateTime,
    ) -> Planned<'a> {
        let Submission { tip, client, .. } = &self.submission;
        let settings = &self.settings;
        let (desk_key, desk) = routing::desk_for_section(&settings.desks, &article.section);
        let mail_domain = settings
            .server
            .public_url
            .host_str()
            .unwrap_or("tipdesk.invalid");
        let limit = i64::from(settings.limits.article_surge_per_10min);
        let hold = (limit > 0 && recent > limit).then(|| {
            now + chrono::Duration::from_std(settings.limits.article_surge_hold).unwrap_or_default()
        });
        if limit > 0 && recent == limit + 1 {
            tracing::warn!(article = %article.id, "article in surge: its notifications become digests");
        }
        let reference = TipReference::generate();
        let seal =
            |field: &str, value: &str| self.sealing_keys.seal(field, reference.as_str(), value);
        let row = NewTip {
            reference: reference.as_str().to_owned(),
            article_id: &self.submission.article.id,
            desk: desk_key,
            kind: tip.kind,
            message: tip.message.as_str(),
            search_text: &self.search_text,
            language: self.language.as_deref(),
            quote: tip.quote.as_ref().map(|q| q.as_str()),
            reader_name: tip.name.as_ref().map(|n| seal("name", n.as_str())),
            contact: tip.contact.as_ref().map(|c| seal("contact", c.as_str())),
            contact_kind: tip.contact.as_ref().map(|c| c.kind()),
            consent: tip.consent,
            status: TipStatus::New,
            client_hash: client.as_str(),
            fingerprint: &self.fingerprint,
            created_at: now,
            updated_at: now,
            attachment_count: i32::try_from(self.submission.attachments.len()).unwrap_or(i32::MAX),
            case_sketch: self.sketch.to_bytes(),
        };
        let receipt = Receipt::generate();
        Planned {
            receipt_hash: ReceiptHash::of(&self.hmac_keys, &receipt),
            stored: Stored { reference, receipt },
            row,
            case,
            jobs: outbox::tip_jobs(desk_key, &desk.emails, mail_domain, hold),
        }
    }
}

impl Planned<'_> {
    /// The stored case the tip joins, as `tips.case_id` names it; `None`:
    /// a case of its own. (A case named by its place in a group is
    /// PostgreSQL's group statement's to resolve: `pg::GroupInsert`.)
    fn case_id(&self) -> Option<CaseId> {
        match self.case {
            Some(CaseName::Stored(id)) => Some(id),
            Some(CaseName::GroupTip(_)) | None => None,
        }
    }
}

/// One new tip's rows as [`TipJob::plan`] decided them.
struct Planned<'a> {
    row: NewTip<'a>,
    case: Option<CaseName>,
    jobs: outbox::Jobs<'a>,
    receipt_hash: ReceiptHash,
    /// What the reader is told once the rows are committed.
    stored: Stored,
}

/// Stores `job`'s tip with a new receipt and queues the desk's
/// notification in one transaction (on SQLite, and on PostgreSQL for the
/// tips its group statement does not take). When this returns `Ok`, all
/// are durable; on `Err`, none exists. The reader's name and contact are
/// stored sealed; the receipt only as its keyed hash.
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
/// transaction (`writer`) read: the article, its tips of the last ten
/// minutes and its recent tips for cases are read once per group, then
/// added to.
///
/// # Errors
/// [`AcceptError::Closed`] when the article, read in the transaction,
/// takes no tips; [`AcceptError::Db`] for the database's.
pub fn store(
    conn: &mut Conn<'_>,
    group: &mut writer::Group,
    job: &TipJob,
) -> Result<Stored, AcceptError> {
    let TipJob {
        settings,
        hmac_keys,
        sealing_keys,
        submission,
        fingerprint: fp,
        ..
    } = job;
    let article_id = submission.article.id.as_str();
    let lock = locks::submission(fp);
    let window = chrono::Duration::from_std(settings.limits.duplicate_window).unwrap_or_default();
    // A reference collision is a one-in-2^60 event; try again with a new one.
    let mut attempts = 0;
    loop {
        let now = crate::db::now();
        let result = conn.write(|conn| {
            // Without a proof there is no fingerprint: nothing to lock or
            // look up, a round trip less per tip.
            let earlier: Option<(TipId, String)> = if submission.resend.is_some() {
                locks::for_transaction(conn, lock)?;
                crate::db_run!(conn, |conn| tips::table
                    .filter(tips::fingerprint.eq(fp))
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
                return Ok((stored, None));
            }
            let article = group.article(article_id, || article_now(conn, article_id))?;
            // Read once per group and article, then kept up to date
            // (`case::Recent`); `conn` is reborrowed inside for the read.
            let (desk_key, _) = routing::desk_for_section(&settings.desks, &article.section);
            let case = group
                .recent_cases(article_id, || {
                    case::Recent::read(conn, &settings.triage, article_id)
                })?
                .case_for(&settings.triage, desk_key, &job.sketch);
            // The article's tips of the last ten minutes, this one
            // included (counted before it is stored, so that it can be
            // stored in one statement with its jobs). A tip of the article
            // stored earlier in this transaction counted them already:
            // one more is this one. (Tips of other writers' transactions
            // not yet committed are not counted either way.)
            let cap = job.surge_count_cap();
            let recent = match group.recent_tips(article_id) {
                Some(before) => before + 1,
                None if cap > 0 => surge_count(conn, article_id, now, cap)? + 1,
                None => 0,
            };
            let planned = job.plan(&article, case, recent, now);
            let tip_id = insert_tip(conn, &planned)?;
            attachments::store(
                conn,
                sealing_keys,
                tip_id,
                &planned.row.reference,
                &submission.attachments,
            )?;
            let desk = planned.row.desk.to_owned();
            let added = (recent, planned.case_id().unwrap_or(CaseId(tip_id.0)), desk);
            Ok::<_, AcceptError>((planned.stored, Some(added)))
        });
        match result {
            Ok((stored, added)) => {
                if let Some((recent, case, desk)) = added {
                    group.stored(article_id, recent);
                    // The group's next tips of the article compare with this one.
                    if let Ok(cases) = group.recent_cases(article_id, || Err(())) {
                        cases.add(
                            &settings.triage,
                            CaseName::Stored(case),
                            &desk,
                            job.sketch.clone(),
                        );
                    }
                }
                return Ok(stored);
            }
            Err(AcceptError::Db(DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )))) if attempts < 3 => attempts += 1,
            Err(e) => return Err(e),
        }
    }
}

/// The article `id` as it is now, if it still takes tips.
///
/// # Errors
/// [`AcceptError::Closed`], or the database's.
fn article_now(conn: &mut Conn<'_>, id: &str) -> Result<Article, AcceptError> {
    let found = crate::db_run!(conn, |conn| crate::db::schema::articles::table
        .find(id)
        .select(Article::as_select())
        .first(conn)
        .optional())?;
    taking_tips(found).map_err(AcceptError::Closed)
}

/// `article` as read with the tip's group, if it takes tips.
///
/// # Errors
/// [`ArticleClosed`] for `None` or an article the CMS retired.
fn taking_tips(article: Option<Article>) -> Result<Article, ArticleClosed> {
    match article {
        None => Err(ArticleClosed::Missing),
        Some(a) if a.is_retired() => Err(ArticleClosed::Retired),
        Some(a) => Ok(a),
    }
}

/// Stores the tip's row in its case (`Planned::case_id`), with its
/// notification jobs and its receipt: one statement on
/// PostgreSQL (see [`pg`]), three on SQLite.
fn insert_tip(conn: &mut Conn<'_>, planned: &Planned<'_>) -> diesel::QueryResult<TipId> {
    let tip = diesel::insert_into(tips::table)
        .values((&planned.row, tips::case_id.eq(planned.case_id())))
        .returning(tips::id);
    let (jobs, receipt) = (&planned.jobs, &planned.receipt_hash);
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
/// caller adds its own), counted among its `cap` newest by id: past the
/// surge threshold the exact figure changes nothing, and counting every
/// tip of a viral article inside each submission's write transaction made
/// every submission slower than the last.
///
/// Read by id from `tips_article_newest`, as the case candidates are
/// (and, on PostgreSQL, a group's read of the article: `pg::ArticleNow`),
/// so that the article has one index for the planner to choose; the count
/// itself is [`in_surge_window`]'s.
fn surge_count(
    conn: &mut Conn<'_>,
    article: &str,
    now: chrono::NaiveDateTime,
    cap: i64,
) -> diesel::QueryResult<i64> {
    let times: Vec<chrono::NaiveDateTime> = crate::db_run!(conn, |conn| tips::table
        .filter(tips::article_id.eq(article))
        .order(tips::id.desc())
        .select(tips::created_at)
        .limit(cap)
        .load(conn))?;
    Ok(in_surge_window(times, now))
}

/// How many of an article's newest tips, given by their `created_at`,
/// came in the ten minutes before `now`: the surge count. Ids follow
/// `created_at` but for tips committed in the same instant by different
/// writers, which moves the count by a tip or two at the window's edge.
fn in_surge_window(
    times: impl IntoIterator<Item = chrono::NaiveDateTime>,
    now: chrono::NaiveDateTime,
) -> i64 {
    let since = now - chrono::Duration::minutes(10);
    times.into_iter().filter(|at| *at > since).count() as i64
}
