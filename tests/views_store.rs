//! Zones kept in the store, served in views: one zone with base RRsets
//! and each view's own, changed through the API (`view=`) and RFC 2136
//! UPDATE (the signing key picks the view), each view's copy replicated on
//! its own — to hadns secondaries and to a BIND secondary with views — by
//! IXFR: a change to one view's own RRsets reaches only that view's
//! secondaries, a change to the base reaches every view that does not
//! override it. Unknown views are a 404 that changes nothing.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    ApiNode, Process, TsigKey, free_port, require_program, run_tool, soa_serial, start_hadns,
    wait_for_serial,
};
use serde_json::json;
use wire::tsig::Algorithm;

const LIMIT: Duration = Duration::from_secs(20);
const ZONE: &str = "split.test.";
const ZONES: &str = "/api/v1/servers/localhost/zones";

fn key(name: &str, secret: &str) -> TsigKey {
    TsigKey {
        name: name.into(),
        algorithm: Algorithm::HmacSha256,
        secret: secret.into(),
    }
}

fn a_xfr() -> TsigKey {
    key("a-xfr", "YS14ZnIta2V5LWZvci1zdG9yZS12aWV3cy0wMDAwMDA=")
}

fn b_xfr() -> TsigKey {
    key("b-xfr", "Yi14ZnIta2V5LWZvci1zdG9yZS12aWV3cy0wMDAwMDA=")
}

fn address(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// `dig` from `source` (a loopback address); the `+short` answer.
fn dig_short(server: SocketAddr, source: &str, name: &str, rtype: &str) -> String {
    let dig = require_program("dig", "bind9-dnsutils");
    let args: Vec<String> = [
        format!("@{}", server.ip()),
        "-p".into(),
        server.port().to_string(),
        "-b".into(),
        source.into(),
        "+time=2".into(),
        "+tries=2".into(),
        "+norecurse".into(),
        "+short".into(),
        name.into(),
        rtype.into(),
    ]
    .to_vec();
    run_tool(&dig, &args, "", LIMIT).trim().to_string()
}

/// The SOA serial `source` sees.
fn serial_seen(server: SocketAddr, source: &str) -> Option<u32> {
    dig_short(server, source, ZONE, "SOA")
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.parse().ok())
}

/// The primary: views `a` (127.0.0.2, or key a-xfr) and `b` (the rest, or
/// key b-xfr); the store zone split.test. gets per-view transfer, NOTIFY
/// and update rules.
fn primary(root: &Path, notify_a: u16, notify_b: u16) -> ApiNode {
    let keys: String = [a_xfr(), b_xfr()].iter().map(TsigKey::hadns_toml).collect();
    let body = format!(
        "{keys}\
         [zone_defaults]\nnameservers = [\"ns1.split.test.\"]\n\
         [[view]]\nname = \"a\"\nmatch_keys = [\"a-xfr\"]\nmatch_clients = [\"127.0.0.2\"]\n\
         [[view]]\nname = \"b\"\nmatch_keys = [\"b-xfr\"]\nmatch_clients = [\"any\"]\n\
         [[zone]]\nname = \"split.test\"\nview = \"a\"\nallow_transfer = [\"key a-xfr\"]\nallow_update = [\"key a-xfr\"]\n\
         notify = [\"127.0.0.1:{notify_a}\"]\nnotify_key = \"a-xfr\"\n\
         [[zone]]\nname = \"split.test\"\nview = \"b\"\nallow_transfer = [\"key b-xfr\"]\n\
         notify = [\"127.0.0.1:{notify_b}\"]\nnotify_key = \"b-xfr\"\n"
    );
    ApiNode::start(root, "primary", &body)
}

/// Creates split.test. in the store: www and mail, base data only.
fn create_zone(node: &ApiNode) {
    let response = node.send(
        "POST",
        ZONES,
        &json!({
            "name": ZONE,
            "kind": "Native",
            "nameservers": ["ns1.split.test."],
            "rrsets": [
                {"name": "ns1.split.test.", "type": "A", "ttl": 60, "records": [{"content": "127.0.0.1"}]},
                {"name": "www.split.test.", "type": "A", "ttl": 60, "records": [{"content": "192.0.2.1"}]},
                {"name": "mail.split.test.", "type": "A", "ttl": 60, "records": [{"content": "192.0.2.25"}]}
            ]
        }),
    );
    assert_eq!(response.status, 201, "{}", response.text());
}

/// PATCHes one A RRset (in `view`, or the base); the status and body.
fn set_a(node: &ApiNode, view: Option<&str>, owner: &str, address: &str) -> (u16, String) {
    let path = match view {
        Some(view) => format!("{ZONES}/{ZONE}?view={view}"),
        None => format!("{ZONES}/{ZONE}"),
    };
    let response = node.send(
        "PATCH",
        &path,
        &json!({"rrsets": [{
            "name": format!("{owner}.{ZONE}"), "type": "A", "ttl": 60, "changetype": "REPLACE",
            "records": [{"content": address, "disabled": false}]
        }]}),
    );
    (response.status, response.text())
}

#[test]
fn store_zones_in_views_replicate_each_views_copy_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (port_a, port_b) = (free_port(), free_port());
    let mut node = primary(root, port_a, port_b);
    create_zone(&node);
    let dns = node.dns;
    let created = serial_seen(dns, "127.0.0.3").expect("the zone is served in view b");
    assert_eq!(serial_seen(dns, "127.0.0.2"), Some(created), "and in a");
    let mut sec_a =
        common::tsig_secondary(root, "sec-a", port_a, dns.port(), "split.test", &a_xfr());
    let mut sec_b =
        common::tsig_secondary(root, "sec-b", port_b, dns.port(), "split.test", &b_xfr());
    wait_for_serial(address(port_a), ZONE, created, LIMIT, &mut sec_a);
    wait_for_serial(address(port_b), ZONE, created, LIMIT, &mut sec_b);

    // A base change reaches both views (neither overrides mail) and both
    // secondaries by IXFR.
    let (status, text) = set_a(&node, None, "mail", "192.0.2.26");
    assert_eq!(status, 204, "{text}");
    let base1 = created + 1;
    wait_for_serial(address(port_a), ZONE, base1, LIMIT, &mut sec_a);
    wait_for_serial(address(port_b), ZONE, base1, LIMIT, &mut sec_b);
    for (secondary, port) in [(&sec_a, port_a), (&sec_b, port_b)] {
        assert_eq!(
            dig_short(address(port), "127.0.0.1", "mail.split.test.", "A"),
            "192.0.2.26"
        );
        assert!(
            secondary
                .log_text()
                .contains(&format!("serial={base1} request=Ixfr(Serial({created}))")),
            "an incremental transfer: {}",
            secondary.log_text()
        );
    }

    // View a's own www: only a's clients and a's secondary see it, by IXFR.
    let (status, text) = set_a(&node, Some("a"), "www", "10.0.0.1");
    assert_eq!(status, 204, "{text}");
    let a1 = base1 + 1;
    assert_eq!(serial_seen(dns, "127.0.0.2"), Some(a1), "view a moved");
    assert_eq!(
        dig_short(dns, "127.0.0.2", "www.split.test.", "A"),
        "10.0.0.1"
    );
    assert_eq!(
        dig_short(dns, "127.0.0.3", "www.split.test.", "A"),
        "192.0.2.1",
        "view b still serves the base's www"
    );
    assert_eq!(
        serial_seen(dns, "127.0.0.3"),
        Some(base1),
        "view b did not move"
    );
    wait_for_serial(address(port_a), ZONE, a1, LIMIT, &mut sec_a);
    assert_eq!(
        dig_short(address(port_a), "127.0.0.1", "www.split.test.", "A"),
        "10.0.0.1"
    );
    assert!(
        sec_a
            .log_text()
            .contains(&format!("serial={a1} request=Ixfr(Serial({base1}))")),
        "{}",
        sec_a.log_text()
    );
    // The write returned after view b was left as it was, so nothing can
    // have reached b's secondary.
    assert_eq!(soa_serial(address(port_b), ZONE), Some(base1));

    // A base change to www reaches b only (a overrides www); one to mail
    // reaches both, each at its own serial.
    let (status, text) = set_a(&node, None, "www", "192.0.2.2");
    assert_eq!(status, 204, "{text}");
    let base2 = base1 + 1;
    wait_for_serial(address(port_b), ZONE, base2, LIMIT, &mut sec_b);
    assert_eq!(
        dig_short(address(port_b), "127.0.0.1", "www.split.test.", "A"),
        "192.0.2.2"
    );
    assert_eq!(serial_seen(dns, "127.0.0.2"), Some(a1), "a overrides www");
    assert_eq!(
        dig_short(dns, "127.0.0.2", "www.split.test.", "A"),
        "10.0.0.1"
    );
    let (status, text) = set_a(&node, None, "mail", "192.0.2.27");
    assert_eq!(status, 204, "{text}");
    wait_for_serial(address(port_a), ZONE, a1 + 1, LIMIT, &mut sec_a);
    wait_for_serial(address(port_b), ZONE, base2 + 1, LIMIT, &mut sec_b);
    for port in [port_a, port_b] {
        assert_eq!(
            dig_short(address(port), "127.0.0.1", "mail.split.test.", "A"),
            "192.0.2.27"
        );
    }
    assert_eq!(
        dig_short(address(port_a), "127.0.0.1", "www.split.test.", "A"),
        "10.0.0.1",
        "a's own www survives the base change"
    );

    // RFC 2136 UPDATE signed with a-xfr lands in view a only.
    let nsupdate = require_program("nsupdate", "bind9-dnsutils");
    let a = a_xfr();
    let script = format!(
        "server 127.0.0.1 {}\nzone {ZONE}\nupdate add note.{ZONE} 60 TXT \"view a\"\nsend\n",
        dns.port()
    );
    run_tool(&nsupdate, &["-y".to_string(), a.dash_y()], &script, LIMIT);
    assert_eq!(
        dig_short(dns, "127.0.0.2", "note.split.test.", "TXT"),
        "\"view a\""
    );
    assert_eq!(dig_short(dns, "127.0.0.3", "note.split.test.", "TXT"), "");
    wait_for_serial(address(port_a), ZONE, a1 + 2, LIMIT, &mut sec_a);
    assert_eq!(
        dig_short(address(port_a), "127.0.0.1", "note.split.test.", "TXT"),
        "\"view a\""
    );

    // The API: the views, a view's copy, its history naming the view.
    let views = node.get_json("/api/v1/views");
    assert_eq!(views[0]["name"], "a");
    assert_eq!(views[1]["name"], "b");
    assert_eq!(views[0]["zones"][0]["serial"], a1 + 2);
    assert_eq!(views[0]["zones"][0]["own_rrsets"], 3, "SOA, www and note");
    assert_eq!(views[1]["zones"][0]["own_rrsets"], 0);
    let in_a = node.get_json(&format!("{ZONES}/{ZONE}?view=a"));
    assert_eq!(in_a["serial"], a1 + 2);
    let www = in_a["rrsets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "www.split.test." && s["type"] == "A")
        .expect("www in view a");
    assert_eq!(www["records"][0]["content"], "10.0.0.1");
    let base = node.get_json(&format!("{ZONES}/{ZONE}"));
    assert_eq!(base["serial"], base2 + 1);
    let history = node.get_json(&format!("{ZONES}/{ZONE}/history?view=a&limit=3"));
    assert_eq!(history[0]["view"], "a");
    assert_eq!(history[0]["source"], "update");
    assert!(
        node.get_json(&format!("{ZONES}/{ZONE}/history"))
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e.get("view").is_none()),
        "the base's history is the base's"
    );

    // `hadns export --view` prints a view's copy.
    let export = |view: &str| {
        std::process::Command::new(common::hadns_binary())
            .args(["export", ZONE, "--view", view, "--data-dir"])
            .arg(node.dir.join("data"))
            .output()
            .unwrap()
    };
    let out = export("a");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.contains("10.0.0.1") && text.contains("view a"),
        "{text}"
    );
    let out = export("nowhere");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no view `nowhere`"));

    // An unknown view: 404 naming it, nothing written anywhere.
    let journal_rows = || -> usize {
        let store = store::Store::open(&node.database()).unwrap();
        let zone = wire::Name::from_text(ZONE, None).unwrap();
        ["a", "b"]
            .iter()
            .map(|view| {
                store
                    .history_in(&zone, Some(view), 10_000, None)
                    .unwrap()
                    .len()
            })
            .sum::<usize>()
            + store.history(&zone, 10_000, None).unwrap().len()
    };
    let rows = journal_rows();
    let (status, text) = set_a(&node, Some("nowhere"), "www", "10.9.9.9");
    assert_eq!(status, 404, "{text}");
    assert!(text.contains("nowhere"), "{text}");
    for path in [
        format!("{ZONES}/{ZONE}?view=nowhere"),
        format!("{ZONES}/{ZONE}/history?view=nowhere"),
        "/api/v1/views/nowhere".to_string(),
    ] {
        let response = node.get(&path);
        assert_eq!(response.status, 404, "{path}: {}", response.text());
        assert!(response.text().contains("nowhere"), "{}", response.text());
    }
    let response = node.request(
        "DELETE",
        &format!("{ZONES}/{ZONE}?view=nowhere"),
        Some(&node.token),
        &[],
        None,
    );
    assert_eq!(response.status, 404, "{}", response.text());
    // A zone is deleted from every view at once, never through one view.
    let response = node.request(
        "DELETE",
        &format!("{ZONES}/{ZONE}?view=a"),
        Some(&node.token),
        &[],
        None,
    );
    assert_eq!(response.status, 422, "{}", response.text());
    assert!(
        response.text().contains("every view"),
        "{}",
        response.text()
    );
    assert_eq!(journal_rows(), rows, "the store is unchanged");
    assert_eq!(serial_seen(dns, "127.0.0.2"), Some(a1 + 2));
    assert_eq!(serial_seen(dns, "127.0.0.3"), Some(base2 + 1));

    // After a restart each view serves its own copy at its own serial.
    node.process.signal("TERM");
    assert_eq!(node.process.wait_exit(LIMIT), Some(0), "a clean stop");
    let config = node.dir.join("hadns.toml");
    let mut again = start_hadns(
        &node.dir,
        "primary-again",
        &["--config".to_string(), config.display().to_string()],
    );
    common::wait_for_serial(dns, ZONE, base2 + 1, LIMIT, &mut again);
    assert_eq!(serial_seen(dns, "127.0.0.2"), Some(a1 + 2));
    assert_eq!(
        dig_short(dns, "127.0.0.2", "www.split.test.", "A"),
        "10.0.0.1"
    );
    assert_eq!(
        dig_short(dns, "127.0.0.3", "www.split.test.", "A"),
        "192.0.2.2"
    );
}

#[test]
fn a_bind_secondary_with_views_follows_each_views_copy_of_a_store_zone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let named_port = free_port();
    // Both views notify BIND, each signed with its view's key; BIND picks
    // its view by that key, and transfers with it.
    let node = primary(root, named_port, named_port);
    create_zone(&node);
    let created = serial_seen(node.dns, "127.0.0.3").expect("served");
    let (a, b) = (a_xfr(), b_xfr());
    let port = node.dns.port();
    let mut named =
        common::start_named_with_two_views(root, named_port, "split.test", port, &a, &b);
    let bind = address(named_port);
    let wait_bind = |source: &str, serial: u32, named: &Process| {
        let deadline = Instant::now() + LIMIT;
        while serial_seen(bind, source) != Some(serial) {
            assert!(
                Instant::now() < deadline,
                "BIND's view for {source} never reached serial {serial}:\n{}",
                named.log_tail(60)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_bind("127.0.0.2", created, &named);
    wait_bind("127.0.0.3", created, &named);

    // View a's own www reaches BIND's view a by NOTIFY + IXFR; b stays.
    let mark = named.log_mark();
    let (status, text) = set_a(&node, Some("a"), "www", "10.0.0.1");
    assert_eq!(status, 204, "{text}");
    named.wait_for_log(
        mark,
        &["transfer of 'split.test/IN/a'", "got incremental response"],
        1,
        LIMIT,
    );
    wait_bind("127.0.0.2", created + 1, &named);
    assert_eq!(
        dig_short(bind, "127.0.0.2", "www.split.test.", "A"),
        "10.0.0.1"
    );
    assert_eq!(
        serial_seen(bind, "127.0.0.3"),
        Some(created),
        "view b untouched"
    );
    assert_eq!(
        dig_short(bind, "127.0.0.3", "www.split.test.", "A"),
        "192.0.2.1"
    );

    // A base change to mail reaches both of BIND's views, incrementally.
    let mark = named.log_mark();
    let (status, text) = set_a(&node, None, "mail", "192.0.2.26");
    assert_eq!(status, 204, "{text}");
    named.wait_for_log(
        mark,
        &["transfer of 'split.test/IN/b'", "got incremental response"],
        1,
        LIMIT,
    );
    wait_bind("127.0.0.2", created + 2, &named);
    wait_bind("127.0.0.3", created + 1, &named);
    for source in ["127.0.0.2", "127.0.0.3"] {
        assert_eq!(
            dig_short(bind, source, "mail.split.test.", "A"),
            "192.0.2.26"
        );
    }
    assert_eq!(
        dig_short(bind, "127.0.0.2", "www.split.test.", "A"),
        "10.0.0.1"
    );
}

#[test]
fn a_disabled_soa_takes_the_zone_out_of_every_view_and_settings_are_the_zones() {
    let dir = tempfile::tempdir().unwrap();
    let node = primary(dir.path(), free_port(), free_port());
    create_zone(&node);
    assert_eq!(set_a(&node, Some("a"), "www", "10.0.0.1").0, 204);
    let www = |source: &str| dig_short(node.dns, source, &format!("www.{ZONE}"), "A");
    assert_eq!(www("127.0.0.2"), "10.0.0.1");
    assert_eq!(www("127.0.0.1"), "192.0.2.1");

    let path = format!("{ZONES}/{ZONE}");
    let zone = node.get_json(&path);
    let soa = zone["rrsets"][0]["records"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    let set_soa = |disabled: bool| {
        node.send(
            "PATCH",
            &path,
            &json!({"rrsets": [{"name": ZONE, "type": "SOA", "ttl": 3600, "changetype": "REPLACE",
                                "records": [{"content": soa, "disabled": disabled}]}]}),
        )
    };
    assert_eq!(set_soa(true).status, 204);
    // Out of service in both views (REFUSED: no SOA answer at all).
    assert_eq!(serial_seen(node.dns, "127.0.0.2"), None);
    assert_eq!(serial_seen(node.dns, "127.0.0.1"), None);
    assert_eq!(node.get(&path).status, 200, "kept in the store");

    // Settings are the zone's in every view: not per view.
    let response = node.send("PUT", &format!("{path}?view=a"), &json!({"account": "x"}));
    assert_eq!(response.status, 422, "{}", response.text());
    assert!(response.error().contains("view"), "{}", response.error());
    assert_eq!(node.get_json(&path)["account"], "");

    assert_eq!(set_soa(false).status, 204);
    assert_eq!(www("127.0.0.2"), "10.0.0.1", "view a's own data is back");
    assert_eq!(www("127.0.0.1"), "192.0.2.1");
}

/// REPLACEs the base SOA with `content`, enabled or not; the status.
fn set_base_soa(node: &ApiNode, content: &str, disabled: bool) -> u16 {
    let response = node.send(
        "PATCH",
        &format!("{ZONES}/{ZONE}"),
        &json!({"rrsets": [{"name": ZONE, "type": "SOA", "ttl": 3600, "changetype": "REPLACE",
                            "records": [{"content": content, "disabled": disabled}]}]}),
    );
    assert_eq!(response.status, 204, "{}", response.text());
    response.status
}

/// The base SOA's content.
fn base_soa(node: &ApiNode) -> String {
    let zone = node.get_json(&format!("{ZONES}/{ZONE}"));
    zone["rrsets"][0]["records"][0]["content"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_views_own_soa_never_takes_the_base_soas_disabled_flag() {
    let dir = tempfile::tempdir().unwrap();
    let node = primary(dir.path(), free_port(), free_port());
    create_zone(&node);
    let soa = base_soa(&node);

    // (a) View a's first data of its own arrives while the base SOA is
    // disabled: the view's new SOA is its own, enabled.
    set_base_soa(&node, &soa, true);
    assert_eq!(set_a(&node, Some("a"), "www", "10.0.0.1").0, 204);
    assert_eq!(
        serial_seen(node.dns, "127.0.0.2"),
        None,
        "still out of service"
    );
    set_base_soa(&node, &soa, false);
    let www =
        |node: &ApiNode, source: &str| dig_short(node.dns, source, &format!("www.{ZONE}"), "A");
    assert_eq!(
        www(&node, "127.0.0.2"),
        "10.0.0.1",
        "view a is served again"
    );
    assert_eq!(www(&node, "127.0.0.1"), "192.0.2.1");
    drop(node);
    let node = primary(dir.path(), free_port(), free_port());
    assert_eq!(www(&node, "127.0.0.2"), "10.0.0.1", "and after a restart");
    assert!(serial_seen(node.dns, "127.0.0.2").is_some());

    // (b) The base SOA is disabled together with a timer change, which is
    // carried into view a's own SOA: its flag is not.
    let soa = base_soa(&node);
    let retimed = {
        let mut fields: Vec<&str> = soa.split_whitespace().collect();
        fields[3] = "7200";
        fields.join(" ")
    };
    assert_ne!(retimed, soa);
    set_base_soa(&node, &retimed, true);
    assert_eq!(serial_seen(node.dns, "127.0.0.2"), None);
    assert_eq!(serial_seen(node.dns, "127.0.0.1"), None);
    set_base_soa(&node, &retimed, false);
    let refresh = |node: &ApiNode, source: &str| {
        dig_short(node.dns, source, ZONE, "SOA")
            .split_whitespace()
            .nth(3)
            .map(str::to_string)
    };
    assert_eq!(
        refresh(&node, "127.0.0.2").as_deref(),
        Some("7200"),
        "view a has the new timer"
    );
    assert_eq!(refresh(&node, "127.0.0.1").as_deref(), Some("7200"));
    assert_eq!(www(&node, "127.0.0.2"), "10.0.0.1");
    drop(node);
    let node = primary(dir.path(), free_port(), free_port());
    assert_eq!(www(&node, "127.0.0.2"), "10.0.0.1", "and after a restart");
    assert_eq!(refresh(&node, "127.0.0.2").as_deref(), Some("7200"));
}
