//! The flat layout a snapshot is made of: nodes (owner names and empty
//! non-terminals) in canonical order, their lower-case names relative to
//! the apex in one byte arena, RRsets and RDATA in two more vectors, and
//! one hash table from name to node. A built zone is one [`Arena`]; a
//! version derived from it lays a second, small one over it (`overlay.rs`).

use std::hash::BuildHasher;

use hashbrown::HashTable;
use wire::Rtype;
use wire::name;

/// Index of a node in [`Zone::nodes`].
pub type NodeId = u32;
/// Index of an RRset in the zone.
pub type RrsetId = u32;

/// Sentinel for "no node".
pub(crate) const NO_NODE: NodeId = u32::MAX;

/// Node flag: the node owns an NS RRset and is not the apex (a zone cut).
pub(crate) const FLAG_CUT: u8 = 1;
/// Node flag: the node owns a DNAME RRset.
pub(crate) const FLAG_DNAME: u8 = 2;
/// Node flag: a child named `*` exists (RFC 4592 source of synthesis).
pub(crate) const FLAG_WILDCARD_CHILD: u8 = 4;
/// Node flag: the node lies below a zone cut or a DNAME (`occluder`).
pub(crate) const FLAG_OCCLUDED: u8 = 8;
/// Node flag: the node's own first label is `*`.
pub(crate) const FLAG_WILDCARD: u8 = 16;
/// Node flag: the node owns a CNAME RRset.
pub(crate) const FLAG_CNAME: u8 = 32;
/// Node flag, in a patch only: the base node of this name is gone.
pub(crate) const FLAG_GONE: u8 = 64;

/// The bit that marks a [`NodeId`] or [`RrsetId`] as the patch's rather
/// than the base's (see [`crate::patch`]).
pub(crate) const PATCH_BIT: u32 = 1 << 31;

/// One owner name (or empty non-terminal) of the zone.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    /// Offset of the relative lower-case name in `Zone::names`.
    pub name: u32,
    /// First RRset in `Zone::rrsets`.
    pub rrsets: u32,
    /// The highest zone cut or DNAME owner above this node, when occluded.
    pub occluder: NodeId,
    /// Number of RRsets.
    pub rrsets_len: u16,
    /// Length of the relative name.
    pub name_len: u8,
    /// `FLAG_*` bits.
    pub flags: u8,
}

/// One RRset.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rrset {
    /// Offset of the first RDATA in `Zone::rdata` (each is a u16 length then the octets).
    pub rdata: u32,
    /// TTL shared by the set.
    pub ttl: u32,
    /// Record type.
    pub rtype: Rtype,
    /// Number of records.
    pub count: u16,
}

/// Nodes, their names, RRsets and RDATA in canonical order, with the hash
/// table that finds a node by its relative name: the whole of a built
/// zone, or the few nodes of a patch laid over one.
pub(crate) struct Arena {
    pub(crate) names: Vec<u8>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) table: HashTable<NodeId>,
    pub(crate) hasher: foldhash::fast::RandomState,
    pub(crate) rrsets: Vec<Rrset>,
    pub(crate) rdata: Vec<u8>,
}

impl Arena {
    /// An empty arena sized for `nodes` nodes.
    pub(crate) fn with_capacity(nodes: usize) -> Arena {
        Arena {
            names: Vec::new(),
            nodes: Vec::with_capacity(nodes),
            table: HashTable::with_capacity(nodes),
            hasher: foldhash::fast::RandomState::default(),
            rrsets: Vec::new(),
            rdata: Vec::new(),
        }
    }

    /// The index of the node named `rel` (relative, lower case).
    #[inline]
    pub(crate) fn lookup(&self, rel: &[u8]) -> Option<NodeId> {
        let hash = self.hasher.hash_one(rel);
        self.table
            .find(hash, |&id| {
                node_name(&self.names, &self.nodes[id as usize]) == rel
            })
            .copied()
    }

    /// The relative name of node `index`.
    #[inline]
    pub(crate) fn name(&self, index: usize) -> &[u8] {
        node_name(&self.names, &self.nodes[index])
    }

    /// Appends `node` (whose name is already in `names`) and indexes it.
    pub(crate) fn push_node(&mut self, node: Node) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(node);
        let hash = self.hasher.hash_one(node_name(&self.names, &node));
        let Arena {
            nodes,
            names,
            hasher,
            table,
            ..
        } = self;
        table.insert_unique(hash, id, |&other| {
            hasher.hash_one(node_name(names, &nodes[other as usize]))
        });
        id
    }

    /// Sets the occlusion and wildcard-child flags of nodes laid out in
    /// canonical order: parents come first, so one forward pass sees every
    /// parent finished.
    ///
    /// A node's parent is the nearest node before it that is its
    /// ancestor: kept on a stack of the current node's ancestors, so no
    /// name is looked up.
    pub(crate) fn mark_occlusion(&mut self) {
        let zone = self;
        let mut ancestors: Vec<NodeId> = Vec::new();
        for id in 0..zone.nodes.len() {
            let node = zone.nodes[id];
            let rel = node_name(&zone.names, &node);
            let parent_rel: &[u8] = if rel.is_empty() {
                &[]
            } else {
                &rel[1 + rel[0] as usize..]
            };
            while let Some(&top) = ancestors.last() {
                let top_rel = node_name(&zone.names, &zone.nodes[top as usize]);
                if top_rel.len() <= parent_rel.len() && name::is_subdomain_wire(parent_rel, top_rel)
                {
                    break;
                }
                ancestors.pop();
            }
            let parent = ancestors
                .last()
                .copied()
                .filter(|&top| node_name(&zone.names, &zone.nodes[top as usize]) == parent_rel);
            ancestors.push(id as NodeId);
            if node.name_len == 0 {
                continue;
            }
            // Building adds every empty non-terminal, so a parent is always
            // there; a name without one is left as it is.
            let Some(parent) = parent else {
                continue;
            };
            let parent_node = zone.nodes[parent as usize];
            let occluder = if parent_node.flags & FLAG_OCCLUDED != 0 {
                parent_node.occluder
            } else if parent_node.flags & (FLAG_CUT | FLAG_DNAME) != 0 {
                parent
            } else {
                NO_NODE
            };
            if occluder != NO_NODE {
                zone.nodes[id].flags |= FLAG_OCCLUDED;
                zone.nodes[id].occluder = occluder;
            }
            if node.flags & FLAG_WILDCARD != 0 {
                zone.nodes[parent as usize].flags |= FLAG_WILDCARD_CHILD;
            }
        }
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.names.capacity()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.table.capacity() * (std::mem::size_of::<NodeId>() + 1)
            + self.rrsets.capacity() * std::mem::size_of::<Rrset>()
            + self.rdata.capacity()
    }
}

#[inline]
pub(crate) fn node_name<'a>(names: &'a [u8], node: &Node) -> &'a [u8] {
    &names[node.name as usize..node.name as usize + node.name_len as usize]
}

/// Iterator over the RDATA of an RRset.
pub(crate) struct RdataIter<'a> {
    rdata: &'a [u8],
    pos: usize,
    left: u16,
}

impl<'a> RdataIter<'a> {
    /// The `count` RDATA stored from `pos` of an arena's `rdata`.
    pub(crate) fn new(rdata: &'a [u8], pos: usize, count: u16) -> RdataIter<'a> {
        RdataIter {
            rdata,
            pos,
            left: count,
        }
    }
}

impl<'a> Iterator for RdataIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let len = u16::from_be_bytes([self.rdata[self.pos], self.rdata[self.pos + 1]]) as usize;
        let out = &self.rdata[self.pos + 2..self.pos + 2 + len];
        self.pos += 2 + len;
        Some(out)
    }
}
