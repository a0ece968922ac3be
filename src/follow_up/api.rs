//! The follow-up for newsrooms' own front ends: `POST /api/v1/follow-up`
//! (`{"receipt"}` → the reader's view of the tip) and `POST
//! /api/v1/follow-up/messages` (`{"receipt", "message"}` → 201). The same
//! checks as the pages ([`super::access`]), the same JSON error shape as
//! the rest of the API, and `Cache-Control: no-store` on every answer (as
//! on every answer to a POST: `web::headers`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::SecondsFormat;
use serde::Serialize;

use super::{Access, ReaderTip, Replied, ReplyInput};
use crate::attachments::multipart::FILE_FIELD;
use crate::i18n::{self, Msg};
use crate::state::AppState;
use crate::submission::routes::article_closed;
use crate::submission::routes::{attachment_refused, ApiBody};
use crate::submission::AcceptError;
use crate::submission::FieldErrors;
use crate::web::form;
use crate::web::json::UniqueJson;
use crate::web::{Format, WebError};

#[derive(Serialize)]
struct ArticleJson<'a> {
    id: &'a str,
    title: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct MessageJson<'a> {
    from: &'static str,
    /// RFC 3339, UTC.
    at: String,
    text: &'a str,
    /// The files the reader sent with it; left out when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<FileJson<'a>>,
}

/// A file the reader sent with a message: never its content.
#[derive(Serialize)]
struct FileJson<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    file_type: &'static str,
    /// Bytes as stored.
    size: i64,
    metadata: &'static str,
}

#[derive(Serialize)]
struct TipJson<'a> {
    reference: &'a str,
    article: ArticleJson<'a>,
    status: &'static str,
    published_url: Option<&'a str>,
    /// The files the reader sent with the tip; left out when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<FileJson<'a>>,
    messages: Vec<MessageJson<'a>>,
}

impl<'a> From<&'a crate::attachments::Listed> for FileJson<'a> {
    fn from(f: &'a crate::attachments::Listed) -> Self {
        Self {
            name: f.name.as_str(),
            file_type: f.file_type.as_str(),
            size: f.size,
            metadata: f.metadata.as_str(),
        }
    }
}

impl<'a> From<&'a ReaderTip> for TipJson<'a> {
    fn from(tip: &'a ReaderTip) -> Self {
        Self {
            reference: &tip.reference,
            article: ArticleJson {
                id: &tip.article.id,
                title: &tip.article.title,
                url: &tip.article.url,
            },
            status: tip.status.as_str(),
            published_url: tip.published_url.as_deref(),
            attachments: tip.tip_files().map(FileJson::from).collect(),
            messages: tip
                .messages
                .iter()
                .map(|m| MessageJson {
                    from: m.author.as_str(),
                    at: m.at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
                    text: &m.text,
                    attachments: tip.files_of(m.seq).map(FileJson::from).collect(),
                })
                .collect(),
        }
    }
}

fn error(status: StatusCode, code: &'static str, message: Msg) -> WebError {
    WebError::new(Format::Json, status, code, message)
}

fn invalid(fields: FieldErrors) -> WebError {
    let mut e = error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Msg::new("api-validation-failed"),
    );
    e.fields = fields;
    e
}

/// The same answer to every wrong receipt, and to a throttled client.
fn refusal(access: &Access) -> WebError {
    match access {
        Access::Throttled { retry_after } => error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            Msg::new("api-receipt-throttled").number("seconds", *retry_after),
        )
        .with_header("retry-after", retry_after.to_string()),
        _ => error(
            StatusCode::NOT_FOUND,
            "receipt_not_found",
            Msg::new("follow-up-wrong"),
        ),
    }
}

/// The string fields `names` of a JSON object; a field of another type is
/// reported, by name, rather than ignored.
fn strings<const N: usize>(
    body: &serde_json::Value,
    names: [&'static str; N],
) -> Result<[Option<String>; N], WebError> {
    let serde_json::Value::Object(map) = body else {
        let mut fields = FieldErrors::new();
        fields.insert("body", Msg::new("api-not-an-object"));
        return Err(invalid(fields));
    };
    let mut fields = FieldErrors::new();
    let values = names.map(|name| match map.get(name) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => {
            fields.insert(name, Msg::new("api-not-a-string").key("field", name));
            None
        }
    });
    if fields.is_empty() {
        Ok(values)
    } else {
        Err(invalid(fields))
    }
}

/// Checks the receipt: the tip it opens, or the error to answer. Only a
/// missing receipt is a 422; any string, blank included, is a receipt
/// that opens a tip or is wrong (404), like every other wrong one.
async fn open(
    state: &AppState,
    req: &HttpRequest,
    receipt: Option<&str>,
) -> Result<ReaderTip, WebError> {
    let Some(raw) = receipt else {
        let mut fields = FieldErrors::new();
        fields.insert("receipt", Msg::new("follow-up-receipt-missing"));
        return Err(invalid(fields));
    };
    let db = |e| WebError::from_db(Format::Json, e);
    let access = super::access::check(state, state.client_key(req), raw)
        .await
        .map_err(db)?;
    let Access::Granted { tip_id, .. } = access else {
        return Err(refusal(&access));
    };
    super::view(state, tip_id)
        .await
        .map_err(db)?
        .ok_or_else(|| refusal(&Access::Wrong))
}

/// `POST /api/v1/follow-up`: `{"receipt"}` → the reader's view of the tip.
pub async fn read_json(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<UniqueJson>,
) -> Result<HttpResponse, WebError> {
    let UniqueJson(body) = body.into_inner();
    let [receipt] = strings(&body, ["receipt"])?;
    let tip = open(&state, &req, receipt.as_deref()).await?;
    Ok(HttpResponse::Ok().json(TipJson::from(&tip)))
}

/// The text fields of a multipart reply.
#[derive(serde::Deserialize)]
struct ReplyParts {
    receipt: Option<String>,
    message: Option<String>,
}

/// `POST /api/v1/follow-up/messages`: `{"receipt", "message"}` as JSON,
/// or the same fields as parts of `multipart/form-data` with files as
/// `attachments` parts (as a tip's: the same limits, checks, stripping
/// and `keep_metadata`) → 201.
pub async fn reply_json(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiBody,
) -> Result<HttpResponse, WebError> {
    let (receipt, message, files) = match body {
        ApiBody::Json(body) => {
            let [receipt, message] = strings(&body, ["receipt", "message"])?;
            // Files travel as multipart parts; a JSON body cannot carry one.
            if body.get(FILE_FIELD).is_some() {
                let mut fields = FieldErrors::new();
                fields.insert(FILE_FIELD, Msg::new("api-attachments-in-json"));
                return Err(invalid(fields));
            }
            (receipt, message, Ok(Vec::new()))
        }
        ApiBody::Multipart(posted) => {
            let parts: ReplyParts = match form::parse_form(&posted.urlencoded()) {
                Ok(parts) => parts,
                Err(e) => return Err(e.into_web_as(Format::Json)),
            };
            (parts.receipt, parts.message, posted.files)
        }
    };
    let tip = open(&state, &req, receipt.as_deref()).await?;
    let l = i18n::request::prefer_article(tip.article.language.as_deref());
    let text = ReplyInput { message }.parse().map_err(invalid)?;
    let files = files.map_err(|refused| attachment_refused(&refused))?;
    let replied = super::reply(&state, tip.id, text, files)
        .await
        .map_err(|e| match e {
            AcceptError::Files(refused) => attachment_refused(&refused),
            AcceptError::Db(e) => WebError::from_db(Format::Json, e),
            // A reply is not checked against its tip's article.
            AcceptError::Closed(closed) => article_closed(Format::Json, closed),
        })?;
    if replied == Replied::Gone {
        return Err(refusal(&Access::Wrong));
    }
    Ok(HttpResponse::Created().json(serde_json::json!({
        "reference": tip.reference,
        "message": l.t("api-reply-accepted"),
    })))
}
