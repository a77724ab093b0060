//! Dynamic UPDATE (RFC 2136): checking the request, evaluating its
//! prerequisites against the zone, and turning its update section into the
//! operations the write path applies. Pure: the zone's current snapshot in,
//! an RCODE or a list of operations out.
//!
//! ```text
//!  UPDATE ─► request(): zone section, policy ─► Outcome::Update (ticket) ─► the server's writer:
//!              plan(zone, message) under the write lock:
//!                prescan (§3.4.1.3) ─► prerequisites (§3.2) ─► operations (§3.4.2)
//!              ─► store write path ─► new snapshot, journal, NOTIFY ─► reply(rcode)
//! ```

use std::collections::{HashMap, HashSet};

use wire::request::Request;
use wire::{Class, Message, Name, Rcode, Record, Rtype, Serial};
use zone::Zone;

use crate::acl::Requester;
use crate::client::Client;
use crate::outcome::Outcome;
pub use crate::outcome::UpdateTicket;
use crate::refusal::{Asked, Reason, Refusal};
use crate::reply::error_response;
use crate::served::Served;

/// One change the update asks for, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpdateOp {
    /// Add a record (to its RRset; the RRset takes this TTL).
    Add(Record),
    /// Delete the RRset `(name, rtype)`.
    DeleteRrset(Name, Rtype),
    /// Delete every RRset at a name (apex SOA and NS excepted).
    DeleteName(Name),
    /// Delete one record.
    DeleteRecord(Record),
}

/// Checks an UPDATE request's zone section and the zone's policy; hands an
/// accepted one to the writer.
pub(crate) fn request(
    served: &Served,
    request: &Request<'_>,
    client: &Client,
    requester: Requester<'_>,
    refused: &mut Option<Refusal>,
    limit: usize,
    out: &mut Vec<u8>,
) -> Outcome {
    let refuse = |rcode: Rcode, out: &mut Vec<u8>| {
        error_response(served, request, rcode, limit, out);
        Outcome::Reply
    };
    let mut refusal = |zone: &Name, reason: Reason| {
        *refused = Some(Refusal {
            asked: Asked::Update,
            zone: zone.clone(),
            key: requester.key.cloned(),
            reason,
        });
    };
    // RFC 2136 §3.1.1: exactly one zone, of type SOA.
    if request.qtype != Rtype::SOA {
        return refuse(Rcode::FORMERR, out);
    }
    if request.qclass != Class::IN {
        return refuse(Rcode::NOTAUTH, out);
    }
    let Ok(apex) = Name::from_wire(request.qname()) else {
        return refuse(Rcode::FORMERR, out);
    };
    let Some(entry) = served
        .catalog
        .find(request.qname())
        .filter(|e| e.apex() == &apex)
    else {
        refusal(&apex, Reason::NotAuthoritative);
        return refuse(Rcode::NOTAUTH, out);
    };
    let policy = served.policy(&apex);
    let Some(allow) = policy.update() else {
        // Not a zone we take writes for here (a secondary, or a zone file):
        // RFC 2136 §3.1.2 would forward; we answer NOTAUTH.
        refusal(&apex, Reason::NotTaken);
        return refuse(Rcode::NOTAUTH, out);
    };
    if !allow.allows(requester) {
        refusal(&apex, Reason::of_acl(allow, requester));
        return refuse(Rcode::REFUSED, out);
    }
    if entry.zone().is_none() {
        return refuse(Rcode::SERVFAIL, out);
    }
    let Ok(message) = Message::parse(request.bytes) else {
        return refuse(Rcode::FORMERR, out);
    };
    Outcome::Update(Box::new(UpdateTicket {
        apex,
        message,
        key: requester.key.cloned(),
        signer: None,
        client: *client,
    }))
}

/// Evaluates an UPDATE against the zone as it is now: the prescan of the
/// update section (RFC 2136 §3.4.1), the prerequisites (§3.2), then the
/// operations (§3.4.2), skipping those the RFC says to ignore.
pub fn plan(zone: &Zone, message: &Message) -> Result<Vec<UpdateOp>, Rcode> {
    let apex = zone.apex();
    prescan(apex, &message.authority)?;
    // Only the names the prerequisites and updates name (and the apex,
    // whose SOA and NS have rules of their own) matter: reading those
    // keeps an update O(names touched) on a zone of millions of records.
    let mut names: Vec<Name> = std::iter::once(apex.clone())
        .chain(message.answer.iter().map(|r| r.owner.to_lowercase()))
        .chain(message.authority.iter().map(|r| r.owner.to_lowercase()))
        .collect();
    names.sort_by(|a, b| a.canonical_cmp(b));
    names.dedup();
    let records: Vec<Record> = names.iter().flat_map(|n| zone.records_at(n)).collect();
    check_prerequisites(apex, &records, &message.answer)?;

    // A working view of the zone, so each operation sees the ones before.
    let mut view = View::new(&records);
    let mut ops = Vec::new();
    for r in &message.authority {
        let name = r.owner.to_lowercase();
        match r.class {
            Class::IN => {
                let types = view.types(&name);
                if r.rtype == Rtype::CNAME
                    && types
                        .iter()
                        .any(|t| !cname_compatible(*t) && *t != Rtype::CNAME)
                {
                    continue; // §3.4.2.2: CNAME where other data exists is ignored
                }
                if r.rtype != Rtype::CNAME
                    && !cname_compatible(r.rtype)
                    && types.contains(&Rtype::CNAME)
                {
                    continue; // and other data where a CNAME exists
                }
                if r.rtype == Rtype::SOA {
                    if name != *apex {
                        continue;
                    }
                    let (Some(new), Some(old)) =
                        (wire::rdata::soa_numbers(&r.rdata), view.soa_serial(apex))
                    else {
                        continue;
                    };
                    if !Serial(new[0]).is_newer_than(Serial(old)) {
                        continue; // §3.4.2.2: an SOA that does not advance is ignored
                    }
                    view.replace_set(&name, Rtype::SOA, r);
                } else if r.rtype == Rtype::CNAME {
                    view.replace_set(&name, Rtype::CNAME, r);
                } else {
                    view.add(&name, r);
                    if view.count(&name, r.rtype) > wire::MAX_RECORDS_PER_RRSET {
                        // The whole update is refused (it is atomic,
                        // RFC 2136 §3.4): an RRset past the bound.
                        return Err(Rcode::REFUSED);
                    }
                }
                let mut record = r.clone();
                record.owner = name;
                ops.push(UpdateOp::Add(record));
            }
            Class::ANY if r.rtype == Rtype::ANY => {
                if name == *apex {
                    // §3.4.2.3: at the apex, SOA and NS survive.
                    for t in view.types(&name) {
                        if t != Rtype::SOA && t != Rtype::NS {
                            view.remove_set(&name, t);
                            ops.push(UpdateOp::DeleteRrset(name.clone(), t));
                        }
                    }
                } else if !view.types(&name).is_empty() {
                    view.remove_name(&name);
                    ops.push(UpdateOp::DeleteName(name));
                }
            }
            Class::ANY => {
                if name == *apex && (r.rtype == Rtype::SOA || r.rtype == Rtype::NS) {
                    continue; // §3.4.2.3
                }
                if view.types(&name).contains(&r.rtype) {
                    view.remove_set(&name, r.rtype);
                    ops.push(UpdateOp::DeleteRrset(name, r.rtype));
                }
            }
            Class::NONE => {
                if r.rtype == Rtype::SOA {
                    continue; // §3.4.2.4
                }
                if name == *apex && r.rtype == Rtype::NS && view.count(&name, Rtype::NS) <= 1 {
                    continue; // the last apex NS stays
                }
                if view.remove_record(&name, r) {
                    let mut record = r.clone();
                    record.owner = name;
                    record.class = Class::IN;
                    ops.push(UpdateOp::DeleteRecord(record));
                }
            }
            _ => return Err(Rcode::FORMERR),
        }
    }
    Ok(ops)
}

/// Types that may stand beside a CNAME (RFC 2181 §10.1, RFC 4035 §2.5).
fn cname_compatible(rtype: Rtype) -> bool {
    matches!(rtype, Rtype::RRSIG | Rtype::NSEC | Rtype::KEY)
}

/// §3.4.1.3: every update RR is checked before anything is done.
fn prescan(apex: &Name, updates: &[Record]) -> Result<(), Rcode> {
    for r in updates {
        if !r.owner.is_subdomain_of(apex) {
            return Err(Rcode::NOTZONE);
        }
        match r.class {
            Class::IN => {
                if r.rtype.is_meta() {
                    return Err(Rcode::FORMERR);
                }
                if wire::rdata::validate(r.rtype, &r.rdata).is_err() {
                    return Err(Rcode::FORMERR);
                }
            }
            Class::ANY => {
                if r.ttl != 0 || !r.rdata.is_empty() || (r.rtype.is_meta() && r.rtype != Rtype::ANY)
                {
                    return Err(Rcode::FORMERR);
                }
            }
            Class::NONE => {
                // Deleting one RR names that RR exactly: its RDATA must be
                // well formed for its type (empty only where the type allows).
                if r.ttl != 0
                    || r.rtype.is_meta()
                    || wire::rdata::validate(r.rtype, &r.rdata).is_err()
                {
                    return Err(Rcode::FORMERR);
                }
            }
            _ => return Err(Rcode::FORMERR),
        }
    }
    Ok(())
}

/// §3.2: the prerequisite section, against the zone before any change.
fn check_prerequisites(
    apex: &Name,
    records: &[Record],
    prerequisites: &[Record],
) -> Result<(), Rcode> {
    let mut value_dependent: HashMap<(Name, Rtype), Vec<&[u8]>> = HashMap::new();
    let in_use = |name: &Name| records.iter().any(|r| r.owner == *name);
    let has_set =
        |name: &Name, rtype: Rtype| records.iter().any(|r| r.owner == *name && r.rtype == rtype);
    for p in prerequisites {
        if p.ttl != 0 {
            return Err(Rcode::FORMERR);
        }
        if !p.owner.is_subdomain_of(apex) {
            return Err(Rcode::NOTZONE);
        }
        match (p.class, p.rtype) {
            (Class::ANY, _) if !p.rdata.is_empty() => return Err(Rcode::FORMERR),
            (Class::ANY, Rtype::ANY) => {
                if !in_use(&p.owner) {
                    return Err(Rcode::NXDOMAIN);
                }
            }
            (Class::ANY, t) => {
                if !has_set(&p.owner, t) {
                    return Err(Rcode::NXRRSET);
                }
            }
            (Class::NONE, _) if !p.rdata.is_empty() => return Err(Rcode::FORMERR),
            (Class::NONE, Rtype::ANY) => {
                if in_use(&p.owner) {
                    return Err(Rcode::YXDOMAIN);
                }
            }
            (Class::NONE, t) => {
                if has_set(&p.owner, t) {
                    return Err(Rcode::YXRRSET);
                }
            }
            (Class::IN, t) => {
                value_dependent
                    .entry((p.owner.clone(), t))
                    .or_default()
                    .push(&p.rdata);
            }
            _ => return Err(Rcode::FORMERR),
        }
    }
    // Value-dependent: the RRset must be exactly the given records (TTLs aside).
    for ((name, rtype), wanted) in value_dependent {
        let wanted: HashSet<&[u8]> = wanted.into_iter().collect();
        let have: HashSet<&[u8]> = records
            .iter()
            .filter(|r| r.owner == name && r.rtype == rtype)
            .map(|r| r.rdata.as_slice())
            .collect();
        if wanted != have {
            return Err(Rcode::NXRRSET);
        }
    }
    Ok(())
}

/// The zone's records by name and type, changed as operations are planned.
struct View {
    sets: HashMap<Name, HashMap<Rtype, Vec<Vec<u8>>>>,
}

impl View {
    fn new(records: &[Record]) -> View {
        let mut sets: HashMap<Name, HashMap<Rtype, Vec<Vec<u8>>>> = HashMap::new();
        for r in records {
            sets.entry(r.owner.clone())
                .or_default()
                .entry(r.rtype)
                .or_default()
                .push(r.rdata.clone());
        }
        View { sets }
    }

    fn types(&self, name: &Name) -> Vec<Rtype> {
        self.sets
            .get(name)
            .map(|s| s.keys().copied().collect())
            .unwrap_or_default()
    }

    fn count(&self, name: &Name, rtype: Rtype) -> usize {
        self.sets
            .get(name)
            .and_then(|s| s.get(&rtype))
            .map_or(0, Vec::len)
    }

    fn soa_serial(&self, apex: &Name) -> Option<u32> {
        let rdata = self.sets.get(apex)?.get(&Rtype::SOA)?.first()?;
        wire::rdata::soa_numbers(rdata).map(|n| n[0])
    }

    fn add(&mut self, name: &Name, r: &Record) {
        let set = self
            .sets
            .entry(name.clone())
            .or_default()
            .entry(r.rtype)
            .or_default();
        if !set.contains(&r.rdata) {
            set.push(r.rdata.clone());
        }
    }

    fn replace_set(&mut self, name: &Name, rtype: Rtype, r: &Record) {
        self.sets
            .entry(name.clone())
            .or_default()
            .insert(rtype, vec![r.rdata.clone()]);
    }

    fn remove_set(&mut self, name: &Name, rtype: Rtype) {
        if let Some(s) = self.sets.get_mut(name) {
            s.remove(&rtype);
        }
    }

    fn remove_name(&mut self, name: &Name) {
        self.sets.remove(name);
    }

    fn remove_record(&mut self, name: &Name, r: &Record) -> bool {
        let Some(set) = self.sets.get_mut(name).and_then(|s| s.get_mut(&r.rtype)) else {
            return false;
        };
        let before = set.len();
        set.retain(|d| *d != r.rdata);
        before != set.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use zone::BuildOptions;

    fn zone() -> Zone {
        let origin: Name = "example.".parse().unwrap();
        let text = "$ORIGIN example.\n$TTL 60\n@ SOA ns h 10 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\nwww A 192.0.2.3\nalias CNAME www\n";
        let file = zonefile::parse_str(text, &origin, Path::new("t")).unwrap();
        Zone::build(
            &origin,
            file.records.into_iter().map(|r| r.record).collect(),
            BuildOptions { precompile: false },
        )
        .unwrap()
    }

    fn rr(owner: &str, class: Class, rtype: Rtype, ttl: u32, rdata: &[u8]) -> Record {
        Record {
            owner: owner.parse().unwrap(),
            rtype,
            class,
            ttl,
            rdata: rdata.to_vec(),
        }
    }

    fn message(prerequisites: Vec<Record>, updates: Vec<Record>) -> Message {
        Message {
            header: wire::Header::default(),
            questions: vec![wire::Question {
                qname: "example.".parse().unwrap(),
                qtype: Rtype::SOA,
                qclass: Class::IN,
            }],
            answer: prerequisites,
            authority: updates,
            additional: vec![],
            tsig_offset: None,
        }
    }

    #[test]
    fn prerequisites_give_the_rfc_rcodes() {
        let z = zone();
        let check = |p: Record| plan(&z, &message(vec![p], vec![]));
        assert_eq!(
            check(rr("www.example.", Class::ANY, Rtype::ANY, 0, &[])),
            Ok(vec![])
        );
        assert_eq!(
            check(rr("nope.example.", Class::ANY, Rtype::ANY, 0, &[])),
            Err(Rcode::NXDOMAIN)
        );
        assert_eq!(
            check(rr("www.example.", Class::ANY, Rtype::MX, 0, &[])),
            Err(Rcode::NXRRSET)
        );
        assert_eq!(
            check(rr("www.example.", Class::NONE, Rtype::ANY, 0, &[])),
            Err(Rcode::YXDOMAIN)
        );
        assert_eq!(
            check(rr("www.example.", Class::NONE, Rtype::A, 0, &[])),
            Err(Rcode::YXRRSET)
        );
        assert_eq!(
            check(rr("www.example.", Class::NONE, Rtype::MX, 0, &[])),
            Ok(vec![])
        );
        assert_eq!(
            check(rr("www.other.", Class::ANY, Rtype::ANY, 0, &[])),
            Err(Rcode::NOTZONE)
        );
        assert_eq!(
            check(rr("www.example.", Class::ANY, Rtype::ANY, 5, &[])),
            Err(Rcode::FORMERR)
        );
        // Value-dependent: exactly the RRset, TTL aside.
        let both = vec![
            rr("www.example.", Class::IN, Rtype::A, 0, &[192, 0, 2, 2]),
            rr("www.example.", Class::IN, Rtype::A, 0, &[192, 0, 2, 3]),
        ];
        assert_eq!(plan(&z, &message(both, vec![])), Ok(vec![]));
        let one = vec![rr("www.example.", Class::IN, Rtype::A, 0, &[192, 0, 2, 2])];
        assert_eq!(plan(&z, &message(one, vec![])), Err(Rcode::NXRRSET));
    }

    #[test]
    fn updates_follow_rfc2136_rules() {
        let z = zone();
        let add = rr("new.example.", Class::IN, Rtype::A, 300, &[192, 0, 2, 9]);
        assert_eq!(
            plan(&z, &message(vec![], vec![add.clone()])),
            Ok(vec![UpdateOp::Add(add)])
        );
        // A CNAME where data exists, and data where a CNAME exists, are ignored.
        let cname = rr(
            "www.example.",
            Class::IN,
            Rtype::CNAME,
            300,
            b"\x02ns\x07example\x00",
        );
        assert_eq!(plan(&z, &message(vec![], vec![cname])), Ok(vec![]));
        let beside = rr("alias.example.", Class::IN, Rtype::A, 300, &[192, 0, 2, 9]);
        assert_eq!(plan(&z, &message(vec![], vec![beside])), Ok(vec![]));
        // Apex SOA/NS survive "delete all"; the last apex NS stays.
        let wipe = rr("example.", Class::ANY, Rtype::ANY, 0, &[]);
        assert_eq!(plan(&z, &message(vec![], vec![wipe])), Ok(vec![]));
        let last_ns = rr(
            "example.",
            Class::NONE,
            Rtype::NS,
            0,
            b"\x02ns\x07example\x00",
        );
        assert_eq!(plan(&z, &message(vec![], vec![last_ns])), Ok(vec![]));
        // Deleting one record, a set, a name.
        let one = rr("www.example.", Class::NONE, Rtype::A, 0, &[192, 0, 2, 2]);
        assert_eq!(
            plan(&z, &message(vec![], vec![one])),
            Ok(vec![UpdateOp::DeleteRecord(rr(
                "www.example.",
                Class::IN,
                Rtype::A,
                0,
                &[192, 0, 2, 2]
            ))])
        );
        let set = rr("www.example.", Class::ANY, Rtype::A, 0, &[]);
        assert_eq!(
            plan(&z, &message(vec![], vec![set])),
            Ok(vec![UpdateOp::DeleteRrset(
                "www.example.".parse().unwrap(),
                Rtype::A
            )])
        );
        let name = rr("alias.example.", Class::ANY, Rtype::ANY, 0, &[]);
        assert_eq!(
            plan(&z, &message(vec![], vec![name])),
            Ok(vec![UpdateOp::DeleteName(
                "alias.example.".parse().unwrap()
            )])
        );
        // Nothing to delete: nothing done.
        let gone = rr("nope.example.", Class::ANY, Rtype::A, 0, &[]);
        assert_eq!(plan(&z, &message(vec![], vec![gone])), Ok(vec![]));
    }

    #[test]
    fn prescan_refuses_bad_updates() {
        let z = zone();
        let outside = rr("www.other.", Class::IN, Rtype::A, 300, &[192, 0, 2, 9]);
        assert_eq!(
            plan(&z, &message(vec![], vec![outside])),
            Err(Rcode::NOTZONE)
        );
        let meta = rr("www.example.", Class::IN, Rtype::AXFR, 300, &[]);
        assert_eq!(plan(&z, &message(vec![], vec![meta])), Err(Rcode::FORMERR));
        let bad_rdata = rr("www.example.", Class::IN, Rtype::A, 300, &[1, 2, 3]);
        assert_eq!(
            plan(&z, &message(vec![], vec![bad_rdata])),
            Err(Rcode::FORMERR)
        );
        let any_with_data = rr("www.example.", Class::ANY, Rtype::A, 0, &[1, 2, 3, 4]);
        assert_eq!(
            plan(&z, &message(vec![], vec![any_with_data])),
            Err(Rcode::FORMERR)
        );
        let chaos = rr("www.example.", Class::CH, Rtype::A, 0, &[1, 2, 3, 4]);
        assert_eq!(plan(&z, &message(vec![], vec![chaos])), Err(Rcode::FORMERR));
        // An older SOA is ignored, a newer one replaces.
        let soa = |serial: u32| {
            let mut rdata = b"\x02ns\x07example\x00\x01h\x07example\x00".to_vec();
            rdata.extend_from_slice(&serial.to_be_bytes());
            rdata.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]);
            rr("example.", Class::IN, Rtype::SOA, 60, &rdata)
        };
        assert_eq!(plan(&z, &message(vec![], vec![soa(9)])), Ok(vec![]));
        assert_eq!(plan(&z, &message(vec![], vec![soa(11)])).unwrap().len(), 1);
    }
}
