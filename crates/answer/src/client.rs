//! What a transport passes with each request besides its bytes: who sent
//! it ([`Client`]) and the worker's reusable buffers ([`Scratch`]).

use std::net::SocketAddr;

use zone::{Resolution, Transport};

use crate::refusal::Refusal;

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
}

impl Scratch {
    /// The request just answered, when it was refused for who sent it (a
    /// failed TSIG check, an ACL): for the transport's security log.
    pub fn take_refusal(&mut self) -> Option<Refusal> {
        self.refusal.take()
    }
}
