//! Wire quantities as newtypes: record types, classes, opcodes, response
//! codes, TTLs and RFC 1982 serial numbers.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use domain::base::iana;

/// A resource record TYPE (RFC 1035 §3.2.2, IANA registry).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Rtype(pub u16);

#[allow(missing_docs)] // The names are the IANA mnemonics.
impl Rtype {
    pub const A: Rtype = Rtype(1);
    pub const NS: Rtype = Rtype(2);
    pub const MD: Rtype = Rtype(3);
    pub const MF: Rtype = Rtype(4);
    pub const CNAME: Rtype = Rtype(5);
    pub const SOA: Rtype = Rtype(6);
    pub const MB: Rtype = Rtype(7);
    pub const MG: Rtype = Rtype(8);
    pub const MR: Rtype = Rtype(9);
    pub const NULL: Rtype = Rtype(10);
    pub const WKS: Rtype = Rtype(11);
    pub const PTR: Rtype = Rtype(12);
    pub const HINFO: Rtype = Rtype(13);
    pub const MINFO: Rtype = Rtype(14);
    pub const MX: Rtype = Rtype(15);
    pub const TXT: Rtype = Rtype(16);
    pub const SPF: Rtype = Rtype(99);
    pub const RP: Rtype = Rtype(17);
    pub const AFSDB: Rtype = Rtype(18);
    pub const SIG: Rtype = Rtype(24);
    pub const KEY: Rtype = Rtype(25);
    pub const PX: Rtype = Rtype(26);
    pub const AAAA: Rtype = Rtype(28);
    pub const NXT: Rtype = Rtype(30);
    pub const SRV: Rtype = Rtype(33);
    pub const NAPTR: Rtype = Rtype(35);
    pub const KX: Rtype = Rtype(36);
    pub const DNAME: Rtype = Rtype(39);
    pub const OPT: Rtype = Rtype(41);
    pub const DS: Rtype = Rtype(43);
    pub const SSHFP: Rtype = Rtype(44);
    pub const RRSIG: Rtype = Rtype(46);
    pub const NSEC: Rtype = Rtype(47);
    pub const DNSKEY: Rtype = Rtype(48);
    pub const NSEC3: Rtype = Rtype(50);
    pub const NSEC3PARAM: Rtype = Rtype(51);
    pub const TLSA: Rtype = Rtype(52);
    pub const CDS: Rtype = Rtype(59);
    pub const CDNSKEY: Rtype = Rtype(60);
    pub const SVCB: Rtype = Rtype(64);
    pub const HTTPS: Rtype = Rtype(65);
    pub const TKEY: Rtype = Rtype(249);
    pub const TSIG: Rtype = Rtype(250);
    pub const IXFR: Rtype = Rtype(251);
    pub const AXFR: Rtype = Rtype(252);
    pub const MAILB: Rtype = Rtype(253);
    pub const MAILA: Rtype = Rtype(254);
    pub const ANY: Rtype = Rtype(255);
    pub const CAA: Rtype = Rtype(257);

    /// Whether the type is a meta-type or question-only type that can never
    /// be stored in a zone (RFC 6895 §3.1: OPT, 128–255).
    pub fn is_meta(self) -> bool {
        self == Rtype::OPT || (128..=255).contains(&self.0)
    }

    /// Whether names inside RDATA of this type may be compressed on output
    /// (RFC 3597 §4: only the types of RFC 1035).
    pub fn rdata_compressible(self) -> bool {
        matches!(self.0, 2..=9 | 12 | 14 | 15)
    }
}

impl fmt::Display for Rtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match iana::Rtype::from_int(self.0).to_mnemonic() {
            Some(m) => f.write_str(std::str::from_utf8(m).unwrap_or("?")),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

impl fmt::Debug for Rtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A type mnemonic that names no known type and is not `TYPEnnn`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record type `{0}`")]
pub struct UnknownRtype(pub String);

impl FromStr for Rtype {
    type Err = UnknownRtype;

    fn from_str(s: &str) -> Result<Rtype, UnknownRtype> {
        if let Some(num) = strip_prefix_ignore_case(s, "TYPE")
            && let Ok(v) = num.parse::<u16>()
        {
            return Ok(Rtype(v));
        }
        // `from_mnemonic` ignores ASCII case itself: no upper-cased copy,
        // which a zone file would make for every record.
        let found = iana::Rtype::from_mnemonic(s.as_bytes());
        match found {
            Some(t) => Ok(Rtype(t.to_int())),
            None => Err(UnknownRtype(s.to_string())),
        }
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() > prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

/// A CLASS (RFC 1035 §3.2.4).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Class(pub u16);

#[allow(missing_docs)] // IANA mnemonics.
impl Class {
    pub const IN: Class = Class(1);
    pub const CH: Class = Class(3);
    pub const HS: Class = Class(4);
    pub const NONE: Class = Class(254);
    pub const ANY: Class = Class(255);
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Class::IN => f.write_str("IN"),
            Class::CH => f.write_str("CH"),
            Class::HS => f.write_str("HS"),
            Class::NONE => f.write_str("NONE"),
            Class::ANY => f.write_str("ANY"),
            Class(v) => write!(f, "CLASS{v}"),
        }
    }
}

impl fmt::Debug for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Class {
    type Err = ();

    /// Parses `IN`, `CH`/`CHAOS`, `HS`/`HESIOD`, `NONE`, `ANY` or `CLASSnnn`.
    fn from_str(s: &str) -> Result<Class, ()> {
        // No upper-cased copy: a zone file asks this for every record's
        // class and type tokens.
        let names = [
            ("IN", Class::IN),
            ("CH", Class::CH),
            ("CHAOS", Class::CH),
            ("HS", Class::HS),
            ("HESIOD", Class::HS),
            ("NONE", Class::NONE),
            ("ANY", Class::ANY),
        ];
        if let Some(&(_, class)) = names.iter().find(|(name, _)| s.eq_ignore_ascii_case(name)) {
            return Ok(class);
        }
        strip_prefix_ignore_case(s, "CLASS")
            .and_then(|n| n.parse().ok())
            .map(Class)
            .ok_or(())
    }
}

/// A header OPCODE (RFC 1035 §4.1.1, RFC 1996, RFC 2136).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Opcode(pub u8);

#[allow(missing_docs)] // IANA mnemonics.
impl Opcode {
    pub const QUERY: Opcode = Opcode(0);
    pub const IQUERY: Opcode = Opcode(1);
    pub const STATUS: Opcode = Opcode(2);
    pub const NOTIFY: Opcode = Opcode(4);
    pub const UPDATE: Opcode = Opcode(5);
}

/// A response code, possibly extended by the OPT record (RFC 6891 §6.1.3).
/// The default is NOERROR.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Rcode(pub u16);

#[allow(missing_docs)] // IANA mnemonics.
impl Rcode {
    pub const NOERROR: Rcode = Rcode(0);
    pub const FORMERR: Rcode = Rcode(1);
    pub const SERVFAIL: Rcode = Rcode(2);
    pub const NXDOMAIN: Rcode = Rcode(3);
    pub const NOTIMP: Rcode = Rcode(4);
    pub const REFUSED: Rcode = Rcode(5);
    pub const YXDOMAIN: Rcode = Rcode(6);
    pub const YXRRSET: Rcode = Rcode(7);
    pub const NXRRSET: Rcode = Rcode(8);
    pub const NOTAUTH: Rcode = Rcode(9);
    pub const NOTZONE: Rcode = Rcode(10);
    pub const BADVERS: Rcode = Rcode(16);
    pub const BADSIG: Rcode = Rcode(16);
    pub const BADKEY: Rcode = Rcode(17);
    pub const BADTIME: Rcode = Rcode(18);
    pub const BADTRUNC: Rcode = Rcode(22);
    pub const BADCOOKIE: Rcode = Rcode(23);

    /// The low four bits, which go in the header.
    pub fn header_bits(self) -> u8 {
        (self.0 & 0x0F) as u8
    }

    /// The high eight bits, which go in the OPT record's TTL field.
    pub fn extended_bits(self) -> u8 {
        (self.0 >> 4) as u8
    }

    /// Whether the code needs an OPT record to be expressed.
    pub fn is_extended(self) -> bool {
        self.0 > 0x0F
    }
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0 => "NOERROR",
            1 => "FORMERR",
            2 => "SERVFAIL",
            3 => "NXDOMAIN",
            4 => "NOTIMP",
            5 => "REFUSED",
            6 => "YXDOMAIN",
            7 => "YXRRSET",
            8 => "NXRRSET",
            9 => "NOTAUTH",
            10 => "NOTZONE",
            16 => "BADVERS",
            17 => "BADKEY",
            18 => "BADTIME",
            22 => "BADTRUNC",
            23 => "BADCOOKIE",
            v => return write!(f, "RCODE{v}"),
        };
        f.write_str(name)
    }
}

/// A time to live in seconds (RFC 2181 §8: 0 ..= 2^31 − 1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct Ttl(pub u32);

impl Ttl {
    /// Largest TTL RFC 2181 §8 allows; larger values are treated as zero
    /// when received, and refused in zone files.
    pub const MAX: Ttl = Ttl(0x7FFF_FFFF);
}

impl fmt::Display for Ttl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A TTL text that is neither a number nor a BIND unit string (`1h30m`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TtlError {
    /// Not digits with optional `s m h d w` units.
    #[error("`{0}` is not a TTL (expected seconds or units such as 1h30m)")]
    Syntax(String),
    /// Larger than 2^31 − 1 seconds (RFC 2181 §8).
    #[error("TTL `{0}` is larger than 2147483647 seconds")]
    TooLarge(String),
}

impl FromStr for Ttl {
    type Err = TtlError;

    /// Parses seconds (`3600`) or BIND-style units (`1h`, `2w1d`, `1H30M`).
    fn from_str(s: &str) -> Result<Ttl, TtlError> {
        let syntax = || TtlError::Syntax(s.to_string());
        if s.is_empty() {
            return Err(syntax());
        }
        let mut total: u64 = 0;
        let mut current: Option<u64> = None;
        let mut saw_unit = false;
        for c in s.chars() {
            if let Some(d) = c.to_digit(10) {
                let v = current.unwrap_or(0) * 10 + d as u64;
                if v > u32::MAX as u64 * 10 {
                    return Err(TtlError::TooLarge(s.to_string()));
                }
                current = Some(v);
                continue;
            }
            let factor = match c.to_ascii_lowercase() {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 604_800,
                _ => return Err(syntax()),
            };
            let v = current.take().ok_or_else(syntax)?;
            total += v * factor;
            // Stop before many terms ("9999999999w9999999999w…") can
            // overflow the sum; each term alone fits easily.
            if total > Ttl::MAX.0 as u64 {
                return Err(TtlError::TooLarge(s.to_string()));
            }
            saw_unit = true;
        }
        if let Some(v) = current {
            // BIND accepts a trailing bare number after units ("1h30") as seconds.
            let _ = saw_unit;
            total += v;
        }
        if total > Ttl::MAX.0 as u64 {
            return Err(TtlError::TooLarge(s.to_string()));
        }
        Ok(Ttl(total as u32))
    }
}

/// A zone serial number with RFC 1982 sequence-space arithmetic.
///
/// `PartialOrd` follows RFC 1982 §3.2: two serials exactly 2^31 apart are
/// not comparable, so `partial_cmp` returns `None` for them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Serial(pub u32);

impl std::ops::Add<u32> for Serial {
    type Output = Serial;

    /// Adds `n` (at most 2^31 − 1) with wrap-around (RFC 1982 §3.1).
    fn add(self, n: u32) -> Serial {
        debug_assert!(n <= 0x7FFF_FFFF);
        Serial(self.0.wrapping_add(n))
    }
}

impl Serial {
    /// Whether `self` is newer than `other` in RFC 1982 terms.
    pub fn is_newer_than(self, other: Serial) -> bool {
        self.partial_cmp(&other) == Some(Ordering::Greater)
    }
}

impl PartialOrd for Serial {
    fn partial_cmp(&self, other: &Serial) -> Option<Ordering> {
        let (i1, i2) = (self.0, other.0);
        if i1 == i2 {
            return Some(Ordering::Equal);
        }
        let diff = i2.wrapping_sub(i1);
        if diff == 0x8000_0000 {
            None
        } else if diff < 0x8000_0000 {
            Some(Ordering::Less)
        } else {
            Some(Ordering::Greater)
        }
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!("3600".parse::<Ttl>().unwrap(), Ttl(3600));
        assert_eq!("1h".parse::<Ttl>().unwrap(), Ttl(3600));
        assert_eq!("2w1d".parse::<Ttl>().unwrap(), Ttl(15 * 86_400));
        assert_eq!("1H30M".parse::<Ttl>().unwrap(), Ttl(5400));
        assert_eq!(
            "1d2h3m4s".parse::<Ttl>().unwrap(),
            Ttl(86_400 + 7200 + 180 + 4)
        );
        assert!("h".parse::<Ttl>().is_err());
        assert!("1x".parse::<Ttl>().is_err());
        assert!("".parse::<Ttl>().is_err());
        assert!(matches!(
            "2147483648".parse::<Ttl>(),
            Err(TtlError::TooLarge(_))
        ));
        assert!(matches!(
            "99999999999999".parse::<Ttl>(),
            Err(TtlError::TooLarge(_))
        ));
        let many_terms = "42949672950w".repeat(6000);
        assert!(matches!(
            many_terms.parse::<Ttl>(),
            Err(TtlError::TooLarge(_))
        ));
    }

    #[test]
    fn rtype_text() {
        assert_eq!("a".parse::<Rtype>().unwrap(), Rtype::A);
        assert_eq!("TYPE65534".parse::<Rtype>().unwrap(), Rtype(65534));
        assert_eq!("https".parse::<Rtype>().unwrap(), Rtype::HTTPS);
        assert_eq!(Rtype(65534).to_string(), "TYPE65534");
        assert_eq!(Rtype::NSEC3PARAM.to_string(), "NSEC3PARAM");
        assert!("BOGUS".parse::<Rtype>().is_err());
    }

    #[test]
    fn serial_arithmetic_follows_rfc1982() {
        assert!(Serial(1).is_newer_than(Serial(0)));
        assert!(Serial(0).is_newer_than(Serial(u32::MAX)));
        assert!(!Serial(u32::MAX).is_newer_than(Serial(0)));
        assert_eq!(Serial(0).partial_cmp(&Serial(0x8000_0000)), None);
        assert!(Serial(0x7FFF_FFFF).is_newer_than(Serial(0)));
        assert_eq!(Serial(u32::MAX) + 2, Serial(1));
    }

    proptest::proptest! {
        #[test]
        fn serial_order_is_antisymmetric(a: u32, b: u32) {
            let (x, y) = (Serial(a), Serial(b));
            proptest::prop_assert_eq!(x.partial_cmp(&y), y.partial_cmp(&x).map(Ordering::reverse));
        }

        #[test]
        fn adding_makes_newer(a: u32, n in 1u32..0x7FFF_FFFF) {
            proptest::prop_assert!((Serial(a) + n).is_newer_than(Serial(a)));
        }
    }
}
