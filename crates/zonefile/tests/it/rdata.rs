//! One test per RDATA type: text → wire bytes, checked against the expected
//! octets or against `wire::rdata::RdataText`'s presentation form.

use wire::Rtype;
use wire::rdata::RdataText;
use zonefile::{RdataSyntaxError, parse_rdata};

use crate::origin;

fn rdata(rtype: &str, text: &str) -> Vec<u8> {
    let rtype: Rtype = rtype.parse().unwrap();
    match parse_rdata(rtype, text, &origin()) {
        Ok(rdata) => rdata,
        Err(error) => panic!("{rtype} {text}: {error}"),
    }
}

fn shown(rtype: &str, text: &str) -> String {
    let rtype: Rtype = rtype.parse().unwrap();
    let rdata = rdata(&rtype.to_string(), text);
    RdataText {
        rtype,
        rdata: &rdata,
    }
    .to_string()
}

fn rdata_err(rtype: &str, text: &str) -> RdataSyntaxError {
    parse_rdata(rtype.parse().unwrap(), text, &origin()).unwrap_err()
}

/// A wire name from dotted text.
fn wire_name(text: &str) -> Vec<u8> {
    text.parse::<wire::Name>().unwrap().as_wire().to_vec()
}

#[test]
fn soa_completes_names_and_reads_numbers() {
    let bytes = rdata("SOA", "ns1 hostmaster ( 2024010101 3600 900 1209600 300 )");
    let mut expected = wire_name("ns1.example.com.");
    expected.extend(wire_name("hostmaster.example.com."));
    for n in [2024010101u32, 3600, 900, 1209600, 300] {
        expected.extend(n.to_be_bytes());
    }
    assert_eq!(bytes, expected);
}

#[test]
fn soa_timers_accept_ttl_units_like_bind() {
    assert_eq!(
        shown("SOA", "ns1 hostmaster 1 1h 15m 2w 5m"),
        "ns1.example.com. hostmaster.example.com. 1 3600 900 1209600 300"
    );
    // The serial is a number, not a duration.
    assert!(matches!(
        rdata_err("SOA", "ns1 hostmaster 1h 1 1 1 1"),
        RdataSyntaxError::Field { .. }
    ));
}

#[test]
fn ns_target_is_completed_with_the_origin() {
    assert_eq!(rdata("NS", "ns1"), wire_name("ns1.example.com."));
    assert_eq!(rdata("NS", "ns.example.net."), wire_name("ns.example.net."));
    assert_eq!(rdata("NS", "@"), wire_name("example.com."));
}

#[test]
fn a_is_four_octets() {
    assert_eq!(rdata("A", "192.0.2.1"), vec![192, 0, 2, 1]);
    assert!(matches!(
        rdata_err("A", "192.0.2.256"),
        RdataSyntaxError::Field { .. }
    ));
}

#[test]
fn aaaa_is_sixteen_octets() {
    let mut expected = vec![0x20, 0x01, 0x0d, 0xb8];
    expected.extend([0; 11]);
    expected.push(1);
    assert_eq!(rdata("AAAA", "2001:db8::1"), expected);
}

#[test]
fn cname_and_dname_hold_one_name() {
    assert_eq!(rdata("CNAME", "www"), wire_name("www.example.com."));
    assert_eq!(rdata("DNAME", "example.net."), wire_name("example.net."));
}

#[test]
fn mx_is_preference_and_exchange() {
    let mut expected = vec![0, 10];
    expected.extend(wire_name("mail.example.com."));
    assert_eq!(rdata("MX", "10 mail"), expected);
}

#[test]
fn txt_takes_several_strings_with_escapes() {
    let bytes = rdata(
        "TXT",
        r#""hello world" second "semi;colon" "say \"hi\"" \065\066 """#,
    );
    let mut expected = Vec::new();
    for part in [
        "hello world".as_bytes(),
        b"second",
        b"semi;colon",
        b"say \"hi\"",
        b"AB",
        b"",
    ] {
        expected.push(part.len() as u8);
        expected.extend_from_slice(part);
    }
    assert_eq!(bytes, expected);
}

#[test]
fn txt_strings_longer_than_255_octets_are_refused() {
    let text = format!("\"{}\"", "x".repeat(256));
    assert!(matches!(
        rdata_err("TXT", &text),
        RdataSyntaxError::CharStrTooLong(_)
    ));
    let ok = format!("\"{}\"", "x".repeat(255));
    assert_eq!(rdata("TXT", &ok).len(), 256);
}

#[test]
fn txt_keeps_octets_outside_ascii() {
    assert_eq!(rdata("TXT", "\"caf\u{e9}\""), b"\x05caf\xc3\xa9");
}

#[test]
fn spf_reads_like_txt() {
    assert_eq!(
        rdata("SPF", "\"v=spf1 -all\""),
        rdata("TXT", "\"v=spf1 -all\"")
    );
}

#[test]
fn srv_is_priority_weight_port_target() {
    let mut expected = vec![0, 1, 0, 5, 0x13, 0xc4];
    expected.extend(wire_name("sip.example.com."));
    assert_eq!(rdata("SRV", "1 5 5060 sip"), expected);
}

#[test]
fn ptr_holds_one_name() {
    assert_eq!(
        rdata("PTR", "host.example.net."),
        wire_name("host.example.net.")
    );
}

#[test]
fn caa_is_flags_tag_value() {
    let mut expected = vec![0, 5];
    expected.extend_from_slice(b"issue");
    expected.extend_from_slice(b"letsencrypt.org");
    assert_eq!(rdata("CAA", "0 issue \"letsencrypt.org\""), expected);
}

#[test]
fn naptr_round_trips() {
    assert_eq!(
        shown(
            "NAPTR",
            r#"100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" ."#
        ),
        r#"100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" ."#
    );
}

#[test]
fn sshfp_is_algorithm_type_and_hex() {
    let bytes = rdata("SSHFP", "2 1 123456789abcdef67890123456789abcdef67890");
    assert_eq!(&bytes[..3], &[2, 1, 0x12]);
    assert_eq!(bytes.len(), 22);
}

#[test]
fn tlsa_hex_may_be_split_into_tokens() {
    let joined = rdata(
        "TLSA",
        "3 1 1 d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971",
    );
    let split = rdata(
        "TLSA",
        "3 1 1 ( d2abde240d7cd3ee6b4b28c54df034b9\n 7983a1d16e8a410e4561cb106618e971 )",
    );
    assert_eq!(joined, split);
    assert_eq!(&joined[..4], &[3, 1, 1, 0xd2]);
    assert_eq!(joined.len(), 35);
}

#[test]
fn hinfo_is_two_strings() {
    assert_eq!(rdata("HINFO", "\"PC\" \"Linux\""), b"\x02PC\x05Linux");
}

#[test]
fn ds_round_trips_rfc4034_example() {
    assert_eq!(
        shown(
            "DS",
            "60485 5 1 ( 2BB183AF5F22588179A53B0A\n 98631FAD1A292118 )"
        ),
        "60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118"
    );
}

const RFC4034_KEY: &str = "AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31GajIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w==";

#[test]
fn dnskey_round_trips_rfc4034_example() {
    let text = format!("256 3 5 {RFC4034_KEY}");
    assert_eq!(shown("DNSKEY", &text), text);
    let bytes = rdata("DNSKEY", &text);
    assert_eq!(&bytes[..4], &[1, 0, 3, 5]);
}

#[test]
fn rrsig_round_trips_rfc4034_example() {
    let signature = "oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o=";
    let text =
        format!("A 5 3 86400 20030322173103 ( 20030220173103 2642 example.com.\n {signature} )");
    let bytes = rdata("RRSIG", &text);
    assert_eq!(&bytes[..4], &[0, 1, 5, 3]);
    // `domain` prints the times as seconds, which RFC 4034 §3.2 also allows.
    assert_eq!(
        shown("RRSIG", &text),
        format!("A 5 3 86400 1048354263 1045762263 2642 example.com. {signature}")
    );
    let in_seconds = format!("A 5 3 86400 1048354263 1045762263 2642 example.com. {signature}");
    assert_eq!(rdata("RRSIG", &in_seconds), bytes);
}

#[test]
fn nsec_has_next_name_and_type_bitmap() {
    let bytes = rdata("NSEC", "host.example.com. ( A MX RRSIG NSEC TYPE1234 )");
    // RFC 4034 §4.3's example RDATA.
    let mut expected = wire_name("host.example.com.");
    expected.extend([0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03]);
    expected.extend([0x04, 0x1b]);
    expected.extend([0u8; 26]);
    expected.push(0x20);
    assert_eq!(bytes, expected);
}

#[test]
fn nsec3_round_trips_rfc5155_example() {
    let text = "1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr A RRSIG";
    // `domain` prints hex and base32hex in upper case; both cases are valid.
    assert_eq!(shown("NSEC3", text), text.to_uppercase());
    assert_eq!(rdata("NSEC3", text), rdata("NSEC3", &text.to_uppercase()));
}

#[test]
fn nsec3param_is_algorithm_flags_iterations_salt() {
    assert_eq!(
        rdata("NSEC3PARAM", "1 0 12 aabbccdd"),
        vec![1, 0, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd]
    );
    assert_eq!(rdata("NSEC3PARAM", "1 0 0 -"), vec![1, 0, 0, 0, 0]);
}

#[test]
fn https_reads_quoted_alpn_values() {
    let bytes = rdata("HTTPS", r#"1 . alpn="h2,h3" port=443"#);
    let mut expected = vec![0, 1, 0];
    expected.extend([0, 1, 0, 6, 2, b'h', b'2', 2, b'h', b'3']);
    expected.extend([0, 3, 0, 2, 0x01, 0xbb]);
    assert_eq!(bytes, expected);
}

#[test]
fn svcb_reads_alias_and_service_forms() {
    let mut alias = vec![0, 0];
    alias.extend(wire_name("svc.example.net."));
    assert_eq!(rdata("SVCB", "0 svc.example.net."), alias);
    let bytes = rdata("SVCB", "1 . mandatory=alpn alpn=h2 ipv4hint=192.0.2.1");
    let mut expected = vec![0, 1, 0];
    expected.extend([0, 0, 0, 2, 0, 1]);
    expected.extend([0, 1, 0, 3, 2, b'h', b'2']);
    expected.extend([0, 4, 0, 4, 192, 0, 2, 1]);
    assert_eq!(bytes, expected);
}

#[test]
fn generic_rdata_works_for_known_types() {
    assert_eq!(rdata("A", r"\# 4 0a000001"), vec![10, 0, 0, 1]);
    assert_eq!(rdata("A", r"\# 4 0a00 0001"), vec![10, 0, 0, 1]);
    assert_eq!(rdata("MX", r"\# 3 000a00"), vec![0, 10, 0]);
}

#[test]
fn generic_rdata_works_for_unknown_types() {
    assert_eq!(rdata("TYPE65534", r"\# 4 0a000001"), vec![10, 0, 0, 1]);
    assert_eq!(rdata("TYPE65534", r"\# 0"), Vec::<u8>::new());
}

#[test]
fn generic_rdata_must_fit_the_type_and_its_length() {
    assert_eq!(
        rdata_err("A", r"\# 3 0a0000"),
        RdataSyntaxError::GenericMismatch(Rtype::A)
    );
    assert!(matches!(
        rdata_err("TYPE65534", r"\# 5 0a000001"),
        RdataSyntaxError::Field { .. }
    ));
}

#[test]
fn unknown_types_need_the_generic_form() {
    assert_eq!(
        rdata_err("TYPE65534", "abc"),
        RdataSyntaxError::NoPresentationFormat(Rtype(65534))
    );
}

#[test]
fn trailing_tokens_are_refused() {
    assert_eq!(
        rdata_err("A", "192.0.2.1 extra"),
        RdataSyntaxError::TrailingData {
            near: Some("extra".to_string())
        }
    );
    assert!(
        rdata_err("MX", "10 mail extra")
            .to_string()
            .contains("\"extra\"")
    );
}

#[test]
fn missing_fields_are_reported() {
    assert_eq!(rdata_err("MX", "10"), RdataSyntaxError::EndOfEntry);
    assert_eq!(rdata_err("A", ""), RdataSyntaxError::EndOfEntry);
}

#[test]
fn meta_types_have_no_rdata() {
    assert_eq!(
        rdata_err("ANY", "x"),
        RdataSyntaxError::MetaType(Rtype::ANY)
    );
    assert_eq!(
        rdata_err("OPT", r"\# 0"),
        RdataSyntaxError::MetaType(Rtype::OPT)
    );
}

#[test]
fn rdata_text_is_one_entry() {
    assert_eq!(
        rdata_err("A", "192.0.2.1\n192.0.2.2"),
        RdataSyntaxError::MultipleEntries
    );
    assert!(matches!(
        rdata_err("TXT", "\"open"),
        RdataSyntaxError::Lex(_)
    ));
}

#[test]
fn bad_names_say_why() {
    let error = rdata_err("CNAME", "a..b");
    assert_eq!(error.to_string(), "bad domain name \"a..b\": empty label");
}
