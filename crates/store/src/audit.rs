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
//! sessions live in memory) are written alone with [`Store::audit`]; there
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

use rusqlite::{Transaction, params, params_from_iter};

use crate::error::{StoreError, WriteError};
use crate::store::{Store, sql_time, unix_time};

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
    /// Its row id: larger is newer; the cursor of [`Store::audit_events`].
    pub id: u64,
    /// The event.
    pub event: AuditEvent,
}

/// Which events [`Store::audit_events`] returns; every field set narrows
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
    /// The event [`Store::audited`] waits to write with the next store
    /// write on this thread. Store calls are synchronous, so the write a
    /// closure makes runs on the closure's thread.
    static PENDING: RefCell<Option<AuditEvent>> = const { RefCell::new(None) };
}

/// Takes the event waiting on this thread, if any (the store's write path
/// calls it once per transaction).
pub(crate) fn take_pending() -> Option<AuditEvent> {
    PENDING.with(|pending| pending.borrow_mut().take())
}

impl Store {
    /// Runs `work` (store calls on this thread) with `event` attached: the
    /// first store write `work` commits also writes the event, in the same
    /// transaction. If `work` fails, the event is written alone with
    /// outcome `failure` and the error as its detail (nothing was
    /// committed, or — when `work` made more than one write and a later one
    /// failed — the earlier ones' row says so and this one says why the
    /// rest failed). If `work` succeeds without writing, the event is
    /// written alone.
    ///
    /// Failing to record a failure is not reported: the caller gets the
    /// error that matters, `work`'s. Failing to record a success that made
    /// no write is reported as an error: the log must not miss it.
    pub fn audited<T, E>(
        &self,
        event: AuditEvent,
        work: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<WriteError> + fmt::Display,
    {
        let outer = PENDING.with(|pending| pending.borrow_mut().replace(event.clone()));
        let result = work();
        let left = PENDING.with(|pending| std::mem::replace(&mut *pending.borrow_mut(), outer));
        match result {
            Ok(value) => {
                if let Some(unwritten) = left {
                    self.audit(&unwritten)?;
                }
                Ok(value)
            }
            Err(error) => {
                let _ = self.audit(&event.failed(&error));
                Err(error)
            }
        }
    }

    /// Writes `event` on its own: for actions that change nothing in the
    /// store (logins, logouts, sessions ended), and failures.
    pub fn audit(&self, event: &AuditEvent) -> Result<(), WriteError> {
        self.write_audited(
            || format!("writing the audit event {}", event.action),
            None,
            |tx| insert_event(tx, event, self.audit_retention),
        )
    }

    /// The events matching `filter`, newest first, at most `limit` of them
    /// (at least 1), older than the event `before` when given (the
    /// [`AuditPage::older`] of the page before).
    pub fn audit_events(
        &self,
        filter: &AuditFilter,
        before: Option<u64>,
        limit: usize,
    ) -> Result<AuditPage, StoreError> {
        let limit = limit.max(1);
        let mut conditions: Vec<&str> = Vec::new();
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(user) = &filter.user {
            conditions.push("user = ?");
            values.push(user.clone().into());
        }
        if let Some(action) = filter.action {
            conditions.push("action = ?");
            values.push(action.as_str().to_string().into());
        }
        if let Some(target) = &filter.target {
            // A zone typed without its final dot, or in capitals, is the
            // zone; `IN` keeps the (target, id) index usable.
            conditions.push("target IN (?, ?, ?, ?)");
            let bare = target.trim_end_matches('.');
            let lower = bare.to_lowercase();
            for text in [
                target.clone(),
                format!("{bare}."),
                lower.clone(),
                format!("{lower}."),
            ] {
                values.push(text.into());
            }
        }
        if let Some(from) = filter.from {
            conditions.push("at >= ?");
            values.push(sql_time(from).into());
        }
        if let Some(to) = filter.to {
            conditions.push("at < ?");
            values.push(sql_time(to).into());
        }
        if let Some(before) = before {
            conditions.push("id < ?");
            values.push(sql_time(before).into());
        }
        let mut sql = String::from(
            "SELECT id, at, user, token, client, action, target, detail, outcome FROM audit_log",
        );
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        // One more than asked, to know whether an older page exists.
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit + 1));
        self.read(
            || "reading the audit log".to_string(),
            |tx| {
                let mut statement = tx.prepare(&sql)?;
                let rows = statement
                    .query_map(params_from_iter(values.iter()), |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, Option<String>>(3)?,
                            r.get::<_, Option<String>>(4)?,
                            r.get::<_, String>(5)?,
                            r.get::<_, String>(6)?,
                            r.get::<_, String>(7)?,
                            r.get::<_, String>(8)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut records = Vec::with_capacity(rows.len().min(limit));
                for (id, at, user, token, client, action, target, detail, outcome) in rows {
                    let action = action
                        .parse()
                        .map_err(|e| StoreError::corrupt(format!("audit event {id}: {e}")))?;
                    let outcome = match outcome.as_str() {
                        "success" => AuditOutcome::Success,
                        "failure" => AuditOutcome::Failure,
                        other => {
                            return Err(StoreError::corrupt(format!(
                                "audit event {id}: unknown outcome `{other}`"
                            )));
                        }
                    };
                    records.push(AuditRecord {
                        id: unix_time(id),
                        event: AuditEvent {
                            at: unix_time(at),
                            user,
                            token,
                            client: client.and_then(|c| c.parse().ok()),
                            action,
                            target,
                            detail,
                            outcome,
                        },
                    });
                }
                let older = (records.len() > limit).then(|| {
                    records.truncate(limit);
                    records.last().map_or(0, |r| r.id)
                });
                Ok(AuditPage { records, older })
            },
        )
    }

    /// The same store keeping `retention` of the audit log from its next
    /// write on.
    pub fn with_audit_retention(mut self, retention: AuditRetention) -> Store {
        self.audit_retention = retention;
        self
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PasswordCost;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("a.db"), PasswordCost::MINIMUM).unwrap();
        (dir, store)
    }

    fn event(at: u64, user: &str, action: AuditAction, target: &str) -> AuditEvent {
        AuditEvent {
            client: Some("127.0.0.1".parse().unwrap()),
            ..AuditEvent::new(at, user, action, target)
        }
    }

    fn targets(page: &AuditPage) -> Vec<&str> {
        page.records
            .iter()
            .map(|r| r.event.target.as_str())
            .collect()
    }

    #[test]
    fn events_read_back_newest_first_and_filters_narrow_them() {
        let (_dir, store) = store();
        store
            .audit(&event(100, "alice", AuditAction::Login, ""))
            .unwrap();
        store
            .audit(&event(110, "alice", AuditAction::ZoneCreate, "a.test."))
            .unwrap();
        store
            .audit(&AuditEvent {
                token: Some("ci".into()),
                ..event(120, "bob", AuditAction::ZoneDelete, "a.test.")
            })
            .unwrap();
        store
            .audit(&event(130, "mallory", AuditAction::Login, "").failed("wrong password"))
            .unwrap();

        let all = store
            .audit_events(&AuditFilter::default(), None, 10)
            .unwrap();
        assert_eq!(all.records.len(), 4);
        assert_eq!(all.older, None);
        let newest = &all.records[0].event;
        assert_eq!(newest.user, "mallory");
        assert_eq!(newest.outcome, AuditOutcome::Failure);
        assert_eq!(newest.detail, "wrong password");
        assert_eq!(newest.client, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(all.records[1].event.token.as_deref(), Some("ci"));

        let by = |filter: AuditFilter| store.audit_events(&filter, None, 10).unwrap();
        let alice = by(AuditFilter {
            user: Some("alice".into()),
            ..AuditFilter::default()
        });
        assert_eq!(targets(&alice), ["a.test.", ""]);
        let logins = by(AuditFilter {
            action: Some(AuditAction::Login),
            ..AuditFilter::default()
        });
        assert_eq!(logins.records.len(), 2);
        // A zone typed without its dot, in capitals.
        let zone = by(AuditFilter {
            target: Some("A.TEST".into()),
            ..AuditFilter::default()
        });
        assert_eq!(zone.records.len(), 2);
        let window = by(AuditFilter {
            from: Some(110),
            to: Some(130),
            ..AuditFilter::default()
        });
        assert_eq!(
            window
                .records
                .iter()
                .map(|r| r.event.at)
                .collect::<Vec<_>>(),
            [120, 110],
            "from is inclusive, to exclusive"
        );
        let both = by(AuditFilter {
            user: Some("bob".into()),
            target: Some("a.test.".into()),
            ..AuditFilter::default()
        });
        assert_eq!(both.records.len(), 1);
        assert!(
            by(AuditFilter {
                user: Some("nobody".into()),
                ..AuditFilter::default()
            })
            .records
            .is_empty()
        );
    }

    #[test]
    fn keyset_pages_cover_every_event_once() {
        let (_dir, store) = store();
        for i in 0..25u64 {
            let action = if i % 2 == 0 {
                AuditAction::ZoneCreate
            } else {
                AuditAction::Login
            };
            store
                .audit(&event(1_000 + i, "alice", action, &format!("z{i}.test.")))
                .unwrap();
        }
        let mut seen = Vec::new();
        let mut before = None;
        let mut pages = 0;
        loop {
            let page = store
                .audit_events(&AuditFilter::default(), before, 10)
                .unwrap();
            pages += 1;
            seen.extend(page.records.iter().map(|r| r.event.at));
            match page.older {
                Some(older) => before = Some(older),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, (1_000..1_025).rev().collect::<Vec<_>>());

        // Paging within a filter: only the 13 zone creations.
        let filter = AuditFilter {
            action: Some(AuditAction::ZoneCreate),
            ..AuditFilter::default()
        };
        let first = store.audit_events(&filter, None, 10).unwrap();
        assert_eq!(first.records.len(), 10);
        let second = store.audit_events(&filter, first.older, 10).unwrap();
        assert_eq!(second.records.len(), 3);
        assert_eq!(second.older, None);
        assert_eq!(second.records.last().unwrap().event.at, 1_000);
    }

    #[test]
    fn retention_keeps_the_newest_rows_and_days() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("a.db"), PasswordCost::MINIMUM)
            .unwrap()
            .with_audit_retention(AuditRetention {
                max_rows: 5,
                max_age_days: 2,
            });
        for i in 0..12u64 {
            store
                .audit(&event(i, "alice", AuditAction::Login, ""))
                .unwrap();
        }
        let page = store
            .audit_events(&AuditFilter::default(), None, 100)
            .unwrap();
        assert_eq!(
            page.records.iter().map(|r| r.event.at).collect::<Vec<_>>(),
            [11, 10, 9, 8, 7]
        );
        // Three days later, everything before the last two days goes.
        store
            .audit(&event(3 * 86_400, "alice", AuditAction::Logout, ""))
            .unwrap();
        let page = store
            .audit_events(&AuditFilter::default(), None, 100)
            .unwrap();
        assert_eq!(page.records.len(), 1);
        assert_eq!(page.records[0].event.action, AuditAction::Logout);
    }

    #[test]
    fn an_audited_write_commits_its_event_with_it_and_a_refusal_records_why() {
        let (_dir, store) = store();
        let at = 500;
        store
            .audited(event(at, "admin", AuditAction::UserCreate, "carol"), || {
                store.add_user("carol", "secret-1")
            })
            .unwrap();
        // Refused (the name is taken): nothing changed, the failure logged.
        let refused = store.audited(event(at, "admin", AuditAction::UserCreate, "carol"), || {
            store.add_user("carol", "secret-2")
        });
        assert!(refused.is_err());
        let page = store
            .audit_events(&AuditFilter::default(), None, 10)
            .unwrap();
        assert_eq!(page.records.len(), 2);
        assert_eq!(page.records[0].event.outcome, AuditOutcome::Failure);
        assert!(
            page.records[0].event.detail.contains("carol"),
            "{:?}",
            page.records[0]
        );
        assert_eq!(page.records[1].event.outcome, AuditOutcome::Success);
        // The event rode in the user's transaction: a later write on this
        // thread carries no stale event.
        store.add_user("dave", "secret-3").unwrap();
        assert_eq!(
            store
                .audit_events(&AuditFilter::default(), None, 10)
                .unwrap()
                .records
                .len(),
            2
        );
    }

    #[test]
    fn an_audit_row_that_cannot_be_written_undoes_the_change() {
        let (_dir, store) = store();
        // Make every insert into the log fail: the change must not stay
        // without its row.
        store
            .write(
                || "breaking the log".into(),
                |tx| {
                    tx.execute_batch(
                        "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log
                         BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END;",
                    )?;
                    Ok(())
                },
            )
            .unwrap();
        let result = store.audited(event(1, "admin", AuditAction::UserCreate, "erin"), || {
            store.add_user("erin", "secret")
        });
        assert!(result.is_err());
        assert!(store.users().unwrap().iter().all(|u| u.name != "erin"));
    }

    #[test]
    fn long_details_are_cut_and_actions_round_trip() {
        let (_dir, store) = store();
        store
            .audit(&event(1, "a", AuditAction::ZoneImport, "x.").failed("é".repeat(1_000)))
            .unwrap();
        let page = store
            .audit_events(&AuditFilter::default(), None, 1)
            .unwrap();
        assert_eq!(
            page.records[0].event.detail.chars().count(),
            MAX_DETAIL_CHARS
        );
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(action));
        }
        assert!("zone.explode".parse::<AuditAction>().is_err());
    }
}
