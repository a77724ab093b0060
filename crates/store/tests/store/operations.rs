//! What each operation does to the stored and served data, and what it
//! reports.

use store::{Comment, RrsetChange, RrsetOp, SerialPolicy, StoredRrset};
use wire::{Rtype, Serial};

use crate::fixture::*;

/// The stored RRset of example.com at `owner`/`rtype`, if any.
fn stored(f: &Fixture, owner: &str, rtype: Rtype) -> Option<StoredRrset> {
    f.store
        .rrsets(&name("example.com"))
        .unwrap()
        .into_iter()
        .find(|s| s.name == owner_name(owner) && s.rtype == rtype)
}

/// The number of journal entries of example.com.
fn journal_len(f: &Fixture) -> usize {
    f.store
        .history(&name("example.com"), 1000, None)
        .unwrap()
        .len()
}

#[test]
fn replace_makes_the_set_exactly_the_records_given() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let applied = f
        .apply(vec![replace(
            "www",
            Rtype::A,
            600,
            &["192.0.2.2", "192.0.2.3"],
        )])
        .unwrap();
    let www = stored(&f, "www", Rtype::A).unwrap();
    assert_eq!(www.ttl, 600);
    let contents: Vec<&str> = www.records.iter().map(|r| r.content.as_str()).collect();
    assert_eq!(contents, ["192.0.2.2", "192.0.2.3"]);
    // A TTL change removes and adds the whole set, as IXFR sees it.
    assert_eq!(
        served_text(&applied.removed),
        vec![
            "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 10800 3600 604800 3600",
            "www.example.com. 300 IN A 192.0.2.1",
            "www.example.com. 300 IN A 192.0.2.2",
        ]
    );
    assert_eq!(
        served_text(&applied.added),
        vec![
            "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2 10800 3600 604800 3600",
            "www.example.com. 600 IN A 192.0.2.2",
            "www.example.com. 600 IN A 192.0.2.3",
        ]
    );
    assert_eq!(applied.removed[0].rtype, Rtype::SOA);
    assert_eq!(applied.added[0].rtype, Rtype::SOA);
    // An empty list deletes the set.
    f.apply(vec![replace("www", Rtype::A, 600, &[])]).unwrap();
    assert!(stored(&f, "www", Rtype::A).is_none());
    assert!(!f.served().iter().any(|r| r.starts_with("www.")));
}

#[test]
fn replace_with_the_same_ttl_reports_only_the_records_that_changed() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let applied = f
        .apply(vec![replace(
            "www",
            Rtype::A,
            300,
            &["192.0.2.2", "192.0.2.3"],
        )])
        .unwrap();
    assert_eq!(
        served_text(&applied.removed[1..]),
        vec!["www.example.com. 300 IN A 192.0.2.1"]
    );
    assert_eq!(
        served_text(&applied.added[1..]),
        vec!["www.example.com. 300 IN A 192.0.2.3"]
    );
}

#[test]
fn delete_removes_the_set_and_its_comments() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let comment = Comment {
        content: "main web server".to_string(),
        account: "alice".to_string(),
        modified_at: 1_700_000_000,
    };
    let mut with_comment = replace("www", Rtype::A, 300, &["192.0.2.1"]);
    with_comment.comments = Some(vec![comment.clone()]);
    f.apply(vec![with_comment]).unwrap();
    assert_eq!(stored(&f, "www", Rtype::A).unwrap().comments, vec![comment]);
    f.apply(vec![change("www", Rtype::A, RrsetOp::Delete)])
        .unwrap();
    assert!(stored(&f, "www", Rtype::A).is_none());
}

#[test]
fn comments_are_kept_unless_replaced_and_alone_bump_no_serial() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let first = Comment {
        content: "first".to_string(),
        account: "alice".to_string(),
        modified_at: 1,
    };
    // Extending by nothing changes only the comments, whatever the TTL says.
    let mut only_comment = change(
        "www",
        Rtype::A,
        RrsetOp::Extend {
            ttl: 1,
            records: Vec::new(),
        },
    );
    only_comment.comments = Some(vec![first.clone()]);
    let applied = f.apply(vec![only_comment]).unwrap();
    assert_eq!((applied.from, applied.to), (Serial(1), Serial(1)));
    assert!(applied.added.is_empty() && applied.removed.is_empty());
    assert_eq!(journal_len(&f), 1, "comments are not journaled");
    let www = stored(&f, "www", Rtype::A).unwrap();
    assert_eq!((www.ttl, www.comments), (300, vec![first.clone()]));
    // A replace without comments keeps them.
    f.apply(vec![replace("www", Rtype::A, 300, &["192.0.2.5"])])
        .unwrap();
    assert_eq!(stored(&f, "www", Rtype::A).unwrap().comments, vec![first]);
    // Comments on an RRset without records are listed, PowerDNS-style.
    let mut orphan = change(
        "note",
        Rtype::TXT,
        RrsetOp::Replace {
            ttl: 60,
            records: Vec::new(),
        },
    );
    orphan.comments = Some(vec![Comment {
        content: "reserved".to_string(),
        account: String::new(),
        modified_at: 2,
    }]);
    f.apply(vec![orphan]).unwrap();
    let note = stored(&f, "note", Rtype::TXT).unwrap();
    assert!(note.records.is_empty());
    assert_eq!(note.comments[0].content, "reserved");
}

#[test]
fn extend_adds_records_and_sets_the_ttl_of_the_whole_set() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let applied = f
        .apply(vec![extend(
            "www",
            Rtype::A,
            300,
            &["192.0.2.3", "192.0.2.1"],
        )])
        .unwrap();
    assert_eq!(
        served_text(&applied.added[1..]),
        vec!["www.example.com. 300 IN A 192.0.2.3"]
    );
    assert!(applied.removed[1..].is_empty());
    let www = stored(&f, "www", Rtype::A).unwrap();
    assert_eq!(www.records.len(), 3);
    f.apply(vec![extend("www", Rtype::A, 60, &["192.0.2.4"])])
        .unwrap();
    assert_eq!(stored(&f, "www", Rtype::A).unwrap().ttl, 60);
    assert!(
        f.served()
            .contains(&"www.example.com. 60 IN A 192.0.2.1".to_string())
    );
    // Extending a set that does not exist creates it.
    f.apply(vec![extend("new", Rtype::TXT, 60, &["\"hello\""])])
        .unwrap();
    assert!(
        f.served()
            .contains(&"new.example.com. 60 IN TXT \"hello\"".to_string())
    );
}

#[test]
fn prune_removes_the_records_given_and_ignores_absent_ones() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let prune = RrsetOp::Prune {
        records: vec![input(Rtype::A, "192.0.2.1"), input(Rtype::A, "192.0.2.99")],
    };
    let applied = f.apply(vec![change("www", Rtype::A, prune)]).unwrap();
    assert_eq!(
        served_text(&applied.removed[1..]),
        vec!["www.example.com. 300 IN A 192.0.2.1"]
    );
    let www = stored(&f, "www", Rtype::A).unwrap();
    assert_eq!(www.records.len(), 1);
    assert_eq!(www.records[0].content, "192.0.2.2");
    // Pruning the last record removes the set.
    let prune = RrsetOp::Prune {
        records: vec![input(Rtype::A, "192.0.2.2")],
    };
    f.apply(vec![change("www", Rtype::A, prune)]).unwrap();
    assert!(stored(&f, "www", Rtype::A).is_none());
}

#[test]
fn delete_record_removes_one_record_and_protects_soa_and_the_last_apex_ns() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let delete = |rtype, text: &str| RrsetOp::DeleteRecord {
        rdata: rdata(rtype, text),
    };
    let applied = f
        .apply(vec![change("www", Rtype::A, delete(Rtype::A, "192.0.2.2"))])
        .unwrap();
    assert_eq!(
        served_text(&applied.removed[1..]),
        vec!["www.example.com. 300 IN A 192.0.2.2"]
    );
    // RFC 2136 §3.4.2.4: deleting the SOA is ignored ...
    let serial = f.serial();
    let applied = f
        .apply(vec![change(
            "@",
            Rtype::SOA,
            delete(Rtype::SOA, &example_soa(2)),
        )])
        .unwrap();
    assert_eq!((applied.from, applied.to), (serial, serial));
    // ... and so is deleting the last NS at the apex, though not the others.
    let before = f.served();
    let applied = f
        .apply(vec![
            change("@", Rtype::NS, delete(Rtype::NS, "ns1.example.com.")),
            change("@", Rtype::NS, delete(Rtype::NS, "ns2.example.com.")),
        ])
        .unwrap();
    assert_eq!(
        served_text(&applied.removed[1..]),
        vec!["example.com. 3600 IN NS ns1.example.com."]
    );
    let after = f.served();
    assert!(after.contains(&"example.com. 3600 IN NS ns2.example.com.".to_string()));
    assert_eq!(after.len(), before.len() - 1);
}

#[test]
fn delete_name_removes_every_set_at_a_name_but_soa_and_ns_at_the_apex() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.apply(vec![
        replace("www", Rtype::TXT, 300, &["\"web\""]),
        replace("@", Rtype::TXT, 300, &["\"v=spf1 -all\""]),
    ])
    .unwrap();
    let applied = f
        .apply(vec![change("www", Rtype::ANY, RrsetOp::DeleteName)])
        .unwrap();
    assert_eq!(
        served_text(&applied.removed[1..]),
        vec![
            "www.example.com. 300 IN A 192.0.2.1",
            "www.example.com. 300 IN A 192.0.2.2",
            "www.example.com. 300 IN TXT \"web\"",
        ]
    );
    let applied = f
        .apply(vec![change("@", Rtype::ANY, RrsetOp::DeleteName)])
        .unwrap();
    assert_eq!(
        served_text(&applied.removed[1..]),
        vec![
            "example.com. 300 IN TXT \"v=spf1 -all\"",
            "example.com. 3600 IN MX 10 mail.example.com.",
        ]
    );
    let apex: Vec<String> = f
        .served()
        .into_iter()
        .filter(|r| r.starts_with("example.com."))
        .collect();
    assert_eq!(
        apex,
        vec![
            "example.com. 3600 IN NS ns1.example.com.",
            "example.com. 3600 IN NS ns2.example.com.",
            "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 4 10800 3600 604800 3600",
        ]
    );
}

#[test]
fn operations_apply_in_order_within_one_change_set() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let applied = f
        .apply(vec![
            change("alias", Rtype::CNAME, RrsetOp::Delete),
            replace("alias", Rtype::A, 300, &["192.0.2.20"]),
        ])
        .expect("the CNAME is gone before the A arrives");
    assert_eq!((applied.from, applied.to), (Serial(1), Serial(2)));
    assert_eq!(
        f.store
            .history(&name("example.com"), 10, None)
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn disabled_records_are_stored_but_not_served_nor_journaled() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let op = RrsetOp::Extend {
        ttl: 300,
        records: vec![disabled(Rtype::A, "192.0.2.3")],
    };
    let applied = f.apply(vec![change("www", Rtype::A, op)]).unwrap();
    assert_eq!((applied.from, applied.to), (Serial(1), Serial(1)));
    assert_eq!(journal_len(&f), 1);
    let www = stored(&f, "www", Rtype::A).unwrap();
    assert!(
        www.records
            .iter()
            .any(|r| r.content == "192.0.2.3" && r.disabled)
    );
    assert!(!f.served().iter().any(|r| r.contains("192.0.2.3")));
    assert_eq!(
        f.store.zone(&name("example.com")).unwrap().unwrap().records,
        f.served().len()
    );
    // Enabling it is a change of served data.
    let applied = f
        .apply(vec![extend("www", Rtype::A, 300, &["192.0.2.3"])])
        .unwrap();
    assert_eq!(applied.to, Serial(2));
    assert_eq!(
        served_text(&applied.added[1..]),
        vec!["www.example.com. 300 IN A 192.0.2.3"]
    );
}

#[test]
fn a_change_set_that_changes_nothing_writes_nothing() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let before = f.dump();
    let empty = f.apply(Vec::new()).unwrap();
    assert_eq!((empty.from, empty.to), (Serial(1), Serial(1)));
    let same = f
        .apply(vec![
            replace("www", Rtype::A, 300, &["192.0.2.1", "192.0.2.2"]),
            change("absent", Rtype::A, RrsetOp::Delete),
            // The SOA as it is, or with an older serial, moves nothing.
            replace("@", Rtype::SOA, 3600, &[&example_soa(0)]),
        ])
        .unwrap();
    assert_eq!((same.from, same.to), (Serial(1), Serial(1)));
    assert!(same.removed.is_empty() && same.added.is_empty());
    assert_eq!(f.dump(), before);
}

#[test]
fn names_are_stored_lower_case_and_matched_in_any_case() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.apply(vec![RrsetChange {
        name: name("MiXed.Example.COM"),
        ..replace("x", Rtype::A, 300, &["192.0.2.77"])
    }])
    .unwrap();
    assert!(
        f.served()
            .contains(&"mixed.example.com. 300 IN A 192.0.2.77".to_string())
    );
    let zone = f.store.zone(&name("EXAMPLE.com")).unwrap().unwrap();
    assert!(zone.name.eq_exact(&name("example.com")));
}

#[test]
fn rrsets_list_the_soa_first_then_names_in_canonical_order() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let order: Vec<String> = f
        .store
        .rrsets(&name("example.com"))
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s.name, s.rtype))
        .collect();
    assert_eq!(
        order,
        [
            "example.com. SOA",
            "example.com. NS",
            "example.com. MX",
            "alias.example.com. CNAME",
            "mail.example.com. A",
            "www.example.com. A",
        ]
    );
    assert!(f.store.rrsets(&name("example.org")).unwrap().is_empty());
}

#[test]
fn user_content_is_kept_and_missing_content_is_derived() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let mut given = input(Rtype::MX, "20 mail.example.com.");
    given.content = Some("20 mail".to_string());
    let op = RrsetOp::Extend {
        ttl: 3600,
        records: vec![given, input(Rtype::MX, "30 backup.example.net.")],
    };
    f.apply(vec![change("@", Rtype::MX, op)]).unwrap();
    let mx = stored(&f, "@", Rtype::MX).unwrap();
    let contents: Vec<&str> = mx.records.iter().map(|r| r.content.as_str()).collect();
    assert_eq!(
        contents,
        ["10 mail.example.com.", "20 mail", "30 backup.example.net."]
    );
    // The SOA's content follows its serial.
    let soa = stored(&f, "@", Rtype::SOA).unwrap();
    assert_eq!(soa.records[0].content, example_soa(2));
}

#[test]
fn deleting_a_zone_removes_it_and_its_history() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.apply(vec![replace("www", Rtype::A, 300, &["192.0.2.9"])])
        .unwrap();
    f.store.delete_zone(&name("example.com")).unwrap();
    assert!(f.store.zone(&name("example.com")).unwrap().is_none());
    assert!(f.store.zones().unwrap().is_empty());
    let dump = f.dump();
    for table in ["rrsets", "records", "journal", "comments"] {
        let rows = dump
            .split(&format!("table {table}:"))
            .nth(1)
            .unwrap()
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .count();
        assert_eq!(rows, 0, "{table} still has rows");
    }
    // The name can be used again.
    f.store
        .create_zone(example_zone(SerialPolicy::Increment), &meta(NOW))
        .unwrap();
}

#[test]
fn a_zone_created_again_gets_a_new_id_that_a_reopen_keeps() {
    // The catalog's member ids derive from the row id (RFC 9432 §5.4):
    // deleting the newest zone and creating it again must not give the
    // old id back, as SQLite does for a plain INTEGER PRIMARY KEY.
    let f = Fixture::with_example(SerialPolicy::Increment);
    let first = f.store.zone(&name("example.com")).unwrap().unwrap().id;
    f.store.delete_zone(&name("example.com")).unwrap();
    f.store
        .create_zone(example_zone(SerialPolicy::Increment), &meta(NOW))
        .unwrap();
    let second = f.store.zone(&name("example.com")).unwrap().unwrap().id;
    assert_ne!(first, second, "a zone created again is a new zone");
    drop(f.store);
    let again = store::Store::open_with(&f.path, store::PasswordCost::MINIMUM).unwrap();
    let zones = again.zones().unwrap();
    assert_eq!(zones.len(), 1);
    assert_eq!(zones[0].id, second, "the id outlives a restart");
}

#[test]
fn zones_are_listed_with_serial_counts_and_last_change() {
    let f = Fixture::with_example(SerialPolicy::Date);
    f.store
        .create_zone(
            store::NewZone {
                name: name("a.example"),
                kind: store::ZoneKind::Native,
                serial_policy: SerialPolicy::Increment,
                rrsets: Vec::new(),
                nameservers: vec![name("ns.a.example")],
                serial: None,
                settings: Default::default(),
            },
            &meta(NOW + 5),
        )
        .unwrap();
    let zones = f.store.zones().unwrap();
    let names: Vec<String> = zones.iter().map(|z| z.name.to_string()).collect();
    // Canonical order compares the last labels first: com < example.
    assert_eq!(names, ["example.com.", "a.example."]);
    let a = &zones[1];
    assert_eq!(a.kind, store::ZoneKind::Native);
    assert_eq!(a.serial, Serial(1));
    assert_eq!(a.records, 2);
    assert_eq!(a.updated_at, NOW + 5);
    let last = a.last_change.as_ref().unwrap();
    assert_eq!((last.serial_from, last.serial_to), (Serial(0), Serial(1)));
    let example = &zones[0];
    assert_eq!(example.serial_policy, SerialPolicy::Date);
    assert_eq!(
        example.serial,
        Serial(1),
        "a given SOA serial is kept at creation"
    );
    assert_eq!(example.records, 8);
}

#[test]
fn a_secondary_zone_is_a_row_without_data_that_takes_no_changes() {
    let f = Fixture::new();
    let settings = store::ZoneSettings {
        masters: vec!["192.0.2.53:5300".to_string()],
        master_tsig_key_ids: vec!["xfr.".to_string()],
        ..Default::default()
    };
    f.store
        .create_secondary_zone(&name("secondary.test"), &settings, 1_000)
        .unwrap();
    let info = f.store.zone(&name("secondary.test")).unwrap().unwrap();
    assert_eq!(info.kind, store::ZoneKind::Slave);
    assert_eq!(info.serial, Serial(0));
    assert_eq!(info.records, 0);
    assert_eq!(info.settings, settings);
    assert!(f.store.rrsets(&name("secondary.test")).unwrap().is_empty());
    assert_eq!(f.store.zones().unwrap().len(), 1);
    // Its data is its primary's: every write path refuses it.
    let change = store::ChangeSet {
        changes: vec![replace(
            "www.secondary.test.",
            Rtype::A,
            300,
            &["192.0.2.1"],
        )],
    };
    let refused = f
        .store
        .apply(&name("secondary.test"), &change, &meta(2_000))
        .unwrap_err();
    assert!(
        matches!(refused, store::WriteError::Secondary(_)),
        "{refused}"
    );
    let refused = f
        .store
        .import(
            &name("secondary.test"),
            Vec::new(),
            store::ZoneKind::Master,
            &meta(2_000),
        )
        .unwrap_err();
    assert!(
        matches!(refused, store::WriteError::Secondary(_)),
        "{refused}"
    );
    let again = f
        .store
        .create_secondary_zone(&name("secondary.test"), &settings, 3_000)
        .unwrap_err();
    assert!(matches!(again, store::WriteError::ZoneExists(_)), "{again}");
    assert_eq!(
        f.store
            .zone(&name("secondary.test"))
            .unwrap()
            .unwrap()
            .settings,
        settings
    );
    f.store.delete_zone(&name("secondary.test")).unwrap();
    assert!(f.store.zones().unwrap().is_empty());
}
