//! Managing staff accounts (`tipdesk user ...`). Every change is audited.

use diesel::prelude::*;
use secrecy::SecretString;

use super::{password, session, Role};
use crate::audit::{self, Actor};
use crate::config::Settings;
use crate::db::schema::{user_desks, users};
use crate::db::{Conn, DbError};
use crate::domain::UserId;

/// A staff account as listed.
#[derive(Debug, Clone, Queryable)]
pub struct Account {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
}

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("{0}")]
    Invalid(String),
    #[error("no account with the email {0}")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for UserError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// A new account, checked.
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub desks: Vec<String>,
    /// The account's desk language; `None` follows `i18n.default_locale`.
    pub locale: Option<String>,
}

/// `tag` as a language the desk is offered in (`fa-AF` finds `fa`), or
/// why not.
pub fn desk_language(tag: &str) -> Result<String, UserError> {
    let catalog = crate::i18n::catalog();
    catalog
        .find(tag, crate::i18n::Audience::Desk)
        .map(|l| l.tag().to_owned())
        .ok_or_else(|| {
            let known: Vec<&str> = catalog
                .offered(crate::i18n::Audience::Desk)
                .map(|l| l.tag())
                .collect();
            UserError::Invalid(format!(
                "the desk is not translated into `{tag}`; its languages: {}",
                known.join(", ")
            ))
        })
}

impl NewUser {
    /// Sets the account's desk language (checked with [`desk_language`]).
    pub fn with_locale(mut self, tag: Option<&str>) -> Result<Self, UserError> {
        self.locale = tag.map(desk_language).transpose()?;
        Ok(self)
    }

    pub fn parse(
        settings: &Settings,
        email: &str,
        name: &str,
        role: &str,
        desks: &[String],
    ) -> Result<Self, UserError> {
        let email = email.trim().to_lowercase();
        if let Err(why) = crate::domain::EmailAddress::parse(&email) {
            return Err(UserError::Invalid(format!(
                "`{email}` is not an email address: {why}"
            )));
        }
        let name = name.trim();
        if crate::domain::graphemes::is_blank(name)
            || name.chars().count() > 200
            || name.chars().any(char::is_control)
        {
            return Err(UserError::Invalid(
                "a name is 1 to 200 characters on one line".into(),
            ));
        }
        let role = Role::parse(role).map_err(UserError::Invalid)?;
        for desk in desks {
            if !settings.desks.contains_key(desk) {
                let known: Vec<&str> = settings.desks.keys().map(String::as_str).collect();
                return Err(UserError::Invalid(format!(
                    "there is no desk `{desk}` (configured desks: {})",
                    known.join(", ")
                )));
            }
        }
        if role.needs_desks() && desks.is_empty() {
            return Err(UserError::Invalid(format!(
                "an {} works for at least one desk: add --desk KEY",
                role.as_str()
            )));
        }
        Ok(Self {
            email,
            name: name.to_owned(),
            role,
            desks: if role.needs_desks() {
                desks.to_vec()
            } else {
                Vec::new()
            },
            locale: None,
        })
    }
}

/// Creates an account with a password hash.
pub fn add(
    conn: &mut Conn<'_>,
    user: &NewUser,
    password_hash: &str,
    actor: &Actor,
) -> Result<UserId, UserError> {
    let now = crate::db::now();
    let result = conn.write(|conn| {
        let id: UserId = crate::db_run!(conn, |conn| diesel::insert_into(users::table)
            .values((
                users::email.eq(&user.email),
                users::name.eq(&user.name),
                users::role.eq(user.role),
                users::password_hash.eq(password_hash),
                users::disabled.eq(false),
                users::locale.eq(&user.locale),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            ))
            .returning(users::id)
            .get_result(conn))?;
        for desk in &user.desks {
            crate::db_run!(conn, |conn| diesel::insert_into(user_desks::table)
                .values((user_desks::user_id.eq(id), user_desks::desk.eq(desk)))
                .execute(conn))?;
        }
        audit::record(
            conn,
            actor,
            "user.add",
            &format!("user:{id}"),
            &format!(
                "{} as {} for desks [{}]",
                user.email,
                user.role.as_str(),
                user.desks.join(", ")
            ),
        )?;
        Ok::<_, diesel::result::Error>(id)
    });
    match result {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(UserError::Invalid(format!(
            "an account with the email {} exists already",
            user.email
        ))),
        other => Ok(other?),
    }
}

/// Whether any staff account exists, enabled or not: before the first,
/// the console and the landing page say how to create one.
pub fn any(conn: &mut Conn<'_>) -> QueryResult<bool> {
    crate::db_run!(conn, |conn| diesel::select(diesel::dsl::exists(
        users::table.select(users::id)
    ))
    .get_result(conn))
}

/// How to run tipdesk's commands the way it was started: `cargo run
/// --release --` (or `cargo run --`) when cargo started it, which is all a
/// fresh checkout has (the binary is not on the PATH), else `tipdesk` (not
/// the path it was started by: the landing page is public).
pub fn command_prefix() -> String {
    if std::env::var_os("CARGO_MANIFEST_DIR").is_some() {
        if cfg!(debug_assertions) {
            "cargo run --".to_owned()
        } else {
            "cargo run --release --".to_owned()
        }
    } else {
        "tipdesk".to_owned()
    }
}

/// The command that creates the first account, an admin, for the console
/// and the landing page.
pub fn first_account_command() -> String {
    format!(
        "{} user add --email you@newsroom.example --name \"Your Name\" --role admin",
        command_prefix()
    )
}

/// The account with this email (any case), enabled or not.
pub fn find(conn: &mut Conn<'_>, email: &str) -> QueryResult<Option<(Account, String)>> {
    let email = email.trim().to_lowercase();
    crate::db_run!(conn, |conn| users::table
        .filter(users::email.eq(&email))
        .select((
            (
                users::id,
                users::email,
                users::name,
                users::role,
                users::disabled
            ),
            users::password_hash
        ))
        .first(conn)
        .optional())
}

/// Sets the desk language of account `user_id` to `tag` (a desk language,
/// see [`desk_language`]), recorded in the audit trail.
pub fn set_locale(
    conn: &mut Conn<'_>,
    user_id: UserId,
    tag: &str,
    actor: &Actor,
) -> Result<(), UserError> {
    conn.write(|conn| {
        crate::db_run!(conn, |conn| diesel::update(users::table.find(user_id))
            .set((
                users::locale.eq(tag),
                users::updated_at.eq(crate::db::now())
            ))
            .execute(conn))?;
        audit::record(conn, actor, "user.locale", &format!("user:{user_id}"), tag)
    })?;
    Ok(())
}

/// Disables an account and ends its sessions at once.
pub fn disable(conn: &mut Conn<'_>, email: &str, actor: &Actor) -> Result<(), UserError> {
    let (account, _) = find(conn, email)?.ok_or_else(|| UserError::NotFound(email.to_owned()))?;
    conn.write(|conn| {
        crate::db_run!(conn, |conn| diesel::update(users::table.find(account.id))
            .set((
                users::disabled.eq(true),
                users::updated_at.eq(crate::db::now())
            ))
            .execute(conn))?;
        let ended = session::end_all(conn, account.id)?;
        audit::record(
            conn,
            actor,
            "user.disable",
            &format!("user:{}", account.id),
            &format!("{}; {ended} session(s) ended", account.email),
        )
    })?;
    Ok(())
}

/// Sets a new password (enabling the account) and ends its sessions.
pub fn set_password(
    conn: &mut Conn<'_>,
    email: &str,
    password_hash: &str,
    actor: &Actor,
) -> Result<(), UserError> {
    let (account, _) = find(conn, email)?.ok_or_else(|| UserError::NotFound(email.to_owned()))?;
    conn.write(|conn| {
        crate::db_run!(conn, |conn| diesel::update(users::table.find(account.id))
            .set((
                users::password_hash.eq(password_hash),
                users::disabled.eq(false),
                users::updated_at.eq(crate::db::now()),
            ))
            .execute(conn))?;
        session::end_all(conn, account.id)?;
        audit::record(
            conn,
            actor,
            "user.reset_password",
            &format!("user:{}", account.id),
            &account.email,
        )
    })?;
    Ok(())
}

/// Replaces an account's password hash with one of the same password
/// (normalized, see `password`): no audit entry, no sessions ended.
pub fn replace_hash(conn: &mut Conn<'_>, id: UserId, password_hash: &str) -> QueryResult<()> {
    crate::db_run!(conn => diesel::update(users::table.find(id))
        .set(users::password_hash.eq(password_hash))
        .execute(conn))?;
    Ok(())
}

/// Enabled editors and admins who may be assigned tips of `desk`.
pub fn assignable(conn: &mut Conn<'_>, desk: &str) -> QueryResult<Vec<(UserId, String)>> {
    crate::db_run!(conn, |conn| users::table
        .left_join(
            user_desks::table.on(user_desks::user_id
                .eq(users::id)
                .and(user_desks::desk.eq(desk)))
        )
        .filter(users::disabled.eq(false))
        .filter(
            users::role.eq(Role::Admin).or(users::role
                .eq(Role::Editor)
                .and(user_desks::desk.is_not_null())),
        )
        .order(users::name)
        .select((users::id, users::name))
        .load(conn))
}

/// Hashes a password off the async executor's threads (argon2 takes tens
/// of milliseconds by design).
pub async fn hash_blocking(password: SecretString) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || password::hash(&password)).await?
}
