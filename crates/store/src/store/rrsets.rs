//! A zone's base RRsets and comments as stored: loading them (at some
//! names, or all), the public reads (all RRsets, one page with search,
//! what is served), and the serial of the stored SOA.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, params};
use wire::rdata::soa_numbers;
use wire::{Name, Record, Rtype, Serial};

use super::zone_row::{ZoneRow, decode_name, find_zone};
use super::{BASE_VIEW, Store, unix_time};
use crate::change::{RrsetKey, RrsetState};
use crate::error::StoreError;
use crate::plan;
use crate::zones::{Comment, RrsetPage, StoredRecord, StoredRrset};

impl Store {
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

    /// The base RRsets of a zone at the owner names `names` (records only,
    /// no comments), by owner and type: what a change to those names
    /// starts from, read at the cost of those names. Empty for an unknown
    /// zone.
    pub fn rrsets_at(
        &self,
        zone: &Name,
        names: &BTreeSet<Name>,
    ) -> Result<Vec<StoredRrset>, StoreError> {
        self.read(
            || format!("reading RRsets of {zone} at {} names", names.len()),
            |tx| match find_zone(tx, zone)? {
                Some(row) => {
                    let lowered: BTreeSet<Name> = names.iter().map(Name::to_lowercase).collect();
                    Ok(load_rrsets_at(tx, row.id, &lowered)?
                        .into_iter()
                        .map(|((name, rtype), set)| StoredRrset {
                            name,
                            rtype,
                            ttl: set.ttl,
                            records: set.records,
                            comments: Vec::new(),
                        })
                        .collect())
                }
                None => Ok(Vec::new()),
            },
        )
    }

    /// One page of a zone's RRsets, `limit` from `offset`, in canonical
    /// order of their owners (the SOA first at the apex), and how many
    /// match in all. `search` (empty: every RRset) is a name prefix, read
    /// relative to the zone (a trailing zone name is dropped): every label
    /// but the leftmost is matched exactly, the leftmost as a prefix, so
    /// `mail5` finds `mail5.`, `mail50.` and the names below them, and
    /// `www.sub` finds `www*.sub.`. Such names are one range of the
    /// canonical-order index, so a page costs the page, not the zone; a
    /// search that is also a type mnemonic (`MX`) matches that type too,
    /// which scans the zone's index entries. Record contents are not
    /// searched (that cannot be indexed). The total is the maintained
    /// count without a search. Empty for an unknown zone.
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
                // An unreadable search matches no name (but may be a type).
                let (low, high) = match name_prefix_range(&row.apex, search) {
                    Some((low, high)) => (Some(low), high),
                    None => (None, None),
                };
                let rtype = search
                    .to_ascii_uppercase()
                    .parse::<Rtype>()
                    .map_or(-1, |t| i64::from(t.0));
                // ?3/?4: the name range (NULL: no name matches; no upper
                // bound when ?4 is NULL); ?5: a type, -1 for none. Without
                // a type the range bounds the index scan.
                const MATCHING: &str = "FROM rrsets s
                     WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2
                       AND ((s.sort_key >= ?3 AND (?4 IS NULL OR s.sort_key < ?4)) OR s.rtype = ?5)";
                const IN_RANGE: &str = "FROM rrsets s
                     WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2
                       AND s.sort_key >= ?3 AND s.sort_key < ifnull(?4, x'ffff') AND ?5 = ?5";
                let matching = if rtype >= 0 { MATCHING } else { IN_RANGE };
                let total: i64 = if search.is_empty() {
                    super::zone_row::zone_counts(tx, row.id, BASE_VIEW)?.0
                } else if low.is_none() && rtype < 0 {
                    0
                } else {
                    tx.prepare_cached(&format!("SELECT count(*) {matching}"))?
                        .query_row(params![row.id, BASE_VIEW, low, high, rtype], |r| r.get(0))?
                };
                // The index's own order, so that an OFFSET deep into the
                // zone walks the index without sorting; the apex SOA (among
                // the apex's first few sets, so always on the first page)
                // is moved to the front below.
                let mut statement = tx.prepare_cached(&format!(
                    "SELECT s.id, s.owner, s.rtype, s.ttl {matching}
                     ORDER BY s.sort_key, s.rtype LIMIT ?6 OFFSET ?7"
                ))?;
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                let offset = i64::try_from(offset).unwrap_or(i64::MAX);
                let heads = if total == 0 {
                    Vec::new()
                } else {
                    statement
                        .query_map(
                            params![row.id, BASE_VIEW, low, high, rtype, limit, offset],
                            |r| {
                                Ok((
                                    r.get::<_, i64>(0)?,
                                    r.get::<_, Vec<u8>>(1)?,
                                    r.get::<_, u16>(2)?,
                                    r.get::<_, u32>(3)?,
                                ))
                            },
                        )?
                        .collect::<Result<Vec<_>, _>>()?
                };
                let mut rrsets = Vec::with_capacity(heads.len());
                for (id, owner, rtype, ttl) in heads {
                    rrsets.push(StoredRrset {
                        name: decode_name(&owner, "owner name")?,
                        rtype: Rtype(rtype),
                        ttl,
                        records: records_of(tx, id)?,
                        comments: Vec::new(),
                    });
                }
                if let Some(soa) = rrsets
                    .iter()
                    .position(|s| s.rtype == Rtype::SOA && s.name == row.apex)
                {
                    rrsets[..=soa].rotate_right(1);
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
}

/// The records of one stored RRset, in the order they were written.
pub(super) fn records_of(tx: &Connection, rrset_id: i64) -> Result<Vec<StoredRecord>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT rdata, content, disabled FROM records WHERE rrset_id = ?1 ORDER BY id",
        )?
        .query_map(params![rrset_id], |r| {
            Ok(StoredRecord {
                rdata: r.get(0)?,
                content: r.get(1)?,
                disabled: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Whether an RRset `owner`/`rtype` of the zone `apex` matches a search as
/// [`Store::rrsets_page`] matches it: for listings made outside the store
/// (zones served from files, a view's side-by-side page), so that a
/// search means the same everywhere.
pub fn search_matches(apex: &Name, search: &str, owner: &Name, rtype: Rtype) -> bool {
    let search = search.trim();
    if search.is_empty() {
        return true;
    }
    if search
        .to_ascii_uppercase()
        .parse::<Rtype>()
        .is_ok_and(|t| t == rtype)
    {
        return true;
    }
    let Some((low, high)) = name_prefix_range(apex, search) else {
        return false;
    };
    let key = crate::schema::owner_sort_key(owner);
    key >= low && high.is_none_or(|high| key < high)
}

/// The `sort_key` range of the names a search of
/// [`Store::rrsets_page`] matches: from the key of the search's parent
/// name followed by the leftmost label's octets (no closing 0, so longer
/// labels match), to the first key past that prefix (`None`: no end).
/// `None` when the search is no name in the zone.
fn name_prefix_range(apex: &Name, search: &str) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let lowered = search.to_ascii_lowercase();
    let apex_text = apex.to_string().to_ascii_lowercase();
    let apex_bare = apex_text.trim_end_matches('.');
    let bare = lowered.trim_end_matches('.');
    let relative = if apex_bare.is_empty() {
        bare
    } else if bare == apex_bare {
        // The zone's own name: everything in it.
        ""
    } else if let Some(head) = bare.strip_suffix(&format!(".{apex_bare}")) {
        head
    } else if lowered.ends_with('.') {
        // An absolute name outside the zone matches nothing.
        return None;
    } else {
        bare
    };
    let (partial, parent) = match relative.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (relative, None),
    };
    let parent = match parent {
        Some(text) => Name::from_text(text, Some(apex)).ok()?,
        None => apex.clone(),
    };
    if partial.contains('\\') {
        // Escapes in the label being typed are not worth a parser here.
        return None;
    }
    let mut low = crate::schema::owner_sort_key(&parent);
    for octet in partial.bytes() {
        low.extend_from_slice(&(u16::from(octet) + 1).to_be_bytes());
    }
    let mut high = low.clone();
    // The first byte string past every string that starts with `low`.
    while let Some(last) = high.pop() {
        if last < u8::MAX {
            high.push(last + 1);
            return Some((low, Some(high)));
        }
    }
    Some((low, None))
}

/// A zone's RRsets as stored (see [`Store::rrsets`]).
pub(super) fn stored_rrsets(
    tx: &Connection,
    row: &ZoneRow,
) -> Result<Vec<StoredRrset>, StoreError> {
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

/// The stored RRsets at `names`.
pub(super) fn load_rrsets_at(
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
pub(super) fn load_all_rrsets(
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
pub(super) fn load_comments(
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

/// The records served from loaded RRsets: the SOA first, the rest in
/// canonical order.
pub(super) fn served_records(apex: &Name, sets: &BTreeMap<RrsetKey, RrsetState>) -> Vec<Record> {
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

/// The serial of a zone's stored SOA record.
pub(super) fn current_serial(tx: &Connection, row: &ZoneRow) -> Result<Serial, StoreError> {
    let mut names = BTreeSet::new();
    names.insert(row.apex.clone());
    soa_serial_of(&row.apex, &load_rrsets_at(tx, row.id, &names)?)
}

/// The serial of the SOA among loaded RRsets.
pub(super) fn soa_serial_of(
    apex: &Name,
    sets: &BTreeMap<RrsetKey, RrsetState>,
) -> Result<Serial, StoreError> {
    sets.get(&(apex.clone(), Rtype::SOA))
        .and_then(|set| set.records.first())
        .and_then(|record| soa_numbers(&record.rdata))
        .map(|numbers| Serial(numbers[0]))
        .ok_or_else(|| StoreError::corrupt(format!("{apex} has no readable SOA record")))
}

/// Which of a zone's RRsets an [`RrsetCursor`] reads: all, or those with
/// this owner and/or of this type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RrsetFilter {
    /// Only the RRsets with this owner (any case).
    pub name: Option<Name>,
    /// Only the RRsets of this type.
    pub rtype: Option<Rtype>,
}

/// A zone's base RRsets read a chunk at a time, in the order of
/// [`Store::rrsets`] (the apex SOA first, then canonical order of owners
/// and types; RRsets that have only comments come last), all from one
/// snapshot: the cursor holds its own read-only connection in one read
/// transaction, so a change committed while a long read goes on is not
/// half in it, and the store's own reader is not held meanwhile. Each
/// chunk continues after the last RRset of the one before (keyset on the
/// canonical-order index), so reading the zone costs the zone once, and
/// memory holds one chunk.
pub struct RrsetCursor {
    /// The cursor's own connection, inside its read transaction.
    connection: Connection,
    /// The zone's row.
    row: ZoneRow,
    /// What to read.
    filter: RrsetFilter,
    /// Where the next chunk starts: after this (sort key, type).
    after: Option<(Vec<u8>, u16)>,
    /// Whether the zone has comments at all (most have none: then no
    /// lookup is made per RRset).
    comments: bool,
    /// What is still to be read.
    stage: Stage,
}

/// How far an [`RrsetCursor`] has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// The apex SOA, read first.
    Soa,
    /// The RRsets in canonical order.
    Sets,
    /// RRsets that have comments and no records.
    CommentsOnly,
    /// Nothing left.
    Done,
}

impl std::fmt::Debug for RrsetCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RrsetCursor")
            .field("zone", &self.row.apex)
            .field("filter", &self.filter)
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A cursor over the base RRsets of `zone` that `filter` selects, or
    /// `None` for a zone not in the store. See [`RrsetCursor`].
    pub fn rrset_cursor(
        &self,
        zone: &Name,
        filter: RrsetFilter,
    ) -> Result<Option<RrsetCursor>, StoreError> {
        let during = || format!("starting to read the RRsets of {zone}");
        let connection = crate::schema::open_reader(self.path()).map_err(|e| e.during(during))?;
        // The snapshot starts with the first read after BEGIN: the zone's
        // row, so every chunk agrees with it.
        let start = (|| {
            connection.execute_batch("BEGIN")?;
            let Some(row) = find_zone(&connection, zone)? else {
                return Ok(None);
            };
            let comments: bool = connection
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM comments
                                    WHERE zone_id = ?1 AND ifnull(view_id, 0) = ?2)",
                )?
                .query_row(params![row.id, BASE_VIEW], |r| r.get(0))?;
            Ok(Some((row, comments)))
        })();
        let Some((row, comments)) = start.map_err(|e: StoreError| e.during(during))? else {
            return Ok(None);
        };
        let filter = RrsetFilter {
            name: filter.name.map(|n| n.to_lowercase()),
            rtype: filter.rtype,
        };
        Ok(Some(RrsetCursor {
            connection,
            row,
            filter,
            after: None,
            comments,
            stage: Stage::Soa,
        }))
    }
}

impl RrsetCursor {
    /// The zone's apex.
    pub fn apex(&self) -> &Name {
        &self.row.apex
    }

    /// The next RRsets, at most about `max` (all the sets at one name when
    /// the filter names one), disabled records and comments included;
    /// empty once everything is read.
    pub fn next_chunk(&mut self, max: usize) -> Result<Vec<StoredRrset>, StoreError> {
        let apex = self.row.apex.clone();
        self.chunk(max.max(1))
            .map_err(|e| e.during(|| format!("reading the RRsets of {apex}")))
    }

    /// The next served records (enabled, class IN) of at most about `max`
    /// RRsets, the apex SOA first and the rest in canonical order (as
    /// [`Store::zone_records`]); empty once everything is read.
    pub fn next_served(&mut self, max: usize) -> Result<Vec<Record>, StoreError> {
        loop {
            let sets = self.next_chunk(max)?;
            if sets.is_empty() {
                return Ok(Vec::new());
            }
            let mut records: Vec<Record> = sets
                .iter()
                .flat_map(|set| {
                    let key = (set.name.clone(), set.rtype);
                    set.records
                        .iter()
                        .filter(|r| !r.disabled)
                        .map(move |r| plan::served_record(&key, set.ttl, r))
                })
                .collect();
            // Chunks end between RRsets, so sorting each one keeps the
            // whole canonical; the SOA chunk is the SOA alone.
            plan::sort_canonically(&mut records);
            if !records.is_empty() {
                return Ok(records);
            }
        }
    }

    /// [`RrsetCursor::next_chunk`] without the context of its errors.
    fn chunk(&mut self, max: usize) -> Result<Vec<StoredRrset>, StoreError> {
        loop {
            let sets = match self.stage {
                Stage::Done => return Ok(Vec::new()),
                Stage::Soa => {
                    self.stage = Stage::Sets;
                    let wanted = self
                        .filter
                        .name
                        .as_ref()
                        .is_none_or(|n| *n == self.row.apex)
                        && self.filter.rtype.is_none_or(|t| t == Rtype::SOA);
                    if !wanted {
                        continue;
                    }
                    self.heads(
                        "s.owner = ?3 AND s.rtype = 6",
                        true,
                        params![self.row.id, BASE_VIEW, self.row.apex.as_wire()],
                    )?
                    .0
                }
                Stage::Sets => {
                    let sets = self.next_sets(max)?;
                    if sets.is_empty() {
                        self.stage = Stage::CommentsOnly;
                        continue;
                    }
                    sets
                }
                Stage::CommentsOnly => {
                    self.stage = Stage::Done;
                    if !self.comments {
                        continue;
                    }
                    self.comments_only()?
                }
            };
            if !sets.is_empty() {
                return Ok(sets);
            }
        }
    }

    /// The next RRsets in canonical order, leaving the apex SOA out (it
    /// came first).
    fn next_sets(&mut self, max: usize) -> Result<Vec<StoredRrset>, StoreError> {
        let rtype = self.filter.rtype.map_or(-1, |t| i64::from(t.0));
        let mut sets = if let Some(name) = self.filter.name.clone() {
            // Every set at one name: a few rows of the identity index.
            if self.after.is_some() {
                return Ok(Vec::new());
            }
            self.after = Some((Vec::new(), 0));
            self.heads(
                "s.owner = ?3 AND (?4 < 0 OR s.rtype = ?4)",
                true,
                params![self.row.id, BASE_VIEW, name.as_wire(), rtype],
            )?
            .0
        } else {
            let (key, after_type) = match &self.after {
                Some((key, rtype)) => (key.clone(), i64::from(*rtype)),
                // Before everything: the root's key is empty, and no type
                // is below 0.
                None => (Vec::new(), -1),
            };
            let limit = i64::try_from(max).unwrap_or(i64::MAX);
            let (sets, last_key) = self.heads(
                "(s.sort_key, s.rtype) > (?3, ?4) AND (?5 < 0 OR s.rtype = ?5)
                 ORDER BY s.sort_key, s.rtype LIMIT ?6",
                false,
                params![self.row.id, BASE_VIEW, key, after_type, rtype, limit],
            )?;
            match (sets.last(), last_key) {
                (Some(last), Some(last_key)) => self.after = Some((last_key, last.rtype.0)),
                _ => return Ok(Vec::new()),
            }
            sets
        };
        let apex = &self.row.apex;
        sets.retain(|set| !(set.rtype == Rtype::SOA && set.name == *apex));
        if sets.is_empty() && self.filter.name.is_none() {
            // The chunk was the SOA alone: go on.
            return self.next_sets(max);
        }
        Ok(sets)
    }

    /// The RRsets of `rrsets s` rows meeting `condition` (after the zone
    /// and base, ?1 and ?2; it may end in ORDER BY and LIMIT), with their
    /// records (one query for the whole chunk, not one per RRset) and
    /// comments, in canonical order; and the sort key of the last. At one
    /// owner, `at_one_name` orders by type alone: ordering by the sort key
    /// there would lead SQLite to walk the order index through the whole
    /// zone (to save a sort) instead of using the identity index.
    fn heads(
        &self,
        condition: &str,
        at_one_name: bool,
        parameters: &[&dyn rusqlite::ToSql],
    ) -> Result<(Vec<StoredRrset>, Option<Vec<u8>>), StoreError> {
        let order = if at_one_name {
            "s.rtype, r.id"
        } else {
            "s.sort_key, s.rtype, r.id"
        };
        let sql = format!(
            "SELECT s.id, s.owner, s.rtype, s.ttl, s.sort_key, r.rdata, r.content, r.disabled
             FROM (SELECT s.id, s.owner, s.rtype, s.ttl, s.sort_key FROM rrsets s
                   WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2 AND {condition}) s
             LEFT JOIN records r ON r.rrset_id = s.id
             ORDER BY {order}"
        );
        let mut statement = self.connection.prepare_cached(&sql)?;
        let mut rows = statement.query(parameters)?;
        let mut sets: Vec<StoredRrset> = Vec::new();
        let mut last: Option<(i64, Vec<u8>)> = None;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            if last.as_ref().is_none_or(|(last_id, _)| *last_id != id) {
                let owner: Vec<u8> = row.get(1)?;
                sets.push(StoredRrset {
                    name: decode_name(&owner, "owner name")?,
                    rtype: Rtype(row.get(2)?),
                    ttl: row.get(3)?,
                    records: Vec::new(),
                    comments: Vec::new(),
                });
                last = Some((id, row.get(4)?));
            }
            // NULL: an RRset row without records (LEFT JOIN).
            if let Some(rdata) = row.get::<_, Option<Vec<u8>>>(5)?
                && let Some(set) = sets.last_mut()
            {
                set.records.push(StoredRecord {
                    rdata,
                    content: row.get(6)?,
                    disabled: row.get(7)?,
                });
            }
        }
        if self.comments {
            for set in &mut sets {
                let key = (set.name.clone(), set.rtype);
                set.comments = load_comments(&self.connection, self.row.id, &key)?;
            }
        }
        Ok((sets, last.map(|(_, key)| key)))
    }

    /// The RRsets that have comments and no records (PowerDNS keeps
    /// those), as the filter selects them.
    fn comments_only(&self) -> Result<Vec<StoredRrset>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT DISTINCT c.owner, c.rtype FROM comments c
             WHERE c.zone_id = ?1 AND ifnull(c.view_id, 0) = ?2
               AND (?3 IS NULL OR c.owner = ?3) AND (?4 < 0 OR c.rtype = ?4)
               AND NOT EXISTS (SELECT 1 FROM rrsets s
                               WHERE s.zone_id = c.zone_id AND ifnull(s.view_id, 0) = ?2
                                 AND s.owner = c.owner AND s.rtype = c.rtype)",
        )?;
        let name = self.filter.name.as_ref().map(|n| n.as_wire().to_vec());
        let rtype = self.filter.rtype.map_or(-1, |t| i64::from(t.0));
        let keys = statement
            .query_map(params![self.row.id, BASE_VIEW, name, rtype], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, u16>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut sets = Vec::with_capacity(keys.len());
        for (owner, rtype) in keys {
            let key = (decode_name(&owner, "comment owner")?, Rtype(rtype));
            sets.push(StoredRrset {
                comments: load_comments(&self.connection, self.row.id, &key)?,
                name: key.0,
                rtype: key.1,
                ttl: 0,
                records: Vec::new(),
            });
        }
        sets.sort_by(|a, b| a.name.cmp(&b.name).then(a.rtype.cmp(&b.rtype)));
        Ok(sets)
    }
}
