//! The query path without sockets: request bytes to response bytes, on a
//! zone shaped like the peer benchmark's (100,000 names).
//!
//! Run with `cargo bench -p answer`. The figures to watch are the
//! precompiled cases (exact hit, NXDOMAIN, wildcard, referral, CNAME), which
//! carry almost all real traffic, against the general path.

use std::hint::black_box;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use answer::{Catalog, Client, Scratch, Served, Settings, respond};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wire::{Name, Rtype};
use zone::{BuildOptions, Transport, Zone};

fn zone_text(names: usize) -> String {
    let mut text = String::from(
        "$ORIGIN bench.test.\n$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 198.18.0.1\n\
         *.wild A 198.18.0.9\nsub NS ns.sub\nns.sub A 198.18.0.53\n",
    );
    for i in 0..names {
        let a = i as u32;
        text.push_str(&format!(
            "host{i} A 198.18.{}.{}\n",
            (a >> 8) & 0xFF,
            a & 0xFF
        ));
        if i % 10 == 0 {
            text.push_str(&format!("alias{i} CNAME host{i}\n"));
        }
    }
    text
}

fn query(qname: &str, qtype: Rtype, edns: bool) -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, u8::from(edns)];
    m.extend_from_slice(Name::from_text(qname, None).unwrap().as_wire());
    m.extend_from_slice(&qtype.0.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    if edns {
        m.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    }
    m
}

fn bench(c: &mut Criterion) {
    let origin: Name = "bench.test.".parse().unwrap();
    let file = zonefile::parse_str(&zone_text(100_000), &origin, Path::new("bench.zone"))
        .expect("bench zone parses");
    let zone = Zone::build(
        &origin,
        file.records.into_iter().map(|r| r.record).collect(),
        BuildOptions::default(),
    )
    .unwrap();
    let mut catalog = Catalog::new();
    catalog.insert(Arc::new(zone));
    let served = Served {
        catalog,
        settings: Settings::default(),
        ..Served::default()
    };
    let client = Client {
        address: "127.0.0.1:5300".parse::<SocketAddr>().unwrap(),
        transport: Transport::Udp,
        now: 0,
    };

    let cases = [
        ("exact_a", query("host4242.bench.test.", Rtype::A, false)),
        (
            "exact_a_edns",
            query("host4242.bench.test.", Rtype::A, true),
        ),
        ("nodata", query("host4242.bench.test.", Rtype::MX, false)),
        ("nxdomain", query("nothere.bench.test.", Rtype::A, false)),
        ("wildcard", query("x.wild.bench.test.", Rtype::A, false)),
        ("referral", query("www.sub.bench.test.", Rtype::A, false)),
        ("cname", query("alias4240.bench.test.", Rtype::A, false)),
        (
            "general_path_any",
            query("host4242.bench.test.", Rtype::ANY, false),
        ),
        ("refused", query("www.example.org.", Rtype::A, false)),
    ];
    let mut group = c.benchmark_group("respond");
    group.throughput(Throughput::Elements(1));
    for (name, bytes) in &cases {
        let mut scratch = Scratch::default();
        let mut out = Vec::with_capacity(4096);
        group.bench_function(*name, |b| {
            b.iter(|| {
                respond(
                    black_box(&served),
                    black_box(bytes),
                    &client,
                    &mut scratch,
                    &mut out,
                );
                black_box(out.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
