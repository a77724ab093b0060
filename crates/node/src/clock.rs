//! The wall clock, read in one place: TSIG checks, journal times and
//! UPDATE replies take seconds since the Unix epoch.

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A Unix time as an RFC 3339 timestamp in the process's local time zone
/// (`TZ`, else `/etc/localtime`): `2026-12-07T12:10:05+01:00`, or with `Z`
/// where local time is UTC (and when the zone cannot be read). What
/// `hadns ctl` shows people; JSON keeps UTC.
pub fn local_rfc3339(unix: u64) -> String {
    let offset = local_offset(unix).unwrap_or(0);
    if offset == 0 {
        return wire::time::rfc3339(unix);
    }
    let local = unix.saturating_add_signed(offset);
    let (year, month, day, hour, minute, second) = wire::time::civil(local);
    let sign = if offset < 0 { '-' } else { '+' };
    let minutes = offset.unsigned_abs() / 60;
    format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{sign}{:02}:{:02}",
        minutes / 60,
        minutes % 60
    )
}

/// The local time zone's offset from UTC at `unix`, in seconds east.
#[allow(unsafe_code)]
fn local_offset(unix: u64) -> Option<i64> {
    let time: libc::time_t = libc::time_t::try_from(unix).ok()?;
    // SAFETY: `tm` is plain old data for which all-zero bytes are a valid
    // value (its one pointer, `tm_zone`, null). `localtime_r` is the
    // reentrant form: it reads `time` and writes only into `tm`, both of
    // which outlive the call, and shares no static buffer between threads.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: as above; both pointers are to live, aligned locals.
    let result = unsafe { libc::localtime_r(&time, &mut tm) };
    if result.is_null() {
        return None;
    }
    // `c_long` is 32 bits on 32-bit targets; the conversion is not useless there.
    #[allow(clippy::useless_conversion)]
    Some(i64::from(tm.tm_gmtoff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_rfc3339_with_the_zone_offset() {
        // Whatever the machine's zone, the text parses as RFC 3339 and
        // names the same instant as the UTC form.
        let unix = 1_796_000_000;
        let text = local_rfc3339(unix);
        let offset = local_offset(unix).unwrap();
        if offset == 0 {
            assert_eq!(text, wire::time::rfc3339(unix));
        } else {
            let (clock, zone) = text.split_at(19);
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let hours: i64 = zone[1..3].parse().unwrap();
            let minutes: i64 = zone[4..6].parse().unwrap();
            assert_eq!(sign * (hours * 3600 + minutes * 60), offset);
            let shifted = unix.saturating_add_signed(offset);
            assert_eq!(format!("{clock}Z"), wire::time::rfc3339(shifted));
        }
    }
}
