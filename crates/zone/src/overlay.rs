//! The patch a derived version of a zone lays over its base: the nodes
//! that stand in for the base's, and the changed names' new states it was
//! derived from (`patch.rs` derives it, `snapshot.rs` reads through it).

use std::collections::BTreeMap;
use std::sync::Arc;

use wire::Rtype;

use crate::arena::Arena;

/// The patch of a derived version (see the module documentation).
pub(crate) struct Patch {
    /// Nodes standing in for the base's, in canonical order.
    pub(crate) arena: Arena,
    /// The explicit new state of each name changed since the base was
    /// built, keyed by [`canonical_key`] of its relative name.
    pub(crate) changes: Changes,
    /// Patch nodes that exist (not [`FLAG_GONE`]).
    pub(crate) added: usize,
    /// Patch nodes whose name is a base node's.
    pub(crate) replaced: usize,
}

impl Patch {
    /// Heap bytes held (the arena; the change list is of the same order).
    pub(crate) fn heap_bytes(&self) -> usize {
        2 * self.arena.heap_bytes()
    }
}

/// The changed names by [`canonical_key`], shared between versions: a
/// new version copies the map's pointers, not its contents.
pub(crate) type Changes = BTreeMap<Arc<[u16]>, Arc<Change>>;

/// The new state of one name: its RRsets, none when it holds no records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) rel: Vec<u8>,
    pub(crate) sets: Vec<Set>,
}

/// One RRset as a change holds it: RDATA sorted and unique, as a build
/// orders them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Set {
    pub(crate) rtype: Rtype,
    pub(crate) ttl: u32,
    pub(crate) rdatas: Vec<Vec<u8>>,
}
