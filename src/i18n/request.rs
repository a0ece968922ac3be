//! The language of the request being handled. A middleware chooses it
//! before any handler runs — `?lang=`, then the browser's
//! `Accept-Language`, then `i18n.default_locale` — and keeps it for the
//! request, so that an error answered from anywhere (an extractor, a
//! handler, a database failure) speaks the same language as the page.
//! Handlers refine it once they know more: an article's own language
//! (below `?lang=`, above the browser's), a staff member's setting.

use std::cell::Cell;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

use super::catalog::{catalog, Locale};
use super::negotiate::Audience;

/// Where the request's language came from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `?lang=` on the URL: the reader's own pick.
    Query,
    /// A staff member's account setting.
    Account,
    /// The article's `language`.
    Article,
    /// The browser's `Accept-Language`.
    Browser,
    /// `i18n.default_locale`.
    Default,
}

#[derive(Debug, Clone, Copy)]
struct Chosen {
    locale: Locale,
    source: Source,
}

/// What the middleware knows about the request being handled.
struct RequestLanguage {
    chosen: Cell<Chosen>,
    /// The reader page's address, for links to it in other languages;
    /// `None` for staff pages and addresses not safe to link to.
    place: Option<String>,
    /// Whose page it is: a staff error page wears the desk's layout.
    audience: Audience,
}

tokio::task_local! {
    static CURRENT: RequestLanguage;
}

/// The language chosen for the request being handled (outside a request:
/// the source language).
pub fn current() -> Locale {
    CURRENT
        .try_with(|r| r.chosen.get().locale)
        .unwrap_or_else(|_| catalog().source())
}

/// The language the reader picked with `?lang=`, if they did: kept in the
/// form's address so it survives the post.
pub fn picked() -> Option<Locale> {
    CURRENT
        .try_with(|r| r.chosen.get())
        .ok()
        .filter(|c| c.source == Source::Query)
        .map(|c| c.locale)
}

/// `path` with `?lang=` when the language was picked that way, so a form
/// posted from the page (and what it leads to) keeps it.
pub fn keep_picked(path: &str) -> String {
    match picked() {
        Some(l) => format!("{path}?lang={}", l.tag()),
        None => path.to_owned(),
    }
}

/// Links to the reader page being answered in the other languages (none
/// on staff pages): for error pages, which know no more than the address.
pub fn place_links(current: Locale) -> Vec<LanguageLink> {
    CURRENT
        .try_with(|r| r.place.clone())
        .ok()
        .flatten()
        .map_or_else(Vec::new, |p| reader_links(current, &p))
}

/// Whether the request being handled is for a staff page (`/desk`,
/// `/ops/`); outside a request, a reader's.
pub fn for_staff() -> bool {
    CURRENT
        .try_with(|r| r.audience == Audience::Desk)
        .unwrap_or(false)
}

/// `path` if a link to it stays on this site: an absolute path, not
/// `//host` (which a browser reads as another site), in plain ASCII.
fn linkable(path: &str) -> Option<String> {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 512
        && path
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'\\' | b'"' | b'<' | b'>'));
    ok.then(|| path.to_owned())
}

/// The article's language (`language` in `tipdesk articles import`), when
/// it is one readers are offered and the reader did not pick another with
/// `?lang=`. Returns the request's language after that.
pub fn prefer_article(tag: Option<&str>) -> Locale {
    let found = tag.and_then(|t| catalog().find(t, Audience::Reader));
    let _ = CURRENT.try_with(|r| {
        let now = r.chosen.get();
        if let Some(locale) = found {
            if matches!(now.source, Source::Browser | Source::Default) {
                r.chosen.set(Chosen {
                    locale,
                    source: Source::Article,
                });
            }
        }
    });
    current()
}

/// A staff member's desk language: their account's `tag` if the desk
/// speaks it, else `default` (`i18n.default_locale`) if the desk speaks
/// that, else the source language.
pub fn desk_locale(tag: Option<&str>, default: &str) -> Locale {
    let c = catalog();
    tag.and_then(|t| c.find(t, Audience::Desk))
        .or_else(|| c.find(default, Audience::Desk))
        .unwrap_or_else(|| c.source())
}

/// A signed-in staff member's language: it decides every desk page.
pub fn use_account(locale: Locale) {
    let _ = CURRENT.try_with(|r| {
        r.chosen.set(Chosen {
            locale,
            source: Source::Account,
        })
    });
}

/// Desk and ops pages (and ops' endpoints) are for staff; everything else
/// is for readers.
fn audience(path: &str) -> Audience {
    if path == "/desk"
        || path.starts_with("/desk/")
        || path.starts_with("/ops/")
        || path == "/metrics"
    {
        Audience::Desk
    } else {
        Audience::Reader
    }
}

fn choose(req: &ServiceRequest, default: Locale) -> Chosen {
    let audience = audience(req.path());
    let c = catalog();
    let query = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| c.find(&v, audience));
    if let Some(locale) = query {
        return Chosen {
            locale,
            source: Source::Query,
        };
    }
    let browser = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| c.from_accept_language(v, audience));
    match browser {
        Some(locale) => Chosen {
            locale,
            source: Source::Browser,
        },
        None => Chosen {
            locale: default,
            source: Source::Default,
        },
    }
}

/// The configured default (for staff pages, if the desk speaks it), or
/// the source language.
fn default_for(req: &ServiceRequest) -> Locale {
    let tag = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|s| s.settings.i18n.default_locale.clone());
    tag.and_then(|t| catalog().find(&t, audience(req.path())))
        .unwrap_or_else(|| catalog().source())
}

/// Middleware: chooses the request's language and says which it was
/// (`Content-Language`), and that the answer depends on the browser's
/// languages (`Vary: Accept-Language`), so a shared cache keeps them apart.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let chosen = choose(&req, default_for(&req));
    let audience = audience(req.path());
    let place = match audience {
        Audience::Reader => linkable(req.path()),
        Audience::Desk => None,
    };
    let state = RequestLanguage {
        chosen: Cell::new(chosen),
        place,
        audience,
    };
    let (res, locale) = CURRENT
        .scope(state, async move {
            let res = next.call(req).await;
            (res, current())
        })
        .await;
    let mut res = res?;
    let h = res.headers_mut();
    // Only what people read: the stylesheet, metrics and probes are the
    // same in every language and stay cacheable as one.
    let worded = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html") || t.starts_with("application/json"));
    if worded {
        if let Ok(v) = HeaderValue::from_str(locale.tag()) {
            h.insert(header::CONTENT_LANGUAGE, v);
        }
        h.append(header::VARY, HeaderValue::from_static("Accept-Language"));
    }
    Ok(res)
}

/// A link to the same place in another language.
#[derive(Debug, Clone)]
pub struct LanguageLink {
    pub tag: &'static str,
    /// The language's name in itself.
    pub name: &'static str,
    pub dir: &'static str,
    pub href: String,
}

/// Links to `path` in every language offered to readers but `current`.
pub fn reader_links(current: Locale, path: &str) -> Vec<LanguageLink> {
    links(current, path, Audience::Reader)
}

/// Links to `path` in every language offered to `audience` but `current`.
pub fn links(current: Locale, path: &str, audience: Audience) -> Vec<LanguageLink> {
    catalog()
        .offered(audience)
        .filter(|l| *l != current)
        .map(|l| LanguageLink {
            tag: l.tag(),
            name: l.name(),
            dir: l.dir(),
            href: format!("{path}?lang={}", l.tag()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::linkable;

    #[test]
    fn only_paths_on_this_site_are_linked() {
        assert_eq!(
            linkable("/articles/a-1/tip").as_deref(),
            Some("/articles/a-1/tip")
        );
        assert_eq!(linkable("//evil.example/x"), None);
        assert_eq!(linkable("/\\evil.example"), None);
        assert_eq!(linkable("https://evil.example"), None);
        assert_eq!(linkable("/a b"), None);
    }
}
