//! The reader's follow-up pages, as a page of their own and for an iframe:
//! `GET /follow-up` (the receipt form), `POST /follow-up` (the tip's view),
//! `POST /follow-up/messages` (a message to the desk), and the same under
//! `/embed`. Handlers translate between HTTP and [`super`]; every answer
//! is `no-store`, and the receipt leaves the server only inside a POSTed
//! form's hidden field.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::conversation::{Author, Message};
use super::status::ReaderStatus;
use super::{Access, ReaderTip, Replied, ReplyInput};
use crate::attachments::{multipart, AttachmentError, Upload};
use crate::domain::Receipt;
use crate::i18n::{self, LanguageLink, Locale, Msg};
use crate::state::AppState;
use crate::submission::routes::article_closed;
use crate::submission::routes::{is_multipart, multipart_refused, read_multipart};
use crate::submission::AcceptError;
use crate::submission::FieldErrors;
use crate::web::form::{self, StrictForm};
use crate::web::{html_no_store, Format, WebError};

/// A full page of its own, or the minimal version for an iframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Page,
    Embed,
}

impl Layout {
    fn prefix(self) -> &'static str {
        match self {
            Self::Page => "",
            Self::Embed => "/embed",
        }
    }

    /// The receipt form's address.
    fn open_path(self) -> String {
        format!("{}/follow-up", self.prefix())
    }

    /// Where a message to the desk is posted.
    fn messages_path(self) -> String {
        format!("{}/follow-up/messages", self.prefix())
    }

    /// `path` with the language the reader picked (`?lang=`), if they did,
    /// so a post and what follows keep it.
    fn with_lang(path: String) -> String {
        match i18n::request::picked() {
            Some(l) => format!("{path}?lang={}", l.tag()),
            None => path,
        }
    }
}

/// `when` as the reader reads it: `2026-11-29 14:03 UTC`, in the digits of
/// their language (`۲۰۲۶-۱۱-۲۹ ۱۴:۰۳ UTC`); shown left to right.
fn when(l: Locale, at: NaiveDateTime) -> String {
    let ascii = at.format("%Y-%m-%d %H:%M").to_string();
    let mut out: String = ascii
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => l.number(i64::from(d)),
            None => c.to_string(),
        })
        .collect();
    out.push_str(" UTC");
    out
}

#[derive(Template)]
#[template(path = "follow_up/open.html")]
struct OpenPage<'a> {
    l: Locale,
    langs: Vec<LanguageLink>,
    embed: bool,
    action: String,
    notice: Option<String>,
    error: Option<String>,
    /// A message the reader wrote whose receipt was then refused: given
    /// back inside the receipt form, so it reaches the tip's box when the
    /// reader opens it again.
    unsent: Option<&'a str>,
    /// Files came with that message: the browser did not keep them, so
    /// the reader is told to choose them again.
    files_again: bool,
}

/// What a refused message leaves unsent, given back on the receipt
/// form: the reader's words, and whether files had been chosen.
#[derive(Clone, Copy, Default)]
struct Unsent<'a> {
    text: Option<&'a str>,
    files: bool,
}

impl OpenPage<'_> {
    fn hint(&self) -> String {
        self.l
            .msg(&Msg::new("follow-up-receipt-hint").number("digits", Receipt::DIGITS))
    }
}

/// A message of the conversation, ready to show.
struct Shown {
    from_desk: bool,
    at: String,
    text: String,
    /// The files the reader sent with it.
    files: Vec<ShownFile>,
}

/// A file the reader sent, as they see it listed (never downloadable
/// here: the receipt page shows what was stored, not the content).
struct ShownFile {
    name: String,
    /// Its size, in the reader's words and digits.
    size: String,
    /// What was done to its metadata, in the reader's words.
    done: String,
}

impl ShownFile {
    fn new(l: Locale, f: &crate::attachments::Listed) -> Self {
        Self {
            name: f.name.as_str().to_owned(),
            size: l.msg(
                &Msg::new("follow-up-file-size").number("kb", f.size.unsigned_abs().div_ceil(1000)),
            ),
            done: l.t(&format!("follow-up-file-{}", f.metadata.as_str())),
        }
    }
}

#[derive(Template)]
#[template(path = "follow_up/tip.html")]
struct TipPage<'a> {
    l: Locale,
    /// Empty: this page switches language with forms of its own (the
    /// receipt must go along, and never in a link).
    langs: Vec<LanguageLink>,
    embed: bool,
    tip: &'a ReaderTip,
    sent: String,
    /// The files sent with the tip itself.
    tip_files: Vec<ShownFile>,
    messages: Vec<Shown>,
    receipt: String,
    action: String,
    leave: String,
    /// The receipt form in each other language, posted with the receipt.
    switch: Vec<LanguageLink>,
    notice: Option<String>,
    /// The reader's message, kept when it was refused.
    draft: String,
    error: Option<String>,
    /// Why the files were refused.
    files_error: Option<String>,
    /// Files were chosen and the page is shown again: the browser did not
    /// keep them, they must be chosen again.
    files_again: bool,
    /// `attachments.max_files`: 0 hides the file field.
    max_files: u32,
    /// `attachments.max_file_bytes`.
    max_file_bytes: u64,
}

impl TipPage<'_> {
    fn status_name(&self) -> String {
        self.l.msg(&self.tip.status.name())
    }

    fn status_about(&self) -> String {
        self.l.msg(&self.tip.status.explanation())
    }

    /// How many files of what size may come (the tip form's words).
    fn attachments_hint(&self) -> String {
        self.l.msg(&crate::attachments::size_limit(
            Msg::new("form-attachments-hint").number("files", u64::from(self.max_files)),
            self.max_file_bytes,
        ))
    }

    fn published(&self) -> Option<&str> {
        (self.tip.status == ReaderStatus::Published)
            .then_some(self.tip.published_url.as_deref())
            .flatten()
    }
}

/// The receipt form, with a notice or a field error when it comes back,
/// and the reader's unsent words when a message of theirs was refused.
fn open_page(
    layout: Layout,
    status: StatusCode,
    notice: Option<Msg>,
    error: Option<Msg>,
    unsent: Unsent<'_>,
) -> HttpResponse {
    let l = i18n::current();
    html_no_store(
        status,
        &OpenPage {
            l,
            langs: i18n::request::reader_links(l, &layout.open_path()),
            embed: layout == Layout::Embed,
            action: Layout::with_lang(layout.open_path()),
            notice: notice.map(|m| l.msg(&m)),
            error: error.map(|m| l.msg(&m)),
            unsent: unsent
                .text
                .filter(|t| !crate::domain::graphemes::is_blank(t)),
            files_again: unsent.files,
        },
    )
}

/// What happens to a reader's message on the tip's page.
enum Reply {
    /// Nothing written yet: just the tip.
    None,
    /// Words the reader wrote before their receipt was refused, back in
    /// the box, not sent.
    Kept(String),
    Sent,
    Refused {
        status: StatusCode,
        draft: String,
        errors: FieldErrors,
        /// Files had been chosen: they must be chosen again.
        files_again: bool,
    },
}

fn tip_page(
    state: &AppState,
    layout: Layout,
    tip: &ReaderTip,
    receipt: &Receipt,
    reply: Reply,
) -> HttpResponse {
    let l = i18n::request::prefer_article(tip.article.language.as_deref());
    let (status, notice, draft, error, files_error, files_again) = match reply {
        Reply::None => (StatusCode::OK, None, String::new(), None, None, false),
        Reply::Kept(draft) => (StatusCode::OK, None, draft, None, None, false),
        Reply::Sent => (
            StatusCode::OK,
            Some(l.t("follow-up-sent")),
            String::new(),
            None,
            None,
            false,
        ),
        Reply::Refused {
            status,
            draft,
            errors,
            files_again,
        } => (
            status,
            None,
            draft,
            errors.get("message").map(|e| l.msg(e)),
            errors.get(multipart::FILE_FIELD).map(|e| l.msg(e)),
            files_again,
        ),
    };
    let messages = tip
        .messages
        .iter()
        .map(|m: &Message| Shown {
            from_desk: m.author == Author::Desk,
            at: when(l, m.at),
            text: m.text.clone(),
            files: tip.files_of(m.seq).map(|f| ShownFile::new(l, f)).collect(),
        })
        .collect();
    let files = &state.settings.attachments;
    // The other languages, as forms posting the receipt to `?lang=`.
    let switch = i18n::request::reader_links(l, &layout.open_path());
    html_no_store(
        status,
        &TipPage {
            l,
            langs: Vec::new(),
            embed: layout == Layout::Embed,
            tip,
            sent: when(l, tip.created_at),
            tip_files: tip.tip_files().map(|f| ShownFile::new(l, f)).collect(),
            messages,
            receipt: receipt.grouped(),
            action: Layout::with_lang(layout.messages_path()),
            leave: Layout::with_lang(layout.open_path()),
            switch,
            notice,
            draft,
            error,
            files_error,
            files_again,
            max_files: files.max_files,
            max_file_bytes: files.max_file_bytes.get(),
        },
    )
}

/// The same answer to every wrong receipt, and to a throttled client;
/// `unsent` is what the reader wrote, given back (see [`OpenPage`]).
fn refusal(layout: Layout, access: &Access, unsent: Unsent<'_>) -> HttpResponse {
    match access {
        Access::Throttled { retry_after } => {
            let minutes = retry_after.div_ceil(60).max(1);
            let mut res = open_page(
                layout,
                StatusCode::TOO_MANY_REQUESTS,
                Some(Msg::new("follow-up-throttled").number("minutes", minutes)),
                None,
                unsent,
            );
            if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        _ => open_page(
            layout,
            StatusCode::NOT_FOUND,
            Some(Msg::new("follow-up-wrong")),
            None,
            unsent,
        ),
    }
}

/// Checks the posted receipt: the tip and the receipt, or the answer to
/// give instead (with the reader's `unsent` words in it).
async fn open(
    state: &AppState,
    req: &HttpRequest,
    layout: Layout,
    raw: Option<&str>,
    unsent: Unsent<'_>,
) -> Result<Result<(ReaderTip, Receipt), HttpResponse>, WebError> {
    let raw = raw.unwrap_or("");
    if crate::domain::graphemes::is_blank(raw) {
        return Ok(Err(open_page(
            layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(Msg::new("follow-up-receipt-missing")),
            unsent,
        )));
    }
    let access = super::access::check(state, state.client_key(req), raw).await?;
    let Access::Granted { tip_id, receipt } = access else {
        return Ok(Err(refusal(layout, &access, unsent)));
    };
    match super::view(state, tip_id).await? {
        Some(tip) => Ok(Ok((tip, receipt))),
        // Removed since the receipt was checked: as if it were wrong.
        None => Ok(Err(refusal(layout, &Access::Wrong, unsent))),
    }
}

/// `GET /follow-up`
pub async fn form_page() -> HttpResponse {
    open_page(Layout::Page, StatusCode::OK, None, None, Unsent::default())
}

/// `GET /embed/follow-up`
pub async fn form_embed() -> HttpResponse {
    open_page(Layout::Embed, StatusCode::OK, None, None, Unsent::default())
}

/// The receipt form's one field, and the words a refused message left
/// unsent when the form gave them back.
#[derive(Deserialize)]
pub struct OpenPost {
    receipt: Option<String>,
    message: Option<String>,
}

/// `POST /follow-up`
pub async fn show_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    StrictForm(form): StrictForm<OpenPost>,
) -> Result<HttpResponse, WebError> {
    show(&state, &req, Layout::Page, form).await
}

/// `POST /embed/follow-up`
pub async fn show_embed(
    state: web::Data<AppState>,
    req: HttpRequest,
    StrictForm(form): StrictForm<OpenPost>,
) -> Result<HttpResponse, WebError> {
    show(&state, &req, Layout::Embed, form).await
}

async fn show(
    state: &AppState,
    req: &HttpRequest,
    layout: Layout,
    form: OpenPost,
) -> Result<HttpResponse, WebError> {
    let kept = Unsent {
        text: form.message.as_deref(),
        files: false,
    };
    Ok(
        match open(state, req, layout, form.receipt.as_deref(), kept).await? {
            Ok((tip, receipt)) => {
                let reply = match form.message {
                    Some(draft) if !crate::domain::graphemes::is_blank(&draft) => {
                        Reply::Kept(draft)
                    }
                    _ => Reply::None,
                };
                tip_page(state, layout, &tip, &receipt, reply)
            }
            Err(refused) => refused,
        },
    )
}

/// A message to the desk: the receipt (a hidden field) and the message;
/// `keep_metadata` comes with files (see [`multipart::KEEP_FIELD`]).
#[derive(Deserialize)]
pub struct ReplyPost {
    receipt: Option<String>,
    #[serde(flatten)]
    reply: ReplyInput,
}

/// The reply form as posted: urlencoded (text alone, as before files), or
/// `multipart/form-data` with files in `attachments` parts, as the tip
/// form sends them (and with the same limits, checks and stripping).
pub struct ReplyForm {
    post: ReplyPost,
    files: Result<Vec<Upload>, AttachmentError>,
    /// Whether files were chosen at all (refused or not).
    chosen: bool,
}

impl actix_web::FromRequest for ReplyForm {
    type Error = WebError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        if !is_multipart(req.headers()) {
            let form = StrictForm::<ReplyPost>::from_request(req, payload);
            return Box::pin(async move {
                Ok(Self {
                    post: form.await?.0,
                    files: Ok(Vec::new()),
                    chosen: false,
                })
            });
        }
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| WebError::bad_request(Format::Html, Msg::new("error-no-page")))?;
            // The page's box "Remove location and camera details" sends
            // `keep_metadata=off` while ticked, nothing once unticked.
            let posted = read_multipart(&state, &req, payload, true)
                .await
                .map_err(|e| multipart_refused(Format::Html, &e))?;
            Ok(Self {
                post: form::parse(&posted.urlencoded())?,
                files: posted.files,
                chosen: posted.had_files,
            })
        })
    }
}

/// `POST /follow-up/messages`
pub async fn reply_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: ReplyForm,
) -> Result<HttpResponse, WebError> {
    reply(&state, &req, Layout::Page, form).await
}

/// `POST /embed/follow-up/messages`
pub async fn reply_embed(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: ReplyForm,
) -> Result<HttpResponse, WebError> {
    reply(&state, &req, Layout::Embed, form).await
}

async fn reply(
    state: &AppState,
    req: &HttpRequest,
    layout: Layout,
    form: ReplyForm,
) -> Result<HttpResponse, WebError> {
    let ReplyForm {
        post,
        files,
        chosen,
    } = form;
    let unsent = Unsent {
        text: post.reply.message.as_deref(),
        files: chosen,
    };
    let (tip, receipt) = match open(state, req, layout, post.receipt.as_deref(), unsent).await? {
        Ok(opened) => opened,
        Err(refused) => return Ok(refused),
    };
    let draft = || post.reply.message.clone().unwrap_or_default();
    let refuse_files = |refused: &AttachmentError| {
        let mut errors = FieldErrors::new();
        errors.insert(multipart::FILE_FIELD, refused.message());
        Reply::Refused {
            status: refused.status(),
            draft: draft(),
            errors,
            files_again: chosen,
        }
    };
    // Both are checked, so the reader learns everything to fix at once.
    let (text, files) = match (post.reply.parse(), files) {
        (Ok(text), Ok(files)) => (text, files),
        (parsed, files) => {
            let mut errors = parsed.err().unwrap_or_default();
            let status = match &files {
                Err(refused) => {
                    errors.insert(multipart::FILE_FIELD, refused.message());
                    refused.status()
                }
                Ok(_) => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let refused = Reply::Refused {
                status,
                draft: draft(),
                errors,
                files_again: chosen,
            };
            return Ok(tip_page(state, layout, &tip, &receipt, refused));
        }
    };
    let replied = match super::reply(state, tip.id, text.clone(), files).await {
        Ok(replied) => replied,
        Err(AcceptError::Files(refused)) => {
            let page = tip_page(state, layout, &tip, &receipt, refuse_files(&refused));
            return Ok(page);
        }
        Err(AcceptError::Db(e)) => return Err(e.into()),
        // A reply is not checked against its tip's article.
        Err(AcceptError::Closed(closed)) => return Err(article_closed(Format::Html, closed)),
    };
    if replied == Replied::Gone {
        let unsent = Unsent {
            text: Some(text.as_str()),
            files: chosen,
        };
        return Ok(refusal(layout, &Access::Wrong, unsent));
    }
    // The conversation as it now stands (unless the tip went meanwhile).
    match super::view(state, tip.id).await? {
        Some(now) => Ok(tip_page(state, layout, &now, &receipt, Reply::Sent)),
        None => Ok(refusal(layout, &Access::Wrong, Unsent::default())),
    }
}
