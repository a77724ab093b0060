//! Importing zone files: new zones, and replacing a zone's data as one
//! change.

use std::path::Path;

use store::{Comment, SerialPolicy, ValidationReason, WriteError, ZoneKind};
use wire::{Record, Rtype, Serial};

use crate::fixture::*;

/// The records of a zone file for example.com.
fn zone_file(text: &str) -> Vec<Record> {
    zonefile::parse_str(text, &name("example.com"), Path::new("example.com.zone"))
        .expect("the test zone file parses")
        .records
        .into_iter()
        .map(|sourced| sourced.record)
        .collect()
}

/// example.com. as a file, with `serial`; www has a new address and mail
/// is gone.
fn file_with_serial(serial: u32) -> Vec<Record> {
    zone_file(&format!(
        "$TTL 300
@      3600 IN SOA ns1 hostmaster {serial} 10800 3600 604800 3600
@      3600 IN NS  ns1
@      3600 IN NS  ns2
@      3600 IN MX  10 mail
www         IN A   192.0.2.1
www         IN A   192.0.2.5
alias       IN CNAME www
"
    ))
}

#[test]
fn importing_a_new_zone_keeps_the_file_serial() {
    let f = Fixture::new();
    let zone = name("example.com");
    let records = file_with_serial(2024010101);
    let mut with_duplicate = records.clone();
    with_duplicate.push(records[4].clone());
    let applied = f
        .store
        .import(&zone, with_duplicate, ZoneKind::Native, &meta(NOW))
        .unwrap();
    assert_eq!((applied.from, applied.to), (Serial(0), Serial(2024010101)));
    let info = f.store.zone(&zone).unwrap().unwrap();
    assert_eq!(info.kind, ZoneKind::Native);
    assert_eq!(info.serial_policy, SerialPolicy::Increment);
    // The duplicate record is merged.
    assert_eq!(info.records, records.len());
    assert_eq!(
        served_text(&f.store.zone_records(&zone).unwrap()),
        served_text(&records)
    );
    assert_eq!(f.store.history(&zone, 10, None).unwrap().len(), 1);
}

#[test]
fn importing_over_a_zone_replaces_its_data_as_one_change() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let mut commented = replace("www", Rtype::A, 300, &["192.0.2.1", "192.0.2.2"]);
    commented.comments = Some(vec![Comment {
        content: "web".to_string(),
        account: String::new(),
        modified_at: 3,
    }]);
    let mut mail_note = replace("mail", Rtype::A, 300, &["192.0.2.10"]);
    mail_note.comments = commented.comments.clone();
    f.apply(vec![commented, mail_note]).unwrap();

    let applied = f
        .store
        .import(&zone, file_with_serial(5), ZoneKind::Master, &meta(NOW + 1))
        .unwrap();
    assert_eq!((applied.from, applied.to), (Serial(1), Serial(5)));
    assert_eq!(
        served_text(&applied.removed[1..]),
        vec![
            "mail.example.com. 300 IN A 192.0.2.10",
            "www.example.com. 300 IN A 192.0.2.2",
        ]
    );
    assert_eq!(
        served_text(&applied.added[1..]),
        vec!["www.example.com. 300 IN A 192.0.2.5"]
    );
    let history = f.store.history(&zone, 10, None).unwrap();
    assert_eq!(history.len(), 2, "the import is one journal entry");
    assert_eq!(history[0].serial_to, Serial(5));
    // Comments stay with the RRsets that stay, and go with those that go.
    let rrsets = f.store.rrsets(&zone).unwrap();
    let www = rrsets
        .iter()
        .find(|r| r.name == name("www.example.com") && r.rtype == Rtype::A)
        .unwrap();
    assert_eq!(www.comments.len(), 1);
    assert!(!rrsets.iter().any(|r| r.name == name("mail.example.com")));
}

#[test]
fn an_imported_serial_that_is_not_newer_is_bumped() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    f.apply(vec![replace("@", Rtype::SOA, 3600, &[&example_soa(10)])])
        .unwrap();
    let applied = f
        .store
        .import(&zone, file_with_serial(3), ZoneKind::Master, &meta(NOW))
        .unwrap();
    assert_eq!((applied.from, applied.to), (Serial(10), Serial(11)));
    // The same file again changes nothing served.
    let again = f
        .store
        .import(&zone, file_with_serial(3), ZoneKind::Master, &meta(NOW))
        .unwrap();
    assert_eq!((again.from, again.to), (Serial(11), Serial(11)));
    assert_eq!(f.store.history(&zone, 10, None).unwrap().len(), 3);
}

#[test]
fn a_bad_import_writes_nothing() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let before = f.dump();
    let mut records = file_with_serial(9);
    records.retain(|r| r.rtype != Rtype::NS);
    let error = f
        .store
        .import(&zone, records, ZoneKind::Master, &meta(NOW))
        .unwrap_err();
    assert!(
        matches!(
            error,
            WriteError::Validation {
                reason: ValidationReason::ApexNsRemoved,
                ..
            }
        ),
        "{error}"
    );
    let mut records = file_with_serial(9);
    records[4].owner = name("www.example.net");
    let error = f
        .store
        .import(&zone, records, ZoneKind::Master, &meta(NOW))
        .unwrap_err();
    assert!(
        matches!(
            error,
            WriteError::Validation {
                reason: ValidationReason::OutsideZone { .. },
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(f.dump(), before);
    // An empty import would leave the zone without SOA.
    let error = f
        .store
        .import(
            &name("example.com"),
            Vec::new(),
            ZoneKind::Master,
            &meta(NOW),
        )
        .unwrap_err();
    assert!(matches!(error, WriteError::Validation { .. }), "{error}");
    assert_eq!(f.dump(), before);
    // A new zone without SOA is refused, and not created.
    let mut records = file_with_serial(9);
    records.retain(|r| r.rtype != Rtype::SOA);
    let fresh = Fixture::new();
    let before = fresh.dump();
    let error = fresh
        .store
        .import(&zone, records, ZoneKind::Master, &meta(NOW))
        .unwrap_err();
    assert!(
        matches!(
            error,
            WriteError::Validation {
                reason: ValidationReason::SoaNotSingle { count: 0 },
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(fresh.dump(), before);
}

#[test]
fn importing_takes_the_kind_given() {
    let f = Fixture::with_example(SerialPolicy::Date);
    let zone = name("example.com");
    f.store
        .import(&zone, file_with_serial(1), ZoneKind::Native, &meta(NOW))
        .unwrap();
    let info = f.store.zone(&zone).unwrap().unwrap();
    assert_eq!(info.kind, ZoneKind::Native);
    assert_eq!(info.serial_policy, SerialPolicy::Date, "the policy is kept");
    assert_eq!(info.serial, Serial(2024022901));
}
