//! The PowerDNS TSIG key endpoints, `/config`, `/statistics` and CORS over
//! real HTTP against running `hadns serve --config …` nodes: keys listed,
//! created (given and generated secrets), read, renamed, replaced and
//! deleted; every refusal with PowerDNS's status and the keys unchanged;
//! configuration keys read-only; a key made through the API used at once
//! by `dig -y` for an AXFR and by `nsupdate -y` for an UPDATE, and refused
//! (BADKEY) once deleted.

mod common;

use std::process::{Command, Stdio};

use common::{ApiNode as Node, HttpResponse, ask, require_program};
use serde_json::{Value, json};
use wire::{Rcode, Rtype};

/// The TSIG keys endpoint.
const KEYS: &str = "/api/v1/servers/localhost/tsigkeys";

/// The secret of the configuration's key in these tests; it must never be
/// shown by `/config` nor in key lists.
const CONFIG_SECRET: &str = "Q29uZmlnU2VjcmV0T2ZUaGVOb2RlMDEyMzQ1Njc4OTA=";

/// A `[[key]]` named `cfg-key`.
fn config_key() -> String {
    format!(
        "[[key]]\nname = \"cfg-key\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{CONFIG_SECRET}\"\n"
    )
}

/// Everything the API says about the keys, secrets included: the list and
/// each key read one by one. Equal before and after a refused request
/// means the request changed nothing.
fn key_snapshot(node: &Node) -> Vec<Value> {
    let list = node.get_json(KEYS);
    let mut out = vec![list.clone()];
    for key in list.as_array().unwrap() {
        let id = key["id"].as_str().unwrap();
        out.push(node.get_json(&format!("{KEYS}/{id}")));
    }
    out
}

/// Asserts a refusal: its status, that the message names `word`, and that
/// the keys are as they were.
fn assert_refused(node: &Node, response: HttpResponse, status: u16, word: &str, before: &[Value]) {
    assert_eq!(response.status, status, "{}", response.text());
    let message = response.error();
    assert!(message.contains(word), "`{word}` not in: {message}");
    assert_eq!(
        key_snapshot(node),
        before,
        "a refused request changed the keys"
    );
}

/// The decoded length of a base64 secret.
fn secret_len(text: &str) -> usize {
    wire::base64::decode(text).unwrap().len()
}

#[test]
fn tsig_keys_are_managed_like_powerdns_and_refusals_change_nothing() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "keys", &config_key());

    // The configuration's key is listed, read-only, without its secret.
    let list = node.get_json(KEYS);
    assert_eq!(
        list,
        json!([{"name": "cfg-key", "id": "cfg-key.", "algorithm": "hmac-sha256", "key": "",
                "type": "TSIGKey", "source": "config"}])
    );

    // Created with a given secret: 201, the key as PowerDNS shows it.
    let given = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let response = node.send(
        "POST",
        KEYS,
        &json!({"name": "Given-Key", "algorithm": "hmac-sha256", "key": given}),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(
        response.header("location"),
        Some("/api/v1/servers/localhost/tsigkeys/given-key.")
    );
    assert_eq!(
        response.json(),
        json!({"name": "given-key", "id": "given-key.", "algorithm": "hmac-sha256", "key": given,
               "type": "TSIGKey", "source": "store"})
    );
    // Generated secrets are as long as each algorithm's output; wire names
    // of algorithms are accepted.
    for (name, algorithm, length) in [
        ("gen-512", "hmac-sha512", 64),
        ("gen-md5", "hmac-md5.sig-alg.reg.int.", 16),
    ] {
        let response = node.send("POST", KEYS, &json!({"name": name, "algorithm": algorithm}));
        assert_eq!(response.status, 201, "{}", response.text());
        let key = response.json();
        assert_eq!(secret_len(key["key"].as_str().unwrap()), length, "{key}");
        let read = node.get_json(&format!("{KEYS}/{name}"));
        assert_eq!(read, key, "GET shows the secret made at creation");
    }
    assert_eq!(
        node.get_json(&format!("{KEYS}/gen-md5."))["algorithm"],
        "hmac-md5"
    );

    // Lists leave every secret out.
    let list = node.get_json(KEYS);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cfg-key", "gen-512", "gen-md5", "given-key"]);
    assert!(
        list.as_array().unwrap().iter().all(|k| k["key"] == ""),
        "{list}"
    );
    assert!(!list.to_string().contains(CONFIG_SECRET));

    // Every refusal: PowerDNS's status, a message naming what is wrong,
    // and the keys exactly as they were.
    let before = key_snapshot(&node);
    let post = |body: Value| node.send("POST", KEYS, &body);
    assert_refused(
        &node,
        post(json!({"name": "given-key.", "algorithm": "hmac-sha1"})),
        409,
        "given-key",
        &before,
    );
    assert_refused(
        &node,
        post(json!({"name": "CFG-KEY", "algorithm": "hmac-sha256"})),
        409,
        "configuration",
        &before,
    );
    assert_refused(
        &node,
        post(json!({"name": "new", "algorithm": "hmac-sha3"})),
        422,
        "`algorithm`",
        &before,
    );
    assert_refused(
        &node,
        post(json!({"name": "new", "algorithm": "hmac-sha256", "key": "not base64!"})),
        422,
        "`key`",
        &before,
    );
    assert_refused(
        &node,
        post(json!({"algorithm": "hmac-sha256"})),
        422,
        "name",
        &before,
    );
    assert_refused(
        &node,
        post(json!({"name": "a..b", "algorithm": "hmac-sha256"})),
        422,
        "`name`",
        &before,
    );
    assert_refused(
        &node,
        node.request("POST", KEYS, Some(&node.token), &[], Some("{\"name\": ")),
        400,
        "JSON",
        &before,
    );
    let put = |id: &str, body: Value| node.send("PUT", &format!("{KEYS}/{id}"), &body);
    assert_refused(
        &node,
        put("nope.", json!({"key": given})),
        404,
        "nope",
        &before,
    );
    assert_refused(
        &node,
        put("given-key.", json!({"name": "gen-512"})),
        409,
        "gen-512",
        &before,
    );
    assert_refused(
        &node,
        put("given-key.", json!({"name": "cfg-key"})),
        409,
        "configuration",
        &before,
    );
    assert_refused(
        &node,
        put("given-key.", json!({"algorithm": "md4"})),
        422,
        "`algorithm`",
        &before,
    );
    assert_refused(
        &node,
        put("given-key.", json!({"key": "%%%"})),
        422,
        "`key`",
        &before,
    );
    assert_refused(
        &node,
        put("cfg-key.", json!({"key": given})),
        422,
        "configuration",
        &before,
    );
    let delete = |id: &str| {
        node.request(
            "DELETE",
            &format!("{KEYS}/{id}"),
            Some(&node.token),
            &[],
            None,
        )
    };
    assert_refused(&node, delete("cfg-key."), 422, "configuration", &before);
    assert_refused(&node, delete("nope."), 404, "nope", &before);
    assert_refused(
        &node,
        node.get(&format!("{KEYS}/nope.")),
        404,
        "nope",
        &before,
    );
    // A read-only token may read but not write.
    let read_only = Command::new(common::hadns_binary())
        .args(["token", "create", "viewer", "--read-only", "--data-dir"])
        .arg(node.dir.join("data"))
        .output()
        .unwrap();
    let viewer = String::from_utf8_lossy(&read_only.stdout)
        .split_whitespace()
        .find(|w| w.starts_with("hadns_"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no token printed: {read_only:?}"));
    let response = node.request(
        "POST",
        KEYS,
        Some(&viewer),
        &[],
        Some(r#"{"name": "x", "algorithm": "hmac-sha1"}"#),
    );
    assert_refused(&node, response, 403, "read-only", &before);
    // A read-only token reads keys without their secrets (with one, it
    // could sign UPDATEs that allow_update admits), and no token ever gets
    // the secret of a [[key]] of the configuration.
    let read = node.request(
        "GET",
        &format!("{KEYS}/given-key."),
        Some(&viewer),
        &[],
        None,
    );
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(
        (read.json()["name"].as_str(), read.json()["key"].as_str()),
        (Some("given-key"), Some(""))
    );
    assert_eq!(node.get_json(&format!("{KEYS}/given-key."))["key"], given);
    let configured = node.get_json(&format!("{KEYS}/cfg-key."));
    assert_eq!(
        (configured["source"].as_str(), configured["key"].as_str()),
        (Some("config"), Some(""))
    );
    assert!(
        !node
            .get(&format!("{KEYS}/cfg-key."))
            .text()
            .contains(CONFIG_SECRET)
    );

    // Rename: the key moves to its new name with its secret.
    let response = put("Given-Key", json!({"name": "renamed"}));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["id"], "renamed.");
    assert_eq!(response.json()["key"], given);
    assert_eq!(node.get(&format!("{KEYS}/given-key.")).status, 404);
    assert_eq!(node.get_json(&format!("{KEYS}/renamed."))["key"], given);
    // Replace algorithm and secret; fields left out stay.
    let fresh = "c2Vjb25kLXNlY3JldA==";
    let response = put("renamed.", json!({"algorithm": "hmac-sha1", "key": fresh}));
    assert_eq!(response.status, 200, "{}", response.text());
    let read = node.get_json(&format!("{KEYS}/renamed."));
    assert_eq!(
        (
            read["name"].as_str(),
            read["algorithm"].as_str(),
            read["key"].as_str()
        ),
        (Some("renamed"), Some("hmac-sha1"), Some(fresh))
    );
    // Delete: 204, gone.
    let response = delete("renamed.");
    assert_eq!(response.status, 204, "{}", response.text());
    assert!(response.body.is_empty());
    assert_eq!(node.get(&format!("{KEYS}/renamed.")).status, 404);
    assert_eq!(node.get_json(KEYS).as_array().unwrap().len(), 3);
}

/// What `dig` printed for an AXFR of `zone` signed with `alg:name:secret`.
fn dig_axfr(node: &Node, zone: &str, dash_y: &str) -> String {
    let dig = require_program("dig", "bind9-dnsutils");
    let output = Command::new(dig)
        .args(["-y", dash_y, "-p"])
        .arg(node.dns.port().to_string())
        .args(["@127.0.0.1", zone, "AXFR", "+time=5", "+tries=1"])
        .stdin(Stdio::null())
        .output()
        .expect("run dig");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `nsupdate -y dash_y` with `script` against the node; returns
/// whether it succeeded and what it printed.
fn nsupdate(node: &Node, dash_y: &str, script: &str) -> (bool, String) {
    use std::io::Write;
    let program = require_program("nsupdate", "bind9-dnsutils");
    let mut child = Command::new(program)
        .args(["-y", dash_y, "-t", "5"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nsupdate");
    let input = format!(
        "server 127.0.0.1 {}\nzone keys.test\n{script}\nsend\n",
        node.dns.port()
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().expect("nsupdate finishes");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[test]
fn a_key_made_through_the_api_admits_transfers_and_updates_at_once() {
    let root = tempfile::tempdir().unwrap();
    // The zone's ACLs name a key the configuration does not have: it will
    // be made through the API.
    let node = Node::start(
        root.path(),
        "xfr",
        "[[zone]]\nname = \"keys.test\"\nallow_transfer = [\"key api-xfr\"]\nallow_update = [\"key api-xfr\"]\n",
    );
    assert!(
        node.process.log_text().contains("api-xfr"),
        "no warning about the key the store lacks:\n{}",
        node.process.log_text()
    );
    let response = node.send(
        "POST",
        "/api/v1/servers/localhost/zones",
        &json!({"name": "keys.test.", "kind": "Native", "nameservers": ["ns1.keys.test."],
                "rrsets": [{"name": "www.keys.test.", "type": "A", "ttl": 300,
                            "records": [{"content": "192.0.2.80", "disabled": false}]}]}),
    );
    assert_eq!(response.status, 201, "{}", response.text());

    // Before the key exists the signed transfer is refused (BADKEY).
    let guess = "hmac-sha256:api-xfr:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let refused = dig_axfr(&node, "keys.test", guess);
    assert!(
        !refused.contains("192.0.2.80") && refused.contains("BADKEY"),
        "{refused}"
    );

    let response = node.send(
        "POST",
        KEYS,
        &json!({"name": "api-xfr", "algorithm": "hmac-sha256"}),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let secret = response.json()["key"].as_str().unwrap().to_string();
    let dash_y = format!("hmac-sha256:api-xfr:{secret}");

    // At once: dig's AXFR signed with the new key is granted and verified.
    let transfer = dig_axfr(&node, "keys.test", &dash_y);
    assert!(transfer.contains("192.0.2.80"), "{transfer}");
    assert!(
        transfer.contains("XFR size") && !transfer.contains("failed"),
        "{transfer}"
    );
    // And nsupdate's UPDATE signed with it is applied.
    let (ok, out) = nsupdate(&node, &dash_y, "update add new.keys.test. 300 A 192.0.2.81");
    assert!(ok, "nsupdate failed: {out}");
    let answer = ask(node.dns, "new.keys.test.", Rtype::A);
    assert_eq!(answer.rcode, Rcode::NOERROR);
    assert_eq!(answer.answer.len(), 1, "{answer:?}");

    // Deleted: the same transfer is refused at once, and so is an update.
    let response = node.request(
        "DELETE",
        &format!("{KEYS}/api-xfr."),
        Some(&node.token),
        &[],
        None,
    );
    assert_eq!(response.status, 204, "{}", response.text());
    let refused = dig_axfr(&node, "keys.test", &dash_y);
    assert!(!refused.contains("192.0.2.80"), "{refused}");
    assert!(
        refused.contains("BADKEY") && refused.contains("Transfer failed"),
        "{refused}"
    );
    let (ok, out) = nsupdate(
        &node,
        &dash_y,
        "update add late.keys.test. 300 A 192.0.2.82",
    );
    assert!(!ok, "an update signed with a deleted key was taken: {out}");
    assert_eq!(
        ask(node.dns, "late.keys.test.", Rtype::A).rcode,
        Rcode::NXDOMAIN
    );
}

#[test]
fn config_and_statistics_have_powerdns_shapes_and_no_secrets() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(root.path(), "conf", &config_key());
    let response = node.get("/api/v1/servers/localhost/config");
    assert_eq!(response.status, 200, "{}", response.text());
    let text = response.text();
    assert!(!text.contains(CONFIG_SECRET), "/config shows a TSIG secret");
    assert!(!text.contains(&node.token), "/config shows the API token");
    let settings = response.json();
    let settings = settings.as_array().unwrap();
    for item in settings {
        assert_eq!(item["type"], "ConfigSetting", "{item}");
        assert!(
            item["name"].is_string() && item["value"].is_string(),
            "{item}"
        );
    }
    let value = |name: &str| {
        settings
            .iter()
            .find(|s| s["name"] == name)
            .and_then(|s| s["value"].as_str())
            .unwrap_or_else(|| panic!("no setting {name}"))
            .to_string()
    };
    assert_eq!(value("node.name"), "conf");
    assert_eq!(value("dns.listen"), node.dns.to_string());
    assert_eq!(value("api.listen"), node.api.to_string());
    assert_eq!(value("key[0].name"), "cfg-key.");
    assert_eq!(value("key[0].algorithm"), "hmac-sha256");

    let statistics = node.get_json("/api/v1/servers/localhost/statistics");
    let statistics = statistics.as_array().unwrap();
    for item in statistics {
        assert_eq!(item["type"], "StatisticItem", "{item}");
        let value = item["value"].as_str().unwrap_or_else(|| panic!("{item}"));
        assert!(value.parse::<u64>().is_ok(), "{item}");
    }
    let stat = |name: &str| -> u64 {
        statistics
            .iter()
            .find(|s| s["name"] == name)
            .and_then(|s| s["value"].as_str())
            .unwrap_or_else(|| panic!("no statistic {name}"))
            .parse()
            .unwrap()
    };
    assert_eq!(stat("tsig-keys"), 1);
    assert_eq!(stat("zones-in-store"), 0);
    let _ = stat("uptime");
    let one = node.get_json("/api/v1/servers/localhost/statistics?statistic=tsig-keys");
    assert_eq!(
        one,
        json!([{"type": "StatisticItem", "name": "tsig-keys", "value": "1"}])
    );
    let response = node.get("/api/v1/servers/localhost/statistics?statistic=nope");
    assert_eq!(response.status, 422, "{}", response.text());
    assert!(response.error().contains("nope"));
    let response = node.get("/api/v1/servers/localhost/statistics?includerings=false");
    assert_eq!(response.status, 200, "{}", response.text());

    // Without `cors_origins` no CORS header is ever sent.
    let response = node.request(
        "OPTIONS",
        KEYS,
        None,
        &[
            ("Origin", "https://admin.example"),
            ("Access-Control-Request-Method", "GET"),
        ],
        None,
    );
    assert!(response.header("access-control-allow-origin").is_none());
}

#[test]
fn cors_preflights_are_answered_for_allowed_origins_only() {
    let root = tempfile::tempdir().unwrap();
    let node = Node::start(
        root.path(),
        "cors",
        "cors_origins = [\"https://admin.example\"]\n",
    );
    let preflight = |origin: &str| {
        node.request(
            "OPTIONS",
            "/api/v1/servers/localhost/zones",
            None,
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "x-api-key, content-type"),
            ],
            None,
        )
    };
    let allowed = preflight("https://admin.example");
    assert_eq!(allowed.status, 204, "{}", allowed.text());
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://admin.example")
    );
    let methods = allowed.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let headers = allowed
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        headers.contains("x-api-key") && headers.contains("content-type"),
        "{headers}"
    );
    assert!(allowed.header("access-control-max-age").is_some());
    assert!(allowed.header("access-control-allow-credentials").is_none());

    let denied = preflight("https://evil.example");
    assert_ne!(denied.status, 204);
    assert!(
        denied
            .headers
            .iter()
            .all(|(name, _)| !name.starts_with("access-control-")),
        "{:?}",
        denied.headers
    );

    // Actual responses: the allowed origin is named, with Vary: Origin.
    let get = |origin: &str| {
        node.request(
            "GET",
            "/api/v1/servers/localhost",
            Some(&node.token),
            &[("Origin", origin)],
            None,
        )
    };
    let response = get("https://admin.example");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://admin.example")
    );
    let vary = response
        .header("vary")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(vary.contains("origin"), "{vary}");
    let response = get("https://evil.example");
    assert_eq!(response.status, 200);
    assert!(response.header("access-control-allow-origin").is_none());
}
