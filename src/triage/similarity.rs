//! How alike two tips' texts are: the Jaccard similarity of their sets of
//! character trigrams, estimated from a small sketch stored with each tip
//! (`tips.case_sketch`), so that deciding a new tip's case costs the same
//! whatever the length of the tips it is compared with.
//!
//! **Normalized trigrams.** The text is the folded copy the desk's search
//! uses (`tips.search_text`, [`crate::domain::folding`]: case, Unicode
//! normalization, Persian/Arabic letter variants, digits of every script);
//! every run of characters that are not letters or digits becomes one
//! space, so punctuation and spacing change nothing. Its trigrams are
//! every three consecutive characters (Unicode scalar values), spaces
//! included, so word boundaries count. A text of one or two characters is
//! its own single gram; an empty one has none and is like nothing.
//!
//! **The sketch** is a bottom-k sketch (Broder, "On the resemblance and
//! containment of documents", 1997; the estimator of Cohen and Kaplan,
//! "Summarizing data using bottom-k sketches", PODC 2007): each trigram is
//! hashed once to 32 bits and the [`SKETCH_LEN`] smallest distinct hashes
//! are kept. For two texts, the `SKETCH_LEN` smallest hashes of the two
//! sketches together are the `SKETCH_LEN` smallest of the union of the two
//! trigram sets, and whether each is in one text or both is known exactly;
//! the share that is in both estimates the Jaccard similarity. A text of
//! fewer than [`SKETCH_LEN`] distinct trigrams (about 60 characters) keeps
//! them all, so short tips are compared exactly; for longer ones the
//! standard error is about `sqrt(J(1-J)/64)`: ±0.05 at 0.8.
//!
//! Written by hand, and why: the crates that do MinHash (`gaoya`,
//! `datasketch-minhash-lsh`, `minhash-rs`) draw their hash functions from
//! `rand`'s `StdRng`, whose output `rand` documents as not reproducible
//! across its versions: a stored sketch would silently stop matching new
//! ones after a dependency update. They also bring thread pools and
//! indexes this needs none of. What is here is one fixed hash (SipHash-1-3
//! with fixed keys, from the `siphasher` crate, whose output is the
//! algorithm's and so never changes), a sort, and a merge.

use siphasher::sip::SipHasher13;
use std::hash::Hasher;

/// Hashes kept per text: 64 × 4 bytes stored per tip.
pub const SKETCH_LEN: usize = 64;

/// Fixed keys: a sketch must mean the same in every process and version.
/// (Not a secret: the sketch reveals no more than the text's length.)
const KEYS: (u64, u64) = (0x7469_7064_6573_6b31, 0x6361_7365_7331_3837);

/// A text's bottom-k sketch: up to [`SKETCH_LEN`] distinct 32-bit trigram
/// hashes, smallest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sketch(Vec<u32>);

impl Sketch {
    /// The sketch of `folded`, a text already folded
    /// ([`crate::domain::folding::fold`]); see the module doc. Linear in
    /// the text's length, plus a sort of its trigram hashes.
    pub fn of(folded: &str) -> Self {
        let chars = normalized(folded);
        let mut hashes: Vec<u32> = if chars.len() < 3 {
            if chars.is_empty() {
                Vec::new()
            } else {
                vec![hash(&chars)]
            }
        } else {
            chars.windows(3).map(hash).collect()
        };
        hashes.sort_unstable();
        hashes.dedup();
        hashes.truncate(SKETCH_LEN);
        Self(hashes)
    }

    /// The stored form: each hash as 4 bytes, big-endian, smallest first.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|h| h.to_be_bytes()).collect()
    }

    /// Reads a stored sketch back; `None` for bytes no [`Sketch::to_bytes`]
    /// wrote (a length that is no whole number of hashes, more than
    /// [`SKETCH_LEN`] of them, or hashes not strictly increasing).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() % 4 != 0 || bytes.len() > 4 * SKETCH_LEN {
            return None;
        }
        let hashes: Vec<u32> = bytes
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        hashes
            .windows(2)
            .all(|w| w[0] < w[1])
            .then_some(Self(hashes))
    }

    /// The estimated Jaccard similarity of the two texts' trigram sets,
    /// from 0 (nothing shared, or either text empty) to 1 (the same set).
    /// Exact when both texts are short (see the module doc).
    pub fn similarity(&self, other: &Sketch) -> f64 {
        let (a, b) = (&self.0, &other.0);
        let (mut i, mut j) = (0, 0);
        let (mut taken, mut shared) = (0_usize, 0_usize);
        while taken < SKETCH_LEN && (i < a.len() || j < b.len()) {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x == y => {
                    shared += 1;
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x < y => i += 1,
                (Some(_), Some(_)) => j += 1,
                // One sketch is spent. If it was cut at SKETCH_LEN, the
                // other's next hash is past what it knows: stop (the
                // union's smallest SKETCH_LEN were all seen by then).
                (Some(_), None) if b.len() == SKETCH_LEN => break,
                (None, Some(_)) if a.len() == SKETCH_LEN => break,
                (Some(_), None) => i += 1,
                (None, Some(_)) => j += 1,
                (None, None) => break,
            }
            taken += 1;
        }
        if taken == 0 {
            0.0
        } else {
            shared as f64 / taken as f64
        }
    }
}

/// The text's characters with every run of non-alphanumeric ones as one
/// space, trimmed.
fn normalized(folded: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if out.last().is_some_and(|l| *l != ' ') {
            out.push(' ');
        }
    }
    if out.last() == Some(&' ') {
        out.pop();
    }
    out
}

fn hash(gram: &[char]) -> u32 {
    let mut h = SipHasher13::new_with_keys(KEYS.0, KEYS.1);
    let mut buf = [0_u8; 4];
    for c in gram {
        h.write(c.encode_utf8(&mut buf).as_bytes());
    }
    // The high half: SipHash's bits are uniform throughout.
    (h.finish() >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::folding::fold;
    use std::collections::BTreeSet;

    fn sketch(text: &str) -> Sketch {
        Sketch::of(&fold(text))
    }

    /// The exact Jaccard similarity of two texts' trigram sets.
    fn jaccard(a: &str, b: &str) -> f64 {
        let grams = |t: &str| -> BTreeSet<Vec<char>> {
            normalized(&fold(t))
                .windows(3)
                .map(<[char]>::to_vec)
                .collect()
        };
        let (a, b) = (grams(a), grams(b));
        a.intersection(&b).count() as f64 / a.union(&b).count() as f64
    }

    #[test]
    fn the_same_words_however_typed_are_the_same() {
        let a = sketch("The bridge on Route 7 collapsed at 9am!");
        let b = sketch("the  bridge on route 7 — collapsed at 9AM");
        assert_eq!(a.similarity(&b), 1.0);
        // Persian with Arabic letter forms, ZWNJ and Persian digits.
        let fa = sketch("پل می‌خواهد در ساعت ۹ بسته شود");
        let ar = sketch("پل میخواهد در ساعت 9 بسته شود");
        assert_eq!(fa.similarity(&ar), 1.0);
    }

    #[test]
    fn short_texts_are_compared_exactly() {
        let a = "The bridge on Route 7 collapsed this morning";
        let b = "The bridge on Route 7 collapsed this evening";
        let estimated = sketch(a).similarity(&sketch(b));
        assert!((estimated - jaccard(a, b)).abs() < 1e-9, "{estimated}");
        assert!(estimated > 0.6 && estimated < 0.9, "{estimated}");
    }

    #[test]
    fn long_texts_are_estimated_closely() {
        let base: String = (0..40)
            .map(|i| format!("Sentence {i} says the bridge at Route {i} was closed by police. "))
            .collect();
        let edited = base
            .replace("Sentence 3 ", "Line three ")
            .replace("police", "the police");
        let words = [
            "mayor", "opened", "school", "garden", "children", "teachers", "books",
        ];
        let other: String = (0..280)
            .map(|i| format!("{} ", words[(i * i + 3 * i) % words.len()]))
            .collect();
        for (a, b) in [(&base, &edited), (&base, &other)] {
            let estimated = sketch(a).similarity(&sketch(b));
            let exact = jaccard(a, b);
            assert!((estimated - exact).abs() < 0.15, "{estimated} vs {exact}");
        }
        assert!(sketch(&base).similarity(&sketch(&other)) < 0.3);
    }

    #[test]
    fn different_texts_are_not_alike_and_empty_is_like_nothing() {
        let a = sketch("The bridge on Route 7 collapsed this morning");
        let b = sketch("The mayor's name is misspelled in the caption");
        assert!(a.similarity(&b) < 0.2, "{}", a.similarity(&b));
        let empty = sketch("!!! ...");
        assert_eq!(empty.similarity(&empty), 0.0);
        assert_eq!(a.similarity(&empty), 0.0);
        assert_eq!(sketch("ok").similarity(&sketch("OK")), 1.0);
    }

    #[test]
    fn similarity_is_symmetric() {
        let texts = [
            "a",
            "The bridge collapsed",
            "The bridge on Route 7 collapsed at nine in the morning, say witnesses",
            &"long text with many words ".repeat(30),
        ];
        for a in texts {
            for b in texts {
                assert_eq!(
                    sketch(a).similarity(&sketch(b)),
                    sketch(b).similarity(&sketch(a))
                );
            }
        }
    }

    #[test]
    fn stored_form_round_trips_and_refuses_what_it_never_wrote() {
        let long: String = (0..30)
            .map(|i| format!("flood {i} in valley {} ", i * 7))
            .collect();
        let s = sketch(&long);
        assert_eq!(s.0.len(), SKETCH_LEN);
        assert_eq!(Sketch::from_bytes(&s.to_bytes()), Some(s));
        assert_eq!(Sketch::from_bytes(&[]), Some(Sketch(Vec::new())));
        assert_eq!(Sketch::from_bytes(&[1, 2, 3]), None);
        assert_eq!(Sketch::from_bytes(&[0, 0, 0, 2, 0, 0, 0, 1]), None);
        assert_eq!(Sketch::from_bytes(&vec![0; 4 * SKETCH_LEN + 4]), None);
    }

    #[test]
    fn the_hash_is_fixed_for_good() {
        // Stored sketches are compared with new ones: a change here would
        // make every stored sketch like nothing.
        assert_eq!(
            sketch("abc").to_bytes(),
            hash(&['a', 'b', 'c']).to_be_bytes()
        );
        assert_eq!(hash(&['a', 'b', 'c']), FIXED_ABC);
    }

    /// The high 32 bits of SipHash-1-3 of `abc` under [`KEYS`], as an
    /// independent implementation (written from the SipHash paper, in
    /// Python) computes them.
    const FIXED_ABC: u32 = 2_022_748_659;
}
