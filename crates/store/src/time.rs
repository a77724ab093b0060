//! Unix times as the store keeps them: SQLite integers are signed.

/// A Unix time as SQLite stores it (signed 64 bits).
pub(crate) fn sql_time(time: u64) -> i64 {
    i64::try_from(time).unwrap_or(i64::MAX)
}

/// A stored Unix time; a negative one (never written by the store) reads
/// as 0.
pub(crate) fn unix_time(time: i64) -> u64 {
    u64::try_from(time).unwrap_or(0)
}
