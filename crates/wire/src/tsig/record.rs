//! The TSIG resource record (RFC 8945 §4.2): reading it from a received
//! message and writing it at the end of one we send.

use super::algorithm::Algorithm;
use crate::header::{HEADER_LEN, Header};
use crate::name::{self, Name, NameError};
use crate::types::{Class, Rcode, Rtype};

/// Largest value of the 48-bit Time Signed field.
const MAX_TIME_SIGNED: u64 = 0xFFFF_FFFF_FFFF;

/// Why a message could not be signed or passed on unsigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The buffer does not even hold a header.
    #[error("message shorter than its 12-octet header")]
    NotAMessage,
    /// ARCOUNT cannot count one more record.
    #[error("ARCOUNT is already 65535")]
    AdditionalCountFull,
    /// The TSIG record does not fit under the size limit; the message is
    /// unchanged, so the caller can truncate it and sign again.
    #[error(
        "a {record}-octet TSIG record does not fit after {message} octets under the {limit}-octet limit"
    )]
    NoRoom {
        /// Length of the message before signing.
        message: usize,
        /// Length of the TSIG record.
        record: usize,
        /// The size limit (at most 65535).
        limit: usize,
    },
    /// The first message of a response must be signed (RFC 8945 §5.3.1).
    #[error("the first message of a response must be signed")]
    FirstMessageUnsigned,
    /// 99 messages in a row are unsigned already (RFC 8945 §5.3.1).
    #[error("99 unsigned messages in a row already; this one must be signed")]
    TooManyUnsigned,
}

/// A TSIG record, owned.
///
/// On the wire its owner is the key name, its class ANY and its TTL 0;
/// those two are checked when reading and written when encoding, so they
/// are not fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsigRecord {
    /// Name of the key (the record's owner).
    pub key_name: Name,
    /// Algorithm name, never compressed on the wire (RFC 8945 §4.2).
    pub algorithm: Name,
    /// Seconds since the Unix epoch when the message was signed; 48 bits
    /// on the wire, higher bits are dropped when writing.
    pub time_signed: u64,
    /// Seconds of clock error permitted either side of `time_signed`.
    pub fudge: u16,
    /// The MAC, possibly truncated; empty in unsigned error responses.
    pub mac: Vec<u8>,
    /// Message ID the signer saw; the digest is computed with it in the header.
    pub original_id: u16,
    /// Extended RCODE describing a TSIG failure (BADSIG, BADKEY, BADTIME,
    /// BADTRUNC), or NOERROR.
    pub error: Rcode,
    /// Other Data: the server's 48-bit time in BADTIME responses.
    pub other: Vec<u8>,
}

/// Why a TSIG record, or its placement in a message, is malformed. A
/// server answers all of these with FORMERR (RFC 8945 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsigFormatError {
    /// The message is shorter than a header.
    #[error("message shorter than its 12-octet header")]
    ShortMessage,
    /// The given TSIG offset lies inside the header.
    #[error("TSIG offset {0} lies inside the header")]
    OffsetInHeader(usize),
    /// ARCOUNT is zero, so there cannot be a TSIG record.
    #[error("ARCOUNT is 0, so the message has no TSIG record")]
    NoAdditionalRecord,
    /// A record (the TSIG record or one before it) runs past the end.
    #[error("record runs past the end of the message")]
    Truncated,
    /// The key name (the owner) is malformed.
    #[error("bad TSIG key name: {0}")]
    KeyName(NameError),
    /// The record at the offset is not a TSIG record.
    #[error("record of type {0} where a TSIG record was expected")]
    NotTsig(Rtype),
    /// The class is not ANY (RFC 8945 §4.2).
    #[error("TSIG record of class {0}, not ANY")]
    Class(Class),
    /// The TTL is not 0 (RFC 8945 §4.2).
    #[error("TSIG record with TTL {0}, not 0")]
    Ttl(u32),
    /// The algorithm name is malformed or compressed.
    #[error("bad TSIG algorithm name: {0}")]
    AlgorithmName(NameError),
    /// The RDATA ends inside its fixed fields, MAC or other data.
    #[error("TSIG RDATA ends inside its fields")]
    RdataTruncated,
    /// The RDATA has octets after Other Data.
    #[error("{0} octets after the TSIG RDATA fields")]
    RdataTrailing(usize),
    /// Something follows the TSIG record (RFC 8945 §5.2).
    #[error("TSIG record is not the last record of the message")]
    NotLast,
    /// More than one TSIG record (RFC 8945 §5.2).
    #[error("more than one TSIG record")]
    Duplicate,
    /// A TSIG record in the answer or authority section (RFC 8945 §5.2).
    #[error("TSIG record outside the additional section")]
    OutsideAdditional,
    /// The MAC is longer than the algorithm's output (RFC 8945 §5.2.2.1).
    #[error("MAC of {len} octets is longer than the {maximum}-octet HMAC output")]
    MacTooLong {
        /// MAC Size received.
        len: usize,
        /// Output length of the algorithm.
        maximum: usize,
    },
    /// The MAC is shorter than the larger of 10 octets and half the
    /// algorithm's output (RFC 8945 §5.2.2.1).
    #[error("MAC of {len} octets is shorter than the {minimum} octets the algorithm allows")]
    MacTooShort {
        /// MAC Size received.
        len: usize,
        /// Shortest allowed truncation.
        minimum: usize,
    },
}

impl TsigRecord {
    /// Reads the TSIG record at `tsig_offset` of `message` and checks that
    /// it can be the message's TSIG: a TSIG record of class ANY and TTL 0
    /// that ends exactly at the end of the message, counted in ARCOUNT.
    ///
    /// `tsig_offset` normally comes from [`crate::request::parse_into`],
    /// [`crate::Message::parse`] or [`find_tsig`]; those also check that no
    /// other TSIG record precedes it. Any bytes and any offset give an
    /// error, never a panic.
    pub fn from_message(message: &[u8], tsig_offset: usize) -> Result<TsigRecord, TsigFormatError> {
        let header = Header::parse(message).ok_or(TsigFormatError::ShortMessage)?;
        if tsig_offset < HEADER_LEN {
            return Err(TsigFormatError::OffsetInHeader(tsig_offset));
        }
        if header.arcount == 0 {
            return Err(TsigFormatError::NoAdditionalRecord);
        }
        let (record, end) = TsigRecord::parse(message, tsig_offset)?;
        if end != message.len() {
            return Err(TsigFormatError::NotLast);
        }
        Ok(record)
    }

    /// Reads a TSIG record at `start` of `message`; returns it and the
    /// offset just past it. Checks the type, class, TTL and RDATA layout
    /// but not where the record sits in the message.
    pub fn parse(message: &[u8], start: usize) -> Result<(TsigRecord, usize), TsigFormatError> {
        let (key_name, after_owner) =
            Name::parse_compressed(message, start).map_err(|error| match error {
                NameError::Truncated => TsigFormatError::Truncated,
                other => TsigFormatError::KeyName(other),
            })?;
        let fixed = message
            .get(after_owner..after_owner + 10)
            .ok_or(TsigFormatError::Truncated)?;
        let rtype = Rtype(u16::from_be_bytes([fixed[0], fixed[1]]));
        let class = Class(u16::from_be_bytes([fixed[2], fixed[3]]));
        let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let rdlength = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
        if rtype != Rtype::TSIG {
            return Err(TsigFormatError::NotTsig(rtype));
        }
        if class != Class::ANY {
            return Err(TsigFormatError::Class(class));
        }
        if ttl != 0 {
            return Err(TsigFormatError::Ttl(ttl));
        }
        let rdata_start = after_owner + 10;
        let rdata = message
            .get(rdata_start..rdata_start + rdlength)
            .ok_or(TsigFormatError::Truncated)?;
        let record = parse_rdata(key_name, rdata)?;
        Ok((record, rdata_start + rdlength))
    }

    /// Length of the record on the wire, owner written uncompressed.
    pub fn wire_len(&self) -> usize {
        // Owner, type/class/TTL/RDLENGTH, then the RDATA: algorithm name,
        // time (6), fudge, MAC size, MAC, original ID, error, other length,
        // other data.
        self.key_name.wire_len()
            + 10
            + self.algorithm.wire_len()
            + 6
            + 2
            + 2
            + self.mac.len()
            + 2
            + 2
            + 2
            + self.other.len()
    }

    /// Appends the record in wire form, no name compressed.
    pub fn write(&self, out: &mut Vec<u8>) {
        let rdlength = self.wire_len() - self.key_name.wire_len() - 10;
        out.extend_from_slice(self.key_name.as_wire());
        out.extend_from_slice(&Rtype::TSIG.0.to_be_bytes());
        out.extend_from_slice(&Class::ANY.0.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&saturating_u16(rdlength).to_be_bytes());
        out.extend_from_slice(self.algorithm.as_wire());
        out.extend_from_slice(&time_bytes(self.time_signed));
        out.extend_from_slice(&self.fudge.to_be_bytes());
        out.extend_from_slice(&saturating_u16(self.mac.len()).to_be_bytes());
        out.extend_from_slice(&self.mac);
        out.extend_from_slice(&self.original_id.to_be_bytes());
        out.extend_from_slice(&self.error.0.to_be_bytes());
        out.extend_from_slice(&saturating_u16(self.other.len()).to_be_bytes());
        out.extend_from_slice(&self.other);
    }

    /// Appends the record to the finished message in `message` and counts
    /// it in ARCOUNT, provided the result stays within `limit` octets (and
    /// the 65535 octets any DNS message is limited to). On error the message
    /// is left as it was.
    pub fn append_to(&self, message: &mut Vec<u8>, limit: usize) -> Result<(), SignError> {
        let mut header = Header::parse(message).ok_or(SignError::NotAMessage)?;
        header.arcount = header
            .arcount
            .checked_add(1)
            .ok_or(SignError::AdditionalCountFull)?;
        let limit = limit.min(u16::MAX as usize);
        let record = self.wire_len();
        if message.len() + record > limit || self.mac.len() > u16::MAX as usize {
            return Err(SignError::NoRoom {
                message: message.len(),
                record,
                limit,
            });
        }
        self.write(message);
        message[..HEADER_LEN].copy_from_slice(&header.to_bytes());
        Ok(())
    }

    /// An unsigned error record answering the TSIG `request` with `error`
    /// (BADKEY or BADSIG): same key and algorithm names, our time, the
    /// request's fudge and original ID, and an empty MAC, because the
    /// response MUST NOT be signed with a key the request could not prove
    /// it holds (RFC 8945 §5.3.2).
    pub fn unsigned_error(request: &TsigRecord, error: Rcode, now: u64) -> TsigRecord {
        TsigRecord {
            key_name: request.key_name.clone(),
            algorithm: request.algorithm.clone(),
            time_signed: now,
            fudge: request.fudge,
            mac: Vec::new(),
            original_id: request.original_id,
            error,
            other: Vec::new(),
        }
    }

    /// The server's clock in a BADTIME response: Other Data holding a
    /// 48-bit time (RFC 8945 §5.2.3).
    pub fn server_time(&self) -> Option<u64> {
        if self.error != Rcode::BADTIME {
            return None;
        }
        let other: [u8; 6] = self.other.as_slice().try_into().ok()?;
        Some(read_time(other))
    }
}

/// Finds the TSIG record of a message: `Ok(None)` when there is none, the
/// offset of the record when it is the one TSIG record and the last record
/// of the additional section, and an error for any other placement (RFC
/// 8945 §5.2) or when the records cannot be framed.
pub fn find_tsig(message: &[u8]) -> Result<Option<usize>, TsigFormatError> {
    let header = Header::parse(message).ok_or(TsigFormatError::ShortMessage)?;
    let mut pos = HEADER_LEN;
    for _ in 0..header.qdcount {
        pos = name::skip_compressed(message, pos).map_err(|_| TsigFormatError::Truncated)? + 4;
        if pos > message.len() {
            return Err(TsigFormatError::Truncated);
        }
    }
    let before_additional = header.ancount as usize + header.nscount as usize;
    let total = before_additional + header.arcount as usize;
    let mut tsig: Option<usize> = None;
    for index in 0..total {
        let start = pos;
        let after_owner =
            name::skip_compressed(message, pos).map_err(|_| TsigFormatError::Truncated)?;
        let fixed = message
            .get(after_owner..after_owner + 10)
            .ok_or(TsigFormatError::Truncated)?;
        let rtype = Rtype(u16::from_be_bytes([fixed[0], fixed[1]]));
        let rdlength = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
        pos = after_owner + 10 + rdlength;
        if pos > message.len() {
            return Err(TsigFormatError::Truncated);
        }
        if rtype == Rtype::TSIG {
            if index < before_additional {
                return Err(TsigFormatError::OutsideAdditional);
            }
            if tsig.is_some() {
                return Err(TsigFormatError::Duplicate);
            }
            tsig = Some(start);
        } else if tsig.is_some() {
            return Err(TsigFormatError::NotLast);
        }
    }
    if tsig.is_some() && pos != message.len() {
        return Err(TsigFormatError::NotLast);
    }
    Ok(tsig)
}

/// Reads the RDATA fields (RFC 8945 §4.2); `rdata` is exactly RDLENGTH long.
fn parse_rdata(key_name: Name, rdata: &[u8]) -> Result<TsigRecord, TsigFormatError> {
    let (algorithm, mut pos) =
        Name::parse_uncompressed(rdata, 0).map_err(TsigFormatError::AlgorithmName)?;
    let mut take = |len: usize| -> Result<&[u8], TsigFormatError> {
        let field = rdata
            .get(pos..pos + len)
            .ok_or(TsigFormatError::RdataTruncated)?;
        pos += len;
        Ok(field)
    };
    let word = |bytes: &[u8]| u16::from_be_bytes([bytes[0], bytes[1]]);
    let mut time = [0u8; 6];
    time.copy_from_slice(take(6)?);
    let fudge = word(take(2)?);
    let mac_len = word(take(2)?) as usize;
    let mac = take(mac_len)?.to_vec();
    let original_id = word(take(2)?);
    let error = Rcode(word(take(2)?));
    let other_len = word(take(2)?) as usize;
    let other = take(other_len)?.to_vec();
    if pos != rdata.len() {
        return Err(TsigFormatError::RdataTrailing(rdata.len() - pos));
    }
    Ok(TsigRecord {
        key_name,
        algorithm,
        time_signed: read_time(time),
        fudge,
        mac,
        original_id,
        error,
        other,
    })
}

/// Checks a received MAC's length against what the protocol allows for
/// `algorithm` (RFC 8945 §5.2.2.1); local policy is checked later.
pub(crate) fn check_mac_len(mac: &[u8], algorithm: Algorithm) -> Result<(), TsigFormatError> {
    let maximum = algorithm.output_len();
    let minimum = algorithm.minimum_mac_len();
    if mac.len() > maximum {
        return Err(TsigFormatError::MacTooLong {
            len: mac.len(),
            maximum,
        });
    }
    if mac.len() < minimum {
        return Err(TsigFormatError::MacTooShort {
            len: mac.len(),
            minimum,
        });
    }
    Ok(())
}

/// A time as the six octets of a 48-bit Time Signed field.
pub(crate) fn time_bytes(time: u64) -> [u8; 6] {
    let bytes = (time & MAX_TIME_SIGNED).to_be_bytes();
    [bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]]
}

fn read_time(bytes: [u8; 6]) -> u64 {
    let mut wide = [0u8; 8];
    wide[2..].copy_from_slice(&bytes);
    u64::from_be_bytes(wide)
}

fn saturating_u16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TsigRecord {
        TsigRecord {
            key_name: "Key.Example.".parse().unwrap(),
            algorithm: "hmac-sha256.".parse().unwrap(),
            time_signed: 0x0001_2345_6789,
            fudge: 300,
            mac: vec![0xAB; 32],
            original_id: 0xBEEF,
            error: Rcode::NOERROR,
            other: vec![],
        }
    }

    fn message_with(record: &TsigRecord) -> Vec<u8> {
        let mut message = Header {
            id: 0xBEEF,
            ..Header::default()
        }
        .to_bytes()
        .to_vec();
        record.append_to(&mut message, 65535).unwrap();
        message
    }

    #[test]
    fn record_round_trips_through_a_message() {
        let record = sample();
        let message = message_with(&record);
        assert_eq!(message.len(), HEADER_LEN + record.wire_len());
        assert_eq!(Header::parse(&message).unwrap().arcount, 1);
        assert_eq!(find_tsig(&message), Ok(Some(HEADER_LEN)));
        let back = TsigRecord::from_message(&message, HEADER_LEN).unwrap();
        assert_eq!(back, record);
        assert!(back.key_name.eq_exact(&record.key_name));
        // The general parser agrees on the framing.
        let parsed = crate::Message::parse(&message).unwrap();
        assert_eq!(parsed.tsig_offset, Some(HEADER_LEN));
    }

    #[test]
    fn golden_bytes() {
        let record = TsigRecord {
            key_name: "k.".parse().unwrap(),
            algorithm: "hmac-sha1.".parse().unwrap(),
            time_signed: 0x0102_0304_0506,
            fudge: 0x012C,
            mac: vec![0xAA, 0xBB],
            original_id: 0x1234,
            error: Rcode::BADTIME,
            other: vec![0, 0, 0, 0, 0, 7],
        };
        let mut out = Vec::new();
        record.write(&mut out);
        let expected: Vec<u8> = [
            &[1, b'k', 0][..],
            &[0, 250, 0, 255, 0, 0, 0, 0],
            &[0, 35],
            b"\x09hmac-sha1\x00",
            &[1, 2, 3, 4, 5, 6],
            &[0x01, 0x2C],
            &[0, 2, 0xAA, 0xBB],
            &[0x12, 0x34],
            &[0, 18],
            &[0, 6, 0, 0, 0, 0, 0, 7],
        ]
        .concat();
        assert_eq!(out, expected);
        assert_eq!(record.wire_len(), expected.len());
        assert_eq!(record.server_time(), Some(7));
    }

    #[test]
    fn wrong_class_ttl_and_placement_are_refused() {
        let record = sample();
        let message = message_with(&record);
        let owner_end = HEADER_LEN + record.key_name.wire_len();

        let mut class = message.clone();
        class[owner_end + 3] = 1;
        assert_eq!(
            TsigRecord::from_message(&class, HEADER_LEN),
            Err(TsigFormatError::Class(Class::IN))
        );
        let mut ttl = message.clone();
        ttl[owner_end + 7] = 5;
        assert_eq!(
            TsigRecord::from_message(&ttl, HEADER_LEN),
            Err(TsigFormatError::Ttl(5))
        );
        let mut trailing = message.clone();
        trailing.push(0);
        assert_eq!(
            TsigRecord::from_message(&trailing, HEADER_LEN),
            Err(TsigFormatError::NotLast)
        );
        let mut no_count = message.clone();
        no_count[11] = 0;
        assert_eq!(
            TsigRecord::from_message(&no_count, HEADER_LEN),
            Err(TsigFormatError::NoAdditionalRecord)
        );
        assert_eq!(
            TsigRecord::from_message(&message, 3),
            Err(TsigFormatError::OffsetInHeader(3))
        );

        // A TSIG record followed by another record.
        let mut followed = message.clone();
        followed[11] = 2;
        followed.extend_from_slice(&[0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(find_tsig(&followed), Err(TsigFormatError::NotLast));
        // Two TSIG records.
        let mut twice = message.clone();
        twice[11] = 2;
        record.write(&mut twice);
        assert_eq!(find_tsig(&twice), Err(TsigFormatError::Duplicate));
        // A TSIG record in the answer section.
        let mut answer = message.clone();
        answer[7] = 1;
        answer[11] = 0;
        assert_eq!(find_tsig(&answer), Err(TsigFormatError::OutsideAdditional));
    }

    #[test]
    fn compressed_algorithm_name_is_refused() {
        let record = sample();
        let mut message = message_with(&record);
        // Replace "hmac-sha256." by a pointer to the key name.
        let alg_start = HEADER_LEN + record.key_name.wire_len() + 10;
        let alg_len = record.algorithm.wire_len();
        message.splice(alg_start..alg_start + alg_len, [0xC0, 12]);
        let rdlength_at = alg_start - 2;
        let rdlength = u16::from_be_bytes([message[rdlength_at], message[rdlength_at + 1]]);
        let rdlength = rdlength - alg_len as u16 + 2;
        message[rdlength_at..rdlength_at + 2].copy_from_slice(&rdlength.to_be_bytes());
        assert_eq!(
            TsigRecord::from_message(&message, HEADER_LEN),
            Err(TsigFormatError::AlgorithmName(NameError::UnexpectedPointer))
        );
    }

    #[test]
    fn rdata_length_must_match_the_fields() {
        let record = sample();
        let message = message_with(&record);
        let rdlength_at = HEADER_LEN + record.key_name.wire_len() + 8;
        // One octet more RDATA than the fields use.
        let mut longer = message.clone();
        longer[rdlength_at + 1] += 1;
        longer.push(0);
        assert_eq!(
            TsigRecord::from_message(&longer, HEADER_LEN),
            Err(TsigFormatError::RdataTrailing(1))
        );
        // One octet less.
        let mut shorter = message.clone();
        shorter[rdlength_at + 1] -= 1;
        shorter.pop();
        assert_eq!(
            TsigRecord::from_message(&shorter, HEADER_LEN),
            Err(TsigFormatError::RdataTruncated)
        );
        // Cut anywhere: an error, never a panic.
        for len in 0..message.len() {
            assert!(TsigRecord::from_message(&message[..len], HEADER_LEN).is_err());
            assert!(find_tsig(&message[..len]).is_err());
        }
    }

    #[test]
    fn append_respects_the_limit_and_leaves_the_message_alone() {
        let record = sample();
        let mut message = Header::default().to_bytes().to_vec();
        let before = message.clone();
        let limit = HEADER_LEN + record.wire_len() - 1;
        assert_eq!(
            record.append_to(&mut message, limit),
            Err(SignError::NoRoom {
                message: HEADER_LEN,
                record: record.wire_len(),
                limit
            })
        );
        assert_eq!(message, before);
        let mut full = Header {
            arcount: u16::MAX,
            ..Header::default()
        }
        .to_bytes()
        .to_vec();
        assert_eq!(
            record.append_to(&mut full, 65535),
            Err(SignError::AdditionalCountFull)
        );
        assert_eq!(
            record.append_to(&mut vec![0; 5], 65535),
            Err(SignError::NotAMessage)
        );
    }

    #[test]
    fn time_signed_is_48_bits() {
        assert_eq!(time_bytes(0x0000_0102_0304_0506), [1, 2, 3, 4, 5, 6]);
        assert_eq!(time_bytes(0xFFFF_0000_0000_0001), [0, 0, 0, 0, 0, 1]);
        assert_eq!(read_time([0xFF; 6]), MAX_TIME_SIGNED);
    }
}
