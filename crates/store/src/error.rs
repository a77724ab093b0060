//! What can go wrong: [`StoreError`] for the database itself,
//! [`WriteError`] for a write the store refuses, and [`ValidationReason`]
//! for the record rule a change set breaks.
//!
//! The messages are written for an operator: the web UI shows a
//! validation message next to the RRset it names, so each one says which
//! name and type, and what rule.

use std::path::PathBuf;

use wire::rdata::RdataError;
use wire::{Class, Name, Rtype, Serial};

/// A failure of the database underneath: it cannot be opened, a statement
/// failed, or what it holds does not decode.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory for the database file could not be created, or the
    /// file itself not.
    #[error("cannot create {}: {source}", path.display())]
    Create {
        /// The directory or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite reported an error while the store was doing `action`.
    #[error("{action}: {source}")]
    Sqlite {
        /// What the store was doing, e.g. `applying a change to example.com.`.
        action: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The database was written by a newer hadns, with schema steps this
    /// build does not know.
    #[error(
        "the database schema is at version {found}, newer than the {known} this hadns knows; run a newer hadns"
    )]
    SchemaTooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest version this build can migrate to.
        known: usize,
    },
    /// A stored value does not decode: the file was damaged or edited by
    /// hand.
    #[error("stored data is damaged: {what}")]
    Corrupt {
        /// What did not decode, and where.
        what: String,
    },
    /// The password hashing cost given to [`crate::Store::open_with`] is
    /// outside what Argon2 accepts.
    #[error("password hashing cost refused by argon2: {0}")]
    PasswordCost(argon2::Error),
}

impl From<rusqlite::Error> for StoreError {
    /// Wraps an SQLite error whose action is filled in where the public
    /// operation returns (see `StoreError::during`).
    fn from(source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            action: String::new(),
            source,
        }
    }
}

impl StoreError {
    /// Names the operation an SQLite error happened in, unless it is
    /// already named.
    pub(crate) fn during(self, action: impl FnOnce() -> String) -> StoreError {
        match self {
            StoreError::Sqlite { action: a, source } if a.is_empty() => StoreError::Sqlite {
                action: action(),
                source,
            },
            other => other,
        }
    }

    /// A damaged value.
    pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
        StoreError::Corrupt { what: what.into() }
    }
}

/// Why a write was refused. Nothing was written when any of these is
/// returned.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A record or RRset breaks a rule; the message names it.
    #[error("{}", validation_message(name, *rtype, reason))]
    Validation {
        /// The owner name at fault.
        name: Name,
        /// The type at fault.
        rtype: Rtype,
        /// The rule it breaks.
        reason: ValidationReason,
    },
    /// No zone with this name is in the store.
    #[error("no zone {0} in the store")]
    NoSuchZone(Name),
    /// No view with this name is known to the store.
    #[error("no view `{0}`")]
    NoSuchView(String),
    /// A change to the base data that a view's own data makes invalid there.
    #[error("in view {view}: {error}")]
    InView {
        /// The view.
        view: String,
        /// What is wrong there.
        error: Box<WriteError>,
    },
    /// A zone's kind cannot change this way: only `Native` and `Master`
    /// are exchanged (a secondary is created as one and stays one).
    #[error(
        "kind: zone {zone} is {from} and cannot become {to}: only Native and Master zones are exchanged; a secondary zone is created as one (kind Slave with its masters) and stays one"
    )]
    KindChange {
        /// The zone.
        zone: Name,
        /// Its kind.
        from: crate::zones::ZoneKind,
        /// The kind asked for.
        to: crate::zones::ZoneKind,
    },
    /// The zone is a secondary (kind `Slave`): its data is the copy
    /// transferred from its primaries, so it takes no changes here.
    #[error("zone {0} is a secondary zone: its data is copied from its primaries; change it there")]
    Secondary(Name),
    /// A zone with this name is already in the store.
    #[error("zone {0} already exists")]
    ZoneExists(Name),
    /// The journal does not go back as far as the serial asked for.
    #[error("the history of {zone} does not reach back to serial {serial}")]
    HistoryTooShort {
        /// The zone.
        zone: Name,
        /// The serial asked for.
        serial: Serial,
    },
    /// No user with this name.
    #[error("no user `{0}`")]
    NoSuchUser(String),
    /// Deleting the only user would leave nobody to sign in.
    #[error("user `{0}` is the only user: add another before deleting it")]
    LastUser(String),
    /// The user has no grant on this zone or account in this view.
    #[error("user `{user}` has no grant on {target}")]
    NoSuchGrant {
        /// The user.
        user: String,
        /// The zone or account, as `zone example.com.` or ``account `x` ``.
        target: String,
    },
    /// A grant on an account must name one.
    #[error("a grant on an account needs the account's name")]
    EmptyAccount,
    /// A user with this name exists already.
    #[error("user `{0}` already exists")]
    UserExists(String),
    /// A user name must not be empty.
    #[error("a user name cannot be empty")]
    EmptyUserName,
    /// A password must not be empty.
    #[error("a password cannot be empty")]
    EmptyPassword,
    /// No active token with this name.
    #[error("no active API token `{0}`")]
    NoSuchToken(String),
    /// An active token already has this name.
    #[error("an active API token named `{0}` already exists")]
    TokenExists(String),
    /// A token name must not be empty.
    #[error("an API token name cannot be empty")]
    EmptyTokenName,
    /// No TSIG key with this name is in the store.
    #[error("no TSIG key {0} in the store")]
    NoSuchTsigKey(Name),
    /// A TSIG key with this name is in the store already.
    #[error("a TSIG key named {0} already exists")]
    TsigKeyExists(Name),
    /// A TSIG key must have a secret.
    #[error("TSIG key {0}: the secret cannot be empty")]
    EmptyTsigSecret(Name),
    /// Argon2 could not hash the password.
    #[error("cannot hash the password: {0}")]
    PasswordHash(argon2::password_hash::Error),
    /// The operating system gave no random octets for a token secret.
    #[error("no randomness from the operating system: {0}")]
    Randomness(getrandom::Error),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl From<rusqlite::Error> for WriteError {
    fn from(error: rusqlite::Error) -> WriteError {
        WriteError::Storage(error.into())
    }
}

impl WriteError {
    /// Names the operation an SQLite error happened in.
    pub(crate) fn during(self, action: impl FnOnce() -> String) -> WriteError {
        match self {
            WriteError::Storage(error) => WriteError::Storage(error.during(action)),
            other => other,
        }
    }
}

/// The rule a record or RRset of a change set breaks, as the zone would be
/// after the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationReason {
    /// The owner name is not the apex or below it.
    OutsideZone {
        /// The zone's apex.
        apex: Name,
    },
    /// A class other than IN (zones in the store are class IN).
    ClassNotIn {
        /// The class given.
        class: Class,
    },
    /// A meta or question-only type (RFC 6895 §3.1), or the reserved type 0.
    MetaType,
    /// A TTL above 2^31 − 1 (RFC 2181 §8).
    TtlTooLarge {
        /// The TTL given.
        ttl: u32,
    },
    /// RDATA that does not parse as its type, or is longer than 65535
    /// octets.
    BadRdata {
        /// The RDATA in presentation form (RFC 3597 generic form when it
        /// does not parse).
        content: String,
        /// What is wrong with it.
        error: RdataError,
    },
    /// The same record (same RDATA) is listed twice in one RRset.
    DuplicateRecord {
        /// The record's content.
        content: String,
    },
    /// The same RRset (owner and type) is given twice for a new zone.
    DuplicateRrset,
    /// A CNAME at the apex, which must hold SOA and NS (RFC 1034 §3.6.2).
    CnameAtApex,
    /// A change to the SOA in one view's copy: a view's SOA follows the
    /// base's, only its serial is its own.
    SoaInView {
        /// The view.
        view: String,
    },
    /// A CNAME beside other data at the same name (RFC 1034 §3.6.2,
    /// RFC 2181 §10.1; only the DNSSEC types RRSIG, NSEC, SIG, NXT and KEY
    /// may share its name, RFC 4035 §2.5).
    CnameAndOtherData {
        /// The type that shares the name with the CNAME.
        other: Rtype,
    },
    /// More than one CNAME record at a name (RFC 2181 §10.1).
    MultipleCnames {
        /// How many there would be.
        count: usize,
    },
    /// More than one DNAME record at a name (RFC 6672 §2.4).
    MultipleDnames {
        /// How many there would be.
        count: usize,
    },
    /// An RRset past [`wire::MAX_RECORDS_PER_RRSET`] records.
    TooManyRecords {
        /// How many it would hold.
        count: usize,
    },
    /// An SOA record anywhere but the apex.
    SoaNotAtApex {
        /// The zone's apex.
        apex: Name,
    },
    /// The apex would not hold exactly one SOA record.
    SoaNotSingle {
        /// How many SOA records it would hold.
        count: usize,
    },
    /// A DS record at the zone apex: DS belongs to the parent side of the
    /// cut (RFC 4035 §2.4).
    DsAtApex,
    /// A DNSKEY record below the apex: keys are published at the apex
    /// (RFC 4035 §2.1).
    DnskeyNotAtApex {
        /// The zone's apex.
        apex: Name,
    },
    /// NS and DNAME at the same name below the apex (RFC 6672 §2.3).
    NsAndDname {
        /// The type the change set wrote beside the other one.
        other: Rtype,
    },
    /// The target of an NS, MX or SRV record is not a host name (labels of
    /// letters, digits and hyphens; the root only for MX and SRV).
    TargetNotHostName {
        /// The record's content.
        content: String,
    },
    /// The change removes (or disables) the last NS record at the apex.
    ApexNsRemoved,
    /// A new zone has no NS record at its apex.
    ApexNsMissing,
    /// A new zone gives its apex NS set both as nameservers and as an RRset.
    NsGivenTwice,
}

/// The message of [`WriteError::Validation`]: `NAME TYPE: what is wrong`.
fn validation_message(name: &Name, rtype: Rtype, reason: &ValidationReason) -> String {
    use ValidationReason as R;
    let what = match reason {
        R::OutsideZone { apex } => format!("{name} is not inside the zone {apex}"),
        R::ClassNotIn { class } => {
            format!("class {class} cannot be stored: zones hold class IN records only")
        }
        R::MetaType => {
            format!("{rtype} is a query or meta type and cannot be stored in a zone")
        }
        R::TtlTooLarge { ttl } => {
            format!("TTL {ttl} is larger than the largest allowed, 2147483647 (RFC 2181 §8)")
        }
        R::BadRdata { content, error } => {
            format!("`{content}` is not valid {rtype} data: {error}")
        }
        R::DuplicateRecord { content } => format!("the record `{content}` is listed twice"),
        R::DuplicateRrset => "this RRset is given twice".to_string(),
        R::CnameAtApex => {
            "a CNAME cannot be at the zone apex, which must hold the SOA and NS records".to_string()
        }
        R::SoaInView { view } => format!(
            "the SOA of view {view}'s copy follows the base's (only its serial is the view's own); change the SOA without a view"
        ),
        R::CnameAndOtherData { other } => format!("CNAME cannot coexist with {other} at {name}"),
        R::MultipleCnames { count } => {
            format!("a name can have only one CNAME record, this would give {name} {count}")
        }
        R::MultipleDnames { count } => {
            format!("a name can have only one DNAME record, this would give {name} {count}")
        }
        R::TooManyRecords { count } => format!(
            "an RRset can hold at most {} records, this would give {name} {count}",
            wire::MAX_RECORDS_PER_RRSET
        ),
        R::SoaNotAtApex { apex } => {
            format!("an SOA record belongs only at the zone apex {apex}")
        }
        R::SoaNotSingle { count: 0 } => {
            "the zone must keep exactly one SOA record at its apex, and this would leave none"
                .to_string()
        }
        R::SoaNotSingle { count } => format!(
            "the zone must keep exactly one SOA record at its apex, and this would leave {count}"
        ),
        R::DsAtApex => format!(
            "a DS record cannot be at the zone apex {name}: DS belongs to the parent zone (RFC 4035 §2.4)"
        ),
        R::DnskeyNotAtApex { apex } => {
            format!("a DNSKEY record belongs only at the zone apex {apex} (RFC 4035 §2.1)")
        }
        R::NsAndDname { other } => format!(
            "{rtype} cannot coexist with {other} at {name}: NS and DNAME may share only the apex (RFC 6672 §2.3)"
        ),
        R::TargetNotHostName { content } => format!(
            "the target in `{content}` is not a host name (labels of letters, digits and hyphens, no hyphen first or last)"
        ),
        R::ApexNsRemoved => {
            "the zone apex must keep at least one NS record, and this would remove the last"
                .to_string()
        }
        R::ApexNsMissing => {
            "the zone apex needs at least one NS record: give an NS RRset or nameservers"
                .to_string()
        }
        R::NsGivenTwice => {
            "the apex NS set is given both as nameservers and as an RRset".to_string()
        }
    };
    format!("{name} {rtype}: {what}")
}

/// A rule broken by a change set, found by the pure code before anything
/// is written; becomes [`WriteError::Validation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    /// The owner name at fault.
    pub name: Name,
    /// The type at fault.
    pub rtype: Rtype,
    /// The rule.
    pub reason: ValidationReason,
}

impl Rejection {
    /// A rejection of `name`/`rtype` for `reason`.
    pub(crate) fn new(name: &Name, rtype: Rtype, reason: ValidationReason) -> Rejection {
        Rejection {
            name: name.clone(),
            rtype,
            reason,
        }
    }
}

impl From<Rejection> for WriteError {
    fn from(rejection: Rejection) -> WriteError {
        WriteError::Validation {
            name: rejection.name,
            rtype: rejection.rtype,
            reason: rejection.reason,
        }
    }
}
