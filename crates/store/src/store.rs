//! [`Store`]: the SQLite file, its two connections, and the zone
//! operations. The write path is: load the RRsets a change touches →
//! [`Edit`] (pure) → [`validate`] (pure) → [`plan`] (pure: difference and
//! serial) → write RRsets, comments and the journal entry → commit, all in
//! one `BEGIN IMMEDIATE` transaction, so a refused change writes nothing.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use wire::rdata::soa_numbers;
use wire::{Class, Name, Record, Rtype, Serial};

use crate::auth::PasswordCost;
use crate::change::{
    Applied, ChangeMeta, ChangeSet, Edit, RrsetChange, RrsetKey, RrsetOp, RrsetState,
};
use crate::error::{Rejection, StoreError, ValidationReason, WriteError};
use crate::journal::{self, JournalChange, JournalEntry, Source};
use crate::plan::{self, Plan, SerialRule};
use crate::zones::{
    Comment, NewZone, OwnRrset, RecordInput, RrsetPage, SerialPolicy, StoredRecord, StoredRrset,
    ViewRrsets, ZoneInfo, ZoneKind, ZoneSettings,
};
use crate::{schema, serial, validate};

/// `ifnull(view_id, 0)` of the base data, which every view shares. Only
/// the base exists until views arrive ([5/8]).
const BASE_VIEW: i64 = 0;

/// TTL of the SOA and NS sets the store makes for a new zone.
const DEFAULT_TTL: u32 = 3600;

/// The primary's durable state in one SQLite file: zones, records,
/// comments, the change journal, users and API tokens.
///
/// Two connections: one read-write, behind a mutex, so there is exactly
/// one writer and every write is one `BEGIN IMMEDIATE` transaction; and one
/// read-only, behind its own mutex, so that reads (each in its own read
/// transaction, a consistent snapshot under WAL) never wait for a write's
/// fsync. `Store` is `Send + Sync`; share it with an `Arc`. Every call
/// blocks on SQLite (and password calls on Argon2): from async code, call
/// it on a blocking thread.
pub struct Store {
    /// The database file.
    path: PathBuf,
    /// The one read-write connection.
    writer: Mutex<Connection>,
    /// The read-only connection for queries.
    reader: Mutex<Connection>,
    /// Argon2 settings for new password hashes.
    pub(crate) password_params: argon2::Params,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A zone's row.
#[derive(Clone, Debug)]
struct ZoneRow {
    /// Row id.
    id: i64,
    /// The apex, lower-case.
    apex: Name,
    /// Its role.
    kind: ZoneKind,
    /// Its serial policy.
    policy: SerialPolicy,
    /// Unix time of the last write.
    updated_at: u64,
}

impl Store {
    /// Opens the store at `path`, creating missing parent directories and
    /// the file (mode 0600: it holds password and token hashes), and
    /// brings its schema up to date. Passwords are hashed with the Argon2
    /// crate's default cost.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, PasswordCost::default())
    }

    /// Like [`Store::open`], with a chosen Argon2 cost for new password
    /// hashes (tests use [`PasswordCost::MINIMUM`] to stay fast). Existing
    /// hashes are checked with the cost they were made with.
    pub fn open_with(path: &Path, cost: PasswordCost) -> Result<Store, StoreError> {
        let password_params = cost.params()?;
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Create {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|source| StoreError::Create {
                path: path.to_path_buf(),
                source,
            })?;
        let writer = schema::open_writer(path)?;
        let reader = schema::open_reader(path)?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            password_params,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `query` in a read transaction on the read-only connection.
    pub(crate) fn read<T>(
        &self,
        action: impl FnOnce() -> String,
        query: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = lock(&self.reader);
        let result = connection
            .transaction()
            .map_err(StoreError::from)
            .and_then(|transaction| query(&transaction));
        result.map_err(|error| error.during(action))
    }

    /// Runs `write` in an immediate transaction on the writer, committing
    /// only if it succeeds; on any error the transaction rolls back.
    pub(crate) fn write<T>(
        &self,
        action: impl FnOnce() -> String,
        write: impl FnOnce(&Transaction<'_>) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        let mut connection = lock(&self.writer);
        let result = (|| {
            let transaction =
                connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = write(&transaction)?;
            transaction.commit()?;
            Ok(value)
        })();
        result.map_err(|error: WriteError| error.during(action))
    }

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
                    if key == (apex.clone(), Rtype::NS) && !new.nameservers.is_empty() {
                        return Err(Rejection::new(
                            &apex,
                            Rtype::NS,
                            ValidationReason::NsGivenTwice,
                        )
                        .into());
                    }
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
                if !seen.contains(&(apex.clone(), Rtype::SOA)) {
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
                commit(tx, &row, edit, meta, SerialRule::Initial)
            },
        )
    }

    /// Changes a zone's kind, serial policy and PowerDNS settings (each
    /// `None` keeps what is stored); its data and serial stay as they are,
    /// the new policy applies from the next change. Only `Native` and
    /// `Master` can be exchanged: a zone never becomes or stops being a
    /// secondary here.
    pub fn update_zone_settings(
        &self,
        name: &Name,
        kind: Option<ZoneKind>,
        policy: Option<SerialPolicy>,
        settings: Option<&ZoneSettings>,
        now: u64,
    ) -> Result<(), WriteError> {
        self.write(
            || format!("changing the settings of zone {name}"),
            |tx| {
                let row =
                    find_zone(tx, name)?.ok_or_else(|| WriteError::NoSuchZone(name.clone()))?;
                if let Some(kind) = kind
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
                if let Some(policy) = policy {
                    tx.execute(
                        "UPDATE zones SET serial_policy = ?1 WHERE id = ?2",
                        params![policy.as_str(), row.id],
                    )?;
                }
                if let Some(settings) = settings {
                    write_settings(tx, row.id, settings)?;
                }
                tx.execute(
                    "UPDATE zones SET updated_at = ?1 WHERE id = ?2",
                    params![sql_time(now), row.id],
                )?;
                Ok(())
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

    /// A zone's RRsets as stored, disabled records and comments included:
    /// the SOA first, then by owner (canonical order) and type. Empty for
    /// an unknown zone.
    pub fn rrsets(&self, zone: &Name) -> Result<Vec<StoredRrset>, StoreError> {
        self.read(
            || format!("reading the RRsets of {zone}"),
            |tx| match find_zone(tx, zone)? {
                Some(row) => stored_rrsets(tx, &row),
                None => Ok(Vec::new()),
            },
        )
    }

    /// One page of a zone's RRsets: those whose owner contains `search`
    /// (case-insensitive), whose type is `search`, or with a record whose
    /// content contains it (all when `search` is empty), in canonical order
    /// of their owners, `limit` from `offset`. Listing a page costs the
    /// page, not the zone (an index orders the RRsets). Empty for an
    /// unknown zone.
    pub fn rrsets_page(
        &self,
        zone: &Name,
        search: &str,
        offset: usize,
        limit: usize,
    ) -> Result<RrsetPage, StoreError> {
        self.read(
            || format!("reading a page of the RRsets of {zone}"),
            |tx| {
                let Some(row) = find_zone(tx, zone)? else {
                    return Ok(RrsetPage {
                        rrsets: Vec::new(),
                        total: 0,
                    });
                };
                let search = search.trim();
                let pattern = format!(
                    "%{}%",
                    search
                        .to_lowercase()
                        .replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                );
                let rtype = search
                    .to_ascii_uppercase()
                    .parse::<Rtype>()
                    .map_or(-1, |t| i64::from(t.0));
                const MATCHING: &str = "FROM rrsets s
                     WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2
                       AND (?3 = '' OR s.owner_text LIKE ?4 ESCAPE '\\' OR s.rtype = ?5
                            OR EXISTS (SELECT 1 FROM records r WHERE r.rrset_id = s.id
                                       AND lower(r.content) LIKE ?4 ESCAPE '\\'))";
                let total: i64 = tx
                    .prepare_cached(&format!("SELECT count(*) {MATCHING}"))?
                    .query_row(params![row.id, BASE_VIEW, search, pattern, rtype], |r| {
                        r.get(0)
                    })?;
                let mut statement = tx.prepare_cached(&format!(
                    "SELECT s.id, s.owner, s.rtype, s.ttl {MATCHING}
                     ORDER BY s.sort_key, s.rtype != 6, s.rtype LIMIT ?6 OFFSET ?7"
                ))?;
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                let offset = i64::try_from(offset).unwrap_or(i64::MAX);
                let heads = statement
                    .query_map(
                        params![row.id, BASE_VIEW, search, pattern, rtype, limit, offset],
                        |r| {
                            Ok((
                                r.get::<_, i64>(0)?,
                                r.get::<_, Vec<u8>>(1)?,
                                r.get::<_, u16>(2)?,
                                r.get::<_, u32>(3)?,
                            ))
                        },
                    )?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut records = tx.prepare_cached(
                    "SELECT rdata, content, disabled FROM records WHERE rrset_id = ?1 ORDER BY id",
                )?;
                let mut rrsets = Vec::with_capacity(heads.len());
                for (id, owner, rtype, ttl) in heads {
                    let records = records
                        .query_map(params![id], |r| {
                            Ok(StoredRecord {
                                rdata: r.get(0)?,
                                content: r.get(1)?,
                                disabled: r.get(2)?,
                            })
                        })?
                        .collect::<Result<Vec<_>, _>>()?;
                    rrsets.push(StoredRrset {
                        name: decode_name(&owner, "owner name")?,
                        rtype: Rtype(rtype),
                        ttl,
                        records,
                        comments: Vec::new(),
                    });
                }
                Ok(RrsetPage {
                    rrsets,
                    total: usize::try_from(total).unwrap_or(0),
                })
            },
        )
    }

    /// What gets served: the enabled records, class IN, the SOA first and
    /// the rest in canonical order. Empty for an unknown zone.
    pub fn zone_records(&self, zone: &Name) -> Result<Vec<Record>, StoreError> {
        self.read(
            || format!("reading the records of {zone}"),
            |tx| match find_zone(tx, zone)? {
                Some(row) => Ok(served_records(&row.apex, &load_all_rrsets(tx, row.id)?)),
                None => Ok(Vec::new()),
            },
        )
    }

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
                let row =
                    find_zone(tx, zone)?.ok_or_else(|| WriteError::NoSuchZone(zone.clone()))?;
                let names = changed_names(&row, change);
                let mut edit = Edit::new(&row.apex, load_rrsets_at(tx, row.id, &names)?);
                for one in &change.changes {
                    edit.apply(one)?;
                }
                commit_with_views(tx, &row, edit, meta, SerialRule::Bump)
            },
        )
    }

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
                let row =
                    find_zone(tx, zone)?.ok_or_else(|| WriteError::NoSuchZone(zone.clone()))?;
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

    /// What view `view` serves of `zone`: the base with the view's own
    /// RRsets in place of (or hiding) the base's. Empty for an unknown zone.
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
                let over = load_overrides_at(tx, row.id, view_id, &names)?;
                Ok(served_records(&row.apex, &merge(&base, &over)))
            },
        )
    }

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
                let chain = Chain::of(tx, &row, view)?;
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                let Some(before) = before_serial else {
                    return journal_entries(tx, &row, chain, i64::MAX, limit);
                };
                let mut anchor = None;
                chain.walk(tx, &row, i64::MAX, false, |id, r| {
                    if r.get::<_, u32>(1)? == before.0 {
                        anchor = Some(id);
                        return Ok(false);
                    }
                    Ok(true)
                })?;
                match anchor {
                    Some(id) => journal_entries(tx, &row, chain, id, limit),
                    // Not a serial the journal produced: fall back to RFC
                    // 1982 order.
                    None => Ok(journal_entries(tx, &row, chain, i64::MAX, i64::MAX)?
                        .into_iter()
                        .filter(|entry| before.is_newer_than(entry.serial_to))
                        .take(usize::try_from(limit).unwrap_or(usize::MAX))
                        .collect()),
                }
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

    /// The views the store knows, by name.
    pub fn views(&self) -> Result<Vec<String>, StoreError> {
        self.read(
            || "listing views".to_string(),
            |tx| Ok(all_views(tx)?.into_iter().map(|(_, name)| name).collect()),
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
                let grouped = group_records(records)?;
                match find_zone(tx, &apex)? {
                    Some(mut row) => {
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
                    None => {
                        let row = insert_zone(tx, &apex, kind, SerialPolicy::Increment, meta.now)?;
                        let mut edit = Edit::new(&apex, BTreeMap::new());
                        for ((name, rtype), (ttl, records)) in grouped {
                            edit.apply(&replace(&name, rtype, ttl, records))?;
                        }
                        commit(tx, &row, edit, meta, SerialRule::Initial)
                    }
                }
            },
        )
    }
}

/// Locks a connection. A panic while it was held dropped the transaction
/// in progress, which rolled back, so the connection is usable: poisoning
/// is ignored rather than turned into a panic here.
fn lock(mutex: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A `Replace` change without comments.
fn replace(name: &Name, rtype: Rtype, ttl: u32, records: Vec<RecordInput>) -> RrsetChange {
    RrsetChange {
        name: name.clone(),
        rtype,
        op: RrsetOp::Replace { ttl, records },
        comments: None,
    }
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

/// Checks a working copy and plans its commit.
fn settle(row: &ZoneRow, edit: &mut Edit, now: u64, rule: SerialRule) -> Result<Plan, WriteError> {
    validate::check(edit)?;
    Ok(plan::plan(edit, row.policy, now, rule)?)
}

/// Checks, plans and writes a working copy: RRsets, comments, the journal
/// entry when served data changes, and the zone's update time when
/// anything was written; then the same change in every view with data of
/// its own (see [`commit_with_views`]).
fn commit(
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

/// Every view the store knows: (id, name).
fn all_views(tx: &Connection) -> Result<Vec<(i64, String)>, StoreError> {
    let mut statement = tx.prepare_cached("SELECT id, name FROM views ORDER BY id")?;
    let views = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(views)
}

/// The id of view `name`.
fn view_id(tx: &Connection, name: &str) -> Result<Option<i64>, StoreError> {
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
fn load_overrides_at(
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
fn merge(
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
fn write_overrides(
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
    for key in keys {
        let (wanted, shared) = (edit.new.get(key), base.get(key));
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
    Ok(())
}

/// Writes the RRsets and comment lists that differ from what is stored.
/// Returns whether anything was written.
fn write_edit(tx: &Connection, zone_id: i64, edit: &Edit) -> Result<bool, StoreError> {
    let mut wrote = false;
    let keys: BTreeSet<&RrsetKey> = edit.old.keys().chain(edit.new.keys()).collect();
    for key in keys {
        let (old, new) = (edit.old.get(key), edit.new.get(key));
        if old == new {
            continue;
        }
        wrote = true;
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
fn append_journal_in(
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

/// The working copy that reverts a zone to serial `to`: every RRset whose
/// served records differ from those at `to` is replaced by them.
fn revert_edit(tx: &Connection, zone: &Name, to: Serial) -> Result<(ZoneRow, Edit), WriteError> {
    let row = find_zone(tx, zone)?.ok_or_else(|| WriteError::NoSuchZone(zone.clone()))?;
    let stored = load_all_rrsets(tx, row.id)?;
    let current = soa_serial_of(&row.apex, &stored)?;
    let changes = changes_back_to(tx, &row, Chain::BASE, current, to)?.ok_or_else(|| {
        WriteError::HistoryTooShort {
            zone: row.apex.clone(),
            serial: to,
        }
    })?;
    let target = journal::undo(served_records(&row.apex, &stored), &changes).map_err(|error| {
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

/// Inserts a zone row.
fn insert_zone(
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
fn raw_zone_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawZoneRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

/// Decodes a zones row.
fn zone_row((id, name, kind, policy, updated_at): RawZoneRow) -> Result<ZoneRow, StoreError> {
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
fn write_settings(
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
fn read_settings(tx: &Connection, zone_id: i64) -> Result<ZoneSettings, StoreError> {
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

/// Whether the apex SOA record of a zone is disabled.
fn apex_soa_disabled(tx: &Connection, row: &ZoneRow) -> Result<bool, StoreError> {
    let disabled: Option<bool> = tx
        .prepare_cached(
            "SELECT r.disabled FROM rrsets s JOIN records r ON r.rrset_id = s.id
             WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2 AND s.owner = ?3 AND s.rtype = 6",
        )?
        .query_row(params![row.id, BASE_VIEW, row.apex.as_wire()], |r| r.get(0))
        .optional()?;
    Ok(disabled.unwrap_or(false))
}

/// The zone with apex `name`, if stored.
fn find_zone(tx: &Connection, name: &Name) -> Result<Option<ZoneRow>, StoreError> {
    let raw = tx
        .prepare_cached(
            "SELECT id, name, kind, serial_policy, updated_at FROM zones WHERE name = ?1",
        )?
        .query_row([name.to_lowercase().as_wire()], raw_zone_row)
        .optional()?;
    raw.map(zone_row).transpose()
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
    let serial = soa
        .as_deref()
        .and_then(soa_numbers)
        .map(|numbers| Serial(numbers[0]))
        .ok_or_else(|| StoreError::corrupt(format!("{} has no readable SOA record", row.apex)))?;
    let records: i64 = tx
        .prepare_cached(
            "SELECT count(*) FROM rrsets s JOIN records r ON r.rrset_id = s.id
             WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2 AND r.disabled = 0",
        )?
        .query_row(params![row.id, BASE_VIEW], |r| r.get(0))?;
    let last_change = journal_entries(tx, row, Chain::BASE, i64::MAX, 1)?.pop();
    let soa_disabled = apex_soa_disabled(tx, row)?;
    let settings = read_settings(tx, row.id)?;
    Ok(ZoneInfo {
        name: row.apex.clone(),
        kind: row.kind,
        serial,
        serial_policy: row.policy,
        records: usize::try_from(records).unwrap_or(0),
        updated_at: row.updated_at,
        last_change,
        soa_disabled,
        settings,
    })
}

/// The serial of a zone's stored SOA record.
fn current_serial(tx: &Connection, row: &ZoneRow) -> Result<Serial, StoreError> {
    let mut names = BTreeSet::new();
    names.insert(row.apex.clone());
    soa_serial_of(&row.apex, &load_rrsets_at(tx, row.id, &names)?)
}

/// The serial of the SOA among loaded RRsets.
fn soa_serial_of(apex: &Name, sets: &BTreeMap<RrsetKey, RrsetState>) -> Result<Serial, StoreError> {
    sets.get(&(apex.clone(), Rtype::SOA))
        .and_then(|set| set.records.first())
        .and_then(|record| soa_numbers(&record.rdata))
        .map(|numbers| Serial(numbers[0]))
        .ok_or_else(|| StoreError::corrupt(format!("{apex} has no readable SOA record")))
}

/// The records served from loaded RRsets: the SOA first, the rest in
/// canonical order.
fn served_records(apex: &Name, sets: &BTreeMap<RrsetKey, RrsetState>) -> Vec<Record> {
    let mut records: Vec<Record> = sets
        .iter()
        .flat_map(|(key, set)| {
            set.enabled()
                .map(move |record| plan::served_record(key, set.ttl, record))
        })
        .collect();
    plan::sort_canonically(&mut records);
    if let Some(soa) = records
        .iter()
        .position(|r| r.rtype == Rtype::SOA && r.owner == *apex)
    {
        records[..=soa].rotate_right(1);
    }
    records
}

/// The stored RRsets at `names`.
fn load_rrsets_at(
    tx: &Connection,
    zone_id: i64,
    names: &BTreeSet<Name>,
) -> Result<BTreeMap<RrsetKey, RrsetState>, StoreError> {
    let mut statement = tx.prepare_cached(
        "SELECT s.owner, s.rtype, s.ttl, r.rdata, r.content, r.disabled
         FROM rrsets s JOIN records r ON r.rrset_id = s.id
         WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2 AND s.owner = ?3
         ORDER BY s.id, r.id",
    )?;
    let mut sets = BTreeMap::new();
    for name in names {
        let mut rows = statement.query(params![zone_id, BASE_VIEW, name.as_wire()])?;
        while let Some(row) = rows.next()? {
            add_record_row(&mut sets, row)?;
        }
    }
    Ok(sets)
}

/// Every stored RRset of a zone.
fn load_all_rrsets(
    tx: &Connection,
    zone_id: i64,
) -> Result<BTreeMap<RrsetKey, RrsetState>, StoreError> {
    let mut statement = tx.prepare_cached(
        "SELECT s.owner, s.rtype, s.ttl, r.rdata, r.content, r.disabled
         FROM rrsets s JOIN records r ON r.rrset_id = s.id
         WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2
         ORDER BY s.id, r.id",
    )?;
    let mut rows = statement.query(params![zone_id, BASE_VIEW])?;
    let mut sets = BTreeMap::new();
    while let Some(row) = rows.next()? {
        add_record_row(&mut sets, row)?;
    }
    Ok(sets)
}

/// Adds a row of `owner, rtype, ttl, rdata, content, disabled` to its
/// RRset.
fn add_record_row(
    sets: &mut BTreeMap<RrsetKey, RrsetState>,
    row: &rusqlite::Row<'_>,
) -> Result<(), StoreError> {
    let owner: Vec<u8> = row.get(0)?;
    let key = (decode_name(&owner, "owner name")?, Rtype(row.get(1)?));
    let ttl: u32 = row.get(2)?;
    let record = StoredRecord {
        rdata: row.get(3)?,
        content: row.get(4)?,
        disabled: row.get(5)?,
    };
    sets.entry(key)
        .or_insert_with(|| RrsetState {
            ttl,
            records: Vec::new(),
        })
        .records
        .push(record);
    Ok(())
}

/// The comments of one RRset.
fn load_comments(
    tx: &Connection,
    zone_id: i64,
    key: &RrsetKey,
) -> Result<Vec<Comment>, StoreError> {
    let mut statement = tx.prepare_cached(
        "SELECT content, account, modified_at FROM comments
         WHERE zone_id = ?1 AND ifnull(view_id, 0) = ?2 AND owner = ?3 AND rtype = ?4
         ORDER BY id",
    )?;
    let comments = statement
        .query_map(
            params![zone_id, BASE_VIEW, key.0.as_wire(), key.1.0],
            |row| {
                Ok(Comment {
                    content: row.get(0)?,
                    account: row.get(1)?,
                    modified_at: unix_time(row.get(2)?),
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(comments)
}

/// Every comment of a zone, by RRset.
fn load_all_comments(
    tx: &Connection,
    zone_id: i64,
) -> Result<BTreeMap<RrsetKey, Vec<Comment>>, StoreError> {
    let mut statement = tx.prepare_cached(
        "SELECT owner, rtype, content, account, modified_at FROM comments
         WHERE zone_id = ?1 AND ifnull(view_id, 0) = ?2 ORDER BY id",
    )?;
    let mut rows = statement.query(params![zone_id, BASE_VIEW])?;
    let mut comments: BTreeMap<RrsetKey, Vec<Comment>> = BTreeMap::new();
    while let Some(row) = rows.next()? {
        let owner: Vec<u8> = row.get(0)?;
        let key = (decode_name(&owner, "comment owner")?, Rtype(row.get(1)?));
        comments.entry(key).or_default().push(Comment {
            content: row.get(2)?,
            account: row.get(3)?,
            modified_at: unix_time(row.get(4)?),
        });
    }
    Ok(comments)
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

/// A zone's RRsets as stored (see [`Store::rrsets`]).
fn stored_rrsets(tx: &Connection, row: &ZoneRow) -> Result<Vec<StoredRrset>, StoreError> {
    let sets = load_all_rrsets(tx, row.id)?;
    let mut comments = load_all_comments(tx, row.id)?;
    let mut out: Vec<StoredRrset> = sets
        .into_iter()
        .map(|((name, rtype), set)| {
            let comments = comments.remove(&(name.clone(), rtype)).unwrap_or_default();
            StoredRrset {
                name,
                rtype,
                ttl: set.ttl,
                records: set.records,
                comments,
            }
        })
        .collect();
    out.extend(
        comments
            .into_iter()
            .map(|((name, rtype), comments)| StoredRrset {
                name,
                rtype,
                ttl: 0,
                records: Vec::new(),
                comments,
            }),
    );
    out.sort_by(|a, b| {
        let soa_first = |s: &StoredRrset| s.rtype != Rtype::SOA || s.name != row.apex;
        soa_first(a)
            .cmp(&soa_first(b))
            .then_with(|| a.name.cmp(&b.name))
            .then(a.rtype.cmp(&b.rtype))
    });
    Ok(out)
}

/// Which journal rows make up the history of one copy of a zone: the
/// rows of view `view` (0: the base), and the base's rows before `split`
/// (the view's first own entry; until then the view was the base).
#[derive(Clone, Copy, Debug)]
struct Chain {
    /// The view's id; 0 for the base.
    view: i64,
    /// Base rows with a smaller id belong to the chain too.
    split: i64,
}

impl Chain {
    /// The base's history.
    const BASE: Chain = Chain {
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

/// Journal entries with row id below `before_id`, newest first, at most
/// `limit`.
fn journal_entries(
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

/// A stored name.
fn decode_name(wire: &[u8], what: &str) -> Result<Name, StoreError> {
    Name::from_wire(wire).map_err(|error| StoreError::corrupt(format!("{what}: {error}")))
}

/// A Unix time as SQLite stores it (signed 64 bits).
pub(crate) fn sql_time(time: u64) -> i64 {
    i64::try_from(time).unwrap_or(i64::MAX)
}

/// A stored Unix time; a negative one (never written by the store) reads
/// as 0.
pub(crate) fn unix_time(time: i64) -> u64 {
    u64::try_from(time).unwrap_or(0)
}
