//! Views against running nodes: clients on different loopback addresses
//! get different answers for the same name, a TSIG-signed query (`dig -y`)
//! gets its key's view, a trusted resolver's EDNS Client Subnet selects by
//! subnet with the deciding scope in the answer, and each view's zone
//! replicates on its own to hadns secondaries that sign with the view's key
//! (a change to one view reaches only that view's secondary, by IXFR).

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use common::{
    Process, TsigKey, free_port, hadns_binary, require_program, run_tool, soa_serial, start_hadns,
    wait_for_serial,
};
use wire::tsig::Algorithm;

const LIMIT: Duration = Duration::from_secs(20);

fn key(name: &str, secret: &str) -> TsigKey {
    TsigKey {
        name: name.into(),
        algorithm: Algorithm::HmacSha256,
        secret: secret.into(),
    }
}

fn inside() -> TsigKey {
    key("inside", "aW5zaWRlLWtleS1mb3Itdmlld3MtdGVzdC0wMDAwMDA=")
}

fn a_xfr() -> TsigKey {
    key("a-xfr", "YS14ZnIta2V5LWZvci12aWV3cy10ZXN0LTAwMDAwMDA=")
}

fn b_xfr() -> TsigKey {
    key("b-xfr", "Yi14ZnIta2V5LWZvci12aWV3cy10ZXN0LTAwMDAwMDA=")
}

/// The zone `view.test.` as a view serves it: `www` at `address`.
fn zone_text(serial: u32, address: &str) -> String {
    format!(
        "$ORIGIN view.test.\n$TTL 60\n@ SOA ns1 hostmaster {serial} 60 30 600 60\n@ NS ns1\nns1 A 127.0.0.1\n\
         www A {address}\nh1 A 192.0.2.1\nh2 A 192.0.2.2\n"
    )
}

/// `dig` from `source` (a loopback address) with extra arguments; the
/// output.
fn dig(server: SocketAddr, source: &str, args: &[&str]) -> String {
    let dig = require_program("dig", "bind9-dnsutils");
    let mut all = vec![
        format!("@{}", server.ip()),
        "-p".into(),
        server.port().to_string(),
        "-b".into(),
        source.to_string(),
        "+time=2".into(),
        "+tries=2".into(),
        "+norecurse".into(),
    ];
    all.extend(args.iter().map(|a| a.to_string()));
    run_tool(&dig, &all, "", LIMIT)
}

/// The A record of www.view.test. as `source` sees it (`+short`).
fn www(server: SocketAddr, source: &str, extra: &[&str]) -> String {
    let mut args = vec!["www.view.test.", "A", "+short"];
    args.extend_from_slice(extra);
    dig(server, source, &args).trim().to_string()
}

/// Starts the primary: views `keyed` (key inside), `a` (127.0.0.2 or key
/// a-xfr), `geo` (10.1.0.0/16 by ECS from 127.0.0.53), `b` (the rest, or
/// key b-xfr), each with its own view.test.
fn primary(root: &Path, port: u16, notify_a: u16, notify_b: u16) -> Process {
    for (view, address) in [
        ("keyed", "10.0.0.1"),
        ("a", "10.0.0.2"),
        ("geo", "10.0.0.3"),
        ("b", "10.0.0.4"),
    ] {
        std::fs::write(root.join(format!("{view}.zone")), zone_text(1, address)).unwrap();
    }
    // View a also has its own `localhost.`, which must win over the
    // built-in one there (the other views keep the built-in).
    std::fs::write(
        root.join("a-localhost.zone"),
        "$ORIGIN localhost.\n$TTL 60\n@ SOA @ root 1 60 30 600 60\n@ NS @\n@ A 127.0.0.22\n",
    )
    .unwrap();
    let keys: String = [inside(), a_xfr(), b_xfr()]
        .iter()
        .map(TsigKey::hadns_toml)
        .collect();
    let zone = |view: &str, extra: &str| {
        format!(
            "[[zone]]\nname = \"view.test\"\nview = \"{view}\"\nfile = \"{}\"\n{extra}",
            root.join(format!("{view}.zone")).display()
        )
    };
    let geo_and_localhost = zone("geo", "")
        + &format!(
            "[[zone]]\nname = \"localhost\"\nview = \"a\"\nfile = \"{}\"\n",
            root.join("a-localhost.zone").display()
        );
    let config = format!(
        "version = 1\n[node]\ndata_dir = \"{data}\"\n[dns]\nlisten = [\"127.0.0.1:{port}\"]\nbuiltin_zones = true\nudp_workers = 1\n\
         {keys}\
         [[view]]\nname = \"keyed\"\nmatch_keys = [\"inside\"]\n\
         [[view]]\nname = \"a\"\nmatch_keys = [\"a-xfr\"]\nmatch_clients = [\"127.0.0.2\"]\n\
         [[view]]\nname = \"geo\"\nmatch_clients = [\"10.1.0.0/16\"]\nmatch_ecs = true\necs_trusted = [\"127.0.0.53\"]\n\
         [[view]]\nname = \"b\"\nmatch_keys = [\"b-xfr\"]\nmatch_clients = [\"!127.0.0.66\", \"any\"]\n\
         {}{}{}{}",
        zone("keyed", ""),
        zone(
            "a",
            &format!(
                "allow_transfer = [\"key a-xfr\"]\nnotify = [\"127.0.0.1:{notify_a}\"]\nnotify_key = \"a-xfr\"\n"
            )
        ),
        geo_and_localhost,
        zone(
            "b",
            &format!(
                "allow_transfer = [\"key b-xfr\"]\nnotify = [\"127.0.0.1:{notify_b}\"]\nnotify_key = \"b-xfr\"\n"
            )
        ),
        data = root.join("data").display(),
    );
    std::fs::write(root.join("primary.toml"), config).unwrap();
    start_hadns(
        root,
        "primary",
        &[
            "--config".to_string(),
            root.join("primary.toml").display().to_string(),
        ],
    )
}

fn address(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[test]
fn each_client_gets_its_views_answer() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let port = free_port();
    let mut node = primary(root, port, free_port(), free_port());
    common::wait_for_zone(address(port), "view.test.", LIMIT, &mut node);
    let server = address(port);

    assert_eq!(
        www(server, "127.0.0.2", &[]),
        "10.0.0.2",
        "view a by address"
    );
    let localhost = |source: &str| dig(server, source, &["localhost.", "A", "+short"]);
    assert_eq!(
        localhost("127.0.0.2").trim(),
        "127.0.0.22",
        "view a's own localhost."
    );
    assert_eq!(
        localhost("127.0.0.3").trim(),
        "127.0.0.1",
        "the built-in one elsewhere"
    );
    // After a restart (the view's zone unchanged since its journal) the
    // view's own localhost. still wins.
    drop(node);
    let mut node = primary(root, port, free_port(), free_port());
    common::wait_for_zone(address(port), "view.test.", LIMIT, &mut node);
    assert_eq!(
        localhost("127.0.0.2").trim(),
        "127.0.0.22",
        "after a restart"
    );
    assert_eq!(www(server, "127.0.0.3", &[]), "10.0.0.4", "view b");
    // Signed with `inside`: the keyed view, whatever the source.
    let signed = inside().dash_y();
    assert_eq!(www(server, "127.0.0.3", &["-y", &signed]), "10.0.0.1");
    // No view admits 127.0.0.66: REFUSED.
    let refused = dig(server, "127.0.0.66", &["www.view.test.", "A"]);
    assert!(refused.contains("status: REFUSED"), "{refused}");

    // A trusted resolver's client subnet selects geo, with scope 16 (its
    // /16 decided); another subnet falls to b, scope 15 (10.2 leaves
    // 10.1.0.0/16 at bit 15).
    let geo = dig(
        server,
        "127.0.0.53",
        &["www.view.test.", "A", "+subnet=10.1.2.0/24"],
    );
    assert!(geo.contains("10.0.0.3"), "{geo}");
    assert!(geo.contains("CLIENT-SUBNET: 10.1.2.0/24/16"), "{geo}");
    let other = dig(
        server,
        "127.0.0.53",
        &["www.view.test.", "A", "+subnet=10.2.0.0/24"],
    );
    assert!(other.contains("10.0.0.4"), "{other}");
    assert!(other.contains("CLIENT-SUBNET: 10.2.0.0/24/15"), "{other}");
    // The same subnet from an untrusted source is not believed: b, scope 0.
    let untrusted = dig(
        server,
        "127.0.0.3",
        &["www.view.test.", "A", "+subnet=10.1.2.0/24"],
    );
    assert!(untrusted.contains("10.0.0.4"), "{untrusted}");
    assert!(
        untrusted.contains("CLIENT-SUBNET: 10.1.2.0/24/0"),
        "{untrusted}"
    );
}

#[test]
fn each_views_zone_replicates_to_its_own_secondaries() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (port, port_a, port_b) = (free_port(), free_port(), free_port());
    let mut node = primary(root, port, port_a, port_b);
    common::wait_for_zone(address(port), "view.test.", LIMIT, &mut node);
    let mut sec_a = common::tsig_secondary(root, "sec-a", port_a, port, "view.test", &a_xfr());
    let mut sec_b = common::tsig_secondary(root, "sec-b", port_b, port, "view.test", &b_xfr());
    wait_for_serial(address(port_a), "view.test.", 1, LIMIT, &mut sec_a);
    wait_for_serial(address(port_b), "view.test.", 1, LIMIT, &mut sec_b);
    assert_eq!(
        www(address(port_a), "127.0.0.1", &[]),
        "10.0.0.2",
        "a's copy"
    );
    assert_eq!(
        www(address(port_b), "127.0.0.1", &[]),
        "10.0.0.4",
        "b's copy"
    );

    // A change to view a's zone reaches a's secondary by NOTIFY + IXFR, and
    // not b's.
    std::fs::write(root.join("a.zone"), zone_text(2, "10.0.0.22")).unwrap();
    let ctl = hadns_binary();
    let out = std::process::Command::new(&ctl)
        .args(["ctl", "reload", "--data-dir"])
        .arg(root.join("data"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    wait_for_serial(address(port_a), "view.test.", 2, LIMIT, &mut sec_a);
    assert_eq!(www(address(port_a), "127.0.0.1", &[]), "10.0.0.22");
    assert!(
        sec_a
            .log_text()
            .contains("serial=2 request=Ixfr(Serial(1))"),
        "an incremental transfer: {}",
        sec_a.log_text()
    );
    // The reload is done when `ctl reload` returns: the primary's view b
    // kept serial 1, so nothing can have reached b's secondary.
    let primary_b = dig(address(port), "127.0.0.3", &["view.test.", "SOA", "+short"]);
    assert_eq!(
        primary_b.split_whitespace().nth(2),
        Some("1"),
        "{primary_b}"
    );
    assert_eq!(soa_serial(address(port_b), "view.test."), Some(1));
    assert_eq!(www(address(port_b), "127.0.0.1", &[]), "10.0.0.4");
    assert_eq!(
        www(address(port), "127.0.0.2", &[]),
        "10.0.0.22",
        "the primary's view a"
    );
    assert_eq!(
        www(address(port), "127.0.0.3", &[]),
        "10.0.0.4",
        "the primary's view b"
    );

    // `hadns ctl` needs the view when a zone is in several.
    let ctl_run = |args: &[&str]| {
        let out = std::process::Command::new(&ctl)
            .arg("ctl")
            .args(args)
            .arg("--data-dir")
            .arg(root.join("data"))
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok, text) = ctl_run(&["zone-status", "view.test"]);
    assert!(!ok && text.contains("name one"), "{text}");
    let (ok, text) = ctl_run(&["zone-status", "view.test", "--view", "a"]);
    assert!(ok && text.contains("serial: 2"), "{text}");
    let (ok, text) = ctl_run(&["status"]);
    assert!(
        ok && text.contains("\ta\n") && text.contains("\tgeo\n"),
        "{text}"
    );
}

#[test]
fn a_bind_secondary_with_views_gets_each_views_zone_by_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (port, named_port) = (free_port(), free_port());
    // Both hadns views notify BIND: view a's NOTIFY is signed with a-xfr,
    // b's with b-xfr, and BIND picks its view by that key.
    let mut node = primary(root, port, named_port, named_port);
    common::wait_for_zone(address(port), "view.test.", LIMIT, &mut node);
    let (a, b) = (a_xfr(), b_xfr());
    let mut named = common::start_named_with_two_views(root, named_port, "view.test", port, &a, &b);
    let bind = address(named_port);
    let serial_in = |source: &str| -> String {
        dig(bind, source, &["view.test.", "SOA", "+short"])
            .split_whitespace()
            .nth(2)
            .unwrap_or_default()
            .to_string()
    };
    let deadline = std::time::Instant::now() + LIMIT;
    while serial_in("127.0.0.2") != "1" || serial_in("127.0.0.3") != "1" {
        assert!(
            std::time::Instant::now() < deadline,
            "BIND's views did not load view.test:\n{}",
            named.log_tail(60)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        www(bind, "127.0.0.2", &[]),
        "10.0.0.2",
        "BIND's view a = hadns view a"
    );
    assert_eq!(
        www(bind, "127.0.0.3", &[]),
        "10.0.0.4",
        "BIND's view b = hadns view b"
    );

    // A change to view a reaches BIND's view a by NOTIFY + IXFR; b keeps serial 1.
    let mark = named.log_mark();
    std::fs::write(root.join("a.zone"), zone_text(2, "10.0.0.22")).unwrap();
    let out = std::process::Command::new(hadns_binary())
        .args(["ctl", "reload", "--data-dir"])
        .arg(root.join("data"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    named.wait_for_log(
        mark,
        &["transfer of 'view.test/IN/a'", "got incremental response"],
        1,
        LIMIT,
    );
    let deadline = std::time::Instant::now() + LIMIT;
    while serial_in("127.0.0.2") != "2" {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            named.log_tail(40)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(www(bind, "127.0.0.2", &[]), "10.0.0.22");
    assert_eq!(serial_in("127.0.0.3"), "1", "view b untouched");
    assert_eq!(www(bind, "127.0.0.3", &[]), "10.0.0.4");
}
