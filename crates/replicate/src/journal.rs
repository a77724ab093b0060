//! The IXFR journal of one zone: the chain of changes between serials, kept
//! on disk so that IXFR (RFC 1995) can be answered after a restart, as
//! BIND's `.jnl` and Knot's journal do.
//!
//! ```text
//!  header   ┌──────────┬─────────────┬──────────────────┬────────────┐
//!           │"HADNSJNL"│ version u16 │ apex (wire form) │ crc32 u32  │
//!           └──────────┴─────────────┴──────────────────┴────────────┘
//!  entry    ┌────────────┬───────────┬───────────────────────────────────────┐
//!  (× n,    │ length u32 │ crc32 u32 │ payload (length octets)               │
//!  oldest   └────────────┴───────────┴───────────────────────────────────────┘
//!  first)   payload:  from u32 │ to u32 │ changed_at u64 │ removed count u32 │
//!                     added count u32 │ removed records… │ added records…
//! ```
//!
//! Integers are big-endian. The header checksum covers the header before
//! it; an entry's checksum covers its length field and its payload. Records
//! use the encoding of [`crate::record_encoding`]. Entries chain: each one's
//! `from` is the previous one's `to`, and each `to` is newer than its
//! `from` in RFC 1982 terms.
//!
//! # Crashes
//!
//! An entry is appended with one positional write followed by
//! `fdatasync`, so an acknowledged [`Journal::append`] survives a crash.
//! [`Journal::append_unsynced`] leaves out the `fdatasync`, for zones whose
//! changes are durable elsewhere first (the store), which refills a journal
//! that lost its tail.
//! A crash mid-append leaves a *torn tail*: an incomplete entry, or one
//! whose checksum fails. [`Journal::open`] cuts the file at the first entry
//! that is incomplete, fails its checksum, does not decode, or does not
//! continue the chain, and says in its [`OpenReport`] what it cut. Nothing
//! is lost by cutting: the zone itself is stored elsewhere
//! ([`crate::persist`]); the journal only lets secondaries fetch changes
//! instead of the whole zone. The header is written once, through a
//! temporary file and a rename, so it is never torn; a damaged header is an
//! error, not a cut, because it may mean the file is not ours.
//!
//! # Size
//!
//! [`JournalLimits`] bound the file. When an append would cross a limit,
//! the journal is *compacted*: a new file holding the newest entries that
//! fit in half the limits (the new entry included) is written, synced and
//! renamed over the old one, and the directory is synced. Compacting to
//! half rather than to the limit keeps it from happening on every append.
//! Older serials then get AXFR.
//!
//! # Concurrency
//!
//! One [`Journal`] value per zone, owned by one writer; `append`, `reset`
//! take `&mut self`, so sharing needs a `Mutex` (or an `RwLock`:
//! [`Journal::diffs_from`] reads with positional reads and takes `&self`).
//! There is no file locking: two processes, or two `Journal` values, on
//! the same file would corrupt it. The data directory belongs to one hadns
//! process.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use wire::{Name, Record, Serial};

use crate::crc32::{Crc32, crc32};
use crate::durable::{self, FileAction, FileError, Replacement};
use crate::record_encoding::{self, DecodeError, EncodeError, MIN_RECORD_LEN, ReadError};

/// The first eight octets of every journal file.
const MAGIC: &[u8; 8] = b"HADNSJNL";
/// The journal format this build reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// Length and checksum in front of every entry.
const FRAME_HEADER_LEN: u64 = 8;
/// The longest header: magic, version, a 255-octet apex, checksum.
const MAX_HEADER_LEN: usize = 8 + 2 + 255 + 4;
/// How much of the old file compaction copies per read.
const COPY_CHUNK: usize = 64 * 1024;

/// The change from one serial of a zone to the next, in the condensed form
/// of RFC 1995 §4: `removed` holds the old SOA (serial `from`) and the
/// records deleted, `added` the new SOA (serial `to`) and the records
/// added.
///
/// The journal checks only the serials (`to` newer than `from`, and the
/// chain); putting the SOA records in is the caller's part, since IXFR
/// responses are built from these lists as they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    /// The serial the change applies to.
    pub from: Serial,
    /// The serial after the change.
    pub to: Serial,
    /// Unix time (seconds) the change was made: committed on the primary,
    /// or applied on a secondary; 0 when not recorded. For logs and
    /// operators only.
    pub changed_at: u64,
    /// Records deleted, the old SOA first.
    pub removed: Vec<Record>,
    /// Records added, the new SOA first.
    pub added: Vec<Record>,
}

impl Diff {
    /// A diff with no change time recorded (`changed_at` 0); the driver,
    /// which owns the clock, sets it before journaling if it wants one.
    pub fn new(from: Serial, to: Serial, removed: Vec<Record>, added: Vec<Record>) -> Diff {
        Diff {
            from,
            to,
            changed_at: 0,
            removed,
            added,
        }
    }
}

/// How large a journal may grow before [`Journal::append`] compacts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalLimits {
    /// Largest file size in octets, header included.
    pub max_bytes: u64,
    /// Most entries (diffs); at least 1.
    pub max_entries: usize,
}

impl Default for JournalLimits {
    /// 64 MiB and 10 000 diffs: days of history for a busy zone.
    fn default() -> JournalLimits {
        JournalLimits {
            max_bytes: 64 * 1024 * 1024,
            max_entries: 10_000,
        }
    }
}

/// What [`Journal::open`] found, for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenReport {
    /// The file did not exist (or was empty) and was created.
    pub created: bool,
    /// Entries kept.
    pub entries: usize,
    /// The damaged tail cut off, if any.
    pub cut: Option<TailCut>,
}

/// A damaged tail removed from the journal when it was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TailCut {
    /// File offset of the first damaged entry, where the file now ends.
    pub offset: u64,
    /// Octets removed.
    pub bytes: u64,
    /// Entries removed: the damaged one plus any intact ones after it,
    /// which cannot be used once the chain is broken.
    pub entries: usize,
    /// What was wrong with the first damaged entry.
    pub damage: EntryDamage,
}

/// What is wrong with a stored entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EntryDamage {
    /// The file ends inside the entry: a write that did not finish.
    #[error("entry is incomplete")]
    Incomplete,
    /// The stored checksum does not match the entry.
    #[error("entry checksum does not match")]
    ChecksumMismatch,
    /// The checksum matches but the payload does not decode.
    #[error("entry does not decode: {0}")]
    Undecodable(DecodeError),
    /// The entry does not start where the previous one ended.
    #[error("entry starts at serial {found}, but the previous one ends at {expected}")]
    ChainBreak {
        /// The previous entry's `to`.
        expected: Serial,
        /// This entry's `from`.
        found: Serial,
    },
    /// The entry's `to` is not newer than its `from` (RFC 1982).
    #[error("entry goes from serial {from} to {to}, which is not newer")]
    SerialNotNewer {
        /// The entry's `from`.
        from: Serial,
        /// The entry's `to`.
        to: Serial,
    },
}

/// What an append that had to compact the journal first did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compaction {
    /// Old entries dropped.
    pub dropped_entries: usize,
    /// Entries in the journal afterwards, the new one included.
    pub entries: usize,
    /// File size before, in octets.
    pub bytes_before: u64,
    /// File size after, in octets.
    pub bytes_after: u64,
}

/// Why a journal operation failed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The operating system refused a file operation.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file does not start with the journal magic.
    #[error("{} is not a hadns journal", path.display())]
    NotAJournal {
        /// The file.
        path: PathBuf,
    },
    /// The file is a journal of a format this build does not know.
    #[error("journal {} has format version {version}, this build reads {FORMAT_VERSION}", path.display())]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        version: u16,
    },
    /// The header is damaged; the file can be removed (it is only history).
    #[error("journal {} has a damaged header", path.display())]
    CorruptHeader {
        /// The file.
        path: PathBuf,
    },
    /// The journal belongs to another zone.
    #[error("journal {} belongs to zone {found}, not {expected}", path.display())]
    WrongZone {
        /// The file.
        path: PathBuf,
        /// The zone it was opened for.
        expected: Name,
        /// The zone named in its header.
        found: Name,
    },
    /// Limits that would leave no room for any entry.
    #[error("journal limits allow no entries (max_entries is 0)")]
    InvalidLimits,
    /// An appended diff does not start at the journal's last serial.
    #[error("diff starts at serial {from}, but the journal ends at {last}")]
    ChainBreak {
        /// The journal's last serial.
        last: Serial,
        /// The diff's `from`.
        from: Serial,
    },
    /// An appended diff's `to` is not newer than its `from` (RFC 1982).
    #[error("diff goes from serial {from} to {to}, which is not newer")]
    SerialNotNewer {
        /// The diff's `from`.
        from: Serial,
        /// The diff's `to`.
        to: Serial,
    },
    /// A diff too large for the journal even when it is the only entry.
    /// Nothing was written; since the history can no longer connect,
    /// the caller should [`Journal::reset`] it.
    #[error("diff needs {bytes} octets, more than the journal limit of {max_bytes}")]
    EntryTooLarge {
        /// Octets the entry (with the header) needs.
        bytes: u64,
        /// The limit.
        max_bytes: u64,
    },
    /// A record of the diff cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// An entry read back for [`Journal::diffs_from`] is damaged: the file
    /// changed on disk after it was opened.
    #[error("journal {} is damaged at offset {offset}: {damage}", path.display())]
    CorruptEntry {
        /// The file.
        path: PathBuf,
        /// Offset of the entry.
        offset: u64,
        /// What is wrong.
        damage: EntryDamage,
    },
}

/// Where an entry sits in the file and which serials it joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct EntryLocation {
    /// Offset of its length field.
    offset: u64,
    /// Octets including the length and checksum fields.
    len: u64,
    /// The diff's `from`.
    from: Serial,
    /// The diff's `to`.
    to: Serial,
}

/// The open journal of one zone. See the [module documentation](self).
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    apex: Name,
    /// The encoded header, copied as it is into compacted files.
    header: Vec<u8>,
    limits: JournalLimits,
    /// Every entry, oldest first: the index `diffs_from` searches instead
    /// of the file.
    entries: Vec<EntryLocation>,
    /// Where the next entry goes: the end of the last good entry.
    end: u64,
}

impl Journal {
    /// Opens the journal of zone `apex` at `path`, creating it (and its
    /// parent directories) if it does not exist, and cutting a damaged
    /// tail if it has one.
    ///
    /// Refuses a file that is not a journal, has another format version,
    /// a damaged header, or belongs to another zone. An existing journal
    /// larger than `limits` is compacted on the next append.
    pub fn open(
        path: &Path,
        apex: &Name,
        limits: JournalLimits,
    ) -> Result<(Journal, OpenReport), JournalError> {
        if limits.max_entries == 0 {
            return Err(JournalError::InvalidLimits);
        }
        let header = encode_header(apex);
        let existing = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => Some(file),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(FileError::new(FileAction::Open, path, error).into()),
        };
        let existing = match existing {
            Some(file) => {
                let file_len = file
                    .metadata()
                    .map_err(|error| FileError::new(FileAction::Read, path, error))?
                    .len();
                // An empty file holds no history; treat it as missing.
                (file_len > 0).then_some((file, file_len))
            }
            None => None,
        };
        let Some((file, file_len)) = existing else {
            let (file, ()) = durable::replace(path, |file, temporary| {
                file.write_all(&header)
                    .map_err(|error| FileError::new(FileAction::Write, temporary, error))
            })?;
            let journal = Journal {
                path: path.to_path_buf(),
                file,
                apex: apex.clone(),
                end: header.len() as u64,
                header,
                limits,
                entries: Vec::new(),
            };
            let report = OpenReport {
                created: true,
                entries: 0,
                cut: None,
            };
            return Ok((journal, report));
        };

        let header_len = check_header(&file, path, file_len, apex)?;
        let (entries, cut) = scan_entries(&file, path, header_len, file_len)?;
        let end = match &cut {
            Some(cut) => {
                file.set_len(cut.offset)
                    .map_err(|error| FileError::new(FileAction::Truncate, path, error))?;
                file.sync_all()
                    .map_err(|error| FileError::new(FileAction::Sync, path, error))?;
                cut.offset
            }
            None => file_len,
        };
        let report = OpenReport {
            created: false,
            entries: entries.len(),
            cut,
        };
        let journal = Journal {
            path: path.to_path_buf(),
            file,
            apex: apex.clone(),
            header,
            limits,
            entries,
            end,
        };
        Ok((journal, report))
    }

    /// Appends `diff` and syncs it to disk before returning, so an
    /// acknowledged append survives a crash.
    ///
    /// Refuses a diff whose `from` is not the last serial (unless the
    /// journal is empty) or whose `to` is not newer than its `from`. When
    /// the append would cross the limits, the journal is compacted first
    /// and the compaction is returned. On failure the journal is unchanged.
    pub fn append(&mut self, diff: &Diff) -> Result<Option<Compaction>, JournalError> {
        self.append_with(diff, true)
    }

    /// Like [`Journal::append`], without waiting for the entry to reach the
    /// disk: for a zone whose changes are durable elsewhere first (the
    /// store's journal), from where a lost tail is appended again at the
    /// next start. A crash may then leave a shorter journal or a torn tail,
    /// which [`Journal::open`] cuts as always. Compactions are still synced.
    pub fn append_unsynced(&mut self, diff: &Diff) -> Result<Option<Compaction>, JournalError> {
        self.append_with(diff, false)
    }

    fn append_with(&mut self, diff: &Diff, sync: bool) -> Result<Option<Compaction>, JournalError> {
        if !diff.to.is_newer_than(diff.from) {
            return Err(JournalError::SerialNotNewer {
                from: diff.from,
                to: diff.to,
            });
        }
        if let Some(last) = self.last_serial()
            && diff.from != last
        {
            return Err(JournalError::ChainBreak {
                last,
                from: diff.from,
            });
        }
        let frame = encode_frame(diff)?;
        let frame_len = frame.len() as u64;
        let header_len = self.header.len() as u64;
        if header_len + frame_len > self.limits.max_bytes {
            return Err(JournalError::EntryTooLarge {
                bytes: header_len + frame_len,
                max_bytes: self.limits.max_bytes,
            });
        }
        let location = EntryLocation {
            offset: self.end,
            len: frame_len,
            from: diff.from,
            to: diff.to,
        };
        if self.end + frame_len > self.limits.max_bytes
            || self.entries.len() >= self.limits.max_entries
        {
            return self.compact_and_append(&frame, location).map(Some);
        }
        let written = self
            .file
            .write_all_at(&frame, self.end)
            .map_err(|error| FileError::new(FileAction::Write, &self.path, error))
            .and_then(|()| {
                if !sync {
                    return Ok(());
                }
                self.file
                    .sync_data()
                    .map_err(|error| FileError::new(FileAction::Sync, &self.path, error))
            });
        if let Err(error) = written {
            // Drop whatever part of the entry reached the file. If this
            // fails too, the next append overwrites it at `end`, and open
            // would cut it as a torn tail.
            let _ = self.file.set_len(self.end);
            return Err(error.into());
        }
        self.entries.push(location);
        self.end += frame_len;
        Ok(None)
    }

    /// The diffs leading from `serial` to the newest serial, oldest first.
    ///
    /// `Some(vec![])` when `serial` is already the newest; `None` when the
    /// journal does not reach back to `serial` (or is empty), in which case
    /// the client needs AXFR. If serials wrapped all the way round so that
    /// `serial` starts more than one entry, the newest such entry is used.
    /// The entries are located in memory and read with one positional
    /// read; each is checked again, in case the file changed on disk.
    pub fn diffs_from(&self, serial: Serial) -> Result<Option<Vec<Diff>>, JournalError> {
        let Some(last) = self.last_serial() else {
            return Ok(None);
        };
        if serial == last {
            return Ok(Some(Vec::new()));
        }
        let Some(start) = self.entries.iter().rposition(|entry| entry.from == serial) else {
            return Ok(None);
        };
        let first_offset = self.entries[start].offset;
        let mut bytes = vec![0u8; (self.end - first_offset) as usize];
        self.file
            .read_exact_at(&mut bytes, first_offset)
            .map_err(|error| FileError::new(FileAction::Read, &self.path, error))?;
        let mut diffs = Vec::with_capacity(self.entries.len() - start);
        for entry in &self.entries[start..] {
            let begin = (entry.offset - first_offset) as usize;
            let frame = &bytes[begin..begin + entry.len as usize];
            let diff = decode_frame(frame).map_err(|damage| JournalError::CorruptEntry {
                path: self.path.clone(),
                offset: entry.offset,
                damage,
            })?;
            if diff.from != entry.from || diff.to != entry.to {
                return Err(JournalError::CorruptEntry {
                    path: self.path.clone(),
                    offset: entry.offset,
                    damage: EntryDamage::ChainBreak {
                        expected: entry.from,
                        found: diff.from,
                    },
                });
            }
            diffs.push(diff);
        }
        Ok(Some(diffs))
    }

    /// Empties the journal down to its header and syncs, for when the
    /// history no longer connects (after an AXFR, or a diff too large to
    /// keep).
    pub fn reset(&mut self) -> Result<(), JournalError> {
        let header_len = self.header.len() as u64;
        self.file
            .set_len(header_len)
            .map_err(|error| FileError::new(FileAction::Truncate, &self.path, error))?;
        self.entries.clear();
        self.end = header_len;
        self.file
            .sync_all()
            .map_err(|error| FileError::new(FileAction::Sync, &self.path, error))?;
        Ok(())
    }

    /// The oldest serial a diff chain can start from.
    pub fn first_serial(&self) -> Option<Serial> {
        self.entries.first().map(|entry| entry.from)
    }

    /// The newest serial: the `to` of the last diff.
    pub fn last_serial(&self) -> Option<Serial> {
        self.entries.last().map(|entry| entry.to)
    }

    /// Number of diffs held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the journal holds no diffs.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Size of the file in octets, header included.
    pub fn size_bytes(&self) -> u64 {
        self.end
    }

    /// The zone this journal belongs to.
    pub fn apex(&self) -> &Name {
        &self.apex
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The limits the journal is kept within.
    pub fn limits(&self) -> JournalLimits {
        self.limits
    }

    /// Writes a new file with the header, the newest entries that fit in
    /// half the limits, and `frame`; renames it over the old one.
    fn compact_and_append(
        &mut self,
        frame: &[u8],
        new_entry: EntryLocation,
    ) -> Result<Compaction, JournalError> {
        let header_len = self.header.len() as u64;
        let byte_budget = self.limits.max_bytes / 2;
        let entry_budget = (self.limits.max_entries / 2).max(1);
        // Walk back from the newest entry while the budget allows; the new
        // entry is always kept (`append` checked it fits in `max_bytes`).
        let mut kept_bytes = new_entry.len;
        let mut keep_from = self.entries.len();
        while keep_from > 0 {
            let candidate = self.entries[keep_from - 1];
            let kept_entries = self.entries.len() - keep_from + 1;
            if kept_entries + 1 > entry_budget
                || header_len + kept_bytes + candidate.len > byte_budget
            {
                break;
            }
            kept_bytes += candidate.len;
            keep_from -= 1;
        }
        let copy_from = self
            .entries
            .get(keep_from)
            .map_or(self.end, |entry| entry.offset);
        let (replacement, ()) = Replacement::prepare(&self.path, |file, temporary| {
            let write_error = |error| FileError::new(FileAction::Write, temporary, error);
            file.write_all(&self.header).map_err(write_error)?;
            let mut buffer = vec![0u8; COPY_CHUNK];
            let mut position = copy_from;
            while position < self.end {
                let chunk = ((self.end - position) as usize).min(COPY_CHUNK);
                self.file
                    .read_exact_at(&mut buffer[..chunk], position)
                    .map_err(|error| FileError::new(FileAction::Read, &self.path, error))?;
                file.write_all(&buffer[..chunk]).map_err(write_error)?;
                position += chunk as u64;
            }
            file.write_all(frame).map_err(write_error)?;
            Ok::<(), JournalError>(())
        })?;
        let file = replacement.rename()?;

        let bytes_before = self.end;
        let shift = copy_from - header_len;
        let dropped_entries = keep_from;
        self.entries.drain(..keep_from);
        for entry in &mut self.entries {
            entry.offset -= shift;
        }
        self.entries.push(EntryLocation {
            offset: header_len + (self.end - copy_from),
            ..new_entry
        });
        self.end = header_len + kept_bytes;
        self.file = file;
        // The in-memory state already describes the new file; if this fails
        // the rename may not survive a crash, which the caller should hear.
        durable::sync_parent_directory(&self.path)?;
        Ok(Compaction {
            dropped_entries,
            entries: self.entries.len(),
            bytes_before,
            bytes_after: self.end,
        })
    }
}

/// The header for a journal of zone `apex`.
fn encode_header(apex: &Name) -> Vec<u8> {
    let mut header = Vec::with_capacity(MAX_HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    header.extend_from_slice(apex.as_wire());
    let checksum = crc32(&header);
    header.extend_from_slice(&checksum.to_be_bytes());
    header
}

/// Checks the header of an existing journal and returns its length.
fn check_header(file: &File, path: &Path, file_len: u64, apex: &Name) -> Result<u64, JournalError> {
    let mut bytes = vec![0u8; (file_len as usize).min(MAX_HEADER_LEN)];
    file.read_exact_at(&mut bytes, 0)
        .map_err(|error| FileError::new(FileAction::Read, path, error))?;
    if bytes.get(..MAGIC.len()) != Some(&MAGIC[..]) {
        return Err(JournalError::NotAJournal {
            path: path.to_path_buf(),
        });
    }
    let corrupt = || JournalError::CorruptHeader {
        path: path.to_path_buf(),
    };
    let version = bytes.get(8..10).ok_or_else(corrupt)?;
    let version = u16::from_be_bytes([version[0], version[1]]);
    if version != FORMAT_VERSION {
        return Err(JournalError::UnsupportedVersion {
            path: path.to_path_buf(),
            version,
        });
    }
    let (found, apex_end) = Name::parse_uncompressed(&bytes, 10).map_err(|_| corrupt())?;
    let stored = bytes.get(apex_end..apex_end + 4).ok_or_else(corrupt)?;
    let stored = u32::from_be_bytes([stored[0], stored[1], stored[2], stored[3]]);
    if stored != crc32(&bytes[..apex_end]) {
        return Err(corrupt());
    }
    if found != *apex {
        return Err(JournalError::WrongZone {
            path: path.to_path_buf(),
            expected: apex.clone(),
            found,
        });
    }
    Ok(apex_end as u64 + 4)
}

/// How an entry's framing looked when read during the scan.
enum Frame {
    /// Length fits in the file; whether the checksum matched.
    Complete { len: u64, checksum_matches: bool },
    /// The file ends inside it.
    Incomplete,
}

/// Reads the frame at `offset` into `payload`. `reader` must be positioned
/// at `offset`; it is left after the frame when it is complete.
fn read_frame(
    reader: &mut impl Read,
    offset: u64,
    file_len: u64,
    payload: &mut Vec<u8>,
) -> io::Result<Frame> {
    let remaining = file_len - offset;
    if remaining < FRAME_HEADER_LEN {
        return Ok(Frame::Incomplete);
    }
    let mut head = [0u8; FRAME_HEADER_LEN as usize];
    reader.read_exact(&mut head)?;
    let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let stored = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    // Checked against the file size before allocating, so a damaged length
    // cannot ask for more memory than the file holds.
    if length as u64 > remaining - FRAME_HEADER_LEN {
        return Ok(Frame::Incomplete);
    }
    payload.clear();
    payload.resize(length as usize, 0);
    reader.read_exact(payload)?;
    let mut checksum = Crc32::new();
    checksum.update(&head[..4]);
    checksum.update(payload);
    Ok(Frame::Complete {
        len: FRAME_HEADER_LEN + length as u64,
        checksum_matches: checksum.finish() == stored,
    })
}

/// Reads every entry after the header; returns the good chain and, if the
/// file goes wrong somewhere, what to cut.
fn scan_entries(
    file: &File,
    path: &Path,
    header_len: u64,
    file_len: u64,
) -> Result<(Vec<EntryLocation>, Option<TailCut>), JournalError> {
    let read_error = |error| FileError::new(FileAction::Read, path, error);
    let mut reader = BufReader::with_capacity(COPY_CHUNK, file);
    reader
        .seek(SeekFrom::Start(header_len))
        .map_err(read_error)?;
    let mut entries: Vec<EntryLocation> = Vec::new();
    let mut payload = Vec::new();
    let mut offset = header_len;
    while offset < file_len {
        let frame = read_frame(&mut reader, offset, file_len, &mut payload).map_err(read_error)?;
        let (damage, next) = match frame {
            Frame::Incomplete => (EntryDamage::Incomplete, file_len),
            Frame::Complete {
                len,
                checksum_matches: false,
            } => (EntryDamage::ChecksumMismatch, offset + len),
            Frame::Complete {
                len,
                checksum_matches: true,
            } => match check_payload(&payload, entries.last()) {
                Ok(diff_serials) => {
                    entries.push(EntryLocation {
                        offset,
                        len,
                        from: diff_serials.0,
                        to: diff_serials.1,
                    });
                    offset += len;
                    continue;
                }
                Err(damage) => (damage, offset + len),
            },
        };
        // Count the intact entries after the damaged one, for the report;
        // they go too, since the chain through them is broken.
        let mut entries_cut = 1;
        let mut position = next;
        while position < file_len {
            match read_frame(&mut reader, position, file_len, &mut payload).map_err(read_error)? {
                Frame::Complete {
                    len,
                    checksum_matches: true,
                } => {
                    entries_cut += 1;
                    position += len;
                }
                _ => break,
            }
        }
        let cut = TailCut {
            offset,
            bytes: file_len - offset,
            entries: entries_cut,
            damage,
        };
        return Ok((entries, Some(cut)));
    }
    Ok((entries, None))
}

/// Decodes a checksummed payload and checks that it continues the chain;
/// returns its `from` and `to`.
fn check_payload(
    payload: &[u8],
    previous: Option<&EntryLocation>,
) -> Result<(Serial, Serial), EntryDamage> {
    let diff = decode_payload(payload).map_err(EntryDamage::Undecodable)?;
    if !diff.to.is_newer_than(diff.from) {
        return Err(EntryDamage::SerialNotNewer {
            from: diff.from,
            to: diff.to,
        });
    }
    if let Some(previous) = previous
        && previous.to != diff.from
    {
        return Err(EntryDamage::ChainBreak {
            expected: previous.to,
            found: diff.from,
        });
    }
    Ok((diff.from, diff.to))
}

/// Encodes `diff` as a whole entry: length, checksum, payload.
fn encode_frame(diff: &Diff) -> Result<Vec<u8>, JournalError> {
    let too_large = |bytes: u64| JournalError::EntryTooLarge {
        bytes,
        max_bytes: u32::MAX as u64,
    };
    let removed = u32::try_from(diff.removed.len()).map_err(|_| too_large(u64::MAX))?;
    let added = u32::try_from(diff.added.len()).map_err(|_| too_large(u64::MAX))?;
    let mut frame = vec![0u8; FRAME_HEADER_LEN as usize];
    frame.extend_from_slice(&diff.from.0.to_be_bytes());
    frame.extend_from_slice(&diff.to.0.to_be_bytes());
    frame.extend_from_slice(&diff.changed_at.to_be_bytes());
    frame.extend_from_slice(&removed.to_be_bytes());
    frame.extend_from_slice(&added.to_be_bytes());
    for record in diff.removed.iter().chain(&diff.added) {
        record_encoding::encode_record(record, &mut frame)?;
    }
    let payload_len = frame.len() - FRAME_HEADER_LEN as usize;
    let length = u32::try_from(payload_len).map_err(|_| too_large(frame.len() as u64))?;
    frame[..4].copy_from_slice(&length.to_be_bytes());
    let mut checksum = Crc32::new();
    checksum.update(&frame[..4]);
    checksum.update(&frame[FRAME_HEADER_LEN as usize..]);
    frame[4..8].copy_from_slice(&checksum.finish().to_be_bytes());
    Ok(frame)
}

/// Checks and decodes one whole entry held in memory.
fn decode_frame(frame: &[u8]) -> Result<Diff, EntryDamage> {
    let header_len = FRAME_HEADER_LEN as usize;
    let head = frame.get(..header_len).ok_or(EntryDamage::Incomplete)?;
    let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let stored = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    let payload = &frame[header_len..];
    if payload.len() != length {
        return Err(EntryDamage::Incomplete);
    }
    let mut checksum = Crc32::new();
    checksum.update(&head[..4]);
    checksum.update(payload);
    if checksum.finish() != stored {
        return Err(EntryDamage::ChecksumMismatch);
    }
    decode_payload(payload).map_err(EntryDamage::Undecodable)
}

/// Decodes a payload; every octet must be used.
fn decode_payload(payload: &[u8]) -> Result<Diff, DecodeError> {
    let mut reader = payload;
    let fields = (|| -> Result<Diff, ReadError> {
        let from = Serial(record_encoding::read_u32(&mut reader)?);
        let to = Serial(record_encoding::read_u32(&mut reader)?);
        let changed_at = record_encoding::read_u64(&mut reader)?;
        let removed_count = record_encoding::read_u32(&mut reader)? as usize;
        let added_count = record_encoding::read_u32(&mut reader)? as usize;
        let removed = read_records(&mut reader, removed_count)?;
        let added = read_records(&mut reader, added_count)?;
        Ok(Diff {
            from,
            to,
            changed_at,
            removed,
            added,
        })
    })();
    let diff = fields.map_err(ReadError::into_decode)?;
    if !reader.is_empty() {
        return Err(DecodeError::TrailingBytes(reader.len()));
    }
    Ok(diff)
}

/// Reads `count` records, reserving no more than the bytes left could hold.
fn read_records(reader: &mut &[u8], count: usize) -> Result<Vec<Record>, ReadError> {
    let mut records = Vec::with_capacity(count.min(reader.len() / MIN_RECORD_LEN));
    for _ in 0..count {
        records.push(record_encoding::read_record(reader)?);
    }
    Ok(records)
}

#[cfg(test)]
mod tests;
