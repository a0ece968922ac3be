//! Receipts at rest: only a keyed hash of each is stored (HMAC-SHA256
//! under [`HmacKeys::receipt`], derived from the site secret), so a copy of
//! the database cannot be used to open a tip, and a receipt cannot be
//! recovered — by anyone, the newsroom included.
//!
//! Lookups go by the hash. Comparing secrets with `=` in SQL is not
//! constant-time, but what the index compares is an HMAC of the receipt:
//! how long a comparison takes can tell an attacker about the hash at
//! most, and without the key a hash says nothing about any receipt (the
//! "hashed token lookup" of OWASP's session and reset-token guidance). The
//! stored hash is compared once more in constant time before it counts.

use diesel::prelude::*;
use subtle::ConstantTimeEq;

use crate::db::schema::tip_receipts;
use crate::db::Conn;
use crate::domain::{Receipt, TipId};
use crate::secrets::{hmac_sha256, HmacKeys};

/// The stored form of a receipt: a hex HMAC-SHA256 of its digits.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceiptHash(String);

impl ReceiptHash {
    /// The hash of `receipt`.
    pub fn of(keys: &HmacKeys, receipt: &Receipt) -> Self {
        Self(hex::encode(hmac_sha256(
            keys.receipt(),
            &[receipt.digits().as_bytes()],
        )))
    }

    /// A hash no receipt has (the HMAC of text that is not twenty digits),
    /// looked up in place of a receipt that could not be read, so that a
    /// mistyped receipt costs the same work as an unknown one.
    pub fn decoy(keys: &HmacKeys) -> Self {
        Self(hex::encode(hmac_sha256(
            keys.receipt(),
            &[b"not a receipt"],
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ReceiptHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReceiptHash([redacted])")
    }
}

/// Gives tip `tip_id` a new receipt, on the caller's connection (inside
/// the tip's own transaction). A clash with another tip's receipt (odds
/// 2^-66 per pair) is a unique violation, which the caller's retry with a
/// fresh reference and receipt absorbs.
pub fn issue(conn: &mut Conn<'_>, keys: &HmacKeys, tip_id: TipId) -> QueryResult<Receipt> {
    let receipt = Receipt::generate();
    store(conn, &ReceiptHash::of(keys, &receipt), tip_id)?;
    Ok(receipt)
}

/// Stores `hash` as a receipt of tip `tip_id`, for a caller that made
/// the receipt itself (see [`issue`]); the same clash rule applies.
pub fn store(conn: &mut Conn<'_>, hash: &ReceiptHash, tip_id: TipId) -> QueryResult<()> {
    crate::db_run!(conn, |conn| diesel::insert_into(tip_receipts::table)
        .values((
            tip_receipts::receipt_hash.eq(hash.as_str()),
            tip_receipts::tip_id.eq(tip_id),
            tip_receipts::created_at.eq(crate::db::now()),
        ))
        .execute(conn))?;
    Ok(())
}

/// The tip whose receipt has `hash`, if any.
pub fn find(conn: &mut Conn<'_>, hash: &ReceiptHash) -> QueryResult<Option<TipId>> {
    let row: Option<(String, TipId)> = crate::db_run!(conn, |conn| tip_receipts::table
        .filter(tip_receipts::receipt_hash.eq(hash.as_str()))
        .select((tip_receipts::receipt_hash, tip_receipts::tip_id))
        .first(conn)
        .optional())?;
    Ok(row.and_then(|(stored, tip)| {
        bool::from(stored.as_bytes().ct_eq(hash.as_str().as_bytes())).then_some(tip)
    }))
}

/// Whether tip `tip_id` has a receipt at all (tips sent before receipts
/// existed have none, and their readers cannot read the desk's messages).
pub fn exists_for(conn: &mut Conn<'_>, tip_id: TipId) -> QueryResult<bool> {
    let n: i64 = crate::db_run!(conn, |conn| tip_receipts::table
        .filter(tip_receipts::tip_id.eq(tip_id))
        .count()
        .get_result(conn))?;
    Ok(n > 0)
}
