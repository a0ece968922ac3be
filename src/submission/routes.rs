//! The reader-facing routes: the form (as a page and embedded), its POST,
//! and the JSON API. Handlers only translate between HTTP and [`super`].

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::input::{FieldErrors, TipInput};
use super::ArticleClosed;
use crate::articles::{self, Article};
use crate::attachments::{multipart, AttachmentError, Upload};
use crate::domain::{ArticleId, TipKind, TipReference};
use crate::i18n::{self, LanguageLink, Locale, Msg};
use crate::state::AppState;
use crate::web::form::{self as form, FormError};
use crate::web::form_token as token;
use crate::web::json::UniqueJson;
use crate::web::{html, Format, WebError};

/// A full page of its own, or the minimal version for an iframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Page,
    Embed,
}

impl Layout {
    fn form_path(self, article: &str) -> String {
        match self {
            Self::Page => format!("/articles/{article}/tip"),
            Self::Embed => format!("/embed/articles/{article}/tip"),
        }
    }

    /// The follow-up's receipt form, in this layout and the language the
    /// reader picked.
    fn follow_up_link(self) -> String {
        let path = match self {
            Self::Page => "/follow-up",
            Self::Embed => "/embed/follow-up",
        };
        match i18n::request::picked() {
            Some(l) => format!("{path}?lang={}", l.tag()),
            None => path.to_owned(),
        }
    }

    /// The form's address, with the language the reader picked (if they
    /// picked one with `?lang=`), so the post and what follows keep it.
    fn form_link(self, article: &str) -> String {
        i18n::request::keep_picked(&self.form_path(article))
    }
}

/// The embed without its heading and article title (`?compact=1`, what
/// `/embed.js` asks for): the article around it shows both already. Kept
/// through the post, the refused form and the thank-you page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Compact(bool);

impl Compact {
    /// `?compact=1` on an embed's address; a page of its own is never
    /// compact.
    fn of(req: &HttpRequest, layout: Layout) -> Self {
        Self(
            layout == Layout::Embed
                && url::form_urlencoded::parse(req.query_string().as_bytes())
                    .any(|(k, v)| k == "compact" && v == "1"),
        )
    }

    /// `url` (which may have a query already) with `compact=1` when compact.
    fn keep(self, url: String) -> String {
        match (self.0, url.contains('?')) {
            (false, _) => url,
            (true, true) => format!("{url}&compact=1"),
            (true, false) => format!("{url}?compact=1"),
        }
    }

    /// Language links that stay compact.
    fn links(self, mut links: Vec<LanguageLink>) -> Vec<LanguageLink> {
        for link in &mut links {
            link.href = self.keep(std::mem::take(&mut link.href));
        }
        links
    }
}

/// The HTML form's fields: the tip, plus the two anti-bot fields.
#[derive(Deserialize)]
pub struct FormPost {
    kind: Option<String>,
    message: Option<String>,
    quote: Option<String>,
    name: Option<String>,
    contact: Option<String>,
    consent: Option<String>,
    /// The honeypot: hidden from people, so anything in it came from a bot
    /// (or, rarely, a browser's autofill).
    website: Option<String>,
    form_token: Option<String>,
}

/// The reader's form body as posted: readable, or with a field sent twice
/// (then each field's first value is kept, to show the form again with
/// what the reader wrote).
pub enum ReaderForm {
    Read(FormPost),
    Duplicate { field: String, first: FormPost },
}

impl ReaderForm {
    /// Reads a body already checked by [`form::read`].
    pub fn parse(bytes: &[u8]) -> Result<Self, WebError> {
        match form::parse_form::<FormPost>(bytes) {
            Ok(post) => Ok(Self::Read(post)),
            Err(FormError::Duplicate(field)) => match form::parse_first::<FormPost>(bytes) {
                Some(first) => Ok(Self::Duplicate { field, first }),
                None => Err(FormError::Duplicate(field).into_web()),
            },
            Err(e) => Err(e.into_web()),
        }
    }
}

/// The files that came with a form (none for a urlencoded one).
pub struct Files {
    /// The checked files, or why they were refused.
    pub uploads: Result<Vec<Upload>, AttachmentError>,
    /// Whether any file was chosen: if the form is shown again, the
    /// reader must choose them again (browsers cannot keep them).
    pub chosen: bool,
}

impl Files {
    fn none() -> Self {
        Self {
            uploads: Ok(Vec::new()),
            chosen: false,
        }
    }
}

/// The reader's form as posted: urlencoded (the text alone), or
/// `multipart/form-data` with files in `attachments` parts (RFC 7578);
/// the text fields are read the same way either way.
pub struct TipPost {
    pub form: ReaderForm,
    pub files: Files,
}

/// Whether a request's body is `multipart/form-data`.
pub fn is_multipart(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Reads a multipart body's parts within the limits of `state`.
/// `keep_by_default`: see [`multipart::Limits::keep_by_default`].
pub async fn read_multipart(
    state: &AppState,
    req: &HttpRequest,
    payload: actix_web::dev::Payload,
    keep_by_default: bool,
) -> Result<multipart::Posted, multipart::PartError> {
    let limits = multipart::Limits {
        files: &state.settings.attachments,
        text_bytes: state.settings.server.max_body_bytes,
        keep_by_default,
    };
    multipart::read(req.headers(), payload, &limits).await
}

impl actix_web::FromRequest for TipPost {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        if !is_multipart(req.headers()) {
            let body = form::read(req, payload);
            return Box::pin(async move {
                Ok(Self {
                    form: ReaderForm::parse(&body.await?)?,
                    files: Files::none(),
                })
            });
        }
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let state = app_state(&req)?;
            let posted = read_multipart(&state, &req, payload, true)
                .await
                .map_err(|e| multipart_refused(Format::Html, &e))?;
            Ok(Self {
                form: ReaderForm::parse(&posted.urlencoded())?,
                files: Files {
                    uploads: posted.files,
                    chosen: posted.had_files,
                },
            })
        })
    }
}

impl FormPost {
    /// The tip, the honeypot field and the form token.
    pub fn into_parts(self) -> (TipInput, Option<String>, Option<String>) {
        let tip = TipInput {
            kind: self.kind,
            message: self.message.into(),
            quote: self.quote.into(),
            name: self.name.into(),
            contact: self.contact.into(),
            consent: self.consent,
        };
        (tip, self.website, self.form_token)
    }
}

#[derive(Template)]
#[template(path = "submission/form.html")]
struct FormPage<'a> {
    l: Locale,
    langs: Vec<LanguageLink>,
    embed: bool,
    compact: bool,
    article: &'a Article,
    action: String,
    input: &'a TipInput,
    errors: &'a FieldErrors,
    notice: Option<String>,
    token: String,
    /// Files were chosen and the form is shown again: they must be
    /// chosen again.
    files_again: bool,
    /// `attachments.max_files`: 0 hides the file field.
    max_files: u32,
    /// `attachments.max_file_bytes`.
    max_file_bytes: u64,
}

impl FormPage<'_> {
    fn value<'s>(&'s self, field: &str) -> &'s str {
        let v = match field {
            "message" => &self.input.message,
            "quote" => &self.input.quote,
            "name" => &self.input.name,
            "contact" => &self.input.contact,
            _ => &None,
        };
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|e| self.l.msg(e))
    }

    fn kinds(&self) -> Vec<(&'static str, String, bool)> {
        let chosen = self.input.kind.as_deref().unwrap_or("new_information");
        TipKind::ALL
            .iter()
            .map(|k| (k.as_str(), self.l.msg(&k.name()), k.as_str() == chosen))
            .collect()
    }

    /// The page's title; on a refused form after the word for "Error", as
    /// GOV.UK's error pattern has it (the first thing a screen reader says).
    fn title(&self) -> String {
        let title = self
            .l
            .msg(&Msg::new("form-title").text("title", &self.article.title));
        if self.notice.is_some() || !self.errors.is_empty() {
            self.l
                .msg(&Msg::new("error-title-prefix").localized("title", title))
        } else {
            title
        }
    }

    /// Each wrong field's id and message, in the order the fields appear
    /// on the page: the error summary's links.
    fn problems(&self) -> Vec<(String, String)> {
        const ORDER: [&str; 7] = [
            "kind",
            "message",
            "quote",
            "name",
            "contact",
            "consent",
            "attachments",
        ];
        ORDER
            .iter()
            .filter_map(|&field| {
                let text = self.error(field)?;
                let id = if field == "kind" {
                    // The group's first choice: a link lands on the radios.
                    format!("kind-{}", TipKind::ALL[0].as_str())
                } else {
                    field.to_owned()
                };
                Some((id, text))
            })
            .collect()
    }

    /// How many files of what size may come, and of which kinds.
    fn attachments_hint(&self) -> String {
        self.l.msg(&crate::attachments::size_limit(
            Msg::new("form-attachments-hint").number("files", u64::from(self.max_files)),
            self.max_file_bytes,
        ))
    }

    fn consent_checked(&self) -> bool {
        self.input.consent_given()
    }
}

#[derive(Template)]
#[template(path = "submission/thanks.html")]
struct ThanksPage<'a> {
    l: Locale,
    langs: Vec<LanguageLink>,
    embed: bool,
    article: &'a Article,
    reference: &'a TipReference,
    /// Shown this once, in groups of four.
    receipt: String,
    /// Where the reader comes back with it.
    follow_up_path: String,
    form_path: String,
}

impl ThanksPage<'_> {
    fn title(&self) -> String {
        self.l
            .msg(&Msg::new("thanks-title").text("title", &self.article.title))
    }
}

#[derive(Template)]
#[template(path = "submission/slow_down.html")]
struct SlowDownPage {
    l: Locale,
    langs: Vec<LanguageLink>,
    embed: bool,
    seconds: u64,
}

impl SlowDownPage {
    fn body(&self) -> String {
        self.l
            .msg(&Msg::new("slow-down-body").number("seconds", self.seconds))
    }
}

/// The article a tip is for: 404 if unknown, 410 if the CMS retired it
/// (see [`taking_tips`]). From memory when it was read in the last
/// seconds (`ArticleCache`, as the form page): the tip writer reads it
/// again with the tip, so the tip is routed by its section as it is then,
/// and refused if it was retired meanwhile.
async fn load_article(state: &AppState, raw_id: &str, format: Format) -> Result<Article, WebError> {
    let missing = || article_closed(format, ArticleClosed::Missing);
    let id = ArticleId::parse(raw_id).map_err(|_| missing())?;
    let article = match state.articles.get(id.as_str()) {
        Some(article) => article,
        None => {
            let article = find_article(state, id, format).await?.ok_or_else(missing)?;
            state.articles.put(&article);
            article
        }
    };
    taking_tips(article, format)
}

async fn find_article(
    state: &AppState,
    id: ArticleId,
    format: Format,
) -> Result<Option<Article>, WebError> {
    state
        .pool
        .run(move |conn| articles::find(conn, &id))
        .await
        .map_err(|e| WebError::from_db(format, e))
}

/// The article, unless the CMS retired it: then 410, said in the
/// article's language unless the reader chose another.
fn taking_tips(article: Article, format: Format) -> Result<Article, WebError> {
    if !article.is_retired() {
        return Ok(article);
    }
    i18n::request::prefer_article(article.language.as_deref());
    Err(article_closed(format, ArticleClosed::Retired))
}

/// The answer for a tip to an article that takes none: 404 for an
/// unknown article, 410 for a retired one.
pub fn article_closed(format: Format, closed: ArticleClosed) -> WebError {
    match closed {
        ArticleClosed::Missing => WebError::not_found(format, Msg::new("error-no-article")),
        ArticleClosed::Retired => WebError::new(
            format,
            StatusCode::GONE,
            "gone",
            Msg::new("error-article-retired"),
        ),
    }
}

/// Why the form is shown again, and with what.
struct Refusal<'a> {
    status: StatusCode,
    input: &'a TipInput,
    errors: &'a FieldErrors,
    notice: Msg,
    /// The posted token, when genuine: its original time is kept.
    keep_token: Option<&'a str>,
    files_again: bool,
}

fn render_form(
    state: &AppState,
    layout: Layout,
    compact: Compact,
    article: &Article,
    refusal: Option<Refusal<'_>>,
) -> HttpResponse {
    let l = i18n::current();
    let empty_input = TipInput::default();
    let no_errors = FieldErrors::new();
    let (status, input, errors, notice, keep_token, files_again) = match &refusal {
        None => (StatusCode::OK, &empty_input, &no_errors, None, None, false),
        Some(r) => (
            r.status,
            r.input,
            r.errors,
            Some(l.msg(&r.notice)),
            r.keep_token,
            r.files_again,
        ),
    };
    let files = &state.settings.attachments;
    let token = keep_token.map_or_else(
        || token::issue(&state.hmac_keys, &article.id),
        str::to_owned,
    );
    html(
        status,
        &FormPage {
            l,
            langs: compact.links(i18n::request::reader_links(
                l,
                &layout.form_path(&article.id),
            )),
            embed: layout == Layout::Embed,
            compact: compact.0,
            article,
            action: compact.keep(layout.form_link(&article.id)),
            input,
            errors,
            notice,
            token,
            files_again,
            max_files: files.max_files,
            max_file_bytes: files.max_file_bytes.get(),
        },
    )
}

/// `GET /articles/{id}/tip`
pub async fn form_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    show_form(&state, Layout::Page, &req, &path).await
}

/// `GET /embed/articles/{id}/tip`
pub async fn form_embed(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    show_form(&state, Layout::Embed, &req, &path).await
}

async fn show_form(
    state: &AppState,
    layout: Layout,
    req: &HttpRequest,
    id: &str,
) -> Result<HttpResponse, WebError> {
    let compact = Compact::of(req, layout);
    let missing = || WebError::not_found(Format::Html, Msg::new("error-no-article"));
    let id = ArticleId::parse(id).map_err(|_| missing())?;
    let mut article = match state.articles.get(id.as_str()) {
        Some(a) => Some(a),
        None => find_article(state, id.clone(), Format::Html).await?,
    };
    // A validly signed embed brings its article, or its changes, along.
    let described = articles::signed::described(&state.settings.articles, &id, req.query_string());
    if let Some(new) = described.filter(|new| !article.as_ref().is_some_and(|a| a.matches(new))) {
        let key = id.clone();
        article = state
            .pool
            .run(move |conn| {
                articles::save(conn, &new, articles::Revive::No)?;
                articles::find(conn, &key)
            })
            .await
            .map_err(|e| WebError::from_db(Format::Html, e))?;
    }
    let article = taking_tips(article.ok_or_else(missing)?, Format::Html)?;
    state.articles.put(&article);
    i18n::request::prefer_article(article.language.as_deref());
    Ok(render_form(state, layout, compact, &article, None))
}

/// `POST /articles/{id}/tip`
pub async fn submit_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: TipPost,
) -> Result<HttpResponse, WebError> {
    submit_form(&state, &req, Layout::Page, &path, form).await
}

/// `POST /embed/articles/{id}/tip`
pub async fn submit_embed(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: TipPost,
) -> Result<HttpResponse, WebError> {
    submit_form(&state, &req, Layout::Embed, &path, form).await
}

async fn submit_form(
    state: &AppState,
    req: &HttpRequest,
    layout: Layout,
    id: &str,
    post: TipPost,
) -> Result<HttpResponse, WebError> {
    let TipPost { form, files } = post;
    let client = state.client_key(req);
    if let Err(wait) = state.limiter.check(&client) {
        let seconds = wait.as_secs().max(1);
        super::refused(&state.metrics, "rate_limited");
        let l = i18n::current();
        return Ok(with_retry_after(
            html(
                StatusCode::TOO_MANY_REQUESTS,
                &SlowDownPage {
                    l,
                    langs: i18n::request::reader_links(l, &layout.form_path(id)),
                    embed: layout == Layout::Embed,
                    seconds,
                },
            ),
            seconds,
        ));
    }
    let article = load_article(state, id, Format::Html).await?;
    i18n::request::prefer_article(article.language.as_deref());
    let compact = Compact::of(req, layout);
    let (form, duplicate) = match form {
        ReaderForm::Read(post) => (post, None),
        ReaderForm::Duplicate { field, first } => (first, Some(field)),
    };
    let (input, honeypot, form_token) = form.into_parts();
    let refuse_with = |status, notice: Msg, errors: &FieldErrors, keep_token: Option<&str>| {
        render_form(
            state,
            layout,
            compact,
            &article,
            Some(Refusal {
                status,
                input: &input,
                errors,
                notice,
                keep_token,
                files_again: files.chosen,
            }),
        )
    };
    let refuse = |notice: Msg, errors: &FieldErrors, keep_token: Option<&str>| {
        refuse_with(StatusCode::UNPROCESSABLE_ENTITY, notice, errors, keep_token)
    };
    // The files refused (as sent, or when stored): the words are kept, the
    // token too (the files are asked for again). The file's message is the
    // summary's one problem; the notice above it only points there, so the
    // box does not say the same thing twice.
    let refuse_files = |refused: &AttachmentError| {
        super::refused(&state.metrics, "attachment");
        let mut errors = FieldErrors::new();
        errors.insert("attachments", refused.message());
        refuse_with(
            refused.status(),
            Msg::new("form-refused-invalid"),
            &errors,
            form_token.as_deref(),
        )
    };

    if let Some(field) = duplicate {
        super::refused(&state.metrics, "invalid");
        return Ok(refuse_with(
            StatusCode::BAD_REQUEST,
            Msg::new("form-refused-duplicate").text("field", field),
            &FieldErrors::new(),
            None,
        ));
    }

    if honeypot.is_some_and(|h| !h.is_empty()) {
        super::refused(&state.metrics, "honeypot");
        return Ok(refuse(
            Msg::new("form-refused-honeypot"),
            &FieldErrors::new(),
            None,
        ));
    }
    // Both checks run, so the reader learns everything to fix at once.
    let timing = token::verify_instance(
        &state.hmac_keys,
        &article.id,
        form_token.as_deref(),
        state.settings.limits.min_fill_seconds,
    );
    let (tip, form_instance, uploads) = match (timing, input.parse(), &files.uploads) {
        (Ok(instance), Ok(tip), Ok(_)) => (tip, instance, files.uploads.unwrap_or_default()),
        (Ok(_), Ok(_), Err(refused)) => return Ok(refuse_files(refused)),
        (timing, parsed, _) => {
            let errors = parsed.err().unwrap_or_default();
            let notice = match &timing {
                Err(e) => {
                    super::refused(&state.metrics, e.reason());
                    e.message()
                }
                Ok(_) => {
                    super::refused(&state.metrics, "invalid");
                    Msg::new("form-refused-invalid")
                }
            };
            // A genuine token keeps its original time: a reader who fixes a
            // field and resends at once has still spent the time writing.
            let genuine = matches!(timing, Ok(_) | Err(token::TokenError::TooFast));
            return Ok(refuse(
                notice,
                &errors,
                form_token.as_deref().filter(|_| genuine),
            ));
        }
    };
    // The same served form posted again is a double click or a retry;
    // the same words from another form are another tip.
    let resend = super::ResendProof::from_form(&form_instance);
    let stored = match super::accept(state, article.clone(), tip, client, resend, uploads).await {
        Ok(stored) => stored,
        Err(super::AcceptError::Files(refused)) => return Ok(refuse_files(&refused)),
        // Storage refused the tip (a full disk): the reader gets the form
        // back with every word, to send again when we can take it.
        Err(super::AcceptError::Db(e)) if e.storage_trouble().is_some() => {
            crate::web::error::log_storage_failure(&e);
            let res = refuse_with(
                StatusCode::SERVICE_UNAVAILABLE,
                Msg::new("form-refused-storage"),
                &FieldErrors::new(),
                form_token.as_deref(),
            );
            return Ok(with_retry_after(
                res,
                crate::web::error::STORAGE_RETRY_AFTER,
            ));
        }
        Err(super::AcceptError::Db(e)) => return Err(e.into()),
        Err(super::AcceptError::Closed(closed)) => {
            return Err(article_closed(Format::Html, closed))
        }
    };
    let l = i18n::current();
    // The receipt is on this page: `web::headers` makes it `no-store`, as
    // every answer to a POST (the refused form too: it echoes the reader).
    Ok(html(
        StatusCode::OK,
        &ThanksPage {
            l,
            // The reader's place after sending is the article's form.
            langs: compact.links(i18n::request::reader_links(
                l,
                &layout.form_path(&article.id),
            )),
            embed: layout == Layout::Embed,
            article: &article,
            reference: &stored.reference,
            receipt: stored.receipt.grouped(),
            follow_up_path: layout.follow_up_link(),
            form_path: compact.keep(layout.form_link(&article.id)),
        },
    ))
}

/// The API's refusal of a tip's files, under the field `attachments`.
pub fn attachment_refused(refused: &AttachmentError) -> WebError {
    let mut e = WebError::new(
        Format::Json,
        refused.status(),
        refused.code(),
        refused.message(),
    );
    e.fields.insert("attachments", refused.message());
    if *refused == AttachmentError::StoreFull {
        // The budget frees only as tips are purged: not within seconds.
        e = e.with_header("retry-after", STORE_FULL_RETRY_AFTER.to_string());
    }
    e
}

/// Seconds a client is told to wait when the file store is full.
const STORE_FULL_RETRY_AFTER: u64 = 3600;

/// The API's body: JSON, or `multipart/form-data` with the form's field
/// names (text fields as parts, files as `attachments` parts).
pub enum ApiBody {
    Json(serde_json::Value),
    Multipart(multipart::Posted),
}

impl actix_web::FromRequest for ApiBody {
    // JSON's own refusals come from `web::JsonConfig`'s handler.
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        if !is_multipart(req.headers()) {
            let json = web::Json::<UniqueJson>::from_request(req, payload);
            return Box::pin(async move {
                let UniqueJson(body) = json.await?.into_inner();
                Ok(Self::Json(body))
            });
        }
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let state = app_state(&req)?;
            read_multipart(&state, &req, payload, false)
                .await
                .map(Self::Multipart)
                .map_err(|e| multipart_refused(Format::Json, &e).into())
        })
    }
}

/// A multipart body that could not be read: 400 `bad_multipart` naming
/// the part, or 503 when a file could not be held until it is stored.
pub fn multipart_refused(format: Format, e: &multipart::PartError) -> WebError {
    match e {
        multipart::PartError::Storage => WebError::storage_unavailable(format),
        e => WebError::new(
            format,
            StatusCode::BAD_REQUEST,
            "bad_multipart",
            e.message(),
        ),
    }
}

/// The state, for an extractor (the app always registers it).
fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, actix_web::Error> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| actix_web::error::ErrorInternalServerError("no state"))
}

/// `POST /api/v1/articles/{id}/tips`: JSON, or `multipart/form-data`
/// with files.
pub async fn submit_json(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: ApiBody,
) -> Result<HttpResponse, WebError> {
    let client = state.client_key(&req);
    if let Err(wait) = state.limiter.check(&client) {
        let seconds = wait.as_secs().max(1);
        super::refused(&state.metrics, "rate_limited");
        return Err(WebError::new(
            Format::Json,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            Msg::new("api-rate-limited").number("seconds", seconds),
        )
        .with_header("retry-after", seconds.to_string()));
    }
    // Only a client's own key marks a resend: without one, the same words
    // from this address may be another reader (see `ResendProof`). A
    // malformed key is a malformed request, whatever the article.
    let resend = super::ResendProof::from_idempotency_key(req.headers().get_all("idempotency-key"))
        .map_err(|_| {
            super::refused(&state.metrics, "invalid");
            WebError::new(
                Format::Json,
                StatusCode::BAD_REQUEST,
                "bad_idempotency_key",
                Msg::new("api-bad-idempotency-key"),
            )
        })?;
    let article = load_article(&state, &path, Format::Json).await?;
    let l = i18n::request::prefer_article(article.language.as_deref());
    let invalid = |fields: FieldErrors| {
        super::refused(&state.metrics, "invalid");
        WebError::invalid_fields(fields)
    };
    let (input, uploads) = match body {
        ApiBody::Json(body) => (TipInput::from_json(&body).map_err(invalid)?, Vec::new()),
        ApiBody::Multipart(posted) => {
            let input = match form::parse_form::<FormPost>(&posted.urlencoded()) {
                Ok(post) => post.into_parts().0,
                Err(e) => {
                    if matches!(e, FormError::Duplicate(_)) {
                        super::refused(&state.metrics, "invalid");
                    }
                    return Err(e.into_web_as(Format::Json));
                }
            };
            let uploads = posted.files.map_err(|refused| {
                super::refused(&state.metrics, "attachment");
                attachment_refused(&refused)
            })?;
            (input, uploads)
        }
    };
    let tip = input.parse().map_err(invalid)?;
    let stored = super::accept(&state, article, tip, client, resend, uploads)
        .await
        .map_err(|e| match e {
            super::AcceptError::Files(refused) => {
                super::refused(&state.metrics, "attachment");
                attachment_refused(&refused)
            }
            super::AcceptError::Db(e) => WebError::from_db(Format::Json, e),
            super::AcceptError::Closed(closed) => article_closed(Format::Json, closed),
        })?;
    // The receipt is in this answer: `web::headers` makes it `no-store`,
    // as every answer to a POST.
    Ok(HttpResponse::Created().json(serde_json::json!({
        "reference": stored.reference.as_str(),
        "receipt": stored.receipt.grouped(),
        "message": l.t("api-accepted"),
    })))
}

fn with_retry_after(mut res: HttpResponse, seconds: u64) -> HttpResponse {
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&seconds.to_string()) {
        res.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, v);
    }
    res
}

/// `GET /api/v1/openapi.json`: the JSON API described for newsrooms' own
/// front ends (and schema-driven fuzzers).
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("openapi.json"))
}
