//! Golden wire tests for RFC 2136 UPDATE: for each
//! `testdata/update/*.golden`, the UPDATE its `rr:` lines describe (built
//! on the wire, so class ANY/NONE records carry RDLENGTH 0 exactly as
//! nsupdate and dnspython send them) must be accepted by the request path,
//! plan to exactly the operations on its `ops:` lines against
//! `testdata/update.zone`, and be answered with exactly the bytes on its
//! `response:` line. The `request:` line pins the request bytes too.
//!
//! Regenerate on purpose with `HADNS_BLESS=1 cargo test -p answer --test
//! update_golden`, then review the diff of the `ops:` and `;` lines.
//!
//! `rr:` syntax: `rr: SECTION NAME CLASS TYPE [TTL [RDATA…]]` with SECTION
//! `prereq` or `update`, NAME relative to `dyn.test.` (`@` for the apex),
//! CLASS `IN`, `ANY` or `NONE`; RDATA in presentation format (none: RDLENGTH
//! 0); TTL defaults to 0. The message ID is 0x4242.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use answer::acl::{MatchList, parse_match_rule};
use answer::update::{UpdateOp, plan};
use answer::{Catalog, Client, Outcome, Scratch, Served, ZonePolicy, respond};
use wire::{Class, Message, Name, Rcode, Rtype};
use zone::{BuildOptions, Transport, Zone};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn origin() -> Name {
    "dyn.test.".parse().unwrap()
}

fn zone() -> Arc<Zone> {
    let file = zonefile::parse_file(&testdata().join("update.zone"), &origin())
        .expect("update zone parses");
    Arc::new(
        Zone::build(
            &origin(),
            file.records.into_iter().map(|r| r.record).collect(),
            BuildOptions::default(),
        )
        .unwrap(),
    )
}

fn served(zone: Arc<Zone>) -> Served {
    let mut catalog = Catalog::new();
    catalog.insert(zone);
    let anyone = parse_match_rule("any").unwrap();
    let allow = MatchList::compile(&[anyone], &|_| None).unwrap();
    let policy = ZonePolicy {
        allow_update: Some(allow),
        ..ZonePolicy::default()
    };
    Served {
        catalog,
        policies: [(origin(), policy)].into_iter().collect(),
        ..Served::default()
    }
}

/// One record of the request: its section (0 prerequisites, 1 updates) and
/// its wire form.
fn record(spec: &str) -> (usize, Vec<u8>) {
    let mut words = spec.split_whitespace();
    let section = match words.next() {
        Some("prereq") => 0,
        Some("update") => 1,
        other => panic!("section must be prereq or update, not {other:?}"),
    };
    let owner = Name::from_text(words.next().expect("name"), Some(&origin())).unwrap();
    let class = match words.next() {
        Some("IN") => Class::IN,
        Some("ANY") => Class::ANY,
        Some("NONE") => Class::NONE,
        other => panic!("class must be IN, ANY or NONE, not {other:?}"),
    };
    let rtype: Rtype = words.next().expect("type").parse().expect("known type");
    let ttl: u32 = words.next().map_or(0, |t| t.parse().expect("TTL"));
    let text: Vec<&str> = words.collect();
    let rdata = if text.is_empty() {
        Vec::new()
    } else {
        let line = format!("@ 0 IN {rtype} {}\n", text.join(" "));
        let file = zonefile::parse_str(&line, &origin(), Path::new("rr")).expect("RDATA parses");
        file.records[0].record.rdata.clone()
    };
    let mut wire = owner.as_wire().to_vec();
    wire.extend_from_slice(&rtype.0.to_be_bytes());
    wire.extend_from_slice(&class.0.to_be_bytes());
    wire.extend_from_slice(&ttl.to_be_bytes());
    wire.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    wire.extend_from_slice(&rdata);
    (section, wire)
}

/// The UPDATE request the `rr:` lines describe.
fn request(lines: &[&str]) -> Vec<u8> {
    let mut sections: [Vec<Vec<u8>>; 2] = Default::default();
    for line in lines {
        let (section, wire) = record(line);
        sections[section].push(wire);
    }
    let mut m = vec![0x42, 0x42, 0x28, 0x00, 0, 1];
    m.extend_from_slice(&(sections[0].len() as u16).to_be_bytes());
    m.extend_from_slice(&(sections[1].len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(origin().as_wire());
    m.extend_from_slice(&Rtype::SOA.0.to_be_bytes());
    m.extend_from_slice(&Class::IN.0.to_be_bytes());
    for wire in sections.iter().flatten() {
        m.extend_from_slice(wire);
    }
    m
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn op_text(op: &UpdateOp) -> String {
    match op {
        UpdateOp::Add(r) => format!("add {r}"),
        UpdateOp::DeleteRrset(name, rtype) => format!("delete-rrset {name} {rtype}"),
        UpdateOp::DeleteName(name) => format!("delete-name {name}"),
        UpdateOp::DeleteRecord(r) => format!("delete-record {r}"),
    }
}

/// What the request path and the planner make of `bytes`: the ops (or the
/// RCODE that refused them) and the reply bytes.
fn run(served: &Served, zone: &Zone, bytes: &[u8]) -> (Vec<String>, Vec<u8>) {
    let client = Client {
        address: "192.0.2.200:40000".parse().unwrap(),
        transport: Transport::Udp,
        now: 0,
    };
    let mut out = Vec::new();
    match respond(served, bytes, &client, &mut Scratch::default(), &mut out) {
        Outcome::Update(mut ticket) => {
            let (ops, rcode) = match plan(zone, &ticket.message) {
                Ok(ops) if ops.is_empty() => (vec!["none".to_string()], Rcode::NOERROR),
                Ok(ops) => (ops.iter().map(op_text).collect(), Rcode::NOERROR),
                Err(rcode) => (vec![format!("refused {rcode}")], rcode),
            };
            (ops, ticket.reply(rcode, 0))
        }
        Outcome::Reply => {
            let rcode = Message::parse(&out).map_or("unparsable".into(), |m| m.rcode().to_string());
            (vec![format!("answered {rcode} before planning")], out)
        }
        other => (vec![format!("{other:?}")], Vec::new()),
    }
}

fn decoded(label: &str, bytes: &[u8]) -> String {
    let mut out = String::new();
    let Ok(msg) = Message::parse(bytes) else {
        return format!("; {label} (does not parse)\n");
    };
    let _ = writeln!(
        out,
        "; {label}: opcode {} rcode {} zo {} pr {} up {} ar {}",
        msg.header.opcode().0,
        msg.rcode(),
        msg.header.qdcount,
        msg.header.ancount,
        msg.header.nscount,
        msg.header.arcount
    );
    for (section, records) in [("prereq", &msg.answer), ("update", &msg.authority)] {
        for r in records {
            let _ = writeln!(
                out,
                "; {section} {} {} {} {} rdlength {}",
                r.owner,
                r.ttl,
                r.class,
                r.rtype,
                r.rdata.len()
            );
        }
    }
    out
}

#[test]
fn update_forms_match_their_golden_bytes() {
    let zone = zone();
    let served = served(Arc::clone(&zone));
    let bless = std::env::var_os("HADNS_BLESS").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata().join("update"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 30, "UPDATE golden cases are missing");
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let specs: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("rr: "))
            .collect();
        assert!(!specs.is_empty(), "{}: no rr lines", path.display());
        let bytes = request(&specs);
        let (ops, reply) = run(&served, &zone, &bytes);
        let got = format!(
            "request: {}\n{}response: {}\n",
            hex(&bytes),
            ops.iter()
                .map(|o| format!("ops: {o}\n"))
                .collect::<String>(),
            hex(&reply)
        );
        let expected: String = text
            .lines()
            .filter(|l| {
                l.starts_with("request: ") || l.starts_with("ops: ") || l.starts_with("response: ")
            })
            .map(|l| format!("{l}\n"))
            .collect();
        if bless {
            let header: String = text
                .lines()
                .filter(|l| l.starts_with('#') || l.starts_with("rr: "))
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(
                path,
                format!(
                    "{header}{got}{}{}",
                    decoded("request", &bytes),
                    decoded("response", &reply)
                ),
            )
            .unwrap();
        } else if expected != got {
            failures.push(format!(
                "{}\n  expected:\n{expected}  got:\n{got}",
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} UPDATE goldens differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// An UPDATE that would grow an RRset past `wire::MAX_RECORDS_PER_RRSET`
/// is refused whole; one that stays at the bound is planned.
#[test]
fn an_update_growing_an_rrset_past_the_bound_is_refused() {
    let origin = origin();
    let mut text = String::from("$TTL 300\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n");
    for i in 0..4000u32 {
        text.push_str(&format!("big A 10.0.{}.{}\n", i >> 8, i & 255));
    }
    let file = zonefile::parse_str(&text, &origin, Path::new("big.zone")).unwrap();
    let zone = Zone::build(
        &origin,
        file.records.into_iter().map(|r| r.record).collect(),
        BuildOptions::default(),
    )
    .unwrap();
    let update = |count: u32| {
        let owner: Name = format!("big.{origin}").parse().unwrap();
        let mut out = Vec::new();
        let mut w = wire::writer::Writer::new(&mut out, 65_535);
        let _ = w.question(origin.as_wire(), Rtype::SOA, Class::IN, true);
        w.set_section(wire::writer::Section::Authority);
        for i in 0..count {
            let _ = w.record(
                wire::writer::Owner::Name(owner.as_wire()),
                Rtype::A,
                Class::IN,
                300,
                &[10, 1, (i >> 8) as u8, i as u8],
            );
        }
        w.finish(1, 5 << 11);
        Message::parse(&out).unwrap()
    };
    // 4,000 + 96 = the bound: planned.
    assert_eq!(plan(&zone, &update(96)).unwrap().len(), 96);
    // One more: refused, nothing planned.
    assert_eq!(plan(&zone, &update(97)).unwrap_err(), Rcode::REFUSED);
}
