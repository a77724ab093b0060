//! What a transport passes with each request besides its bytes: who sent
//! it ([`Client`]) and the worker's reusable buffers ([`Scratch`]).

use std::net::SocketAddr;

use zone::{Resolution, Transport};

use crate::refusal::Refusal;
use crate::stats::Facts;

/// Who asked, and how.
#[derive(Clone, Copy, Debug)]
pub struct Client {
    /// Source address and port.
    pub address: SocketAddr,
    /// Transport the request came on.
    pub transport: Transport,
    /// The time, in seconds since the Unix epoch (TSIG time checks).
    pub now: u64,
}

/// Per-worker buffers reused from query to query.
#[derive(Default)]
pub struct Scratch {
    pub(crate) resolution: Resolution,
    pub(crate) refusal: Option<Refusal>,
    /// The counter slot of the worker that owns this scratch (see
    /// [`crate::stats`]).
    pub(crate) slot: usize,
    pub(crate) facts: Facts,
}

impl Scratch {
    /// A scratch for the worker that counts in per-zone counter `slot`:
    /// each UDP worker its own, which no other thread may use (its counts
    /// are written without locked instructions); the TCP tasks share the
    /// last (see [`crate::stats::set_counter_slots`]).
    pub fn for_slot(slot: usize) -> Scratch {
        Scratch {
            slot,
            ..Scratch::default()
        }
    }

    /// What the request just answered was: its question, flags and EDNS
    /// (see [`Facts`]).
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The request just answered, when it was refused for who sent it (a
    /// failed TSIG check, an ACL): for the transport's security log.
    pub fn take_refusal(&mut self) -> Option<Refusal> {
        self.refusal.take()
    }
}
