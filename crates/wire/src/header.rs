//! The twelve-octet message header (RFC 1035 §4.1.1, RFC 2535 §6.1 for AD/CD).

use crate::types::{Opcode, Rcode};

/// Length of the header on the wire.
pub const HEADER_LEN: usize = 12;

/// Header flag bits within the second and third octets.
pub mod flags {
    /// Query (0) or response (1).
    pub const QR: u16 = 0x8000;
    /// Authoritative answer.
    pub const AA: u16 = 0x0400;
    /// Truncated.
    pub const TC: u16 = 0x0200;
    /// Recursion desired.
    pub const RD: u16 = 0x0100;
    /// Recursion available.
    pub const RA: u16 = 0x0080;
    /// The reserved Z bit.
    pub const Z: u16 = 0x0040;
    /// Authentic data (RFC 4035).
    pub const AD: u16 = 0x0020;
    /// Checking disabled (RFC 4035).
    pub const CD: u16 = 0x0010;
}

/// A decoded header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Header {
    /// Message ID.
    pub id: u16,
    /// The sixteen bits of flags, opcode and rcode.
    pub bits: u16,
    /// Entries in the question section.
    pub qdcount: u16,
    /// Records in the answer section.
    pub ancount: u16,
    /// Records in the authority section.
    pub nscount: u16,
    /// Records in the additional section.
    pub arcount: u16,
}

impl Header {
    /// Reads the header at the start of `message`; `None` if it is shorter
    /// than twelve octets.
    pub fn parse(message: &[u8]) -> Option<Header> {
        if message.len() < HEADER_LEN {
            return None;
        }
        let word = |i: usize| u16::from_be_bytes([message[i], message[i + 1]]);
        Some(Header {
            id: word(0),
            bits: word(2),
            qdcount: word(4),
            ancount: word(6),
            nscount: word(8),
            arcount: word(10),
        })
    }

    /// The wire form.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..2].copy_from_slice(&self.id.to_be_bytes());
        out[2..4].copy_from_slice(&self.bits.to_be_bytes());
        out[4..6].copy_from_slice(&self.qdcount.to_be_bytes());
        out[6..8].copy_from_slice(&self.ancount.to_be_bytes());
        out[8..10].copy_from_slice(&self.nscount.to_be_bytes());
        out[10..12].copy_from_slice(&self.arcount.to_be_bytes());
        out
    }

    /// Whether a flag from [`flags`] is set.
    pub fn flag(&self, flag: u16) -> bool {
        self.bits & flag != 0
    }

    /// Sets or clears a flag from [`flags`].
    pub fn set_flag(&mut self, flag: u16, on: bool) {
        if on {
            self.bits |= flag;
        } else {
            self.bits &= !flag;
        }
    }

    /// The OPCODE.
    pub fn opcode(&self) -> Opcode {
        Opcode(((self.bits >> 11) & 0x0F) as u8)
    }

    /// Sets the OPCODE.
    pub fn set_opcode(&mut self, opcode: Opcode) {
        self.bits = (self.bits & !0x7800) | (((opcode.0 & 0x0F) as u16) << 11);
    }

    /// The four header bits of the RCODE.
    pub fn rcode(&self) -> Rcode {
        Rcode(self.bits & 0x000F)
    }

    /// Sets the four header bits of the RCODE (the rest go in the OPT record).
    pub fn set_rcode(&mut self, rcode: Rcode) {
        self.bits = (self.bits & !0x000F) | rcode.header_bits() as u16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let mut h = Header {
            id: 0xBEEF,
            qdcount: 1,
            ..Header::default()
        };
        h.set_flag(flags::QR, true);
        h.set_flag(flags::AA, true);
        h.set_opcode(Opcode::NOTIFY);
        h.set_rcode(Rcode::BADVERS);
        let bytes = h.to_bytes();
        let back = Header::parse(&bytes).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.opcode(), Opcode::NOTIFY);
        assert_eq!(back.rcode(), Rcode(0)); // BADVERS's low bits are zero
        assert!(back.flag(flags::AA) && !back.flag(flags::TC));
    }
}
