//! Crash safety of the write path: writes stream in while the node is
//! killed with SIGKILL at a random moment; after a restart every write that
//! was acknowledged is served, the journal's serials form one unbroken
//! chain ending at the SOA serial, and IXFR from the first serial carries
//! every acknowledged record — even when the IXFR journal lost its
//! entries (it is not fsynced; the store refills it).
//!
//! The same with views: base writes and one view's own writes interleaved,
//! the views' IXFR journals torn or cut as a power loss could leave them
//! (they are not fsynced: the store is the durable copy), each view's copy
//! and IXFR journal checked after the restart.
//!
//! The writes are REST API PATCHes (one RRset each, `REPLACE`); a 204 is an
//! acknowledgement.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Process, free_port, hadns_binary, soa_serial};
use wire::{Message, Name, Rcode, Rtype};

/// The length of crash.test.'s journal header: magic, version, apex in
/// wire form, checksum.
const JOURNAL_HEADER: u64 = 8 + 2 + "crash.test.".len() as u64 + 1 + 4;

/// More than can be written before the kill, so the kill always lands mid-stream.
const WRITES: usize = 2000;

/// A PATCH body setting `wN.crash.test. A 10.x.y.z`.
fn patch(n: usize) -> String {
    format!(
        r#"{{"rrsets": [{{"name": "w{n}.crash.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
           "records": [{{"content": "10.{}.{}.{}", "disabled": false}}]}}]}}"#,
        (n >> 16) & 255,
        (n >> 8) & 255,
        n & 255
    )
}

fn start(root: &std::path::Path, name: &str) -> Process {
    let mut command = Command::new(hadns_binary());
    command
        .args(["serve", "-c", "hadns.toml"])
        .current_dir(root);
    Process::start(name, command, &root.join(format!("{name}.log")))
}

fn wait_serving(server: SocketAddr, process: &mut Process) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(serial) = soa_serial(server, "crash.test.") {
            return serial;
        }
        assert!(
            !process.has_exited() && Instant::now() < deadline,
            "node did not start:\n{}",
            process.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A pseudo-random delay from the clock (no dependency needed for one draw).
fn random_delay() -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    Duration::from_millis(300 + u64::from(nanos % 1200))
}

/// A node set up for a crash test: crash.test. imported into its store,
/// started, serving.
struct Setup {
    server: SocketAddr,
    api: SocketAddr,
    node: Process,
    first_serial: u32,
    token: String,
}

/// Writes a configuration (`extra` appended: views, zone rules), imports
/// crash.test. into the store and starts the node.
fn set_up(root: &std::path::Path, extra: &str) -> Setup {
    let (port, api_port) = (free_port(), free_port());
    let server: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let api: SocketAddr = format!("127.0.0.1:{api_port}").parse().unwrap();
    std::fs::write(
        root.join("crash.zone"),
        "$TTL 300\n@ SOA ns1 hostmaster 1 60 30 600 60\n@ NS ns1\nns1 A 127.0.0.1\n",
    )
    .unwrap();
    std::fs::write(
        root.join("hadns.toml"),
        format!(
            "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"127.0.0.1:{port}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             [api]\nlisten = \"127.0.0.1:{api_port}\"\n{extra}"
        ),
    )
    .unwrap();
    let output = Command::new(hadns_binary())
        .args([
            "import",
            "crash.zone",
            "--origin",
            "crash.test",
            "-c",
            "hadns.toml",
        ])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut node = start(root, "first");
    let first_serial = wait_serving(server, &mut node);
    let token = std::fs::read_to_string(root.join("data/initial-credentials"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("api_token = "))
        .expect("first start writes a token")
        .to_string();
    Setup {
        server,
        api,
        node,
        first_serial,
        token,
    }
}

/// Cuts the IXFR journal of crash.test. under `data_dir` to `length`
/// octets, or (`None`) tears its last entry, as a power loss could leave
/// a journal written without fsync.
fn cut_journal(data_dir: &std::path::Path, length: Option<u64>) {
    let journal = std::fs::read_dir(data_dir.join("zones"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jnl"))
        .unwrap_or_else(|| panic!("no journal under {}", data_dir.display()));
    let now = std::fs::metadata(&journal).unwrap().len();
    let cut = length.unwrap_or(now.saturating_sub(7)).min(now);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&journal)
        .unwrap()
        .set_len(cut)
        .unwrap();
}

/// Sends write `n` as `request(n)` = (path, body), one at a time, while
/// the node is SIGKILLed at a random moment; returns the writes
/// acknowledged (204) before the kill, checking the kill landed
/// mid-stream. The HTTP client panics once the node is gone: that ends
/// the loop.
fn write_until_killed(
    setup: &mut Setup,
    request: impl Fn(usize) -> (String, String) + Send + 'static,
) -> Vec<usize> {
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let acknowledged = Arc::clone(&acknowledged);
        let stop = Arc::clone(&stop);
        let (api, token) = (setup.api, setup.token.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            for n in 0..WRITES {
                if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
                    break;
                }
                let (path, body) = request(n);
                let sent = std::panic::catch_unwind(|| {
                    common::http_request(
                        api,
                        "PATCH",
                        &path,
                        &[("X-API-Key", &token), ("Content-Type", "application/json")],
                        Some(body.as_bytes()),
                    )
                    .status
                });
                match sent {
                    Ok(204) => acknowledged.lock().unwrap().push(n),
                    _ => break,
                }
            }
        })
    };
    std::thread::sleep(random_delay());
    let pid = setup.node.pid();
    setup.node.signal("KILL");
    let _ = setup.node.wait_exit(Duration::from_secs(5));
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 5,
        "too few writes before the kill to test anything: {}",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() < WRITES,
        "the node (pid {pid}) was killed after all writes; the kill came too late"
    );
    acknowledged
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut setup = set_up(
        root,
        "[[zone]]\nname = \"crash.test\"\nallow_transfer = [\"127.0.0.1\"]\n",
    );
    let acknowledged = write_until_killed(&mut setup, |n| {
        (
            "/api/v1/servers/localhost/zones/crash.test.".to_string(),
            patch(n),
        )
    });
    let (server, first_serial) = (setup.server, setup.first_serial);

    // The IXFR journal is written without fsync (the store is the durable
    // copy): stand for a power loss that took all its entries; the restart
    // must fill it again from the store.
    cut_journal(&root.join("data"), Some(JOURNAL_HEADER));
    let mut node = start(root, "second");
    let serial = wait_serving(server, &mut node);
    // Every acknowledged write is served.
    for n in &acknowledged {
        let answer = common::ask(server, &format!("w{n}.crash.test."), Rtype::A);
        assert_eq!(answer.rcode, Rcode::NOERROR, "acknowledged write w{n} lost");
        assert_eq!(answer.answer.len(), 1, "w{n}: {answer:?}");
    }
    // The journal is one chain from the import to the SOA serial, one entry
    // per write that committed (acknowledged ones, and at most one the kill
    // cut off before its reply).
    let store = store::Store::open(&root.join("data/hadns.db")).unwrap();
    let mut history = store
        .history(&"crash.test.".parse().unwrap(), usize::MAX, None)
        .unwrap();
    history.reverse();
    assert_eq!(history[0].serial_to.0, first_serial);
    for pair in history.windows(2) {
        assert_eq!(
            pair[0].serial_to, pair[1].serial_from,
            "journal chain broken"
        );
    }
    assert_eq!(history.last().unwrap().serial_to.0, serial);
    let writes = history.len() - 1;
    assert!(
        writes == acknowledged.len() || writes == acknowledged.len() + 1,
        "{writes} journaled writes for {} acknowledged",
        acknowledged.len()
    );
    assert_eq!(serial, first_serial + writes as u32);
    eprintln!(
        "{} writes acknowledged before SIGKILL, {writes} committed",
        acknowledged.len()
    );

    // IXFR from the first serial (the node's own journal, caught up from
    // the store at start) carries every served write.
    let mut request = common::query(0x1f1f, "crash.test.", Rtype::IXFR, 0, None);
    // Authority: our SOA at the first serial (RFC 1995 §3).
    request[9] = 1;
    let zone: Name = "crash.test.".parse().unwrap();
    request.extend_from_slice(zone.as_wire());
    request.extend_from_slice(&[0, 6, 0, 1, 0, 0, 0, 0]);
    let mname: Name = "ns1.crash.test.".parse().unwrap();
    let rname: Name = "hostmaster.crash.test.".parse().unwrap();
    let mut rdata = Vec::new();
    rdata.extend_from_slice(mname.as_wire());
    rdata.extend_from_slice(rname.as_wire());
    for v in [first_serial, 60, 30, 600, 60] {
        rdata.extend_from_slice(&v.to_be_bytes());
    }
    request.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    request.extend_from_slice(&rdata);
    let added = ixfr_added(server, &request);
    let expected: BTreeSet<String> = (0..writes).map(|n| format!("w{n}.crash.test.")).collect();
    assert_eq!(added, expected, "IXFR from serial {first_serial}");
}

/// The owners of the A records an IXFR response adds; fails unless the
/// response is incremental (its second record is an SOA, RFC 1995 §4).
fn ixfr_added(server: SocketAddr, request: &[u8]) -> BTreeSet<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(server).unwrap();
    let mut framed = (request.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(request);
    stream.write_all(&framed).unwrap();
    // The server keeps the connection open: read until it falls silent.
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut records = Vec::new();
    loop {
        let mut length = [0u8; 2];
        if stream.read_exact(&mut length).is_err() {
            break;
        }
        let mut message = vec![0u8; u16::from_be_bytes(length) as usize];
        stream.read_exact(&mut message).unwrap();
        let message = Message::parse(&message).unwrap();
        assert_eq!(message.rcode(), Rcode::NOERROR);
        records.extend(message.answer);
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
    }
    assert!(
        records.len() > 2,
        "IXFR answered with {} records",
        records.len()
    );
    assert_eq!(records[0].rtype, Rtype::SOA);
    assert_eq!(
        records[1].rtype,
        Rtype::SOA,
        "an AXFR-style answer, not an IXFR"
    );
    records
        .iter()
        .filter(|r| r.rtype == Rtype::A && r.owner.to_string().starts_with('w'))
        .map(|r| r.owner.to_string())
        .collect()
}

/// `dig` from loopback `source` with `args`; the records of the answer,
/// one `owner ttl class type rdata` line each.
fn dig_records(server: SocketAddr, source: &str, args: &[&str]) -> Vec<Vec<String>> {
    let dig = common::require_program("dig", "bind9-dnsutils");
    let mut all: Vec<String> = [
        format!("@{}", server.ip()),
        "-p".into(),
        server.port().to_string(),
        "-b".into(),
        source.into(),
        "+nocmd".into(),
        "+nostats".into(),
        "+nocomments".into(),
        "+time=5".into(),
    ]
    .to_vec();
    all.extend(args.iter().map(|a| a.to_string()));
    common::run_tool(&dig, &all, "", Duration::from_secs(30))
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// The owners of the A records starting with `prefix` that a view serves,
/// by AXFR from `source`.
fn owners_in(server: SocketAddr, source: &str, prefix: char) -> BTreeSet<String> {
    dig_records(server, source, &["crash.test.", "AXFR"])
        .into_iter()
        .filter(|r| r.len() >= 5 && r[3] == "A" && r[0].starts_with(prefix))
        .map(|r| r[0].clone())
        .collect()
}

#[test]
fn acknowledged_writes_in_views_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // View a: 127.0.0.2; view b: everyone else.
    let mut setup = set_up(
        root,
        "[[view]]\nname = \"a\"\nmatch_clients = [\"127.0.0.2\"]\n\
         [[view]]\nname = \"b\"\nmatch_clients = [\"any\"]\n\
         [[zone]]\nname = \"crash.test\"\nallow_transfer = [\"127.0.0.0/8\"]\n",
    );
    // Writes alternate: even ones to the base (`bN`), odd ones to view a
    // only (`vN`).
    let acknowledged = write_until_killed(&mut setup, |n| {
        if n % 2 == 0 {
            (
                "/api/v1/servers/localhost/zones/crash.test.".to_string(),
                patch(n).replacen("\"w", "\"b", 1),
            )
        } else {
            (
                "/api/v1/servers/localhost/zones/crash.test.?view=a".to_string(),
                patch(n).replacen("\"w", "\"v", 1),
            )
        }
    });
    let (server, first_serial) = (setup.server, setup.first_serial);

    // The views' IXFR journals are written without fsync (the store is
    // the durable copy): stand for a power loss by tearing view a's tail
    // and cutting view b's to its header; the restart must copy what is
    // missing back from the store.
    cut_journal(&root.join("data/views/a"), None);
    cut_journal(&root.join("data/views/b"), Some(JOURNAL_HEADER));
    let mut node = start(root, "second");
    wait_serving(server, &mut node);
    let base_acked: BTreeSet<String> = acknowledged
        .iter()
        .filter(|n| *n % 2 == 0)
        .map(|n| format!("b{n}.crash.test."))
        .collect();
    let view_acked: BTreeSet<String> = acknowledged
        .iter()
        .filter(|n| *n % 2 == 1)
        .map(|n| format!("v{n}.crash.test."))
        .collect();
    // Every acknowledged write is served, in the right views only.
    let (a_base, a_own) = (
        owners_in(server, "127.0.0.2", 'b'),
        owners_in(server, "127.0.0.2", 'v'),
    );
    let (b_base, b_own) = (
        owners_in(server, "127.0.0.3", 'b'),
        owners_in(server, "127.0.0.3", 'v'),
    );
    assert!(a_base.is_superset(&base_acked), "a lost base writes");
    assert!(b_base.is_superset(&base_acked), "b lost base writes");
    assert!(a_own.is_superset(&view_acked), "a lost its own writes");
    assert!(b_own.is_empty(), "view a's writes leaked into b: {b_own:?}");
    assert_eq!(a_base, b_base, "both views serve the same base");
    // At most one write committed without its reply.
    let committed = a_base.len() + a_own.len();
    assert!(
        committed == acknowledged.len() || committed == acknowledged.len() + 1,
        "{committed} committed for {} acknowledged",
        acknowledged.len()
    );

    // Each view's history is one unbroken chain up to the serial it
    // serves, and IXFR from the first serial in each view (its lane's
    // journal, caught up from the store at start) carries every write
    // that view serves.
    let store = store::Store::open(&root.join("data/hadns.db")).unwrap();
    let zone: Name = "crash.test.".parse().unwrap();
    for (view, source, expected) in [
        (
            "a",
            "127.0.0.2",
            a_base.union(&a_own).cloned().collect::<BTreeSet<_>>(),
        ),
        ("b", "127.0.0.3", b_base.clone()),
    ] {
        let mut history = store
            .history_in(&zone, Some(view), usize::MAX, None)
            .unwrap();
        history.reverse();
        assert_eq!(history[0].serial_to.0, first_serial);
        for pair in history.windows(2) {
            assert_eq!(
                pair[0].serial_to, pair[1].serial_from,
                "view {view}: chain broken"
            );
        }
        let serving = dig_records(server, source, &["crash.test.", "SOA"])[0][6]
            .parse::<u32>()
            .unwrap();
        assert_eq!(history.last().unwrap().serial_to.0, serving, "view {view}");
        let ixfr = dig_records(
            server,
            source,
            &["crash.test.", &format!("IXFR={first_serial}")],
        );
        assert_eq!(
            ixfr[1][3], "SOA",
            "view {view}: an incremental answer, not a full one"
        );
        // Net additions: records after an odd-numbered SOA (past the first)
        // are added, after an even-numbered one removed (RFC 1995 §4).
        let mut added = BTreeSet::new();
        let mut adding = true;
        for record in &ixfr[1..ixfr.len() - 1] {
            if record[3] == "SOA" {
                adding = !adding;
            } else if record[3] == "A" && (record[0].starts_with('b') || record[0].starts_with('v'))
            {
                if adding {
                    added.insert(record[0].clone());
                } else {
                    added.remove(&record[0]);
                }
            }
        }
        assert_eq!(
            added, expected,
            "view {view}: IXFR from serial {first_serial}"
        );
    }
}
