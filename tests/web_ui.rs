//! The web UI in a real browser (headless Chromium driven over WebDriver)
//! against a running `hadns serve`: log in, create a zone, add a record and
//! see it answered over DNS, have a bad record refused beside its field
//! with nothing changed, edit, delete, revert from the history, log out.
//! Screenshots of the zone and history pages go to
//! `target/ui-screenshots/`. Plain HTTP checks the rest: CSRF and origin
//! refusals, and login rate limiting.

mod common;

use std::net::Ipv4Addr;
use std::path::PathBuf;

use common::webdriver::Browser;
use common::{ApiNode, ask, http_request, soa_serial};
use wire::{Rcode, Rtype};

/// The A records `node` serves at `name`, sorted.
fn addresses(node: &ApiNode, name: &str) -> (Rcode, Vec<Ipv4Addr>) {
    let answer = ask(node.dns, name, Rtype::A);
    let mut found: Vec<Ipv4Addr> = answer
        .answer
        .iter()
        .filter_map(|r| <[u8; 4]>::try_from(r.rdata()).ok().map(Ipv4Addr::from))
        .collect();
    found.sort();
    (answer.rcode, found)
}

fn password(node: &ApiNode) -> String {
    std::fs::read_to_string(node.dir.join("data/initial-credentials"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("password = "))
        .expect("a password line")
        .trim()
        .to_string()
}

fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ui-screenshots")
}

/// The number of journal entries of `zone`, through the API.
fn history_len(node: &ApiNode, zone: &str) -> usize {
    node.get_json(&format!("/api/v1/servers/localhost/zones/{zone}/history"))
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn an_operator_manages_a_zone_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let node = ApiNode::start(dir.path(), "hadns", "");
    let base = format!("http://{}", node.api);
    let browser = Browser::start(dir.path(), 1280, 900);

    // Not logged in: sent to the login page.
    browser.open(&format!("{base}/ui/"));
    browser.wait_for("h1", "Log in");
    assert!(browser.url().ends_with("/ui/login"), "{}", browser.url());
    // A wrong password is refused with a message.
    browser.fill("#username", "admin");
    browser.fill("#password", "not-the-password");
    browser.click_on("section.login button[type=submit]");
    browser.wait_for("#login-error", "wrong password");
    browser.fill("#username", "admin");
    browser.fill("#password", &password(&node));
    browser.click_on("section.login button[type=submit]");
    browser.wait_for("h1", "Zones");

    // Create a zone.
    browser.fill("#zone-name", "web.test");
    browser.fill("#zone-ns", "ns1.web.test ns2.web.test");
    browser.click_on("form.create button[type=submit]");
    browser.wait_for("h1", "web.test.");
    browser.wait_for("#saved-heading", "Saved: serial 0 → 1");
    let dns = node.dns;
    assert_eq!(soa_serial(dns, "web.test."), Some(1));

    // Add an A record: answered over DNS once the page says it is saved.
    browser.fill("#rec-name", "www");
    browser.fill("#rec-ttl", "300");
    browser.fill("#rec-type", "A");
    browser.fill("#rec-content", "192.0.2.80");
    browser.fill("#rec-comment", "first web server");
    browser.click_on("form.record button[type=submit]");
    browser.wait_for("#saved-heading", "Saved: serial 1 → 2");
    browser.wait_for("ul.diff li.added", "www.web.test. 300 A 192.0.2.80");
    assert_eq!(
        addresses(&node, "www.web.test."),
        (Rcode::NOERROR, vec![Ipv4Addr::new(192, 0, 2, 80)])
    );

    // Invalid records: the message beside the field, nothing changed.
    let entries = history_len(&node, "web.test.");
    browser.fill("#rec-name", "www");
    browser.fill("#rec-type", "A");
    browser.fill("#rec-content", "999.1.1.1");
    browser.click_on("form.record button[type=submit]");
    browser.wait_for("#rec-content-error", "Not valid A data");
    browser.fill("#rec-name", "www");
    browser.fill("#rec-type", "CNAME");
    browser.fill("#rec-content", "elsewhere.example.");
    browser.click_on("form.record button[type=submit]");
    let error = browser.wait_for("#rec-content-error", "CNAME");
    let message = browser.text(&error);
    assert!(message.contains("www.web.test."), "{message}");
    // The form keeps what was typed.
    assert!(browser.source().contains("value=\"elsewhere.example.\""));
    assert_eq!(soa_serial(dns, "web.test."), Some(2));
    assert_eq!(history_len(&node, "web.test."), entries);
    assert_eq!(ask(dns, "www.web.test.", Rtype::CNAME).answer.len(), 0);

    // Edit the record.
    browser.open(&format!("{base}/ui/zones/web.test."));
    browser.click_on("td.actions a[href*='name=www.web.test.&rtype=A&']");
    browser.wait_for("h1", "Edit a record");
    browser.fill("#rec-content", "192.0.2.81");
    browser.click_on("form.record button[type=submit]");
    browser.wait_for("#saved-heading", "Saved: serial 2 → 3");
    assert_eq!(
        addresses(&node, "www.web.test."),
        (Rcode::NOERROR, vec![Ipv4Addr::new(192, 0, 2, 81)])
    );
    browser.screenshot(&screenshots().join("zone.png"));

    // Delete it.
    browser.click_on("button[aria-label='Delete www A 192.0.2.81']");
    browser.wait_for("#saved-heading", "Saved: serial 3 → 4");
    assert_eq!(addresses(&node, "www.web.test.").0, Rcode::NXDOMAIN);

    // The history shows every change; revert to serial 3 (after the edit).
    browser.open(&format!("{base}/ui/zones/web.test./history"));
    browser.wait_for("ol.history h2", "Serial 3 → 4");
    browser.wait_for("ol.history .meta", "first web server");
    browser.screenshot(&screenshots().join("history.png"));
    browser.open(&format!("{base}/ui/zones/web.test./revert?serial=3"));
    browser.wait_for("h1", "Revert web.test. to serial 3?");
    browser.wait_for("ul.diff li.added", "www.web.test. 300 A 192.0.2.81");
    browser.click_on("main form button[type=submit]");
    browser.wait_for("#saved-heading", "Saved: serial 4 → 5");
    assert_eq!(
        addresses(&node, "www.web.test."),
        (Rcode::NOERROR, vec![Ipv4Addr::new(192, 0, 2, 81)])
    );
    let history = node.get_json("/api/v1/servers/localhost/zones/web.test./history");
    assert_eq!(history[0]["source"], "ui");
    assert_eq!(history[0]["author"], "admin");
    assert_eq!(history[0]["comment"], "revert to serial 3");

    // Log out: the pages are refused again.
    browser.click_on("form.logout button");
    browser.wait_for("h1", "Log in");
    browser.open(&format!("{base}/ui/zones/web.test."));
    browser.wait_for("h1", "Log in");
    assert!(browser.url().ends_with("/ui/login"), "{}", browser.url());
}

#[test]
fn forms_without_the_session_token_or_from_elsewhere_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let node = ApiNode::start(
        dir.path(),
        "hadns",
        "[zone_defaults]\nnameservers = [\"ns1.example.net.\"]\n",
    );
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let login = http_request(
        node.api,
        "POST",
        "/ui/login",
        &form,
        Some(format!("username=admin&password={}", password(&node)).as_bytes()),
    );
    assert_eq!(login.status, 303, "{}", login.text());
    let cookie = login
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let cookie = cookie.split(';').next().unwrap().to_string();
    let page = http_request(node.api, "GET", "/ui/", &[("Cookie", &cookie)], None);
    assert_eq!(page.status, 200);
    let text = page.text();
    let csrf = text
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token in the page")
        .to_string();
    for header in ["content-security-policy", "x-frame-options"] {
        assert!(page.header(header).is_some(), "{header}");
    }

    let create = |body: &str, extra: &[(&str, &str)]| {
        let mut headers = vec![("Cookie", cookie.as_str()), form[0]];
        headers.extend_from_slice(extra);
        http_request(
            node.api,
            "POST",
            "/ui/zones",
            &headers,
            Some(body.as_bytes()),
        )
    };
    let refused = create("name=forged.test", &[]);
    assert_eq!(refused.status, 403, "no token: {}", refused.text());
    assert!(refused.text().contains("CSRF"));
    let refused = create("name=forged.test&csrf=00", &[]);
    assert_eq!(refused.status, 403, "a wrong token");
    let body = format!("name=forged.test&csrf={csrf}");
    let refused = create(&body, &[("Origin", "http://evil.example")]);
    assert_eq!(refused.status, 403, "another origin");
    let zones = node.get_json("/api/v1/servers/localhost/zones");
    assert_eq!(zones.as_array().unwrap().len(), 0, "nothing was created");
    // The same form with the token and our own origin is accepted; the
    // node's default nameservers fill in the NS set.
    let origin = format!("http://{}", node.api);
    let accepted = create(&body, &[("Origin", &origin)]);
    assert_eq!(accepted.status, 303, "{}", accepted.text());
    assert_eq!(soa_serial(node.dns, "forged.test."), Some(1));
    assert_eq!(ask(node.dns, "forged.test.", Rtype::NS).answer.len(), 1);

    // Failed logins from one address are limited.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let attempt = http_request(
            node.api,
            "POST",
            "/ui/login",
            &form,
            Some(b"username=admin&password=wrong"),
        );
        statuses.push(attempt.status);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    // Even the right password waits now.
    let limited = http_request(
        node.api,
        "POST",
        "/ui/login",
        &form,
        Some(format!("username=admin&password={}", password(&node)).as_bytes()),
    );
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").is_some());
}
