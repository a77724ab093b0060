//! A zone's row in `zones`: finding, inserting and decoding it, its
//! PowerDNS settings columns, the flag of its apex SOA record, and the
//! decoding of stored names every reader shares.

use rusqlite::{Connection, OptionalExtension, params};
use wire::Name;

use super::{BASE_VIEW, sql_time, unix_time};
use crate::error::{StoreError, WriteError};
use crate::zones::{SerialPolicy, ZoneKind, ZoneOptions, ZoneSettings};

/// A zone's row.
#[derive(Clone, Debug)]
pub(super) struct ZoneRow {
    /// Row id.
    pub(super) id: i64,
    /// The apex, lower-case.
    pub(super) apex: Name,
    /// Its role.
    pub(super) kind: ZoneKind,
    /// Its serial policy.
    pub(super) policy: SerialPolicy,
    /// Unix time of the last write.
    pub(super) updated_at: u64,
}

/// The zone with apex `name`, if stored.
pub(super) fn find_zone(tx: &Connection, name: &Name) -> Result<Option<ZoneRow>, StoreError> {
    let raw = tx
        .prepare_cached(
            "SELECT id, name, kind, serial_policy, updated_at FROM zones WHERE name = ?1",
        )?
        .query_row([name.to_lowercase().as_wire()], raw_zone_row)
        .optional()?;
    raw.map(zone_row).transpose()
}

/// The row of a zone whose data may be changed: refuses a zone that is
/// not there and a secondary (`Slave`) zone, whose data is not the
/// store's but the copy transferred from its primaries.
pub(super) fn writable_zone(tx: &Connection, name: &Name) -> Result<ZoneRow, WriteError> {
    let row = find_zone(tx, name)?.ok_or_else(|| WriteError::NoSuchZone(name.clone()))?;
    if row.kind == ZoneKind::Slave {
        return Err(WriteError::Secondary(row.apex));
    }
    Ok(row)
}

/// Inserts a zone row.
pub(super) fn insert_zone(
    tx: &Connection,
    apex: &Name,
    kind: ZoneKind,
    policy: SerialPolicy,
    now: u64,
) -> Result<ZoneRow, StoreError> {
    tx.execute(
        "INSERT INTO zones (name, kind, serial_policy, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![
            apex.as_wire(),
            kind.as_str(),
            policy.as_str(),
            sql_time(now)
        ],
    )?;
    Ok(ZoneRow {
        id: tx.last_insert_rowid(),
        apex: apex.clone(),
        kind,
        policy,
        updated_at: now,
    })
}

/// A zones row as SQLite returns it.
type RawZoneRow = (i64, Vec<u8>, String, String, i64);

/// Reads the columns `id, name, kind, serial_policy, updated_at`.
pub(super) fn raw_zone_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawZoneRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

/// Decodes a zones row.
pub(super) fn zone_row(
    (id, name, kind, policy, updated_at): RawZoneRow,
) -> Result<ZoneRow, StoreError> {
    Ok(ZoneRow {
        id,
        apex: decode_name(&name, "zone name")?,
        kind: kind
            .parse()
            .map_err(|e| StoreError::corrupt(format!("zone row {id}: {e}")))?,
        policy: policy
            .parse()
            .map_err(|e| StoreError::corrupt(format!("zone row {id}: {e}")))?,
        updated_at: unix_time(updated_at),
    })
}

/// Writes a zone's PowerDNS settings.
pub(super) fn write_settings(
    tx: &Connection,
    zone_id: i64,
    settings: &ZoneSettings,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE zones SET account = ?1, soa_edit_api = ?2, soa_edit = ?3, catalog = ?4,
             masters = ?5, master_tsig_key_ids = ?6, slave_tsig_key_ids = ?7,
             api_rectify = ?8, presigned = ?9
         WHERE id = ?10",
        params![
            settings.account,
            settings.soa_edit_api,
            settings.soa_edit,
            settings.catalog,
            settings.masters.join("\n"),
            settings.master_tsig_key_ids.join("\n"),
            settings.slave_tsig_key_ids.join("\n"),
            settings.api_rectify,
            settings.presigned,
            zone_id
        ],
    )?;
    Ok(())
}

/// Reads a zone's PowerDNS settings.
pub(super) fn read_settings(tx: &Connection, zone_id: i64) -> Result<ZoneSettings, StoreError> {
    // Lists are one item per line (see schema step 3).
    let list = |text: String| -> Vec<String> {
        text.split('\n')
            .filter(|item| !item.is_empty())
            .map(str::to_string)
            .collect()
    };
    let settings = tx
        .prepare_cached(
            "SELECT account, soa_edit_api, soa_edit, catalog, masters, master_tsig_key_ids,
                    slave_tsig_key_ids, api_rectify, presigned
             FROM zones WHERE id = ?1",
        )?
        .query_row([zone_id], |row| {
            Ok(ZoneSettings {
                account: row.get(0)?,
                soa_edit_api: row.get(1)?,
                soa_edit: row.get(2)?,
                catalog: row.get(3)?,
                masters: list(row.get(4)?),
                master_tsig_key_ids: list(row.get(5)?),
                slave_tsig_key_ids: list(row.get(6)?),
                api_rectify: row.get(7)?,
                presigned: row.get(8)?,
            })
        })?;
    Ok(settings)
}

/// Writes a zone's own rules (schema step 7), replacing what was there; a
/// zone that sets nothing keeps no row.
pub(super) fn write_options(
    tx: &Connection,
    zone_id: i64,
    options: &ZoneOptions,
) -> Result<(), StoreError> {
    if *options == ZoneOptions::default() {
        tx.execute("DELETE FROM zone_options WHERE zone_id = ?1", [zone_id])?;
        return Ok(());
    }
    let list = |items: &Option<Vec<String>>| items.as_ref().map(|items| items.join("\n"));
    tx.execute(
        "INSERT OR REPLACE INTO zone_options
             (zone_id, default_ttl, notify, notify_key, allow_transfer, allow_update, catalog_group)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            zone_id,
            options.default_ttl,
            list(&options.notify),
            options
                .notify_key
                .as_ref()
                .map(|k| k.to_lowercase().as_wire().to_vec()),
            list(&options.allow_transfer),
            list(&options.allow_update),
            options.catalog_group,
        ],
    )?;
    Ok(())
}

/// Reads a zone's own rules; all `None` when it sets none.
pub(super) fn read_options(tx: &Connection, zone_id: i64) -> Result<ZoneOptions, StoreError> {
    // One element per line; a set but empty list is '' (see step 7).
    let list = |text: Option<String>| -> Option<Vec<String>> {
        text.map(|text| {
            text.split('\n')
                .filter(|item| !item.is_empty())
                .map(str::to_string)
                .collect()
        })
    };
    type Raw = (
        Option<u32>,
        Option<String>,
        Option<Vec<u8>>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let raw: Option<Raw> = tx
        .prepare_cached(
            "SELECT default_ttl, notify, notify_key, allow_transfer, allow_update, catalog_group
             FROM zone_options WHERE zone_id = ?1",
        )?
        .query_row([zone_id], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })
        .optional()?;
    let Some((default_ttl, notify, notify_key, allow_transfer, allow_update, catalog_group)) = raw
    else {
        return Ok(ZoneOptions::default());
    };
    Ok(ZoneOptions {
        default_ttl,
        notify: list(notify),
        notify_key: notify_key
            .map(|wire| decode_name(&wire, "notify key"))
            .transpose()?,
        allow_transfer: list(allow_transfer),
        allow_update: list(allow_update),
        catalog_group,
    })
}

/// Whether the apex SOA record of a zone is disabled.
pub(super) fn apex_soa_disabled(tx: &Connection, row: &ZoneRow) -> Result<bool, StoreError> {
    let disabled: Option<bool> = tx
        .prepare_cached(
            "SELECT r.disabled FROM rrsets s JOIN records r ON r.rrset_id = s.id
             WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2 AND s.owner = ?3 AND s.rtype = 6",
        )?
        .query_row(params![row.id, BASE_VIEW, row.apex.as_wire()], |r| r.get(0))
        .optional()?;
    Ok(disabled.unwrap_or(false))
}

/// A stored name.
pub(super) fn decode_name(wire: &[u8], what: &str) -> Result<Name, StoreError> {
    Name::from_wire(wire).map_err(|error| StoreError::corrupt(format!("{what}: {error}")))
}

/// Moves the counts of one copy of a zone (`view`: a view's id,
/// [`BASE_VIEW`] for the base) by `rrsets` and `records` (enabled ones):
/// every write that adds or removes RRsets or records calls it once, in
/// its transaction, with the sum of what it did. (Triggers on `rrsets`
/// and `records` would have kept the counts with no call to forget, but a
/// trigger that writes makes SQLite keep a statement journal for every
/// insert, which doubled the time of a million-record import.)
pub(super) fn add_counts(
    tx: &Connection,
    zone_id: i64,
    view: i64,
    rrsets: i64,
    records: i64,
) -> Result<(), StoreError> {
    if rrsets == 0 && records == 0 {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO zone_counts (zone_id, view_key, rrsets, records) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (zone_id, view_key)
         DO UPDATE SET rrsets = rrsets + excluded.rrsets, records = records + excluded.records",
    )?
    .execute(params![zone_id, view, rrsets, records])?;
    Ok(())
}

/// How many RRsets and enabled records one copy of a zone holds (`view`:
/// a view's id, [`BASE_VIEW`] for the base): one row of `zone_counts`,
/// which every write keeps in step ([`add_counts`]). A copy without a row
/// holds nothing.
pub(super) fn zone_counts(
    tx: &Connection,
    zone_id: i64,
    view: i64,
) -> Result<(i64, i64), StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT rrsets, records FROM zone_counts WHERE zone_id = ?1 AND view_key = ?2",
        )?
        .query_row(params![zone_id, view], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0)))
}
