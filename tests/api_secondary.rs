//! Secondary zones created through the REST API (PowerDNS kind `Slave`):
//! a hadns node creates one with `masters` naming another hadns node, it
//! is transferred and answered at once, follows its primary's changes by
//! NOTIFY, survives a restart, refuses writes, and is gone — files and
//! all — once deleted. Refused creations change nothing.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{ApiNode, TsigKey, ask, free_port, wait_for_serial};
use serde_json::json;
use wire::tsig::Algorithm;
use wire::{Rcode, Rtype};

const ZONE: &str = "sec.test.";
const ZONES: &str = "/api/v1/servers/localhost/zones";
const LIMIT: Duration = Duration::from_secs(20);

fn transfer_key() -> TsigKey {
    TsigKey {
        name: "xfr".into(),
        algorithm: Algorithm::HmacSha256,
        secret: "YXBpLXNlY29uZGFyeS10cmFuc2Zlci1rZXktdGVzdA==".into(),
    }
}

/// Waits until `server` answers `qname` A with `address`.
fn wait_for_a(server: SocketAddr, qname: &str, address: &str, limit: Duration) {
    let octets = address.parse::<std::net::Ipv4Addr>().unwrap().octets();
    let deadline = Instant::now() + limit;
    loop {
        let answer = ask(server, qname, Rtype::A);
        if answer.rcode == Rcode::NOERROR && answer.answer.iter().any(|r| r.rdata() == octets) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{server} does not answer {qname} A {address} within {limit:?}: {:?} {:?}",
            answer.rcode,
            answer.answer
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The files the secondary keeps for ZONE in its data directory.
fn zone_files(node: &ApiNode) -> Vec<String> {
    let dir = node.dir.join("data/zones");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("sec.test"))
        .collect();
    names.sort();
    names
}

/// The secondary's configuration: the transfer key, and a configured
/// secondary zone whose name the API must not take.
fn secondary_body(primary_dns: SocketAddr) -> String {
    format!(
        "{key}[[zone]]\nname = \"conf.test\"\nrole = \"secondary\"\nprimaries = [\"{primary_dns}\"]\n",
        key = transfer_key().hadns_toml(),
    )
}

fn start_secondary(root: &Path, dns: SocketAddr, primary_dns: SocketAddr) -> ApiNode {
    ApiNode::start_on(root, "secondary", dns, &secondary_body(primary_dns))
}

#[test]
fn a_secondary_zone_created_through_the_api_replicates_survives_a_restart_and_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let secondary_dns: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    // The primary: store zones NOTIFY the secondary and transfer only to
    // the key.
    let primary = ApiNode::start(
        root,
        "primary",
        &format!(
            "{key}[zone_defaults]\nnotify = [\"{secondary_dns}\"]\nallow_transfer = [\"key xfr\"]\n",
            key = transfer_key().hadns_toml(),
        ),
    );
    let created = primary.send(
        "POST",
        ZONES,
        &json!({"name": ZONE, "kind": "Native", "nameservers": ["ns1.sec.test."], "rrsets": [
            {"name": "www.sec.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
             "records": [{"content": "192.0.2.1", "disabled": false}]}]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let mut secondary = start_secondary(root, secondary_dns, primary.dns);

    // Refused creations change nothing: the store lists the same zones and
    // nothing is served or replicated under the names tried.
    let zones_before = secondary.get_json(ZONES);
    for (body, status, field) in [
        (json!({"name": ZONE, "kind": "Slave"}), 422, "masters"),
        (
            json!({"name": ZONE, "kind": "Slave", "masters": []}),
            422,
            "masters",
        ),
        (
            json!({"name": ZONE, "kind": "Slave", "masters": ["primary.example"]}),
            422,
            "masters[0]",
        ),
        (
            json!({"name": ZONE, "kind": "Slave", "masters": [primary.dns.to_string()],
                   "master_tsig_key_ids": ["no-such-key."]}),
            422,
            "master_tsig_key_ids[0]",
        ),
        (
            json!({"name": "conf.test.", "kind": "Slave", "masters": [primary.dns.to_string()]}),
            409,
            "configuration",
        ),
    ] {
        let refused = secondary.send("POST", ZONES, &body);
        assert_eq!(refused.status, status, "{body}: {}", refused.text());
        assert!(
            refused.error().contains(field),
            "{body}: {}",
            refused.error()
        );
    }
    assert_eq!(secondary.get_json(ZONES), zones_before);
    assert_eq!(ask(secondary.dns, ZONE, Rtype::SOA).rcode, Rcode::REFUSED);
    assert!(
        zone_files(&secondary).is_empty(),
        "{:?}",
        zone_files(&secondary)
    );

    // Created: transferred (with the key) and answered.
    let started = Instant::now();
    let created = secondary.send(
        "POST",
        ZONES,
        &json!({"name": ZONE, "kind": "Slave", "masters": [primary.dns.to_string()],
                "master_tsig_key_ids": ["xfr."]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["kind"], "Slave");
    wait_for_a(secondary.dns, "www.sec.test.", "192.0.2.1", LIMIT);
    println!(
        "POST Slave → www.sec.test. answered by the secondary: {:?}",
        started.elapsed()
    );
    let zone = secondary.get_json(&format!("{ZONES}/{ZONE}"));
    assert_eq!(zone["kind"], "Slave");
    assert_eq!(zone["masters"], json!([primary.dns.to_string()]));
    assert_eq!(zone["master_tsig_key_ids"], json!(["xfr."]));
    let first_serial = zone["serial"].as_u64().unwrap();
    assert!(first_serial > 0, "{zone}");
    assert!(zone["last_check"].as_u64().unwrap() > 0, "{zone}");
    let rrsets = zone["rrsets"].as_array().unwrap();
    assert!(
        rrsets
            .iter()
            .any(|s| s["name"] == "www.sec.test." && s["type"] == "A"),
        "{zone}"
    );

    // A key made through /tsigkeys names a transfer key too.
    let key = secondary.send(
        "POST",
        "/api/v1/servers/localhost/tsigkeys",
        &json!({"name": "api-made.", "algorithm": "hmac-sha256"}),
    );
    assert_eq!(key.status, 201, "{}", key.text());
    let other = secondary.send(
        "POST",
        ZONES,
        &json!({"name": "other.test.", "kind": "Secondary", "masters": [primary.dns.to_string()],
                "master_tsig_key_ids": ["api-made."]}),
    );
    assert_eq!(other.status, 201, "{}", other.text());
    assert_eq!(other.json()["master_tsig_key_ids"], json!(["api-made."]));
    let gone = secondary.request(
        "DELETE",
        &format!("{ZONES}/other.test."),
        Some(&secondary.token),
        &[],
        None,
    );
    assert_eq!(gone.status, 204, "{}", gone.text());

    // Writes are refused: its data is its primary's.
    let patch = secondary.send(
        "PATCH",
        &format!("{ZONES}/{ZONE}"),
        &json!({"rrsets": [{"name": "x.sec.test.", "type": "A", "ttl": 1, "changetype": "REPLACE",
                            "records": [{"content": "192.0.2.9", "disabled": false}]}]}),
    );
    assert_eq!(patch.status, 422, "{}", patch.text());
    let again = secondary.send(
        "POST",
        ZONES,
        &json!({"name": ZONE, "kind": "Slave", "masters": [primary.dns.to_string()]}),
    );
    assert_eq!(again.status, 409, "{}", again.text());
    let notify = secondary.request(
        "PUT",
        &format!("{ZONES}/{ZONE}/notify"),
        Some(&secondary.token),
        &[],
        None,
    );
    assert_eq!(notify.status, 422, "{}", notify.text());

    // A change on the primary reaches it by NOTIFY.
    let started = Instant::now();
    let changed = primary.send(
        "PATCH",
        &format!("{ZONES}/{ZONE}"),
        &json!({"rrsets": [{"name": "www.sec.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
                            "records": [{"content": "192.0.2.2", "disabled": false}]}]}),
    );
    assert_eq!(changed.status, 204, "{}", changed.text());
    wait_for_a(secondary.dns, "www.sec.test.", "192.0.2.2", LIMIT);
    println!(
        "primary PATCH → the secondary answers the change (NOTIFY): {:?}",
        started.elapsed()
    );
    // axfr-retrieve forces a transfer.
    let retrieve = secondary.request(
        "PUT",
        &format!("{ZONES}/{ZONE}/axfr-retrieve"),
        Some(&secondary.token),
        &[],
        None,
    );
    assert_eq!(retrieve.status, 200, "{}", retrieve.text());

    // Restarted: served from its copy at once, and still replicating.
    secondary.process.signal("TERM");
    secondary.process.wait_exit(LIMIT);
    let files = zone_files(&secondary);
    assert!(files.iter().any(|f| f.ends_with(".zone")), "{files:?}");
    drop(secondary);
    let mut secondary = start_secondary(root, secondary_dns, primary.dns);
    let started = Instant::now();
    wait_for_a(secondary.dns, "www.sec.test.", "192.0.2.2", LIMIT);
    println!(
        "secondary restart → answered from its copy: {:?}",
        started.elapsed()
    );
    let changed = primary.send(
        "PATCH",
        &format!("{ZONES}/{ZONE}"),
        &json!({"rrsets": [{"name": "www.sec.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
                            "records": [{"content": "192.0.2.3", "disabled": false}]}]}),
    );
    assert_eq!(changed.status, 204, "{}", changed.text());
    wait_for_a(secondary.dns, "www.sec.test.", "192.0.2.3", LIMIT);
    let serial = secondary.get_json(&format!("{ZONES}/{ZONE}"))["serial"]
        .as_u64()
        .unwrap();
    assert!(serial > first_serial, "{serial} after {first_serial}");
    wait_for_serial(
        secondary.dns,
        ZONE,
        serial as u32,
        LIMIT,
        &mut secondary.process,
    );

    // Deleted: REFUSED, its files and row gone.
    let deleted = secondary.request(
        "DELETE",
        &format!("{ZONES}/{ZONE}"),
        Some(&secondary.token),
        &[],
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(ask(secondary.dns, ZONE, Rtype::SOA).rcode, Rcode::REFUSED);
    assert!(
        zone_files(&secondary).is_empty(),
        "{:?}",
        zone_files(&secondary)
    );
    assert_eq!(secondary.get(&format!("{ZONES}/{ZONE}")).status, 404);
    // The configured secondary cannot be deleted through the API.
    let configured = secondary.request(
        "DELETE",
        &format!("{ZONES}/conf.test."),
        Some(&secondary.token),
        &[],
        None,
    );
    assert_eq!(configured.status, 422, "{}", configured.text());
}

#[test]
fn a_configured_zone_wins_over_a_stored_secondary_of_the_same_name_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let dns: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    // Nothing answers on these ports: the zone is never transferred, which
    // this test does not need.
    let (stored_primary, configured_primary) = (free_port(), free_port());
    let mut node = ApiNode::start_on(root, "node", dns, "");
    let created = node.send(
        "POST",
        ZONES,
        &json!({"name": ZONE, "kind": "Slave", "masters": [format!("127.0.0.1:{stored_primary}")]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    node.process.signal("TERM");
    node.process.wait_exit(LIMIT);
    drop(node);
    // Restarted with a [[zone]] of the same name: it starts, warns, and
    // the zone is the configuration's.
    let node = ApiNode::start_on(
        root,
        "node",
        dns,
        &format!(
            "[[zone]]\nname = \"{ZONE}\"\nrole = \"secondary\"\nprimaries = [\"127.0.0.1:{configured_primary}\"]\n"
        ),
    );
    let zone = node.get_json(&format!("{ZONES}/{ZONE}"));
    assert_eq!(zone["kind"], "Slave");
    assert_eq!(
        zone["masters"],
        json!([format!("127.0.0.1:{configured_primary}")])
    );
    let listed = node.get_json(ZONES);
    assert_eq!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|z| z["name"] == ZONE)
            .count(),
        1,
        "{listed}"
    );
    assert!(
        node.process.log_text().contains("the configuration wins"),
        "{}",
        node.process.log_text()
    );
}

#[test]
fn with_views_a_secondary_created_through_the_api_replicates_in_every_view() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let primary = ApiNode::start(
        root,
        "primary",
        "[zone_defaults]\nallow_transfer = [\"127.0.0.1\"]\n",
    );
    let created = primary.send(
        "POST",
        ZONES,
        &json!({"name": ZONE, "kind": "Native", "nameservers": ["ns1.sec.test."], "rrsets": [
            {"name": "www.sec.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
             "records": [{"content": "192.0.2.7", "disabled": false}]}]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let secondary = ApiNode::start(
        root,
        "secondary",
        "[[view]]\nname = \"a\"\nmatch_clients = [\"127.0.0.2\"]\n\
         [[view]]\nname = \"b\"\nmatch_clients = [\"any\"]\n",
    );
    let created = secondary.send(
        "POST",
        ZONES,
        &json!({"name": ZONE, "kind": "Slave", "masters": [primary.dns.to_string()]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    // Queries from 127.0.0.1 land in view b.
    wait_for_a(secondary.dns, "www.sec.test.", "192.0.2.7", LIMIT);
    // Each view's lane keeps its own copy.
    let deadline = Instant::now() + LIMIT;
    let copy = |view: &str| {
        secondary
            .dir
            .join(format!("data/views/{view}/zones/sec.test.zone"))
    };
    while !(copy("a").exists() && copy("b").exists()) {
        assert!(Instant::now() < deadline, "no copy in both views");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(secondary.get("/api/v1/views").status, 200);
    let deleted = secondary.request(
        "DELETE",
        &format!("{ZONES}/{ZONE}"),
        Some(&secondary.token),
        &[],
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(ask(secondary.dns, ZONE, Rtype::SOA).rcode, Rcode::REFUSED);
    assert!(!copy("a").exists() && !copy("b").exists());
}
