//! The UPDATE target's check (fuzz/fuzz_targets/update.rs; replayed on
//! stable by tests/fuzz_corpus.rs): any bytes as an RFC 2136 UPDATE of the
//! base zone. Planning must not panic; what it plans, applied as a patch
//! over the zone, must give the same records as the zone built afresh
//! from the records after the change.

// Declared at the crate root by the fuzz target and by the replay.
use crate::base_zone;

use wire::{Record, Rtype};
use zone::BuildOptions;

/// Runs the check on one input.
pub fn check(data: &[u8]) {
    let Ok(message) = wire::Message::parse(data) else {
        return;
    };
    let zone = base_zone::zone();
    let Ok(ops) = answer::update::plan(zone, &message) else {
        return;
    };
    // The records after the operations, one after another (RFC 2136 §3.4.2).
    let mut after: Vec<Record> = zone.canonical_records().collect();
    for op in ops {
        match op {
            answer::update::UpdateOp::Add(record) => {
                after.retain(|r| {
                    !(r.owner == record.owner && r.rtype == record.rtype && r.rdata == record.rdata)
                });
                after.push(record);
            }
            answer::update::UpdateOp::DeleteRrset(name, rtype) => {
                after.retain(|r| !(r.owner == name && r.rtype == rtype));
            }
            answer::update::UpdateOp::DeleteName(name) => {
                let apex = name == *zone.apex();
                after.retain(|r| {
                    r.owner != name || (apex && matches!(r.rtype, Rtype::SOA | Rtype::NS))
                });
            }
            answer::update::UpdateOp::DeleteRecord(record) => {
                after.retain(|r| {
                    !(r.owner == record.owner && r.rtype == record.rtype && r.rdata == record.rdata)
                });
            }
        }
    }
    let before: Vec<Record> = zone.canonical_records().collect();
    let removed: Vec<Record> = before
        .iter()
        .filter(|r| !after.contains(r))
        .cloned()
        .collect();
    let added: Vec<Record> = after
        .iter()
        .filter(|r| !before.contains(r))
        .cloned()
        .collect();
    let fresh = zone::Zone::build(zone.apex(), after, BuildOptions::default());
    let patched = zone.apply(&removed, &added);
    if let (Ok(fresh), Ok(patched)) = (fresh, patched) {
        assert_eq!(
            base_zone::listed(&fresh),
            base_zone::listed(&patched),
            "a patch and a fresh build differ"
        );
    }
}
