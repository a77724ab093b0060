//! The query log and the metrics, against a running `hadns serve`: the log
//! rotates at `max_size` into exactly `keep` old files with whole lines,
//! reopens on SIGUSR1 and writes JSON when asked; `/metrics` (parsed, not
//! string-matched) moves by exactly what known queries, a transfer and an
//! API write add, on the API port and on `[metrics] listen`; `…/statistics`
//! serves the same counters.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{ApiNode as Node, free_port, http_request, query, tcp_exchange, udp_exchange};
use serde_json::json;
use wire::Rtype;

const ZONES: &str = "/api/v1/servers/localhost/zones";

/// One sample's name with its labels in text order, e.g.
/// `hadns_queries_total{view="default",transport="udp"}`.
type Samples = HashMap<String, f64>;

/// Parses the Prometheus text format: every line that is not a comment is
/// `NAME[{LABELS}] VALUE`; a malformed line fails the test.
fn parse_metrics(text: &str) -> Samples {
    let mut samples = Samples::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|e| panic!("{line}: {e}")),
        };
        if let Some(open) = key.find('{') {
            assert!(key.ends_with('}'), "unbalanced labels: {line}");
            for pair in key[open + 1..key.len() - 1].split("\",") {
                let (name, quoted) = pair.split_once('=').expect("label=value");
                assert!(
                    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "label name {name} in {line}"
                );
                assert!(quoted.starts_with('"'), "unquoted label value in {line}");
            }
        }
        assert!(
            samples.insert(key.to_string(), value).is_none(),
            "sample {key} twice"
        );
    }
    samples
}

fn scrape(address: SocketAddr) -> Samples {
    let response = http_request(address, "GET", "/metrics", &[], None);
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain")),
        "content type {:?}",
        response.header("content-type")
    );
    parse_metrics(&response.text())
}

fn value(samples: &Samples, key: &str) -> f64 {
    samples.get(key).copied().unwrap_or(0.0)
}

fn delta(before: &Samples, after: &Samples, key: &str) -> f64 {
    value(after, key) - value(before, key)
}

fn create_zone(node: &Node, zone: &str) {
    node.create_zone(
        zone,
        json!([{"name": format!("www.{zone}"), "type": "A", "ttl": 300,
                "changetype": "REPLACE",
                "records": [{"content": "192.0.2.1", "disabled": false}]}]),
    );
}

/// Waits until `/metrics` says the query log wrote `lines` lines.
fn wait_for_log_lines(metrics: SocketAddr, lines: f64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let samples = scrape(metrics);
        let written = value(&samples, "hadns_querylog_lines_total");
        if written >= lines {
            assert_eq!(written, lines, "more lines than queries");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the query log wrote {written} of {lines} lines"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn ask_udp(dns: SocketAddr, id: u16, name: &str, rtype: Rtype) -> Vec<u8> {
    udp_exchange(
        dns,
        &query(id, name, rtype, 0x0100, Some((1232, false))),
        Duration::from_secs(5),
    )
    .unwrap_or_else(|| panic!("no UDP answer for {name}"))
}

#[test]
fn metrics_move_by_what_queries_transfers_and_api_writes_add() {
    let root = tempfile::tempdir().unwrap();
    let metrics_port = free_port();
    let metrics: SocketAddr = format!("127.0.0.1:{metrics_port}").parse().unwrap();
    let node = Node::start(
        root.path(),
        "metrics",
        &format!(
            "[metrics]\nlisten = \"{metrics}\"\n\
             [zone_defaults]\nallow_transfer = [\"127.0.0.0/8\"]\n"
        ),
    );
    create_zone(&node, "obs.test.");
    let before = scrape(metrics);
    let api_before = parse_metrics(&node.get("/metrics").text());

    // 5 answers, 3 NXDOMAIN over UDP; 2 over TCP; one AXFR.
    for id in 0..5 {
        let reply = ask_udp(node.dns, id, "www.obs.test.", Rtype::A);
        assert_eq!(reply[3] & 0x0F, 0);
    }
    for id in 10..13 {
        let reply = ask_udp(node.dns, id, "nothing.obs.test.", Rtype::AAAA);
        assert_eq!(reply[3] & 0x0F, 3);
    }
    for id in 20..22 {
        let request = query(id, "www.obs.test.", Rtype::A, 0, None);
        tcp_exchange(node.dns, &request, Duration::from_secs(5)).expect("TCP answer");
    }
    let (records, _) = common::axfr(node.dns, "obs.test.", None).expect("AXFR");
    assert!(records.len() >= 3);
    // One API write.
    let response = node.send(
        "PATCH",
        &format!("{ZONES}/obs.test."),
        &json!({"rrsets": [{"name": "mail.obs.test.", "type": "A", "ttl": 300,
                "changetype": "REPLACE",
                "records": [{"content": "192.0.2.2", "disabled": false}]}]}),
    );
    assert_eq!(response.status, 204, "{}", response.text());

    let after = scrape(metrics);
    let d = |key: &str| delta(&before, &after, key);
    assert_eq!(
        d(r#"hadns_queries_total{view="default",transport="udp"}"#),
        8.0
    );
    // Two queries (the AXFR is counted as a transfer, below).
    assert_eq!(
        d(r#"hadns_queries_total{view="default",transport="tcp"}"#),
        2.0
    );
    assert_eq!(d(r#"hadns_query_types_total{qtype="A"}"#), 7.0);
    assert_eq!(d(r#"hadns_query_types_total{qtype="AAAA"}"#), 3.0);
    assert_eq!(d(r#"hadns_responses_total{rcode="NXDOMAIN"}"#), 3.0);
    assert_eq!(d(r#"hadns_responses_total{rcode="NOERROR"}"#), 7.0);
    assert_eq!(
        d(r#"hadns_response_size_bytes_count{transport="udp"}"#),
        8.0
    );
    assert_eq!(d(r#"hadns_edns_requests_total"#), 8.0);
    let zone = r#"view="default",zone="obs.test.""#;
    assert_eq!(
        d(&format!(
            "hadns_zone_queries_total{{{zone},transport=\"udp\"}}"
        )),
        8.0
    );
    assert_eq!(
        d(&format!(
            "hadns_zone_queries_total{{{zone},transport=\"tcp\"}}"
        )),
        2.0
    );
    assert_eq!(
        d(&format!(
            "hadns_zone_responses_total{{{zone},result=\"success\"}}"
        )),
        7.0
    );
    assert_eq!(
        d(&format!(
            "hadns_zone_responses_total{{{zone},result=\"nxdomain\"}}"
        )),
        3.0
    );
    assert_eq!(
        d(r#"hadns_transfers_total{direction="out",type="axfr",result="ok"}"#),
        1.0
    );
    assert!(d(r#"hadns_transfer_bytes_total{direction="out"}"#) > 100.0);
    assert!(d("hadns_tcp_connections_total{result=\"accepted\"}") >= 3.0);
    assert_eq!(d("hadns_store_write_duration_seconds_count"), 1.0);
    // The serial moved with the write: the gauge shows the new one.
    let serial = value(&after, &format!("hadns_zone_serial{{{zone}}}"));
    assert_eq!(
        serial - value(&before, &format!("hadns_zone_serial{{{zone}}}")),
        1.0
    );
    // The API counted its requests by route template, not raw path.
    let api_after = parse_metrics(&node.get("/metrics").text());
    let patch = r#"hadns_api_requests_total{route="/api/v1/servers/localhost/zones/{zone}",method="PATCH",status="204"}"#;
    assert_eq!(delta(&api_before, &api_after, patch), 1.0, "{api_after:?}");
    // A histogram's buckets are cumulative and end at its count.
    let inf = value(
        &after,
        r#"hadns_response_size_bytes_bucket{transport="udp",le="+Inf"}"#,
    );
    assert_eq!(
        inf,
        value(
            &after,
            r#"hadns_response_size_bytes_count{transport="udp"}"#
        )
    );
    let small = value(
        &after,
        r#"hadns_response_size_bytes_bucket{transport="udp",le="64"}"#,
    );
    assert!(small <= inf);

    // PowerDNS's statistics carry the same counters.
    let stats = node.get("/api/v1/servers/localhost/statistics").json();
    let stat = |name: &str| -> u64 {
        stats
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {stats}"))["value"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        stat("udp-queries") as f64,
        value(
            &after,
            r#"hadns_queries_total{view="default",transport="udp"}"#
        )
    );
    assert!(stat("nxdomain-packets") >= 3);
    assert!(stat("transfers-out") >= 1);
}

/// Every line of a text query log: 11 fields, the last `NNus`.
fn check_text_lines(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'), "{} ends mid-line", path.display());
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(
            fields.len(),
            11,
            "torn or malformed line in {}: {line}",
            path.display()
        );
        assert!(
            fields[0].ends_with('Z') && fields[0].len() == 27,
            "time {}",
            fields[0]
        );
        assert!(fields[1].contains('#'), "client {}", fields[1]);
        assert!(fields[10].ends_with("us"), "latency {}", fields[10]);
    }
    text.lines().count()
}

#[test]
fn the_query_log_rotates_into_keep_files_of_whole_lines_and_reopens_on_sigusr1() {
    let root = tempfile::tempdir().unwrap();
    let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let node = Node::start(
        root.path(),
        "querylog",
        &format!(
            "[metrics]\nlisten = \"{metrics}\"\n\
             [log]\nqueries = true\nmax_size = 1000\nkeep = 2\n"
        ),
    );
    create_zone(&node, "log.test.");
    let queries = 60u16;
    for id in 0..queries {
        ask_udp(node.dns, id, "www.log.test.", Rtype::A);
    }
    wait_for_log_lines(metrics, f64::from(queries));
    let data = node.dir.join("data");
    let log = data.join("query.log");
    let mut lines = 0;
    for path in [
        log.clone(),
        data.join("query.log.1"),
        data.join("query.log.2"),
    ] {
        assert!(path.exists(), "{} missing", path.display());
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size <= 1000, "{} is {size} octets", path.display());
        lines += check_text_lines(&path);
    }
    assert!(
        !data.join("query.log.3").exists(),
        "more than keep = 2 old files"
    );
    assert!(lines < usize::from(queries), "rotation dropped nothing?");
    let first = std::fs::read_to_string(&log).unwrap();
    let line = first.lines().next().unwrap();
    assert!(
        line.contains(" default www.log.test. IN A +RD edns=1232 NOERROR "),
        "{line}"
    );

    // logrotate moves the file away; SIGUSR1 makes the node start a new one.
    let moved = data.join("moved.log");
    std::fs::rename(&log, &moved).unwrap();
    node.process.signal("USR1");
    std::thread::sleep(Duration::from_millis(200));
    ask_udp(node.dns, 999, "www.log.test.", Rtype::A);
    wait_for_log_lines(metrics, f64::from(queries) + 1.0);
    assert_eq!(check_text_lines(&log), 1, "a new file after SIGUSR1");
}

#[test]
fn json_query_log_lines_are_objects_with_every_field() {
    let root = tempfile::tempdir().unwrap();
    let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let node = Node::start(
        root.path(),
        "jsonlog",
        &format!("[metrics]\nlisten = \"{metrics}\"\n[log]\nqueries = true\nformat = \"json\"\n"),
    );
    create_zone(&node, "json.test.");
    ask_udp(node.dns, 1, "www.json.test.", Rtype::A);
    let request = query(2, "nope.json.test.", Rtype::TXT, 0, Some((4096, true)));
    tcp_exchange(node.dns, &request, Duration::from_secs(5)).expect("TCP answer");
    wait_for_log_lines(metrics, 2.0);
    let text = std::fs::read_to_string(node.dir.join("data/query.log")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["qname"], "www.json.test.");
    assert_eq!(lines[0]["qtype"], "A");
    assert_eq!(lines[0]["rcode"], "NOERROR");
    assert_eq!(lines[0]["flags"], json!(["RD"]));
    assert_eq!(lines[0]["edns_size"], 1232);
    assert_eq!(lines[0]["view"], "default");
    assert_eq!(lines[0]["client"], "127.0.0.1");
    assert!(lines[0]["latency_us"].as_u64().is_some());
    assert!(lines[0]["size"].as_u64().unwrap() > 30);
    assert_eq!(lines[1]["qtype"], "TXT");
    assert_eq!(lines[1]["rcode"], "NXDOMAIN");
    assert_eq!(lines[1]["flags"], json!(["DO", "TCP"]));
    assert_eq!(lines[1]["edns_size"], 4096);
}

/// The metric families a scrape declares (`# TYPE NAME KIND`), with the
/// suffixes their samples may carry.
fn families(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE NAME KIND");
            match kind {
                // The text format's counters are declared with `_total`.
                "counter" => names.push(name.to_string()),
                "histogram" => {
                    for suffix in ["_bucket", "_sum", "_count"] {
                        names.push(format!("{name}{suffix}"));
                    }
                }
                _ => names.push(name.to_string()),
            }
        }
    }
    names
}

#[test]
fn the_shipped_dashboard_and_alerts_name_only_metrics_the_node_serves() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "contrib", "");
    // The API's request counters appear from the first request on.
    node.get("/metrics");
    let text = node.get("/metrics").text();
    let served = families(&text);
    assert!(
        served.contains(&"hadns_queries_total".to_string()),
        "{served:?}"
    );
    let contrib = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib");
    let dashboard = std::fs::read_to_string(contrib.join("grafana-dashboard.json")).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&dashboard).expect("dashboard is JSON");
    assert!(!parsed["panels"].as_array().unwrap().is_empty());
    let alerts = std::fs::read_to_string(contrib.join("hadns-alerts.yml")).unwrap();
    let mut checked = 0;
    for source in [&dashboard, &alerts] {
        let mut rest = source.as_str();
        while let Some(at) = rest.find("hadns_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest = &rest[at + name.len()..];
            // `hadns-overview` and the like are not metric names.
            if name.len() > "hadns_".len() {
                assert!(served.contains(&name), "{name} is not served: {served:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "only {checked} metric references found");
}
