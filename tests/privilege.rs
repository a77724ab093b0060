//! Privileges and the service manager, seen from outside the process:
//!
//! - started as root with `[node] user = "nobody"`, the node answers from
//!   a socket it bound as root, then runs with every uid and gid the
//!   user's, no supplementary groups and no capabilities (read from
//!   `/proc/PID/status`), and still writes its store, data directory and
//!   query log;
//! - started as the user itself with only the ambient capability
//!   CAP_NET_BIND_SERVICE (systemd's `User=` and `AmbientCapabilities=`),
//!   it binds a port below 1024 and then gives the capability up;
//! - with `[node] chroot`, it runs locked in that directory, and a reload
//!   re-reads the configuration and zone files from inside it, and
//!   `hadns ctl --config` finds it from outside;
//! - an unknown user is refused with its name;
//! - `$NOTIFY_SOCKET` hears `READY=1`, `RELOADING=1`/`READY=1` around a
//!   reload and `STOPPING=1` (sd_notify).
//!
//! The first three need root (CI runs as root); without it they say so and
//! return.

mod common;

use std::net::SocketAddr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Process, free_port, http_request, soa_serial, start_hadns, wait_for_serial};
use serde_json::json;
use wire::{Rcode, Rtype};

const LIMIT: Duration = Duration::from_secs(30);

/// Whether the test runs as root; prints why it returns when not.
fn root_or_skip(test: &str) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let euid = status_field(&status, "Uid")
        .and_then(|ids| ids.split_whitespace().nth(1).map(str::to_string))
        .expect("a Uid line");
    if euid == "0" {
        return true;
    }
    eprintln!("{test}: skipped: dropping privileges needs root (euid {euid}); CI runs as root");
    false
}

/// The value of `field:` in a /proc status text.
fn status_field(status: &str, field: &str) -> Option<String> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .map(|value| value.trim().to_string())
}

/// `id OPTION nobody`: the test user's uid (`-u`) or primary gid (`-g`).
fn nobody(option: &str) -> u32 {
    let output = Command::new("id")
        .args([option, "nobody"])
        .output()
        .expect("run id");
    assert!(output.status.success(), "the user nobody must exist");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("a number from id")
}

/// Asserts the process runs as nobody with nothing else: all four uids and
/// gids, no groups, no effective, permitted or ambient capabilities.
fn assert_dropped(process: &Process) {
    let status = std::fs::read_to_string(format!("/proc/{}/status", process.pid()))
        .expect("read the node's /proc status");
    let (uid, gid) = (nobody("-u"), nobody("-g"));
    let field = |name: &str| status_field(&status, name).unwrap_or_default();
    assert_eq!(
        field("Uid"),
        format!("{uid}\t{uid}\t{uid}\t{uid}"),
        "{status}"
    );
    assert_eq!(
        field("Gid"),
        format!("{gid}\t{gid}\t{gid}\t{gid}"),
        "{status}"
    );
    assert_eq!(field("Groups"), "", "{status}");
    assert_eq!(field("CapEff"), "0000000000000000", "{status}");
    assert_eq!(field("CapPrm"), "0000000000000000", "{status}");
    assert_eq!(field("CapAmb"), "0000000000000000", "{status}");
}

/// A directory the test user can reach: temporary directories are 0700.
fn reachable_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn zone_text(serial: u32) -> String {
    format!(
        "$ORIGIN chroot.test.\n$TTL 300\n@ SOA ns1 hostmaster {serial} 60 30 600 60\n@ NS ns1\nns1 A 127.0.0.1\n"
    )
}

/// Waits until `address` accepts TCP connections, or fails with the log.
fn wait_for_tcp(address: SocketAddr, process: &mut Process) {
    let deadline = Instant::now() + LIMIT;
    loop {
        assert!(
            !process.has_exited(),
            "{} exited at start:\n{}",
            process.name,
            process.log_text()
        );
        if std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{}: nothing on {address} within {LIMIT:?}:\n{}",
            process.name,
            process.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_node_started_as_root_drops_to_its_user_and_still_writes_its_store() {
    if !root_or_skip("a_node_started_as_root_drops_to_its_user_and_still_writes_its_store") {
        return;
    }
    let dir = reachable_tempdir();
    let dns: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let api: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let config = dir.path().join("hadns.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n[node]\nuser = \"nobody\"\ndata_dir = \"data\"\n\
             [dns]\nlisten = [\"{dns}\"]\nudp_workers = 1\nbuiltin_zones = false\n\
             [api]\nlisten = \"{api}\"\n[log]\nqueries = true\n"
        ),
    )
    .unwrap();
    let mut node = start_hadns(
        dir.path(),
        "dropped",
        &["--config".to_string(), config.display().to_string()],
    );
    wait_for_tcp(api, &mut node);
    // The kernel accepts connections from bind on, before the drop; a DNS
    // reply comes from a worker, and workers start after it.
    let refused = common::ask(dns, "dropped.test.", Rtype::SOA);
    assert_eq!(refused.rcode, Rcode::REFUSED, "{}", node.log_text());
    assert_dropped(&node);

    // The data directory was made for the user, and what start wrote in it is the user's.
    let data = dir.path().join("data");
    for entry in std::iter::once(data.clone())
        .chain(std::fs::read_dir(&data).unwrap().map(|e| e.unwrap().path()))
    {
        let owner = std::fs::symlink_metadata(&entry).unwrap().uid();
        assert_eq!(owner, nobody("-u"), "{} is not nobody's", entry.display());
    }

    // A write after the drop: the store commits, the IXFR journal is
    // created, and the zone is served.
    let credentials = std::fs::read_to_string(data.join("initial-credentials")).unwrap();
    let token = credentials
        .lines()
        .find_map(|line| line.strip_prefix("api_token = "))
        .expect("an api_token line")
        .trim()
        .to_string();
    let body = json!({
        "name": "dropped.test.",
        "kind": "Native",
        "nameservers": ["ns1.dropped.test."],
        "rrsets": [{"name": "www.dropped.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
                    "records": [{"content": "192.0.2.7", "disabled": false}]}],
    })
    .to_string();
    let response = http_request(
        api,
        "POST",
        "/api/v1/servers/localhost/zones",
        &[("X-API-Key", &token), ("Content-Type", "application/json")],
        Some(body.as_bytes()),
    );
    assert_eq!(
        response.status,
        201,
        "{}\n{}",
        response.text(),
        node.log_text()
    );
    let answer = common::ask(dns, "www.dropped.test.", Rtype::A);
    assert_eq!(answer.rcode, Rcode::NOERROR, "{}", node.log_text());
    assert_eq!(answer.answer.len(), 1, "{answer:?}");
    let journals: Vec<_> = walk(&data)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("dropped.test"))
        .collect();
    assert!(
        !journals.is_empty(),
        "no file for dropped.test. under {}",
        data.display()
    );
    for path in journals {
        assert_eq!(
            std::fs::metadata(&path).unwrap().uid(),
            nobody("-u"),
            "{}",
            path.display()
        );
    }
    // The query log, opened while loading, is written after the drop.
    let log = data.join("query.log");
    let deadline = Instant::now() + LIMIT;
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("www.dropped.test")
    {
        assert!(
            Instant::now() < deadline,
            "no query for www.dropped.test. in {}:\n{}",
            log.display(),
            node.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::metadata(&log).unwrap().uid(), nobody("-u"));
    assert_dropped(&node);
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// A loopback port below 1024 free for UDP and TCP (the caller is root).
fn free_low_port() -> u16 {
    (700..1000)
        .find(|&port| {
            std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok()
                && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        })
        .expect("a free loopback port between 700 and 1000")
}

#[test]
fn the_user_itself_binds_a_low_port_with_the_ambient_capability_then_gives_it_up() {
    if !root_or_skip(
        "the_user_itself_binds_a_low_port_with_the_ambient_capability_then_gives_it_up",
    ) {
        return;
    }
    let dir = reachable_tempdir();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::os::unix::fs::chown(&data, Some(nobody("-u")), Some(nobody("-g"))).unwrap();
    let dns: SocketAddr = format!("127.0.0.1:{}", free_low_port()).parse().unwrap();
    let config = dir.path().join("hadns.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n[node]\nuser = \"nobody\"\ndata_dir = \"data\"\n\
             [dns]\nlisten = [\"{dns}\"]\nudp_workers = 1\n"
        ),
    )
    .unwrap();
    // What systemd does for User=nobody AmbientCapabilities=CAP_NET_BIND_SERVICE.
    let setpriv = common::require_program("setpriv", "util-linux");
    let mut command = Command::new(setpriv);
    command
        .args(["--reuid", &nobody("-u").to_string()])
        .args(["--regid", &nobody("-g").to_string()])
        .args(["--clear-groups", "--inh-caps", "+net_bind_service"])
        .args(["--ambient-caps", "+net_bind_service"])
        .arg(common::hadns_binary())
        .args(["serve", "--config"])
        .arg(&config)
        .env("HADNS_LOG", "info");
    let mut node = Process::start("ambient", command, &dir.path().join("ambient.log"));
    wait_for_tcp(dns, &mut node);
    // Answered by a worker: after the capabilities went.
    assert_eq!(
        soa_serial(dns, "localhost."),
        Some(1),
        "{}",
        node.log_text()
    );
    assert_dropped(&node);
}

#[test]
fn a_chrooted_node_reloads_its_zone_files_from_inside() {
    if !root_or_skip("a_chrooted_node_reloads_its_zone_files_from_inside") {
        return;
    }
    let dir = reachable_tempdir();
    let root = dir.path().join("chroot");
    std::fs::create_dir_all(root.join("etc/zones")).unwrap();
    let dns: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    // data_dir is a path inside the chroot; the zone file is relative to
    // the configuration file, which is the same file inside and outside.
    let config = root.join("etc/hadns.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n[node]\nuser = \"nobody\"\nchroot = \"{}\"\ndata_dir = \"/data\"\n\
             [dns]\nlisten = [\"{dns}\"]\nudp_workers = 1\nbuiltin_zones = false\n\
             [[zone]]\nname = \"chroot.test\"\nfile = \"zones/chroot.test.zone\"\n",
            root.display()
        ),
    )
    .unwrap();
    let zone = root.join("etc/zones/chroot.test.zone");
    std::fs::write(&zone, zone_text(1)).unwrap();
    let mut node = start_hadns(
        dir.path(),
        "chrooted",
        &["--config".to_string(), config.display().to_string()],
    );
    wait_for_tcp(dns, &mut node);
    assert_eq!(
        soa_serial(dns, "chroot.test."),
        Some(1),
        "{}",
        node.log_text()
    );
    assert_dropped(&node);
    let seen_root = std::fs::read_link(format!("/proc/{}/root", node.pid())).unwrap();
    assert_eq!(seen_root, root.canonicalize().unwrap());
    // Its data directory is the chroot's /data.
    assert_eq!(
        std::fs::metadata(root.join("data")).unwrap().uid(),
        nobody("-u")
    );

    // `hadns ctl` outside finds the control socket under the chroot.
    let output = Command::new(common::hadns_binary())
        .args(["ctl", "status", "--config"])
        .arg(&config)
        .output()
        .expect("run hadns ctl");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && text.contains("chroot.test"),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );

    std::fs::write(&zone, zone_text(2)).unwrap();
    node.signal("HUP");
    wait_for_serial(dns, "chroot.test.", 2, LIMIT, &mut node);
}

#[test]
fn an_unknown_user_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hadns.toml");
    std::fs::write(
        &config,
        "version = 1\n[node]\nuser = \"no-such-user-hadns\"\n[dns]\nlisten = [\"127.0.0.1:0\"]\n",
    )
    .unwrap();
    let output = Command::new(common::hadns_binary())
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .expect("run hadns serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("[node] user = \"no-such-user-hadns\": no such user"),
        "{stderr}"
    );
}

#[test]
fn systemd_hears_ready_reloading_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify");
    let listener = UnixDatagram::bind(&socket_path).unwrap();
    listener
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let dns: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut command = Command::new(common::hadns_binary());
    command
        .args(["serve", "--listen", &dns.to_string(), "--udp-workers", "1"])
        .arg("--zone")
        .arg(format!(
            "chroot.test={}",
            write_zone(dir.path(), &zone_text(1)).display()
        ))
        .current_dir(dir.path())
        .env("NOTIFY_SOCKET", &socket_path)
        .env("HADNS_LOG", "info");
    let mut node = Process::start("notified", command, &dir.path().join("notified.log"));
    let next = || {
        let mut buffer = [0u8; 256];
        let n = listener
            .recv(&mut buffer)
            .unwrap_or_else(|e| panic!("no notification: {e}\n{}", node.log_text()));
        String::from_utf8_lossy(&buffer[..n]).into_owned()
    };
    assert_eq!(next(), "READY=1");
    // Ready means answering.
    assert_eq!(soa_serial(dns, "chroot.test."), Some(1));
    node.signal("HUP");
    assert_eq!(next(), "RELOADING=1");
    assert_eq!(next(), "READY=1");
    node.signal("TERM");
    assert_eq!(next(), "STOPPING=1");
    assert_eq!(node.wait_exit(LIMIT), Some(0), "{}", node.log_text());
}

fn write_zone(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("chroot.test.zone");
    std::fs::write(&path, text).unwrap();
    path
}
