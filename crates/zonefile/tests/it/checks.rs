//! Each semantic check once where it fires and once where it must not.

use zonefile::Severity;

use crate::parse_ok;

const BASE: &str = "$TTL 3600
@ SOA ns1 hostmaster 1 3600 900 1209600 300
@ NS ns1
ns1 A 192.0.2.1
";

/// Lines of the base zone, so extra records start at line 5.
const FIRST_EXTRA_LINE: u32 = 5;

/// `check` findings of the base zone plus `extra`, as text.
fn findings(extra: &str) -> Vec<String> {
    let zone = parse_ok(&format!("{BASE}{extra}"));
    zonefile::check(&zone)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn line(offset: u32) -> u32 {
    FIRST_EXTRA_LINE + offset
}

#[test]
fn clean_zone_has_no_findings() {
    assert_eq!(
        findings("www A 192.0.2.2\nmail MX 10 www\n"),
        Vec::<String>::new()
    );
}

#[test]
fn missing_soa_is_an_error() {
    let zone = parse_ok("$TTL 60\n@ NS ns1\nns1 A 192.0.2.1\n");
    let found = zonefile::check(&zone);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].to_string(),
        "no SOA record at the apex example.com."
    );
    assert_eq!(found[0].severity, Severity::Error);
}

#[test]
fn several_soas_are_an_error() {
    let found = findings("@ SOA ns1 hostmaster 2 3600 900 1209600 300\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: more than one SOA record at the apex example.com.",
            line(0)
        )]
    );
}

#[test]
fn soa_below_the_apex_is_an_error() {
    let found = findings("sub SOA ns1 hostmaster 1 3600 900 1209600 300\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: SOA record at sub.example.com., which is not the apex example.com.",
            line(0)
        )]
    );
}

#[test]
fn missing_apex_ns_is_an_error() {
    let zone = parse_ok("$TTL 60\n@ SOA ns1 hostmaster 1 3600 900 1209600 300\n");
    let found: Vec<String> = zonefile::check(&zone)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(found, vec!["no NS records at the apex example.com."]);
}

#[test]
fn out_of_zone_data_is_an_error() {
    let found = findings("www.example.org. A 192.0.2.9\nwww A 192.0.2.9\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: www.example.org. is out of zone: it is not at or below the apex example.com.",
            line(0)
        )]
    );
}

#[test]
fn cname_and_other_data_is_an_error() {
    let found = findings("www CNAME ns1\nwww A 192.0.2.2\nwww TXT x\n");
    assert_eq!(
        found,
        vec![
            format!(
                "test.zone:{}: www.example.com. has a CNAME and other data (A)",
                line(1)
            ),
            format!(
                "test.zone:{}: www.example.com. has a CNAME and other data (TXT)",
                line(2)
            ),
        ]
    );
}

#[test]
fn cname_beside_rrsig_and_nsec_is_allowed() {
    let rrsig = "CNAME 8 3 3600 20300101000000 20200101000000 1 example.com. AAAA";
    let found = findings(&format!(
        "www CNAME ns1\nwww RRSIG {rrsig}\nwww NSEC ns1.example.com. CNAME RRSIG NSEC\n"
    ));
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn two_cnames_are_an_error() {
    let found = findings("www CNAME ns1\nwww CNAME other.example.net.\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: www.example.com. has more than one CNAME record",
            line(1)
        )]
    );
}

#[test]
fn cname_at_the_apex_is_an_error() {
    let found = findings("@ CNAME other.example.net.\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: CNAME at the apex example.com.",
            line(0)
        )]
    );
}

#[test]
fn dname_and_cname_together_are_an_error() {
    let found = findings("old CNAME ns1\nold DNAME example.net.\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: old.example.com. has both a CNAME and a DNAME",
            line(1)
        )]
    );
    assert_eq!(findings("old DNAME example.net.\n"), Vec::<String>::new());
}

#[test]
fn two_dnames_are_an_error() {
    let found = findings("old DNAME example.net.\nold DNAME example.org.\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: old.example.com. has more than one DNAME record",
            line(1)
        )]
    );
}

#[test]
fn delegation_without_glue_is_an_error() {
    let found = findings("sub NS ns.sub\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: missing glue: NS target ns.sub.example.com. is below the delegation sub.example.com. but has no A or AAAA records",
            line(0)
        )]
    );
    assert_eq!(
        findings("sub NS ns.sub\nns.sub AAAA 2001:db8::53\n"),
        Vec::<String>::new()
    );
    // Out-of-zone targets need nothing from this zone.
    assert_eq!(findings("sub NS ns.example.net.\n"), Vec::<String>::new());
}

#[test]
fn in_zone_ns_target_without_address_is_an_error() {
    let found = findings("@ NS ns2\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: NS target ns2.example.com. is in the zone but has no A or AAAA records",
            line(0)
        )]
    );
    assert_eq!(
        findings("@ NS ns2\nns2 A 192.0.2.53\n"),
        Vec::<String>::new()
    );
}

#[test]
fn ns_target_that_is_a_cname_is_an_error() {
    let found = findings("@ NS alias\nalias CNAME ns1\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: NS target alias.example.com. is a CNAME, which RFC 2181 §10.3 forbids",
            line(0)
        )]
    );
}

#[test]
fn rrset_with_differing_ttls_is_a_warning() {
    let zone = parse_ok(&format!(
        "{BASE}multi 60 A 192.0.2.1\nmulti 120 A 192.0.2.2\n"
    ));
    let found = zonefile::check(&zone);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity, Severity::Warning);
    assert_eq!(
        found[0].to_string(),
        format!(
            "test.zone:{}: warning: multi.example.com. A has TTL 120 but its rrset started with TTL 60 (RFC 2181 §5.2)",
            line(1)
        )
    );
    assert_eq!(
        findings("multi 60 A 192.0.2.1\nmulti 60 A 192.0.2.2\nmulti 120 TXT x\n"),
        Vec::<String>::new()
    );
}

#[test]
fn rrsigs_of_different_types_may_have_different_ttls() {
    let found = findings(
        "x 60 RRSIG A 8 3 60 20300101000000 20200101000000 1 example.com. AAAA\nx 120 RRSIG TXT 8 3 120 20300101000000 20200101000000 1 example.com. AAAA\n",
    );
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn data_below_a_delegation_is_occluded_but_glue_is_not() {
    let found = findings("sub NS ns.sub\nns.sub A 192.0.2.53\nwww.sub TXT hidden\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: warning: www.sub.example.com. TXT is below the delegation sub.example.com. and is not glue, so it is occluded",
            line(2)
        )]
    );
}

#[test]
fn data_below_a_dname_is_occluded() {
    let found = findings("old DNAME example.net.\nwww.old A 192.0.2.7\n");
    assert_eq!(
        found,
        vec![format!(
            "test.zone:{}: warning: www.old.example.com. A is below the DNAME at old.example.com., so it is occluded",
            line(1)
        )]
    );
}

#[test]
fn mx_and_srv_targets_that_are_cnames_are_warnings() {
    let found = findings("alias CNAME ns1\n@ MX 10 alias\n_sip._tcp SRV 0 0 5060 alias\n");
    assert_eq!(
        found,
        vec![
            format!(
                "test.zone:{}: warning: MX target alias.example.com. of example.com. is a CNAME (RFC 2181 §10.3)",
                line(1)
            ),
            format!(
                "test.zone:{}: warning: SRV target alias.example.com. of _sip._tcp.example.com. is a CNAME (RFC 2181 §10.3)",
                line(2)
            ),
        ]
    );
    assert_eq!(
        findings("@ MX 10 ns1\n_sip._tcp SRV 0 0 5060 ns1\n"),
        Vec::<String>::new()
    );
}

#[test]
fn findings_come_in_file_order_with_zone_wide_ones_first() {
    let zone = parse_ok("$TTL 60\nb CNAME a\nb A 192.0.2.1\nx.example.org. A 192.0.2.2\n");
    let found: Vec<String> = zonefile::check(&zone)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        vec![
            "no SOA record at the apex example.com.".to_string(),
            "no NS records at the apex example.com.".to_string(),
            "test.zone:3: b.example.com. has a CNAME and other data (A)".to_string(),
            "test.zone:4: x.example.org. is out of zone: it is not at or below the apex example.com.".to_string(),
        ]
    );
}
