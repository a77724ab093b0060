//! The audit log's reads and writes (`crate::audit` has its vocabulary):
//! [`Store::audited`] attaching an event to the next write on the thread,
//! [`Store::audit`] for an event alone, [`Store::audit_events`] in keyset
//! pages, and the insert with its pruning that the write path calls inside
//! its transaction.

use std::fmt;

use rusqlite::params_from_iter;

use super::Store;
use crate::audit::{
    AuditEvent, AuditFilter, AuditOutcome, AuditPage, AuditRecord, AuditRetention, insert_event,
    replace_pending,
};
use crate::error::{StoreError, WriteError};
use crate::time::{sql_time, unix_time};

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
        let outer = replace_pending(Some(event.clone()));
        let result = work();
        let left = replace_pending(outer);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PasswordCost;
    use crate::audit::{AuditAction, MAX_DETAIL_CHARS};

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
