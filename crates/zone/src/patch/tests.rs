//! A patched version must answer exactly as a fresh build of the same
//! records: checked over random zones and random change sequences that
//! make and unmake empty non-terminals, wildcards, zone cuts, DNAMEs and
//! CNAMEs, for every name and type of a small universe, with and without
//! DNSSEC records.

use std::collections::BTreeSet;

use proptest::prelude::*;
use wire::writer::Writer;
use wire::{Class, Name, Record, Rtype};

use crate::{BuildOptions, PatchError, QueryOptions, Resolution, Transport, Zone};

/// Relative owners the records are drawn from ("" is the apex).
const OWNERS: &[&str] = &[
    "", "a", "b.a", "c.b.a", "*", "x.*", "*.a", "d", "e.d", "ns.d", "f.e.d", "g",
];

/// Names queried besides [`OWNERS`]: non-existent ones, below wildcards,
/// below cuts and DNAMEs.
const EXTRA: &[&str] = &[
    "zz", "q.b.a", "y.x.*", "m.a", "k.d", "k.e.d", "w.g", "h.c.b.a",
];

const TYPES: &[Rtype] = &[
    Rtype::A,
    Rtype::NS,
    Rtype::CNAME,
    Rtype::DNAME,
    Rtype::MX,
    Rtype::TXT,
    Rtype::NSEC,
    Rtype::DS,
    Rtype::ANY,
    Rtype::SOA,
    Rtype::AAAA,
];

fn name(rel: &str) -> Name {
    if rel.is_empty() {
        "example.".parse().unwrap()
    } else {
        format!("{rel}.example.").parse().unwrap()
    }
}

/// One record of the universe: `which` picks owner, type and value.
fn record(which: usize) -> Record {
    let owner = name(OWNERS[which % OWNERS.len()]);
    let kind = (which / OWNERS.len()) % 9;
    let (rtype, rdata) = match kind {
        0 => (Rtype::A, vec![192, 0, 2, 1]),
        1 => (Rtype::A, vec![192, 0, 2, 2]),
        2 => (Rtype::NS, name("ns.d").as_wire().to_vec()),
        3 => (Rtype::CNAME, name("a").as_wire().to_vec()),
        4 => (Rtype::DNAME, name("g").as_wire().to_vec()),
        5 => {
            let mut mx = vec![0, 10];
            mx.extend_from_slice(name("b.a").as_wire());
            (Rtype::MX, mx)
        }
        6 => (Rtype::TXT, b"\x02hi".to_vec()),
        7 => {
            let mut nsec = name("g").as_wire().to_vec();
            nsec.extend_from_slice(&[0, 1, 0x40]);
            (Rtype::NSEC, nsec)
        }
        _ => {
            // An RRSIG covering A: makes the zone signed.
            let mut sig = vec![0, 1, 8, 2, 0, 0, 0, 60];
            sig.extend_from_slice(&[0; 10]);
            sig.extend_from_slice(name("").as_wire());
            sig.extend_from_slice(&[1, 2, 3]);
            (Rtype::RRSIG, sig)
        }
    };
    Record {
        owner,
        rtype,
        class: Class::IN,
        ttl: 60 + rtype.0 as u32,
        rdata,
    }
}

const UNIVERSE: usize = 12 * 9;

fn soa(serial: u32) -> Record {
    let mut rdata = name("ns.d").as_wire().to_vec();
    rdata.extend_from_slice(name("").as_wire());
    for n in [serial, 7200, 3600, 1_209_600, 300] {
        rdata.extend_from_slice(&n.to_be_bytes());
    }
    Record {
        owner: name(""),
        rtype: Rtype::SOA,
        class: Class::IN,
        ttl: 3600,
        rdata,
    }
}

fn build(records: &BTreeSet<usize>, serial: u32) -> Zone {
    let mut all: Vec<Record> = records.iter().map(|&i| record(i)).collect();
    all.push(soa(serial));
    Zone::build(&name(""), all, BuildOptions::default()).unwrap()
}

/// Every answer of the small universe, in wire form.
fn answers(zone: &Zone) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut resolution = Resolution::default();
    for rel in OWNERS.iter().chain(EXTRA) {
        let qname = name(rel).as_wire().to_vec();
        for &qtype in TYPES {
            for (dnssec_ok, transport) in [
                (false, Transport::Udp),
                (true, Transport::Tcp),
                (false, Transport::Tcp),
            ] {
                let options = QueryOptions {
                    dnssec_ok,
                    transport,
                };
                zone.resolve(&qname, qtype, options, &mut resolution);
                let mut buf = Vec::new();
                let mut writer = Writer::new(&mut buf, 65535);
                writer.question(&qname, qtype, Class::IN, true).unwrap();
                zone.encode(&resolution, &mut writer).unwrap();
                writer.finish(1, 0x8000 | resolution.rcode.0);
                out.push(buf);
            }
        }
    }
    out
}

fn listing(zone: &Zone) -> Vec<(Vec<u8>, Rtype, u32, Vec<u8>)> {
    zone.canonical_records()
        .map(|r| (r.owner.as_wire().to_vec(), r.rtype, r.ttl, r.rdata))
        .collect()
}

/// The patched version and a fresh build agree on everything observable.
fn assert_same(patched: &Zone, built: &Zone) {
    assert_eq!(listing(patched), listing(built), "records differ");
    assert_eq!(
        patched.records().map(|r| r.rtype).next(),
        Some(Rtype::SOA),
        "records() starts with the SOA"
    );
    assert_eq!(patched.record_count(), built.record_count());
    assert_eq!(patched.node_count(), built.node_count());
    assert_eq!(patched.serial(), built.serial());
    assert_eq!(patched.soa_fields(), built.soa_fields());
    assert_eq!(patched.is_signed(), built.is_signed());
    let (a, b) = (answers(patched), answers(built));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let rel = OWNERS.iter().chain(EXTRA).nth(i / (TYPES.len() * 3));
        let qtype = TYPES[(i / 3) % TYPES.len()];
        assert_eq!(
            x,
            y,
            "answer to {rel:?} {qtype} (variant {}) differs",
            i % 3
        );
    }
}

/// One change: records to remove (indexes into what the zone holds) and
/// to add (indexes into the universe), and whether the serial moves.
type Step = (Vec<usize>, Vec<usize>, bool);

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (
            prop::collection::vec(0..64usize, 0..4),
            prop::collection::vec(0..UNIVERSE, 0..4),
            any::<bool>(),
        ),
        1..7,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn a_patched_version_answers_as_a_fresh_build(
        initial in prop::collection::btree_set(0..UNIVERSE, 0..30),
        steps in steps(),
    ) {
        let mut held = initial.clone();
        let mut serial = 1;
        let mut zone = build(&held, serial);
        let mut versions = vec![];
        for (removes, adds, bump) in steps {
            let list: Vec<usize> = held.iter().copied().collect();
            let mut removed: Vec<Record> = Vec::new();
            let mut added: Vec<Record> = Vec::new();
            for i in removes {
                if let Some(&which) = list.get(i % list.len().max(1))
                    && held.remove(&which)
                {
                    removed.push(record(which));
                }
            }
            for which in adds {
                if held.insert(which) {
                    added.push(record(which));
                }
            }
            if bump {
                removed.push(soa(serial));
                serial += 1;
                added.push(soa(serial));
            }
            // Owners in any case must land on the same names.
            for r in &mut added {
                r.owner = r.owner.to_string().to_uppercase().parse().unwrap();
            }
            zone = zone.apply(&removed, &added).unwrap();
            let built = build(&held, serial);
            assert_same(&zone, &built);
            versions.push((zone.apply(&[], &[]).unwrap(), held.clone(), serial));
        }
        // A background compaction of an earlier version, with the later
        // changes laid over it again, is the latest version still.
        let (source, _, _) = &versions[0];
        let compacted = source.compacted().unwrap();
        prop_assert!(!compacted.is_patched());
        let rebased = zone.rebased(source, compacted).unwrap();
        assert_same(&rebased, &build(&held, serial));
        let (last, last_held, last_serial) = versions.last().unwrap();
        let whole = last.compacted().unwrap();
        whole.compile();
        assert_same(&whole, &build(last_held, *last_serial));
    }
}

#[test]
fn removing_a_record_the_zone_lacks_is_refused() {
    let zone = build(&BTreeSet::from([0]), 1);
    let err = zone.apply(&[record(1)], &[]).err();
    assert!(
        matches!(
            err,
            Some(PatchError::Missing {
                rtype: Rtype::A,
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn records_outside_the_zone_or_without_one_soa_are_refused() {
    let zone = build(&BTreeSet::from([0]), 1);
    let mut stray = record(0);
    stray.owner = "a.example.net.".parse().unwrap();
    assert!(zone.apply(&[], &[stray]).is_err());
    assert!(zone.apply(&[soa(1)], &[]).is_err(), "a zone without SOA");
    assert!(zone.apply(&[], &[soa(2)]).is_err(), "a zone with two SOAs");
    let mut soa_below = soa(2);
    soa_below.owner = name("a");
    assert!(zone.apply(&[], &[soa_below]).is_err());
}

#[test]
fn a_patched_version_is_not_compiled_and_a_compacted_one_is() {
    let zone = build(&BTreeSet::from([0]), 1);
    assert!(zone.is_compiled());
    let next = zone.apply(&[soa(1)], &[soa(2), record(14)]).unwrap();
    next.compile();
    assert!(next.is_patched() && !next.is_compiled());
    assert!(next.precompiled(name("b.a").as_wire(), Rtype::A).is_none());
    let whole = next.compacted().unwrap();
    whole.compile();
    assert!(whole.precompiled(name("b.a").as_wire(), Rtype::A).is_some());
}

#[test]
fn rebasing_onto_another_base_is_refused() {
    let zone = build(&BTreeSet::from([0]), 1);
    let other = build(&BTreeSet::from([0]), 1);
    let next = zone.apply(&[], &[record(1)]).unwrap();
    let compacted = next.compacted().unwrap();
    assert!(matches!(
        next.rebased(&other, compacted),
        Err(PatchError::Unrelated)
    ));
}

#[test]
fn a_change_that_reaches_most_of_the_zone_builds_it_whole() {
    let mut all = vec![soa(1)];
    for i in 0..25_000u32 {
        let mut r = record(0);
        r.owner = format!("h{i}.deep.example.").parse().unwrap();
        r.rdata = i.to_be_bytes().to_vec();
        all.push(r);
    }
    let zone = Zone::build(&name(""), all, BuildOptions::default()).unwrap();
    let mut cut = record(2 * OWNERS.len()); // an NS record
    cut.owner = name("deep");
    let next = zone.apply(&[soa(1)], &[soa(2), cut]).unwrap();
    assert!(
        !next.is_patched(),
        "a new cut above 25,000 names: built whole"
    );
    let mut resolution = Resolution::default();
    next.resolve(
        name("h7.deep").as_wire(),
        Rtype::A,
        QueryOptions {
            dnssec_ok: false,
            transport: Transport::Udp,
        },
        &mut resolution,
    );
    assert!(!resolution.authoritative, "below the new cut: a referral");
    // A one-record change stays a patch.
    let small = next.apply(&[], &[record(1)]).unwrap();
    assert!(small.is_patched());
}
