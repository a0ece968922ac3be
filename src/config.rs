//! Settings: `config/default.toml` (compiled in), then an optional file, then
//! `TIPDESK_<SECTION>__<KEY>` environment variables. Each setting is read
//! straight into a type that carries its rule (an address, a URL, a
//! duration of at least a second...), so a bad value is refused where it is
//! read, and the `config` crate names the key in the message ("... for key
//! `server.bind`"). [`Settings::load_from`] then checks the few rules that
//! span settings. Lists (`server.trusted_proxies`, `embed.allowed_origins`,
//! a desk's `emails` and `sections`) may also be given as one
//! comma-separated string, as an environment variable can only give them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroU64};
use std::path::{Path, PathBuf};
use std::time::Duration;

use actix_web::http::header::HeaderName;
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use url::Url;

/// The built-in defaults: exactly the shipped `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Everything tipdesk can be told, checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub privacy: PrivacySettings,
    pub storage: StorageSettings,
    pub database: DatabaseSettings,
    pub security: SecuritySettings,
    pub limits: LimitSettings,
    pub mail: MailSettings,
    pub notify: NotifySettings,
    pub auth: AuthSettings,
    pub ops: OpsSettings,
    pub embed: EmbedSettings,
    pub retention: RetentionSettings,
    pub log: LogSettings,
    pub demo: DemoSettings,
    pub i18n: I18nSettings,
    pub follow_up: FollowUpSettings,
    pub articles: ArticleSettings,
    pub attachments: AttachmentSettings,
    pub triage: TriageSettings,
    pub desks: BTreeMap<String, DeskSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    #[serde(deserialize_with = "socket_address")]
    pub bind: SocketAddr,
    /// `server.public_url` as configured; `None` (empty): follow `bind`.
    #[serde(rename = "public_url", deserialize_with = "optional_http_url")]
    pub public_url_given: Option<Url>,
    /// The address readers and staff reach tipdesk at: the configured one,
    /// else `http://` and the listening address (a wildcard bind as
    /// loopback), so moving the port moves every printed and mailed link.
    /// Filled in by [`Settings::load_from`], and by `Application::build`
    /// again once the port is known (a `bind` to port 0).
    #[serde(skip, default = "unset_url")]
    pub public_url: Url,
    /// HTTP worker threads; 0: one per core.
    pub workers: usize,
    /// Lower-cased; `None` (empty): the TCP peer is the client.
    #[serde(deserialize_with = "header_name")]
    pub client_ip_header: Option<HeaderName>,
    #[serde(deserialize_with = "trusted_proxies")]
    pub trusted_proxies: Vec<IpNet>,
    /// `client_ip_header` and `trusted_proxies` together: whose word on
    /// the client's address is believed. Filled in by [`Settings::load_from`].
    #[serde(skip)]
    pub proxies: crate::web::client::ProxyTrust,
    #[serde(deserialize_with = "at_least_1024")]
    pub max_body_bytes: usize,
    /// The longest a request's whole body may take to arrive once its
    /// headers have (`server.body_timeout_seconds`, at least 1): then 408
    /// and the connection is closed (`web::body_deadline`).
    #[serde(rename = "body_timeout_seconds", deserialize_with = "positive_seconds")]
    pub body_timeout: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// "ID:BASE64" entries, current first; `None` (empty): the generated
    /// key ring.
    #[serde(deserialize_with = "sealing_keys")]
    pub encryption_keys: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    #[serde(deserialize_with = "non_empty_path")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool_size: NonZeroU32,
}

/// Which engine to use, chosen by the scheme of `database.url`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum DatabaseUrl {
    /// A file path, relative to the working directory unless absolute.
    Sqlite(PathBuf),
    /// A libpq connection URL.
    Postgres(String),
}

impl TryFrom<String> for DatabaseUrl {
    type Error = &'static str;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path");
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw));
        }
        Err("must start with sqlite:// or postgres://")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// `None` (empty): generate one and keep it under `storage.data_dir`.
    #[serde(deserialize_with = "secret_of_32")]
    pub secret_key: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub per_client_per_minute: NonZeroU32,
    pub per_client_burst: NonZeroU32,
    #[serde(deserialize_with = "under_a_day")]
    pub min_fill_seconds: u64,
    #[serde(rename = "duplicate_window_minutes", deserialize_with = "minutes")]
    pub duplicate_window: Duration,
    /// Tips for one article in ten minutes beyond which it is in surge; 0: off.
    pub article_surge_per_10min: u32,
    #[serde(rename = "article_surge_hold_seconds", deserialize_with = "seconds")]
    pub article_surge_hold: Duration,
}

/// How desk notifications leave tipdesk.
#[derive(Debug, Clone)]
pub enum MailTransport {
    /// Written as `.eml` files into this folder.
    File(PathBuf),
    Smtp {
        url: SecretString,
        username: Option<String>,
        password: Option<SecretString>,
        /// PEM certificates trusted for TLS besides the bundled public
        /// roots and the operating system's store (a private CA).
        tls_ca_file: Option<PathBuf>,
        timeout: Duration,
        max_connections: u32,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "MailFields")]
pub struct MailSettings {
    pub transport: MailTransport,
    pub from: lettre::message::Mailbox,
}

/// The `[mail]` section as written: which fields matter depends on
/// `transport`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MailFields {
    transport: String,
    file_dir: PathBuf,
    from: String,
    smtp_url: SecretString,
    smtp_username: String,
    smtp_password: SecretString,
    tls_ca_file: PathBuf,
    timeout_seconds: u64,
    max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    pub worker: bool,
    #[serde(rename = "lease_seconds", deserialize_with = "positive_seconds")]
    pub lease: Duration,
    #[serde(rename = "poll_seconds", deserialize_with = "positive_seconds")]
    pub poll: Duration,
    #[serde(rename = "retry_base_seconds", deserialize_with = "positive_seconds")]
    pub retry_base: Duration,
    #[serde(rename = "retry_max_seconds", deserialize_with = "seconds")]
    pub retry_max: Duration,
    pub max_attempts: NonZeroU32,
    /// Zero turns digests off.
    #[serde(rename = "digest_window_seconds", deserialize_with = "seconds")]
    pub digest_window: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    #[serde(rename = "session_idle_minutes", deserialize_with = "positive_minutes")]
    pub session_idle: Duration,
    #[serde(rename = "session_max_hours", deserialize_with = "positive_hours")]
    pub session_max: Duration,
    /// Every login needs a second factor; accounts without one are refused
    /// until an admin enrols them (`tipdesk user totp enable`).
    pub require_totp: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsSettings {
    /// `None` (empty): /metrics only for loopback clients.
    #[serde(deserialize_with = "metrics_token")]
    pub metrics_token: Option<SecretString>,
    #[serde(rename = "worker_stale_seconds", deserialize_with = "positive_seconds")]
    pub worker_stale: Duration,
    /// `/readyz` reports the outbox not draining when a job has been due
    /// this long without being sent.
    #[serde(rename = "outbox_stale_seconds", deserialize_with = "positive_seconds")]
    pub outbox_stale: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedSettings {
    /// Exact origins (`scheme://host[:port]`) of the newsroom's pages.
    #[serde(deserialize_with = "origins")]
    pub allowed_origins: Vec<String>,
}

/// Days to keep things; 0 keeps them forever.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    pub spam_days: u32,
    pub closed_days: u32,
    pub sent_jobs_days: u32,
    pub client_hash_days: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LogFormat {
    Text,
    Json,
}

impl TryFrom<String> for LogFormat {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        match raw.as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("`{other}` is neither \"text\" nor \"json\"")),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `tipdesk=debug,info`.
    #[serde(deserialize_with = "log_filter")]
    pub level: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    pub seed_article: bool,
}

/// Languages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct I18nSettings {
    /// The language of a page when neither the URL, the article nor the
    /// browser chooses one, and of new staff accounts: a folder of
    /// `locales/`, e.g. `"fa"`.
    #[serde(deserialize_with = "locale")]
    pub default_locale: String,
}

/// The reader's follow-up with a receipt (`[follow_up]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpSettings {
    /// Wrong receipts one client may try in an hour; the next is refused
    /// (429) until the oldest of them is an hour old.
    pub failures_per_hour: NonZeroU32,
    /// Wrong receipts from all clients together in ten minutes beyond
    /// which `/ops/queue` warns that someone may be guessing; 0: never.
    pub failure_surge_per_10min: u32,
    /// Every wrong receipt is answered this long after it arrived,
    /// whatever was wrong with it, so that the answer's timing tells
    /// nothing either.
    #[serde(rename = "wrong_receipt_answer_ms", deserialize_with = "millis")]
    pub wrong_receipt_answer: Duration,
}

/// Where articles come from besides `tipdesk articles import`
/// (`[articles]`): the newsroom's feeds, its CMS calling the API, and
/// embeds signed by the CMS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleSettings {
    /// RSS 2.0, Atom or JSON Feed addresses, polled in turn.
    #[serde(deserialize_with = "http_urls")]
    pub feeds: Vec<Url>,
    #[serde(rename = "feed_poll_seconds", deserialize_with = "positive_seconds")]
    pub feed_poll: Duration,
    /// Longest wait for one feed's answer, whole body included.
    #[serde(rename = "feed_timeout_seconds", deserialize_with = "positive_seconds")]
    pub feed_timeout: Duration,
    /// Where a feed entry's article ID comes from.
    pub id_from: IdFrom,
    /// A feed's category name → the section tipdesk stores (and routes by).
    #[serde(default)]
    pub section_map: BTreeMap<String, String>,
    /// Bearer tokens of `PUT`/`DELETE /api/v1/articles/{id}`; any one of
    /// them is accepted (several, so a newsroom can rotate). Empty: the
    /// API answers 401 to everyone.
    #[serde(deserialize_with = "api_tokens")]
    pub api_tokens: Vec<SecretString>,
    /// The key the CMS signs embed descriptors with (HMAC-SHA256); `None`
    /// (empty): signed descriptors are ignored.
    #[serde(deserialize_with = "signing_key")]
    pub embed_signing_key: Option<SecretString>,
    /// Hosts an article's `url` may name when it arrives from a feed, the
    /// API or a signed embed, lower-case; empty: any host.
    #[serde(deserialize_with = "hosts")]
    pub allowed_hosts: Vec<String>,
}

/// Where a feed entry's article ID comes from (`articles.id_from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdFrom {
    /// The entry's `guid` (RSS), `id` (Atom, JSON Feed).
    Guid,
    /// The link's path without its slashes at either end, `/` read as `-`
    /// (`/world/2026/flood` → `world-2026-flood`).
    LinkPath,
    /// The link's last path segment (`/world/2026/flood` → `flood`).
    LinkSlug,
}

/// Files readers attach to tips (`[attachments]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentSettings {
    /// Files one tip may carry; 0 turns attachments off.
    pub max_files: u32,
    /// Bytes one file may have.
    pub max_file_bytes: NonZeroU64,
    /// Bytes all the files of one tip may have together.
    pub max_total_bytes: NonZeroU64,
    /// Bytes all stored files may have together (the store-wide budget);
    /// past it new files are refused (503) while text tips still go
    /// through. 0: no budget.
    pub max_store_bytes: u64,
    /// The types taken, by the names of `domain::FileType`.
    #[serde(deserialize_with = "file_types")]
    pub allowed_types: Vec<crate::domain::FileType>,
}

/// How the desk's queue treats tips (`[triage]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageSettings {
    /// How alike (estimated Jaccard similarity of normalized trigrams of
    /// the folded text, `triage::similarity`) a new tip must be to an
    /// open tip of the same article to join its case: more than 0, at
    /// most 1.
    pub case_similarity: f64,
    /// The most recent tips of the article a new tip is compared with, at
    /// most 200 (the work per submission is bounded by it); 0 turns
    /// grouping off.
    pub case_candidates: u32,
}

/// The most `triage.case_candidates`: each costs a 256-byte read and a
/// comparison of a few hundred nanoseconds inside the submission's write.
pub const MAX_CASE_CANDIDATES: u32 = 200;

/// One desk: who is mailed, and which article sections it owns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskSettings {
    pub name: String,
    #[serde(deserialize_with = "emails")]
    pub emails: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    pub sections: Vec<String>,
    /// User-perceived characters (grapheme clusters) of the tip's text to
    /// put in the email; 0 for none.
    #[serde(default)]
    pub excerpt_chars: usize,
    /// The language of this desk's email (a language the desk is offered
    /// in, e.g. "fa"); `None`: `i18n.default_locale`.
    #[serde(default, deserialize_with = "desk_locale")]
    pub locale: Option<String>,
    /// Hours a tip may wait unread before it is overdue: marked in the
    /// queue, counted in `/desk/stats` and `/metrics`, and the reason for
    /// the desk's reminder. 1 to 8,760 (a year).
    #[serde(default = "default_first_look_hours")]
    pub first_look_hours: NonZeroU32,
}

/// Most desks look at a tip within a working day.
fn default_first_look_hours() -> NonZeroU32 {
    NonZeroU32::new(24).unwrap_or(NonZeroU32::MIN)
}

/// The longest `first_look_hours`: a year, beyond which "overdue" means
/// nothing and dates would leave the range both engines store.
pub const MAX_FIRST_LOOK_HOURS: u32 = 8_760;

/// A setting that cannot be used, named by its key.
#[derive(Debug, thiserror::Error)]
#[error("configuration key `{key}`: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

impl ConfigError {
    fn new(key: &str, problem: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            problem: problem.into(),
        }
    }
}

impl Settings {
    /// Loads the defaults, then `file` if given, then the process environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let env: config::Map<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("TIPDESK_") && k.contains("__"))
            .collect();
        Self::load_from(file, env)
    }

    /// Like [`Settings::load`], with the environment given explicitly (tests).
    pub fn load_from(
        file: Option<&Path>,
        env: config::Map<String, String>,
    ) -> anyhow::Result<Self> {
        let mut builder = config::Config::builder().add_source(config::File::from_str(
            DEFAULT_TOML,
            config::FileFormat::Toml,
        ));
        if let Some(path) = file {
            if !path.is_file() {
                anyhow::bail!("configuration file {} does not exist", path.display());
            }
            builder = builder.add_source(
                config::File::from(path)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        builder = builder.add_source(
            config::Environment::with_prefix("TIPDESK")
                .prefix_separator("_")
                .separator("__")
                .source(Some(env)),
        );
        let mut settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        settings.validate()?;
        let bind = settings.server.bind;
        settings.server.settle_public_url(bind);
        settings.server.proxies = crate::web::client::ProxyTrust {
            header: settings.server.client_ip_header.clone(),
            trusted: settings.server.trusted_proxies.clone(),
        };
        Ok(settings)
    }

    /// The rules that span settings; each one alone was checked as read.
    fn validate(&self) -> Result<(), ConfigError> {
        if self.notify.retry_max < self.notify.retry_base {
            return Err(ConfigError::new(
                "notify.retry_max_seconds",
                "must not be less than notify.retry_base_seconds",
            ));
        }
        for (key, desk) in &self.desks {
            if desk.first_look_hours.get() > MAX_FIRST_LOOK_HOURS {
                return Err(ConfigError::new(
                    &format!("desks.{key}.first_look_hours"),
                    format!("must be at most {MAX_FIRST_LOOK_HOURS} (a year)"),
                ));
            }
        }
        let similarity = self.triage.case_similarity;
        if !(similarity > 0.0 && similarity <= 1.0) {
            return Err(ConfigError::new(
                "triage.case_similarity",
                "must be more than 0 and at most 1",
            ));
        }
        if self.triage.case_candidates > MAX_CASE_CANDIDATES {
            return Err(ConfigError::new(
                "triage.case_candidates",
                format!("must be at most {MAX_CASE_CANDIDATES}"),
            ));
        }
        if self.attachments.max_file_bytes > self.attachments.max_total_bytes {
            return Err(ConfigError::new(
                "attachments.max_file_bytes",
                "must not be more than attachments.max_total_bytes",
            ));
        }
        if !self.desks.contains_key("default") {
            return Err(ConfigError::new(
                "desks.default",
                "a desk keyed `default` must exist to receive tips of unowned sections",
            ));
        }
        Ok(())
    }
}

impl TryFrom<MailFields> for MailSettings {
    type Error = ConfigError;

    fn try_from(m: MailFields) -> Result<Self, ConfigError> {
        let from = m.from.parse().map_err(|_| {
            let example = "\"Desk <desk@example.org>\"";
            let problem = format!("`{}` is not a mailbox such as {example}", m.from);
            ConfigError::new("mail.from", problem)
        })?;
        let transport = match m.transport.as_str() {
            "file" if m.file_dir.as_os_str().is_empty() => {
                return Err(ConfigError::new("mail.file_dir", "must not be empty"))
            }
            "file" => MailTransport::File(m.file_dir),
            "smtp" => {
                let url = m.smtp_url.expose_secret();
                if !(url.starts_with("smtp://") || url.starts_with("smtps://"))
                    || Url::parse(url).is_err()
                {
                    let problem = "must be an smtp:// or smtps:// URL";
                    return Err(ConfigError::new("mail.smtp_url", problem));
                }
                for (key, value) in [
                    ("mail.timeout_seconds", m.timeout_seconds),
                    ("mail.max_connections", u64::from(m.max_connections)),
                ] {
                    if value == 0 {
                        return Err(ConfigError::new(key, "must be at least 1"));
                    }
                }
                let username = (!m.smtp_username.is_empty()).then_some(m.smtp_username);
                let password =
                    (!m.smtp_password.expose_secret().is_empty()).then_some(m.smtp_password);
                // A user without a password would be silently ignored (no
                // AUTH without both), and the relay would refuse or, worse,
                // relay the mail unauthenticated.
                if username.is_some() && password.is_none() {
                    return Err(ConfigError::new(
                        "mail.smtp_username",
                        "is set but mail.smtp_password is empty; give the password too (e.g. TIPDESK_MAIL__SMTP_PASSWORD) or leave both empty",
                    ));
                }
                MailTransport::Smtp {
                    url: m.smtp_url,
                    username,
                    password,
                    tls_ca_file: (!m.tls_ca_file.as_os_str().is_empty()).then_some(m.tls_ca_file),
                    timeout: Duration::from_secs(m.timeout_seconds),
                    max_connections: m.max_connections,
                }
            }
            other => {
                let problem = format!("`{other}` is neither \"file\" nor \"smtp\"");
                return Err(ConfigError::new("mail.transport", problem));
            }
        };
        Ok(Self { transport, from })
    }
}

// Readers for typed fields. The `config` crate adds "for key `...`" to
// the message each one gives.

fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_millis)
}

fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_secs)
}

fn minutes<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(|m| Duration::from_secs(m * 60))
}

fn positive<'de, D: Deserializer<'de>>(d: D, unit: u64) -> Result<Duration, D::Error> {
    let n = NonZeroU32::deserialize(d)?;
    Ok(Duration::from_secs(u64::from(n.get()) * unit))
}

fn positive_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    positive(d, 1)
}

fn positive_minutes<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    positive(d, 60)
}

fn positive_hours<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    positive(d, 3600)
}

fn at_least_1024<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = usize::deserialize(d)?;
    (n >= 1024)
        .then_some(n)
        .ok_or_else(|| D::Error::custom("must be at least 1024"))
}

fn under_a_day<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = u64::deserialize(d)?;
    (n < crate::web::form_token::MAX_FORM_AGE_SECONDS)
        .then_some(n)
        .ok_or_else(|| D::Error::custom("must be shorter than a day"))
}

fn non_empty_path<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    let p = PathBuf::deserialize(d)?;
    match p.as_os_str().is_empty() {
        true => Err(D::Error::custom("must not be empty")),
        false => Ok(p),
    }
}

fn socket_address<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let raw = String::deserialize(d)?;
    raw.parse()
        .map_err(|_| D::Error::custom(format!("`{raw}` is not an address:port")))
}

/// A placeholder until [`Settings::load_from`] fills `public_url` in.
fn unset_url() -> Url {
    Url::parse("http://127.0.0.1/").unwrap_or_else(|_| unreachable!("a valid URL"))
}

/// An empty string is "not set".
fn optional_http_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
    let raw = String::deserialize(d)?;
    if raw.trim().is_empty() {
        return Ok(None);
    }
    http_url(serde::de::value::StringDeserializer::<D::Error>::new(raw)).map(Some)
}

impl ServerSettings {
    /// `http://` and `addr`, a wildcard address (`0.0.0.0`, `[::]`) read
    /// as loopback: what `public_url` is when not set.
    pub fn url_for(addr: SocketAddr) -> Url {
        let ip = match addr.ip() {
            std::net::IpAddr::V4(v4) if v4.is_unspecified() => {
                std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
            }
            std::net::IpAddr::V6(v6) if v6.is_unspecified() => {
                std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
            }
            ip => ip,
        };
        let text = format!("http://{}/", SocketAddr::new(ip, addr.port()));
        Url::parse(&text).unwrap_or_else(|_| unset_url())
    }

    /// Sets `public_url` from `public_url_given`, or from `bound` (the
    /// address actually listened on) when none was given.
    pub fn settle_public_url(&mut self, bound: SocketAddr) {
        self.public_url = match &self.public_url_given {
            Some(url) => url.clone(),
            None => Self::url_for(bound),
        };
    }
}

fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    let raw = String::deserialize(d)?;
    Url::parse(&raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .ok_or_else(|| D::Error::custom(format!("`{raw}` is not an http(s) URL")))
}

fn header_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HeaderName>, D::Error> {
    let raw = String::deserialize(d)?.trim().to_ascii_lowercase();
    if raw.is_empty() {
        return Ok(None);
    }
    HeaderName::try_from(&raw)
        .map(Some)
        .map_err(|_| D::Error::custom("not a valid HTTP header name"))
}

/// An empty secret means "none given"; a given one must be this long.
fn secret_at_least<'de, D: Deserializer<'de>>(
    d: D,
    min: usize,
    otherwise: &str,
) -> Result<Option<SecretString>, D::Error> {
    let secret = SecretString::deserialize(d)?;
    match secret.expose_secret().len() {
        0 => Ok(None),
        n if n < min => Err(D::Error::custom(format!(
            "must be at least {min} characters (or empty {otherwise})"
        ))),
        _ => Ok(Some(secret)),
    }
}

fn secret_of_32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    secret_at_least(d, 32, "to generate one")
}

fn metrics_token<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    secret_at_least(d, 16, "for loopback-only access")
}

fn sealing_keys<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    let keys = SecretString::deserialize(d)?;
    if keys.expose_secret().trim().is_empty() {
        return Ok(None);
    }
    crate::privacy::SealingKeys::parse(keys.expose_secret()).map_err(D::Error::custom)?;
    Ok(Some(keys))
}

fn log_filter<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let level = String::deserialize(d)?;
    tracing_subscriber::EnvFilter::try_new(&level)
        .map(|_| level)
        .map_err(|_| D::Error::custom("not a valid tracing filter"))
}

/// A list, or one string of comma-separated items; blanks are dropped.
fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<String>),
        One(String),
    }
    let items = match OneOrMany::deserialize(d)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(s) => s.split(',').map(str::to_owned).collect(),
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

fn file_types<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<crate::domain::FileType>, D::Error> {
    use crate::domain::FileType;
    list(d)?
        .iter()
        .map(|name| {
            FileType::parse(name).ok_or_else(|| {
                let known: Vec<&str> = FileType::ALL.iter().map(|t| t.as_str()).collect();
                D::Error::custom(format!(
                    "`{name}` is not a file type tipdesk knows ({})",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

fn trusted_proxies<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    list(d)?
        .iter()
        .map(|e| crate::web::client::parse_trusted(e).map_err(D::Error::custom))
        .collect()
}

fn origins<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let origins = list(d)?;
    for origin in &origins {
        let ok = Url::parse(origin).ok().is_some_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.has_host()
                && u.path() == "/"
                && !origin.ends_with('/')
                && u.query().is_none()
        });
        if !ok {
            return Err(D::Error::custom(format!(
                "`{origin}` is not an origin such as https://www.newsroom.example"
            )));
        }
    }
    Ok(origins)
}

fn http_urls<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Url>, D::Error> {
    list(d)?
        .into_iter()
        .map(|raw| http_url(serde::de::value::StringDeserializer::<D::Error>::new(raw)))
        .collect()
}

/// Each token at least 32 characters: it is all that stands between the
/// internet and the newsroom's article list.
fn api_tokens<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SecretString>, D::Error> {
    let tokens = list(d)?;
    if tokens.iter().any(|t| t.len() < 32) {
        return Err(D::Error::custom(
            "each token must be at least 32 characters (e.g. `openssl rand -hex 32`)",
        ));
    }
    Ok(tokens.into_iter().map(SecretString::from).collect())
}

fn signing_key<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    secret_at_least(d, 32, "to accept no signed embeds")
}

fn hosts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    list(d)?
        .into_iter()
        .map(|raw| {
            let host = url::Host::parse(&raw.to_ascii_lowercase())
                .map_err(|_| D::Error::custom(format!("`{raw}` is not a host name")))?;
            Ok(host.to_string())
        })
        .collect()
}

fn emails<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let emails = list(d)?;
    if emails.is_empty() {
        return Err(D::Error::custom("list at least one address"));
    }
    for email in &emails {
        if let Err(why) = crate::domain::EmailAddress::parse(email) {
            return Err(D::Error::custom(format!(
                "`{email}` is not an email address: {why}"
            )));
        }
    }
    Ok(emails)
}

fn locale<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let tag = String::deserialize(d)?;
    let catalog = crate::i18n::catalog();
    if catalog.get(&tag).is_none() {
        let known: Vec<&str> = catalog.all().map(|l| l.tag()).collect();
        return Err(D::Error::custom(format!(
            "`{tag}` is not one of tipdesk's languages ({})",
            known.join(", ")
        )));
    }
    Ok(tag)
}

fn desk_locale<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let Some(tag) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    let catalog = crate::i18n::catalog();
    if catalog.get(&tag).filter(|l| l.has_desk()).is_none() {
        let known: Vec<&str> = catalog
            .offered(crate::i18n::Audience::Desk)
            .map(|l| l.tag())
            .collect();
        return Err(D::Error::custom(format!(
            "the desk's email is not written in `{tag}`; it is in {}",
            known.join(", ")
        )));
    }
    Ok(Some(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> config::Map<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn refused(pairs: &[(&str, &str)]) -> String {
        Settings::load_from(None, env(pairs))
            .expect_err("the value is refused")
            .to_string()
    }

    #[test]
    fn defaults_match_the_documented_file() {
        let s = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(s.server.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.server.public_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(
            s.database.url,
            DatabaseUrl::Sqlite(PathBuf::from("var/tipdesk.db"))
        );
        assert_eq!(s.limits.min_fill_seconds, 3);
        assert_eq!(s.notify.lease, Duration::from_secs(60));
        assert_eq!(s.auth.session_idle, Duration::from_secs(3600));
        assert_eq!(s.limits.duplicate_window, Duration::from_secs(600));
        assert_eq!(s.server.proxies.trusted, s.server.trusted_proxies);
        assert!(s.security.secret_key.is_none() && s.ops.metrics_token.is_none());
    }

    #[test]
    fn public_url_follows_bind_unless_given() {
        // (server.bind, server.public_url if given, the public URL)
        for (bind, given, public) in [
            ("127.0.0.1:9000", None, "http://127.0.0.1:9000/"),
            ("0.0.0.0:9001", None, "http://127.0.0.1:9001/"),
            ("[::]:9002", None, "http://[::1]:9002/"),
            (
                "127.0.0.1:9000",
                Some("https://tips.newsroom.example"),
                "https://tips.newsroom.example/",
            ),
        ] {
            let mut pairs = vec![("TIPDESK_SERVER__BIND", bind)];
            pairs.extend(given.map(|url| ("TIPDESK_SERVER__PUBLIC_URL", url)));
            let s = Settings::load_from(None, env(&pairs)).unwrap();
            assert_eq!(s.server.public_url.as_str(), public, "{bind} {given:?}");
        }
    }

    /// A bad value for each key, a row each: the environment variable, its
    /// value, and the key the error must name.
    const BAD_VALUES: &str = "
        TIPDESK_SERVER__BIND                  | nine               | server.bind
        TIPDESK_SERVER__PUBLIC_URL            | ftp://x.example    | server.public_url
        TIPDESK_SERVER__CLIENT_IP_HEADER      | bad header         | server.client_ip_header
        TIPDESK_SERVER__TRUSTED_PROXIES       | proxy.internal     | server.trusted_proxies
        TIPDESK_SERVER__MAX_BODY_BYTES        | 100                | server.max_body_bytes
        TIPDESK_SERVER__BODY_TIMEOUT_SECONDS  | 0                  | server.body_timeout_seconds
        TIPDESK_PRIVACY__ENCRYPTION_KEYS      | k1:notbase64!      | privacy.encryption_keys
        TIPDESK_STORAGE__DATA_DIR             |                    | storage.data_dir
        TIPDESK_DATABASE__URL                 | mysql://x          | database.url
        TIPDESK_DATABASE__POOL_SIZE           | 0                  | database.pool_size
        TIPDESK_SECURITY__SECRET_KEY          | short              | security.secret_key
        TIPDESK_LIMITS__PER_CLIENT_BURST      | lots               | limits.per_client_burst
        TIPDESK_LIMITS__PER_CLIENT_PER_MINUTE | 0                  | limits.per_client_per_minute
        TIPDESK_LIMITS__MIN_FILL_SECONDS      | 86400              | limits.min_fill_seconds
        TIPDESK_MAIL__FROM                    | nobody             | mail.from
        TIPDESK_MAIL__TRANSPORT               | pigeon             | mail.transport
        TIPDESK_NOTIFY__LEASE_SECONDS         | 0                  | notify.lease_seconds
        TIPDESK_NOTIFY__RETRY_MAX_SECONDS     | 1                  | notify.retry_max_seconds
        TIPDESK_NOTIFY__MAX_ATTEMPTS          | 0                  | notify.max_attempts
        TIPDESK_AUTH__SESSION_IDLE_MINUTES    | 0                  | auth.session_idle_minutes
        TIPDESK_AUTH__SESSION_MAX_HOURS       | 0                  | auth.session_max_hours
        TIPDESK_OPS__METRICS_TOKEN            | short              | ops.metrics_token
        TIPDESK_OPS__OUTBOX_STALE_SECONDS     | 0                  | ops.outbox_stale_seconds
        TIPDESK_EMBED__ALLOWED_ORIGINS        | https://a.example/ | embed.allowed_origins
        TIPDESK_LOG__FORMAT                   | xml                | log.format
        TIPDESK_LOG__LEVEL                    | [                  | log.level
        TIPDESK_DESKS__DEFAULT__EMAILS        | not-an-address     | desks.default.emails
    ";

    #[test]
    fn environment_overrides_and_bad_values_name_the_key() {
        let s =
            Settings::load_from(None, env(&[("TIPDESK_SERVER__BIND", "127.0.0.1:9000")])).unwrap();
        assert_eq!(s.server.bind.port(), 9000);

        for row in BAD_VALUES.lines().filter(|l| !l.trim().is_empty()) {
            let [var, value, key] = row.split('|').map(str::trim).collect::<Vec<_>>()[..] else {
                panic!("a row of three: {row:?}");
            };
            let err = refused(&[(var, value)]);
            assert!(err.contains(key), "{var}={value}: {err}");
        }
        let err = refused(&[
            ("TIPDESK_MAIL__TRANSPORT", "smtp"),
            ("TIPDESK_MAIL__SMTP_URL", "http://mail.example"),
        ]);
        assert!(err.contains("mail.smtp_url"), "{err}");
        // A user without a password would be silently dropped: refused.
        let err = refused(&[
            ("TIPDESK_MAIL__TRANSPORT", "smtp"),
            ("TIPDESK_MAIL__SMTP_USERNAME", "tipdesk"),
        ]);
        assert!(err.contains("mail.smtp_username"), "{err}");
        assert!(err.contains("mail.smtp_password"), "{err}");
        let s = Settings::load_from(
            None,
            env(&[
                ("TIPDESK_MAIL__TRANSPORT", "smtp"),
                ("TIPDESK_MAIL__SMTP_USERNAME", "tipdesk"),
                ("TIPDESK_MAIL__SMTP_PASSWORD", "pw"),
                ("TIPDESK_MAIL__TLS_CA_FILE", "/etc/tipdesk/mail-ca.pem"),
            ]),
        )
        .unwrap();
        assert!(matches!(
            s.mail.transport,
            MailTransport::Smtp { tls_ca_file: Some(ref p), .. } if p == Path::new("/etc/tipdesk/mail-ca.pem")
        ));
    }

    #[test]
    fn lists_are_taken_from_the_environment_comma_separated() {
        let s = Settings::load_from(
            None,
            env(&[
                ("TIPDESK_EMBED__ALLOWED_ORIGINS", "https://a.example"),
                (
                    "TIPDESK_DESKS__DEFAULT__EMAILS",
                    "desk@news.example, night@news.example",
                ),
                ("TIPDESK_DESKS__DEFAULT__SECTIONS", "World,Politics"),
                ("TIPDESK_SERVER__TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
            ]),
        )
        .unwrap();
        assert_eq!(s.embed.allowed_origins, ["https://a.example"]);
        let desk = &s.desks["default"];
        assert_eq!(desk.emails, ["desk@news.example", "night@news.example"]);
        assert_eq!(desk.sections, ["World", "Politics"]);
        assert_eq!(s.server.proxies.trusted.len(), 2);

        let s = Settings::load_from(
            None,
            env(&[(
                "TIPDESK_EMBED__ALLOWED_ORIGINS",
                "https://a.example,https://b.example:8443",
            )]),
        )
        .unwrap();
        assert_eq!(s.embed.allowed_origins.len(), 2);
        let err = refused(&[("TIPDESK_DESKS__DEFAULT__EMAILS", " , ")]);
        assert!(err.contains("desks.default.emails"), "{err}");
    }

    #[test]
    fn a_default_desk_is_required() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tipdesk.toml");
        std::fs::write(&file, "").unwrap();
        // The defaults always carry one; a desk can only be added.
        let s = Settings::load_from(Some(&file), env(&[])).unwrap();
        assert!(s.desks.contains_key("default"));
        let mut s = s;
        s.desks.remove("default");
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("desks.default"), "{err}");
    }

    #[test]
    fn a_desks_first_look_is_a_day_unless_set_and_at_most_a_year() {
        let s = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(s.desks["default"].first_look_hours.get(), 24);
        let s = Settings::load_from(
            None,
            env(&[("TIPDESK_DESKS__DEFAULT__FIRST_LOOK_HOURS", "4")]),
        )
        .unwrap();
        assert_eq!(s.desks["default"].first_look_hours.get(), 4);
        for bad in ["0", "8761"] {
            let err = Settings::load_from(
                None,
                env(&[("TIPDESK_DESKS__DEFAULT__FIRST_LOOK_HOURS", bad)]),
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("first_look_hours"), "{bad}: {err}");
        }
    }
}
