//! Outgoing zone transfers: AXFR (RFC 5936) and IXFR (RFC 1995) responses
//! as a stream of messages.
//!
//! ```text
//!  request ─► plan() ─┬─ UpToDate ─────► one message: the current SOA
//!                     ├─ Incremental ──► SOA(new) {SOA(from) removed… SOA(to) added…}* SOA(new)
//!                     └─ Full ─────────► SOA, every other record, SOA
//!                                 │
//!                 pack records into messages ≤ 64 KiB, compressed,
//!                 question in the first; each message handed to `emit`
//!                 (which signs it with TSIG and writes it)
//! ```
//!
//! Generation is synchronous and pulls records straight from the snapshot,
//! so a transfer of a million records never holds them all as messages;
//! the driver runs it on a blocking thread feeding a bounded channel.

use wire::header::flags;
use wire::name::MAX_NAME_LEN;
use wire::writer::{Full, Owner, Section, Writer};
use wire::{Class, Record, Rtype, Serial};
use zone::Zone;

use crate::journal::Diff;

/// Room kept at the end of each message for the TSIG record.
pub const TSIG_RESERVE: usize = 512;
/// Largest transfer message (RFC 5936 §2.2: at most 65535 octets over TCP).
pub const MAX_MESSAGE: usize = 65535;

/// What the response will be.
#[derive(Debug)]
pub enum Plan {
    /// The client already has our serial or a newer one: answer with the
    /// current SOA alone (RFC 1995 §2).
    UpToDate,
    /// The journal reaches back to the client's serial.
    Incremental(Vec<Diff>),
    /// The whole zone (AXFR, or IXFR answered AXFR-style).
    Full,
}

/// Chooses the response for an AXFR (`client_serial` `None`) or an IXFR
/// from `client_serial`, asking `history` for the differences since then.
pub fn plan(
    zone: &Zone,
    client_serial: Option<Serial>,
    history: impl FnOnce(Serial) -> Option<Vec<Diff>>,
) -> Plan {
    let Some(client) = client_serial else {
        return Plan::Full;
    };
    let ours = zone.serial();
    if !ours.is_newer_than(client) {
        return Plan::UpToDate;
    }
    match history(client) {
        Some(diffs)
            if diffs.first().is_some_and(|d| d.from == client)
                && diffs.last().is_some_and(|d| d.to == ours) =>
        {
            Plan::Incremental(diffs)
        }
        _ => Plan::Full,
    }
}

/// Why a transfer stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// One record is larger than a message can carry.
    #[error("a record of {0} does not fit in a transfer message")]
    RecordTooLarge(String),
    /// The receiving side went away (`emit` returned false).
    #[error("the transfer was abandoned by the receiver")]
    Abandoned,
    /// A journal difference lacks its SOA records.
    #[error("a journal entry has no SOA records")]
    MalformedDiff,
}

/// How each message starts: the request's ID and question.
#[derive(Clone, Copy, Debug)]
pub struct MessageFrame<'a> {
    /// ID of the request.
    pub id: u16,
    /// The question section of the request, verbatim (name, type, class).
    pub question: &'a [u8],
}

/// One record to send; the owner is held inline so zone records need no
/// allocation.
struct Rr<'z> {
    owner: [u8; MAX_NAME_LEN],
    owner_len: usize,
    rtype: Rtype,
    ttl: u32,
    rdata: &'z [u8],
}

impl<'z> Rr<'z> {
    fn of(r: &'z Record) -> Rr<'z> {
        let mut owner = [0u8; MAX_NAME_LEN];
        let wire = r.owner.as_wire();
        owner[..wire.len()].copy_from_slice(wire);
        Rr {
            owner,
            owner_len: wire.len(),
            rtype: r.rtype,
            ttl: r.ttl,
            rdata: &r.rdata,
        }
    }

    fn owner(&self) -> &[u8] {
        &self.owner[..self.owner_len]
    }
}

/// The records of a response, in order.
fn records<'z>(
    zone: &'z Zone,
    soa: &'z Record,
    plan: &'z Plan,
) -> Result<Box<dyn Iterator<Item = Rr<'z>> + 'z>, StreamError> {
    let first = std::iter::once(Rr::of(soa));
    Ok(match plan {
        Plan::UpToDate => Box::new(first),
        Plan::Full => {
            let body = zone.rrsets().skip(1).flat_map(|set| {
                let mut owner = [0u8; MAX_NAME_LEN];
                let owner_len = set.owner(&mut owner);
                let (rtype, ttl) = (set.rtype, set.ttl);
                set.rdatas().map(move |rdata| Rr {
                    owner,
                    owner_len,
                    rtype,
                    ttl,
                    rdata,
                })
            });
            Box::new(first.chain(body).chain(std::iter::once(Rr::of(soa))))
        }
        Plan::Incremental(diffs) => {
            for diff in diffs {
                let has_soas = diff.removed.iter().any(|r| r.rtype == Rtype::SOA)
                    && diff.added.iter().any(|r| r.rtype == Rtype::SOA);
                if !has_soas {
                    return Err(StreamError::MalformedDiff);
                }
            }
            // Each difference: old SOA, deletions, new SOA, additions (RFC 1995 §4).
            let body = diffs.iter().flat_map(|diff| {
                let soa_of =
                    |list: &'z [Record]| list.iter().filter(|r| r.rtype == Rtype::SOA).take(1);
                let others = |list: &'z [Record]| list.iter().filter(|r| r.rtype != Rtype::SOA);
                soa_of(&diff.removed)
                    .chain(others(&diff.removed))
                    .chain(soa_of(&diff.added))
                    .chain(others(&diff.added))
                    .map(Rr::of)
            });
            Box::new(first.chain(body).chain(std::iter::once(Rr::of(soa))))
        }
    })
}

/// Writes a transfer response: `plan` for `zone`, each message handed to
/// `emit` complete (header counts set, question in the first) with room left
/// for a TSIG record. `emit` may sign the message in place; it returns false
/// to stop the transfer. Returns the number of messages sent.
pub fn stream(
    zone: &Zone,
    plan: &Plan,
    frame: MessageFrame<'_>,
    mut emit: impl FnMut(&mut Vec<u8>) -> bool,
) -> Result<usize, StreamError> {
    let soa = zone.soa_record();
    let mut iter = records(zone, &soa, plan)?.peekable();
    let mut buf = Vec::with_capacity(MAX_MESSAGE);
    let mut messages = 0;
    while messages == 0 || iter.peek().is_some() {
        let mut writer = Writer::new(&mut buf, MAX_MESSAGE - TSIG_RESERVE);
        if messages == 0 && writer.question_raw(frame.question).is_err() {
            return Err(StreamError::RecordTooLarge("the question".into()));
        }
        writer.set_section(Section::Answer);
        let mut count = 0usize;
        while let Some(rr) = iter.peek() {
            match writer.record(
                Owner::Name(rr.owner()),
                rr.rtype,
                Class::IN,
                rr.ttl,
                rr.rdata,
            ) {
                Ok(()) => {
                    count += 1;
                    iter.next();
                }
                Err(Full) if count > 0 => break,
                Err(Full) => {
                    let name = wire::Name::from_wire(rr.owner())
                        .map(|n| n.to_string())
                        .unwrap_or_default();
                    return Err(StreamError::RecordTooLarge(format!("{name} {}", rr.rtype)));
                }
            }
        }
        writer.finish(frame.id, flags::QR | flags::AA);
        if !emit(&mut buf) {
            return Err(StreamError::Abandoned);
        }
        messages += 1;
    }
    Ok(messages)
}
