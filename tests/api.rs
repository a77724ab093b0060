//! The REST API over real HTTP against running `hadns serve --config …`
//! nodes: zones created and changed with every PATCH changetype (each
//! change answered over DNS the moment the PATCH returns), reads, export,
//! history, diffs, revert, search, authentication and scopes, refused
//! requests that change nothing, the OpenAPI document, zones kept outside
//! the store, and replication to a hadns secondary seen through
//! `/api/v1/cluster`.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{ApiNode as Node, HttpResponse, ask, http_request};
use serde_json::{Value, json};
use wire::{Rcode, Rtype};

/// The zones endpoint.
const ZONES: &str = "/api/v1/servers/localhost/zones";

/// Creates `zone` (absolute) with an NS set and `rrsets`; checks the 201.
fn create_zone(node: &Node, zone: &str, rrsets: Value) -> Value {
    node.create_zone(zone, rrsets)
}

/// A PATCH of `zone` with `rrsets`; returns the response.
fn patch(node: &Node, zone: &str, rrsets: Value) -> HttpResponse {
    node.send(
        "PATCH",
        &format!("{ZONES}/{zone}"),
        &json!({ "rrsets": rrsets }),
    )
}

/// A PATCH that must succeed; returns (old serial, new serial).
fn patch_ok(node: &Node, zone: &str, rrsets: Value) -> (u32, u32) {
    let response = patch(node, zone, rrsets);
    assert_eq!(response.status, 204, "PATCH {zone}: {}", response.text());
    assert!(response.body.is_empty(), "a 204 has no body");
    let serial = |name: &str| -> u32 {
        response
            .header(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .parse()
            .unwrap()
    };
    (serial("X-PDNS-Old-Serial"), serial("X-PDNS-New-Serial"))
}

/// The contents of the A (or other `rtype`) records `node` serves at
/// `name`, sorted, with their TTLs.
fn served(node: &Node, name: &str, rtype: Rtype) -> (Rcode, Vec<(u32, String)>) {
    let answer = ask(node.dns, name, rtype);
    assert!(
        answer.rcode != Rcode::NOERROR || answer.authoritative,
        "{name} {rtype}: answer without AA"
    );
    let mut records: Vec<(u32, String)> = answer
        .answer
        .iter()
        .map(|r| {
            let text = format!("{r:?}");
            let mut fields = text.split(' ');
            let _owner = fields.next();
            let ttl = fields.next().unwrap().parse().unwrap();
            let _class = fields.next();
            let _type = fields.next();
            (ttl, fields.collect::<Vec<_>>().join(" "))
        })
        .collect();
    records.sort();
    (answer.rcode, records)
}

/// The record contents of the RRset `name`/`rtype` in a zone object.
fn rrset<'a>(zone: &'a Value, name: &str, rtype: &str) -> Option<&'a Value> {
    zone["rrsets"]
        .as_array()
        .expect("rrsets")
        .iter()
        .find(|set| set["name"] == name && set["type"] == rtype)
}

fn contents(set: &Value) -> Vec<String> {
    let mut list: Vec<String> = set["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["content"].as_str().unwrap().to_string())
        .collect();
    list.sort();
    list
}

#[test]
fn zone_lifecycle_over_http_is_answered_over_dns_at_once() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(
        root.path(),
        "life",
        "[zone_defaults]\nallow_transfer = [\"127.0.0.1\"]\n",
    );
    let created = create_zone(
        &node,
        "api.test.",
        json!([
            {"name": "www.api.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
             "records": [{"content": "192.0.2.1", "disabled": false}]},
            {"name": "ns1.api.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.53"}]},
        ]),
    );
    assert_eq!(created["id"], "api.test.");
    assert_eq!(created["name"], "api.test.");
    assert_eq!(created["type"], "Zone");
    assert_eq!(created["kind"], "Native");
    assert_eq!(created["url"], "/api/v1/servers/localhost/zones/api.test.");
    assert_eq!(created["serial"], 1);
    assert_eq!(created["rrsets"][0]["type"], "SOA", "the SOA comes first");
    assert_eq!(
        contents(rrset(&created, "api.test.", "NS").unwrap()),
        ["ns1.api.test."]
    );
    assert_eq!(
        served(&node, "www.api.test.", Rtype::A),
        (Rcode::NOERROR, vec![(300, "192.0.2.1".to_string())])
    );

    // Creating it again is a conflict.
    let again = node.send(
        "POST",
        ZONES,
        &json!({"name": "api.test.", "kind": "Native", "nameservers": ["ns1.api.test."]}),
    );
    assert_eq!(again.status, 409);
    assert!(again.error().contains("api.test."), "{}", again.error());

    // REPLACE: the set becomes exactly these, with this TTL.
    let (old, new) = patch_ok(
        &node,
        "api.test.",
        json!([{"name": "www.api.test.", "type": "A", "ttl": 60, "changetype": "REPLACE",
                "records": [{"content": "192.0.2.2"}, {"content": "192.0.2.3"}]}]),
    );
    assert_eq!((old, new), (1, 2));
    assert_eq!(
        served(&node, "www.api.test.", Rtype::A).1,
        vec![(60, "192.0.2.2".to_string()), (60, "192.0.2.3".to_string())]
    );

    // EXTEND adds, keeping the others.
    let (_, new) = patch_ok(
        &node,
        "api.test",
        json!([{"name": "www.api.test.", "type": "A", "ttl": 60, "changetype": "EXTEND",
                "records": [{"content": "192.0.2.4"}]}]),
    );
    assert_eq!(new, 3);
    assert_eq!(served(&node, "www.api.test.", Rtype::A).1.len(), 3);

    // PRUNE removes only what it names.
    patch_ok(
        &node,
        "api.test.",
        json!([{"name": "www.api.test.", "type": "A", "changetype": "prune",
                "records": [{"content": "192.0.2.2"}]}]),
    );
    assert_eq!(
        served(&node, "www.api.test.", Rtype::A).1,
        vec![(60, "192.0.2.3".to_string()), (60, "192.0.2.4".to_string())]
    );

    // DELETE and REPLACE together, in order: one change, one serial step.
    let (old, new) = patch_ok(
        &node,
        "API.TEST",
        json!([
            {"name": "www.api.test.", "type": "A", "changetype": "DELETE"},
            {"name": "www.api.test.", "type": "CNAME", "ttl": 120, "changetype": "REPLACE",
             "records": [{"content": "ns1.api.test."}]},
            {"name": "api.test.", "type": "MX", "ttl": 3600, "changetype": "REPLACE",
             "records": [{"content": "10 mail.api.test"}],
             "comments": [{"content": "mail goes here", "account": "ops"}]},
        ]),
    );
    assert_eq!(new, old + 1);
    let answer = ask(node.dns, "www.api.test.", Rtype::A);
    assert_eq!(answer.rcode, Rcode::NOERROR);
    assert!(
        format!("{:?}", answer.answer).contains("CNAME ns1.api.test."),
        "{:?}",
        answer.answer
    );
    assert_eq!(
        served(&node, "api.test.", Rtype::MX).1,
        vec![(3600, "10 mail.api.test.".to_string())],
        "names in content are absolute, dot or not"
    );

    // A disabled record is kept, shown, and not served; it moves no serial.
    let (old, new) = patch_ok(
        &node,
        "api.test.",
        json!([{"name": "mail.api.test.", "type": "A", "ttl": 60, "changetype": "REPLACE",
                "records": [{"content": "192.0.2.25", "disabled": true}]}]),
    );
    assert_eq!(old, new, "nothing served changed");
    assert_eq!(served(&node, "mail.api.test.", Rtype::A).0, Rcode::NXDOMAIN);

    // GET shows it all, canonical content, comments, disabled records.
    let zone = node.get_json(&format!("{ZONES}/api.test."));
    assert_eq!(zone["serial"], new);
    assert_eq!(zone["edited_serial"], new);
    assert_eq!(zone["masters"], json!([]));
    assert_eq!(zone["dnssec"], false);
    assert_eq!(
        contents(rrset(&zone, "www.api.test.", "CNAME").unwrap()),
        ["ns1.api.test."]
    );
    assert!(rrset(&zone, "www.api.test.", "A").is_none());
    let mx = rrset(&zone, "api.test.", "MX").unwrap();
    assert_eq!(mx["comments"][0]["content"], "mail goes here");
    assert_eq!(mx["comments"][0]["account"], "ops");
    assert!(mx["comments"][0]["modified_at"].as_u64().unwrap() > 1_600_000_000);
    let mail = rrset(&zone, "mail.api.test.", "A").unwrap();
    assert_eq!(mail["records"][0]["disabled"], true);

    // Filters, and the zone id in any case without the dot.
    let only = node.get_json(&format!(
        "{ZONES}/Api.Test?rrset_name=www.api.test.&rrset_type=CNAME"
    ));
    assert_eq!(only["name"], "api.test.");
    assert_eq!(only["rrsets"].as_array().unwrap().len(), 1);
    let bare = node.get_json(&format!("{ZONES}/api.test.?rrsets=false"));
    assert!(bare.get("rrsets").is_none(), "{bare}");
    let enabled = node.get_json(&format!(
        "{ZONES}/api.test.?rrset_name=mail.api.test.&include_disabled=false"
    ));
    assert_eq!(enabled["rrsets"][0]["records"], json!([]));

    // The listing has the zone, without RRsets.
    let list = node.get_json(ZONES);
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["name"] == "api.test.")
        .expect("listed");
    assert!(listed.get("rrsets").is_none());
    assert_eq!(listed["serial"], new);
    let filtered = node.get_json(&format!("{ZONES}?zone=api.test."));
    assert_eq!(filtered.as_array().unwrap().len(), 1);

    // Export: a zone file that reads back to what DNS serves.
    let export = node.get(&format!("{ZONES}/api.test./export"));
    assert_eq!(export.status, 200);
    assert!(
        export
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let text = export.text();
    assert!(text.lines().nth(1).unwrap().contains("\tSOA\t"), "{text}");
    assert!(
        text.contains("www.api.test.\t120\tIN\tCNAME\tns1.api.test."),
        "{text}"
    );
    assert!(
        !text.contains("192.0.2.25"),
        "disabled records are not exported: {text}"
    );
    let origin: wire::Name = "api.test.".parse().unwrap();
    let parsed = zonefile::parse_str(&text, &origin, Path::new("export")).expect("export parses");
    let exported = common::record_set(parsed.records.iter().map(|r| &r.record));
    let (axfr, _) = common::axfr(node.dns, "api.test.", None).expect("AXFR from loopback");
    common::assert_same_records(
        "export",
        "the export",
        &exported,
        "AXFR",
        &common::record_set(&axfr),
    );

    // Delete: gone from the API and from DNS.
    let deleted = node.request(
        "DELETE",
        &format!("{ZONES}/api.test."),
        Some(&node.token),
        &[],
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(node.get(&format!("{ZONES}/api.test.")).status, 404);
    assert_eq!(
        ask(node.dns, "www.api.test.", Rtype::A).rcode,
        Rcode::REFUSED
    );

    // Created again under the same name, it starts afresh at serial 1: the
    // old zone's IXFR journal and copy went with it.
    let again = create_zone(
        &node,
        "api.test.",
        json!([{"name": "new.api.test.", "type": "A", "ttl": 60, "records": [{"content": "192.0.2.9", "disabled": false}]}]),
    );
    assert_eq!(again["serial"], 1);
    assert_eq!(
        served(&node, "new.api.test.", Rtype::A),
        (Rcode::NOERROR, vec![(60, "192.0.2.9".to_string())])
    );
    assert_eq!(
        ask(node.dns, "www.api.test.", Rtype::A).rcode,
        Rcode::NXDOMAIN
    );
}

#[test]
fn history_diffs_and_revert() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "hist", "");
    create_zone(
        &node,
        "h.test.",
        json!([{"name": "www.h.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.1"}]}]),
    );
    // A reason in the header…
    let response = node.request(
        "PATCH",
        &format!("{ZONES}/h.test."),
        Some(&node.token),
        &[("X-Change-Comment", "move www")],
        Some(
            &json!({"rrsets": [{"name": "www.h.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
                                "records": [{"content": "192.0.2.2"}]}]})
            .to_string(),
        ),
    );
    assert_eq!(response.status, 204, "{}", response.text());
    // …or in the body.
    let response = node.send(
        "PATCH",
        &format!("{ZONES}/h.test."),
        &json!({"comment": "add txt", "rrsets": [{"name": "t.h.test.", "type": "TXT", "ttl": 300,
                 "changetype": "REPLACE", "records": [{"content": "\"hello\""}]}]}),
    );
    assert_eq!(response.status, 204, "{}", response.text());

    let history = node.get_json(&format!("{ZONES}/h.test./history"));
    let entries = history.as_array().unwrap();
    let serials: Vec<u64> = entries
        .iter()
        .map(|e| e["serial_to"].as_u64().unwrap())
        .collect();
    assert_eq!(serials, [3, 2, 1], "newest first");
    assert_eq!(entries[0]["comment"], "add txt");
    assert_eq!(entries[1]["comment"], "move www");
    assert_eq!(entries[2]["serial_from"], 0);
    for entry in entries {
        assert_eq!(entry["author"], "admin (token admin)");
        assert_eq!(entry["source"], "api");
    }
    let page = node.get_json(&format!("{ZONES}/h.test./history?limit=1"));
    assert_eq!(page[0]["serial_to"], 3);
    assert_eq!(page.as_array().unwrap().len(), 1);
    let next = node.get_json(&format!("{ZONES}/h.test./history?limit=1&before=3"));
    assert_eq!(next[0]["serial_to"], 2);

    // The diff of serial 2: the old www out, the new in, SOAs first.
    let diff = node.get_json(&format!("{ZONES}/h.test./history/2"));
    assert_eq!(diff["change"]["serial_from"], 1);
    assert_eq!(diff["removed"][0]["type"], "SOA");
    assert_eq!(diff["added"][0]["type"], "SOA");
    let find = |list: &Value, content: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "www.h.test." && r["type"] == "A" && r["content"] == content)
    };
    assert!(find(&diff["removed"], "192.0.2.1"), "{diff}");
    assert!(find(&diff["added"], "192.0.2.2"), "{diff}");
    let missing = node.get(&format!("{ZONES}/h.test./history/99"));
    assert_eq!(missing.status, 404);
    assert!(missing.error().contains("99"));
    assert_eq!(
        node.get(&format!("{ZONES}/h.test./history/abc")).status,
        400
    );

    // A dry run says what a revert would do and does nothing.
    let dry = node.send(
        "POST",
        &format!("{ZONES}/h.test./revert?dry_run=true"),
        &json!({"serial": 1}),
    );
    assert_eq!(dry.status, 200, "{}", dry.text());
    let dry = dry.json();
    assert_eq!(
        (
            dry["dry_run"].clone(),
            dry["serial_from"].clone(),
            dry["serial_to"].clone()
        ),
        (json!(true), json!(3), json!(4))
    );
    assert!(find(&dry["added"], "192.0.2.1"), "{dry}");
    assert_eq!(node.get_json(&format!("{ZONES}/h.test."))["serial"], 3);
    assert_eq!(
        served(&node, "www.h.test.", Rtype::A).1,
        vec![(300, "192.0.2.2".to_string())]
    );

    // The revert itself: a new change, history kept.
    let reverted = node.send(
        "POST",
        &format!("{ZONES}/h.test./revert"),
        &json!({"serial": 1}),
    );
    assert_eq!(reverted.status, 200, "{}", reverted.text());
    let reverted = reverted.json();
    assert_eq!(reverted["serial_to"], 4);
    assert_eq!(
        served(&node, "www.h.test.", Rtype::A).1,
        vec![(300, "192.0.2.1".to_string())]
    );
    assert_eq!(served(&node, "t.h.test.", Rtype::TXT).0, Rcode::NXDOMAIN);
    let history = node.get_json(&format!("{ZONES}/h.test./history"));
    assert_eq!(history.as_array().unwrap().len(), 4);
    assert_eq!(history[0]["serial_from"], 3);
    assert_eq!(history[0]["comment"], "revert to serial 1");

    // A serial the journal never produced: refused, nothing changes.
    let bad = node.send(
        "POST",
        &format!("{ZONES}/h.test./revert"),
        &json!({"serial": 77}),
    );
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert!(bad.error().contains("77"), "{}", bad.error());
    assert_eq!(node.get_json(&format!("{ZONES}/h.test."))["serial"], 4);
}

#[test]
fn keys_are_required_and_read_only_tokens_cannot_write() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "auth", "");
    create_zone(&node, "auth.test.", json!([]));
    let reader = store::Store::open(&node.database())
        .unwrap()
        .create_token("reader", "admin", store::Scope::Read)
        .unwrap();

    let server = "/api/v1/servers/localhost";
    let none = node.request("GET", server, None, &[], None);
    assert_eq!(none.status, 401);
    assert!(none.error().contains("X-API-Key"), "{}", none.error());
    let wrong = node.request("GET", server, Some("hadns_not-a-token"), &[], None);
    assert_eq!(wrong.status, 401);
    assert!(!wrong.error().is_empty());

    // The read-only token reads; the version is PowerDNS-shaped, as
    // octoDNS parses it (the first three numbers, each cut at a dash).
    let info = node.request("GET", server, Some(&reader), &[], None);
    assert_eq!(info.status, 200);
    let version = info.json()["version"].as_str().unwrap().to_string();
    let numbers: Vec<u32> = version
        .split('.')
        .take(3)
        .map(|p| p.split('-').next().unwrap().parse().unwrap())
        .collect();
    assert!(numbers >= vec![4, 2], "{version}");
    assert_eq!(
        node.request(
            "GET",
            &format!("{ZONES}/auth.test."),
            Some(&reader),
            &[],
            None
        )
        .status,
        200
    );

    let before = node.get(&format!("{ZONES}/auth.test.")).text();
    let change =
        json!({"rrsets": [{"name": "x.auth.test.", "type": "A", "ttl": 1, "changetype": "REPLACE",
                                    "records": [{"content": "192.0.2.9"}]}]})
        .to_string();
    let path = format!("{ZONES}/auth.test.");
    for (method, path, body) in [
        ("PATCH", path.as_str(), Some(change.as_str())),
        ("PUT", path.as_str(), Some("{}")),
        ("DELETE", path.as_str(), None),
        (
            "POST",
            ZONES,
            Some(r#"{"name": "other.test.", "kind": "Native", "nameservers": ["ns.other.test."]}"#),
        ),
    ] {
        let refused = node.request(method, path, Some(&reader), &[], body);
        assert_eq!(refused.status, 403, "{method} {path}: {}", refused.text());
        assert!(refused.error().contains("read-only"), "{}", refused.error());
        let anonymous = node.request(method, path, None, &[], body);
        assert_eq!(anonymous.status, 401, "{method} {path} without a key");
    }
    // Authentication comes before the body is even read.
    let garbage = node.request("PATCH", &path, None, &[], Some("{not json"));
    assert_eq!(garbage.status, 401);
    assert_eq!(node.get(&path).text(), before, "nothing changed");
    assert_eq!(node.get(&format!("{ZONES}/other.test.")).status, 404);
    assert_eq!(
        ask(node.dns, "x.auth.test.", Rtype::A).rcode,
        Rcode::NXDOMAIN
    );

    // Discovery and the OpenAPI document need no key.
    let discovery = node.request("GET", "/api", None, &[], None);
    assert_eq!(discovery.status, 200);
    assert_eq!(discovery.json(), json!([{"version": 1, "url": "/api/v1"}]));
    assert_eq!(
        node.request("GET", "/api/openapi.json", None, &[], None)
            .status,
        200
    );
}

#[test]
fn refused_requests_say_why_and_change_nothing() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "bad", "");
    create_zone(
        &node,
        "bad.test.",
        json!([{"name": "www.bad.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.1"}]}]),
    );
    let path = format!("{ZONES}/bad.test.");
    let zone_before = node.get(&path).text();
    let history_before = node.get(&format!("{path}/history")).text();
    let send = |body: &str| node.request("PATCH", &path, Some(&node.token), &[], Some(body));

    for body in ["", "{\"rrsets\": [", "rrsets", "{\"rrsets\": []} trailing"] {
        let response = send(body);
        assert_eq!(response.status, 400, "{body:?}: {}", response.text());
        assert!(!response.error().is_empty());
    }
    let cases: &[(Value, &str)] = &[
        (
            json!({"rrsets": [{"name": "a.bad.test.", "type": "A", "ttl": "x", "changetype": "REPLACE"}]}),
            "rrsets[0].ttl",
        ),
        (json!({"rrsets": {"name": "a.bad.test."}}), "rrsets"),
        (json!({}), "rrsets"),
        (
            json!({"rrsets": [{"name": "a.bad.test.", "type": "A", "ttl": 60, "changetype": "REPLACE",
                            "records": [{"content": "192.0.2.7"}, {"content": "999.1.1.1"}]}]}),
            "999.1.1.1",
        ),
        (
            json!({"rrsets": [{"name": "www.bad.test.", "type": "CNAME", "ttl": 60, "changetype": "REPLACE",
                            "records": [{"content": "elsewhere.example."}]}]}),
            "CNAME",
        ),
        (
            json!({"rrsets": [{"name": "www.other.test.", "type": "A", "ttl": 60, "changetype": "REPLACE",
                            "records": [{"content": "192.0.2.7"}]}]}),
            "not inside the zone",
        ),
        (
            json!({"rrsets": [{"name": "www.bad.test", "type": "A", "ttl": 60, "changetype": "REPLACE",
                            "records": [{"content": "192.0.2.7"}]}]}),
            "not canonical",
        ),
        (
            json!({"rrsets": [{"name": "www.bad.test.", "type": "A", "ttl": 60, "changetype": "UPSERT",
                            "records": [{"content": "192.0.2.7"}]}]}),
            "UPSERT",
        ),
        (
            json!({"rrsets": [{"name": "bad.test.", "type": "SOA", "changetype": "DELETE"}]}),
            "SOA",
        ),
        (
            json!({"rrsets": [{"name": "bad.test.", "type": "NS", "changetype": "DELETE"}]}),
            "NS",
        ),
    ];
    for (body, needle) in cases {
        let response = send(&body.to_string());
        assert_eq!(response.status, 422, "{body}: {}", response.text());
        let error = response.error();
        assert!(
            error.contains(needle),
            "{body}: {error:?} should name {needle:?}"
        );
    }
    // The first record of the refused set was fine; it was not kept either.
    assert_eq!(
        ask(node.dns, "a.bad.test.", Rtype::A).rcode,
        Rcode::NXDOMAIN
    );

    // A body over the limit.
    let huge = vec![b' '; 16 * 1024 * 1024 + 1];
    let response = http_request(
        node.api,
        "PATCH",
        &path,
        &[("X-API-Key", &node.token)],
        Some(&huge),
    );
    assert_eq!(response.status, 413, "{}", response.text());
    assert!(!response.error().is_empty());

    // Other misses, all answered in JSON.
    let unknown = node.get("/api/v1/servers/localhost/nothing-here");
    assert_eq!(unknown.status, 404);
    assert!(unknown.error().contains("nothing-here"));
    let method = node.request("DELETE", ZONES, Some(&node.token), &[], None);
    assert_eq!(method.status, 405);
    assert!(!method.error().is_empty());
    let absent = node.send(
        "PATCH",
        &format!("{ZONES}/absent.test."),
        &json!({"rrsets": []}),
    );
    assert_eq!(absent.status, 404);
    assert_eq!(absent.error(), "Could not find domain 'absent.test.'");
    assert_eq!(node.get(&format!("{ZONES}/bad=ZZ")).status, 400);
    let flag = node.get(&format!("{path}?rrsets=maybe"));
    assert_eq!(flag.status, 422);
    // A secondary needs its primaries (tests/api_secondary.rs has the rest).
    let slave = node.send(
        "POST",
        ZONES,
        &json!({"name": "sec.test.", "kind": "Slave"}),
    );
    assert_eq!(slave.status, 422);
    assert!(slave.error().starts_with("masters"), "{}", slave.error());
    assert_eq!(node.get(&format!("{ZONES}/sec.test.")).status, 404);
    // A zone without NS records, on a node with no default nameservers.
    let bare = node.send(
        "POST",
        ZONES,
        &json!({"name": "bare.test.", "kind": "Master", "nameservers": [], "rrsets": []}),
    );
    assert_eq!(bare.status, 422, "{}", bare.text());
    assert!(
        bare.error().contains("[zone_defaults] nameservers"),
        "{}",
        bare.error()
    );
    assert_eq!(node.get(&format!("{ZONES}/bare.test.")).status, 404);

    assert_eq!(node.get(&path).text(), zone_before, "the zone is unchanged");
    assert_eq!(
        node.get(&format!("{path}/history")).text(),
        history_before,
        "no journal entry"
    );
    assert_eq!(
        served(&node, "www.bad.test.", Rtype::A).1,
        vec![(300, "192.0.2.1".to_string())]
    );
}

#[test]
fn put_replaces_whole_content_and_refuses_what_hadns_cannot_do() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "put", "");
    create_zone(
        &node,
        "put.test.",
        json!([{"name": "old.put.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.1"}]}]),
    );
    let path = format!("{ZONES}/put.test.");
    let settings = node.send(
        "PUT",
        &path,
        &json!({"kind": "Native", "soa_edit_api": "INCREASE", "masters": []}),
    );
    assert_eq!(settings.status, 204, "{}", settings.text());
    let kind = node.send("PUT", &path, &json!({"kind": "Slave"}));
    assert_eq!(kind.status, 422);
    assert!(kind.error().contains("kind"), "{}", kind.error());
    let no_soa = node.send(
        "PUT",
        &path,
        &json!({"rrsets": [{"name": "put.test.", "type": "NS", "ttl": 60, "records": [{"content": "ns1.put.test."}]}]}),
    );
    assert_eq!(no_soa.status, 422);
    assert!(no_soa.error().contains("SOA"));
    let replaced = node.send(
        "PUT",
        &path,
        &json!({"rrsets": [
            {"name": "put.test.", "type": "SOA", "ttl": 60, "records": [{"content": "ns1.put.test. h.put.test. 1 60 60 600 60"}]},
            {"name": "put.test.", "type": "NS", "ttl": 60, "records": [{"content": "ns1.put.test."}]},
            {"name": "new.put.test.", "type": "A", "ttl": 60, "records": [{"content": "192.0.2.2"}]},
        ]}),
    );
    assert_eq!(replaced.status, 204, "{}", replaced.text());
    assert_eq!(
        ask(node.dns, "old.put.test.", Rtype::A).rcode,
        Rcode::NXDOMAIN
    );
    assert_eq!(
        served(&node, "new.put.test.", Rtype::A).1,
        vec![(60, "192.0.2.2".to_string())]
    );
    let zone = node.get_json(&path);
    assert_eq!(zone["rrsets"].as_array().unwrap().len(), 3);
    assert_eq!(
        zone["serial"], 2,
        "one change, the serial moved on by the policy"
    );
}

#[test]
fn search_data_matches_like_powerdns() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "search", "");
    create_zone(
        &node,
        "s.test.",
        json!([
            {"name": "www.s.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.10"}]},
            {"name": "mail.s.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.20"}]},
            {"name": "t.s.test.", "type": "TXT", "ttl": 300, "records": [{"content": "\"x\""}],
             "comments": [{"content": "hello world", "account": "me"}]},
        ]),
    );
    let search = |query: &str| -> Vec<Value> {
        node.get_json(&format!("/api/v1/servers/localhost/search-data?{query}"))
            .as_array()
            .unwrap()
            .clone()
    };
    let www = search("q=www.s.test");
    assert_eq!(www.len(), 1, "{www:?}");
    assert_eq!(www[0]["object_type"], "record");
    assert_eq!(www[0]["name"], "www.s.test.");
    assert_eq!(www[0]["zone"], "s.test.");
    assert_eq!(www[0]["zone_id"], "s.test.");
    assert_eq!(www[0]["type"], "A");
    assert_eq!(www[0]["content"], "192.0.2.10");
    assert_eq!(
        search("q=WWW.S.TEST.").len(),
        1,
        "case and final dot do not matter"
    );
    assert_eq!(search("q=www").len(), 0, "no wildcard, whole match");
    let addresses = search("q=192.0.2.%3F0");
    assert_eq!(addresses.len(), 2, "{addresses:?}");
    let zones = search("q=s.test&object_type=zone");
    assert_eq!(zones.len(), 1);
    assert_eq!(zones[0]["object_type"], "zone");
    let comments = search("q=*hello*&object_type=comment");
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["name"], "t.s.test.");
    assert_eq!(comments[0]["content"], "hello world");
    let everything = search("q=*s.test*");
    assert!(everything.len() >= 6, "{everything:?}");
    assert_eq!(search("q=*s.test*&max=2").len(), 2);
    for query in [
        "",
        "q=",
        "q=x&object_type=bogus",
        "q=x&max=0",
        "q=x&max=many",
    ] {
        let response = node.get(&format!("/api/v1/servers/localhost/search-data?{query}"));
        assert_eq!(response.status, 422, "{query}");
        assert!(!response.error().is_empty());
    }
}

#[test]
fn openapi_document_describes_every_route() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "doc", "");
    let response = node.request("GET", "/api/openapi.json", None, &[], None);
    assert_eq!(response.status, 200);
    assert!(response.header("content-type").unwrap().contains("json"));
    let doc = response.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with('3'),
        "{}",
        doc["openapi"]
    );
    let scheme = &doc["components"]["securitySchemes"]["api_key"];
    assert_eq!(scheme["type"], "apiKey");
    assert_eq!(scheme["in"], "header");
    assert_eq!(scheme["name"], "X-API-Key");
    let expected = [
        ("/api", "get"),
        ("/api/v1", "get"),
        ("/api/openapi.json", "get"),
        ("/api/v1/servers", "get"),
        ("/api/v1/servers/localhost", "get"),
        ("/api/v1/servers/localhost/search-data", "get"),
        ("/api/v1/servers/localhost/config", "get"),
        ("/api/v1/servers/localhost/statistics", "get"),
        ("/api/v1/servers/localhost/tsigkeys", "get"),
        ("/api/v1/servers/localhost/tsigkeys", "post"),
        ("/api/v1/servers/localhost/tsigkeys/{tsigkey_id}", "get"),
        ("/api/v1/servers/localhost/tsigkeys/{tsigkey_id}", "put"),
        ("/api/v1/servers/localhost/tsigkeys/{tsigkey_id}", "delete"),
        ("/api/v1/servers/localhost/zones", "get"),
        ("/api/v1/servers/localhost/zones", "post"),
        ("/api/v1/servers/localhost/zones/{zone}", "get"),
        ("/api/v1/servers/localhost/zones/{zone}", "patch"),
        ("/api/v1/servers/localhost/zones/{zone}", "put"),
        ("/api/v1/servers/localhost/zones/{zone}", "delete"),
        ("/api/v1/servers/localhost/zones/{zone}/export", "get"),
        ("/api/v1/servers/localhost/zones/{zone}/notify", "put"),
        (
            "/api/v1/servers/localhost/zones/{zone}/axfr-retrieve",
            "put",
        ),
        ("/api/v1/servers/localhost/zones/{zone}/history", "get"),
        (
            "/api/v1/servers/localhost/zones/{zone}/history/{serial}",
            "get",
        ),
        ("/api/v1/servers/localhost/zones/{zone}/revert", "post"),
        ("/api/v1/servers/localhost/zones/{zone}/settings", "get"),
        ("/api/v1/servers/localhost/zones/{zone}/settings", "put"),
        ("/api/v1/audit", "get"),
        ("/api/v1/cluster", "get"),
        ("/api/v1/control", "post"),
        ("/api/v1/views", "get"),
        ("/api/v1/views/{view}", "get"),
        ("/health", "get"),
        ("/metrics", "get"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let operations: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        operations,
        expected.len(),
        "{:?}",
        paths.keys().collect::<Vec<_>>()
    );
    for (path, method) in expected {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        let public = path == "/api"
            || path == "/api/v1"
            || path == "/api/openapi.json"
            || path == "/health"
            || path == "/metrics";
        if !public {
            assert_eq!(
                operation["security"],
                json!([{"api_key": []}]),
                "{method} {path}"
            );
            let unauthorized = &operation["responses"]["401"];
            assert!(
                unauthorized["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .is_some_and(|r| r.ends_with("/ErrorBody")),
                "{method} {path}: {unauthorized}"
            );
        }
    }
    let zone = &doc["components"]["schemas"]["Zone"]["properties"];
    for field in [
        "id",
        "name",
        "type",
        "url",
        "kind",
        "serial",
        "notified_serial",
        "edited_serial",
        "masters",
        "dnssec",
        "account",
        "rrsets",
    ] {
        assert!(zone.get(field).is_some(), "Zone has no `{field}`: {zone}");
    }
}

#[test]
fn secondaries_replicate_api_changes_and_zones_outside_the_store_are_read_only() {
    let root = tempfile::tempdir().unwrap();
    // Both addresses first: each node's configuration names the other.
    let dns_b: SocketAddr = format!("127.0.0.1:{}", common::free_port())
        .parse()
        .unwrap();
    let dns_a: SocketAddr = format!("127.0.0.1:{}", common::free_port())
        .parse()
        .unwrap();
    // The primary: store zones notify the secondary; one zone from a file.
    let primary_dir = root.path().join("primary");
    std::fs::create_dir_all(&primary_dir).unwrap();
    std::fs::write(
        primary_dir.join("file.zone"),
        "$ORIGIN file.test.\n$TTL 300\n@ SOA ns1 hostmaster 7 60 30 600 60\n@ NS ns1\nns1 A 192.0.2.53\n",
    )
    .unwrap();
    let primary = Node::start_on(
        root.path(),
        "primary",
        dns_a,
        &format!(
            "[zone_defaults]\nnotify = [\"{dns_b}\"]\nallow_transfer = [\"127.0.0.1\"]\n\
             [[zone]]\nname = \"file.test\"\nfile = \"{}\"\n",
            primary_dir.join("file.zone").display()
        ),
    );
    create_zone(
        &primary,
        "rep.test.",
        json!([{"name": "www.rep.test.", "type": "A", "ttl": 60, "records": [{"content": "192.0.2.1"}]}]),
    );
    let mut secondary = Node::start_on(
        root.path(),
        "secondary",
        dns_b,
        &format!(
            "[[zone]]\nname = \"rep.test\"\nrole = \"secondary\"\nprimaries = [\"{dns_a}\"]\n"
        ),
    );
    common::wait_for_serial(
        dns_b,
        "rep.test.",
        1,
        Duration::from_secs(20),
        &mut secondary.process,
    );

    // A change through the API reaches the secondary by NOTIFY and IXFR.
    let (_, serial) = patch_ok(
        &primary,
        "rep.test.",
        json!([{"name": "www.rep.test.", "type": "A", "ttl": 60, "changetype": "REPLACE",
                "records": [{"content": "192.0.2.2"}]}]),
    );
    common::wait_for_serial(
        dns_b,
        "rep.test.",
        serial,
        Duration::from_secs(20),
        &mut secondary.process,
    );
    assert_eq!(
        served(&secondary, "www.rep.test.", Rtype::A).1,
        vec![(60, "192.0.2.2".to_string())]
    );

    // The primary's cluster view: the target notified, asked, in step.
    let deadline = Instant::now() + Duration::from_secs(20);
    let target = loop {
        let cluster = primary.get_json("/api/v1/cluster");
        assert_eq!(cluster["node"], "primary");
        let zone = cluster["zones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|z| z["zone"] == "rep.test.")
            .expect("rep.test. in the cluster view")
            .clone();
        assert_eq!(zone["role"], "primary");
        assert_eq!(zone["serial"], serial);
        let target = zone["targets"][0].clone();
        if target["notified_serial"] == serial
            && target["acknowledged_at"].is_u64()
            && target["lag"] == 0
        {
            break target;
        }
        assert!(
            Instant::now() < deadline,
            "the target never caught up: {zone}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(target["address"], dns_b.to_string());
    assert_eq!(target["serial"], serial);
    assert!(target["error"].is_null());
    let quiet = primary.get_json("/api/v1/cluster?probe=false");
    let quiet_zone = quiet["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["zone"] == "rep.test.")
        .unwrap()
        .clone();
    assert!(quiet_zone["targets"][0]["serial"].is_null());

    // The file zone: listed as Master, readable, not writable here.
    let zones = primary.get_json(ZONES);
    let file = zones
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["name"] == "file.test.")
        .expect("file zone listed");
    assert_eq!(file["kind"], "Master");
    assert_eq!(file["serial"], 7);
    let file_zone = primary.get_json(&format!("{ZONES}/file.test."));
    assert_eq!(
        contents(rrset(&file_zone, "ns1.file.test.", "A").unwrap()),
        ["192.0.2.53"]
    );
    let refused = patch(
        &primary,
        "file.test.",
        json!([{"name": "x.file.test.", "type": "A", "changetype": "DELETE"}]),
    );
    assert_eq!(refused.status, 422);
    assert!(refused.error().contains("zone file"), "{}", refused.error());
    assert!(
        primary
            .get(&format!("{ZONES}/file.test./export"))
            .text()
            .contains("ns1.file.test.\t300\tIN\tA\t192.0.2.53")
    );
    let not_secondary = primary.request(
        "PUT",
        &format!("{ZONES}/rep.test./axfr-retrieve"),
        Some(&primary.token),
        &[],
        None,
    );
    assert_eq!(not_secondary.status, 422);
    let notify = primary.request(
        "PUT",
        &format!("{ZONES}/rep.test./notify"),
        Some(&primary.token),
        &[],
        None,
    );
    assert_eq!(notify.status, 200, "{}", notify.text());
    assert_eq!(notify.json()["result"], "Notification queued");

    // The secondary: the zone is a Slave with its primary, read-only.
    let zones = secondary.get_json(ZONES);
    let rep = zones
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["name"] == "rep.test.")
        .expect("listed");
    assert_eq!(rep["kind"], "Slave");
    assert_eq!(rep["masters"], json!([dns_a.to_string()]));
    assert_eq!(rep["serial"], serial);
    let refused = patch(
        &secondary,
        "rep.test.",
        json!([{"name": "www.rep.test.", "type": "A", "changetype": "DELETE"}]),
    );
    assert_eq!(refused.status, 422);
    assert!(refused.error().contains("secondary"), "{}", refused.error());
    let retrieve = secondary.request(
        "PUT",
        &format!("{ZONES}/rep.test./axfr-retrieve"),
        Some(&secondary.token),
        &[],
        None,
    );
    assert_eq!(retrieve.status, 200, "{}", retrieve.text());
    assert!(
        retrieve.json()["result"]
            .as_str()
            .unwrap()
            .contains(&dns_a.to_string())
    );
    let cluster = secondary.get_json("/api/v1/cluster?probe=false");
    let state = &cluster["zones"][0]["secondary"];
    assert_eq!(state["primaries"], json!([dns_a.to_string()]));
    assert_eq!(state["expired"], false);
}

/// How many zones `GET …/zones` lists.
/// Today's first `YYYYMMDDnn` serial (UTC), as the date policy makes it.
fn first_date_serial() -> u32 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = (now / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    u32::try_from((year * 10_000 + month * 100 + day) * 100 + 1).unwrap()
}

fn zone_count(node: &Node) -> usize {
    node.get_json(ZONES).as_array().unwrap().len()
}

/// A request that must be refused with `status`, its error naming
/// `needle`.
fn refused(response: HttpResponse, status: u16, needle: &str, what: &str) {
    assert_eq!(response.status, status, "{what}: {}", response.text());
    let error = response.error();
    assert!(
        error.contains(needle),
        "{what}: {error:?} should name {needle:?}"
    );
}

#[test]
fn post_with_zone_text_creates_those_records_or_names_the_line() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "text", "");
    // BIND style: directives, relative names, comments, TTL units.
    let bind = "$ORIGIN text.test.\n$TTL 1h\n\
                @ IN SOA ns1 hostmaster 7 3600 600 86400 300\n\
                @ NS ns1 ; the only server\n\
                ns1 300 A 192.0.2.53\n\
                www 60 IN A 192.0.2.80\n\
                @ MX 10 mail.text.test.\n";
    let response = node.send(
        "POST",
        ZONES,
        &json!({"name": "text.test.", "kind": "Native", "nameservers": [], "zone": bind}),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let zone = response.json();
    assert_eq!(zone["serial"], 7, "the SOA of the text, serial as written");
    assert_eq!(
        contents(rrset(&zone, "www.text.test.", "A").unwrap()),
        ["192.0.2.80"]
    );
    assert_eq!(
        served(&node, "www.text.test.", Rtype::A),
        (Rcode::NOERROR, vec![(60, "192.0.2.80".to_string())])
    );
    assert_eq!(
        served(&node, "text.test.", Rtype::MX).1,
        vec![(3600, "10 mail.text.test.".to_string())]
    );

    // AXFR style, as dig prints it: absolute names, class IN, the SOA again
    // at the end.
    let axfr = "; <<>> DiG 9.18 <<>> axfr axfr.test.\n\
                axfr.test.\t\t3600\tIN\tSOA\tns1.axfr.test. h.axfr.test. 3 3600 600 86400 300\n\
                axfr.test.\t\t3600\tIN\tNS\tns1.axfr.test.\n\
                ns1.axfr.test.\t\t3600\tIN\tA\t192.0.2.1\n\
                txt.axfr.test.\t\t300\tIN\tTXT\t\"hello world\"\n\
                axfr.test.\t\t3600\tIN\tSOA\tns1.axfr.test. h.axfr.test. 3 3600 600 86400 300\n\
                ;; XFR size: 5 records (messages 1, bytes 200)\n";
    let response = node.send(
        "POST",
        ZONES,
        &json!({"name": "axfr.test.", "kind": "Master", "zone": axfr}),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.json()["serial"], 3);
    let answer = ask(node.dns, "txt.axfr.test.", Rtype::TXT);
    assert_eq!(answer.rcode, Rcode::NOERROR);
    assert!(format!("{:?}", answer.answer).contains("hello world"));

    // Refusals name the line (and the field), and create nothing.
    let zones_before = zone_count(&node);
    let head = "$ORIGIN bad.test.\n$TTL 300\n@ SOA ns1 h 1 1 1 1 1\n@ NS ns1\n";
    let cases = [
        (
            format!("{head}www.elsewhere.example. A 192.0.2.1\n"),
            "zone: line 5",
        ),
        (
            format!("{head}www.elsewhere.example. A 192.0.2.1\n"),
            "out of zone",
        ),
        (format!("{head}@ CNAME other.example.\n"), "zone: line 5"),
        (format!("{head}@ CNAME other.example.\n"), "CNAME"),
        (format!("{head}www A 999.1.1.1\n"), "zone: line 5"),
        (
            format!("{head}www A 192.0.2.1\nwww BOGUSTYPE x\n"),
            "zone: line 6",
        ),
        (format!("{head}$INCLUDE /etc/passwd\n"), "zone: line 5"),
        // A rule the store checks still names the line of the RRset.
        (
            format!("{head}\nmx MX 10 mail@mx.bad.test.\n"),
            "zone: line 6",
        ),
        (format!("{head}\nmx MX 10 mail@mx.bad.test.\n"), "host name"),
    ];
    for (text, needle) in &cases {
        let response = node.send(
            "POST",
            ZONES,
            &json!({"name": "bad.test.", "kind": "Native", "zone": text}),
        );
        refused(response, 422, needle, text);
    }
    let both = node.send(
        "POST",
        ZONES,
        &json!({"name": "bad.test.", "kind": "Native", "zone": head,
                "rrsets": [{"name": "a.bad.test.", "type": "A", "ttl": 1, "records": [{"content": "192.0.2.1"}]}]}),
    );
    refused(both, 422, "zone", "zone and rrsets");
    let not_text = node.send(
        "POST",
        ZONES,
        &json!({"name": "bad.test.", "kind": "Native", "zone": 5}),
    );
    refused(not_text, 422, "zone", "zone as a number");
    assert_eq!(zone_count(&node), zones_before, "nothing was created");
    assert_eq!(node.get(&format!("{ZONES}/bad.test.")).status, 404);
    assert_eq!(ask(node.dns, "bad.test.", Rtype::SOA).rcode, Rcode::REFUSED);
}

#[test]
fn zone_settings_clients_send_are_stored_and_returned_as_sent() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "settings", "");
    let settings = json!({
        "account": "customer-42",
        "soa_edit_api": "EPOCH",
        "soa_edit": "INCEPTION-INCREMENT",
        "catalog": "catalog.example.",
        "masters": ["192.0.2.1", "[2001:db8::1]:5300"],
        "master_tsig_key_ids": ["xfr-in."],
        "slave_tsig_key_ids": ["xfr-out."],
        "api_rectify": true,
        "presigned": true,
    });
    let mut body = json!({"name": "set.test.", "kind": "Native", "nameservers": ["ns1.set.test."]});
    body.as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    let response = node.send("POST", ZONES, &body);
    assert_eq!(response.status, 201, "{}", response.text());
    let path = format!("{ZONES}/set.test.");
    let zone = node.get_json(&path);
    for (field, value) in settings.as_object().unwrap() {
        assert_eq!(&zone[field], value, "{field} comes back as sent");
    }
    assert_eq!(zone["serial_policy"], "epoch");
    assert_eq!(zone["nsec3param"], "");
    assert_eq!(zone["dnssec"], false);
    let epoch = zone["serial"].as_u64().unwrap();
    assert!(
        epoch > 1_700_000_000,
        "EPOCH: the serial is the time, {epoch}"
    );
    let listed = node.get_json(&format!("{ZONES}?zone=set.test."));
    assert_eq!(listed[0]["account"], "customer-42");
    assert_eq!(listed[0]["soa_edit_api"], "EPOCH");
    let (old, new) = patch_ok(
        &node,
        "set.test.",
        json!([{"name": "a.set.test.", "type": "A", "ttl": 60, "changetype": "REPLACE",
                "records": [{"content": "192.0.2.1"}]}]),
    );
    assert_eq!(u64::from(old), epoch);
    assert!(new > old, "the time, or one more when in the same second");

    // PUT: INCREASE makes the next serial the old one plus one; the kind
    // moves between Native and Master; the account can be cleared; what is
    // not sent stays.
    let put = node.send(
        "PUT",
        &path,
        &json!({"soa_edit_api": "INCREASE", "kind": "Master", "account": ""}),
    );
    assert_eq!(put.status, 204, "{}", put.text());
    let zone = node.get_json(&path);
    assert_eq!(zone["kind"], "Master");
    assert_eq!(zone["account"], "");
    assert_eq!(zone["soa_edit_api"], "INCREASE");
    assert_eq!(zone["serial_policy"], "increment");
    assert_eq!(zone["catalog"], "catalog.example.", "not sent, kept");
    assert_eq!(zone["serial"], new, "settings move no serial");
    let (old, next) = patch_ok(
        &node,
        "set.test.",
        json!([{"name": "b.set.test.", "type": "A", "ttl": 60, "changetype": "REPLACE",
                "records": [{"content": "192.0.2.2"}]}]),
    );
    assert_eq!((old, next), (new, new + 1));
    // DEFAULT is YYYYMMDDnn. The serial here is an EPOCH one (about
    // 1.7e9), older than today's first date serial (about 2.0e9), so the
    // next change jumps to today's YYYYMMDD01.
    let put = node.send(
        "PUT",
        &path,
        &json!({"soa_edit_api": "default", "kind": "Native"}),
    );
    assert_eq!(put.status, 204, "{}", put.text());
    let zone = node.get_json(&path);
    assert_eq!(zone["serial_policy"], "date");
    assert_eq!(zone["soa_edit_api"], "default", "as sent, case kept");
    assert_eq!(zone["kind"], "Native");
    let day_before = first_date_serial();
    let (old, dated) = patch_ok(
        &node,
        "set.test.",
        json!([{"name": "c.set.test.", "type": "A", "ttl": 60, "changetype": "REPLACE",
                "records": [{"content": "192.0.2.3"}]}]),
    );
    assert_eq!(old, next);
    assert!(
        [day_before, first_date_serial()].contains(&dated),
        "today's first date serial, not {dated}"
    );

    // Refusals name the field and the rule, and change nothing.
    let before = node.get(&path).text();
    let soa = rrset(&node.get_json(&path), "set.test.", "SOA").unwrap()["records"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    let cases = [
        (json!({"dnssec": true}), "dnssec"),
        (json!({"nsec3param": "1 0 1 ab"}), "nsec3param"),
        (json!({"nsec3narrow": true}), "nsec3narrow"),
        (json!({"soa_edit_api": "SOMETIMES"}), "soa_edit_api"),
        (json!({"soa_edit": "WEEKLY"}), "soa_edit"),
        (
            json!({"masters": ["192.0.2.1", "primary.example."]}),
            "masters[1]",
        ),
        (
            json!({"master_tsig_key_ids": ["a..b"]}),
            "master_tsig_key_ids[0]",
        ),
        (json!({"slave_tsig_key_ids": [""]}), "slave_tsig_key_ids[0]"),
        (json!({"catalog": "a..b."}), "catalog"),
        (json!({"kind": "Slave"}), "kind"),
        (json!({"kind": "Producer"}), "Producer"),
        (json!({"serial_policy": "random"}), "serial_policy: "),
        (json!({"account": 7}), "account"),
        // Content the store refuses (a CNAME beside the apex SOA and NS)
        // leaves the settings sent with it unwritten: one transaction.
        (
            json!({"account": "new-owner", "soa_edit_api": "INCREASE", "rrsets": [
                {"name": "set.test.", "type": "SOA", "ttl": 3600, "records": [{"content": soa}]},
                {"name": "set.test.", "type": "NS", "ttl": 60, "records": [{"content": "ns1.set.test."}]},
                {"name": "set.test.", "type": "CNAME", "ttl": 60, "records": [{"content": "elsewhere.example."}]}]}),
            "CNAME",
        ),
    ];
    for (body, needle) in &cases {
        refused(
            node.send("PUT", &path, body),
            422,
            needle,
            &body.to_string(),
        );
    }
    assert_eq!(node.get(&path).text(), before, "the zone is unchanged");

    // POST refusals create nothing; `serial` makes the SOA's serial.
    let zones_before = zone_count(&node);
    for (extra, needle) in &cases[..9] {
        let mut body =
            json!({"name": "no.test.", "kind": "Native", "nameservers": ["ns1.no.test."]});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        refused(
            node.send("POST", ZONES, &body),
            422,
            needle,
            &body.to_string(),
        );
    }
    assert_eq!(zone_count(&node), zones_before);
    let response = node.send(
        "POST",
        ZONES,
        &json!({"name": "serial.test.", "kind": "Native", "nameservers": ["ns1.serial.test."],
                "serial": 2024010203, "soa_edit_api": "INCREASE"}),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.json()["serial"], 2024010203u64);
    assert_eq!(
        ask(node.dns, "serial.test.", Rtype::SOA).rcode,
        Rcode::NOERROR
    );
}

#[test]
fn powerdns_validation_rules_refuse_and_change_nothing() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "rules", "");
    create_zone(
        &node,
        "rules.test.",
        json!([
            {"name": "child.rules.test.", "type": "NS", "ttl": 300, "records": [{"content": "ns.child.rules.test."}]},
            {"name": "child.rules.test.", "type": "DS", "ttl": 300,
             "records": [{"content": "60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118"}]},
            {"name": "dn.rules.test.", "type": "DNAME", "ttl": 300, "records": [{"content": "example.net."}]},
            // Comments alone, no records: kept, as PowerDNS keeps them.
            {"name": "later.rules.test.", "type": "A", "comments": [{"content": "reserved for later", "account": "ops"}]},
        ]),
    );
    let path = format!("{ZONES}/rules.test.");
    let zone = node.get_json(&path);
    let later = rrset(&zone, "later.rules.test.", "A").expect("the comment-only set");
    assert_eq!(later["comments"][0]["content"], "reserved for later");
    assert_eq!(later["records"], json!([]));
    let before = node.get(&path).text();
    let history = node.get(&format!("{path}/history")).text();
    let set = |name: &str, rtype: &str, content: &str| {
        json!([{"name": name, "type": rtype, "ttl": 60, "changetype": "REPLACE",
                "records": [{"content": content}]}])
    };
    let key = "257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";
    let cases = [
        (
            set("rules.test.", "MX", "10 mail@mx.rules.test."),
            "not a host name",
        ),
        (
            set("_sip._udp.rules.test.", "SRV", "0 5 5060 sip@x.rules.test."),
            "not a host name",
        ),
        (
            set("sub.rules.test.", "NS", "ns@sub.rules.test."),
            "not a host name",
        ),
        (set("sub2.rules.test.", "NS", "."), "not a host name"),
        (
            set("rules.test.", "MX", "10 _mx.rules.test."),
            "not a host name",
        ),
        (
            set("_x._tcp.rules.test.", "SRV", "0 0 1 -lead.rules.test."),
            "not a host name",
        ),
        (
            set(
                "rules.test.",
                "DS",
                "60485 5 1 2bb183af5f22588179a53b0a98631fad1a292118",
            ),
            "DS record cannot be at the zone apex",
        ),
        (
            set("www.rules.test.", "DNSKEY", key),
            "DNSKEY record belongs only at the zone apex",
        ),
        (
            set("child.rules.test.", "DNAME", "example.org."),
            "RFC 6672",
        ),
        (set("dn.rules.test.", "NS", "ns.example.net."), "RFC 6672"),
    ];
    for (rrsets, needle) in &cases {
        refused(
            patch(&node, "rules.test.", rrsets.clone()),
            422,
            needle,
            &rrsets.to_string(),
        );
    }
    assert_eq!(node.get(&path).text(), before, "the zone is unchanged");
    assert_eq!(node.get(&format!("{path}/history")).text(), history);
    // What the rules allow: CNAME and PTR targets are any name (service
    // labels, RFC 2317 classless delegation, DNS-SD instance names,
    // wildcards), the root as a null MX (RFC 7505) or SRV (RFC 2782), keys
    // at the apex.
    patch_ok(
        &node,
        "rules.test.",
        set("dkim.rules.test.", "CNAME", "s1._domainkey.example.net."),
    );
    patch_ok(
        &node,
        "rules.test.",
        set("1.rules.test.", "CNAME", "1.0/25.2.0.192.in-addr.arpa."),
    );
    patch_ok(
        &node,
        "rules.test.",
        set("wild.rules.test.", "CNAME", "*.example.net."),
    );
    patch_ok(
        &node,
        "rules.test.",
        set(
            "_ipp._tcp.rules.test.",
            "PTR",
            "My\\ Printer._ipp._tcp.rules.test.",
        ),
    );
    patch_ok(&node, "rules.test.", set("null.rules.test.", "MX", "0 ."));
    patch_ok(
        &node,
        "rules.test.",
        set("_none._tcp.rules.test.", "SRV", "0 0 0 ."),
    );
    let (rcode, ptr) = served(&node, "_ipp._tcp.rules.test.", Rtype::PTR);
    assert_eq!(rcode, Rcode::NOERROR);
    assert_eq!(ptr.len(), 1, "the DNS-SD PTR is served: {ptr:?}");
    assert_eq!(
        served(&node, "1.rules.test.", Rtype::CNAME).1,
        vec![(60, "1.0/25.2.0.192.in-addr.arpa.".to_string())]
    );
    patch_ok(&node, "rules.test.", set("rules.test.", "DNSKEY", key));

    // The statuses PowerDNS uses.
    refused(
        node.request("POST", ZONES, Some(&node.token), &[], Some("{\"name\": ")),
        400,
        "JSON",
        "malformed JSON",
    );
    refused(
        node.send(
            "POST",
            ZONES,
            &json!({"name": "rules.test.", "kind": "Native", "nameservers": ["ns1.rules.test."]}),
        ),
        409,
        "already exists",
        "an existing zone",
    );
    for method in ["GET", "PUT", "PATCH", "DELETE"] {
        let response = node.send(
            method,
            &format!("{ZONES}/nowhere.test."),
            &json!({"rrsets": []}),
        );
        refused(response, 404, "nowhere.test.", method);
    }
    refused(
        node.send("POST", ZONES, &json!({"kind": "Native"})),
        422,
        "name",
        "no name",
    );
    // PowerDNS endpoints hadns does not have (docs/api.md says why).
    for (method, tail) in [
        ("PUT", "rectify"),
        ("GET", "metadata"),
        ("GET", "cryptokeys"),
    ] {
        let response = node.request(
            method,
            &format!("{path}/{tail}"),
            Some(&node.token),
            &[],
            None,
        );
        refused(response, 404, tail, tail);
    }
}

#[test]
fn a_disabled_soa_takes_the_zone_out_of_service_and_keeps_it() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "off", "");
    create_zone(
        &node,
        "off.test.",
        json!([{"name": "www.off.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.1"}]}]),
    );
    let path = format!("{ZONES}/off.test.");
    let zone = node.get_json(&path);
    let soa = rrset(&zone, "off.test.", "SOA").unwrap()["records"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    let soa_set = |disabled: bool| {
        json!([{"name": "off.test.", "type": "SOA", "ttl": 3600, "changetype": "REPLACE",
                "records": [{"content": soa, "disabled": disabled}]}])
    };
    patch_ok(&node, "off.test.", soa_set(true));
    assert_eq!(
        ask(node.dns, "www.off.test.", Rtype::A).rcode,
        Rcode::REFUSED
    );
    assert_eq!(ask(node.dns, "off.test.", Rtype::SOA).rcode, Rcode::REFUSED);
    // Kept: listed, readable, with its data and the disabled SOA.
    let listed = node.get_json(&format!("{ZONES}?zone=off.test."));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let zone = node.get_json(&path);
    assert_eq!(
        rrset(&zone, "off.test.", "SOA").unwrap()["records"][0]["disabled"],
        true
    );
    assert!(rrset(&zone, "www.off.test.", "A").is_some());
    // Changes while it is out of service are kept, and served once it is back.
    patch_ok(
        &node,
        "off.test.",
        json!([{"name": "new.off.test.", "type": "A", "ttl": 60, "changetype": "REPLACE",
                "records": [{"content": "192.0.2.2"}]}]),
    );
    assert_eq!(
        ask(node.dns, "new.off.test.", Rtype::A).rcode,
        Rcode::REFUSED
    );
    // A zone out of service can be reverted (and the revert previewed):
    // its data goes back, its SOA stays disabled.
    let (before_tmp, _) = patch_ok(
        &node,
        "off.test.",
        json!([{"name": "tmp.off.test.", "type": "A", "ttl": 60, "changetype": "REPLACE",
                "records": [{"content": "192.0.2.9"}]}]),
    );
    let dry = node.send(
        "POST",
        &format!("{path}/revert?dry_run=true"),
        &json!({ "serial": before_tmp }),
    );
    assert_eq!(dry.status, 200, "{}", dry.text());
    assert!(dry.text().contains("tmp.off.test."), "{}", dry.text());
    let reverted = node.send(
        "POST",
        &format!("{path}/revert"),
        &json!({ "serial": before_tmp }),
    );
    assert_eq!(reverted.status, 200, "{}", reverted.text());
    let zone = node.get_json(&path);
    assert!(rrset(&zone, "tmp.off.test.", "A").is_none(), "reverted");
    assert!(rrset(&zone, "new.off.test.", "A").is_some());
    assert_eq!(
        rrset(&zone, "off.test.", "SOA").unwrap()["records"][0]["disabled"],
        true,
        "still out of service"
    );
    assert_eq!(ask(node.dns, "off.test.", Rtype::SOA).rcode, Rcode::REFUSED);
    refused(
        node.send("PUT", &format!("{path}/notify"), &json!({})),
        422,
        "SOA record is disabled",
        "NOTIFY of a zone out of service",
    );
    // A restart keeps it out of service (and starts, with the zone kept).
    let dns = node.dns;
    drop(node);
    let node = Node::start_on(root.path(), "off", dns, "");
    assert_eq!(
        ask(node.dns, "www.off.test.", Rtype::A).rcode,
        Rcode::REFUSED
    );
    assert_eq!(node.get(&path).status, 200);
    patch_ok(&node, "off.test.", soa_set(false));
    assert_eq!(
        served(&node, "new.off.test.", Rtype::A),
        (Rcode::NOERROR, vec![(60, "192.0.2.2".to_string())])
    );
    assert_eq!(
        served(&node, "www.off.test.", Rtype::A).1,
        vec![(300, "192.0.2.1".to_string())]
    );
}

#[test]
fn comment_only_apex_soa_and_ns_sets_in_post_keep_their_comments() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "notes", "");
    // Comments alone at the apex SOA and NS, with `nameservers`: the SOA
    // is made as for any POST without one, the NS set comes from
    // `nameservers`, and both keep the comments.
    let response = node.send(
        "POST",
        ZONES,
        &json!({
            "name": "notes.test.", "kind": "Native", "nameservers": ["ns1.notes.test."],
            "soa_edit_api": "INCREASE",
            "rrsets": [
                {"name": "notes.test.", "type": "SOA", "comments": [{"content": "made by hadns", "account": "ops"}]},
                {"name": "notes.test.", "type": "NS", "comments": [{"content": "ours", "account": "ops"}]},
            ],
        }),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let zone = node.get_json(&format!("{ZONES}/notes.test."));
    let soa = rrset(&zone, "notes.test.", "SOA").expect("the made SOA");
    assert_eq!(soa["records"].as_array().unwrap().len(), 1);
    assert_eq!(soa["comments"][0]["content"], "made by hadns");
    let ns = rrset(&zone, "notes.test.", "NS").expect("the NS set");
    assert_eq!(contents(ns), ["ns1.notes.test."]);
    assert_eq!(ns["comments"][0]["content"], "ours");
    assert_eq!(
        ask(node.dns, "notes.test.", Rtype::SOA).rcode,
        Rcode::NOERROR
    );
}

#[test]
fn put_writes_settings_and_content_as_one_and_keeps_concurrent_settings() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "put", "");
    let response = node.send(
        "POST",
        ZONES,
        &json!({"name": "order.test.", "kind": "Native", "nameservers": ["ns1.order.test."],
                "soa_edit_api": "EPOCH"}),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let path = format!("{ZONES}/order.test.");
    let zone = node.get_json(&path);
    let soa = rrset(&zone, "order.test.", "SOA").unwrap()["records"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    // The settings come first, so the content in the same PUT moves the
    // serial by the policy it chooses (DEFAULT: YYYYMMDDnn, where EPOCH
    // would give the time, about 1.7e9).
    let day_before = first_date_serial();
    let put = node.send(
        "PUT",
        &path,
        &json!({"soa_edit_api": "DEFAULT", "rrsets": [
            {"name": "order.test.", "type": "SOA", "ttl": 3600, "records": [{"content": soa}]},
            {"name": "order.test.", "type": "NS", "ttl": 3600, "records": [{"content": "ns1.order.test."}]},
            {"name": "www.order.test.", "type": "A", "ttl": 60, "records": [{"content": "192.0.2.1"}]}]}),
    );
    assert_eq!(put.status, 204, "{}", put.text());
    let serial: u32 = put.header("X-PDNS-New-Serial").unwrap().parse().unwrap();
    assert!(
        [day_before, first_date_serial()].contains(&serial),
        "the new policy's serial, not {serial}"
    );
    let zone = node.get_json(&path);
    assert_eq!(zone["soa_edit_api"], "DEFAULT");
    assert_eq!(zone["serial"], serial);
    assert_eq!(
        served(&node, "www.order.test.", Rtype::A).1,
        vec![(60, "192.0.2.1".to_string())]
    );

    // Two PUTs of different settings at once: each writes only its field,
    // merged in the store's transaction, so neither undoes the other.
    for round in 0..20 {
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            let account = scope.spawn(|| {
                barrier.wait();
                node.send("PUT", &path, &json!({"account": format!("a{round}")}))
            });
            let catalog = scope.spawn(|| {
                barrier.wait();
                node.send(
                    "PUT",
                    &path,
                    &json!({"catalog": format!("c{round}.example.")}),
                )
            });
            assert_eq!(account.join().unwrap().status, 204);
            assert_eq!(catalog.join().unwrap().status, 204);
        });
        let zone = node.get_json(&path);
        assert_eq!(zone["account"], format!("a{round}"), "round {round}");
        assert_eq!(
            zone["catalog"],
            format!("c{round}.example."),
            "round {round}"
        );
    }
}

#[test]
fn zone_text_in_post_makes_at_most_its_cap_of_records() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "cap", "");
    // Four $GENERATE lines ask for 262,144 records in a few hundred bytes.
    let text = "$ORIGIN cap.test.\n$TTL 60\n@ SOA ns1 h 1 1 1 1 1\n@ NS ns1\n\
                $GENERATE 1-65536 a$ A 192.0.2.1\n$GENERATE 1-65536 b$ A 192.0.2.1\n\
                $GENERATE 1-65536 c$ A 192.0.2.1\n$GENERATE 1-65536 d$ A 192.0.2.1\n";
    let response = node.send(
        "POST",
        ZONES,
        &json!({"name": "cap.test.", "kind": "Native", "zone": text}),
    );
    assert_eq!(response.status, 422, "{}", response.text());
    let error = response.error();
    assert!(
        error.starts_with("zone: line") && error.contains("200000"),
        "names `zone` and the cap: {error}"
    );
    assert_eq!(node.get(&format!("{ZONES}/cap.test.")).status, 404);
    // Under the cap, $GENERATE is fine.
    let small = "$ORIGIN ok.test.\n$TTL 60\n@ SOA ns1 h 1 1 1 1 1\n@ NS ns1\n\
                 $GENERATE 1-100 host$ A 192.0.2.1\n";
    let response = node.send(
        "POST",
        ZONES,
        &json!({"name": "ok.test.", "kind": "Native", "zone": small}),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(
        served(&node, "host42.ok.test.", Rtype::A).1,
        vec![(60, "192.0.2.1".to_string())]
    );
}

/// The owner and type of each RRset of a zone object, in order.
fn set_keys(zone: &Value) -> Vec<(String, String)> {
    zone["rrsets"]
        .as_array()
        .expect("rrsets")
        .iter()
        .map(|set| {
            (
                set["name"].as_str().unwrap().to_string(),
                set["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn zone_reads_filter_by_name_and_type_and_stream_large_zones_whole() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(
        root.path(),
        "reads",
        "[zone_defaults]\nallow_transfer = [\"127.0.0.1\"]\n",
    );
    create_zone(
        &node,
        "reads.test.",
        json!([
            {"name": "www.reads.test.", "type": "A", "ttl": 300,
             "records": [{"content": "192.0.2.1"}, {"content": "192.0.2.2", "disabled": true}],
             "comments": [{"content": "web", "account": "ops"}]},
            {"name": "www.reads.test.", "type": "AAAA", "ttl": 300,
             "records": [{"content": "2001:db8::1"}]},
            {"name": "mail.reads.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.25"}]},
        ]),
    );
    // Many RRsets, so the streamed answer spans several chunks.
    let many: Vec<Value> = (0..2500)
        .map(|i| {
            json!({"name": format!("h{i}.reads.test."), "type": "A", "ttl": 60,
                   "changetype": "REPLACE", "records": [{"content": format!("10.0.{}.{}", i / 250, i % 250)}]})
        })
        .collect();
    patch_ok(&node, "reads.test.", Value::Array(many));

    let pair = |name: &str, rtype: &str| (name.to_string(), rtype.to_string());
    let whole = node.get_json(&format!("{ZONES}/reads.test."));
    let keys = set_keys(&whole);
    let named: Vec<_> = keys.iter().filter(|(n, _)| !n.starts_with('h')).collect();
    assert_eq!(
        named,
        [
            &pair("reads.test.", "SOA"),
            &pair("reads.test.", "NS"),
            &pair("mail.reads.test.", "A"),
            &pair("www.reads.test.", "A"),
            &pair("www.reads.test.", "AAAA"),
        ],
        "the SOA first, then canonical order"
    );
    assert_eq!(keys.len(), 2500 + 5);
    assert_eq!(keys[0], ("reads.test.".to_string(), "SOA".to_string()));
    let unique: std::collections::BTreeSet<_> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "no RRset twice across chunks");
    assert_eq!(
        contents(rrset(&whole, "www.reads.test.", "A").unwrap()),
        ["192.0.2.1", "192.0.2.2"]
    );
    assert_eq!(
        rrset(&whole, "www.reads.test.", "A").unwrap()["comments"][0]["content"],
        "web"
    );
    assert!(whole["serial"].as_u64().unwrap() >= 2);

    let get = |query: &str| node.get_json(&format!("{ZONES}/reads.test.?{query}"));
    assert_eq!(
        set_keys(&get("rrset_name=www.reads.test.")),
        [
            pair("www.reads.test.", "A"),
            pair("www.reads.test.", "AAAA")
        ],
        "a name: every type there"
    );
    assert_eq!(
        set_keys(&get("rrset_name=WWW.Reads.Test&rrset_type=aaaa")),
        [pair("www.reads.test.", "AAAA")],
        "name and type, in any case, the final dot optional"
    );
    let only_soa = get("rrset_type=SOA");
    assert_eq!(
        set_keys(&only_soa),
        [pair("reads.test.", "SOA")],
        "a type alone"
    );
    let a_sets = set_keys(&get("rrset_type=A"));
    assert_eq!(a_sets.len(), 2500 + 2, "every A set, across chunks");
    assert!(a_sets.iter().all(|(_, t)| t == "A"));
    assert_eq!(
        set_keys(&get("rrset_name=reads.test.")),
        [pair("reads.test.", "SOA"), pair("reads.test.", "NS")],
        "the apex: the SOA first"
    );
    assert_eq!(
        get("rrset_name=absent.reads.test.")["rrsets"],
        json!([]),
        "a name without RRsets"
    );
    assert_eq!(get("rrset_name=www.elsewhere.test.")["rrsets"], json!([]));
    let enabled = get("rrset_name=www.reads.test.&rrset_type=A&include_disabled=false");
    assert_eq!(contents(&enabled["rrsets"][0]), ["192.0.2.1"]);
    let bare = get("rrsets=false");
    assert!(bare.get("rrsets").is_none(), "{bare}");
    assert_eq!(bare["serial"], whole["serial"]);

    for (query, needle) in [
        ("rrset_type=NOPE", "rrset_type"),
        ("rrset_name=a..b", "rrset_name"),
        ("rrsets=maybe", "rrsets"),
    ] {
        let response = node.get(&format!("{ZONES}/reads.test.?{query}"));
        assert_eq!(response.status, 422, "{query}: {}", response.text());
        assert!(
            response.error().contains(needle),
            "{query}: {}",
            response.error()
        );
    }
    assert_eq!(node.get(&format!("{ZONES}/nothing.test.")).status, 404);

    // The export streams too: one $ORIGIN, and what DNS serves.
    let export = node.get(&format!("{ZONES}/reads.test./export"));
    assert_eq!(export.status, 200);
    let text = export.text();
    assert_eq!(text.matches("$ORIGIN").count(), 1, "one $ORIGIN line");
    assert!(text.lines().nth(1).unwrap().contains("\tSOA\t"));
    assert!(
        !text.contains("192.0.2.2\n"),
        "disabled records are not exported"
    );
    let origin: wire::Name = "reads.test.".parse().unwrap();
    let parsed = zonefile::parse_str(&text, &origin, Path::new("export")).expect("export parses");
    let exported = common::record_set(parsed.records.iter().map(|r| &r.record));
    let (axfr, _) = common::axfr(node.dns, "reads.test.", None).expect("AXFR from loopback");
    common::assert_same_records(
        "export",
        "the export",
        &exported,
        "AXFR",
        &common::record_set(&axfr),
    );
}
