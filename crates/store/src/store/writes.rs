//! The write path: a working copy is checked ([`crate::validate`]) and
//! planned ([`crate::plan`]: difference and serial), then its RRsets,
//! comments and journal entry are written, and a base change is carried
//! into every view with data of its own; [`Store::apply`] and
//! [`Store::apply_in_view`] are its public doors.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, params};
use wire::rdata::soa_numbers;
use wire::{Name, Rtype, Serial};

use super::rrsets::{load_comments, load_rrsets_at};
use super::views::{all_views, load_overrides_at, merge, view_id, write_overrides};
use super::zone_row::{ZoneRow, writable_zone};
use super::{BASE_VIEW, Store, sql_time};
use crate::change::{
    Applied, ChangeMeta, ChangeSet, Edit, RrsetChange, RrsetKey, RrsetOp, RrsetState,
};
use crate::error::{StoreError, ValidationReason, WriteError};
use crate::journal;
use crate::plan::{self, Plan, SerialRule};
use crate::validate;
use crate::zones::RecordInput;

impl Store {
    /// Applies a change set: checks the zone as it would be after it,
    /// then commits the RRsets, the SOA serial bump and a journal entry in
    /// one transaction. A refused change set writes nothing.
    pub fn apply(
        &self,
        zone: &Name,
        change: &ChangeSet,
        meta: &ChangeMeta,
    ) -> Result<Applied, WriteError> {
        self.apply_with_views(zone, change, meta)
            .map(|(base, _)| base)
    }

    /// Like [`Store::apply`] (a change to the base data every view shares),
    /// also saying what it did to each view with data of its own: a view
    /// that overrides none of the changed RRsets gets the change too, as
    /// its own serial bump and journal entry; a view overriding all of them
    /// is untouched and not listed. Views without data of their own serve
    /// the base itself (its serial too) and are not listed either.
    pub fn apply_with_views(
        &self,
        zone: &Name,
        change: &ChangeSet,
        meta: &ChangeMeta,
    ) -> Result<(Applied, Vec<(String, Applied)>), WriteError> {
        self.write(
            || format!("applying a change to {zone}"),
            |tx| {
                let row = writable_zone(tx, zone)?;
                apply_to_base(tx, &row, change, meta)
            },
        )
    }

    /// What [`Store::apply`] would remove from and add to the served data
    /// of a zone at time `now` (the date serial policy needs it), the new
    /// SOA included, without writing anything: the preview of a change an
    /// operator confirms. It costs what the change costs, and refuses what
    /// `apply` would refuse.
    pub fn preview(
        &self,
        zone: &Name,
        change: &ChangeSet,
        now: u64,
    ) -> Result<(Vec<wire::Record>, Vec<wire::Record>), WriteError> {
        let mut connection = super::lock(&self.reader);
        let result = (|| {
            // Read inside a transaction that is never committed.
            let tx = connection.transaction()?;
            let row = writable_zone(&tx, zone)?;
            let names = changed_names(&row, change);
            let mut edit = Edit::new(&row.apex, load_rrsets_at(&tx, row.id, &names)?);
            for one in &change.changes {
                edit.apply(one)?;
            }
            let plan = settle(&row, &mut edit, now, SerialRule::Bump)?;
            Ok((plan.removed, plan.added))
        })();
        result
            .map_err(|error: WriteError| error.during(|| format!("previewing a change to {zone}")))
    }

    /// Applies a change set to view `view`'s copy of a zone: the RRsets it
    /// changes become the view's own (overrides of the base; an RRset the
    /// view deletes is hidden in it), checked as the whole view would be,
    /// with the view's own serial bump and journal entry. The base and the
    /// other views are untouched.
    pub fn apply_in_view(
        &self,
        zone: &Name,
        view: &str,
        change: &ChangeSet,
        meta: &ChangeMeta,
    ) -> Result<Applied, WriteError> {
        self.write(
            || format!("applying a change to {zone} in view {view}"),
            |tx| {
                let row = writable_zone(tx, zone)?;
                let view_id =
                    view_id(tx, view)?.ok_or_else(|| WriteError::NoSuchView(view.to_string()))?;
                if let Some(soa) = change
                    .changes
                    .iter()
                    .find(|c| c.rtype == Rtype::SOA && c.name.to_lowercase() == row.apex)
                {
                    return Err(WriteError::Validation {
                        name: soa.name.clone(),
                        rtype: Rtype::SOA,
                        reason: ValidationReason::SoaInView {
                            view: view.to_string(),
                        },
                    });
                }
                let names = changed_names(&row, change);
                let base = load_rrsets_at(tx, row.id, &names)?;
                let over = load_overrides_at(tx, row.id, view_id, &names)?;
                let mut edit = Edit::new(&row.apex, merge(&base, &over));
                for one in &change.changes {
                    edit.apply(one)?;
                }
                // A view's first data of its own must come with an SOA of
                // its own, even when it changes nothing served, or the view
                // would hold sets the base's changes no longer reach.
                let own_soa = over.contains_key(&(row.apex.clone(), Rtype::SOA));
                if !own_soa && edit.new != edit.old {
                    plan::move_serial_forward(&mut edit, row.policy, meta.now)?;
                }
                let plan = settle(&row, &mut edit, meta.now, SerialRule::Bump)?;
                write_overrides(tx, row.id, view_id, &edit, &base)?;
                if plan.changes_served_data() {
                    append_journal_in(tx, row.id, Some(view_id), &plan, meta)?;
                }
                Ok(applied_of(&row, plan))
            },
        )
    }
}

/// Applies a change set to a zone's base data inside a write transaction,
/// carrying it into every view with data of its own (see
/// [`Store::apply_with_views`]).
pub(super) fn apply_to_base(
    tx: &Connection,
    row: &ZoneRow,
    change: &ChangeSet,
    meta: &ChangeMeta,
) -> Result<(Applied, Vec<(String, Applied)>), WriteError> {
    let names = changed_names(row, change);
    let mut edit = Edit::new(&row.apex, load_rrsets_at(tx, row.id, &names)?);
    for one in &change.changes {
        edit.apply(one)?;
    }
    commit_with_views(tx, row, edit, meta, SerialRule::Bump)
}

/// Checks a working copy and plans its commit.
pub(super) fn settle(
    row: &ZoneRow,
    edit: &mut Edit,
    now: u64,
    rule: SerialRule,
) -> Result<Plan, WriteError> {
    validate::check(edit)?;
    Ok(plan::plan(edit, row.policy, now, rule)?)
}

/// Checks, plans and writes a working copy: RRsets, comments, the journal
/// entry when served data changes, and the zone's update time when
/// anything was written; then the same change in every view with data of
/// its own (see [`commit_with_views`]).
pub(super) fn commit(
    tx: &Connection,
    row: &ZoneRow,
    edit: Edit,
    meta: &ChangeMeta,
    rule: SerialRule,
) -> Result<Applied, WriteError> {
    commit_with_views(tx, row, edit, meta, rule).map(|(base, _)| base)
}

/// Commits a change to the base data, then carries it into each view
/// with data of its own (its own SOA): where the view's copy at the edited
/// names differs afterwards, it is checked as the whole view, gets its own
/// serial bump and journal entry, and is listed. Views without data of
/// their own are the base itself and need nothing.
fn commit_with_views(
    tx: &Connection,
    row: &ZoneRow,
    edit: Edit,
    meta: &ChangeMeta,
    rule: SerialRule,
) -> Result<(Applied, Vec<(String, Applied)>), WriteError> {
    let views = all_views(tx)?;
    if views.is_empty() {
        return Ok((commit_base(tx, row, edit, meta, rule)?, Vec::new()));
    }
    let base_old = edit.old.clone();
    let touched = edit.touched.clone();
    let mut names: BTreeSet<Name> = base_old.keys().map(|(n, _)| n.clone()).collect();
    names.extend(edit.new.keys().map(|(n, _)| n.clone()));
    names.insert(row.apex.clone());
    let (applied, base_new) = commit_base_keeping(tx, row, edit, meta, rule)?;
    let mut changed = Vec::new();
    for (view_id, view_name) in views {
        let over = load_overrides_at(tx, row.id, view_id, &names)?;
        if !over.contains_key(&(row.apex.clone(), Rtype::SOA)) {
            continue;
        }
        let mut view_edit = Edit::new(&row.apex, merge(&base_old, &over));
        view_edit.new = merge(&base_new, &over);
        // The base's SOA fields (names, timers, TTL) reach the view too,
        // which keeps its own serial (bumped by the commit below).
        let soa_key = (row.apex.clone(), Rtype::SOA);
        if plan::soa_fields_differ(base_old.get(&soa_key), base_new.get(&soa_key))
            && let (Some(base_soa), Some(Some(own))) = (base_new.get(&soa_key), over.get(&soa_key))
            && let (Some(record), Some(own_record)) =
                (base_soa.records.first(), own.records.first())
            && let Some(numbers) = soa_numbers(&own_record.rdata)
        {
            view_edit.new.insert(
                soa_key,
                RrsetState {
                    ttl: base_soa.ttl,
                    records: vec![plan::soa_with_serial(record, Serial(numbers[0]))],
                },
            );
        }
        view_edit.touched = touched.clone();
        if view_edit.old == view_edit.new {
            continue;
        }
        let plan = settle(row, &mut view_edit, meta.now, SerialRule::Bump)
            .map_err(|e| in_view(e, &view_name))?;
        write_overrides(tx, row.id, view_id, &view_edit, &base_new)?;
        if plan.changes_served_data() {
            append_journal_in(tx, row.id, Some(view_id), &plan, meta)?;
        }
        changed.push((view_name, applied_of(row, plan)));
    }
    Ok((applied, changed))
}

/// [`commit_base`], also returning the base RRsets as written at the
/// edited names.
fn commit_base_keeping(
    tx: &Connection,
    row: &ZoneRow,
    mut edit: Edit,
    meta: &ChangeMeta,
    rule: SerialRule,
) -> Result<(Applied, BTreeMap<RrsetKey, RrsetState>), WriteError> {
    let plan = settle(row, &mut edit, meta.now, rule)?;
    let base_new = edit.new.clone();
    Ok((write_committed(tx, row, edit, plan, meta)?, base_new))
}

/// Checks, plans and writes a change to the base data only.
fn commit_base(
    tx: &Connection,
    row: &ZoneRow,
    mut edit: Edit,
    meta: &ChangeMeta,
    rule: SerialRule,
) -> Result<Applied, WriteError> {
    let plan = settle(row, &mut edit, meta.now, rule)?;
    write_committed(tx, row, edit, plan, meta)
}

/// Writes a settled base change: RRsets, comments, journal, update time.
fn write_committed(
    tx: &Connection,
    row: &ZoneRow,
    edit: Edit,
    plan: Plan,
    meta: &ChangeMeta,
) -> Result<Applied, WriteError> {
    let wrote = write_edit(tx, row.id, &edit)?;
    if plan.changes_served_data() {
        append_journal_in(tx, row.id, None, &plan, meta)?;
    }
    if wrote {
        tx.execute(
            "UPDATE zones SET updated_at = ?1 WHERE id = ?2",
            params![sql_time(meta.now), row.id],
        )?;
    }
    Ok(applied_of(row, plan))
}

/// The owners a change set touches, and the apex (whose SOA and NS every
/// change is checked against).
fn changed_names(row: &ZoneRow, change: &ChangeSet) -> BTreeSet<Name> {
    let mut names: BTreeSet<Name> = change
        .changes
        .iter()
        .map(|c| c.name.to_lowercase())
        .collect();
    names.insert(row.apex.clone());
    names
}

/// The outcome of a committed plan.
fn applied_of(row: &ZoneRow, plan: Plan) -> Applied {
    Applied {
        zone: row.apex.clone(),
        from: plan.from,
        to: plan.to,
        removed: plan.removed,
        added: plan.added,
    }
}

/// A refusal found in one view's copy says so.
fn in_view(error: WriteError, view: &str) -> WriteError {
    match error {
        WriteError::Validation {
            name,
            rtype,
            reason,
        } => WriteError::InView {
            view: view.to_string(),
            error: Box::new(WriteError::Validation {
                name,
                rtype,
                reason,
            }),
        },
        other => other,
    }
}

/// Writes the RRsets and comment lists that differ from what is stored.
/// Returns whether anything was written.
fn write_edit(tx: &Connection, zone_id: i64, edit: &Edit) -> Result<bool, StoreError> {
    let mut wrote = false;
    // What the zone's counts move by (`zone_counts`), written once below.
    let (mut rrsets, mut records) = (0i64, 0i64);
    let keys: BTreeSet<&RrsetKey> = edit.old.keys().chain(edit.new.keys()).collect();
    for key in keys {
        let (old, new) = (edit.old.get(key), edit.new.get(key));
        if old == new {
            continue;
        }
        wrote = true;
        for (set, sign) in [(old, -1), (new, 1)] {
            if let Some(set) = set {
                rrsets += sign;
                records += sign * set.enabled().count() as i64;
            }
        }
        let owner = key.0.as_wire();
        if old.is_some() {
            tx.prepare_cached(
                "DELETE FROM rrsets
                 WHERE zone_id = ?1 AND ifnull(view_id, 0) = ?2 AND owner = ?3 AND rtype = ?4",
            )?
            .execute(params![zone_id, BASE_VIEW, owner, key.1.0])?;
        }
        if let Some(set) = new {
            tx.prepare_cached(
                "INSERT INTO rrsets (zone_id, view_id, owner, rtype, ttl, sort_key, owner_text)
                 VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                zone_id,
                owner,
                key.1.0,
                set.ttl,
                crate::schema::owner_sort_key(&key.0),
                key.0.to_string()
            ])?;
            let rrset_id = tx.last_insert_rowid();
            let mut insert = tx.prepare_cached(
                "INSERT INTO records (rrset_id, rdata, content, disabled) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for record in &set.records {
                insert.execute(params![
                    rrset_id,
                    record.rdata,
                    record.content,
                    record.disabled
                ])?;
            }
        }
    }
    super::zone_row::add_counts(tx, zone_id, BASE_VIEW, rrsets, records)?;
    for (key, comments) in &edit.comments {
        if load_comments(tx, zone_id, key)? == *comments {
            continue;
        }
        wrote = true;
        tx.prepare_cached(
            "DELETE FROM comments
             WHERE zone_id = ?1 AND ifnull(view_id, 0) = ?2 AND owner = ?3 AND rtype = ?4",
        )?
        .execute(params![zone_id, BASE_VIEW, key.0.as_wire(), key.1.0])?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO comments (zone_id, view_id, owner, rtype, content, account, modified_at)
             VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for comment in comments {
            insert.execute(params![
                zone_id,
                key.0.as_wire(),
                key.1.0,
                comment.content,
                comment.account,
                sql_time(comment.modified_at)
            ])?;
        }
    }
    Ok(wrote)
}

/// Appends the journal entry of a committed change.
pub(super) fn append_journal_in(
    tx: &Connection,
    zone_id: i64,
    view_id: Option<i64>,
    plan: &Plan,
    meta: &ChangeMeta,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO journal (zone_id, view_id, serial_from, serial_to, author, source,
                              changed_at, comment, removed_count, added_count, removed, added)
         VALUES (?1, ?12, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        zone_id,
        plan.from.0,
        plan.to.0,
        meta.author,
        meta.source.as_str(),
        sql_time(meta.now),
        meta.comment,
        plan.removed.len() as i64,
        plan.added.len() as i64,
        journal::encode_records(&plan.removed),
        journal::encode_records(&plan.added),
        view_id,
    ])?;
    Ok(())
}

/// A `Replace` change without comments.
pub(super) fn replace(
    name: &Name,
    rtype: Rtype,
    ttl: u32,
    records: Vec<RecordInput>,
) -> RrsetChange {
    RrsetChange {
        name: name.clone(),
        rtype,
        op: RrsetOp::Replace { ttl, records },
        comments: None,
    }
}
