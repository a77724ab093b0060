//! The server side: verifying a signed request (RFC 8945 §5.2) and signing
//! the response, one message or a stream of them (§5.3).

use std::sync::Arc;

use super::algorithm::Algorithm;
use super::digest::{Chain, UnsignedRefusal, feed_received, request_mac, within_fudge};
use super::key::{Key, Keyring};
use super::record::{SignError, TsigFormatError, TsigRecord, check_mac_len, time_bytes};
use crate::header::Header;
use crate::name::Name;
use crate::types::Rcode;

/// A request whose TSIG verified: the key it proved it holds and what the
/// response needs to answer it.
#[derive(Clone, Debug)]
pub struct VerifiedRequest {
    key: Arc<Key>,
    mac: Vec<u8>,
    time_signed: u64,
    fudge: u16,
    original_id: u16,
}

impl VerifiedRequest {
    /// The key that signed the request: what ACLs and views match on.
    pub fn key(&self) -> &Arc<Key> {
        &self.key
    }

    /// The request MAC as received (possibly truncated); the response
    /// digest starts with it (RFC 8945 §4.3.2).
    pub fn mac(&self) -> &[u8] {
        &self.mac
    }

    /// The request's Time Signed.
    pub fn time_signed(&self) -> u64 {
        self.time_signed
    }

    /// The request's Fudge; the response uses it too.
    pub fn fudge(&self) -> u16 {
        self.fudge
    }

    /// The request's Original ID.
    pub fn original_id(&self) -> u16 {
        self.original_id
    }

    /// A signer for the response to this request.
    pub fn response_signer(&self) -> ResponseSigner {
        ResponseSigner::answering(self, Rcode::NOERROR)
    }
}

/// Why a signed request was not accepted, which decides the response
/// (RFC 8945 §5.2, §5.3.2): its header RCODE ([`TsigFailure::rcode`]), its
/// TSIG error ([`TsigFailure::tsig_error`]) and its TSIG record
/// ([`TsigFailure::sign_response`]).
#[derive(Clone, Debug, thiserror::Error)]
pub enum TsigFailure {
    /// The TSIG record cannot be interpreted or sits in the wrong place:
    /// FORMERR, with no TSIG record in the response.
    #[error("malformed TSIG record: {0}")]
    Malformed(#[from] TsigFormatError),
    /// No key of that name, or the key uses another algorithm (§5.2.1):
    /// NOTAUTH with an unsigned BADKEY record.
    #[error("unknown TSIG key `{}` with algorithm `{}`", .0.key_name, .0.algorithm)]
    BadKey(Box<TsigRecord>),
    /// The MAC does not verify (§5.2.2): NOTAUTH with an unsigned BADSIG
    /// record.
    #[error("TSIG MAC with key `{}` does not verify", .0.key_name)]
    BadSig(Box<TsigRecord>),
    /// The MAC verifies but the request was signed too far from our time
    /// (§5.2.3): NOTAUTH with a signed BADTIME record carrying our time.
    #[error(
        "request signed at {} with a fudge of {} seconds, but our time is {now}",
        .request.time_signed, .request.fudge
    )]
    BadTime {
        /// The request, authenticated.
        request: VerifiedRequest,
        /// Our time when we checked.
        now: u64,
    },
    /// The MAC verifies but is truncated below what the key accepts
    /// (§5.2.4): NOTAUTH with a signed BADTRUNC record.
    #[error(
        "request MAC truncated to {} octets, but key `{}` requires {}",
        .0.mac.len(), .0.key.name(), .0.key.mac_len()
    )]
    BadTrunc(VerifiedRequest),
}

impl TsigFailure {
    /// The RCODE in the response header: FORMERR for a malformed record,
    /// NOTAUTH for everything else (the TSIG error says what).
    pub fn rcode(&self) -> Rcode {
        match self {
            TsigFailure::Malformed(_) => Rcode::FORMERR,
            _ => Rcode::NOTAUTH,
        }
    }

    /// The name of the key the request was signed with, as the request
    /// gave it (`None` when the TSIG record could not be read).
    pub fn key_name(&self) -> Option<&Name> {
        match self {
            TsigFailure::Malformed(_) => None,
            TsigFailure::BadKey(record) | TsigFailure::BadSig(record) => Some(&record.key_name),
            TsigFailure::BadTime { request, .. } | TsigFailure::BadTrunc(request) => {
                Some(request.key.name())
            }
        }
    }

    /// The Error field of the response's TSIG record; `None` when the
    /// response carries no TSIG record.
    pub fn tsig_error(&self) -> Option<Rcode> {
        match self {
            TsigFailure::Malformed(_) => None,
            TsigFailure::BadKey(_) => Some(Rcode::BADKEY),
            TsigFailure::BadSig(_) => Some(Rcode::BADSIG),
            TsigFailure::BadTime { .. } => Some(Rcode::BADTIME),
            TsigFailure::BadTrunc(_) => Some(Rcode::BADTRUNC),
        }
    }

    /// Appends the TSIG record this failure calls for to the finished
    /// error response in `response` (whose header RCODE should be
    /// [`TsigFailure::rcode`]): nothing for FORMERR, an unsigned record for
    /// BADKEY and BADSIG, a signed one for BADTIME and BADTRUNC (§5.3.2).
    pub fn sign_response(
        &self,
        response: &mut Vec<u8>,
        now: u64,
        limit: usize,
    ) -> Result<(), SignError> {
        match self {
            TsigFailure::Malformed(_) => Ok(()),
            TsigFailure::BadKey(request) => {
                TsigRecord::unsigned_error(request, Rcode::BADKEY, now).append_to(response, limit)
            }
            TsigFailure::BadSig(request) => {
                TsigRecord::unsigned_error(request, Rcode::BADSIG, now).append_to(response, limit)
            }
            TsigFailure::BadTime { request, .. } => {
                ResponseSigner::answering(request, Rcode::BADTIME).sign(response, now, limit)
            }
            TsigFailure::BadTrunc(request) => {
                ResponseSigner::answering(request, Rcode::BADTRUNC).sign(response, now, limit)
            }
        }
    }
}

/// Signs the response to a verified request: its first message with the
/// request MAC and the full TSIG variables, each later message of a
/// multi-message response (AXFR, IXFR) with the prior MAC and the timers
/// (RFC 8945 §4.3.2, §5.3.1).
#[derive(Clone, Debug)]
pub struct ResponseSigner {
    chain: Chain,
    fudge: u16,
    /// NOERROR, or BADTIME/BADTRUNC for a signed error response.
    error: Rcode,
    /// The request's Time Signed, which a BADTIME response echoes.
    request_time: u64,
}

impl ResponseSigner {
    fn answering(request: &VerifiedRequest, error: Rcode) -> ResponseSigner {
        ResponseSigner {
            chain: Chain::new(request.key.clone(), request.mac.clone()),
            fudge: request.fudge,
            error,
            request_time: request.time_signed,
        }
    }

    /// The key responses are signed with.
    pub fn key(&self) -> &Arc<Key> {
        self.chain.key()
    }

    /// Octets [`ResponseSigner::sign`] adds to a message: room a writer
    /// should keep free under the size limit.
    pub fn record_len(&self) -> usize {
        let key = self.chain.key();
        self.record(0).wire_len() + key.mac_len()
    }

    /// Signs the finished message in `message`: appends a TSIG record and
    /// counts it in ARCOUNT. The message ID in the header becomes the
    /// Original ID. Fails, leaving the message unchanged, if the result
    /// would be longer than `limit`.
    pub fn sign(&mut self, message: &mut Vec<u8>, now: u64, limit: usize) -> Result<(), SignError> {
        let header = Header::parse(message).ok_or(SignError::NotAMessage)?;
        let mut record = self.record(now);
        record.original_id = header.id;
        // Check the room before spending an HMAC on it.
        record.mac = vec![0; self.chain.key().mac_len()];
        let limit = limit.min(u16::MAX as usize);
        if message.len() + record.wire_len() > limit {
            return Err(SignError::NoRoom {
                message: message.len(),
                record: record.wire_len(),
                limit,
            });
        }
        let output = self
            .chain
            .compute(|mac| mac.update(message.as_slice()), &record);
        record.mac = output.truncated(self.chain.key().mac_len()).to_vec();
        record.append_to(message, limit)?;
        self.chain.advance(&record.mac);
        Ok(())
    }

    /// Sends `message` unsigned: it goes into the digest of the next signed
    /// message. RFC 8945 §5.3.1 says servers sign every message; this is
    /// for the clients' side of that rule (at most 99 unsigned in a row,
    /// never the first) and for testing them.
    pub fn pass_unsigned(&mut self, message: &[u8]) -> Result<(), SignError> {
        self.chain
            .add_unsigned(message)
            .map_err(|refusal| match refusal {
                UnsignedRefusal::First => SignError::FirstMessageUnsigned,
                UnsignedRefusal::TooMany => SignError::TooManyUnsigned,
            })
    }

    /// The TSIG record to sign at `now`, MAC and original ID still empty.
    fn record(&self, now: u64) -> TsigRecord {
        let key = self.chain.key();
        // A BADTIME response echoes the client's time, so the client can
        // verify it whatever its clock, and gives ours in Other Data
        // (RFC 8945 §5.2.3).
        let (time_signed, other) = if self.error == Rcode::BADTIME {
            (self.request_time, time_bytes(now).to_vec())
        } else {
            (now, Vec::new())
        };
        TsigRecord {
            key_name: key.name().clone(),
            algorithm: key.algorithm().wire_name(),
            time_signed,
            fudge: self.fudge,
            mac: Vec::new(),
            original_id: 0,
            error: self.error,
            other,
        }
    }
}

/// Verifies the TSIG record at `tsig_offset` of the request `message`
/// (RFC 8945 §5.2), in the order the RFC gives: the record's format, the
/// key (§5.2.1), the MAC (§5.2.2), the time (§5.2.3), the truncation
/// policy (§5.2.4).
///
/// `tsig_offset` is what [`crate::request::parse_into`] found; `now` is
/// our time in seconds since the Unix epoch. Replay protection beyond the
/// fudge window (remembering the last Time Signed of each key, a SHOULD of
/// §5.2.3) is left to the caller, which has the state.
pub fn verify_request(
    message: &[u8],
    tsig_offset: usize,
    keyring: &Keyring,
    now: u64,
) -> Result<VerifiedRequest, TsigFailure> {
    let record = TsigRecord::from_message(message, tsig_offset)?;
    let Some(key) = Algorithm::from_wire_name(&record.algorithm)
        .and_then(|algorithm| keyring.find(&record.key_name, algorithm))
    else {
        return Err(TsigFailure::BadKey(Box::new(record)));
    };
    check_mac_len(&record.mac, key.algorithm())?;
    let output = request_mac(
        key,
        |mac| feed_received(mac, message, tsig_offset, record.original_id),
        &record,
    );
    if !output.matches(&record.mac) {
        return Err(TsigFailure::BadSig(Box::new(record)));
    }
    let request = VerifiedRequest {
        key: key.clone(),
        time_signed: record.time_signed,
        fudge: record.fudge,
        original_id: record.original_id,
        mac: record.mac,
    };
    if !within_fudge(now, request.time_signed, request.fudge) {
        return Err(TsigFailure::BadTime { request, now });
    }
    if request.mac.len() < key.mac_len() {
        return Err(TsigFailure::BadTrunc(request));
    }
    Ok(request)
}
