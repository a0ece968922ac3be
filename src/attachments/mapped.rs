//! A whole photo in memory, as removing its metadata needs it
//! ([`super::strip`]), held in an anonymous memory mapping of its own
//! rather than on the heap: the mapping goes back to the kernel the moment
//! it is dropped, whatever else the process holds.
//!
//! Why not a `Vec`: glibc's malloc serves a block over its mmap threshold
//! (128 KiB at start) with a mapping of its own, but freeing such a block
//! raises the threshold to its size (up to 32 MiB: the "dynamic mmap
//! threshold", mallopt(3)). Once the first 20 MiB photo was freed, the
//! next ones came from the worker threads' heap arenas, which keep freed
//! memory resident (an arena is trimmed only at its top). Ten 20 MiB JPEGs
//! cleaned at once (BENCHMARKS.md, row 9c; issue 17 allows 150 MB) peaked
//! at 154.2 MB in one full benchmark run and 126.6 MB in the next; with
//! the threshold held at 1 MiB (`GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1048576`)
//! at 87.2 MB. The crate forbids `unsafe`, so `mallopt` is not an option,
//! and a variable every operator must set is one more way to get it
//! wrong; `memmap2`'s anonymous mappings are safe to make and take the
//! photo off the heap without it: 9c then peaked at 98.7, 96.9 and
//! 94.4 MB in three runs (main: 160.1 MB in the same conditions).

use std::io::{self, Write};
use std::ops::{Deref, DerefMut};

use img_parts::Bytes;
use memmap2::MmapMut;

/// Bytes in an anonymous memory mapping of their own, unmapped when
/// dropped.
pub struct Mapped(MmapMut);

impl Mapped {
    /// `len` zero bytes. Pages take memory only once written.
    ///
    /// # Errors
    /// The kernel refused the mapping (no memory or address space left).
    pub fn zeroed(len: usize) -> io::Result<Self> {
        MmapMut::map_anon(len).map(Self)
    }

    /// A copy of `content`.
    ///
    /// # Errors
    /// As [`Self::zeroed`].
    pub fn copy_of(content: &[u8]) -> io::Result<Self> {
        let mut out = Self::zeroed(content.len())?;
        out.copy_from_slice(content);
        Ok(out)
    }

    /// What `write` writes, in a mapping of exactly its length: `write`
    /// is called twice, once to count the bytes and once to write them,
    /// and must write the same both times.
    ///
    /// # Errors
    /// The first error of `write`; [`Self::zeroed`]'s; an error when the
    /// second call wrote more or less than the first.
    pub fn written(write: impl Fn(&mut dyn Write) -> io::Result<()>) -> io::Result<Self> {
        let mut count = Count(0);
        write(&mut count)?;
        let mut out = Self::zeroed(count.0)?;
        let mut rest: &mut [u8] = &mut out;
        // A slice refuses to be written past its end (`WriteZero`).
        write(&mut rest)?;
        if !rest.is_empty() {
            return Err(io::Error::other("written shorter than counted"));
        }
        Ok(out)
    }

    /// The same bytes as [`Bytes`] (no copy): the mapping lives as long as
    /// any slice of them.
    pub fn into_bytes(self) -> Bytes {
        Bytes::from_owner(self)
    }
}

impl Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl DerefMut for Mapped {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for Mapped {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

/// Only the length: the content is a reader's photo.
impl std::fmt::Debug for Mapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapped")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// A writer that only counts.
struct Count(usize);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_written_in_comes_back_out_also_as_bytes_that_outlive_the_handle() {
        let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut mapped = Mapped::zeroed(content.len()).unwrap();
        assert!(mapped.iter().all(|&b| b == 0));
        mapped.copy_from_slice(&content);
        assert_eq!(&*mapped, &content[..]);
        assert_eq!(Mapped::copy_of(&content).unwrap(), mapped);
        let tail = mapped.into_bytes().slice(100_000..);
        assert_eq!(tail, content[100_000..]);
        assert!(Mapped::zeroed(0).unwrap().is_empty());
    }

    #[test]
    fn written_holds_exactly_what_was_written_and_refuses_a_second_pass_that_differs() {
        let out = Mapped::written(|w| {
            w.write_all(b"first ")?;
            w.write_all(&[7; 70_000])?;
            w.write_all(b" last")
        })
        .unwrap();
        assert_eq!(out.len(), 6 + 70_000 + 5);
        assert!(out.starts_with(b"first \x07") && out.ends_with(b"\x07 last"));

        // Longer, then shorter, the second time than the first.
        for (first, second) in [(5, 10), (10, 5)] {
            let calls = std::cell::Cell::new(0);
            let result = Mapped::written(|w| {
                calls.set(calls.get() + 1);
                w.write_all(&vec![1; if calls.get() == 1 { first } else { second }])
            });
            assert!(result.is_err(), "{first} then {second}");
        }
        assert!(Mapped::written(|_| Err(io::Error::other("no"))).is_err());
    }
}
