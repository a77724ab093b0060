//! Incoming zone transfers: reading an AXFR or IXFR response message by
//! message, without I/O, into either a full zone or a chain of differences.
//!
//! ```text
//!  AXFR:  SOA(N) records… SOA(N)                                  → Full
//!  IXFR:  SOA(N)                         (N not newer than ours)  → UpToDate
//!         SOA(N) SOA(ours) del… SOA(a) add… SOA(a) del… … SOA(N)  → Incremental
//!         SOA(N) records… SOA(N)         (answered AXFR-style)     → Full
//! ```
//!
//! Every structural rule is checked (SOA first and last, serials chaining
//! from ours to N, owners inside the zone); anything else is an error, and
//! the caller falls back to AXFR or keeps its copy. Records outside the zone
//! are dropped, as RFC 5936 §3.3 asks.

use wire::header::flags;
use wire::{Message, Name, Rcode, Record, Rtype, Serial};

use crate::journal::Diff;

/// Which transfer was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// AXFR.
    Axfr,
    /// IXFR from the serial we hold.
    Ixfr(Serial),
}

/// A complete transfer.
#[derive(Debug)]
pub enum Received {
    /// The whole zone at `serial`.
    Full {
        /// The new serial.
        serial: Serial,
        /// Every record (SOA included).
        records: Vec<Record>,
    },
    /// Differences from our serial to the primary's.
    Incremental(Vec<Diff>),
    /// We already hold the primary's serial (or a newer one).
    UpToDate(Serial),
}

/// Why a transfer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// The primary answered with an error RCODE (REFUSED, NOTAUTH…).
    #[error("the primary answered {0}")]
    Refused(Rcode),
    /// A message that is not a response, or not to our question.
    #[error("not a response to our transfer request")]
    NotAResponse,
    /// The first record is not the zone's SOA.
    #[error("the transfer does not start with the zone's SOA")]
    NoLeadingSoa,
    /// Records after the closing SOA.
    #[error("records follow the closing SOA")]
    TrailingRecords,
    /// An IXFR sequence whose serials do not chain.
    #[error("IXFR difference from {found} does not continue from {expected}")]
    BrokenChain {
        /// Serial the next difference should start from.
        expected: Serial,
        /// Serial it starts from.
        found: Serial,
    },
    /// A single SOA newer than ours: the primary wants TCP or AXFR.
    #[error("the primary sent only its SOA (serial {0}) without the changes")]
    SoaOnly(Serial),
    /// A malformed SOA.
    #[error("malformed SOA record")]
    BadSoa,
    /// The zone content is wrong in a way the parser detects (a record of
    /// another class, say).
    #[error("bad record in transfer: {0}")]
    BadRecord(String),
}

#[derive(Debug)]
enum State {
    /// Waiting for the first record.
    Start,
    /// First SOA seen (IXFR from `ours`): the second record decides the
    /// format.
    Decide { new: Record, ours: Serial },
    /// Collecting a whole zone until the closing SOA equal to `new`.
    Full { new: Record, records: Vec<Record> },
    /// In an IXFR difference: deleting (after the old SOA) or adding (after
    /// the new SOA).
    Deleting {
        new: Serial,
        from: Record,
        removed: Vec<Record>,
        diffs: Vec<Diff>,
    },
    Adding {
        new: Serial,
        from: Record,
        removed: Vec<Record>,
        to: Record,
        added: Vec<Record>,
        diffs: Vec<Diff>,
    },
    /// Finished; nothing more may come.
    Done,
}

/// Reads one transfer.
#[derive(Debug)]
pub struct Incoming {
    apex: Name,
    request: Request,
    state: State,
    result: Option<Received>,
    /// Records dropped because they lie outside the zone.
    pub ignored: usize,
    /// Messages read.
    pub messages: usize,
}

impl Incoming {
    /// Starts reading a transfer of `apex`.
    pub fn new(apex: &Name, request: Request) -> Incoming {
        Incoming {
            apex: apex.clone(),
            request,
            state: State::Start,
            result: None,
            ignored: 0,
            messages: 0,
        }
    }

    /// Feeds the next message; returns the result once the transfer is
    /// complete. The caller checks the message ID and TSIG before.
    pub fn feed(&mut self, message: &Message) -> Result<Option<Received>, TransferError> {
        if !message.header.flag(flags::QR) {
            return Err(TransferError::NotAResponse);
        }
        let rcode = message.rcode();
        if rcode != Rcode::NOERROR {
            return Err(TransferError::Refused(rcode));
        }
        if self.messages == 0
            && let Some(q) = message.question()
            && q.qname != self.apex
        {
            return Err(TransferError::NotAResponse);
        }
        self.messages += 1;
        let count = message.answer.len();
        for (i, record) in message.answer.iter().enumerate() {
            if !record.owner.is_subdomain_of(&self.apex) {
                self.ignored += 1;
                continue;
            }
            if record.class != wire::Class::IN {
                return Err(TransferError::BadRecord(format!(
                    "{record} is not class IN"
                )));
            }
            self.step(record.clone())?;
            if matches!(self.state, State::Done) && i + 1 != count {
                return Err(TransferError::TrailingRecords);
            }
        }
        // A lone SOA at the end of the first message of an IXFR: up to date,
        // or the primary asks for another way (RFC 1995 §2, §4).
        if let State::Decide { new, ours } = &self.state
            && self.messages == 1
        {
            let serial = soa_serial(new)?;
            if serial.is_newer_than(*ours) {
                return Err(TransferError::SoaOnly(serial));
            }
            self.state = State::Done;
            return Ok(Some(Received::UpToDate(serial)));
        }
        Ok(self.result.take())
    }

    fn step(&mut self, record: Record) -> Result<(), TransferError> {
        let is_apex_soa = record.rtype == Rtype::SOA && record.owner == self.apex;
        let state = std::mem::replace(&mut self.state, State::Done);
        self.state = match state {
            State::Done => return Err(TransferError::TrailingRecords),
            State::Start => {
                if !is_apex_soa {
                    return Err(TransferError::NoLeadingSoa);
                }
                soa_serial(&record)?;
                match self.request {
                    Request::Axfr => State::Full {
                        new: record,
                        records: Vec::new(),
                    },
                    Request::Ixfr(ours) => State::Decide { new: record, ours },
                }
            }
            State::Decide { new, ours } => {
                if is_apex_soa && soa_serial(&record)? == ours && soa_serial(&new)? != ours {
                    State::Deleting {
                        new: soa_serial(&new)?,
                        from: record,
                        removed: Vec::new(),
                        diffs: Vec::new(),
                    }
                } else if is_apex_soa && record.rdata == new.rdata {
                    // AXFR-style answer of a zone that holds only its SOA.
                    self.result = Some(Received::Full {
                        serial: soa_serial(&new)?,
                        records: vec![new],
                    });
                    State::Done
                } else {
                    State::Full {
                        new,
                        records: vec![record],
                    }
                }
            }
            State::Full { new, mut records } => {
                if is_apex_soa {
                    if record.rdata != new.rdata {
                        return Err(TransferError::BadSoa);
                    }
                    let serial = soa_serial(&new)?;
                    records.push(new);
                    self.result = Some(Received::Full { serial, records });
                    State::Done
                } else {
                    records.push(record);
                    State::Full { new, records }
                }
            }
            State::Deleting {
                new,
                from,
                mut removed,
                diffs,
            } => {
                if is_apex_soa {
                    State::Adding {
                        new,
                        from,
                        removed,
                        to: record,
                        added: Vec::new(),
                        diffs,
                    }
                } else {
                    removed.push(record);
                    State::Deleting {
                        new,
                        from,
                        removed,
                        diffs,
                    }
                }
            }
            State::Adding {
                new,
                from,
                mut removed,
                to,
                mut added,
                mut diffs,
            } => {
                if !is_apex_soa {
                    added.push(record);
                    self.state = State::Adding {
                        new,
                        from,
                        removed,
                        to,
                        added,
                        diffs,
                    };
                    return Ok(());
                }
                let (from_serial, to_serial) = (soa_serial(&from)?, soa_serial(&to)?);
                if let Some(last) = diffs.last()
                    && last.to != from_serial
                {
                    return Err(TransferError::BrokenChain {
                        expected: last.to,
                        found: from_serial,
                    });
                }
                removed.insert(0, from);
                added.insert(0, to);
                diffs.push(Diff::new(from_serial, to_serial, removed, added));
                let serial = soa_serial(&record)?;
                if serial == new && to_serial == new {
                    self.result = Some(Received::Incremental(diffs));
                    State::Done
                } else if serial == to_serial {
                    // The next difference starts from where this one ended.
                    State::Deleting {
                        new,
                        from: record,
                        removed: Vec::new(),
                        diffs,
                    }
                } else {
                    return Err(TransferError::BrokenChain {
                        expected: to_serial,
                        found: serial,
                    });
                }
            }
        };
        Ok(())
    }
}

fn soa_serial(record: &Record) -> Result<Serial, TransferError> {
    wire::rdata::soa_numbers(&record.rdata)
        .map(|n| Serial(n[0]))
        .ok_or(TransferError::BadSoa)
}
