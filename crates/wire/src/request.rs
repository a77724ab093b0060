//! The request parser of the query path: header, the one question, and the
//! OPT and TSIG records of the additional section, read in place without
//! allocating.
//!
//! It checks the framing of every record the header announces, so a message
//! that is malformed anywhere gets FORMERR instead of an answer to a part of
//! it (RFC 9619 for the question count, RFC 6891 §6.1.1 for OPT, RFC 8945
//! §5.1 for TSIG placement).

use crate::header::{HEADER_LEN, Header, flags};
use crate::name::{self, MAX_NAME_LEN};
use crate::types::{Class, Opcode, Rtype};

/// EDNS option codes we act on.
pub mod option_code {
    /// Name server identifier (RFC 5001).
    pub const NSID: u16 = 3;
    /// Client subnet (RFC 7871).
    pub const CLIENT_SUBNET: u16 = 8;
    /// DNS cookie (RFC 7873).
    pub const COOKIE: u16 = 10;
    /// Padding (RFC 7830).
    pub const PADDING: u16 = 12;
}

/// EDNS Client Subnet as sent by a resolver (RFC 7871 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientSubnet {
    /// Address family: 1 for IPv4, 2 for IPv6.
    pub family: u16,
    /// SOURCE PREFIX-LENGTH.
    pub source_prefix: u8,
    /// SCOPE PREFIX-LENGTH (must be 0 in queries).
    pub scope_prefix: u8,
    /// The address, zero-padded to 16 octets.
    pub address: [u8; 16],
}

/// What the OPT record of a request says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdnsRequest {
    /// Requestor's UDP payload size (RFC 6891 §6.2.3).
    pub udp_payload: u16,
    /// EDNS version.
    pub version: u8,
    /// The DO bit (RFC 3225).
    pub dnssec_ok: bool,
    /// Whether an empty NSID option asks for our identifier (RFC 5001 §2.1).
    pub nsid: bool,
    /// Client subnet, when present and well formed.
    pub client_subnet: Option<ClientSubnet>,
}

/// A request that deserves no answer at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drop {
    /// Shorter than a header: there is not even an ID to answer with.
    ShortHeader,
    /// QR is set: never answer a response, or two servers could loop.
    Response,
}

/// Why a request is malformed; answered with FORMERR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// QDCOUNT is not 1 (RFC 9619).
    #[error("QDCOUNT is {0}, not 1")]
    QuestionCount(u16),
    /// The question name is malformed or compressed.
    #[error("bad question name: {0}")]
    QuestionName(name::NameError),
    /// The question ends early.
    #[error("question truncated")]
    QuestionTruncated,
    /// A record runs past the end or has a malformed owner.
    #[error("record truncated or malformed")]
    BadRecord,
    /// Two OPT records (RFC 6891 §6.1.1).
    #[error("more than one OPT record")]
    DuplicateOpt,
    /// OPT owner is not the root, or it is outside the additional section.
    #[error("OPT record misplaced or not owned by the root")]
    BadOpt,
    /// OPT option lengths overrun the RDATA.
    #[error("OPT options malformed")]
    BadOptOption,
    /// An EDNS Client Subnet option that breaks RFC 7871 §6 (unknown
    /// family, address longer than its prefix, bits past the prefix, a
    /// nonzero SCOPE PREFIX-LENGTH); §7.2.1 asks for FORMERR.
    #[error("EDNS Client Subnet option malformed")]
    BadClientSubnet,
    /// A TSIG record that is not the last record of the additional
    /// section, or a second one (RFC 8945 §5.2).
    #[error("TSIG record is not the last record of the additional section")]
    TsigNotLast,
    /// Octets after the last record.
    #[error("octets after the last record")]
    TrailingData,
}

/// The header plus whatever could be read before a format error, enough to
/// build the FORMERR response.
#[derive(Clone, Copy, Debug)]
pub struct Malformed {
    /// The request header.
    pub header: Header,
    /// What is wrong.
    pub error: FormatError,
    /// End of a well-formed question, so it can be echoed.
    pub question_end: Option<usize>,
    /// The OPT record, when one was read before the error.
    pub edns: Option<EdnsRequest>,
}

/// A parsed request, borrowing the bytes it came in.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// The raw message.
    pub bytes: &'a [u8],
    /// The header.
    pub header: Header,
    /// End of the question name (it starts at offset 12).
    pub qname_end: usize,
    /// The question name lower-cased, in wire form (`qname_lower[..qname_len]`).
    pub qname_lower: [u8; MAX_NAME_LEN],
    /// Length of the question name.
    pub qname_len: usize,
    /// The type asked for.
    pub qtype: Rtype,
    /// The class asked in.
    pub qclass: Class,
    /// The OPT record, when present.
    pub edns: Option<EdnsRequest>,
    /// Offset of the TSIG record (always the last record), when present.
    pub tsig_offset: Option<usize>,
}

/// The outcome of reading a request.
pub enum Parsed<'a> {
    /// A well-formed request.
    Ok(Box<Request<'a>>),
    /// A malformed request that gets FORMERR.
    Malformed(Malformed),
    /// Not to be answered.
    Drop(Drop),
}

impl<'a> Request<'a> {
    /// The question name as the client wrote it (case preserved).
    pub fn qname_wire(&self) -> &'a [u8] {
        &self.bytes[HEADER_LEN..self.qname_end]
    }

    /// The lower-cased question name.
    pub fn qname(&self) -> &[u8] {
        &self.qname_lower[..self.qname_len]
    }

    /// The whole question entry as received (name, type, class).
    pub fn question_bytes(&self) -> &'a [u8] {
        &self.bytes[HEADER_LEN..self.qname_end + 4]
    }

    /// The opcode.
    pub fn opcode(&self) -> Opcode {
        self.header.opcode()
    }
}

/// Reads a request in place into `out`.
///
/// `out` is caller-owned so the query path can reuse it; it is fully
/// overwritten on success.
pub fn parse_into<'a>(bytes: &'a [u8], out: &mut Request<'a>) -> Result<(), ParseFailure> {
    let header = Header::parse(bytes).ok_or(ParseFailure::Drop(Drop::ShortHeader))?;
    if header.flag(flags::QR) {
        return Err(ParseFailure::Drop(Drop::Response));
    }
    let malformed = |error, question_end, edns| {
        ParseFailure::Malformed(Malformed {
            header,
            error,
            question_end,
            edns,
        })
    };
    if header.qdcount != 1 {
        // A header-only request (DSO, STATUS, a probe) may still carry an
        // OPT record; the reply echoes EDNS when it did (RFC 6891 §7).
        let edns = if header.qdcount == 0 {
            opt_without_question(bytes, &header)
        } else {
            None
        };
        return Err(malformed(
            FormatError::QuestionCount(header.qdcount),
            None,
            edns,
        ));
    }
    let qname_end = match name::validate_uncompressed(bytes, HEADER_LEN) {
        Ok(end) => end,
        Err(e) => return Err(malformed(FormatError::QuestionName(e), None, None)),
    };
    if qname_end + 4 > bytes.len() {
        return Err(malformed(FormatError::QuestionTruncated, None, None));
    }
    let qname_len = qname_end - HEADER_LEN;
    out.bytes = bytes;
    out.header = header;
    out.qname_end = qname_end;
    out.qname_len = qname_len;
    out.qname_lower[..qname_len].copy_from_slice(&bytes[HEADER_LEN..qname_end]);
    out.qname_lower[..qname_len].make_ascii_lowercase();
    out.qtype = Rtype(u16::from_be_bytes([bytes[qname_end], bytes[qname_end + 1]]));
    out.qclass = Class(u16::from_be_bytes([
        bytes[qname_end + 2],
        bytes[qname_end + 3],
    ]));
    out.edns = None;
    out.tsig_offset = None;
    let question_end = Some(qname_end + 4);

    let mut pos = qname_end + 4;
    let before_additional = header.ancount as usize + header.nscount as usize;
    let total = before_additional + header.arcount as usize;
    for index in 0..total {
        let start = pos;
        let after_owner = name::skip_compressed(bytes, pos)
            .map_err(|_| malformed(FormatError::BadRecord, question_end, out.edns))?;
        if after_owner + 10 > bytes.len() {
            return Err(malformed(FormatError::BadRecord, question_end, out.edns));
        }
        let rtype = Rtype(u16::from_be_bytes([
            bytes[after_owner],
            bytes[after_owner + 1],
        ]));
        let rdlen = u16::from_be_bytes([bytes[after_owner + 8], bytes[after_owner + 9]]) as usize;
        let rdata_start = after_owner + 10;
        let end = rdata_start + rdlen;
        if end > bytes.len() {
            return Err(malformed(FormatError::BadRecord, question_end, out.edns));
        }
        if out.tsig_offset.is_some() {
            return Err(malformed(FormatError::TsigNotLast, question_end, out.edns));
        }
        match rtype {
            Rtype::OPT => {
                if index < before_additional || after_owner != start + 1 || bytes[start] != 0 {
                    return Err(malformed(FormatError::BadOpt, question_end, out.edns));
                }
                if out.edns.is_some() {
                    return Err(malformed(FormatError::DuplicateOpt, question_end, out.edns));
                }
                let fixed = &bytes[after_owner..rdata_start];
                match parse_opt(fixed, &bytes[rdata_start..end]) {
                    Ok(edns) => out.edns = Some(edns),
                    // The OPT itself was sound: the FORMERR carries ours.
                    Err(FormatError::BadClientSubnet) => {
                        return Err(malformed(
                            FormatError::BadClientSubnet,
                            question_end,
                            Some(opt_fixed(fixed)),
                        ));
                    }
                    Err(error) => return Err(malformed(error, question_end, None)),
                }
            }
            Rtype::TSIG if index >= before_additional => out.tsig_offset = Some(start),
            // A TSIG record in the answer or authority section is "present
            // in any other position" (RFC 8945 §5.2): FORMERR.
            Rtype::TSIG => {
                return Err(malformed(FormatError::TsigNotLast, question_end, out.edns));
            }
            _ => {}
        }
        pos = end;
    }
    if pos != bytes.len() {
        return Err(malformed(FormatError::TrailingData, question_end, out.edns));
    }
    Ok(())
}

/// Why [`parse_into`] produced no request.
#[derive(Clone, Copy, Debug)]
pub enum ParseFailure {
    /// Malformed: answer FORMERR.
    Malformed(Malformed),
    /// Not to be answered.
    Drop(Drop),
}

impl Request<'_> {
    /// An empty request to be filled by [`parse_into`].
    pub fn empty() -> Request<'static> {
        Request {
            bytes: &[],
            header: Header::default(),
            qname_end: 0,
            qname_lower: [0; MAX_NAME_LEN],
            qname_len: 0,
            qtype: Rtype(0),
            qclass: Class(0),
            edns: None,
            tsig_offset: None,
        }
    }
}

/// The OPT record of a message with no question, when its records can be
/// walked and the OPT is well formed and in the additional section.
fn opt_without_question(bytes: &[u8], header: &Header) -> Option<EdnsRequest> {
    let before_additional = header.ancount as usize + header.nscount as usize;
    let total = before_additional + header.arcount as usize;
    let mut pos = HEADER_LEN;
    for index in 0..total {
        let after_owner = name::skip_compressed(bytes, pos).ok()?;
        let fixed = bytes.get(after_owner..after_owner + 10)?;
        let rdlen = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
        let rdata = bytes.get(after_owner + 10..after_owner + 10 + rdlen)?;
        if u16::from_be_bytes([fixed[0], fixed[1]]) == Rtype::OPT.0 {
            let at_root = after_owner == pos + 1 && bytes[pos] == 0;
            return (index >= before_additional && at_root)
                .then(|| parse_opt(fixed, rdata).ok())
                .flatten();
        }
        pos = after_owner + 10 + rdlen;
    }
    None
}

/// Reads the OPT record's fixed part (type, class = payload size, TTL =
/// extended rcode/version/flags, rdlen) and options.
fn parse_opt(fixed: &[u8], rdata: &[u8]) -> Result<EdnsRequest, FormatError> {
    let mut edns = opt_fixed(fixed);
    let mut pos = 0;
    while pos < rdata.len() {
        if pos + 4 > rdata.len() {
            return Err(FormatError::BadOptOption);
        }
        let code = u16::from_be_bytes([rdata[pos], rdata[pos + 1]]);
        let len = u16::from_be_bytes([rdata[pos + 2], rdata[pos + 3]]) as usize;
        let data = rdata
            .get(pos + 4..pos + 4 + len)
            .ok_or(FormatError::BadOptOption)?;
        match code {
            option_code::NSID => edns.nsid = data.is_empty(),
            option_code::CLIENT_SUBNET => {
                let subnet = parse_client_subnet(data).ok_or(FormatError::BadClientSubnet)?;
                // SCOPE PREFIX-LENGTH MUST be 0 in queries (RFC 7871 §6).
                if subnet.scope_prefix != 0 {
                    return Err(FormatError::BadClientSubnet);
                }
                edns.client_subnet = Some(subnet);
            }
            _ => {}
        }
        pos += 4 + len;
    }
    Ok(edns)
}

/// The OPT record's fixed part, no options read.
fn opt_fixed(fixed: &[u8]) -> EdnsRequest {
    EdnsRequest {
        udp_payload: u16::from_be_bytes([fixed[2], fixed[3]]),
        version: fixed[5],
        dnssec_ok: fixed[6] & 0x80 != 0,
        nsid: false,
        client_subnet: None,
    }
}

/// Reads an ECS option; `None` when it breaks RFC 7871 §6 (wrong address
/// length for the prefix, bits set past the prefix, unknown family).
pub fn parse_client_subnet(data: &[u8]) -> Option<ClientSubnet> {
    if data.len() < 4 {
        return None;
    }
    let family = u16::from_be_bytes([data[0], data[1]]);
    let source_prefix = data[2];
    let scope_prefix = data[3];
    let address_bytes = &data[4..];
    let max_prefix = match family {
        1 => 32,
        2 => 128,
        _ => return None,
    };
    if source_prefix > max_prefix || address_bytes.len() != (source_prefix as usize).div_ceil(8) {
        return None;
    }
    if let Some(&last) = address_bytes.last() {
        let used_bits = source_prefix % 8;
        if used_bits != 0 && last & (0xFF >> used_bits) != 0 {
            return None;
        }
    }
    let mut address = [0u8; 16];
    address[..address_bytes.len()].copy_from_slice(address_bytes);
    Some(ClientSubnet {
        family,
        source_prefix,
        scope_prefix,
        address,
    })
}

/// Convenience for tests and tools: parse into a fresh request.
pub fn parse(bytes: &[u8]) -> Parsed<'_> {
    let mut request = Box::new(Request::empty());
    match parse_into(bytes, &mut request) {
        Ok(()) => Parsed::Ok(request),
        Err(ParseFailure::Malformed(m)) => Parsed::Malformed(m),
        Err(ParseFailure::Drop(d)) => Parsed::Drop(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &[u8], qtype: u16) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(name);
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
        m
    }

    fn opt(options: &[u8]) -> Vec<u8> {
        let mut r = vec![0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0];
        r.extend_from_slice(&(options.len() as u16).to_be_bytes());
        r.extend_from_slice(options);
        r
    }

    fn failure(bytes: &[u8]) -> FormatError {
        match parse(bytes) {
            Parsed::Malformed(m) => m.error,
            _ => panic!("expected a format error"),
        }
    }

    #[test]
    fn plain_query_is_read_and_lowercased() {
        let q = query(b"\x03WWW\x07Example\x00", 1);
        let Parsed::Ok(r) = parse(&q) else { panic!() };
        assert_eq!(r.qname(), b"\x03www\x07example\x00");
        assert_eq!(r.qname_wire(), b"\x03WWW\x07Example\x00");
        assert_eq!(r.qtype, Rtype::A);
        assert!(r.edns.is_none());
    }

    #[test]
    fn edns_fields_are_read() {
        let mut q = query(b"\x00", 6);
        q[11] = 1;
        q.extend_from_slice(&opt(&[0, 3, 0, 0, 0, 99, 0, 1, 7]));
        let Parsed::Ok(r) = parse(&q) else { panic!() };
        let edns = r.edns.unwrap();
        assert_eq!(edns.udp_payload, 1232);
        assert!(edns.dnssec_ok && edns.nsid);
    }

    #[test]
    fn malformed_requests_are_named() {
        let mut two = query(b"\x00", 1);
        two[5] = 2;
        assert_eq!(failure(&two), FormatError::QuestionCount(2));
        let mut zero = query(b"\x00", 1);
        zero[5] = 0;
        assert_eq!(failure(&zero), FormatError::QuestionCount(0));
        assert_eq!(
            failure(&query(b"\xC0\x0C", 1)),
            FormatError::QuestionName(name::NameError::UnexpectedPointer)
        );
        let mut dup = query(b"\x00", 1);
        dup[11] = 2;
        dup.extend_from_slice(&opt(&[]));
        dup.extend_from_slice(&opt(&[]));
        assert_eq!(failure(&dup), FormatError::DuplicateOpt);
        let mut bad_option = query(b"\x00", 1);
        bad_option[11] = 1;
        bad_option.extend_from_slice(&opt(&[0, 3, 0, 5]));
        assert_eq!(failure(&bad_option), FormatError::BadOptOption);
        let mut trailing = query(b"\x00", 1);
        trailing.push(0);
        assert_eq!(failure(&trailing), FormatError::TrailingData);
        let long_label = [&[64u8][..], &[b'a'; 64], &[0]].concat();
        assert!(matches!(
            failure(&query(&long_label, 1)),
            FormatError::QuestionName(_)
        ));
    }

    #[test]
    fn tsig_must_be_the_last_additional_record() {
        // Owner ".", type TSIG, class ANY, TTL 0, empty RDATA: the framing
        // is all this parser reads.
        let tsig = [0u8, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0];
        let mut last = query(b"\x00", 1);
        last[11] = 1;
        last.extend_from_slice(&tsig);
        let Parsed::Ok(r) = parse(&last) else {
            panic!("a final TSIG record is fine")
        };
        assert_eq!(r.tsig_offset, Some(17));
        let mut in_answer = query(b"\x00", 1);
        in_answer[7] = 1;
        in_answer.extend_from_slice(&tsig);
        assert_eq!(failure(&in_answer), FormatError::TsigNotLast);
        let mut followed = last.clone();
        followed[11] = 2;
        followed.extend_from_slice(&opt(&[]));
        assert_eq!(failure(&followed), FormatError::TsigNotLast);
    }

    #[test]
    fn responses_and_runts_are_dropped() {
        assert!(matches!(parse(&[0; 5]), Parsed::Drop(Drop::ShortHeader)));
        let mut response = query(b"\x00", 1);
        response[2] |= 0x80;
        assert!(matches!(parse(&response), Parsed::Drop(Drop::Response)));
    }

    #[test]
    fn client_subnet_must_be_consistent() {
        assert!(parse_client_subnet(&[0, 1, 24, 0, 192, 0, 2]).is_some());
        assert!(parse_client_subnet(&[0, 1, 24, 0, 192, 0, 2, 0]).is_none());
        assert!(parse_client_subnet(&[0, 1, 23, 0, 192, 0, 3]).is_none());
        assert!(parse_client_subnet(&[0, 3, 0, 0]).is_none());
    }
}
