//! RDATA layout knowledge: where the domain names sit inside the RDATA of
//! each type, so that names can be decompressed on input, compressed on
//! output (RFC 1035 types only, RFC 3597 §4), and followed for additional
//! section processing. Presentation format comes from `domain`.

use std::fmt;

use crate::name::{self, MAX_NAME_LEN, NameError};
use crate::types::Rtype;

/// One field of an RDATA layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// A domain name.
    Name,
    /// A fixed number of octets.
    Fixed(usize),
    /// A character string: a length octet and that many octets.
    CharStr,
    /// Everything that is left.
    Rest,
}

use Field::{CharStr, Fixed, Name as N, Rest};

/// Layout of types whose RDATA names may arrive compressed: the RFC 1035
/// types, plus those RFC 3597 §4 says receivers should also decompress.
pub fn decompression_layout(rtype: Rtype) -> Option<&'static [Field]> {
    Some(match rtype {
        Rtype::NS | Rtype::MD | Rtype::MF | Rtype::CNAME | Rtype::MB | Rtype::MG | Rtype::MR | Rtype::PTR => &[N],
        Rtype::DNAME => &[N],
        Rtype::SOA => &[N, N, Fixed(20)],
        Rtype::MINFO | Rtype::RP => &[N, N],
        Rtype::MX | Rtype::AFSDB | Rtype::KX | Rtype(21) /* RT */ => &[Fixed(2), N],
        Rtype::PX => &[Fixed(2), N, N],
        Rtype::SRV => &[Fixed(6), N],
        Rtype::NAPTR => &[Fixed(4), CharStr, CharStr, CharStr, N],
        Rtype::SIG => &[Fixed(18), N, Rest],
        Rtype::NXT => &[N, Rest],
        _ => return None,
    })
}

/// Layout of types whose RDATA names we compress on output (RFC 3597 §4:
/// only the types defined in RFC 1035).
pub fn compression_layout(rtype: Rtype) -> Option<&'static [Field]> {
    if rtype.rdata_compressible() {
        decompression_layout(rtype)
    } else {
        None
    }
}

/// Why RDATA could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdataError {
    /// A name inside the RDATA is malformed.
    #[error("bad name in RDATA: {0}")]
    Name(#[from] NameError),
    /// The RDATA ends before its layout does, or has octets left over.
    #[error("RDATA length does not match its contents")]
    Length,
}

/// Copies RDATA of `rdlen` octets at `start` of `message`, expanding any
/// compressed names, so the result is self-contained.
pub fn decompress(
    message: &[u8],
    start: usize,
    rdlen: usize,
    rtype: Rtype,
) -> Result<Vec<u8>, RdataError> {
    let end = start
        .checked_add(rdlen)
        .filter(|&e| e <= message.len())
        .ok_or(RdataError::Length)?;
    let Some(layout) = decompression_layout(rtype) else {
        return Ok(message[start..end].to_vec());
    };
    let mut out = Vec::with_capacity(rdlen + 16);
    let mut pos = start;
    let mut buf = [0u8; MAX_NAME_LEN];
    for field in layout {
        match *field {
            N => {
                let (len, next) = name::read_compressed(&message[..end], pos, &mut buf)?;
                out.extend_from_slice(&buf[..len]);
                pos = next;
            }
            Fixed(n) => {
                if pos + n > end {
                    return Err(RdataError::Length);
                }
                out.extend_from_slice(&message[pos..pos + n]);
                pos += n;
            }
            CharStr => {
                let len = *message
                    .get(pos)
                    .filter(|_| pos < end)
                    .ok_or(RdataError::Length)? as usize;
                if pos + 1 + len > end {
                    return Err(RdataError::Length);
                }
                out.extend_from_slice(&message[pos..pos + 1 + len]);
                pos += 1 + len;
            }
            Rest => {
                out.extend_from_slice(&message[pos..end]);
                pos = end;
            }
        }
    }
    if pos != end {
        return Err(RdataError::Length);
    }
    Ok(out)
}

/// The name that additional section processing follows for `rtype`
/// (RFC 1034 §4.3.2 step 6, RFC 2782 for SRV): NS and MX, SRV targets.
/// Returns the wire-form name inside the (uncompressed) RDATA.
pub fn additional_target(rtype: Rtype, rdata: &[u8]) -> Option<&[u8]> {
    let offset = match rtype {
        Rtype::NS => 0,
        Rtype::MX => 2,
        Rtype::SRV => 6,
        _ => return None,
    };
    let end = name::validate_uncompressed(rdata, offset).ok()?;
    Some(&rdata[offset..end])
}

/// The single name in CNAME or DNAME RDATA.
pub fn single_name(rdata: &[u8]) -> Option<&[u8]> {
    let end = name::validate_uncompressed(rdata, 0).ok()?;
    (end == rdata.len()).then_some(&rdata[..end])
}

/// Reads the SOA fields after the two names: (serial, refresh, retry,
/// expire, minimum).
pub fn soa_numbers(rdata: &[u8]) -> Option<[u32; 5]> {
    let mname_end = name::validate_uncompressed(rdata, 0).ok()?;
    let rname_end = name::validate_uncompressed(rdata, mname_end).ok()?;
    let rest = rdata.get(rname_end..)?;
    if rest.len() != 20 {
        return None;
    }
    let mut out = [0u32; 5];
    for (i, v) in out.iter_mut().enumerate() {
        *v = u32::from_be_bytes(rest[i * 4..i * 4 + 4].try_into().ok()?);
    }
    Some(out)
}

/// Overwrites the serial in uncompressed SOA RDATA.
pub fn set_soa_serial(rdata: &mut [u8], serial: u32) -> bool {
    let Some(mname_end) = name::validate_uncompressed(rdata, 0).ok() else {
        return false;
    };
    let Some(rname_end) = name::validate_uncompressed(rdata, mname_end).ok() else {
        return false;
    };
    if rdata.len() != rname_end + 20 {
        return false;
    }
    rdata[rname_end..rname_end + 4].copy_from_slice(&serial.to_be_bytes());
    true
}

/// The type an RRSIG covers (its first two octets).
pub fn rrsig_type_covered(rdata: &[u8]) -> Option<Rtype> {
    Some(Rtype(u16::from_be_bytes([*rdata.first()?, *rdata.get(1)?])))
}

/// RDATA shown in presentation format, as `domain` prints it; RFC 3597
/// generic form for types it does not know or RDATA it cannot parse.
pub struct RdataText<'a> {
    /// The record type.
    pub rtype: Rtype,
    /// The uncompressed RDATA.
    pub rdata: &'a [u8],
}

impl fmt::Display for RdataText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A few types where `domain`'s output is not what master files and
        // the PowerDNS API expect: SRV without the target's final dot, hex
        // split over parentheses, SPF in generic form.
        match self.rtype {
            Rtype::SRV => {
                if let Some(text) = srv_text(self.rdata) {
                    return f.write_str(&text);
                }
            }
            Rtype::SSHFP | Rtype::TLSA | Rtype(53) /* SMIMEA */ => {
                let fixed = if self.rtype == Rtype::SSHFP { 2 } else { 3 };
                if self.rdata.len() > fixed {
                    for b in &self.rdata[..fixed] {
                        write!(f, "{b} ")?;
                    }
                    for b in &self.rdata[fixed..] {
                        write!(f, "{b:02x}")?;
                    }
                    return Ok(());
                }
            }
            Rtype(99) /* SPF: TXT's format */ => {
                return RdataText { rtype: Rtype::TXT, rdata: self.rdata }.fmt(f);
            }
            _ => {}
        }
        use domain::base::iana::Rtype as DRtype;
        use domain::base::rdata::ParseRecordData;
        use domain::dep::octseq::parse::Parser;
        use domain::rdata::ZoneRecordData;
        let mut parser = Parser::from_ref(self.rdata);
        let parsed = ZoneRecordData::parse_rdata(DRtype::from_int(self.rtype.0), &mut parser);
        match parsed {
            Ok(Some(ZoneRecordData::Unknown(_))) | Ok(None) | Err(_) => {
                write_generic(f, self.rdata)
            }
            Ok(Some(data)) if parser.remaining() == 0 => {
                let text = data.to_string();
                f.write_str(text.trim_end())
            }
            Ok(Some(_)) => write_generic(f, self.rdata),
        }
    }
}

/// SRV in presentation form: priority weight port target.
fn srv_text(rdata: &[u8]) -> Option<String> {
    if rdata.len() < 7 {
        return None;
    }
    let number = |i: usize| u16::from_be_bytes([rdata[i], rdata[i + 1]]);
    let (target, end) = crate::name::Name::parse_uncompressed(rdata, 6).ok()?;
    (end == rdata.len()).then(|| format!("{} {} {} {}", number(0), number(2), number(4), target))
}

fn write_generic(f: &mut fmt::Formatter<'_>, rdata: &[u8]) -> fmt::Result {
    write!(f, "\\# {}", rdata.len())?;
    if !rdata.is_empty() {
        f.write_str(" ")?;
        for b in rdata {
            write!(f, "{b:02x}")?;
        }
    }
    Ok(())
}

/// Checks that RDATA parses as its type, as `domain` understands it, with
/// no octets left over. Types `domain` does not know are accepted as opaque.
pub fn validate(rtype: Rtype, rdata: &[u8]) -> Result<(), RdataError> {
    use domain::base::iana::Rtype as DRtype;
    use domain::base::rdata::ParseRecordData;
    use domain::dep::octseq::parse::Parser;
    use domain::rdata::ZoneRecordData;
    let mut parser = Parser::from_ref(rdata);
    match ZoneRecordData::parse_rdata(DRtype::from_int(rtype.0), &mut parser) {
        Ok(_) if parser.remaining() == 0 => Ok(()),
        _ => Err(RdataError::Length),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mx_names_are_decompressed() {
        // "example." at 0; MX rdata at 9: preference 10, exchange = "mail" + ptr 0.
        let mut msg = vec![7];
        msg.extend_from_slice(b"example");
        msg.push(0);
        let start = msg.len();
        msg.extend_from_slice(&[0, 10, 4, b'm', b'a', b'i', b'l', 0xC0, 0]);
        let rdata = decompress(&msg, start, msg.len() - start, Rtype::MX).unwrap();
        assert_eq!(&rdata[..2], &[0, 10]);
        assert_eq!(
            additional_target(Rtype::MX, &rdata).unwrap(),
            b"\x04mail\x07example\x00"
        );
        assert_eq!(
            RdataText {
                rtype: Rtype::MX,
                rdata: &rdata
            }
            .to_string(),
            "10 mail.example."
        );
    }

    #[test]
    fn rdata_with_trailing_octets_is_rejected() {
        let msg = [0, 10, 0, 99];
        assert_eq!(decompress(&msg, 0, 4, Rtype::MX), Err(RdataError::Length));
    }

    #[test]
    fn presentation_fixes_over_domain() {
        let srv = [&[0u8, 0, 0, 5, 0x13, 0xc4][..], b"\x03sip\x07example\x00"].concat();
        assert_eq!(
            RdataText {
                rtype: Rtype::SRV,
                rdata: &srv
            }
            .to_string(),
            "0 5 5060 sip.example."
        );
        let sshfp = [1u8, 1, 0xAB, 0xCD];
        assert_eq!(
            RdataText {
                rtype: Rtype::SSHFP,
                rdata: &sshfp
            }
            .to_string(),
            "1 1 abcd"
        );
        let spf = b"\x0bv=spf1 -all";
        assert_eq!(
            RdataText {
                rtype: Rtype(99),
                rdata: spf
            }
            .to_string(),
            "\"v=spf1 -all\""
        );
    }

    #[test]
    fn unknown_types_print_generically() {
        let text = RdataText {
            rtype: Rtype(65534),
            rdata: &[10, 0, 0, 1],
        }
        .to_string();
        assert_eq!(text, "\\# 4 0a000001");
    }
}
