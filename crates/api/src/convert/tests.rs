//! Requests into change sets and zones, stored data into responses.
use super::secondary::{is_secondary_kind, new_secondary};
use super::*;

fn name(text: &str) -> Name {
    text.parse().unwrap()
}

fn change(json: &str) -> RrsetChange {
    serde_json::from_str(json).unwrap()
}

#[test]
fn zone_ids_round_trip_and_accept_missing_dots_and_any_case() {
    let zone = name("Example.COM.");
    assert_eq!(zone_id(&zone), "Example.COM.");
    assert_eq!(parse_zone_id("example.com").unwrap(), name("example.com."));
    assert_eq!(parse_zone_id("EXAMPLE.com.").unwrap(), name("example.com."));
    let odd = Name::from_text("a\\/b.example.", None).unwrap();
    let id = zone_id(&odd);
    assert!(!id.contains('/'), "{id}");
    assert_eq!(parse_zone_id(&id).unwrap(), odd);
    assert_eq!(parse_zone_id("bad=Z1").unwrap_err().status(), 400);
    assert_eq!(parse_zone_id("trailing=").unwrap_err().status(), 400);
    assert_eq!(parse_zone_id("a..b").unwrap_err().status(), 404);
    assert_eq!(zone_id(&Name::root()), "=2E");
    assert_eq!(parse_zone_id("=2E").unwrap(), Name::root());
}

#[test]
fn names_must_be_absolute() {
    assert!(parse_absolute("www.example.com.").is_ok());
    let error = parse_absolute("www.example.com").unwrap_err();
    assert!(error.contains("not canonical"), "{error}");
    assert!(parse_absolute("a\\.").is_err());
    assert!(parse_absolute("a\\\\.").is_ok());
    assert!(parse_absolute("a\\\\\\.").is_err());
}

#[test]
fn patch_rrsets_become_store_operations() {
    let rrsets = vec![
        change(
            r#"{"name":"www.example.com.","type":"a","ttl":60,"changetype":"replace",
                "records":[{"content":"192.0.2.1"},{"content":"192.0.2.2","disabled":true}]}"#,
        ),
        change(r#"{"name":"old.example.com.","type":"TXT","changetype":"DELETE"}"#),
        change(
            r#"{"name":"mx.example.com.","type":"MX","ttl":300,"changetype":"EXTEND",
                "records":[{"content":"10 mail.example.com"}]}"#,
        ),
        change(
            r#"{"name":"mx.example.com.","type":"MX","changetype":"PRUNE",
                "records":[{"content":"20 backup.example.com."}]}"#,
        ),
        change(
            r#"{"name":"c.example.com.","type":"A","changetype":"REPLACE",
                "comments":[{"content":"hi","account":"me"}]}"#,
        ),
    ];
    let set = patch_changes(&rrsets, 77).unwrap();
    assert_eq!(set.changes.len(), 5);
    let RrsetOp::Replace { ttl, records } = &set.changes[0].op else {
        panic!("{:?}", set.changes[0]);
    };
    assert_eq!((*ttl, records.len()), (60, 2));
    assert_eq!(records[0].rdata, vec![192, 0, 2, 1]);
    assert!(records[1].disabled);
    assert_eq!(set.changes[0].rtype, Rtype::A);
    assert_eq!(set.changes[1].op, RrsetOp::Delete);
    let RrsetOp::Extend { records, .. } = &set.changes[2].op else {
        panic!();
    };
    // Names in content are absolute with or without the dot.
    assert_eq!(
        content_text(Rtype::MX, &records[0].rdata),
        "10 mail.example.com."
    );
    assert!(matches!(set.changes[3].op, RrsetOp::Prune { .. }));
    let comments = set.changes[4].comments.as_ref().unwrap();
    assert_eq!(comments[0].modified_at, 77);
    assert!(matches!(&set.changes[4].op, RrsetOp::Extend { records, .. } if records.is_empty()));
}

#[test]
fn bad_patches_are_refused_naming_the_rrset() {
    let cases = [
        (
            r#"{"name":"www.example.com","type":"A","changetype":"DELETE"}"#,
            "not canonical",
        ),
        (
            r#"{"name":"www.example.com.","type":"BOGUS","changetype":"DELETE"}"#,
            "BOGUS",
        ),
        (
            r#"{"name":"www.example.com.","type":"A","changetype":"UPSERT"}"#,
            "UPSERT",
        ),
        (r#"{"name":"www.example.com.","type":"A"}"#, "changetype"),
        (
            r#"{"name":"www.example.com.","type":"A","ttl":1,"changetype":"REPLACE","records":[{"content":"1.2.3"}]}"#,
            "`1.2.3`",
        ),
        (
            r#"{"name":"www.example.com.","type":"A","changetype":"REPLACE","records":[{"content":"192.0.2.1"}]}"#,
            "ttl",
        ),
        (
            r#"{"name":"www.example.com.","type":"A","changetype":"REPLACE"}"#,
            "No change",
        ),
        (
            r#"{"name":"www.example.com.","type":"A","ttl":1,"changetype":"EXTEND"}"#,
            "EXTEND",
        ),
    ];
    for (json, needle) in cases {
        let error = patch_changes(&[change(json)], 0).unwrap_err();
        assert_eq!(error.status(), 422, "{json}");
        assert!(error.message().contains(needle), "{json}: {error}");
    }
    let twice = change(r#"{"name":"www.example.com.","type":"A","changetype":"DELETE"}"#);
    let error = patch_changes(&[twice.clone(), twice], 0).unwrap_err();
    assert!(error.message().contains("Duplicate"), "{error}");
}

#[test]
fn new_zones_refuse_secondaries_and_relative_names() {
    let create = |json: &str| -> ZoneCreate { serde_json::from_str(json).unwrap() };
    let (zone, _) = new_zone(
        &create(
            r#"{"name":"new.test.","kind":"Native","nameservers":["ns1.new.test."],"masters":[],
                "serial":0,"soa_edit_api":"DEFAULT",
                "rrsets":[{"name":"www.new.test.","type":"A","ttl":5,"changetype":"REPLACE","records":[{"content":"192.0.2.1","disabled":false}]},
                          {"name":"gone.new.test.","type":"A","changetype":"DELETE"}]}"#,
        ),
        SerialPolicy::Date,
        0,
    )
    .unwrap();
    assert_eq!(zone.kind, ZoneKind::Native);
    assert_eq!(zone.serial_policy, SerialPolicy::Date);
    assert_eq!(zone.rrsets.len(), 1);
    assert_eq!(zone.nameservers, vec![name("ns1.new.test.")]);
    for (json, needle) in [
        (
            // A secondary is made by new_secondary, never by new_zone.
            r#"{"name":"s.test.","kind":"Slave","masters":["192.0.2.1"]}"#,
            "does not become a secondary",
        ),
        (r#"{"name":"s.test","kind":"Native"}"#, "not canonical"),
        (r#"{"name":"s.test.","kind":"Producer"}"#, "Producer"),
        (
            r#"{"name":"s.test.","kind":"Native","dnssec":true}"#,
            "dnssec",
        ),
        (
            r#"{"name":"s.test.","kind":"Native","nameservers":["ns1"]}"#,
            "nameservers",
        ),
        (
            r#"{"name":"s.test.","kind":"Native","serial_policy":"random"}"#,
            "random",
        ),
    ] {
        let error = new_zone(&create(json), SerialPolicy::Increment, 0).unwrap_err();
        assert_eq!(error.status(), 422, "{json}");
        assert!(error.message().contains(needle), "{json}: {error}");
    }
}

#[test]
fn zone_text_becomes_rrsets_with_their_lines() {
    let apex = name("t.test.");
    let text = "$TTL 60\n@ SOA ns h 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\nns 30 A 192.0.2.2\n";
    let (rrsets, lines) = zone_text_rrsets(&apex, text).unwrap();
    assert_eq!(rrsets.len(), 3);
    let a = rrsets.iter().find(|r| r.rtype == Rtype::A).unwrap();
    assert_eq!(
        (a.ttl, a.records.len()),
        (30, 2),
        "one TTL per set, the smallest"
    );
    assert_eq!(
        lines.prefix(&name("NS.t.test."), Rtype::A).as_deref(),
        Some("zone: line 4: ")
    );
    let error = zone_text_rrsets(&apex, "$TTL 60\nwww.other. A 192.0.2.1\n").unwrap_err();
    assert_eq!(error.status(), 422);
    assert!(error.message().starts_with("zone: line 2:"), "{error}");
}

#[test]
fn settings_soa_edit_api_chooses_the_serial_policy_and_unknowns_are_refused() {
    let mut settings = ZoneSettings::default();
    for (text, policy) in [
        ("DEFAULT", Some(SerialPolicy::Date)),
        ("increase", Some(SerialPolicy::Increment)),
        ("EPOCH", Some(SerialPolicy::Epoch)),
        ("OFF", None),
        ("", None),
    ] {
        let request = SettingsRequest {
            soa_edit_api: Some(text),
            ..SettingsRequest::default()
        };
        assert_eq!(apply_settings(&request, &mut settings).unwrap(), policy);
        assert_eq!(settings.soa_edit_api, text, "kept as sent");
    }
    let request = SettingsRequest {
        masters: Some(&["192.0.2.1:53".to_string(), "nope".to_string()]),
        ..SettingsRequest::default()
    };
    let error = apply_settings(&request, &mut settings).unwrap_err();
    assert!(error.message().starts_with("masters[1]"), "{error}");
}

#[test]
fn replacing_everything_deletes_what_is_not_given_and_needs_the_soa() {
    let apex = name("z.test.");
    let stored = |owner: &str, rtype| StoredRrset {
        name: name(owner),
        rtype,
        ttl: 60,
        records: Vec::new(),
        comments: Vec::new(),
    };
    let current = vec![
        stored("z.test.", Rtype::SOA),
        stored("z.test.", Rtype::NS),
        stored("old.z.test.", Rtype::A),
    ];
    let soa = change(
        r#"{"name":"z.test.","type":"SOA","ttl":60,"records":[{"content":"ns1.z.test. h.z.test. 5 1 1 1 1"}]}"#,
    );
    let ns =
        change(r#"{"name":"z.test.","type":"NS","ttl":60,"records":[{"content":"ns1.z.test."}]}"#);
    let set = replace_all(&apex, &current, &[soa, ns.clone()], 0).unwrap();
    assert_eq!(set.changes[0].name, name("old.z.test."));
    assert_eq!(set.changes[0].op, RrsetOp::Delete);
    assert!(
        set.changes[1..]
            .iter()
            .all(|c| matches!(c.op, RrsetOp::Replace { .. }))
    );
    let error = replace_all(&apex, &current, &[ns], 0).unwrap_err();
    assert!(error.message().contains("SOA"), "{error}");
}

#[test]
fn snapshot_records_group_into_rrsets_soa_first() {
    let apex = name("z.test.");
    let record = |owner: &str, rtype, ttl, rdata: &[u8]| Record {
        owner: name(owner),
        rtype,
        class: wire::Class::IN,
        ttl,
        rdata: rdata.to_vec(),
    };
    let mut soa = name("ns1.z.test.").as_wire().to_vec();
    soa.extend_from_slice(name("h.z.test.").as_wire());
    soa.extend_from_slice(&[0; 20]);
    let sets = rrsets_from_records(
        &apex,
        vec![
            record("a.z.test.", Rtype::A, 30, &[192, 0, 2, 1]),
            record("a.z.test.", Rtype::A, 20, &[192, 0, 2, 2]),
            record("z.test.", Rtype::SOA, 60, &soa),
        ],
    );
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[0].rtype, "SOA");
    assert_eq!((sets[1].ttl, sets[1].records.len()), (20, 2));
}

#[test]
fn a_secondary_zone_needs_masters_that_are_addresses_and_at_most_one_key() {
    let create = |json: &str| -> ZoneCreate { serde_json::from_str(json).unwrap() };
    let made = new_secondary(&create(
        r#"{"name": "s.test.", "kind": "Slave", "masters": ["192.0.2.1", "[2001:db8::1]:5300"],
            "master_tsig_key_ids": ["xfr.key."]}"#,
    ))
    .unwrap();
    assert_eq!(
        made.primaries,
        vec![
            "192.0.2.1:53".parse().unwrap(),
            "[2001:db8::1]:5300".parse().unwrap()
        ]
    );
    assert_eq!(made.key, Some(Name::from_text("xfr.key.", None).unwrap()));
    assert_eq!(made.settings.masters, ["192.0.2.1", "[2001:db8::1]:5300"]);
    assert!(is_secondary_kind("secondary") && is_secondary_kind("Slave"));
    assert!(!is_secondary_kind("Native"));
    for (json, field) in [
        (r#"{"name": "s.test.", "kind": "Slave"}"#, "masters:"),
        (
            r#"{"name": "s.test.", "kind": "Slave", "masters": []}"#,
            "masters:",
        ),
        (
            r#"{"name": "s.test.", "kind": "Slave", "masters": ["192.0.2.1", "primary.test"]}"#,
            "masters[1]:",
        ),
        (
            r#"{"name": "s.test.", "kind": "Slave", "masters": ["192.0.2.1:0"]}"#,
            "masters[0]:",
        ),
        (
            r#"{"name": "s.test.", "kind": "Slave", "masters": ["192.0.2.1"],
                "master_tsig_key_ids": ["a.", "b."]}"#,
            "master_tsig_key_ids:",
        ),
        (
            r#"{"name": "s.test.", "kind": "Slave", "masters": ["192.0.2.1"],
                "rrsets": [{"name": "s.test.", "type": "A", "ttl": 1,
                            "records": [{"content": "192.0.2.9"}]}]}"#,
            "kind Slave:",
        ),
    ] {
        let error = new_secondary(&create(json)).unwrap_err();
        assert_eq!(error.status(), 422, "{json}");
        assert!(
            error.message().starts_with(field),
            "{json}: {}",
            error.message()
        );
    }
}
