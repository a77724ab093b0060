//! Unix times in civil (proleptic Gregorian, UTC) form: the dates behind
//! date serials (`YYYYMMDDnn`) and the RFC 3339 timestamps that logs, the
//! API and the command-line tools print. Here, in the lowest crate, so
//! every crate above shares one calendar.

/// Seconds in a day (UTC has no leap seconds in Unix time).
pub const SECONDS_PER_DAY: u64 = 86_400;

/// The date `(year, month, day)` of a day counted from 1970-01-01, after
/// Howard Hinnant's `civil_from_days`.
pub fn civil_from_days(days: u64) -> (u64, u32, u32) {
    // Shift the epoch to 0000-03-01 so leap days end each 4-year cycle.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// The date and time of a Unix time: `(year, month, day, hour, minute, second)`.
pub fn civil(unix: u64) -> (u64, u32, u32, u32, u32, u32) {
    let (year, month, day) = civil_from_days(unix / SECONDS_PER_DAY);
    let seconds = (unix % SECONDS_PER_DAY) as u32;
    (
        year,
        month,
        day,
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
    )
}

/// A Unix time as an RFC 3339 timestamp in UTC: `2026-12-07T11:10:05Z`.
pub fn rfc3339(unix: u64) -> String {
    let (year, month, day, hour, minute, second) = civil(unix);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-02-29 12:00 UTC.
    const LEAP_DAY_NOON: u64 = 1_709_208_000;

    #[test]
    fn calendar_dates_are_right_around_leap_days_and_years() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(
            civil_from_days(LEAP_DAY_NOON / SECONDS_PER_DAY),
            (2024, 2, 29)
        );
        assert_eq!(
            civil_from_days(LEAP_DAY_NOON / SECONDS_PER_DAY + 1),
            (2024, 3, 1)
        );
        assert_eq!(civil_from_days(11_322), (2000, 12, 31));
        assert_eq!(civil_from_days(11_323), (2001, 1, 1));
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_622_020), "2026-11-25T15:53:40Z");
        assert_eq!(rfc3339(LEAP_DAY_NOON + 59), "2024-02-29T12:00:59Z");
    }
}
