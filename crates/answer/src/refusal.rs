//! Requests refused for who sent them — a failed TSIG check, or an ACL
//! that does not admit the sender — described for the node's security log,
//! as BIND's `security` category logs them. The answering code records one
//! [`Refusal`] in the worker's [`crate::Scratch`]; the transport takes it
//! after the reply and logs it (rate-limited), so nothing on the query path
//! formats or allocates unless a request was refused.

use std::fmt;

use wire::tsig::TsigFailure;
use wire::{Name, Opcode, Rtype};

use crate::acl::{MatchList, Requester};

/// What was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    /// A query (opcode QUERY, other than a transfer).
    Query,
    /// A zone transfer, AXFR or IXFR.
    Transfer(Rtype),
    /// A NOTIFY (RFC 1996).
    Notify,
    /// A dynamic UPDATE (RFC 2136).
    Update,
    /// Another opcode.
    Other(Opcode),
}

impl Asked {
    /// What a request with this opcode and question type asks for.
    pub fn of(opcode: Opcode, qtype: Rtype) -> Asked {
        match opcode {
            Opcode::QUERY if qtype == Rtype::AXFR || qtype == Rtype::IXFR => Asked::Transfer(qtype),
            Opcode::QUERY => Asked::Query,
            Opcode::NOTIFY => Asked::Notify,
            Opcode::UPDATE => Asked::Update,
            other => Asked::Other(other),
        }
    }
}

impl fmt::Display for Asked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Asked::Query => f.write_str("query"),
            Asked::Transfer(qtype) => write!(f, "{qtype}"),
            Asked::Notify => f.write_str("NOTIFY"),
            Asked::Update => f.write_str("UPDATE"),
            Asked::Other(opcode) => write!(f, "opcode {}", opcode.0),
        }
    }
}

/// Why it was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The TSIG record could not be read (FORMERR).
    TsigMalformed,
    /// No key of that name and algorithm here (BADKEY).
    BadKey,
    /// The MAC did not verify (BADSIG).
    BadSig,
    /// Signed too far from our time (BADTIME).
    BadTime,
    /// The MAC was truncated below what the key accepts (BADTRUNC).
    BadTrunc,
    /// Unsigned, and refused by a zone ACL that names keys (a signature
    /// was likely expected).
    Unsigned,
    /// The zone's ACL does not admit this address or key.
    Acl,
    /// Not a zone served here (NOTAUTH).
    NotAuthoritative,
    /// Not something this zone takes here: UPDATE to a zone not kept in
    /// the store, NOTIFY to a zone we are primary for.
    NotTaken,
    /// No view admits the client (by address, key or client subnet).
    NoView,
}

impl Reason {
    /// The reason a TSIG check failed.
    pub fn of_tsig(failure: &TsigFailure) -> Reason {
        match failure {
            TsigFailure::Malformed(_) => Reason::TsigMalformed,
            TsigFailure::BadKey(_) => Reason::BadKey,
            TsigFailure::BadSig(_) => Reason::BadSig,
            TsigFailure::BadTime { .. } => Reason::BadTime,
            TsigFailure::BadTrunc(_) => Reason::BadTrunc,
        }
    }

    /// The reason `list` refused `who`: unsigned when the request carried no
    /// key and the list names keys, the ACL otherwise.
    pub fn of_acl(list: &MatchList, who: Requester<'_>) -> Reason {
        if who.key.is_none() && list.names_keys() {
            Reason::Unsigned
        } else {
            Reason::Acl
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::TsigMalformed => "malformed TSIG record",
            Reason::BadKey => "BADKEY (no such key and algorithm)",
            Reason::BadSig => "BADSIG (MAC does not verify)",
            Reason::BadTime => "BADTIME (signed too far from our time)",
            Reason::BadTrunc => "BADTRUNC (MAC truncated)",
            Reason::Unsigned => "unsigned, and not allowed by the zone's ACL",
            Reason::Acl => "not allowed by the zone's ACL",
            Reason::NotAuthoritative => "not authoritative for the zone",
            Reason::NotTaken => "not taken for this zone here",
            Reason::NoView => "no view admits the client",
        })
    }
}

/// One refused request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What was asked for.
    pub asked: Asked,
    /// The question's name: the zone for transfers, UPDATE and NOTIFY; the
    /// name asked for when a signed query fails its TSIG check.
    pub zone: Name,
    /// The TSIG key the request named, verified or not.
    pub key: Option<Name>,
    /// Why.
    pub reason: Reason,
}
