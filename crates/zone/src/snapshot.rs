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
use wire::rdata;
use wire::{Class, Name, Record, Rtype, Serial};

pub(crate) use crate::arena::{
    Arena, FLAG_CNAME, FLAG_CUT, FLAG_DNAME, FLAG_GONE, FLAG_OCCLUDED, FLAG_WILDCARD,
    FLAG_WILDCARD_CHILD, NO_NODE, Node, PATCH_BIT, RdataIter, Rrset,
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
    /// Builds a snapshot from the zone's records.
    ///
    /// Owners are lower-cased; exact duplicate records are merged; RRsets
    /// whose records disagree on TTL take the smallest (RFC 2181 §5.2 makes
    /// such sets an error; serving the smallest never over-caches).
    pub fn build(
        apex: &Name,
        mut records: Vec<Record>,
        options: BuildOptions,
    ) -> Result<Zone, ZoneError> {
        for record in &mut records {
            if record.owner.as_wire().iter().any(u8::is_ascii_uppercase) {
                record.owner = record.owner.to_lowercase();
            }
        }
        let zone = Zone::build_lowercase(&apex.to_lowercase(), &records, options);
        dispose(records);
        zone
    }

    /// Like [`Zone::build`], leaving the records with the caller (a
    /// secondary writes them to disk while the snapshot is built).
    pub fn build_from_slice(
        apex: &Name,
        records: &[Record],
        options: BuildOptions,
    ) -> Result<Zone, ZoneError> {
        let lower = |r: &Record| !r.owner.as_wire().iter().any(u8::is_ascii_uppercase);
        if records.iter().all(lower) {
            Zone::build_lowercase(&apex.to_lowercase(), records, options)
        } else {
            Zone::build(apex, records.to_vec(), options)
        }
    }

    /// Builds from records whose owners are all lower case, under a
    /// lower-case `apex`.
    fn build_lowercase(
        apex: &Name,
        records: &[Record],
        options: BuildOptions,
    ) -> Result<Zone, ZoneError> {
        let apex = apex.clone();
        let mut soa_count = 0;
        for record in records {
            check_record(&apex, record)?;
            soa_count += usize::from(record.rtype == Rtype::SOA);
        }
        if soa_count == 0 {
            return Err(ZoneError::NoSoa(apex));
        }
        // Order without comparing names over and over: give each distinct
        // owner (and each empty non-terminal above it) a number, sort those
        // few by a canonical key computed once, then sort the records by
        // (owner rank, type, RDATA), which compares integers and octets.
        // Owners are borrowed wire forms (no copies); transfers and zone
        // files group records by owner, so a record whose owner equals the
        // previous one's skips the hash table.
        let apex_len = apex.wire_len();
        let mut ids: std::collections::HashMap<&[u8], u32, foldhash::fast::RandomState> =
            std::collections::HashMap::with_capacity_and_hasher(
                records.len() / 2,
                foldhash::fast::RandomState::default(),
            );
        let mut all_names: Vec<&[u8]> = Vec::new();
        let mut owner_of: Vec<u32> = Vec::with_capacity(records.len());
        let mut previous: Option<(&[u8], u32)> = None;
        for record in records {
            let wire = record.owner.as_wire();
            let id = match previous {
                Some((last, id)) if last == wire => id,
                _ => {
                    let next = all_names.len() as u32;
                    *ids.entry(wire).or_insert_with(|| {
                        all_names.push(wire);
                        next
                    })
                }
            };
            previous = Some((wire, id));
            owner_of.push(id);
        }
        // Empty non-terminals: a parent's wire form is a suffix of its
        // child's, and is inside the zone while it is no shorter than the
        // apex's.
        let owner_count = all_names.len();
        for i in 0..owner_count {
            let mut current = all_names[i];
            while current.len() > apex_len {
                let parent = &current[1 + current[0] as usize..];
                if parent.len() < apex_len || ids.contains_key(parent) {
                    break;
                }
                ids.insert(parent, all_names.len() as u32);
                all_names.push(parent);
                current = parent;
            }
        }
        drop(ids);
        // The canonical keys side by side in one vector: no allocation per
        // name.
        let mut keys: Vec<u16> = Vec::with_capacity(all_names.len() * 16);
        let mut key_at: Vec<(u32, u32)> = Vec::with_capacity(all_names.len());
        for name in &all_names {
            let start = keys.len();
            keys.extend(name::canonical_key(name));
            key_at.push((start as u32, (keys.len() - start) as u32));
        }
        let key = |id: u32| {
            let (start, len) = key_at[id as usize];
            &keys[start as usize..(start + len) as usize]
        };
        let mut order: Vec<u32> = (0..all_names.len() as u32).collect();
        sort_in_two(&mut order, |&a, &b| key(a).cmp(key(b)));
        drop(keys);
        drop(key_at);
        let mut rank = vec![0u32; all_names.len()];
        for (position, &id) in order.iter().enumerate() {
            rank[id as usize] = position as u32;
        }
        // (owner rank << 16 | type, record index): integers to sort, with
        // the RDATA compared only between records of one RRset.
        let mut sorted: Vec<(u64, u32)> = owner_of
            .iter()
            .zip(records)
            .enumerate()
            .map(|(i, (&id, record))| {
                (
                    (u64::from(rank[id as usize]) << 16) | u64::from(record.rtype.0),
                    i as u32,
                )
            })
            .collect();
        drop(owner_of);
        drop(rank);
        sort_in_two(&mut sorted, |a, b| {
            a.0.cmp(&b.0).then_with(|| {
                records[a.1 as usize]
                    .rdata
                    .cmp(&records[b.1 as usize].rdata)
            })
        });
        sorted.dedup_by(|a, b| {
            a.0 == b.0 && records[a.1 as usize].rdata == records[b.1 as usize].rdata
        });
        let all_names: Vec<&[u8]> = order.iter().map(|&id| all_names[id as usize]).collect();
        drop(order);
        let mut soa_records = sorted
            .iter()
            .map(|&(_, i)| &records[i as usize])
            .filter(|r| r.rtype == Rtype::SOA);
        let soa_record = soa_records
            .next()
            .ok_or_else(|| ZoneError::NoSoa(apex.clone()))?;
        if soa_records.next().is_some() {
            return Err(ZoneError::MultipleSoa(apex));
        }
        let numbers =
            rdata::soa_numbers(&soa_record.rdata).ok_or_else(|| ZoneError::BadSoa(apex.clone()))?;
        let soa = SoaFields {
            serial: Serial(numbers[0]),
            refresh: numbers[1],
            retry: numbers[2],
            expire: numbers[3],
            minimum: numbers[4],
            ttl: soa_record.ttl,
        };

        let mut zone = Arena::with_capacity(all_names.len());
        let mut signed = false;
        let mut record_iter = sorted
            .iter()
            .map(|&(key, i)| ((key >> 16) as usize, &records[i as usize]))
            .peekable();
        for (position, full) in all_names.iter().enumerate() {
            let rel = &full[..full.len() - apex_len];
            let name_offset =
                u32::try_from(zone.names.len()).map_err(|_| ZoneError::TooLarge(apex.clone()))?;
            zone.names.extend_from_slice(rel);
            let mut node = Node {
                name: name_offset,
                rrsets: zone.rrsets.len() as u32,
                occluder: NO_NODE,
                rrsets_len: 0,
                name_len: rel.len() as u8,
                flags: if full.len() >= 2 && full[0] == 1 && full[1] == b'*' {
                    FLAG_WILDCARD
                } else {
                    0
                },
            };
            while let Some((_, record)) = record_iter.next_if(|&(rank, _)| rank == position) {
                let same_set = zone
                    .rrsets
                    .last_mut()
                    .filter(|set| node.rrsets_len > 0 && set.rtype == record.rtype);
                match same_set {
                    Some(set) => {
                        set.count += 1;
                        set.ttl = set.ttl.min(record.ttl);
                    }
                    None => {
                        zone.rrsets.push(Rrset {
                            rdata: u32::try_from(zone.rdata.len())
                                .map_err(|_| ZoneError::TooLarge(apex.clone()))?,
                            ttl: record.ttl,
                            rtype: record.rtype,
                            count: 1,
                        });
                        node.rrsets_len += 1;
                    }
                }
                zone.rdata
                    .extend_from_slice(&(record.rdata.len() as u16).to_be_bytes());
                zone.rdata.extend_from_slice(&record.rdata);
                match record.rtype {
                    Rtype::NS if node.name_len > 0 => node.flags |= FLAG_CUT,
                    Rtype::DNAME => node.flags |= FLAG_DNAME,
                    Rtype::CNAME => node.flags |= FLAG_CNAME,
                    Rtype::RRSIG => signed = true,
                    _ => {}
                }
            }
            zone.push_node(node);
        }
        drop(record_iter);
        drop(all_names);
        drop(sorted);

        zone.mark_occlusion();
        zone.names.shrink_to_fit();
        zone.rrsets.shrink_to_fit();
        zone.rdata.shrink_to_fit();
        let record_count = zone.rrsets.iter().map(|set| set.count as usize).sum();
        let rrsig_count = zone
            .rrsets
            .iter()
            .filter(|set| set.rtype == Rtype::RRSIG)
            .map(|set| set.count as usize)
            .sum();
        let zone = Zone {
            apex: apex.clone(),
            soa,
            base: std::sync::Arc::new(zone),
            patch: None,
            apex_node: 0,
            compiled: std::sync::OnceLock::new(),
            signed,
            rrsig_count,
            record_count,
        };
        if options.precompile {
            zone.compile();
        }
        Ok(zone)
    }

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

/// Sorts `items` by `compare` on two threads for large inputs (each half
/// sorted on its own, then merged): loading a zone of a million names
/// spends most of its time sorting. One thread if a second cannot start.
fn sort_in_two<T, F>(items: &mut Vec<T>, compare: F)
where
    T: Copy + Send,
    F: Fn(&T, &T) -> std::cmp::Ordering + Sync,
{
    const IN_TWO_ABOVE: usize = 100_000;
    if items.len() < IN_TWO_ABOVE {
        items.sort_unstable_by(&compare);
        return;
    }
    let middle = items.len() / 2;
    let (low, high) = items.split_at_mut(middle);
    let in_two = std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("zone-sort".into())
            .spawn_scoped(scope, || low.sort_unstable_by(&compare));
        high.sort_unstable_by(&compare);
        helper.is_ok_and(|helper| helper.join().is_ok())
    });
    if !in_two {
        items.sort_unstable_by(&compare);
        return;
    }
    let mut merged = Vec::with_capacity(items.len());
    let (mut i, mut j) = (0, middle);
    while i < middle && j < items.len() {
        if compare(&items[j], &items[i]) == std::cmp::Ordering::Less {
            merged.push(items[j]);
            j += 1;
        } else {
            merged.push(items[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&items[i..middle]);
    merged.extend_from_slice(&items[j..]);
    *items = merged;
}

/// Frees the records a snapshot was built from, off the caller's path when
/// there are many: a million records are two million small allocations,
/// tens of milliseconds to free, while the caller waits for the snapshot.
fn dispose(records: Vec<Record>) {
    const IN_BACKGROUND: usize = 100_000;
    if records.len() >= IN_BACKGROUND {
        // If no thread can be started, the closure (and the records) is
        // dropped here instead: the same work, on this thread.
        let _ = std::thread::Builder::new()
            .name("zone-free".into())
            .spawn(move || drop(records));
    }
}
