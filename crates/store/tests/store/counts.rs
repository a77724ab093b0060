//! The per-zone counts (`zone_counts`, kept by every write) against a real
//! count(*) after every kind of write, and the reads that use them.

use std::path::Path;

use store::{RrsetOp, SerialPolicy, ZoneKind};
use wire::{Record, Rtype};

use crate::fixture::*;

/// (zone id, view key, RRsets, enabled records) of each copy of a zone.
type Counts = Vec<(i64, i64, i64, i64)>;

/// The counts as kept, and as count(*) finds them; both sorted, copies
/// with nothing left out.
fn kept_and_counted(path: &Path) -> (Counts, Counts) {
    let connection = rusqlite::Connection::open(path).unwrap();
    let rows = |sql: &str| -> Counts {
        let mut statement = connection.prepare(sql).unwrap();
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    };
    let kept = rows(
        "SELECT zone_id, view_key, rrsets, records FROM zone_counts
         WHERE rrsets <> 0 OR records <> 0 ORDER BY 1, 2",
    );
    let counted = rows(
        "SELECT s.zone_id, ifnull(s.view_id, 0), count(DISTINCT s.id), count(r.id)
         FROM rrsets s LEFT JOIN records r ON r.rrset_id = s.id AND r.disabled = 0
         GROUP BY 1, 2 ORDER BY 1, 2",
    );
    (kept, counted)
}

/// Asserts the kept counts are the real ones, and that the zone's listing
/// reports the base's enabled records.
fn check(f: &Fixture, after: &str) {
    let (kept, counted) = kept_and_counted(&f.path);
    assert_eq!(kept, counted, "counts after {after}");
    if let Some(info) = f.store.zone(&name("example.com")).unwrap() {
        let base = counted
            .iter()
            .find(|(zone, view, _, _)| *zone == info.id && *view == 0)
            .map_or(0, |row| row.3);
        assert_eq!(info.records as i64, base, "listed records after {after}");
    }
}

fn zone_file(text: &str) -> Vec<Record> {
    zonefile::parse_str(text, &name("example.com"), Path::new("example.com.zone"))
        .expect("the test zone file parses")
        .records
        .into_iter()
        .map(|sourced| sourced.record)
        .collect()
}

#[test]
fn counts_follow_every_write_path() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    check(&f, "creating the zone");
    f.apply(vec![extend(
        "new",
        Rtype::A,
        60,
        &["192.0.2.7", "192.0.2.8"],
    )])
    .unwrap();
    check(&f, "adding an RRset");
    f.apply(vec![replace("new", Rtype::A, 60, &["192.0.2.9"])])
        .unwrap();
    check(&f, "replacing an RRset");
    f.apply(vec![change(
        "new",
        Rtype::A,
        RrsetOp::Replace {
            ttl: 60,
            records: vec![
                input(Rtype::A, "192.0.2.9"),
                disabled(Rtype::A, "192.0.2.10"),
            ],
        },
    )])
    .unwrap();
    check(&f, "adding a disabled record");
    f.apply(vec![change("new", Rtype::A, RrsetOp::Delete)])
        .unwrap();
    check(&f, "deleting an RRset");
    // A refused change leaves the counts as they were.
    let before = kept_and_counted(&f.path).0;
    f.apply(vec![extend("alias", Rtype::A, 60, &["192.0.2.1"])])
        .unwrap_err();
    assert_eq!(kept_and_counted(&f.path).0, before, "a refused change");

    f.store.sync_views(&["internal"], NOW).unwrap();
    f.store
        .apply_in_view(
            &name("example.com"),
            "internal",
            &store::ChangeSet {
                changes: vec![replace("www", Rtype::A, 60, &["10.0.0.1", "10.0.0.2"])],
            },
            &meta(NOW),
        )
        .unwrap();
    check(&f, "a view's own RRset");
    f.apply(vec![replace("www", Rtype::A, 60, &["192.0.2.1"])])
        .unwrap();
    check(&f, "a base change views follow");

    f.store
        .import(
            &name("example.com"),
            zone_file(
                "$TTL 300
@      3600 IN SOA ns1 hostmaster 900 10800 3600 604800 3600
@      3600 IN NS  ns1
www         IN A   192.0.2.1
a           IN A   192.0.2.2
b           IN TXT \"b\"
",
            ),
            ZoneKind::Native,
            &meta(NOW),
        )
        .unwrap();
    check(&f, "an import over the zone");
    let other = name("other.test");
    f.store
        .import(
            &other,
            zonefile::parse_str(
                "@ 300 IN SOA ns1 h 1 1 1 1 1\n@ 300 IN NS ns1\nns1 300 IN A 192.0.2.53\n",
                &other,
                Path::new("other.test.zone"),
            )
            .unwrap()
            .records
            .into_iter()
            .map(|sourced| sourced.record)
            .collect(),
            ZoneKind::Native,
            &meta(NOW),
        )
        .unwrap();
    check(&f, "importing a new zone");
    f.store
        .revert(&name("example.com"), store_serial_before(&f), &meta(NOW))
        .unwrap();
    check(&f, "a revert");
    f.store.delete_zone(&name("example.com")).unwrap();
    check(&f, "deleting a zone");
    assert_eq!(
        f.store.zone(&other).unwrap().unwrap().records,
        3,
        "the other zone keeps its count"
    );
}

/// The serial the newest change of example.com started from.
fn store_serial_before(f: &Fixture) -> wire::Serial {
    f.store.history(&name("example.com"), 1, None).unwrap()[0].serial_from
}

#[test]
fn a_store_from_before_the_counts_is_counted_once_when_opened() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.apply(vec![change(
        "extra",
        Rtype::A,
        RrsetOp::Replace {
            ttl: 60,
            records: vec![
                input(Rtype::A, "192.0.2.1"),
                disabled(Rtype::A, "192.0.2.2"),
            ],
        },
    )])
    .unwrap();
    let path = f.path.clone();
    let (kept, _) = kept_and_counted(&path);
    drop(f.store);
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch(
            "DROP TRIGGER zone_counts_view_delete;
             DROP TABLE zone_counts;
             PRAGMA user_version = 8;",
        )
        .unwrap();
    drop(connection);
    let store = store::Store::open(&path).unwrap();
    drop(store);
    let (again, counted) = kept_and_counted(&path);
    assert_eq!(again, kept);
    assert_eq!(again, counted);
}
