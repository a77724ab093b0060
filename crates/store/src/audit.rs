//! The audit log: who did what, when, from where, and whether it worked —
//! for access and administration (logins, users, tokens, sessions) and for
//! the zone operations an operator must be able to account for (create,
//! delete, settings, revert, import). Record changes themselves are in
//! the journal, not here.
//!
//! ```text
//!  handler ─► Store::audited(event, || store.add_user(…))
//!               │ the event waits in a thread-local slot
//!               ▼
//!             Store::write ── BEGIN IMMEDIATE ─ the change ─ INSERT audit_log
//!                             ─ prune beyond the retention ─ COMMIT
//!               │ refused or failed: nothing committed; the event is
//!               ▼ written on its own with outcome `failure` and the reason
//!  /ui/audit, GET /api/v1/audit ◄─ Store::audit_events(filter, before, limit)
//! ```
//!
//! The row of a change that is a store write commits in that write's
//! transaction, so a crash cannot keep the change and lose its row. Events
//! that change nothing in the store (a login, a logout, a session ended:
//! sessions live in memory) are written alone with [`Store::audit`](crate::Store::audit); there
//! is no change whose record could be lost.
//!
//! The table is bounded by [`AuditRetention`] (the newest rows, for so
//! many days): every insert prunes what fell out, by primary key and by
//! the time index, so pruning costs what it deletes, not the table's size.
//! Pages are keyset pages (`id < before`, newest first), never `OFFSET`.
//!
//! Never put a password or a token secret into an event: the log is read
//! by every operator.

use std::cell::RefCell;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use rusqlite::{Transaction, params};

use crate::error::WriteError;
use crate::time::sql_time;

/// What was done. Stored by [`AuditAction::as_str`]; other branches add
/// variants (roles and grants) with a name of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A web UI login (the user is the name typed, which may not exist).
    Login,
    /// A web UI logout.
    Logout,
    /// A web UI session ended by its user from the account page.
    SessionRevoke,
    /// A user changed their own password.
    PasswordChange,
    /// A user was added.
    UserCreate,
    /// A user was deleted.
    UserDelete,
    /// A user was disabled.
    UserDisable,
    /// A user was enabled again.
    UserEnable,
    /// A user's password was reset by someone (a new random one).
    PasswordReset,
    /// An API token was created.
    TokenCreate,
    /// An API token was revoked.
    TokenRevoke,
    /// A zone was created.
    ZoneCreate,
    /// A zone was deleted.
    ZoneDelete,
    /// A zone's settings were changed.
    ZoneSettings,
    /// A zone was reverted to an earlier serial.
    ZoneRevert,
    /// A zone file was imported into a zone.
    ZoneImport,
    /// An operator sent a zone's NOTIFY to one of its secondaries.
    ZoneNotify,
    /// An operator had a secondary zone check its primaries now.
    ZoneRefresh,
    /// An operator had a secondary zone transferred again in full.
    ZoneRetransfer,
    /// A user was given another role.
    UserRole,
    /// A user was granted a zone or an account.
    GrantAdd,
    /// A user's grant was taken back.
    GrantRevoke,
}

impl AuditAction {
    /// Every action, in the order the UI offers them.
    pub const ALL: [AuditAction; 22] = [
        AuditAction::Login,
        AuditAction::Logout,
        AuditAction::SessionRevoke,
        AuditAction::PasswordChange,
        AuditAction::UserCreate,
        AuditAction::UserDelete,
        AuditAction::UserDisable,
        AuditAction::UserEnable,
        AuditAction::PasswordReset,
        AuditAction::TokenCreate,
        AuditAction::TokenRevoke,
        AuditAction::ZoneCreate,
        AuditAction::ZoneDelete,
        AuditAction::ZoneSettings,
        AuditAction::ZoneRevert,
        AuditAction::ZoneImport,
        AuditAction::ZoneNotify,
        AuditAction::ZoneRefresh,
        AuditAction::ZoneRetransfer,
        AuditAction::UserRole,
        AuditAction::GrantAdd,
        AuditAction::GrantRevoke,
    ];

    /// The stored name: `login`, `user.create`, `zone.delete`, …
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Login => "login",
            AuditAction::Logout => "logout",
            AuditAction::SessionRevoke => "session.revoke",
            AuditAction::PasswordChange => "password.change",
            AuditAction::UserCreate => "user.create",
            AuditAction::UserDelete => "user.delete",
            AuditAction::UserDisable => "user.disable",
            AuditAction::UserEnable => "user.enable",
            AuditAction::PasswordReset => "user.password_reset",
            AuditAction::TokenCreate => "token.create",
            AuditAction::TokenRevoke => "token.revoke",
            AuditAction::ZoneCreate => "zone.create",
            AuditAction::ZoneDelete => "zone.delete",
            AuditAction::ZoneSettings => "zone.settings",
            AuditAction::ZoneRevert => "zone.revert",
            AuditAction::ZoneImport => "zone.import",
            AuditAction::ZoneNotify => "zone.notify",
            AuditAction::ZoneRefresh => "zone.refresh",
            AuditAction::ZoneRetransfer => "zone.retransfer",
            AuditAction::UserRole => "user.role",
            AuditAction::GrantAdd => "grant.add",
            AuditAction::GrantRevoke => "grant.revoke",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An audit action name the store does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit action `{0}`")]
pub struct UnknownAuditAction(pub String);

impl FromStr for AuditAction {
    type Err = UnknownAuditAction;

    fn from_str(s: &str) -> Result<AuditAction, UnknownAuditAction> {
        AuditAction::ALL
            .into_iter()
            .find(|action| action.as_str() == s)
            .ok_or_else(|| UnknownAuditAction(s.to_string()))
    }
}

/// Whether the action was carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditOutcome {
    /// Done.
    Success,
    /// Refused or failed; the event's detail says why.
    Failure,
}

impl AuditOutcome {
    /// The stored name: `success` or `failure`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Failure => "failure",
        }
    }
}

/// The longest detail kept, in characters; longer ones are cut with `…`.
pub const MAX_DETAIL_CHARS: usize = 300;

/// One audited action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Unix time it happened (the caller's clock: the store reads none).
    pub at: u64,
    /// Who: the logged-in user, the API token's user, or the name typed
    /// at a login.
    pub user: String,
    /// The API token's name when the action came through the API.
    pub token: Option<String>,
    /// The client's address, when known.
    pub client: Option<IpAddr>,
    /// What was done.
    pub action: AuditAction,
    /// What it was done to: a zone (with its final dot), a user, a token;
    /// empty when the action has none.
    pub target: String,
    /// A short free text (never a secret): the reason of a failure, the
    /// scope of a token, …
    pub detail: String,
    /// Whether it was done.
    pub outcome: AuditOutcome,
}

impl AuditEvent {
    /// A successful `action` on `target` by `user` at `at`, without token,
    /// address or detail (set the fields to add them).
    pub fn new(at: u64, user: &str, action: AuditAction, target: &str) -> AuditEvent {
        AuditEvent {
            at,
            user: user.to_string(),
            token: None,
            client: None,
            action,
            target: target.to_string(),
            detail: String::new(),
            outcome: AuditOutcome::Success,
        }
    }

    /// The same event, failed for `reason`.
    pub fn failed(mut self, reason: impl fmt::Display) -> AuditEvent {
        self.outcome = AuditOutcome::Failure;
        self.detail = reason.to_string();
        self
    }
}

/// An event as stored, with its position in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its row id: larger is newer; the cursor of [`Store::audit_events`](crate::Store::audit_events).
    pub id: u64,
    /// The event.
    pub event: AuditEvent,
}

/// Which events [`Store::audit_events`](crate::Store::audit_events) returns; every field set narrows
/// the result, `Default` is everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this user's events (exact name).
    pub user: Option<String>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only events on this target; a zone may be given with or without
    /// its final dot, in any case.
    pub target: Option<String>,
    /// Only events at or after this Unix time.
    pub from: Option<u64>,
    /// Only events before this Unix time.
    pub to: Option<u64>,
}

/// One page of the log, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditPage {
    /// The events.
    pub records: Vec<AuditRecord>,
    /// When older events match too: the `before` that returns the next page.
    pub older: Option<u64>,
}

/// How much of the log is kept: at most `max_rows` events, none older than
/// `max_age_days` before the newest event's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditRetention {
    /// The newest events kept.
    pub max_rows: u64,
    /// Days an event is kept.
    pub max_age_days: u64,
}

impl AuditRetention {
    /// The default: 100 000 events (some tens of MB at most) and 400 days,
    /// over a year so a yearly review finds the whole year.
    pub const DEFAULT: AuditRetention = AuditRetention {
        max_rows: 100_000,
        max_age_days: 400,
    };
}

impl Default for AuditRetention {
    fn default() -> AuditRetention {
        AuditRetention::DEFAULT
    }
}

thread_local! {
    /// The event [`Store::audited`](crate::Store::audited) waits to write with the next store
    /// write on this thread. Store calls are synchronous, so the write a
    /// closure makes runs on the closure's thread.
    static PENDING: RefCell<Option<AuditEvent>> = const { RefCell::new(None) };
}

/// Takes the event waiting on this thread, if any (the store's write path
/// calls it once per transaction).
pub(crate) fn take_pending() -> Option<AuditEvent> {
    PENDING.with(|pending| pending.borrow_mut().take())
}

/// Puts `event` in this thread's slot, returning what was there.
pub(crate) fn replace_pending(event: Option<AuditEvent>) -> Option<AuditEvent> {
    PENDING.with(|pending| std::mem::replace(&mut *pending.borrow_mut(), event))
}

/// Inserts `event` and prunes what falls out of `retention`, in `tx`.
pub(crate) fn insert_event(
    tx: &Transaction<'_>,
    event: &AuditEvent,
    retention: AuditRetention,
) -> Result<(), WriteError> {
    let detail: String = if event.detail.chars().count() > MAX_DETAIL_CHARS {
        let mut cut: String = event.detail.chars().take(MAX_DETAIL_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        event.detail.clone()
    };
    tx.execute(
        "INSERT INTO audit_log (at, user, token, client, action, target, detail, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            sql_time(event.at),
            event.user,
            event.token,
            event.client.map(|c| c.to_string()),
            event.action.as_str(),
            event.target,
            detail,
            event.outcome.as_str(),
        ],
    )?;
    // Row ids only grow (the newest row is never deleted, so SQLite never
    // reuses one), so the newest `max_rows` are those above max - max_rows:
    // a range of the primary key, deleted at the cost of what it holds.
    let newest = tx.last_insert_rowid();
    let keep_rows = i64::try_from(retention.max_rows.max(1)).unwrap_or(i64::MAX);
    tx.execute(
        "DELETE FROM audit_log WHERE id <= ?1",
        [newest.saturating_sub(keep_rows)],
    )?;
    // By age through the `at` index: again only the rows deleted are read.
    let cutoff = event
        .at
        .saturating_sub(retention.max_age_days.saturating_mul(86_400));
    tx.execute(
        "DELETE FROM audit_log WHERE at < ?1 AND id <> ?2",
        params![sql_time(cutoff), newest],
    )?;
    Ok(())
}
