//! What goes into a MAC (RFC 8945 §4.3), and the chain of MACs that ties
//! the messages of a response to their request and to each other (§4.3.2,
//! §5.3.1). Shared by the server's signer and the client's verifier, so the
//! two sides cannot disagree.

use std::fmt;
use std::sync::Arc;

use super::key::Key;
use super::mac::{MacOutput, RunningMac};
use super::record::{TsigRecord, time_bytes};
use crate::header::{HEADER_LEN, Header};
use crate::name::MAX_NAME_LEN;
use crate::types::Class;

/// Most unsigned messages a multi-message response may carry in a row
/// between two signed ones (RFC 8945 §5.3.1: a client "MUST accept up to 99
/// intermediary messages without a TSIG").
pub const MAX_UNSIGNED_IN_A_ROW: usize = 99;

/// Feeds a MAC that is part of the digest: its two-octet length, then the
/// MAC itself (the "Request MAC" of §4.3.2 and the "Prior MAC" of §5.3.1).
fn feed_prior_mac(mac: &mut RunningMac, prior: &[u8]) {
    let len = u16::try_from(prior.len()).unwrap_or(u16::MAX);
    mac.update(&len.to_be_bytes());
    mac.update(prior);
}

/// Feeds a received message as it was before its TSIG record was added
/// (§4.3.3, §5.2): the header with the original ID and ARCOUNT one lower,
/// then everything up to the TSIG record at `tsig_offset`.
pub(crate) fn feed_received(
    mac: &mut RunningMac,
    message: &[u8],
    tsig_offset: usize,
    original_id: u16,
) {
    // `TsigRecord::from_message` has checked the header, ARCOUNT ≥ 1 and
    // the offset; the fallbacks only keep this free of panics.
    let Some(mut header) = Header::parse(message) else {
        return;
    };
    header.id = original_id;
    header.arcount = header.arcount.saturating_sub(1);
    mac.update(&header.to_bytes());
    mac.update(message.get(HEADER_LEN..tsig_offset).unwrap_or_default());
}

/// Feeds a name in canonical form: uncompressed and lower-cased (§4.3.3,
/// RFC 4034 §6.2).
fn feed_canonical_name(mac: &mut RunningMac, wire: &[u8]) {
    let mut lower = [0u8; MAX_NAME_LEN];
    let len = wire.len().min(MAX_NAME_LEN);
    lower[..len].copy_from_slice(&wire[..len]);
    lower[..len].make_ascii_lowercase();
    mac.update(&lower[..len]);
}

/// Feeds the TSIG variables of `record` (§4.3.3): key name, class ANY,
/// TTL 0, algorithm name, time signed, fudge, error, other length, other
/// data. The MAC, its size and the original ID are not variables.
pub(crate) fn feed_variables(mac: &mut RunningMac, record: &TsigRecord) {
    feed_canonical_name(mac, record.key_name.as_wire());
    mac.update(&Class::ANY.0.to_be_bytes());
    mac.update(&0u32.to_be_bytes());
    feed_canonical_name(mac, record.algorithm.as_wire());
    feed_timers(mac, record);
    mac.update(&record.error.0.to_be_bytes());
    let other_len = u16::try_from(record.other.len()).unwrap_or(u16::MAX);
    mac.update(&other_len.to_be_bytes());
    mac.update(&record.other);
}

/// Feeds the TSIG timers of `record` (§5.3.1): time signed and fudge.
pub(crate) fn feed_timers(mac: &mut RunningMac, record: &TsigRecord) {
    mac.update(&time_bytes(record.time_signed));
    mac.update(&record.fudge.to_be_bytes());
}

/// The MAC of a request: the message, then its variables (§4.3.1).
pub(crate) fn request_mac(
    key: &Key,
    feed_message: impl FnOnce(&mut RunningMac),
    record: &TsigRecord,
) -> MacOutput {
    let mut mac = RunningMac::new(key.algorithm(), key.secret());
    feed_message(&mut mac);
    feed_variables(&mut mac, record);
    mac.finalize()
}

/// Whether `time_signed ± fudge` covers `now` (RFC 8945 §5.2.3).
pub(crate) fn within_fudge(now: u64, time_signed: u64, fudge: u16) -> bool {
    now.abs_diff(time_signed) <= u64::from(fudge)
}

/// Why a message cannot be left unsigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnsignedRefusal {
    /// The first message of a response must be signed.
    First,
    /// 99 unsigned messages in a row already.
    TooMany,
}

/// Where a response stands in its chain of MACs.
///
/// The first signed message is digested after the request MAC with the
/// full variables; every later one after the prior MAC and the unsigned
/// messages in between, with the timers only (§5.3.1).
#[derive(Clone)]
pub(crate) struct Chain {
    key: Arc<Key>,
    /// The request MAC until the first message is signed, then the MAC of
    /// the last signed message, as it went on the wire (truncated or not).
    prior_mac: Vec<u8>,
    /// No message of the response has been signed yet.
    first: bool,
    /// The digest of the next signed message so far: the prior MAC and the
    /// unsigned messages since, when there are any.
    pending: Option<RunningMac>,
    /// Unsigned messages since the last signed one.
    unsigned: usize,
}

impl Chain {
    /// The chain of the response to a request that carried `request_mac`.
    pub(crate) fn new(key: Arc<Key>, request_mac: Vec<u8>) -> Chain {
        Chain {
            key,
            prior_mac: request_mac,
            first: true,
            pending: None,
            unsigned: 0,
        }
    }

    /// The key of the exchange.
    pub(crate) fn key(&self) -> &Arc<Key> {
        &self.key
    }

    /// Unsigned messages since the last signed one.
    pub(crate) fn unsigned(&self) -> usize {
        self.unsigned
    }

    /// Takes an unsigned message into the digest of the next signed one.
    pub(crate) fn add_unsigned(&mut self, message: &[u8]) -> Result<(), UnsignedRefusal> {
        if self.first {
            return Err(UnsignedRefusal::First);
        }
        if self.unsigned >= MAX_UNSIGNED_IN_A_ROW {
            return Err(UnsignedRefusal::TooMany);
        }
        let key = &self.key;
        let prior = &self.prior_mac;
        self.pending
            .get_or_insert_with(|| start(key, prior))
            .update(message);
        self.unsigned += 1;
        Ok(())
    }

    /// The MAC of the next signed message, without moving the chain on:
    /// prior MAC, unsigned messages, the message as `feed_message` feeds it,
    /// then the variables of `record` (first message) or its timers.
    pub(crate) fn compute(
        &self,
        feed_message: impl FnOnce(&mut RunningMac),
        record: &TsigRecord,
    ) -> MacOutput {
        let mut mac = match &self.pending {
            Some(pending) => pending.clone(),
            None => start(&self.key, &self.prior_mac),
        };
        feed_message(&mut mac);
        if self.first {
            feed_variables(&mut mac, record);
        } else {
            feed_timers(&mut mac, record);
        }
        mac.finalize()
    }

    /// Moves the chain past a signed message whose MAC was `mac`.
    pub(crate) fn advance(&mut self, mac: &[u8]) {
        self.prior_mac = mac.to_vec();
        self.first = false;
        self.pending = None;
        self.unsigned = 0;
    }
}

/// A digest that starts with `prior` and its length.
fn start(key: &Key, prior: &[u8]) -> RunningMac {
    let mut mac = RunningMac::new(key.algorithm(), key.secret());
    feed_prior_mac(&mut mac, prior);
    mac
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("key", &self.key)
            .field("prior_mac_len", &self.prior_mac.len())
            .field("first", &self.first)
            .field("unsigned", &self.unsigned)
            .finish()
    }
}
