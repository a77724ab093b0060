//! One node per data directory, and a data directory private to the node:
//! a second `hadns serve` on a directory a node holds fails naming the
//! holder; the store's commands run beside it and say so; a node killed
//! with SIGKILL leaves no lock behind; every file the node creates is
//! 0600 and every directory 0700, the initial credentials never written
//! through a planted symbolic link.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{ApiNode, free_port, hadns_binary, start_hadns};

/// Every path below `dir`, directories included.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if std::fs::symlink_metadata(&path).unwrap().is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}

/// A configuration for a node on `data_dir` with fresh ports.
fn second_config(dir: &Path, data_dir: &Path) -> PathBuf {
    let config = format!(
        "version = 1\n[node]\nname = \"second\"\ndata_dir = \"{}\"\n\
         [dns]\nlisten = [\"127.0.0.1:{}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
         [api]\nlisten = \"127.0.0.1:{}\"\n",
        data_dir.display(),
        free_port(),
        free_port()
    );
    let path = dir.join("second.toml");
    std::fs::write(&path, config).unwrap();
    path
}

#[test]
fn a_second_node_on_a_held_data_directory_is_refused_naming_the_holder() {
    let root = tempfile::tempdir().unwrap();
    let mut first = ApiNode::start(root.path(), "first", "");
    let data_dir = first.dir.join("data");
    let config = second_config(root.path(), &data_dir);
    let mut second = start_hadns(
        root.path(),
        "second",
        &["--config".to_string(), config.display().to_string()],
    );
    let code = second.wait_exit(Duration::from_secs(30));
    let log = second.log_text();
    assert_eq!(code, Some(1), "the second node must fail at start:\n{log}");
    assert!(
        log.contains(&format!("PID {}", first.process.pid()))
            && log.contains("one node per data directory"),
        "the refusal names the holder:\n{log}"
    );
    // The first node is untouched: it still answers its API.
    let zones = first.request(
        "GET",
        "/api/v1/servers/localhost/zones",
        Some(&first.token),
        &[],
        None,
    );
    assert_eq!(zones.status, 200, "{}", zones.text());

    // The store's commands run beside the node, and say so.
    let listed = Command::new(hadns_binary())
        .args(["token", "list", "--data-dir"])
        .arg(&data_dir)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&listed.stderr);
    assert!(listed.status.success(), "token list beside a node: {said}");
    assert!(
        said.contains(&format!(
            "a node is running on {} (PID {})",
            data_dir.display(),
            first.process.pid()
        )),
        "token list says a node runs beside it: {said}"
    );

    // SIGKILL leaves the file but not the lock: a new node starts.
    first.process.signal("KILL");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !first.process.has_exited() {
        assert!(
            std::time::Instant::now() < deadline,
            "SIGKILL did not end the first node"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(data_dir.join("hadns.lock").exists());
    let mut third = start_hadns(
        root.path(),
        "third",
        &["--config".to_string(), config.display().to_string()],
    );
    third.wait_for_log(0, &[" ready "], 1, Duration::from_secs(30));
    assert!(!third.has_exited());
    let held = std::fs::read_to_string(data_dir.join("hadns.lock")).unwrap();
    assert_eq!(held.trim(), third.pid().to_string());
}

#[test]
fn what_the_node_writes_is_private_from_creation() {
    let root = tempfile::tempdir().unwrap();
    let node = ApiNode::start(
        root.path(),
        "private",
        "[log]\nqueries = true\nquery_file = \"queries.log\"\n",
    );
    node.create_zone(
        "private.test.",
        serde_json::json!([{"name": "www.private.test.", "type": "A", "ttl": 300,
            "changetype": "REPLACE", "records": [{"content": "192.0.2.1", "disabled": false}]}]),
    );
    // A query, so that the query log exists.
    let answer = common::ask(node.dns, "www.private.test.", wire::Rtype::A);
    assert_eq!(answer.rcode, wire::Rcode::NOERROR);
    let data_dir = node.dir.join("data");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    // The zone's copy and journal are written as the zone is published,
    // the query log by its writer thread shortly after the query.
    let written = |found: &[PathBuf]| {
        found
            .iter()
            .any(|p| p.to_string_lossy().contains("private.test"))
            && found.iter().any(|p| p.ends_with("queries.log"))
    };
    while !written(&walk(&data_dir)) {
        assert!(
            std::time::Instant::now() < deadline,
            "no files of the zone: {:?}",
            walk(&data_dir)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mode = |path: &Path| {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&data_dir), 0o700, "the data directory");
    let found = walk(&data_dir);
    for kind in [
        "hadns.lock",
        "hadns.db",
        "initial-credentials",
        "control.sock",
        "queries.log",
    ] {
        assert!(
            found
                .iter()
                .any(|p| p.file_name().is_some_and(|n| n == kind)),
            "{kind} is among what was checked: {found:?}"
        );
    }
    for path in &found {
        let kind = std::fs::symlink_metadata(path).unwrap().file_type();
        if kind.is_dir() {
            assert_eq!(
                mode(path),
                0o700,
                "{} has mode {:o}",
                path.display(),
                mode(path)
            );
        } else if kind.is_file() {
            assert_eq!(
                mode(path),
                0o600,
                "{} has mode {:o}",
                path.display(),
                mode(path)
            );
        } else {
            // The control socket: its mode is the umask's (0700), and only
            // group and other matter for who may connect.
            assert_eq!(
                mode(path) & 0o077,
                0,
                "{} has mode {:o}",
                path.display(),
                mode(path)
            );
        }
    }
}

#[test]
fn the_initial_credentials_are_not_written_through_a_planted_link() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("linked");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let victim = root.path().join("victim");
    std::fs::write(&victim, "keep me\n").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("data/initial-credentials")).unwrap();
    let node = ApiNode::start(root.path(), "linked", "");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    let credentials = node.dir.join("data/initial-credentials");
    let metadata = std::fs::symlink_metadata(&credentials).unwrap();
    assert!(metadata.is_file(), "the link was replaced by the file");
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
}
