//! RDATA of the common types read straight from token bytes into wire
//! form, without `domain`'s per-token allocations.
//!
//! This is a shortcut, not a second parser with opinions of its own: it
//! accepts a strict subset of what `domain`'s parsers accept and writes the
//! same octets for it. Whenever the text is anything else — an escape
//! where a number is expected, a TTL unit in a SOA timer, a name with a
//! bad label, too many tokens, the RFC 3597 form — it gives up and the
//! caller runs the `domain` path, which then also produces the error text
//! users and tests see. Tests in this module compare both paths.

use std::net::{Ipv4Addr, Ipv6Addr};

use wire::name::{MAX_LABEL_LEN, MAX_NAME_LEN, unescape};
use wire::{Name, Rtype};

use crate::lexer::{Token, decode_octet};

/// Longest RDATA of a record (a 16-bit length).
const MAX_RDATA_LEN: usize = 65_535;

/// Writes the RDATA of `tokens` for `rtype` to `out` (cleared first) and
/// returns whether it could; `false` leaves the record to `domain`.
pub(crate) fn rdata(rtype: Rtype, tokens: &[Token<'_>], origin: &Name, out: &mut Vec<u8>) -> bool {
    out.clear();
    let done = match rtype.0 {
        1 => address_v4(tokens, out),
        28 => address_v6(tokens, out),
        // NS, CNAME, PTR, DNAME: one name.
        2 | 5 | 12 | 39 => match tokens {
            [target] => push_name(target, origin, out),
            _ => false,
        },
        6 => soa(tokens, origin, out),
        15 => match tokens {
            [preference, exchange] => push_u16(preference, out) && push_name(exchange, origin, out),
            _ => false,
        },
        // TXT and SPF (RFC 4408 §3.1.1: the TXT format).
        16 | 99 => txt(tokens, out),
        33 => match tokens {
            [priority, weight, port, target] => {
                push_u16(priority, out)
                    && push_u16(weight, out)
                    && push_u16(port, out)
                    && push_name(target, origin, out)
            }
            _ => false,
        },
        43 => ds(tokens, out),
        257 => caa(tokens, out),
        _ => false,
    };
    done && out.len() <= MAX_RDATA_LEN
}

/// The token's text when it has no escapes (which `domain` would decode
/// first); such text is what the address parsers read.
fn plain<'t>(token: &'t Token<'_>) -> Option<&'t str> {
    let raw: &[u8] = &token.text;
    if raw.contains(&b'\\') {
        return None;
    }
    std::str::from_utf8(raw).ok()
}

/// A: `domain` parses with `Ipv4Addr::from_str` too.
fn address_v4(tokens: &[Token<'_>], out: &mut Vec<u8>) -> bool {
    let [token] = tokens else { return false };
    match plain(token).map(str::parse::<Ipv4Addr>) {
        Some(Ok(address)) => {
            out.extend_from_slice(&address.octets());
            true
        }
        _ => false,
    }
}

/// AAAA: `domain` parses with `Ipv6Addr::from_str` too.
fn address_v6(tokens: &[Token<'_>], out: &mut Vec<u8>) -> bool {
    let [token] = tokens else { return false };
    match plain(token).map(str::parse::<Ipv6Addr>) {
        Some(Ok(address)) => {
            out.extend_from_slice(&address.octets());
            true
        }
        _ => false,
    }
}

/// SOA with its five numbers in plain seconds (units go the slow way,
/// where they are rewritten).
fn soa(tokens: &[Token<'_>], origin: &Name, out: &mut Vec<u8>) -> bool {
    let [mname, rname, numbers @ ..] = tokens else {
        return false;
    };
    if numbers.len() != 5 || !push_name(mname, origin, out) || !push_name(rname, origin, out) {
        return false;
    }
    numbers
        .iter()
        .all(|token| match decimal(token, u32::MAX.into()) {
            Some(value) => {
                out.extend_from_slice(&(value as u32).to_be_bytes());
                true
            }
            None => false,
        })
}

/// TXT: one character string per token, escapes decoded.
fn txt(tokens: &[Token<'_>], out: &mut Vec<u8>) -> bool {
    if tokens.is_empty() {
        return false;
    }
    for token in tokens {
        let length_at = out.len();
        out.push(0);
        if !push_octets(token, out) {
            return false;
        }
        match u8::try_from(out.len() - length_at - 1) {
            Ok(length) => out[length_at] = length,
            Err(_) => return false,
        }
    }
    true
}

/// DS (RFC 4034 §5.3): key tag, algorithm and digest type in decimal (the
/// mnemonics go the slow way), then the digest in hex, split into tokens
/// anywhere.
fn ds(tokens: &[Token<'_>], out: &mut Vec<u8>) -> bool {
    let [key_tag, algorithm, digest_type, digest @ ..] = tokens else {
        return false;
    };
    if digest.is_empty() || !push_u16(key_tag, out) {
        return false;
    }
    for number in [algorithm, digest_type] {
        match decimal(number, u8::MAX.into()) {
            Some(value) => out.push(value as u8),
            None => return false,
        }
    }
    let mut high: Option<u8> = None;
    for token in digest {
        for &symbol in token.text.iter() {
            let Some(nibble) = (symbol as char).to_digit(16) else {
                return false;
            };
            match high.take() {
                Some(high) => out.push(high << 4 | nibble as u8),
                None => high = Some(nibble as u8),
            }
        }
    }
    high.is_none()
}

/// CAA (RFC 8659 §4.1): flags in decimal, a tag of ASCII letters and
/// digits (a character string on the wire), and the value's octets.
fn caa(tokens: &[Token<'_>], out: &mut Vec<u8>) -> bool {
    let [flags, tag, value] = tokens else {
        return false;
    };
    let Some(flags) = decimal(flags, u8::MAX.into()) else {
        return false;
    };
    let tag: &[u8] = &tag.text;
    if tag.is_empty() || tag.len() > 255 || !tag.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    out.push(flags as u8);
    out.push(tag.len() as u8);
    out.extend_from_slice(tag);
    push_octets(value, out)
}

/// Appends the octets a token stands for, escapes decoded.
fn push_octets(token: &Token<'_>, out: &mut Vec<u8>) -> bool {
    let raw: &[u8] = &token.text;
    let mut pos = 0;
    while pos < raw.len() {
        // Runs without escapes are copied whole.
        let run = raw[pos..]
            .iter()
            .position(|&b| b == b'\\')
            .unwrap_or(raw.len() - pos);
        out.extend_from_slice(&raw[pos..pos + run]);
        pos += run;
        if pos < raw.len() {
            match decode_octet(raw, pos) {
                Ok((octet, next)) => {
                    out.push(octet);
                    pos = next;
                }
                Err(_) => return false,
            }
        }
    }
    true
}

/// A decimal number of ASCII digits only, at most `max`: the numbers
/// `domain` reads digit by digit (it also takes an empty token as 0, which
/// is left to it).
fn decimal(token: &Token<'_>, max: u64) -> Option<u64> {
    let raw: &[u8] = &token.text;
    if raw.is_empty() || raw.len() > 20 {
        return None;
    }
    let mut value: u64 = 0;
    for &byte in raw {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
    }
    (value <= max).then_some(value)
}

/// Appends a 16-bit number in network order.
fn push_u16(token: &Token<'_>, out: &mut Vec<u8>) -> bool {
    match decimal(token, u16::MAX.into()) {
        Some(value) => {
            out.extend_from_slice(&(value as u16).to_be_bytes());
            true
        }
        None => false,
    }
}

/// Appends the wire form of a name token, completed with `origin`, as
/// `wire::Name::from_text` reads its presentation form (which is what the
/// `domain` path calls). Non-ASCII octets are left to that path.
pub(crate) fn push_name(token: &Token<'_>, origin: &Name, out: &mut Vec<u8>) -> bool {
    let raw: &[u8] = &token.text;
    let start = out.len();
    match raw {
        [] => return false,
        [b'@'] => {
            out.extend_from_slice(origin.as_wire());
            return true;
        }
        [b'.'] => {
            out.push(0);
            return true;
        }
        _ => {}
    }
    let mut label_start = out.len();
    out.push(0);
    let mut absolute = false;
    let mut i = 0;
    while i < raw.len() {
        let byte = raw[i];
        if !byte.is_ascii() {
            return false;
        }
        match byte {
            b'.' => {
                let length = out.len() - label_start - 1;
                if length == 0 {
                    return false;
                }
                out[label_start] = length as u8;
                if i + 1 == raw.len() {
                    absolute = true;
                } else {
                    label_start = out.len();
                    out.push(0);
                }
                i += 1;
                continue;
            }
            b'\\' => match unescape(&raw[i + 1..]) {
                Ok((octet, used)) => {
                    out.push(octet);
                    i += 1 + used;
                }
                Err(_) => return false,
            },
            _ => {
                out.push(byte);
                i += 1;
            }
        }
        if out.len() - label_start - 1 > MAX_LABEL_LEN {
            return false;
        }
    }
    if absolute {
        out.push(0);
    } else {
        let length = out.len() - label_start - 1;
        if length == 0 {
            return false;
        }
        out[label_start] = length as u8;
        out.extend_from_slice(origin.as_wire());
    }
    out.len() - start <= MAX_NAME_LEN
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::Lexer;

    /// Reads `text` as RDATA of `rtype` both ways: what the fast path
    /// wrote (if it took the text) and what `domain` made of it.
    fn both(rtype: Rtype, text: &str, origin: &Name) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
        let mut lexer = Lexer::new(text.as_bytes(), 1);
        let mut tokens = Vec::new();
        match lexer.next_entry(&mut tokens) {
            Some(Ok(_)) | None => {}
            Some(Err(_)) => return (None, None),
        }
        let mut out = Vec::new();
        let fast = rdata(rtype, &tokens, origin, &mut out).then_some(out);
        let slow = crate::scanner::scan_rdata_with_domain(rtype, &tokens, origin).ok();
        (fast, slow)
    }

    /// The fast path must take `text` and agree with `domain`.
    #[track_caller]
    fn agrees(rtype: Rtype, text: &str) {
        let origin: Name = "example.com.".parse().unwrap();
        let (fast, slow) = both(rtype, text, &origin);
        assert!(fast.is_some(), "fast path refused {rtype} {text:?}");
        assert_eq!(fast, slow, "{rtype} {text:?}");
    }

    /// The fast path must leave `text` to `domain` (which may take it or not).
    #[track_caller]
    fn declines(rtype: Rtype, text: &str) {
        let origin: Name = "example.com.".parse().unwrap();
        let (fast, _) = both(rtype, text, &origin);
        assert!(fast.is_none(), "fast path took {rtype} {text:?}");
    }

    /// Never a different answer: either the fast path declines, or both
    /// paths give the same octets.
    #[track_caller]
    fn consistent(rtype: Rtype, text: &str) {
        let origin: Name = "example.com.".parse().unwrap();
        let (fast, slow) = both(rtype, text, &origin);
        if fast.is_some() {
            assert_eq!(fast, slow, "{rtype} {text:?}");
        }
    }

    #[test]
    fn addresses() {
        agrees(Rtype::A, "192.0.2.1");
        agrees(Rtype::A, "( 192.0.2.1 ) ; comment");
        agrees(Rtype::A, "\"192.0.2.1\"");
        agrees(Rtype::AAAA, "2001:db8::1");
        agrees(Rtype::AAAA, "::ffff:192.0.2.1");
        agrees(Rtype::AAAA, "::");
        for bad in [
            "192.0.2",
            "192.0.2.256",
            "01.2.3.4",
            "1.2.3.4 5",
            "",
            "1\\.2.3.4",
        ] {
            declines(Rtype::A, bad);
        }
        declines(Rtype::A, "\\049.2.3.4");
        declines(Rtype::AAAA, "2001:db8::g");
        declines(Rtype::AAAA, "192.0.2.1");
    }

    #[test]
    fn names() {
        for rtype in [Rtype::NS, Rtype::CNAME, Rtype::PTR, Rtype::DNAME] {
            agrees(rtype, "ns1");
            agrees(rtype, "ns1.example.net.");
            agrees(rtype, "@");
            agrees(rtype, ".");
            agrees(rtype, "a\\.b.c");
            agrees(rtype, "a\\065b");
            agrees(rtype, "\\@");
            agrees(rtype, "*.wild");
            agrees(rtype, "MiXeD.Case.");
            agrees(rtype, "\"quoted.name\"");
            agrees(rtype, &format!("{}.", "a".repeat(63)));
            declines(rtype, &format!("{}.", "a".repeat(64)));
            declines(rtype, &vec!["a".repeat(63); 4].join("."));
            declines(rtype, "a..b");
            declines(rtype, ".a");
            declines(rtype, "a\\256");
            declines(rtype, "a\\25");
            declines(rtype, "two names");
            declines(rtype, "");
        }
        // A relative name that only the origin makes too long.
        let long = vec!["a".repeat(60); 4].join(".");
        consistent(Rtype::NS, &long);
    }

    #[test]
    fn mx_srv_soa() {
        agrees(Rtype::MX, "10 mail");
        agrees(Rtype::MX, "0 .");
        agrees(Rtype::MX, "65535 mail.example.net.");
        agrees(Rtype::MX, "010 mail");
        declines(Rtype::MX, "65536 mail");
        declines(Rtype::MX, "+1 mail");
        declines(Rtype::MX, "-1 mail");
        declines(Rtype::MX, "\"\" mail");
        declines(Rtype::MX, "10");
        declines(Rtype::MX, "10 a b");
        agrees(Rtype::SRV, "0 5 5060 sip.example.com.");
        agrees(Rtype::SRV, "1 2 3 @");
        declines(Rtype::SRV, "1 2 70000 x");
        agrees(
            Rtype::SOA,
            "ns1 hostmaster ( 2024010101 ; serial\n 3600 900 1209600 300 )",
        );
        agrees(Rtype::SOA, "ns1.x. h.x. 4294967295 0 0 0 0");
        declines(Rtype::SOA, "ns1 h 4294967296 1 1 1 1");
        declines(Rtype::SOA, "ns1 h 1 1h 15m 2w 5m");
        declines(Rtype::SOA, "ns1 h 1 1 1 1");
        declines(Rtype::SOA, "ns1 h 1 1 1 1 1 1");
    }

    #[test]
    fn txt() {
        for rtype in [Rtype::TXT, Rtype(99)] {
            agrees(rtype, "\"v=spf1 mx -all\"");
            agrees(rtype, "plain");
            agrees(rtype, "\"two\" \"strings\" three");
            agrees(rtype, "\"\"");
            agrees(rtype, "\"say \\\"hi\\\"\"");
            agrees(rtype, "\"semi; colon\" \\; a\\032b");
            agrees(rtype, "\"caf\u{e9}\"");
            agrees(rtype, "( \"a\"\n \"b\" )");
            agrees(rtype, &format!("\"{}\"", "x".repeat(255)));
            declines(rtype, &format!("\"{}\"", "x".repeat(256)));
            declines(rtype, "\"bad \\256\"");
            declines(rtype, "");
        }
    }

    #[test]
    fn ds_and_caa() {
        agrees(
            Rtype::DS,
            "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
        );
        agrees(
            Rtype::DS,
            "1 8 2 ( 49FD46E6C4B45C55D4AC69CBD3CD3440\n 9E1F8BCA19D2A3AEC0A2BB3AD3C6B0F9 )",
        );
        agrees(Rtype::DS, "65535 255 255 abcdef01");
        agrees(Rtype::DS, "0 013 2 0A");
        declines(Rtype::DS, "1 RSASHA256 2 0A");
        declines(Rtype::DS, "1 8 SHA-256 0A");
        declines(Rtype::DS, "1 8 2 0");
        declines(Rtype::DS, "1 8 2 0G");
        declines(Rtype::DS, "1 8 2");
        declines(Rtype::DS, "1 256 2 0A");
        declines(Rtype::DS, "65536 8 2 0A");
        agrees(Rtype::CAA, "0 issue \"ca.example.net\"");
        agrees(Rtype::CAA, "128 tbs \"Unknown\"");
        agrees(Rtype::CAA, "0 iodef \"mailto:security@example.com\"");
        agrees(Rtype::CAA, "0 issue \";\"");
        agrees(Rtype::CAA, "0 issuewild \"\"");
        agrees(Rtype::CAA, "0 Issue ca.example.net");
        agrees(Rtype::CAA, "0 issue \"a\\\"b\\059c\"");
        declines(Rtype::CAA, "0 is-sue \"x\"");
        declines(Rtype::CAA, "256 issue \"x\"");
        declines(Rtype::CAA, "0 issue");
        declines(Rtype::CAA, "0 issue \"x\" y");
        declines(Rtype::CAA, "0 issue \"bad \\256\"");
    }

    /// Every type the fast path knows, fed arbitrary short texts, must not
    /// disagree with `domain`.
    #[test]
    fn never_disagrees_on_odd_input() {
        let pieces = [
            "0",
            "1",
            "65535",
            "65536",
            "4294967295",
            "a",
            "a.",
            "@",
            ".",
            "\\.",
            "\\0",
            "\\000",
            "\\",
            "\"\"",
            "\" x\"",
            "1.2.3.4",
            "::1",
            "a\\032b",
            "\u{e9}",
            "*",
            "-",
            "1h",
        ];
        let types = [
            Rtype::A,
            Rtype::AAAA,
            Rtype::NS,
            Rtype::CNAME,
            Rtype::PTR,
            Rtype::DNAME,
            Rtype::MX,
            Rtype::TXT,
            Rtype(99),
            Rtype::SRV,
            Rtype::SOA,
            Rtype::DS,
            Rtype::CAA,
        ];
        for rtype in types {
            for a in pieces {
                consistent(rtype, a);
                for b in pieces {
                    consistent(rtype, &format!("{a} {b}"));
                    for c in ["x", "7", "@"] {
                        consistent(rtype, &format!("{a} {b} {b} {c}"));
                        consistent(rtype, &format!("{c} {a} 1 2 3 4 {b}"));
                    }
                }
            }
        }
    }
}
