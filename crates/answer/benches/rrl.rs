//! What Response Rate Limiting adds to a UDP reply when nobody is
//! limited: `Limiter::judge` (classify the reply, hash the client's
//! network, kind and name, one compare-and-swap) over replies for 100,000
//! names from one client, as the peer benchmark's traffic is. Compare it
//! with the 2–5 µs a query costs the server in all (`../shared/bench/`).
//!
//! Run with `cargo bench -p answer --bench rrl`.

use std::hint::black_box;
use std::net::IpAddr;
use std::sync::Arc;

use answer::rrl::{Limiter, Rates, Settings};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A NOERROR reply with one A record for `host{i}.bench.test.`.
fn answer(i: usize) -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 1];
    let label = format!("host{i}");
    m.push(label.len() as u8);
    m.extend_from_slice(label.as_bytes());
    m.extend_from_slice(b"\x05bench\x04test\x00");
    m.extend_from_slice(&[0, 1, 0, 1]);
    m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 198, 18, 0, 1]);
    m.extend_from_slice(&[0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]);
    m
}

fn nxdomain(i: usize) -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0x84, 0x03, 0, 1, 0, 0, 0, 1, 0, 0];
    let label = format!("nx{i}");
    m.push(label.len() as u8);
    m.extend_from_slice(label.as_bytes());
    m.extend_from_slice(b"\x05bench\x04test\x00");
    m.extend_from_slice(&[0, 1, 0, 1]);
    let apex = 12 + 1 + label.len();
    m.extend_from_slice(&[
        0xC0, apex as u8, 0, 6, 0, 1, 0, 0, 0x0E, 0x10, 0, 2, 0xC0, 12,
    ]);
    m
}

fn judge(c: &mut Criterion) {
    let settings = Settings {
        rates: Rates {
            responses: 1_000_000,
            nodata: 1_000_000,
            nxdomains: 1_000_000,
            referrals: 1_000_000,
            errors: 1_000_000,
        },
        ..Settings::default()
    };
    let limiter = Limiter::new(settings, Arc::default());
    let client: IpAddr = "127.0.0.1".parse().unwrap();
    let answers: Vec<Vec<u8>> = (0..100_000).map(answer).collect();
    let nxdomains: Vec<Vec<u8>> = (0..1000).map(nxdomain).collect();
    let mut group = c.benchmark_group("rrl");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("judge answer, 100k names", |b| {
        b.iter(|| {
            i = (i + 7919) % answers.len();
            black_box(limiter.judge(1_000_000, client, black_box(&answers[i])))
        })
    });
    let mut j = 0usize;
    group.bench_function("judge nxdomain, one zone", |b| {
        b.iter(|| {
            j = (j + 1) % nxdomains.len();
            black_box(limiter.judge(1_000_000, client, black_box(&nxdomains[j])))
        })
    });
    group.finish();
}

criterion_group!(benches, judge);
criterion_main!(benches);
