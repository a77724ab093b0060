//! TSIG algorithms (RFC 8945 §6, RFC 4635): their names in configuration
//! and on the wire, and their MAC lengths.

use std::fmt;
use std::str::FromStr;

use crate::name::Name;

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
