//! The catalog zone hadns produces (RFC 9432, version 2), and real BIND 9
//! and Knot DNS secondaries consuming it.
//!
//! 1. hadns alone: the catalog lists every store zone under a member id
//!    that is the SHA-1 of the zone's wire name and its store row id (a
//!    zone file's: of its name alone), so a zone deleted and created again
//!    gets a new id; its serial moves forward with each zone created or
//!    deleted through the REST API and stays put, ids too, across a
//!    restart; an IXFR from two changes back carries exactly those member
//!    changes; its SOA is answered (signed, over UDP and TCP) to the
//!    transfer key and REFUSED unsigned, and other questions about it are
//!    REFUSED; a zone named like the catalog cannot be created.
//! 2. BIND (`catalog-zones`, the catalog a secondary zone of its view) and
//!    Knot (`catalog-role: interpret` with a template for members), given
//!    no zone but the catalog: a zone created through the API is served by
//!    both with no change to their configuration, and one deleted through
//!    the API stops being served. The time from the POST (or DELETE) to
//!    each secondary answering (or refusing) is printed, with the median
//!    of a few runs.
//! 3. With `[[view]]`s each view serves its own catalog, a member's group
//!    coming from its `[[zone]] catalog_group` for that view or from
//!    `[catalog] group`, and a zone file listed only in its own view's.
//! 4. BIND with its default `min-update-interval` (5 s): a zone deleted
//!    and created again within it, with a lower serial, is served with the
//!    new zone's data (the new member id makes BIND drop its old copy).
//!
//! Log lines relied on: none; every check asks the servers.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{
    ApiNode, Process, TsigKey, axfr, free_port, query, start_hadns, start_knot_with_templates,
    start_named, tcp_exchange, udp_exchange,
};
use serde_json::json;
use wire::tsig::Algorithm;
use wire::{Message, Rcode, Rtype, Serial};

const CATALOG: &str = "catalog.hadns.";
const ZONES: &str = "/api/v1/servers/localhost/zones";
/// How long any one step may take.
const LIMIT: Duration = Duration::from_secs(30);

fn key() -> TsigKey {
    TsigKey {
        name: "catalog-key".into(),
        algorithm: Algorithm::HmacSha256,
        secret: "TuUBrWAiNYUAy0X1zoRzBj3cAx2Fv1CO1o0LS7h2ZE0=".into(),
    }
}

fn address(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The hadns configuration after `[node]`, `[dns]` and `[api]`: the key,
/// transfers of every store zone and of the catalog for the key, NOTIFYs
/// to `notify` signed with it.
fn hadns_body(key: &TsigKey, notify: &[u16]) -> String {
    let targets = notify
        .iter()
        .map(|p| format!("\"127.0.0.1:{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{key_table}\
         [zone_defaults]\nallow_transfer = [\"key {name}\"]\nnotify = [{targets}]\nnotify_key = \"{name}\"\n\
         [catalog]\nproduce = \"{CATALOG}\"\ngroup = \"hadns\"\nallow_transfer = [\"key {name}\"]\n\
         notify = [{targets}]\nnotify_key = \"{name}\"\n",
        key_table = key.hadns_toml(),
        name = key.name,
    )
}

/// Creates `zone` through the API.
fn create(node: &ApiNode, zone: &str) {
    let response = node.send(
        "POST",
        ZONES,
        &json!({"name": zone, "kind": "Native", "nameservers": [format!("ns1.{zone}")]}),
    );
    assert_eq!(response.status, 201, "create {zone}: {}", response.text());
}

/// Deletes `zone` through the API.
fn delete(node: &ApiNode, zone: &str) {
    let response = node.request(
        "DELETE",
        &format!("{ZONES}/{zone}"),
        Some(&node.token),
        &[],
        None,
    );
    assert_eq!(response.status, 204, "delete {zone}: {}", response.text());
}

/// The catalog's records by AXFR with the key: (serial, member zones by id).
fn catalog(server: SocketAddr, key: &TsigKey) -> (u32, Vec<(String, String)>) {
    let (records, _) = axfr(server, CATALOG, Some(key)).expect("AXFR of the catalog");
    let soa = records.iter().find(|r| r.rtype == Rtype::SOA).expect("SOA");
    let serial = wire::rdata::soa_numbers(&soa.rdata).unwrap()[0];
    let suffix = format!(".zones.{CATALOG}");
    let mut members: Vec<(String, String)> = records
        .iter()
        .filter(|r| r.rtype == Rtype::PTR)
        .map(|r| {
            let owner = r.owner.to_string();
            let id = owner
                .strip_suffix(&suffix)
                .expect("PTR under zones.")
                .to_string();
            let target = wire::Name::from_wire(&r.rdata).unwrap().to_string();
            (id, target)
        })
        .collect();
    members.sort();
    let versions: Vec<_> = records
        .iter()
        .filter(|r| r.owner.to_string() == format!("version.{CATALOG}"))
        .collect();
    assert_eq!(versions.len(), 1, "exactly one version record");
    assert_eq!(versions[0].rdata, b"\x012");
    // Every member carries the configured group (RFC 9432 §4.4.2): the
    // catalog's, or its own `[[zone]] catalog_group` (file.test.).
    for (id, zone) in &members {
        let expected: &[u8] = if zone == "file.test." {
            b"\x05files"
        } else {
            b"\x05hadns"
        };
        let owner = format!("group.{id}{suffix}");
        let groups: Vec<_> = records
            .iter()
            .filter(|r| r.rtype == Rtype::TXT && r.owner.to_string() == owner)
            .collect();
        assert_eq!(groups.len(), 1, "group of {zone}");
        assert_eq!(groups[0].rdata, expected, "group of {zone}");
    }
    (serial, members)
}

/// The SHA-1 of `zone`'s wire form in hex: the member id hadns gives it.
fn member_id(zone: &str) -> String {
    let name = wire::Name::from_text(zone, None).unwrap();
    let label_text: String = name.as_wire().iter().map(|b| format!("{b:02x}")).collect();
    // Independent of hadns's own code: ask the system's sha1sum.
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf '{}' | sha1sum",
            escape_for_printf(name.as_wire())
        ))
        .output()
        .expect("run sha1sum");
    let text = String::from_utf8(output.stdout).unwrap();
    let id = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(id.len(), 40, "sha1sum of {label_text}: {text}");
    id
}

/// The member id hadns gives a store zone with row id `row`: the SHA-1
/// of its wire name followed by the row id (8 octets, big-endian). A
/// fresh store numbers its zones from 1 in order of creation, never
/// reusing a number.
fn store_member_id(zone: &str, row: i64) -> String {
    let name = wire::Name::from_text(zone, None).unwrap();
    let mut input = name.as_wire().to_vec();
    input.extend_from_slice(&row.to_be_bytes());
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf '{}' | sha1sum", escape_for_printf(&input)))
        .output()
        .expect("run sha1sum");
    let text = String::from_utf8(output.stdout).unwrap();
    let id = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(id.len(), 40, "sha1sum: {text}");
    id
}

/// The catalog's IXFR from `serial` with `key`, asked with dig over TCP:
/// the answer's records as (owner, type, rdata text).
fn ixfr(server: SocketAddr, serial: u32, key: &TsigKey) -> Vec<(String, String, String)> {
    let dig = common::require_program("dig", "bind9-dnsutils");
    let args: Vec<String> = [
        format!("@{}", server.ip()),
        "-p".into(),
        server.port().to_string(),
        "-y".into(),
        key.dash_y(),
        "+tcp".into(),
        "+noall".into(),
        "+answer".into(),
        CATALOG.into(),
        format!("IXFR={serial}"),
    ]
    .into();
    let text = common::run_tool(&dig, &args, "", LIMIT);
    text.lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            assert!(fields.len() >= 5, "dig line: {l}");
            (
                fields[0].to_lowercase(),
                fields[3].to_string(),
                fields[4..].join(" "),
            )
        })
        .collect()
}

/// Every octet as `\ooo`, for printf.
fn escape_for_printf(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:03o}")).collect()
}

/// The RCODE and, for NOERROR, the SOA serial of an SOA query for
/// `zone`, signed with `key` when given; over TCP or UDP.
fn soa(server: SocketAddr, zone: &str, key: Option<&TsigKey>, tcp: bool) -> (Rcode, Option<u32>) {
    try_soa(server, zone, key, tcp).expect("an answer")
}

/// [`soa`], or `None` when nothing answers.
fn try_soa(
    server: SocketAddr,
    zone: &str,
    key: Option<&TsigKey>,
    tcp: bool,
) -> Option<(Rcode, Option<u32>)> {
    let mut request = query(0x50a0, zone, Rtype::SOA, 0, None);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut verifier =
        key.map(|k| wire::tsig::sign_request(&mut request, k.wire_key(), now, 300).unwrap());
    let reply = if tcp {
        tcp_exchange(server, &request, Duration::from_secs(5))
    } else {
        udp_exchange(server, &request, Duration::from_secs(5))
    }?;
    if let Some(verifier) = verifier.as_mut() {
        verifier.verify(&reply, now).expect("the answer is signed");
    }
    let message = Message::parse(&reply).unwrap();
    let serial = message
        .answer
        .iter()
        .find(|r| r.rtype == Rtype::SOA)
        .map(|r| wire::rdata::soa_numbers(&r.rdata).unwrap()[0]);
    Some((message.rcode(), serial))
}

/// Whether `server` answers `zone`'s SOA authoritatively.
fn serves(server: SocketAddr, zone: &str) -> bool {
    let Some(reply) = udp_exchange(
        server,
        &query(0x5e71, zone, Rtype::SOA, 0, None),
        Duration::from_millis(300),
    ) else {
        return false;
    };
    Message::parse(&reply).is_ok_and(|m| {
        m.rcode() == Rcode::NOERROR
            && m.header.flag(wire::header::flags::AA)
            && m.answer.iter().any(|r| r.rtype == Rtype::SOA)
    })
}

#[test]
fn catalog_lists_store_zones_and_its_serial_moves_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let key = key();
    // A zone file, listed too with `include_files`.
    let file = dir.path().join("file.test.zone");
    std::fs::write(
        &file,
        "$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A 127.0.0.1\n",
    )
    .unwrap();
    let body = format!(
        "{}include_files = true\n[[zone]]\nname = \"file.test\"\nfile = \"{}\"\ncatalog_group = \"files\"\n",
        hadns_body(&key, &[]),
        file.display()
    );
    let mut node = ApiNode::start(dir.path(), "primary", &body);
    let file_member = (member_id("file.test."), "file.test.".to_string());
    let (first, members) = catalog(node.dns, &key);
    assert_eq!(members, vec![file_member.clone()], "no store zones yet");

    // The SOA is for transfer clients: signed over UDP and TCP, refused
    // unsigned; everything else about the catalog is refused.
    for tcp in [false, true] {
        assert_eq!(
            soa(node.dns, CATALOG, Some(&key), tcp),
            (Rcode::NOERROR, Some(first))
        );
        assert_eq!(soa(node.dns, CATALOG, None, tcp).0, Rcode::REFUSED);
    }
    let txt = udp_exchange(
        node.dns,
        &query(1, &format!("version.{CATALOG}"), Rtype::TXT, 0, None),
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(Message::parse(&txt).unwrap().rcode(), Rcode::REFUSED);

    // Serials move forward (RFC 1982) with each change: one more, or the
    // Unix time when that is ahead.
    let newer = |a: u32, b: u32| Serial(a).is_newer_than(Serial(b));
    create(&node, "one.test.");
    let (after_one, _) = catalog(node.dns, &key);
    assert!(newer(after_one, first), "{after_one} after {first}");
    create(&node, "two.test.");
    let (after_two, members) = catalog(node.dns, &key);
    assert!(newer(after_two, after_one), "{after_two} after {after_one}");
    let mut expected = vec![
        (store_member_id("one.test.", 1), "one.test.".to_string()),
        (store_member_id("two.test.", 2), "two.test.".to_string()),
        file_member.clone(),
    ];
    expected.sort();
    assert_eq!(members, expected);

    delete(&node, "one.test.");
    let (after_delete, members) = catalog(node.dns, &key);
    assert!(newer(after_delete, after_two));
    let mut expected = vec![
        (store_member_id("two.test.", 2), "two.test.".to_string()),
        file_member.clone(),
    ];
    expected.sort();
    assert_eq!(members, expected);

    // Deleted and created again: a new member id (RFC 9432 §5.4, §5.6),
    // so a consumer that missed the deletion still drops the old copy.
    delete(&node, "two.test.");
    let (after_gone, _) = catalog(node.dns, &key);
    create(&node, "two.test.");
    let (last, members) = catalog(node.dns, &key);
    assert!(newer(after_gone, after_delete) && newer(last, after_gone));
    let mut expected = vec![
        (store_member_id("two.test.", 3), "two.test.".to_string()),
        file_member,
    ];
    expected.sort();
    assert_eq!(members, expected);
    assert_ne!(
        store_member_id("two.test.", 3),
        store_member_id("two.test.", 2)
    );
    let ids_before_restart = members.clone();

    // An IXFR from two changes back holds exactly those two changes: the
    // old two.test. member (PTR and group) out, the new one in. An AXFR
    // fallback would hold file.test.'s PTR and a single SOA pair.
    let records = ixfr(node.dns, after_delete, &key);
    let soas: Vec<u32> = records
        .iter()
        .filter(|r| r.1 == "SOA")
        .map(|r| r.2.split_whitespace().nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        soas,
        [last, after_delete, after_gone, after_gone, last, last],
        "IXFR sequence: {records:?}"
    );
    let zones_suffix = format!(".zones.{CATALOG}");
    let mut ptrs: Vec<(String, String)> = records
        .iter()
        .filter(|r| r.1 == "PTR")
        .map(|r| {
            (
                r.0.strip_suffix(&zones_suffix).unwrap().to_string(),
                r.2.clone(),
            )
        })
        .collect();
    ptrs.sort();
    let mut expected_ptrs = vec![
        (store_member_id("two.test.", 2), "two.test.".to_string()),
        (store_member_id("two.test.", 3), "two.test.".to_string()),
    ];
    expected_ptrs.sort();
    assert_eq!(ptrs, expected_ptrs, "{records:?}");
    let others = records
        .iter()
        .filter(|r| !matches!(r.1.as_str(), "SOA" | "PTR"))
        .count();
    assert_eq!(others, 2, "the two members' group TXTs: {records:?}");

    // A zone named like the catalog is refused, and nothing is stored.
    let response = node.send(
        "POST",
        ZONES,
        &json!({"name": CATALOG, "kind": "Native", "nameservers": ["ns1.example."]}),
    );
    assert_eq!(response.status, 422, "{}", response.text());
    let zones = node.get_json(ZONES);
    let names: Vec<&str> = zones
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|z| z["name"].as_str())
        .collect();
    assert_eq!(names, ["file.test.", "two.test."], "{zones}");
    assert_eq!(catalog(node.dns, &key).0, last);

    // A restart serves the same catalog at the same serial.
    node.process.signal("TERM");
    assert!(
        node.process.wait_exit(LIMIT).is_some(),
        "hadns did not stop"
    );
    let config = node.dir.join("hadns.toml").display().to_string();
    let _restarted: Process = start_hadns(&node.dir, "primary-again", &["--config".into(), config]);
    let deadline = Instant::now() + LIMIT;
    while try_soa(node.dns, CATALOG, Some(&key), false).map(|(rcode, _)| rcode)
        != Some(Rcode::NOERROR)
    {
        assert!(
            Instant::now() < deadline,
            "the catalog is not served after a restart"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (serial, members) = catalog(node.dns, &key);
    assert_eq!(serial, last, "unchanged catalog, unchanged serial");
    assert_eq!(members, ids_before_restart, "a restart keeps the ids");
}

/// Polls `servers` until each satisfies `done`; returns how long each took.
fn time_until(
    started: Instant,
    servers: &[(&str, SocketAddr, &mut Process)],
    done: impl Fn(SocketAddr) -> bool,
    what: &str,
) -> Vec<Duration> {
    let mut took: Vec<Option<Duration>> = vec![None; servers.len()];
    while took.iter().any(Option::is_none) {
        for (i, (name, server, process)) in servers.iter().enumerate() {
            if took[i].is_none() && done(*server) {
                took[i] = Some(started.elapsed());
            }
            if took[i].is_none() && started.elapsed() > LIMIT {
                panic!(
                    "{name} did not {what} within {LIMIT:?}; its log ends:\n{}",
                    process.log_tail(80)
                );
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    took.into_iter().map(Option::unwrap_or_default).collect()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[test]
fn bind_knot_and_hadns_serve_and_drop_zones_created_and_deleted_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let key = key();
    let named_port = free_port();
    let knot_port = free_port();
    let consumer_dns = address(free_port());
    let node = ApiNode::start(
        dir.path(),
        "primary",
        &hadns_body(&key, &[named_port, knot_port, consumer_dns.port()]),
    );
    let hadns_port = node.dns.port();
    // A hadns secondary that knows nothing but the catalog.
    let mut consumer = ApiNode::start_on(
        dir.path(),
        "consumer",
        consumer_dns,
        &format!(
            "{}[[catalog_consumer]]\nzone = \"{CATALOG}\"\nprimaries = [\"{}\"]\nkey = \"{}\"\n",
            key.hadns_toml(),
            node.dns,
            key.name
        ),
    );
    let mut named = start_named(
        dir.path(),
        named_port,
        &format!(
            "{key_statement}\
             view \"all\" {{\n  match-clients {{ any; }};\n  recursion no;\n\
             \x20 allow-notify {{ key \"{name}\"; }};\n\
             \x20 catalog-zones {{\n    zone \"{CATALOG}\" default-primaries {{ 127.0.0.1 port {hadns_port} key \"{name}\"; }} min-update-interval 0 in-memory yes;\n  }};\n\
             \x20 zone \"{CATALOG}\" {{\n    type secondary;\n    file \"catalog.db\";\n\
             \x20   primaries {{ 127.0.0.1 port {hadns_port} key \"{name}\"; }};\n    notify no;\n  }};\n}};\n",
            key_statement = key.bind_statement(),
            name = key.name,
        ),
    );
    let run = dir.path().join("knot");
    let mut knot = start_knot_with_templates(
        dir.path(),
        knot_port,
        &format!(
            "key:\n{key_entry}\
             remote:\n  - id: hadns\n    address: 127.0.0.1@{hadns_port}\n    key: {name}\n\
             acl:\n  - id: notify-from-hadns\n    address: 127.0.0.1\n    key: {name}\n    action: notify\n",
            key_entry = key.knot_entry(),
            name = key.name,
        ),
        &format!(
            "  - id: member\n    storage: \"{run}\"\n    master: hadns\n    acl: notify-from-hadns\n",
            run = run.display()
        ),
        &format!(
            "zone:\n  - domain: {CATALOG}\n    master: hadns\n    acl: notify-from-hadns\n\
             \x20   catalog-role: interpret\n    catalog-template: member\n",
        ),
    );
    // Both hold the (empty) catalog before the first zone is made. BIND
    // answers the catalog's SOA; Knot refuses queries for a catalog it
    // interprets, so its log tells.
    let (serial, _) = catalog(node.dns, &key);
    let deadline = Instant::now() + LIMIT;
    while common::soa_serial(address(named_port), CATALOG) != Some(serial) {
        assert!(
            Instant::now() < deadline && !named.has_exited(),
            "named did not load the catalog; its log ends:\n{}",
            named.log_tail(80)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let loaded = format!("-> {serial}");
    while !knot
        .log_text()
        .lines()
        .any(|l| l.contains(&format!("[{CATALOG}] refresh")) && l.contains(&loaded))
    {
        assert!(
            Instant::now() < deadline && !knot.has_exited(),
            "knotd did not load the catalog; its log ends:\n{}",
            knot.log_tail(80)
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let deadline = Instant::now() + LIMIT;
    while !serves(consumer_dns, CATALOG) {
        assert!(
            Instant::now() < deadline,
            "the hadns consumer did not load the catalog:\n{}",
            consumer.process.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Ten zones, one at a time: the time from the POST's reply to each
    // consumer answering for the zone (the closing note's median of ten).
    let zones: Vec<String> = (0..10).map(|i| format!("zone{i}.test.")).collect();
    let mut to = [Vec::new(), Vec::new(), Vec::new()];
    for zone in &zones {
        let started = Instant::now();
        create(&node, zone);
        let took = time_until(
            started,
            &[
                ("named", address(named_port), &mut named),
                ("knotd", address(knot_port), &mut knot),
                ("hadns consumer", consumer_dns, &mut consumer.process),
            ],
            |server| serves(server, zone),
            &format!("serve {zone}"),
        );
        println!(
            "created {zone}: served by BIND after {:?}, by Knot after {:?}, by hadns after {:?}",
            took[0], took[1], took[2]
        );
        for (list, took) in to.iter_mut().zip(took) {
            list.push(took);
        }
    }
    let [bind, knot_times, hadns] = to;
    println!(
        "POST to the new zone answering (median of {}): BIND {:?}, Knot {:?}, hadns {:?}",
        zones.len(),
        median(bind),
        median(knot_times),
        median(hadns)
    );

    let mut gone = [Vec::new(), Vec::new(), Vec::new()];
    for zone in &zones {
        let started = Instant::now();
        delete(&node, zone);
        let took = time_until(
            started,
            &[
                ("named", address(named_port), &mut named),
                ("knotd", address(knot_port), &mut knot),
                ("hadns consumer", consumer_dns, &mut consumer.process),
            ],
            |server| !serves(server, zone),
            &format!("stop serving {zone}"),
        );
        println!(
            "deleted {zone}: dropped by BIND after {:?}, by Knot after {:?}, by hadns after {:?}",
            took[0], took[1], took[2]
        );
        for (list, took) in gone.iter_mut().zip(took) {
            list.push(took);
        }
    }
    let [bind, knot_times, hadns] = gone;
    println!(
        "DELETE to the zone no longer answering (median of {}): BIND {:?}, Knot {:?}, hadns {:?}",
        zones.len(),
        median(bind),
        median(knot_times),
        median(hadns)
    );
    // The catalog reached them as increments once they held it.
    assert!(
        node.process.log_text().lines().any(|l| l
            .contains(&format!("transfer out done zone={CATALOG} "))
            && l.contains("qtype=IXFR kind=\"IXFR\"")),
        "no IXFR of the catalog in hadns's log:\n{}",
        node.process.log_tail(60)
    );
}

#[test]
fn each_view_serves_its_own_catalog_with_its_own_groups() {
    let dir = tempfile::tempdir().unwrap();
    let view_key = |name: &str| TsigKey {
        name: format!("{name}-xfr"),
        ..key()
    };
    let (a, b) = (view_key("a"), view_key("b"));
    let file = dir.path().join("a-file.test.zone");
    std::fs::write(
        &file,
        "$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A 127.0.0.1\n",
    )
    .unwrap();
    let body = format!(
        "{a_table}{b_table}\
         [[view]]\nname = \"a\"\nmatch_keys = [\"a-xfr\"]\nmatch_clients = [\"127.0.0.2\"]\n\
         [[view]]\nname = \"b\"\nmatch_keys = [\"b-xfr\"]\nmatch_clients = [\"any\"]\n\
         [[zone]]\nname = \"shared.test\"\nview = \"b\"\ncatalog_group = \"b-only\"\n\
         [[zone]]\nname = \"a-file.test\"\nview = \"a\"\nfile = \"{file}\"\n\
         [catalog]\nproduce = \"{CATALOG}\"\ngroup = \"hadns\"\nallow_transfer = [\"key a-xfr\", \"key b-xfr\"]\n\
         include_files = true\n",
        a_table = a.hadns_toml(),
        b_table = b.hadns_toml(),
        file = file.display(),
    );
    let node = ApiNode::start(dir.path(), "primary", &body);
    create(&node, "shared.test.");
    let group_in = |key: &TsigKey| {
        let (records, _) = axfr(node.dns, CATALOG, Some(key)).expect("AXFR of the catalog");
        let owner = format!(
            "group.{}.zones.{CATALOG}",
            store_member_id("shared.test.", 1)
        );
        let groups: Vec<Vec<u8>> = records
            .iter()
            .filter(|r| r.rtype == Rtype::TXT && r.owner.to_string() == owner)
            .map(|r| r.rdata.clone())
            .collect();
        groups
    };
    assert_eq!(
        group_in(&a),
        vec![b"\x05hadns".to_vec()],
        "view a: the catalog's group"
    );
    assert_eq!(
        group_in(&b),
        vec![b"\x06b-only".to_vec()],
        "view b: the zone's own"
    );
    // A zone file is in its own view's catalog only.
    let ptrs_in = |key: &TsigKey| {
        let (records, _) = axfr(node.dns, CATALOG, Some(key)).expect("AXFR of the catalog");
        let mut targets: Vec<String> = records
            .iter()
            .filter(|r| r.rtype == Rtype::PTR)
            .map(|r| wire::Name::from_wire(&r.rdata).unwrap().to_string())
            .collect();
        targets.sort();
        targets
    };
    assert_eq!(ptrs_in(&a), ["a-file.test.", "shared.test."]);
    assert_eq!(
        ptrs_in(&b),
        ["shared.test."],
        "view a's file zone is not b's"
    );
    // Each view's copy answers its signed SOA query.
    for key in [&a, &b] {
        assert_eq!(soa(node.dns, CATALOG, Some(key), false).0, Rcode::NOERROR);
    }
}

/// Sets `www.<zone>` A to `address` through the API (one serial step).
fn set_www(node: &ApiNode, zone: &str, address: &str) {
    let response = node.send(
        "PATCH",
        &format!("{ZONES}/{zone}"),
        &json!({"rrsets": [{
            "name": format!("www.{zone}"), "type": "A", "ttl": 300, "changetype": "REPLACE",
            "records": [{"content": address, "disabled": false}],
        }]}),
    );
    assert_eq!(response.status, 204, "PATCH {zone}: {}", response.text());
}

/// The A record `server` answers for `www.<zone>`, if any.
fn www(server: SocketAddr, zone: &str) -> Option<String> {
    let reply = udp_exchange(
        server,
        &query(0x77a0, &format!("www.{zone}"), Rtype::A, 0, None),
        Duration::from_millis(300),
    )?;
    let message = Message::parse(&reply).ok()?;
    message
        .answer
        .iter()
        .find(|r| r.rtype == Rtype::A && r.rdata.len() == 4)
        .map(|r| {
            std::net::Ipv4Addr::new(r.rdata[0], r.rdata[1], r.rdata[2], r.rdata[3]).to_string()
        })
}

#[test]
fn bind_with_its_default_update_interval_serves_a_zone_created_again() {
    let dir = tempfile::tempdir().unwrap();
    let key = key();
    let named_port = free_port();
    let node = ApiNode::start(dir.path(), "primary", &hadns_body(&key, &[named_port]));
    let hadns_port = node.dns.port();
    // No `min-update-interval`: BIND's default, 5 s between catalog
    // updates, so a deletion and a re-creation within it arrive together.
    let mut named = start_named(
        dir.path(),
        named_port,
        &format!(
            "{key_statement}\
             view \"all\" {{\n  match-clients {{ any; }};\n  recursion no;\n\
             \x20 allow-notify {{ key \"{name}\"; }};\n\
             \x20 catalog-zones {{\n    zone \"{CATALOG}\" default-primaries {{ 127.0.0.1 port {hadns_port} key \"{name}\"; }} in-memory yes;\n  }};\n\
             \x20 zone \"{CATALOG}\" {{\n    type secondary;\n    file \"catalog.db\";\n\
             \x20   primaries {{ 127.0.0.1 port {hadns_port} key \"{name}\"; }};\n    notify no;\n  }};\n}};\n",
            key_statement = key.bind_statement(),
            name = key.name,
        ),
    );
    let zone = "again.test.";
    create(&node, zone);
    // Several changes: the old zone's serial ends above the new one's.
    for address in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        set_www(&node, zone, address);
    }
    let old_serial = soa(node.dns, zone, None, false).1.unwrap();
    time_until(
        Instant::now(),
        &[("named", address(named_port), &mut named)],
        |server| www(server, zone).as_deref() == Some("192.0.2.3"),
        "serve the first again.test.",
    );
    // Deleted and created again at once, with a lower serial.
    delete(&node, zone);
    create(&node, zone);
    set_www(&node, zone, "192.0.2.99");
    let new_serial = soa(node.dns, zone, None, false).1.unwrap();
    assert!(
        Serial(old_serial).is_newer_than(Serial(new_serial)),
        "the test needs the new zone's serial ({new_serial}) below the old one's ({old_serial})"
    );
    let took = time_until(
        Instant::now(),
        &[("named", address(named_port), &mut named)],
        |server| www(server, zone).as_deref() == Some("192.0.2.99"),
        "serve the new again.test.'s data",
    );
    println!("re-created zone served by BIND after {:?}", took[0]);
}
