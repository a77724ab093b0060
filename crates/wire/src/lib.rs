//! DNS wire vocabulary for hadns.
//!
//! ```text
//!   bytes ──► request::parse_into ──► Request (header, question, OPT, TSIG offset)
//!   bytes ──► Message::parse ──────► Message (owned records, for transfers and tools)
//!   Record/Name/Rtype ──► Writer ──► bytes (compression, size limit, rollback)
//!   bytes + Keyring ──► tsig::verify_request ──► VerifiedRequest ──► ResponseSigner
//!                                            └─► TsigFailure (RCODE + error TSIG)
//! ```
//!
//! Everything here is pure: no I/O, no clocks (TSIG takes `now` as an
//! argument). `domain` supplies RDATA presentation formats; names, headers,
//! requests and the writer are ours so the query path can run without
//! allocating.

pub mod base64;
pub mod header;
pub mod message;
pub mod name;
pub mod rdata;
pub mod request;
pub mod time;
pub mod tsig;
pub mod types;
pub mod writer;

pub use header::Header;

/// The most records one RRset may hold in the store (API writes, imports)
/// and in what comes from the network (RFC 2136 UPDATE, a transfer in):
/// 4,096, about as many A
/// records as one 64 KiB message can carry. An RRset past it could not be
/// answered whole even over TCP, and huge RRsets are the lever of
/// resource-exhaustion attacks on servers that read or compare them (as
/// in BIND's `max-records-per-type`).
pub const MAX_RECORDS_PER_RRSET: usize = 4096;
pub use message::{Message, Question, Record};
pub use name::{Name, NameError};
pub use types::{Class, Opcode, Rcode, Rtype, Serial, Ttl};
