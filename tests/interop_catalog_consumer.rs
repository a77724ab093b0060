//! hadns as a catalog zone consumer (RFC 9432, version 2), configured with
//! `[[catalog_consumer]]` only, fed by three producers:
//!
//! 1. a hadns primary (`[catalog] produce`): a zone created through the
//!    primary's REST API is served by the consumer with no change to its
//!    configuration (the time from the POST is printed), `hadns ctl status`
//!    and `/api/v1/cluster` name the catalog; a zone deleted through the
//!    API is REFUSED by the consumer and its files are gone from the
//!    consumer's data directory; restarted with its primary down, the
//!    consumer serves the catalog's zones at once from its saved copies.
//! 2. Knot 3.2 generating a catalog (`catalog-role: generate`) from the
//!    `catalog-zone` members of its own configuration.
//! 3. BIND 9.18 serving a hand-written catalog as a plain primary zone: a
//!    broken version (`version` TXT "1") removes nothing; the next good
//!    version without the member removes it.
//!
//! Log lines relied on: "broken catalog" (3).

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    ApiNode, Process, TsigKey, free_port, hadns_ctl, query, start_hadns, start_knot_configured,
    start_named, udp_exchange,
};
use serde_json::json;
use wire::tsig::Algorithm;
use wire::{Message, Rcode, Rtype};

const CATALOG: &str = "catalog.hadns.";
const ZONES: &str = "/api/v1/servers/localhost/zones";
/// How long any one step may take.
const LIMIT: Duration = Duration::from_secs(30);

fn key() -> TsigKey {
    TsigKey {
        name: "xfr".into(),
        algorithm: Algorithm::HmacSha256,
        secret: "TuUBrWAiNYUAy0X1zoRzBj3cAx2Fv1CO1o0LS7h2ZE0=".into(),
    }
}

fn address(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The RCODE of an SOA query for `zone`, and whether it was an
/// authoritative answer with the SOA; `None` when nothing answers.
fn soa_answer(server: SocketAddr, zone: &str) -> Option<(Rcode, bool)> {
    let reply = udp_exchange(
        server,
        &query(0x5e71, zone, Rtype::SOA, 0, None),
        Duration::from_millis(300),
    )?;
    let m = Message::parse(&reply).ok()?;
    let answered = m.rcode() == Rcode::NOERROR
        && m.header.flag(wire::header::flags::AA)
        && m.answer.iter().any(|r| r.rtype == Rtype::SOA);
    Some((m.rcode(), answered))
}

fn serves(server: SocketAddr, zone: &str) -> bool {
    soa_answer(server, zone).is_some_and(|(_, answered)| answered)
}

fn refuses(server: SocketAddr, zone: &str) -> bool {
    soa_answer(server, zone).is_some_and(|(rcode, _)| rcode == Rcode::REFUSED)
}

/// Polls until `done`, failing with `process`'s log after [`LIMIT`];
/// returns how long it took from `started`.
fn wait(started: Instant, process: &mut Process, what: &str, done: impl Fn() -> bool) -> Duration {
    loop {
        if done() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < LIMIT && !process.has_exited(),
            "{what} did not happen within {LIMIT:?}; the log ends:\n{}",
            process.log_tail(80)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The files the consumer keeps for `zone` in its data directory.
fn files_of(data_dir: &Path, zone: &str) -> Vec<String> {
    let stem = zone.trim_end_matches('.');
    std::fs::read_dir(data_dir.join("zones"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| {
                    name.strip_prefix(stem)
                        .is_some_and(|rest| rest.starts_with('.') && !rest[1..].contains('.'))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `[[catalog_consumer]]` of `catalog` from `primary`, signed with `key`.
fn consumer_body(catalog: &str, primary: SocketAddr, key: Option<&TsigKey>) -> String {
    match key {
        Some(key) => format!(
            "{}[[catalog_consumer]]\nzone = \"{catalog}\"\nprimaries = [\"{primary}\"]\nkey = \"{}\"\n",
            key.hadns_toml(),
            key.name
        ),
        None => {
            format!("[[catalog_consumer]]\nzone = \"{catalog}\"\nprimaries = [\"{primary}\"]\n")
        }
    }
}

#[test]
fn hadns_consumer_follows_a_hadns_catalog_and_restarts_from_saved_copies() {
    let dir = tempfile::tempdir().unwrap();
    let key = key();
    let consumer_dns = address(free_port());
    let primary = ApiNode::start(
        dir.path(),
        "primary",
        &format!(
            "{key_table}\
             [zone_defaults]\nallow_transfer = [\"key xfr\"]\nnotify = [\"{consumer_dns}\"]\nnotify_key = \"xfr\"\n\
             [catalog]\nproduce = \"{CATALOG}\"\nallow_transfer = [\"key xfr\"]\nnotify = [\"{consumer_dns}\"]\nnotify_key = \"xfr\"\n",
            key_table = key.hadns_toml(),
        ),
    );
    let mut consumer = ApiNode::start_on(
        dir.path(),
        "consumer",
        consumer_dns,
        &consumer_body(CATALOG, primary.dns, Some(&key)),
    );
    let data_dir = consumer.dir.join("data");
    let started = Instant::now();
    let took = wait(started, &mut consumer.process, "catalog transfer", || {
        serves(consumer_dns, CATALOG)
    });
    println!("consumer holds the (empty) catalog after {took:?}");

    let mut to_serve = Vec::new();
    for zone in ["first.test.", "kept.test.", "third.test."] {
        let started = Instant::now();
        let response = primary.send(
            "POST",
            ZONES,
            &json!({"name": zone, "kind": "Native", "nameservers": [format!("ns1.{zone}")]}),
        );
        assert_eq!(response.status, 201, "create {zone}: {}", response.text());
        let took = wait(
            started,
            &mut consumer.process,
            &format!("serve {zone}"),
            || serves(consumer_dns, zone),
        );
        println!("created {zone}: served by the hadns consumer after {took:?}");
        to_serve.push(took);
    }
    to_serve.sort();
    println!(
        "POST to answering on the consumer, median of 3: {:?}",
        to_serve[1]
    );

    // The member is marked with its catalog in `ctl status` and the API.
    let status = hadns_ctl(&data_dir, &["status"]);
    let line = status
        .lines()
        .find(|l| l.starts_with("kept.test.\t"))
        .unwrap_or_else(|| panic!("kept.test. in ctl status:\n{status}"));
    assert!(line.contains("secondary"), "{line}");
    assert!(line.ends_with(&format!("\tcatalog={CATALOG}")), "{line}");
    let catalog_line = status
        .lines()
        .find(|l| l.starts_with(CATALOG))
        .expect("the catalog itself in ctl status");
    assert!(!catalog_line.contains("catalog="), "{catalog_line}");
    let cluster = consumer.get_json("/api/v1/cluster?probe=false");
    let member = cluster["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["zone"] == "kept.test.")
        .unwrap_or_else(|| panic!("kept.test. in /api/v1/cluster: {cluster}"));
    assert_eq!(member["catalog"], CATALOG, "{member}");
    assert_eq!(member["role"], "secondary", "{member}");

    // A zone made through the consumer's own API under a member's name
    // would take the member's place: refused (409, naming the catalog),
    // and the member stays the catalog's.
    for body in [
        json!({"name": "kept.test.", "kind": "Native", "nameservers": ["ns1.kept.test."]}),
        json!({"name": "kept.test.", "kind": "Slave", "masters": [primary.dns.to_string()]}),
    ] {
        let response = consumer.send("POST", ZONES, &body);
        assert_eq!(response.status, 409, "{body}: {}", response.text());
        assert!(response.text().contains(CATALOG), "{}", response.text());
    }
    assert!(serves(consumer_dns, "kept.test."));
    let status = hadns_ctl(&data_dir, &["status"]);
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("kept.test.\t") && l.ends_with(&format!("\tcatalog={CATALOG}"))),
        "{status}"
    );
    assert_eq!(
        member["secondary"]["primaries"],
        json!([primary.dns.to_string()]),
        "{member}"
    );
    assert!(
        !files_of(&data_dir, "first.test.").is_empty(),
        "the member's copy is on disk"
    );

    // DELETE: REFUSED by the consumer, and its files are gone.
    let started = Instant::now();
    let response = primary.request(
        "DELETE",
        &format!("{ZONES}/first.test."),
        Some(&primary.token),
        &[],
        None,
    );
    assert_eq!(response.status, 204, "{}", response.text());
    let took = wait(started, &mut consumer.process, "refuse first.test.", || {
        refuses(consumer_dns, "first.test.")
    });
    println!("deleted first.test.: REFUSED by the consumer after {took:?}");
    assert_eq!(files_of(&data_dir, "first.test."), Vec::<String>::new());
    assert!(serves(consumer_dns, "kept.test."));

    // Restart the consumer with its primary down: the members come from
    // the catalog's saved copy and their own saved copies.
    let mut primary = primary;
    primary.process.signal("TERM");
    assert!(
        primary.process.wait_exit(LIMIT).is_some(),
        "primary did not stop"
    );
    consumer.process.signal("TERM");
    assert!(
        consumer.process.wait_exit(LIMIT).is_some(),
        "consumer did not stop"
    );
    let config = consumer.dir.join("hadns.toml").display().to_string();
    let started = Instant::now();
    let mut restarted = start_hadns(
        &consumer.dir,
        "consumer-again",
        &["--config".into(), config],
    );
    let took = wait(
        started,
        &mut restarted,
        "serve kept.test. after restart",
        || serves(consumer_dns, "kept.test.") && serves(consumer_dns, "third.test."),
    );
    println!("restarted consumer (primary down) serves the members after {took:?}");
    assert!(refuses(consumer_dns, "first.test."));
}

#[test]
fn knot_generated_catalog_is_consumed() {
    let dir = tempfile::tempdir().unwrap();
    let knot_port = free_port();
    let zone_file = dir.path().join("member.knot.zone");
    std::fs::write(
        &zone_file,
        "$ORIGIN member.knot.\n$TTL 300\n@ SOA ns1 hostmaster 7 3600 600 86400 60\n@ NS ns1\nns1 A 127.0.0.1\nwww A 192.0.2.7\n",
    )
    .unwrap();
    let mut knot = start_knot_configured(
        dir.path(),
        knot_port,
        &format!(
            "acl:\n  - id: transfer\n    address: 127.0.0.1\n    action: transfer\n\
             zone:\n  - domain: catalog.knot.\n    catalog-role: generate\n    acl: transfer\n\
             \x20 - domain: member.knot.\n    file: \"{file}\"\n    catalog-role: member\n    catalog-zone: catalog.knot.\n    acl: transfer\n",
            file = zone_file.display()
        ),
    );
    let started = Instant::now();
    wait(started, &mut knot, "knot serving member.knot.", || {
        serves(address(knot_port), "member.knot.")
    });
    let mut consumer = ApiNode::start(
        dir.path(),
        "consumer",
        &consumer_body("catalog.knot.", address(knot_port), None),
    );
    let dns = consumer.dns;
    let took = wait(started, &mut consumer.process, "serve member.knot.", || {
        serves(dns, "member.knot.")
    });
    println!("Knot's generated catalog: member served by hadns {took:?} after Knot started");
    let status = hadns_ctl(&consumer.dir.join("data"), &["status"]);
    assert!(
        status.contains("member.knot.\tsecondary\t7\tcatalog=catalog.knot."),
        "{status}"
    );
}

/// A catalog zone file as any producer may write it: `version` is the
/// schema version, `members` (id, zone).
fn catalog_file(serial: u32, version: &str, members: &[(&str, &str)]) -> String {
    let mut text = format!(
        "$ORIGIN catalog.bind.\n$TTL 0\n@ SOA invalid. invalid. {serial} 1 1 2419200 0\n@ NS invalid.\nversion TXT \"{version}\"\n"
    );
    for (id, zone) in members {
        text.push_str(&format!("{id}.zones PTR {zone}\n"));
    }
    text
}

#[test]
fn broken_catalog_from_bind_removes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let named_port = free_port();
    let home = dir.path().join("named");
    std::fs::create_dir_all(&home).unwrap();
    let catalog_path = home.join("catalog.bind.db");
    let members = [("m1", "one.bind."), ("m2", "two.bind.")];
    std::fs::write(&catalog_path, catalog_file(1, "2", &members)).unwrap();
    for (_, zone) in members {
        std::fs::write(
            home.join(format!("{zone}db")),
            format!(
                "$ORIGIN {zone}\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A 127.0.0.1\n"
            ),
        )
        .unwrap();
    }
    let mut zones = format!(
        "zone \"catalog.bind.\" {{ type primary; file \"{}\"; allow-transfer {{ 127.0.0.1; }}; notify no; }};\n",
        catalog_path.display()
    );
    for (_, zone) in members {
        zones.push_str(&format!(
            "zone \"{zone}\" {{ type primary; file \"{}\"; allow-transfer {{ 127.0.0.1; }}; notify no; }};\n",
            home.join(format!("{zone}db")).display()
        ));
    }
    let named = start_named(dir.path(), named_port, &zones);
    let mut consumer = ApiNode::start(
        dir.path(),
        "consumer",
        &consumer_body("catalog.bind.", address(named_port), None),
    );
    let dns = consumer.dns;
    let started = Instant::now();
    let took = wait(started, &mut consumer.process, "serve both members", || {
        serves(dns, "one.bind.") && serves(dns, "two.bind.")
    });
    println!("BIND's hand-written catalog: both members served after {took:?}");

    // Version "1": transferred (the SOA refresh is 1 s), found broken,
    // and nothing is removed.
    let mark = consumer.process.log_mark();
    std::fs::write(&catalog_path, catalog_file(2, "1", &members[..1])).unwrap();
    named.signal("HUP");
    consumer
        .process
        .wait_for_log(mark, &["broken catalog"], 1, LIMIT);
    assert!(serves(dns, "one.bind.") && serves(dns, "two.bind."));
    assert!(!files_of(&consumer.dir.join("data"), "two.bind.").is_empty());

    // Good again, without two.bind.: now it goes.
    std::fs::write(&catalog_path, catalog_file(3, "2", &members[..1])).unwrap();
    named.signal("HUP");
    let started = Instant::now();
    let took = wait(started, &mut consumer.process, "refuse two.bind.", || {
        refuses(dns, "two.bind.")
    });
    println!("good catalog without two.bind.: REFUSED after {took:?}");
    assert!(serves(dns, "one.bind."));
    assert_eq!(
        files_of(&consumer.dir.join("data"), "two.bind."),
        Vec::<String>::new()
    );
}
