//! `hadns ctl`, locally over the control socket and remotely over the
//! HTTP API with a token: every command on both, with their JSON parsed
//! and the human tables read; the token refused (wrong, missing,
//! read-only for a command that changes the node); a node that is not
//! there; and `ctl stop`, which stops a node with exit status 0.
//!
//! The topology: a primary `p` with the zone file `p.test` (NOTIFYing the
//! secondary) and a secondary `s` copying it; both with the API on.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{ApiNode, free_port, hadns_binary, wait_for_serial};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(20);

/// How `hadns ctl` reaches the node.
#[derive(Clone, Debug)]
enum Via {
    /// `--data-dir DIR`: the control socket.
    Socket(PathBuf),
    /// `--server URL`, the token in HADNS_TOKEN (or none).
    Api { url: String, token: Option<String> },
}

impl Via {
    fn api(node: &ApiNode) -> Via {
        Via::Api {
            url: format!("http://{}", node.api),
            token: Some(node.token.clone()),
        }
    }

    fn socket(node: &ApiNode) -> Via {
        Via::Socket(node.dir.join("data"))
    }
}

/// What one `hadns ctl` run gave.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

/// Runs `hadns ctl ARGS` through `via`, with neither HADNS_SERVER nor
/// HADNS_TOKEN inherited.
fn ctl(via: &Via, args: &[&str]) -> Run {
    let mut command = Command::new(hadns_binary());
    command
        .arg("ctl")
        .args(args)
        .env_remove("HADNS_SERVER")
        .env_remove("HADNS_TOKEN");
    match via {
        Via::Socket(dir) => {
            command.arg("--data-dir").arg(dir);
        }
        Via::Api { url, token } => {
            command.arg("--server").arg(url);
            if let Some(token) = token {
                command.env("HADNS_TOKEN", token);
            }
        }
    }
    let output = command.output().expect("run hadns ctl");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `hadns ctl ARGS --json`, which must succeed; its JSON.
fn ctl_ok(via: &Via, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let run = ctl(via, &all);
    assert_eq!(
        run.code,
        Some(0),
        "ctl {args:?} via {via:?}: {}{}",
        run.stdout,
        run.stderr
    );
    run.json()
}

/// An RFC 3339 time: UTC (`…Z`) or with an offset (`…+01:00`).
fn is_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| b[i].is_ascii_digit());
    let clock = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    let zone = &text[19.min(text.len())..];
    clock
        && (zone == "Z"
            || (zone.len() == 6
                && (zone.starts_with('+') || zone.starts_with('-'))
                && zone.as_bytes()[3] == b':'))
}

fn zone_file(dir: &Path, serial: u32) -> PathBuf {
    let path = dir.join("p.zone");
    std::fs::write(
        &path,
        format!(
            "$ORIGIN p.test.\n$TTL 300\n@ SOA ns1 hostmaster {serial} 60 30 600 60\n@ NS ns1\nns1 A 127.0.0.1\nwww A 192.0.2.1\n"
        ),
    )
    .unwrap();
    path
}

/// A primary with `p.test` from a file and a secondary copying it.
fn pair(root: &Path) -> (ApiNode, ApiNode) {
    let secondary_dns: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let primary_dns: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let file = zone_file(root, 1);
    let primary = ApiNode::start_on(
        root,
        "p",
        primary_dns,
        &format!(
            "[[zone]]\nname = \"p.test\"\nfile = \"{}\"\nnotify = [\"{secondary_dns}\"]\nallow_transfer = [\"127.0.0.1\"]\n",
            file.display()
        ),
    );
    let mut secondary = ApiNode::start_on(
        root,
        "s",
        secondary_dns,
        &format!(
            "[[zone]]\nname = \"p.test\"\nrole = \"secondary\"\nprimaries = [\"{primary_dns}\"]\n"
        ),
    );
    wait_for_serial(secondary_dns, "p.test.", 1, LIMIT, &mut secondary.process);
    (primary, secondary)
}

/// The `last_transfer` of p.test on the secondary.
fn last_transfer(via: &Via) -> String {
    let status = ctl_ok(via, &["zone-status", "p.test"]);
    status["secondary"]["last_transfer"]
        .as_str()
        .unwrap_or_else(|| panic!("no last transfer: {status}"))
        .to_string()
}

#[test]
fn every_command_works_over_the_socket_and_over_the_api() {
    let root = tempfile::tempdir().unwrap();
    let (primary, secondary) = pair(root.path());
    // A zone kept in the primary's store, for `sync`.
    let created = primary.send(
        "POST",
        "/api/v1/servers/localhost/zones",
        &json!({"name": "store.test.", "kind": "Native", "nameservers": ["ns1.store.test."]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());

    for (s, p) in [
        (Via::socket(&secondary), Via::socket(&primary)),
        (Via::api(&secondary), Via::api(&primary)),
    ] {
        // status: the node's facts, then the zones as before.
        let status = ctl_ok(&s, &["status"]);
        assert_eq!(status["version"], env!("CARGO_PKG_VERSION"), "{status}");
        assert!(
            is_rfc3339(status["started_at"].as_str().unwrap()),
            "{status}"
        );
        assert!(status["uptime_seconds"].as_u64().is_some(), "{status}");
        assert_eq!(status["roles"], json!(["secondary"]), "{status}");
        assert_eq!(status["zone_count"], 1, "{status}");
        assert_eq!(status["views"], json!([]), "{status}");
        // A number once the node has sampled its query count twice (every
        // second); null before.
        let rate = &status["queries_per_second"];
        assert!(
            rate.is_null() || rate.as_f64().is_some_and(|r| r >= 0.0),
            "{status}"
        );
        assert_eq!(
            status["zones"],
            json!([{"zone": "p.test.", "view": null, "role": "secondary", "serial": 1, "catalog": null}])
        );
        let text = ctl(&s, &["status"]);
        assert_eq!(text.code, Some(0), "{}", text.stderr);
        let facts: Vec<(&str, &str)> = text
            .stdout
            .lines()
            .take_while(|l| !l.is_empty())
            .map(|l| l.split_once(": ").expect("name: value"))
            .collect();
        assert_eq!(facts[0], ("version", env!("CARGO_PKG_VERSION")));
        assert!(facts.contains(&("roles", "secondary")), "{}", text.stdout);
        assert!(facts.contains(&("zone count", "1")), "{}", text.stdout);
        assert!(
            text.stdout.lines().any(|l| l == "p.test.\tsecondary\t1"),
            "{}",
            text.stdout
        );

        // zones: one row per zone, in JSON and as a table.
        let zones = ctl_ok(&s, &["zones"]);
        let rows = zones["zones"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{zones}");
        assert_eq!(
            (
                rows[0]["zone"].as_str(),
                rows[0]["role"].as_str(),
                rows[0]["serial"].as_u64(),
                rows[0]["state"].as_str()
            ),
            (Some("p.test."), Some("secondary"), Some(1), Some("loaded")),
            "{zones}"
        );
        assert!(is_rfc3339(rows[0]["last_change_at"].as_str().unwrap()));
        let table = ctl(&s, &["zones"]);
        assert_eq!(table.code, Some(0), "{}", table.stderr);
        let lines: Vec<Vec<&str>> = table
            .stdout
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            lines[0],
            ["VIEW", "ZONE", "ROLE", "SERIAL", "LAST", "CHANGE", "STATE"],
            "{}",
            table.stdout
        );
        assert_eq!(lines.len(), 2, "{}", table.stdout);
        assert_eq!(lines[1][..4], ["-", "p.test.", "secondary", "1"]);
        assert!(is_rfc3339(lines[1][4]), "{}", table.stdout);
        assert_eq!(lines[1][5], "loaded");
        let primary_table = ctl(&p, &["zones"]);
        assert!(
            primary_table
                .stdout
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>()[..4]
                    == ["-", "p.test.", "primary", "1"]),
            "{}",
            primary_table.stdout
        );

        // zone-status: the secondary's timers.
        let zone = ctl_ok(&s, &["zone-status", "p.test"]);
        assert_eq!(zone["zone"], "p.test.");
        assert_eq!(zone["role"], "secondary");
        assert_eq!(zone["serial"], 1);
        assert_eq!(zone["state"], "loaded");
        assert!(is_rfc3339(
            zone["secondary"]["next_refresh"].as_str().unwrap()
        ));
        let text = ctl(&s, &["zone-status", "p.test"]);
        assert!(
            text.stdout.lines().any(|l| l == "serial: 1"),
            "{}",
            text.stdout
        );
        let transfer_line = text
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("last transfer: "))
            .unwrap_or_else(|| panic!("no last transfer line: {}", text.stdout));
        let (stamp, relative) = transfer_line.split_once(' ').unwrap();
        assert!(
            is_rfc3339(stamp) && relative.ends_with("s ago)"),
            "{transfer_line}"
        );

        // refresh and retransfer: a new AXFR shows as a later last_transfer
        // (times have one-second steps, so wait past one).
        assert_eq!(
            ctl_ok(&s, &["refresh", "p.test"]),
            json!({"ok": true, "message": "refresh scheduled"})
        );
        let before = last_transfer(&s);
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(
            ctl_ok(&s, &["retransfer", "p.test"]),
            json!({"ok": true, "message": "AXFR scheduled"})
        );
        let deadline = Instant::now() + LIMIT;
        while last_transfer(&s) == before {
            assert!(
                Instant::now() < deadline,
                "no new transfer after retransfer"
            );
            std::thread::sleep(Duration::from_millis(100));
        }

        // notify (the primary), reload, sync (a store zone).
        assert_eq!(
            ctl_ok(&p, &["notify", "p.test"]),
            json!({"ok": true, "message": "NOTIFY sent"})
        );
        let reloaded = ctl_ok(&s, &["reload"]);
        assert_eq!(reloaded["ok"], true, "{reloaded}");
        assert!(
            reloaded["message"]
                .as_str()
                .unwrap()
                .starts_with("reloaded"),
            "{reloaded}"
        );
        let synced = ctl_ok(&p, &["sync", "store.test"]);
        assert_eq!(synced["ok"], true, "{synced}");

        // A zone the node does not have: exit 1 and a JSON error naming it.
        let missing = ctl(&s, &["zone-status", "nothere.test", "--json"]);
        assert_eq!(missing.code, Some(1), "{}", missing.stdout);
        let error = missing.json();
        assert_eq!(error["ok"], false);
        assert_eq!(
            error["error"], "zone nothere.test. is not replicated by this node",
            "{error}"
        );
        // A primary cannot be refreshed.
        let refused = ctl(&p, &["refresh", "p.test", "--json"]);
        assert_eq!(refused.code, Some(1));
        assert_eq!(
            refused.json()["error"],
            "zone p.test. is not a secondary zone of this node"
        );
        // Unknown commands are refused with the list.
        let unknown = ctl(&s, &["frobnicate", "--json"]);
        assert_eq!(unknown.code, Some(1));
        let error = unknown.json()["error"].as_str().unwrap().to_string();
        assert!(
            error.starts_with("unknown command `frobnicate`") && error.contains("stop"),
            "{error}"
        );
    }

    // HADNS_SERVER and HADNS_TOKEN alone are enough.
    let output = Command::new(hadns_binary())
        .args(["ctl", "zones", "--json"])
        .env("HADNS_SERVER", format!("http://{}", secondary.api))
        .env("HADNS_TOKEN", &secondary.token)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let zones: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(zones["zones"][0]["zone"], "p.test.");
}

#[test]
fn the_api_refuses_wrong_missing_and_read_only_tokens() {
    let root = tempfile::tempdir().unwrap();
    let (_primary, secondary) = pair(root.path());
    let url = format!("http://{}", secondary.api);

    let wrong = ctl(
        &Via::Api {
            url: url.clone(),
            token: Some("hadns_0000".to_string()),
        },
        &["status"],
    );
    assert_eq!(wrong.code, Some(1));
    assert!(wrong.stdout.is_empty(), "{}", wrong.stdout);
    assert!(
        wrong.stderr.contains(&format!(
            "the node at {url} refused the token given: HTTP 401"
        )),
        "{}",
        wrong.stderr
    );

    let missing = ctl(
        &Via::Api {
            url: url.clone(),
            token: None,
        },
        &["status", "--json"],
    );
    assert_eq!(missing.code, Some(1));
    let error = missing.json();
    assert_eq!(error["ok"], false);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("refused a request without a token"),
        "{error}"
    );

    // A read-only token reads, and may not change the node.
    let created = Command::new(hadns_binary())
        .args(["token", "create", "viewer", "--read-only", "--data-dir"])
        .arg(secondary.dir.join("data"))
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let read_only = Via::Api {
        url: url.clone(),
        token: Some(String::from_utf8_lossy(&created.stdout).trim().to_string()),
    };
    assert_eq!(
        ctl_ok(&read_only, &["zones"])["zones"][0]["zone"],
        "p.test."
    );
    let refused = ctl(&read_only, &["retransfer", "p.test"]);
    assert_eq!(refused.code, Some(1));
    assert!(
        refused.stderr.contains("refused the token given: HTTP 403")
            && refused
                .stderr
                .contains("`retransfer` needs a read-write token"),
        "{}",
        refused.stderr
    );
}

#[test]
fn an_unreachable_node_is_named_with_the_reason() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let run = ctl(
        &Via::Api {
            url: url.clone(),
            token: Some("hadns_x".to_string()),
        },
        &["status"],
    );
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains(&format!("cannot reach the node at {url}"))
            && run.stderr.contains("Connection refused"),
        "{}",
        run.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    let run = ctl(&Via::Socket(dir.path().join("none")), &["status", "--json"]);
    assert_eq!(run.code, Some(1));
    let error = run.json()["error"].as_str().unwrap().to_string();
    let socket = dir.path().join("none/control.sock");
    assert!(
        error.contains(&format!("cannot reach the node at {}", socket.display()))
            && error.contains("No such file or directory"),
        "{error}"
    );
}

#[test]
fn ctl_stop_stops_the_node_with_exit_status_0() {
    let root = tempfile::tempdir().unwrap();
    let (primary, secondary) = pair(root.path());
    // The primary over its socket, the secondary over its API.
    for (mut node, via) in [
        (Via::socket(&primary), primary),
        (Via::api(&secondary), secondary),
    ]
    .map(|(via, node)| (node, via))
    {
        let asked = Instant::now();
        assert_eq!(
            ctl_ok(&via, &["stop"]),
            json!({"ok": true, "message": "stopping"})
        );
        let code = node.process.wait_exit(Duration::from_secs(15));
        assert_eq!(
            code,
            Some(0),
            "{} after ctl stop via {via:?}; its log ends:\n{}",
            node.process.name,
            node.process.log_tail(30)
        );
        println!(
            "{}: exited {:?} after ctl stop",
            node.process.name,
            asked.elapsed()
        );
        let log = node.process.log_text();
        assert!(log.contains("stop requested by a control command"), "{log}");
        assert!(log.contains("stopped"), "{log}");
    }
}

#[test]
fn querylog_switches_and_stats_count_over_the_socket_and_the_api() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("stats2");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("st.test.zone"),
        "$ORIGIN st.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.2\n",
    )
    .unwrap();
    let node = ApiNode::start(
        root.path(),
        "stats2",
        "[[zone]]\nname = \"st.test\"\nrole = \"primary\"\nfile = \"st.test.zone\"\n",
    );
    let (socket, api) = (Via::socket(&node), Via::api(&node));
    let ask = |id: u16, name: &str| {
        let request = common::query(id, name, wire::Rtype::A, 0, None);
        common::udp_exchange(node.dns, &request, Duration::from_secs(5)).expect("an answer")
    };

    // Off at start ([log] queries defaults to false); on by the socket,
    // seen by the API; a read-only question of either.
    let state = ctl_ok(&socket, &["querylog"]);
    assert_eq!(state["querylog"], "off");
    let state = ctl_ok(&socket, &["querylog", "on"]);
    assert_eq!(
        (state["querylog"].as_str(), state["was"].as_str()),
        (Some("on"), Some("off"))
    );
    assert_eq!(ctl_ok(&api, &["querylog"])["querylog"], "on");
    ask(1, "www.st.test.");
    ask(2, "nothing.st.test.");
    let log = node.dir.join("data/query.log");
    let deadline = Instant::now() + LIMIT;
    while std::fs::read_to_string(&log).map_or(0, |t| t.lines().count()) < 2 {
        assert!(Instant::now() < deadline, "no query log lines");
        std::thread::sleep(Duration::from_millis(50));
    }
    let state = ctl_ok(&api, &["querylog", "off"]);
    assert_eq!(
        (state["querylog"].as_str(), state["was"].as_str()),
        (Some("off"), Some("on"))
    );
    ask(3, "www.st.test.");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().lines().count(),
        2,
        "logged while off"
    );
    let bad = ctl(&socket, &["querylog", "maybe"]);
    assert_eq!(bad.code, Some(1), "{} {}", bad.stdout, bad.stderr);
    assert!(format!("{}{}", bad.stdout, bad.stderr).contains("on or off"));

    // stats: the same numbers by either way, per zone.
    for via in [&socket, &api] {
        let stats = ctl_ok(via, &["stats", "st.test"]);
        assert_eq!(stats["counters"]["udp-queries"], 3, "{stats}");
        assert_eq!(stats["counters"]["nxdomain-packets"], 1, "{stats}");
        let zones = stats["zones"].as_array().unwrap();
        assert_eq!(zones.len(), 1, "{stats}");
        assert_eq!(zones[0]["zone"], "st.test.");
        assert_eq!(zones[0]["queries_udp"], 3);
        assert_eq!(zones[0]["results"]["success"], 2);
        assert_eq!(zones[0]["results"]["nxdomain"], 1);
        assert_eq!(zones[0]["serial"], 1);
    }
    let text = ctl(&socket, &["stats"]).stdout;
    let row = text
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("st.test."))
        .unwrap_or_else(|| panic!("no st.test. row:\n{text}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cells[..6],
        ["default", "st.test.", "1", "3", "0", "2"],
        "{row}"
    );
    let missing = ctl(&api, &["stats", "nowhere.test"]);
    assert_eq!(missing.code, Some(1));
    // `status` gives a rate once the node has sampled its count twice
    // (every second).
    std::thread::sleep(Duration::from_millis(2500));
    let status = ctl_ok(&socket, &["status"]);
    let rate = status["queries_per_second"].as_f64();
    assert!(rate.is_some_and(|r| r >= 0.0), "{status}");
}
