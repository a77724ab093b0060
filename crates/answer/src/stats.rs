//! What the query path tells the counters and the query log about each
//! request: the [`Facts`] `respond` leaves in the worker's scratch, and
//! the per-zone counters ([`ZoneCounters`], BIND's `zone-statistics`)
//! every catalog entry carries.
//!
//! Nothing here is shared between workers on the write side: each zone's
//! counters are split into one cache line per *slot* (a UDP worker, or the
//! slot the TCP tasks share), so a hot zone answered by every core does
//! not bounce one line between them. The counters are summed when they
//! are read (a scrape), which is rare.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use wire::{Class, Rcode, Rtype};
use zone::Transport;

/// How many slots new per-zone counters get; set once at start-up by the
/// node (its UDP workers plus one for TCP). Until then, and in tests, one.
static SLOTS: AtomicUsize = AtomicUsize::new(1);

/// Sets the number of counter slots (see the module doc). Zones already
/// in a catalog keep theirs; a slot past the end folds into the last.
pub fn set_counter_slots(slots: usize) {
    SLOTS.store(slots.max(1), Ordering::Relaxed);
}

/// What one request was, for the counters and the query log. Filled by
/// `respond` as soon as the request parses; `parsed` is false for a
/// request that was dropped or answered FORMERR before its question was
/// read.
#[derive(Clone, Copy, Debug, Default)]
pub struct Facts {
    /// The question was read.
    pub parsed: bool,
    /// The opcode (RFC 1035 §4.1.1).
    pub opcode: u8,
    /// The type asked for.
    pub qtype: u16,
    /// The class asked in.
    pub qclass: u16,
    /// End of the question name in the request (it starts at offset 12).
    pub qname_end: u16,
    /// RD was set.
    pub recursion_desired: bool,
    /// CD was set.
    pub checking_disabled: bool,
    /// The request had an OPT record; then `udp_payload` is its size.
    pub edns: bool,
    /// The requestor's UDP payload size (RFC 6891), when `edns`.
    pub udp_payload: u16,
    /// The DO bit (RFC 3225).
    pub dnssec_ok: bool,
    /// The upper 8 bits of a 12-bit extended RCODE the reply carries in
    /// its OPT record (BADVERS); the lower 4 are in the reply's header.
    pub extended_rcode: u8,
    /// The view that answered, on a node with views; `None` when none
    /// admitted the client (REFUSED) or there are no views.
    pub view: Option<u16>,
}

impl Facts {
    /// The reply's full RCODE: the header's 4 bits with the extended ones.
    pub fn rcode(&self, reply: &[u8]) -> u16 {
        let low = reply.get(3).map_or(0, |b| u16::from(b & 0x0F));
        (u16::from(self.extended_rcode) << 4) | low
    }

    /// The question's name in `request` (the request these facts are
    /// of), in wire form; empty when it was not read.
    pub fn qname<'r>(&self, request: &'r [u8]) -> &'r [u8] {
        if !self.parsed {
            return &[];
        }
        let end = usize::from(self.qname_end).min(request.len());
        request.get(12..end).unwrap_or(&[])
    }

    /// The question type, typed.
    pub fn rtype(&self) -> Rtype {
        Rtype(self.qtype)
    }

    /// The question class, typed.
    pub fn class(&self) -> Class {
        Class(self.qclass)
    }
}

/// The RCODEs a zone's counters tell apart; others count as `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneOutcome {
    /// NOERROR with data in the answer section.
    Success,
    /// NOERROR and no answer: NODATA, or a referral.
    NoData,
    /// NXDOMAIN.
    NxDomain,
    /// REFUSED (by a query ACL).
    Refused,
    /// SERVFAIL (no usable copy of the zone).
    ServFail,
    /// Anything else.
    Other,
}

impl ZoneOutcome {
    /// Every outcome, in counter order.
    pub const ALL: [ZoneOutcome; 6] = [
        ZoneOutcome::Success,
        ZoneOutcome::NoData,
        ZoneOutcome::NxDomain,
        ZoneOutcome::Refused,
        ZoneOutcome::ServFail,
        ZoneOutcome::Other,
    ];

    /// The label value in metrics.
    pub fn label(self) -> &'static str {
        match self {
            ZoneOutcome::Success => "success",
            ZoneOutcome::NoData => "nodata",
            ZoneOutcome::NxDomain => "nxdomain",
            ZoneOutcome::Refused => "refused",
            ZoneOutcome::ServFail => "servfail",
            ZoneOutcome::Other => "other",
        }
    }

    /// The outcome of a reply (its header only).
    pub fn of_reply(reply: &[u8]) -> ZoneOutcome {
        let Some(&flags) = reply.get(3) else {
            return ZoneOutcome::Other;
        };
        match Rcode(u16::from(flags & 0x0F)) {
            Rcode::NOERROR => {
                let answers = reply
                    .get(6..8)
                    .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
                if answers > 0 {
                    ZoneOutcome::Success
                } else {
                    ZoneOutcome::NoData
                }
            }
            Rcode::NXDOMAIN => ZoneOutcome::NxDomain,
            Rcode::REFUSED => ZoneOutcome::Refused,
            Rcode::SERVFAIL => ZoneOutcome::ServFail,
            _ => ZoneOutcome::Other,
        }
    }
}

/// One slot's counters for a zone: queries by transport and answers by
/// outcome, in one cache line.
#[derive(Default, Debug)]
#[repr(align(64))]
struct ZoneRow {
    udp: AtomicU64,
    tcp: AtomicU64,
    outcomes: [AtomicU64; 6],
}

/// A zone's query counters, kept across new versions of the zone (a
/// catalog carries them from the entry it replaces).
#[derive(Debug)]
pub struct ZoneCounters {
    rows: Box<[ZoneRow]>,
}

/// A zone's counters summed over every slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZoneTotals {
    /// Queries over UDP.
    pub udp: u64,
    /// Queries over TCP.
    pub tcp: u64,
    /// Answers by outcome, in [`ZoneOutcome::ALL`] order.
    pub outcomes: [u64; 6],
}

impl ZoneCounters {
    /// Fresh counters with the node's number of slots.
    pub fn new() -> Arc<ZoneCounters> {
        let slots = SLOTS.load(Ordering::Relaxed);
        Arc::new(ZoneCounters {
            rows: (0..slots).map(|_| ZoneRow::default()).collect(),
        })
    }

    /// Counts one answered query in `slot`'s line. Every slot but the
    /// last has one writer (its UDP worker), so a relaxed load and store
    /// suffice there: no locked instruction on the query path. The last
    /// is written by the TCP tasks (and any slot past the end) and takes
    /// `fetch_add`.
    #[inline]
    pub fn record(&self, slot: usize, transport: Transport, outcome: ZoneOutcome) {
        let last = self.rows.len() - 1;
        let row = &self.rows[slot.min(last)];
        let queries = match transport {
            Transport::Udp => &row.udp,
            Transport::Tcp => &row.tcp,
        };
        let outcome = &row.outcomes[outcome as usize];
        if slot < last {
            for counter in [queries, outcome] {
                counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
        } else {
            queries.fetch_add(1, Ordering::Relaxed);
            outcome.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counters summed over every slot.
    pub fn totals(&self) -> ZoneTotals {
        let mut totals = ZoneTotals::default();
        for row in self.rows.iter() {
            totals.udp += row.udp.load(Ordering::Relaxed);
            totals.tcp += row.tcp.load(Ordering::Relaxed);
            for (sum, count) in totals.outcomes.iter_mut().zip(&row.outcomes) {
                *sum += count.load(Ordering::Relaxed);
            }
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_summed_and_a_slot_past_the_end_folds_into_the_last() {
        let counters = ZoneCounters {
            rows: (0..2).map(|_| ZoneRow::default()).collect(),
        };
        counters.record(0, Transport::Udp, ZoneOutcome::Success);
        counters.record(1, Transport::Tcp, ZoneOutcome::NxDomain);
        counters.record(7, Transport::Udp, ZoneOutcome::NxDomain);
        let totals = counters.totals();
        assert_eq!((totals.udp, totals.tcp), (2, 1));
        assert_eq!(totals.outcomes, [1, 0, 2, 0, 0, 0]);
    }

    #[test]
    fn reply_headers_map_to_outcomes() {
        let mut reply = [0u8; 12];
        assert_eq!(ZoneOutcome::of_reply(&reply), ZoneOutcome::NoData);
        reply[7] = 1;
        assert_eq!(ZoneOutcome::of_reply(&reply), ZoneOutcome::Success);
        reply[3] = 3;
        assert_eq!(ZoneOutcome::of_reply(&reply), ZoneOutcome::NxDomain);
        reply[3] = 5;
        assert_eq!(ZoneOutcome::of_reply(&reply), ZoneOutcome::Refused);
        reply[3] = 2;
        assert_eq!(ZoneOutcome::of_reply(&reply), ZoneOutcome::ServFail);
        reply[3] = 4;
        assert_eq!(ZoneOutcome::of_reply(&reply), ZoneOutcome::Other);
        assert_eq!(ZoneOutcome::of_reply(&[]), ZoneOutcome::Other);
    }

    #[test]
    fn the_extended_rcode_joins_the_header_bits() {
        let facts = Facts {
            extended_rcode: 1,
            ..Facts::default()
        };
        // BADVERS (16): header 0, extended 1.
        assert_eq!(facts.rcode(&[0, 0, 0x80, 0x00]), 16);
        assert_eq!(Facts::default().rcode(&[0, 0, 0x81, 0x83]), 3);
    }
}
