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
use crate::domain::Receipt;
use crate::i18n::{self, LanguageLink, Locale, Msg};
use crate::state::AppState;
use crate::submission::FieldErrors;
use crate::web::form::StrictForm;
use crate::web::{html_no_store, WebError};

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
}

impl TipPage<'_> {
    fn status_name(&self) -> String {
        self.l.msg(&self.tip.status.name())
    }

    fn status_about(&self) -> String {
        self.l.msg(&self.tip.status.explanation())
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
    unsent: Option<&str>,
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
            unsent: unsent.filter(|t| !crate::domain::graphemes::is_blank(t)),
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
        draft: String,
        errors: FieldErrors,
    },
}

fn tip_page(layout: Layout, tip: &ReaderTip, receipt: &Receipt, reply: Reply) -> HttpResponse {
    let l = i18n::request::prefer_article(tip.article.language.as_deref());
    let (status, notice, draft, error) = match reply {
        Reply::None => (StatusCode::OK, None, String::new(), None),
        Reply::Kept(draft) => (StatusCode::OK, None, draft, None),
        Reply::Sent => (
            StatusCode::OK,
            Some(l.t("follow-up-sent")),
            String::new(),
            None,
        ),
        Reply::Refused { draft, errors } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            draft,
            errors.get("message").map(|e| l.msg(e)),
        ),
    };
    let messages = tip
        .messages
        .iter()
        .map(|m: &Message| Shown {
            from_desk: m.author == Author::Desk,
            at: when(l, m.at),
            text: m.text.clone(),
        })
        .collect();
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
            messages,
            receipt: receipt.grouped(),
            action: Layout::with_lang(layout.messages_path()),
            leave: Layout::with_lang(layout.open_path()),
            switch,
            notice,
            draft,
            error,
        },
    )
}

/// The same answer to every wrong receipt, and to a throttled client;
/// `unsent` is what the reader wrote, given back (see [`OpenPage`]).
fn refusal(layout: Layout, access: &Access, unsent: Option<&str>) -> HttpResponse {
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
    unsent: Option<&str>,
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
    open_page(Layout::Page, StatusCode::OK, None, None, None)
}

/// `GET /embed/follow-up`
pub async fn form_embed() -> HttpResponse {
    open_page(Layout::Embed, StatusCode::OK, None, None, None)
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
    let kept = form.message.as_deref();
    Ok(
        match open(state, req, layout, form.receipt.as_deref(), kept).await? {
            Ok((tip, receipt)) => {
                let reply = match form.message {
                    Some(draft) if !crate::domain::graphemes::is_blank(&draft) => {
                        Reply::Kept(draft)
                    }
                    _ => Reply::None,
                };
                tip_page(layout, &tip, &receipt, reply)
            }
            Err(refused) => refused,
        },
    )
}

/// A message to the desk: the receipt (a hidden field) and the message.
#[derive(Deserialize)]
pub struct ReplyPost {
    receipt: Option<String>,
    #[serde(flatten)]
    reply: ReplyInput,
}

/// `POST /follow-up/messages`
pub async fn reply_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    StrictForm(form): StrictForm<ReplyPost>,
) -> Result<HttpResponse, WebError> {
    reply(&state, &req, Layout::Page, form).await
}

/// `POST /embed/follow-up/messages`
pub async fn reply_embed(
    state: web::Data<AppState>,
    req: HttpRequest,
    StrictForm(form): StrictForm<ReplyPost>,
) -> Result<HttpResponse, WebError> {
    reply(&state, &req, Layout::Embed, form).await
}

async fn reply(
    state: &AppState,
    req: &HttpRequest,
    layout: Layout,
    form: ReplyPost,
) -> Result<HttpResponse, WebError> {
    let unsent = form.reply.message.as_deref();
    let (tip, receipt) = match open(state, req, layout, form.receipt.as_deref(), unsent).await? {
        Ok(opened) => opened,
        Err(refused) => return Ok(refused),
    };
    let text = match form.reply.parse() {
        Ok(text) => text,
        Err(errors) => {
            let draft = form.reply.message.unwrap_or_default();
            let refused = Reply::Refused { draft, errors };
            return Ok(tip_page(layout, &tip, &receipt, refused));
        }
    };
    if super::reply(state, tip.id, text.clone()).await? == Replied::Gone {
        return Ok(refusal(layout, &Access::Wrong, Some(text.as_str())));
    }
    // The conversation as it now stands (unless the tip went meanwhile).
    match super::view(state, tip.id).await? {
        Some(now) => Ok(tip_page(layout, &now, &receipt, Reply::Sent)),
        None => Ok(refusal(layout, &Access::Wrong, None)),
    }
}
