//! Faults from outside the node, injected: the data directory's disk fills
//! up under a stream of API writes; another process holds the store's
//! SQLite database locked. Writes fail with a clear error or wait, nothing
//! acknowledged is lost, serving goes on, and writes resume once the
//! fault is gone.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::ApiNode;
use wire::{Rcode, Rtype};

/// Whether the test runs as root (mounting a tmpfs needs it; CI is root).
fn root_or_skip(test: &str) -> bool {
    // SAFETY-free: the effective uid from /proc.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(str::to_string))
        .unwrap();
    if euid == "0" {
        return true;
    }
    eprintln!("{test}: skipped: mounting a tmpfs needs root (euid {euid}); CI runs as root");
    false
}

/// A small tmpfs mounted at a directory, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .status()
            .unwrap();
        assert!(status.success(), "mount a tmpfs at {}", at.display());
        Tmpfs(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// One A record at `name` as a PATCH body.
fn patch(name: &str, address: &str) -> String {
    serde_json::json!({"rrsets": [{"name": name, "type": "A", "ttl": 300, "changetype": "REPLACE",
        "records": [{"content": address, "disabled": false}]}]})
    .to_string()
}

/// PATCHes `name` in `zone`; the status and error text.
fn write(node: &ApiNode, zone: &str, name: &str, address: &str) -> (u16, String) {
    let response = node.request(
        "PATCH",
        &format!("/api/v1/servers/localhost/zones/{zone}"),
        Some(&node.token),
        &[],
        Some(&patch(name, address)),
    );
    (response.status, response.text())
}

/// Fills the file system holding `dir` to the last octet (bounded: 1 GiB).
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    for _ in 0..16 * 1024 {
        if file.write_all(&chunk).is_err() {
            break;
        }
    }
    // Then the last partial chunk's room, octet by octet (bounded).
    for _ in 0..64 * 1024 {
        if file.write_all(&[0]).is_err() {
            break;
        }
    }
    let _ = file.sync_all();
    path
}

#[test]
fn a_full_disk_fails_writes_clearly_loses_nothing_and_they_resume() {
    if !root_or_skip("a_full_disk_fails_writes_clearly_loses_nothing_and_they_resume") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let _tmpfs = Tmpfs::mount(&root.path().join("full/data"), "24m");
    let node = ApiNode::start(root.path(), "full", "");
    node.create_zone("full.test.", serde_json::json!([]));
    let mut acknowledged = Vec::new();
    for i in 0..5 {
        let name = format!("before{i}.full.test.");
        let (status, text) = write(&node, "full.test.", &name, "192.0.2.1");
        assert_eq!(status, 204, "{text}");
        acknowledged.push(name);
    }

    let filler = fill(&node.dir.join("data"));
    let mut refused = Vec::new();
    for i in 0..20 {
        let name = format!("during{i}.full.test.");
        let (status, text) = write(&node, "full.test.", &name, "192.0.2.2");
        if status == 204 {
            acknowledged.push(name);
        } else {
            refused.push((status, text));
        }
    }
    assert!(!refused.is_empty(), "some write must fail on a full disk");
    eprintln!(
        "{} of 20 writes refused on the full disk, e.g. {:?}",
        refused.len(),
        refused[0]
    );
    for (status, text) in &refused {
        assert!(
            *status >= 500,
            "a full disk is the server's failure, not the client's: {status} {text}"
        );
        let lower = text.to_lowercase();
        assert!(
            lower.contains("full") || lower.contains("space"),
            "the error names the full disk: {status} {text}"
        );
    }
    // Serving goes on from memory.
    let answer = common::ask(node.dns, "before0.full.test.", Rtype::A);
    assert_eq!(answer.rcode, Rcode::NOERROR);
    assert_eq!(answer.answer.len(), 1);

    // Space comes back: writes resume without a restart.
    std::fs::remove_file(filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, text) = write(&node, "full.test.", "after.full.test.", "192.0.2.3");
        if status == 204 {
            acknowledged.push("after.full.test.".to_string());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writes did not resume: {status} {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Every acknowledged write is served and kept in the store.
    for name in &acknowledged {
        let answer = common::ask(node.dns, name, Rtype::A);
        assert_eq!(
            answer.answer.len(),
            1,
            "{name} was acknowledged and is not served"
        );
    }
    let zone = node.request(
        "GET",
        "/api/v1/servers/localhost/zones/full.test.",
        Some(&node.token),
        &[],
        None,
    );
    let body = zone.json();
    let names: Vec<&str> = body["rrsets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    for name in &acknowledged {
        assert!(
            names.contains(&name.as_str()),
            "{name} is not in the store: {names:?}"
        );
    }
    assert!(
        !node.process.log_text().contains("panicked"),
        "{}",
        node.process.log_text()
    );
}

#[test]
fn a_store_locked_by_another_process_makes_writes_wait_then_fail_cleanly() {
    let root = tempfile::tempdir().unwrap();
    let node = ApiNode::start(root.path(), "locked", "");
    node.create_zone("locked.test.", serde_json::json!([]));
    let database = node.dir.join("data/hadns.db");
    // Another process takes the write lock for `seconds`.
    let hold = |seconds: u32| {
        let script = format!(
            "import sqlite3, sys, time\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n\
             c.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\ntime.sleep({seconds})\n\
             c.execute('ROLLBACK')\n"
        );
        let mut child = Command::new("/usr/bin/python3")
            .args(["-c", &script])
            .arg(&database)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        use std::io::BufRead;
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "locked");
        child
    };

    // A short hold: the write waits for it, then goes through.
    let mut holder = hold(2);
    let started = Instant::now();
    let (status, text) = write(&node, "locked.test.", "waited.locked.test.", "192.0.2.1");
    assert_eq!(status, 204, "a write waits out a short lock: {text}");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "it waited for the lock"
    );
    holder.wait().unwrap();

    // A hold longer than the store waits: the write fails with a clear
    // error, and nothing of it is applied.
    let mut holder = hold(25);
    let started = Instant::now();
    let (status, text) = write(&node, "locked.test.", "failed.locked.test.", "192.0.2.2");
    let waited = started.elapsed();
    eprintln!("under a held lock, after {waited:?}: {status} {text}");
    assert!(
        status >= 500,
        "a write that cannot get the lock fails: {status} {text}"
    );
    assert!(
        text.to_lowercase().contains("lock") || text.to_lowercase().contains("busy"),
        "the error says the store is locked: {text}"
    );
    assert!(
        waited < Duration::from_secs(20),
        "it failed after the busy timeout, not {waited:?}"
    );
    let _ = holder.kill();
    let _ = holder.wait();
    let answer = common::ask(node.dns, "failed.locked.test.", Rtype::A);
    assert_eq!(
        answer.rcode,
        Rcode::NXDOMAIN,
        "the failed write is not served"
    );
    // And the next write goes through.
    let (status, text) = write(&node, "locked.test.", "later.locked.test.", "192.0.2.3");
    assert_eq!(status, 204, "{text}");
    assert!(!node.process.log_text().contains("panicked"));
}

/// A secondary of a fake primary serving `rep.test` at serial 1; returns
/// (secondary, its DNS address, its data directory, the primary).
fn secondary_of_fake(
    dir: &Path,
) -> (
    common::Process,
    std::net::SocketAddr,
    PathBuf,
    common::fake_primary::FakePrimary,
) {
    use common::fake_primary::{FakePrimary, Misbehaviour, build};
    use std::sync::{Arc, Mutex};
    let mut text = String::from(
        "$ORIGIN rep.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A 127.0.0.1\nwww A 192.0.2.1\n",
    );
    for i in 0..200 {
        text.push_str(&format!(
            "host{i} TXT \"a copy long enough to damage in the middle {i}\"\n"
        ));
    }
    let primary = FakePrimary::start(build(&text), None, Arc::new(Mutex::new(Misbehaviour::None)));
    let dns: std::net::SocketAddr = format!("127.0.0.1:{}", common::free_port())
        .parse()
        .unwrap();
    let config = dir.join("hadns.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"{dns}\"]\nbuiltin_zones = false\n\
             udp_workers = 1\n[replication]\nmin_refresh = 1\nmin_retry = 1\n\
             [[zone]]\nname = \"rep.test\"\nrole = \"secondary\"\nprimaries = [\"{}\"]\n",
            primary.address
        ),
    )
    .unwrap();
    let mut process = common::start_hadns(
        dir,
        "secondary",
        &["--config".into(), config.display().to_string()],
    );
    common::wait_for_zone(dns, "rep.test.", Duration::from_secs(20), &mut process);
    (process, dns, dir.join("data"), primary)
}

/// The secondary's copy of the zone on disk.
fn copy_file(data_dir: &Path) -> PathBuf {
    let dir = data_dir.join("zones");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "zone"))
        .unwrap_or_else(|| panic!("no copy in {}", dir.display()))
}

#[test]
fn a_damaged_copy_on_a_secondary_is_found_at_start_and_transferred_again() {
    for damage in ["flipped", "truncated"] {
        let root = tempfile::tempdir().unwrap();
        let (mut secondary, dns, data_dir, primary) = secondary_of_fake(root.path());
        // Stopped cleanly, so the copy is whole; then damaged as a disk could.
        secondary.signal("TERM");
        assert!(secondary.wait_exit(Duration::from_secs(20)).is_some());
        let path = copy_file(&data_dir);
        let mut bytes = std::fs::read(&path).unwrap();
        if damage == "flipped" {
            let middle = bytes.len() / 2;
            for octet in &mut bytes[middle..middle + 8] {
                *octet ^= 0x5a;
            }
        } else {
            bytes.truncate(bytes.len() / 2);
        }
        std::fs::write(&path, &bytes).unwrap();
        let transfers_before = primary.transfers.lock().unwrap().len();
        let config = root.path().join("hadns.toml");
        let mut again = common::start_hadns(
            root.path(),
            "again",
            &["--config".into(), config.display().to_string()],
        );
        common::wait_for_zone(dns, "rep.test.", Duration::from_secs(30), &mut again);
        // Whatever it serves is the zone whole: every record answers.
        for i in [0, 100, 199] {
            let answer = common::ask(dns, &format!("host{i}.rep.test."), Rtype::TXT);
            assert_eq!(
                answer.answer.len(),
                1,
                "{damage}: host{i} after the restart"
            );
        }
        assert!(
            primary.transfers.lock().unwrap().len() > transfers_before,
            "{damage}: the zone was transferred again"
        );
        let log = again.log_text();
        assert!(!log.contains("panicked"), "{log}");
        assert!(
            log.to_lowercase().contains("damaged")
                || log.to_lowercase().contains("corrupt")
                || log.to_lowercase().contains("checksum")
                || log.to_lowercase().contains("cannot read"),
            "{damage}: the log says the copy was bad:\n{log}"
        );
    }
}
