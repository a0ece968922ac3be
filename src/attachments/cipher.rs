//! A file's content encrypted under a key of its own, in segments:
//! XChaCha20-Poly1305 in the STREAM construction (Hoang, Reyhanitabar,
//! Rogaway, Vizár: "Online Authenticated-Encryption and its
//! Nonce-Reuse Misuse-Resistance", CRYPTO 2015), as the `aead` crate
//! implements it (`StreamBE32`). Each segment is authenticated with its
//! position and whether it is the last, so segments cannot be reordered,
//! dropped or the file cut short without opening failing. Only the
//! segment being worked on is held in memory.
//!
//! The file key (and the STREAM nonce prefix) is sealed with the privacy
//! key ring, bound to the tip and the file's place (`privacy`): rotating
//! the ring re-seals 51 bytes, never the file.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32, Nonce as StreamNonce};
use chacha20poly1305::aead::{KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305};

use crate::domain::Sensitive;

/// Bytes of content per segment (and per stored chunk row): big enough
/// that a 20 MiB file is 320 rows, small enough to hold per request.
pub const SEGMENT: usize = 64 * 1024;
/// What encryption adds to each segment (the Poly1305 tag).
pub const TAG: usize = 16;

type Stream = chacha20poly1305::aead::stream::StreamBE32<XChaCha20Poly1305>;

/// One file's key and STREAM nonce prefix.
#[derive(Clone)]
pub struct FileKey(Sensitive<(Key, StreamNonce<XChaCha20Poly1305, Stream>)>);

/// A segment failed to open: damaged, reordered, cut short, or under
/// another key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an attachment's content could not be decrypted")]
pub struct Damaged;

impl FileKey {
    /// A fresh random key: one per file, so the nonce prefix is never
    /// reused under a key.
    pub fn generate() -> Self {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let mut nonce = StreamNonce::<XChaCha20Poly1305, Stream>::default();
        rand::RngCore::fill_bytes(&mut OsRng, &mut nonce);
        Self((key, nonce).into())
    }

    /// The key as text, to be sealed with the key ring.
    pub fn export(&self) -> String {
        let (key, nonce) = &*self.0;
        let mut raw = key.to_vec();
        raw.extend_from_slice(nonce);
        STANDARD.encode(raw)
    }

    /// The key [`Self::export`] wrote.
    ///
    /// # Errors
    /// [`Damaged`] when `text` is not such a key.
    pub fn import(text: &str) -> Result<Self, Damaged> {
        let raw = STANDARD.decode(text).map_err(|_| Damaged)?;
        if raw.len() != 32 + 19 {
            return Err(Damaged);
        }
        let key = *Key::from_slice(&raw[..32]);
        let nonce = StreamNonce::<XChaCha20Poly1305, Stream>::clone_from_slice(&raw[32..]);
        Ok(Self((key, nonce).into()))
    }

    /// Encrypts `content` into segments of [`SEGMENT`] bytes (the last
    /// shorter; an empty file is one empty segment), each [`TAG`] bytes
    /// longer once sealed.
    pub fn encrypt(&self, content: &[u8]) -> Vec<Vec<u8>> {
        let mut sealer = self.sealer();
        let mut out = sealer.push(content);
        out.push(sealer.finish());
        out
    }

    /// An encryptor fed a file's content as it arrives, in pieces of any
    /// size; it makes the same segments as [`Self::encrypt`] of the whole,
    /// holding at most one segment of content.
    pub fn sealer(&self) -> Sealer {
        let (key, nonce) = &*self.0;
        Sealer {
            enc: EncryptorBE32::from_aead(XChaCha20Poly1305::new(key), nonce),
            pending: Vec::with_capacity(SEGMENT),
        }
    }

    /// A decryptor for the segments [`Self::encrypt`] made, in order.
    pub fn opener(&self) -> Opener {
        let (key, nonce) = &*self.0;
        Opener(Some(DecryptorBE32::from_aead(
            XChaCha20Poly1305::new(key),
            nonce,
        )))
    }
}

/// Seals a file's content segment by segment as it arrives
/// ([`FileKey::sealer`]).
pub struct Sealer {
    enc: EncryptorBE32<XChaCha20Poly1305>,
    /// Content not sealed yet: at most one segment, kept back until more
    /// arrives, since the last segment is sealed differently.
    pending: Vec<u8>,
}

impl Sealer {
    /// Takes the next `bytes` of the content; returns the segments they
    /// completed, sealed, in order (often none).
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            if self.pending.len() == SEGMENT {
                // Encryption fails only past 2^32 segments (256 TiB): far
                // beyond any limit a file is held to.
                out.push(self.enc.encrypt_next(&self.pending[..]).unwrap_or_default());
                self.pending.clear();
            }
            let take = (SEGMENT - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        out
    }

    /// Seals what is left as the file's last segment (empty for an empty
    /// file).
    pub fn finish(self) -> Vec<u8> {
        self.enc.encrypt_last(&self.pending[..]).unwrap_or_default()
    }
}

/// Opens a file's segments one at a time, in order.
pub struct Opener(Option<DecryptorBE32<XChaCha20Poly1305>>);

impl Opener {
    /// The content of the next segment; `last` says whether it is the
    /// file's last.
    ///
    /// # Errors
    /// [`Damaged`] when the segment does not open in this place (or one
    /// is asked for after the last).
    pub fn open(&mut self, segment: &[u8], last: bool) -> Result<Vec<u8>, Damaged> {
        if last {
            let dec = self.0.take().ok_or(Damaged)?;
            dec.decrypt_last(segment).map_err(|_| Damaged)
        } else {
            let dec = self.0.as_mut().ok_or(Damaged)?;
            dec.decrypt_next(segment).map_err(|_| Damaged)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_all(key: &FileKey, segments: &[Vec<u8>]) -> Result<Vec<u8>, Damaged> {
        let mut opener = key.opener();
        let mut out = Vec::new();
        for (i, s) in segments.iter().enumerate() {
            out.extend(opener.open(s, i + 1 == segments.len())?);
        }
        Ok(out)
    }

    #[test]
    fn content_round_trips_through_an_exported_key() {
        let content: Vec<u8> = (0..(SEGMENT * 2 + 5)).map(|i| (i % 251) as u8).collect();
        let key = FileKey::generate();
        let segments = key.encrypt(&content);
        assert_eq!(segments.len(), 3);
        assert_eq!(segments[0].len(), SEGMENT + TAG);
        let again = FileKey::import(&key.export()).unwrap();
        assert_eq!(open_all(&again, &segments).unwrap(), content);
    }

    #[test]
    fn content_sealed_piece_by_piece_makes_the_same_segments() {
        let content: Vec<u8> = (0..(SEGMENT * 3)).map(|i| (i % 253) as u8).collect();
        let key = FileKey::generate();
        for pieces in [1, 7, 1000, SEGMENT, SEGMENT + 1] {
            let mut sealer = key.sealer();
            let mut segments = Vec::new();
            for piece in content.chunks(pieces) {
                segments.extend(sealer.push(piece));
            }
            segments.push(sealer.finish());
            assert_eq!(segments, key.encrypt(&content), "pieces of {pieces}");
        }
        let mut empty = key.sealer();
        assert!(empty.push(b"").is_empty());
        assert_eq!(vec![empty.finish()], key.encrypt(b""));
    }

    #[test]
    fn a_file_cut_short_or_reordered_does_not_open() {
        let content = vec![7u8; SEGMENT * 3];
        let key = FileKey::generate();
        let mut segments = key.encrypt(&content);
        assert_eq!(open_all(&key, &segments[..2]), Err(Damaged));
        segments.swap(0, 1);
        assert_eq!(open_all(&key, &segments), Err(Damaged));
        assert_eq!(
            open_all(&FileKey::generate(), &key.encrypt(b"x")),
            Err(Damaged)
        );
    }
}
