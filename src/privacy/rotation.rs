//! `tipdesk keys rotate`: a new current key (for a generated key ring; a
//! configured one is changed by the operator first), then every stored
//! name, contact, message of a conversation with a reader, staff TOTP
//! secret and attachment key (with the file's name and hash) re-sealed
//! with it, and the rotation recorded in the audit trail.

use diesel::prelude::*;

use super::{PrivacyError, SealingKeys};
use crate::audit::{self, Actor};
use crate::db::schema::{tip_messages, tips, users};
use crate::db::Conn;

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The id of the key that seals from now on.
    pub current: String,
    /// Rows re-sealed.
    pub resealed: usize,
}

/// Rotates `keys`: adds a new current key to a generated ring (a
/// configured ring already has its new key first), re-seals everything
/// not sealed with the current key, and records it as done by `actor`.
pub fn rotate(
    conn: &mut Conn<'_>,
    keys: &mut SealingKeys,
    actor: &Actor,
) -> anyhow::Result<Rotated> {
    if keys.file.is_some() {
        keys.add_generated_key()?;
    }
    let resealed = reseal_all(conn, keys)?;
    let current = keys.current_id().to_owned();
    conn.write(|conn| {
        audit::record(
            conn,
            actor,
            "keys.rotate",
            "tips",
            &format!("{resealed} record(s) re-encrypted with key {current}"),
        )
    })?;
    Ok(Rotated { current, resealed })
}

/// Re-seals every stored name and contact, and every staff TOTP secret,
/// that is not sealed with the current key (values stored before
/// encryption are sealed too). Returns how many rows changed. Runs in
/// batches, each its own transaction, so it can be interrupted and rerun.
pub fn reseal_all(conn: &mut Conn<'_>, ring: &SealingKeys) -> anyhow::Result<usize> {
    let open_or_plain =
        |field: &str, reference: &str, value: &str| -> Result<String, PrivacyError> {
            if SealingKeys::is_sealed(value) {
                ring.open(field, reference, value)
            } else {
                Ok(value.to_owned())
            }
        };
    let mut after = 0i64;
    let mut changed = 0usize;
    loop {
        type Row = (i64, String, Option<String>, Option<String>);
        let batch: Vec<Row> = crate::db_run!(conn, |conn| tips::table
            .filter(tips::id.gt(after))
            .filter(
                tips::reader_name
                    .is_not_null()
                    .or(tips::contact.is_not_null())
            )
            .order(tips::id)
            .limit(500)
            .select((tips::id, tips::reference, tips::reader_name, tips::contact))
            .load(conn))?;
        let Some(last) = batch.last() else {
            return Ok(changed
                + reseal_messages(conn, ring)?
                + reseal_totp_secrets(conn, ring)?
                + crate::attachments::reseal_all(conn, ring)?);
        };
        after = last.0;
        let mut updates = Vec::new();
        for (id, reference, name, contact) in batch {
            let stale = |v: &Option<String>| v.as_deref().is_some_and(|v| !ring.is_current(v));
            if !stale(&name) && !stale(&contact) {
                continue;
            }
            let reseal = |field: &str, v: Option<String>| -> Result<Option<String>, PrivacyError> {
                v.map(|v| Ok(ring.seal(field, &reference, &open_or_plain(field, &reference, &v)?)))
                    .transpose()
            };
            updates.push((id, reseal("name", name)?, reseal("contact", contact)?));
        }
        changed += updates.len();
        conn.write(|conn| {
            for (id, name, contact) in &updates {
                crate::db_run!(conn, |conn| diesel::update(tips::table.find(id))
                    .set((tips::reader_name.eq(name), tips::contact.eq(contact)))
                    .execute(conn))?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
}

/// Re-seals the messages of conversations with readers (see
/// `follow_up::conversation`) not sealed with the current key, in batches
/// of their own transactions. Each stays bound to its tip, place and
/// author: it is opened and sealed again under the same field and binding.
fn reseal_messages(conn: &mut Conn<'_>, ring: &SealingKeys) -> anyhow::Result<usize> {
    let mut after = 0i64;
    let mut changed = 0usize;
    loop {
        type Row = (
            i64,
            String,
            i32,
            crate::follow_up::conversation::Author,
            String,
        );
        let batch: Vec<Row> = crate::db_run!(conn, |conn| tip_messages::table
            .inner_join(tips::table)
            .filter(tip_messages::id.gt(after))
            .order(tip_messages::id)
            .limit(500)
            .select((
                tip_messages::id,
                tips::reference,
                tip_messages::seq,
                tip_messages::author,
                tip_messages::body,
            ))
            .load(conn))?;
        let Some(last) = batch.last() else {
            return Ok(changed);
        };
        after = last.0;
        let mut updates = Vec::new();
        for (id, reference, seq, author, body) in batch {
            if ring.is_current(&body) {
                continue;
            }
            let resealed =
                crate::follow_up::conversation::reseal(ring, &reference, seq, author, &body)?;
            updates.push((id, resealed));
        }
        changed += updates.len();
        conn.write(|conn| {
            for (id, body) in &updates {
                crate::db_run!(conn, |conn| diesel::update(tip_messages::table.find(id))
                    .set(tip_messages::body.eq(body))
                    .execute(conn))?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
}

/// Re-seals staff accounts' TOTP secrets (field "totp", bound to
/// `user:{id}`) that are not sealed with the current key.
fn reseal_totp_secrets(conn: &mut Conn<'_>, ring: &SealingKeys) -> anyhow::Result<usize> {
    let rows: Vec<(i64, Option<String>)> = crate::db_run!(conn, |conn| users::table
        .filter(users::totp_secret.is_not_null())
        .select((users::id, users::totp_secret))
        .load(conn))?;
    let mut updates = Vec::new();
    for (id, secret) in rows {
        let Some(sealed) = secret.filter(|s| !ring.is_current(s)) else {
            continue;
        };
        let reference = format!("user:{id}");
        let plain = ring.open("totp", &reference, &sealed)?;
        updates.push((id, ring.seal("totp", &reference, &plain)));
    }
    conn.write(|conn| {
        for (id, sealed) in &updates {
            crate::db_run!(conn, |conn| diesel::update(users::table.find(id))
                .set(users::totp_secret.eq(sealed))
                .execute(conn))?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(updates.len())
}
