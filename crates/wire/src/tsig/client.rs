//! The client side: signing a request (RFC 8945 §5.1) and verifying the
//! response, a single message or a stream (§5.3.1, §5.4).

use std::sync::Arc;

use super::algorithm::Algorithm;
use super::digest::{Chain, UnsignedRefusal, feed_received, request_mac, within_fudge};
use super::key::Key;
use super::record::{SignError, TsigFormatError, TsigRecord, check_mac_len, find_tsig};
use crate::header::Header;
use crate::name::Name;
use crate::types::Rcode;

/// Signs the finished request in `message` with `key` at `now`: appends
/// the TSIG record and counts it in ARCOUNT. Returns the verifier for the
/// response, which keeps the request MAC the response is chained to.
pub fn sign_request(
    message: &mut Vec<u8>,
    key: Arc<Key>,
    now: u64,
    fudge: u16,
) -> Result<ResponseVerifier, SignError> {
    let header = Header::parse(message).ok_or(SignError::NotAMessage)?;
    let mut record = TsigRecord {
        key_name: key.name().clone(),
        algorithm: key.algorithm().wire_name(),
        time_signed: now,
        fudge,
        mac: Vec::new(),
        original_id: header.id,
        error: Rcode::NOERROR,
        other: Vec::new(),
    };
    let output = request_mac(&key, |mac| mac.update(message.as_slice()), &record);
    record.mac = output.truncated(key.mac_len()).to_vec();
    record.append_to(message, u16::MAX as usize)?;
    Ok(ResponseVerifier {
        chain: Chain::new(key, record.mac),
        verified: 0,
    })
}

/// How a message of the response was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Its TSIG verified; it and the unsigned messages before it are
    /// authentic.
    Signed,
    /// It carries no TSIG and is accepted provisionally: the next signed
    /// message covers it, and [`ResponseVerifier::finish`] fails if none
    /// comes.
    Unsigned,
}

/// Why a response (or one message of a response stream) is not accepted.
/// After any of these on a stream, the client closes the connection (RFC
/// 8945 §5.3.1); on UDP it may keep waiting for the genuine answer, since a
/// refused message leaves the verifier as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// The TSIG record is malformed or misplaced.
    #[error("malformed TSIG record in the response: {0}")]
    Malformed(#[from] TsigFormatError),
    /// The first message of the response carries no TSIG record.
    #[error("the response is not signed")]
    Unsigned,
    /// More than 99 messages in a row without a TSIG record (RFC 8945
    /// §5.3.1).
    #[error("more than 99 messages in a row are unsigned")]
    TooManyUnsigned,
    /// Signed with another key or algorithm than the request.
    #[error("response signed with key `{key_name}` and algorithm `{algorithm}`, not the request's")]
    WrongKey {
        /// Key name of the response.
        key_name: Name,
        /// Algorithm name of the response.
        algorithm: Name,
    },
    /// The server refused the request with an unsigned TSIG error (BADKEY
    /// or BADSIG, RFC 8945 §5.3.2). Unauthenticated: anyone could have
    /// sent it.
    #[error("the server answered with an unsigned TSIG error {0}")]
    UnsignedError(Rcode),
    /// The server refused the request with a signed TSIG error (BADTIME or
    /// BADTRUNC); the MAC verified, so it did come from the server.
    #[error("the server answered with TSIG error {error}")]
    ServerError {
        /// The TSIG error.
        error: Rcode,
        /// The server's clock, given with BADTIME.
        server_time: Option<u64>,
    },
    /// The MAC does not verify.
    #[error("the response MAC does not verify")]
    BadSig,
    /// The message was signed too far from our time.
    #[error(
        "response signed at {time_signed} with a fudge of {fudge} seconds, but our time is {now}"
    )]
    BadTime {
        /// Time Signed of the message.
        time_signed: u64,
        /// Fudge of the message.
        fudge: u16,
        /// Our time.
        now: u64,
    },
    /// The MAC is truncated below what the key accepts.
    #[error("response MAC truncated to {len} octets, but the key requires {required}")]
    BadTrunc {
        /// Length of the received MAC.
        len: usize,
        /// Shortest length the key accepts.
        required: usize,
    },
    /// The response ended without any signed message.
    #[error("no signed message was received")]
    NothingVerified,
    /// The last message of the response was unsigned (RFC 8945 §5.3.1).
    #[error("the last {0} messages of the response are unsigned")]
    LastMessageUnsigned(usize),
}

/// Verifies the response to a signed request, message by message.
#[derive(Clone, Debug)]
pub struct ResponseVerifier {
    chain: Chain,
    verified: usize,
}

impl ResponseVerifier {
    /// The key of the exchange.
    pub fn key(&self) -> &Arc<Key> {
        self.chain.key()
    }

    /// Takes the next message of the response, in the order received.
    ///
    /// A message without TSIG is accepted only after the first and when
    /// fewer than 99 came unsigned just before it; the next signed message
    /// authenticates it. A signed message is checked as a server checks a
    /// request (RFC 8945 §5.4): key, MAC, time, truncation. When it is
    /// refused the verifier stays as it was.
    pub fn verify(&mut self, message: &[u8], now: u64) -> Result<Verified, ResponseError> {
        let Some(tsig_offset) = find_tsig(message)? else {
            return match self.chain.add_unsigned(message) {
                Ok(()) => Ok(Verified::Unsigned),
                Err(UnsignedRefusal::First) => Err(ResponseError::Unsigned),
                Err(UnsignedRefusal::TooMany) => Err(ResponseError::TooManyUnsigned),
            };
        };
        let record = TsigRecord::from_message(message, tsig_offset)?;
        let key = self.chain.key();
        if record.key_name != *key.name()
            || Algorithm::from_wire_name(&record.algorithm) != Some(key.algorithm())
        {
            return Err(ResponseError::WrongKey {
                key_name: record.key_name,
                algorithm: record.algorithm,
            });
        }
        if record.mac.is_empty() && record.error != Rcode::NOERROR {
            return Err(ResponseError::UnsignedError(record.error));
        }
        check_mac_len(&record.mac, key.algorithm())?;
        let output = self.chain.compute(
            |mac| feed_received(mac, message, tsig_offset, record.original_id),
            &record,
        );
        if !output.matches(&record.mac) {
            return Err(ResponseError::BadSig);
        }
        if record.error != Rcode::NOERROR {
            return Err(ResponseError::ServerError {
                error: record.error,
                server_time: record.server_time(),
            });
        }
        if !within_fudge(now, record.time_signed, record.fudge) {
            return Err(ResponseError::BadTime {
                time_signed: record.time_signed,
                fudge: record.fudge,
                now,
            });
        }
        if record.mac.len() < key.mac_len() {
            return Err(ResponseError::BadTrunc {
                len: record.mac.len(),
                required: key.mac_len(),
            });
        }
        self.chain.advance(&record.mac);
        self.verified += 1;
        Ok(Verified::Signed)
    }

    /// Checks that the response ended well: at least one message signed,
    /// and the last one signed (RFC 8945 §5.3.1).
    pub fn finish(&self) -> Result<(), ResponseError> {
        if self.verified == 0 {
            return Err(ResponseError::NothingVerified);
        }
        match self.chain.unsigned() {
            0 => Ok(()),
            trailing => Err(ResponseError::LastMessageUnsigned(trailing)),
        }
    }

    /// Signed messages verified so far.
    pub fn signed_messages(&self) -> usize {
        self.verified
    }
}
