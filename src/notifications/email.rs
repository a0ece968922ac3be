//! What the desk receives. By default an email names the article and the
//! kind of tip and links to the dashboard; it carries neither the tip's
//! text nor anything about the reader. When a reader writes back
//! (`follow_up`), the email says so and links to the tip, and never
//! carries what they wrote, whatever the desk's excerpt setting. It is written in the desk's
//! language (`[desks.<key>] locale`, else `i18n.default_locale`), subject
//! included. A reminder of overdue tips (`triage::reminder`) gives their
//! number, names the oldest by article and age with a link to each, and
//! links to the queue's overdue filter: never a tip's text, a reader's
//! details or a tip's reference (the reader's own handle on their tip,
//! which they may quote in correspondence; the link's number is not
//! shown to readers).

use askama::Template;
use lettre::message::{header, Mailbox, MultiPart};
use lettre::{Address, Message};

use super::outbox::{ClaimedJob, JobReason, ReminderFigures};
use crate::config::Settings;
use crate::domain::{folding, graphemes, EmailAddress};
use crate::i18n::{Locale, Msg};
use crate::triage::first_look::Age;

#[derive(Template)]
#[template(path = "email/tip.txt")]
struct TipText<'a> {
    l: Locale,
    title: &'a str,
    article_url: &'a str,
    kind: &'a str,
    received: String,
    link: String,
    excerpt: Option<String>,
    /// "N files came with this tip", when any did.
    files: Option<String>,
}

#[derive(Template)]
#[template(path = "email/tip.html")]
struct TipHtml<'a> {
    l: Locale,
    title: &'a str,
    article_url: &'a str,
    kind: &'a str,
    received: String,
    link: String,
    excerpt: Option<String>,
    /// "N files came with this tip", when any did.
    files: Option<String>,
}

/// The email for a reader's reply: the article, when the tip came, a link.
#[derive(Template)]
#[template(path = "email/reply.txt")]
struct ReplyText<'a> {
    l: Locale,
    title: &'a str,
    article_url: &'a str,
    received: String,
    link: String,
    /// "N files came with this message", when any did.
    files: Option<String>,
}

#[derive(Template)]
#[template(path = "email/reply.html")]
struct ReplyHtml<'a> {
    l: Locale,
    title: &'a str,
    article_url: &'a str,
    received: String,
    link: String,
    /// "N files came with this message", when any did.
    files: Option<String>,
}

/// The reminder that a desk's tips are overdue.
#[derive(Template)]
#[template(path = "email/reminder.txt")]
struct ReminderText<'a> {
    l: Locale,
    intro: &'a str,
    tips: &'a [ReminderTip],
    more: Option<String>,
    overdue_link: &'a str,
}

#[derive(Template)]
#[template(path = "email/reminder.html")]
struct ReminderHtml<'a> {
    l: Locale,
    intro: &'a str,
    tips: &'a [ReminderTip],
    more: Option<String>,
    overdue_link: &'a str,
}

/// One overdue tip a reminder names: "waiting 3 d: <article>", a link.
struct ReminderTip {
    line: String,
    url: String,
}

struct DigestArticle {
    /// The article's ID: two articles may share a title ("Live updates").
    id: String,
    /// The title, followed by the ID when another article in the digest
    /// has the same title.
    title: String,
    /// How many tips (and readers' replies) this article drew in the digest.
    count: usize,
    /// Links to the first few of them; the dashboard has the rest.
    links: Vec<DigestLink>,
}

/// A tip in a digest, or a reader's reply to one.
struct DigestLink {
    url: String,
    reply: bool,
    /// "2 files" when files came with the tip (never their names).
    files: Option<String>,
}

/// Links listed per article in a digest; a flood's email stays readable.
const DIGEST_LINKS: usize = 10;

#[derive(Template)]
#[template(path = "email/digest.txt")]
struct DigestText<'a> {
    l: Locale,
    counts: Counts,
    articles: &'a [DigestArticle],
    queue_link: String,
}

#[derive(Template)]
#[template(path = "email/digest.html")]
struct DigestHtml<'a> {
    l: Locale,
    counts: Counts,
    articles: &'a [DigestArticle],
    queue_link: String,
}

/// What a digest gathers: new tips and readers' replies, on how many
/// articles.
#[derive(Debug, Clone, Copy)]
struct Counts {
    tips: usize,
    replies: usize,
    articles: usize,
}

impl Counts {
    /// The digest's first sentence (`intro`) or its subject.
    fn say(self, l: Locale, id: &'static str, with_replies: &'static str) -> String {
        let msg = if self.replies == 0 {
            Msg::new(id).number("count", self.tips)
        } else {
            Msg::new(with_replies)
                .number("tips", self.tips)
                .number("replies", self.replies)
        };
        l.msg(&msg.number("articles", self.articles))
    }
}

impl DigestText<'_> {
    fn intro(&self) -> String {
        self.counts
            .say(self.l, "email-digest-intro", "email-digest-intro-replies")
    }
}

impl DigestHtml<'_> {
    fn intro(&self) -> String {
        self.counts
            .say(self.l, "email-digest-intro", "email-digest-intro-replies")
    }
}

/// A message could not be built (a bad address, say): retrying won't help.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the email: {0}")]
pub struct ComposeError(String);

fn dashboard(settings: &Settings, path: &str) -> String {
    format!(
        "{}{path}",
        settings.server.public_url.as_str().trim_end_matches('/')
    )
}

/// Text that goes into a header or a one-line field: control characters
/// (CR and LF above all, which would start a new header) become spaces, and
/// it is cut to `max` user-perceived characters, between grapheme clusters
/// (`domain::graphemes::cut`).
pub fn one_line(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    graphemes::cut(&clean, max)
}

/// The language of `desk`'s email.
fn desk_locale(settings: &Settings, desk: &str) -> Locale {
    let tag = settings.desks.get(desk).and_then(|d| d.locale.as_deref());
    crate::i18n::request::desk_locale(tag, &settings.i18n.default_locale)
}

/// "… more in the dashboard" for a digest's article, in its language.
impl DigestArticle {
    fn shown_count(&self, l: &Locale) -> String {
        l.number(i64::try_from(self.count).unwrap_or(i64::MAX))
    }

    fn more(&self, l: &Locale) -> Option<String> {
        let rest = self.count.saturating_sub(self.links.len());
        (rest > 0).then(|| l.msg(&Msg::new("email-digest-more").number("count", rest)))
    }
}

/// An address as SMTP carries it: the domain in ASCII (punycode), so that
/// an internationalized domain needs no SMTPUTF8 (RFC 5890, RFC 6531 §3.2:
/// only a non-ASCII local part does).
/// Desk addresses (desk key, address) that only a mail server offering
/// SMTPUTF8 can deliver to: those with a non-ASCII local part (RFC 6531).
/// An internationalized domain alone is sent as punycode.
pub fn addresses_needing_smtputf8(settings: &Settings) -> Vec<(&str, &str)> {
    settings
        .desks
        .iter()
        .flat_map(|(key, desk)| desk.emails.iter().map(move |e| (key.as_str(), e.as_str())))
        .filter(|(_, e)| EmailAddress::parse(e).is_ok_and(|a| a.needs_smtputf8()))
        .collect()
}

fn smtp_address(local: &str, ascii_domain: &str) -> Result<Address, ComposeError> {
    Address::new(local, ascii_domain).map_err(|e| ComposeError(format!("address: {e}")))
}

fn envelope(
    settings: &Settings,
    job: &ClaimedJob,
    subject: &str,
) -> Result<lettre::message::MessageBuilder, ComposeError> {
    let to = EmailAddress::parse(&job.recipient)
        .map_err(|why| ComposeError(format!("recipient address `{}`: {why}", job.recipient)))
        .and_then(|a| smtp_address(a.local_part(), a.ascii_domain()))?;
    let from = &settings.mail.from;
    let from_domain = idna::domain_to_ascii(from.email.domain())
        .map_err(|e| ComposeError(format!("mail.from: {e}")))?;
    let from = Mailbox::new(
        from.name.clone(),
        smtp_address(from.email.user(), &from_domain)?,
    );
    Ok(Message::builder()
        .from(from)
        .to(Mailbox::new(None, to))
        .subject(one_line(subject, 150))
        .message_id(Some(job.message_id.clone()))
        .header(header::Date::now()))
}

/// The email for one tip, for one reader's reply to a tip, or a desk's
/// reminder of overdue tips.
pub fn single(settings: &Settings, job: &ClaimedJob) -> Result<Message, ComposeError> {
    match job.reason {
        JobReason::Reply => return reply(settings, job),
        JobReason::Reminder => return reminder(settings, job),
        JobReason::Tip => {}
    }
    let title = one_line(&job.article_title, 300);
    let l = desk_locale(settings, &job.desk);
    let kind = l.msg(&job.kind.name());
    let kind = kind.as_str();
    let excerpt_chars = settings.desks.get(&job.desk).map_or(0, |d| d.excerpt_chars);
    // `excerpt_chars` user-perceived characters: a cut never splits a flag,
    // a family emoji or a letter from its accent.
    let excerpt = (excerpt_chars > 0).then(|| {
        let text = job.message.as_str();
        let cut = graphemes::prefix(text, excerpt_chars);
        if cut.len() < text.len() {
            format!("{cut}…")
        } else {
            cut.to_owned()
        }
    });
    let received = format!("{} UTC", job.received_at.format("%Y-%m-%d %H:%M"));
    let link = dashboard(settings, &format!("/desk/tips/{}", job.tip_id));
    let files = (job.attachments > 0).then(|| {
        l.msg(&Msg::new("email-attachments").number("count", job.attachments.unsigned_abs()))
    });
    let render = |e: askama::Error| ComposeError(e.to_string());
    let text = TipText {
        l,
        title: &title,
        article_url: &job.article_url,
        kind,
        received: received.clone(),
        link: link.clone(),
        excerpt: excerpt.clone(),
        files: files.clone(),
    }
    .render()
    .map_err(render)?;
    let html = TipHtml {
        l,
        title: &title,
        article_url: &job.article_url,
        kind,
        received,
        link,
        excerpt,
        files,
    }
    .render()
    .map_err(render)?;
    let subject = l.msg(
        &Msg::new("email-tip-subject")
            .localized("kind", kind)
            // A header is one line that mail programs show as they can;
            // isolation marks would only turn into encoded-words there.
            .localized("title", title.as_str()),
    );
    envelope(settings, job, &subject)?
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| ComposeError(e.to_string()))
}

/// The email saying that the reader of a tip wrote back: the article, when
/// the tip came, a link to it. Never what they wrote.
fn reply(settings: &Settings, job: &ClaimedJob) -> Result<Message, ComposeError> {
    let title = one_line(&job.article_title, 300);
    let l = desk_locale(settings, &job.desk);
    let received = format!("{} UTC", job.received_at.format("%Y-%m-%d %H:%M"));
    let link = dashboard(settings, &format!("/desk/tips/{}", job.tip_id));
    let render = |e: askama::Error| ComposeError(e.to_string());
    // The files of the reader's message (`ClaimedJob::attachments`).
    let files = (job.attachments > 0).then(|| {
        l.msg(&Msg::new("email-reply-attachments").number("count", job.attachments.unsigned_abs()))
    });
    let text = ReplyText {
        l,
        title: &title,
        article_url: &job.article_url,
        received: received.clone(),
        link: link.clone(),
        files: files.clone(),
    }
    .render()
    .map_err(render)?;
    let html = ReplyHtml {
        l,
        title: &title,
        article_url: &job.article_url,
        received,
        link,
        files,
    }
    .render()
    .map_err(render)?;
    let subject = l.msg(&Msg::new("email-reply-subject").localized("title", title.as_str()));
    envelope(settings, job, &subject)?
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| ComposeError(e.to_string()))
}

/// The reminder that tips of the job's desk wait unread past its time to
/// first look: how many (as of when it was decided), how many are unread
/// in all, the oldest of them still unread with their article, age and
/// link, and a link to the queue's `overdue=1` filter for the desk.
fn reminder(settings: &Settings, job: &ClaimedJob) -> Result<Message, ComposeError> {
    let l = desk_locale(settings, &job.desk);
    let desk = settings.desks.get(&job.desk);
    let desk_name = desk.map_or(job.desk.as_str(), |d| d.name.as_str());
    let hours = desk.map_or(0, |d| d.first_look_hours.get());
    // The row is written with the job; without it (a desk's rows purged by
    // hand) the email still says that its oldest overdue tip waits.
    let figures = job.reminder.clone().unwrap_or_else(|| ReminderFigures {
        overdue: 1,
        unread: 1,
        at: job.received_at,
        tips: Vec::new(),
    });
    let tips: Vec<ReminderTip> = figures
        .tips
        .iter()
        .map(|t| ReminderTip {
            line: l.msg(
                &Msg::new("email-reminder-tip")
                    .localized("age", l.msg(&Age::between(t.received_at, figures.at).msg()))
                    .text("title", one_line(&t.article_title, 300)),
            ),
            url: dashboard(settings, &format!("/desk/tips/{}", t.id)),
        })
        .collect();
    let rest = figures.overdue - i64::try_from(tips.len()).unwrap_or(0);
    let more = (rest > 0 && !tips.is_empty())
        .then(|| l.msg(&Msg::new("email-reminder-more").number("count", rest)));
    let intro = l.msg(
        &Msg::new("email-reminder-intro")
            .number("count", figures.overdue)
            .number("hours", hours)
            .number("unread", figures.unread),
    );
    let overdue_link = dashboard(settings, &overdue_filter(&job.desk));
    let render = |e: askama::Error| ComposeError(e.to_string());
    let text = ReminderText {
        l,
        intro: &intro,
        tips: &tips,
        more: more.clone(),
        overdue_link: &overdue_link,
    }
    .render()
    .map_err(render)?;
    let html = ReminderHtml {
        l,
        intro: &intro,
        tips: &tips,
        more,
        overdue_link: &overdue_link,
    }
    .render()
    .map_err(render)?;
    let subject = l.msg(
        &Msg::new("email-reminder-subject")
            .number("count", figures.overdue)
            .localized("desk", desk_name),
    );
    envelope(settings, job, &subject)?
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| ComposeError(e.to_string()))
}

/// The queue's overdue filter for `desk` (the query names of
/// `triage::QueueQuery`), as /desk/stats links it.
fn overdue_filter(desk: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("overdue", "1")
        .append_pair("desk", desk)
        .finish();
    format!("/desk/tips?{query}")
}

/// One email for several tips (and readers' replies) to the same address.
/// It reuses the first job's Message-ID, so a resend of the same digest is
/// recognizable.
pub fn digest(settings: &Settings, jobs: &[ClaimedJob]) -> Result<Message, ComposeError> {
    let first = jobs
        .first()
        .ok_or_else(|| ComposeError("empty digest".into()))?;
    let l = desk_locale(settings, &first.desk);
    let mut articles: Vec<DigestArticle> = Vec::new();
    for job in jobs {
        let reply = job.reason == JobReason::Reply;
        let link = DigestLink {
            url: dashboard(settings, &format!("/desk/tips/{}", job.tip_id)),
            reply,
            // A tip's own files, or a reply's (`ClaimedJob::attachments`),
            // as the single email says them.
            files: (job.attachments > 0).then(|| {
                l.msg(
                    &Msg::new("email-digest-files-mark")
                        .number("count", job.attachments.unsigned_abs()),
                )
            }),
        };
        match articles.iter_mut().find(|a| a.id == job.article_id) {
            Some(a) => {
                a.count += 1;
                if a.links.len() < DIGEST_LINKS {
                    a.links.push(link);
                }
            }
            None => articles.push(DigestArticle {
                id: job.article_id.clone(),
                title: one_line(&job.article_title, 300),
                count: 1,
                links: vec![link],
            }),
        }
    }
    // Titles that a reader would take for the same (compared folded, as
    // everywhere) get their article's ID.
    let titles: Vec<String> = articles.iter().map(|a| folding::fold(&a.title)).collect();
    for (a, title) in articles.iter_mut().zip(&titles) {
        if titles.iter().filter(|t| *t == title).count() > 1 {
            a.title = format!("{} [{}]", a.title, a.id);
        }
    }
    let replies = jobs.iter().filter(|j| j.reason == JobReason::Reply).count();
    let counts = Counts {
        tips: jobs.len() - replies,
        replies,
        articles: articles.len(),
    };
    let queue_link = dashboard(settings, "/desk/tips");
    let render = |e: askama::Error| ComposeError(e.to_string());
    let text = DigestText {
        l,
        counts,
        articles: &articles,
        queue_link: queue_link.clone(),
    }
    .render()
    .map_err(render)?;
    let html = DigestHtml {
        l,
        counts,
        articles: &articles,
        queue_link,
    }
    .render()
    .map_err(render)?;
    let subject = counts.say(l, "email-digest-subject", "email-digest-subject-replies");
    envelope(settings, first, &subject)?
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| ComposeError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn header_text_cannot_break_the_line() {
        let hostile = "Title\r\nBcc: victim@example.org\r\n\r\nbody";
        let clean = one_line(hostile, 200);
        assert!(!clean.contains('\r') && !clean.contains('\n'));
        assert_eq!(clean, "Title Bcc: victim@example.org body");
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(one_line("Live: 🇺🇦🇺🇦🇺🇦", 8), "Live: 🇺🇦…");
    }
}
