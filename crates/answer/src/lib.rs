//! Request bytes in, response bytes out: the part of the query path that
//! knows the protocol and the policy but not the sockets.
//!
//! ```text
//!  bytes ─► wire::request::parse_into ─┬─ drop (runt, QR=1)
//!                                      ├─ FORMERR (malformed)
//!   TSIG present? ─► verify ───────────┼─ NOTAUTH + BADKEY/BADSIG/BADTIME (signed when the RFC says)
//!                                      │
//!   opcode QUERY ──────────────────────┼─ BADVERS / meta types / CHAOS / other classes
//!                                      ├─ AXFR, IXFR ─► transfer.rs: ACL ─► Outcome::Transfer (TCP)
//!                                      └─ query.rs: Catalog::find ─► precompiled (fast) | resolve + encode
//!   opcode NOTIFY ─► notify.rs: zone, ACL ─► Replication::notify_received
//!   other opcodes ─► NOTIMP
//!                                      every reply to a signed request is signed
//! ```
//!
//! [`respond`] is a pure function of the serving state, the request and the
//! client; transports call it from their own threads with their own
//! [`Scratch`], so it takes no lock and, once the scratch buffers have
//! grown, allocates nothing on the query path.

pub mod acl;
mod catalog;
mod chaos;
mod client;
mod notify;
mod outcome;
mod query;
pub mod refusal;
mod reply;
mod respond;
pub mod rrl;
mod served;
pub mod stats;
mod transfer;
pub mod update;
pub mod view;

pub use catalog::{Catalog, Entry};
pub use client::{Client, Scratch};
pub use outcome::{Outcome, TransferTicket};
pub use reply::MIN_UDP_PAYLOAD;
pub use respond::{respond, respond_in_views};
pub use served::{QueryLimit, Replication, Served, Settings, ZonePolicy, ZonePolicyRef};

#[cfg(test)]
mod tests;
