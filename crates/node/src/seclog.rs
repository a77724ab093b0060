//! The security log: requests refused for who sent them (failed TSIG,
//! transfer/update/NOTIFY ACLs, no view admitting the client), logged at
//! `info` with client, zone, key and reason, as BIND's `security` and
//! `xfer-out` categories log them; and client prefixes that start being
//! limited by Response Rate Limiting (as BIND's `rate-limit` category).
//!
//! A flood of refused requests (from spoofed sources, say) must become
//! neither a flood of log lines nor a lock the UDP workers queue on: at
//! most [`LINES_PER_SECOND`] lines are written in each one-second window,
//! counted with atomics only; the rest are counted and reported in one line
//! when the window closes — by the next refusal or by [`flush`], which the
//! node calls every second, whichever comes first. RRL lines have a window
//! of their own: a flood from spoofed prefixes is what RRL is for, and its
//! lines must not crowd out the refusals (nor become a flood themselves).

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Instant;

use answer::refusal::Refusal;
use answer::rrl::{self, Limited};

/// Lines written per one-second window before the rest are only counted.
pub const LINES_PER_SECOND: u32 = 20;

/// A one-second window of written and suppressed lines, in atomics.
struct Limiter {
    /// When the window opened, in milliseconds since the process started.
    opened_ms: AtomicU64,
    written: AtomicU32,
    suppressed: AtomicU64,
}

impl Limiter {
    const fn new() -> Limiter {
        Limiter {
            opened_ms: AtomicU64::new(0),
            written: AtomicU32::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// Opens a new window if the current one is a second old; returns how
    /// many lines the closed window suppressed (to be reported once).
    fn roll(&self, now_ms: u64) -> u64 {
        let opened = self.opened_ms.load(Ordering::Relaxed);
        if now_ms.saturating_sub(opened) < 1000 {
            return 0;
        }
        // One thread wins the roll; the others see the new window.
        if self
            .opened_ms
            .compare_exchange(opened, now_ms, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return 0;
        }
        self.written.store(0, Ordering::Relaxed);
        self.suppressed.swap(0, Ordering::Relaxed)
    }

    /// Whether a line may be written at `now_ms`, and what a closed window
    /// suppressed.
    fn admit(&self, now_ms: u64) -> (bool, u64) {
        let closed = self.roll(now_ms);
        if self.written.fetch_add(1, Ordering::Relaxed) < LINES_PER_SECOND {
            (true, closed)
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            (false, closed)
        }
    }
}

static LIMITER: Limiter = Limiter::new();
/// The window of the RRL lines.
static RRL_LIMITER: Limiter = Limiter::new();

/// Milliseconds since the first use of the log (a monotonic clock).
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1000
}

fn report_suppressed(suppressed: u64) {
    if suppressed > 0 {
        tracing::info!(
            target: "hadns::security",
            suppressed,
            "more refused requests in the last window were not logged (at most {LINES_PER_SECOND} lines a second)"
        );
    }
}

fn report_rrl_suppressed(suppressed: u64) {
    if suppressed > 0 {
        tracing::info!(
            target: "hadns::security",
            suppressed,
            "more client prefixes started being rate limited in the last window than were logged (at most {LINES_PER_SECOND} lines a second)"
        );
    }
}

/// Reports what the last window suppressed once it is a second old; the
/// node calls this every second so a flood that stops is still counted.
pub fn flush() {
    let now = now_ms();
    report_suppressed(LIMITER.roll(now));
    report_rrl_suppressed(RRL_LIMITER.roll(now));
}

/// Logs that responses of one kind to `client`'s prefix started being
/// rate limited (RRL): the first limited response of an account, so once
/// per flood and account, not per response. `qname` is the question's
/// name in wire form (the key of answers; NXDOMAIN is keyed by its zone).
pub fn rate_limited(client: SocketAddr, settings: &rrl::Settings, limited: Limited, qname: &[u8]) {
    let (write, suppressed) = RRL_LIMITER.admit(now_ms());
    report_rrl_suppressed(suppressed);
    if !write {
        return;
    }
    let (network, length) = rrl::prefix_of(settings, client.ip());
    let qname = wire::Name::from_wire(qname).map_or_else(|_| "-".to_string(), |n| n.to_string());
    tracing::info!(
        target: "hadns::security",
        %client,
        prefix = %format_args!("{network}/{length}"),
        kind = limited.kind.name(),
        %qname,
        action = if settings.log_only { "would limit (log_only)" } else { "limit" },
        "response rate limiting started for a client prefix"
    );
}

/// Logs one refused request from `client`.
pub fn refused(client: SocketAddr, refusal: &Refusal) {
    let (write, suppressed) = LIMITER.admit(now_ms());
    report_suppressed(suppressed);
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
        let limiter = Limiter::new();
        let start = 5_000;
        for _ in 0..LINES_PER_SECOND {
            assert_eq!(limiter.admit(start), (true, 0));
        }
        assert_eq!(limiter.admit(start), (false, 0));
        assert_eq!(limiter.admit(start + 999), (false, 0));
        // The next second opens: the two suppressed lines are reported once.
        assert_eq!(limiter.admit(start + 1000), (true, 2));
        assert_eq!(limiter.admit(start + 1001), (true, 0));
    }

    #[test]
    fn a_flood_that_stops_is_reported_by_the_flush() {
        let limiter = Limiter::new();
        let start = 5_000;
        for _ in 0..LINES_PER_SECOND + 7 {
            limiter.admit(start);
        }
        // Nothing more arrives; the periodic flush closes the window.
        assert_eq!(limiter.roll(start + 500), 0, "the window is still open");
        assert_eq!(limiter.roll(start + 1000), 7);
        assert_eq!(limiter.roll(start + 2500), 0, "reported once");
    }
}
