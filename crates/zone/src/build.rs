//! A snapshot built from records: one sort, one pass.
//!
//! ```text
//!  records ──► (canonical prefix of the owner, index) ──sort on two threads──►
//!    canonical order of (owner, type, RDATA), duplicates dropped
//!      ──one pass──► nodes (empty non-terminals added on the way), RRsets,
//!                    RDATA, the name table ──► occlusion flags ──► Zone
//! ```
//!
//! The sort compares integers almost always: each record carries the first
//! eight symbols of its owner's canonical key ([`name::canonical_prefix`]),
//! and only records whose prefixes tie are compared by name, type and
//! RDATA. Equal owners come out side by side, so the pass that lays out the
//! arena finds each owner's records together and needs no map from names
//! to owners; empty non-terminals are found from the chain of ancestors of
//! the node laid out last, since in canonical order a name's ancestors all
//! come before it.

use std::cmp::Ordering;

use wire::name::{self, canonical_cmp_wire};
use wire::rdata;
use wire::{Name, Record, Rtype, Serial};

use crate::arena::{Arena, FLAG_CNAME, FLAG_CUT, FLAG_DNAME, FLAG_WILDCARD, NO_NODE, Node};
use crate::snapshot::{BuildOptions, SoaFields, Zone, ZoneError, check_record};

impl Zone {
    /// Builds a snapshot from the zone's records.
    ///
    /// Owners are lower-cased; exact duplicate records are merged (the
    /// first one given is kept); RRsets whose records disagree on TTL take
    /// the smallest (RFC 2181 §5.2 makes such sets an error; serving the
    /// smallest never over-caches).
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
        let zone = build_lowercase(&apex.to_lowercase(), &records, options);
        dispose(records);
        zone
    }

    /// Like [`Zone::build`], leaving the records with the caller (a
    /// secondary writes them to disk while the snapshot is built; a zone
    /// file's records carry their lines for the checks that run beside).
    pub fn build_from_slice<R>(
        apex: &Name,
        records: &[R],
        options: BuildOptions,
    ) -> Result<Zone, ZoneError>
    where
        R: AsRef<Record> + Sync,
    {
        let lower = |r: &R| {
            !r.as_ref()
                .owner
                .as_wire()
                .iter()
                .any(u8::is_ascii_uppercase)
        };
        if records.iter().all(lower) {
            build_lowercase(&apex.to_lowercase(), records, options)
        } else {
            let copies = records.iter().map(|r| r.as_ref().clone()).collect();
            Zone::build(apex, copies, options)
        }
    }
}

/// Builds from records whose owners are all lower case, under a
/// lower-case `apex`.
fn build_lowercase<R>(apex: &Name, records: &[R], options: BuildOptions) -> Result<Zone, ZoneError>
where
    R: AsRef<Record> + Sync,
{
    let apex = apex.clone();
    let mut soa_count = 0;
    for record in records {
        let record = record.as_ref();
        check_record(&apex, record)?;
        soa_count += usize::from(record.rtype == Rtype::SOA);
    }
    if soa_count == 0 {
        return Err(ZoneError::NoSoa(apex));
    }
    let count = u32::try_from(records.len()).map_err(|_| ZoneError::TooLarge(apex.clone()))?;
    let apex_len = apex.wire_len();
    // Every owner is at or below the apex (checked above), so cutting
    // the apex off leaves the labels that tell owners apart.
    let relative = |record| relative_owner(record, apex_len);
    let record = |index: u32| records[index as usize].as_ref();
    // Sized here, in one pass in the records' own order, so that the arena
    // is not grown (copied and faulted in again) while it is laid out.
    let mut sorted: Vec<(u64, u32)> = Vec::with_capacity(records.len());
    let (mut names_len, mut rdata_len) = (0, 0);
    for i in 0..count {
        let owner = relative(record(i));
        names_len += owner.len();
        rdata_len += 2 + record(i).rdata.len();
        sorted.push((name::canonical_prefix(owner), i));
    }
    sort_in_two(&mut sorted, |a, b| {
        a.0.cmp(&b.0).then_with(|| {
            let (x, y) = (record(a.1), record(b.1));
            same_record_order(x, y, apex_len).then(a.1.cmp(&b.1))
        })
    });
    // The apex sorts first (its relative name is empty), and a SOA can only
    // be there. Equal records are side by side, the first given first (the
    // tie-break above); they count once.
    let mut soa_records = sorted
        .iter()
        .map(|&(_, i)| record(i))
        .take_while(|r| relative(r).is_empty())
        .filter(|r| r.rtype == Rtype::SOA);
    let soa_record = soa_records
        .next()
        .ok_or_else(|| ZoneError::NoSoa(apex.clone()))?;
    if soa_records.any(|r| r.rdata != soa_record.rdata) {
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

    let mut arena = Arena::with_capacity(sorted.len());
    // Owners repeat, so the names take at most this (less the shared ones,
    // and shrunk at the end); the empty non-terminals' names are extra.
    arena.names.reserve(names_len);
    arena.rdata.reserve(rdata_len);
    let mut layout = Layout {
        arena,
        ancestors: Vec::new(),
        apex: &apex,
        signed: false,
    };
    // The records are read in sorted order, not the order they are stored
    // in: nearly every one is a cache miss (its owner, its RDATA). Reading
    // a byte of each a little ahead of the layout lets those misses
    // overlap instead of coming one after another.
    let mut touched = 0;
    let mut position = 0;
    while position < sorted.len() {
        while touched < sorted.len().min(position + LOOK_AHEAD) {
            let ahead = record(sorted[touched].1);
            std::hint::black_box((ahead.owner.as_wire().first(), ahead.rdata.first()));
            touched += 1;
        }
        let owner = relative(record(sorted[position].1));
        let same_owner = sorted[position..]
            .iter()
            .position(|&(_, i)| relative(record(i)) != owner)
            .unwrap_or(sorted.len() - position);
        let group = sorted[position..position + same_owner]
            .iter()
            .map(|&(_, i)| record(i));
        layout.add_node(owner, group)?;
        position += same_owner;
    }
    drop(sorted);
    let Layout {
        arena: mut zone,
        signed,
        ..
    } = layout;
    zone.mark_occlusion();
    zone.names.shrink_to_fit();
    zone.nodes.shrink_to_fit();
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
        apex,
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

/// Canonical order of two records by owner (relative to the apex, lower
/// case), type and RDATA: `Equal` exactly for duplicates.
fn same_record_order(x: &Record, y: &Record, apex_len: usize) -> Ordering {
    let (a, b) = (relative_owner(x, apex_len), relative_owner(y, apex_len));
    let owners = if a == b {
        Ordering::Equal
    } else {
        canonical_cmp_wire(a, b)
    };
    owners
        .then(x.rtype.0.cmp(&y.rtype.0))
        .then_with(|| x.rdata.cmp(&y.rdata))
}

/// How many records ahead of the layout are touched (see `build_lowercase`).
const LOOK_AHEAD: usize = 16;

/// The owner of `record` without its last `apex_len` octets (the apex's
/// wire form, which every owner ends with).
fn relative_owner(record: &Record, apex_len: usize) -> &[u8] {
    let wire = record.owner.as_wire();
    &wire[..wire.len() - apex_len]
}

/// The arena being laid out in canonical order, with the chain of nodes
/// above the last one.
struct Layout<'a> {
    arena: Arena,
    /// The last node laid out and its ancestors in the arena, apex first.
    ancestors: Vec<u32>,
    apex: &'a Name,
    /// Whether an RRSIG was seen.
    signed: bool,
}

impl Layout<'_> {
    /// Lays out the node of `owner` (relative to the apex) with its
    /// records, which come sorted by type and RDATA, after any empty
    /// non-terminal above it that is not laid out yet.
    fn add_node<'r>(
        &mut self,
        owner: &[u8],
        group: impl Iterator<Item = &'r Record>,
    ) -> Result<(), ZoneError> {
        // The nearest ancestor already laid out is on the chain: everything
        // laid out since it lies below it, so it was never popped.
        while let Some(&top) = self.ancestors.last() {
            let top_name = self.arena.name(top as usize);
            if top_name.len() < owner.len() && name::is_subdomain_wire(owner, top_name) {
                break;
            }
            self.ancestors.pop();
        }
        let known = self
            .ancestors
            .last()
            .map(|&top| self.arena.name(top as usize).len());
        if known.is_none() && !owner.is_empty() {
            // No apex laid out (it holds the SOA, so it always sorts
            // first; this only keeps the arena a tree if not): an empty
            // non-terminal as the zone's root.
            let id = self.push(&[], std::iter::empty())?;
            self.ancestors.push(id);
        }
        let known = known.unwrap_or(0);
        // Ancestors of `owner` below the nearest one laid out, from the
        // top down: empty non-terminals.
        let mut starts = [0usize; name::MAX_LABELS];
        let mut labels = 0;
        let mut at = 0;
        while at < owner.len() && labels < starts.len() {
            starts[labels] = at;
            labels += 1;
            at += 1 + usize::from(owner[at]);
        }
        for &start in starts.get(1..labels).unwrap_or(&[]).iter().rev() {
            if owner.len() - start > known {
                let id = self.push(&owner[start..], std::iter::empty())?;
                self.ancestors.push(id);
            }
        }
        let id = self.push(owner, group)?;
        self.ancestors.push(id);
        Ok(())
    }

    /// Appends a node named `rel` with `records`, and indexes it.
    fn push<'r>(
        &mut self,
        rel: &[u8],
        records: impl Iterator<Item = &'r Record>,
    ) -> Result<u32, ZoneError> {
        // An empty non-terminal named `*` is a wildcard too (RFC 4592
        // §2.2.2: it matches, with no data).
        let flags = if rel.len() >= 2 && rel[0] == 1 && rel[1] == b'*' {
            FLAG_WILDCARD
        } else {
            0
        };
        let too_large = || ZoneError::TooLarge(self.apex.clone());
        let zone = &mut self.arena;
        let name_offset = u32::try_from(zone.names.len()).map_err(|_| too_large())?;
        zone.names.extend_from_slice(rel);
        let mut node = Node {
            name: name_offset,
            rrsets: u32::try_from(zone.rrsets.len()).map_err(|_| too_large())?,
            occluder: NO_NODE,
            rrsets_len: 0,
            name_len: rel.len() as u8,
            flags,
        };
        let mut previous: Option<&Record> = None;
        for record in records {
            // Equal records are side by side (same owner, type, RDATA):
            // the first stands for all.
            if previous.is_some_and(|p| p.rtype == record.rtype && p.rdata == record.rdata) {
                continue;
            }
            previous = Some(record);
            let same_set = zone
                .rrsets
                .last_mut()
                .filter(|set| node.rrsets_len > 0 && set.rtype == record.rtype);
            match same_set {
                Some(set) if set.count < u16::MAX => {
                    set.count += 1;
                    set.ttl = set.ttl.min(record.ttl);
                }
                Some(_) => return Err(too_large()),
                None => {
                    zone.rrsets.push(crate::arena::Rrset {
                        rdata: u32::try_from(zone.rdata.len()).map_err(|_| too_large())?,
                        ttl: record.ttl,
                        rtype: record.rtype,
                        count: 1,
                    });
                    node.rrsets_len = node.rrsets_len.checked_add(1).ok_or_else(too_large)?;
                }
            }
            zone.rdata
                .extend_from_slice(&(record.rdata.len() as u16).to_be_bytes());
            zone.rdata.extend_from_slice(&record.rdata);
            match record.rtype {
                Rtype::NS if node.name_len > 0 => node.flags |= FLAG_CUT,
                Rtype::DNAME => node.flags |= FLAG_DNAME,
                Rtype::CNAME => node.flags |= FLAG_CNAME,
                Rtype::RRSIG => self.signed = true,
                _ => {}
            }
        }
        Ok(zone.push_node(node))
    }
}

/// Sorts `items` by `compare` on two threads for large inputs (each half
/// sorted on its own, then merged). One thread if a second cannot start.
fn sort_in_two<T, F>(items: &mut Vec<T>, compare: F)
where
    T: Copy + Send,
    F: Fn(&T, &T) -> Ordering + Sync,
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
        if compare(&items[j], &items[i]) == Ordering::Less {
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

#[cfg(test)]
mod tests {
    use wire::Class;

    use super::*;

    fn record(owner: &Name, rtype: Rtype, ttl: u32, rdata: &[u8]) -> Record {
        Record {
            owner: owner.clone(),
            rtype,
            class: Class::IN,
            ttl,
            rdata: rdata.to_vec(),
        }
    }

    fn soa(apex: &Name) -> Record {
        let mut rdata = vec![0, 0];
        rdata.extend_from_slice(&[0; 20]);
        record(apex, Rtype::SOA, 60, &rdata)
    }

    /// `labels` (leftmost first) under `apex`.
    fn name(labels: &[&[u8]], apex: &Name) -> Name {
        let mut wire = Vec::new();
        for label in labels {
            wire.push(label.len() as u8);
            wire.extend_from_slice(label);
        }
        wire.extend_from_slice(apex.as_wire());
        Name::from_wire(&wire).unwrap()
    }

    /// Every node of `zone` as a full name, in the zone's order.
    fn nodes(zone: &Zone) -> Vec<Name> {
        let mut buf = [0u8; wire::name::MAX_NAME_LEN];
        zone.node_ids()
            .map(|id| {
                let len = zone.full_name(id, &mut buf);
                Name::from_wire(&buf[..len]).unwrap()
            })
            .collect()
    }

    /// The nodes a zone of `owners` must have: the owners (lower case) and
    /// every ancestor down to the apex, in canonical order.
    fn expected_nodes(owners: &[Name], apex: &Name) -> Vec<Name> {
        let mut all: Vec<Name> = Vec::new();
        for owner in owners {
            let mut current = owner.to_lowercase();
            loop {
                all.push(current.clone());
                if current.wire_len() <= apex.wire_len() {
                    break;
                }
                let wire = current.as_wire();
                current = Name::from_wire(&wire[1 + wire[0] as usize..]).unwrap();
            }
        }
        all.sort_by(Name::canonical_cmp);
        all.dedup_by(|a, b| a.canonical_cmp(b).is_eq());
        all
    }

    /// Owners whose canonical prefixes tie (long shared beginnings, octets
    /// 254 and 255, upper case) and deep ones with empty non-terminals.
    fn awkward_owners(apex: &Name) -> Vec<Name> {
        let labels: Vec<Vec<&[u8]>> = vec![
            vec![b"abcdefgh1"],
            vec![b"abcdefgh2"],
            vec![b"ABCDEFGH"],
            vec![b"x", b"abcdefgh"],
            vec![b"y", b"x", b"abcdefgh"],
            vec![b"a", b"b", b"c", b"d", b"e"],
            vec![b"*", b"b", b"c", b"d", b"e"],
            vec![&[0xfe]],
            vec![&[0xff]],
            vec![&[0xfe, b'a']],
            vec![&[0xff, 0]],
            vec![&[0xfe], &[0xff]],
            vec![&[0]],
            vec![b"e"],
            vec![b"abcdefg", b"h"],
        ];
        labels.iter().map(|l| name(l, apex)).collect()
    }

    #[test]
    fn nodes_come_in_canonical_order_with_every_empty_non_terminal() {
        let apex: Name = "example.".parse().unwrap();
        let owners = awkward_owners(&apex);
        let mut records = vec![soa(&apex)];
        // Reversed, each twice, one with another TTL: neither the order
        // nor the repeats may show.
        for (n, owner) in owners.iter().enumerate().rev() {
            records.push(record(owner, Rtype::A, 300, &[192, 0, 2, n as u8]));
            records.push(record(owner, Rtype::A, 300, &[192, 0, 2, n as u8]));
        }
        let zone = Zone::build(&apex, records, BuildOptions::default()).unwrap();
        let mut with_apex = owners.clone();
        with_apex.push(apex.clone());
        assert_eq!(nodes(&zone), expected_nodes(&with_apex, &apex));
        assert_eq!(zone.record_count(), owners.len() + 1);
    }

    #[test]
    fn many_names_sort_on_two_threads_like_one_comparison_at_a_time() {
        // Over the two-thread threshold, names tying on their prefixes by
        // the thousand (a shared long first label), in scrambled order.
        let apex: Name = "example.".parse().unwrap();
        let count: u32 = 120_000;
        let owners: Vec<Name> = (0..count)
            .map(|n| {
                let scrambled = n.wrapping_mul(2_654_435_761) % count;
                let first = format!("common-{}", scrambled % 97);
                let second = format!("n{scrambled}");
                name(&[second.as_bytes(), first.as_bytes()], &apex)
            })
            .collect();
        let mut records = vec![soa(&apex)];
        records.extend(
            owners
                .iter()
                .map(|o| record(o, Rtype::A, 60, &[192, 0, 2, 1])),
        );
        let zone = Zone::build(&apex, records, BuildOptions { precompile: false }).unwrap();
        let mut with_apex = owners;
        with_apex.push(apex.clone());
        assert_eq!(nodes(&zone), expected_nodes(&with_apex, &apex));
    }

    #[test]
    fn equal_soa_records_count_once_and_different_ones_are_refused() {
        let apex: Name = "example.".parse().unwrap();
        let records = vec![soa(&apex), soa(&apex)];
        let zone = Zone::build(&apex, records, BuildOptions::default()).unwrap();
        assert_eq!(zone.record_count(), 1);
        let mut other = soa(&apex);
        other.rdata[5] = 1;
        let records = vec![soa(&apex), other];
        let refused = Zone::build(&apex, records, BuildOptions::default());
        assert!(matches!(refused, Err(ZoneError::MultipleSoa(_))));
    }
}
