//! AXFR and IXFR out, read back in: the two halves must agree, and the
//! reader must refuse what does not follow the rules.

use std::path::Path;

use wire::{Message, Name, Rtype, Serial};
use zone::{BuildOptions, Zone};

use crate::Diff;
use crate::diff::{self, RecordSet};
use crate::xfr_in::{Incoming, Received, Request, TransferError};
use crate::xfr_out::{self, MessageFrame, Plan};

fn zone(text: &str) -> Zone {
    let origin: Name = "example.".parse().unwrap();
    let file = zonefile::parse_str(text, &origin, Path::new("t.zone")).unwrap();
    Zone::build(
        &origin,
        file.records.into_iter().map(|r| r.record).collect(),
        BuildOptions { precompile: false },
    )
    .unwrap()
}

fn version(serial: u32, extra: &str) -> Zone {
    zone(&format!(
        "$ORIGIN example.\n$TTL 60\n@ SOA ns h {serial} 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n{extra}"
    ))
}

fn big_zone(serial: u32, names: usize) -> Zone {
    let mut extra = String::new();
    for i in 0..names {
        extra.push_str(&format!(
            "host{i} A 198.18.{}.{}\nhost{i} TXT \"some text to make the records longer {i}\"\n",
            i / 256 % 256,
            i % 256
        ));
    }
    version(serial, &extra)
}

fn question(qtype: Rtype) -> Vec<u8> {
    let mut q = "example.".parse::<Name>().unwrap().as_wire().to_vec();
    q.extend_from_slice(&qtype.0.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    q
}

/// Streams `plan` and returns the messages.
fn messages(zone: &Zone, plan: &Plan, qtype: Rtype) -> Vec<Vec<u8>> {
    let q = question(qtype);
    let mut out = Vec::new();
    xfr_out::stream(
        zone,
        plan,
        MessageFrame {
            id: 99,
            question: &q,
        },
        |m| {
            out.push(m.clone());
            true
        },
    )
    .unwrap();
    out
}

fn read(messages: &[Vec<u8>], request: Request) -> Result<Received, TransferError> {
    let mut incoming = Incoming::new(&"example.".parse().unwrap(), request);
    for (i, m) in messages.iter().enumerate() {
        let parsed = Message::parse(m).unwrap();
        if let Some(done) = incoming.feed(&parsed)? {
            assert_eq!(i + 1, messages.len(), "complete before the last message");
            return Ok(done);
        }
    }
    panic!("transfer did not complete");
}

#[test]
fn axfr_round_trips_across_many_messages() {
    let z = big_zone(7, 3000);
    let out = messages(&z, &Plan::Full, Rtype::AXFR);
    assert!(out.len() > 2, "a big zone spans several messages");
    assert!(
        out.iter()
            .all(|m| m.len() <= xfr_out::MAX_MESSAGE - xfr_out::TSIG_RESERVE)
    );
    // Question in the first message only.
    assert_eq!(Message::parse(&out[0]).unwrap().questions.len(), 1);
    assert_eq!(Message::parse(&out[1]).unwrap().questions.len(), 0);
    let Received::Full { serial, records } = read(&out, Request::Axfr).unwrap() else {
        panic!("expected a full zone")
    };
    assert_eq!(serial, Serial(7));
    let rebuilt = Zone::build(
        &"example.".parse().unwrap(),
        records,
        BuildOptions { precompile: false },
    )
    .unwrap();
    assert!(diff::between(&z, &rebuilt).is_empty());
}

#[test]
fn ixfr_round_trips_a_chain_of_differences() {
    let v1 = version(1, "a A 192.0.2.10\n");
    let v2 = version(2, "a A 192.0.2.11\nb A 192.0.2.12\n");
    let v3 = version(3, "b A 192.0.2.12\nc TXT three\n");
    let d12 = diff::between(&v1, &v2);
    let d23 = diff::between(&v2, &v3);
    let diffs = vec![
        Diff::new(Serial(1), Serial(2), d12.removed, d12.added),
        Diff::new(Serial(2), Serial(3), d23.removed, d23.added),
    ];
    let plan = xfr_out::plan(&v3, Some(Serial(1)), |from| {
        assert_eq!(from, Serial(1));
        Some(diffs.clone())
    });
    assert!(matches!(plan, Plan::Incremental(_)));
    let out = messages(&v3, &plan, Rtype::IXFR);
    let Received::Incremental(got) = read(&out, Request::Ixfr(Serial(1))).unwrap() else {
        panic!("expected IXFR")
    };
    assert_eq!(got.len(), 2);
    let mut set = RecordSet::from_records(v1.canonical_records());
    for d in &got {
        set.apply(&d.removed, &d.added).unwrap();
    }
    let rebuilt = Zone::build(
        &"example.".parse().unwrap(),
        set.into_records(),
        BuildOptions { precompile: false },
    )
    .unwrap();
    assert!(diff::between(&rebuilt, &v3).is_empty());
}

#[test]
fn ixfr_falls_back_to_a_full_zone_and_up_to_date_is_one_soa() {
    let v3 = version(3, "b A 192.0.2.12\n");
    // The journal does not reach back: answered AXFR-style, read as Full.
    let plan = xfr_out::plan(&v3, Some(Serial(1)), |_| None);
    assert!(matches!(plan, Plan::Full));
    let out = messages(&v3, &plan, Rtype::IXFR);
    assert!(matches!(
        read(&out, Request::Ixfr(Serial(1))).unwrap(),
        Received::Full {
            serial: Serial(3),
            ..
        }
    ));
    // The client has our serial (or newer).
    for client in [3, 4] {
        let plan = xfr_out::plan(&v3, Some(Serial(client)), |_| panic!("no history needed"));
        assert!(matches!(plan, Plan::UpToDate));
        let out = messages(&v3, &plan, Rtype::IXFR);
        assert_eq!(Message::parse(&out[0]).unwrap().answer.len(), 1);
        assert!(matches!(
            read(&out, Request::Ixfr(Serial(client))).unwrap(),
            Received::UpToDate(Serial(3))
        ));
    }
}

#[test]
fn a_lone_newer_soa_is_not_taken_for_success() {
    let v3 = version(3, "");
    let out = messages(&v3, &Plan::UpToDate, Rtype::IXFR);
    assert_eq!(
        read(&out, Request::Ixfr(Serial(1))).unwrap_err(),
        TransferError::SoaOnly(Serial(3))
    );
}

#[test]
fn malformed_transfers_are_refused() {
    let v3 = big_zone(3, 50);
    let out = messages(&v3, &Plan::Full, Rtype::AXFR);
    assert_eq!(out.len(), 1);
    let full = Message::parse(&out[0]).unwrap();

    // Records after the closing SOA.
    let mut trailing = full.clone();
    trailing.answer.push(trailing.answer[1].clone());
    let mut incoming = Incoming::new(&"example.".parse().unwrap(), Request::Axfr);
    assert_eq!(
        incoming.feed(&trailing).unwrap_err(),
        TransferError::TrailingRecords
    );

    // Not starting with the SOA.
    let mut headless = full.clone();
    headless.answer.remove(0);
    let mut incoming = Incoming::new(&"example.".parse().unwrap(), Request::Axfr);
    assert_eq!(
        incoming.feed(&headless).unwrap_err(),
        TransferError::NoLeadingSoa
    );

    // A REFUSED answer.
    let mut refused = full.clone();
    refused.header.set_rcode(wire::Rcode::REFUSED);
    let mut incoming = Incoming::new(&"example.".parse().unwrap(), Request::Axfr);
    assert_eq!(
        incoming.feed(&refused).unwrap_err(),
        TransferError::Refused(wire::Rcode::REFUSED)
    );

    // An IXFR whose differences do not chain.
    let v1 = version(1, "a A 192.0.2.10\n");
    let v2 = version(2, "a A 192.0.2.11\n");
    let v4 = version(4, "a A 192.0.2.11\n");
    let d12 = diff::between(&v1, &v2);
    let gap = vec![
        Diff::new(Serial(1), Serial(2), d12.removed.clone(), d12.added.clone()),
        {
            let d = diff::between(&v3, &v4);
            Diff::new(Serial(3), Serial(4), d.removed, d.added)
        },
    ];
    let out = messages(&v4, &Plan::Incremental(gap), Rtype::IXFR);
    assert!(matches!(
        read(&out, Request::Ixfr(Serial(1))),
        Err(TransferError::BrokenChain { .. })
    ));
}

#[test]
fn abandoned_streams_stop() {
    let z = big_zone(1, 3000);
    let q = question(Rtype::AXFR);
    let mut sent = 0;
    let result = xfr_out::stream(
        &z,
        &Plan::Full,
        MessageFrame {
            id: 1,
            question: &q,
        },
        |_| {
            sent += 1;
            sent < 2
        },
    );
    assert_eq!(result, Err(xfr_out::StreamError::Abandoned));
    assert_eq!(sent, 2);
}
