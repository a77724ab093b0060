//! Change sets and their application to a working copy of a zone's
//! RRsets: the pure first step of the write path.
//!
//! [`Edit`] holds the RRsets stored at every name a change set touches
//! (plus the apex) twice: as they are, and as they become while the
//! operations are applied one after another, in order, as RFC 2136 §3.4.2
//! processes an update section. Checks that concern a single record
//! (owner inside the zone, type, TTL, RDATA) happen here, as each
//! operation is applied; checks of the result as a whole live in
//! [`crate::validate`].

use std::collections::{BTreeMap, BTreeSet};

use wire::rdata::{RdataError, RdataText};
use wire::{Name, Record, Rtype, Serial, Ttl};

use crate::error::{Rejection, ValidationReason};
use crate::journal::Source;
use crate::zones::{Comment, RecordInput, StoredRecord};

/// Who made a change, through which door, why and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeMeta {
    /// The user or token name (or TSIG key name for UPDATE).
    pub author: String,
    /// The door the change came through.
    pub source: Source,
    /// The reason given, if any.
    pub comment: Option<String>,
    /// Unix time in seconds; the store reads no clock, so serials from the
    /// date policy and journal times follow this.
    pub now: u64,
}

/// Changes to the RRsets of one zone, applied in order, all or nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// The changes, in the order they are applied.
    pub changes: Vec<RrsetChange>,
}

/// A change to one RRset (or, for [`RrsetOp::DeleteName`], to one name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RrsetChange {
    /// Owner name (any case; stored lower-case).
    pub name: Name,
    /// Type (ignored by [`RrsetOp::DeleteName`]).
    pub rtype: Rtype,
    /// What to do.
    pub op: RrsetOp,
    /// New comments for the RRset: `None` keeps the stored ones, `Some`
    /// replaces them (`Some(vec![])` removes them). [`RrsetOp::Delete`]
    /// and [`RrsetOp::DeleteName`] remove comments whatever this says.
    pub comments: Option<Vec<Comment>>,
}

/// What a change does to its RRset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RrsetOp {
    /// PowerDNS `REPLACE`: the set becomes exactly these records, with this
    /// TTL; an empty list deletes it. Listing one RDATA twice is an error.
    Replace {
        /// TTL of the set.
        ttl: u32,
        /// The records.
        records: Vec<RecordInput>,
    },
    /// PowerDNS `DELETE`: the whole set and its comments.
    Delete,
    /// PowerDNS `EXTEND`, RFC 2136 "add to an RRset": these records join the
    /// set; one whose RDATA is already there replaces it (RFC 2136 §3.4.2.2);
    /// the whole set takes this TTL (RFC 2181 §5.2). With no records it
    /// changes nothing but the comments, so it is how a client changes
    /// only those.
    Extend {
        /// TTL of the set.
        ttl: u32,
        /// The records to add.
        records: Vec<RecordInput>,
    },
    /// PowerDNS `PRUNE`: these records (matched by RDATA) leave the set;
    /// ones not in it are ignored.
    Prune {
        /// The records to remove.
        records: Vec<RecordInput>,
    },
    /// RFC 2136 "delete an RR from an RRset": removes the record with this
    /// RDATA. As RFC 2136 §3.4.2.4 says, deleting the SOA, or the last NS
    /// record at the apex, is silently ignored.
    DeleteRecord {
        /// Uncompressed wire RDATA.
        rdata: Vec<u8>,
    },
    /// RFC 2136 "delete all RRsets from a name": the type is ignored; at the
    /// apex the SOA and NS sets stay (RFC 2136 §3.4.2.3).
    DeleteName,
}

/// The outcome of a committed write.
///
/// `removed` and `added` are the served-data difference in the journal's
/// (and IXFR's, RFC 1995 §4) condensed form: the old SOA first in
/// `removed`, the new SOA first in `added`, then records in canonical
/// order. A write that changed nothing served (an empty change set, one
/// that sets what is already there, or one touching only comments or
/// disabled records) has `from == to` and empty lists: no serial bump, no
/// journal entry, nothing to send to secondaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The zone.
    pub zone: Name,
    /// Serial before (0 for a zone just created).
    pub from: Serial,
    /// Serial after.
    pub to: Serial,
    /// Served records removed, the old SOA first.
    pub removed: Vec<Record>,
    /// Served records added, the new SOA first.
    pub added: Vec<Record>,
}

/// The identity of an RRset: owner (lower-case) and type.
pub(crate) type RrsetKey = (Name, Rtype);

/// The stored state of an RRset: never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RrsetState {
    /// TTL of the set.
    pub ttl: u32,
    /// Records, in the order given, disabled ones included.
    pub records: Vec<StoredRecord>,
}

impl RrsetState {
    /// The records that are served.
    pub(crate) fn enabled(&self) -> impl Iterator<Item = &StoredRecord> {
        self.records.iter().filter(|r| !r.disabled)
    }
}

/// A working copy of the RRsets at the names a change set touches.
#[derive(Clone, Debug)]
pub(crate) struct Edit {
    /// The zone's apex, lower-case.
    pub apex: Name,
    /// The RRsets as stored, at every loaded name.
    pub old: BTreeMap<RrsetKey, RrsetState>,
    /// The RRsets as the change set leaves them, at the same names.
    pub new: BTreeMap<RrsetKey, RrsetState>,
    /// Comment lists to store (an empty list removes them).
    pub comments: BTreeMap<RrsetKey, Vec<Comment>>,
    /// The names the change set touched, which [`crate::validate`] checks.
    pub touched: BTreeSet<Name>,
}

impl Edit {
    /// A working copy over `old`, which must hold every RRset stored at the
    /// names the changes will touch, and at the apex.
    pub(crate) fn new(apex: &Name, old: BTreeMap<RrsetKey, RrsetState>) -> Edit {
        Edit {
            apex: apex.to_lowercase(),
            new: old.clone(),
            old,
            comments: BTreeMap::new(),
            touched: BTreeSet::new(),
        }
    }

    /// Applies one change to the working copy, checking each record it
    /// brings.
    pub(crate) fn apply(&mut self, change: &RrsetChange) -> Result<(), Rejection> {
        let name = change.name.to_lowercase();
        let rtype = change.rtype;
        if !name.is_subdomain_of(&self.apex) {
            let apex = self.apex.clone();
            return Err(Rejection::new(
                &name,
                rtype,
                ValidationReason::OutsideZone { apex },
            ));
        }
        self.touched.insert(name.clone());
        if !matches!(change.op, RrsetOp::DeleteName) && is_unstorable(rtype) {
            return Err(Rejection::new(&name, rtype, ValidationReason::MetaType));
        }
        let key = (name.clone(), rtype);
        match &change.op {
            RrsetOp::Replace { ttl, records } => {
                self.check_set(&name, rtype, *ttl)?;
                let mut list: Vec<StoredRecord> = Vec::with_capacity(records.len());
                for input in records {
                    let record = stored_record(&name, rtype, input)?;
                    if list.iter().any(|r| r.rdata == record.rdata) {
                        return Err(Rejection::new(
                            &name,
                            rtype,
                            ValidationReason::DuplicateRecord {
                                content: record.content,
                            },
                        ));
                    }
                    list.push(record);
                }
                self.set(key.clone(), *ttl, list);
            }
            RrsetOp::Delete => {
                self.new.remove(&key);
                self.comments.insert(key.clone(), Vec::new());
            }
            // Adding nothing leaves the set, TTL included, as it is: a way
            // to change only the comments.
            RrsetOp::Extend { records, .. } if records.is_empty() => {}
            RrsetOp::Extend { ttl, records } => {
                self.check_set(&name, rtype, *ttl)?;
                let mut list = self
                    .new
                    .get(&key)
                    .map(|set| set.records.clone())
                    .unwrap_or_default();
                for input in records {
                    let record = stored_record(&name, rtype, input)?;
                    match list.iter_mut().find(|r| r.rdata == record.rdata) {
                        Some(existing) => *existing = record,
                        None => list.push(record),
                    }
                }
                self.set(key.clone(), *ttl, list);
            }
            RrsetOp::Prune { records } => {
                if let Some(set) = self.new.get(&key) {
                    let mut set = set.clone();
                    set.records
                        .retain(|r| !records.iter().any(|input| input.rdata == r.rdata));
                    self.set(key.clone(), set.ttl, set.records);
                }
            }
            RrsetOp::DeleteRecord { rdata } => {
                // RFC 2136 §3.4.2.4: the SOA cannot be deleted this way, and
                // neither can the apex's last NS record.
                if rtype != Rtype::SOA
                    && let Some(set) = self.new.get(&key)
                {
                    let mut set = set.clone();
                    set.records.retain(|r| r.rdata != *rdata);
                    let last_apex_ns =
                        rtype == Rtype::NS && name == self.apex && set.enabled().next().is_none();
                    if !last_apex_ns {
                        self.set(key.clone(), set.ttl, set.records);
                    }
                }
            }
            RrsetOp::DeleteName => {
                let at_apex = name == self.apex;
                let doomed: Vec<RrsetKey> = self
                    .new
                    .range((name.clone(), Rtype(0))..=(name.clone(), Rtype(u16::MAX)))
                    .map(|(key, _)| key.clone())
                    .filter(|(_, t)| !(at_apex && (*t == Rtype::SOA || *t == Rtype::NS)))
                    .collect();
                for key in doomed {
                    self.new.remove(&key);
                    self.comments.insert(key, Vec::new());
                }
                return Ok(());
            }
        }
        if let Some(comments) = &change.comments
            && !matches!(change.op, RrsetOp::Delete)
        {
            self.comments.insert(key, comments.clone());
        }
        Ok(())
    }

    /// Checks what concerns a whole set that records are written to: its
    /// TTL, and that an SOA is only at the apex.
    pub(crate) fn check_set(&self, name: &Name, rtype: Rtype, ttl: u32) -> Result<(), Rejection> {
        if ttl > Ttl::MAX.0 {
            return Err(Rejection::new(
                name,
                rtype,
                ValidationReason::TtlTooLarge { ttl },
            ));
        }
        if rtype == Rtype::SOA && *name != self.apex {
            let apex = self.apex.clone();
            return Err(Rejection::new(
                name,
                rtype,
                ValidationReason::SoaNotAtApex { apex },
            ));
        }
        // A DS set belongs to the parent side of a zone cut (RFC 4035
        // §2.4): at our apex it is the parent zone's, never ours.
        if rtype == Rtype::DS && *name == self.apex {
            return Err(Rejection::new(name, rtype, ValidationReason::DsAtApex));
        }
        // A zone's keys are published at its apex (RFC 4035 §2.1).
        if rtype == Rtype::DNSKEY && *name != self.apex {
            let apex = self.apex.clone();
            return Err(Rejection::new(
                name,
                rtype,
                ValidationReason::DnskeyNotAtApex { apex },
            ));
        }
        Ok(())
    }

    /// Sets an RRset in the working copy; no records removes it.
    fn set(&mut self, key: RrsetKey, ttl: u32, records: Vec<StoredRecord>) {
        if records.is_empty() {
            self.new.remove(&key);
        } else {
            self.new.insert(key, RrsetState { ttl, records });
        }
    }

    /// Every name the working copy covers: touched names and the apex.
    pub(crate) fn names_to_check(&self) -> BTreeSet<Name> {
        let mut names = self.touched.clone();
        names.insert(self.apex.clone());
        names
    }
}

/// Whether `rtype` can never be stored: a meta or question-only type
/// (RFC 6895 §3.1) or the reserved type 0.
pub(crate) fn is_unstorable(rtype: Rtype) -> bool {
    rtype.is_meta() || rtype.0 == 0
}

/// Checks a client's record and completes its presentation form.
pub(crate) fn stored_record(
    name: &Name,
    rtype: Rtype,
    input: &RecordInput,
) -> Result<StoredRecord, Rejection> {
    let text = || {
        RdataText {
            rtype,
            rdata: &input.rdata,
        }
        .to_string()
    };
    check_record(name, rtype, &input.rdata, || {
        input.content.clone().unwrap_or_else(text)
    })?;
    Ok(StoredRecord {
        rdata: input.rdata.clone(),
        content: input.content.clone().unwrap_or_else(text),
        disabled: input.disabled,
    })
}

/// The checks of [`stored_record`] without making anything: `content`
/// gives the record's text for the refusal, and is only called then.
pub(crate) fn check_record(
    name: &Name,
    rtype: Rtype,
    rdata: &[u8],
    content: impl FnOnce() -> String,
) -> Result<(), Rejection> {
    let valid = if rdata.len() > usize::from(u16::MAX) {
        Err(RdataError::Length)
    } else {
        wire::rdata::validate(rtype, rdata)
    };
    if let Err(error) = valid {
        return Err(Rejection::new(
            name,
            rtype,
            ValidationReason::BadRdata {
                content: content(),
                error,
            },
        ));
    }
    if let Some(target) = host_target(rtype, rdata)
        && !is_allowed_target(rtype, target)
    {
        return Err(Rejection::new(
            name,
            rtype,
            ValidationReason::TargetNotHostName { content: content() },
        ));
    }
    Ok(())
}

/// The target name (wire form) of the types whose target must be a host
/// name: NS, MX and SRV (RFC 1035 §3.3, RFC 2782), the ones PowerDNS
/// checks. CNAME and PTR targets are any name: RFC 2317 classless
/// delegation points CNAMEs at labels such as `0/25`, and DNS-SD (RFC 6763)
/// points PTRs at instance names with spaces.
fn host_target(rtype: Rtype, rdata: &[u8]) -> Option<&[u8]> {
    match rtype {
        Rtype::NS | Rtype::MX | Rtype::SRV => wire::rdata::additional_target(rtype, rdata),
        _ => None,
    }
}

/// Whether `target` may be the target of an `rtype` record: a host name,
/// or the root for MX (a null MX, RFC 7505) and SRV ("no service",
/// RFC 2782). The root is no name server, so an NS target never is.
fn is_allowed_target(rtype: Rtype, target: &[u8]) -> bool {
    if target == [0] {
        return matches!(rtype, Rtype::MX | Rtype::SRV);
    }
    is_host_name(target)
}

/// Whether a wire-form name other than the root is a host name as RFC 952
/// and RFC 1123 §2.1 define it (and PowerDNS checks it): labels of
/// letters, digits and hyphens that neither start nor end with a hyphen.
/// Underscores are refused, as PowerDNS refuses them: service labels
/// (RFC 8552) name services, not hosts.
fn is_host_name(wire: &[u8]) -> bool {
    let mut position = 0;
    let mut labels = 0;
    while let Some(&length) = wire.get(position) {
        if length == 0 {
            return labels > 0;
        }
        let start = position + 1;
        let Some(label) = wire.get(start..start + usize::from(length)) else {
            return false;
        };
        let inner = label
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-');
        let ends = label.first().is_some_and(u8::is_ascii_alphanumeric)
            && label.last().is_some_and(u8::is_ascii_alphanumeric);
        if !inner || !ends {
            return false;
        }
        labels += 1;
        position = start + usize::from(length);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        text.parse().expect("test names are valid")
    }

    fn a(octets: [u8; 4]) -> RecordInput {
        RecordInput {
            rdata: octets.to_vec(),
            content: None,
            disabled: false,
        }
    }

    fn change(owner: &str, rtype: Rtype, op: RrsetOp) -> RrsetChange {
        RrsetChange {
            name: name(owner),
            rtype,
            op,
            comments: None,
        }
    }

    #[test]
    fn extend_replaces_a_record_with_the_same_rdata_and_sets_the_ttl() {
        let mut edit = Edit::new(&name("example.com"), BTreeMap::new());
        let www = "www.example.com";
        let add = |records| RrsetOp::Extend { ttl: 60, records };
        edit.apply(&change(www, Rtype::A, add(vec![a([192, 0, 2, 1])])))
            .unwrap();
        let mut disabled = a([192, 0, 2, 1]);
        disabled.disabled = true;
        edit.apply(&change(
            www,
            Rtype::A,
            add(vec![disabled, a([192, 0, 2, 2])]),
        ))
        .unwrap();
        let set = &edit.new[&(name(www), Rtype::A)];
        assert_eq!(set.ttl, 60);
        assert_eq!(set.records.len(), 2);
        assert!(set.records[0].disabled);
        assert_eq!(set.records[1].content, "192.0.2.2");
    }

    #[test]
    fn ns_mx_and_srv_targets_must_be_host_names_as_powerdns_checks() {
        let name_wire = |text: &str| name(text).as_wire().to_vec();
        assert!(is_host_name(&name_wire("mx-1.example.com")));
        assert!(is_host_name(&name_wire("1.example")));
        assert!(!is_host_name(&name_wire("s1._domainkey.example.net")));
        assert!(!is_host_name(&name_wire("-a.example")));
        assert!(!is_host_name(&name_wire("a-.example")));
        assert!(!is_host_name(&name_wire("*.example")));
        assert!(!is_host_name(Name::root().as_wire()));
        assert!(!is_host_name(&name_wire("mail@mx.example")));
        assert!(!is_host_name(&name_wire("a\\032b.example")));
        let root = Name::root().as_wire().to_vec();
        assert!(is_allowed_target(Rtype::MX, &root));
        assert!(is_allowed_target(Rtype::SRV, &root));
        assert!(!is_allowed_target(Rtype::NS, &root));
        let record = |rtype: Rtype, rdata: Vec<u8>| {
            let input = RecordInput {
                rdata,
                content: None,
                disabled: false,
            };
            stored_record(&name("example"), rtype, &input)
        };
        let mut mx = vec![0, 10];
        mx.extend(name_wire("mail@mx.example"));
        let error = record(Rtype::MX, mx).unwrap_err();
        assert!(matches!(
            error.reason,
            ValidationReason::TargetNotHostName { .. }
        ));
        // CNAME and PTR targets are any name.
        assert!(record(Rtype::CNAME, name_wire("1.0/25.2.0.192.in-addr.arpa")).is_ok());
        assert!(record(Rtype::PTR, name_wire("My\\ Printer._ipp._tcp.example")).is_ok());
        assert!(record(Rtype::CNAME, name_wire("*.example")).is_ok());
    }

    #[test]
    fn names_are_matched_without_regard_to_case() {
        let mut edit = Edit::new(&name("Example.COM"), BTreeMap::new());
        let op = RrsetOp::Replace {
            ttl: 1,
            records: vec![a([192, 0, 2, 1])],
        };
        edit.apply(&change("WWW.example.com", Rtype::A, op))
            .unwrap();
        edit.apply(&change("www.EXAMPLE.com", Rtype::A, RrsetOp::Delete))
            .unwrap();
        assert!(edit.new.is_empty());
    }
}
