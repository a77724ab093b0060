//! From a checked working copy to what gets committed: the served-data
//! difference and the new SOA serial. Pure.

use std::collections::BTreeSet;

use wire::rdata::{RdataText, set_soa_serial, soa_numbers};
use wire::{Class, Record, Rtype, Serial};

use crate::change::{Edit, RrsetKey, RrsetState};
use crate::error::StoreError;
use crate::serial;
use crate::zones::{SerialPolicy, StoredRecord};

/// Where the serial of a committed change comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SerialRule {
    /// A change: the serial moves by the zone's policy; an SOA the change
    /// itself sets keeps its serial only if that is newer still.
    Bump,
    /// An import: the file's serial is kept if newer than the zone's, and
    /// bumped by the policy otherwise.
    KeepIfNewer,
    /// A new zone: its SOA's serial, as given.
    Initial,
}

/// What a commit does to served data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Serial before (0 for a new zone).
    pub from: Serial,
    /// Serial after.
    pub to: Serial,
    /// Served records removed, the old SOA first; empty when nothing
    /// served changes.
    pub removed: Vec<Record>,
    /// Served records added, the new SOA first; empty when nothing served
    /// changes.
    pub added: Vec<Record>,
}

impl Plan {
    /// Whether served data changes, and so a journal entry is written.
    pub(crate) fn changes_served_data(&self) -> bool {
        !self.added.is_empty()
    }
}

/// Computes the difference and the serial, and writes the new SOA serial
/// into the working copy. `edit` must have passed [`crate::validate`].
///
/// When nothing served changes (and the change does not move the serial
/// forward by setting a newer SOA), the stored SOA is put back into the
/// working copy, so an SOA given with an older serial is not written
/// either.
pub(crate) fn plan(
    edit: &mut Edit,
    policy: SerialPolicy,
    now: u64,
    rule: SerialRule,
) -> Result<Plan, StoreError> {
    let soa_key: RrsetKey = (edit.apex.clone(), Rtype::SOA);
    let (removed, added) = served_difference(edit);
    let proposed = edit
        .new
        .get(&soa_key)
        .and_then(|set| Some((set.ttl, set.records.first()?.clone())))
        .ok_or_else(|| StoreError::corrupt(format!("{} has no SOA record", edit.apex)))?;
    let proposed_serial = soa_serial(&proposed.1.rdata, edit)?;
    if rule == SerialRule::Initial {
        let soa = served_record(&soa_key, proposed.0, &proposed.1);
        return Ok(Plan {
            from: Serial(0),
            to: proposed_serial,
            removed: Vec::new(),
            added: [vec![soa], added].concat(),
        });
    }
    let old = edit
        .old
        .get(&soa_key)
        .and_then(|set| Some((set.ttl, set.records.first()?.clone())))
        .ok_or_else(|| StoreError::corrupt(format!("{} has no stored SOA record", edit.apex)))?;
    let old_serial = soa_serial(&old.1.rdata, edit)?;
    let soa_changed =
        old.0 != proposed.0 || without_serial(&old.1.rdata) != without_serial(&proposed.1.rdata);
    let forward = proposed_serial.is_newer_than(old_serial);
    // Disabling or enabling the SOA takes the zone out of service or back
    // (see `validate`): that flag is kept whatever the serial does.
    let disabled = proposed.1.disabled;
    if removed.is_empty() && added.is_empty() && !soa_changed && !forward {
        edit.new.insert(
            soa_key,
            RrsetState {
                ttl: old.0,
                records: vec![StoredRecord { disabled, ..old.1 }],
            },
        );
        return Ok(Plan {
            from: old_serial,
            to: old_serial,
            removed: Vec::new(),
            added: Vec::new(),
        });
    }
    let bumped = serial::next(policy, old_serial, now);
    let to = match rule {
        SerialRule::Bump if forward && proposed_serial.is_newer_than(bumped) => proposed_serial,
        SerialRule::KeepIfNewer if forward => proposed_serial,
        _ => bumped,
    };
    let mut rdata = proposed.1.rdata.clone();
    set_soa_serial(&mut rdata, to.0);
    let record = StoredRecord {
        content: RdataText {
            rtype: Rtype::SOA,
            rdata: &rdata,
        }
        .to_string(),
        rdata,
        disabled,
    };
    let old_soa = served_record(&soa_key, old.0, &old.1);
    let new_soa = served_record(&soa_key, proposed.0, &record);
    edit.new.insert(
        soa_key,
        RrsetState {
            ttl: proposed.0,
            records: vec![record],
        },
    );
    Ok(Plan {
        from: old_serial,
        to,
        removed: [vec![old_soa], removed].concat(),
        added: [vec![new_soa], added].concat(),
    })
}

/// Served records the change removes and adds, the SOA left out, each list
/// in canonical order. A changed TTL removes and adds the whole set, as
/// IXFR expresses it.
fn served_difference(edit: &Edit) -> (Vec<Record>, Vec<Record>) {
    let keys: BTreeSet<&RrsetKey> = edit
        .old
        .keys()
        .chain(edit.new.keys())
        .filter(|(_, rtype)| *rtype != Rtype::SOA)
        .collect();
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for key in keys {
        let (old, new) = (edit.old.get(key), edit.new.get(key));
        if old == new {
            continue;
        }
        let same_ttl = old.map(|s| s.ttl) == new.map(|s| s.ttl);
        let served = |set: Option<&RrsetState>| -> Vec<StoredRecord> {
            set.map(|s| s.enabled().cloned().collect())
                .unwrap_or_default()
        };
        let (old_served, new_served) = (served(old), served(new));
        let holds = |list: &[StoredRecord], record: &StoredRecord| {
            same_ttl && list.iter().any(|r| r.rdata == record.rdata)
        };
        for record in &old_served {
            if !holds(&new_served, record) {
                removed.push(served_record(key, old.map_or(0, |s| s.ttl), record));
            }
        }
        for record in &new_served {
            if !holds(&old_served, record) {
                added.push(served_record(key, new.map_or(0, |s| s.ttl), record));
            }
        }
    }
    sort_canonically(&mut removed);
    sort_canonically(&mut added);
    (removed, added)
}

/// A stored record as served: class IN.
pub(crate) fn served_record(key: &RrsetKey, ttl: u32, record: &StoredRecord) -> Record {
    Record {
        owner: key.0.clone(),
        rtype: key.1,
        class: Class::IN,
        ttl,
        rdata: record.rdata.clone(),
    }
}

/// Sorts records by owner (RFC 4034 §6.1 order), type and RDATA.
pub(crate) fn sort_canonically(records: &mut [Record]) {
    records.sort_by(|a, b| {
        a.owner
            .cmp(&b.owner)
            .then(a.rtype.cmp(&b.rtype))
            .then_with(|| a.rdata.cmp(&b.rdata))
    });
}

/// The serial of SOA RDATA.
fn soa_serial(rdata: &[u8], edit: &Edit) -> Result<Serial, StoreError> {
    soa_numbers(rdata)
        .map(|numbers| Serial(numbers[0]))
        .ok_or_else(|| {
            StoreError::corrupt(format!("the SOA RDATA of {} does not parse", edit.apex))
        })
}

/// A view's own SOA record: `record`'s fields with serial `serial`, its
/// text to match, and enabled. Whether a zone is served is the base SOA's
/// flag alone (see [`crate::validate`]); a view's own SOA carrying it
/// would keep that view out of service once the base is enabled again,
/// since nothing carries the flag back.
pub(crate) fn soa_with_serial(record: &StoredRecord, serial: Serial) -> StoredRecord {
    let mut rdata = record.rdata.clone();
    set_soa_serial(&mut rdata, serial.0);
    StoredRecord {
        content: RdataText {
            rtype: Rtype::SOA,
            rdata: &rdata,
        }
        .to_string(),
        rdata,
        disabled: false,
    }
}

/// Makes the working copy's SOA carry the next serial by `policy`, so the
/// change is committed as one (with its journal entry) even when nothing
/// served changes — for a view whose first data of its own is not served
/// (a disabled record, another order), which must still get an SOA of its
/// own to stand apart from the base.
pub(crate) fn move_serial_forward(
    edit: &mut Edit,
    policy: SerialPolicy,
    now: u64,
) -> Result<(), StoreError> {
    let soa_key: RrsetKey = (edit.apex.clone(), Rtype::SOA);
    let (ttl, record) = edit
        .old
        .get(&soa_key)
        .and_then(|set| Some((set.ttl, set.records.first()?.clone())))
        .ok_or_else(|| StoreError::corrupt(format!("{} has no stored SOA record", edit.apex)))?;
    let next = serial::next(policy, soa_serial(&record.rdata, edit)?, now);
    edit.new.insert(
        soa_key,
        RrsetState {
            ttl,
            records: vec![soa_with_serial(&record, next)],
        },
    );
    Ok(())
}

/// Whether two SOA sets differ in anything but the serial.
pub(crate) fn soa_fields_differ(a: Option<&RrsetState>, b: Option<&RrsetState>) -> bool {
    let fields = |set: Option<&RrsetState>| {
        set.and_then(|s| Some((s.ttl, without_serial(&s.records.first()?.rdata))))
    };
    fields(a) != fields(b)
}

/// SOA RDATA with the serial zeroed, to compare everything else.
fn without_serial(rdata: &[u8]) -> Vec<u8> {
    let mut copy = rdata.to_vec();
    set_soa_serial(&mut copy, 0);
    copy
}
