//! The security log: requests refused for who sent them (failed TSIG,
//! transfer/update/NOTIFY ACLs), logged at `info` with client, zone, key
//! and reason, as BIND's `security` and `xfer-out` categories log them.
//! A flood of refused requests must not become a flood of log lines, so at
//! most [`LINES_PER_SECOND`] are written each second and the rest are
//! counted and reported once the next second opens.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use answer::refusal::Refusal;

/// Lines written per one-second window before the rest are only counted.
pub const LINES_PER_SECOND: u32 = 20;

/// The rate limiter's window.
struct Window {
    opened: Option<Instant>,
    written: u32,
    suppressed: u64,
}

/// Shared by every transport thread; taken only when a request was refused,
/// never on the query path.
static WINDOW: Mutex<Window> = Mutex::new(Window {
    opened: None,
    written: 0,
    suppressed: 0,
});

/// Decides whether a line may be written at `now`; returns how many lines
/// the window just closed suppressed, to be reported first.
fn admit(window: &mut Window, now: Instant) -> (bool, u64) {
    let mut closed_suppressed = 0;
    if window
        .opened
        .is_none_or(|opened| now.duration_since(opened) >= Duration::from_secs(1))
    {
        closed_suppressed = std::mem::take(&mut window.suppressed);
        window.opened = Some(now);
        window.written = 0;
    }
    if window.written < LINES_PER_SECOND {
        window.written += 1;
        (true, closed_suppressed)
    } else {
        window.suppressed += 1;
        (false, closed_suppressed)
    }
}

/// Logs one refused request from `client`.
pub fn refused(client: SocketAddr, refusal: &Refusal) {
    let (write, suppressed) = {
        let mut window = WINDOW
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        admit(&mut window, Instant::now())
    };
    if suppressed > 0 {
        tracing::info!(
            target: "hadns::security",
            suppressed,
            "more refused requests in the last second were not logged"
        );
    }
    if write {
        let key = refusal
            .key
            .as_ref()
            .map_or_else(|| "-".to_string(), ToString::to_string);
        tracing::info!(
            target: "hadns::security",
            %client,
            zone = %refusal.zone,
            %key,
            request = %refusal.asked,
            reason = %refusal.reason,
            "request refused"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_admits_its_quota_then_counts_the_rest() {
        let mut window = Window {
            opened: None,
            written: 0,
            suppressed: 0,
        };
        let start = Instant::now();
        for _ in 0..LINES_PER_SECOND {
            assert_eq!(admit(&mut window, start), (true, 0));
        }
        assert_eq!(admit(&mut window, start), (false, 0));
        assert_eq!(
            admit(&mut window, start + Duration::from_millis(999)),
            (false, 0)
        );
        // The next second opens: the two suppressed lines are reported.
        assert_eq!(
            admit(&mut window, start + Duration::from_secs(1)),
            (true, 2)
        );
        assert_eq!(window.suppressed, 0);
        assert_eq!(window.written, 1);
    }
}
