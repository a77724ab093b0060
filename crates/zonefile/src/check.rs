//! Semantic checks of a parsed zone, after named-checkzone.
//!
//! The records are sorted once by owner (and type), so every check is a walk
//! over groups of one name or a binary search for a target: the cost is
//! O(n log n) in the number of records.

use std::collections::HashSet;

use wire::{Name, Rtype};

use crate::diagnostic::{Diagnostic, Problem};
use crate::file::{SourcedRecord, ZoneFile};

/// Types allowed beside a CNAME (RFC 2181 §10.1, RFC 4035 §2.5 for RRSIG
/// and NSEC; KEY from RFC 2535). DNAME has its own error.
const ALLOWED_BESIDE_CNAME: [Rtype; 5] = [
    Rtype::CNAME,
    Rtype::RRSIG,
    Rtype::NSEC,
    Rtype::KEY,
    Rtype::DNAME,
];

/// Checks `zone` as named-checkzone would and returns its findings in file
/// order, zone-wide ones (no SOA, no apex NS) first.
///
/// Errors: no SOA, several SOAs, a SOA off the apex, no NS at the apex,
/// out-of-zone owners, CNAME beside other data or twice, CNAME at the apex,
/// CNAME with DNAME, several DNAMEs, in-zone NS targets that are CNAMEs or
/// lack address records (missing glue below a zone cut).
/// Warnings: rrsets with differing TTLs, data occluded by a zone cut or a
/// DNAME, MX and SRV targets that are CNAMEs.
pub fn check(zone: &ZoneFile) -> Vec<Diagnostic> {
    let mut checker = Checker {
        zone,
        findings: Vec::new(),
    };
    checker.run();
    let mut findings = checker.findings;
    findings.sort_by_key(|(index, _)| *index);
    findings
        .into_iter()
        .map(|(_, diagnostic)| diagnostic)
        .collect()
}

/// The zone under check and what has been found so far.
struct Checker<'z> {
    zone: &'z ZoneFile,
    /// Each finding with the index of its record (`None` sorts first).
    findings: Vec<(Option<usize>, Diagnostic)>,
}

/// The in-zone records sorted by owner, then type, then file order, split
/// into one group per owner name.
struct Index<'z> {
    records: &'z [SourcedRecord],
    /// Record indices in sorted order.
    order: Vec<usize>,
    /// `order[start..end]` for each owner name, in sorted order.
    groups: Vec<(usize, usize)>,
}

/// The type an rrset is keyed on: RRSIGs form one rrset per covered type
/// as far as TTLs go (RFC 4034 §3).
fn rrset_key(record: &wire::Record) -> (Rtype, Rtype) {
    let covered = match record.rtype {
        Rtype::RRSIG => wire::rdata::rrsig_type_covered(&record.rdata).unwrap_or_default(),
        _ => Rtype::default(),
    };
    (record.rtype, covered)
}

impl<'z> Index<'z> {
    /// Indexes `members`, the indices of the in-zone records.
    fn new(records: &'z [SourcedRecord], members: &[usize]) -> Index<'z> {
        // The owners are compared where they are, lower-cased on the fly:
        // a lower-cased copy of them all would cost as much memory again
        // as the records' names, while the snapshot is being built beside.
        let mut index = Index {
            records,
            order: Vec::new(),
            groups: Vec::new(),
        };
        // Not the canonical order, but one that keeps equal names together
        // and is cheap to compute: the first eight octets of each owner,
        // as one integer, settle almost every comparison without looking
        // at the names (zero padding orders a shorter name first, as the
        // slice comparison does when the prefixes differ).
        let prefix = |i: usize| {
            let owner = index.owner(i);
            let mut bytes = [0u8; 8];
            let len = owner.len().min(8);
            bytes[..len].copy_from_slice(&owner[..len]);
            bytes.make_ascii_lowercase();
            u64::from_be_bytes(bytes)
        };
        let mut keyed: Vec<(u64, usize)> = members.iter().map(|&i| (prefix(i), i)).collect();
        keyed.sort_unstable_by(|&(p, a), &(q, b)| {
            p.cmp(&q).then_with(|| {
                let (x, y) = (&records[a].record, &records[b].record);
                cmp_lowercase(index.owner(a), index.owner(b))
                    .then_with(|| rrset_key(x).cmp(&rrset_key(y)))
                    .then(a.cmp(&b))
            })
        });
        let order: Vec<usize> = keyed.into_iter().map(|(_, i)| i).collect();
        let mut start = 0;
        for position in 1..=order.len() {
            if position == order.len()
                || !index
                    .owner(order[position])
                    .eq_ignore_ascii_case(index.owner(order[start]))
            {
                index.groups.push((start, position));
                start = position;
            }
        }
        index.order = order;
        index
    }

    /// The wire owner of record `i`, as written (any case).
    fn owner(&self, i: usize) -> &[u8] {
        self.records[i].record.owner.as_wire()
    }

    /// The record indices of one group.
    fn members(&self, group: (usize, usize)) -> &[usize] {
        &self.order[group.0..group.1]
    }

    /// The record indices owned by the name with lower-cased wire form
    /// `key`, empty if none.
    fn owned_by(&self, key: &[u8]) -> &[usize] {
        let found = self
            .groups
            .binary_search_by(|&(start, _)| cmp_lowercase(self.owner(self.order[start]), key));
        match found {
            Ok(position) => self.members(self.groups[position]),
            Err(_) => &[],
        }
    }

    /// Whether one of `members` has type `rtype`.
    fn has_type(&self, members: &[usize], rtype: Rtype) -> bool {
        members
            .iter()
            .any(|&i| self.records[i].record.rtype == rtype)
    }
}

/// How many records ahead of the checks are touched (see `Checker::run`).
const LOOK_AHEAD: usize = 16;

/// Orders two wire names as their lower-cased forms would order.
fn cmp_lowercase(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    if a == b {
        return std::cmp::Ordering::Equal;
    }
    a.iter()
        .map(u8::to_ascii_lowercase)
        .cmp(b.iter().map(u8::to_ascii_lowercase))
}

/// `name` lower-cased into `buffer` (names are at most its size; a longer
/// slice, which no `Name` is, is cut).
fn lowercased<'b>(name: &[u8], buffer: &'b mut [u8; wire::name::MAX_NAME_LEN]) -> &'b [u8] {
    let len = name.len().min(buffer.len());
    buffer[..len].copy_from_slice(&name[..len]);
    buffer[..len].make_ascii_lowercase();
    &buffer[..len]
}

/// Which names an ancestor search looks at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Search {
    /// The name itself, then its ancestors.
    NameAndAncestors,
    /// Only proper ancestors of the name.
    AncestorsOnly,
}

/// Lower-cased wire forms of a set of names, for ancestor look-ups.
struct NameSet(HashSet<Vec<u8>, foldhash::fast::RandomState>);

impl NameSet {
    /// The closest name of the set among the ancestors of the name whose
    /// lower-cased wire form is `wire`, counting only names whose wire form
    /// is at least `min_len` long (so not above the apex). The ancestor is
    /// returned spelt as in `name`.
    fn closest_enclosing(
        &self,
        name: &Name,
        wire: &[u8],
        search: Search,
        min_len: usize,
    ) -> Option<Name> {
        if self.0.is_empty() || wire.is_empty() || wire.len() != name.wire_len() {
            return None;
        }
        let mut pos = match search {
            Search::NameAndAncestors => 0,
            Search::AncestorsOnly => 1 + usize::from(wire[0]),
        };
        while pos < wire.len() && wire.len() - pos >= min_len {
            let suffix = &wire[pos..];
            if self.0.contains(suffix) {
                return Name::from_wire(&name.as_wire()[pos..]).ok();
            }
            if suffix[0] == 0 {
                break;
            }
            pos += 1 + usize::from(suffix[0]);
        }
        None
    }
}

impl Checker<'_> {
    /// Records an error about record `index` (or the whole zone).
    fn error(&mut self, index: Option<usize>, problem: Problem) {
        let location = index.map(|i| self.zone.records[i].location.clone());
        self.findings
            .push((index, Diagnostic::error(location, problem)));
    }

    /// Records a warning about record `index`.
    fn warning(&mut self, index: usize, problem: Problem) {
        let location = Some(self.zone.records[index].location.clone());
        self.findings
            .push((Some(index), Diagnostic::warning(location, problem)));
    }

    /// Runs every check.
    fn run(&mut self) {
        let zone = self.zone;
        let apex = &zone.origin;
        let mut in_zone = Vec::with_capacity(zone.records.len());
        for (index, sourced) in zone.records.iter().enumerate() {
            if sourced.record.owner.is_subdomain_of(apex) {
                in_zone.push(index);
            } else {
                let owner = sourced.record.owner.clone();
                self.error(
                    Some(index),
                    Problem::OutOfZone {
                        owner,
                        apex: apex.clone(),
                    },
                );
            }
        }
        // The targets are checked in file order (the records' own order in
        // memory, not the index's): their findings are sorted by record
        // at the end anyway.
        let index = Index::new(&zone.records, &in_zone);

        let mut cuts = NameSet(HashSet::default());
        let mut dnames = NameSet(HashSet::default());
        for &group in &index.groups {
            let members = index.members(group);
            let owner = &zone.records[members[0]].record.owner;
            // The type first: comparing names reads each owner's octets.
            if index.has_type(members, Rtype::NS) && owner != apex {
                cuts.0.insert(owner.to_lowercase().as_wire().to_vec());
            }
            if index.has_type(members, Rtype::DNAME) {
                dnames.0.insert(owner.to_lowercase().as_wire().to_vec());
            }
        }

        self.check_apex(&index);
        // The records are read in the index's order, not the order they
        // are stored in: nearly every one is a cache miss. Reading each a
        // little ahead lets those misses overlap.
        let mut touched = 0;
        for &group in &index.groups {
            while touched < index.order.len().min(group.1 + LOOK_AHEAD) {
                let ahead = &zone.records[index.order[touched]].record;
                std::hint::black_box((ahead.rtype, ahead.owner.as_wire().first()));
                touched += 1;
            }
            let members = index.members(group);
            self.check_name(members);
            self.check_occlusion(&index, members, &cuts, &dnames);
            self.check_ttls(members);
        }
        self.check_targets(&index, &in_zone, &cuts, &dnames);
    }

    /// One SOA and some NS at the apex.
    fn check_apex(&mut self, index: &Index<'_>) {
        let apex = &self.zone.origin;
        let members = index.owned_by(apex.to_lowercase().as_wire());
        let soas: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| self.zone.records[i].record.rtype == Rtype::SOA)
            .collect();
        match soas.as_slice() {
            [] => self.error(None, Problem::MissingSoa(apex.clone())),
            [_] => {}
            [_, extra, ..] => self.error(Some(*extra), Problem::MultipleSoa(apex.clone())),
        }
        if !index.has_type(members, Rtype::NS) {
            self.error(None, Problem::MissingApexNs(apex.clone()));
        }
    }

    /// SOA placement, CNAME and DNAME rules at one name.
    fn check_name(&mut self, members: &[usize]) {
        let zone = self.zone;
        let records = &zone.records;
        let owner = &records[members[0]].record.owner;
        // Asked only where it matters (a SOA, a CNAME): comparing names
        // reads the owner's octets, a cache miss on a large zone.
        let at_apex = || *owner == zone.origin;
        let of_type = |rtype: Rtype| {
            members
                .iter()
                .copied()
                .filter(move |&i| records[i].record.rtype == rtype)
        };
        if of_type(Rtype::SOA).next().is_some() && !at_apex() {
            for soa in of_type(Rtype::SOA) {
                self.error(
                    Some(soa),
                    Problem::SoaNotAtApex {
                        owner: owner.clone(),
                        apex: zone.origin.clone(),
                    },
                );
            }
        }
        if let Some(extra) = of_type(Rtype::CNAME).nth(1) {
            self.error(Some(extra), Problem::MultipleCnames(owner.clone()));
        }
        if let Some(extra) = of_type(Rtype::DNAME).nth(1) {
            self.error(Some(extra), Problem::MultipleDnames(owner.clone()));
        }
        let Some(cname) = of_type(Rtype::CNAME).next() else {
            return;
        };
        if at_apex() {
            self.error(Some(cname), Problem::CnameAtApex(owner.clone()));
        } else {
            // Members are sorted by type: report the first record of each
            // other type once.
            let mut last_reported = None;
            for &i in members {
                let rtype = records[i].record.rtype;
                if ALLOWED_BESIDE_CNAME.contains(&rtype) || last_reported == Some(rtype) {
                    continue;
                }
                last_reported = Some(rtype);
                self.error(
                    Some(i),
                    Problem::CnameAndOtherData {
                        owner: owner.clone(),
                        rtype,
                    },
                );
            }
        }
        if let Some(dname) = of_type(Rtype::DNAME).next() {
            self.error(Some(dname), Problem::DnameAndCname(owner.clone()));
        }
    }

    /// Data under a DNAME, or under a zone cut and not glue, is never served.
    fn check_occlusion(
        &mut self,
        index: &Index<'_>,
        members: &[usize],
        cuts: &NameSet,
        dnames: &NameSet,
    ) {
        let zone = self.zone;
        let records = &zone.records;
        let owner = &records[members[0]].record.owner;
        let mut lower = [0u8; wire::name::MAX_NAME_LEN];
        let key = lowercased(index.owner(members[0]), &mut lower);
        let apex_len = zone.origin.wire_len();
        if let Some(dname) = dnames.closest_enclosing(owner, key, Search::AncestorsOnly, apex_len) {
            for first in first_of_each_type(records, members) {
                let rtype = records[first].record.rtype;
                self.warning(
                    first,
                    Problem::OccludedByDname {
                        owner: owner.clone(),
                        rtype,
                        dname: dname.clone(),
                    },
                );
            }
            return;
        }
        // Strictly below the apex: the apex's own NS records are no cut.
        if let Some(cut) = cuts.closest_enclosing(owner, key, Search::AncestorsOnly, apex_len + 1) {
            for first in first_of_each_type(records, members) {
                let rtype = records[first].record.rtype;
                if rtype != Rtype::A && rtype != Rtype::AAAA {
                    self.warning(
                        first,
                        Problem::OccludedByDelegation {
                            owner: owner.clone(),
                            rtype,
                            cut: cut.clone(),
                        },
                    );
                }
            }
        }
    }

    /// All records of an rrset should share one TTL (RFC 2181 §5.2).
    fn check_ttls(&mut self, members: &[usize]) {
        let zone = self.zone;
        let records = &zone.records;
        let mut first = members[0];
        for &i in &members[1..] {
            let (record, leader) = (&records[i].record, &records[first].record);
            if rrset_key(record) != rrset_key(leader) {
                first = i;
                continue;
            }
            if record.ttl != leader.ttl {
                let problem = Problem::TtlMismatch {
                    owner: record.owner.clone(),
                    rtype: record.rtype,
                    ttl: record.ttl,
                    rrset_ttl: leader.ttl,
                };
                self.warning(i, problem);
            }
        }
    }

    /// NS targets inside the zone need addresses (glue below a cut) and
    /// must not be CNAMEs; MX and SRV targets should not be CNAMEs.
    fn check_targets(
        &mut self,
        index: &Index<'_>,
        in_zone: &[usize],
        cuts: &NameSet,
        dnames: &NameSet,
    ) {
        let zone = self.zone;
        let apex = &zone.origin;
        let apex_len = apex.wire_len();
        for &i in in_zone {
            let record = &zone.records[i].record;
            if !matches!(record.rtype, Rtype::NS | Rtype::MX | Rtype::SRV) {
                continue;
            }
            let Some(target) = wire::rdata::additional_target(record.rtype, &record.rdata) else {
                continue;
            };
            let Ok(target) = Name::from_wire(target) else {
                continue;
            };
            let key = target.to_lowercase().as_wire().to_vec();
            if !target.is_subdomain_of(apex)
                || dnames
                    .closest_enclosing(&target, &key, Search::AncestorsOnly, apex_len)
                    .is_some()
            {
                continue;
            }
            let owned = index.owned_by(&key);
            let is_cname = index.has_type(owned, Rtype::CNAME);
            if record.rtype != Rtype::NS {
                if is_cname {
                    let problem = Problem::TargetIsCname {
                        rtype: record.rtype,
                        owner: record.owner.clone(),
                        target,
                    };
                    self.warning(i, problem);
                }
                continue;
            }
            if is_cname {
                self.error(Some(i), Problem::NsTargetIsCname(target));
            } else if !index.has_type(owned, Rtype::A) && !index.has_type(owned, Rtype::AAAA) {
                match cuts.closest_enclosing(&target, &key, Search::NameAndAncestors, apex_len + 1)
                {
                    Some(cut) => self.error(Some(i), Problem::MissingGlue { target, cut }),
                    None => self.error(Some(i), Problem::NsTargetWithoutAddress(target)),
                }
            }
        }
    }
}

/// The first record of each type among `members` (sorted by type).
fn first_of_each_type(records: &[SourcedRecord], members: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for &i in members {
        let rtype = records[i].record.rtype;
        if out
            .last()
            .is_none_or(|&last| records[last].record.rtype != rtype)
        {
            out.push(i);
        }
    }
    out
}
