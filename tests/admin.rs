//! Administration from the command line as a script would drive it:
//! `hadns token create` on a fresh store, `user list`/`token list` and
//! `hadns ctl` with RFC 3339 times and `--json`.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::{hadns_binary, wait_for_zone};
use serde_json::Value;

fn hadns(dir: &Path, args: &[&str]) -> Output {
    common::hadns_in(dir, args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// Whether `text` is an RFC 3339 UTC timestamp as hadns prints them
/// (`2026-12-07T11:10:05Z`), of this millennium.
fn is_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() == 20
        && text.starts_with("20")
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
        && digits(17..19)
        && b[19] == b'Z'
}

/// An RFC 3339 time in the local time zone, as `hadns ctl` shows people:
/// `…Z` where local time is UTC, else with the offset (`…+01:00`).
fn is_local_rfc3339(text: &str) -> bool {
    match text.get(19..) {
        Some("Z") => is_rfc3339(text),
        Some(offset) => {
            let o = offset.as_bytes();
            o.len() == 6
                && (o[0] == b'+' || o[0] == b'-')
                && o[1..3].iter().all(u8::is_ascii_digit)
                && o[3] == b':'
                && o[4..6].iter().all(u8::is_ascii_digit)
                && is_rfc3339(&format!("{}Z", &text[..19]))
        }
        None => false,
    }
}

#[test]
fn token_create_on_a_fresh_store_makes_its_user_and_lists_print_rfc3339() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A fresh data directory: no user yet. The token's user is created.
    let created = hadns(d, &["token", "create", "ci", "--data-dir", "data"]);
    assert!(created.status.success(), "{}", stderr(&created));
    let secret = stdout(&created).trim().to_string();
    assert!(
        secret.starts_with("hadns_") && secret.len() > 40,
        "{secret}"
    );
    assert!(
        stderr(&created).contains("created user `admin` with password "),
        "{}",
        stderr(&created)
    );

    let users = hadns(d, &["user", "list", "--json", "--data-dir", "data"]);
    assert!(users.status.success(), "{}", stderr(&users));
    let users: Value = serde_json::from_str(&stdout(&users)).unwrap();
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["name"], "admin");
    assert_eq!(users[0]["disabled"], false);
    assert!(
        is_rfc3339(users[0]["created_at"].as_str().unwrap()),
        "{users}"
    );

    let table = stdout(&hadns(d, &["user", "list", "--data-dir", "data"]));
    let created_at = table.split("created ").nth(1).unwrap().trim();
    assert!(is_rfc3339(created_at), "{table}");

    // The store has users now: an unknown one is refused, naming those that exist.
    let refused = hadns(
        d,
        &[
            "token",
            "create",
            "x",
            "--user",
            "bob",
            "--data-dir",
            "data",
        ],
    );
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(
        message.contains("no user `bob`")
            && message.contains("admin")
            && message.contains("hadns user add bob"),
        "{message}"
    );
    let tokens: Value = serde_json::from_str(&stdout(&hadns(
        d,
        &["token", "list", "--json", "--data-dir", "data"],
    )))
    .unwrap();
    assert_eq!(
        tokens.as_array().unwrap().len(),
        1,
        "the refused token was not made: {tokens}"
    );
    assert_eq!(tokens[0]["name"], "ci");
    assert_eq!(tokens[0]["user"], "admin");
    assert_eq!(tokens[0]["scope"], "write");
    assert!(tokens[0]["revoked_at"].is_null());

    assert!(
        hadns(d, &["token", "revoke", "ci", "--data-dir", "data"])
            .status
            .success()
    );
    let tokens: Value = serde_json::from_str(&stdout(&hadns(
        d,
        &["token", "list", "--json", "--data-dir", "data"],
    )))
    .unwrap();
    assert!(
        is_rfc3339(tokens[0]["revoked_at"].as_str().unwrap()),
        "{tokens}"
    );
    let table = stdout(&hadns(d, &["token", "list", "--data-dir", "data"]));
    let revoked = table.split("revoked ").nth(1).unwrap().trim();
    assert!(is_rfc3339(revoked), "{table}");

    // The audit log has each change, made by `cli:` and the system user;
    // the refused token is not there (nothing was tried in the store).
    let store = store::Store::open(&d.join("data/hadns.db")).unwrap();
    let page = store
        .audit_events(&store::AuditFilter::default(), None, 10)
        .unwrap();
    let events: Vec<(&str, &str, &str)> = page
        .records
        .iter()
        .map(|r| {
            (
                r.event.action.as_str(),
                r.event.target.as_str(),
                r.event.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("token.revoke", "ci", "success"),
            ("token.create", "ci", "success"),
            ("user.create", "admin", "success"),
        ]
    );
    assert!(
        page.records
            .iter()
            .all(|r| r.event.user.starts_with("cli:") && r.event.client.is_none()),
        "{page:?}"
    );
}

#[test]
fn ctl_prints_rfc3339_times_and_json_for_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = common::free_port();
    // A NOTIFY target that acknowledges (RFC 1996 §4.7: the reply echoes
    // the NOTIFY with QR set), so zone-status has a real time to show.
    let target = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    target
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let target_address = target.local_addr().unwrap();
    let acknowledger = std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        // The NOTIFY sent at start, and the one `ctl notify` sends.
        for _ in 0..2 {
            let Ok((len, from)) = target.recv_from(&mut buf) else {
                return;
            };
            buf[2] |= 0x80;
            let _ = target.send_to(&buf[..len], from);
        }
    });
    std::fs::write(
        d.join("a.zone"),
        "$ORIGIN a.test.\n$TTL 300\n@ SOA ns h 7 60 30 600 60\n@ NS ns\nns A 127.0.0.1\n",
    )
    .unwrap();
    std::fs::write(
        d.join("hadns.toml"),
        format!(
            "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"127.0.0.1:{port}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             [[zone]]\nname = \"a.test\"\nfile = \"a.zone\"\nnotify = [\"{target_address}\"]\n"
        ),
    )
    .unwrap();
    let mut command = Command::new(hadns_binary());
    command.args(["serve", "-c", "hadns.toml"]).current_dir(d);
    let mut node = common::Process::start("hadns", command, &d.join("hadns.log"));
    let address = format!("127.0.0.1:{port}").parse().unwrap();
    wait_for_zone(address, "a.test.", Duration::from_secs(10), &mut node);

    let data = d.join("data");
    let ctl = |args: &[&str]| {
        let mut all = vec!["ctl"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--data-dir", data.to_str().unwrap()]);
        hadns(d, &all)
    };
    let status = ctl(&["status", "--json"]);
    assert!(status.status.success(), "{}", stderr(&status));
    let status: Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(status["zones"][0]["zone"], "a.test.");
    assert_eq!(status["zones"][0]["role"], "primary");
    assert_eq!(status["zones"][0]["serial"], 7);
    assert!(status["zones"][0]["view"].is_null());

    // The NOTIFY's acknowledgement time, in JSON and in the text, is RFC 3339.
    let sent = ctl(&["notify", "a.test", "--json"]);
    assert!(sent.status.success());
    let sent: Value = serde_json::from_str(&stdout(&sent)).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"ok": true, "message": "NOTIFY sent"})
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let zone = loop {
        let zone = ctl(&["zone-status", "a.test", "--json"]);
        assert!(zone.status.success(), "{}", stderr(&zone));
        let zone: Value = serde_json::from_str(&stdout(&zone)).unwrap();
        if !zone["notify"][0]["acknowledged"].is_null() {
            break zone;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never acknowledged: {zone}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        (zone["zone"].as_str(), zone["serial"].as_u64()),
        (Some("a.test."), Some(7))
    );
    assert_eq!(zone["notify"][0]["target"], target_address.to_string());
    let acknowledged = zone["notify"][0]["acknowledged"].as_str().unwrap();
    assert!(is_rfc3339(acknowledged), "{zone}");
    assert!(zone["secondary"].is_null());
    let text = stdout(&ctl(&["zone-status", "a.test"]));
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("notify {target_address}")))
        .unwrap_or_else(|| panic!("no NOTIFY line: {text}"));
    let time = line.split("acknowledged ").nth(1).unwrap();
    let (stamp, relative) = time.split_once(' ').unwrap();
    assert!(
        is_local_rfc3339(stamp) && relative.ends_with("s ago)"),
        "{line}"
    );

    // Errors: exit status 1 and a JSON error object.
    let missing = ctl(&["zone-status", "b.test", "--json"]);
    assert!(!missing.status.success());
    let missing: Value = serde_json::from_str(&stdout(&missing)).unwrap();
    assert_eq!(missing["ok"], false);
    assert!(
        missing["error"].as_str().unwrap().contains("b.test."),
        "{missing}"
    );
    let unknown = ctl(&["frobnicate", "--json"]);
    assert!(!unknown.status.success());
    let unknown: Value = serde_json::from_str(&stdout(&unknown)).unwrap();
    assert!(
        unknown["error"].as_str().unwrap().contains("sync"),
        "{unknown}"
    );
    // Help lists every command.
    let help = stdout(&hadns(d, &["ctl", "--help"]));
    for command in [
        "status",
        "zone-status",
        "notify",
        "refresh",
        "retransfer",
        "reload",
        "sync",
    ] {
        assert!(
            help.contains(command),
            "`{command}` missing from ctl --help:\n{help}"
        );
    }
    acknowledger.join().unwrap();
}
