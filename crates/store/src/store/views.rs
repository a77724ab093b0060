//! Views: the names the store knows, and a view's own RRsets (overrides
//! of the base: a set in place of the base's, or a row without records
//! that hides it), loaded, merged over the base and written back; the
//! reads of a view's copy of a zone.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, OptionalExtension, params};
use wire::{Name, Record, Rtype};

use super::rrsets::{load_all_rrsets, served_records, stored_rrsets};
use super::zone_row::{decode_name, find_zone};
use super::{Store, sql_time};
use crate::change::{Edit, RrsetKey, RrsetState};
use crate::error::{StoreError, WriteError};
use crate::zones::{OwnRrset, StoredRecord, StoredRrset, ViewRrsets};

impl Store {
    /// Makes sure the store knows each of these views (the configuration's
    /// `[[view]]` names); views it knows besides are kept, with their data.
    pub fn sync_views(&self, names: &[&str], now: u64) -> Result<(), WriteError> {
        self.write(
            || "recording the configured views".to_string(),
            |tx| {
                for name in names {
                    tx.prepare_cached(
                        "INSERT INTO views (name, created_at) VALUES (?1, ?2)
                         ON CONFLICT (name) DO NOTHING",
                    )?
                    .execute(params![name, sql_time(now)])?;
                }
                Ok(())
            },
        )
    }

    /// The views the store knows, by name.
    pub fn views(&self) -> Result<Vec<String>, StoreError> {
        self.read(
            || "listing views".to_string(),
            |tx| Ok(all_views(tx)?.into_iter().map(|(_, name)| name).collect()),
        )
    }

    /// What view `view` serves of `zone`: the base with the view's own
    /// RRsets in place of (or hiding) the base's, the view's own SOA
    /// (once it has one) always served. Empty for an unknown zone.
    pub fn zone_records_in_view(&self, zone: &Name, view: &str) -> Result<Vec<Record>, StoreError> {
        self.read(
            || format!("reading the records of {zone} in view {view}"),
            |tx| {
                let Some(row) = find_zone(tx, zone)? else {
                    return Ok(Vec::new());
                };
                let base = load_all_rrsets(tx, row.id)?;
                let Some(view_id) = view_id(tx, view)? else {
                    return Ok(served_records(&row.apex, &base));
                };
                let names: BTreeSet<Name> = override_names(tx, row.id, view_id)?;
                let mut over = load_overrides_at(tx, row.id, view_id, &names)?;
                // The view's own SOA is served whatever its flag: whether
                // the zone is served is the base SOA's decision, and
                // stores written before view SOAs were always enabled may
                // hold one that copied the base's flag.
                if let Some(Some(own)) = over.get_mut(&(row.apex.clone(), Rtype::SOA)) {
                    for record in &mut own.records {
                        record.disabled = false;
                    }
                }
                Ok(served_records(&row.apex, &merge(&base, &over)))
            },
        )
    }

    /// A zone's base RRsets (as [`Store::rrsets`]) with view `view`'s own
    /// sets beside them: what the zone page shows for a view. `None` for
    /// an unknown zone or view.
    pub fn rrsets_in_view(
        &self,
        zone: &Name,
        view: &str,
    ) -> Result<Option<ViewRrsets>, StoreError> {
        self.read(
            || format!("reading the RRsets of {zone} in view {view}"),
            |tx| {
                let (Some(row), Some(view_id)) = (find_zone(tx, zone)?, view_id(tx, view)?) else {
                    return Ok(None);
                };
                let base = stored_rrsets(tx, &row)?;
                let names = override_names(tx, row.id, view_id)?;
                let own = load_overrides_at(tx, row.id, view_id, &names)?
                    .into_iter()
                    .map(|((name, rtype), set)| OwnRrset {
                        set: set.map(|set| StoredRrset {
                            name: name.clone(),
                            rtype,
                            ttl: set.ttl,
                            records: set.records,
                            comments: Vec::new(),
                        }),
                        name,
                        rtype,
                    })
                    .collect();
                Ok(Some(ViewRrsets {
                    apex: row.apex.clone(),
                    base,
                    own,
                }))
            },
        )
    }
}

/// Every view the store knows: (id, name).
pub(super) fn all_views(tx: &Connection) -> Result<Vec<(i64, String)>, StoreError> {
    let mut statement = tx.prepare_cached("SELECT id, name FROM views ORDER BY id")?;
    let views = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(views)
}

/// The id of view `name`.
pub(super) fn view_id(tx: &Connection, name: &str) -> Result<Option<i64>, StoreError> {
    Ok(tx
        .prepare_cached("SELECT id FROM views WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?)
}

/// The owners a view has RRsets of its own at.
fn override_names(
    tx: &Connection,
    zone_id: i64,
    view_id: i64,
) -> Result<BTreeSet<Name>, StoreError> {
    let mut statement = tx.prepare_cached(
        "SELECT DISTINCT owner FROM rrsets WHERE zone_id = ?1 AND ifnull(view_id, 0) = ?2",
    )?;
    let owners = statement
        .query_map(params![zone_id, view_id], |r| r.get::<_, Vec<u8>>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    owners
        .iter()
        .map(|o| decode_name(o, "owner name"))
        .collect()
}

/// A view's own RRsets at `names`: `Some` replaces the base's set, `None`
/// hides it (an override row without records).
pub(super) fn load_overrides_at(
    tx: &Connection,
    zone_id: i64,
    view_id: i64,
    names: &BTreeSet<Name>,
) -> Result<BTreeMap<RrsetKey, Option<RrsetState>>, StoreError> {
    let mut statement = tx.prepare_cached(
        "SELECT s.owner, s.rtype, s.ttl, r.rdata, r.content, r.disabled
         FROM rrsets s LEFT JOIN records r ON r.rrset_id = s.id
         WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2 AND s.owner = ?3
         ORDER BY s.id, r.id",
    )?;
    let mut sets: BTreeMap<RrsetKey, Option<RrsetState>> = BTreeMap::new();
    for name in names {
        let mut rows = statement.query(params![zone_id, view_id, name.as_wire()])?;
        while let Some(row) = rows.next()? {
            let owner: Vec<u8> = row.get(0)?;
            let key = (decode_name(&owner, "owner name")?, Rtype(row.get(1)?));
            let ttl: u32 = row.get(2)?;
            let rdata: Option<Vec<u8>> = row.get(3)?;
            let entry = sets.entry(key).or_insert(None);
            if let Some(rdata) = rdata {
                let record = StoredRecord {
                    rdata,
                    content: row.get(4)?,
                    disabled: row.get(5)?,
                };
                entry
                    .get_or_insert_with(|| RrsetState {
                        ttl,
                        records: Vec::new(),
                    })
                    .records
                    .push(record);
            }
        }
    }
    Ok(sets)
}

/// The base with a view's own RRsets in place of (or hiding) the base's.
pub(super) fn merge(
    base: &BTreeMap<RrsetKey, RrsetState>,
    over: &BTreeMap<RrsetKey, Option<RrsetState>>,
) -> BTreeMap<RrsetKey, RrsetState> {
    let mut merged = base.clone();
    for (key, set) in over {
        match set {
            Some(set) => {
                merged.insert(key.clone(), set.clone());
            }
            None => {
                merged.remove(key);
            }
        }
    }
    merged
}

/// Stores a view's copy at the edited names as overrides of `base`: where
/// the view's set equals the base's, the view keeps none of its own.
pub(super) fn write_overrides(
    tx: &Connection,
    zone_id: i64,
    view_id: i64,
    edit: &Edit,
    base: &BTreeMap<RrsetKey, RrsetState>,
) -> Result<(), StoreError> {
    let keys: BTreeSet<&RrsetKey> = edit
        .old
        .keys()
        .chain(edit.new.keys())
        .chain(base.keys())
        .collect();
    // What the view's counts move by (`zone_counts`), written once below.
    let (mut rrsets, mut records) = (0i64, 0i64);
    for key in keys {
        let (wanted, shared) = (edit.new.get(key), base.get(key));
        // The override about to be removed, counted first: its records
        // go with it (ON DELETE CASCADE).
        let (had_sets, had_records): (i64, i64) = tx
            .prepare_cached(
                "SELECT count(DISTINCT s.id), count(r.id) FROM rrsets s
                 LEFT JOIN records r ON r.rrset_id = s.id AND r.disabled = 0
                 WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2 AND s.owner = ?3
                   AND s.rtype = ?4",
            )?
            .query_row(params![zone_id, view_id, key.0.as_wire(), key.1.0], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        rrsets -= had_sets;
        records -= had_records;
        let removed = tx
            .prepare_cached(
                "DELETE FROM rrsets WHERE zone_id = ?1 AND ifnull(view_id, 0) = ?2 AND owner = ?3 AND rtype = ?4",
            )?
            .execute(params![zone_id, view_id, key.0.as_wire(), key.1.0])?;
        // Once a view has an SOA of its own it keeps it, even should it
        // equal the base's: the view's serial must never fall back to the
        // base's (secondaries would see it go backwards), and "has its own
        // SOA" is what says a view's copy lives apart from the base.
        let own_soa = key.1 == Rtype::SOA && removed > 0;
        if wanted == shared && !own_soa {
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO rrsets (zone_id, view_id, owner, rtype, ttl, sort_key, owner_text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            zone_id,
            view_id,
            key.0.as_wire(),
            key.1.0,
            wanted.map_or(0, |s| s.ttl),
            crate::schema::owner_sort_key(&key.0),
            key.0.to_string()
        ])?;
        let rrset_id = tx.last_insert_rowid();
        rrsets += 1;
        records += wanted.map_or(0, |s| s.enabled().count() as i64);
        let mut insert = tx.prepare_cached(
            "INSERT INTO records (rrset_id, rdata, content, disabled) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for record in wanted.map(|s| s.records.as_slice()).unwrap_or_default() {
            insert.execute(params![
                rrset_id,
                record.rdata,
                record.content,
                record.disabled
            ])?;
        }
    }
    super::zone_row::add_counts(tx, zone_id, view_id, rrsets, records)
}
