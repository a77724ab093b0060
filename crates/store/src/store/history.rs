//! The journal and history: journal rows and their decoding, the chain
//! of rows that makes up one copy's history (a view's own entries after
//! the base's before its first), the history reads, the changes IXFR
//! sends, and reverting to an earlier serial.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, params};
use wire::{Name, Record, Rtype, Serial};

use super::rrsets::{current_serial, load_all_rrsets, served_records, soa_serial_of};
use super::views::{load_overrides_at, view_id};
use super::writes::{commit, replace, settle};
use super::zone_row::{ZoneRow, find_zone, writable_zone};
use super::{BASE_VIEW, Store, lock, unix_time};
use crate::change::{Applied, ChangeMeta, Edit, RrsetKey};
use crate::error::{StoreError, WriteError};
use crate::journal::{self, ChangeHead, JournalChange, JournalEntry, Source};
use crate::plan::{self, SerialRule};
use crate::zones::RecordInput;

impl Store {
    /// The zone's journal entries, newest first, at most `limit`; with
    /// `before_serial`, only the entries older than the one that produced
    /// that serial. Empty for an unknown zone.
    pub fn history(
        &self,
        zone: &Name,
        limit: usize,
        before_serial: Option<Serial>,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        self.history_in(zone, None, limit, before_serial)
    }

    /// [`Store::history`] of the copy view `view` serves (`None`: the
    /// base): the view's own entries, and before its first one the base's
    /// (the view was the base until then). An unknown view's history is
    /// the base's.
    pub fn history_in(
        &self,
        zone: &Name,
        view: Option<&str>,
        limit: usize,
        before_serial: Option<Serial>,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        self.read(
            || format!("reading the history of {zone}{}", in_view_text(view)),
            |tx| {
                let Some(row) = find_zone(tx, zone)? else {
                    return Ok(Vec::new());
                };
                Ok(history_rows(tx, &row, view, limit, before_serial)?
                    .into_iter()
                    .map(|(_, entry)| entry)
                    .collect())
            },
        )
    }

    /// [`Store::history_in`] with the first `lines` records of each side
    /// of each entry: what a history page shows. Reads those records only
    /// (incremental blob reads of the journal rows), not whole entries, so
    /// a page costs what it shows even after an import of a million
    /// records.
    pub fn history_heads_in(
        &self,
        zone: &Name,
        view: Option<&str>,
        limit: usize,
        before_serial: Option<Serial>,
        lines: usize,
    ) -> Result<Vec<ChangeHead>, StoreError> {
        self.read(
            || format!("reading the history of {zone}{}", in_view_text(view)),
            |tx| {
                let Some(row) = find_zone(tx, zone)? else {
                    return Ok(Vec::new());
                };
                history_rows(tx, &row, view, limit, before_serial)?
                    .into_iter()
                    .map(|(id, entry)| {
                        let head = |column: &str| {
                            records_head(tx, id, column, lines).map_err(|error| {
                                error.during(|| {
                                    format!(
                                        "reading the {column} records of change {} of {zone}",
                                        entry.serial_to
                                    )
                                })
                            })
                        };
                        Ok(ChangeHead {
                            removed: head("removed")?,
                            added: head("added")?,
                            entry,
                        })
                    })
                    .collect()
            },
        )
    }

    /// The journal entry that produced `serial_to`, with its records (the
    /// newest such entry, should serials ever repeat).
    pub fn change(
        &self,
        zone: &Name,
        serial_to: Serial,
    ) -> Result<Option<JournalChange>, StoreError> {
        self.change_in(zone, None, serial_to)
    }

    /// [`Store::change`] in the history of view `view`'s copy (`None`: the
    /// base).
    pub fn change_in(
        &self,
        zone: &Name,
        view: Option<&str>,
        serial_to: Serial,
    ) -> Result<Option<JournalChange>, StoreError> {
        self.read(
            || format!("reading change {serial_to} of {zone}{}", in_view_text(view)),
            |tx| {
                let Some(row) = find_zone(tx, zone)? else {
                    return Ok(None);
                };
                let chain = Chain::of(tx, &row, view)?;
                let mut found = None;
                chain.walk(tx, &row, i64::MAX, true, |_, r| {
                    if r.get::<_, u32>(1)? == serial_to.0 {
                        found = Some(journal_change(&row.apex, raw_journal_change(r)?)?);
                        return Ok(false);
                    }
                    Ok(true)
                })?;
                Ok(found)
            },
        )
    }

    /// [`Store::change_in`] with only the first `lines` records of each
    /// side (see [`Store::history_heads_in`]): what a page confirming a
    /// change shows, at the cost of what it shows.
    pub fn change_head_in(
        &self,
        zone: &Name,
        view: Option<&str>,
        serial_to: Serial,
        lines: usize,
    ) -> Result<Option<ChangeHead>, StoreError> {
        self.read(
            || format!("reading change {serial_to} of {zone}{}", in_view_text(view)),
            |tx| {
                let Some(row) = find_zone(tx, zone)? else {
                    return Ok(None);
                };
                let chain = Chain::of(tx, &row, view)?;
                let mut found = None;
                chain.walk(tx, &row, i64::MAX, false, |id, r| {
                    if r.get::<_, u32>(1)? == serial_to.0 {
                        found = Some((id, journal_entry(&row.apex, raw_journal_row(r)?)?));
                        return Ok(false);
                    }
                    Ok(true)
                })?;
                let Some((id, entry)) = found else {
                    return Ok(None);
                };
                Ok(Some(ChangeHead {
                    removed: records_head(tx, id, "removed", lines)?,
                    added: records_head(tx, id, "added", lines)?,
                    entry,
                }))
            },
        )
    }

    /// The changes that lead from serial `from` to the zone's current
    /// serial, oldest first, as IXFR (RFC 1995) sends them: `Some(vec![])`
    /// when `from` is the current serial, `None` when the journal does not
    /// reach back to `from` (or the zone is unknown) and a full transfer is
    /// needed.
    pub fn changes_since(
        &self,
        zone: &Name,
        from: Serial,
    ) -> Result<Option<Vec<JournalChange>>, StoreError> {
        self.changes_since_in(zone, None, from)
    }

    /// [`Store::changes_since`] for the copy view `view` serves (`None`:
    /// the base), up to the view's current serial.
    pub fn changes_since_in(
        &self,
        zone: &Name,
        view: Option<&str>,
        from: Serial,
    ) -> Result<Option<Vec<JournalChange>>, StoreError> {
        self.read(
            || {
                format!(
                    "reading the changes of {zone}{} since serial {from}",
                    in_view_text(view)
                )
            },
            |tx| {
                let Some(row) = find_zone(tx, zone)? else {
                    return Ok(None);
                };
                let chain = Chain::of(tx, &row, view)?;
                let current = chain.serial(tx, &row)?;
                Ok(
                    changes_back_to(tx, &row, chain, current, from)?.map(|mut changes| {
                        changes.reverse();
                        changes
                    }),
                )
            },
        )
    }

    /// The newest changes of the copy view `view` serves (`None`: the
    /// base), at most `limit`, oldest first, forming one chain that ends at
    /// its current serial: what an IXFR journal that lost its entries can
    /// be filled with again. Stops early at the entry that created the
    /// zone. Empty for an unknown zone.
    pub fn recent_changes_in(
        &self,
        zone: &Name,
        view: Option<&str>,
        limit: usize,
    ) -> Result<Vec<JournalChange>, StoreError> {
        self.read(
            || format!("reading the recent changes of {zone}{}", in_view_text(view)),
            |tx| {
                let Some(row) = find_zone(tx, zone)? else {
                    return Ok(Vec::new());
                };
                let chain = Chain::of(tx, &row, view)?;
                let mut expected = chain.serial(tx, &row)?;
                let mut changes: Vec<JournalChange> = Vec::new();
                chain.walk(tx, &row, i64::MAX, true, |_, raw| {
                    let change = journal_change(&row.apex, raw_journal_change(raw)?)?;
                    if change.entry.removed_count == 0 || change.entry.serial_to != expected {
                        return Ok(false);
                    }
                    expected = change.entry.serial_from;
                    changes.push(change);
                    Ok(changes.len() < limit)
                })?;
                changes.reverse();
                Ok(changes)
            },
        )
    }

    /// The serial of the copy view `view` serves (`None`: the base); `None`
    /// for an unknown zone.
    pub fn serial_in(&self, zone: &Name, view: Option<&str>) -> Result<Option<Serial>, StoreError> {
        self.read(
            || format!("reading the serial of {zone}{}", in_view_text(view)),
            |tx| match find_zone(tx, zone)? {
                Some(row) => Ok(Some(Chain::of(tx, &row, view)?.serial(tx, &row)?)),
                None => Ok(None),
            },
        )
    }

    /// Brings the served data back to what it was at serial `to` by
    /// applying the inverse of every later change as one new change with a
    /// newer serial; history is never rewritten. Records that are disabled
    /// now stay stored (disabled) unless the old content serves them. The
    /// journal comment defaults to `revert to serial N`.
    pub fn revert(
        &self,
        zone: &Name,
        to: Serial,
        meta: &ChangeMeta,
    ) -> Result<Applied, WriteError> {
        let mut meta = meta.clone();
        if meta.comment.is_none() {
            meta.comment = Some(format!("revert to serial {to}"));
        }
        self.write(
            || format!("reverting {zone} to serial {to}"),
            |tx| {
                let (row, edit) = revert_edit(tx, zone, to)?;
                commit(tx, &row, edit, &meta, SerialRule::Bump)
            },
        )
    }

    /// What [`Store::revert`] would remove and add at time `now` (the date
    /// serial policy needs it), without writing anything.
    pub fn preview_revert(
        &self,
        zone: &Name,
        to: Serial,
        now: u64,
    ) -> Result<(Vec<Record>, Vec<Record>), WriteError> {
        let mut connection = lock(&self.reader);
        let result = (|| {
            let tx = connection.transaction()?;
            let (row, mut edit) = revert_edit(&tx, zone, to)?;
            let plan = settle(&row, &mut edit, now, SerialRule::Bump)?;
            Ok((plan.removed, plan.added))
        })();
        result.map_err(|error: WriteError| {
            error.during(|| format!("previewing a revert of {zone} to serial {to}"))
        })
    }
}

/// The journal rows of the history of view `view`'s copy (`None`: the
/// base), with their row ids, newest first, at most `limit`; with
/// `before_serial`, only those older than the entry that produced it.
fn history_rows(
    tx: &Connection,
    row: &ZoneRow,
    view: Option<&str>,
    limit: usize,
    before_serial: Option<Serial>,
) -> Result<Vec<(i64, JournalEntry)>, StoreError> {
    let chain = Chain::of(tx, row, view)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let Some(before) = before_serial else {
        return journal_rows(tx, row, chain, i64::MAX, limit);
    };
    let mut anchor = None;
    chain.walk(tx, row, i64::MAX, false, |id, r| {
        if r.get::<_, u32>(1)? == before.0 {
            anchor = Some(id);
            return Ok(false);
        }
        Ok(true)
    })?;
    match anchor {
        Some(id) => journal_rows(tx, row, chain, id, limit),
        // Not a serial the journal produced: fall back to RFC 1982 order.
        None => Ok(journal_rows(tx, row, chain, i64::MAX, i64::MAX)?
            .into_iter()
            .filter(|(_, entry)| before.is_newer_than(entry.serial_to))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect()),
    }
}

/// The first `limit` records of the list in column `column` (`removed`
/// or `added`) of journal row `id`, read through SQLite's incremental
/// blob I/O in growing pieces, so only the start of a long list is read.
fn records_head(
    tx: &Connection,
    id: i64,
    column: &str,
    limit: usize,
) -> Result<Vec<Record>, StoreError> {
    let blob = tx.blob_open("main", "journal", column, id, true)?;
    let size = blob.len();
    let mut bytes = Vec::new();
    // Enough for a page of ordinary records in one read.
    let mut piece = 16 * 1024;
    loop {
        let have = bytes.len();
        let want = size.min(have + piece);
        bytes.resize(want, 0);
        blob.read_at_exact(&mut bytes[have..], have)?;
        let decoded = journal::decode_records_head(&bytes, limit)
            .map_err(|error| StoreError::corrupt(format!("journal row {id}: {error}")))?;
        match decoded {
            Some(records) => return Ok(records),
            None if want < size => piece *= 2,
            None => {
                return Err(StoreError::corrupt(format!(
                    "journal row {id}: the {column} list ends inside a record"
                )));
            }
        }
    }
}

/// The working copy that reverts a zone to serial `to`: every RRset whose
/// served records differ from those at `to` is replaced by them.
fn revert_edit(tx: &Connection, zone: &Name, to: Serial) -> Result<(ZoneRow, Edit), WriteError> {
    let row = writable_zone(tx, zone)?;
    let stored = load_all_rrsets(tx, row.id)?;
    let current = soa_serial_of(&row.apex, &stored)?;
    let changes = changes_back_to(tx, &row, Chain::BASE, current, to)?.ok_or_else(|| {
        WriteError::HistoryTooShort {
            zone: row.apex.clone(),
            serial: to,
        }
    })?;
    // The undo starts from the apex SOA whatever its flag: every journal
    // entry removes and adds the SOA, a disabled one's too, while served
    // records leave a disabled SOA out.
    let soa_key: RrsetKey = (row.apex.clone(), Rtype::SOA);
    let soa_now = stored
        .get(&soa_key)
        .and_then(|set| Some((set.ttl, set.records.first()?)));
    let soa_disabled = soa_now.is_some_and(|(_, record)| record.disabled);
    let mut start = served_records(&row.apex, &stored);
    if let Some((ttl, record)) = soa_now.filter(|(_, record)| record.disabled) {
        start.insert(0, plan::served_record(&soa_key, ttl, record));
    }
    let target = journal::undo(start, &changes).map_err(|error| {
        StoreError::corrupt(format!(
            "the journal of {} does not match its data: {error}",
            row.apex
        ))
    })?;
    let mut target_sets: BTreeMap<RrsetKey, (u32, Vec<Vec<u8>>)> = BTreeMap::new();
    for record in target {
        let entry = target_sets
            .entry((record.owner, record.rtype))
            .or_insert((record.ttl, Vec::new()));
        entry.0 = entry.0.min(record.ttl);
        entry.1.push(record.rdata);
    }
    let mut edit = Edit::new(&row.apex, stored.clone());
    let keys: BTreeSet<RrsetKey> = stored.keys().chain(target_sets.keys()).cloned().collect();
    for key in keys {
        let now = stored.get(&key);
        let then = target_sets.get(&key);
        // The SOA as it was, written back with the flag it has now: a
        // revert changes data, not whether the zone is in service.
        if key == soa_key {
            if let Some((ttl, rdatas)) = then
                && let Some(rdata) = rdatas.first()
                && soa_now.is_none_or(|(t, r)| t != *ttl || r.rdata != *rdata)
            {
                let soa = RecordInput {
                    rdata: rdata.clone(),
                    content: None,
                    disabled: soa_disabled,
                };
                edit.apply(&replace(&key.0, key.1, *ttl, vec![soa]))?;
            }
            continue;
        }
        let served_now: BTreeSet<&[u8]> = now
            .map(|set| set.enabled().map(|r| r.rdata.as_slice()).collect())
            .unwrap_or_default();
        let served_then: BTreeSet<&[u8]> = then
            .map(|(_, rdatas)| rdatas.iter().map(Vec::as_slice).collect())
            .unwrap_or_default();
        let ttl_now = now.filter(|_| !served_now.is_empty()).map(|s| s.ttl);
        let ttl_then = then.map(|(ttl, _)| *ttl);
        if served_now == served_then && ttl_now == ttl_then {
            continue;
        }
        let content_now = |rdata: &[u8]| {
            now.and_then(|set| set.records.iter().find(|r| r.rdata == rdata))
                .map(|r| r.content.clone())
        };
        let mut records: Vec<RecordInput> = served_then
            .iter()
            .map(|rdata| RecordInput {
                rdata: rdata.to_vec(),
                content: content_now(rdata),
                disabled: false,
            })
            .collect();
        if let Some(set) = now {
            records.extend(
                set.records
                    .iter()
                    .filter(|r| r.disabled && !served_then.contains(r.rdata.as_slice()))
                    .map(|r| RecordInput {
                        rdata: r.rdata.clone(),
                        content: Some(r.content.clone()),
                        disabled: true,
                    }),
            );
        }
        let ttl = ttl_then.or(now.map(|s| s.ttl)).unwrap_or(0);
        edit.apply(&replace(&key.0, key.1, ttl, records))?;
    }
    Ok((row, edit))
}

/// The journal's changes from serial `to` up to `current`, newest first;
/// `None` when the journal does not reach back to `to`.
fn changes_back_to(
    tx: &Connection,
    row: &ZoneRow,
    chain: Chain,
    current: Serial,
    to: Serial,
) -> Result<Option<Vec<JournalChange>>, StoreError> {
    if current == to {
        return Ok(Some(Vec::new()));
    }
    let mut changes = Vec::new();
    let mut reached = false;
    chain.walk(tx, row, i64::MAX, true, |_, raw| {
        let change = journal_change(&row.apex, raw_journal_change(raw)?)?;
        // The entry that created the zone (or replaced it wholesale from
        // nothing) removes no SOA: there is no serial before it to go back to.
        if change.entry.removed_count == 0 {
            return Ok(false);
        }
        reached = change.entry.serial_from == to;
        changes.push(change);
        Ok(!reached)
    })?;
    Ok(reached.then_some(changes))
}

/// Which journal rows make up the history of one copy of a zone: the
/// rows of view `view` (0: the base), and the base's rows before `split`
/// (the view's first own entry; until then the view was the base).
#[derive(Clone, Copy, Debug)]
pub(super) struct Chain {
    /// The view's id; 0 for the base.
    view: i64,
    /// Base rows with a smaller id belong to the chain too.
    split: i64,
}

impl Chain {
    /// The base's history.
    pub(super) const BASE: Chain = Chain {
        view: BASE_VIEW,
        split: 0,
    };

    /// The history of view `view`'s copy of the zone (`None`, or a view
    /// the store does not know: the base).
    fn of(tx: &Connection, row: &ZoneRow, view: Option<&str>) -> Result<Chain, StoreError> {
        let Some(view_id) = view.map(|v| view_id(tx, v)).transpose()?.flatten() else {
            return Ok(Chain::BASE);
        };
        let first: Option<i64> = tx
            .prepare_cached(
                "SELECT min(id) FROM journal WHERE zone_id = ?1 AND ifnull(view_id, 0) = ?2",
            )?
            .query_row(params![row.id, view_id], |r| r.get(0))?;
        Ok(match first {
            Some(first) => Chain {
                view: view_id,
                split: first,
            },
            // Nothing of its own yet: the view is the base.
            None => Chain {
                view: view_id,
                split: i64::MAX,
            },
        })
    }

    /// Visits the chain's journal rows with id below `before`, newest first,
    /// until `visit` returns `false`: the view's own rows, then the base's
    /// before the view's first. Each part is one range of the `journal_zone`
    /// index, read only as far as `visit` goes. The row's columns are
    /// [`JOURNAL_SELECT`]'s, then `removed, added` when `with_records`;
    /// `visit` also gets the row's id.
    fn walk(
        &self,
        tx: &Connection,
        row: &ZoneRow,
        before: i64,
        with_records: bool,
        mut visit: impl FnMut(i64, &rusqlite::Row<'_>) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let (tail, id_column) = if with_records {
            (", removed, added", 11)
        } else {
            ("", 9)
        };
        let sql = format!(
            "{JOURNAL_SELECT}{tail}, id FROM journal
             WHERE zone_id = ?1 AND ifnull(view_id, 0) = ?2 AND id < ?3
             ORDER BY id DESC"
        );
        let mut parts = vec![(self.view, before)];
        if self.view != BASE_VIEW {
            parts.push((BASE_VIEW, before.min(self.split)));
        }
        for (key, below) in parts {
            let mut statement = tx.prepare_cached(&sql)?;
            let mut rows = statement.query(params![row.id, key, below])?;
            while let Some(r) = rows.next()? {
                if !visit(r.get(id_column)?, r)? {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The serial of this copy: the view's own SOA, else the base's.
    fn serial(&self, tx: &Connection, row: &ZoneRow) -> Result<Serial, StoreError> {
        if self.view != BASE_VIEW {
            let mut names = BTreeSet::new();
            names.insert(row.apex.clone());
            let over = load_overrides_at(tx, row.id, self.view, &names)?;
            if let Some(Some(soa)) = over.get(&(row.apex.clone(), Rtype::SOA)) {
                let mut sets = BTreeMap::new();
                sets.insert((row.apex.clone(), Rtype::SOA), soa.clone());
                return soa_serial_of(&row.apex, &sets);
            }
        }
        current_serial(tx, row)
    }
}

/// " in view V" for messages, or nothing for the base.
fn in_view_text(view: Option<&str>) -> String {
    view.map(|v| format!(" in view {v}")).unwrap_or_default()
}

/// [`journal_entries`] with each entry's row id.
fn journal_rows(
    tx: &Connection,
    row: &ZoneRow,
    chain: Chain,
    before_id: i64,
    limit: i64,
) -> Result<Vec<(i64, JournalEntry)>, StoreError> {
    let mut entries = Vec::new();
    if limit <= 0 {
        return Ok(entries);
    }
    chain.walk(tx, row, before_id, false, |id, raw| {
        entries.push((id, journal_entry(&row.apex, raw_journal_row(raw)?)?));
        Ok((entries.len() as i64) < limit)
    })?;
    Ok(entries)
}

/// Journal entries with row id below `before_id`, newest first, at most
/// `limit`.
pub(super) fn journal_entries(
    tx: &Connection,
    row: &ZoneRow,
    chain: Chain,
    before_id: i64,
    limit: i64,
) -> Result<Vec<JournalEntry>, StoreError> {
    let mut entries = Vec::new();
    if limit <= 0 {
        return Ok(entries);
    }
    chain.walk(tx, row, before_id, false, |_, raw| {
        entries.push(journal_entry(&row.apex, raw_journal_row(raw)?)?);
        Ok((entries.len() as i64) < limit)
    })?;
    Ok(entries)
}

/// The columns of a journal entry, without its records.
const JOURNAL_SELECT: &str = "SELECT serial_from, serial_to, author, source, changed_at, comment, \
     removed_count, added_count, (SELECT name FROM views WHERE views.id = journal.view_id)";

/// A journal row as SQLite returns it: the entry's columns, and the two
/// record lists when selected.
struct RawJournalRow {
    /// serial_from.
    serial_from: u32,
    /// serial_to.
    serial_to: u32,
    /// author.
    author: String,
    /// source.
    source: String,
    /// changed_at.
    changed_at: i64,
    /// comment.
    comment: Option<String>,
    /// removed_count.
    removed_count: i64,
    /// added_count.
    added_count: i64,
    /// The view's name (`None`: the base).
    view: Option<String>,
}

/// Reads the columns of [`JOURNAL_SELECT`].
fn raw_journal_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawJournalRow> {
    Ok(RawJournalRow {
        serial_from: row.get(0)?,
        serial_to: row.get(1)?,
        author: row.get(2)?,
        source: row.get(3)?,
        changed_at: row.get(4)?,
        comment: row.get(5)?,
        removed_count: row.get(6)?,
        added_count: row.get(7)?,
        view: row.get(8)?,
    })
}

/// Reads the columns of [`JOURNAL_SELECT`] followed by `removed, added`.
fn raw_journal_change(
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<(RawJournalRow, Vec<u8>, Vec<u8>)> {
    Ok((raw_journal_row(row)?, row.get(9)?, row.get(10)?))
}

/// Decodes a journal row.
fn journal_entry(zone: &Name, raw: RawJournalRow) -> Result<JournalEntry, StoreError> {
    let source: Source = raw.source.parse().map_err(|e| {
        StoreError::corrupt(format!("journal entry {} of {zone}: {e}", raw.serial_to))
    })?;
    Ok(JournalEntry {
        zone: zone.clone(),
        serial_from: Serial(raw.serial_from),
        serial_to: Serial(raw.serial_to),
        author: raw.author,
        source,
        changed_at: unix_time(raw.changed_at),
        comment: raw.comment,
        removed_count: usize::try_from(raw.removed_count).unwrap_or(0),
        added_count: usize::try_from(raw.added_count).unwrap_or(0),
        view: raw.view,
    })
}

/// Decodes a journal row with its records.
fn journal_change(
    zone: &Name,
    (raw, removed, added): (RawJournalRow, Vec<u8>, Vec<u8>),
) -> Result<JournalChange, StoreError> {
    let entry = journal_entry(zone, raw)?;
    let decode = |bytes: &[u8], which: &str| {
        journal::decode_records(bytes).map_err(|error| {
            StoreError::corrupt(format!(
                "{which} records of journal entry {} of {zone}: {error}",
                entry.serial_to
            ))
        })
    };
    Ok(JournalChange {
        removed: decode(&removed, "removed")?,
        added: decode(&added, "added")?,
        entry,
    })
}
