//! What the desk receives. By default an email names the article and the
//! kind of tip and links to the dashboard; it carries neither the tip's
//! text nor anything about the reader.

use askama::Template;
use lettre::message::{header, Mailbox, MultiPart};
use lettre::Message;

use super::outbox::ClaimedJob;
use crate::config::Settings;
use crate::domain::TipKind;

#[derive(Template)]
#[template(path = "email/tip.txt")]
struct TipText<'a> {
    title: &'a str,
    article_url: &'a str,
    kind: &'a str,
    received: String,
    link: String,
    excerpt: Option<String>,
}

#[derive(Template)]
#[template(path = "email/tip.html")]
struct TipHtml<'a> {
    title: &'a str,
    article_url: &'a str,
    kind: &'a str,
    received: String,
    link: String,
    excerpt: Option<String>,
}

struct DigestArticle {
    title: String,
    /// How many tips this article drew in the digest.
    count: usize,
    /// Links to the first few of them; the dashboard has the rest.
    links: Vec<String>,
}

/// Links listed per article in a digest; a flood's email stays readable.
const DIGEST_LINKS: usize = 10;

#[derive(Template)]
#[template(path = "email/digest.txt")]
struct DigestText<'a> {
    count: usize,
    articles: &'a [DigestArticle],
    queue_link: String,
}

#[derive(Template)]
#[template(path = "email/digest.html")]
struct DigestHtml<'a> {
    count: usize,
    articles: &'a [DigestArticle],
    queue_link: String,
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
/// it is cut to `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.chars().count() > max {
        let cut: String = clean.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        clean
    }
}

fn kind_label(kind: &str) -> &'static str {
    TipKind::parse(kind).map_or("Tip", TipKind::label)
}

fn envelope(
    settings: &Settings,
    job: &ClaimedJob,
    subject: &str,
) -> Result<lettre::message::MessageBuilder, ComposeError> {
    let to: Mailbox = job
        .recipient
        .parse()
        .map_err(|e| ComposeError(format!("recipient address: {e}")))?;
    Ok(Message::builder()
        .from(settings.mail.from.clone())
        .to(to)
        .subject(one_line(subject, 150))
        .message_id(Some(job.message_id.clone()))
        .header(header::Date::now()))
}

/// The email for one tip.
pub fn single(settings: &Settings, job: &ClaimedJob) -> Result<Message, ComposeError> {
    let title = one_line(&job.article_title, 300);
    let kind = kind_label(&job.kind);
    let excerpt_chars = settings.desks.get(&job.desk).map_or(0, |d| d.excerpt_chars);
    let excerpt = (excerpt_chars > 0).then(|| {
        let text = &job.message.0;
        let cut: String = text.chars().take(excerpt_chars).collect();
        if cut.len() < text.len() {
            format!("{cut}…")
        } else {
            cut
        }
    });
    let received = format!("{} UTC", job.received_at.format("%Y-%m-%d %H:%M"));
    let link = dashboard(settings, &format!("/desk/tips/{}", job.tip_id));
    let render = |e: askama::Error| ComposeError(e.to_string());
    let text = TipText {
        title: &title,
        article_url: &job.article_url,
        kind,
        received: received.clone(),
        link: link.clone(),
        excerpt: excerpt.clone(),
    }
    .render()
    .map_err(render)?;
    let html = TipHtml {
        title: &title,
        article_url: &job.article_url,
        kind,
        received,
        link,
        excerpt,
    }
    .render()
    .map_err(render)?;
    envelope(settings, job, &format!("New tip ({kind}): {title}"))?
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| ComposeError(e.to_string()))
}

/// One email for several tips to the same address. It reuses the first
/// job's Message-ID, so a resend of the same digest is recognizable.
pub fn digest(settings: &Settings, jobs: &[ClaimedJob]) -> Result<Message, ComposeError> {
    let first = jobs
        .first()
        .ok_or_else(|| ComposeError("empty digest".into()))?;
    let mut articles: Vec<DigestArticle> = Vec::new();
    for job in jobs {
        let link = dashboard(settings, &format!("/desk/tips/{}", job.tip_id));
        let title = one_line(&job.article_title, 300);
        match articles.iter_mut().find(|a| a.title == title) {
            Some(a) => {
                a.count += 1;
                if a.links.len() < DIGEST_LINKS {
                    a.links.push(link);
                }
            }
            None => articles.push(DigestArticle {
                title,
                count: 1,
                links: vec![link],
            }),
        }
    }
    let count = jobs.len();
    let queue_link = dashboard(settings, "/desk/tips");
    let render = |e: askama::Error| ComposeError(e.to_string());
    let text = DigestText {
        count,
        articles: &articles,
        queue_link: queue_link.clone(),
    }
    .render()
    .map_err(render)?;
    let html = DigestHtml {
        count,
        articles: &articles,
        queue_link,
    }
    .render()
    .map_err(render)?;
    let plural = if articles.len() == 1 { "" } else { "s" };
    envelope(
        settings,
        first,
        &format!("{count} new tips on {} article{plural}", articles.len()),
    )?
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
    }
}
