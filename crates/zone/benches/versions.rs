//! What a new version of a zone costs by zone size: deriving it from the
//! served one for a one-record change (`Zone::apply`, the write path),
//! the same on a version already carrying a thousand changed names, and a
//! background compaction (`Zone::compacted`). The first two must not grow
//! with the zone; the third does, off the write path.
//!
//! Run with `cargo bench -p zone --bench versions`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use wire::{Class, Name, Record, Rtype};
use zone::{BuildOptions, Zone};

fn name(text: &str) -> Name {
    text.parse().unwrap()
}

fn soa(serial: u32) -> Record {
    let mut rdata = name("ns1.bench.test.").as_wire().to_vec();
    rdata.extend_from_slice(name("hostmaster.bench.test.").as_wire());
    for n in [serial, 7200, 3600, 1_209_600, 300] {
        rdata.extend_from_slice(&n.to_be_bytes());
    }
    Record {
        owner: name("bench.test."),
        rtype: Rtype::SOA,
        class: Class::IN,
        ttl: 3600,
        rdata,
    }
}

fn a(owner: &str, i: u32) -> Record {
    Record {
        owner: name(owner),
        rtype: Rtype::A,
        class: Class::IN,
        ttl: 300,
        rdata: i.to_be_bytes().to_vec(),
    }
}

/// A zone of `names` A records, a tenth of them one level down under
/// forty empty non-terminals, as genzone.py lays them out.
fn zone(names: u32) -> Zone {
    Zone::build(
        &name("bench.test."),
        records(names),
        BuildOptions::default(),
    )
    .unwrap()
}

/// The records of [`zone`], for measuring a whole build.
fn records(names: u32) -> Vec<Record> {
    let mut records = vec![soa(1)];
    for i in 0..names {
        let owner = if i % 10 == 0 {
            format!("host{i}.d{}.bench.test.", i % 40)
        } else {
            format!("host{i}.bench.test.")
        };
        records.push(a(&owner, i));
    }
    records
}

fn bench(c: &mut Criterion) {
    let mut build = c.benchmark_group("build");
    build.sample_size(10);
    let all = records(1_000_000);
    build.bench_function("build 1M records, not compiled", |b| {
        b.iter(|| {
            Zone::build_from_slice(
                &name("bench.test."),
                &all,
                BuildOptions { precompile: false },
            )
            .unwrap()
        })
    });
    let built = Zone::build_from_slice(
        &name("bench.test."),
        &all,
        BuildOptions { precompile: false },
    )
    .unwrap();
    build.bench_function("compact and compile 1M records", |b| {
        b.iter(|| built.compacted().unwrap().compile())
    });
    build.finish();
    let mut group = c.benchmark_group("version");
    group.sample_size(20);
    for names in [10_000u32, 1_000_000] {
        let base = zone(names);
        group.bench_with_input(
            BenchmarkId::new("apply one record", names),
            &base,
            |b, z| {
                b.iter(|| {
                    black_box(
                        z.apply(&[soa(1)], &[soa(2), a("new.d3.bench.test.", 7)])
                            .unwrap(),
                    )
                })
            },
        );
        let mut patched = base.apply(&[], &[]).unwrap();
        for i in 0..1000u32 {
            patched = patched
                .apply(&[], &[a(&format!("w{i}.bench.test."), i)])
                .unwrap();
        }
        group.bench_with_input(
            BenchmarkId::new("apply one record over 1000 changes", names),
            &patched,
            |b, z| b.iter(|| black_box(z.apply(&[], &[a("new.bench.test.", 7)]).unwrap())),
        );
        group.bench_with_input(BenchmarkId::new("compact", names), &patched, |b, z| {
            b.iter(|| black_box(z.compacted().unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
