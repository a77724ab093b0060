//! The wall clock, read in one place: TSIG checks, journal times and
//! UPDATE replies take seconds since the Unix epoch.

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
