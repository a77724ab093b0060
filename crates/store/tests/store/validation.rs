//! Every rule of the write path: the change is refused with an error that
//! names the record and the rule, and the file is exactly as before.

use store::{
    ChangeSet, NewZone, RecordInput, RrsetOp, SerialPolicy, ValidationReason as Reason, WriteError,
    ZoneKind,
};
use wire::{Class, Record, Rtype, Serial};

use crate::fixture::*;

#[test]
fn owner_outside_the_zone_is_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let message = f.assert_refused(
        vec![replace("www.example.net.", Rtype::A, 300, &["192.0.2.1"])],
        "www.example.net.",
        Rtype::A,
        Reason::OutsideZone {
            apex: name("example.com"),
        },
    );
    assert!(
        message.contains("not inside the zone example.com."),
        "{message}"
    );
}

#[test]
fn meta_types_are_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    for rtype in [Rtype::ANY, Rtype::OPT, Rtype::AXFR, Rtype::TSIG, Rtype(0)] {
        let op = RrsetOp::Replace {
            ttl: 300,
            records: vec![RecordInput {
                rdata: vec![1, 2, 3, 4],
                content: None,
                disabled: false,
            }],
        };
        f.assert_refused(
            vec![change("www", rtype, op)],
            "www",
            rtype,
            Reason::MetaType,
        );
    }
}

#[test]
fn ttl_above_2_to_the_31_minus_1_is_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.assert_refused(
        vec![replace("www", Rtype::A, 0x8000_0000, &["192.0.2.1"])],
        "www",
        Rtype::A,
        Reason::TtlTooLarge { ttl: 0x8000_0000 },
    );
    // The largest allowed TTL is accepted.
    f.apply(vec![replace("www", Rtype::A, 0x7FFF_FFFF, &["192.0.2.1"])])
        .expect("2^31 - 1 is a valid TTL");
}

#[test]
fn rdata_that_does_not_parse_as_its_type_is_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let bad = RecordInput {
        rdata: vec![192, 0, 2],
        content: None,
        disabled: false,
    };
    let op = RrsetOp::Extend {
        ttl: 300,
        records: vec![bad],
    };
    let message = f.assert_refused(
        vec![change("www", Rtype::A, op)],
        "www",
        Rtype::A,
        Reason::BadRdata {
            content: "\\# 3 c00002".to_string(),
            error: wire::rdata::RdataError::Length,
        },
    );
    assert!(message.contains("is not valid A data"), "{message}");
    // An MX whose exchange name runs past the end.
    let bad_mx = RecordInput {
        rdata: vec![0, 10, 4, b'm', b'a'],
        content: Some("10 ma".to_string()),
        disabled: false,
    };
    let op = RrsetOp::Replace {
        ttl: 300,
        records: vec![bad_mx],
    };
    let before = f.dump();
    let error = f.apply(vec![change("@", Rtype::MX, op)]).unwrap_err();
    assert!(
        matches!(
            error,
            WriteError::Validation {
                rtype: Rtype::MX,
                reason: Reason::BadRdata { .. },
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(f.dump(), before);
}

#[test]
fn a_record_listed_twice_in_a_replace_is_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.assert_refused(
        vec![replace("www", Rtype::A, 300, &["192.0.2.7", "192.0.2.7"])],
        "www",
        Rtype::A,
        Reason::DuplicateRecord {
            content: "192.0.2.7".to_string(),
        },
    );
}

#[test]
fn cname_beside_other_data_is_refused_naming_the_rrset_written() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    // A CNAME added where an A set is.
    let message = f.assert_refused(
        vec![replace("www", Rtype::CNAME, 300, &["mail.example.com."])],
        "www",
        Rtype::CNAME,
        Reason::CnameAndOtherData { other: Rtype::A },
    );
    assert_eq!(
        message,
        "www.example.com. CNAME: CNAME cannot coexist with A at www.example.com."
    );
    // An A added where a CNAME is.
    let message = f.assert_refused(
        vec![replace("alias", Rtype::A, 300, &["192.0.2.9"])],
        "alias",
        Rtype::A,
        Reason::CnameAndOtherData { other: Rtype::A },
    );
    assert_eq!(
        message,
        "alias.example.com. A: CNAME cannot coexist with A at alias.example.com."
    );
}

#[test]
fn cname_may_share_its_name_with_rrsig_and_nsec() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let nsec = "mail.example.com. CNAME RRSIG NSEC";
    let rrsig = "CNAME 13 3 300 20300101000000 20240101000000 12345 example.com. \
                 dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==";
    f.apply(vec![
        replace("alias", Rtype::NSEC, 300, &[nsec]),
        replace("alias", Rtype::RRSIG, 300, &[rrsig]),
    ])
    .expect("RFC 4035 §2.5 allows RRSIG and NSEC beside a CNAME");
}

#[test]
fn a_disabled_cname_does_not_conflict_with_served_data() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let op = RrsetOp::Replace {
        ttl: 300,
        records: vec![disabled(Rtype::CNAME, "mail.example.com.")],
    };
    f.apply(vec![change("www", Rtype::CNAME, op)])
        .expect("a disabled CNAME is not served, so it conflicts with nothing");
    // Enabling it now is the conflict.
    f.assert_refused(
        vec![replace("www", Rtype::CNAME, 300, &["mail.example.com."])],
        "www",
        Rtype::CNAME,
        Reason::CnameAndOtherData { other: Rtype::A },
    );
}

#[test]
fn cname_at_the_apex_is_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.assert_refused(
        vec![replace("@", Rtype::CNAME, 300, &["www.example.com."])],
        "@",
        Rtype::CNAME,
        Reason::CnameAtApex,
    );
}

#[test]
fn two_cnames_at_one_name_are_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.assert_refused(
        vec![extend("alias", Rtype::CNAME, 300, &["mail.example.com."])],
        "alias",
        Rtype::CNAME,
        Reason::MultipleCnames { count: 2 },
    );
}

#[test]
fn two_dnames_at_one_name_are_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.assert_refused(
        vec![replace(
            "old",
            Rtype::DNAME,
            300,
            &["example.net.", "example.org."],
        )],
        "old",
        Rtype::DNAME,
        Reason::MultipleDnames { count: 2 },
    );
}

#[test]
fn soa_below_the_apex_is_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.assert_refused(
        vec![replace("www", Rtype::SOA, 300, &[&example_soa(9)])],
        "www",
        Rtype::SOA,
        Reason::SoaNotAtApex {
            apex: name("example.com"),
        },
    );
}

#[test]
fn the_apex_keeps_exactly_one_soa() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.assert_refused(
        vec![change("@", Rtype::SOA, RrsetOp::Delete)],
        "@",
        Rtype::SOA,
        Reason::SoaNotSingle { count: 0 },
    );
    let second = "ns2.example.com. hostmaster.example.com. 5 10800 3600 604800 3600";
    f.assert_refused(
        vec![extend("@", Rtype::SOA, 3600, &[second])],
        "@",
        Rtype::SOA,
        Reason::SoaNotSingle { count: 2 },
    );
}

#[test]
fn a_disabled_soa_keeps_the_zone_without_serving_it() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let zone = name("example.com");
    let soa = |record| RrsetOp::Replace {
        ttl: 3600,
        records: vec![record],
    };
    let applied = f
        .apply(vec![change(
            "@",
            Rtype::SOA,
            soa(disabled(Rtype::SOA, &example_soa(1))),
        )])
        .expect("disabling the SOA is a change like any other");
    // Only the flag moved: no serial bump, no journal entry.
    assert_eq!((applied.from, applied.to), (Serial(1), Serial(1)));
    assert_eq!(f.store.soa_disabled(&zone).unwrap(), Some(true));
    assert!(f.store.zone(&zone).unwrap().unwrap().soa_disabled);
    assert!(!f.served().iter().any(|r| r.contains("SOA")));
    // A change while disabled keeps it disabled, serial moving on.
    let applied = f
        .apply(vec![replace("new", Rtype::A, 60, &["192.0.2.9"])])
        .unwrap();
    assert_eq!(applied.to, Serial(2));
    assert_eq!(f.store.soa_disabled(&zone).unwrap(), Some(true));
    f.apply(vec![change(
        "@",
        Rtype::SOA,
        soa(input(Rtype::SOA, &example_soa(2))),
    )])
    .unwrap();
    assert_eq!(f.store.soa_disabled(&zone).unwrap(), Some(false));
    assert_eq!(f.serial(), Serial(2));
}

#[test]
fn removing_or_disabling_the_last_apex_ns_is_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.assert_refused(
        vec![change("@", Rtype::NS, RrsetOp::Delete)],
        "@",
        Rtype::NS,
        Reason::ApexNsRemoved,
    );
    let prune = RrsetOp::Prune {
        records: vec![
            input(Rtype::NS, "ns1.example.com."),
            input(Rtype::NS, "ns2.example.com."),
        ],
    };
    f.assert_refused(
        vec![change("@", Rtype::NS, prune)],
        "@",
        Rtype::NS,
        Reason::ApexNsRemoved,
    );
    let disable = RrsetOp::Replace {
        ttl: 3600,
        records: vec![
            disabled(Rtype::NS, "ns1.example.com."),
            disabled(Rtype::NS, "ns2.example.com."),
        ],
    };
    f.assert_refused(
        vec![change("@", Rtype::NS, disable)],
        "@",
        Rtype::NS,
        Reason::ApexNsRemoved,
    );
    // Replacing the set by another is fine.
    f.apply(vec![replace("@", Rtype::NS, 3600, &["ns3.example.net."])])
        .expect("the apex still has an NS record");
}

#[test]
fn one_bad_change_refuses_the_whole_change_set() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    f.assert_refused(
        vec![
            replace("new", Rtype::A, 300, &["192.0.2.50"]),
            change("@", Rtype::MX, RrsetOp::Delete),
            replace("alias", Rtype::TXT, 300, &["\"hello\""]),
        ],
        "alias",
        Rtype::TXT,
        Reason::CnameAndOtherData { other: Rtype::TXT },
    );
}

#[test]
fn a_change_to_an_unknown_zone_is_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let before = f.dump();
    let error = f
        .store
        .apply(
            &name("example.org"),
            &ChangeSet {
                changes: vec![replace("www.example.org.", Rtype::A, 1, &["192.0.2.1"])],
            },
            &meta(NOW),
        )
        .unwrap_err();
    assert!(matches!(error, WriteError::NoSuchZone(ref n) if *n == name("example.org")));
    assert_eq!(error.to_string(), "no zone example.org. in the store");
    assert_eq!(f.dump(), before);
}

#[test]
fn a_new_zone_needs_apex_ns_records() {
    let f = Fixture::new();
    let before = f.dump();
    let mut zone = example_zone(SerialPolicy::Increment);
    zone.rrsets.retain(|r| r.rtype != Rtype::NS);
    let error = f.store.create_zone(zone, &meta(NOW)).unwrap_err();
    assert!(
        matches!(
            error,
            WriteError::Validation { rtype: Rtype::NS, reason: Reason::ApexNsMissing, ref name }
                if *name == crate::fixture::name("example.com")
        ),
        "{error}"
    );
    assert_eq!(f.dump(), before);
    assert!(f.store.zones().unwrap().is_empty());
}

#[test]
fn a_new_zone_cannot_give_its_ns_set_twice_or_an_rrset_twice() {
    let f = Fixture::new();
    let before = f.dump();
    let mut zone = example_zone(SerialPolicy::Increment);
    zone.nameservers = vec![name("ns9.example.net")];
    let error = f.store.create_zone(zone, &meta(NOW)).unwrap_err();
    assert!(
        matches!(
            error,
            WriteError::Validation {
                rtype: Rtype::NS,
                reason: Reason::NsGivenTwice,
                ..
            }
        ),
        "{error}"
    );
    let mut zone = example_zone(SerialPolicy::Increment);
    zone.rrsets
        .push(rrset("WWW", Rtype::A, 60, &["192.0.2.99"]));
    let error = f.store.create_zone(zone, &meta(NOW)).unwrap_err();
    assert!(
        matches!(
            error,
            WriteError::Validation {
                rtype: Rtype::A,
                reason: Reason::DuplicateRrset,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(f.dump(), before);
}

#[test]
fn a_new_zone_is_checked_like_any_change() {
    let f = Fixture::new();
    let before = f.dump();
    let mut zone = example_zone(SerialPolicy::Increment);
    zone.rrsets
        .push(rrset("www", Rtype::CNAME, 300, &["mail.example.com."]));
    let error = f.store.create_zone(zone, &meta(NOW)).unwrap_err();
    assert!(
        matches!(
            error,
            WriteError::Validation {
                reason: Reason::CnameAndOtherData { .. },
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(f.dump(), before);
}

#[test]
fn creating_an_existing_zone_is_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let before = f.dump();
    let mut zone = example_zone(SerialPolicy::Increment);
    zone.name = name("EXAMPLE.com");
    let error = f.store.create_zone(zone, &meta(NOW)).unwrap_err();
    assert!(matches!(error, WriteError::ZoneExists(_)), "{error}");
    assert_eq!(f.dump(), before);
}

#[test]
fn an_import_with_another_class_is_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let before = f.dump();
    let mut records = f.store.zone_records(&name("example.com")).unwrap();
    records.push(Record {
        owner: name("txt.example.com"),
        rtype: Rtype::TXT,
        class: Class::CH,
        ttl: 60,
        rdata: rdata(Rtype::TXT, "\"chaos\""),
    });
    let error = f
        .store
        .import(&name("example.com"), records, ZoneKind::Master, &meta(NOW))
        .unwrap_err();
    assert!(
        matches!(
            error,
            WriteError::Validation {
                rtype: Rtype::TXT,
                reason: Reason::ClassNotIn { class: Class::CH },
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(f.dump(), before);
}

#[test]
fn deleting_an_unknown_zone_is_refused() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let before = f.dump();
    let error = f.store.delete_zone(&name("example.org")).unwrap_err();
    assert!(matches!(error, WriteError::NoSuchZone(_)), "{error}");
    assert_eq!(f.dump(), before);
}

#[test]
fn a_new_zone_from_nameservers_gets_a_default_soa() {
    let f = Fixture::new();
    let applied = f
        .store
        .create_zone(
            NewZone {
                name: name("example.org"),
                kind: ZoneKind::Native,
                serial_policy: SerialPolicy::Increment,
                rrsets: Vec::new(),
                nameservers: vec![name("ns1.example.org"), name("ns2.example.net")],
                serial: None,
                settings: Default::default(),
            },
            &meta(NOW),
        )
        .expect("nameservers make the apex NS set");
    assert_eq!(applied.from.0, 0);
    assert_eq!(applied.to.0, 1);
    assert_eq!(
        served_text(&applied.added),
        vec![
            "example.org. 3600 IN NS ns1.example.org.",
            "example.org. 3600 IN NS ns2.example.net.",
            "example.org. 3600 IN SOA ns1.example.org. hostmaster.example.org. 1 10800 3600 604800 3600",
        ]
    );
    assert_eq!(applied.added[0].rtype, Rtype::SOA, "the SOA comes first");
}

#[test]
fn ds_dnskey_and_ns_beside_dname_are_placed_as_dnssec_and_rfc_6672_say() {
    let f = Fixture::with_example(SerialPolicy::Increment);
    let ds = "60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118";
    f.assert_refused(
        vec![replace("@", Rtype::DS, 300, &[ds])],
        "@",
        Rtype::DS,
        Reason::DsAtApex,
    );
    f.apply(vec![replace(
        "child",
        Rtype::NS,
        300,
        &["ns.child.example.com."],
    )])
    .unwrap();
    f.apply(vec![replace("child", Rtype::DS, 300, &[ds])])
        .expect("DS at a delegation is the parent's data");
    let key = "257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";
    f.assert_refused(
        vec![replace("www", Rtype::DNSKEY, 300, &[key])],
        "www",
        Rtype::DNSKEY,
        Reason::DnskeyNotAtApex {
            apex: name("example.com"),
        },
    );
    f.apply(vec![replace("@", Rtype::DNSKEY, 300, &[key])])
        .expect("DNSKEY at the apex");
    f.assert_refused(
        vec![replace(
            "child",
            Rtype::DNAME,
            300,
            &["elsewhere.example.net."],
        )],
        "child",
        Rtype::DNAME,
        Reason::NsAndDname { other: Rtype::NS },
    );
    f.apply(vec![replace(
        "@",
        Rtype::DNAME,
        300,
        &["elsewhere.example.net."],
    )])
    .expect("NS and DNAME may share the apex");
    f.assert_refused(
        vec![replace("mx", Rtype::MX, 300, &["10 mail@mx.example.com."])],
        "mx",
        Rtype::MX,
        Reason::TargetNotHostName {
            content: "10 mail@mx.example.com.".to_string(),
        },
    );
}
