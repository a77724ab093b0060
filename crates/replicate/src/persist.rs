//! The persisted copy of a secondary zone and its refresh timers, so that a
//! restarted secondary serves its last transfer at once and resumes its
//! SOA schedule where it stopped, instead of asking every primary for
//! everything again.
//!
//! ```text
//!  <data_dir>/zones/<stem>.zone     zone dump (binary, below)
//!  <data_dir>/zones/<stem>.timers   timers (text, below)
//!  <data_dir>/zones/<stem>.jnl      IXFR journal (crate::journal)
//!
//!  zone dump
//!  ┌──────────┬─────────────┬──────────────────┬────────────┬──────────┬────────────────────┬───────────┐
//!  │"HADNSZON"│ version u16 │ apex (wire form) │ serial u32 │ records… │ record count u64   │ crc32 u32 │
//!  └──────────┴─────────────┴──────────────────┴────────────┴──────────┴────────────────────┴───────────┘
//!    checksum covers every octet before it ───────────────────────────────────────────────┘
//!
//!  timers
//!    # hadns zone timers: unix seconds; rewritten by hadns
//!    format = 1
//!    serial = 2024060101
//!    last_refresh = 1717236000
//!    next_refresh = 1717239600
//!    expires_at = 1718445600
//!    last_transfer = 1717236000     (absent if never)
//!    primary = 192.0.2.1:53         (absent if unknown)
//! ```
//!
//! Integers in the dump are big-endian; records use the encoding of
//! [`crate::record_encoding`]. The record count sits at the end so the
//! dump can be streamed out in one pass from a zone snapshot, without
//! collecting the records first.
//!
//! Both files are replaced atomically ([`crate::durable`]): written to
//! `<file>.tmp`, synced, renamed over the old file, and the directory
//! synced. A crash leaves the old file or the new one; a leftover `.tmp`
//! is ignored by readers and overwritten by the next write. A dump is
//! checked whole before anything is returned: a damaged one is an error,
//! never half loaded.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use wire::{Name, Record, Rtype, Serial};

use crate::crc32::Crc32;
use crate::durable::{self, FileAction, FileError};
use crate::record_encoding::{self, DecodeError, EncodeError, ReadError};

/// The first eight octets of every zone dump.
const MAGIC: &[u8; 8] = b"HADNSZON";
/// The zone dump format this build reads and writes.
pub const DUMP_FORMAT_VERSION: u16 = 1;
/// The timers format this build reads and writes.
pub const TIMERS_FORMAT_VERSION: u32 = 1;
/// Record count and checksum after the records.
const TRAILER_LEN: u64 = 8 + 4;
/// Buffer size for streaming dumps: few system calls, little memory.
const DUMP_BUFFER: usize = 256 * 1024;
/// A timers file is a few hundred octets; anything this large is not one.
const MAX_TIMERS_LEN: u64 = 64 * 1024;
/// Longest stem [`zone_file_stem`] returns, leaving room under the usual
/// 255-octet file name limit for suffixes such as `.timers.tmp`.
pub const MAX_STEM_LEN: usize = 200;
/// How much of a too-long stem is kept in front of its hash.
const STEM_PREFIX_LEN: usize = 180;

/// A zone as read back from its dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneDump {
    /// The zone's apex.
    pub apex: Name,
    /// The serial of the dumped version (that of its SOA record).
    pub serial: Serial,
    /// Every record, in the order written.
    pub records: Vec<Record>,
}

/// The refresh state of a secondary zone, kept across restarts.
///
/// Times are Unix seconds; the state machine that owns them works in
/// whatever clock it likes and converts at this boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneTimers {
    /// Serial of the copy on disk.
    pub serial: Serial,
    /// Last successful SOA check or transfer.
    pub last_refresh: u64,
    /// When the next SOA check is due (REFRESH, or RETRY after a failure).
    pub next_refresh: u64,
    /// When the copy stops being served unless refreshed: the last
    /// successful refresh plus the SOA EXPIRE (RFC 1035 §3.3.13).
    pub expires_at: u64,
    /// Last successful transfer, if there has been one.
    pub last_transfer: Option<u64>,
    /// The primary last transferred from (an address or a configured name),
    /// so it can be tried first.
    pub primary: Option<String>,
}

/// The files a zone keeps under a data directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneFiles {
    /// `<data_dir>/zones/<stem>.zone`: the dump.
    pub zone: PathBuf,
    /// `<data_dir>/zones/<stem>.timers`: the timers.
    pub timers: PathBuf,
    /// `<data_dir>/zones/<stem>.jnl`: the IXFR journal.
    pub journal: PathBuf,
}

impl ZoneFiles {
    /// The paths for zone `apex` under `data_dir`, named by
    /// [`zone_file_stem`].
    pub fn in_data_dir(data_dir: &Path, apex: &Name) -> ZoneFiles {
        let directory = data_dir.join("zones");
        let stem = zone_file_stem(apex);
        ZoneFiles {
            zone: directory.join(format!("{stem}.zone")),
            timers: directory.join(format!("{stem}.timers")),
            journal: directory.join(format!("{stem}.jnl")),
        }
    }
}

/// Why a dump's contents do not form the zone its header names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DumpProblem {
    /// A record lies outside the zone.
    #[error("record {owner} is outside the zone")]
    OutOfZone {
        /// The stray owner.
        owner: Name,
    },
    /// No SOA record at the apex.
    #[error("no SOA record at the apex")]
    NoSoa,
    /// More than one SOA record at the apex.
    #[error("more than one SOA record at the apex")]
    MultipleSoa,
    /// The apex SOA's RDATA does not have the SOA layout.
    #[error("the SOA record is malformed")]
    BadSoa,
    /// The apex SOA has another serial than the dump claims.
    #[error("the dump claims serial {claimed} but its SOA has {found}")]
    SerialMismatch {
        /// The serial given for the dump.
        claimed: Serial,
        /// The serial in the SOA record.
        found: Serial,
    },
}

/// What is wrong on one line of a timers file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimersProblem {
    /// Not `key = value`, a comment, or blank.
    #[error("expected `key = value`")]
    MissingEquals,
    /// A key this format does not have.
    #[error("unknown key `{0}`")]
    UnknownKey(String),
    /// A key given twice.
    #[error("key `{0}` given twice")]
    DuplicateKey(String),
    /// A value that is not a decimal number in range.
    #[error("`{key}` must be a whole number, not `{value}`")]
    BadNumber {
        /// The key.
        key: String,
        /// The value found.
        value: String,
    },
    /// A format version this build does not read.
    #[error("format {0} is not supported (this build reads {TIMERS_FORMAT_VERSION})")]
    UnsupportedFormat(String),
}

/// Why a zone dump or a timers file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// The operating system refused a file operation.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file does not start with the zone dump magic.
    #[error("{} is not a hadns zone dump", path.display())]
    NotAZoneDump {
        /// The file.
        path: PathBuf,
    },
    /// A dump of a format this build does not know.
    #[error("zone dump {} has format version {version}, this build reads {DUMP_FORMAT_VERSION}", path.display())]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        version: u16,
    },
    /// The file is too short to hold even an empty dump.
    #[error("zone dump {} is truncated ({len} octets)", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: u64,
    },
    /// The contents do not decode: truncated or damaged.
    #[error("zone dump {} is damaged: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What failed to decode.
        reason: DecodeError,
    },
    /// The checksum does not match the contents.
    #[error("zone dump {} is damaged: checksum {stored:#010x} stored, {computed:#010x} computed", path.display())]
    ChecksumMismatch {
        /// The file.
        path: PathBuf,
        /// The checksum in the file.
        stored: u32,
        /// The checksum of the contents.
        computed: u32,
    },
    /// The trailer's count disagrees with the records present.
    #[error("zone dump {} is damaged: it counts {stored} records but holds {found}", path.display())]
    RecordCountMismatch {
        /// The file.
        path: PathBuf,
        /// The count in the trailer.
        stored: u64,
        /// The records decoded.
        found: u64,
    },
    /// The records do not form the zone the dump names (on read), or the
    /// records given do not match the apex and serial (on write; the old
    /// dump is then left in place).
    #[error("zone dump {} is inconsistent: {problem}", path.display())]
    Inconsistent {
        /// The file.
        path: PathBuf,
        /// What does not fit.
        problem: DumpProblem,
    },
    /// A record cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A line of a timers file is wrong.
    #[error("timers file {} line {line}: {problem}", path.display())]
    TimersLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: TimersProblem,
    },
    /// A timers file lacks a required key.
    #[error("timers file {} has no `{key}`", path.display())]
    TimersMissingKey {
        /// The file.
        path: PathBuf,
        /// The missing key.
        key: &'static str,
    },
    /// A timers file that is not UTF-8 text of a plausible size.
    #[error("timers file {} is not a timers file (not short UTF-8 text)", path.display())]
    TimersNotText {
        /// The file.
        path: PathBuf,
    },
    /// A primary the timers format cannot hold: empty, with a line break,
    /// or with spaces at either end.
    #[error("primary {0:?} cannot be written to a timers file")]
    UnwritablePrimary(String),
}

/// Writes a dump of zone `apex` at `serial` to `path`, atomically.
///
/// `records` is streamed to disk through a buffer, so a snapshot's
/// [`zone::Zone::records`] (or a slice of records) can be passed directly.
/// They must be the zone's: every owner at or below `apex`, and exactly one
/// SOA at the apex, with serial `serial`. Otherwise, or on any I/O error,
/// nothing replaces the old dump.
pub fn write_zone<R: std::borrow::Borrow<Record>>(
    path: &Path,
    apex: &Name,
    serial: Serial,
    records: impl IntoIterator<Item = R>,
) -> Result<(), PersistError> {
    prepare_zone(path, apex, serial, records)?.commit()
}

/// A dump written and synced beside its target, not yet in place: made by
/// [`prepare_zone`], put in place by [`PreparedZone::commit`]. Dropped
/// uncommitted, it leaves the old dump as it was.
pub struct PreparedZone {
    replacement: durable::Replacement,
    path: PathBuf,
}

impl PreparedZone {
    /// Renames the new dump over the old one and syncs the directory.
    pub fn commit(self) -> Result<(), PersistError> {
        self.replacement.rename()?;
        durable::sync_parent_directory(&self.path)?;
        Ok(())
    }
}

/// Writes a dump like [`write_zone`] into a temporary file and syncs it,
/// leaving the old dump in place until [`PreparedZone::commit`]. A
/// secondary writes the dump while it builds the snapshot, and commits
/// only once the snapshot proved the zone good.
pub fn prepare_zone<R: std::borrow::Borrow<Record>>(
    path: &Path,
    apex: &Name,
    serial: Serial,
    records: impl IntoIterator<Item = R>,
) -> Result<PreparedZone, PersistError> {
    let inconsistent = |problem| PersistError::Inconsistent {
        path: path.to_path_buf(),
        problem,
    };
    let (replacement, ()) = durable::Replacement::prepare(path, |file, temporary| {
        let write_error = |error| FileError::new(FileAction::Write, temporary, error);
        let mut out = ChecksumWriter {
            inner: BufWriter::with_capacity(DUMP_BUFFER, file),
            checksum: Crc32::new(),
        };
        out.write_all(MAGIC).map_err(write_error)?;
        out.write_all(&DUMP_FORMAT_VERSION.to_be_bytes())
            .map_err(write_error)?;
        out.write_all(apex.as_wire()).map_err(write_error)?;
        out.write_all(&serial.0.to_be_bytes())
            .map_err(write_error)?;
        let mut check = ZoneCheck::new(apex, serial);
        let mut encoded = Vec::with_capacity(512);
        let mut count: u64 = 0;
        for record in records {
            let record = record.borrow();
            check.observe(record).map_err(inconsistent)?;
            encoded.clear();
            record_encoding::encode_record(record, &mut encoded)?;
            out.write_all(&encoded).map_err(write_error)?;
            count += 1;
        }
        check.finish().map_err(inconsistent)?;
        out.write_all(&count.to_be_bytes()).map_err(write_error)?;
        let checksum = out.checksum.finish();
        out.inner
            .write_all(&checksum.to_be_bytes())
            .map_err(write_error)?;
        out.inner.flush().map_err(write_error)?;
        Ok::<(), PersistError>(())
    })?;
    Ok(PreparedZone {
        replacement,
        path: path.to_path_buf(),
    })
}

/// Reads and checks the dump at `path`.
///
/// Refuses, with an error naming the file and the fault, anything that is
/// not a complete dump of this format whose checksum, record count, owners
/// and SOA serial all agree.
pub fn read_zone(path: &Path) -> Result<ZoneDump, PersistError> {
    let file = File::open(path).map_err(|error| FileError::new(FileAction::Open, path, error))?;
    let file_len = file
        .metadata()
        .map_err(|error| FileError::new(FileAction::Read, path, error))?
        .len();
    let truncated = || PersistError::Truncated {
        path: path.to_path_buf(),
        len: file_len,
    };
    let failed = |error: ReadError| match error {
        ReadError::Decode(reason) => PersistError::Corrupt {
            path: path.to_path_buf(),
            reason,
        },
        ReadError::Io(error) => FileError::new(FileAction::Read, path, error).into(),
    };
    let mut reader = ChecksumReader {
        inner: BufReader::with_capacity(DUMP_BUFFER, file),
        checksum: Crc32::new(),
    };
    if file_len < MAGIC.len() as u64 {
        return Err(truncated());
    }
    let mut magic = [0u8; 8];
    record_encoding::read_exact_or_truncated(&mut reader, &mut magic).map_err(failed)?;
    if &magic != MAGIC {
        return Err(PersistError::NotAZoneDump {
            path: path.to_path_buf(),
        });
    }
    let version = record_encoding::read_u16(&mut reader).map_err(failed)?;
    if version != DUMP_FORMAT_VERSION {
        return Err(PersistError::UnsupportedVersion {
            path: path.to_path_buf(),
            version,
        });
    }
    let apex = record_encoding::read_name(&mut reader).map_err(failed)?;
    let serial = Serial(record_encoding::read_u32(&mut reader).map_err(failed)?);
    let header_len = (MAGIC.len() + 2 + apex.wire_len() + 4) as u64;
    let records_len = file_len
        .checked_sub(header_len + TRAILER_LEN)
        .ok_or_else(truncated)?;

    let mut check = ZoneCheck::new(&apex, serial);
    // The first inconsistency is reported only once the checksum has
    // passed: damage should read as damage, not as a strange zone.
    let mut problem = None;
    let mut records = Vec::new();
    let mut section = (&mut reader).take(records_len);
    while section.limit() > 0 {
        let record = record_encoding::read_record(&mut section).map_err(failed)?;
        if problem.is_none() {
            problem = check.observe(&record).err();
        }
        records.push(record);
    }
    let stored_count = record_encoding::read_u64(&mut reader).map_err(failed)?;
    let computed = reader.checksum.finish();
    let stored = record_encoding::read_u32(&mut reader.inner).map_err(failed)?;
    if stored != computed {
        return Err(PersistError::ChecksumMismatch {
            path: path.to_path_buf(),
            stored,
            computed,
        });
    }
    if stored_count != records.len() as u64 {
        return Err(PersistError::RecordCountMismatch {
            path: path.to_path_buf(),
            stored: stored_count,
            found: records.len() as u64,
        });
    }
    if let Some(problem) = problem.or_else(|| check.finish().err()) {
        return Err(PersistError::Inconsistent {
            path: path.to_path_buf(),
            problem,
        });
    }
    Ok(ZoneDump {
        apex,
        serial,
        records,
    })
}

/// Writes `timers` to `path` as text, atomically.
pub fn write_timers(path: &Path, timers: &ZoneTimers) -> Result<(), PersistError> {
    let mut text = String::from("# hadns zone timers: unix seconds; rewritten by hadns\n");
    // Writing to a String cannot fail.
    let _ = writeln!(text, "format = {TIMERS_FORMAT_VERSION}");
    let _ = writeln!(text, "serial = {}", timers.serial.0);
    let _ = writeln!(text, "last_refresh = {}", timers.last_refresh);
    let _ = writeln!(text, "next_refresh = {}", timers.next_refresh);
    let _ = writeln!(text, "expires_at = {}", timers.expires_at);
    if let Some(last_transfer) = timers.last_transfer {
        let _ = writeln!(text, "last_transfer = {last_transfer}");
    }
    if let Some(primary) = &timers.primary {
        let writable = !primary.is_empty()
            && primary.trim() == primary
            && !primary.chars().any(char::is_control);
        if !writable {
            return Err(PersistError::UnwritablePrimary(primary.clone()));
        }
        let _ = writeln!(text, "primary = {primary}");
    }
    durable::replace(path, |file, temporary| {
        file.write_all(text.as_bytes())
            .map_err(|error| FileError::new(FileAction::Write, temporary, error))
    })?;
    Ok(())
}

/// Reads the timers file at `path`.
///
/// Blank lines and `#` comments are ignored; every other line is
/// `key = value`. Unknown or repeated keys are errors, so a typo made by
/// hand is caught rather than ignored.
pub fn read_timers(path: &Path) -> Result<ZoneTimers, PersistError> {
    let file = File::open(path).map_err(|error| FileError::new(FileAction::Open, path, error))?;
    let mut bytes = Vec::new();
    file.take(MAX_TIMERS_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| FileError::new(FileAction::Read, path, error))?;
    let not_text = || PersistError::TimersNotText {
        path: path.to_path_buf(),
    };
    if bytes.len() as u64 > MAX_TIMERS_LEN {
        return Err(not_text());
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| not_text())?;

    let mut format: Option<String> = None;
    let mut numbers: [Option<u64>; 5] = [None; 5];
    let mut primary: Option<String> = None;
    for (index, line) in text.lines().enumerate() {
        let line_error = |problem| PersistError::TimersLine {
            path: path.to_path_buf(),
            line: index + 1,
            problem,
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| line_error(TimersProblem::MissingEquals))?;
        let (key, value) = (key.trim(), value.trim());
        let duplicate = || line_error(TimersProblem::DuplicateKey(key.to_string()));
        match key {
            "format" => {
                if format.replace(value.to_string()).is_some() {
                    return Err(duplicate());
                }
                if value != TIMERS_FORMAT_VERSION.to_string() {
                    return Err(line_error(TimersProblem::UnsupportedFormat(
                        value.to_string(),
                    )));
                }
            }
            "primary" => {
                if primary.replace(value.to_string()).is_some() {
                    return Err(duplicate());
                }
            }
            _ => {
                let slot = NUMBER_KEYS
                    .iter()
                    .position(|&known| known == key)
                    .ok_or_else(|| line_error(TimersProblem::UnknownKey(key.to_string())))?;
                let number = parse_number(key, value).map_err(line_error)?;
                if numbers[slot].replace(number).is_some() {
                    return Err(duplicate());
                }
            }
        }
    }
    let missing = |key| PersistError::TimersMissingKey {
        path: path.to_path_buf(),
        key,
    };
    if format.is_none() {
        return Err(missing("format"));
    }
    let required = |slot: usize| numbers[slot].ok_or_else(|| missing(NUMBER_KEYS[slot]));
    Ok(ZoneTimers {
        // `parse_number` keeps `serial` within 32 bits.
        serial: Serial(required(0)? as u32),
        last_refresh: required(1)?,
        next_refresh: required(2)?,
        expires_at: required(3)?,
        last_transfer: numbers[4],
        primary: primary.filter(|value| !value.is_empty()),
    })
}

/// The numeric keys of a timers file, in the order of `numbers` in
/// [`read_timers`]; all but `last_transfer` are required.
const NUMBER_KEYS: [&str; 5] = [
    "serial",
    "last_refresh",
    "next_refresh",
    "expires_at",
    "last_transfer",
];

/// Parses a decimal number; `serial` must also fit in 32 bits.
fn parse_number(key: &str, value: &str) -> Result<u64, TimersProblem> {
    let bad = || TimersProblem::BadNumber {
        key: key.to_string(),
        value: value.to_string(),
    };
    // `u64::from_str` accepts a leading `+`; the format does not.
    if value.is_empty() || !value.bytes().all(|octet| octet.is_ascii_digit()) {
        return Err(bad());
    }
    let number: u64 = value.parse().map_err(|_| bad())?;
    if key == "serial" && number > u32::MAX as u64 {
        return Err(bad());
    }
    Ok(number)
}

/// A file name for zone `apex`, safe on any file system: lower-case
/// labels joined by dots, with every octet outside `[a-z0-9-]` written as
/// `%xx` (a dot inside a label is `%2e`, `*` is `%2a`, `/` is `%2f`), so
/// distinct zones get distinct stems and no stem is a path.
///
/// The root zone is `root`; a zone actually named `root.` is `%72oot`
/// so the two cannot collide. A stem that would exceed [`MAX_STEM_LEN`]
/// keeps its first 180 characters followed by `~` and a 64-bit hash of the
/// whole stem (`~` appears in no other stem).
pub fn zone_file_stem(apex: &Name) -> String {
    if apex.is_root() {
        return "root".to_string();
    }
    let mut stem = String::with_capacity(apex.wire_len());
    for (index, label) in apex.labels().enumerate() {
        if index > 0 {
            stem.push('.');
        }
        for &octet in label {
            let octet = octet.to_ascii_lowercase();
            match octet {
                b'a'..=b'z' | b'0'..=b'9' | b'-' => stem.push(octet as char),
                _ => {
                    let _ = write!(stem, "%{octet:02x}");
                }
            }
        }
    }
    if stem == "root" {
        stem.replace_range(..1, "%72");
    }
    if stem.len() > MAX_STEM_LEN {
        let hash = fnv1a_64(stem.as_bytes());
        // The stem is ASCII, so any byte index is a character boundary.
        stem.truncate(STEM_PREFIX_LEN);
        let _ = write!(stem, "~{hash:016x}");
    }
    stem
}

/// FNV-1a, 64 bits: a fixed, documented hash, so a long zone name maps to
/// the same file in every build.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for &octet in bytes {
        hash ^= octet as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    hash
}

/// Checks that records form the zone a dump claims, one at a time.
struct ZoneCheck<'a> {
    apex: &'a Name,
    serial: Serial,
    soa_seen: bool,
}

impl<'a> ZoneCheck<'a> {
    fn new(apex: &'a Name, serial: Serial) -> ZoneCheck<'a> {
        ZoneCheck {
            apex,
            serial,
            soa_seen: false,
        }
    }

    /// Checks one record.
    fn observe(&mut self, record: &Record) -> Result<(), DumpProblem> {
        if !record.owner.is_subdomain_of(self.apex) {
            return Err(DumpProblem::OutOfZone {
                owner: record.owner.clone(),
            });
        }
        if record.rtype == Rtype::SOA && record.owner == *self.apex {
            if self.soa_seen {
                return Err(DumpProblem::MultipleSoa);
            }
            self.soa_seen = true;
            let found = soa_serial(&record.rdata).ok_or(DumpProblem::BadSoa)?;
            if found != self.serial {
                return Err(DumpProblem::SerialMismatch {
                    claimed: self.serial,
                    found,
                });
            }
        }
        Ok(())
    }

    /// Checks what can only be known at the end.
    fn finish(&self) -> Result<(), DumpProblem> {
        if self.soa_seen {
            Ok(())
        } else {
            Err(DumpProblem::NoSoa)
        }
    }
}

/// The serial of SOA RDATA (RFC 1035 §3.3.13: MNAME, RNAME, five u32s).
fn soa_serial(rdata: &[u8]) -> Option<Serial> {
    let (_, after_mname) = Name::parse_uncompressed(rdata, 0).ok()?;
    let (_, after_rname) = Name::parse_uncompressed(rdata, after_mname).ok()?;
    if rdata.len() != after_rname + 20 {
        return None;
    }
    let serial = rdata.get(after_rname..after_rname + 4)?;
    Some(Serial(u32::from_be_bytes([
        serial[0], serial[1], serial[2], serial[3],
    ])))
}

/// A writer that checksums everything written through it.
struct ChecksumWriter<W> {
    inner: W,
    checksum: Crc32,
}

impl<W: Write> Write for ChecksumWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.checksum.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that checksums everything read through it.
struct ChecksumReader<R> {
    inner: R,
    checksum: Crc32,
}

impl<R: Read> Read for ChecksumReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.checksum.update(&buf[..read]);
        Ok(read)
    }
}

#[cfg(test)]
mod tests;
