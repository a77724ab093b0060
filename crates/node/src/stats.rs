//! Query counters: one [`Counters`] block per *slot* (each UDP worker has
//! its own; the TCP tasks share the last), summed only when read.
//!
//! A UDP worker is the only writer of its block, so its increments are a
//! relaxed load and store of a line no other core writes: no locked
//! instruction, no cache line moving between cores on the query path. The
//! TCP slot is written from several runtime threads and uses `fetch_add`.
//! A scrape reads every block with relaxed loads; a count may be a query
//! behind, never torn (each counter is one aligned word).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use answer::stats::Facts;
use zone::Transport;

/// Question types counted one by one (0‥=258: every assigned type up to
/// CAA and AVC); the rest share the last counter.
pub const QTYPES: usize = 260;
/// RCODEs counted one by one (12-bit extended RCODEs up to BADCOOKIE);
/// the rest share the last counter.
pub const RCODES: usize = 24;
/// Upper bounds of the response-size histogram's buckets, in octets: the
/// sizes that matter to DNS (512 classic UDP, 1232 the DNS flag day's
/// EDNS size, 1500 Ethernet, 4096 the usual EDNS maximum).
pub const SIZE_BUCKETS: [u64; 9] = [64, 128, 256, 512, 1232, 1500, 4096, 16384, 65535];

/// One slot's counters.
#[repr(align(64))]
pub struct Counters {
    /// Whether several threads write this block (the TCP slot).
    shared: bool,
    /// Queries by lane (view; the last entry: no view admitted the
    /// client) and transport (0 UDP, 1 TCP).
    queries: Box<[[AtomicU64; 2]]>,
    qtypes: [AtomicU64; QTYPES],
    opcodes: [AtomicU64; 16],
    rcodes: [AtomicU64; RCODES],
    /// Response sizes by transport: one count per bucket (the last:
    /// larger than every bound), and the sum.
    sizes: [[AtomicU64; SIZE_BUCKETS.len() + 1]; 2],
    size_sums: [AtomicU64; 2],
    truncated: AtomicU64,
    /// Requests that got no reply (runts, replies to us, unparseable).
    dropped: AtomicU64,
    edns: AtomicU64,
    dnssec_ok: AtomicU64,
}

impl Counters {
    fn new(lanes: usize, shared: bool) -> Counters {
        Counters {
            shared,
            queries: (0..=lanes).map(|_| Default::default()).collect(),
            qtypes: std::array::from_fn(|_| AtomicU64::new(0)),
            opcodes: Default::default(),
            rcodes: Default::default(),
            sizes: Default::default(),
            size_sums: Default::default(),
            truncated: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            edns: AtomicU64::new(0),
            dnssec_ok: AtomicU64::new(0),
        }
    }

    #[inline]
    fn add(&self, counter: &AtomicU64, n: u64) {
        if self.shared {
            counter.fetch_add(n, Ordering::Relaxed);
        } else {
            // Only this slot's worker writes here (see the module doc).
            counter.store(
                counter.load(Ordering::Relaxed).wrapping_add(n),
                Ordering::Relaxed,
            );
        }
    }

    /// Counts one request and its reply (`None`: dropped, no reply).
    /// `views` tells whether the node has views (without, every query is
    /// lane 0's).
    #[inline]
    pub fn record(&self, facts: &Facts, transport: Transport, reply: Option<&[u8]>, views: bool) {
        let t = transport_index(transport);
        let Some(reply) = reply else {
            self.add(&self.dropped, 1);
            return;
        };
        let lanes = self.queries.len() - 1;
        let lane = match facts.view {
            Some(v) => usize::from(v).min(lanes - 1),
            None if views => lanes,
            None => 0,
        };
        self.add(&self.queries[lane][t], 1);
        if facts.parsed {
            self.add(&self.qtypes[usize::from(facts.qtype).min(QTYPES - 1)], 1);
            self.add(&self.opcodes[usize::from(facts.opcode & 0x0F)], 1);
            if facts.edns {
                self.add(&self.edns, 1);
            }
            if facts.dnssec_ok {
                self.add(&self.dnssec_ok, 1);
            }
        }
        self.add(
            &self.rcodes[usize::from(facts.rcode(reply)).min(RCODES - 1)],
            1,
        );
        let size = reply.len() as u64;
        let bucket = SIZE_BUCKETS
            .iter()
            .position(|&bound| size <= bound)
            .unwrap_or(SIZE_BUCKETS.len());
        self.add(&self.sizes[t][bucket], 1);
        self.add(&self.size_sums[t], size);
        if reply.len() > 2 && reply[2] & 0x02 != 0 {
            self.add(&self.truncated, 1);
        }
    }
}

fn transport_index(transport: Transport) -> usize {
    match transport {
        Transport::Udp => 0,
        Transport::Tcp => 1,
    }
}

/// Every slot of a node.
pub struct QueryStats {
    slots: Vec<Arc<Counters>>,
    /// The lanes' view names (`None` for the node without views).
    views: Vec<Option<String>>,
}

/// The query counters summed over every slot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryTotals {
    /// Queries by lane (the last: no view admitted the client) and
    /// transport (UDP, TCP).
    pub queries: Vec<[u64; 2]>,
    /// By question type (index = type; the last: larger types).
    pub qtypes: Vec<u64>,
    /// By opcode.
    pub opcodes: [u64; 16],
    /// By RCODE (index = RCODE; the last: larger ones).
    pub rcodes: [u64; RCODES],
    /// Response sizes by transport: counts per [`SIZE_BUCKETS`] bucket,
    /// not cumulative (the last: larger than every bound).
    pub sizes: [[u64; SIZE_BUCKETS.len() + 1]; 2],
    /// Sum of response sizes by transport.
    pub size_sums: [u64; 2],
    /// Truncated (TC) responses.
    pub truncated: u64,
    /// Requests dropped without a reply.
    pub dropped: u64,
    /// Requests with EDNS.
    pub edns: u64,
    /// Requests with the DO bit.
    pub dnssec_ok: u64,
}

impl QueryTotals {
    /// Every query answered, over both transports and every lane.
    pub fn answered(&self) -> u64 {
        self.queries.iter().map(|q| q[0] + q[1]).sum()
    }
}

impl QueryStats {
    /// Counters for `udp_workers` UDP workers and the TCP slot, over the
    /// lanes named `views` (one `None` for a node without views).
    pub fn new(udp_workers: usize, views: Vec<Option<String>>) -> Arc<QueryStats> {
        let lanes = views.len().max(1);
        let mut slots: Vec<_> = (0..udp_workers)
            .map(|_| Arc::new(Counters::new(lanes, false)))
            .collect();
        slots.push(Arc::new(Counters::new(lanes, true)));
        Arc::new(QueryStats { slots, views })
    }

    /// UDP worker `i`'s block (its slot number is `i`).
    pub fn udp_slot(&self, i: usize) -> Arc<Counters> {
        Arc::clone(&self.slots[i.min(self.slots.len() - 1)])
    }

    /// The block the TCP tasks share, and its slot number.
    pub fn tcp_slot(&self) -> (usize, Arc<Counters>) {
        let i = self.slots.len() - 1;
        (i, Arc::clone(&self.slots[i]))
    }

    /// How many slots there are (UDP workers plus one).
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The lanes' view names, in lane order.
    pub fn views(&self) -> &[Option<String>] {
        &self.views
    }

    /// Sums every slot.
    pub fn totals(&self) -> QueryTotals {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let lanes = self.views.len().max(1) + 1;
        let mut t = QueryTotals {
            queries: vec![[0; 2]; lanes],
            qtypes: vec![0; QTYPES],
            ..QueryTotals::default()
        };
        for slot in &self.slots {
            for (sum, lane) in t.queries.iter_mut().zip(slot.queries.iter()) {
                sum[0] += load(&lane[0]);
                sum[1] += load(&lane[1]);
            }
            for (sum, c) in t.qtypes.iter_mut().zip(&slot.qtypes) {
                *sum += load(c);
            }
            for (sum, c) in t.opcodes.iter_mut().zip(&slot.opcodes) {
                *sum += load(c);
            }
            for (sum, c) in t.rcodes.iter_mut().zip(&slot.rcodes) {
                *sum += load(c);
            }
            for (sums, counts) in t.sizes.iter_mut().zip(&slot.sizes) {
                for (sum, c) in sums.iter_mut().zip(counts) {
                    *sum += load(c);
                }
            }
            for (sum, c) in t.size_sums.iter_mut().zip(&slot.size_sums) {
                *sum += load(c);
            }
            t.truncated += load(&slot.truncated);
            t.dropped += load(&slot.dropped);
            t.edns += load(&slot.edns);
            t.dnssec_ok += load(&slot.dnssec_ok);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(qtype: u16, view: Option<u16>) -> Facts {
        Facts {
            parsed: true,
            qtype,
            qclass: 1,
            edns: true,
            udp_payload: 1232,
            view,
            ..Facts::default()
        }
    }

    #[test]
    fn slots_sum_by_lane_type_rcode_and_size() {
        let stats = QueryStats::new(2, vec![Some("in".into()), Some("out".into())]);
        let mut reply = vec![0u8; 100];
        reply[3] = 3; // NXDOMAIN
        stats
            .udp_slot(0)
            .record(&facts(1, Some(1)), Transport::Udp, Some(&reply), true);
        stats
            .udp_slot(1)
            .record(&facts(28, None), Transport::Udp, Some(&reply[..40]), true);
        let (_, tcp) = stats.tcp_slot();
        reply[2] = 0x02; // TC
        reply[3] = 0;
        tcp.record(&facts(257, Some(0)), Transport::Tcp, Some(&reply), true);
        tcp.record(&Facts::default(), Transport::Tcp, None, true);
        let t = stats.totals();
        assert_eq!(t.queries, vec![[0, 1], [1, 0], [1, 0]]);
        assert_eq!((t.qtypes[1], t.qtypes[28], t.qtypes[257]), (1, 1, 1));
        assert_eq!((t.rcodes[0], t.rcodes[3]), (1, 2));
        assert_eq!(t.sizes[0][0], 1, "40 octets: the 64 bucket");
        assert_eq!(t.sizes[0][1], 1, "100 octets: the 128 bucket");
        assert_eq!(t.sizes[1][1], 1);
        assert_eq!(t.size_sums, [140, 100]);
        assert_eq!((t.truncated, t.dropped, t.edns), (1, 1, 3));
        assert_eq!(t.answered(), 3);
    }

    #[test]
    fn without_views_every_query_is_the_first_lanes() {
        let stats = QueryStats::new(1, vec![None]);
        let reply = [0u8; 12];
        stats
            .udp_slot(0)
            .record(&facts(1, None), Transport::Udp, Some(&reply), false);
        assert_eq!(stats.totals().queries, vec![[1, 0], [0, 0]]);
    }
}
