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
pub use message::{Message, Question, Record};
pub use name::{Name, NameError};
pub use types::{Class, Opcode, Rcode, Rtype, Serial, Ttl};
