//! What changed between two versions of a zone, and applying such a change
//! to a record set: the content of journal entries and IXFR sequences.

use std::cmp::Ordering;
use std::collections::HashMap;

use wire::{Name, Record, Rtype};
use zone::Zone;

/// Records removed and added between two versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Records of the old version that the new one lacks (a changed TTL
    /// shows as a removal and an addition).
    pub removed: Vec<Record>,
    /// Records of the new version that the old one lacks.
    pub added: Vec<Record>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }

    /// Whether something other than the SOA changed.
    pub fn changes_content(&self) -> bool {
        self.removed
            .iter()
            .chain(&self.added)
            .any(|r| r.rtype != Rtype::SOA)
    }
}

/// Compares two snapshots of the same zone in one merging pass over their
/// canonically ordered records.
pub fn between(old: &Zone, new: &Zone) -> Changes {
    let mut changes = Changes::default();
    let mut a = old.canonical_records().peekable();
    let mut b = new.canonical_records().peekable();
    loop {
        let order = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => key_cmp(x, y),
        };
        match order {
            Ordering::Less => changes.removed.extend(a.next()),
            Ordering::Greater => changes.added.extend(b.next()),
            Ordering::Equal => {
                let (x, y) = (a.next(), b.next());
                if let (Some(x), Some(y)) = (x, y)
                    && x.ttl != y.ttl
                {
                    changes.removed.push(x);
                    changes.added.push(y);
                }
            }
        }
    }
    changes
}

/// The order zones list their records in: owner (canonical), type, RDATA.
fn key_cmp(x: &Record, y: &Record) -> Ordering {
    x.owner
        .canonical_cmp(&y.owner)
        .then(x.rtype.cmp(&y.rtype))
        .then_with(|| x.rdata.cmp(&y.rdata))
}

/// Why a change could not be applied: the change was made against a copy
/// that is not ours (the IXFR does not fit; fall back to AXFR).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// A record to remove is not in the zone.
    #[error("record to delete is not in the zone: {0}")]
    MissingRecord(Box<Record>),
}

/// Identity of a record apart from its TTL.
#[derive(Hash, PartialEq, Eq)]
struct RecordKey {
    owner: Name,
    rtype: Rtype,
    rdata: Vec<u8>,
}

/// A zone's records held for applying changes.
#[derive(Default)]
pub struct RecordSet {
    records: HashMap<RecordKey, u32>,
}

impl RecordSet {
    /// Takes a zone's records.
    pub fn from_records(records: impl IntoIterator<Item = Record>) -> RecordSet {
        let mut set = RecordSet::default();
        for r in records {
            set.records.insert(
                RecordKey {
                    owner: r.owner,
                    rtype: r.rtype,
                    rdata: r.rdata,
                },
                r.ttl,
            );
        }
        set
    }

    /// Removes `removed` (each must be present) then adds `added`
    /// (RFC 1995 §4: deletions before additions within one difference).
    ///
    /// Adding a record that is already there (same owner, type and RDATA)
    /// keeps the lower of the two TTLs, as `zone::Zone::apply` does for
    /// an RRset: a TTL change comes as the old record removed and the new
    /// one added, and the two paths a secondary takes (patch, or this set
    /// built whole) must give the same zone for any input. The transfer
    /// fuzz target found them apart here (the set took the new TTL).
    pub fn apply(&mut self, removed: &[Record], added: &[Record]) -> Result<(), ApplyError> {
        for r in removed {
            let key = RecordKey {
                owner: r.owner.clone(),
                rtype: r.rtype,
                rdata: r.rdata.clone(),
            };
            if self.records.remove(&key).is_none() {
                return Err(ApplyError::MissingRecord(Box::new(r.clone())));
            }
        }
        for r in added {
            let key = RecordKey {
                owner: r.owner.clone(),
                rtype: r.rtype,
                rdata: r.rdata.clone(),
            };
            self.records
                .entry(key)
                .and_modify(|ttl| *ttl = (*ttl).min(r.ttl))
                .or_insert(r.ttl);
        }
        Ok(())
    }

    /// The records, for building a snapshot.
    pub fn into_records(self) -> Vec<Record> {
        self.records
            .into_iter()
            .map(|(k, ttl)| Record {
                owner: k.owner,
                rtype: k.rtype,
                class: wire::Class::IN,
                ttl,
                rdata: k.rdata,
            })
            .collect()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use zone::BuildOptions;

    /// Found by the transfer fuzz target: an IXFR adding a record that is
    /// already there, with another TTL, gave one TTL patched and another
    /// built whole. Both now keep the lower.
    #[test]
    fn adding_a_present_record_with_another_ttl_agrees_with_the_patch() {
        let base = zone("$TTL 300\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.53\n");
        for new_ttl in [65_580, 60] {
            let mut added = base.records_at(&"ns.example.".parse().unwrap());
            added[0].ttl = new_ttl;
            let patched = base.apply(&[], &added).unwrap();
            let mut set = RecordSet::from_records(base.canonical_records());
            set.apply(&[], &added).unwrap();
            let built =
                Zone::build(base.apex(), set.into_records(), BuildOptions::default()).unwrap();
            let ttl = |z: &Zone| z.records_at(&"ns.example.".parse().unwrap())[0].ttl;
            assert_eq!(ttl(&patched), ttl(&built), "TTL {new_ttl}");
            assert_eq!(ttl(&built), new_ttl.min(300));
        }
    }

    fn zone(text: &str) -> Zone {
        let origin: Name = "example.".parse().unwrap();
        let file = zonefile::parse_str(text, &origin, Path::new("t.zone")).unwrap();
        Zone::build(
            &origin,
            file.records.into_iter().map(|r| r.record).collect(),
            BuildOptions { precompile: false },
        )
        .unwrap()
    }

    const V1: &str = "$ORIGIN example.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\nold TXT gone\n";
    const V2: &str = "$ORIGIN example.\n$TTL 60\n@ SOA ns h 2 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww 120 A 192.0.2.2\nwww 120 A 192.0.2.3\nnew TXT here\n";

    #[test]
    fn diff_lists_removals_and_additions_with_ttl_changes() {
        let changes = between(&zone(V1), &zone(V2));
        let text = |v: &[Record]| {
            let mut t: Vec<String> = v.iter().map(|r| r.to_string()).collect();
            t.sort();
            t
        };
        assert_eq!(
            text(&changes.removed),
            [
                "example. 60 IN SOA ns.example. h.example. 1 2 3 4 5",
                "old.example. 60 IN TXT \"gone\"",
                "www.example. 60 IN A 192.0.2.2"
            ]
        );
        assert_eq!(
            text(&changes.added),
            [
                "example. 60 IN SOA ns.example. h.example. 2 2 3 4 5",
                "new.example. 60 IN TXT \"here\"",
                "www.example. 120 IN A 192.0.2.2",
                "www.example. 120 IN A 192.0.2.3",
            ]
        );
        assert!(changes.changes_content());
        assert!(between(&zone(V1), &zone(V1)).is_empty());
    }

    #[test]
    fn applying_a_diff_reproduces_the_new_version() {
        let (old, new) = (zone(V1), zone(V2));
        let changes = between(&old, &new);
        let mut set = RecordSet::from_records(old.canonical_records());
        set.apply(&changes.removed, &changes.added).unwrap();
        let rebuilt = Zone::build(
            &"example.".parse().unwrap(),
            set.into_records(),
            BuildOptions { precompile: false },
        )
        .unwrap();
        assert!(between(&rebuilt, &new).is_empty());
    }

    #[test]
    fn deleting_a_record_we_do_not_have_is_refused() {
        let mut set = RecordSet::from_records(zone(V1).canonical_records());
        let stray = zone(V2)
            .canonical_records()
            .find(|r| r.rtype == Rtype::TXT)
            .unwrap();
        assert!(matches!(
            set.apply(&[stray], &[]),
            Err(ApplyError::MissingRecord(_))
        ));
    }
}
