//! Whole messages parsed into owned records: the general (slow) parser used
//! by zone transfers, updates, tests and tools. The query fast path uses
//! [`crate::request`] instead.

use std::fmt;

use crate::header::{HEADER_LEN, Header};
use crate::name::{Name, NameError};
use crate::rdata::{self, RdataError, RdataText};
use crate::types::{Class, Opcode, Rtype};

/// A resource record with uncompressed RDATA.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// Owner name.
    pub owner: Name,
    /// Record type.
    pub rtype: Rtype,
    /// Class.
    pub class: Class,
    /// Time to live in seconds.
    pub ttl: u32,
    /// RDATA with every name expanded.
    pub rdata: Vec<u8>,
}

/// A record is a record: lets builders take `&[Record]` and slices of
/// types that carry one (a zone file's records with their lines) alike.
impl AsRef<Record> for Record {
    fn as_ref(&self) -> &Record {
        self
    }
}

impl Record {
    /// The RDATA in presentation format.
    pub fn rdata_text(&self) -> RdataText<'_> {
        RdataText {
            rtype: self.rtype,
            rdata: &self.rdata,
        }
    }
}

impl fmt::Display for Record {
    /// Master-file form: `owner ttl class type rdata`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            self.owner,
            self.ttl,
            self.class,
            self.rtype,
            self.rdata_text()
        )
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Record({self})")
    }
}

/// An entry of the question section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The name asked about.
    pub qname: Name,
    /// The type asked for.
    pub qtype: Rtype,
    /// The class asked in.
    pub qclass: Class,
}

/// Why a message could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Shorter than a header.
    #[error("message shorter than its 12-octet header")]
    ShortHeader,
    /// A name is malformed.
    #[error("bad name: {0}")]
    Name(#[from] NameError),
    /// A record's fixed fields or RDATA run past the end.
    #[error("record runs past the end of the message")]
    Truncated,
    /// RDATA does not match its type's layout.
    #[error("bad RDATA: {0}")]
    Rdata(#[from] RdataError),
    /// Octets left after the last record the header counts.
    #[error("{0} octets after the last record")]
    TrailingData(usize),
}

/// A parsed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The header, with the counts as received.
    pub header: Header,
    /// Question section.
    pub questions: Vec<Question>,
    /// Answer section (prerequisites in an UPDATE).
    pub answer: Vec<Record>,
    /// Authority section (updates in an UPDATE).
    pub authority: Vec<Record>,
    /// Additional section, OPT and TSIG included.
    pub additional: Vec<Record>,
    /// Offset of the last additional record when it is a TSIG record; the
    /// MAC covers the message up to there (RFC 8945 §4.3.3).
    pub tsig_offset: Option<usize>,
}

impl Message {
    /// Parses a whole message; octets after the last counted record are an error.
    ///
    /// RDATA is read strictly by its type's layout, with one exception RFC
    /// 2136 makes: in an UPDATE, a prerequisite or update RR of class ANY
    /// or NONE may have RDLENGTH 0 whatever its type (§2.4.1, §2.4.3,
    /// §2.5.2, §2.5.3), so `delete www MX` or `nxrrset x CNAME` carry no
    /// RDATA where MX or CNAME would otherwise need a name.
    pub fn parse(bytes: &[u8]) -> Result<Message, MessageError> {
        let header = Header::parse(bytes).ok_or(MessageError::ShortHeader)?;
        let mut pos = HEADER_LEN;
        let mut questions = Vec::with_capacity(header.qdcount.min(4) as usize);
        for _ in 0..header.qdcount {
            let (qname, next) = Name::parse_compressed(bytes, pos)?;
            let fixed = bytes.get(next..next + 4).ok_or(MessageError::Truncated)?;
            questions.push(Question {
                qname,
                qtype: Rtype(u16::from_be_bytes([fixed[0], fixed[1]])),
                qclass: Class(u16::from_be_bytes([fixed[2], fixed[3]])),
            });
            pos = next + 4;
        }
        let mut sections: [Vec<Record>; 3] = Default::default();
        let counts = [header.ancount, header.nscount, header.arcount];
        let mut tsig_offset = None;
        let update = header.opcode() == Opcode::UPDATE;
        for (index, (section, &count)) in sections.iter_mut().zip(counts.iter()).enumerate() {
            section.reserve(count.min(512) as usize);
            // Prerequisites (answer) and updates (authority), not additional.
            let empty_rdata_allowed = update && index < 2;
            for _ in 0..count {
                let start = pos;
                let (record, next) = parse_record_in(bytes, pos, empty_rdata_allowed)?;
                tsig_offset = (record.rtype == Rtype::TSIG).then_some(start);
                section.push(record);
                pos = next;
            }
        }
        if pos != bytes.len() {
            return Err(MessageError::TrailingData(bytes.len() - pos));
        }
        let [answer, authority, additional] = sections;
        if additional.last().is_none_or(|r| r.rtype != Rtype::TSIG) {
            tsig_offset = None;
        }
        Ok(Message {
            header,
            questions,
            answer,
            authority,
            additional,
            tsig_offset,
        })
    }

    /// The first question, if any.
    pub fn question(&self) -> Option<&Question> {
        self.questions.first()
    }

    /// The OPT record of the additional section, if any.
    pub fn opt(&self) -> Option<&Record> {
        self.additional.iter().find(|r| r.rtype == Rtype::OPT)
    }

    /// The full RCODE: header bits plus the OPT record's extension.
    pub fn rcode(&self) -> crate::types::Rcode {
        let high = self.opt().map(|o| (o.ttl >> 24) as u16).unwrap_or(0);
        crate::types::Rcode((high << 4) | self.header.rcode().0)
    }
}

/// Parses one record at `pos`; returns it and the offset past it.
pub fn parse_record(bytes: &[u8], pos: usize) -> Result<(Record, usize), MessageError> {
    parse_record_in(bytes, pos, false)
}

/// [`parse_record`], taking empty RDATA for any type when the record's class
/// is ANY or NONE and `empty_rdata_allowed` (an UPDATE's first two sections).
fn parse_record_in(
    bytes: &[u8],
    pos: usize,
    empty_rdata_allowed: bool,
) -> Result<(Record, usize), MessageError> {
    let (owner, next) = Name::parse_compressed(bytes, pos)?;
    let fixed = bytes.get(next..next + 10).ok_or(MessageError::Truncated)?;
    let rtype = Rtype(u16::from_be_bytes([fixed[0], fixed[1]]));
    let class = Class(u16::from_be_bytes([fixed[2], fixed[3]]));
    let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
    let rdlen = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
    let rdata_start = next + 10;
    if rdata_start + rdlen > bytes.len() {
        return Err(MessageError::Truncated);
    }
    let rdata =
        if rdlen == 0 && empty_rdata_allowed && (class == Class::ANY || class == Class::NONE) {
            Vec::new()
        } else {
            rdata::decompress(bytes, rdata_start, rdlen, rtype)?
        };
    Ok((
        Record {
            owner,
            rtype,
            class,
            ttl,
            rdata,
        },
        rdata_start + rdlen,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_octets_are_an_error() {
        let mut msg = Header {
            id: 1,
            qdcount: 0,
            ..Header::default()
        }
        .to_bytes()
        .to_vec();
        assert!(Message::parse(&msg).is_ok());
        msg.push(0);
        assert_eq!(Message::parse(&msg), Err(MessageError::TrailingData(1)));
    }
}
