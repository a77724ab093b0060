//! The compact binary form of a record shared by the journal and the zone
//! dump. All integers are big-endian, as on the wire.
//!
//! ```text
//!  ┌────────────────────────┬──────────┬───────────┬─────────┬──────────────┬────────────┐
//!  │ owner (uncompressed    │ type u16 │ class u16 │ TTL u32 │ rdlength u16 │ RDATA      │
//!  │ wire form, root label) │          │           │         │              │ (rdlength) │
//!  └────────────────────────┴──────────┴───────────┴─────────┴──────────────┴────────────┘
//! ```
//!
//! This is the RFC 1035 §4.1.3 resource record without compression, so the
//! bytes are easy to inspect with DNS tools. Decoding checks every length
//! against what is left and validates the owner name; it never trusts a
//! count for an allocation.

use std::io::{self, Read};

use wire::name::{MAX_LABEL_LEN, MAX_NAME_LEN};
use wire::{Class, Name, NameError, Record, Rtype};

/// The smallest encoded record: the root owner and the fixed fields.
pub(crate) const MIN_RECORD_LEN: usize = 1 + 10;

/// Why a record cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// RDATA longer than the 16-bit RDLENGTH field can state.
    #[error("record {owner} {rtype} has {len} octets of RDATA, more than 65535")]
    RdataTooLong {
        /// Owner of the record.
        owner: Name,
        /// Its type.
        rtype: Rtype,
        /// Its RDATA length.
        len: usize,
    },
}

/// Why stored bytes do not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A field runs past the end of its entry or section.
    #[error("data ends in the middle of a field")]
    Truncated,
    /// An owner name is malformed.
    #[error("bad owner name: {0}")]
    Name(#[from] NameError),
    /// Octets left over after the last field.
    #[error("{0} unexpected octets after the last field")]
    TrailingBytes(usize),
}

/// A failure while decoding from a reader: bad data, or the reader itself.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The bytes do not decode.
    Decode(DecodeError),
    /// The underlying reader failed (other than by ending early).
    Io(io::Error),
}

impl From<DecodeError> for ReadError {
    fn from(error: DecodeError) -> ReadError {
        ReadError::Decode(error)
    }
}

impl ReadError {
    /// The decode error, for readers over memory: a slice only ever fails
    /// by ending early, which `read_exact_or_truncated` already reports as
    /// [`DecodeError::Truncated`].
    pub(crate) fn into_decode(self) -> DecodeError {
        match self {
            ReadError::Decode(error) => error,
            ReadError::Io(_) => DecodeError::Truncated,
        }
    }
}

/// Appends the encoded form of `record` to `out`.
pub(crate) fn encode_record(record: &Record, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let rdlength = u16::try_from(record.rdata.len()).map_err(|_| EncodeError::RdataTooLong {
        owner: record.owner.clone(),
        rtype: record.rtype,
        len: record.rdata.len(),
    })?;
    out.extend_from_slice(record.owner.as_wire());
    out.extend_from_slice(&record.rtype.0.to_be_bytes());
    out.extend_from_slice(&record.class.0.to_be_bytes());
    out.extend_from_slice(&record.ttl.to_be_bytes());
    out.extend_from_slice(&rdlength.to_be_bytes());
    out.extend_from_slice(&record.rdata);
    Ok(())
}

/// Reads one encoded record.
pub(crate) fn read_record(reader: &mut impl Read) -> Result<Record, ReadError> {
    let owner = read_name(reader)?;
    let mut fixed = [0u8; 10];
    read_exact_or_truncated(reader, &mut fixed)?;
    let rdlength = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
    // At most 65535 octets, so this allocation is bounded whatever the input.
    let mut rdata = vec![0u8; rdlength];
    read_exact_or_truncated(reader, &mut rdata)?;
    Ok(Record {
        owner,
        rtype: Rtype(u16::from_be_bytes([fixed[0], fixed[1]])),
        class: Class(u16::from_be_bytes([fixed[2], fixed[3]])),
        ttl: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
        rdata,
    })
}

/// Reads an uncompressed wire-form name, label by label, never more than
/// 255 octets.
pub(crate) fn read_name(reader: &mut impl Read) -> Result<Name, ReadError> {
    let mut wire = [0u8; MAX_NAME_LEN];
    let mut len = 0;
    loop {
        let label_len = read_u8(reader)? as usize;
        if label_len & 0xC0 != 0 {
            // Pointers and extended label types have no place in stored names.
            return Err(DecodeError::Name(NameError::BadLabelType).into());
        }
        if label_len > MAX_LABEL_LEN {
            return Err(DecodeError::Name(NameError::LabelTooLong).into());
        }
        if len + 1 + label_len > MAX_NAME_LEN {
            return Err(DecodeError::Name(NameError::NameTooLong).into());
        }
        wire[len] = label_len as u8;
        read_exact_or_truncated(reader, &mut wire[len + 1..len + 1 + label_len])?;
        len += 1 + label_len;
        if label_len == 0 {
            break;
        }
    }
    Name::from_wire(&wire[..len]).map_err(|error| DecodeError::Name(error).into())
}

/// Reads one octet.
pub(crate) fn read_u8(reader: &mut impl Read) -> Result<u8, ReadError> {
    let mut buf = [0u8; 1];
    read_exact_or_truncated(reader, &mut buf)?;
    Ok(buf[0])
}

/// Reads a big-endian u16.
pub(crate) fn read_u16(reader: &mut impl Read) -> Result<u16, ReadError> {
    let mut buf = [0u8; 2];
    read_exact_or_truncated(reader, &mut buf)?;
    Ok(u16::from_be_bytes(buf))
}

/// Reads a big-endian u32.
pub(crate) fn read_u32(reader: &mut impl Read) -> Result<u32, ReadError> {
    let mut buf = [0u8; 4];
    read_exact_or_truncated(reader, &mut buf)?;
    Ok(u32::from_be_bytes(buf))
}

/// Reads a big-endian u64.
pub(crate) fn read_u64(reader: &mut impl Read) -> Result<u64, ReadError> {
    let mut buf = [0u8; 8];
    read_exact_or_truncated(reader, &mut buf)?;
    Ok(u64::from_be_bytes(buf))
}

/// `read_exact`, with an early end reported as [`DecodeError::Truncated`].
pub(crate) fn read_exact_or_truncated(
    reader: &mut impl Read,
    buf: &mut [u8],
) -> Result<(), ReadError> {
    reader.read_exact(buf).map_err(|error| {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            ReadError::Decode(DecodeError::Truncated)
        } else {
            ReadError::Io(error)
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Arbitrary valid names: up to five labels of up to 20 arbitrary octets.
    pub(crate) fn arbitrary_name() -> impl Strategy<Value = Name> {
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..20), 0..5).prop_map(
            |labels| {
                let mut wire = Vec::new();
                for label in labels {
                    wire.push(label.len() as u8);
                    wire.extend_from_slice(&label);
                }
                wire.push(0);
                Name::from_wire(&wire).expect("five labels of under 20 octets fit in 255")
            },
        )
    }

    /// Arbitrary records with any type, class, TTL and RDATA.
    pub(crate) fn arbitrary_record() -> impl Strategy<Value = Record> {
        (
            arbitrary_name(),
            any::<u16>(),
            any::<u16>(),
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 0..300),
        )
            .prop_map(|(owner, rtype, class, ttl, rdata)| Record {
                owner,
                rtype: Rtype(rtype),
                class: Class(class),
                ttl,
                rdata,
            })
    }

    #[test]
    fn rdata_over_65535_octets_is_refused() {
        let record = Record {
            owner: Name::root(),
            rtype: Rtype::TXT,
            class: Class::IN,
            ttl: 1,
            rdata: vec![0; 65_536],
        };
        let mut out = Vec::new();
        assert!(matches!(
            encode_record(&record, &mut out),
            Err(EncodeError::RdataTooLong { len: 65_536, .. })
        ));
    }

    #[test]
    fn compression_pointer_in_owner_is_refused() {
        let bytes = [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0];
        assert!(matches!(
            read_record(&mut &bytes[..]),
            Err(ReadError::Decode(DecodeError::Name(
                NameError::BadLabelType
            )))
        ));
    }

    proptest! {
        #[test]
        fn records_round_trip(record in arbitrary_record()) {
            let mut out = Vec::new();
            encode_record(&record, &mut out).unwrap();
            let mut reader = &out[..];
            let decoded = read_record(&mut reader).unwrap();
            prop_assert!(reader.is_empty());
            prop_assert!(decoded.owner.eq_exact(&record.owner));
            prop_assert_eq!(decoded, record);
        }

        #[test]
        fn any_bytes_decode_or_fail_without_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            let _ = read_record(&mut &bytes[..]);
        }
    }
}
