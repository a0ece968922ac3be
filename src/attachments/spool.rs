//! A file's sealed segments held between its arrival and the tip's
//! transaction, so that neither the request nor the transaction holds the
//! file in memory.
//!
//! The tip and its files are stored in one transaction, which cannot begin
//! before the whole body has arrived (a tip whose last file is cut short
//! is not stored at all). Until then each segment, once sealed
//! ([`super::cipher`]), is written here: in memory up to [`IN_MEMORY`]
//! bytes, then in an unnamed temporary file (`tempfile`: `O_TMPFILE` on
//! Linux, in `TMPDIR`), which the operating system removes when it is
//! closed, or when the process is killed, so nothing is left behind
//! whatever happens. Only ciphertext is ever written: never a name, never
//! a byte in clear; the key it opens under exists only in memory until
//! the transaction seals it with the key ring.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::{Mutex, PoisonError};

use tempfile::SpooledTempFile;

use super::cipher::{SEGMENT, TAG};

/// Bytes a spool keeps in memory before it moves to a file: 16 segments.
/// Ten 20 MiB uploads at once hold 10 MiB here (see BENCHMARKS.md).
pub const IN_MEMORY: usize = 16 * (SEGMENT + TAG);

/// Sealed segments, in order: every one [`SEGMENT`] + [`TAG`] bytes but
/// the last.
pub struct Spool {
    /// A mutex only so that a stored [`Spool`] can be read through `&`:
    /// a transaction that is retried reads it again from the start.
    file: Mutex<SpooledTempFile>,
    segments: usize,
    last_len: usize,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("segments", &self.segments)
            .finish_non_exhaustive()
    }
}

impl Default for Spool {
    fn default() -> Self {
        Self::new()
    }
}

impl Spool {
    pub fn new() -> Self {
        Self {
            file: Mutex::new(tempfile::spooled_tempfile(IN_MEMORY)),
            segments: 0,
            last_len: 0,
        }
    }

    /// Appends the next sealed segment.
    ///
    /// # Errors
    /// The temporary file could not be written (a full disk), or a segment
    /// follows one shorter than a whole segment.
    pub fn push(&mut self, segment: &[u8]) -> io::Result<()> {
        if self.segments > 0 && self.last_len != SEGMENT + TAG {
            return Err(io::Error::other("a segment after the last"));
        }
        let file = self.file.get_mut().unwrap_or_else(PoisonError::into_inner);
        file.write_all(segment)?;
        self.segments += 1;
        self.last_len = segment.len();
        Ok(())
    }

    /// How many segments it holds.
    pub fn segments(&self) -> usize {
        self.segments
    }

    /// Calls `each` with the segments in order, `batch` at a time (the
    /// last batch may be shorter), and the position of the first of them:
    /// at most `batch` segments are in memory at once.
    ///
    /// # Errors
    /// The first error of `each`, or of reading the temporary file.
    pub fn read_batches<E: From<io::Error>>(
        &self,
        batch: usize,
        mut each: impl FnMut(usize, &[Vec<u8>]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.seek(SeekFrom::Start(0))?;
        let mut first = 0;
        while first < self.segments {
            let count = batch.max(1).min(self.segments - first);
            let mut segments = Vec::with_capacity(count);
            for i in first..first + count {
                let len = if i + 1 == self.segments {
                    self.last_len
                } else {
                    SEGMENT + TAG
                };
                let mut segment = vec![0; len];
                file.read_exact(&mut segment)?;
                segments.push(segment);
            }
            each(first, &segments)?;
            first += count;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_come_back_in_batches_as_often_as_asked() {
        let mut spool = Spool::new();
        let segments: Vec<Vec<u8>> = (0..40u8)
            .map(|i| vec![i; if i == 39 { 5 } else { SEGMENT + TAG }])
            .collect();
        for s in &segments {
            spool.push(s).unwrap();
        }
        assert!(spool.push(b"after the last").is_err());
        for _ in 0..2 {
            let mut back = Vec::new();
            spool
                .read_batches(7, |first, batch| {
                    assert_eq!(first, back.len());
                    assert!(batch.len() <= 7);
                    back.extend_from_slice(batch);
                    Ok::<_, io::Error>(())
                })
                .unwrap();
            assert_eq!(back, segments);
        }
    }
}
