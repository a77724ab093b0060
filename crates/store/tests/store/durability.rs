//! What survives: restarts, a copy of the files taken mid-flight, schema
//! migrations, and several threads writing at once.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use rusqlite::Connection;
use store::{PasswordCost, SCHEMA_VERSION, SerialPolicy, Store, StoreError};
use wire::{Rtype, Serial};

use crate::fixture::*;

#[test]
fn a_committed_change_is_seen_by_a_store_opened_afterwards() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let applied = f
        .apply(vec![replace("www", Rtype::A, 300, &["192.0.2.77"])])
        .unwrap();
    // Another store on the same file, while the first is still open, as a
    // restarted process would be after a crash.
    let second = Store::open_with(&f.path, PasswordCost::MINIMUM).unwrap();
    let zone = name("example.com");
    assert_eq!(second.zone(&zone).unwrap().unwrap().serial, applied.to);
    assert_eq!(
        second.zone_records(&zone).unwrap(),
        f.store.zone_records(&zone).unwrap()
    );
    drop(second);
    let path = f.path.clone();
    drop(f.store);
    let third = Store::open(&path).unwrap();
    assert_eq!(third.zone(&zone).unwrap().unwrap().serial, Serial(2));
    assert_eq!(third.history(&zone, 10, None).unwrap().len(), 2);
}

#[test]
fn the_files_hold_every_acknowledged_change_before_any_checkpoint() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.apply(vec![replace("www", Rtype::A, 300, &["192.0.2.78"])])
        .unwrap();
    // Copy the database and its write-ahead log as they are on disk now,
    // with the store still running: what a power cut would leave.
    let copy = tempfile::tempdir().unwrap();
    let target = copy.path().join("store.sqlite");
    std::fs::copy(&f.path, &target).unwrap();
    let wal = f.path.with_extension("sqlite-wal");
    assert!(wal.exists(), "the store runs in WAL mode");
    std::fs::copy(&wal, target.with_extension("sqlite-wal")).unwrap();
    let recovered = Store::open_with(&target, PasswordCost::MINIMUM).unwrap();
    let zone = name("example.com");
    assert_eq!(recovered.zone(&zone).unwrap().unwrap().serial, Serial(2));
    assert!(
        served_text(&recovered.zone_records(&zone).unwrap())
            .contains(&"www.example.com. 300 IN A 192.0.2.78".to_string())
    );
}

#[test]
fn opening_creates_directories_and_a_private_wal_file() {
    let f = Fixture::new();
    assert!(f.path.parent().unwrap().is_dir());
    let mode = std::fs::metadata(&f.path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let connection = Connection::open(&f.path).unwrap();
    let journal_mode: String = connection
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(journal_mode, "wal");
}

#[test]
fn reopening_migrates_nothing_again_and_keeps_the_data() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.store.add_user("admin", "pw").unwrap();
    let before = f.dump();
    assert!(before.starts_with(&format!("user_version {SCHEMA_VERSION}\n")));
    const { assert!(SCHEMA_VERSION >= 1) };
    for _ in 0..2 {
        let again = Store::open_with(&f.path, PasswordCost::MINIMUM).unwrap();
        assert_eq!(again.zones().unwrap().len(), 1);
    }
    assert_eq!(f.dump(), before);
}

#[test]
fn a_database_from_a_newer_schema_is_refused() {
    let f = Fixture::new();
    let path = f.path.clone();
    drop(f.store);
    let connection = Connection::open(&path).unwrap();
    connection
        .pragma_update(None, "user_version", SCHEMA_VERSION as i64 + 1)
        .unwrap();
    drop(connection);
    let error = Store::open(&path).expect_err("a newer schema is refused");
    assert!(
        matches!(error, StoreError::SchemaTooNew { found, known } if found == SCHEMA_VERSION as i64 + 1 && known == SCHEMA_VERSION),
        "{error}"
    );
}

#[test]
fn served_records_build_a_zone_snapshot() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let records = f.store.zone_records(&zone).unwrap();
    let snapshot = zone::Zone::build(&zone, records.clone(), zone::BuildOptions::default())
        .expect("the store serves what the query path accepts");
    assert_eq!(snapshot.serial(), Serial(1));
    assert_eq!(snapshot.record_count(), records.len());
    assert_eq!(records[0].rtype, Rtype::SOA, "the SOA comes first");
}

#[test]
fn concurrent_writers_are_serialised_without_losing_a_change() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
    let f = Fixture::with_example(SerialPolicy::Increment);
    let store = Arc::new(Store::open_with(&f.path, PasswordCost::MINIMUM).unwrap());
    let threads: Vec<_> = (0..4u8)
        .map(|thread| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let zone = name("example.com");
                for i in 0..10u8 {
                    let owner = format!("t{thread}-{i}");
                    let change = store::ChangeSet {
                        changes: vec![replace(&owner, Rtype::A, 60, &["192.0.2.1"])],
                    };
                    store.apply(&zone, &change, &meta(NOW)).unwrap();
                    store.zone_records(&zone).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let zone = name("example.com");
    assert_eq!(f.serial(), Serial(41));
    let history = f.store.history(&zone, 100, None).unwrap();
    assert_eq!(history.len(), 41);
    // The journal is a chain: each entry starts where the previous ended.
    for pair in history.windows(2) {
        assert_eq!(pair[0].serial_from, pair[1].serial_to);
    }
}
