//! The authoritative lookup of RFC 1034 §4.3.2 inside one zone, as refined
//! by RFC 2181, RFC 2308 (negative answers), RFC 4592 (wildcards), RFC 6672
//! (DNAME), RFC 6604 (RCODE after a chain) and RFC 8482 (ANY).
//!
//! The result is a [`Resolution`]: which RRsets go in which section, with
//! which owner. [`crate::encode`] turns it into bytes. The same code runs
//! at load time to precompile answers and at query time for everything the
//! precompiled answers do not cover, so the two can never disagree.

use wire::name::MAX_NAME_LEN;
use wire::{Rcode, Rtype};

use crate::snapshot::{
    FLAG_CNAME, FLAG_CUT, FLAG_DNAME, FLAG_OCCLUDED, FLAG_WILDCARD_CHILD, NodeId, RrsetId, Zone,
};

/// Longest CNAME/DNAME chain followed inside a zone before giving up.
pub const MAX_CHAIN: usize = 12;

/// Where a record's owner name comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The question name, as the client wrote it.
    Question,
    /// A node of the zone.
    Node(NodeId),
    /// A name in [`Resolution::names`] (offset, length): a CNAME target or
    /// a DNAME-synthesised name further down a chain.
    Scratch(u16, u8),
}

/// One item of a section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// A whole RRset.
    Rrset {
        /// Owner to write.
        owner: Owner,
        /// The set.
        rrset: RrsetId,
    },
    /// The RRSIGs of an RRSIG set that cover one type (RFC 4035 §3.1.1).
    Signatures {
        /// Owner to write.
        owner: Owner,
        /// The node's RRSIG set.
        rrset: RrsetId,
        /// Which type's signatures.
        covered: Rtype,
        /// Largest TTL to write: the signatures of a negative answer's SOA
        /// follow the SOA's lowered TTL (RFC 4035 §2.2, RFC 2308 §3).
        max_ttl: u32,
    },
    /// A CNAME synthesised from a DNAME (RFC 6672 §3.1).
    SynthesizedCname {
        /// The name being answered.
        owner: Owner,
        /// The DNAME's TTL.
        ttl: u32,
        /// Target: offset and length in [`Resolution::names`].
        target: (u16, u8),
    },
    /// The zone's SOA in a negative answer, its TTL lowered to the SOA
    /// MINIMUM when that is smaller (RFC 2308 §3).
    NegativeSoa {
        /// The SOA RRset.
        rrset: RrsetId,
    },
}

/// Whether the query came over a transport that can carry big answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// UDP: ANY gets one RRset (RFC 8482).
    Udp,
    /// TCP (or a precompiled answer that never serves ANY).
    Tcp,
}

/// What a query wants besides name and type.
#[derive(Clone, Copy, Debug)]
pub struct QueryOptions {
    /// DO bit: add DNSSEC records when the zone is signed.
    pub dnssec_ok: bool,
    /// The transport.
    pub transport: Transport,
}

/// Which sections get which records, and the header bits that go with them.
#[derive(Clone, Debug, Default)]
pub struct Resolution {
    /// RCODE.
    pub rcode: Rcode,
    /// AA bit: clear for referrals.
    pub authoritative: bool,
    /// Answer section.
    pub answer: Vec<Item>,
    /// Authority section.
    pub authority: Vec<Item>,
    /// Additional section; glue required by RFC 9471 is marked `true`.
    pub additional: Vec<(Item, bool)>,
    /// Arena for names that are neither the question nor a node.
    pub names: Vec<u8>,
}

impl Resolution {
    /// Empties the resolution, keeping its buffers.
    pub fn clear(&mut self) {
        self.rcode = Rcode::NOERROR;
        self.authoritative = true;
        self.answer.clear();
        self.authority.clear();
        self.additional.clear();
        self.names.clear();
    }

    /// The name stored at `(offset, len)`.
    pub fn scratch_name(&self, offset: u16, len: u8) -> &[u8] {
        &self.names[offset as usize..offset as usize + len as usize]
    }

    fn push_name(&mut self, name: &[u8]) -> Owner {
        let offset = self.names.len() as u16;
        self.names.extend_from_slice(name);
        Owner::Scratch(offset, name.len() as u8)
    }
}

/// What a name lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// The name exists as a node.
    Exact(NodeId),
    /// The name does not exist; this is its closest encloser.
    Encloser(NodeId),
}

impl Zone {
    /// Looks up a lower-case wire name at or below the apex.
    pub(crate) fn find(&self, qname: &[u8]) -> Found {
        let mut rel = &qname[..qname.len() - self.apex.wire_len()];
        if let Some(id) = self.lookup_relative(rel) {
            return Found::Exact(id);
        }
        loop {
            rel = &rel[1 + rel[0] as usize..];
            if let Some(id) = self.lookup_relative(rel) {
                return Found::Encloser(id);
            }
            if rel.is_empty() {
                // The apex always exists; reaching here means the table is
                // inconsistent, which building rules out. Answer from the apex.
                return Found::Encloser(self.apex_node);
            }
        }
    }

    /// Resolves `qname` (lower-case wire form, inside this zone) for `qtype`.
    pub fn resolve(&self, qname: &[u8], qtype: Rtype, options: QueryOptions, out: &mut Resolution) {
        out.clear();
        let mut current = [0u8; MAX_NAME_LEN];
        let mut current_len = qname.len();
        current[..current_len].copy_from_slice(qname);
        let mut owner = Owner::Question;
        let dnssec = options.dnssec_ok && self.signed;
        let mut visited: [NodeId; MAX_CHAIN] = [u32::MAX; MAX_CHAIN];

        for step in 0..MAX_CHAIN {
            let name = &current[..current_len];
            let found = self.find(name);
            let (id, exists) = match found {
                Found::Exact(id) => (id, true),
                Found::Encloser(id) => (id, false),
            };
            let node = self.node(id);

            // A cut or DNAME above the name takes over (RFC 1034 §4.3.2 step 3b,
            // RFC 6672 §3.2), unless we are at the cut itself asking for DS,
            // which the parent side answers (RFC 4035 §3.1.4.1).
            let occluder = if node.flags & FLAG_OCCLUDED != 0 {
                self.live(node.occluder)
            } else if (node.flags & FLAG_CUT != 0 && !(exists && qtype == Rtype::DS))
                || (!exists && node.flags & FLAG_DNAME != 0)
            {
                Some(id)
            } else {
                None
            };
            if let Some(occluder) = occluder {
                let occ = self.node(occluder);
                if occ.flags & FLAG_CUT != 0 && !(occluder == id && exists && qtype == Rtype::DS) {
                    self.referral(occluder, dnssec, out);
                    return;
                }
                // DNAME substitution.
                let Some(dname_set) = self.find_rrset(occluder, Rtype::DNAME) else {
                    return;
                };
                out.answer.push(Item::Rrset {
                    owner: Owner::Node(occluder),
                    rrset: dname_set,
                });
                if dnssec {
                    self.push_signatures(
                        &mut out.answer,
                        occluder,
                        Owner::Node(occluder),
                        Rtype::DNAME,
                    );
                }
                let Some(target) = self.rdatas(dname_set).next() else {
                    return;
                };
                let owner_len = self.relative_name(occluder).len() + self.apex.wire_len();
                let prefix_len = current_len - owner_len;
                let new_len = prefix_len + target.len();
                if new_len > MAX_NAME_LEN {
                    out.rcode = Rcode::YXDOMAIN;
                    return;
                }
                let mut next = [0u8; MAX_NAME_LEN];
                next[..prefix_len].copy_from_slice(&current[..prefix_len]);
                next[prefix_len..new_len].copy_from_slice(target);
                let offset = out.names.len() as u16;
                out.names.extend_from_slice(&next[..new_len]);
                let ttl = self.rrset(dname_set).ttl;
                out.answer.push(Item::SynthesizedCname {
                    owner,
                    ttl,
                    target: (offset, new_len as u8),
                });
                next[..new_len].make_ascii_lowercase();
                current[..new_len].copy_from_slice(&next[..new_len]);
                current_len = new_len;
                owner = Owner::Scratch(offset, new_len as u8);
                // The synthesised CNAME answers a CNAME question itself, as a
                // real CNAME would; other types follow it inside the zone.
                if qtype == Rtype::CNAME || !self.contains_wire(&current[..current_len]) {
                    return;
                }
                continue;
            }

            // The name exists, or a wildcard stands in for it (RFC 4592 §3.3.1).
            let source = if exists {
                id
            } else if node.flags & FLAG_WILDCARD_CHILD != 0 {
                let mut wildcard_rel = [0u8; MAX_NAME_LEN];
                let rel = self.relative_name(id);
                wildcard_rel[0] = 1;
                wildcard_rel[1] = b'*';
                wildcard_rel[2..2 + rel.len()].copy_from_slice(rel);
                match self.lookup_relative(&wildcard_rel[..2 + rel.len()]) {
                    Some(w) => w,
                    None => {
                        self.name_error(&current[..current_len], id, dnssec, out);
                        return;
                    }
                }
            } else {
                self.name_error(&current[..current_len], id, dnssec, out);
                return;
            };
            // A wildcard answer proves, when signed, that the name itself
            // does not exist (RFC 4035 §3.1.3.3).
            if dnssec && source != id {
                self.push_covering_nsec(&mut out.authority, &current[..current_len]);
            }
            // The name as asked (or as reached along the chain) owns the
            // answer, which is what wildcard synthesis needs too.
            let source_owner = owner;
            if visited.contains(&source) {
                // A CNAME loop: stop with what we have (RFC 1034 §3.6.2).
                return;
            }
            visited[step] = source;

            if qtype == Rtype::ANY {
                self.any(source, source_owner, &current[..current_len], options, out);
                return;
            }
            if let Some(set) = self.find_rrset(source, qtype) {
                out.answer.push(Item::Rrset {
                    owner: source_owner,
                    rrset: set,
                });
                if dnssec && qtype != Rtype::RRSIG {
                    self.push_signatures(&mut out.answer, source, source_owner, qtype);
                }
                self.additional_for(set, out);
                return;
            }
            let source_node = self.node(source);
            if source_node.flags & FLAG_CNAME != 0 && qtype != Rtype::CNAME {
                let Some(cname) = self.find_rrset(source, Rtype::CNAME) else {
                    return;
                };
                out.answer.push(Item::Rrset {
                    owner: source_owner,
                    rrset: cname,
                });
                if dnssec {
                    self.push_signatures(&mut out.answer, source, source_owner, Rtype::CNAME);
                }
                let Some(target) = self.rdatas(cname).next() else {
                    return;
                };
                if target.len() > MAX_NAME_LEN {
                    return;
                }
                owner = out.push_name(target);
                current[..target.len()].copy_from_slice(target);
                current[..target.len()].make_ascii_lowercase();
                current_len = target.len();
                if !self.contains_wire(&current[..current_len]) {
                    return;
                }
                continue;
            }
            self.no_data(source, &current[..current_len], dnssec, out);
            return;
        }
    }

    /// NODATA (RFC 2308 §2.2) at `source`, reached for `name`; signed: the
    /// NSEC of the node, or for an empty non-terminal the NSEC that covers
    /// the name (RFC 4035 §3.1.3.1).
    fn no_data(&self, source: NodeId, name: &[u8], dnssec: bool, out: &mut Resolution) {
        self.push_soa(&mut out.authority, dnssec);
        if dnssec {
            if self.find_rrset(source, Rtype::NSEC).is_some() {
                self.push_nsec(&mut out.authority, source);
            } else {
                self.push_covering_nsec(&mut out.authority, name);
            }
        }
    }

    /// Name error (RFC 2308 §2.1): NXDOMAIN with the SOA. After a chain the
    /// RCODE still describes the last name (RFC 6604 §2). Signed: the NSEC
    /// covering the name and the one covering the wildcard at its closest
    /// encloser `encloser` (RFC 4035 §3.1.3.2).
    fn name_error(&self, name: &[u8], encloser: NodeId, dnssec: bool, out: &mut Resolution) {
        out.rcode = Rcode::NXDOMAIN;
        self.push_soa(&mut out.authority, dnssec);
        if dnssec {
            self.push_covering_nsec(&mut out.authority, name);
            let rel = self.relative_name(encloser);
            let mut wildcard = [0u8; MAX_NAME_LEN];
            wildcard[0] = 1;
            wildcard[1] = b'*';
            wildcard[2..2 + rel.len()].copy_from_slice(rel);
            let apex = self.apex.as_wire();
            let len = 2 + rel.len() + apex.len();
            if len <= MAX_NAME_LEN {
                wildcard[2 + rel.len()..len].copy_from_slice(apex);
                self.push_covering_nsec(&mut out.authority, &wildcard[..len]);
            }
        }
    }

    /// The NSEC (with its signatures) whose owner is the closest name at or
    /// before `name` in canonical order, which is the NSEC that covers
    /// `name` when it does not exist. Skipped if already in the section.
    fn push_covering_nsec(&self, section: &mut Vec<Item>, name: &[u8]) {
        let rel = &name[..name.len() - self.apex.wire_len()];
        let Some(id) = self.nsec_at_or_before(rel) else {
            return;
        };
        let already = section
            .iter()
            .any(|item| matches!(item, Item::Rrset { owner: Owner::Node(n), .. } if *n == id));
        if !already {
            self.push_nsec(section, id);
        }
    }

    /// The SOA of a negative answer (NXDOMAIN or NODATA).
    pub(crate) fn push_soa(&self, section: &mut Vec<Item>, dnssec: bool) {
        let apex = self.apex_node;
        if let Some(set) = self.find_rrset(apex, Rtype::SOA) {
            section.push(Item::NegativeSoa { rrset: set });
            if dnssec {
                let before = section.len();
                self.push_signatures(section, apex, Owner::Node(apex), Rtype::SOA);
                if let Some(Item::Signatures { max_ttl, .. }) = section.get_mut(before) {
                    *max_ttl = self.soa.minimum;
                }
            }
        }
    }

    fn push_nsec(&self, section: &mut Vec<Item>, id: NodeId) {
        if let Some(set) = self.find_rrset(id, Rtype::NSEC) {
            section.push(Item::Rrset {
                owner: Owner::Node(id),
                rrset: set,
            });
            self.push_signatures(section, id, Owner::Node(id), Rtype::NSEC);
        }
    }

    fn push_signatures(&self, section: &mut Vec<Item>, id: NodeId, owner: Owner, covered: Rtype) {
        if let Some(set) = self.find_rrset(id, Rtype::RRSIG) {
            let any = self
                .rdatas(set)
                .any(|r| wire::rdata::rrsig_type_covered(r) == Some(covered));
            if any {
                section.push(Item::Signatures {
                    owner,
                    rrset: set,
                    covered,
                    max_ttl: u32::MAX,
                });
            }
        }
    }

    /// A referral from the cut `cut` (RFC 1034 §4.3.2 step 3b): its NS set in
    /// authority, AA clear, glue in additional.
    fn referral(&self, cut: NodeId, dnssec: bool, out: &mut Resolution) {
        let Some(ns) = self.find_rrset(cut, Rtype::NS) else {
            return;
        };
        if out.answer.is_empty() {
            out.authoritative = false;
        }
        out.authority.push(Item::Rrset {
            owner: Owner::Node(cut),
            rrset: ns,
        });
        if dnssec {
            match self.find_rrset(cut, Rtype::DS) {
                Some(ds) => {
                    out.authority.push(Item::Rrset {
                        owner: Owner::Node(cut),
                        rrset: ds,
                    });
                    self.push_signatures(&mut out.authority, cut, Owner::Node(cut), Rtype::DS);
                }
                None => self.push_nsec(&mut out.authority, cut),
            }
        }
        for rdata in self.rdatas(ns) {
            self.push_addresses(rdata, true, out);
        }
    }

    /// RFC 1034 §3.7 and RFC 2782: addresses of NS, MX and SRV targets that
    /// this zone holds.
    fn additional_for(&self, set: RrsetId, out: &mut Resolution) {
        let rtype = self.rrset(set).rtype;
        if !matches!(rtype, Rtype::NS | Rtype::MX | Rtype::SRV) {
            return;
        }
        for rdata in self.rdatas(set) {
            if let Some(target) = wire::rdata::additional_target(rtype, rdata) {
                let mut lower = [0u8; MAX_NAME_LEN];
                lower[..target.len()].copy_from_slice(target);
                lower[..target.len()].make_ascii_lowercase();
                self.push_target_addresses(&lower[..target.len()], rtype == Rtype::NS, false, out);
            }
        }
    }

    fn push_addresses(&self, ns_rdata: &[u8], required: bool, out: &mut Resolution) {
        if let Some(target) = wire::rdata::single_name(ns_rdata) {
            let mut lower = [0u8; MAX_NAME_LEN];
            lower[..target.len()].copy_from_slice(target);
            lower[..target.len()].make_ascii_lowercase();
            self.push_target_addresses(&lower[..target.len()], true, required, out);
        }
    }

    /// Adds A and AAAA of `target` if it is a node of this zone. Glue below a
    /// cut is used only when `allow_glue` (NS targets); it is `required` for
    /// referrals (RFC 9471 in-domain glue).
    fn push_target_addresses(
        &self,
        target: &[u8],
        allow_glue: bool,
        required: bool,
        out: &mut Resolution,
    ) {
        if !self.contains_wire(target) {
            return;
        }
        let Found::Exact(id) = self.find(target) else {
            return;
        };
        let node = self.node(id);
        let is_glue = node.flags & FLAG_OCCLUDED != 0;
        if is_glue && !allow_glue {
            return;
        }
        let required = required && is_glue;
        for rtype in [Rtype::A, Rtype::AAAA] {
            if let Some(set) = self.find_rrset(id, rtype) {
                let item = Item::Rrset {
                    owner: Owner::Node(id),
                    rrset: set,
                };
                if !out.additional.iter().any(|(i, _)| *i == item) {
                    out.additional.push((item, required));
                }
            }
        }
    }

    /// ANY (RFC 8482 §4.1): over UDP one RRset, the one with the lowest
    /// type (as Knot picks); over TCP every RRset. RRSIG only with DO.
    fn any(
        &self,
        id: NodeId,
        owner: Owner,
        name: &[u8],
        options: QueryOptions,
        out: &mut Resolution,
    ) {
        let with_signatures = options.dnssec_ok && self.signed;
        let mut sets = self
            .node_rrsets(id)
            .iter()
            .enumerate()
            .filter(|(_, set)| set.rtype != Rtype::RRSIG || with_signatures)
            .map(|(i, set)| (self.rrset_id(id, i), set.rtype));
        if options.transport == Transport::Udp {
            match sets.next() {
                Some((rrset, rtype)) => {
                    out.answer.push(Item::Rrset { owner, rrset });
                    if with_signatures {
                        self.push_signatures(&mut out.answer, id, owner, rtype);
                    }
                }
                None => self.no_data(id, name, with_signatures, out),
            }
            return;
        }
        let mut any = false;
        for (rrset, _) in sets {
            out.answer.push(Item::Rrset { owner, rrset });
            any = true;
        }
        if !any {
            self.no_data(id, name, with_signatures, out);
        }
    }
}

#[cfg(test)]
mod tests;
