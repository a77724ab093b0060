//! Resolution and precompiled answers, checked against each other and
//! against the RFCs' examples.

use wire::header::HEADER_LEN;
use wire::writer::Writer;
use wire::{Class, Message, Name, Rcode, Record, Rtype};

use super::*;
use crate::{BuildOptions, Zone};

/// Builds records from a tiny master-file subset: absolute owner, TTL, type,
/// RDATA for the types these tests use.
fn records(text: &str) -> Vec<Record> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let owner: Name = fields[0].parse().unwrap();
        let ttl: u32 = fields[1].parse().unwrap();
        let rtype: Rtype = fields[2].parse().unwrap();
        let args = &fields[3..];
        let name = |s: &str| s.parse::<Name>().unwrap().as_wire().to_vec();
        let rdata = match rtype {
            Rtype::A => args[0]
                .parse::<std::net::Ipv4Addr>()
                .unwrap()
                .octets()
                .to_vec(),
            Rtype::AAAA => args[0]
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets()
                .to_vec(),
            Rtype::NS | Rtype::CNAME | Rtype::DNAME | Rtype::PTR => name(args[0]),
            Rtype::MX => [
                &args[0].parse::<u16>().unwrap().to_be_bytes()[..],
                &name(args[1]),
            ]
            .concat(),
            Rtype::SRV => {
                let mut v = Vec::new();
                for n in &args[..3] {
                    v.extend_from_slice(&n.parse::<u16>().unwrap().to_be_bytes());
                }
                v.extend_from_slice(&name(args[3]));
                v
            }
            Rtype::TXT => [&[args[0].len() as u8][..], args[0].as_bytes()].concat(),
            Rtype::SOA => {
                let mut v = name(args[0]);
                v.extend_from_slice(&name(args[1]));
                for n in &args[2..7] {
                    v.extend_from_slice(&n.parse::<u32>().unwrap().to_be_bytes());
                }
                v
            }
            other => panic!("test helper does not know {other}"),
        };
        out.push(Record {
            owner,
            rtype,
            class: Class::IN,
            ttl,
            rdata,
        });
    }
    out
}

const ZONE: &str = "
example. 3600 SOA ns1.example. host.example. 2024010101 7200 3600 1209600 300
example. 3600 NS ns1.example.
example. 3600 NS ns2.other.
example. 3600 MX 10 mail.example.
ns1.example. 3600 A 192.0.2.1
mail.example. 3600 A 192.0.2.2
mail.example. 3600 AAAA 2001:db8::2
www.example. 300 A 192.0.2.3
www.example. 300 A 192.0.2.4
a.b.c.example. 60 TXT deep
*.wild.example. 60 A 192.0.2.9
sub.wild.example. 60 A 192.0.2.10
c1.example. 60 CNAME c2.example.
c2.example. 60 CNAME www.example.
out.example. 60 CNAME www.elsewhere.
loop1.example. 60 CNAME loop2.example.
loop2.example. 60 CNAME loop1.example.
dangling.example. 60 CNAME nothere.example.
towild.example. 60 CNAME x.wild.example.
sub.example. 3600 NS ns.sub.example.
sub.example. 3600 NS ns.other.
ns.sub.example. 3600 A 192.0.2.53
d.example. 60 DNAME target.example.
www.target.example. 60 A 192.0.2.77
_sip._tcp.example. 60 SRV 0 5 5060 mail.example.
";

fn zone() -> Zone {
    Zone::build(
        &"example.".parse().unwrap(),
        records(ZONE),
        BuildOptions::default(),
    )
    .unwrap()
}

fn lower(name: &str) -> Vec<u8> {
    name.parse::<Name>()
        .unwrap()
        .to_lowercase()
        .as_wire()
        .to_vec()
}

const UDP: QueryOptions = QueryOptions {
    dnssec_ok: false,
    transport: Transport::Udp,
};
const TCP: QueryOptions = QueryOptions {
    dnssec_ok: false,
    transport: Transport::Tcp,
};

/// Encodes the general-path answer to a full message and parses it back.
fn general(
    zone: &Zone,
    qname: &str,
    qtype: Rtype,
    options: QueryOptions,
) -> (Message, bool, Rcode) {
    let mut resolution = Resolution::default();
    let name = lower(qname);
    zone.resolve(&name, qtype, options, &mut resolution);
    let mut buf = Vec::new();
    let mut writer = Writer::new(&mut buf, 65535);
    writer.question(&name, qtype, Class::IN, true).unwrap();
    zone.encode(&resolution, &mut writer).unwrap();
    writer.finish(1, 0x8000);
    (
        Message::parse(&buf).unwrap(),
        resolution.authoritative,
        resolution.rcode,
    )
}

/// The precompiled answer behind the question, parsed back.
fn fast(zone: &Zone, qname: &str, qtype: Rtype) -> Option<(Message, bool, Rcode)> {
    let name = lower(qname);
    let answer = zone.precompiled(&name, qtype)?;
    let mut buf = vec![0u8; HEADER_LEN];
    let counts = answer.counts();
    let header = wire::Header {
        id: 1,
        bits: 0x8000,
        qdcount: 1,
        ancount: counts[0],
        nscount: counts[1],
        arcount: counts[2],
    };
    buf[..HEADER_LEN].copy_from_slice(&header.to_bytes());
    buf.extend_from_slice(&name);
    buf.extend_from_slice(&qtype.0.to_be_bytes());
    buf.extend_from_slice(&1u16.to_be_bytes());
    answer.append_to(&mut buf, name.len());
    Some((
        Message::parse(&buf).unwrap(),
        answer.authoritative(),
        answer.rcode(),
    ))
}

fn texts(records: &[Record]) -> Vec<String> {
    let mut v: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    v.sort();
    v
}

#[test]
fn exact_match_answers_with_the_rrset_only() {
    let (msg, aa, rcode) = general(&zone(), "www.example.", Rtype::A, UDP);
    assert!(aa);
    assert_eq!(rcode, Rcode::NOERROR);
    assert_eq!(
        texts(&msg.answer),
        [
            "www.example. 300 IN A 192.0.2.3",
            "www.example. 300 IN A 192.0.2.4"
        ]
    );
    assert!(msg.authority.is_empty() && msg.additional.is_empty());
}

#[test]
fn nodata_carries_the_soa() {
    let (msg, aa, rcode) = general(&zone(), "www.example.", Rtype::MX, UDP);
    assert!(aa && rcode == Rcode::NOERROR && msg.answer.is_empty());
    assert_eq!(msg.authority[0].rtype, Rtype::SOA);
}

#[test]
fn empty_non_terminal_is_nodata_not_nxdomain() {
    let (msg, _, rcode) = general(&zone(), "b.c.example.", Rtype::A, UDP);
    assert_eq!(rcode, Rcode::NOERROR);
    assert_eq!(msg.authority[0].rtype, Rtype::SOA);
}

#[test]
fn missing_name_is_nxdomain_with_soa() {
    let (msg, aa, rcode) = general(&zone(), "nope.example.", Rtype::A, UDP);
    assert!(aa);
    assert_eq!(rcode, Rcode::NXDOMAIN);
    assert_eq!(
        texts(&msg.authority),
        ["example. 300 IN SOA ns1.example. host.example. 2024010101 7200 3600 1209600 300"],
        "TTL = min(SOA TTL, MINIMUM)"
    );
}

#[test]
fn wildcard_synthesises_the_question_name() {
    let (msg, aa, _) = general(&zone(), "Foo.Bar.wild.example.", Rtype::A, UDP);
    assert!(aa);
    assert_eq!(
        texts(&msg.answer),
        ["foo.bar.wild.example. 60 IN A 192.0.2.9"]
    );
    // An existing sibling blocks nothing; the existing name answers itself.
    let (msg, _, _) = general(&zone(), "sub.wild.example.", Rtype::A, UDP);
    assert_eq!(texts(&msg.answer), ["sub.wild.example. 60 IN A 192.0.2.10"]);
    // Below an existing name there is no wildcard (RFC 4592 §2.2.2).
    let (_, _, rcode) = general(&zone(), "x.sub.wild.example.", Rtype::A, UDP);
    assert_eq!(rcode, Rcode::NXDOMAIN);
    // Wildcard NODATA.
    let (msg, _, rcode) = general(&zone(), "x.wild.example.", Rtype::MX, UDP);
    assert_eq!(rcode, Rcode::NOERROR);
    assert!(msg.answer.is_empty());
}

#[test]
fn cname_chains_are_followed_inside_the_zone() {
    let (msg, _, rcode) = general(&zone(), "c1.example.", Rtype::A, UDP);
    assert_eq!(rcode, Rcode::NOERROR);
    assert_eq!(
        texts(&msg.answer),
        [
            "c1.example. 60 IN CNAME c2.example.",
            "c2.example. 60 IN CNAME www.example.",
            "www.example. 300 IN A 192.0.2.3",
            "www.example. 300 IN A 192.0.2.4",
        ]
    );
    let (msg, _, rcode) = general(&zone(), "out.example.", Rtype::A, UDP);
    assert_eq!(rcode, Rcode::NOERROR);
    assert_eq!(msg.answer.len(), 1);
    let (msg, _, rcode) = general(&zone(), "dangling.example.", Rtype::A, UDP);
    assert_eq!(rcode, Rcode::NXDOMAIN, "RFC 6604: RCODE of the last name");
    assert_eq!(msg.answer.len(), 1);
    let (msg, _, _) = general(&zone(), "towild.example.", Rtype::A, UDP);
    assert_eq!(texts(&msg.answer)[1], "x.wild.example. 60 IN A 192.0.2.9");
    // Asking for the CNAME itself does not follow it.
    let (msg, _, _) = general(&zone(), "c1.example.", Rtype::CNAME, UDP);
    assert_eq!(msg.answer.len(), 1);
}

#[test]
fn cname_loops_terminate() {
    let (msg, _, _) = general(&zone(), "loop1.example.", Rtype::A, UDP);
    assert_eq!(msg.answer.len(), 2);
}

#[test]
fn delegation_gives_a_referral_with_glue() {
    for qname in ["sub.example.", "deep.below.sub.example.", "ns.sub.example."] {
        let (msg, aa, rcode) = general(&zone(), qname, Rtype::A, UDP);
        assert!(!aa, "{qname}: referral must not be authoritative");
        assert_eq!(rcode, Rcode::NOERROR);
        assert!(msg.answer.is_empty());
        assert_eq!(
            texts(&msg.authority),
            [
                "sub.example. 3600 IN NS ns.other.",
                "sub.example. 3600 IN NS ns.sub.example."
            ]
        );
        assert_eq!(
            texts(&msg.additional),
            ["ns.sub.example. 3600 IN A 192.0.2.53"]
        );
    }
    // DS at the cut belongs to the parent: authoritative NODATA.
    let (msg, aa, _) = general(&zone(), "sub.example.", Rtype::DS, UDP);
    assert!(aa);
    assert_eq!(msg.authority[0].rtype, Rtype::SOA);
}

#[test]
fn dname_synthesises_a_cname_and_follows_it() {
    let (msg, aa, rcode) = general(&zone(), "www.d.example.", Rtype::A, UDP);
    assert!(aa);
    assert_eq!(rcode, Rcode::NOERROR);
    assert_eq!(
        texts(&msg.answer),
        [
            "d.example. 60 IN DNAME target.example.",
            "www.d.example. 60 IN CNAME www.target.example.",
            "www.target.example. 60 IN A 192.0.2.77",
        ]
    );
    // The DNAME owner itself is not redirected.
    let (msg, _, _) = general(&zone(), "d.example.", Rtype::DNAME, UDP);
    assert_eq!(msg.answer.len(), 1);
}

#[test]
fn dname_result_too_long_is_yxdomain() {
    let long_target = format!("{}.example.", vec!["a".repeat(60); 3].join("."));
    let text = format!("{ZONE}\nlong.example. 60 DNAME {long_target}\n");
    let zone = Zone::build(
        &"example.".parse().unwrap(),
        records(&text),
        BuildOptions::default(),
    )
    .unwrap();
    let qname = format!("{}.{}.long.example.", "b".repeat(60), "c".repeat(10));
    let (_, _, rcode) = general(&zone, &qname, Rtype::A, UDP);
    assert_eq!(rcode, Rcode::YXDOMAIN);
}

#[test]
fn mx_and_srv_targets_get_addresses() {
    let (msg, _, _) = general(&zone(), "example.", Rtype::MX, UDP);
    assert_eq!(
        texts(&msg.additional),
        [
            "mail.example. 3600 IN A 192.0.2.2",
            "mail.example. 3600 IN AAAA 2001:db8::2"
        ]
    );
    let (msg, _, _) = general(&zone(), "_sip._tcp.example.", Rtype::SRV, UDP);
    assert_eq!(msg.additional.len(), 2);
    let (msg, _, _) = general(&zone(), "example.", Rtype::NS, UDP);
    assert_eq!(texts(&msg.additional), ["ns1.example. 3600 IN A 192.0.2.1"]);
}

#[test]
fn any_is_one_rrset_over_udp_and_complete_over_tcp() {
    let (msg, _, _) = general(&zone(), "mail.example.", Rtype::ANY, UDP);
    assert_eq!(
        texts(&msg.answer),
        ["mail.example. 3600 IN A 192.0.2.2"],
        "one RRset, the lowest type"
    );
    let (msg, _, _) = general(&zone(), "c1.example.", Rtype::ANY, UDP);
    assert_eq!(
        texts(&msg.answer),
        ["c1.example. 60 IN CNAME c2.example."],
        "ANY does not follow a CNAME"
    );
    let (msg, _, _) = general(&zone(), "mail.example.", Rtype::ANY, TCP);
    assert_eq!(msg.answer.len(), 2);
}

/// Every precompiled answer must say exactly what the general path says.
#[test]
fn precompiled_answers_equal_general_answers() {
    let zone = zone();
    let names = [
        "example.",
        "www.example.",
        "WWW.Example.",
        "ns1.example.",
        "mail.example.",
        "a.b.c.example.",
        "b.c.example.",
        "c.example.",
        "nope.example.",
        "x.y.nope.example.",
        "q.wild.example.",
        "a.b.wild.example.",
        "sub.wild.example.",
        "x.sub.wild.example.",
        "c1.example.",
        "c2.example.",
        "out.example.",
        "loop1.example.",
        "dangling.example.",
        "towild.example.",
        "sub.example.",
        "x.sub.example.",
        "ns.sub.example.",
        "d.example.",
        "x.d.example.",
        "www.target.example.",
        "_sip._tcp.example.",
        "*.wild.example.",
    ];
    let types = [
        Rtype::A,
        Rtype::AAAA,
        Rtype::NS,
        Rtype::MX,
        Rtype::SOA,
        Rtype::TXT,
        Rtype::CNAME,
        Rtype::DS,
        Rtype::SRV,
        Rtype::DNAME,
        Rtype::PTR,
        Rtype(65000),
    ];
    let mut compared = 0;
    for name in names {
        for qtype in types {
            let (slow, slow_aa, slow_rcode) = general(&zone, name, qtype, TCP);
            if let Some((quick, quick_aa, quick_rcode)) = fast(&zone, name, qtype) {
                compared += 1;
                assert_eq!(quick_aa, slow_aa, "{name} {qtype}");
                assert_eq!(quick_rcode, slow_rcode, "{name} {qtype}");
                assert_eq!(texts(&quick.answer), texts(&slow.answer), "{name} {qtype}");
                assert_eq!(
                    texts(&quick.authority),
                    texts(&slow.authority),
                    "{name} {qtype}"
                );
                assert_eq!(
                    texts(&quick.additional),
                    texts(&slow.additional),
                    "{name} {qtype}"
                );
            }
        }
    }
    // Most of these must be served precompiled, or the fast path is dead code.
    assert!(
        compared > names.len() * types.len() * 2 / 3,
        "only {compared} precompiled"
    );
}

#[test]
fn records_come_back_soa_first() {
    let zone = zone();
    let all: Vec<Record> = zone.records().collect();
    assert_eq!(all[0].rtype, Rtype::SOA);
    assert_eq!(all.len(), zone.record_count());
    assert_eq!(all.len(), records(ZONE).len());
}

#[test]
fn zone_without_soa_is_refused() {
    let err = Zone::build(
        &"example.".parse().unwrap(),
        records("www.example. 60 A 192.0.2.1"),
        BuildOptions::default(),
    );
    assert!(matches!(err, Err(crate::ZoneError::NoSoa(_))));
    let err = Zone::build(
        &"example.".parse().unwrap(),
        records(&format!("{ZONE}\nwww.other. 60 A 192.0.2.1")),
        BuildOptions::default(),
    );
    assert!(matches!(err, Err(crate::ZoneError::OutOfZone { .. })));
}

proptest::proptest! {
    /// The snapshot does not depend on the order records arrive in, on
    /// repeated records, on the case of owners, or on whether it was built
    /// from owned records or a borrowed slice.
    #[test]
    fn build_is_independent_of_order_duplicates_and_case(
        shuffled in proptest::strategy::Strategy::prop_shuffle(proptest::strategy::Just(records(ZONE))),
        repeats in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..5),
        upper in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..5),
    ) {
        let apex: Name = "example.".parse().unwrap();
        let reference = zone();
        let mut input = shuffled;
        for index in &repeats {
            let record = input[index.index(input.len())].clone();
            input.push(record);
        }
        for index in &upper {
            let i = index.index(input.len());
            let text = input[i].owner.to_string().to_ascii_uppercase();
            input[i].owner = text.parse().unwrap();
        }
        let owned = Zone::build(&apex, input.clone(), BuildOptions::default()).unwrap();
        let borrowed = Zone::build_from_slice(&apex, &input, BuildOptions::default()).unwrap();
        let expected: Vec<Record> = reference.canonical_records().collect();
        for built in [&owned, &borrowed] {
            proptest::prop_assert_eq!(&built.canonical_records().collect::<Vec<_>>(), &expected);
            proptest::prop_assert_eq!(built.node_count(), reference.node_count());
            proptest::prop_assert_eq!(built.record_count(), reference.record_count());
        }
    }
}
