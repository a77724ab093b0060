//! New versions of a zone derived from the served one at the cost of the
//! change, not of the zone.
//!
//! A built [`Zone`] is one flat [`Arena`] in canonical order: fast to
//! query, and a fresh build costs the whole zone (seconds for a million
//! records). [`Zone::apply`] instead keeps that arena, shared, as the
//! *base*, and lays a small *patch* over it: a second arena holding a node
//! for every name whose state differs from the base's. Lookups try the
//! patch first; a patch node flagged [`FLAG_GONE`] hides a base name that
//! no longer exists; node and RRset ids of the patch carry [`PATCH_BIT`].
//!
//! What a change can alter besides the names it names, and so what the
//! patch holds:
//! - the changed names themselves (their new RRsets, or gone);
//! - their ancestors whose existence changes: an empty non-terminal
//!   appears above a new name, or vanishes with the last name below it
//!   (RFC 4592 §2.2.2);
//! - the parent of a wildcard that appears or vanishes (its
//!   wildcard-child flag);
//! - every name below a name that gains or loses a zone cut or a DNAME,
//!   whose occlusion changes (RFC 1034 §4.2.1, RFC 6672 §2.4).
//!
//! The patch remembers the explicit new state of every changed name since
//! the base was built (`changes`), and is derived afresh from those on
//! each version, so it costs O(names changed since the base), never the
//! zone. A patched version is not precompiled: [`Zone::compacted`] builds a
//! whole new base (with its answers compiled) off the write path, and
//! [`Zone::rebased`] lays over it whatever changed meanwhile.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use wire::name::{self, MAX_NAME_LEN, canonical_cmp_wire, canonical_key};
use wire::{Name, Record, Rtype};

use crate::arena::{
    Arena, FLAG_CNAME, FLAG_CUT, FLAG_DNAME, FLAG_GONE, FLAG_OCCLUDED, FLAG_WILDCARD,
    FLAG_WILDCARD_CHILD, NO_NODE, Node, NodeId, PATCH_BIT, RdataIter, Rrset, node_name,
};
use crate::overlay::{Change, Changes, Patch, Set};
use crate::snapshot::{SoaFields, Zone, ZoneError, check_record};

/// Patches of more than this many nodes plus an eighth of the base are
/// compacted at once.
const SMALL_PATCH: usize = 64;

/// Why a change could not be applied to a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The changed records break a rule every zone keeps.
    #[error(transparent)]
    Zone(#[from] ZoneError),
    /// A record to remove is not in the snapshot: the change was computed
    /// against another version.
    #[error("record {owner} {rtype} to remove is not in the zone")]
    Missing {
        /// Owner of the record.
        owner: Name,
        /// Its type.
        rtype: Rtype,
    },
    /// The versions given to [`Zone::rebased`] do not descend from one base.
    #[error("the versions do not share a base")]
    Unrelated,
}

impl Zone {
    /// The version after removing `removed` and adding `added`, sharing
    /// this one's base: costs what the change and the earlier changes
    /// since the base cost, not the zone.
    ///
    /// Owners may be in any case. Adding a record the zone holds changes
    /// nothing; removing one it does not hold is [`PatchError::Missing`].
    /// An RRset that keeps some records and gains others takes the smaller
    /// TTL, as a build does.
    pub fn apply(&self, removed: &[Record], added: &[Record]) -> Result<Zone, PatchError> {
        let mut changes = self
            .patch
            .as_ref()
            .map(|patch| patch.changes.clone())
            .unwrap_or_default();
        // Per name touched: its records and RRSIG records before.
        let mut touched: HashMap<Arc<[u16]>, (usize, usize)> = HashMap::new();
        for (record, adding) in removed
            .iter()
            .map(|r| (r, false))
            .chain(added.iter().map(|r| (r, true)))
        {
            check_record(&self.apex, record)?;
            let owner = record.owner.to_lowercase();
            let rel = owner.relative_to(&self.apex);
            let key: Arc<[u16]> = canonical_key(rel).into();
            if !touched.contains_key(&key) {
                let sets = sets_of(self, rel);
                touched.insert(key.clone(), (count(&sets), rrsigs(&sets)));
                changes.insert(
                    key.clone(),
                    Arc::new(Change {
                        rel: rel.to_vec(),
                        sets,
                    }),
                );
            }
            let Some(change) = changes.get_mut(&key).map(Arc::make_mut) else {
                continue;
            };
            if adding {
                add(&mut change.sets, record);
            } else if !remove(&mut change.sets, record) {
                return Err(PatchError::Missing {
                    owner: record.owner.clone(),
                    rtype: record.rtype,
                });
            }
        }
        let (mut record_count, mut rrsig_count) = (self.record_count, self.rrsig_count);
        for (key, (records_before, rrsigs_before)) in &touched {
            let sets = changes.get(key).map_or(&[][..], |c| &c.sets);
            record_count = record_count + count(sets) - records_before;
            rrsig_count = rrsig_count + rrsigs(sets) - rrsigs_before;
        }
        let apex_key = canonical_key(&[]);
        let soa = match changes.get(apex_key.as_slice()) {
            Some(apex) if touched.contains_key(apex_key.as_slice()) => {
                soa_of(&self.apex, &apex.sets)?
            }
            _ => self.soa,
        };
        let patched = Zone::patched(
            &self.apex,
            soa,
            self.base.clone(),
            changes,
            rrsig_count,
            record_count,
        );
        // Every later version re-derives the patch: one that outgrew an
        // eighth of the zone (a cut or DNAME above much of it, or many
        // writes to a small zone, where building whole is cheap) is built
        // whole at once instead.
        let reach = patched.patch_len();
        if reach > SMALL_PATCH + self.base.nodes.len() / 8 {
            return Ok(patched.compacted()?);
        }
        Ok(patched)
    }

    /// Whether this version carries a patch over its base (and so answers
    /// through the general path until [`Zone::compacted`] replaces it).
    pub fn is_patched(&self) -> bool {
        self.patch.is_some()
    }

    /// Nodes in the patch (changed names and those a change reaches):
    /// what every later version derives again until a compaction.
    pub fn patch_len(&self) -> usize {
        self.patch
            .as_ref()
            .map_or(0, |patch| patch.arena.nodes.len())
    }

    /// This version built whole, as one base without a patch (answers not
    /// compiled yet: [`Zone::compile`]). Costs what a build costs; meant
    /// for a background thread.
    ///
    /// The live nodes are already in canonical order with their RRsets
    /// merged and sorted, so this copies them into one arena in a single
    /// pass (no sorting, no per-record allocation) and marks occlusion
    /// again, the only thing whose node ids change.
    pub fn compacted(&self) -> Result<Zone, ZoneError> {
        let too_large = || ZoneError::TooLarge(self.apex.clone());
        let mut arena = Arena::with_capacity(self.node_count());
        for id in self.node_ids() {
            let node = self.node(id);
            let name = u32::try_from(arena.names.len()).map_err(|_| too_large())?;
            arena.names.extend_from_slice(self.relative_name(id));
            let rrsets = arena.rrsets.len() as u32;
            for (i, set) in self.node_rrsets(id).iter().enumerate() {
                let rdata = u32::try_from(arena.rdata.len()).map_err(|_| too_large())?;
                for octets in self.rdatas(self.rrset_id(id, i)) {
                    arena
                        .rdata
                        .extend_from_slice(&(octets.len() as u16).to_be_bytes());
                    arena.rdata.extend_from_slice(octets);
                }
                arena.rrsets.push(Rrset { rdata, ..*set });
            }
            arena.push_node(Node {
                name,
                rrsets,
                occluder: NO_NODE,
                rrsets_len: node.rrsets_len,
                name_len: node.name_len,
                flags: node.flags & !FLAG_OCCLUDED,
            });
        }
        arena.mark_occlusion();
        arena.names.shrink_to_fit();
        arena.rrsets.shrink_to_fit();
        arena.rdata.shrink_to_fit();
        Ok(Zone {
            apex: self.apex.clone(),
            soa: self.soa,
            base: Arc::new(arena),
            patch: None,
            apex_node: 0,
            compiled: std::sync::OnceLock::new(),
            signed: self.signed,
            rrsig_count: self.rrsig_count,
            record_count: self.record_count,
        })
    }

    /// This version laid over `compacted`, a whole build of `source`,
    /// where `source` is an earlier version of the same base (the one a
    /// background compaction started from): only the names that changed
    /// after `source` stay in the patch. `compacted` itself when nothing
    /// changed since.
    pub fn rebased(&self, source: &Zone, compacted: Zone) -> Result<Zone, PatchError> {
        if !Arc::ptr_eq(&self.base, &source.base) || compacted.patch.is_some() {
            return Err(PatchError::Unrelated);
        }
        let Some(patch) = &self.patch else {
            return Err(PatchError::Unrelated);
        };
        let changes: Changes = patch
            .changes
            .iter()
            .filter(|(_, change)| sets_of(&compacted, &change.rel) != change.sets)
            .map(|(key, change)| (key.clone(), change.clone()))
            .collect();
        if changes.is_empty() && compacted.soa == self.soa {
            return Ok(compacted);
        }
        Ok(Zone::patched(
            &self.apex,
            self.soa,
            compacted.base.clone(),
            changes,
            self.rrsig_count,
            self.record_count,
        ))
    }

    /// A version of `base` with the patch derived from `changes`.
    fn patched(
        apex: &Name,
        soa: SoaFields,
        base: Arc<Arena>,
        changes: Changes,
        rrsig_count: usize,
        record_count: usize,
    ) -> Zone {
        let patch = derive(&base, apex.wire_len(), changes);
        let mut zone = Zone {
            apex: apex.clone(),
            soa,
            base,
            patch: Some(Arc::new(patch)),
            apex_node: 0,
            compiled: std::sync::OnceLock::new(),
            signed: rrsig_count > 0,
            rrsig_count,
            record_count,
        };
        zone.apex_node = zone.lookup_relative(&[]).unwrap_or(0);
        zone
    }

    /// The node owning the NSEC record at or before `rel` in canonical
    /// order: the NSEC that covers `rel` when it does not exist.
    pub(crate) fn nsec_at_or_before(&self, rel: &[u8]) -> Option<NodeId> {
        let not_after = |arena: &Arena| {
            arena.nodes.partition_point(|node| {
                canonical_cmp_wire(node_name(&arena.names, node), rel)
                    != std::cmp::Ordering::Greater
            })
        };
        let in_base = (0..not_after(&self.base))
            .rev()
            .filter(|&i| !self.superseded(i))
            .map(|i| i as NodeId)
            .find(|&id| self.find_rrset(id, Rtype::NSEC).is_some());
        let in_patch = self.patch.as_ref().and_then(|patch| {
            (0..not_after(&patch.arena))
                .rev()
                .filter(|&i| patch.arena.nodes[i].flags & FLAG_GONE == 0)
                .map(|i| i as NodeId | PATCH_BIT)
                .find(|&id| self.find_rrset(id, Rtype::NSEC).is_some())
        });
        match (in_base, in_patch) {
            (Some(a), Some(b)) => {
                let order = canonical_cmp_wire(self.relative_name(a), self.relative_name(b));
                Some(if order == std::cmp::Ordering::Greater {
                    a
                } else {
                    b
                })
            }
            (a, b) => a.or(b),
        }
    }
}

/// The RRsets the zone holds at `rel` (none if the name does not exist).
fn sets_of(zone: &Zone, rel: &[u8]) -> Vec<Set> {
    let Some(id) = zone.lookup_relative(rel) else {
        return Vec::new();
    };
    zone.node_rrsets(id)
        .iter()
        .enumerate()
        .map(|(i, set)| Set {
            rtype: set.rtype,
            ttl: set.ttl,
            rdatas: zone
                .rdatas(zone.rrset_id(id, i))
                .map(<[u8]>::to_vec)
                .collect(),
        })
        .collect()
}

fn count(sets: &[Set]) -> usize {
    sets.iter().map(|set| set.rdatas.len()).sum()
}

fn rrsigs(sets: &[Set]) -> usize {
    sets.iter()
        .filter(|set| set.rtype == Rtype::RRSIG)
        .map(|set| set.rdatas.len())
        .sum()
}

/// Adds a record to a name's sets (nothing if it is there already).
fn add(sets: &mut Vec<Set>, record: &Record) {
    match sets.binary_search_by(|set| set.rtype.cmp(&record.rtype)) {
        Ok(at) => {
            let set = &mut sets[at];
            if let Err(slot) = set.rdatas.binary_search(&record.rdata) {
                set.rdatas.insert(slot, record.rdata.clone());
            }
            // New or already there, the set keeps the lower TTL, as a
            // build from records of mixed TTLs does (a record added again
            // with a lower TTL lowered nothing before: the transfer fuzz
            // target found the patch and the whole build apart).
            set.ttl = set.ttl.min(record.ttl);
        }
        Err(at) => sets.insert(
            at,
            Set {
                rtype: record.rtype,
                ttl: record.ttl,
                rdatas: vec![record.rdata.clone()],
            },
        ),
    }
}

/// Removes a record from a name's sets; false if it is not there.
fn remove(sets: &mut Vec<Set>, record: &Record) -> bool {
    let Ok(at) = sets.binary_search_by(|set| set.rtype.cmp(&record.rtype)) else {
        return false;
    };
    let Ok(slot) = sets[at].rdatas.binary_search(&record.rdata) else {
        return false;
    };
    sets[at].rdatas.remove(slot);
    if sets[at].rdatas.is_empty() {
        sets.remove(at);
    }
    true
}

/// The SOA fields of the apex's new sets.
fn soa_of(apex: &Name, sets: &[Set]) -> Result<SoaFields, ZoneError> {
    let set = sets
        .iter()
        .find(|set| set.rtype == Rtype::SOA)
        .ok_or_else(|| ZoneError::NoSoa(apex.clone()))?;
    let [rdata] = set.rdatas.as_slice() else {
        return Err(ZoneError::MultipleSoa(apex.clone()));
    };
    let numbers = wire::rdata::soa_numbers(rdata).ok_or_else(|| ZoneError::BadSoa(apex.clone()))?;
    Ok(SoaFields {
        serial: wire::Serial(numbers[0]),
        refresh: numbers[1],
        retry: numbers[2],
        expire: numbers[3],
        minimum: numbers[4],
        ttl: set.ttl,
    })
}

/// The parent of a relative name (`None` for the apex).
fn parent(rel: &[u8]) -> Option<&[u8]> {
    (!rel.is_empty()).then(|| &rel[1 + rel[0] as usize..])
}

fn is_wildcard(rel: &[u8]) -> bool {
    rel.len() >= 2 && rel[0] == 1 && rel[1] == b'*'
}

/// The zone as the changes make it, read from the base and the change
/// list (the patch being built cannot be read yet).
struct Derivation<'a> {
    base: &'a Arena,
    changes: &'a Changes,
    exists: HashMap<Vec<u8>, bool>,
}

impl Derivation<'_> {
    /// The first base node after `rel` in canonical order.
    fn base_after(&self, rel: &[u8]) -> usize {
        match self.base.lookup(rel) {
            Some(id) => id as usize + 1,
            None => self.base.nodes.partition_point(|node| {
                canonical_cmp_wire(node_name(&self.base.names, node), rel)
                    != std::cmp::Ordering::Greater
            }),
        }
    }

    /// The base nodes strictly below `rel`.
    fn base_below<'s>(&'s self, rel: &'s [u8]) -> impl Iterator<Item = usize> + 's {
        (self.base_after(rel)..self.base.nodes.len())
            .take_while(move |&i| name::is_subdomain_wire(self.base.name(i), rel))
    }

    /// Whether `rel` holds records in the new version.
    fn has_records(&self, rel: &[u8]) -> bool {
        match self.changes.get(canonical_key(rel).as_slice()) {
            Some(change) => !change.sets.is_empty(),
            None => self
                .base
                .lookup(rel)
                .is_some_and(|id| self.base.nodes[id as usize].rrsets_len > 0),
        }
    }

    /// Whether `rel` exists in the new version: it, or a name below it,
    /// holds records. Stops at the first such name.
    fn exists(&mut self, rel: &[u8]) -> bool {
        if rel.is_empty() {
            return true;
        }
        if let Some(&known) = self.exists.get(rel) {
            return known;
        }
        let key = canonical_key(rel);
        let found = self.has_records(rel)
            || self
                .changes
                .range::<[u16], _>((Bound::Excluded(key.as_slice()), Bound::Unbounded))
                .take_while(|(_, change)| name::is_subdomain_wire(&change.rel, rel))
                .any(|(_, change)| !change.sets.is_empty())
            || self.base_below(rel).any(|i| {
                self.base.nodes[i].rrsets_len > 0
                    && !self
                        .changes
                        .contains_key(canonical_key(self.base.name(i)).as_slice())
            });
        self.exists.insert(rel.to_vec(), found);
        found
    }

    /// Cut and DNAME flags of `rel` in the base.
    fn base_flags(&self, rel: &[u8]) -> u8 {
        self.base.lookup(rel).map_or(0, |id| {
            self.base.nodes[id as usize].flags & (FLAG_CUT | FLAG_DNAME)
        })
    }
}

/// Cut and DNAME flags a name gets from its sets.
fn flags_of(rel: &[u8], types: impl Iterator<Item = Rtype>) -> u8 {
    let mut flags = if is_wildcard(rel) { FLAG_WILDCARD } else { 0 };
    for rtype in types {
        match rtype {
            Rtype::NS if !rel.is_empty() => flags |= FLAG_CUT,
            Rtype::DNAME => flags |= FLAG_DNAME,
            Rtype::CNAME => flags |= FLAG_CNAME,
            _ => {}
        }
    }
    flags
}

/// Builds the patch over `base` that `changes` call for.
fn derive(base: &Arena, apex_len: usize, changes: Changes) -> Patch {
    let mut view = Derivation {
        base,
        changes: &changes,
        exists: HashMap::new(),
    };
    // Which names the patch must hold, in canonical order.
    let mut names: BTreeMap<Vec<u16>, Vec<u8>> = BTreeMap::new();
    for (key, change) in &changes {
        names.insert(key.to_vec(), change.rel.clone());
        let mut rel = change.rel.as_slice();
        while let Some(up) = parent(rel) {
            rel = up;
            if rel.is_empty() {
                break;
            }
            let existed = base.lookup(rel).is_some();
            if view.exists(rel) == existed {
                // Existence above an unchanged one does not change either.
                break;
            }
            names.insert(canonical_key(rel), rel.to_vec());
        }
        let cut_now =
            flags_of(&change.rel, change.sets.iter().map(|s| s.rtype)) & (FLAG_CUT | FLAG_DNAME);
        if cut_now != view.base_flags(&change.rel) {
            for i in view.base_below(&change.rel) {
                let below = base.name(i);
                names.insert(canonical_key(below), below.to_vec());
            }
        }
    }
    let wildcard_parents: Vec<Vec<u8>> = names
        .values()
        .filter(|rel| is_wildcard(rel))
        .filter_map(|rel| parent(rel).map(<[u8]>::to_vec))
        .collect();
    for rel in wildcard_parents {
        names.insert(canonical_key(&rel), rel);
    }

    let mut arena = Arena::with_capacity(names.len());
    let (mut added, mut replaced) = (0, 0);
    for (key, rel) in &names {
        let in_base = base.lookup(rel);
        replaced += usize::from(in_base.is_some());
        let name_at = arena.names.len() as u32;
        arena.names.extend_from_slice(rel);
        let mut node = Node {
            name: name_at,
            rrsets: arena.rrsets.len() as u32,
            occluder: NO_NODE,
            rrsets_len: 0,
            name_len: rel.len() as u8,
            flags: 0,
        };
        if !view.exists(rel) {
            node.flags = FLAG_GONE;
            arena.push_node(node);
            continue;
        }
        added += 1;
        let mut types = Vec::new();
        let mut push_set =
            |arena: &mut Arena, rtype: Rtype, ttl: u32, rdatas: &mut dyn Iterator<Item = &[u8]>| {
                let at = arena.rdata.len() as u32;
                let mut count = 0u16;
                for rdata in rdatas {
                    arena
                        .rdata
                        .extend_from_slice(&(rdata.len() as u16).to_be_bytes());
                    arena.rdata.extend_from_slice(rdata);
                    count += 1;
                }
                arena.rrsets.push(Rrset {
                    rdata: at,
                    ttl,
                    rtype,
                    count,
                });
                types.push(rtype);
            };
        match (changes.get(key.as_slice()), in_base) {
            (Some(change), _) => {
                for set in &change.sets {
                    push_set(
                        &mut arena,
                        set.rtype,
                        set.ttl,
                        &mut set.rdatas.iter().map(Vec::as_slice),
                    );
                }
            }
            (None, Some(id)) => {
                let from = base.nodes[id as usize];
                for set in &base.rrsets
                    [from.rrsets as usize..(from.rrsets + u32::from(from.rrsets_len)) as usize]
                {
                    let mut rdatas = RdataIter::new(&base.rdata, set.rdata as usize, set.count);
                    push_set(&mut arena, set.rtype, set.ttl, &mut rdatas);
                }
            }
            (None, None) => {}
        }
        node.rrsets_len = types.len() as u16;
        node.flags = flags_of(rel, types.into_iter());
        let mut wildcard = Vec::with_capacity(rel.len() + 2);
        wildcard.extend_from_slice(&[1, b'*']);
        wildcard.extend_from_slice(rel);
        // Only a wildcard the base holds, the changes name, or that
        // appears as an empty non-terminal can exist: the rest need no
        // search below them.
        let wildcard_known = base.lookup(&wildcard).is_some() || {
            let key = canonical_key(&wildcard);
            changes.contains_key(key.as_slice()) || names.contains_key(&key)
        };
        if wildcard.len() + apex_len <= MAX_NAME_LEN && wildcard_known && view.exists(&wildcard) {
            node.flags |= FLAG_WILDCARD_CHILD;
        }
        arena.push_node(node);
    }

    // Occlusion: parents come first in canonical order, so each node's
    // parent is final when it is reached, in the patch or in the base.
    for index in 0..arena.nodes.len() {
        let node = arena.nodes[index];
        if node.flags & FLAG_GONE != 0 || node.name_len == 0 {
            continue;
        }
        let rel = arena.name(index).to_vec();
        let Some(up) = parent(&rel) else { continue };
        let (parent_id, parent_node) = match arena.lookup(up) {
            Some(p) => (p | PATCH_BIT, arena.nodes[p as usize]),
            None => match base.lookup(up) {
                Some(p) => (p, base.nodes[p as usize]),
                None => continue,
            },
        };
        let occluder = if parent_node.flags & FLAG_OCCLUDED != 0 {
            if parent_id & PATCH_BIT != 0 {
                parent_node.occluder
            } else {
                // A base parent's occluder is a base id; the patch may
                // stand in for that node now.
                let occluder_rel = base.name(parent_node.occluder as usize);
                match arena.lookup(occluder_rel) {
                    Some(p) if arena.nodes[p as usize].flags & FLAG_GONE == 0 => p | PATCH_BIT,
                    Some(_) => NO_NODE,
                    None => parent_node.occluder,
                }
            }
        } else if parent_node.flags & (FLAG_CUT | FLAG_DNAME) != 0 {
            parent_id
        } else {
            NO_NODE
        };
        if occluder != NO_NODE {
            arena.nodes[index].flags |= FLAG_OCCLUDED;
            arena.nodes[index].occluder = occluder;
        }
    }
    arena.names.shrink_to_fit();
    Patch {
        arena,
        changes,
        added,
        replaced,
    }
}

#[cfg(test)]
mod tests;
