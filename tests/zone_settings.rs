//! The zone settings page (issue [11/13]) in headless Chromium against a
//! running `hadns serve`, each effect checked over DNS or the API: SOA
//! timers and RNAME served with a bumped serial, allow-transfer refusing
//! and allowing an AXFR from 127.0.0.1, a NOTIFY reaching a socket the
//! test binds after a record change, the catalog group in the produced
//! catalog, a `[[zone]]` that writes
//! allow_transfer shown read-only and winning, the new-record TTL
//! pre-filled with the zone's default TTL, bad input refused beside its
//! field with nothing changed. Screenshots at 1280 and 390 px go to
//! `target/ui-screenshots/`.

mod common;

use std::net::UdpSocket;
use std::time::Duration;

use common::webdriver::{Browser, screenshots};
use common::{ApiNode, ask, axfr, soa_serial};
use serde_json::json;
use wire::{Name, Rtype};

/// The SOA `node` serves for `zone`: (RNAME, [serial, refresh, retry,
/// expire, minimum]).
fn soa(node: &ApiNode, zone: &str) -> (Name, [u32; 5]) {
    let answer = ask(node.dns, zone, Rtype::SOA);
    let record = answer
        .answer
        .iter()
        .find(|r| r.rdata().len() > 20)
        .expect("an SOA record");
    let rdata = record.rdata();
    let (_, end) = Name::parse_uncompressed(rdata, 0).unwrap();
    let (rname, _) = Name::parse_uncompressed(rdata, end).unwrap();
    (rname, wire::rdata::soa_numbers(rdata).unwrap())
}

/// Saves the settings form and waits for the confirmation.
fn save(browser: &Browser) {
    browser.click_on("form.settings button[type=submit]");
    browser.wait_for("#settings-saved", "Saved");
}

#[test]
fn an_operator_changes_a_zones_settings_and_dns_follows() {
    let dir = tempfile::tempdir().unwrap();
    // fixed.test is kept in the store with a [[zone]] that writes
    // allow_transfer: the file wins over the page.
    let node = ApiNode::start(
        dir.path(),
        "hadns",
        "[[zone]]\nname = \"fixed.test\"\nallow_transfer = [\"127.0.0.0/8\"]\n\
         [catalog]\nproduce = \"catalog.test.\"\nallow_transfer = [\"127.0.0.0/8\"]\n",
    );
    node.create_zone("set.test.", json!([]));
    node.create_zone("fixed.test.", json!([]));
    let base = format!("http://{}", node.api);
    let browser = Browser::start(dir.path(), 1280, 900);
    browser.open(&format!("{base}/ui/login"));
    browser.fill("#username", "admin");
    browser.fill("#password", &node.initial_password());
    browser.click_on("section.login button[type=submit]");
    browser.wait_for("h1", "Zones");

    // The zone page links to its settings.
    browser.open(&format!("{base}/ui/zones/set.test."));
    browser.click_on("#settings-link");
    browser.wait_for("h1", "Settings of set.test.");
    // RNAME is shown as the mailbox it stands for.
    assert!(
        browser.source().contains("value=\"hostmaster@set.test\""),
        "RNAME as an address"
    );
    browser.screenshot(&screenshots().join("settings.png"));
    browser.resize(390, 844);
    browser.screenshot(&screenshots().join("settings-phone.png"));
    browser.resize(1280, 900);

    // SOA timers (with units), RNAME as an address, a default TTL: the SOA
    // served has them, with the next serial.
    let (_, before) = soa(&node, "set.test.");
    browser.fill("#set-rname", "dns.admin@set.test");
    browser.fill("#set-refresh", "2h");
    browser.fill("#set-retry", "15m");
    browser.fill("#set-expire", "2w");
    browser.fill("#set-minimum", "5m");
    browser.fill("#set-default_ttl", "10m");
    save(&browser);
    browser.wait_for("#settings-saved", &format!("serial now {}", before[0] + 1));
    let (rname, numbers) = soa(&node, "set.test.");
    assert_eq!(rname.to_string(), "dns\\.admin.set.test.");
    assert_eq!(numbers, [before[0] + 1, 7200, 900, 1_209_600, 300]);
    // One journal entry, from the UI.
    let history = node.get_json("/api/v1/servers/localhost/zones/set.test./history");
    assert_eq!(history[0]["source"], "ui");
    assert_eq!(history[0]["serial_to"], before[0] + 1);

    // New records are offered the zone's default TTL.
    browser.open(&format!("{base}/ui/zones/set.test."));
    browser.wait_for("h1", "set.test.");
    assert!(
        browser
            .source()
            .contains("id=\"rec-ttl\" name=\"ttl\" inputmode=\"numeric\" value=\"600\""),
        "the TTL field holds 600"
    );

    // allow-transfer: nobody by [zone_defaults]; 127.0.0.1 allowed here;
    // then a key, then none: refused; then back.
    assert!(axfr(node.dns, "set.test.", None).is_err());
    let transfer = |list: &str| {
        browser.open(&format!("{base}/ui/zones/set.test./settings"));
        browser.fill("#set-allow_transfer", list);
        save(&browser);
    };
    transfer("127.0.0.1");
    axfr(node.dns, "set.test.", None).expect("127.0.0.1 may transfer");
    transfer("key xfr");
    let refused = axfr(node.dns, "set.test.", None).unwrap_err();
    assert!(refused.contains("REFUSED"), "{refused}");
    transfer("none");
    let refused = axfr(node.dns, "set.test.", None).unwrap_err();
    assert!(refused.contains("REFUSED"), "{refused}");
    transfer("127.0.0.0/8");
    axfr(node.dns, "set.test.", None).expect("allowed again");

    // A NOTIFY target on a socket of our own: saving it moves no serial;
    // the next record change is announced there.
    let target = UdpSocket::bind("127.0.0.77:0").unwrap();
    target
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let port = target.local_addr().unwrap().port();
    browser.open(&format!("{base}/ui/zones/set.test./settings"));
    browser.fill("#set-notify", &format!("127.0.0.77:{port}"));
    save(&browser);
    browser.wait_for("#settings-saved", "serial did not move");
    let patch = node.send(
        "PATCH",
        "/api/v1/servers/localhost/zones/set.test.",
        &json!({"rrsets": [{"name": "www.set.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
            "records": [{"content": "192.0.2.7", "disabled": false}]}]}),
    );
    assert_eq!(patch.status, 204, "{}", patch.text());
    let mut datagram = [0u8; 512];
    let (length, _) = target.recv_from(&mut datagram).expect("a NOTIFY");
    let message = wire::message::Message::parse(&datagram[..length]).unwrap();
    assert_eq!((datagram[2] >> 3) & 0x0f, 4, "opcode NOTIFY");
    assert_eq!(message.questions[0].qname.to_string(), "set.test.");

    // Bad input: refused beside its fields, nothing changed (checked
    // through the API and over DNS).
    let settings_before = node.get_json("/api/v1/servers/localhost/zones/set.test./settings");
    let serial_before = soa_serial(node.dns, "set.test.");
    browser.open(&format!("{base}/ui/zones/set.test./settings"));
    browser.fill("#set-mname", "not a name");
    browser.fill("#set-refresh", "1h");
    browser.fill("#set-allow_update", "192.0.2.1, 192.0.2.300");
    browser.click_on("form.settings button[type=submit]");
    browser.wait_for("#settings-refused", "Nothing was saved");
    browser.wait_for("#set-mname-error", "not a domain name");
    browser.wait_for("#set-allow_update-error", "192.0.2.300");
    // What was typed stays in the form.
    assert!(browser.source().contains("value=\"not a name\""));
    assert_eq!(
        node.get_json("/api/v1/servers/localhost/zones/set.test./settings"),
        settings_before
    );
    assert_eq!(soa_serial(node.dns, "set.test."), serial_before);
    assert_eq!(soa(&node, "set.test.").1[1], 7200);
    // Reloading the URL the form posted to shows the page again.
    assert!(browser.url().ends_with("/settings"), "{}", browser.url());
    browser.open(&browser.url());
    browser.wait_for("h1", "Settings of set.test.");

    // An EXPIRE shorter than REFRESH + RETRY is saved with a warning.
    browser.fill("#set-expire", "1h");
    save(&browser);
    browser.wait_for("#set-expire-warning", "RFC 1912");
    assert_eq!(soa(&node, "set.test.").1[3], 3600);

    // A catalog group: the produced catalog (RFC 9432) lists set.test.
    // with it.
    let groups = |catalog: &[wire::Record]| -> Vec<Vec<u8>> {
        catalog
            .iter()
            .filter(|r| r.rtype == Rtype::TXT && r.owner.to_string().starts_with("group."))
            .map(|r| r.rdata.clone())
            .collect()
    };
    let (catalog, _) = axfr(node.dns, "catalog.test.", None).unwrap();
    assert!(groups(&catalog).is_empty());
    browser.open(&format!("{base}/ui/zones/set.test./settings"));
    browser.fill("#set-catalog_group", "blue");
    save(&browser);
    let (catalog, _) = axfr(node.dns, "catalog.test.", None).unwrap();
    assert_eq!(groups(&catalog), [b"\x04blue".to_vec()]);

    // fixed.test: allow_transfer is hadns.toml's, shown read-only, and a
    // store value (set through the API) does not change what is served.
    browser.open(&format!("{base}/ui/zones/fixed.test./settings"));
    browser.wait_for("#set-allow_transfer-hint", "Set in hadns.toml");
    assert!(browser.source().contains("readonly"));
    let mut body = node.get_json("/api/v1/servers/localhost/zones/fixed.test./settings");
    assert_eq!(body["configured"]["allow_transfer"], "127.0.0.0/8");
    body["allow_transfer"] = json!(["none"]);
    let put = node.send(
        "PUT",
        "/api/v1/servers/localhost/zones/fixed.test./settings",
        &body,
    );
    assert_eq!(put.status, 200, "{}", put.text());
    axfr(node.dns, "fixed.test.", None).expect("the configuration's allow_transfer wins");
    // The same PUT on set.test. takes effect.
    let mut body = node.get_json("/api/v1/servers/localhost/zones/set.test./settings");
    body["allow_transfer"] = json!(["none"]);
    let put = node.send(
        "PUT",
        "/api/v1/servers/localhost/zones/set.test./settings",
        &body,
    );
    assert_eq!(put.status, 200, "{}", put.text());
    assert!(axfr(node.dns, "set.test.", None).is_err());
    // A bad PUT names its key and changes nothing.
    body["retry"] = json!("often");
    let put = node.send(
        "PUT",
        "/api/v1/servers/localhost/zones/set.test./settings",
        &body,
    );
    assert_eq!(put.status, 422, "{}", put.text());
    assert!(put.text().contains("retry"), "{}", put.text());

    // Every save is in the audit log: the page's as admin from
    // 127.0.0.1, the API's with its token, the refused one as a failure.
    let audit = node.get_json("/api/v1/audit?action=zone.settings&target=set.test.");
    let events = audit["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["client"] == "127.0.0.1"
            && e["token"].is_null()
            && e["outcome"] == "success"),
        "{audit}"
    );
    assert!(
        events
            .iter()
            .any(|e| !e["token"].is_null() && e["outcome"] == "success"),
        "{audit}"
    );
    assert_eq!(events[0]["outcome"], "failure", "{audit}");
    assert!(
        events[0]["detail"].as_str().unwrap().contains("retry"),
        "{audit}"
    );
}
