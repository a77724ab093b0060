//! Record entries: owners, TTLs, classes, types, parentheses, quoting.

use wire::{Class, Rtype};

use crate::{lines, parse_err, parse_ok};

#[test]
fn ttl_and_class_come_in_either_order() {
    let zone = parse_ok(
        "a 300 IN A 192.0.2.1\nb IN 300 A 192.0.2.2\nc IN A 192.0.2.3\nd 60 A 192.0.2.4\n",
    );
    assert_eq!(
        lines(&zone),
        vec![
            "a.example.com. 300 IN A 192.0.2.1",
            "b.example.com. 300 IN A 192.0.2.2",
            "c.example.com. 300 IN A 192.0.2.3",
            "d.example.com. 60 IN A 192.0.2.4",
        ]
    );
    assert!(zone.records.iter().all(|r| r.record.class == Class::IN));
}

#[test]
fn ttl_units_are_accepted() {
    let zone =
        parse_ok("a 1h30m A 192.0.2.1\nb 2w1d A 192.0.2.2\nc 1D A 192.0.2.3\nd 90s A 192.0.2.4\n");
    let ttls: Vec<u32> = zone.records.iter().map(|r| r.record.ttl).collect();
    assert_eq!(ttls, vec![5400, 15 * 86_400, 86_400, 90]);
}

#[test]
fn ttl_above_2_pow_31_minus_1_is_refused() {
    let errors = parse_err("a 2147483648 A 192.0.2.1\n");
    assert_eq!(
        errors,
        vec!["test.zone:1: TTL `2147483648` is larger than 2147483647 seconds"]
    );
    parse_ok("a 2147483647 A 192.0.2.1\n");
}

#[test]
fn dollar_ttl_beats_the_last_explicit_ttl() {
    let zone = parse_ok("$TTL 1h\na 60 A 192.0.2.1\nb A 192.0.2.2\n$TTL 2h\nc A 192.0.2.3\n");
    let ttls: Vec<u32> = zone.records.iter().map(|r| r.record.ttl).collect();
    assert_eq!(ttls, vec![60, 3600, 7200]);
}

#[test]
fn without_dollar_ttl_the_last_explicit_ttl_is_used() {
    let zone = parse_ok("a 60 A 192.0.2.1\nb A 192.0.2.2\nc 120 A 192.0.2.3\nd A 192.0.2.4\n");
    let ttls: Vec<u32> = zone.records.iter().map(|r| r.record.ttl).collect();
    assert_eq!(ttls, vec![60, 60, 120, 120]);
}

#[test]
fn soa_without_any_ttl_takes_its_minimum_and_passes_it_on() {
    let zone = parse_ok("@ SOA ns host 1 2 3 4 300\n NS ns\nns A 192.0.2.1\n");
    let ttls: Vec<u32> = zone.records.iter().map(|r| r.record.ttl).collect();
    assert_eq!(ttls, vec![300, 300, 300]);
}

#[test]
fn no_ttl_at_all_is_an_error() {
    assert_eq!(
        parse_err("a A 192.0.2.1\n"),
        vec!["test.zone:1: no TTL specified and no $TTL"]
    );
}

#[test]
fn blank_owner_repeats_the_previous_owner() {
    let zone = parse_ok(
        "$TTL 60\nwww A 192.0.2.1\n\n; comment\n   AAAA 2001:db8::1\n\tTXT \"x\"\nmail A 192.0.2.2\n MX 10 mail\n",
    );
    let owners: Vec<String> = zone
        .records
        .iter()
        .map(|r| r.record.owner.to_string())
        .collect();
    assert_eq!(
        owners,
        vec![
            "www.example.com.",
            "www.example.com.",
            "www.example.com.",
            "mail.example.com.",
            "mail.example.com."
        ]
    );
}

#[test]
fn blank_owner_without_a_previous_owner_is_an_error() {
    let errors = parse_err("$TTL 60\n  A 192.0.2.1\n");
    assert_eq!(
        errors,
        vec![
            "test.zone:2: the line starts with white space but there is no previous owner name to repeat"
        ]
    );
}

#[test]
fn at_sign_and_absolute_names() {
    let zone =
        parse_ok("$TTL 60\n@ A 192.0.2.1\nwww.example.com. A 192.0.2.2\nwww.sub A 192.0.2.3\n");
    let owners: Vec<String> = zone
        .records
        .iter()
        .map(|r| r.record.owner.to_string())
        .collect();
    assert_eq!(
        owners,
        vec!["example.com.", "www.example.com.", "www.sub.example.com."]
    );
}

#[test]
fn escapes_in_owner_names() {
    let zone = parse_ok("$TTL 60\na\\.b A 192.0.2.1\n\\065 A 192.0.2.2\n");
    assert_eq!(zone.records[0].record.owner.label_count(), 3);
    assert_eq!(zone.records[1].record.owner.to_string(), "A.example.com.");
}

#[test]
fn parentheses_span_lines_with_comments_inside() {
    let zone = parse_ok(
        "$TTL 60\n@ IN SOA ns1 hostmaster ( ; opening\n  2024010101 ; serial\n  3600       ; refresh ( not a paren\n  900 1209600\n  300 )      ; minimum\nwww A 192.0.2.1\n",
    );
    assert_eq!(zone.records.len(), 2);
    assert_eq!(zone.records[0].location.line, 2);
    assert_eq!(zone.records[1].location.line, 7);
    let numbers = wire::rdata::soa_numbers(&zone.records[0].record.rdata).unwrap();
    assert_eq!(numbers, [2024010101, 3600, 900, 1209600, 300]);
}

#[test]
fn quoted_strings_keep_semicolons_and_escaped_quotes() {
    let zone = parse_ok("$TTL 60\na TXT \"v=1; k=\\\"x\\\"\" ; real comment\n");
    assert_eq!(zone.records[0].record.rdata, b"\x0av=1; k=\"x\"");
}

#[test]
fn types_by_mnemonic_and_by_number() {
    let zone = parse_ok("$TTL 60\na TYPE1 192.0.2.1\nb type65534 \\# 2 abcd\nc a 192.0.2.3\n");
    let types: Vec<Rtype> = zone.records.iter().map(|r| r.record.rtype).collect();
    assert_eq!(types, vec![Rtype::A, Rtype(65534), Rtype::A]);
}

#[test]
fn identical_records_are_kept_once() {
    let zone = parse_ok("$TTL 60\na A 192.0.2.1\nA.example.com. 120 A 192.0.2.1\na A 192.0.2.2\n");
    assert_eq!(
        lines(&zone),
        vec![
            "a.example.com. 60 IN A 192.0.2.1",
            "a.example.com. 60 IN A 192.0.2.2"
        ]
    );
}

#[test]
fn classes_other_than_in_are_refused() {
    assert_eq!(
        parse_err("a 60 CH A 192.0.2.1\n"),
        vec!["test.zone:1: class CH is not supported; zones are class IN"]
    );
    assert_eq!(
        parse_err("a 60 CLASS3 A 192.0.2.1\n"),
        vec!["test.zone:1: class CLASS3 is not supported; zones are class IN"]
    );
    parse_ok("a 60 CLASS1 A 192.0.2.1\n");
}

#[test]
fn meta_types_are_refused() {
    // ANY after the TTL would be read as the class; after IN it is a type.
    for (rtype, shown) in [
        ("ANY", "ANY"),
        ("AXFR", "AXFR"),
        ("OPT", "OPT"),
        ("TSIG", "TSIG"),
    ] {
        let errors = parse_err(&format!("a 60 IN {rtype} \\# 0\n"));
        assert_eq!(
            errors,
            vec![format!(
                "test.zone:1: {shown} is a meta type and cannot appear in a zone file"
            )]
        );
    }
}

#[test]
fn unknown_words_where_the_type_goes_are_named() {
    assert_eq!(
        parse_err("a 60 INX A 1.2.3.4\n"),
        vec!["test.zone:1: expected a class or type, found \"INX\""]
    );
    assert_eq!(
        parse_err("a INX A 1.2.3.4\n"),
        vec!["test.zone:1: expected a TTL, class or type, found \"INX\""]
    );
    assert_eq!(
        parse_err("a IN INX\n"),
        vec!["test.zone:1: expected a TTL or type, found \"INX\""]
    );
    assert_eq!(
        parse_err("a 60 IN\n"),
        vec!["test.zone:1: expected a type, found the end of the line"]
    );
}

#[test]
fn a_utf8_byte_order_mark_is_skipped() {
    let zone = parse_ok("\u{feff}$TTL 60\na A 192.0.2.1\n");
    assert_eq!(lines(&zone), vec!["a.example.com. 60 IN A 192.0.2.1"]);
}

#[test]
fn invalid_utf8_in_quoted_strings_is_kept_as_octets() {
    let mut text = b"$TTL 60\na TXT \"\xff\xfe\"\n".to_vec();
    text.extend_from_slice(b"b A 192.0.2.1\n");
    let zone =
        zonefile::parse_bytes(&text, &crate::origin(), std::path::Path::new("t.zone")).unwrap();
    assert_eq!(zone.records[0].record.rdata, b"\x02\xff\xfe");
}
