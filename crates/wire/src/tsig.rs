//! Transaction signatures (RFC 8945).

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

    /// The algorithm name that goes on the wire.
    pub fn wire_name(self) -> Name {
        let text = match self {
            Algorithm::HmacMd5 => "hmac-md5.sig-alg.reg.int.",
            other => {
                return Name::from_text(&format!("{}.", other.short_name()), None)
                    .unwrap_or_else(|_| Name::root());
            }
        };
        Name::from_text(text, None).unwrap_or_else(|_| Name::root())
    }

    /// Recognises an algorithm by its wire name.
    pub fn from_wire_name(name: &Name) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.wire_name() == *name)
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
