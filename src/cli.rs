//! The command line: `serve`, `worker`, `articles`, `queue`, `user`,
//! `audit`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::Application;
use crate::config::Settings;
use crate::db::{DbError, Pool};
use crate::domain::JobId;
use crate::notifications::{outbox, Worker};
use crate::privacy::SealingKeys;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Parser)]
#[command(name = "tipdesk", version, about = "Reader tips for a newsroom")]
struct Cli {
    /// A TOML file overriding the built-in defaults (config/default.toml).
    #[arg(long, global = true, env = "TIPDESK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service.
    Serve,
    /// Run only the notification worker (several may run at once).
    Worker,
    /// Manage the articles readers can send tips about.
    Articles {
        #[command(subcommand)]
        command: ArticlesCommand,
    },
    /// Inspect and steer the desk notification queue.
    Queue {
        #[command(subcommand)]
        command: QueueCommand,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Apply the retention settings now and say what was removed.
    Purge,
    /// Manage the keys that encrypt readers' names and contacts.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. Without --password-stdin a strong password is
    /// generated and printed once.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, editor, viewer or ops
        #[arg(long)]
        role: String,
        /// A desk the account works for (editors and viewers); repeatable.
        #[arg(long = "desk", value_name = "KEY")]
        desks: Vec<String>,
        /// The language of the account's desk pages, e.g. fa (default:
        /// i18n.default_locale).
        #[arg(long, value_name = "TAG")]
        locale: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account; its sessions end at once.
    Disable { email: String },
    /// Set the language of an account's desk pages, e.g. fa.
    SetLocale { email: String, tag: String },
    /// Set a new password (generated and printed, or from stdin); ends the
    /// account's sessions and enables it again.
    ResetPassword {
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Two-factor login (TOTP, any authenticator app) for an account.
    Totp {
        #[command(subcommand)]
        command: TotpCommand,
    },
}

#[derive(Subcommand)]
enum TotpCommand {
    /// Give the account a new second factor (replacing any earlier one);
    /// prints the secret and 10 recovery codes, only this once.
    Enable { email: String },
    /// Remove the account's second factor and recovery codes.
    Disable { email: String },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a new key current (for a generated key ring; a configured one
    /// is changed in privacy.encryption_keys first) and re-encrypt every
    /// stored name and contact with it.
    Rotate,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every link of the hash chain; report the first broken one.
    Verify,
}

#[derive(Subcommand)]
enum QueueCommand {
    /// Count jobs per state.
    Status {
        /// Print a JSON object keyed pending, in_flight, retrying, sent, dead.
        #[arg(long)]
        json: bool,
    },
    /// Send dead jobs again, with a fresh set of attempts.
    Retry {
        /// The job to retry.
        #[arg(required_unless_present = "all_dead", conflicts_with = "all_dead")]
        id: Option<JobId>,
        /// Retry every dead job.
        #[arg(long)]
        all_dead: bool,
    },
    /// Delete a dead job for good.
    Discard { id: JobId },
}

#[derive(Subcommand)]
enum ArticlesCommand {
    /// Insert or update articles from CSV (header id,title,url,section and
    /// optionally language, e.g. fa) or a JSON array of such objects. A
    /// file is imported whole or not at all.
    Import { file: PathBuf },
    /// Poll every feed in articles.feeds now (whether due or not; a feed
    /// another instance is polling right now is left to it) and print
    /// what each added, updated and skipped. Exits 1 if a feed failed.
    Sync,
}

/// Runs the command line; the exit code says whether it worked.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The settings name a language, so the catalogs come first.
    if let Err(e) = crate::i18n::check() {
        eprintln!("tipdesk: {e}");
        return ExitCode::from(2);
    }
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tipdesk: {e:#}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&settings.log);
    let format = settings.log.format;
    // Before any command opens the database or writes a key.
    if let Err(e) = crate::owner_only::restrict(&settings) {
        eprintln!("tipdesk: {e:#}");
        return ExitCode::FAILURE;
    }
    match run(cli.command, settings) {
        Ok(()) => ExitCode::SUCCESS,
        // With JSON logs, even the reason tipdesk stopped is a JSON line.
        Err(e) if format == crate::config::LogFormat::Json => {
            tracing::error!(error = %format!("{e:#}"), "tipdesk stopped");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("tipdesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(settings),
        Command::Worker => worker(settings),
        Command::Queue { command } => queue(command, settings),
        Command::User { command } => user(command, settings),
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let pool = Pool::connect(&settings.database)?;
            let mut keys = sealing_keys(&settings)?;
            let done = pool.with(|c| {
                crate::privacy::rotation::rotate(c, &mut keys, &crate::audit::Actor::cli())
            })?;
            println!(
                "current key: {}; re-encrypted {} record(s)",
                done.current, done.resealed
            );
            Ok(())
        }
        Command::Purge => {
            let pool = Pool::connect(&settings.database)?;
            let done = pool.with(|c| {
                crate::ops::retention::purge(c, &settings.retention, &crate::audit::Actor::cli())
                    .map_err(DbError::from)
            })?;
            println!("{done}");
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let pool = Pool::connect(&settings.database)?;
            match pool.with(|c| crate::audit::verify(c).map_err(DbError::from))? {
                crate::audit::Verdict::Intact { entries } => {
                    println!("audit trail intact: {entries} entries verified");
                    Ok(())
                }
                crate::audit::Verdict::Broken { id, reason } => {
                    anyhow::bail!("audit trail broken at entry {id}: {reason}")
                }
            }
        }
        Command::Articles {
            command: ArticlesCommand::Import { file },
        } => {
            let pool = Pool::connect(&settings.database)?;
            let count = pool.with(|conn| crate::articles::import_file(conn, &file))?;
            println!("imported {count} article(s) from {}", file.display());
            Ok(())
        }
        Command::Articles {
            command: ArticlesCommand::Sync,
        } => sync_feeds(settings),
    }
}

fn sealing_keys(settings: &Settings) -> anyhow::Result<SealingKeys> {
    Ok(SealingKeys::load(
        settings.privacy.encryption_keys.as_ref(),
        &settings.storage.data_dir,
    )?)
}

/// `tipdesk articles sync`: one poll of every feed, reported per feed.
fn sync_feeds(settings: Settings) -> anyhow::Result<()> {
    use crate::articles::feeds::{Due, FeedPoller, Outcome};
    if settings.articles.feeds.is_empty() {
        anyhow::bail!("no feeds to sync: list them in articles.feeds");
    }
    runtime()?.block_on(async move {
        let pool = Pool::connect(&settings.database)?;
        let poller = FeedPoller::new(
            pool,
            Arc::new(settings.articles.clone()),
            Arc::new(crate::ops::Metrics::new()),
        )?;
        let outcomes = poller.poll(Due::Any, &Bar::default()).await?;
        let mut failed = 0;
        for (feed, outcome) in outcomes {
            match outcome {
                Outcome::NotClaimed => {
                    println!("{feed}: being polled by another instance; left to it")
                }
                Outcome::NotModified => println!("{feed}: not modified"),
                Outcome::Failed(why) => {
                    failed += 1;
                    println!("{feed}: failed: {why}");
                }
                Outcome::Synced(t) => {
                    println!(
                        "{feed}: {} added, {} updated, {} unchanged, {} skipped",
                        t.added,
                        t.updated,
                        t.unchanged,
                        t.skipped.len()
                    );
                    for why in &t.skipped {
                        println!("  skipped {why}");
                    }
                }
            }
        }
        if failed > 0 {
            anyhow::bail!("{failed} feed(s) failed; see above");
        }
        Ok(())
    })
}

/// The progress of `articles sync` through a feed's entries, on stderr
/// (drawn only on a terminal: indicatif hides it otherwise).
#[derive(Default)]
struct Bar(std::sync::Mutex<Option<indicatif::ProgressBar>>);

impl crate::articles::feeds::Progress for Bar {
    fn start(&self, feed: &url::Url, entries: usize) {
        let bar = indicatif::ProgressBar::new(entries as u64).with_message(feed.to_string());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn advance(&self) {
        if let Some(bar) = &*self.0.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.0.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn worker(settings: Settings) -> anyhow::Result<()> {
    let settings_log = settings.log.clone();
    runtime()?.block_on(async move {
        let pool = Pool::connect(&settings.database)?;
        let settings = Arc::new(settings);
        let metrics = Arc::new(crate::ops::Metrics::new());
        let worker = Worker::new(
            pool.clone(),
            settings.clone(),
            Arc::new(Notify::new()),
            metrics.clone(),
        )?;
        crate::telemetry::announce(
            &settings_log,
            &format!(
                "tipdesk worker {} is running (Ctrl-C stops it).",
                worker.id()
            ),
        );
        let closing = worker.clone();
        tokio::select! {
            _ = worker.run() => {}
            _ = crate::triage::reminder::run(pool, settings, metrics) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        closing.close().await;
        Ok(())
    })
}

fn queue(command: QueueCommand, settings: Settings) -> anyhow::Result<()> {
    let pool = Pool::connect(&settings.database)?;
    match command {
        QueueCommand::Status { json } => {
            let (health, jobs, held) = pool.with(|c| {
                Ok::<_, DbError>((
                    crate::ops::queue_health(c, settings.limits.article_surge_per_10min)?,
                    crate::ops::problem_jobs(c, 50)?,
                    crate::ops::held_digests(c, 50)?,
                ))
            })?;
            if json {
                let map: serde_json::Map<String, serde_json::Value> = health
                    .counts
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), (*v).into()))
                    .collect();
                println!("{}", serde_json::Value::Object(map));
            } else {
                for (state, n) in &health.counts {
                    println!("{state:<10} {n:>8}");
                }
                match health.oldest_pending_seconds {
                    Some(s) => println!("oldest waiting job: {s:.0} s"),
                    None => println!("oldest waiting job: none"),
                }
                match health.heartbeat_age_seconds {
                    Some(s) => println!("last worker heartbeat: {s:.0} s ago"),
                    None => println!("last worker heartbeat: never"),
                }
                for h in held {
                    println!(
                        "held     {:>6} job(s) to {}  desk {}  go out at {} UTC: {}",
                        h.jobs,
                        h.recipient,
                        h.desk,
                        h.goes_out_at.format("%Y-%m-%d %H:%M:%S"),
                        h.reason.explain()
                    );
                }
                for j in jobs {
                    println!(
                        "job {:>6}  {:<8}  tip {:>6}  desk {}  to {}  attempts {}  last reply: {}",
                        j.id,
                        j.state,
                        j.tip_id,
                        j.desk,
                        j.recipient,
                        j.attempts,
                        j.last_error.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        QueueCommand::Retry { id, all_dead } => {
            let target = if all_dead { None } else { id };
            let n = pool.with(|c| {
                outbox::retry_dead(c, target, &crate::audit::Actor::cli()).map_err(DbError::from)
            })?;
            if n == 0 {
                anyhow::bail!(match id {
                    Some(id) if !all_dead => format!(
                        "job {id} is not dead (or does not exist); only dead jobs can be retried"
                    ),
                    _ => "there are no dead jobs".to_owned(),
                });
            }
            println!("{n} job(s) will be sent again");
        }
        QueueCommand::Discard { id } => {
            let n = pool.with(|c| {
                outbox::discard_dead(c, id, &crate::audit::Actor::cli()).map_err(DbError::from)
            })?;
            if n == 0 {
                anyhow::bail!(
                    "job {id} is not dead (or does not exist); only dead jobs can be discarded"
                );
            }
            println!("job {id} discarded");
        }
    }
    Ok(())
}

/// The password for `user add` / `reset-password`: the first line of stdin,
/// checked, or a generated one that is printed once.
fn new_password(from_stdin: bool) -> anyhow::Result<(SecretString, bool)> {
    if !from_stdin {
        return Ok((crate::auth::password::generate(), true));
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    crate::auth::password::check_new(&password).map_err(|e| anyhow::anyhow!(e))?;
    Ok((SecretString::from(password), false))
}

fn user(command: UserCommand, settings: Settings) -> anyhow::Result<()> {
    use crate::auth::users;
    let pool = Pool::connect(&settings.database)?;
    let actor = crate::audit::Actor::cli();
    match command {
        UserCommand::Add {
            email,
            name,
            role,
            desks,
            locale,
            password_stdin,
        } => {
            let user = users::NewUser::parse(&settings, &email, &name, &role, &desks)?
                .with_locale(locale.as_deref())?;
            let (password, generated) = new_password(password_stdin)?;
            let hash = crate::auth::password::hash(&password)?;
            let id = pool.with(|c| users::add(c, &user, &hash, &actor))?;
            println!(
                "created {} ({}) as user {id}",
                user.email,
                user.role.as_str()
            );
            if generated {
                println!("password (shown only now): {}", password.expose_secret());
            }
        }
        UserCommand::Disable { email } => {
            pool.with(|c| users::disable(c, &email, &actor))?;
            println!("disabled {email}; its sessions have ended");
        }
        UserCommand::SetLocale { email, tag } => {
            let tag = users::desk_language(&tag)?;
            pool.with(|c| {
                let (account, _) = users::find(c, &email)?
                    .ok_or_else(|| users::UserError::NotFound(email.clone()))?;
                users::set_locale(c, account.id, &tag, &actor)
            })?;
            println!("{email} now sees the desk in {tag}");
        }
        UserCommand::ResetPassword {
            email,
            password_stdin,
        } => {
            let (password, generated) = new_password(password_stdin)?;
            let hash = crate::auth::password::hash(&password)?;
            pool.with(|c| users::set_password(c, &email, &hash, &actor))?;
            println!("new password set for {email}; its sessions have ended");
            if generated {
                println!("password (shown only now): {}", password.expose_secret());
            }
        }
        UserCommand::Totp {
            command: TotpCommand::Enable { email },
        } => {
            let keys = sealing_keys(&settings)?;
            let e = pool.with(|c| crate::auth::totp::enable(c, &keys, &email, &actor))?;
            if e.replaced {
                println!(
                    "the earlier second factor of {email} and its recovery codes no longer work"
                );
            }
            println!("two-factor login enabled for {email}; shown only now:");
            println!(
                "otpauth URI (scan as a QR code or paste into the app): {}",
                e.uri
            );
            println!("secret (to type into the app by hand): {}", e.secret);
            println!("recovery codes (each works once, instead of the app's code):");
            for code in &e.recovery_codes {
                println!("  {code}");
            }
        }
        UserCommand::Totp {
            command: TotpCommand::Disable { email },
        } => {
            pool.with(|c| crate::auth::totp::disable(c, &email, &actor))?;
            println!("two-factor login disabled for {email}");
        }
    }
    Ok(())
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    for (desk, address) in crate::notifications::email::addresses_needing_smtputf8(&settings) {
        tracing::warn!(
            desk = %desk,
            address = %address,
            "this desk address has a non-ASCII local part: only a mail server that offers SMTPUTF8 (RFC 6531) can deliver to it, and mail to it fails at once on any other"
        );
    }
    runtime.block_on(async move {
        let log = settings.log.clone();
        let app = Application::build(settings)?;
        tracing::info!(port = app.port(), "tipdesk is listening");
        let url = app.public_url().as_str().trim_end_matches('/');
        crate::telemetry::announce(
            &log,
            &format!("tipdesk is running. Open {url}/ in a browser (Ctrl-C stops it)."),
        );
        crate::telemetry::announce(&log, &format!("The verification desk is at {url}/desk."));
        if app.has_no_accounts() {
            crate::telemetry::announce(
                &log,
                &format!(
                    "It has no accounts yet. Create the first (an admin) in another terminal, here:\n    {}",
                    crate::auth::users::first_account_command()
                ),
            );
        }
        app.run().await?;
        Ok(())
    })
}
