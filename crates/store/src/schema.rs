//! The database schema, its migrations, and how connections are set up.
//!
//! Migrations are a list of SQL steps; `PRAGMA user_version` counts the
//! steps applied. Opening a database applies the missing steps in one
//! transaction, with the new version written in the same transaction, so
//! a crash leaves either the old schema or the new one. A file whose
//! version is beyond this list was written by a newer hadns and is
//! refused. Steps are only ever appended: a released step never changes.
//!
//! # Tables
//!
//! Names (apexes, owners) are stored as lower-case uncompressed wire form
//! (BLOB), the exact value DNS compares, so no text escaping can be
//! ambiguous. Times are Unix seconds.
//!
//! ```text
//!  views ◄──────────────┐ (view_id NULL = the base data every view shares)
//!  zones ◄─┬ rrsets ◄── records
//!          ├ comments       (per RRset, PowerDNS-style; independent of records)
//!          ├ zone_options   (the zone's own rules, when it sets any)
//!          └ journal        (one entry per change of served data)
//!  users ◄─┬ api_tokens     (scope, optional zone list)
//!          └ grants ──► zones / account text, views (per-zone rights)
//!  tsig_keys                (keys made through the API; secrets as used)
//!  audit_log                (who did what; names, not foreign keys)
//! ```
//!
//! Views come with [5/8]; the schema has them now so that data can be
//! added without moving it. A zone row holds what all views share (kind,
//! serial policy). The base data has `view_id` NULL; a view's overrides
//! will be RRsets with its `view_id`, and a view whose data differs from
//! the base will have its own SOA RRset (so its own serial) and its own
//! journal entries (`journal.view_id`). Unique indexes use
//! `ifnull(view_id, 0)` because SQLite treats NULLs as distinct; view ids
//! are positive so 0 cannot clash.

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::Path;
use std::time::Duration;

use crate::error::StoreError;

/// How long a statement waits for another connection's lock (another
/// process such as `hadns import`, or a checkpoint) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema steps, in order; `user_version` is how many are applied.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "
    CREATE TABLE views (
        id         INTEGER PRIMARY KEY CHECK (id > 0),
        name       TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE zones (
        id            INTEGER PRIMARY KEY,
        name          BLOB NOT NULL UNIQUE,
        kind          TEXT NOT NULL CHECK (kind IN ('Native', 'Master', 'Slave')),
        serial_policy TEXT NOT NULL CHECK (serial_policy IN ('increment', 'date')),
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    );
    CREATE TABLE rrsets (
        id      INTEGER PRIMARY KEY,
        zone_id INTEGER NOT NULL REFERENCES zones (id) ON DELETE CASCADE,
        view_id INTEGER REFERENCES views (id) ON DELETE CASCADE,
        owner   BLOB NOT NULL,
        rtype   INTEGER NOT NULL CHECK (rtype BETWEEN 1 AND 65535),
        ttl     INTEGER NOT NULL CHECK (ttl BETWEEN 0 AND 2147483647)
    );
    CREATE UNIQUE INDEX rrsets_identity ON rrsets (zone_id, ifnull(view_id, 0), owner, rtype);
    CREATE TABLE records (
        id       INTEGER PRIMARY KEY,
        rrset_id INTEGER NOT NULL REFERENCES rrsets (id) ON DELETE CASCADE,
        rdata    BLOB NOT NULL,
        content  TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        UNIQUE (rrset_id, rdata)
    );
    CREATE TABLE comments (
        id          INTEGER PRIMARY KEY,
        zone_id     INTEGER NOT NULL REFERENCES zones (id) ON DELETE CASCADE,
        view_id     INTEGER REFERENCES views (id) ON DELETE CASCADE,
        owner       BLOB NOT NULL,
        rtype       INTEGER NOT NULL,
        content     TEXT NOT NULL,
        account     TEXT NOT NULL,
        modified_at INTEGER NOT NULL
    );
    CREATE INDEX comments_rrset ON comments (zone_id, ifnull(view_id, 0), owner, rtype);
    CREATE TABLE journal (
        id            INTEGER PRIMARY KEY,
        zone_id       INTEGER NOT NULL REFERENCES zones (id) ON DELETE CASCADE,
        view_id       INTEGER REFERENCES views (id) ON DELETE CASCADE,
        serial_from   INTEGER NOT NULL,
        serial_to     INTEGER NOT NULL,
        author        TEXT NOT NULL,
        source        TEXT NOT NULL CHECK (source IN ('api', 'update', 'ui', 'import')),
        changed_at    INTEGER NOT NULL,
        comment       TEXT,
        removed_count INTEGER NOT NULL,
        added_count   INTEGER NOT NULL,
        removed       BLOB NOT NULL,
        added         BLOB NOT NULL
    );
    CREATE INDEX journal_zone ON journal (zone_id, ifnull(view_id, 0), id);
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at    INTEGER NOT NULL DEFAULT (unixepoch())
    );
    CREATE TABLE api_tokens (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL,
        user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        secret_sha256 BLOB NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
        scope         TEXT NOT NULL CHECK (scope IN ('read', 'write')),
        created_at    INTEGER NOT NULL DEFAULT (unixepoch()),
        revoked_at    INTEGER
    );
    CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;
    CREATE INDEX api_tokens_user ON api_tokens (user_id);
    ",
    // 2: paged listings (the web UI) in canonical DNS order with search: each
    // RRset's owner as a canonical-order key (`sort_key`, see
    // `owner_sort_key`) and as presentation text. Rows written before this
    // step get both at once (`fill_owner_keys`).
    "
    ALTER TABLE rrsets ADD COLUMN sort_key BLOB;
    ALTER TABLE rrsets ADD COLUMN owner_text TEXT;
    CREATE INDEX rrsets_order ON rrsets (zone_id, ifnull(view_id, 0), sort_key, rtype);
    ",
    // 3: the PowerDNS zone settings clients send and read back (`account`,
    // `soa_edit_api`, `soa_edit`, `catalog`, `masters`, the TSIG key ids,
    // `api_rectify`, `presigned`), and the `epoch` serial policy
    // (`soa_edit_api: EPOCH`). SQLite cannot widen a CHECK constraint in
    // place, so the zones table is rebuilt as SQLite's ALTER TABLE guide
    // says (foreign keys are off during migrations, see `migrate`, so
    // dropping the old table cascades nowhere). Lists are stored one item
    // per line: items are addresses and names, which hold no line breaks.
    "
    CREATE TABLE zones_new (
        id                  INTEGER PRIMARY KEY,
        name                BLOB NOT NULL UNIQUE,
        kind                TEXT NOT NULL CHECK (kind IN ('Native', 'Master', 'Slave')),
        serial_policy       TEXT NOT NULL CHECK (serial_policy IN ('increment', 'date', 'epoch')),
        created_at          INTEGER NOT NULL,
        updated_at          INTEGER NOT NULL,
        account             TEXT NOT NULL DEFAULT '',
        soa_edit_api        TEXT NOT NULL DEFAULT '',
        soa_edit            TEXT NOT NULL DEFAULT '',
        catalog             TEXT NOT NULL DEFAULT '',
        masters             TEXT NOT NULL DEFAULT '',
        master_tsig_key_ids TEXT NOT NULL DEFAULT '',
        slave_tsig_key_ids  TEXT NOT NULL DEFAULT '',
        api_rectify         INTEGER NOT NULL DEFAULT 0 CHECK (api_rectify IN (0, 1)),
        presigned           INTEGER NOT NULL DEFAULT 0 CHECK (presigned IN (0, 1))
    );
    INSERT INTO zones_new (id, name, kind, serial_policy, created_at, updated_at)
        SELECT id, name, kind, serial_policy, created_at, updated_at FROM zones;
    DROP TABLE zones;
    ALTER TABLE zones_new RENAME TO zones;
    ",
    // 4: TSIG keys managed through the API (`/tsigkeys`), served beside the
    // configuration's `[[key]]`s. The secret is kept as it is used (the
    // node must compute HMACs with it); the file is mode 0600. The name is
    // lower-case wire form, like zone names, so one key has one row.
    // IF NOT EXISTS: development stores made while this was step 3 have
    // the table already (see `migrate_steps`).
    "
    CREATE TABLE IF NOT EXISTS tsig_keys (
        id         INTEGER PRIMARY KEY,
        name       BLOB NOT NULL UNIQUE,
        algorithm  TEXT NOT NULL CHECK (algorithm IN ('hmac-md5', 'hmac-sha1', 'hmac-sha224',
                                                      'hmac-sha256', 'hmac-sha384', 'hmac-sha512')),
        secret     BLOB NOT NULL CHECK (length(secret) > 0),
        created_at INTEGER NOT NULL DEFAULT (unixepoch()),
        updated_at INTEGER NOT NULL DEFAULT (unixepoch())
    );
    ",
    // 5: a zone's row id is never reused (AUTOINCREMENT). Without it SQLite
    // gives a zone created right after the newest one was deleted the same
    // id, and the catalog's member ids (manage::catalog) derive from it so
    // that a zone deleted and created again is a new member to consumers
    // (RFC 9432 §5.4, §5.6). Rebuilt as in step 3; ids are kept as they are.
    "
    CREATE TABLE zones_new (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        name                BLOB NOT NULL UNIQUE,
        kind                TEXT NOT NULL CHECK (kind IN ('Native', 'Master', 'Slave')),
        serial_policy       TEXT NOT NULL CHECK (serial_policy IN ('increment', 'date', 'epoch')),
        created_at          INTEGER NOT NULL,
        updated_at          INTEGER NOT NULL,
        account             TEXT NOT NULL DEFAULT '',
        soa_edit_api        TEXT NOT NULL DEFAULT '',
        soa_edit            TEXT NOT NULL DEFAULT '',
        catalog             TEXT NOT NULL DEFAULT '',
        masters             TEXT NOT NULL DEFAULT '',
        master_tsig_key_ids TEXT NOT NULL DEFAULT '',
        slave_tsig_key_ids  TEXT NOT NULL DEFAULT '',
        api_rectify         INTEGER NOT NULL DEFAULT 0 CHECK (api_rectify IN (0, 1)),
        presigned           INTEGER NOT NULL DEFAULT 0 CHECK (presigned IN (0, 1))
    );
    INSERT INTO zones_new (id, name, kind, serial_policy, created_at, updated_at, account,
                           soa_edit_api, soa_edit, catalog, masters, master_tsig_key_ids,
                           slave_tsig_key_ids, api_rectify, presigned)
        SELECT id, name, kind, serial_policy, created_at, updated_at, account,
               soa_edit_api, soa_edit, catalog, masters, master_tsig_key_ids,
               slave_tsig_key_ids, api_rectify, presigned FROM zones;
    DROP TABLE zones;
    ALTER TABLE zones_new RENAME TO zones;
    ",
    // 6: the audit log (`audit.rs`): logins, user, token and session
    // changes, zone creation, deletion, settings, reverts and imports. No
    // foreign keys: an event outlives the user, token or zone it names.
    // `at` is indexed for age pruning and time filters; (column, id)
    // indexes serve a filter and the newest-first keyset order together.
    "
    CREATE TABLE audit_log (
        id      INTEGER PRIMARY KEY,
        at      INTEGER NOT NULL,
        user    TEXT NOT NULL,
        token   TEXT,
        client  TEXT,
        action  TEXT NOT NULL,
        target  TEXT NOT NULL DEFAULT '',
        detail  TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure'))
    );
    CREATE INDEX audit_log_at ON audit_log (at);
    CREATE INDEX audit_log_user ON audit_log (user, id);
    CREATE INDEX audit_log_action ON audit_log (action, id);
    CREATE INDEX audit_log_target ON audit_log (target, id);
    ",
    // 7: a zone's own rules (`ZoneOptions`: default TTL, NOTIFY targets and
    // key, allow_transfer, allow_update, catalog group), set on the web
    // UI's settings page or through `/settings`. A table of its own, with
    // a row only for zones that set something: NULL is "not set" (the
    // configuration decides), which a list column could not say with ''
    // (an empty NOTIFY list is a setting). Lists one element per line, as
    // in step 3; the key name in wire form, as every name.
    "
    CREATE TABLE zone_options (
        zone_id        INTEGER PRIMARY KEY REFERENCES zones (id) ON DELETE CASCADE,
        default_ttl    INTEGER CHECK (default_ttl BETWEEN 0 AND 2147483647),
        notify         TEXT,
        notify_key     BLOB,
        allow_transfer TEXT,
        allow_update   TEXT,
        catalog_group  TEXT
    );
    ",
    // 8: roles and per-zone rights (see `access.rs`). Every user there is
    // becomes an admin, what all users were before, so an upgrade locks
    // nobody out. A grant names a store zone (by id: deleting the zone
    // takes its grants along) or an account (PowerDNS `account`, text),
    // optionally one view. A token's zone limit is kept as apex names, one
    // per line, not as zone ids: a deleted zone must not silently widen a
    // token whose list it was the last entry of.
    "
    ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
        CHECK (role IN ('admin', 'operator', 'user'));
    ALTER TABLE api_tokens ADD COLUMN zones TEXT NOT NULL DEFAULT '';
    CREATE TABLE grants (
        id      INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        zone_id INTEGER REFERENCES zones (id) ON DELETE CASCADE,
        account TEXT CHECK (account IS NULL OR length(account) > 0),
        view_id INTEGER REFERENCES views (id) ON DELETE CASCADE,
        access  TEXT NOT NULL CHECK (access IN ('read', 'write')),
        CHECK ((zone_id IS NULL) <> (account IS NULL))
    );
    CREATE UNIQUE INDEX grants_identity
        ON grants (user_id, ifnull(zone_id, 0), ifnull(account, ''), ifnull(view_id, 0));
    ",
    // 9: how many RRsets and enabled records each zone holds, per copy
    // (`view_key`: the view's id, 0 for the base), so that listing a zone
    // reads one row instead of counting a million (issue 17). The writes
    // that add or remove RRsets and records (`write_edit`,
    // `write_overrides`) move them in their own transaction; a deleted
    // zone's rows go with it (ON DELETE CASCADE), and a deleted view's with
    // the trigger below (its RRsets cascade away too, and its id may be
    // given again). Not triggers on `rrsets` and `records`: a trigger that
    // writes makes SQLite keep a statement journal for every insert, which
    // doubled the time of a million-record import. Existing stores are
    // counted once here.
    "
    CREATE TABLE zone_counts (
        zone_id  INTEGER NOT NULL REFERENCES zones (id) ON DELETE CASCADE,
        view_key INTEGER NOT NULL,
        rrsets   INTEGER NOT NULL DEFAULT 0,
        records  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (zone_id, view_key)
    );
    INSERT INTO zone_counts (zone_id, view_key, rrsets, records)
        SELECT s.zone_id, ifnull(s.view_id, 0), count(DISTINCT s.id), count(r.id)
        FROM rrsets s LEFT JOIN records r ON r.rrset_id = s.id AND r.disabled = 0
        GROUP BY s.zone_id, ifnull(s.view_id, 0);
    CREATE TRIGGER zone_counts_view_delete AFTER DELETE ON views BEGIN
        DELETE FROM zone_counts WHERE view_key = OLD.id;
    END;
    ",
];

/// Opens the read-write connection, creating the file, and brings the
/// schema up to date.
pub(crate) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let during = |what: &str| {
        let text = format!("{what} {}", path.display());
        move || text
    };
    let mut connection =
        Connection::open(path).map_err(|e| StoreError::from(e).during(during("opening")))?;
    configure(&connection).map_err(|e| StoreError::from(e).during(during("configuring")))?;
    // WAL lets readers go on while a change commits; it is a property of
    // the file, so setting it once on the writer is enough.
    let mode: String = connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|e| StoreError::from(e).during(during("switching to WAL")))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::corrupt(format!(
            "{} refuses WAL mode (journal_mode is {mode})",
            path.display()
        )));
    }
    migrate(&mut connection).map_err(|e| e.during(during("migrating")))?;
    Ok(connection)
}

/// Opens a read-only connection for queries.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    // No SQLite mutex: the store's own Mutex serialises use.
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(|e| {
        let text = format!("opening {} for reading", path.display());
        StoreError::from(e).during(|| text)
    })?;
    configure(&connection).map_err(|e| {
        let text = format!("configuring {} for reading", path.display());
        StoreError::from(e).during(|| text)
    })?;
    Ok(connection)
}

/// Settings every connection needs: they are per connection, not stored.
fn configure(connection: &Connection) -> rusqlite::Result<()> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // An acknowledged change must survive a power cut: FULL syncs the WAL
    // at every commit (NORMAL would only sync at checkpoints).
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Applies the missing migration steps in one transaction, with foreign
/// key enforcement off while they run: a step may rebuild a table others
/// refer to (SQLite's own procedure for changes ALTER TABLE cannot make),
/// and dropping the old copy must not cascade to its children. The
/// references are checked before the commit instead.
fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    // The pragma is a no-op inside a transaction, so it is set around it.
    connection.pragma_update(None, "foreign_keys", "OFF")?;
    let result = migrate_steps(connection);
    connection.pragma_update(None, "foreign_keys", "ON")?;
    result
}

/// The steps of [`migrate`], in one transaction.
fn migrate_steps(connection: &mut Connection) -> Result<(), StoreError> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = transaction.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let known = MIGRATIONS.len();
    let mut applied = usize::try_from(version).unwrap_or(usize::MAX);
    // Development stores made while `tsig_keys` was step 3 say 3 without
    // having the zone settings of today's step 3: they get it now, and
    // step 4 finds its table there.
    if applied == 3 {
        let settings: i64 = transaction.query_row(
            "SELECT count(*) FROM pragma_table_info('zones') WHERE name = 'account'",
            [],
            |row| row.get(0),
        )?;
        if settings == 0 {
            applied = 2;
        }
    }
    if applied > known {
        return Err(StoreError::SchemaTooNew {
            found: version,
            known,
        });
    }
    for step in &MIGRATIONS[applied..] {
        transaction.execute_batch(step)?;
    }
    if applied < 2 {
        fill_owner_keys(&transaction)?;
    }
    if applied < known {
        let dangling: i64 =
            transaction.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })?;
        if dangling > 0 {
            return Err(StoreError::corrupt(format!(
                "{dangling} rows refer to rows that do not exist after the schema migration"
            )));
        }
        transaction.pragma_update(None, "user_version", known as i64)?;
    }
    transaction.commit()?;
    Ok(())
}

/// An owner's key for `rrsets.sort_key`: byte strings that compare like
/// the names in canonical DNS order (RFC 4034 §6.1): labels from the root
/// down, each octet lower-cased and shifted up by one, each label ended by
/// a zero, written as big-endian 16-bit units.
pub(crate) fn owner_sort_key(owner: &wire::Name) -> Vec<u8> {
    wire::name::canonical_key(owner.as_wire())
        .into_iter()
        .flat_map(u16::to_be_bytes)
        .collect()
}

/// Gives RRsets written before migration 2 their sort key and owner text.
fn fill_owner_keys(connection: &Connection) -> Result<(), StoreError> {
    let mut select = connection.prepare("SELECT id, owner FROM rrsets WHERE sort_key IS NULL")?;
    let rows: Vec<(i64, Vec<u8>)> = select
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut update =
        connection.prepare("UPDATE rrsets SET sort_key = ?1, owner_text = ?2 WHERE id = ?3")?;
    for (id, owner) in rows {
        let name = wire::Name::from_wire(&owner).map_err(|e| {
            StoreError::corrupt(format!("RRset {id} has an unreadable owner name: {e}"))
        })?;
        update.execute(rusqlite::params![
            owner_sort_key(&name),
            name.to_string(),
            id
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database at schema version 2 with one zone, an RRset, a record, a
    /// comment and a journal entry; migrating it must keep every row (the
    /// zones table is rebuilt in step 3, and a cascade from dropping the
    /// old one would take the zone's data with it).
    #[test]
    fn step_3_rebuilds_zones_and_keeps_every_row_that_refers_to_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.sqlite");
        let mut old = Connection::open(&path).unwrap();
        configure(&old).unwrap();
        let transaction = old.transaction().unwrap();
        for step in &MIGRATIONS[..2] {
            transaction.execute_batch(step).unwrap();
        }
        transaction
            .execute_batch(
                "INSERT INTO zones (id, name, kind, serial_policy, created_at, updated_at)
                     VALUES (7, x'0474657374', 'Master', 'date', 1, 2);
                 INSERT INTO rrsets (id, zone_id, owner, rtype, ttl) VALUES (1, 7, x'0474657374', 1, 60);
                 INSERT INTO records (rrset_id, rdata, content) VALUES (1, x'c0000201', '192.0.2.1');
                 INSERT INTO comments (zone_id, owner, rtype, content, account, modified_at)
                     VALUES (7, x'0474657374', 1, 'hi', 'me', 3);
                 INSERT INTO journal (zone_id, serial_from, serial_to, author, source, changed_at,
                                      removed_count, added_count, removed, added)
                     VALUES (7, 0, 1, 'a', 'api', 4, 0, 0, x'', x'');
                 PRAGMA user_version = 2;",
            )
            .unwrap();
        transaction.commit().unwrap();
        drop(old);

        let connection = open_writer(&path).unwrap();
        let count = |table: &str| -> i64 {
            connection
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap()
        };
        for table in ["zones", "rrsets", "records", "comments", "journal"] {
            assert_eq!(count(table), 1, "{table} kept its row");
        }
        let (policy, account, rectify): (String, String, bool) = connection
            .query_row(
                "SELECT serial_policy, account, api_rectify FROM zones WHERE id = 7",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (policy.as_str(), account.as_str(), rectify),
            ("date", "", false)
        );
        let enforced: bool = connection
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert!(enforced, "foreign keys are on again after the migration");
        // The references still cascade to the rebuilt table.
        connection
            .execute("DELETE FROM zones WHERE id = 7", [])
            .unwrap();
        assert_eq!(count("rrsets"), 0);
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    /// A development store from when `tsig_keys` was step 3: user_version
    /// 3, the key table, no zone settings. It opens, gets the settings and
    /// keeps its zone and key.
    #[test]
    fn a_store_that_had_tsig_keys_as_step_3_gets_the_zone_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dev.sqlite");
        let mut old = Connection::open(&path).unwrap();
        configure(&old).unwrap();
        let transaction = old.transaction().unwrap();
        for step in [MIGRATIONS[0], MIGRATIONS[1], MIGRATIONS[3]] {
            transaction.execute_batch(step).unwrap();
        }
        transaction
            .execute_batch(
                "INSERT INTO zones (id, name, kind, serial_policy, created_at, updated_at)
                     VALUES (7, x'0474657374', 'Master', 'date', 1, 2);
                 INSERT INTO tsig_keys (name, algorithm, secret)
                     VALUES (x'036b657900', 'hmac-sha256', x'00');
                 PRAGMA user_version = 3;",
            )
            .unwrap();
        transaction.commit().unwrap();
        drop(old);

        let connection = open_writer(&path).unwrap();
        let (policy, account): (String, String) = connection
            .query_row(
                "SELECT serial_policy, account FROM zones WHERE id = 7",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((policy.as_str(), account.as_str()), ("date", ""));
        let keys: i64 = connection
            .query_row("SELECT count(*) FROM tsig_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(keys, 1, "the key is kept");
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    /// A store from before roles (version 5) with a user and a token:
    /// after the upgrade the user is an admin, so nobody is locked out,
    /// and the token has no zone limit.
    #[test]
    fn step_6_makes_every_existing_user_an_admin() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v5.sqlite");
        let mut old = Connection::open(&path).unwrap();
        configure(&old).unwrap();
        let transaction = old.transaction().unwrap();
        for step in &MIGRATIONS[..5] {
            transaction.execute_batch(step).unwrap();
        }
        transaction
            .execute_batch(&format!(
                "INSERT INTO users (id, name, password_hash) VALUES (1, 'root', 'x');
                 INSERT INTO api_tokens (name, user_id, secret_sha256, scope)
                     VALUES ('ci', 1, x'{}', 'write');
                 PRAGMA user_version = 5;",
                "00".repeat(32)
            ))
            .unwrap();
        transaction.commit().unwrap();
        drop(old);

        let connection = open_writer(&path).unwrap();
        let role: String = connection
            .query_row("SELECT role FROM users WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(role, "admin");
        let zones: String = connection
            .query_row("SELECT zones FROM api_tokens", [], |r| r.get(0))
            .unwrap();
        assert_eq!(zones, "");
    }
}
