//! AXFR benchmark: a 1,000,000-record zone transferred from a primary into
//! a fresh secondary on loopback, timed from the secondary's start until it
//! answers the zone's SOA with the primary's serial. Three pairs, one after
//! the other: hadns → hadns, hadns → Knot, Knot → Knot. Also prints each
//! secondary's resident memory once loaded.
//!
//! Run: `cargo bench --bench axfr` (needs knotd: scripts/test installs it).
//! Not a test: prints numbers, asserts only that transfers complete.

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NAMES: usize = 250_000;

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write_zone(path: &Path) -> usize {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "$ORIGIN big.test.\n$TTL 3600\n@ SOA ns hostmaster 7 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1").unwrap();
    for i in 0..NAMES {
        let (a, b, c) = ((i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF);
        writeln!(out, "host{i} A 10.{a}.{b}.{c}\nhost{i} AAAA 2001:db8::{a:x}:{b:x}:{c:x}\nhost{i} TXT \"record {i}\"\nhost{i} MX 10 mail{}", i % 100).unwrap();
    }
    3 + NAMES * 4
}

fn serial(server: SocketAddr) -> Option<u32> {
    let socket = UdpSocket::bind("127.0.0.1:0").ok()?;
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .ok()?;
    let q = b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03big\x04test\x00\x00\x06\x00\x01";
    socket.send_to(q, server).ok()?;
    let mut buf = [0u8; 512];
    let (len, _) = socket.recv_from(&mut buf).ok()?;
    let msg = wire::Message::parse(&buf[..len]).ok()?;
    msg.answer
        .iter()
        .find(|r| r.rtype == wire::Rtype::SOA)
        .and_then(|r| wire::rdata::soa_numbers(&r.rdata))
        .map(|n| n[0])
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn wait_serial(server: SocketAddr, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if serial(server) == Some(7) {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn hadns(dir: &Path, port: u16, zone: &str) -> Guard {
    std::fs::create_dir_all(dir).unwrap();
    let config = format!(
        "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"127.0.0.1:{port}\"]\nbuiltin_zones = false\nudp_workers = 1\n{zone}"
    );
    std::fs::write(dir.join("hadns.toml"), config).unwrap();
    let log = std::fs::File::create(dir.join("log")).unwrap();
    Guard(
        Command::new(env!("CARGO_BIN_EXE_hadns"))
            .args(["serve", "--config"])
            .arg(dir.join("hadns.toml"))
            .env("HADNS_LOG", "warn,replicate=debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

fn knot(dir: &Path, port: u16, zone: &str) -> Guard {
    std::fs::create_dir_all(dir).unwrap();
    let config = format!(
        "server:\n    rundir: \"{d}\"\n    listen: 127.0.0.1@{port}\n    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n\
         database:\n    storage: \"{d}\"\n\
         template:\n  - id: default\n    storage: \"{d}\"\n{zone}",
        d = dir.display()
    );
    std::fs::write(dir.join("knot.conf"), config).unwrap();
    let log = std::fs::File::create(dir.join("log")).unwrap();
    Guard(
        Command::new("knotd")
            .arg("-c")
            .arg(dir.join("knot.conf"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs bench
    // targets without it, and must not spend minutes measuring.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let zone_file: PathBuf = root.path().join("big.test.zone");
    let records = write_zone(&zone_file);
    println!("zone big.test.: {records} records");

    let addr = |port: u16| -> SocketAddr { format!("127.0.0.1:{port}").parse().unwrap() };
    let hadns_primary_port = free_port();
    let _hadns_primary = hadns(
        &root.path().join("hp"),
        hadns_primary_port,
        &format!(
            "[[zone]]\nname = \"big.test\"\nfile = \"{}\"\nallow_transfer = [\"127.0.0.1\"]\n",
            zone_file.display()
        ),
    );
    wait_serial(addr(hadns_primary_port), Duration::from_secs(120)).expect("hadns primary loads");

    let knot_primary_port = free_port();
    let _knot_primary = knot(
        &root.path().join("kp"),
        knot_primary_port,
        &format!(
            "acl:\n  - id: all\n    address: 127.0.0.1\n    action: transfer\nzone:\n  - domain: big.test\n    file: \"{}\"\n    acl: all\n    zonefile-sync: -1\n    journal-content: none\n",
            zone_file.display()
        ),
    );
    wait_serial(addr(knot_primary_port), Duration::from_secs(120)).expect("knot primary loads");

    let run = |label: &str, start: &dyn Fn(&Path, u16) -> Guard, dir: &str| {
        let port = free_port();
        let started = Instant::now();
        let secondary = start(&root.path().join(dir), port);
        match wait_serial(addr(port), Duration::from_secs(600)) {
            Some(_) => {
                let elapsed = started.elapsed();
                std::thread::sleep(Duration::from_secs(1));
                println!(
                    "{label}: {:.2} s, secondary RSS {:.0} MiB",
                    elapsed.as_secs_f64(),
                    rss_mib(secondary.0.id())
                );
            }
            None => println!("{label}: did not complete within 600 s"),
        }
    };
    let hadns_secondary = |primary: u16| {
        move |dir: &Path, port: u16| {
            hadns(
                dir,
                port,
                &format!(
                    "[[zone]]\nname = \"big.test\"\nrole = \"secondary\"\nprimaries = [\"127.0.0.1:{primary}\"]\n"
                ),
            )
        }
    };
    let knot_secondary = |primary: u16| {
        move |dir: &Path, port: u16| {
            knot(
                dir,
                port,
                &format!(
                    "remote:\n  - id: primary\n    address: 127.0.0.1@{primary}\nacl:\n  - id: notify\n    address: 127.0.0.1\n    action: notify\nzone:\n  - domain: big.test\n    master: primary\n    acl: notify\n"
                ),
            )
        }
    };
    run("hadns -> hadns", &hadns_secondary(hadns_primary_port), "hs");
    if std::env::var_os("AXFR_BENCH_LOGS").is_some() {
        eprintln!(
            "{}",
            std::fs::read_to_string(root.path().join("hs/log")).unwrap_or_default()
        );
    }
    run("hadns -> knot ", &knot_secondary(hadns_primary_port), "ks1");
    run("knot  -> knot ", &knot_secondary(knot_primary_port), "ks2");
    run("knot  -> hadns", &hadns_secondary(knot_primary_port), "hs2");
}
