//! The primary killed with SIGKILL at 20 random moments while API PATCHes
//! and RFC 2136 UPDATEs stream in at once, a secondary following it. After
//! each restart every write acknowledged so far (a 204, a NOERROR) is
//! served and the store's journal is one unbroken chain ending at the SOA
//! serial; at the end the secondary has converged to the primary's serial
//! and serves every acknowledged write.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Process, free_port, hadns_binary, soa_serial};
use wire::writer::{Owner, Section, Writer};
use wire::{Class, Message, Name, Rcode, Rtype};

const KILLS: usize = 20;

/// A PATCH body setting `pN.crash.test. A`.
fn patch(n: usize) -> String {
    format!(
        r#"{{"rrsets": [{{"name": "p{n}.crash.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
           "records": [{{"content": "10.1.{}.{}", "disabled": false}}]}}]}}"#,
        (n >> 8) & 255,
        n & 255
    )
}

/// An UPDATE adding `uN.crash.test. A` (RFC 2136 §2).
fn update(n: usize) -> Vec<u8> {
    let zone: Name = "crash.test.".parse().unwrap();
    let owner: Name = format!("u{n}.crash.test.").parse().unwrap();
    let mut out = Vec::new();
    let mut w = Writer::new(&mut out, 512);
    let _ = w.question(zone.as_wire(), Rtype::SOA, Class::IN, true);
    w.set_section(Section::Authority);
    let _ = w.record(
        Owner::Name(owner.as_wire()),
        Rtype::A,
        Class::IN,
        300,
        &[10, 2, (n >> 8) as u8, n as u8],
    );
    // Opcode UPDATE (5) in the header's flags.
    w.finish(n as u16, 5 << 11);
    out
}

/// Starts the node configured in `root` (its log beside it).
fn start(root: &Path, name: &str) -> Process {
    common::start_hadns(root, name, &["-c".to_string(), "hadns.toml".to_string()])
}

/// Waits until the node serves crash.test.; its serial.
fn wait_serving(server: SocketAddr, process: &mut Process) -> u32 {
    common::wait_for_zone(server, "crash.test.", Duration::from_secs(20), process);
    soa_serial(server, "crash.test.").expect("the zone served a moment ago")
}

/// A pseudo-random number from the clock (no dependency for a few draws).
fn random(below: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos.wrapping_mul(2_654_435_761)) % below
}

/// The writes acknowledged so far: PATCHed and UPDATEd names.
#[derive(Default)]
struct Acknowledged {
    names: Vec<String>,
}

#[test]
fn the_primary_killed_at_twenty_moments_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (port, api_port, secondary_port) = (free_port(), free_port(), free_port());
    let server: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let api: SocketAddr = format!("127.0.0.1:{api_port}").parse().unwrap();
    let secondary: SocketAddr = format!("127.0.0.1:{secondary_port}").parse().unwrap();
    std::fs::write(
        root.join("crash.zone"),
        "$TTL 300\n@ SOA ns1 hostmaster 1 60 30 600 60\n@ NS ns1\nns1 A 127.0.0.1\n",
    )
    .unwrap();
    std::fs::write(
        root.join("hadns.toml"),
        format!(
            "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"{server}\"]\nbuiltin_zones = false\n\
             udp_workers = 1\n[api]\nlisten = \"{api}\"\n\
             [[zone]]\nname = \"crash.test\"\nallow_update = [\"127.0.0.1\"]\nallow_transfer = [\"127.0.0.1\"]\n\
             notify = [\"{secondary}\"]\n"
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
    let secondary_dir = root.join("secondary");
    std::fs::create_dir_all(&secondary_dir).unwrap();
    std::fs::write(
        secondary_dir.join("hadns.toml"),
        format!(
            "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"{secondary}\"]\nbuiltin_zones = false\n\
             udp_workers = 1\n[replication]\nmin_refresh = 1\nmin_retry = 1\n\
             [[zone]]\nname = \"crash.test\"\nrole = \"secondary\"\nprimaries = [\"{server}\"]\n"
        ),
    )
    .unwrap();
    let mut follower = start(&secondary_dir, "secondary");

    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let mut token = String::new();
    let (mut next_patch, mut next_update) = (0usize, 0usize);
    let mut kills_mid_stream = 0;
    for round in 0..KILLS {
        let mut node = start(root, &format!("primary-{round}"));
        let serial = wait_serving(server, &mut node);
        if token.is_empty() {
            token = std::fs::read_to_string(root.join("data/initial-credentials"))
                .unwrap()
                .lines()
                .find_map(|l| l.strip_prefix("api_token = "))
                .expect("first start writes a token")
                .to_string();
        }
        check_after_restart(root, server, serial, &acknowledged.lock().unwrap());

        // Two writers at once, until the kill.
        let stop = Arc::new(AtomicBool::new(false));
        let patches = {
            let (stop, acknowledged, token) = (stop.clone(), acknowledged.clone(), token.clone());
            let first = next_patch;
            std::thread::spawn(move || {
                let mut n = first;
                while !stop.load(Ordering::SeqCst) && n < first + 2000 {
                    let sent = std::panic::catch_unwind(|| {
                        common::http_request(
                            api,
                            "PATCH",
                            "/api/v1/servers/localhost/zones/crash.test.",
                            &[("X-API-Key", &token), ("Content-Type", "application/json")],
                            Some(patch(n).as_bytes()),
                        )
                        .status
                    });
                    match sent {
                        Ok(204) => acknowledged
                            .lock()
                            .unwrap()
                            .names
                            .push(format!("p{n}.crash.test.")),
                        _ => break,
                    }
                    n += 1;
                }
                n
            })
        };
        let updates = {
            let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
            let first = next_update;
            std::thread::spawn(move || {
                let mut n = first;
                while !stop.load(Ordering::SeqCst) && n < first + 2000 {
                    let Some(reply) =
                        common::tcp_exchange(server, &update(n), Duration::from_secs(2))
                    else {
                        break;
                    };
                    match Message::parse(&reply) {
                        Ok(m) if m.rcode() == Rcode::NOERROR && m.header.id == n as u16 => {
                            acknowledged
                                .lock()
                                .unwrap()
                                .names
                                .push(format!("u{n}.crash.test."));
                        }
                        _ => break,
                    }
                    n += 1;
                }
                n
            })
        };
        let at_start = acknowledged.lock().unwrap().names.len();
        std::thread::sleep(Duration::from_millis(150 + random(700)));
        node.signal("KILL");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !node.has_exited() {
            assert!(Instant::now() < deadline, "SIGKILL did not end the primary");
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::SeqCst);
        let (patched_to, updated_to) = (patches.join().unwrap(), updates.join().unwrap());
        // Mid-stream: writes were acknowledged in this round, and neither
        // writer had run out of writes when the kill came.
        if acknowledged.lock().unwrap().names.len() > at_start
            && patched_to < next_patch + 2000
            && updated_to < next_update + 2000
        {
            kills_mid_stream += 1;
        }
        // A write cut off by the kill may have committed: its name is
        // never reused, so it cannot be mistaken for an acknowledged one.
        next_patch = patched_to + 1;
        next_update = updated_to + 1;
    }
    assert_eq!(
        kills_mid_stream, KILLS,
        "every kill came while writes streamed in"
    );

    // The last restart: everything there, and the secondary catches up.
    let mut node = start(root, "primary-last");
    let serial = wait_serving(server, &mut node);
    let acknowledged = acknowledged.lock().unwrap();
    check_after_restart(root, server, serial, &acknowledged);
    let deadline = Instant::now() + Duration::from_secs(60);
    while soa_serial(secondary, "crash.test.") != Some(serial) {
        assert!(
            !follower.has_exited() && Instant::now() < deadline,
            "the secondary did not reach serial {serial} (has {:?}):\n{}",
            soa_serial(secondary, "crash.test."),
            follower.log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for name in &acknowledged.names {
        let answer = common::ask(secondary, name, Rtype::A);
        assert_eq!(
            answer.answer.len(),
            1,
            "the secondary lacks acknowledged {name}"
        );
    }
    eprintln!(
        "{KILLS} kills, {} writes acknowledged ({} PATCH, {} UPDATE), final serial {serial}",
        acknowledged.names.len(),
        acknowledged
            .names
            .iter()
            .filter(|n| n.starts_with('p'))
            .count(),
        acknowledged
            .names
            .iter()
            .filter(|n| n.starts_with('u'))
            .count(),
    );
}

/// After a restart: every acknowledged name is served, and the store's
/// journal is one chain from the import to the served serial.
fn check_after_restart(root: &Path, server: SocketAddr, serial: u32, acknowledged: &Acknowledged) {
    for name in &acknowledged.names {
        let answer = common::ask(server, name, Rtype::A);
        assert_eq!(answer.rcode, Rcode::NOERROR, "acknowledged {name} lost");
        assert_eq!(answer.answer.len(), 1, "{name}: {answer:?}");
    }
    let store = store::Store::open(&root.join("data/hadns.db")).unwrap();
    let mut history = store
        .history(&"crash.test.".parse().unwrap(), usize::MAX, None)
        .unwrap();
    history.reverse();
    for pair in history.windows(2) {
        assert_eq!(
            pair[0].serial_to, pair[1].serial_from,
            "journal chain broken"
        );
    }
    assert_eq!(
        history.last().unwrap().serial_to.0,
        serial,
        "the journal ends at the SOA serial"
    );
    let writes = history.len() - 1;
    assert!(
        writes >= acknowledged.names.len(),
        "{writes} journaled writes for {} acknowledged",
        acknowledged.names.len()
    );
}
