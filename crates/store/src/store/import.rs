//! Importing a zone the store does not hold yet, in bulk.
//!
//! The general write path (an [`Edit`] of ordered maps, checked, planned
//! and written set by set) costs a canonical name comparison for every map
//! operation; for a zone of a million names that was most of the 30 s an
//! import took, and the zone was held four times over (the records, the
//! grouped sets, the working copy, the planned difference). A new zone
//! needs none of the difference machinery: everything is added. So the
//! records are put in canonical order once, by comparing precomputed
//! canonical keys of the distinct owners (the keys the `rrsets.sort_key`
//! column stores anyway), then checked with the same rules as a change set
//! ([`Edit::check_set`], [`stored_record`], [`validate`]) and written in
//! that order through prepared statements, in the caller's transaction.
//! The RDATA is moved, not copied, from the records given to the sets and
//! from the sets to the journal's list of added records.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, params};
use wire::rdata::{RdataText, soa_numbers};
use wire::{Class, Name, Record, Rtype, Serial};

use super::sql_time;
use super::writes::append_journal_in;
use super::zone_row::insert_zone;
use crate::change::{
    Applied, ChangeMeta, Edit, RrsetState, check_record, is_unstorable, stored_record,
};
use crate::error::{Rejection, StoreError, ValidationReason, WriteError};
use crate::plan::Plan;
use crate::schema::owner_sort_key;
use crate::validate;
use crate::zones::{RecordInput, SerialPolicy, ZoneKind};

/// SQLite's page cache while a new zone's rows are written, in KiB.
const IMPORT_CACHE_KIB: i64 = 64 * 1024;

/// One RRset of the zone being imported.
struct ImportSet {
    /// Index into the distinct owners.
    owner: u32,
    rtype: Rtype,
    /// The smallest TTL given for the set (RFC 2181 §5.2).
    ttl: u32,
    /// RDATA in the order given, duplicates merged.
    rdata: Vec<Vec<u8>>,
}

/// The records of a new zone as RRsets in canonical order.
struct Sorted {
    /// Distinct owners, lower-case.
    owners: Vec<Name>,
    /// `owner_sort_key` of each owner.
    keys: Vec<Vec<u8>>,
    /// The sets, ordered by owner (canonically), then type.
    sets: Vec<ImportSet>,
}

/// Creates zone `apex` (lower-case) from `records`, as [`Store::import`]
/// does for a zone it does not hold: same checks, same rows, same journal
/// entry, same result.
pub(super) fn import_new_zone(
    tx: &Connection,
    apex: &Name,
    records: Vec<Record>,
    kind: ZoneKind,
    meta: &ChangeMeta,
) -> Result<Applied, WriteError> {
    let sorted = sort_into_sets(records)?;
    check(apex, &sorted)?;
    let row = insert_zone(tx, apex, kind, SerialPolicy::Increment, meta.now)?;
    let soa_index = sorted
        .sets
        .iter()
        .position(|set| set.rtype == Rtype::SOA && sorted.owners[set.owner as usize] == *apex)
        .ok_or_else(|| StoreError::corrupt(format!("{apex} has no SOA record")))?;
    let serial = sorted.sets[soa_index]
        .rdata
        .first()
        .and_then(|rdata| soa_numbers(rdata))
        .map(|numbers| Serial(numbers[0]))
        .ok_or_else(|| StoreError::corrupt(format!("the SOA RDATA of {apex} does not parse")))?;
    // SQLite's default page cache (2 MiB) makes a million inserts into
    // the owner index, which canonical order visits out of order, spill
    // dirty pages to the WAL again and again in mid-transaction; a larger
    // cache for the length of the writes keeps them in memory.
    let cache: i64 = tx.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    tx.execute_batch(&format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}"))?;
    let written = write_sets(tx, row.id, &sorted);
    tx.execute_batch(&format!("PRAGMA cache_size = {cache}"))?;
    written?;
    // The journal's list: the SOA first, then every other record in
    // canonical order (owner, type, RDATA), as `plan` makes it.
    let Sorted {
        owners,
        mut sets,
        keys,
    } = sorted;
    drop(keys);
    let total: usize = sets.iter().map(|set| set.rdata.len()).sum();
    let mut added = Vec::with_capacity(total);
    let soa = sets.remove(soa_index);
    let mut push = |owner: &Name, rtype: Rtype, ttl: u32, mut rdata: Vec<Vec<u8>>| {
        rdata.sort_unstable();
        added.extend(rdata.into_iter().map(|rdata| Record {
            owner: owner.clone(),
            rtype,
            class: Class::IN,
            ttl,
            rdata,
        }));
    };
    push(apex, Rtype::SOA, soa.ttl, soa.rdata);
    for set in sets {
        push(&owners[set.owner as usize], set.rtype, set.ttl, set.rdata);
    }
    drop(owners);
    let plan = Plan {
        from: Serial(0),
        to: serial,
        removed: Vec::new(),
        added,
    };
    append_journal_in(tx, row.id, None, &plan, meta)?;
    tx.execute(
        "UPDATE zones SET updated_at = ?1 WHERE id = ?2",
        params![sql_time(meta.now), row.id],
    )?;
    Ok(Applied {
        zone: row.apex,
        from: plan.from,
        to: plan.to,
        removed: plan.removed,
        added: plan.added,
    })
}

/// Groups `records` into RRsets in canonical order: class IN only (the
/// first other class, in the order given, is refused), owners lower-cased,
/// duplicate RDATA merged, the smallest TTL of a set kept.
fn sort_into_sets(mut records: Vec<Record>) -> Result<Sorted, Rejection> {
    if let Some(record) = records.iter().find(|r| r.class != Class::IN) {
        return Err(Rejection::new(
            &record.owner,
            record.rtype,
            ValidationReason::ClassNotIn {
                class: record.class,
            },
        ));
    }
    for record in &mut records {
        if record.owner.as_wire().iter().any(u8::is_ascii_uppercase) {
            record.owner = record.owner.to_lowercase();
        }
    }
    // A number for each distinct owner. Zone files group records by
    // owner, so most records skip the hash table.
    let mut owner_of: Vec<u32> = Vec::with_capacity(records.len());
    let mut firsts: Vec<usize> = Vec::new();
    {
        let mut ids: HashMap<&[u8], u32, foldhash::fast::RandomState> = HashMap::default();
        let mut previous: Option<(&[u8], u32)> = None;
        for (index, record) in records.iter().enumerate() {
            let wire = record.owner.as_wire();
            let id = match previous {
                Some((last, id)) if last == wire => id,
                _ => *ids.entry(wire).or_insert_with(|| {
                    firsts.push(index);
                    (firsts.len() - 1) as u32
                }),
            };
            previous = Some((wire, id));
            owner_of.push(id);
        }
    }
    let keys: Vec<Vec<u8>> = firsts
        .iter()
        .map(|&i| owner_sort_key(&records[i].owner))
        .collect();
    let mut by_key: Vec<u32> = (0..keys.len() as u32).collect();
    by_key.sort_unstable_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
    let mut rank = vec![0u32; keys.len()];
    for (position, &id) in by_key.iter().enumerate() {
        rank[id as usize] = position as u32;
    }
    // Records by (owner's rank, type), in the order given within a set.
    let mut order: Vec<(u64, u32)> = owner_of
        .iter()
        .zip(&records)
        .enumerate()
        .map(|(index, (&owner, record))| {
            let key = (u64::from(rank[owner as usize]) << 16) | u64::from(record.rtype.0);
            (key, index as u32)
        })
        .collect();
    order.sort_unstable();
    drop(rank);
    let mut sets: Vec<ImportSet> = Vec::new();
    let mut last_key = None;
    for (key, index) in order {
        let record = &mut records[index as usize];
        let rdata = std::mem::take(&mut record.rdata);
        if last_key != Some(key) {
            last_key = Some(key);
            sets.push(ImportSet {
                owner: owner_of[index as usize],
                rtype: record.rtype,
                ttl: record.ttl,
                rdata: vec![rdata],
            });
            continue;
        }
        if let Some(set) = sets.last_mut() {
            set.ttl = set.ttl.min(record.ttl);
            if !set.rdata.contains(&rdata) {
                set.rdata.push(rdata);
            }
        }
    }
    // The owners in rank order, so that `owner` indices of the sets can
    // stay as they are: keep them by id.
    let owners: Vec<Name> = firsts.iter().map(|&i| records[i].owner.clone()).collect();
    drop(records);
    Ok(Sorted { owners, keys, sets })
}

/// The checks a change set replacing every RRset gets: each set and
/// record as [`Edit::apply`] checks them, then each name and the apex as
/// [`validate::check`] does, in canonical order, so that the first problem
/// reported is the same.
fn check(apex: &Name, sorted: &Sorted) -> Result<(), Rejection> {
    let empty = Edit::new(apex, BTreeMap::new());
    for set in &sorted.sets {
        let name = &sorted.owners[set.owner as usize];
        if !name.is_subdomain_of(apex) {
            let apex = apex.clone();
            return Err(Rejection::new(
                name,
                set.rtype,
                ValidationReason::OutsideZone { apex },
            ));
        }
        if is_unstorable(set.rtype) {
            return Err(Rejection::new(name, set.rtype, ValidationReason::MetaType));
        }
        empty.check_set(name, set.rtype, set.ttl)?;
        for rdata in &set.rdata {
            let text = || {
                RdataText {
                    rtype: set.rtype,
                    rdata,
                }
                .to_string()
            };
            check_record(name, set.rtype, rdata, text)?;
        }
    }
    let mut served: Vec<(Rtype, usize)> = Vec::new();
    for group in sorted.sets.chunk_by(|a, b| a.owner == b.owner) {
        served.clear();
        served.extend(group.iter().map(|set| (set.rtype, set.rdata.len())));
        let name = &sorted.owners[group[0].owner as usize];
        // Every type is new in a new zone.
        validate::check_served_at(name, apex, &served, |_| true)?;
    }
    // The apex rules look at the apex's SOA and NS sets only.
    let mut apex_edit = Edit::new(apex, BTreeMap::new());
    for set in &sorted.sets {
        if sorted.owners[set.owner as usize] == *apex
            && (set.rtype == Rtype::SOA || set.rtype == Rtype::NS)
        {
            let records = set
                .rdata
                .iter()
                .map(|rdata| stored_record(apex, set.rtype, &input(rdata)))
                .collect::<Result<Vec<_>, _>>()?;
            apex_edit.new.insert(
                (apex.clone(), set.rtype),
                RrsetState {
                    ttl: set.ttl,
                    records,
                },
            );
        }
    }
    validate::check_apex(&apex_edit)
}

/// A record as a client gives it: no text of its own, served.
fn input(rdata: &[u8]) -> RecordInput {
    RecordInput {
        rdata: rdata.to_vec(),
        content: None,
        disabled: false,
    }
}

/// Writes every set and record, in canonical order.
fn write_sets(tx: &Connection, zone_id: i64, sorted: &Sorted) -> Result<(), StoreError> {
    let mut insert_set = tx.prepare_cached(
        "INSERT INTO rrsets (zone_id, view_id, owner, rtype, ttl, sort_key, owner_text)
         VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut insert_record = tx.prepare_cached(
        "INSERT INTO records (rrset_id, rdata, content, disabled) VALUES (?1, ?2, ?3, 0)",
    )?;
    let mut owner_text = String::new();
    let mut last_owner = None;
    let mut content = String::new();
    for set in &sorted.sets {
        let owner = &sorted.owners[set.owner as usize];
        if last_owner != Some(set.owner) {
            last_owner = Some(set.owner);
            owner_text.clear();
            use std::fmt::Write as _;
            let _ = write!(owner_text, "{owner}");
        }
        insert_set.execute(params![
            zone_id,
            owner.as_wire(),
            set.rtype.0,
            set.ttl,
            sorted.keys[set.owner as usize],
            owner_text,
        ])?;
        let rrset_id = tx.last_insert_rowid();
        for rdata in &set.rdata {
            content.clear();
            use std::fmt::Write as _;
            let _ = write!(
                content,
                "{}",
                RdataText {
                    rtype: set.rtype,
                    rdata,
                }
            );
            insert_record.execute(params![rrset_id, rdata, content])?;
        }
    }
    // The zone's counts move with its rows, as every write moves them.
    let records: usize = sorted.sets.iter().map(|set| set.rdata.len()).sum();
    super::zone_row::add_counts(
        tx,
        zone_id,
        super::BASE_VIEW,
        sorted.sets.len() as i64,
        records as i64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PasswordCost;
    use crate::Source;
    use crate::plan::SerialRule;
    use crate::store::Store;
    use crate::store::writes::{commit, replace};

    /// The general path a new zone took before the bulk one: every set a
    /// `Replace` in an [`Edit`], checked, planned and written by `commit`.
    fn import_general(
        store: &Store,
        apex: &Name,
        records: Vec<Record>,
    ) -> Result<Applied, WriteError> {
        store.write(
            || "general import".to_string(),
            |tx| {
                let grouped = super::super::zones::group_records_for_tests(records)?;
                let row = insert_zone(tx, apex, ZoneKind::Master, SerialPolicy::Increment, 0)?;
                let mut edit = Edit::new(apex, BTreeMap::new());
                for ((name, rtype), (ttl, records)) in grouped {
                    edit.apply(&replace(&name, rtype, ttl, records))?;
                }
                commit(tx, &row, edit, &meta(), SerialRule::Initial)
            },
        )
    }

    fn meta() -> ChangeMeta {
        ChangeMeta {
            author: "test".into(),
            source: Source::Import,
            comment: None,
            now: 0,
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("a.db"), PasswordCost::MINIMUM).unwrap();
        (dir, store)
    }

    fn records(text: &str) -> Vec<Record> {
        let origin: Name = "Example.TEST.".parse().unwrap();
        zonefile::parse_str(text, &origin, std::path::Path::new("t.zone"))
            .unwrap()
            .records
            .into_iter()
            .map(|r| r.record)
            .collect()
    }

    /// Both paths on the same records: the same result, the same stored
    /// RRsets (with their text), the same served records and journal.
    #[track_caller]
    fn same_both_ways(text: &str) {
        same_both_ways_after(text, |_| {});
    }

    /// [`same_both_ways`] with the parsed records changed by `edit` first.
    #[track_caller]
    fn same_both_ways_after(text: &str, edit: impl Fn(&mut Vec<Record>)) {
        let apex: Name = "example.test.".parse().unwrap();
        let (_a, bulk) = store();
        let (_b, general) = store();
        let parsed = || {
            let mut records = records(text);
            edit(&mut records);
            records
        };
        let fast = bulk.import(&apex, parsed(), ZoneKind::Master, &meta());
        let slow = import_general(&general, &apex, parsed());
        match (fast, slow) {
            (Ok(fast), Ok(slow)) => {
                assert_eq!(fast, slow);
                assert_eq!(bulk.rrsets(&apex).unwrap(), general.rrsets(&apex).unwrap());
                assert_eq!(
                    bulk.zone_records(&apex).unwrap(),
                    general.zone_records(&apex).unwrap()
                );
                let journal = |store: &Store| store.recent_changes_in(&apex, None, 10).unwrap();
                assert_eq!(journal(&bulk), journal(&general));
            }
            (fast, slow) => assert_eq!(
                fast.map_err(|e| e.to_string()),
                slow.map_err(|e| e.to_string())
            ),
        }
    }

    const SOA: &str =
        "$TTL 300\n@ SOA ns1 host 7 1 1 1 1\n@ NS ns1\n@ NS ns2.other.\nns1 A 192.0.2.1\n";

    #[test]
    fn bulk_import_matches_the_general_path() {
        same_both_ways(SOA);
        same_both_ways(&format!(
            "{SOA}Www A 192.0.2.9\nwww 60 A 192.0.2.8\nWWW A 192.0.2.9\nwww AAAA ::1\n\
             b.a TXT \"x\"\nz MX 10 www\n*.w A 192.0.2.3\nsub NS ns.sub\nns.sub A 192.0.2.4\n\
             a TXT \"y\"\n\\@ A 192.0.2.5\n"
        ));
        // Refusals: CNAME beside other data, SOA off the apex, no apex NS,
        // an RRset with a TTL too large.
        same_both_ways(&format!("{SOA}c CNAME www\nc A 192.0.2.1\n"));
        same_both_ways(&format!("{SOA}c CNAME www\nd CNAME www\nd DNAME x.\n"));
        same_both_ways(&format!("{SOA}x SOA ns1 host 7 1 1 1 1\n"));
        same_both_ways("$TTL 300\n@ SOA ns1 host 7 1 1 1 1\nns1 A 192.0.2.1\n");
        same_both_ways_after(&format!("{SOA}big A 192.0.2.1\n"), |records| {
            if let Some(last) = records.last_mut() {
                last.ttl = u32::MAX;
            }
        });
        same_both_ways_after(SOA, |records| {
            if let Some(last) = records.last_mut() {
                last.class = Class(3);
            }
        });
        same_both_ways(&format!("{SOA}@ DS 1 8 2 {}\n", "ab".repeat(32)));
    }
}
