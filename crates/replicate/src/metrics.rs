//! Process-wide counters of replication traffic: zone transfers in and
//! out by kind and result, their bytes, NOTIFY sent and received. These
//! events are rare next to queries, so plain shared atomics suffice; the
//! node's metrics endpoint reads them with [`snapshot`].

use std::sync::atomic::{AtomicU64, Ordering};

/// Which way a transfer or NOTIFY went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Received (a secondary's transfer in; a NOTIFY to us).
    In = 0,
    /// Sent (a transfer we served; a NOTIFY we sent).
    Out = 1,
}

/// A transfer's kind, as it turned out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A whole zone (RFC 5936).
    Axfr = 0,
    /// Differences (RFC 1995).
    Ixfr = 1,
    /// IXFR answered with just the SOA: the client was up to date.
    UpToDate = 2,
}

/// How it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Completed.
    Ok = 0,
    /// Failed or was stopped.
    Failed = 1,
    /// Refused before it began (too many at once, or the primary said no).
    Refused = 2,
}

/// The label values, by enum value.
pub const DIRECTIONS: [&str; 2] = ["in", "out"];
/// The label values, by enum value.
pub const KINDS: [&str; 3] = ["axfr", "ixfr", "up-to-date"];
/// The label values, by enum value.
pub const OUTCOMES: [&str; 3] = ["ok", "failed", "refused"];

struct Counters {
    transfers: [[[AtomicU64; 3]; 3]; 2],
    transfer_bytes: [AtomicU64; 2],
    notifies: [[AtomicU64; 3]; 2],
}

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const ZERO3: [AtomicU64; 3] = [ZERO, ZERO, ZERO];
#[allow(clippy::declare_interior_mutable_const)]
const ZERO33: [[AtomicU64; 3]; 3] = [ZERO3, ZERO3, ZERO3];

static COUNTERS: Counters = Counters {
    transfers: [ZERO33, ZERO33],
    transfer_bytes: [ZERO, ZERO],
    notifies: [ZERO3, ZERO3],
};

/// Counts one transfer that ended.
pub fn transfer(direction: Direction, kind: Kind, outcome: Outcome) {
    COUNTERS.transfers[direction as usize][kind as usize][outcome as usize]
        .fetch_add(1, Ordering::Relaxed);
}

/// Counts transfer bytes (messages with their TCP length prefixes).
pub fn transfer_bytes(direction: Direction, bytes: u64) {
    COUNTERS.transfer_bytes[direction as usize].fetch_add(bytes, Ordering::Relaxed);
}

/// Counts one NOTIFY: received (`Ok` when it was for a zone we take from
/// that sender, `Refused` otherwise) or sent (`Ok` when acknowledged).
pub fn notify(direction: Direction, outcome: Outcome) {
    COUNTERS.notifies[direction as usize][outcome as usize].fetch_add(1, Ordering::Relaxed);
}

/// The counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Transfers by direction, kind and outcome (indexes as the enums).
    pub transfers: [[[u64; 3]; 3]; 2],
    /// Transfer bytes by direction.
    pub transfer_bytes: [u64; 2],
    /// NOTIFY messages by direction and outcome.
    pub notifies: [[u64; 3]; 2],
}

/// Reads every counter.
pub fn snapshot() -> Snapshot {
    let mut s = Snapshot::default();
    for (d, kinds) in COUNTERS.transfers.iter().enumerate() {
        for (k, outcomes) in kinds.iter().enumerate() {
            for (o, c) in outcomes.iter().enumerate() {
                s.transfers[d][k][o] = c.load(Ordering::Relaxed);
            }
        }
    }
    for (d, c) in COUNTERS.transfer_bytes.iter().enumerate() {
        s.transfer_bytes[d] = c.load(Ordering::Relaxed);
    }
    for (d, outcomes) in COUNTERS.notifies.iter().enumerate() {
        for (o, c) in outcomes.iter().enumerate() {
            s.notifies[d][o] = c.load(Ordering::Relaxed);
        }
    }
    s
}
