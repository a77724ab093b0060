//! Golden wire tests: for each `testdata/golden/*.golden`, the request its
//! `query:` line describes must get exactly the response bytes on its
//! `response:` line, against `testdata/golden.zone`.
//!
//! The `;` lines below the hex show the response decoded, for review. When
//! behaviour changes on purpose, regenerate with `HADNS_BLESS=1 cargo test
//! -p answer --test golden`, then read the diff of the decoded lines before
//! committing: a golden file is only as good as that review.
//!
//! `query:` syntax: `NAME TYPE (udp|tcp) [edns=SIZE] [do] [nsid] [rd]
//! [version=N] [qdcount=N] [opcode=N] [class=CH]`; the message ID is 0x4242.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use answer::{Catalog, Client, Outcome, Scratch, Served, Settings, respond};
use wire::{Message, Name, Rtype};
use zone::{BuildOptions, Transport, Zone};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn served() -> Served {
    let origin: Name = "golden.test.".parse().unwrap();
    let file =
        zonefile::parse_file(&testdata().join("golden.zone"), &origin).expect("golden zone parses");
    let zone = Zone::build(
        &origin,
        file.records.into_iter().map(|r| r.record).collect(),
        BuildOptions::default(),
    )
    .unwrap();
    let mut catalog = Catalog::new();
    catalog.insert(Arc::new(zone));
    let settings = Settings {
        nsid: Some(b"golden-ns".to_vec()),
        version: Some("hadns-golden".into()),
        ..Settings::default()
    };
    Served {
        catalog,
        settings,
        ..Served::default()
    }
}

/// Builds the request a `query:` line describes.
fn request(spec: &str) -> (Vec<u8>, Transport) {
    let mut words = spec.split_whitespace();
    let name = Name::from_text(words.next().expect("name"), None).expect("absolute name");
    let qtype: Rtype = words.next().expect("type").parse().expect("known type");
    let transport = match words.next() {
        Some("udp") => Transport::Udp,
        Some("tcp") => Transport::Tcp,
        other => panic!("transport must be udp or tcp, not {other:?}"),
    };
    let (mut edns, mut dnssec_ok, mut nsid, mut bits, mut version, mut qdcount, mut class) =
        (None, false, false, 0u16, 0u8, 1u16, 1u16);
    for word in words {
        match word.split_once('=') {
            Some(("edns", v)) => edns = Some(v.parse::<u16>().unwrap()),
            Some(("version", v)) => version = v.parse().unwrap(),
            Some(("qdcount", v)) => qdcount = v.parse().unwrap(),
            Some(("opcode", v)) => bits |= v.parse::<u16>().unwrap() << 11,
            Some(("class", "CH")) => class = 3,
            None if word == "do" => dnssec_ok = true,
            None if word == "nsid" => nsid = true,
            None if word == "rd" => bits |= 0x0100,
            _ => panic!("unknown query option {word}"),
        }
    }
    let mut m = vec![0x42, 0x42];
    m.extend_from_slice(&bits.to_be_bytes());
    m.extend_from_slice(&qdcount.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0, 0, u8::from(edns.is_some())]);
    for _ in 0..qdcount {
        m.extend_from_slice(name.as_wire());
        m.extend_from_slice(&qtype.0.to_be_bytes());
        m.extend_from_slice(&class.to_be_bytes());
    }
    if let Some(size) = edns {
        let options: &[u8] = if nsid { &[0, 3, 0, 0] } else { &[] };
        m.push(0);
        m.extend_from_slice(&41u16.to_be_bytes());
        m.extend_from_slice(&size.to_be_bytes());
        m.push(0);
        m.push(version);
        m.extend_from_slice(&(if dnssec_ok { 0x8000u16 } else { 0 }).to_be_bytes());
        m.extend_from_slice(&(options.len() as u16).to_be_bytes());
        m.extend_from_slice(options);
    }
    (m, transport)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decoded(bytes: &[u8]) -> String {
    let mut out = String::new();
    let Ok(msg) = Message::parse(bytes) else {
        return "; (does not parse)\n".into();
    };
    let h = msg.header;
    let flags: Vec<&str> = [
        (0x8000, "qr"),
        (0x0400, "aa"),
        (0x0200, "tc"),
        (0x0100, "rd"),
        (0x0080, "ra"),
        (0x0010, "cd"),
    ]
    .iter()
    .filter(|(bit, _)| h.bits & bit != 0)
    .map(|(_, n)| *n)
    .collect();
    let _ = writeln!(
        out,
        "; id {:#06x} opcode {} rcode {} flags [{}] qd {} an {} ns {} ar {}",
        h.id,
        h.opcode().0,
        msg.rcode(),
        flags.join(" "),
        h.qdcount,
        h.ancount,
        h.nscount,
        h.arcount
    );
    for q in &msg.questions {
        let _ = writeln!(out, "; question {} {} {}", q.qname, q.qclass, q.qtype);
    }
    for (section, records) in [
        ("answer", &msg.answer),
        ("authority", &msg.authority),
        ("additional", &msg.additional),
    ] {
        for r in records {
            if r.rtype == Rtype::OPT {
                let _ = writeln!(
                    out,
                    "; {section} OPT payload {} ext-rcode {} version {} do {} options {}",
                    r.class.0,
                    r.ttl >> 24,
                    (r.ttl >> 16) & 0xFF,
                    r.ttl & 0x8000 != 0,
                    hex(&r.rdata)
                );
            } else {
                let _ = writeln!(out, "; {section} {r}");
            }
        }
    }
    out
}

#[test]
fn responses_match_their_golden_bytes() {
    let served = served();
    let bless = std::env::var_os("HADNS_BLESS").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata().join("golden"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 15, "golden cases are missing");
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let spec = text
            .lines()
            .find_map(|l| l.strip_prefix("query: "))
            .unwrap_or_else(|| panic!("{}: no query line", path.display()));
        let (bytes, transport) = request(spec);
        let client = Client {
            address: "192.0.2.200:40000".parse().unwrap(),
            transport,
            now: 0,
        };
        let mut out = Vec::new();
        let got = match respond(&served, &bytes, &client, &mut Scratch::default(), &mut out) {
            Outcome::Reply => hex(&out),
            Outcome::Drop => "dropped".to_string(),
            Outcome::Transfer(_) => "transfer".to_string(),
            Outcome::Update(_) => "update".to_string(),
        };
        let expected = text
            .lines()
            .find_map(|l| l.strip_prefix("response: "))
            .map(str::to_string);
        if bless {
            let header: String = text
                .lines()
                .take_while(|l| !l.starts_with("response: "))
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(path, format!("{header}response: {got}\n{}", decoded(&out))).unwrap();
        } else if expected.as_deref() != Some(got.as_str()) {
            failures.push(format!(
                "{}\n  expected {}\n  got      {got}\n{}",
                path.display(),
                expected.unwrap_or_default(),
                decoded(&out)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden responses differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
