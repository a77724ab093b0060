//! The primary's durable state: zones, RRsets, comments, the change
//! journal, users, API tokens, TSIG keys and the audit log, in one SQLite
//! file.
//!
//! ```text
//!  API / UPDATE / UI / import
//!        │ ChangeSet + ChangeMeta (author, source, comment, now)
//!        ▼
//!  Store::apply ── BEGIN IMMEDIATE ─────────────────────────────────────────┐
//!  │  load the RRsets at the touched names and the apex                     │
//!  │  Edit::apply each change, in order        (owner in zone, type, TTL,   │
//!  │                                            RDATA, SOA only at apex)    │
//!  │  validate::check the result               (CNAME rules, one SOA,       │
//!  │                                            apex NS kept)               │
//!  │  plan: served difference + serial         (policy, RFC 1982)           │
//!  │  write changed RRsets and comments, append the journal entry           │
//!  └─ COMMIT (WAL, synchronous=FULL) ───────────────────────────────────────┘
//!        │ Applied { from, to, removed, added }
//!        ▼
//!  caller: zone_records → new snapshot → NOTIFY; changes_since → IXFR
//! ```
//!
//! Any refusal returns before `COMMIT`, so the transaction rolls back and
//! the file is exactly as it was; a committed change is on disk when the
//! call returns. The parts between loading and writing are pure functions
//! of their inputs ([`ChangeMeta::now`] included: the store reads no clock
//! for zone data), tested without a database.
//!
//! Only served data is journaled: disabled records and comments are
//! stored but a change to them alone bumps no serial and writes no journal
//! entry. Views: base RRsets (`view_id` NULL) are shared by every view; a
//! view's own sets, own SOA and journal entries override them once it has
//! data of its own (`store/views.rs`, `store/writes.rs`, `store/history.rs`).

mod access;
mod audit;
mod auth;
mod change;
mod error;
mod journal;
mod plan;
mod schema;
mod serial;
mod store;
mod time;
mod tsig;
mod validate;
mod zones;

pub use access::{Access, Grant, GrantTarget, Rights, UnknownAccess, UserAccess};
pub use audit::{
    AuditAction, AuditEvent, AuditFilter, AuditOutcome, AuditPage, AuditRecord, AuditRetention,
    MAX_DETAIL_CHARS, UnknownAuditAction,
};
pub use auth::{
    PasswordCost, Role, Scope, TOKEN_PREFIX, TokenInfo, UnknownRole, UnknownScope, User,
};
pub use change::{Applied, ChangeMeta, ChangeSet, RrsetChange, RrsetOp};
pub use error::{StoreError, ValidationReason, WriteError};
pub use journal::{ChangeHead, JournalChange, JournalEntry, Source, UnknownSource};
pub use store::Store;
pub use store::rrsets::{RrsetCursor, RrsetFilter, search_matches};
pub use zones::{
    ApexSettings, Comment, NewZone, OwnRrset, RecordInput, RrsetInput, RrsetPage, SerialPolicy,
    SettingsChange, StoredRecord, StoredRrset, UnknownSerialPolicy, UnknownZoneKind, ViewRrsets,
    ZoneInfo, ZoneKind, ZoneOptions, ZoneSettings,
};

/// The schema version (`PRAGMA user_version`) this build migrates to.
pub const SCHEMA_VERSION: usize = schema::MIGRATIONS.len();
