//! Behaviour of `respond` at the protocol edges: malformed requests, EDNS,
//! truncation, CHAOS, opcodes and classes.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use wire::header::flags;
use wire::{Message, Name, Rcode, Rtype};
use zone::{BuildOptions, Transport, Zone};

use super::*;

const ZONE: &str = r#"$ORIGIN example.test.
$TTL 3600
@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ NS ns1
ns1 A 192.0.2.1
www A 192.0.2.10
big TXT "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big TXT "1123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big TXT "2123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big TXT "3123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big TXT "4123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
big TXT "5123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
"#;

fn served(settings: Settings) -> Served {
    let origin: Name = "example.test.".parse().unwrap();
    let file = zonefile::parse_str(ZONE, &origin, Path::new("test.zone")).unwrap();
    let zone = Zone::build(
        &origin,
        file.records.into_iter().map(|r| r.record).collect(),
        BuildOptions::default(),
    )
    .unwrap();
    let mut catalog = Catalog::new();
    catalog.insert(Arc::new(zone));
    Served {
        catalog,
        settings,
        ..Served::default()
    }
}

/// A fixed clock for TSIG checks.
const NOW: u64 = 1_700_000_000;

fn client(transport: Transport) -> Client {
    Client {
        address: "127.0.0.1:5300".parse::<SocketAddr>().unwrap(),
        transport,
        now: NOW,
    }
}

/// Builds a query: header bits, name, type, class, optional OPT record.
fn query(
    bits: u16,
    qname: &str,
    qtype: Rtype,
    class: u16,
    opt: Option<(u16, u8, bool, &[u8])>,
) -> Vec<u8> {
    let mut m = vec![0xAB, 0xCD];
    m.extend_from_slice(&bits.to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, u8::from(opt.is_some())]);
    m.extend_from_slice(Name::from_text(qname, None).unwrap().as_wire());
    m.extend_from_slice(&qtype.0.to_be_bytes());
    m.extend_from_slice(&class.to_be_bytes());
    if let Some((size, version, dnssec_ok, options)) = opt {
        m.push(0);
        m.extend_from_slice(&41u16.to_be_bytes());
        m.extend_from_slice(&size.to_be_bytes());
        m.push(0);
        m.push(version);
        m.extend_from_slice(&(if dnssec_ok { 0x8000u16 } else { 0 }).to_be_bytes());
        m.extend_from_slice(&(options.len() as u16).to_be_bytes());
        m.extend_from_slice(options);
    }
    m
}

fn ask(served: &Served, bytes: &[u8], transport: Transport) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match respond(
        served,
        bytes,
        &client(transport),
        &mut Scratch::default(),
        &mut out,
    ) {
        Outcome::Reply => Some(out),
        Outcome::Drop => None,
        Outcome::Transfer(ticket) => panic!("unexpected transfer {ticket:?}"),
        Outcome::Update(ticket) => panic!("unexpected update {ticket:?}"),
    }
}

fn ask_parsed(served: &Served, bytes: &[u8], transport: Transport) -> Message {
    Message::parse(&ask(served, bytes, transport).expect("a reply")).expect("a well-formed reply")
}

#[test]
fn answer_echoes_id_flags_and_question_case() {
    let s = served(Settings::default());
    let q = query(0x0100 | 0x0010, "WwW.ExAmPlE.TeSt.", Rtype::A, 1, None);
    let reply = ask(&s, &q, Transport::Udp).unwrap();
    assert_eq!(&reply[..2], &[0xAB, 0xCD]);
    // QR, AA, RD and CD set; RA clear.
    assert_eq!(
        u16::from_be_bytes([reply[2], reply[3]]),
        0x8000 | 0x0400 | 0x0100 | 0x0010
    );
    assert_eq!(
        &reply[12..12 + 22],
        &q[12..12 + 22],
        "question echoed with its case (RFC 4343)"
    );
    let msg = Message::parse(&reply).unwrap();
    assert_eq!(
        msg.answer[0].to_string(),
        "WwW.ExAmPlE.TeSt. 3600 IN A 192.0.2.10"
    );
}

#[test]
fn names_outside_every_zone_are_refused() {
    let s = served(Settings::default());
    let msg = ask_parsed(
        &s,
        &query(0, "www.example.org.", Rtype::A, 1, None),
        Transport::Udp,
    );
    assert_eq!(msg.rcode(), Rcode::REFUSED);
    assert!(!msg.header.flag(flags::AA));
    assert_eq!(msg.questions.len(), 1);
}

#[test]
fn malformed_requests_get_formerr_or_nothing() {
    let s = served(Settings::default());
    let good = query(0, "www.example.test.", Rtype::A, 1, None);
    // Too short for a header: nothing to answer with.
    assert!(ask(&s, &good[..11], Transport::Udp).is_none());
    // A response must never be answered.
    let mut response = good.clone();
    response[2] |= 0x80;
    assert!(ask(&s, &response, Transport::Udp).is_none());

    let formerr = |bytes: &[u8]| {
        let msg = ask_parsed(&s, bytes, Transport::Udp);
        assert_eq!(msg.rcode(), Rcode::FORMERR, "{bytes:02x?}");
        assert!(msg.answer.is_empty());
        msg
    };
    let mut no_question = good.clone();
    no_question[5] = 0;
    assert!(formerr(&no_question).questions.is_empty());
    let mut two_questions = good.clone();
    two_questions[5] = 2;
    two_questions.extend_from_slice(&good[12..]);
    formerr(&two_questions);
    // Compression pointer loop in the question.
    let mut looped = good[..12].to_vec();
    looped.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
    formerr(&looped);
    // Label of 64 octets.
    let mut long_label = good[..12].to_vec();
    long_label.push(64);
    long_label.extend_from_slice(&[b'a'; 64]);
    long_label.extend_from_slice(&[0, 0, 1, 0, 1]);
    formerr(&long_label);
    // Name of 257 octets (four 63-octet labels).
    let mut long_name = good[..12].to_vec();
    for _ in 0..4 {
        long_name.push(63);
        long_name.extend_from_slice(&[b'a'; 63]);
    }
    long_name.extend_from_slice(&[0, 0, 1, 0, 1]);
    formerr(&long_name);
    // Garbage after the question.
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"junk");
    let msg = formerr(&trailing);
    assert_eq!(msg.questions.len(), 1, "a well-formed question is echoed");
    // Truncated question.
    formerr(&good[..good.len() - 2]);
    // Two OPT records.
    let mut two_opts = query(
        0,
        "www.example.test.",
        Rtype::A,
        1,
        Some((1232, 0, false, &[])),
    );
    two_opts[11] = 2;
    two_opts.extend_from_slice(&[0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
    formerr(&two_opts);
    // OPT whose options overrun its RDATA.
    formerr(&query(
        0,
        "www.example.test.",
        Rtype::A,
        1,
        Some((1232, 0, false, &[0, 3, 0, 9])),
    ));
}

#[test]
fn edns_is_echoed_with_our_payload_size_and_do_bit() {
    let s = served(Settings::default());
    let msg = ask_parsed(
        &s,
        &query(
            0,
            "www.example.test.",
            Rtype::A,
            1,
            Some((4096, 0, true, &[0, 99, 0, 1, 7])),
        ),
        Transport::Udp,
    );
    let opt = msg.opt().expect("OPT echoed");
    assert_eq!(opt.class.0, 1232);
    assert_eq!(opt.ttl & 0x8000, 0x8000, "DO copied (RFC 3225)");
    assert!(opt.rdata.is_empty(), "unknown options are not echoed");
    let msg = ask_parsed(
        &s,
        &query(0, "www.example.test.", Rtype::A, 1, None),
        Transport::Udp,
    );
    assert!(msg.opt().is_none(), "no OPT without EDNS in the request");
}

#[test]
fn edns_version_above_zero_is_badvers() {
    let s = served(Settings::default());
    let msg = ask_parsed(
        &s,
        &query(
            0,
            "www.example.test.",
            Rtype::A,
            1,
            Some((1232, 1, false, &[])),
        ),
        Transport::Udp,
    );
    assert_eq!(msg.rcode(), Rcode::BADVERS);
    assert_eq!(
        (msg.opt().unwrap().ttl >> 16) & 0xFF,
        0,
        "we answer with version 0"
    );
    assert!(msg.answer.is_empty());
}

#[test]
fn nsid_is_sent_only_when_asked_and_configured() {
    let settings = Settings {
        nsid: Some(b"ns1".to_vec()),
        ..Settings::default()
    };
    let s = served(settings);
    let msg = ask_parsed(
        &s,
        &query(
            0,
            "www.example.test.",
            Rtype::A,
            1,
            Some((1232, 0, false, &[0, 3, 0, 0])),
        ),
        Transport::Udp,
    );
    assert_eq!(msg.opt().unwrap().rdata, [0, 3, 0, 3, b'n', b's', b'1']);
    let msg = ask_parsed(
        &s,
        &query(
            0,
            "www.example.test.",
            Rtype::A,
            1,
            Some((1232, 0, false, &[])),
        ),
        Transport::Udp,
    );
    assert!(msg.opt().unwrap().rdata.is_empty());
    let quiet = served(Settings::default());
    let msg = ask_parsed(
        &quiet,
        &query(
            0,
            "www.example.test.",
            Rtype::A,
            1,
            Some((1232, 0, false, &[0, 3, 0, 0])),
        ),
        Transport::Udp,
    );
    assert!(msg.opt().unwrap().rdata.is_empty());
}

#[test]
fn client_subnet_is_echoed_with_scope_zero_and_malformed_ones_are_formerr() {
    let s = served(Settings::default());
    let ask_with = |option: &[u8]| {
        ask_parsed(
            &s,
            &query(
                0,
                "www.example.test.",
                Rtype::A,
                1,
                Some((1232, 0, false, option)),
            ),
            Transport::Udp,
        )
    };
    // 192.0.2.0/24 from a resolver: echoed as sent, scope 0 (RFC 7871
    // §7.2.1: the answer is the same for every client).
    let msg = ask_with(&[0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2]);
    assert_eq!(msg.rcode(), Rcode::NOERROR);
    assert_eq!(msg.answer.len(), 1);
    assert_eq!(
        msg.opt().unwrap().rdata,
        [0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2]
    );
    // IPv6 /56 and a /0 (no client information) likewise.
    let v6 = [0, 8, 0, 11, 0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0];
    assert_eq!(ask_with(&v6).opt().unwrap().rdata, v6);
    assert_eq!(
        ask_with(&[0, 8, 0, 4, 0, 1, 0, 0]).opt().unwrap().rdata,
        [0, 8, 0, 4, 0, 1, 0, 0]
    );
    // Malformed (§7.2.1: FORMERR): unknown family, address longer than the
    // prefix, bits past the prefix, a nonzero scope in a query.
    for bad in [
        &[0, 8, 0, 4, 0, 3, 0, 0][..],
        &[0, 8, 0, 8, 0, 1, 8, 0, 192, 0, 2, 0],
        &[0, 8, 0, 5, 0, 1, 4, 0, 0xFF],
        &[0, 8, 0, 7, 0, 1, 24, 16, 192, 0, 2],
    ] {
        let msg = ask_with(bad);
        assert_eq!(msg.rcode(), Rcode::FORMERR, "{bad:?}");
        assert!(msg.opt().is_some(), "the FORMERR carries our OPT: {bad:?}");
        assert!(msg.answer.is_empty());
    }
}

#[test]
fn options_that_do_not_fit_are_left_out_whole() {
    // A long NSID (longer than the configuration allows, to test the
    // guard) with NSID and ECS asked for: no panic, no cut option.
    let s = served(Settings {
        nsid: Some(vec![b'n'; 250]),
        ..Settings::default()
    });
    let msg = ask_parsed(
        &s,
        &query(
            0,
            "www.example.test.",
            Rtype::A,
            1,
            Some((
                1232,
                0,
                false,
                &[0, 3, 0, 0, 0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2],
            )),
        ),
        Transport::Udp,
    );
    assert_eq!(msg.rcode(), Rcode::NOERROR);
    let rdata = &msg.opt().unwrap().rdata;
    assert_eq!(rdata.len(), 254, "NSID whole, ECS left out");
    assert_eq!(&rdata[..4], &[0, 3, 0, 250]);
}

#[test]
fn oversized_answers_are_truncated_over_udp_and_whole_over_tcp() {
    let s = served(Settings::default());
    let q = query(0, "big.example.test.", Rtype::TXT, 1, None);
    let reply = ask(&s, &q, Transport::Udp).unwrap();
    assert!(reply.len() <= 512);
    let msg = Message::parse(&reply).unwrap();
    assert!(msg.header.flag(flags::TC));
    assert!(msg.answer.is_empty(), "no partial RRset (RFC 2181 §9)");
    let msg = ask_parsed(&s, &q, Transport::Tcp);
    assert!(!msg.header.flag(flags::TC));
    assert_eq!(msg.answer.len(), 6);
    // With EDNS and a big enough buffer it fits over UDP.
    let msg = ask_parsed(
        &s,
        &query(
            0,
            "big.example.test.",
            Rtype::TXT,
            1,
            Some((1232, 0, false, &[])),
        ),
        Transport::Udp,
    );
    assert!(!msg.header.flag(flags::TC));
    assert_eq!(msg.answer.len(), 6);
    // A client advertising less than 512 still gets 512 (RFC 6891 §6.2.5).
    let reply = ask(
        &s,
        &query(
            0,
            "big.example.test.",
            Rtype::TXT,
            1,
            Some((100, 0, false, &[])),
        ),
        Transport::Udp,
    )
    .unwrap();
    assert!(reply.len() <= 512 && Message::parse(&reply).unwrap().header.flag(flags::TC));
}

#[test]
fn unknown_opcodes_are_notimp() {
    let s = served(Settings::default());
    for opcode in [1u16, 2, 3, 6, 15] {
        let msg = ask_parsed(
            &s,
            &query(opcode << 11, "www.example.test.", Rtype::SOA, 1, None),
            Transport::Udp,
        );
        assert_eq!(msg.rcode(), Rcode::NOTIMP, "opcode {opcode}");
        assert_eq!(msg.header.opcode().0 as u16, opcode, "opcode echoed");
    }
}

#[test]
fn the_opcode_is_judged_before_the_question_count() {
    // RFC 8906 §8.1.4: an opcode we do not implement is NOTIMP even in a
    // header-only message; RFC 9619's one question is QUERY's rule.
    let s = served(Settings::default());
    let header_only = |opcode: u16| {
        let mut bytes = query(opcode << 11, "www.example.test.", Rtype::SOA, 1, None);
        bytes.truncate(12);
        bytes[5] = 0; // QDCOUNT 0
        ask_parsed(&s, &bytes, Transport::Udp)
    };
    for opcode in [1u16, 2, 3, 6, 7, 15] {
        let msg = header_only(opcode);
        assert_eq!(msg.rcode(), Rcode::NOTIMP, "opcode {opcode}");
        assert_eq!(msg.header.opcode().0 as u16, opcode, "opcode echoed");
        assert!(msg.questions.is_empty());
    }
    // Two questions with an unknown opcode: still NOTIMP.
    let mut two = query(2 << 11, "www.example.test.", Rtype::SOA, 1, None);
    let question = two[12..].to_vec();
    two[5] = 2;
    two.extend_from_slice(&question);
    assert_eq!(ask_parsed(&s, &two, Transport::Tcp).rcode(), Rcode::NOTIMP);
    // QUERY, NOTIFY and UPDATE without a question are malformed: FORMERR.
    for opcode in [0u16, 4, 5] {
        assert_eq!(
            header_only(opcode).rcode(),
            Rcode::FORMERR,
            "opcode {opcode}"
        );
    }
}

#[test]
fn meta_types_and_other_classes() {
    let s = served(Settings::default());
    let rcode = |qtype: Rtype, class: u16, transport: Transport| {
        ask_parsed(
            &s,
            &query(0, "www.example.test.", qtype, class, None),
            transport,
        )
        .rcode()
    };
    assert_eq!(rcode(Rtype::AXFR, 1, Transport::Udp), Rcode::FORMERR);
    assert_eq!(
        rcode(Rtype::AXFR, 1, Transport::Tcp),
        Rcode::NOTAUTH,
        "not an apex we serve"
    );
    assert_eq!(rcode(Rtype::OPT, 1, Transport::Udp), Rcode::FORMERR);
    assert_eq!(rcode(Rtype::TSIG, 1, Transport::Udp), Rcode::FORMERR);
    assert_eq!(rcode(Rtype::MAILA, 1, Transport::Udp), Rcode::NOTIMP);
    assert_eq!(rcode(Rtype::A, 4, Transport::Udp), Rcode::REFUSED);
    assert_eq!(rcode(Rtype::A, 255, Transport::Udp), Rcode::REFUSED);
}

#[test]
fn chaos_identification_follows_the_settings() {
    let hidden = served(Settings::default());
    let msg = ask_parsed(
        &hidden,
        &query(0, "version.bind.", Rtype::TXT, 3, None),
        Transport::Udp,
    );
    assert_eq!(msg.rcode(), Rcode::REFUSED);
    let open = served(Settings {
        version: Some("hadns 1".into()),
        identity: Some("ns1".into()),
        ..Settings::default()
    });
    let msg = ask_parsed(
        &open,
        &query(0, "VERSION.BIND.", Rtype::TXT, 3, None),
        Transport::Udp,
    );
    assert_eq!(msg.rcode(), Rcode::NOERROR);
    assert_eq!(
        msg.answer[0].to_string(),
        "VERSION.BIND. 0 CH TXT \"hadns 1\""
    );
    let msg = ask_parsed(
        &open,
        &query(0, "id.server.", Rtype::TXT, 3, None),
        Transport::Udp,
    );
    assert_eq!(msg.answer[0].rdata, b"\x03ns1");
    let msg = ask_parsed(
        &open,
        &query(0, "authors.bind.", Rtype::TXT, 3, None),
        Transport::Udp,
    );
    assert_eq!(msg.rcode(), Rcode::REFUSED);
}

#[test]
fn ds_at_a_child_apex_is_answered_by_the_parent() {
    let origin: Name = "sub.example.test.".parse().unwrap();
    let child =
        "$ORIGIN sub.example.test.\n$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.7\n";
    let parent_text = format!(
        "{ZONE}\nsub NS ns1.sub\nns1.sub A 192.0.2.7\nsub DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
    );
    let mut s = served(Settings::default());
    let parent_file = zonefile::parse_str(
        &parent_text,
        &"example.test.".parse().unwrap(),
        Path::new("p.zone"),
    )
    .unwrap();
    let parent = Zone::build(
        &"example.test.".parse().unwrap(),
        parent_file.records.into_iter().map(|r| r.record).collect(),
        BuildOptions::default(),
    )
    .unwrap();
    let child_file = zonefile::parse_str(child, &origin, Path::new("c.zone")).unwrap();
    let child = Zone::build(
        &origin,
        child_file.records.into_iter().map(|r| r.record).collect(),
        BuildOptions::default(),
    )
    .unwrap();
    s.catalog.insert(Arc::new(parent));
    s.catalog.insert(Arc::new(child));
    let msg = ask_parsed(
        &s,
        &query(0, "sub.example.test.", Rtype::DS, 1, None),
        Transport::Udp,
    );
    assert_eq!(msg.answer.len(), 1);
    assert_eq!(msg.answer[0].rtype, Rtype::DS);
    // Other types at the child apex come from the child, authoritatively.
    let msg = ask_parsed(
        &s,
        &query(0, "sub.example.test.", Rtype::NS, 1, None),
        Transport::Udp,
    );
    assert!(msg.header.flag(flags::AA));
    assert_eq!(msg.answer.len(), 1);
}

proptest::proptest! {
    /// Nothing received from the network may panic, and every reply parses.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
        let s = served(Settings::default());
        for transport in [Transport::Udp, Transport::Tcp] {
            if let Some(reply) = ask(&s, &bytes, transport) {
                proptest::prop_assert!(reply.len() >= 12);
                proptest::prop_assert!(Message::parse(&reply).is_ok(), "reply does not parse: {:02x?}", reply);
            }
        }
    }

    /// Mutations of a valid query: the same, with more realistic inputs.
    #[test]
    fn mutated_queries_never_panic(position in 0usize..40, value: u8, cut in 0usize..40) {
        let s = served(Settings::default());
        let mut q = query(0x0100, "www.example.test.", Rtype::A, 1, Some((1232, 0, true, &[0, 3, 0, 0])));
        let len = q.len();
        q[position % len] = value;
        q.truncate(len - cut.min(len));
        if let Some(reply) = ask(&s, &q, Transport::Udp) {
            proptest::prop_assert!(Message::parse(&reply).is_ok());
        }
    }
}

mod replication {
    //! NOTIFY in, transfers out, TSIG on requests: the policy side.

    use std::sync::Mutex;

    use wire::tsig::{Algorithm, Key, Keyring};

    use super::*;
    use crate::acl::{MatchList, parse_match_rule};
    use crate::{Replication, ZonePolicy};

    /// Records the NOTIFYs the answer layer accepted.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<(Name, SocketAddr, Option<wire::Serial>)>>);

    impl Replication for Recorder {
        fn notify_received(&self, apex: &Name, from: SocketAddr, serial: Option<wire::Serial>) {
            self.0.lock().unwrap().push((apex.clone(), from, serial));
        }
    }

    fn list(items: &[&str]) -> MatchList {
        let rules: Vec<_> = items.iter().map(|i| parse_match_rule(i).unwrap()).collect();
        MatchList::compile(&rules, &|_| None).unwrap()
    }

    fn key() -> Key {
        Key::new(
            "xfr.".parse().unwrap(),
            Algorithm::HmacSha256,
            b"0123456789abcdef0123456789abcdef".to_vec(),
        )
    }

    /// A server that is secondary for example.test. (primary 127.0.0.1, key
    /// xfr) and lets 127.0.0.0/8 or key xfr transfer it.
    fn secondary() -> (Served, Arc<Recorder>) {
        let mut s = served(Settings::default());
        let recorder = Arc::new(Recorder::default());
        s.keyring = Keyring::from_iter([key()]);
        s.policies.insert(
            "example.test.".parse().unwrap(),
            ZonePolicy {
                allow_transfer: list(&["127.0.0.0/8", "key xfr"]),
                allow_notify: Some(list(&["127.0.0.1"])),
                allow_update: None,
            },
        );
        s.replication = Some(recorder.clone());
        (s, recorder)
    }

    fn notify(qname: &str) -> Vec<u8> {
        query(4 << 11 | 0x0400, qname, Rtype::SOA, 1, None)
    }

    fn ask_from(s: &Served, bytes: &[u8], from: &str, transport: Transport) -> (Outcome, Vec<u8>) {
        let client = Client {
            address: from.parse().unwrap(),
            transport,
            now: NOW,
        };
        let mut out = Vec::new();
        let outcome = respond(s, bytes, &client, &mut Scratch::default(), &mut out);
        (outcome, out)
    }

    #[test]
    fn notify_from_a_primary_is_accepted_and_passed_on() {
        let (s, recorder) = secondary();
        let (outcome, out) = ask_from(
            &s,
            &notify("example.test."),
            "127.0.0.1:5300",
            Transport::Udp,
        );
        assert!(outcome.is_reply());
        let msg = Message::parse(&out).unwrap();
        assert_eq!(msg.rcode(), Rcode::NOERROR);
        assert_eq!(msg.header.opcode(), wire::Opcode::NOTIFY);
        assert!(msg.header.flag(flags::AA) && msg.header.flag(flags::QR));
        let seen = recorder.0.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].2, None, "no SOA in the NOTIFY: no serial hint");
    }

    #[test]
    fn the_soa_serial_a_notify_carries_is_passed_on_as_a_hint() {
        let (s, recorder) = secondary();
        // RFC 1996 §3.7: the NOTIFY's answer section holds the new SOA.
        let mut bytes = notify("example.test.");
        bytes[7] = 1; // ANCOUNT
        bytes.extend_from_slice(&[0xC0, 12]); // owner: the question name
        bytes.extend_from_slice(&Rtype::SOA.0.to_be_bytes());
        bytes.extend_from_slice(&1u16.to_be_bytes());
        bytes.extend_from_slice(&300u32.to_be_bytes());
        let mut rdata = Vec::new();
        rdata.extend_from_slice(Name::from_text("ns.example.test.", None).unwrap().as_wire());
        rdata.extend_from_slice(
            Name::from_text("admin.example.test.", None)
                .unwrap()
                .as_wire(),
        );
        for number in [2024_u32, 3600, 600, 86400, 300] {
            rdata.extend_from_slice(&number.to_be_bytes());
        }
        bytes.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        bytes.extend_from_slice(&rdata);
        let (_, out) = ask_from(&s, &bytes, "127.0.0.1:5300", Transport::Udp);
        assert_eq!(Message::parse(&out).unwrap().rcode(), Rcode::NOERROR);
        let seen = recorder.0.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].2, Some(wire::Serial(2024)));
    }

    #[test]
    fn notify_for_unknown_zone_is_notauth() {
        let (s, recorder) = secondary();
        let (_, out) = ask_from(
            &s,
            &notify("example.org."),
            "127.0.0.1:5300",
            Transport::Udp,
        );
        assert_eq!(Message::parse(&out).unwrap().rcode(), Rcode::NOTAUTH);
        let (_, out) = ask_from(
            &s,
            &notify("www.example.test."),
            "127.0.0.1:5300",
            Transport::Udp,
        );
        assert_eq!(
            Message::parse(&out).unwrap().rcode(),
            Rcode::NOTAUTH,
            "not an apex"
        );
        assert!(recorder.0.lock().unwrap().is_empty());
    }

    #[test]
    fn notify_from_a_stranger_or_to_a_primary_is_refused() {
        let (s, recorder) = secondary();
        let (_, out) = ask_from(
            &s,
            &notify("example.test."),
            "192.0.2.99:5300",
            Transport::Udp,
        );
        assert_eq!(Message::parse(&out).unwrap().rcode(), Rcode::REFUSED);
        let primary = served(Settings::default());
        let (_, out) = ask_from(
            &primary,
            &notify("example.test."),
            "127.0.0.1:5300",
            Transport::Udp,
        );
        assert_eq!(Message::parse(&out).unwrap().rcode(), Rcode::REFUSED);
        assert!(recorder.0.lock().unwrap().is_empty());
    }

    #[test]
    fn transfers_follow_allow_transfer() {
        let (s, _) = secondary();
        let axfr = query(0, "example.test.", Rtype::AXFR, 1, None);
        let (outcome, _) = ask_from(&s, &axfr, "127.0.0.1:5300", Transport::Tcp);
        let Outcome::Transfer(ticket) = outcome else {
            panic!("expected a transfer")
        };
        assert_eq!(
            (ticket.qtype, ticket.client_serial, ticket.id),
            (Rtype::AXFR, None, 0xABCD)
        );
        let (outcome, out) = ask_from(&s, &axfr, "192.0.2.99:5300", Transport::Tcp);
        assert!(outcome.is_reply());
        assert_eq!(Message::parse(&out).unwrap().rcode(), Rcode::REFUSED);
        // No policy at all: refused.
        let (_, out) = ask_from(
            &served(Settings::default()),
            &axfr,
            "127.0.0.1:5300",
            Transport::Tcp,
        );
        assert_eq!(Message::parse(&out).unwrap().rcode(), Rcode::REFUSED);
    }

    /// An IXFR request carrying the client's SOA in the authority section.
    fn ixfr(serial: u32) -> Vec<u8> {
        let mut q = query(0, "example.test.", Rtype::IXFR, 1, None);
        q[9] = 1; // NSCOUNT
        q.extend_from_slice(&[0xC0, 12, 0, 6, 0, 1, 0, 0, 0, 0]);
        let mut rdata = vec![0, 0];
        rdata.extend_from_slice(&serial.to_be_bytes());
        rdata.extend_from_slice(&[0; 16]);
        q.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        q.extend_from_slice(&rdata);
        q
    }

    #[test]
    fn ixfr_carries_the_client_serial_and_over_udp_gets_our_soa() {
        let (s, _) = secondary();
        let (outcome, _) = ask_from(&s, &ixfr(2024010100), "127.0.0.1:5300", Transport::Tcp);
        let Outcome::Transfer(ticket) = outcome else {
            panic!("expected a transfer")
        };
        assert_eq!(ticket.client_serial, Some(wire::Serial(2024010100)));
        let (outcome, out) = ask_from(&s, &ixfr(2024010100), "127.0.0.1:5300", Transport::Udp);
        assert!(outcome.is_reply());
        let msg = Message::parse(&out).unwrap();
        assert_eq!(msg.answer.len(), 1);
        assert_eq!(msg.answer[0].rtype, Rtype::SOA);
        // An IXFR without the client's SOA is malformed.
        let (_, out) = ask_from(
            &s,
            &query(0, "example.test.", Rtype::IXFR, 1, None),
            "127.0.0.1:5300",
            Transport::Tcp,
        );
        assert_eq!(Message::parse(&out).unwrap().rcode(), Rcode::FORMERR);
    }

    #[test]
    fn signed_requests_get_signed_answers_and_key_based_access() {
        let (s, _) = secondary();
        let mut q = query(0, "www.example.test.", Rtype::A, 1, None);
        let mut verifier = wire::tsig::sign_request(&mut q, Arc::new(key()), NOW, 300).unwrap();
        let (outcome, out) = ask_from(&s, &q, "192.0.2.99:5300", Transport::Udp);
        assert!(outcome.is_reply());
        verifier
            .verify(&out, NOW)
            .expect("the answer is signed with the request's key");
        assert_eq!(Message::parse(&out).unwrap().answer.len(), 1);
        // The key opens the transfer ACL from any address.
        let mut axfr = query(0, "example.test.", Rtype::AXFR, 1, None);
        wire::tsig::sign_request(&mut axfr, Arc::new(key()), NOW, 300).unwrap();
        let (outcome, _) = ask_from(&s, &axfr, "192.0.2.99:5300", Transport::Tcp);
        let Outcome::Transfer(ticket) = outcome else {
            panic!("expected a transfer")
        };
        assert!(
            ticket.signer.is_some(),
            "every transfer message will be signed"
        );
    }

    #[test]
    fn bad_tsig_gets_notauth_with_the_tsig_error() {
        let (s, _) = secondary();
        // Unknown key.
        let stranger = Key::new(
            "other.".parse().unwrap(),
            Algorithm::HmacSha256,
            b"secret-secret-secret".to_vec(),
        );
        let mut q = query(0, "www.example.test.", Rtype::A, 1, None);
        wire::tsig::sign_request(&mut q, Arc::new(stranger), NOW, 300).unwrap();
        let (_, out) = ask_from(&s, &q, "127.0.0.1:5300", Transport::Udp);
        let msg = Message::parse(&out).unwrap();
        assert_eq!(msg.rcode(), Rcode::NOTAUTH);
        assert!(msg.answer.is_empty());
        let tsig = wire::tsig::TsigRecord::from_message(&out, msg.tsig_offset.unwrap()).unwrap();
        assert_eq!(tsig.error, Rcode::BADKEY);
        assert!(tsig.mac.is_empty(), "BADKEY answers are unsigned");
        // Right key, wrong time.
        let mut q = query(0, "www.example.test.", Rtype::A, 1, None);
        wire::tsig::sign_request(&mut q, Arc::new(key()), NOW - 1000, 300).unwrap();
        let (_, out) = ask_from(&s, &q, "127.0.0.1:5300", Transport::Udp);
        let msg = Message::parse(&out).unwrap();
        let tsig = wire::tsig::TsigRecord::from_message(&out, msg.tsig_offset.unwrap()).unwrap();
        assert_eq!((msg.rcode(), tsig.error), (Rcode::NOTAUTH, Rcode::BADTIME));
        assert_eq!(tsig.server_time(), Some(NOW));
        // A tampered request.
        let mut q = query(0, "www.example.test.", Rtype::A, 1, None);
        wire::tsig::sign_request(&mut q, Arc::new(key()), NOW, 300).unwrap();
        q[2] ^= 0x01; // flip RD after signing
        let (_, out) = ask_from(&s, &q, "127.0.0.1:5300", Transport::Udp);
        let msg = Message::parse(&out).unwrap();
        let tsig = wire::tsig::TsigRecord::from_message(&out, msg.tsig_offset.unwrap()).unwrap();
        assert_eq!((msg.rcode(), tsig.error), (Rcode::NOTAUTH, Rcode::BADSIG));
    }

    /// What the security log would be told of one request.
    fn refusal_of(s: &Served, bytes: &[u8], from: &str) -> Option<crate::refusal::Refusal> {
        let client = Client {
            address: from.parse().unwrap(),
            transport: Transport::Tcp,
            now: NOW,
        };
        let mut scratch = Scratch::default();
        let _ = respond(s, bytes, &client, &mut scratch, &mut Vec::new());
        scratch.take_refusal()
    }

    #[test]
    fn refusals_for_who_asked_are_recorded_with_zone_key_and_reason() {
        use crate::refusal::{Asked, Reason};
        let (s, _) = secondary();
        let apex: Name = "example.test.".parse().unwrap();
        // An ACL refusal of an address; the zone's list names a key, so an
        // unsigned request is told it lacked one.
        let axfr = query(0, "example.test.", Rtype::AXFR, 1, None);
        let r = refusal_of(&s, &axfr, "192.0.2.99:5300").expect("recorded");
        assert_eq!(
            (r.asked, &r.zone, r.key.as_ref(), r.reason),
            (Asked::Transfer(Rtype::AXFR), &apex, None, Reason::Unsigned)
        );
        // Admitted: nothing recorded; a plain query never records anything.
        assert_eq!(refusal_of(&s, &axfr, "127.0.0.1:5300"), None);
        let www = query(0, "www.example.test.", Rtype::A, 1, None);
        assert_eq!(refusal_of(&s, &www, "192.0.2.99:5300"), None);
        // Failed TSIG on any request names the key and the TSIG error.
        let mut q = query(0, "www.example.test.", Rtype::A, 1, None);
        wire::tsig::sign_request(&mut q, Arc::new(key()), NOW - 1000, 300).unwrap();
        let r = refusal_of(&s, &q, "127.0.0.1:5300").expect("recorded");
        assert_eq!(
            (r.asked, r.key, r.reason),
            (Asked::Query, Some("xfr.".parse().unwrap()), Reason::BadTime)
        );
        let stranger = Key::new(
            "other.".parse().unwrap(),
            Algorithm::HmacSha256,
            b"secret-secret-secret".to_vec(),
        );
        let mut ixfr_signed = ixfr(1);
        wire::tsig::sign_request(&mut ixfr_signed, Arc::new(stranger), NOW, 300).unwrap();
        let r = refusal_of(&s, &ixfr_signed, "127.0.0.1:5300").expect("recorded");
        assert_eq!(
            (r.asked, r.key, r.reason),
            (
                Asked::Transfer(Rtype::IXFR),
                Some("other.".parse().unwrap()),
                Reason::BadKey
            )
        );
        // NOTIFY from a stranger (the list names no key: the ACL), to a
        // zone we are primary for, and for a zone we do not serve.
        let r = refusal_of(&s, &notify("example.test."), "192.0.2.99:5300").expect("recorded");
        assert_eq!((r.asked, r.reason), (Asked::Notify, Reason::Acl));
        let primary = served(Settings::default());
        let r = refusal_of(&primary, &notify("example.test."), "127.0.0.1:5300").expect("recorded");
        assert_eq!(r.reason, Reason::NotTaken);
        let r = refusal_of(&s, &notify("example.org."), "127.0.0.1:5300").expect("recorded");
        assert_eq!(r.reason, Reason::NotAuthoritative);
        // UPDATE to a zone that takes none here.
        let update = query(5 << 11, "example.test.", Rtype::SOA, 1, None);
        let r = refusal_of(&s, &update, "127.0.0.1:5300").expect("recorded");
        assert_eq!((r.asked, r.reason), (Asked::Update, Reason::NotTaken));
    }

    #[test]
    fn a_zone_without_a_usable_copy_is_servfail() {
        let mut s = served(Settings::default());
        s.catalog
            .insert_unavailable(&"example.test.".parse().unwrap());
        let msg = ask_parsed(
            &s,
            &query(0, "www.example.test.", Rtype::A, 1, None),
            Transport::Udp,
        );
        assert_eq!(msg.rcode(), Rcode::SERVFAIL);
    }

    /// `secondary()` with example.test. limited like a catalog zone:
    /// transfers (and so SOA queries) for key xfr, other queries for
    /// 192.0.2.7 only.
    fn limited() -> Served {
        let (mut s, _) = secondary();
        s.policies.insert(
            "example.test.".parse().unwrap(),
            ZonePolicy {
                allow_transfer: list(&["key xfr"]),
                ..ZonePolicy::default()
            },
        );
        s.query_limits.push(crate::QueryLimit {
            apex: "example.test.".parse().unwrap(),
            allow_query: list(&["192.0.2.7"]),
        });
        s
    }

    #[test]
    fn limited_zone_answers_signed_soa_queries_from_transfer_clients() {
        let s = limited();
        for transport in [Transport::Udp, Transport::Tcp] {
            let mut q = query(0, "EXAMPLE.test.", Rtype::SOA, 1, None);
            let mut verifier = wire::tsig::sign_request(&mut q, Arc::new(key()), NOW, 300).unwrap();
            let (_, out) = ask_from(&s, &q, "192.0.2.99:5300", transport);
            verifier
                .verify(&out, NOW)
                .expect("signed with the request's key");
            let msg = Message::parse(&out).unwrap();
            assert_eq!(msg.rcode(), Rcode::NOERROR);
            assert_eq!(msg.answer.len(), 1);
            assert_eq!(msg.answer[0].rtype, Rtype::SOA);
        }
    }

    #[test]
    fn limited_zone_refuses_unsigned_soa_and_other_questions() {
        let s = limited();
        let (_, out) = ask_from(
            &s,
            &query(0, "example.test.", Rtype::SOA, 1, None),
            "192.0.2.99:5300",
            Transport::Udp,
        );
        assert_eq!(Message::parse(&out).unwrap().rcode(), Rcode::REFUSED);
        // The transfer key opens the SOA, not the rest of the zone.
        for (qname, qtype) in [
            ("www.example.test.", Rtype::A),
            ("example.test.", Rtype::NS),
        ] {
            let mut q = query(0, qname, qtype, 1, None);
            let mut verifier = wire::tsig::sign_request(&mut q, Arc::new(key()), NOW, 300).unwrap();
            let (_, out) = ask_from(&s, &q, "192.0.2.99:5300", Transport::Udp);
            verifier
                .verify(&out, NOW)
                .expect("the refusal is signed too");
            assert_eq!(
                Message::parse(&out).unwrap().rcode(),
                Rcode::REFUSED,
                "{qname} {qtype}"
            );
        }
    }

    #[test]
    fn limited_zone_answers_everything_to_allow_query_clients() {
        let s = limited();
        let (_, out) = ask_from(
            &s,
            &query(0, "www.example.test.", Rtype::A, 1, None),
            "192.0.2.7:5300",
            Transport::Udp,
        );
        let msg = Message::parse(&out).unwrap();
        assert_eq!(msg.rcode(), Rcode::NOERROR);
        assert_eq!(msg.answer.len(), 1);
    }
}

mod views {
    //! One node, several views: each request is answered from the view its
    //! source, key or client subnet selects.

    use wire::tsig::{Algorithm, Key, Keyring};

    use super::*;
    use crate::acl::{MatchList, parse_match_rule};
    use crate::view::{View, Views};

    fn list(items: &[&str]) -> MatchList {
        let rules: Vec<_> = items.iter().map(|i| parse_match_rule(i).unwrap()).collect();
        MatchList::compile(&rules, &|_| None).unwrap()
    }

    fn key() -> Key {
        Key::new(
            "inside.".parse().unwrap(),
            Algorithm::HmacSha256,
            b"views-views-views-views-views-32".to_vec(),
        )
    }

    /// example.test. with `www` at `address`.
    fn state(address: &str) -> Served {
        let mut s = served(Settings::default());
        let origin: Name = "example.test.".parse().unwrap();
        let text = ZONE.replace("www A 192.0.2.10", &format!("www A {address}"));
        let file = zonefile::parse_str(&text, &origin, Path::new("v.zone")).unwrap();
        let zone = Zone::build(
            &origin,
            file.records.into_iter().map(|r| r.record).collect(),
            BuildOptions::default(),
        )
        .unwrap();
        s.catalog = Catalog::new();
        s.catalog.insert(Arc::new(zone));
        s.keyring = Keyring::from_iter([key()]);
        s
    }

    fn node() -> (Views, Vec<Arc<Served>>) {
        let views = Views::new(vec![
            View::new("keyed", list(&[]), vec!["inside.".parse().unwrap()], None),
            View::new(
                "a",
                list(&["!10.1.128.0/17", "127.0.0.2", "10.1.0.0/16"]),
                vec![],
                Some(list(&["127.0.0.53"])),
            ),
            View::new("b", list(&["!192.0.2.66", "any"]), vec![], None),
        ]);
        (
            views,
            ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
                .map(|a| Arc::new(state(a)))
                .to_vec(),
        )
    }

    #[test]
    fn transfers_refused_for_want_of_a_view_are_recorded_but_queries_are_not() {
        use crate::refusal::{Asked, Reason};
        let (views, served) = node();
        // 192.0.2.66 is excluded from the last view: no view admits it.
        let client = Client {
            address: "192.0.2.66:5300".parse().unwrap(),
            transport: Transport::Tcp,
            now: NOW,
        };
        let ask = |bytes: &[u8]| {
            let mut scratch = Scratch::default();
            let mut out = Vec::new();
            respond_in_views(&views, &served, bytes, &client, &mut scratch, &mut out);
            assert_eq!(Message::parse(&out).unwrap().rcode(), Rcode::REFUSED);
            scratch.take_refusal()
        };
        let axfr = query(0, "example.test.", Rtype::AXFR, 1, None);
        let refusal = ask(&axfr).expect("recorded");
        assert_eq!(
            (refusal.asked, refusal.reason),
            (Asked::Transfer(Rtype::AXFR), Reason::NoView)
        );
        assert_eq!(ask(&query(0, "www.example.test.", Rtype::A, 1, None)), None);
    }

    /// Asks `www.example.test. A` from `from` with `options` in an OPT.
    fn ask_www(from: &str, options: Option<&[u8]>, sign: bool) -> (Message, usize) {
        let (views, served) = node();
        let mut bytes = query(
            0,
            "www.example.test.",
            Rtype::A,
            1,
            options.map(|o| (1232, 0, false, o)),
        );
        if sign {
            wire::tsig::sign_request(&mut bytes, Arc::new(key()), NOW, 300).unwrap();
        }
        let client = Client {
            address: format!("{from}:5300").parse().unwrap(),
            transport: Transport::Udp,
            now: NOW,
        };
        let mut out = Vec::new();
        let (outcome, index) = respond_in_views(
            &views,
            &served,
            &bytes,
            &client,
            &mut Scratch::default(),
            &mut out,
        );
        assert!(matches!(outcome, Outcome::Reply));
        (Message::parse(&out).unwrap(), index)
    }

    fn address(message: &Message) -> Vec<u8> {
        message
            .answer
            .first()
            .map(|r| r.rdata.clone())
            .unwrap_or_default()
    }

    #[test]
    fn each_client_gets_its_views_answer() {
        let (a, index) = ask_www("127.0.0.2", None, false);
        assert_eq!((address(&a), index), (vec![10, 0, 0, 2], 1));
        let (b, index) = ask_www("127.0.0.3", None, false);
        assert_eq!((address(&b), index), (vec![10, 0, 0, 3], 2));
        // A signed request selects the keyed view, whatever its source, and
        // the answer is signed.
        let (keyed, index) = ask_www("127.0.0.3", None, true);
        assert_eq!((address(&keyed), index), (vec![10, 0, 0, 1], 0));
        assert!(
            keyed.additional.iter().any(|r| r.rtype == Rtype::TSIG),
            "the reply is signed"
        );
        // No view admits 192.0.2.66: REFUSED.
        let (refused, _) = ask_www("192.0.2.66", None, false);
        assert_eq!(refused.rcode(), Rcode::REFUSED);
        assert!(refused.answer.is_empty());
    }

    #[test]
    fn a_trusted_resolvers_client_subnet_selects_and_sets_the_scope() {
        // 10.1.2.0/24 from the trusted resolver 127.0.0.53: view a, and the
        // scope is the /17 consulted on the way.
        let ecs = [0, 8, 0, 7, 0, 1, 24, 0, 10, 1, 2];
        let (m, index) = ask_www("127.0.0.53", Some(&ecs), false);
        assert_eq!((address(&m), index), (vec![10, 0, 0, 2], 1));
        assert_eq!(m.opt().unwrap().rdata, [0, 8, 0, 7, 0, 1, 24, 17, 10, 1, 2]);
        // 10.1.200.0/24: excluded from a by the /17; b answers, scope 17.
        let ecs = [0, 8, 0, 7, 0, 1, 24, 0, 10, 1, 200];
        let (m, index) = ask_www("127.0.0.53", Some(&ecs), false);
        assert_eq!((address(&m), index), (vec![10, 0, 0, 3], 2));
        assert_eq!(
            m.opt().unwrap().rdata,
            [0, 8, 0, 7, 0, 1, 24, 17, 10, 1, 200]
        );
        // The same option from an untrusted source is not believed: its own
        // address decides, and the scope is 0.
        let ecs = [0, 8, 0, 7, 0, 1, 24, 0, 10, 1, 2];
        let (m, index) = ask_www("127.0.0.3", Some(&ecs), false);
        assert_eq!((address(&m), index), (vec![10, 0, 0, 3], 2));
        assert_eq!(m.opt().unwrap().rdata, [0, 8, 0, 7, 0, 1, 24, 0, 10, 1, 2]);
    }
}
