//! [`Store`]: the SQLite file, its two connections, and the zone
//! operations. The write path is: load the RRsets a change touches →
//! [`Edit`](crate::change::Edit) (pure) → [`validate`](crate::validate)
//! (pure) → [`plan`](crate::plan) (pure: difference and serial) → write
//! RRsets, comments and the journal entry → commit, all in one
//! `BEGIN IMMEDIATE` transaction, so a refused change writes nothing.
//!
//! This file holds the type, its connections and their transactions; the
//! operations live in child modules, one concern each, every one an
//! `impl Store` block or SQL helpers beside it. Each uses only those
//! below it (and this file, which names none of them):
//!
//! ```text
//!  zones.rs     list, create, change settings of, delete, import zones
//!  history.rs   journal rows, each copy's chain, history, IXFR changes, revert
//!  writes.rs    apply (base and views): check, plan, write RRsets + journal entry
//!  views.rs     the views and their own RRsets (overrides), reads in a view
//!  rrsets.rs    RRsets and comments as stored, pages, what is served, the serial
//!  zone_row.rs  a zone's row: find, insert, decode, settings, apex SOA flag
//!  open.rs      opening the file (mode 0600, schema, password cost)
//! ```
//!
//! Users, tokens, TSIG keys and the audit log are `impl Store` blocks
//! too, in the crate's `auth.rs`, `tsig.rs` and `audit.rs`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{StoreError, WriteError};

pub(crate) use crate::time::{sql_time, unix_time};

mod audit;
mod history;
mod import;
mod open;
pub(crate) mod rrsets;
mod served;
mod views;
mod writes;
mod zone_row;
mod zones;

/// `ifnull(view_id, 0)` of the base data, which every view shares (a
/// view's own rows carry its id).
const BASE_VIEW: i64 = 0;

/// The primary's durable state in one SQLite file: zones, records,
/// comments, the change journal, users and API tokens.
///
/// Two connections: one read-write, behind a mutex, so there is exactly
/// one writer and every write is one `BEGIN IMMEDIATE` transaction; and one
/// read-only, behind its own mutex, so that reads (each in its own read
/// transaction, a consistent snapshot under WAL) never wait for a write's
/// fsync. `Store` is `Send + Sync`; share it with an `Arc`. Every call
/// blocks on SQLite (and password calls on Argon2): from async code, call
/// it on a blocking thread.
pub struct Store {
    /// The database file.
    path: PathBuf,
    /// The one read-write connection.
    writer: Mutex<Connection>,
    /// The read-only connection for queries.
    reader: Mutex<Connection>,
    /// Argon2 settings for new password hashes.
    pub(crate) password_params: argon2::Params,
    /// How much of the audit log each insert keeps.
    pub(crate) audit_retention: crate::audit::AuditRetention,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `query` in a read transaction on the read-only connection.
    pub(crate) fn read<T>(
        &self,
        action: impl FnOnce() -> String,
        query: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = lock(&self.reader);
        let result = connection
            .transaction()
            .map_err(StoreError::from)
            .and_then(|transaction| query(&transaction));
        result.map_err(|error| error.during(action))
    }

    /// Runs `write` in an immediate transaction on the writer, committing
    /// only if it succeeds; on any error the transaction rolls back. An
    /// audit event waiting on this thread ([`Store::audited`]) is written
    /// in the same transaction.
    pub(crate) fn write<T>(
        &self,
        action: impl FnOnce() -> String,
        write: impl FnOnce(&Transaction<'_>) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        let audit = crate::audit::take_pending();
        self.write_audited(action, audit.as_ref(), write)
    }

    /// [`Store::write`] with `audit`, if given, inserted after `write`
    /// succeeded and before the commit: both or neither.
    pub(crate) fn write_audited<T>(
        &self,
        action: impl FnOnce() -> String,
        audit: Option<&crate::audit::AuditEvent>,
        write: impl FnOnce(&Transaction<'_>) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        let mut connection = lock(&self.writer);
        let result = (|| {
            let transaction =
                connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = write(&transaction)?;
            if let Some(event) = audit {
                crate::audit::insert_event(&transaction, event, self.audit_retention)?;
            }
            transaction.commit()?;
            Ok(value)
        })();
        result.map_err(|error: WriteError| error.during(action))
    }
}

/// Locks a connection. A panic while it was held dropped the transaction
/// in progress, which rolled back, so the connection is usable: poisoning
/// is ignored rather than turned into a panic here.
fn lock(mutex: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
