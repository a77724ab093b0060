//! The next SOA serial under a [`SerialPolicy`], from the old serial and
//! the time of the change. Pure: the time is an argument.

use wire::Serial;
use wire::time::{SECONDS_PER_DAY, civil_from_days};

use crate::zones::SerialPolicy;

/// The serial a committed change moves the zone to.
pub(crate) fn next(policy: SerialPolicy, old: Serial, now: u64) -> Serial {
    match policy {
        SerialPolicy::Increment => old + 1,
        SerialPolicy::Date => match first_of_day(now) {
            // Only forward: a serial already at or past today's first
            // (several changes today, or a serial set ahead by hand) keeps
            // counting up; after `YYYYMMDD99` that is `YYYYMMDD99 + 1`, as
            // BIND and PowerDNS do, and tomorrow's first serial is newer
            // again only once the date catches up.
            Some(today) if today.is_newer_than(old) => today,
            _ => old + 1,
        },
        // Unix time, as PowerDNS's SOA-EDIT-API EPOCH; never backwards:
        // two changes in one second, or a clock behind the serial, count
        // up by one instead.
        SerialPolicy::Epoch => match u32::try_from(now).ok().map(Serial) {
            Some(epoch) if epoch.is_newer_than(old) => epoch,
            _ => old + 1,
        },
    }
}

/// The first serial of a zone under `policy`: 1, `YYYYMMDD01`, or the
/// Unix time.
pub(crate) fn initial(policy: SerialPolicy, now: u64) -> Serial {
    match policy {
        SerialPolicy::Increment => Serial(1),
        SerialPolicy::Date => first_of_day(now).unwrap_or(Serial(1)),
        SerialPolicy::Epoch => u32::try_from(now).map_or(Serial(1), Serial),
    }
}

/// `YYYYMMDD01` for the UTC day of `now`, or `None` past the year 42949
/// where it no longer fits in 32 bits.
///
/// The day starts at `01`, not `00`, as PowerDNS's `YYYYMMDD01` and most
/// hand-kept zones do; a zone created today starts there too.
fn first_of_day(now: u64) -> Option<Serial> {
    let (year, month, day) = civil_from_days(now / SECONDS_PER_DAY);
    let serial = (year * 10_000 + u64::from(month) * 100 + u64::from(day)) * 100 + 1;
    u32::try_from(serial).ok().map(Serial)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-02-29 12:00 UTC.
    const LEAP_DAY_NOON: u64 = 1_709_208_000;

    #[test]
    fn epoch_serials_are_the_time_and_never_go_back() {
        let now = LEAP_DAY_NOON;
        assert_eq!(initial(SerialPolicy::Epoch, now), Serial(now as u32));
        assert_eq!(
            next(SerialPolicy::Epoch, Serial(1), now),
            Serial(now as u32)
        );
        // A second change in the same second, or a serial ahead of the clock.
        let at_now = Serial(now as u32);
        assert_eq!(next(SerialPolicy::Epoch, at_now, now), at_now + 1);
        assert_eq!(
            next(SerialPolicy::Epoch, Serial(now as u32 + 50), now),
            Serial(now as u32 + 51)
        );
    }

    #[test]
    fn increment_wraps_as_rfc_1982_says() {
        assert_eq!(
            next(SerialPolicy::Increment, Serial(u32::MAX), 0),
            Serial(0)
        );
        assert_eq!(next(SerialPolicy::Increment, Serial(41), 0), Serial(42));
    }

    #[test]
    fn date_policy_starts_the_day_at_01_and_never_goes_back() {
        let now = LEAP_DAY_NOON;
        let date = SerialPolicy::Date;
        assert_eq!(next(date, Serial(1), now), Serial(2024022901));
        assert_eq!(next(date, Serial(2024011507), now), Serial(2024022901));
        assert_eq!(next(date, Serial(2024022901), now), Serial(2024022902));
        assert_eq!(next(date, Serial(2024022999), now), Serial(2024023000));
        assert_eq!(next(date, Serial(2030010105), now), Serial(2030010106));
        assert_eq!(initial(date, now), Serial(2024022901));
    }
}
