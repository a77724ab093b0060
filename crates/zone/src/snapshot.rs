//! The immutable zone snapshot and how it is built from records.
//!
//! Layout, chosen for the query path: every node (owner name or empty
//! non-terminal) is a small fixed-size struct in one vector, in canonical
//! order; its name lives in one shared arena as lower-case wire labels
//! *relative to the apex*; one hash table maps those labels to the node.
//! RRsets and their RDATA live in two more flat vectors. Precompiled answers
//! ([`crate::precompiled`]) sit in a byte arena beside them. A lookup is one
//! hash probe plus a few slice reads, and allocates nothing.

use wire::name::{self, MAX_NAME_LEN, canonical_cmp_wire};
use wire::{Class, Name, Record, Rtype, Serial};

pub(crate) use crate::arena::{
    Arena, FLAG_CNAME, FLAG_CUT, FLAG_DNAME, FLAG_GONE, FLAG_OCCLUDED, FLAG_WILDCARD,
    FLAG_WILDCARD_CHILD, Node, PATCH_BIT, RdataIter, Rrset,
};
pub use crate::arena::{NodeId, RrsetId};
use crate::compiled;
use crate::overlay::Patch;

/// Why records could not become a zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    /// No SOA record at the apex.
    #[error("zone {0} has no SOA record at its apex")]
    NoSoa(Name),
    /// More than one SOA record.
    #[error("zone {0} has more than one SOA record")]
    MultipleSoa(Name),
    /// The SOA RDATA is malformed.
    #[error("zone {0} has a malformed SOA record")]
    BadSoa(Name),
    /// A record's owner is not at or below the apex.
    #[error("record {owner} is outside zone {apex}")]
    OutOfZone {
        /// The zone.
        apex: Name,
        /// The stray owner.
        owner: Name,
    },
    /// A record of another class than the zone's.
    #[error("record {owner} has class {class}, not IN")]
    WrongClass {
        /// Owner of the record.
        owner: Name,
        /// Its class.
        class: Class,
    },
    /// A type that cannot be stored (OPT, TSIG, meta types).
    #[error("record {owner} has type {rtype}, which cannot appear in a zone")]
    MetaType {
        /// Owner of the record.
        owner: Name,
        /// The type.
        rtype: Rtype,
    },
    /// The zone is too large for the snapshot's 32-bit offsets.
    #[error("zone {0} is too large")]
    TooLarge(Name),
}

/// The SOA fields the query path needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoaFields {
    /// The zone serial.
    pub serial: Serial,
    /// Refresh interval (seconds).
    pub refresh: u32,
    /// Retry interval (seconds).
    pub retry: u32,
    /// Expire interval (seconds).
    pub expire: u32,
    /// MINIMUM: the negative caching TTL (RFC 2308 §4).
    pub minimum: u32,
    /// TTL of the SOA record itself.
    pub ttl: u32,
}

/// How to build a snapshot.
#[derive(Clone, Copy, Debug)]
pub struct BuildOptions {
    /// Precompile answers into wire form (the fast path). Off only for tools
    /// that load a zone without serving it.
    pub precompile: bool,
}

impl Default for BuildOptions {
    fn default() -> BuildOptions {
        BuildOptions { precompile: true }
    }
}

/// An immutable, fully indexed zone: a base [`Arena`], shared between
/// versions, and for a version derived by [`Zone::apply`] a small patch
/// whose nodes stand in for the base's of the same name.
pub struct Zone {
    pub(crate) apex: Name,
    pub(crate) soa: SoaFields,
    pub(crate) base: std::sync::Arc<Arena>,
    pub(crate) patch: Option<std::sync::Arc<Patch>>,
    /// The apex node: 0, or its patch node once a change touched it.
    pub(crate) apex_node: NodeId,
    /// Answers in wire form, once compiled (see [`Zone::compile`]); until
    /// then every query takes the general path.
    pub(crate) compiled: std::sync::OnceLock<compiled::Compiled>,
    pub(crate) signed: bool,
    /// RRSIG records held: the zone is signed while there are any.
    pub(crate) rrsig_count: usize,
    pub(crate) record_count: usize,
}

impl Zone {
    /// The apex, lower-cased.
    pub fn apex(&self) -> &Name {
        &self.apex
    }

    /// The SOA serial.
    pub fn serial(&self) -> Serial {
        self.soa.serial
    }

    /// The SOA timers and TTLs.
    pub fn soa_fields(&self) -> SoaFields {
        self.soa
    }

    /// Number of records after merging duplicates.
    pub fn record_count(&self) -> usize {
        self.record_count
    }

    /// Whether the zone carries RRSIG records (served with DO=1).
    pub fn is_signed(&self) -> bool {
        self.signed
    }

    /// Number of nodes, empty non-terminals included.
    pub fn node_count(&self) -> usize {
        match &self.patch {
            None => self.base.nodes.len(),
            Some(patch) => self.base.nodes.len() + patch.added - patch.replaced,
        }
    }

    /// Bytes held by the snapshot's arenas and tables (for metrics and
    /// the memory benchmark; excludes allocator overhead).
    pub fn heap_bytes(&self) -> usize {
        self.base.heap_bytes()
            + self.patch.as_ref().map_or(0, |p| p.heap_bytes())
            + self
                .compiled
                .get()
                .map_or(0, compiled::Compiled::heap_bytes)
    }

    /// The arena holding node or RRset `id`, and its index there.
    #[inline]
    fn arena_of(&self, id: u32) -> (&Arena, usize) {
        match &self.patch {
            Some(patch) if id & PATCH_BIT != 0 => (&patch.arena, (id & !PATCH_BIT) as usize),
            _ => (&self.base, id as usize),
        }
    }

    /// Finds the node whose relative lower-case name is `rel`: the patch's
    /// node of that name when there is one (none if it is gone), else the
    /// base's.
    #[inline]
    pub(crate) fn lookup_relative(&self, rel: &[u8]) -> Option<NodeId> {
        if let Some(patch) = &self.patch
            && let Some(index) = patch.arena.lookup(rel)
        {
            return (patch.arena.nodes[index as usize].flags & FLAG_GONE == 0)
                .then_some(index | PATCH_BIT);
        }
        self.base.lookup(rel)
    }

    /// The node that stands for base node `id` now: `id` itself unless a
    /// patch replaced it (`None` if the patch removed it). Occluder links
    /// of base nodes point into the base and go through here.
    #[inline]
    pub(crate) fn live(&self, id: NodeId) -> Option<NodeId> {
        match &self.patch {
            Some(_) if id & PATCH_BIT == 0 => self.lookup_relative(self.base.name(id as usize)),
            _ => Some(id),
        }
    }

    /// Whether base node `index` is replaced or removed by the patch.
    pub(crate) fn superseded(&self, index: usize) -> bool {
        self.patch
            .as_ref()
            .is_some_and(|patch| patch.arena.lookup(self.base.name(index)).is_some())
    }

    /// A node.
    #[inline]
    pub(crate) fn node(&self, id: NodeId) -> Node {
        let (arena, index) = self.arena_of(id);
        arena.nodes[index]
    }

    /// An RRset.
    #[inline]
    pub(crate) fn rrset(&self, set: RrsetId) -> Rrset {
        let (arena, index) = self.arena_of(set);
        arena.rrsets[index]
    }

    /// The id of the `i`-th RRset of node `id`.
    #[inline]
    pub(crate) fn rrset_id(&self, id: NodeId, i: usize) -> RrsetId {
        (self.node(id).rrsets + i as u32) | (id & PATCH_BIT)
    }

    /// The node's relative lower-case name.
    #[inline]
    pub(crate) fn relative_name(&self, id: NodeId) -> &[u8] {
        let (arena, index) = self.arena_of(id);
        arena.name(index)
    }

    /// Every live node in canonical order: the base's not replaced, merged
    /// with the patch's not gone.
    pub(crate) fn node_ids(&self) -> Box<dyn Iterator<Item = NodeId> + '_> {
        match &self.patch {
            None => Box::new(0..self.base.nodes.len() as NodeId),
            Some(patch) => Box::new(Merged::new(self, patch)),
        }
    }

    /// Writes the node's full name into `out` and returns its length.
    pub(crate) fn full_name(&self, id: NodeId, out: &mut [u8; MAX_NAME_LEN]) -> usize {
        let rel = self.relative_name(id);
        let apex = self.apex.as_wire();
        out[..rel.len()].copy_from_slice(rel);
        out[rel.len()..rel.len() + apex.len()].copy_from_slice(apex);
        rel.len() + apex.len()
    }

    /// The RRsets of a node.
    pub(crate) fn node_rrsets(&self, id: NodeId) -> &[Rrset] {
        let (arena, index) = self.arena_of(id);
        let node = &arena.nodes[index];
        &arena.rrsets[node.rrsets as usize..node.rrsets as usize + node.rrsets_len as usize]
    }

    /// The RRset of `rtype` at a node.
    pub(crate) fn find_rrset(&self, id: NodeId, rtype: Rtype) -> Option<RrsetId> {
        self.node_rrsets(id)
            .iter()
            .position(|set| set.rtype == rtype)
            .map(|i| self.rrset_id(id, i))
    }

    /// The RDATA of each record in an RRset.
    pub(crate) fn rdatas(&self, set: RrsetId) -> RdataIter<'_> {
        let (arena, index) = self.arena_of(set);
        let set = &arena.rrsets[index];
        RdataIter::new(&arena.rdata, set.rdata as usize, set.count)
    }

    /// Iterates over every record of the zone in canonical order, SOA first
    /// — the order an AXFR sends (RFC 5936 §2.2) minus the closing SOA.
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        let apex = self.apex_node;
        let soa_set = self.find_rrset(apex, Rtype::SOA);
        let soa = soa_set
            .into_iter()
            .flat_map(move |set| self.records_of(apex, set));
        let rest = self.node_ids().flat_map(move |id| {
            (0..self.node(id).rrsets_len as usize)
                .map(move |i| self.rrset_id(id, i))
                .filter(move |&set| Some(set) != soa_set)
                .flat_map(move |set| self.records_of(id, set))
        });
        soa.chain(rest)
    }

    /// Every record in canonical order: owners as RFC 4034 §6.1 orders
    /// them, then type, then RDATA octets. Two snapshots listed this way can
    /// be compared in one merging pass.
    pub fn canonical_records(&self) -> impl Iterator<Item = Record> + '_ {
        self.node_ids().flat_map(move |id| {
            (0..self.node(id).rrsets_len as usize)
                .flat_map(move |i| self.records_of(id, self.rrset_id(id, i)))
        })
    }

    fn records_of(&self, id: NodeId, set: RrsetId) -> impl Iterator<Item = Record> + '_ {
        let mut buf = [0u8; MAX_NAME_LEN];
        let len = self.full_name(id, &mut buf);
        let owner = Name::from_wire(&buf[..len]).unwrap_or_else(|_| Name::root());
        let info = self.rrset(set);
        self.rdatas(set).map(move |rdata| Record {
            owner: owner.clone(),
            rtype: info.rtype,
            class: Class::IN,
            ttl: info.ttl,
            rdata: rdata.to_vec(),
        })
    }

    /// Every RRset in canonical order of owners, SOA first: what an AXFR
    /// sends, without copying RDATA.
    pub fn rrsets(&self) -> impl Iterator<Item = RrsetView<'_>> + '_ {
        let apex = self.apex_node;
        let soa_set = self.find_rrset(apex, Rtype::SOA);
        let soa = soa_set.map(|set| self.rrset_view(apex, set));
        let rest = self.node_ids().flat_map(move |id| {
            (0..self.node(id).rrsets_len as usize)
                .map(move |i| self.rrset_id(id, i))
                .filter(move |&set| Some(set) != soa_set)
                .map(move |set| self.rrset_view(id, set))
        });
        soa.into_iter().chain(rest)
    }

    fn rrset_view(&self, node: NodeId, set: RrsetId) -> RrsetView<'_> {
        let info = self.rrset(set);
        RrsetView {
            zone: self,
            node,
            rrset: set,
            rtype: info.rtype,
            ttl: info.ttl,
        }
    }

    /// The RDATA of the `rtype` RRset at `name`, when the zone holds that
    /// name itself (no wildcard, no delegation logic): for the replication
    /// layer's own lookups, such as the addresses of NS targets.
    pub fn rdata_at(&self, name: &Name, rtype: Rtype) -> Vec<Vec<u8>> {
        if !name.is_subdomain_of(&self.apex) {
            return Vec::new();
        }
        let lower = name.to_lowercase();
        match self.lookup_relative(lower.relative_to(&self.apex)) {
            Some(id) => self
                .find_rrset(id, rtype)
                .map(|set| self.rdatas(set).map(<[u8]>::to_vec).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// Every record owned by `name` itself (no wildcard, no delegation
    /// logic), in canonical order; none for an empty non-terminal or a
    /// name the zone lacks. What RFC 2136 prerequisites and updates look
    /// at: the names they touch, never the whole zone.
    pub fn records_at(&self, name: &Name) -> Vec<Record> {
        if !name.is_subdomain_of(&self.apex) {
            return Vec::new();
        }
        let lower = name.to_lowercase();
        match self.lookup_relative(lower.relative_to(&self.apex)) {
            Some(id) => (0..self.node(id).rrsets_len as usize)
                .flat_map(|i| self.records_of(id, self.rrset_id(id, i)))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The SOA record.
    pub fn soa_record(&self) -> Record {
        self.records().next().unwrap_or_else(|| Record {
            owner: self.apex.clone(),
            rtype: Rtype::SOA,
            class: Class::IN,
            ttl: self.soa.ttl,
            rdata: Vec::new(),
        })
    }

    /// Whether `qname` (any case) is at or below the apex.
    pub fn contains(&self, qname: &Name) -> bool {
        qname.is_subdomain_of(&self.apex)
    }

    /// Whether the wire name (lower case) is at or below the apex.
    pub(crate) fn contains_wire(&self, qname: &[u8]) -> bool {
        name::is_subdomain_wire(qname, self.apex.as_wire())
    }
}

/// One RRset of a zone, borrowed: owner, type, TTL and the RDATA of each
/// record.
#[derive(Clone, Copy)]
pub struct RrsetView<'z> {
    zone: &'z Zone,
    node: NodeId,
    rrset: RrsetId,
    /// The type.
    pub rtype: Rtype,
    /// The TTL.
    pub ttl: u32,
}

impl<'z> RrsetView<'z> {
    /// Writes the owner's wire form (lower case) into `buf`; returns its length.
    pub fn owner(&self, buf: &mut [u8; MAX_NAME_LEN]) -> usize {
        self.zone.full_name(self.node, buf)
    }

    /// The RDATA of each record.
    pub fn rdatas(self) -> impl Iterator<Item = &'z [u8]> + 'z {
        self.zone.rdatas(self.rrset)
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.zone.rrset(self.rrset).count as usize
    }

    /// Whether the set is empty (never, for a built zone).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The live nodes of a patched version in canonical order: the base's
/// not superseded, merged with the patch's not gone.
pub(crate) struct Merged<'z> {
    zone: &'z Zone,
    patch: &'z Patch,
    base: usize,
    next: usize,
}

impl<'z> Merged<'z> {
    /// Starts at the first node of both.
    pub(crate) fn new(zone: &'z Zone, patch: &'z Patch) -> Merged<'z> {
        Merged {
            zone,
            patch,
            base: 0,
            next: 0,
        }
    }
}

impl Iterator for Merged<'_> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        let base = &self.zone.base;
        let patch = &self.patch.arena;
        while self.base < base.nodes.len() && self.zone.superseded(self.base) {
            self.base += 1;
        }
        while self.next < patch.nodes.len() && patch.nodes[self.next].flags & FLAG_GONE != 0 {
            self.next += 1;
        }
        let take_base = match (self.base < base.nodes.len(), self.next < patch.nodes.len()) {
            (false, false) => return None,
            (true, false) => true,
            (false, true) => false,
            (true, true) => {
                canonical_cmp_wire(base.name(self.base), patch.name(self.next))
                    == std::cmp::Ordering::Less
            }
        };
        if take_base {
            self.base += 1;
            Some((self.base - 1) as NodeId)
        } else {
            self.next += 1;
            Some((self.next - 1) as NodeId | PATCH_BIT)
        }
    }
}

/// A record a zone may hold under `apex` (lower case): at or below the
/// apex, class IN, a type that can be stored, SOA only at the apex.
pub(crate) fn check_record(apex: &Name, record: &Record) -> Result<(), ZoneError> {
    if !record.owner.is_subdomain_of(apex) || (record.rtype == Rtype::SOA && record.owner != *apex)
    {
        return Err(ZoneError::OutOfZone {
            apex: apex.clone(),
            owner: record.owner.clone(),
        });
    }
    if record.class != Class::IN {
        return Err(ZoneError::WrongClass {
            owner: record.owner.clone(),
            class: record.class,
        });
    }
    if record.rtype.is_meta() {
        return Err(ZoneError::MetaType {
            owner: record.owner.clone(),
            rtype: record.rtype,
        });
    }
    Ok(())
}
