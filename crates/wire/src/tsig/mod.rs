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

mod client;
mod digest;
mod key;
mod mac;
mod record;
mod server;

use std::fmt;
use std::str::FromStr;

use crate::name::Name;

pub use client::{ResponseError, ResponseVerifier, Verified, sign_request};
pub use key::{Key, KeyError, Keyring};
pub use record::{TsigFormatError, TsigRecord, find_tsig};
pub use server::{ResponseSigner, SignError, TsigFailure, VerifiedRequest, verify_request};

/// The fudge we put in the messages we sign: five minutes of clock skew
/// either way, as RFC 8945 §10 recommends.
pub const DEFAULT_FUDGE: u16 = 300;

/// Most unsigned messages a multi-message response may carry in a row
/// between two signed ones (RFC 8945 §5.3.1: a client "MUST accept up to 99
/// intermediary messages without a TSIG").
pub const MAX_UNSIGNED_IN_A_ROW: usize = 99;

/// A TSIG algorithm, named as in RFC 8945 §6 (and RFC 4635).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `hmac-md5.sig-alg.reg.int.`: BIND's historical default, still what
    /// certbot and many deployments use.
    HmacMd5,
    /// `hmac-sha1.`
    HmacSha1,
    /// `hmac-sha224.`
    HmacSha224,
    /// `hmac-sha256.`: mandatory to implement.
    HmacSha256,
    /// `hmac-sha384.`
    HmacSha384,
    /// `hmac-sha512.`
    HmacSha512,
}

impl Algorithm {
    /// Every algorithm, for help texts.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::HmacMd5,
        Algorithm::HmacSha1,
        Algorithm::HmacSha224,
        Algorithm::HmacSha256,
        Algorithm::HmacSha384,
        Algorithm::HmacSha512,
    ];

    /// The short name used in configuration (`hmac-sha256`).
    pub fn short_name(self) -> &'static str {
        match self {
            Algorithm::HmacMd5 => "hmac-md5",
            Algorithm::HmacSha1 => "hmac-sha1",
            Algorithm::HmacSha224 => "hmac-sha224",
            Algorithm::HmacSha256 => "hmac-sha256",
            Algorithm::HmacSha384 => "hmac-sha384",
            Algorithm::HmacSha512 => "hmac-sha512",
        }
    }

    /// The algorithm name in wire form, lower case (so also canonical).
    pub fn wire_bytes(self) -> &'static [u8] {
        match self {
            Algorithm::HmacMd5 => b"\x08hmac-md5\x07sig-alg\x03reg\x03int\x00",
            Algorithm::HmacSha1 => b"\x09hmac-sha1\x00",
            Algorithm::HmacSha224 => b"\x0bhmac-sha224\x00",
            Algorithm::HmacSha256 => b"\x0bhmac-sha256\x00",
            Algorithm::HmacSha384 => b"\x0bhmac-sha384\x00",
            Algorithm::HmacSha512 => b"\x0bhmac-sha512\x00",
        }
    }

    /// The algorithm name that goes on the wire.
    pub fn wire_name(self) -> Name {
        // The table above holds valid names; the fallback is never taken.
        Name::from_wire(self.wire_bytes()).unwrap_or_else(|_| Name::root())
    }

    /// Recognises an algorithm by its wire name (case-insensitively, as
    /// every name comparison in the DNS).
    pub fn from_wire_name(name: &Name) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.wire_bytes().eq_ignore_ascii_case(name.as_wire()))
    }

    /// Length of the full HMAC output in octets.
    pub fn output_len(self) -> usize {
        match self {
            Algorithm::HmacMd5 => 16,
            Algorithm::HmacSha1 => 20,
            Algorithm::HmacSha224 => 28,
            Algorithm::HmacSha256 => 32,
            Algorithm::HmacSha384 => 48,
            Algorithm::HmacSha512 => 64,
        }
    }

    /// The shortest truncated MAC the protocol allows: the larger of 10
    /// octets and half the HMAC output (RFC 8945 §5.2.2.1). Anything shorter
    /// is a format error, whatever the local policy.
    pub fn minimum_mac_len(self) -> usize {
        (self.output_len() / 2).max(10)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// An algorithm name we do not implement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown TSIG algorithm `{0}` (expected hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 or hmac-sha512)"
)]
pub struct UnknownAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Accepts the short names and the wire names, case-insensitively.
    fn from_str(s: &str) -> Result<Algorithm, UnknownAlgorithm> {
        let lower = s.trim_end_matches('.').to_ascii_lowercase();
        let lower = lower.strip_suffix(".sig-alg.reg.int").unwrap_or(&lower);
        Algorithm::ALL
            .into_iter()
            .find(|a| a.short_name() == lower)
            .ok_or_else(|| UnknownAlgorithm(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_the_short_names() {
        for algorithm in Algorithm::ALL {
            let name = algorithm.wire_name();
            assert!(!name.is_root());
            let text = name.to_string();
            assert_eq!(text.parse::<Algorithm>(), Ok(algorithm), "{text}");
            let upper: Name = text.to_ascii_uppercase().parse().unwrap();
            assert_eq!(Algorithm::from_wire_name(&upper), Some(algorithm));
        }
        assert_eq!(
            Algorithm::HmacMd5.wire_name().to_string(),
            "hmac-md5.sig-alg.reg.int."
        );
        assert_eq!(
            Algorithm::from_wire_name(&"hmac-md5.".parse().unwrap()),
            None
        );
    }

    #[test]
    fn minimum_mac_lengths_follow_the_rfc() {
        let minimums: Vec<usize> = Algorithm::ALL.map(Algorithm::minimum_mac_len).into();
        assert_eq!(minimums, [10, 10, 14, 16, 24, 32]);
    }
}
