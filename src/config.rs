//! Settings: `config/default.toml` (compiled in), then an optional file, then
//! `TIPDESK_<SECTION>__<KEY>` environment variables. Everything is checked
//! once, here, and handed to the rest of the program as typed values.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

/// The built-in defaults: exactly the shipped `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Everything tipdesk can be told, validated.
#[derive(Debug, Clone)]
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
    pub desks: BTreeMap<String, DeskSettings>,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    pub public_url: Url,
    pub workers: usize,
    /// `client_ip_header` and `trusted_proxies`: whose word on the
    /// client's address is believed.
    pub proxies: crate::web::client::ProxyTrust,
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone)]
pub struct PrivacySettings {
    /// "ID:BASE64" entries, current first; `None`: the generated key ring.
    pub encryption_keys: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct StorageSettings {
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool_size: u32,
}

/// Which engine to use, chosen by the scheme of `database.url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path, relative to the working directory unless absolute.
    Sqlite(PathBuf),
    /// A libpq connection URL.
    Postgres(String),
}

#[derive(Debug, Clone)]
pub struct SecuritySettings {
    /// `None`: generate one and keep it under `var/`.
    pub secret_key: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct LimitSettings {
    pub per_client_per_minute: u32,
    pub per_client_burst: u32,
    pub min_fill_seconds: u64,
    pub duplicate_window: std::time::Duration,
    /// Tips for one article in ten minutes beyond which it is in surge; 0: off.
    pub article_surge_per_10min: u32,
    pub article_surge_hold: std::time::Duration,
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
        timeout: std::time::Duration,
        max_connections: u32,
    },
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub from: lettre::message::Mailbox,
}

#[derive(Debug, Clone)]
pub struct NotifySettings {
    pub worker: bool,
    pub lease: std::time::Duration,
    pub poll: std::time::Duration,
    pub retry_base: std::time::Duration,
    pub retry_max: std::time::Duration,
    pub max_attempts: u32,
    /// Zero turns digests off.
    pub digest_window: std::time::Duration,
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub session_idle: std::time::Duration,
    pub session_max: std::time::Duration,
    /// Every login needs a second factor; accounts without one are refused
    /// until an admin enrols them (`tipdesk user totp enable`).
    pub require_totp: bool,
}

#[derive(Debug, Clone)]
pub struct OpsSettings {
    /// `None`: /metrics only for loopback clients.
    pub metrics_token: Option<SecretString>,
    pub worker_stale: std::time::Duration,
    /// `/readyz` reports the outbox not draining when a job has been due
    /// this long without being sent.
    pub outbox_stale: std::time::Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedSettings {
    /// Exact origins (scheme://host[:port]) of the newsroom's pages.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone)]
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
    pub default_locale: String,
}

/// One desk: who is mailed, and which article sections it owns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskSettings {
    pub name: String,
    pub emails: Vec<String>,
    #[serde(default)]
    pub sections: Vec<String>,
    /// User-perceived characters (grapheme clusters) of the tip's text to
    /// put in the email; 0 for none.
    #[serde(default)]
    pub excerpt_chars: usize,
    /// The language of this desk's email (a language the desk is offered
    /// in, e.g. "fa"); `None`: `i18n.default_locale`.
    #[serde(default)]
    pub locale: Option<String>,
}

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
        let raw: RawSettings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        Ok(raw.validate()?)
    }

    /// Desk addresses (desk key, address) that only a mail server offering
    /// SMTPUTF8 can deliver to: those with a non-ASCII local part (RFC
    /// 6531). An internationalized domain alone is sent as punycode.
    pub fn desk_addresses_needing_smtputf8(&self) -> Vec<(&str, &str)> {
        self.desks
            .iter()
            .flat_map(|(key, desk)| desk.emails.iter().map(move |e| (key.as_str(), e.as_str())))
            .filter(|(_, e)| {
                crate::domain::EmailAddress::parse(e).is_ok_and(|a| a.needs_smtputf8())
            })
            .collect()
    }

    /// The desk that owns `section`: the one listing it, else `default`.
    /// Section names are compared folded (`domain::folding`), so
    /// `МЕЖДУНАРОДНЫЕ` is `Международные` and `بين‌الملل` is `بین‌الملل`.
    pub fn desk_for_section(&self, section: &str) -> (&str, &DeskSettings) {
        let section = crate::domain::folding::fold(section);
        self.desks
            .iter()
            .find(|(key, desk)| {
                key.as_str() != "default"
                    && desk
                        .sections
                        .iter()
                        .any(|s| crate::domain::folding::fold(s) == section)
            })
            .or_else(|| self.desks.get_key_value("default"))
            .map(|(k, d)| (k.as_str(), d))
            // validate() guarantees a default desk exists.
            .unwrap_or_else(|| unreachable!("validated settings have a default desk"))
    }
}

// What the files and environment say, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    server: RawServer,
    privacy: RawPrivacy,
    storage: RawStorage,
    database: RawDatabase,
    security: RawSecurity,
    limits: LimitsRaw,
    mail: RawMail,
    notify: RawNotify,
    auth: RawAuth,
    ops: RawOps,
    embed: EmbedSettings,
    retention: RetentionSettings,
    log: RawLog,
    demo: RawDemo,
    i18n: I18nSettings,
    desks: BTreeMap<String, DeskSettings>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    bind: String,
    public_url: String,
    workers: usize,
    client_ip_header: String,
    trusted_proxies: OneOrMany,
    max_body_bytes: usize,
}

/// A list setting, also given as one comma-separated string (as an
/// environment variable can only give it).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<String>),
    One(String),
}

impl OneOrMany {
    fn items(&self) -> Vec<&str> {
        match self {
            Self::Many(v) => v
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect(),
            Self::One(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrivacy {
    encryption_keys: SecretString,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    data_dir: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: String,
    pool_size: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecurity {
    secret_key: SecretString,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsRaw {
    per_client_per_minute: u32,
    per_client_burst: u32,
    min_fill_seconds: u64,
    duplicate_window_minutes: u64,
    article_surge_per_10min: u32,
    article_surge_hold_seconds: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    transport: String,
    file_dir: PathBuf,
    from: String,
    smtp_url: SecretString,
    smtp_username: String,
    smtp_password: SecretString,
    timeout_seconds: u64,
    max_connections: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotify {
    worker: bool,
    lease_seconds: u64,
    poll_seconds: u64,
    retry_base_seconds: u64,
    retry_max_seconds: u64,
    max_attempts: u32,
    digest_window_seconds: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOps {
    metrics_token: SecretString,
    worker_stale_seconds: u64,
    outbox_stale_seconds: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    session_idle_minutes: u64,
    session_max_hours: u64,
    require_totp: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: String,
    level: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDemo {
    seed_article: bool,
}

impl RawSettings {
    fn validate(self) -> Result<Settings, ConfigError> {
        use secrecy::ExposeSecret;

        let bind = self.server.bind.parse::<SocketAddr>().map_err(|_| {
            ConfigError::new(
                "server.bind",
                format!("`{}` is not an address:port", self.server.bind),
            )
        })?;
        let public_url = Url::parse(&self.server.public_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| {
                ConfigError::new(
                    "server.public_url",
                    format!("`{}` is not an http(s) URL", self.server.public_url),
                )
            })?;
        let header = self.server.client_ip_header.trim().to_ascii_lowercase();
        let header = if header.is_empty() {
            None
        } else {
            Some(
                actix_web::http::header::HeaderName::try_from(&header).map_err(|_| {
                    ConfigError::new("server.client_ip_header", "not a valid HTTP header name")
                })?,
            )
        };
        let trusted = self
            .server
            .trusted_proxies
            .items()
            .into_iter()
            .map(crate::web::client::parse_trusted)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError::new("server.trusted_proxies", e))?;
        if self.server.max_body_bytes < 1024 {
            return Err(ConfigError::new(
                "server.max_body_bytes",
                "must be at least 1024",
            ));
        }

        if self.storage.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::new("storage.data_dir", "must not be empty"));
        }
        let url = parse_database_url(&self.database.url)?;
        if self.database.pool_size == 0 {
            return Err(ConfigError::new("database.pool_size", "must be at least 1"));
        }

        let secret = self.security.secret_key;
        let secret_key = if secret.expose_secret().is_empty() {
            None
        } else if secret.expose_secret().len() < 32 {
            return Err(ConfigError::new(
                "security.secret_key",
                "must be at least 32 characters (or empty to generate one)",
            ));
        } else {
            Some(secret)
        };

        if self.limits.per_client_per_minute == 0 {
            return Err(ConfigError::new(
                "limits.per_client_per_minute",
                "must be at least 1",
            ));
        }
        if self.limits.per_client_burst == 0 {
            return Err(ConfigError::new(
                "limits.per_client_burst",
                "must be at least 1",
            ));
        }
        if self.limits.min_fill_seconds >= crate::web::form_token::MAX_FORM_AGE_SECONDS {
            return Err(ConfigError::new(
                "limits.min_fill_seconds",
                "must be shorter than a day",
            ));
        }

        let mail = self.mail.validate()?;
        let notify = self.notify.validate()?;
        if self.auth.session_idle_minutes == 0 {
            return Err(ConfigError::new(
                "auth.session_idle_minutes",
                "must be at least 1",
            ));
        }
        if self.auth.session_max_hours == 0 {
            return Err(ConfigError::new(
                "auth.session_max_hours",
                "must be at least 1",
            ));
        }
        let auth = AuthSettings {
            session_idle: std::time::Duration::from_secs(self.auth.session_idle_minutes * 60),
            session_max: std::time::Duration::from_secs(self.auth.session_max_hours * 3600),
            require_totp: self.auth.require_totp,
        };

        if self.ops.worker_stale_seconds == 0 {
            return Err(ConfigError::new(
                "ops.worker_stale_seconds",
                "must be at least 1",
            ));
        }
        if self.ops.outbox_stale_seconds == 0 {
            return Err(ConfigError::new(
                "ops.outbox_stale_seconds",
                "must be at least 1",
            ));
        }
        let token = self.ops.metrics_token;
        if !token.expose_secret().is_empty() && token.expose_secret().len() < 16 {
            return Err(ConfigError::new(
                "ops.metrics_token",
                "must be at least 16 characters (or empty for loopback-only access)",
            ));
        }
        let ops = OpsSettings {
            metrics_token: (!token.expose_secret().is_empty()).then_some(token),
            worker_stale: std::time::Duration::from_secs(self.ops.worker_stale_seconds),
            outbox_stale: std::time::Duration::from_secs(self.ops.outbox_stale_seconds),
        };

        for origin in &self.embed.allowed_origins {
            let ok = Url::parse(origin).ok().is_some_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.has_host()
                    && u.path() == "/"
                    && !origin.ends_with('/')
                    && u.query().is_none()
            });
            if !ok {
                return Err(ConfigError::new(
                    "embed.allowed_origins",
                    format!("`{origin}` is not an origin such as https://www.newsroom.example"),
                ));
            }
        }

        let i18n = self.i18n.validate()?;
        for (key, desk) in &self.desks {
            if let Some(tag) = &desk.locale {
                let catalog = crate::i18n::catalog();
                if catalog.get(tag).filter(|l| l.has_desk()).is_none() {
                    let known: Vec<&str> = catalog
                        .offered(crate::i18n::Audience::Desk)
                        .map(|l| l.tag())
                        .collect();
                    return Err(ConfigError::new(
                        &format!("desks.{key}.locale"),
                        format!(
                            "the desk's email is not written in `{tag}`; it is in {}",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }

        let format = match self.log.format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::new(
                    "log.format",
                    format!("`{other}` is neither \"text\" nor \"json\""),
                ))
            }
        };
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(ConfigError::new("log.level", "not a valid tracing filter"));
        }

        if !self.desks.contains_key("default") {
            return Err(ConfigError::new(
                "desks.default",
                "a desk keyed `default` must exist to receive tips of unowned sections",
            ));
        }
        for (key, desk) in &self.desks {
            if desk.emails.is_empty() {
                return Err(ConfigError::new(
                    &format!("desks.{key}.emails"),
                    "list at least one address",
                ));
            }
            for email in &desk.emails {
                if let Err(why) = crate::domain::EmailAddress::parse(email) {
                    return Err(ConfigError::new(
                        &format!("desks.{key}.emails"),
                        format!("`{email}` is not an email address: {why}"),
                    ));
                }
            }
        }

        Ok(Settings {
            server: ServerSettings {
                bind,
                public_url,
                workers: self.server.workers,
                proxies: crate::web::client::ProxyTrust { header, trusted },
                max_body_bytes: self.server.max_body_bytes,
            },
            privacy: PrivacySettings {
                encryption_keys: {
                    let keys = self.privacy.encryption_keys;
                    if keys.expose_secret().trim().is_empty() {
                        None
                    } else {
                        crate::privacy::SealingKeys::parse(keys.expose_secret()).map_err(|e| {
                            ConfigError::new("privacy.encryption_keys", e.to_string())
                        })?;
                        Some(keys)
                    }
                },
            },
            storage: StorageSettings {
                data_dir: self.storage.data_dir,
            },
            database: DatabaseSettings {
                url,
                pool_size: self.database.pool_size,
            },
            security: SecuritySettings { secret_key },
            limits: LimitSettings {
                per_client_per_minute: self.limits.per_client_per_minute,
                per_client_burst: self.limits.per_client_burst,
                min_fill_seconds: self.limits.min_fill_seconds,
                duplicate_window: std::time::Duration::from_secs(
                    self.limits.duplicate_window_minutes * 60,
                ),
                article_surge_per_10min: self.limits.article_surge_per_10min,
                article_surge_hold: std::time::Duration::from_secs(
                    self.limits.article_surge_hold_seconds,
                ),
            },
            mail,
            notify,
            auth,
            ops,
            embed: self.embed,
            retention: self.retention,
            log: LogSettings {
                format,
                level: self.log.level,
            },
            demo: DemoSettings {
                seed_article: self.demo.seed_article,
            },
            i18n,
            desks: self.desks,
        })
    }
}

impl I18nSettings {
    fn validate(self) -> Result<Self, ConfigError> {
        let catalog = crate::i18n::catalog();
        if catalog.get(&self.default_locale).is_none() {
            let known: Vec<&str> = catalog.all().map(|l| l.tag()).collect();
            return Err(ConfigError::new(
                "i18n.default_locale",
                format!(
                    "`{}` is not one of tipdesk's languages ({})",
                    self.default_locale,
                    known.join(", ")
                ),
            ));
        }
        Ok(self)
    }
}

impl RawMail {
    fn validate(self) -> Result<MailSettings, ConfigError> {
        use secrecy::ExposeSecret;
        let from = self.from.parse().map_err(|_| {
            ConfigError::new(
                "mail.from",
                format!(
                    "`{}` is not a mailbox such as \"Desk <desk@example.org>\"",
                    self.from
                ),
            )
        })?;
        let transport = match self.transport.as_str() {
            "file" => {
                if self.file_dir.as_os_str().is_empty() {
                    return Err(ConfigError::new("mail.file_dir", "must not be empty"));
                }
                MailTransport::File(self.file_dir)
            }
            "smtp" => {
                let url = self.smtp_url.expose_secret();
                if !(url.starts_with("smtp://") || url.starts_with("smtps://"))
                    || Url::parse(url).is_err()
                {
                    return Err(ConfigError::new(
                        "mail.smtp_url",
                        "must be an smtp:// or smtps:// URL",
                    ));
                }
                if self.timeout_seconds == 0 {
                    return Err(ConfigError::new(
                        "mail.timeout_seconds",
                        "must be at least 1",
                    ));
                }
                if self.max_connections == 0 {
                    return Err(ConfigError::new(
                        "mail.max_connections",
                        "must be at least 1",
                    ));
                }
                MailTransport::Smtp {
                    url: self.smtp_url,
                    username: (!self.smtp_username.is_empty()).then_some(self.smtp_username),
                    password: (!self.smtp_password.expose_secret().is_empty())
                        .then_some(self.smtp_password),
                    timeout: std::time::Duration::from_secs(self.timeout_seconds),
                    max_connections: self.max_connections,
                }
            }
            other => {
                return Err(ConfigError::new(
                    "mail.transport",
                    format!("`{other}` is neither \"file\" nor \"smtp\""),
                ))
            }
        };
        Ok(MailSettings { transport, from })
    }
}

impl RawNotify {
    fn validate(self) -> Result<NotifySettings, ConfigError> {
        use std::time::Duration;
        let at_least_one = |key: &str, v: u64| {
            if v == 0 {
                Err(ConfigError::new(key, "must be at least 1"))
            } else {
                Ok(Duration::from_secs(v))
            }
        };
        let lease = at_least_one("notify.lease_seconds", self.lease_seconds)?;
        let poll = at_least_one("notify.poll_seconds", self.poll_seconds)?;
        let retry_base = at_least_one("notify.retry_base_seconds", self.retry_base_seconds)?;
        if self.retry_max_seconds < self.retry_base_seconds {
            return Err(ConfigError::new(
                "notify.retry_max_seconds",
                "must not be less than notify.retry_base_seconds",
            ));
        }
        if self.max_attempts == 0 {
            return Err(ConfigError::new(
                "notify.max_attempts",
                "must be at least 1",
            ));
        }
        Ok(NotifySettings {
            worker: self.worker,
            lease,
            poll,
            retry_base,
            retry_max: Duration::from_secs(self.retry_max_seconds),
            max_attempts: self.max_attempts,
            digest_window: Duration::from_secs(self.digest_window_seconds),
        })
    }
}

fn parse_database_url(raw: &str) -> Result<DatabaseUrl, ConfigError> {
    if let Some(path) = raw.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(ConfigError::new(
                "database.url",
                "sqlite:// needs a file path",
            ));
        }
        return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
    }
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        return Ok(DatabaseUrl::Postgres(raw.to_owned()));
    }
    Err(ConfigError::new(
        "database.url",
        "must start with sqlite:// or postgres://",
    ))
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

    #[test]
    fn defaults_match_the_documented_file() {
        let s = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(s.server.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(
            s.database.url,
            DatabaseUrl::Sqlite(PathBuf::from("var/tipdesk.db"))
        );
        assert_eq!(s.limits.min_fill_seconds, 3);
    }

    #[test]
    fn environment_overrides_and_bad_values_name_the_key() {
        let s =
            Settings::load_from(None, env(&[("TIPDESK_SERVER__BIND", "127.0.0.1:9000")])).unwrap();
        assert_eq!(s.server.bind.port(), 9000);

        let err = Settings::load_from(None, env(&[("TIPDESK_SERVER__BIND", "nine")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.bind"), "{err}");

        let err = Settings::load_from(None, env(&[("TIPDESK_DATABASE__URL", "mysql://x")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.url"), "{err}");

        let err = Settings::load_from(None, env(&[("TIPDESK_LIMITS__PER_CLIENT_BURST", "lots")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("per_client_burst"), "{err}");
    }

    #[test]
    fn section_routing_falls_back_to_the_default_desk() {
        let mut s = Settings::load_from(None, env(&[])).unwrap();
        s.desks.insert(
            "world".into(),
            DeskSettings {
                name: "World".into(),
                emails: vec!["world@example.org".into()],
                sections: vec!["International".into()],
                excerpt_chars: 0,
                locale: None,
            },
        );
        assert_eq!(s.desk_for_section("international").0, "world");
        assert_eq!(s.desk_for_section("Sport").0, "default");
    }
}
