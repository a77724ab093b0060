//! Real API clients against a running `hadns serve`: octoDNS (with its
//! PowerDNS provider) syncs a YAML zone into hadns and later syncs exactly
//! one change, and schemathesis checks the API against its own OpenAPI
//! document (no 5xx, responses that match the schema, bad input refused).
//!
//! The clients come from PyPI, pinned in `tests/python-tools.txt`;
//! `scripts/test` installs them into a virtualenv (`target/python-tools`,
//! or wherever `HADNS_PYTHON_TOOLS` points).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{ApiNode, python_tool, require_program};
use serde_json::Value;

/// Runs `program args` in `dir` with a time limit; returns its combined
/// output, failing the test if it does not exit 0.
fn run(program: &Path, args: &[&str], dir: &Path, limit: Duration) -> String {
    let log = dir.join(format!(
        "{}.out",
        program.file_name().unwrap().to_string_lossy()
    ));
    let mut command = Command::new(program);
    command.args(args).current_dir(dir);
    let mut process = common::Process::start(&program.display().to_string(), command, &log);
    let status = process.wait_exit(limit);
    let output = process.log_text();
    assert_eq!(
        status,
        Some(0),
        "{} {args:?} failed (exit {status:?}):\n{output}",
        program.display()
    );
    output
}

/// One RRset of the octoDNS zone: relative name (`""` for the apex), type,
/// TTL, the values as octoDNS YAML, and the RDATA as dig prints it.
struct Set {
    name: String,
    rtype: &'static str,
    ttl: u32,
    yaml: String,
    dig: Vec<String>,
}

fn set(name: &str, rtype: &'static str, ttl: u32, yaml: &str, dig: &[&str]) -> Set {
    Set {
        name: name.to_string(),
        rtype,
        ttl,
        yaml: yaml.to_string(),
        dig: dig.iter().map(|s| s.to_string()).collect(),
    }
}

/// The zone octoDNS manages: 52 records over the types operators use.
/// `h07` is the host the second sync moves to `h07_address`.
fn octo_zone(h07_address: &str) -> Vec<Set> {
    let mut sets = vec![
        set(
            "",
            "A",
            300,
            "values: [192.0.2.1, 192.0.2.2]",
            &["192.0.2.1", "192.0.2.2"],
        ),
        set("", "AAAA", 300, "value: 2001:db8::1", &["2001:db8::1"]),
        set(
            "",
            "MX",
            3600,
            "values:\n    - exchange: mx1.octo.test.\n      preference: 10\n    - exchange: mx2.octo.test.\n      preference: 20",
            &["10 mx1.octo.test.", "20 mx2.octo.test."],
        ),
        set(
            "",
            "TXT",
            300,
            "values:\n    - v=spf1 mx -all\n    - google-site-verification=abc123",
            &["\"google-site-verification=abc123\"", "\"v=spf1 mx -all\""],
        ),
        set(
            "",
            "CAA",
            3600,
            "values:\n    - flags: 0\n      tag: issue\n      value: letsencrypt.org\n    - flags: 0\n      tag: iodef\n      value: mailto:security@octo.test",
            &[
                "0 iodef \"mailto:security@octo.test\"",
                "0 issue \"letsencrypt.org\"",
            ],
        ),
        set("www", "A", 300, "value: 192.0.2.10", &["192.0.2.10"]),
        set("www", "AAAA", 300, "value: 2001:db8::10", &["2001:db8::10"]),
        set(
            "api",
            "CNAME",
            300,
            "value: www.octo.test.",
            &["www.octo.test."],
        ),
        set("mx1", "A", 300, "value: 192.0.2.25", &["192.0.2.25"]),
        set("mx2", "A", 300, "value: 192.0.2.26", &["192.0.2.26"]),
        set(
            "_sip._tcp",
            "SRV",
            600,
            "values:\n    - port: 5060\n      priority: 10\n      target: sip1.octo.test.\n      weight: 60\n    - port: 5060\n      priority: 20\n      target: sip2.octo.test.\n      weight: 0",
            &["10 60 5060 sip1.octo.test.", "20 0 5060 sip2.octo.test."],
        ),
        set("sip1", "A", 300, "value: 192.0.2.51", &["192.0.2.51"]),
        set("sip2", "A", 300, "value: 192.0.2.52", &["192.0.2.52"]),
        set(
            "dkim._domainkey",
            "TXT",
            300,
            "value: v=DKIM1\\; k=rsa\\; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC",
            &["\"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC\""],
        ),
        set(
            "sub",
            "NS",
            3600,
            "values: [ns1.dns.example., ns2.dns.example.]",
            &["ns1.dns.example.", "ns2.dns.example."],
        ),
        set(
            "ptr",
            "PTR",
            300,
            "value: host.octo.test.",
            &["host.octo.test."],
        ),
    ];
    for n in 1..=30 {
        let address = if n == 7 {
            h07_address.to_string()
        } else {
            format!("198.51.100.{n}")
        };
        sets.push(Set {
            name: format!("h{n:02}"),
            rtype: "A",
            ttl: 60,
            yaml: format!("value: {address}"),
            dig: vec![address],
        });
    }
    sets
}

/// The zone as an octoDNS YAML file (octoDNS insists on sorted keys).
fn octo_yaml(sets: &[Set]) -> String {
    let mut by_name: BTreeMap<&str, Vec<&Set>> = BTreeMap::new();
    for s in sets {
        by_name.entry(s.name.as_str()).or_default().push(s);
    }
    let mut yaml = String::from("---\n");
    for (name, sets) in by_name {
        yaml.push_str(&format!("'{name}':\n"));
        for s in sets {
            let values = s.yaml.replace('\n', "\n  ");
            yaml.push_str(&format!(
                "  - ttl: {}\n    type: {}\n    {values}\n",
                s.ttl, s.rtype
            ));
        }
    }
    yaml
}

/// What `node` serves for every set, by one dig run: (owner, type) → (TTL,
/// sorted RDATA).
fn served(node: &ApiNode, sets: &[Set]) -> BTreeMap<(String, String), (u32, Vec<String>)> {
    let dig = require_program("dig", "bind9-dnsutils");
    let mut args = vec![
        format!("@{}", node.dns.ip()),
        "-p".to_string(),
        node.dns.port().to_string(),
        "+noall".into(),
        "+answer".into(),
        "+norecurse".into(),
        "+time=2".into(),
        "+tries=2".into(),
    ];
    for s in sets {
        args.push(owner(&s.name));
        args.push(s.rtype.to_string());
    }
    let output = common::run_tool(&dig, &args, "", Duration::from_secs(60));
    let mut answers: BTreeMap<(String, String), (u32, Vec<String>)> = BTreeMap::new();
    for line in output.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(fields.len() >= 5, "an answer line from dig: {line}");
        let rdata = fields[4..].join(" ");
        let entry = answers
            .entry((fields[0].to_string(), fields[3].to_string()))
            .or_insert((fields[1].parse().unwrap(), Vec::new()));
        entry.1.push(rdata);
    }
    for (_, rdata) in answers.values_mut() {
        rdata.sort();
    }
    answers
}

/// The absolute owner of a set.
fn owner(name: &str) -> String {
    if name.is_empty() {
        "octo.test.".to_string()
    } else {
        format!("{name}.octo.test.")
    }
}

/// Checks that `node` serves exactly `sets` (NS in `sub` is a delegation:
/// dig sees it in the authority section, so it is asked for through the API).
fn assert_served(node: &ApiNode, sets: &[Set]) {
    let asked: Vec<&Set> = sets.iter().filter(|s| s.name != "sub").collect();
    let answers = served(
        node,
        &asked
            .iter()
            .map(|s| set(&s.name, s.rtype, s.ttl, "", &[]))
            .collect::<Vec<_>>(),
    );
    for s in &asked {
        let key = (owner(&s.name), s.rtype.to_string());
        let mut expected = s.dig.clone();
        expected.sort();
        assert_eq!(
            answers.get(&key),
            Some(&(s.ttl, expected)),
            "{} {} as served",
            key.0,
            key.1
        );
    }
    let zone = node.get_json("/api/v1/servers/localhost/zones/octo.test.");
    let delegation = zone["rrsets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "sub.octo.test." && r["type"] == "NS")
        .expect("the sub.octo.test. delegation is stored");
    let mut ns: Vec<&str> = delegation["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["content"].as_str().unwrap())
        .collect();
    ns.sort();
    assert_eq!(ns, ["ns1.dns.example.", "ns2.dns.example."]);
}

/// The zone's journal, newest first.
fn history(node: &ApiNode) -> Vec<Value> {
    node.get_json("/api/v1/servers/localhost/zones/octo.test./history")
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn octodns_syncs_a_zone_and_then_exactly_one_change() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // octoDNS creates a zone with `nameservers: []` and leaves the apex NS
    // set alone unless the YAML has one: the node's defaults fill it in.
    let node = ApiNode::start(
        root,
        "hadns",
        "[zone_defaults]\nnameservers = [\"ns1.hadns.example.\", \"ns2.hadns.example.\"]\n",
    );
    let sync = python_tool("octodns-sync");
    let octo = root.join("octo");
    std::fs::create_dir_all(octo.join("zones")).unwrap();
    std::fs::write(
        octo.join("config.yaml"),
        format!(
            "providers:\n  config:\n    class: octodns.provider.yaml.YamlProvider\n    directory: ./zones\n\
             \x20 hadns:\n    class: octodns_powerdns.PowerDnsProvider\n    host: {}\n    port: {}\n    api_key: {}\n\
             zones:\n  octo.test.:\n    sources: [config]\n    targets: [hadns]\n",
            node.api.ip(),
            node.api.port(),
            node.token
        ),
    )
    .unwrap();
    let write_zone = |sets: &[Set]| {
        std::fs::write(octo.join("zones/octo.test.yaml"), octo_yaml(sets)).unwrap();
    };
    let limit = Duration::from_secs(120);

    // First sync: the zone does not exist yet; octoDNS creates it.
    let first = octo_zone("198.51.100.7");
    assert_eq!(
        first.iter().map(|s| s.dig.len()).sum::<usize>(),
        52,
        "a zone of about 50 records"
    );
    write_zone(&first);
    run(
        &sync,
        &["--config-file", "config.yaml", "--doit"],
        &octo,
        limit,
    );
    assert_served(&node, &first);
    // The apex got the configured nameservers, the first one as SOA MNAME.
    let zone = node.get_json("/api/v1/servers/localhost/zones/octo.test.");
    let apex = |rtype: &str| -> Vec<String> {
        let set = zone["rrsets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "octo.test." && r["type"] == rtype)
            .unwrap_or_else(|| panic!("an apex {rtype} set"));
        let mut contents: Vec<String> = set["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["content"].as_str().unwrap().to_string())
            .collect();
        contents.sort();
        contents
    };
    assert_eq!(apex("NS"), ["ns1.hadns.example.", "ns2.hadns.example."]);
    assert!(
        apex("SOA")[0].starts_with("ns1.hadns.example. hostmaster.octo.test. "),
        "{:?}",
        apex("SOA")
    );
    let after_first = history(&node);

    // The same YAML again: octoDNS reads hadns's zone back, finds nothing to
    // do, and writes nothing (our JSON round-trips through its model).
    let output = run(
        &sync,
        &["--config-file", "config.yaml", "--doit"],
        &octo,
        limit,
    );
    assert!(
        output.contains("No changes were planned"),
        "an unchanged zone plans nothing:\n{output}"
    );
    assert_eq!(history(&node), after_first, "no write for a no-op sync");

    // One change: h07 moves. Exactly that change is written, as one journal
    // entry, and dig sees it.
    let second = octo_zone("203.0.113.7");
    write_zone(&second);
    run(
        &sync,
        &["--config-file", "config.yaml", "--doit"],
        &octo,
        limit,
    );
    assert_served(&node, &second);
    let after_second = history(&node);
    assert_eq!(
        after_second.len(),
        after_first.len() + 1,
        "one journal entry for one change: {after_second:#?}"
    );
    let serial = after_second[0]["serial_to"].as_u64().unwrap();
    let diff = node.get_json(&format!(
        "/api/v1/servers/localhost/zones/octo.test./history/{serial}"
    ));
    let records = |side: &str| -> Vec<(String, String, String)> {
        diff[side]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] != "SOA")
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_string(),
                    r["type"].as_str().unwrap().to_string(),
                    r["content"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        records("removed"),
        [("h07.octo.test.".into(), "A".into(), "198.51.100.7".into())]
    );
    assert_eq!(
        records("added"),
        [("h07.octo.test.".into(), "A".into(), "203.0.113.7".into())]
    );
}

#[test]
fn schemathesis_finds_the_api_true_to_its_openapi_document() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let node = ApiNode::start(root, "hadns", "");
    // A zone to work on besides the ones schemathesis invents.
    let created = node.send(
        "POST",
        "/api/v1/servers/localhost/zones",
        &serde_json::json!({"name": "fuzz.test.", "kind": "Native", "nameservers": ["ns1.fuzz.test."]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let st = python_tool("schemathesis");
    let work = root.join("schemathesis");
    std::fs::create_dir_all(&work).unwrap();
    let url = format!("http://{}/api/openapi.json", node.api);
    let header = format!("X-API-Key: {}", node.token);
    // A fixed seed keeps CI reproducible; run it by hand without one to
    // explore further.
    let output = run(
        &st,
        &[
            "run",
            &url,
            "--header",
            &header,
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_headers_conformance,response_schema_conformance,\
             negative_data_rejection,ignored_auth",
            "--max-examples",
            "40",
            "--seed",
            "20261125",
            "--request-timeout",
            "10",
        ],
        &work,
        Duration::from_secs(600),
    );
    // Exit 0 is the verdict; also make sure it actually exercised the API.
    assert!(
        output.contains("passed") && !output.contains("No operations"),
        "schemathesis ran no operations:\n{output}"
    );
    let mut node = node;
    assert!(
        !node.process.has_exited(),
        "hadns survived schemathesis:\n{}",
        node.process.log_text()
    );
}
