//! The change journal's vocabulary (entries, and the [`Source`] door a
//! change came through), the encoding of its record lists, and undoing
//! changes.
//!
//! Each committed change of served data is one entry: serials from → to,
//! who, through which door, when, why, and the records removed and added
//! in the condensed form of RFC 1995 §4 (old SOA first in `removed`, new
//! SOA first in `added`), which is what `replicate::journal::Diff` holds,
//! so IXFR can be answered from it.
//!
//! A record list is stored as one BLOB:
//!
//! ```text
//!  ┌───────────┬──────────────────────────────────────────────────────────┐
//!  │ count u32 │ count × record: owner (uncompressed wire form) │ type u16 │
//!  │           │ class u16 │ TTL u32 │ rdlength u16 │ RDATA              │
//!  └───────────┴──────────────────────────────────────────────────────────┘
//! ```
//!
//! Integers are big-endian; each record is an RFC 1035 §4.1.3 resource
//! record without compression, the layout of `replicate`'s journal files,
//! so the bytes read with any DNS tool. (`replicate`'s encoder is private
//! to it, and `store` sits below `replicate` in the crate order.)

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use wire::{Class, Name, Record, Rtype, Serial};

/// The door a change came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The REST API.
    Api,
    /// An RFC 2136 dynamic update.
    Update,
    /// The web UI.
    Ui,
    /// A zone file import.
    Import,
}

impl Source {
    /// The name stored in the journal: `api`, `update`, `ui` or `import`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Update => "update",
            Source::Ui => "ui",
            Source::Import => "import",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change source the store does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown change source `{0}` (expected api, update, ui or import)")]
pub struct UnknownSource(pub String);

impl FromStr for Source {
    type Err = UnknownSource;

    fn from_str(s: &str) -> Result<Source, UnknownSource> {
        match s {
            "api" => Ok(Source::Api),
            "update" => Ok(Source::Update),
            "ui" => Ok(Source::Ui),
            "import" => Ok(Source::Import),
            _ => Err(UnknownSource(s.to_string())),
        }
    }
}

/// One entry of a zone's history, without its records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    /// The zone.
    pub zone: Name,
    /// Serial before the change (0 for the entry that created the zone).
    pub serial_from: Serial,
    /// Serial after the change.
    pub serial_to: Serial,
    /// Who made it.
    pub author: String,
    /// Through which door.
    pub source: Source,
    /// Unix time of the commit.
    pub changed_at: u64,
    /// The reason given.
    pub comment: Option<String>,
    /// How many records it removed, the old SOA included.
    pub removed_count: usize,
    /// How many records it added, the new SOA included.
    pub added_count: usize,
    /// The view whose copy it changed; `None` for the base every view
    /// without data of its own serves.
    pub view: Option<String>,
}

/// A journal entry with its records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalChange {
    /// The entry.
    pub entry: JournalEntry,
    /// Served records removed, the old SOA first.
    pub removed: Vec<Record>,
    /// Served records added, the new SOA first.
    pub added: Vec<Record>,
}

/// The first records of a journal entry's two lists, with how many each
/// holds: what a history page shows of a change without reading all of
/// it (an import's entry holds the whole zone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeHead {
    /// The entry.
    pub entry: JournalEntry,
    /// The first removed records (the old SOA first), at most the number
    /// asked for; `entry.removed_count` says how many there are.
    pub removed: Vec<Record>,
    /// The first added records (the new SOA first), likewise.
    pub added: Vec<Record>,
}

/// Why a stored record list does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ListError {
    /// A field runs past the end.
    #[error("record list ends in the middle of a field")]
    Truncated,
    /// An owner name is malformed.
    #[error("bad owner name in record list: {0}")]
    Name(wire::NameError),
    /// Octets left after the last record.
    #[error("{0} octets left after the last record")]
    TrailingBytes(usize),
}

/// Encodes a record list. Every record's RDATA is at most 65535 octets, as
/// the write path checks.
pub(crate) fn encode_records(records: &[Record]) -> Vec<u8> {
    let len: usize = records
        .iter()
        .map(|r| r.owner.wire_len() + 10 + r.rdata.len())
        .sum();
    let mut out = Vec::with_capacity(4 + len);
    out.extend_from_slice(&(records.len() as u32).to_be_bytes());
    for record in records {
        out.extend_from_slice(record.owner.as_wire());
        out.extend_from_slice(&record.rtype.0.to_be_bytes());
        out.extend_from_slice(&record.class.0.to_be_bytes());
        out.extend_from_slice(&record.ttl.to_be_bytes());
        let rdlength = u16::try_from(record.rdata.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&rdlength.to_be_bytes());
        out.extend_from_slice(&record.rdata[..usize::from(rdlength)]);
    }
    out
}

/// Decodes a record list, checking every length against what is left.
pub(crate) fn decode_records(bytes: &[u8]) -> Result<Vec<Record>, ListError> {
    let mut rest = bytes;
    let count = u32::from_be_bytes(take::<4>(&mut rest)?);
    // Each record takes at least 11 octets, so the count cannot ask for
    // more room than the bytes could fill.
    let mut records = Vec::with_capacity((count as usize).min(rest.len() / 11));
    for _ in 0..count {
        let (owner, end) = Name::parse_uncompressed(rest, 0).map_err(|error| match error {
            wire::NameError::Truncated => ListError::Truncated,
            other => ListError::Name(other),
        })?;
        rest = &rest[end..];
        let fixed = take::<10>(&mut rest)?;
        let rdlength = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        if rest.len() < rdlength {
            return Err(ListError::Truncated);
        }
        let (rdata, after) = rest.split_at(rdlength);
        rest = after;
        records.push(Record {
            owner,
            rtype: Rtype(u16::from_be_bytes([fixed[0], fixed[1]])),
            class: Class(u16::from_be_bytes([fixed[2], fixed[3]])),
            ttl: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            rdata: rdata.to_vec(),
        });
    }
    if !rest.is_empty() {
        return Err(ListError::TrailingBytes(rest.len()));
    }
    Ok(records)
}

/// Decodes at most `limit` records from the start of an encoded list of
/// which `bytes` may be only the beginning. `Ok(None)`: the bytes end
/// inside a record the limit still wants, so more must be read.
pub(crate) fn decode_records_head(
    bytes: &[u8],
    limit: usize,
) -> Result<Option<Vec<Record>>, ListError> {
    let mut rest = bytes;
    let Ok(count) = take::<4>(&mut rest) else {
        return Ok(None);
    };
    let wanted = (u32::from_be_bytes(count) as usize).min(limit);
    let mut records = Vec::with_capacity(wanted.min(rest.len() / 11));
    while records.len() < wanted {
        let (owner, end) = match Name::parse_uncompressed(rest, 0) {
            Ok(parsed) => parsed,
            Err(wire::NameError::Truncated) => return Ok(None),
            Err(other) => return Err(ListError::Name(other)),
        };
        rest = &rest[end..];
        let Ok(fixed) = take::<10>(&mut rest) else {
            return Ok(None);
        };
        let rdlength = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        if rest.len() < rdlength {
            return Ok(None);
        }
        let (rdata, after) = rest.split_at(rdlength);
        rest = after;
        records.push(Record {
            owner,
            rtype: Rtype(u16::from_be_bytes([fixed[0], fixed[1]])),
            class: Class(u16::from_be_bytes([fixed[2], fixed[3]])),
            ttl: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            rdata: rdata.to_vec(),
        });
    }
    Ok(Some(records))
}

/// Takes `N` octets off the front of `rest`.
fn take<const N: usize>(rest: &mut &[u8]) -> Result<[u8; N], ListError> {
    let (head, tail) = rest.split_first_chunk::<N>().ok_or(ListError::Truncated)?;
    *rest = tail;
    Ok(*head)
}

/// Why the journal cannot be undone over the current data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal entry {from} → {to} added {record:?}, which the zone does not hold")]
pub(crate) struct UndoMismatch {
    /// Serial before the entry.
    pub from: Serial,
    /// Serial after the entry.
    pub to: Serial,
    /// The added record that is missing.
    pub record: Record,
}

/// The served records as they were before `changes` (newest first), given
/// the served records now: each change's additions come out and its
/// removals go back, newest change first.
pub(crate) fn undo(
    current: Vec<Record>,
    changes_newest_first: &[JournalChange],
) -> Result<Vec<Record>, UndoMismatch> {
    let mut records: HashSet<Record> = current.into_iter().collect();
    for change in changes_newest_first {
        for record in &change.added {
            if !records.remove(record) {
                return Err(UndoMismatch {
                    from: change.entry.serial_from,
                    to: change.entry.serial_to,
                    record: record.clone(),
                });
            }
        }
        records.extend(change.removed.iter().cloned());
    }
    Ok(records.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(owner: &str, rtype: Rtype, rdata: &[u8]) -> Record {
        Record {
            owner: owner.parse().unwrap(),
            rtype,
            class: Class::IN,
            ttl: 300,
            rdata: rdata.to_vec(),
        }
    }

    #[test]
    fn record_lists_round_trip_and_keep_case() {
        let records = vec![
            record("WWW.example.com", Rtype::A, &[192, 0, 2, 1]),
            record(".", Rtype::TXT, b""),
        ];
        let bytes = encode_records(&records);
        let decoded = decode_records(&bytes).unwrap();
        assert_eq!(decoded, records);
        assert!(decoded[0].owner.eq_exact(&records[0].owner));
        assert_eq!(decode_records(&encode_records(&[])).unwrap(), vec![]);
    }

    #[test]
    fn damaged_record_lists_are_refused_without_panicking() {
        let bytes = encode_records(&[record("www.example.com", Rtype::A, &[192, 0, 2, 1])]);
        for cut in 0..bytes.len() {
            assert!(decode_records(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_records(&longer), Err(ListError::TrailingBytes(1)));
        // A count far larger than the bytes.
        assert_eq!(
            decode_records(&[0xFF, 0xFF, 0xFF, 0xFF]),
            Err(ListError::Truncated)
        );
    }
}
