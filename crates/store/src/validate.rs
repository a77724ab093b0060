//! Rules over the zone as a change set would leave it, checked at every
//! name the change touched and at the apex.
//!
//! Only served (enabled) records count for the rules about what may share
//! a name and what the apex must hold, since those rules are about what
//! resolvers see: a disabled CNAME may sit beside an A record, but
//! disabling the last apex NS record is refused as removing it would be.
//! The SOA record may be disabled: as in PowerDNS, that takes the whole
//! zone out of service (it is kept, and answers REFUSED) until the SOA is
//! enabled again.

use wire::{Name, Rtype};

use crate::change::Edit;
use crate::error::{Rejection, ValidationReason};

/// Types that may share a name with a CNAME: the DNSSEC records about the
/// name itself (RFC 2181 §10.1 for SIG, NXT and KEY; RFC 4035 §2.5 for
/// RRSIG and NSEC).
const CNAME_COMPANIONS: [Rtype; 5] = [
    Rtype::SIG,
    Rtype::NXT,
    Rtype::KEY,
    Rtype::RRSIG,
    Rtype::NSEC,
];

/// Checks the working copy as the change set leaves it. The first broken
/// rule is returned, names in canonical order, the apex first.
pub(crate) fn check(edit: &Edit) -> Result<(), Rejection> {
    for name in edit.names_to_check() {
        check_name(edit, &name)?;
    }
    check_apex(edit)
}

/// The rules about what may share one name.
fn check_name(edit: &Edit, name: &Name) -> Result<(), Rejection> {
    let served: Vec<(Rtype, usize)> = edit
        .new
        .range((name.clone(), Rtype(0))..=(name.clone(), Rtype(u16::MAX)))
        .map(|((_, rtype), set)| (*rtype, set.enabled().count()))
        .filter(|(_, count)| *count > 0)
        .collect();
    let changed = |rtype: Rtype| {
        let key = (name.clone(), rtype);
        edit.old.get(&key) != edit.new.get(&key)
    };
    check_served_at(name, &edit.apex, &served, changed)
}

/// The rules about what may share one name, given the types served at
/// `name` with their record counts (types without served records left
/// out) and which types the change touched (the culprit named when two
/// types clash). Shared by change sets and the bulk import of a new zone.
pub(crate) fn check_served_at(
    name: &Name,
    apex: &Name,
    served: &[(Rtype, usize)],
    changed: impl Fn(Rtype) -> bool,
) -> Result<(), Rejection> {
    let count_of = |rtype: Rtype| {
        served
            .iter()
            .find(|(t, _)| *t == rtype)
            .map_or(0, |(_, count)| *count)
    };
    if let Some((rtype, count)) = served
        .iter()
        .find(|(_, count)| *count > wire::MAX_RECORDS_PER_RRSET)
    {
        return Err(Rejection::new(
            name,
            *rtype,
            ValidationReason::TooManyRecords { count: *count },
        ));
    }
    let cnames = count_of(Rtype::CNAME);
    if cnames > 0 {
        if name == apex {
            return Err(Rejection::new(
                name,
                Rtype::CNAME,
                ValidationReason::CnameAtApex,
            ));
        }
        if cnames > 1 {
            return Err(Rejection::new(
                name,
                Rtype::CNAME,
                ValidationReason::MultipleCnames { count: cnames },
            ));
        }
        let other = served
            .iter()
            .map(|(rtype, _)| *rtype)
            .find(|t| *t != Rtype::CNAME && !CNAME_COMPANIONS.contains(t));
        if let Some(other) = other {
            // Blame the RRset the change set wrote: the new CNAME if it is
            // new, otherwise the data added beside an existing CNAME.
            let culprit = if changed(Rtype::CNAME) || !changed(other) {
                Rtype::CNAME
            } else {
                other
            };
            return Err(Rejection::new(
                name,
                culprit,
                ValidationReason::CnameAndOtherData { other },
            ));
        }
    }
    let dnames = count_of(Rtype::DNAME);
    if dnames > 1 {
        return Err(Rejection::new(
            name,
            Rtype::DNAME,
            ValidationReason::MultipleDnames { count: dnames },
        ));
    }
    // Below the apex, NS makes a zone cut and the DNAME there would be
    // occluded by it (RFC 6672 §2.3). Both sets at this name are already
    // loaded: no lookup beyond the touched name.
    if dnames > 0 && count_of(Rtype::NS) > 0 && name != apex {
        let dname_changed = changed(Rtype::DNAME);
        let (culprit, other) = if dname_changed {
            (Rtype::DNAME, Rtype::NS)
        } else {
            (Rtype::NS, Rtype::DNAME)
        };
        return Err(Rejection::new(
            name,
            culprit,
            ValidationReason::NsAndDname { other },
        ));
    }
    Ok(())
}

/// The apex holds exactly one SOA record (enabled or not: a disabled one
/// keeps the zone out of service) and at least one served NS record.
pub(crate) fn check_apex(edit: &Edit) -> Result<(), Rejection> {
    let apex = &edit.apex;
    let soa = edit.new.get(&(apex.clone(), Rtype::SOA));
    let count = soa.map_or(0, |set| set.records.len());
    if count != 1 {
        return Err(Rejection::new(
            apex,
            Rtype::SOA,
            ValidationReason::SoaNotSingle { count },
        ));
    }
    let served_ns = |map: &std::collections::BTreeMap<_, crate::change::RrsetState>| {
        map.get(&(apex.clone(), Rtype::NS))
            .is_some_and(|set| set.enabled().next().is_some())
    };
    if !served_ns(&edit.new) {
        let reason = if served_ns(&edit.old) {
            ValidationReason::ApexNsRemoved
        } else {
            ValidationReason::ApexNsMissing
        };
        return Err(Rejection::new(apex, Rtype::NS, reason));
    }
    Ok(())
}
