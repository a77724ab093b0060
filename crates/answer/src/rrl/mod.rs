//! Response Rate Limiting (RRL), as BIND, Knot and NSD do it: a server
//! that answers spoofed UDP queries is a reflector, and a flood of
//! identical responses to one victim is what RRL stops, while the victim's
//! real queries still get through (slipped replies send it to TCP).
//!
//! ```text
//!  reply ─► classify ─► kind (answer, NODATA, NXDOMAIN, referral, error)
//!    │                  + key (qname+qtype, qname, zone, delegation, —)
//!    │  rate for the kind 0, or client exempt ─► send
//!    ▼
//!  account = table[hash(client prefix, kind, key)]   (/24 and /56 by default)
//!    │  +rate credits a second (at most rate), −1 per response,
//!    │  at least −window×rate (BIND's "credit or token bucket")
//!    ▼
//!  balance ≥ 0 ─► send     balance < 0 ─► drop, every slip-th one sent
//!                                         as TC=1 (slip 0: never)
//! ```
//!
//! The table is a fixed array of 64-bit words shared by the UDP workers
//! and updated with a relaxed compare-and-swap ([`bucket`]): no lock, no
//! allocation, nothing formatted on the query path; workers contend only
//! when a flood hits one word. The clock is the caller's (`now`, in Unix
//! seconds), so the accounting is a pure function of its inputs and the
//! table, and testable without waiting. Only UDP replies are limited (a
//! TCP client cannot be spoofed); the transport calls [`Limiter::judge`]
//! for UDP only.

mod bucket;
mod classify;
mod kind;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use classify::{Response, classify, slip_reply};
pub use kind::Kind;

use crate::acl::{MatchList, Requester};
use bucket::{State, Terms};
use classify::{finish, mix};

/// Credits per second per account, by kind; 0 leaves the kind unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rates {
    /// Non-empty answers (`responses_per_second`).
    pub responses: u32,
    /// Empty answers (`nodata_per_second`).
    pub nodata: u32,
    /// NXDOMAIN (`nxdomains_per_second`).
    pub nxdomains: u32,
    /// Referrals (`referrals_per_second`).
    pub referrals: u32,
    /// Errors (`errors_per_second`).
    pub errors: u32,
}

impl Rates {
    /// The rate of `kind`.
    pub fn of(&self, kind: Kind) -> u32 {
        match kind {
            Kind::Answer => self.responses,
            Kind::Nodata => self.nodata,
            Kind::Nxdomain => self.nxdomains,
            Kind::Referral => self.referrals,
            Kind::Error => self.errors,
        }
    }
}

/// How one view limits (the `[rrl]` section, or a view's own).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Credits a second, by kind.
    pub rates: Rates,
    /// Every `slip`th limited response is sent truncated (TC=1) instead
    /// of dropped; 0 never, 1 always (BIND's default is 2).
    pub slip: u8,
    /// Seconds of debt an account may build up (1..=3600, default 15):
    /// how long a flood that stopped stays limited.
    pub window: u32,
    /// IPv4 clients are grouped by this prefix length (default 24).
    pub ipv4_prefix_length: u8,
    /// IPv6 clients are grouped by this prefix length (default 56).
    pub ipv6_prefix_length: u8,
    /// Clients never limited (and never accounted).
    pub exempt: MatchList,
    /// Account and count, but send every response.
    pub log_only: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            rates: Rates::default(),
            slip: 2,
            window: 15,
            ipv4_prefix_length: 24,
            ipv6_prefix_length: 56,
            exempt: MatchList::default(),
            log_only: false,
        }
    }
}

impl Settings {
    /// Whether any kind is limited.
    pub fn is_active(&self) -> bool {
        Kind::ALL.iter().any(|&k| self.rates.of(k) > 0)
    }
}

/// What happens to a limited response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Not sent.
    Dropped,
    /// Sent truncated (TC=1), so a real client retries over TCP.
    Slipped,
    /// Sent as it is: the limiter is in `log_only` mode.
    Logged,
}

impl Action {
    /// Every action, in counter order.
    pub const ALL: [Action; 3] = [Action::Dropped, Action::Slipped, Action::Logged];

    /// Its name in metrics.
    pub fn name(self) -> &'static str {
        match self {
            Action::Dropped => "dropped",
            Action::Slipped => "slipped",
            Action::Logged => "logged",
        }
    }
}

/// A response over its rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    /// Its kind.
    pub kind: Kind,
    /// What to do with it.
    pub action: Action,
    /// Its account was not in debt before this response: the client's
    /// prefix starts being limited for this response (a log line).
    pub started: bool,
}

/// Limited responses counted by kind and action, for the metrics; shared
/// by every view's limiter and kept across reloads. Written only when a
/// response is limited, so the query path of the unlimited never touches
/// them.
#[derive(Debug, Default)]
pub struct Counters {
    counts: [[AtomicU64; 3]; 5],
}

impl Counters {
    /// Limited responses of `kind` that met `action`.
    pub fn get(&self, kind: Kind, action: Action) -> u64 {
        self.counts[kind.index()][action as usize].load(Ordering::Relaxed)
    }

    fn add(&self, kind: Kind, action: Action) {
        self.counts[kind.index()][action as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// One view's limiter: its settings and its table of accounts.
pub struct Limiter {
    settings: Settings,
    buckets: Box<[AtomicU64]>,
    seed: u64,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("settings", &self.settings)
            .field("buckets", &self.buckets.len())
            .finish_non_exhaustive()
    }
}

impl Limiter {
    /// Accounts in a table (512 KiB: fits a core's L2 cache here, and
    /// makes a collision between two busy keys rare).
    pub const BUCKETS: usize = 1 << 16;

    /// A limiter with these settings, counting into `counters`; its hash
    /// seed is random, so which keys share an account cannot be chosen
    /// from outside.
    pub fn new(settings: Settings, counters: Arc<Counters>) -> Limiter {
        use std::hash::{BuildHasher, Hasher};
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Limiter::with_table(settings, counters, seed, Self::BUCKETS)
    }

    /// A limiter with a chosen seed and `buckets` accounts (a power of two;
    /// rounded up), for tests.
    pub fn with_table(
        settings: Settings,
        counters: Arc<Counters>,
        seed: u64,
        buckets: usize,
    ) -> Limiter {
        let buckets = buckets.max(1).next_power_of_two();
        Limiter {
            settings,
            buckets: (0..buckets).map(|_| AtomicU64::new(0)).collect(),
            seed,
            counters,
        }
    }

    /// Its settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Its counters.
    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Accounts `reply`, about to be sent over UDP to `client` at `now`
    /// (Unix seconds), and says what to do with it: `None` to send it as
    /// it is (within its rate, not limited, exempt).
    #[inline]
    pub fn judge(&self, now: u64, client: IpAddr, reply: &[u8]) -> Option<Limited> {
        let response = classify(reply)?;
        self.judge_response(now, client, response)
    }

    /// [`Limiter::judge`] of an already classified response.
    pub fn judge_response(&self, now: u64, client: IpAddr, response: Response) -> Option<Limited> {
        let settings = &self.settings;
        let rate = settings.rates.of(response.kind);
        if rate == 0 {
            return None;
        }
        if !settings.exempt.is_empty()
            && settings.exempt.allows(Requester {
                address: client,
                key: None,
            })
        {
            return None;
        }
        let hash = finish(mix(
            mix(self.seed, self.prefix(client)),
            response.key ^ ((response.kind as u64) << 56),
        ));
        let index = hash as usize & (self.buckets.len() - 1);
        // Never 0: an all-zero word is an unused account.
        let tag = ((hash >> 56) as u8).max(1);
        let terms = Terms {
            rate,
            window: settings.window,
            slip: settings.slip,
        };
        let State::Limited { slip, started } = bucket::debit(&self.buckets[index], tag, now, terms)
        else {
            return None;
        };
        let action = if settings.log_only {
            Action::Logged
        } else if slip {
            Action::Slipped
        } else {
            Action::Dropped
        };
        self.counters.add(response.kind, action);
        Some(Limited {
            kind: response.kind,
            action,
            started,
        })
    }

    /// The client's prefix as one word: the network part of the address
    /// (IPv4-mapped IPv6 counted as IPv4), folded with its family.
    fn prefix(&self, client: IpAddr) -> u64 {
        match client.to_canonical() {
            IpAddr::V4(v4) => {
                let bits = u32::from(v4);
                let length = u32::from(self.settings.ipv4_prefix_length.min(32));
                let network = bits.checked_shr(32 - length).unwrap_or(0);
                (u64::from(network) << 8) | u64::from(length)
            }
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                let length = u32::from(self.settings.ipv6_prefix_length.min(128));
                let network = bits.checked_shr(128 - length).unwrap_or(0);
                mix(
                    mix(network as u64, (network >> 64) as u64),
                    0x600 | u64::from(length),
                )
            }
        }
    }
}

/// The client's network (its address with the host bits cleared) under
/// `settings`, for the log line that says which prefix is limited.
pub fn prefix_of(settings: &Settings, client: IpAddr) -> (IpAddr, u8) {
    match client.to_canonical() {
        IpAddr::V4(v4) => {
            let length = settings.ipv4_prefix_length.min(32);
            let mask = u32::MAX.checked_shl(32 - u32::from(length)).unwrap_or(0);
            (IpAddr::V4((u32::from(v4) & mask).into()), length)
        }
        IpAddr::V6(v6) => {
            let length = settings.ipv6_prefix_length.min(128);
            let mask = u128::MAX.checked_shl(128 - u32::from(length)).unwrap_or(0);
            (IpAddr::V6((u128::from(v6) & mask).into()), length)
        }
    }
}

#[cfg(test)]
mod tests;
