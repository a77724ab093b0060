//! A zone's own rules (`ZoneOptions`, schema step 7): kept with the zone,
//! set or cleared with its settings in one transaction, with an SOA change
//! beside them as one RRset change and one serial bump.

use store::{ChangeSet, RrsetChange, RrsetOp, SerialPolicy, SettingsChange, ZoneOptions};
use wire::Rtype;

use crate::fixture::{Fixture, NOW, input, meta, name};

fn options() -> ZoneOptions {
    ZoneOptions {
        default_ttl: Some(300),
        notify: Some(vec![
            "127.0.0.9:53".into(),
            "127.0.0.10:5300 key xfr.".into(),
        ]),
        notify_key: Some(name("xfr")),
        allow_transfer: Some(vec!["none".into()]),
        allow_update: Some(Vec::new()),
        catalog_group: Some("blue".into()),
    }
}

#[test]
fn a_zone_sets_nothing_until_told() {
    let fixture = Fixture::with_example(SerialPolicy::Increment);
    let info = fixture.store.zone(&name("example.com")).unwrap().unwrap();
    assert_eq!(info.options, ZoneOptions::default());
}

#[test]
fn options_are_kept_as_given_an_empty_list_apart_from_none() {
    let fixture = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let change = SettingsChange {
        options: Some(options()),
        ..SettingsChange::default()
    };
    let applied = fixture
        .store
        .update_zone(&zone, &change, None, &meta(NOW))
        .unwrap();
    assert!(applied.is_none(), "settings alone move no serial");
    let info = fixture.store.zone(&zone).unwrap().unwrap();
    assert_eq!(info.options, options());
    // Listed too, and still there after the store is opened again.
    assert_eq!(fixture.store.zones().unwrap()[0].options, options());
    let again = store::Store::open(&fixture.path).unwrap();
    assert_eq!(again.zone(&zone).unwrap().unwrap().options, options());
    // Cleared: no row left, every field not set.
    let clear = SettingsChange {
        options: Some(ZoneOptions::default()),
        ..SettingsChange::default()
    };
    fixture
        .store
        .update_zone(&zone, &clear, None, &meta(NOW))
        .unwrap();
    assert_eq!(
        fixture.store.zone(&zone).unwrap().unwrap().options,
        ZoneOptions::default()
    );
}

#[test]
fn another_settings_change_keeps_the_options() {
    let fixture = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let set = SettingsChange {
        options: Some(options()),
        ..SettingsChange::default()
    };
    fixture
        .store
        .update_zone(&zone, &set, None, &meta(NOW))
        .unwrap();
    let account = SettingsChange {
        account: Some("ops".into()),
        ..SettingsChange::default()
    };
    fixture
        .store
        .update_zone(&zone, &account, None, &meta(NOW))
        .unwrap();
    let info = fixture.store.zone(&zone).unwrap().unwrap();
    assert_eq!(info.options, options());
    assert_eq!(info.settings.account, "ops");
}

#[test]
fn an_soa_change_with_options_is_one_rrset_change_and_one_bump() {
    let fixture = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let before = fixture.serial();
    let soa = RrsetChange {
        name: zone.clone(),
        rtype: Rtype::SOA,
        op: RrsetOp::Replace {
            ttl: 3600,
            records: vec![input(
                Rtype::SOA,
                &format!("ns1 admin.example.net. {} 7200 900 1209600 300", before.0),
            )],
        },
        comments: None,
    };
    let change = SettingsChange {
        options: Some(options()),
        ..SettingsChange::default()
    };
    let applied = fixture
        .store
        .update_zone(
            &zone,
            &change,
            Some(&ChangeSet { changes: vec![soa] }),
            &meta(NOW),
        )
        .unwrap()
        .expect("the SOA changed");
    assert_eq!(applied.from, before);
    assert_eq!(applied.to.0, before.0 + 1);
    // The SOA alone is removed and added: nothing else of the zone moves.
    assert_eq!(applied.removed.len(), 1);
    assert_eq!(applied.added.len(), 1);
    assert_eq!(applied.added[0].rtype, Rtype::SOA);
    assert_eq!(fixture.serial().0, before.0 + 1);
    assert_eq!(
        fixture.store.zone(&zone).unwrap().unwrap().options,
        options()
    );
}

#[test]
fn a_refused_soa_change_leaves_the_options_as_they_were() {
    let fixture = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let before = fixture.dump();
    // A CNAME at the apex is refused by the write path: the options given
    // in the same call must not be written either.
    let bad = RrsetChange {
        name: zone.clone(),
        rtype: Rtype::CNAME,
        op: RrsetOp::Replace {
            ttl: 300,
            records: vec![input(Rtype::CNAME, "elsewhere.example.net.")],
        },
        comments: None,
    };
    let change = SettingsChange {
        options: Some(options()),
        ..SettingsChange::default()
    };
    fixture
        .store
        .update_zone(
            &zone,
            &change,
            Some(&ChangeSet { changes: vec![bad] }),
            &meta(NOW),
        )
        .unwrap_err();
    assert_eq!(fixture.dump(), before);
    assert_eq!(
        fixture.store.zone(&zone).unwrap().unwrap().options,
        ZoneOptions::default()
    );
}

#[test]
fn deleting_a_zone_deletes_its_options() {
    let fixture = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let change = SettingsChange {
        options: Some(options()),
        ..SettingsChange::default()
    };
    fixture
        .store
        .update_zone(&zone, &change, None, &meta(NOW))
        .unwrap();
    fixture.store.delete_zone(&zone).unwrap();
    let connection = rusqlite::Connection::open(&fixture.path).unwrap();
    let rows: i64 = connection
        .query_row("SELECT count(*) FROM zone_options", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows, 0);
}

#[test]
fn apex_settings_read_the_row_the_soa_and_the_options() {
    let fixture = Fixture::with_example(SerialPolicy::Date);
    let zone = name("example.com");
    let change = SettingsChange {
        options: Some(options()),
        ..SettingsChange::default()
    };
    fixture
        .store
        .update_zone(&zone, &change, None, &meta(NOW))
        .unwrap();
    let apex = fixture.store.apex_settings(&zone).unwrap().unwrap();
    assert_eq!(apex.serial_policy, SerialPolicy::Date);
    assert_eq!(apex.options, options());
    assert!(apex.soa_ttl.is_some());
    let numbers = wire::rdata::soa_numbers(&apex.soa).expect("SOA RDATA");
    assert_eq!(numbers[0], fixture.serial().0);
    assert!(
        fixture
            .store
            .apex_settings(&name("absent.test"))
            .unwrap()
            .is_none()
    );
}
