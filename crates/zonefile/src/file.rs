//! What reading a zone file gives: a [`ZoneFile`] of [`SourcedRecord`]s,
//! each with the `file:line` it was written at.

use wire::{Name, Record};

use crate::diagnostic::Location;

/// A record and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcedRecord {
    /// The record, class IN, RDATA uncompressed.
    pub record: Record,
    /// The file and line of the entry it came from (for `$GENERATE`, the
    /// directive's line).
    pub location: Location,
}

/// The record, for builders that take anything holding one
/// (`zone::Zone::build_from_slice`): no copy of the records is needed.
impl AsRef<Record> for SourcedRecord {
    fn as_ref(&self) -> &Record {
        &self.record
    }
}

/// The records of a zone file, in file order, exact duplicates dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneFile {
    /// The origin the file was read with; [`check`](crate::check()) treats it as the apex.
    pub origin: Name,
    /// The records, in the order they were read (`$INCLUDE`d files in
    /// place). A record equal to an earlier one in owner, type and RDATA is
    /// dropped, as BIND and Knot do, whatever its TTL.
    pub records: Vec<SourcedRecord>,
}
