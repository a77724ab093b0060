//! Answers into problems, problems into the line keepalived logs.

use api::health::ZoneHealth;
use wire::writer::Writer;

use super::*;

fn name(text: &str) -> Name {
    Name::from_text(text, Some(&Name::root())).unwrap()
}

/// An answer to `qname`/`qtype` with `rcode`, AA when `aa`, and `answers`
/// ((owner, type, RDATA)) in the answer section.
fn reply(
    qname: &str,
    qtype: Rtype,
    rcode: Rcode,
    aa: bool,
    answers: &[(&str, Rtype, Vec<u8>)],
) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut writer = Writer::new(&mut buf, 65535);
    writer
        .question(name(qname).as_wire(), qtype, wire::Class::IN, true)
        .unwrap();
    for (owner, rtype, rdata) in answers {
        writer
            .record(
                wire::writer::Owner::Name(name(owner).as_wire()),
                *rtype,
                wire::Class::IN,
                300,
                rdata,
            )
            .unwrap();
    }
    let mut bits = flags::QR | rcode.header_bits() as u16;
    if aa {
        bits |= flags::AA;
    }
    writer.finish(7, bits);
    buf
}

fn soa_rdata(serial: u32) -> Vec<u8> {
    let mut rdata = name("ns1.example.com.").as_wire().to_vec();
    rdata.extend_from_slice(name("hostmaster.example.com.").as_wire());
    for n in [serial, 3600, 600, 86400, 300] {
        rdata.extend_from_slice(&n.to_be_bytes());
    }
    rdata
}

#[test]
fn an_authoritative_soa_answer_gives_the_serial() {
    let zone = name("example.com.");
    let bytes = reply(
        "example.com.",
        Rtype::SOA,
        Rcode::NOERROR,
        true,
        &[("example.com.", Rtype::SOA, soa_rdata(42))],
    );
    assert_eq!(judge_soa(&zone, Transport::Udp, &bytes), Ok(Serial(42)));
}

#[test]
fn soa_answers_that_are_not_healthy_say_why() {
    let zone = name("example.com.");
    let servfail = reply("example.com.", Rtype::SOA, Rcode::SERVFAIL, false, &[]);
    let problem = judge_soa(&zone, Transport::Udp, &servfail).unwrap_err();
    assert_eq!(
        problem.to_string(),
        "zone example.com. answered SERVFAIL over UDP (expired or not loaded)"
    );
    let refused = reply("example.com.", Rtype::SOA, Rcode::REFUSED, false, &[]);
    assert!(
        judge_soa(&zone, Transport::Tcp, &refused)
            .unwrap_err()
            .to_string()
            .ends_with("REFUSED over TCP (not served here)")
    );
    let no_aa = reply(
        "example.com.",
        Rtype::SOA,
        Rcode::NOERROR,
        false,
        &[("example.com.", Rtype::SOA, soa_rdata(1))],
    );
    assert!(matches!(
        judge_soa(&zone, Transport::Udp, &no_aa),
        Err(Problem::NotAuthoritative { .. })
    ));
    // An SOA of another owner (a parent's, in a referral's place) is not it.
    let other = reply(
        "example.com.",
        Rtype::SOA,
        Rcode::NOERROR,
        true,
        &[("com.", Rtype::SOA, soa_rdata(1))],
    );
    assert!(matches!(
        judge_soa(&zone, Transport::Udp, &other),
        Err(Problem::NoSoa { .. })
    ));
}

#[test]
fn garbage_from_the_network_is_a_problem_never_a_panic() {
    let zone = name("example.com.");
    let good = reply(
        "example.com.",
        Rtype::SOA,
        Rcode::NOERROR,
        true,
        &[("example.com.", Rtype::SOA, soa_rdata(42))],
    );
    let canary = Canary {
        name: name("www.example.com."),
        rtype: Rtype::A,
        expect: Some((vec![192, 0, 2, 1], "192.0.2.1".into())),
    };
    // Every prefix, and every single octet changed to every value.
    for cut in 0..good.len() {
        let _ = judge_soa(&zone, Transport::Udp, &good[..cut]);
        let _ = judge_canary(&canary, Transport::Udp, &good[..cut]);
    }
    for at in 0..good.len() {
        for value in [0u8, 0x3f, 0xc0, 0xff] {
            let mut bent = good.clone();
            bent[at] = value;
            let _ = judge_soa(&zone, Transport::Udp, &bent);
            let _ = judge_canary(&canary, Transport::Udp, &bent);
        }
    }
    assert!(matches!(
        judge_soa(&zone, Transport::Udp, b"\x00\x07"),
        Err(Problem::Malformed { .. })
    ));
}

#[test]
fn serial_lag_follows_rfc_1982() {
    assert_eq!(serial_lag(Serial(5), Serial(8)), Some(3));
    assert_eq!(serial_lag(Serial(8), Serial(8)), Some(0));
    assert_eq!(
        serial_lag(Serial(9), Serial(8)),
        Some(0),
        "ahead of the primary"
    );
    assert_eq!(
        serial_lag(Serial(u32::MAX - 1), Serial(2)),
        Some(4),
        "across the wrap"
    );
    assert_eq!(
        serial_lag(Serial(0), Serial(0x8000_0000)),
        None,
        "undefined"
    );
    let zone = name("example.com.");
    assert_eq!(judge_lag(&zone, Serial(5), Serial(6), 1), Ok(1));
    let problem = judge_lag(&zone, Serial(5), Serial(8), 1).unwrap_err();
    assert_eq!(
        problem.to_string(),
        "zone example.com. serial 5 is 3 behind the primary's 8 (max lag 1)"
    );
    assert!(matches!(
        judge_lag(&zone, Serial(0), Serial(0x8000_0000), 5),
        Err(Problem::IncomparableSerials { .. })
    ));
}

#[test]
fn a_primary_that_refuses_is_told_to_need_a_key() {
    let zone = name("example.com.");
    let refused = Message::parse(&reply(
        "example.com.",
        Rtype::SOA,
        Rcode::REFUSED,
        false,
        &[],
    ))
    .unwrap();
    let why = primary_serial(&zone, &refused).unwrap_err();
    assert!(why.contains("REFUSED") && why.contains("--key"), "{why}");
}

fn entry(zone: &str, view: Option<&str>, state: ZoneState, behind: Option<u64>) -> ZoneHealth {
    ZoneHealth {
        zone: zone.into(),
        view: view.map(Into::into),
        role: "secondary".into(),
        state,
        serial: Some(5),
        primary_serial: behind.map(|_| 8),
        behind_seconds: behind,
        last_check: None,
        expires_at: None,
        last_error: None,
    }
}

fn health(zones: Vec<ZoneHealth>) -> Health {
    Health {
        node: "ns2".into(),
        time: 0,
        status: Health::status_of(&zones).into(),
        zones,
    }
}

#[test]
fn health_fails_zones_not_served_or_behind_too_long() {
    let h = health(vec![
        entry("a.test.", None, ZoneState::Ok, None),
        entry("B.Test.", None, ZoneState::Behind, Some(5)),
        entry("c.test.", None, ZoneState::Expired, None),
        entry("d.test.", Some("inside"), ZoneState::NotLoaded, None),
        entry("e.test.", None, ZoneState::Behind, Some(1)),
    ]);
    assert_eq!(
        zones_in(&h).unwrap(),
        ["a.test.", "b.test.", "c.test.", "d.test.", "e.test."].map(name)
    );
    let max = Some(Duration::from_secs(1));
    let (problems, longest) = judge_health(&h, &[name("a.test."), name("e.test.")], max);
    assert!(
        problems.is_empty(),
        "behind exactly the limit passes: {problems:?}"
    );
    assert_eq!(longest, Some(1));
    let (_, longest) = judge_health(&h, &[name("a.test.")], max);
    assert_eq!(longest, None, "not behind at all");
    let (problems, longest) = judge_health(&h, &[name("b.test.")], max);
    assert_eq!(longest, Some(5));
    assert_eq!(
        problems[0].to_string(),
        "zone b.test. has been behind its primary for 5 s (serial 5, the primary has 8; max 1 s)"
    );
    let (problems, _) = judge_health(&h, &[name("b.test.")], None);
    assert!(
        problems.is_empty(),
        "without --max-behind, behind is served"
    );
    let (problems, _) = judge_health(
        &h,
        &[name("c.test."), name("d.test."), name("z.test.")],
        None,
    );
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "zone c.test. is expired (the node's /health)",
            "zone d.test. is not loaded in view inside (the node's /health)",
            "zone z.test. is not in the node's /health (not loaded)",
        ]
    );
}

#[test]
fn the_canary_matches_its_value_names_without_case() {
    let canary = Canary {
        name: name("www.example.com."),
        rtype: Rtype::A,
        expect: Some((vec![192, 0, 2, 1], "192.0.2.1".into())),
    };
    let two = reply(
        "www.example.com.",
        Rtype::A,
        Rcode::NOERROR,
        true,
        &[
            ("www.example.com.", Rtype::A, vec![192, 0, 2, 9]),
            ("www.example.com.", Rtype::A, vec![192, 0, 2, 1]),
        ],
    );
    assert_eq!(
        judge_canary(&canary, Transport::Udp, &two).unwrap(),
        "www.example.com. A 192.0.2.1"
    );
    let wrong = reply(
        "www.example.com.",
        Rtype::A,
        Rcode::NOERROR,
        true,
        &[("www.example.com.", Rtype::A, vec![192, 0, 2, 9])],
    );
    assert_eq!(
        judge_canary(&canary, Transport::Udp, &wrong)
            .unwrap_err()
            .to_string(),
        "canary www.example.com. A is 192.0.2.9, expected 192.0.2.1"
    );
    let nx = reply("www.example.com.", Rtype::A, Rcode::NXDOMAIN, true, &[]);
    assert!(matches!(
        judge_canary(&canary, Transport::Udp, &nx),
        Err(Problem::CanaryRcode { .. })
    ));
    let empty = reply("www.example.com.", Rtype::A, Rcode::NOERROR, true, &[]);
    assert!(matches!(
        judge_canary(&canary, Transport::Udp, &empty),
        Err(Problem::CanaryMissing { .. })
    ));
    let mx = |text: &str| {
        let mut rdata = vec![0, 10];
        rdata.extend_from_slice(name(text).as_wire());
        rdata
    };
    assert!(same_rdata(
        Rtype::MX,
        &mx("Mail.Example.COM."),
        &mx("mail.example.com.")
    ));
    assert!(!same_rdata(
        Rtype::MX,
        &mx("mail.example.com."),
        &mx("mail.example.net.")
    ));
    let (mut a, b) = (mx("mail.example.com."), mx("mail.example.com."));
    a[1] = b'A'; // a preference of 65 is not 97, whatever ASCII says
    let mut c = b.clone();
    c[1] = b'a';
    assert!(!same_rdata(Rtype::MX, &a, &c));
    assert!(
        !same_rdata(Rtype::TXT, b"\x05Hello", b"\x05hello"),
        "TXT keeps its case"
    );
    assert!(
        !same_rdata(Rtype::MX, &[0, 10, 200], &[0, 10, 201]),
        "a broken name"
    );
}

#[test]
fn the_line_says_ok_with_facts_or_unhealthy_with_the_first_problem() {
    let mut report = Report {
        zones_loaded: 3,
        transports: vec![Transport::Udp],
        largest_lag: Some(0),
        ..Report::default()
    };
    assert_eq!(report.line(), "ok: 3 zones loaded, serial lag ≤ 0");
    assert_eq!(report.exit_code(), 0);
    report.transports.push(Transport::Tcp);
    report.behind_checked = true;
    report.canary = Some("www.example.com. A 192.0.2.1".into());
    report
        .notes
        .push("serial lag not checked: no answer from the primary for x. (192.0.2.1:53)".into());
    assert_eq!(
        report.line(),
        "ok: 3 zones loaded over UDP and TCP, serial lag ≤ 0, none behind, canary www.example.com. A 192.0.2.1; serial lag not checked: no answer from the primary for x. (192.0.2.1:53)"
    );
    report.problems.push(Problem::NotInHealth {
        zone: name("a.test."),
    });
    report.problems.push(Problem::NotInHealth {
        zone: name("b.test."),
    });
    assert_eq!(
        report.line(),
        "unhealthy: zone a.test. is not in the node's /health (not loaded) (and 1 more problem)"
    );
    assert_eq!(report.exit_code(), 1);
    let empty = Report {
        problems: vec![Problem::NoZones {
            url: "http://127.0.0.1:8054/health".into(),
        }],
        ..Report::default()
    };
    assert_eq!(
        empty.line(),
        "unhealthy: the node's health at http://127.0.0.1:8054/health lists no zone (--all-zones)"
    );
    let just_behind = Report {
        zones_loaded: 1,
        transports: vec![Transport::Udp],
        behind_checked: true,
        longest_behind: Some(0),
        ..Report::default()
    };
    assert_eq!(
        just_behind.line(),
        "ok: 1 zone loaded, behind ≤ 0 s",
        "behind, if only just"
    );
    let single = Report {
        zones_loaded: 1,
        transports: vec![Transport::Udp],
        ..Report::default()
    };
    assert_eq!(single.line(), "ok: 1 zone loaded");
}
