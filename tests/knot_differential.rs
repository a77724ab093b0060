//! Differential test: hadns and Knot DNS (Debian's `knot`) serve the same
//! zone files; hundreds of queries over UDP and TCP must get the same RCODE,
//! flags, answer and authority sections (as sets: order is free).
//!
//! Normalisation, where the RFCs let servers differ:
//! - Owner names are compared case-insensitively (RFC 4343).
//! - The additional section is compared only for referrals, where the glue
//!   is required (RFC 9471); elsewhere it is optional (RFC 2181 §5.4.1 and
//!   RFC 1034 §4.3.2 step 6 leave it to the server) and Knot and hadns make
//!   different, equally valid choices.
//! - ANY (RFC 8482): over UDP both return one RRset (the lowest type) and
//!   are compared in full. Over TCP Knot 3.2 still returns one RRset while
//!   hadns returns them all (RFC 8482 §4.3 allows either; over TCP there is
//!   no amplification to avoid), so there Knot's answer must be a subset of
//!   ours.
//! - The OPT record is compared for presence and DO bit, not payload size
//!   (each server advertises its own).

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{query, start_hadns, start_knot, tcp_exchange, udp_exchange, wait_for_zone};
use wire::header::flags;
use wire::{Message, Record, Rtype};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff")
}

const ZONES: [&str; 4] = [
    "diff.test.",
    "child.diff.test.",
    "other.test.",
    "signed.test.",
];

const NAMES: &[&str] = &[
    "diff.test.",
    "DIFF.Test.",
    "ns1.diff.test.",
    "mail.diff.test.",
    "www.diff.test.",
    "wWw.DiFf.TeSt.",
    "mixedcase.diff.test.",
    "a.b.c.diff.test.",
    "b.c.diff.test.",
    "c.diff.test.",
    "nope.diff.test.",
    "x.y.z.nope.diff.test.",
    "q.wild.diff.test.",
    "a.b.wild.diff.test.",
    "sub.wild.diff.test.",
    "x.sub.wild.diff.test.",
    "*.wild.diff.test.",
    "wild.diff.test.",
    "x.w2.diff.test.",
    "c1.diff.test.",
    "c2.diff.test.",
    "out.diff.test.",
    "loop1.diff.test.",
    "dangling.diff.test.",
    "towild.diff.test.",
    "tosub.diff.test.",
    "sub.diff.test.",
    "host.sub.diff.test.",
    "ns.sub.diff.test.",
    "deep.ns.sub.diff.test.",
    "sibling.diff.test.",
    "x.sibling.diff.test.",
    "dstest.diff.test.",
    "x.dstest.diff.test.",
    "child.diff.test.",
    "www.child.diff.test.",
    "nothere.child.diff.test.",
    "ns.child.diff.test.",
    "d.diff.test.",
    "www.d.diff.test.",
    "nope.d.diff.test.",
    "x.y.d.diff.test.",
    "d2.diff.test.",
    "a.d2.diff.test.",
    "_sip._tcp.diff.test.",
    "_sip._udp.diff.test.",
    "_tcp.diff.test.",
    "ptr.diff.test.",
    "caa.diff.test.",
    "h.diff.test.",
    "generic.diff.test.",
    "big.diff.test.",
    "target.diff.test.",
    "www.target.diff.test.",
    "other.test.",
    "www.other.test.",
    "nope.other.test.",
];

/// Names of the pre-signed zone, always asked with DO=1: RRSIGs beside
/// answers, NSEC proofs for NODATA, NXDOMAIN, wildcards and referrals.
const SIGNED_NAMES: &[&str] = &[
    "signed.test.",
    "a.signed.test.",
    "A.Signed.Test.",
    "b.c.signed.test.",
    "c.signed.test.",
    "cname.signed.test.",
    "mx.signed.test.",
    "ns.signed.test.",
    "nope.signed.test.",
    "zzz.signed.test.",
    "b.signed.test.",
    "x.a.signed.test.",
    "sub.signed.test.",
    "x.sub.signed.test.",
    "ns.sub.signed.test.",
    "unsigned.signed.test.",
    "x.unsigned.signed.test.",
    "q.w.signed.test.",
    "a.b.w.signed.test.",
    "w.signed.test.",
    "*.w.signed.test.",
];

const TYPES: &[Rtype] = &[
    Rtype::A,
    Rtype::AAAA,
    Rtype::NS,
    Rtype::SOA,
    Rtype::MX,
    Rtype::TXT,
    Rtype::CNAME,
    Rtype::DNAME,
    Rtype::SRV,
    Rtype::PTR,
    Rtype::DS,
    Rtype::CAA,
    Rtype::HINFO,
    Rtype(65534),
    Rtype::ANY,
];

/// What we compare of a response.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    rcode: u16,
    aa: bool,
    tc: bool,
    rd: bool,
    answer: BTreeSet<String>,
    authority: BTreeSet<String>,
    additional: Option<BTreeSet<String>>,
    opt: Option<bool>,
}

fn text(record: &Record) -> String {
    let mut r = record.clone();
    r.owner = r.owner.to_lowercase();
    r.to_string()
}

fn shape(reply: &[u8]) -> Shape {
    let msg = Message::parse(reply)
        .unwrap_or_else(|e| panic!("reply does not parse ({e}): {reply:02x?}"));
    let referral = !msg.header.flag(flags::AA)
        && msg.answer.is_empty()
        && msg.authority.iter().any(|r| r.rtype == Rtype::NS);
    let answer: BTreeSet<String> = msg.answer.iter().map(text).collect();
    Shape {
        rcode: msg.rcode().0,
        aa: msg.header.flag(flags::AA),
        tc: msg.header.flag(flags::TC),
        rd: msg.header.flag(flags::RD),
        answer,
        authority: msg.authority.iter().map(text).collect(),
        additional: referral.then(|| {
            msg.additional
                .iter()
                .filter(|r| r.rtype != Rtype::OPT)
                .map(text)
                .collect()
        }),
        opt: msg.opt().map(|o| o.ttl & 0x8000 != 0),
    }
}

/// The parts of two shapes that differ, one line each.
fn difference(knot: &Shape, ours: &Shape) -> String {
    let mut out = Vec::new();
    if (knot.rcode, knot.aa, knot.tc, knot.rd, knot.opt)
        != (ours.rcode, ours.aa, ours.tc, ours.rd, ours.opt)
    {
        out.push(format!(
            "  header: knot rcode={} aa={} tc={} rd={} opt={:?}; hadns rcode={} aa={} tc={} rd={} opt={:?}",
            knot.rcode, knot.aa, knot.tc, knot.rd, knot.opt, ours.rcode, ours.aa, ours.tc, ours.rd, ours.opt
        ));
    }
    let sections = [
        ("answer", &knot.answer, &ours.answer),
        ("authority", &knot.authority, &ours.authority),
    ];
    for (section, k, o) in sections {
        for only in k.difference(o) {
            out.push(format!("  {section} only knot:  {only}"));
        }
        for only in o.difference(k) {
            out.push(format!("  {section} only hadns: {only}"));
        }
    }
    if knot.additional != ours.additional {
        out.push(format!(
            "  additional: knot {:?}; hadns {:?}",
            knot.additional, ours.additional
        ));
    }
    out.join("\n")
}

#[test]
fn answers_match_knot() {
    let dir = tempfile::tempdir().unwrap();
    let zone_files: Vec<(&str, PathBuf)> = ZONES
        .iter()
        .map(|z| (*z, data_dir().join(format!("{z}zone"))))
        .collect();
    let knot_port = common::free_port();
    let knot_zones: Vec<(&str, &Path)> =
        zone_files.iter().map(|(z, p)| (*z, p.as_path())).collect();
    let mut knot = start_knot(dir.path(), knot_port, &knot_zones);
    let hadns_port = common::free_port();
    let mut args = vec![
        "--listen".to_string(),
        format!("127.0.0.1:{hadns_port}"),
        "--udp-workers".into(),
        "1".into(),
        "--no-builtin-zones".into(),
    ];
    for (z, p) in &zone_files {
        args.push("--zone".into());
        args.push(format!("{z}={}", p.display()));
    }
    let mut hadns = start_hadns(dir.path(), "hadns", &args);
    let knot_addr: SocketAddr = format!("127.0.0.1:{knot_port}").parse().unwrap();
    let hadns_addr: SocketAddr = format!("127.0.0.1:{hadns_port}").parse().unwrap();
    for zone in ZONES {
        wait_for_zone(knot_addr, zone, Duration::from_secs(20), &mut knot);
        wait_for_zone(hadns_addr, zone, Duration::from_secs(20), &mut hadns);
    }

    let timeout = Duration::from_secs(2);
    let mut mismatches = Vec::new();
    let mut compared = 0;
    let mut id: u16 = 0;
    let cases = NAMES
        .iter()
        .map(|n| (*n, false))
        .chain(SIGNED_NAMES.iter().map(|n| (*n, true)));
    for (n, (name, signed)) in cases.enumerate() {
        for (t, &qtype) in TYPES.iter().enumerate() {
            // Vary EDNS, DO and RD across the matrix so each is covered.
            let variant = n + t;
            let edns = match variant % 3 {
                _ if signed => Some((4096, true)),
                0 => None,
                1 => Some((1232, false)),
                _ => Some((4096, true)),
            };
            let rd = if variant % 2 == 0 { flags::RD } else { 0 };
            for udp in [true, false] {
                id = id.wrapping_add(1);
                let q = query(id, name, qtype, rd, edns);
                let exchange = |addr| {
                    if udp {
                        udp_exchange(addr, &q, timeout)
                    } else {
                        tcp_exchange(addr, &q, timeout)
                    }
                };
                let theirs = exchange(knot_addr)
                    .unwrap_or_else(|| panic!("knot did not answer {name} {qtype}"));
                let ours = exchange(hadns_addr)
                    .unwrap_or_else(|| panic!("hadns did not answer {name} {qtype}"));
                assert_eq!(ours[..2], q[..2], "ID echoed");
                compared += 1;
                let (mut a, b) = (shape(&theirs), shape(&ours));
                if qtype == Rtype::ANY && !udp && a.answer.is_subset(&b.answer) {
                    a.answer = b.answer.clone();
                }
                if a != b {
                    let transport = if udp { "udp" } else { "tcp" };
                    mismatches.push(format!(
                        "{name} {qtype} {transport} edns={edns:?}\n{}",
                        difference(&a, &b)
                    ));
                }
            }
        }
    }
    assert!(compared >= 400, "only {compared} queries compared");
    assert!(
        mismatches.is_empty(),
        "{} of {compared} answers differ from Knot:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    drop(hadns);
    drop(knot);
}
