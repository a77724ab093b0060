//! The life of a secondary zone, decided without I/O or clock reads: the
//! driver asks [`Secondary::next_step`] what to do at `now`, does it, and
//! reports the outcome back.
//!
//! ```text
//!                 NOTIFY or refresh timer
//!   ┌──────────┐ ───────────────────────► ┌─────────────┐  newer serial   ┌──────────────┐
//!   │ Waiting  │                          │ QuerySoa(p) │ ──────────────► │ Transfer(p)  │
//!   └──────────┘ ◄─────────────────────── └─────────────┘                 └──────────────┘
//!        ▲          same serial: refresh        │ no answer: next primary,     │ IXFR failed: AXFR
//!        │          timer from the SOA          │ all failed: retry timer      │ from the same primary;
//!        │                                      ▼                              │ failed: next primary
//!        └───────────────────────────────── success: serial, refresh/expire ◄─┘
//!
//!   expire timer passes without a successful check ─► Expired (SERVFAIL)
//!   until a transfer succeeds; a copy whose timers say it is expired at
//!   start stays expired until then too.
//! ```
//!
//! Beside the timers the machine remembers whether the copy is *behind*
//! ([`Behind`]): from the first time a primary is seen with a newer serial
//! (its SOA answer, or the SOA a NOTIFY carries) until a transfer brings
//! the copy level, or a primary's SOA answer shows it is level after all.
//! `hadns check --max-behind` fails a node behind for too long, which
//! is how a secondary whose transfers keep failing is told apart from one
//! that is merely between a NOTIFY and its transfer.
//!
//! The wall clock may be stepped (NTP, an operator, a restored VM). A step
//! forward reads as time passed, as it must (a node suspended for two
//! weeks has an expired copy). A step back is seen by the next step
//! ([`Secondary::next_step`] remembers the last time it was given) and
//! every scheduled time moves back with the clock, so the zone is neither
//! left unchecked nor served unconfirmed until the clock catches up.
//!
//! Refresh, retry and expire come from the zone's SOA (RFC 1035 §3.3.13),
//! clamped by configured bounds, as BIND and Knot do, so a zone with absurd
//! timers neither hammers its primary nor lingers past reason.

use std::time::{Duration, SystemTime};

use wire::Serial;

use crate::xfr_in::Request;

/// Bounds applied to the SOA timers.
#[derive(Clone, Copy, Debug)]
pub struct TimerBounds {
    /// Refresh interval range.
    pub refresh: (Duration, Duration),
    /// Retry interval range.
    pub retry: (Duration, Duration),
    /// Expire interval range.
    pub expire: (Duration, Duration),
}

impl Default for TimerBounds {
    /// BIND's defaults: refresh 5 min – 4 weeks, retry 1 min – 2 weeks,
    /// expire at least 1 hour (and never less than refresh + retry).
    fn default() -> TimerBounds {
        TimerBounds {
            refresh: (Duration::from_secs(300), Duration::from_secs(28 * 86400)),
            retry: (Duration::from_secs(60), Duration::from_secs(14 * 86400)),
            expire: (
                Duration::from_secs(3600),
                Duration::from_secs(14 * 7 * 86400),
            ),
        }
    }
}

/// Refresh, retry and expire after clamping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timers {
    /// How often to check the primary's serial.
    pub refresh: Duration,
    /// How soon to try again after a failed check.
    pub retry: Duration,
    /// How long a copy may go unconfirmed before it is no longer served.
    pub expire: Duration,
}

impl Timers {
    /// Timers from SOA fields, clamped by `bounds`.
    pub fn from_soa(refresh: u32, retry: u32, expire: u32, bounds: &TimerBounds) -> Timers {
        let clamp = |v: u32, (low, high): (Duration, Duration)| {
            Duration::from_secs(v as u64).clamp(low, high)
        };
        let refresh = clamp(refresh, bounds.refresh);
        let retry = clamp(retry, bounds.retry);
        let expire = clamp(expire, bounds.expire).max(refresh + retry);
        Timers {
            refresh,
            retry,
            expire,
        }
    }
}

/// What the driver should do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Ask primary number `primary` for the zone's SOA.
    QuerySoa {
        /// Index into the primaries.
        primary: usize,
    },
    /// Transfer the zone from primary number `primary`.
    Transfer {
        /// Index into the primaries.
        primary: usize,
        /// AXFR, or IXFR from our serial.
        request: Request,
    },
    /// Nothing until `until` (or a NOTIFY).
    Wait {
        /// When to ask again.
        until: SystemTime,
    },
}

/// Why a check or transfer failed, as far as the state machine cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The primary could not be reached or gave no usable answer.
    Unreachable(String),
    /// An IXFR that could not be used (malformed, does not apply): try AXFR.
    IxfrUnusable(String),
    /// The primary refused us (REFUSED, NOTAUTH, bad TSIG).
    Refused(String),
    /// The primary answered the SOA query with REFUSED. Some primaries
    /// refuse every query for a zone they still transfer (Knot 3.2 for
    /// the catalog zones it generates), so the transfer is tried anyway;
    /// if that is refused too, the check has failed.
    SoaRefused(String),
    /// A transfer that arrived but is not a valid zone.
    Invalid(String),
}

impl Failure {
    fn text(&self) -> &str {
        match self {
            Failure::Unreachable(t)
            | Failure::IxfrUnusable(t)
            | Failure::Refused(t)
            | Failure::SoaRefused(t)
            | Failure::Invalid(t) => t,
        }
    }
}

/// What is pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Nothing,
    /// A SOA check; `restarted` once a NOTIFY restarted it, so that a
    /// stream of NOTIFYs (spoofed or just frequent) cannot keep a check
    /// from ever finishing or failing over.
    QuerySoa {
        primary: usize,
        restarted: bool,
    },
    Transfer {
        primary: usize,
        request: Request,
    },
}

/// State persisted across restarts (with the copy itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Persisted {
    /// Serial of the copy.
    pub serial: Serial,
    /// Next refresh.
    pub next_refresh: SystemTime,
    /// When the copy expires.
    pub expires_at: SystemTime,
    /// Last successful transfer.
    pub last_transfer: Option<SystemTime>,
}

/// The copy is behind its primary: since when, and the newest serial a
/// primary was seen with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Behind {
    /// When a primary was first seen with a serial newer than the copy's
    /// (not persisted: a restarted node starts counting again at its first
    /// check, which comes within moments of the start).
    pub since: SystemTime,
    /// The newest serial seen at a primary meanwhile (RFC 1982 order).
    pub primary_serial: Serial,
}

impl Behind {
    /// How long the copy has been behind at `now` (zero if the clock went
    /// back).
    pub fn duration(&self, now: SystemTime) -> Duration {
        now.duration_since(self.since).unwrap_or_default()
    }
}

/// A read-only picture for status commands.
#[derive(Clone, Debug)]
pub struct Status {
    /// Serial held, if any.
    pub serial: Option<Serial>,
    /// Next scheduled check.
    pub next_refresh: SystemTime,
    /// Expiry of the copy.
    pub expires_at: Option<SystemTime>,
    /// Last successful transfer.
    pub last_transfer: Option<SystemTime>,
    /// Last successful check (SOA query or transfer).
    pub last_check: Option<SystemTime>,
    /// Whether the copy has expired.
    pub expired: bool,
    /// The most recent failure, if the last attempt failed.
    pub last_error: Option<String>,
    /// Current timers.
    pub timers: Timers,
    /// Whether (and since when) a primary has a newer serial than the copy.
    pub behind: Option<Behind>,
    /// A SOA check or a transfer is under way (NSD's "refreshing").
    pub refreshing: bool,
}

/// One secondary zone's refresh logic.
#[derive(Clone, Debug)]
pub struct Secondary {
    primaries: usize,
    bounds: TimerBounds,
    timers: Timers,
    serial: Option<Serial>,
    next_refresh: SystemTime,
    expires_at: Option<SystemTime>,
    pending: Pending,
    /// A NOTIFY arrived while a check was under way: check again after.
    notified: bool,
    last_transfer: Option<SystemTime>,
    last_check: Option<SystemTime>,
    last_error: Option<String>,
    /// A primary has a newer serial than the copy.
    behind: Option<Behind>,
    /// State of the generator that jitters the refresh interval.
    jitter: u64,
    /// The latest `now` [`Secondary::next_step`] was given: a later call
    /// with an earlier time means the clock was stepped back.
    last_now: SystemTime,
}

/// The shortest next refresh after a success, as a fraction of the
/// refresh interval: zones that were checked together (at start, or after
/// a common outage) drift apart instead of querying in lockstep forever.
pub const REFRESH_JITTER_LOW: f64 = 0.9;

impl Secondary {
    /// A zone with `primaries` primaries and, when a copy was persisted, its
    /// serial, timers and timer state. Without a copy the first check is due
    /// at once.
    pub fn new(
        primaries: usize,
        bounds: TimerBounds,
        copy: Option<(Persisted, Timers)>,
        now: SystemTime,
    ) -> Secondary {
        let (serial, next_refresh, expires_at, last_transfer, timers) = match copy {
            Some((p, timers)) => (
                Some(p.serial),
                p.next_refresh,
                Some(p.expires_at),
                p.last_transfer,
                timers,
            ),
            None => (None, now, None, None, Timers::from_soa(0, 0, 0, &bounds)),
        };
        Secondary {
            primaries: primaries.max(1),
            bounds,
            timers,
            serial,
            next_refresh,
            expires_at,
            pending: Pending::Nothing,
            notified: false,
            last_transfer,
            last_check: None,
            last_error: None,
            behind: None,
            // Seeded from the clock: deterministic for a given `now` (tests),
            // and different from zone to zone in practice.
            jitter: now
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
                ^ (primaries as u64).rotate_left(32),
            last_now: now,
        }
    }

    /// The zone now has `primaries` primaries (a reload changed them). A
    /// check or transfer under way names its primary by index; an index
    /// past the new end is read as the last primary, and the next check
    /// starts again from the first.
    pub fn set_primaries(&mut self, primaries: usize) {
        self.primaries = primaries.max(1);
    }

    /// What to do at `now`.
    pub fn next_step(&mut self, now: SystemTime) -> Step {
        self.follow_clock(now);
        match self.pending {
            Pending::QuerySoa { primary, .. } => return Step::QuerySoa { primary },
            Pending::Transfer { primary, request } => return Step::Transfer { primary, request },
            Pending::Nothing => {}
        }
        if self.notified || now >= self.next_refresh {
            self.notified = false;
            self.pending = Pending::QuerySoa {
                primary: 0,
                restarted: false,
            };
            return Step::QuerySoa { primary: 0 };
        }
        let until = match self.expires_at {
            Some(e) if e > now => self.next_refresh.min(e),
            _ => self.next_refresh,
        };
        Step::Wait { until }
    }

    /// Moves every scheduled time back with a clock stepped back: the
    /// intervals still to run stay what they were.
    fn follow_clock(&mut self, now: SystemTime) {
        if let Ok(back) = self.last_now.duration_since(now)
            && !back.is_zero()
        {
            let earlier = |t: SystemTime| t.checked_sub(back).unwrap_or(now);
            self.next_refresh = earlier(self.next_refresh);
            self.expires_at = self.expires_at.map(earlier);
            if let Some(behind) = &mut self.behind {
                behind.since = earlier(behind.since);
            }
        }
        self.last_now = now;
    }

    /// A NOTIFY from an accepted primary (RFC 1996 §3.7: check now, or again
    /// right after the check under way).
    pub fn notify(&mut self, now: SystemTime) {
        match self.pending {
            Pending::Nothing => self.next_refresh = now,
            _ => self.notified = true,
        }
    }

    /// A primary announced `serial` for the zone: the SOA record in the
    /// answer section of its NOTIFY (RFC 1996 §3.7 lets the secondary take
    /// it as a hint). A serial newer than the copy's marks the zone behind
    /// from `now`; an older or equal one says nothing (the SOA check the
    /// NOTIFY starts decides), so a spoofed or stale NOTIFY can at worst
    /// mark the zone behind until that check answers.
    pub fn announced(&mut self, now: SystemTime, serial: Serial) {
        if self.serial.is_none_or(|ours| serial.is_newer_than(ours)) {
            self.saw_newer(now, serial);
        }
    }

    /// A primary has `theirs`, newer than the copy (or there is no copy):
    /// the zone is behind from `now`, unless it already was.
    fn saw_newer(&mut self, now: SystemTime, theirs: Serial) {
        match &mut self.behind {
            Some(behind) => {
                if theirs.is_newer_than(behind.primary_serial) {
                    behind.primary_serial = theirs;
                }
            }
            None => {
                self.behind = Some(Behind {
                    since: now,
                    primary_serial: theirs,
                })
            }
        }
    }

    /// Sets the first check of this run to `at`, earlier or later than
    /// the persisted refresh time: a node that starts checks every zone's
    /// primary, so a copy that missed changes while the node was down is
    /// brought up to date in one round trip rather than at its persisted
    /// refresh time; and overdue zones and zones without a copy, due at
    /// once, are spread like the others instead of all querying at the
    /// first instant. Expiry is untouched: the copy still expires when the
    /// persisted timers say so.
    pub fn first_check_at(&mut self, at: SystemTime) {
        if self.pending == Pending::Nothing {
            self.next_refresh = at;
        }
    }

    /// Whether the SOA check in flight should be abandoned and sent again
    /// at once: a NOTIFY came in meanwhile (RFC 1996 §3.7: the primary
    /// has news now, so waiting out the old query's timeout, perhaps for a
    /// primary that just came back, only delays the transfer). At most
    /// once per check, and the driver keeps the check's time budget, so
    /// NOTIFYs cannot hold a check off forever; later ones are answered by
    /// another check after this one. The check itself stays pending; the
    /// driver asks again.
    pub fn restart_check(&mut self) -> bool {
        match &mut self.pending {
            Pending::QuerySoa { restarted, .. } if self.notified && !*restarted => {
                *restarted = true;
                self.notified = false;
                true
            }
            _ => false,
        }
    }

    /// Forces a transfer now, AXFR (for `retransfer` commands).
    pub fn force_transfer(&mut self) {
        self.pending = Pending::Transfer {
            primary: 0,
            request: Request::Axfr,
        };
    }

    /// The primary's SOA serial, or why it could not be had.
    pub fn soa_answer(&mut self, now: SystemTime, primary: usize, result: Result<Serial, Failure>) {
        match result {
            Ok(theirs) => match self.serial {
                Some(ours) if !theirs.is_newer_than(ours) => {
                    // Up to date (or the primary is behind us: keep ours).
                    // The primary's own word outranks a NOTIFY's hint.
                    self.behind = None;
                    self.succeeded(now);
                }
                Some(ours) => {
                    self.saw_newer(now, theirs);
                    self.pending = Pending::Transfer {
                        primary,
                        request: Request::Ixfr(ours),
                    }
                }
                None => {
                    self.saw_newer(now, theirs);
                    self.pending = Pending::Transfer {
                        primary,
                        request: Request::Axfr,
                    }
                }
            },
            Err(Failure::SoaRefused(reason)) => {
                // IXFR from our serial answers "up to date" with one SOA
                // when nothing changed, so this costs one connection.
                self.last_error = Some(reason);
                self.pending = Pending::Transfer {
                    primary,
                    request: match self.serial {
                        Some(ours) => Request::Ixfr(ours),
                        None => Request::Axfr,
                    },
                };
            }
            Err(failure) => self.failed(now, primary, failure),
        }
    }

    /// A transfer's outcome: the new serial and SOA timers, or a failure.
    pub fn transfer_done(
        &mut self,
        now: SystemTime,
        primary: usize,
        result: Result<(Serial, Timers), Failure>,
    ) {
        match result {
            Ok((serial, timers)) => {
                self.serial = Some(serial);
                self.timers = timers;
                self.last_transfer = Some(now);
                // Level unless a primary was seen meanwhile with a serial
                // newer still (a NOTIFY during the transfer): that one's
                // check follows at once.
                if self
                    .behind
                    .is_some_and(|b| !b.primary_serial.is_newer_than(serial))
                {
                    self.behind = None;
                }
                self.succeeded(now);
            }
            Err(Failure::IxfrUnusable(reason))
                if matches!(
                    self.pending,
                    Pending::Transfer {
                        request: Request::Ixfr(_),
                        ..
                    }
                ) =>
            {
                // RFC 1995 §4 leaves it to us: fall back to AXFR at once.
                self.last_error = Some(reason);
                self.pending = Pending::Transfer {
                    primary,
                    request: Request::Axfr,
                };
            }
            Err(failure) => self.failed(now, primary, failure),
        }
    }

    /// Sets the timers from the SOA of the copy (after a transfer, the
    /// driver passes them in `transfer_done` instead).
    pub fn set_timers(&mut self, timers: Timers) {
        self.timers = timers;
    }

    fn succeeded(&mut self, now: SystemTime) {
        self.pending = Pending::Nothing;
        self.last_check = Some(now);
        self.last_error = None;
        self.next_refresh = now + self.jittered_refresh();
        self.expires_at = Some(now + self.timers.expire);
    }

    /// The refresh interval times a fraction in [`REFRESH_JITTER_LOW`], 1].
    fn jittered_refresh(&mut self) -> Duration {
        // splitmix64: a few operations, good enough to scatter timers.
        self.jitter = self.jitter.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.jitter;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let fraction = (z >> 11) as f64 / (1u64 << 53) as f64;
        self.timers
            .refresh
            .mul_f64(1.0 - (1.0 - REFRESH_JITTER_LOW) * fraction)
    }

    /// Tries the next primary; after the last one, waits the retry interval.
    fn failed(&mut self, now: SystemTime, primary: usize, failure: Failure) {
        self.last_error = Some(failure.text().to_string());
        let next = primary + 1;
        if next < self.primaries {
            // The same check goes on with the next primary: a restart it
            // already had counts.
            let restarted = matches!(
                self.pending,
                Pending::QuerySoa {
                    restarted: true,
                    ..
                }
            );
            self.pending = Pending::QuerySoa {
                primary: next,
                restarted,
            };
        } else {
            self.pending = Pending::Nothing;
            self.next_refresh = now + self.timers.retry;
        }
    }

    /// Whether the copy can no longer be served (or there is none).
    pub fn is_expired(&self, now: SystemTime) -> bool {
        match (self.serial, self.expires_at) {
            (None, _) => true,
            (Some(_), Some(expires)) => now >= expires,
            (Some(_), None) => false,
        }
    }

    /// The serial held.
    pub fn serial(&self) -> Option<Serial> {
        self.serial
    }

    /// What to write next to the copy so a restart resumes the timers.
    pub fn persisted(&self) -> Option<Persisted> {
        Some(Persisted {
            serial: self.serial?,
            next_refresh: self.next_refresh,
            expires_at: self.expires_at?,
            last_transfer: self.last_transfer,
        })
    }

    /// A picture for status commands.
    pub fn status(&self, now: SystemTime) -> Status {
        Status {
            serial: self.serial,
            next_refresh: self.next_refresh,
            expires_at: self.expires_at,
            last_transfer: self.last_transfer,
            last_check: self.last_check,
            expired: self.is_expired(now),
            last_error: self.last_error.clone(),
            timers: self.timers,
            behind: self.behind,
            refreshing: !matches!(self.pending, Pending::Nothing),
        }
    }

    /// The bounds the timers are clamped by.
    pub fn bounds(&self) -> &TimerBounds {
        &self.bounds
    }
}

/// SOA queries a lane (one [`crate::driver::Replicator`]) starts per
/// second at most, across all its secondary zones: after a long outage
/// thousands of zones are due at once, and their primaries should see a
/// steady trickle rather than a burst. BIND's `serial-query-rate` default
/// is 20; 50 catches up 10 000 zones in under three and a half minutes.
pub const SOA_QUERIES_PER_SECOND: u32 = 50;

/// Paces SOA queries to a rate: each query takes the next free slot, one
/// every `1 / rate` seconds (a token bucket holding one token), and waits
/// until then. Driven by `now`; the driver sleeps until the slot.
#[derive(Clone, Debug)]
pub struct QueryPacer<T> {
    interval: Duration,
    next_free: Option<T>,
}

impl<T: crate::notify::Clock> QueryPacer<T> {
    /// A pacer allowing `per_second` queries a second (at least one).
    pub fn new(per_second: u32) -> QueryPacer<T> {
        QueryPacer {
            interval: Duration::from_secs(1) / per_second.max(1),
            next_free: None,
        }
    }

    /// Takes a slot for a query wanted at `now`: returns when it may go
    /// (`now` itself when the rate allows at once).
    pub fn reserve(&mut self, now: T) -> T {
        let at = match self.next_free {
            Some(free) if free > now => free,
            _ => now,
        };
        self.next_free = Some(at.plus(self.interval));
        at
    }
}

#[cfg(test)]
mod tests;
