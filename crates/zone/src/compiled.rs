//! The stored form of precompiled answers: one snapshot's answers in a
//! byte arena with their lookup tables ([`Compiled`]), and one answer
//! borrowed from it ([`Precompiled`]), whose compression pointers are moved
//! to fit the real question as it is copied out. Compiling and looking up
//! are in `precompiled.rs`.
//!
//! Stored form of one answer, in `Zone::answers`:
//!
//! ```text
//! flags u8 | rcode u8 | compiled question length u8 | ANCOUNT u16 | NSCOUNT u16 | ARCOUNT u16
//! | body length u16 | pointer count u16 | body … | pointer positions (u16 each, into body)
//! ```

use hashbrown::HashTable;
use wire::header::HEADER_LEN;
use wire::{Rcode, Rtype};

pub(crate) const FLAG_AUTHORITATIVE: u8 = 1;
pub(crate) const FLAG_WILDCARD_QUESTION: u8 = 2;
const HEADER: usize = 13;

/// A precompiled answer borrowed from a snapshot.
#[derive(Clone, Copy, Debug)]
pub struct Precompiled<'z> {
    bytes: &'z [u8],
}

impl<'z> Precompiled<'z> {
    /// Whether AA is set (clear for referrals).
    #[inline]
    pub fn authoritative(&self) -> bool {
        self.bytes[0] & FLAG_AUTHORITATIVE != 0
    }

    /// The RCODE.
    #[inline]
    pub fn rcode(&self) -> Rcode {
        Rcode(self.bytes[1] as u16)
    }

    /// Record counts of the answer, authority and additional sections.
    #[inline]
    pub fn counts(&self) -> [u16; 3] {
        [self.u16_at(3), self.u16_at(5), self.u16_at(7)]
    }

    /// Length of the sections in octets.
    #[inline]
    pub fn body_len(&self) -> usize {
        self.u16_at(9) as usize
    }

    #[inline]
    fn u16_at(&self, at: usize) -> u16 {
        u16::from_be_bytes([self.bytes[at], self.bytes[at + 1]])
    }

    /// Appends the sections to `out`, which must hold exactly the header and
    /// a question whose name is `question_len` octets long.
    #[inline]
    pub fn append_to(&self, out: &mut Vec<u8>, question_len: usize) {
        let body_len = self.body_len();
        let pointer_count = self.u16_at(11) as usize;
        let body = &self.bytes[HEADER..HEADER + body_len];
        let start = out.len();
        out.extend_from_slice(body);
        let compiled_len = self.bytes[2] as usize;
        let delta = question_len.wrapping_sub(compiled_len) as u16;
        if delta == 0 {
            return;
        }
        let keep_question = self.bytes[0] & FLAG_WILDCARD_QUESTION != 0;
        let pointers = &self.bytes[HEADER + body_len..HEADER + body_len + 2 * pointer_count];
        for pair in pointers.chunks_exact(2) {
            let at = start + u16::from_be_bytes([pair[0], pair[1]]) as usize;
            let value = u16::from_be_bytes([out[at], out[at + 1]]);
            let target = value & 0x3FFF;
            if keep_question && target as usize == HEADER_LEN {
                continue;
            }
            let moved = 0xC000 | (target.wrapping_add(delta) & 0x3FFF);
            out[at..at + 2].copy_from_slice(&moved.to_be_bytes());
        }
    }
}

/// Marker for "no precompiled answer".
pub(crate) const NO_ANSWER: u32 = u32::MAX;

/// The precompiled answers of one snapshot.
pub(crate) struct Compiled {
    /// Answers, each in the stored form above; exact-table answers have
    /// their key (relative name, type) right in front of them.
    pub(crate) answers: Vec<u8>,
    /// (existing name, type) → offset of the key in `answers`.
    pub(crate) exact: HashTable<u32>,
    /// Per node: first entry in `answer_index`, entry count, and the answer
    /// for every other type (`NO_ANSWER`: take the general path).
    pub(crate) per_node: Vec<NodeAnswers>,
    /// Answers by type of nodes not in the exact table (wildcards).
    pub(crate) answer_index: Vec<(Rtype, u32)>,
    /// NXDOMAIN, compiled behind the apex.
    pub(crate) nxdomain_answer: u32,
}

#[derive(Clone, Copy)]
pub(crate) struct NodeAnswers {
    pub(crate) first: u32,
    pub(crate) count: u16,
    pub(crate) default: u32,
}

impl Compiled {
    /// Bytes held, for metrics.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.answers.capacity()
            + self.exact.capacity() * (std::mem::size_of::<u32>() + 1)
            + self.per_node.capacity() * std::mem::size_of::<NodeAnswers>()
            + self.answer_index.capacity() * std::mem::size_of::<(Rtype, u32)>()
    }

    #[inline]
    pub(crate) fn answer_at(&self, offset: u32) -> Precompiled<'_> {
        Precompiled {
            bytes: &self.answers[offset as usize..],
        }
    }
}

/// Hash of an exact-table key: relative name and type.
#[inline]
pub(crate) fn exact_hash(hasher: &foldhash::fast::RandomState, rel: &[u8], qtype: Rtype) -> u64 {
    use std::hash::BuildHasher;
    hasher.hash_one((rel, qtype.0))
}

/// Length of the key stored in front of an exact-table answer.
#[inline]
pub(crate) fn key_len(rel: &[u8]) -> usize {
    1 + rel.len() + 2
}

/// Whether the key at `offset` is (`rel`, `qtype`).
#[inline]
pub(crate) fn key_matches(answers: &[u8], offset: u32, rel: &[u8], qtype: Rtype) -> bool {
    let at = offset as usize;
    let len = answers[at] as usize;
    len == rel.len()
        && &answers[at + 1..at + 1 + len] == rel
        && answers[at + 1 + len..at + 3 + len] == qtype.0.to_be_bytes()
}
