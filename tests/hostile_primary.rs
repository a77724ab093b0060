//! A secondary against a primary that is broken or hostile: one that
//! streams records without end, answers a transfer with garbage, or
//! transfers a lower serial than it announced. Each time the secondary
//! keeps serving the copy it has, says why in its log, and (for the
//! endless stream) stops reading at `max_transfer_records` with its
//! memory bounded.
//!
//! The primary is a small server inside the test (common::fake_primary).

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::fake_primary::{FakePrimary, Misbehaviour, build};
use common::{Process, free_port, soa_serial, start_hadns};

fn zone_text(serial: u32) -> String {
    format!(
        "$ORIGIN rep.test.\n$TTL 300\n@ SOA ns1 hostmaster {serial} 60 1 600 60\n@ NS ns1\n\
         ns1 A 127.0.0.1\nwww A 192.0.2.{serial}\n"
    )
}

/// A secondary of `primary` with `replication` added to `[replication]`.
fn start_secondary(
    dir: &Path,
    primary: SocketAddr,
    replication: &str,
) -> (Process, SocketAddr, PathBuf) {
    let dns: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let config = dir.join("hadns.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"{dns}\"]\n\
             builtin_zones = false\nudp_workers = 1\n\
             [replication]\nmin_refresh = 1\nmin_retry = 1\nmin_expire = 1\n{replication}\n\
             [[zone]]\nname = \"rep.test\"\nrole = \"secondary\"\nprimaries = [\"{primary}\"]\n"
        ),
    )
    .unwrap();
    let process = start_hadns(
        dir,
        "secondary",
        &["--config".into(), config.display().to_string()],
    );
    (process, dns, dir.join("data"))
}

/// Polls until `check` holds; fails with the log after `limit`.
fn eventually(limit: Duration, what: &str, process: &Process, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "{what} within {limit:?}; log:\n{}",
            process.log_tail(60)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The secondary's peak resident memory (VmHWM), in KiB.
fn peak_rss_kib(process: &Process) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", process.pid())).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// Starts the pair with the primary behaving, waits for serial 1 on the
/// secondary, then turns the primary to `misbehaviour` (it now announces
/// serial 11) and asks the secondary to refresh.
fn misbehave(
    root: &Path,
    misbehaviour: Misbehaviour,
    replication: &str,
) -> (Process, SocketAddr, FakePrimary) {
    let behaviour = Arc::new(Mutex::new(Misbehaviour::None));
    let older = build(&zone_text(0));
    let primary = FakePrimary::start(build(&zone_text(1)), Some(older), behaviour.clone());
    let (secondary, dns, data_dir) = start_secondary(root, primary.address, replication);
    eventually(
        Duration::from_secs(20),
        "serial 1 on the secondary",
        &secondary,
        || soa_serial(dns, "rep.test.") == Some(1),
    );
    *behaviour.lock().unwrap() = misbehaviour;
    let said = common::hadns_ctl(&data_dir, &["refresh", "rep.test"]);
    assert!(
        said.contains("ok") || said.is_empty() || !said.contains("error"),
        "{said}"
    );
    (secondary, dns, primary)
}

#[test]
fn a_primary_streaming_records_forever_is_cut_off_at_the_record_limit() {
    let root = tempfile::tempdir().unwrap();
    let (secondary, dns, primary) = misbehave(
        root.path(),
        Misbehaviour::Endless,
        "max_transfer_records = 20000",
    );
    eventually(
        Duration::from_secs(30),
        "the limit named in the log",
        &secondary,
        || {
            secondary
                .log_text()
                .contains("over max_transfer_records (20000)")
        },
    );
    assert_eq!(
        soa_serial(dns, "rep.test."),
        Some(1),
        "the old copy is served"
    );
    assert!(primary.transfers.lock().unwrap().len() >= 2);
    // 20,000 records are a few hundred KiB; a secondary collecting the
    // endless stream for the 60 s the fake primary sends would pass a
    // gigabyte.
    let peak = peak_rss_kib(&secondary);
    assert!(peak < 256 * 1024, "the secondary's peak RSS is {peak} KiB");
}

#[test]
fn a_transfer_over_the_size_limit_is_refused_and_the_copy_kept() {
    let root = tempfile::tempdir().unwrap();
    let (secondary, dns, _primary) = misbehave(
        root.path(),
        Misbehaviour::Endless,
        "max_transfer_size = \"64KiB\"",
    );
    eventually(
        Duration::from_secs(30),
        "the limit named in the log",
        &secondary,
        || {
            secondary
                .log_text()
                .contains("over max_transfer_size (65536 octets)")
        },
    );
    assert_eq!(soa_serial(dns, "rep.test."), Some(1));
}

#[test]
fn garbage_for_a_transfer_keeps_the_copy_and_says_why() {
    let root = tempfile::tempdir().unwrap();
    let (secondary, dns, _primary) = misbehave(root.path(), Misbehaviour::Garbage, "");
    eventually(
        Duration::from_secs(30),
        "the failure in the log",
        &secondary,
        || {
            let log = secondary.log_text();
            log.contains("transfer in failed") && log.contains("malformed")
        },
    );
    assert_eq!(soa_serial(dns, "rep.test."), Some(1));
}

#[test]
fn a_transfer_of_a_lower_serial_than_announced_keeps_the_copy() {
    let root = tempfile::tempdir().unwrap();
    let (secondary, dns, _primary) = misbehave(root.path(), Misbehaviour::LowerSerial, "");
    eventually(
        Duration::from_secs(30),
        "the refusal in the log",
        &secondary,
        || secondary.log_text().contains("transfer in failed"),
    );
    assert_eq!(soa_serial(dns, "rep.test."), Some(1));
    let answer = common::ask(dns, "www.rep.test.", wire::Rtype::A);
    assert_eq!(answer.answer.len(), 1);
}

#[test]
fn a_transfer_with_an_rrset_past_the_bound_keeps_the_copy() {
    let root = tempfile::tempdir().unwrap();
    let (secondary, dns, _primary) = misbehave(root.path(), Misbehaviour::BigRrset, "");
    eventually(
        Duration::from_secs(30),
        "the refusal in the log",
        &secondary,
        || {
            secondary
                .log_text()
                .contains("5000 A records at flood.rep.test., over the 4096")
        },
    );
    assert_eq!(soa_serial(dns, "rep.test."), Some(1));
}
