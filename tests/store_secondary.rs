//! A zone kept in hadns's store, changed through both doors of the write
//! path (an RFC 2136 update, then a REST API PATCH), reaches a real BIND
//! secondary each time by a signed NOTIFY and an IXFR — BIND's log shows
//! the incremental response — and BIND then serves what hadns serves.

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use common::{
    TsigKey, assert_same_records, axfr, free_port, hadns_binary, http_request, record_set,
    require_program, run_tool, start_hadns, start_named, wait_for_serial, wait_for_zone,
};
use wire::tsig::Algorithm;

const ZONE: &str = "store.test.";
const LIMIT: Duration = Duration::from_secs(20);

fn address(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[test]
fn a_store_change_reaches_a_bind_secondary_by_notify_and_ixfr() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let key = TsigKey {
        name: "xfr".into(),
        algorithm: Algorithm::HmacSha256,
        secret: "eGZyLWtleS1mb3Itc3RvcmUtc2Vjb25kYXJ5LXRlc3Q=".into(),
    };
    let (hadns_port, named_port, api_port) = (free_port(), free_port(), free_port());
    std::fs::write(
        root.join("store.zone"),
        "$ORIGIN store.test.\n$TTL 300\n@ SOA ns1 hostmaster 100 60 30 600 60\n@ NS ns1\nns1 A 127.0.0.1\n\
         www A 192.0.2.1\n$GENERATE 1-300 h$ A 198.51.100.1\n",
    )
    .unwrap();
    std::fs::write(
        root.join("hadns.toml"),
        format!(
            "version = 1\n[node]\ndata_dir = \"{data}\"\n[dns]\nlisten = [\"127.0.0.1:{hadns_port}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             [api]\nlisten = \"127.0.0.1:{api_port}\"\n{key_table}\
             [[zone]]\nname = \"store.test\"\nallow_update = [\"key xfr\"]\nallow_transfer = [\"key xfr\"]\n\
             notify = [\"127.0.0.1:{named_port}\"]\nnotify_key = \"xfr\"\n",
            data = root.join("data").display(),
            key_table = key.hadns_toml(),
        ),
    )
    .unwrap();
    let config = root.join("hadns.toml").display().to_string();
    let output = Command::new(hadns_binary())
        .args([
            "import",
            "store.zone",
            "--origin",
            "store.test",
            "-c",
            &config,
        ])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut hadns = start_hadns(root, "hadns", &["--config".to_string(), config]);
    wait_for_zone(address(hadns_port), ZONE, LIMIT, &mut hadns);
    let mut named = start_named(
        root,
        named_port,
        &format!(
            "{key_statement}zone \"store.test\" {{\n  type secondary;\n  file \"store.test.db\";\n\
             \x20 primaries {{ 127.0.0.1 port {hadns_port} key \"xfr\"; }};\n\
             \x20 allow-notify {{ key \"xfr\"; }};\n  allow-transfer {{ key \"xfr\"; }};\n  notify no;\n}};\n",
            key_statement = key.bind_statement(),
        ),
    );
    wait_for_serial(address(named_port), ZONE, 100, LIMIT, &mut named);

    let named_mark = named.log_mark();
    let nsupdate = require_program("nsupdate", "bind9-dnsutils");
    run_tool(
        &nsupdate,
        &["-y".into(), key.dash_y(), "-t".into(), "5".into()],
        &format!(
            "server 127.0.0.1 {hadns_port}\nzone store.test\nupdate delete www.store.test. A\n\
             update add www.store.test. 300 A 192.0.2.99\nupdate add new.store.test. 300 TXT \"via the store\"\nsend\n"
        ),
        LIMIT,
    );
    wait_for_serial(address(named_port), ZONE, 101, LIMIT, &mut named);
    named.wait_for_log(
        named_mark,
        &["transfer of 'store.test/IN'", "got incremental response"],
        1,
        LIMIT,
    );
    named.wait_for_log(
        named_mark,
        &["received notify for zone 'store.test'", "TSIG 'xfr'"],
        1,
        LIMIT,
    );

    // Through the API: the same path, the same NOTIFY and IXFR.
    let credentials = std::fs::read_to_string(root.join("data/initial-credentials")).unwrap();
    let token = credentials
        .lines()
        .find_map(|l| l.strip_prefix("api_token = "))
        .expect("an api_token line")
        .trim();
    let named_mark = named.log_mark();
    let body = r#"{"rrsets": [{"name": "api.store.test.", "type": "AAAA", "ttl": 300, "changetype": "REPLACE",
                   "records": [{"content": "2001:db8::99", "disabled": false}]}]}"#;
    let response = http_request(
        address(api_port),
        "PATCH",
        "/api/v1/servers/localhost/zones/store.test.",
        &[("X-API-Key", token), ("Content-Type", "application/json")],
        Some(body.as_bytes()),
    );
    assert_eq!(response.status, 204, "PATCH: {}", response.text());
    wait_for_serial(address(named_port), ZONE, 102, LIMIT, &mut named);
    named.wait_for_log(
        named_mark,
        &["transfer of 'store.test/IN'", "got incremental response"],
        1,
        LIMIT,
    );

    let (ours, _) = axfr(address(hadns_port), ZONE, Some(&key)).unwrap();
    let (theirs, _) = axfr(address(named_port), ZONE, Some(&key)).unwrap();
    assert_eq!(
        ours.len(),
        306,
        "SOA, NS, ns1, www, new, api and 300 generated"
    );
    assert_same_records(
        "AXFR",
        "hadns",
        &record_set(&ours),
        "named",
        &record_set(&theirs),
    );
}
