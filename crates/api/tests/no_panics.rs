//! Whatever a client sends, reading it into a change set or a new zone
//! returns a value or an error, never a panic: arbitrary bodies, names,
//! types and record contents.

use api::convert::{new_zone, parse_absolute, parse_zone_id, patch_changes, replace_all};
use api::pdns::{Comment, Record, RrsetChange, ZoneCreate, ZonePatch};
use proptest::prelude::*;

/// Text that looks enough like names, types and RDATA to reach deep into
/// the parsers: dots, escapes, quotes, digits, parentheses, semicolons.
fn dnsish() -> impl Strategy<Value = String> {
    proptest::string::string_regex(r#"[a-zA-Z0-9.\\"() ;#@*_-]{0,40}"#).unwrap()
}

fn rrset() -> impl Strategy<Value = RrsetChange> {
    (
        dnsish(),
        prop_oneof![
            Just("A".to_string()),
            Just("TXT".to_string()),
            Just("MX".to_string()),
            Just("SOA".to_string()),
            Just("TYPE65280".to_string()),
            dnsish()
        ],
        proptest::option::of(any::<u32>()),
        proptest::option::of(prop_oneof![
            Just("REPLACE".to_string()),
            Just("delete".to_string()),
            Just("Extend".to_string()),
            Just("PRUNE".to_string()),
            dnsish()
        ]),
        proptest::option::of(proptest::collection::vec((dnsish(), any::<bool>()), 0..4)),
        proptest::option::of(proptest::collection::vec(dnsish(), 0..2)),
    )
        .prop_map(
            |(name, rtype, ttl, changetype, records, comments)| RrsetChange {
                name,
                rtype,
                ttl,
                changetype,
                records: records.map(|list| {
                    list.into_iter()
                        .map(|(content, disabled)| Record { content, disabled })
                        .collect()
                }),
                comments: comments.map(|list| {
                    list.into_iter()
                        .map(|content| Comment {
                            content,
                            account: String::new(),
                            modified_at: None,
                        })
                        .collect()
                }),
            },
        )
}

proptest! {
    #[test]
    fn bodies_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = api::parse_json::<ZonePatch>(&bytes);
        let _ = api::parse_json::<ZoneCreate>(&bytes);
    }

    #[test]
    fn names_and_ids_never_panic(text in dnsish(), raw in ".{0,40}") {
        let _ = parse_absolute(&text);
        let _ = parse_zone_id(&text);
        let _ = parse_zone_id(&raw);
    }

    #[test]
    fn change_sets_never_panic(rrsets in proptest::collection::vec(rrset(), 0..5), name in dnsish()) {
        let _ = patch_changes(&rrsets, 0);
        let apex = wire::Name::from_text("z.test.", None).unwrap();
        let _ = replace_all(&apex, &[], &rrsets, 0);
        let create = ZoneCreate {
            name,
            kind: "Native".to_string(),
            nameservers: Vec::new(),
            rrsets,
            ..ZoneCreate::default()
        };
        let _ = new_zone(&create, store::SerialPolicy::Increment, 0);
    }

    #[test]
    fn zone_text_never_panics(text in "[$@a-z0-9 .;()\"\\\n\t]{0,200}", settings in ".{0,20}") {
        let create = ZoneCreate {
            name: "z.test.".to_string(),
            kind: "Native".to_string(),
            zone: Some(text),
            soa_edit_api: Some(settings.clone()),
            catalog: Some(settings.clone()),
            masters: vec![settings.clone()],
            master_tsig_key_ids: Some(vec![settings]),
            ..ZoneCreate::default()
        };
        let _ = new_zone(&create, store::SerialPolicy::Increment, 0);
    }
}
