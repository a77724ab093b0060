//! Zones as a whole: listing them, creating one (with the SOA and NS it
//! lacks), changing its kind, serial policy and settings, reading its SOA
//! flag, deleting it, and importing its data from records.

use std::collections::{BTreeMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};
use wire::rdata::soa_numbers;
use wire::{Class, Name, Record, Rtype, Serial};

use super::history::{Chain, journal_entries};
use super::rrsets::load_all_rrsets;
use super::writes::{apply_to_base, commit, replace};
use super::zone_row::{
    ZoneRow, apex_soa_disabled, find_zone, insert_zone, raw_zone_row, read_options, read_settings,
    writable_zone, write_options, write_settings, zone_row,
};
use super::{BASE_VIEW, Store, sql_time};
use crate::change::{Applied, ChangeMeta, ChangeSet, Edit, RrsetChange, RrsetKey, RrsetOp};
use crate::error::{Rejection, StoreError, ValidationReason, WriteError};
use crate::plan::SerialRule;
use crate::serial;
use crate::zones::{
    ApexSettings, NewZone, RecordInput, SerialPolicy, SettingsChange, ZoneInfo, ZoneKind,
    ZoneSettings,
};

/// TTL of the SOA and NS sets the store makes for a new zone.
const DEFAULT_TTL: u32 = 3600;

impl Store {
    /// Every zone, in canonical order of their names.
    pub fn zones(&self) -> Result<Vec<ZoneInfo>, StoreError> {
        self.read(
            || "listing zones".to_string(),
            |tx| {
                let mut statement =
                    tx.prepare("SELECT id, name, kind, serial_policy, updated_at FROM zones")?;
                let rows = statement
                    .query_map([], raw_zone_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut zones = rows
                    .into_iter()
                    .map(|raw| zone_info(tx, &zone_row(raw)?))
                    .collect::<Result<Vec<_>, _>>()?;
                zones.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(zones)
            },
        )
    }

    /// A zone's kind, or `None` if the store has no zone with this apex:
    /// one row read, whatever the zone's size (unlike [`Store::zone`],
    /// which counts its records).
    pub fn zone_kind(&self, name: &Name) -> Result<Option<ZoneKind>, StoreError> {
        self.read(
            || format!("reading the kind of zone {name}"),
            |tx| Ok(find_zone(tx, name)?.map(|row| row.kind)),
        )
    }

    /// One zone, or `None` if the store has no zone with this apex.
    pub fn zone(&self, name: &Name) -> Result<Option<ZoneInfo>, StoreError> {
        self.read(
            || format!("reading zone {name}"),
            |tx| match find_zone(tx, name)? {
                Some(row) => Ok(Some(zone_info(tx, &row)?)),
                None => Ok(None),
            },
        )
    }

    /// Creates a zone; its content passes the same checks as any change.
    /// The creation is the zone's first journal entry, from serial 0 to
    /// its first serial.
    pub fn create_zone(&self, new: NewZone, meta: &ChangeMeta) -> Result<Applied, WriteError> {
        let apex = new.name.to_lowercase();
        self.write(
            || format!("creating zone {apex}"),
            |tx| {
                if find_zone(tx, &apex)?.is_some() {
                    return Err(WriteError::ZoneExists(apex.clone()));
                }
                let row = insert_zone(tx, &apex, new.kind, new.serial_policy, meta.now)?;
                write_settings(tx, row.id, &new.settings)?;
                let mut edit = Edit::new(&apex, BTreeMap::new());
                let mut seen = HashSet::new();
                // Only sets with records are "given": a set of comments
                // alone (PowerDNS keeps those) neither replaces the SOA
                // made below nor competes with `nameservers`; its comments
                // are applied once every set with records is in place.
                let mut given = HashSet::new();
                let mut comments_only = Vec::new();
                for rrset in &new.rrsets {
                    let key = (rrset.name.to_lowercase(), rrset.rtype);
                    if !seen.insert(key.clone()) {
                        return Err(Rejection::new(
                            &key.0,
                            key.1,
                            ValidationReason::DuplicateRrset,
                        )
                        .into());
                    }
                    if rrset.records.is_empty() {
                        comments_only.push(rrset);
                        continue;
                    }
                    if key == (apex.clone(), Rtype::NS) && !new.nameservers.is_empty() {
                        return Err(Rejection::new(
                            &apex,
                            Rtype::NS,
                            ValidationReason::NsGivenTwice,
                        )
                        .into());
                    }
                    given.insert(key);
                    edit.apply(&RrsetChange {
                        name: rrset.name.clone(),
                        rtype: rrset.rtype,
                        op: RrsetOp::Replace {
                            ttl: rrset.ttl,
                            records: rrset.records.clone(),
                        },
                        comments: (!rrset.comments.is_empty()).then(|| rrset.comments.clone()),
                    })?;
                }
                if !new.nameservers.is_empty() {
                    let records = new
                        .nameservers
                        .iter()
                        .map(|ns| RecordInput {
                            rdata: ns.as_wire().to_vec(),
                            content: None,
                            disabled: false,
                        })
                        .collect();
                    edit.apply(&replace(&apex, Rtype::NS, DEFAULT_TTL, records))?;
                }
                if !given.contains(&(apex.clone(), Rtype::SOA)) {
                    let first = new
                        .serial
                        .unwrap_or_else(|| serial::initial(new.serial_policy, meta.now));
                    let soa = RecordInput {
                        rdata: default_soa(&apex, new.nameservers.first(), first),
                        content: None,
                        disabled: false,
                    };
                    edit.apply(&replace(&apex, Rtype::SOA, DEFAULT_TTL, vec![soa]))?;
                }
                // An EXTEND without records changes only the comments,
                // leaving whatever set is there (a made SOA or NS) as it is.
                for rrset in comments_only {
                    edit.apply(&RrsetChange {
                        name: rrset.name.clone(),
                        rtype: rrset.rtype,
                        op: RrsetOp::Extend {
                            ttl: rrset.ttl,
                            records: Vec::new(),
                        },
                        comments: Some(rrset.comments.clone()),
                    })?;
                }
                commit(tx, &row, edit, meta, SerialRule::Initial)
            },
        )
    }

    /// Records a secondary zone (kind `Slave`) with its settings (its
    /// `masters` among them). It has no RRsets and no journal here: its
    /// data is the copy the replicator transfers from its primaries and
    /// keeps in the data directory, as for secondaries the configuration
    /// declares.
    pub fn create_secondary_zone(
        &self,
        name: &Name,
        settings: &ZoneSettings,
        now: u64,
    ) -> Result<(), WriteError> {
        let apex = name.to_lowercase();
        self.write(
            || format!("creating secondary zone {apex}"),
            |tx| {
                if find_zone(tx, &apex)?.is_some() {
                    return Err(WriteError::ZoneExists(apex.clone()));
                }
                // The serial policy is never used: a secondary's serial is
                // its primary's.
                let row = insert_zone(tx, &apex, ZoneKind::Slave, SerialPolicy::Increment, now)?;
                write_settings(tx, row.id, settings)?;
                Ok(())
            },
        )
    }

    /// Changes a zone's settings (each field of `settings` that is given;
    /// the rest stay as stored) and, with `change`, its base data, in one
    /// transaction: all of it or nothing. The settings come first, so the
    /// change's serial moves by the serial policy it sets (as PowerDNS
    /// applies `soa_edit_api` from a PUT to the content in it). Settings
    /// alone move no serial. Only `Native` and `Master` can be exchanged:
    /// a zone never becomes or stops being a secondary here. Returns what
    /// the change did, `None` without one.
    pub fn update_zone(
        &self,
        name: &Name,
        settings: &SettingsChange,
        change: Option<&ChangeSet>,
        meta: &ChangeMeta,
    ) -> Result<Option<Applied>, WriteError> {
        self.write(
            || format!("changing zone {name}"),
            |tx| {
                let mut row = writable_zone(tx, name)?;
                if !settings.is_empty() {
                    write_settings_change(tx, &row, settings, meta.now)?;
                    row =
                        find_zone(tx, name)?.ok_or_else(|| WriteError::NoSuchZone(name.clone()))?;
                }
                match change {
                    Some(change) => Ok(Some(apply_to_base(tx, &row, change, meta)?.0)),
                    None => Ok(None),
                }
            },
        )
    }

    /// A zone's row, apex SOA and own rules, or `None` for a zone not in
    /// the store: indexed reads only, whatever the zone's size.
    pub fn apex_settings(&self, name: &Name) -> Result<Option<ApexSettings>, StoreError> {
        self.read(
            || format!("reading the settings of {name}"),
            |tx| {
                let Some(row) = find_zone(tx, name)? else {
                    return Ok(None);
                };
                let soa: Option<(u32, Vec<u8>)> = tx
                    .prepare_cached(
                        "SELECT s.ttl, r.rdata FROM rrsets s JOIN records r ON r.rrset_id = s.id
                         WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2 AND s.owner = ?3
                           AND s.rtype = 6",
                    )?
                    .query_row(params![row.id, BASE_VIEW, row.apex.as_wire()], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()?;
                let (soa_ttl, soa) = match soa {
                    Some((ttl, rdata)) => (Some(ttl), rdata),
                    None => (None, Vec::new()),
                };
                Ok(Some(ApexSettings {
                    kind: row.kind,
                    serial_policy: row.policy,
                    soa_ttl,
                    soa,
                    options: read_options(tx, row.id)?,
                }))
            },
        )
    }

    /// Whether a zone's SOA record is disabled (the zone is kept but not
    /// served), or `None` for a zone not in the store. One indexed lookup
    /// of the apex SOA, so the write path can ask after every change.
    pub fn soa_disabled(&self, zone: &Name) -> Result<Option<bool>, StoreError> {
        self.read(
            || format!("reading the SOA of {zone}"),
            |tx| match find_zone(tx, zone)? {
                Some(row) => Ok(Some(apex_soa_disabled(tx, &row)?)),
                None => Ok(None),
            },
        )
    }

    /// Deletes a zone with all its data and history.
    pub fn delete_zone(&self, name: &Name) -> Result<(), WriteError> {
        self.write(
            || format!("deleting zone {name}"),
            |tx| {
                let row =
                    find_zone(tx, name)?.ok_or_else(|| WriteError::NoSuchZone(name.clone()))?;
                tx.execute("DELETE FROM zones WHERE id = ?1", [row.id])?;
                Ok(())
            },
        )
    }

    /// Creates the zone from `records` (class IN, e.g. a parsed zone file),
    /// or replaces all of an existing zone's data with them, as one journal
    /// entry. Comments of RRsets that remain are kept. An existing zone
    /// keeps its serial policy and takes `kind`; a new one gets
    /// [`SerialPolicy::Increment`]. The file's SOA serial is kept if it is
    /// newer than the zone's, otherwise the serial moves on by the policy.
    /// Duplicate records are merged; an RRset whose records disagree on
    /// TTL takes the smallest (as the zone loader does, RFC 2181 §5.2).
    pub fn import(
        &self,
        zone: &Name,
        records: Vec<Record>,
        kind: ZoneKind,
        meta: &ChangeMeta,
    ) -> Result<Applied, WriteError> {
        let apex = zone.to_lowercase();
        self.write(
            || format!("importing zone {apex}"),
            |tx| {
                match find_zone(tx, &apex)? {
                    // A zone the store does not hold yet: in bulk (see
                    // `import.rs`), with the same checks and result.
                    None => super::import::import_new_zone(tx, &apex, records, kind, meta),
                    Some(row) if row.kind == ZoneKind::Slave => {
                        group_records(records)?;
                        Err(WriteError::Secondary(row.apex))
                    }
                    Some(mut row) => {
                        let grouped = group_records(records)?;
                        if row.kind != kind {
                            tx.execute(
                                "UPDATE zones SET kind = ?1, updated_at = ?2 WHERE id = ?3",
                                params![kind.as_str(), sql_time(meta.now), row.id],
                            )?;
                            row.kind = kind;
                        }
                        let old = load_all_rrsets(tx, row.id)?;
                        let mut edit = Edit::new(&apex, old.clone());
                        for (name, rtype) in old.keys().filter(|key| !grouped.contains_key(*key)) {
                            edit.apply(&RrsetChange {
                                name: name.clone(),
                                rtype: *rtype,
                                op: RrsetOp::Delete,
                                comments: None,
                            })?;
                        }
                        for ((name, rtype), (ttl, records)) in grouped {
                            edit.apply(&replace(&name, rtype, ttl, records))?;
                        }
                        commit(tx, &row, edit, meta, SerialRule::KeepIfNewer)
                    }
                }
            },
        )
    }
}

/// Writes a settings change into a zone's row: the kind (refusing a move
/// to or from `Slave`), the serial policy, and the PowerDNS settings
/// merged over what is stored, read in this same transaction.
fn write_settings_change(
    tx: &Connection,
    row: &ZoneRow,
    change: &SettingsChange,
    now: u64,
) -> Result<(), WriteError> {
    if let Some(kind) = change.kind
        && kind != row.kind
    {
        if kind == ZoneKind::Slave || row.kind == ZoneKind::Slave {
            return Err(WriteError::KindChange {
                zone: row.apex.clone(),
                from: row.kind,
                to: kind,
            });
        }
        tx.execute(
            "UPDATE zones SET kind = ?1 WHERE id = ?2",
            params![kind.as_str(), row.id],
        )?;
    }
    if let Some(policy) = change.serial_policy {
        tx.execute(
            "UPDATE zones SET serial_policy = ?1 WHERE id = ?2",
            params![policy.as_str(), row.id],
        )?;
    }
    let mut settings = read_settings(tx, row.id)?;
    change.apply_to(&mut settings);
    write_settings(tx, row.id, &settings)?;
    if let Some(options) = &change.options {
        write_options(tx, row.id, options)?;
    }
    tx.execute(
        "UPDATE zones SET updated_at = ?1 WHERE id = ?2",
        params![sql_time(now), row.id],
    )?;
    Ok(())
}

/// The listing of one zone.
fn zone_info(tx: &Connection, row: &ZoneRow) -> Result<ZoneInfo, StoreError> {
    let soa: Option<Vec<u8>> = tx
        .prepare_cached(
            "SELECT r.rdata FROM rrsets s JOIN records r ON r.rrset_id = s.id
             WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2 AND s.owner = ?3 AND s.rtype = 6",
        )?
        .query_row(params![row.id, BASE_VIEW, row.apex.as_wire()], |r| r.get(0))
        .optional()?;
    let serial = match soa.as_deref().and_then(soa_numbers) {
        Some(numbers) => Serial(numbers[0]),
        // A secondary's records are not in the store (the replicator keeps
        // its transferred copy): its serial is the served copy's, which
        // only the caller knows.
        None if row.kind == ZoneKind::Slave => Serial(0),
        None => {
            return Err(StoreError::corrupt(format!(
                "{} has no readable SOA record",
                row.apex
            )));
        }
    };
    let (_, records) = super::zone_row::zone_counts(tx, row.id, BASE_VIEW)?;
    let last_change = journal_entries(tx, row, Chain::BASE, i64::MAX, 1)?.pop();
    let soa_disabled = apex_soa_disabled(tx, row)?;
    let settings = read_settings(tx, row.id)?;
    let options = read_options(tx, row.id)?;
    Ok(ZoneInfo {
        id: row.id,
        name: row.apex.clone(),
        kind: row.kind,
        serial,
        serial_policy: row.policy,
        records: usize::try_from(records).unwrap_or(0),
        updated_at: row.updated_at,
        last_change,
        soa_disabled,
        settings,
        options,
    })
}

/// The SOA RDATA of a new zone without one:
/// `PRIMARY hostmaster.ZONE SERIAL 10800 3600 604800 3600`, where PRIMARY
/// (MNAME) is the first of the zone's `nameservers`, or `ns1.ZONE`.
fn default_soa(apex: &Name, primary: Option<&Name>, serial: Serial) -> Vec<u8> {
    // A name too long to take another label falls back to the apex itself.
    let ns1 = primary
        .cloned()
        .unwrap_or_else(|| apex.prepend_label(b"ns1").unwrap_or_else(|_| apex.clone()));
    let hostmaster = apex
        .prepend_label(b"hostmaster")
        .unwrap_or_else(|_| apex.clone());
    let mut rdata = Vec::with_capacity(ns1.wire_len() + hostmaster.wire_len() + 20);
    rdata.extend_from_slice(ns1.as_wire());
    rdata.extend_from_slice(hostmaster.as_wire());
    for number in [serial.0, 10_800, 3_600, 604_800, 3_600] {
        rdata.extend_from_slice(&number.to_be_bytes());
    }
    rdata
}

/// Groups imported records into RRsets: class IN only, duplicate RDATA
/// merged, the smallest TTL of a set kept.
fn group_records(
    records: Vec<Record>,
) -> Result<BTreeMap<RrsetKey, (u32, Vec<RecordInput>)>, Rejection> {
    let mut grouped: BTreeMap<RrsetKey, (u32, Vec<RecordInput>)> = BTreeMap::new();
    for record in records {
        if record.class != Class::IN {
            return Err(Rejection::new(
                &record.owner,
                record.rtype,
                ValidationReason::ClassNotIn {
                    class: record.class,
                },
            ));
        }
        let (ttl, list) = grouped
            .entry((record.owner.to_lowercase(), record.rtype))
            .or_insert((record.ttl, Vec::new()));
        *ttl = (*ttl).min(record.ttl);
        if !list.iter().any(|r| r.rdata == record.rdata) {
            list.push(RecordInput {
                rdata: record.rdata,
                content: None,
                disabled: false,
            });
        }
    }
    Ok(grouped)
}

/// [`group_records`], for the tests comparing the bulk import with it.
#[cfg(test)]
pub(super) fn group_records_for_tests(
    records: Vec<Record>,
) -> Result<BTreeMap<RrsetKey, (u32, Vec<RecordInput>)>, Rejection> {
    group_records(records)
}
