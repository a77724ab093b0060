//! What a zone serves, read for building its snapshot.
//!
//! [`Store::zone_records`] goes through the general loader: every row
//! with its presentation text into an ordered map keyed by name (a
//! canonical comparison per row), then copied into records and sorted
//! again. At the start of a node serving a zone of a million names that
//! was most of the time before the first answer. Here one prepared
//! statement returns the served rows already in canonical order (the
//! `rrsets_order` index is ordered by the canonical owner key, then type;
//! the `records` uniqueness index by RDATA within a set), and each row
//! becomes a record straight away: the owner is decoded once per name,
//! and the text is not read at all.

use rusqlite::params;
use wire::{Class, Name, Record, Rtype};

use super::zone_row::{decode_name, find_zone};
use super::{BASE_VIEW, Store};
use crate::error::StoreError;

impl Store {
    /// The records zone `zone` serves from its base data (disabled records
    /// left out): the same records in the same order as
    /// [`Store::zone_records`] (the SOA first, then canonical order), read
    /// for building a snapshot. Empty for an unknown zone.
    pub fn served_records(&self, zone: &Name) -> Result<Vec<Record>, StoreError> {
        self.read(
            || format!("reading the served records of {zone}"),
            |tx| {
                let Some(row) = find_zone(tx, zone)? else {
                    return Ok(Vec::new());
                };
                // Not sized from a `count(*)`, which walked the join a second
                // time: a large vector grows and shrinks by remapping its
                // pages (glibc), and pages never written are never resident.
                let mut records: Vec<Record> = Vec::new();
                let mut statement = tx.prepare_cached(
                    "SELECT s.owner, s.rtype, s.ttl, r.rdata
                     FROM rrsets s JOIN records r ON r.rrset_id = s.id
                     WHERE s.zone_id = ?1 AND ifnull(s.view_id, 0) = ?2 AND r.disabled = 0
                     ORDER BY s.sort_key, s.rtype",
                )?;
                let mut rows = statement.query(params![row.id, BASE_VIEW])?;
                let mut owner: Option<Name> = None;
                // Where the current RRset starts in `records`.
                let mut set_start = 0;
                while let Some(found) = rows.next()? {
                    let wire = found
                        .get_ref(0)?
                        .as_blob()
                        .map_err(|e| StoreError::corrupt(format!("an owner name: {e}")))?;
                    let rtype = Rtype(found.get(1)?);
                    let owner = match &owner {
                        Some(last) if last.as_wire() == wire => last.clone(),
                        _ => {
                            let name = decode_name(wire, "owner name")?;
                            owner = Some(name.clone());
                            name
                        }
                    };
                    let new_set = records
                        .last()
                        .is_none_or(|last| last.rtype != rtype || !last.owner.eq_exact(&owner));
                    if new_set {
                        sort_rdata(&mut records[set_start..]);
                        set_start = records.len();
                    }
                    records.push(Record {
                        owner,
                        rtype,
                        class: Class::IN,
                        ttl: found.get(2)?,
                        rdata: found.get(3)?,
                    });
                }
                sort_rdata(&mut records[set_start..]);
                records.shrink_to_fit();
                // The SOA first, as `zone_records` gives it.
                if let Some(soa) = records
                    .iter()
                    .position(|r| r.rtype == Rtype::SOA && r.owner == row.apex)
                {
                    records[..=soa].rotate_right(1);
                }
                Ok(records)
            },
        )
    }
}

/// Puts one RRset's records in RDATA order (SQLite's join usually returns
/// them so already; this does not rely on its plan).
fn sort_rdata(set: &mut [Record]) {
    if set.len() > 1 {
        set.sort_by(|a, b| a.rdata.cmp(&b.rdata));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::{ChangeMeta, ChangeSet, RrsetChange, RrsetOp};
    use crate::zones::{RecordInput, ZoneKind};
    use crate::{PasswordCost, Source};

    #[test]
    fn served_records_are_zone_records() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("a.db"), PasswordCost::MINIMUM).unwrap();
        let apex: Name = "example.test.".parse().unwrap();
        let text = "$TTL 300\n@ SOA ns1 host 7 1 1 1 1\n@ NS ns1\n@ NS ns2.other.\n\
                    ns1 A 192.0.2.1\nZ.a TXT \"z\"\nb.a TXT \"b\"\nb.a TXT \"a\"\na A 192.0.2.9\n\
                    a A 192.0.2.1\na AAAA ::1\n*.w A 192.0.2.3\n\\@ A 192.0.2.5\nyy MX 1 a\n";
        let records = zonefile::parse_str(text, &apex, std::path::Path::new("t.zone"))
            .unwrap()
            .records
            .into_iter()
            .map(|r| r.record)
            .collect();
        let meta = ChangeMeta {
            author: "test".into(),
            source: Source::Import,
            comment: None,
            now: 0,
        };
        store
            .import(&apex, records, ZoneKind::Master, &meta)
            .unwrap();
        // A disabled record is stored but not served.
        let change = ChangeSet {
            changes: vec![RrsetChange {
                name: "a.example.test.".parse().unwrap(),
                rtype: Rtype::A,
                op: RrsetOp::Extend {
                    ttl: 300,
                    records: vec![RecordInput {
                        rdata: vec![192, 0, 2, 200],
                        content: None,
                        disabled: true,
                    }],
                },
                comments: None,
            }],
        };
        store.apply(&apex, &change, &meta).unwrap();
        let served = store.served_records(&apex).unwrap();
        assert_eq!(served, store.zone_records(&apex).unwrap());
        assert_eq!(served.len(), 13);
        assert!(
            store
                .served_records(&"other.test.".parse().unwrap())
                .unwrap()
                .is_empty()
        );
    }
}
