//! Transaction signatures (RFC 8945).
//!
//! A TSIG record at the end of a message carries an HMAC over the message
//! and a few "TSIG variables" (key name, algorithm, time, fudge, error,
//! other data). Each response MAC also covers the MAC it answers, so a
//! response cannot be replayed against another request, and the messages of
//! a zone transfer are chained to each other:
//!
//! ```text
//!  client                                          server
//!  ──────                                          ──────
//!  sign_request(query)                             verify_request(query+TSIG)
//!    MAC₀ = HMAC(query ‖ variables)  ─ query+TSIG ─►  key? MAC? time? truncation?
//!    └► ResponseVerifier                              ├► VerifiedRequest ─► ResponseSigner
//!                                                     └► TsigFailure (FORMERR, or NOTAUTH
//!                                                          with BADKEY/BADSIG unsigned,
//!                                                          BADTIME/BADTRUNC signed)
//!
//!  verify(msg₁) ◄── msg₁+TSIG ── sign(msg₁):  MAC₁ = HMAC(MAC₀ ‖ msg₁ ‖ variables)
//!  verify(msg₂) ◄── msg₂ ─────── pass_unsigned(msg₂)          (AXFR/IXFR only)
//!  verify(msg₃) ◄── msg₃+TSIG ── sign(msg₃):  MAC₃ = HMAC(MAC₁ ‖ msg₂ ‖ msg₃ ‖ timers)
//!  finish()      first and last message signed, at most 99 unsigned in a row (§5.3.1)
//! ```
//!
//! Each MAC in the chain enters the next digest with its two-octet length
//! in front; "msg" in a digest is the message as it was before its TSIG
//! record was added: ARCOUNT one lower and the original ID in the header.
//!
//! Everything here is pure: the caller passes the current time (`now`, Unix
//! seconds) and owns the message buffers. Nothing that arrives from the
//! network can make these functions panic; it can only make them return an
//! error that says what to answer.

mod algorithm;
mod client;
mod digest;
mod key;
mod mac;
mod record;
mod server;

pub use algorithm::{Algorithm, UnknownAlgorithm};
pub use client::{ResponseError, ResponseVerifier, Verified, sign_request};
pub use digest::MAX_UNSIGNED_IN_A_ROW;
pub use key::{Key, KeyError, Keyring};
pub use record::{SignError, TsigFormatError, TsigRecord, find_tsig};
pub use server::{ResponseSigner, TsigFailure, VerifiedRequest, verify_request};

/// The fudge we put in the messages we sign: five minutes of clock skew
/// either way, as RFC 8945 §10 recommends.
pub const DEFAULT_FUDGE: u16 = 300;
