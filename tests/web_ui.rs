//! The web UI in a real browser (headless Chromium driven over WebDriver)
//! against a running `hadns serve`: log in, create a zone, add a record and
//! see it answered over DNS, have a bad record refused beside its field
//! with nothing changed, edit, delete, revert from the history, log out.
//! Screenshots of the zone and history pages go to
//! `target/ui-screenshots/`. Plain HTTP checks the rest: CSRF and origin
//! refusals, and login rate limiting.

mod common;

use std::net::Ipv4Addr;

use common::webdriver::{Browser, screenshots};
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
    browser.fill("#password", &node.initial_password());
    browser.click_on("section.login button[type=submit]");
    browser.wait_for("h1", "Zones");

    // Create a zone whose name servers are inside it: their addresses
    // are asked for (a bad one refused beside its field, nothing
    // created), and made into the zone's address records.
    browser.fill("#zone-name", "web.test");
    browser.fill("#zone-ns", "ns1.web.test ns2.web.test");
    browser.click_on("form.create button[type=submit]");
    browser.wait_for(
        "#glue0-error",
        "ns1.web.test. is inside web.test.: give its addresses",
    );
    browser.wait_for("#glue1-error", "ns2.web.test. is inside web.test.");
    let dns = node.dns;
    assert_eq!(ask(dns, "web.test.", Rtype::SOA).rcode, Rcode::REFUSED);
    browser.fill("#glue0", "192.0.2.53 2001:db8::53");
    browser.fill("#glue1", "192.0.2.540");
    browser.click_on("form.create button[type=submit]");
    browser.wait_for(
        "#glue1-error",
        "`192.0.2.540` is not an IPv4 or IPv6 address",
    );
    assert_eq!(ask(dns, "web.test.", Rtype::SOA).rcode, Rcode::REFUSED);
    browser.fill("#glue1", "192.0.2.54");
    browser.click_on("form.create button[type=submit]");
    browser.wait_for("h1", "web.test.");
    browser.wait_for("#saved-heading", "Saved: serial 0 → 1");
    assert_eq!(soa_serial(dns, "web.test."), Some(1));
    assert_eq!(
        addresses(&node, "ns2.web.test."),
        (Rcode::NOERROR, vec![Ipv4Addr::new(192, 0, 2, 54)])
    );
    assert_eq!(ask(dns, "ns1.web.test.", Rtype::AAAA).answer.len(), 1);

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
    // The clash is the name's: another type lives there.
    let error = browser.wait_for("#rec-name-error", "CNAME");
    let message = browser.text(&error);
    assert!(message.contains("www.web.test."), "{message}");
    // The form keeps what was typed.
    assert!(browser.source().contains("value=\"elsewhere.example.\""));
    // Reloading the URL the form posted to leads back to the zone.
    assert!(browser.url().ends_with("/records"), "{}", browser.url());
    browser.open(&browser.url());
    browser.wait_for("h1", "web.test.");
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

    // Delete it: a confirmation page names the record, says it is the
    // last of its set, and takes a reason for the history; nothing is
    // removed before the confirmation.
    browser.click_on("a[aria-label='Delete www A 192.0.2.81']");
    browser.wait_for("h1", "Delete this record of web.test.?");
    browser.wait_for("dl.record-summary", "192.0.2.81");
    browser.wait_for("#last-record", "only A record at www");
    assert_eq!(soa_serial(dns, "web.test."), Some(3));
    browser.fill("#delete-reason", "www moved to the CDN");
    browser.click_on("form.confirm button[type=submit]");
    browser.wait_for("#saved-heading", "Saved: serial 3 → 4");
    assert_eq!(addresses(&node, "www.web.test.").0, Rcode::NXDOMAIN);
    let history = node.get_json("/api/v1/servers/localhost/zones/web.test./history");
    assert_eq!(history[0]["comment"], "www moved to the CDN");

    // The history shows every change; revert to serial 3 (after the edit).
    browser.open(&format!("{base}/ui/zones/web.test./history"));
    browser.wait_for("ol.history h2", "Serial 3 → 4");
    browser.wait_for("ol.history .meta", "first web server");
    browser.screenshot(&screenshots().join("history.png"));
    // Each entry offers to undo itself (the newest) or itself and every
    // later change, back to the serial before it; the serial-only SOA
    // lines every change carries are left out of the diffs.
    let history = browser.find("ol.history").expect("the history list");
    let listed = browser.text(&history);
    let changes = listed.split("Serial 0 → 1").next().unwrap_or_default();
    assert!(!changes.contains(" SOA "), "{listed}");
    assert!(
        listed.contains("Undo this and every later change (back to serial 2)"),
        "{listed}"
    );
    browser.click_on("ol.history > li:first-child p.undo a");
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

    // Import a zone file: a bad one lists its errors by line and imports
    // nothing; a good one is previewed, then imported as one change.
    let bad = dir.path().join("bad.zone");
    std::fs::write(
        &bad,
        "$TTL 300\n@ SOA ns1 hostmaster 7 3600 600 86400 60\n@ NS ns1\nns1 A 192.0.2.53\nwww A 999.0.0.1\n$INCLUDE /etc/passwd\nmail CNAME ns1\nmail MX 10 ns1\n",
    )
    .unwrap();
    browser.open(&format!("{base}/ui/import"));
    browser.fill("#import-origin", "imported.test");
    browser.type_into("#import-file", &bad.display().to_string());
    browser.click_on("form.create button[type=submit]");
    browser.wait_for("ul.errors li", ":5:");
    browser.wait_for("ul.errors li", "$INCLUDE is not allowed");
    // The zone checks run on the lines that could be read, in the same
    // preview: every error at once, not one round per kind.
    browser.wait_for(
        "ul.errors li",
        "mail.imported.test. has a CNAME and other data",
    );
    // The text comes back in the form, to be fixed there.
    assert!(browser.source().contains("mail CNAME ns1"));
    assert!(
        !browser.source().contains("root:x:0"),
        "no file of the server is read"
    );
    assert_eq!(ask(dns, "imported.test.", Rtype::SOA).rcode, Rcode::REFUSED);
    let good = dir.path().join("good.zone");
    std::fs::write(
        &good,
        "$TTL 300\n@ SOA ns1 hostmaster 7 3600 600 86400 60\n@ NS ns1\nns1 A 192.0.2.53\nwww A 192.0.2.90\n",
    )
    .unwrap();
    browser.open(&format!("{base}/ui/import"));
    browser.fill("#import-origin", "imported.test");
    browser.type_into("#import-file", &good.display().to_string());
    browser.click_on("form.create button[type=submit]");
    browser.wait_for("#preview-summary", "4 records");
    browser.wait_for("#preview-summary", "This creates the zone.");
    assert_eq!(
        ask(dns, "imported.test.", Rtype::SOA).rcode,
        Rcode::REFUSED,
        "not before the confirmation"
    );
    browser.click_on("section[aria-labelledby=preview-heading] button[type=submit]");
    browser.wait_for("h1", "imported.test.");
    assert_eq!(
        addresses(&node, "www.imported.test."),
        (Rcode::NOERROR, vec![Ipv4Addr::new(192, 0, 2, 90)])
    );
    assert_eq!(soa_serial(dns, "imported.test."), Some(7));

    // Delete it, after typing its name.
    browser.open(&format!("{base}/ui/"));
    browser.click_on("a[href='/ui/zones/imported.test./delete']");
    browser.wait_for("h1", "Delete imported.test.?");
    browser.fill("#confirm", "web.test");
    browser.click_on("main form button.danger");
    browser.wait_for("#confirm-error", "Type imported.test. to confirm");
    assert_eq!(soa_serial(dns, "imported.test."), Some(7));
    browser.fill("#confirm", "imported.test");
    browser.click_on("main form button.danger");
    browser.wait_for("h1", "Zones");
    // The list says what happened.
    browser.wait_for("#zones-notice", "Zone imported.test. deleted.");
    assert_eq!(ask(dns, "imported.test.", Rtype::SOA).rcode, Rcode::REFUSED);

    // Log out: the pages are refused again.
    browser.click_on("form.logout button");
    browser.wait_for("h1", "Log in");
    browser.open(&format!("{base}/ui/zones/web.test."));
    browser.wait_for("h1", "Log in");
    assert!(
        browser.url().contains("/ui/login?next="),
        "{}",
        browser.url()
    );
    // Logging in again leads to the page asked for, not to the zone list.
    browser.fill("#username", "admin");
    browser.fill("#password", &node.initial_password());
    browser.click_on("section.login button[type=submit]");
    browser.wait_for("h1", "web.test.");
    assert!(
        browser.url().ends_with("/ui/zones/web.test."),
        "{}",
        browser.url()
    );
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
        Some(format!("username=admin&password={}", node.initial_password()).as_bytes()),
    );
    assert_eq!(login.status, 303, "{}", login.text());
    let cookie = login
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains("Secure"), "plain HTTP");
    let behind_tls = http_request(
        node.api,
        "POST",
        "/ui/login",
        &[form[0], ("X-Forwarded-Proto", "https")],
        Some(format!("username=admin&password={}", node.initial_password()).as_bytes()),
    );
    assert!(
        behind_tls
            .header("set-cookie")
            .unwrap()
            .contains("; Secure"),
        "Secure behind a TLS proxy"
    );
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

    // A password changed from the command line (another process) ends the
    // sessions taken with the old one.
    assert_eq!(
        http_request(node.api, "GET", "/ui/", &[("Cookie", &cookie)], None).status,
        200
    );
    let mut passwd = std::process::Command::new(common::hadns_binary())
        .args(["user", "passwd", "admin", "--config"])
        .arg(node.dir.join("hadns.toml"))
        .current_dir(&node.dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        passwd
            .stdin
            .take()
            .unwrap()
            .write_all(b"a-new-password-for-admin\n")
            .unwrap();
    }
    let out = passwd.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let after = http_request(node.api, "GET", "/ui/", &[("Cookie", &cookie)], None);
    assert_eq!(after.status, 303, "the old session is over");
    assert_eq!(after.header("location"), Some("/ui/login"));

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
        Some(b"username=admin&password=a-new-password-for-admin"),
    );
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").is_some());
}

#[test]
fn users_tokens_cluster_and_a_phone_sized_window() {
    let dir = tempfile::tempdir().unwrap();
    let (primary_dns, secondary_dns) = (
        format!("127.0.0.1:{}", common::free_port())
            .parse()
            .unwrap(),
        format!("127.0.0.1:{}", common::free_port())
            .parse()
            .unwrap(),
    );
    // A third NOTIFY target that never answers: the test reads what it is
    // sent.
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let sink_address = sink.local_addr().unwrap();
    let node = ApiNode::start_on(
        dir.path(),
        "primary",
        primary_dns,
        &format!(
            "[zone_defaults]\nnotify = [\"{secondary_dns}\", \"{sink_address}\"]\nallow_transfer = [\"127.0.0.1\"]\n\
             nameservers = [\"ns1.example.net.\"]\n"
        ),
    );
    let created = node.send(
        "POST",
        "/api/v1/servers/localhost/zones",
        &serde_json::json!({"name": "c.test.", "kind": "Master", "nameservers": [],
            "rrsets": [{"name": "www.c.test.", "type": "A", "ttl": 60, "records": [{"content": "192.0.2.7"}]}]}),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let mut secondary = ApiNode::start_on(
        dir.path(),
        "secondary",
        secondary_dns,
        &format!(
            "[[zone]]\nname = \"c.test\"\nrole = \"secondary\"\nprimaries = [\"{primary_dns}\"]\n"
        ),
    );
    common::wait_for_serial(
        secondary_dns,
        "c.test.",
        1,
        std::time::Duration::from_secs(20),
        &mut secondary.process,
    );

    let base = format!("http://{}", node.api);
    let browser = Browser::start(dir.path(), 1280, 900);
    browser.log_in(&node);

    // A zone the secondary does not have.
    let other = node.send(
        "POST",
        "/api/v1/servers/localhost/zones",
        &serde_json::json!({"name": "d.test.", "kind": "Master", "nameservers": []}),
    );
    assert_eq!(other.status, 201, "{}", other.text());

    // The cluster page asks the secondary for its serial (after the page
    // is shown, by htmx): in step, in the good colour, and the
    // acknowledgement names the serial it was for.
    browser.open(&format!("{base}/ui/cluster"));
    browser.wait_for("section.cluster-zone h2", "c.test.");
    browser.wait_for("section.cluster-zone td", &secondary_dns.to_string());
    browser.wait_for("section.cluster-zone tr.ok td.state", "in step");
    browser.wait_for("section.cluster-zone tr.ok td", "serial 1 at ");
    // A secondary without the zone, and one that does not answer, stand
    // out with the reason.
    browser.wait_for(
        "section.cluster-zone tr.failing td.state",
        "does not serve the zone (answered",
    );
    browser.wait_for("section.cluster-zone tr.failing td.state", "unreachable");
    assert!(
        !browser.source().contains("0 serials behind"),
        "a target in step is not behind"
    );
    browser.screenshot(&screenshots().join("cluster.png"));

    // NOTIFY now, to the silent target: a new NOTIFY (a new message ID;
    // the retries of the first one repeat theirs) for c.test. reaches it.
    let notifies = |sink: &std::net::UdpSocket, wait: std::time::Duration| {
        let mut ids = Vec::new();
        let until = std::time::Instant::now() + wait;
        let mut buffer = [0u8; 1500];
        while std::time::Instant::now() < until {
            sink.set_read_timeout(Some(std::time::Duration::from_millis(200)))
                .unwrap();
            if let Ok((len, _)) = sink.recv_from(&mut buffer)
                && let Ok(message) = wire::Message::parse(&buffer[..len])
                && message.header.opcode() == wire::Opcode::NOTIFY
                && message
                    .questions
                    .first()
                    .is_some_and(|q| q.qname.to_string() == "c.test.")
            {
                ids.push(message.header.id);
            }
        }
        ids
    };
    let before = notifies(&sink, std::time::Duration::from_secs(1));
    browser.click_on(&format!(
        "button[aria-label='NOTIFY {sink_address} of c.test. now']"
    ));
    browser.wait_for(
        "#cluster-notice",
        &format!("NOTIFY for c.test. sent to {sink_address}."),
    );
    let after = notifies(&sink, std::time::Duration::from_secs(3));
    assert!(
        after.iter().any(|id| !before.contains(id)),
        "no new NOTIFY: before {before:?}, after {after:?}"
    );

    // The secondary is a hadns node: named as a [[peer]] (by a reload),
    // the primary's page asks it over its API to transfer the zone again.
    let last_transfer = |secondary: &ApiNode| {
        secondary.get_json("/api/v1/cluster?probe=false")["zones"][0]["secondary"]["last_transfer"]
            .as_u64()
    };
    let wait_for_transfer_after = |secondary: &ApiNode, before: u64| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while last_transfer(secondary).is_none_or(|t| t <= before) {
            assert!(std::time::Instant::now() < deadline, "no new transfer");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let token_file = dir.path().join("secondary.token");
    std::fs::write(&token_file, format!("{}\n", secondary.token)).unwrap();
    let config_path = node.dir.join("hadns.toml");
    let mut config = std::fs::read_to_string(&config_path).unwrap();
    config.push_str(&format!(
        "\n[[peer]]\nname = \"secondary\"\ndns = \"{secondary_dns}\"\napi = \"{}\"\ntoken_file = \"{}\"\n",
        secondary.api,
        token_file.display()
    ));
    std::fs::write(&config_path, config).unwrap();
    node.process.signal("HUP");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        browser.open(&format!("{base}/ui/cluster"));
        browser.wait_for("section.cluster-zone h2", "c.test.");
        if browser.source().contains("(hadns node secondary)") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reload named no peer"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let transferred_before = last_transfer(&secondary).expect("a transfer time");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    browser.click_on("button[aria-label='Transfer c.test. again on secondary']");
    browser.wait_for(
        "#cluster-notice",
        "secondary: a full transfer (AXFR) of c.test. was started there.",
    );
    wait_for_transfer_after(&secondary, transferred_before);
    let audit = node.get_json("/api/v1/audit?action=zone.retransfer");
    assert_eq!(audit["events"][0]["detail"], "on peer secondary", "{audit}");

    // On the secondary's own UI: transfer its copy again, which its
    // cluster page then shows.
    let secondary_base = format!("http://{}", secondary.api);
    let transferred_before = last_transfer(&secondary).expect("a transfer time");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    browser.open(&format!("{secondary_base}/ui/login"));
    browser.fill("#username", "admin");
    browser.fill("#password", &secondary.initial_password());
    browser.click_on("section.login button[type=submit]");
    browser.wait_for("h1", "Zones");
    browser.open(&format!("{secondary_base}/ui/cluster"));
    browser.click_on("button.retransfer");
    browser.wait_for(
        "#cluster-notice",
        "c.test.: a full transfer (AXFR) was started.",
    );
    wait_for_transfer_after(&secondary, transferred_before);
    // Cookies are per host, not per port: the secondary's login replaced
    // the primary's session cookie.
    browser.log_in(&node);

    // A secondary that falls behind (its transfers refused) turns yellow
    // with how far behind, on the open page, which is not reloaded: htmx
    // brings the newly asked serials every few seconds.
    browser.open(&format!("{base}/ui/cluster"));
    browser.wait_for("section.cluster-zone tr.ok td.state", "in step");
    browser.execute("window.stillTheSamePage = true; return null;");
    let settings_path = "/api/v1/servers/localhost/zones/c.test./settings";
    let mut settings = node.get_json(settings_path);
    let kept = settings["allow_transfer"].clone();
    settings["allow_transfer"] = serde_json::json!(["none"]);
    assert_eq!(node.send("PUT", settings_path, &settings).status, 200);
    let changed = node.send(
        "PATCH",
        "/api/v1/servers/localhost/zones/c.test.",
        &serde_json::json!({"rrsets": [{"name": "www.c.test.", "type": "A", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "192.0.2.8"}]}]}),
    );
    assert_eq!(changed.status, 204, "{}", changed.text());
    browser.wait_for(
        "section.cluster-zone tr.lagging td.state",
        "1 serial behind",
    );
    assert_eq!(
        browser
            .execute("return window.stillTheSamePage === true;")
            .as_bool(),
        Some(true),
        "the page was reloaded"
    );
    settings["allow_transfer"] = kept;
    assert_eq!(node.send("PUT", settings_path, &settings).status, 200);
    // Transfers allowed again, a NOTIFY from the page brings it back in step.
    browser.click_on(&format!(
        "button[aria-label='NOTIFY {secondary_dns} of c.test. now']"
    ));
    browser.wait_for("#cluster-notice", "NOTIFY for c.test. sent to");
    browser.wait_for("section.cluster-zone tr.ok td", "serial 2 at ");

    // A user, with a password shown once, who can log in.
    browser.open(&format!("{base}/ui/users"));
    browser.fill("#user-name", "bob");
    browser.click_on("form.create button[type=submit]");
    browser.wait_for("#shown-heading", "User bob added");
    let bob_password = browser.text(&browser.wait_for("#shown-secret", ""));
    assert_eq!(bob_password.len(), 32);
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let bob = http_request(
        node.api,
        "POST",
        "/ui/login",
        &form,
        Some(format!("username=bob&password={bob_password}").as_bytes()),
    );
    assert_eq!(bob.status, 303, "bob logs in: {}", bob.text());
    let bob_cookie = bob
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let as_bob = || http_request(node.api, "GET", "/ui/", &[("Cookie", &bob_cookie)], None).status;
    assert_eq!(as_bob(), 200);
    // Disabled, his session ends at once.
    browser.click_on("button[aria-label='Disable bob']");
    browser.wait_for("button[aria-label='Enable bob']", "");
    assert_eq!(as_bob(), 303, "a disabled user's session is refused");

    // A read-only token, shown once: it reads, cannot write, and stops when revoked.
    browser.fill("#token-name", "reader");
    let scope = browser.wait_for("#token-scope option[value=read]", "");
    browser.click(&scope);
    browser.click_on("form.create[aria-labelledby=new-token-heading] button[type=submit]");
    browser.wait_for("#shown-heading", "Token reader created");
    let token = browser.text(&browser.wait_for("#shown-secret", ""));
    let api = |method: &str, body: Option<&str>| {
        http_request(
            node.api,
            method,
            "/api/v1/servers/localhost/zones/c.test.",
            &[("X-API-Key", &token), ("Content-Type", "application/json")],
            body.map(str::as_bytes),
        )
        .status
    };
    assert_eq!(api("GET", None), 200);
    assert_eq!(api("PATCH", Some(r#"{"rrsets": []}"#)), 403);
    browser.click_on("button[aria-label='Revoke the token reader']");
    browser.wait_for("td", "revoked");
    assert_eq!(api("GET", None), 401);

    // Deleting bob: a confirmation page first, then he is gone, and his
    // password opens nothing any more.
    browser.open(&format!("{base}/ui/users"));
    browser.click_on("a[aria-label='Delete bob']");
    browser.wait_for("h1", "Delete user bob?");
    browser.click_on("form.confirm button[type=submit]");
    browser.wait_for("#users-notice", "User bob deleted");
    assert!(
        !browser.source().contains("aria-label=\"Delete bob\""),
        "bob is still listed"
    );
    let login = http_request(
        node.api,
        "POST",
        "/ui/login",
        &form,
        Some(format!("username=bob&password={bob_password}").as_bytes()),
    );
    assert_ne!(login.status, 303, "a deleted user logged in");

    // A phone-sized window: each page fits its width, no word in a table
    // is broken across lines, and the stacked rows name their fields.
    browser.resize(390, 844);
    for (page, heading, shot) in [
        ("/ui/zones/c.test.", "c.test.", "zone-phone.png"),
        ("/ui/", "Zones", "zones-phone.png"),
        ("/ui/cluster", "Cluster", "cluster-phone.png"),
    ] {
        browser.open(&format!("{base}{page}"));
        browser.wait_for("h1", heading);
        if page == "/ui/cluster" {
            browser.wait_for("section.cluster-zone tr.ok td.state", "in step");
        }
        let overflow = browser.execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
        );
        assert_eq!(overflow.as_i64(), Some(0), "sideways scrolling on {page}");
        let broken = broken_words(&browser);
        assert!(
            broken.is_empty(),
            "{page}: words broken across lines: {broken:?}"
        );
        browser.screenshot(&screenshots().join(shot));
    }
    browser.open(&format!("{base}/ui/zones/c.test."));
    browser.wait_for("h1", "c.test.");
    let labels = browser.execute(
        "return [...document.querySelectorAll('table.records tbody.rrset > tr:first-child > *')]\
         .map(c => getComputedStyle(c, '::before').content);",
    );
    let labels: Vec<&str> = labels
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for label in ["\"Name\"", "\"TTL\"", "\"Type\"", "\"Content\""] {
        assert!(labels.contains(&label), "no {label} label in {labels:?}");
    }
}

/// The words in list tables that the layout breaks across lines (each
/// word's text fragments on more than one line), leaving out words too
/// long for any phone.
fn broken_words(browser: &Browser) -> Vec<String> {
    let found = browser.execute(
        "const broken = [];\
         for (const cell of document.querySelectorAll('table.list td, table.list th')) {\
           const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);\
           for (let node = walk.nextNode(); node; node = walk.nextNode()) {\
             const re = /\\S+/g; let m;\
             while ((m = re.exec(node.data)) !== null) {\
               if (m[0].length > 30) continue;\
               const range = document.createRange();\
               range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);\
               const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));\
               if (tops.size > 1) broken.push(m[0]);\
             }\
           }\
         }\
         return broken;",
    );
    found
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The `+short` A answer at `name` for a client bound to `source`.
fn a_from(node: &ApiNode, source: &str, name: &str) -> String {
    let dig = common::require_program("dig", "bind9-dnsutils");
    let args: Vec<String> = [
        "@127.0.0.1".to_string(),
        "-p".into(),
        node.dns.port().to_string(),
        "-b".into(),
        source.into(),
        "+short".into(),
        "+time=2".into(),
        "+tries=2".into(),
        name.into(),
        "A".into(),
    ]
    .to_vec();
    common::run_tool(&dig, &args, "", std::time::Duration::from_secs(20))
        .trim()
        .to_string()
}

#[test]
fn an_operator_edits_a_views_copy_beside_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let node = ApiNode::start(
        dir.path(),
        "hadns",
        "[zone_defaults]\nnameservers = [\"ns1.split.test.\"]\n\
         [[view]]\nname = \"a\"\nmatch_clients = [\"127.0.0.2\"]\n\
         [[view]]\nname = \"b\"\nmatch_clients = [\"any\"]\n",
    );
    let created = node.send(
        "POST",
        "/api/v1/servers/localhost/zones",
        &serde_json::json!({
            "name": "split.test.", "kind": "Native", "nameservers": ["ns1.split.test."],
            "rrsets": [
                {"name": "www.split.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.1"}]},
                {"name": "mail.split.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.25"}]}
            ]
        }),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let base = format!("http://{}", node.api);
    let browser = Browser::start(dir.path(), 1280, 900);
    browser.log_in(&node);

    // The zone page has a tab per view; view a shows the base's sets beside
    // its own (none yet).
    browser.open(&format!("{base}/ui/zones/split.test."));
    browser.click_on("nav.tabs a[href$='view=a']");
    browser.wait_for("h1 .view-name", "in view a");
    browser.wait_for("table.side td.in-view", "same as the base");
    let base_entries = history_len(&node, "split.test.");

    // Override www in view a: its clients get the new address, b's the base's.
    browser.click_on("table.side td.actions a[href*='name=www.split.test.&rtype=A&']");
    browser.wait_for("h1", "in view a");
    browser.fill("#rec-content", "10.0.0.1");
    browser.click_on("form.record button[type=submit]");
    browser.wait_for("#saved-heading", "Saved: serial");
    browser.wait_for("table.side ul.own li", "10.0.0.1");
    browser.wait_for("table.side td.base li", "192.0.2.1");
    assert_eq!(a_from(&node, "127.0.0.2", "www.split.test."), "10.0.0.1");
    assert_eq!(a_from(&node, "127.0.0.3", "www.split.test."), "192.0.2.1");
    browser.execute("document.querySelector('table.side').scrollIntoView()");
    browser.screenshot(&screenshots().join("zone-view.png"));

    // Hide mail in view a.
    browser.click_on("button[aria-label='Hide mail A in view a']");
    browser.wait_for("table.side td.in-view .hidden", "hidden in this view");
    assert_eq!(a_from(&node, "127.0.0.2", "mail.split.test."), "");
    assert_eq!(a_from(&node, "127.0.0.3", "mail.split.test."), "192.0.2.25");

    // Give www the base's set back.
    browser.click_on("button[aria-label=\"Use the base's www A in view a\"]");
    browser.wait_for("#saved-heading", "Saved: serial");
    assert_eq!(a_from(&node, "127.0.0.2", "www.split.test."), "192.0.2.1");

    // The view's history names it; the base's did not move.
    browser.open(&format!("{base}/ui/zones/split.test./history?view=a"));
    browser.wait_for("ol.history h2 .view-name", "in view a");
    assert_eq!(history_len(&node, "split.test."), base_entries);
    // An unknown view is a page that says so.
    browser.open(&format!("{base}/ui/zones/split.test.?view=nowhere"));
    browser.wait_for("main", "no view `nowhere`");
}

/// The character-strings of the one TXT record `node` serves at `name`,
/// and its TTL.
fn txt_strings(node: &ApiNode, name: &str) -> (Vec<Vec<u8>>, u32) {
    let answer = ask(node.dns, name, Rtype::TXT);
    assert_eq!(answer.answer.len(), 1, "{name}: {answer:?}");
    let record = answer.answer.iter().next().unwrap();
    let mut strings = Vec::new();
    let mut rest = record.rdata();
    while let Some((&len, tail)) = rest.split_first() {
        strings.push(tail[..usize::from(len)].to_vec());
        rest = &tail[usize::from(len)..];
    }
    (strings, record.ttl())
}

/// Issue [11/13]'s first defects, each checked where it shows: TXT and
/// TTL entry over DNS, "1 zone", a missing zone's name, the pager's ends.
#[test]
fn record_content_and_ttls_are_read_as_people_type_them() {
    let dir = tempfile::tempdir().unwrap();
    let node = ApiNode::start(dir.path(), "hadns", "");
    let base = format!("http://{}", node.api);
    let browser = Browser::start(dir.path(), 1280, 900);
    browser.log_in(&node);
    browser.fill("#zone-name", "txt.test");
    browser.fill("#zone-ns", "ns1.example.net");
    browser.click_on("form.create button[type=submit]");
    browser.wait_for("h1", "txt.test.");
    let mut serial = 1;
    let mut add = |name: &str, ttl: &str, content: &str| {
        browser.open(&format!("{base}/ui/zones/txt.test."));
        browser.fill("#rec-name", name);
        browser.fill("#rec-ttl", ttl);
        browser.fill("#rec-type", "TXT");
        browser.fill("#rec-content", content);
        browser.click_on("form.record button[type=submit]");
        browser.wait_for(
            "#saved-heading",
            &format!("Saved: serial {serial} → {}", serial + 1),
        );
        serial += 1;
    };

    // An SPF policy typed without quotes is one string, not three.
    add("@", "1h", "v=spf1 mx -all");
    let (strings, ttl) = txt_strings(&node, "txt.test.");
    assert_eq!(strings, vec![b"v=spf1 mx -all".to_vec()]);
    assert_eq!(ttl, 3600, "`1h` is an hour");
    // A long unquoted value (a DKIM key) is cut into 255-octet strings.
    let key = format!("v=DKIM1; k=rsa; p={}", "A".repeat(300));
    add("sel._domainkey", "1h30m", &key);
    let (strings, ttl) = txt_strings(&node, "sel._domainkey.txt.test.");
    assert_eq!(strings.len(), 2);
    assert_eq!(strings[0].len(), 255);
    assert_eq!(strings.concat(), key.as_bytes());
    assert_eq!(ttl, 5400);
    // Quoted input keeps its strings exactly.
    add("quoted", "300", "\"a b\" \"c\"");
    let (strings, _) = txt_strings(&node, "quoted.txt.test.");
    assert_eq!(strings, vec![b"a b".to_vec(), b"c".to_vec()]);

    // A TTL that is not one is refused beside its field.
    browser.open(&format!("{base}/ui/zones/txt.test."));
    browser.fill("#rec-name", "bad");
    browser.fill("#rec-ttl", "1x");
    browser.fill("#rec-type", "TXT");
    browser.fill("#rec-content", "x");
    browser.click_on("form.record button[type=submit]");
    browser.wait_for("#rec-ttl-error", "1h30m");
    assert_eq!(soa_serial(node.dns, "txt.test."), Some(serial));

    // One zone is "1 zone"; a missing zone's name is not doubled dotted.
    browser.open(&format!("{base}/ui/"));
    browser.wait_for("table caption", "1 zone on this node");
    browser.open(&format!("{base}/ui/zones/nonexistent.test."));
    let page = browser.wait_for("main", "nonexistent.test.");
    let text = browser.text(&page);
    assert!(!text.contains("test.."), "{text}");

    // The pager: first, previous, next and last (450 RRsets: 5 pages).
    let rrsets: Vec<serde_json::Value> = (0..450)
        .map(|i| {
            serde_json::json!({"name": format!("h{i:03}.txt.test."), "type": "A", "ttl": 300,
                "changetype": "REPLACE", "records": [{"content": "192.0.2.1", "disabled": false}]})
        })
        .collect();
    let response = node.send(
        "PATCH",
        "/api/v1/servers/localhost/zones/txt.test.",
        &serde_json::json!({ "rrsets": rrsets }),
    );
    assert_eq!(response.status, 204, "{}", response.text());
    browser.open(&format!("{base}/ui/zones/txt.test.?page=3"));
    browser.wait_for("nav.pager span", "Page 3 of 5");
    browser.click_on("nav.pager a.last");
    browser.wait_for("nav.pager span", "Page 5 of 5");
    browser.click_on("nav.pager a.first");
    browser.wait_for("nav.pager span", "Page 1 of 5");
}

/// The TTL `node` serves for `name`'s RRset of `rtype`.
fn ttl_of(node: &ApiNode, name: &str, rtype: Rtype) -> Option<u32> {
    ask(node.dns, name, rtype).answer.first().map(|r| r.ttl())
}

#[test]
fn an_operator_changes_many_rrsets_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let node = ApiNode::start(dir.path(), "hadns", "");
    let created = node.send(
        "POST",
        "/api/v1/servers/localhost/zones",
        &serde_json::json!({
            "name": "bulk.test.", "kind": "Native", "nameservers": ["ns.example.net."],
            "rrsets": [
                {"name": "a.bulk.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.1"}]},
                {"name": "b.bulk.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.2"}, {"content": "192.0.2.3"}]},
                {"name": "c.bulk.test.", "type": "TXT", "ttl": 300, "records": [{"content": "\"keep\""}]},
                {"name": "d.bulk.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.4"}]}
            ]
        }),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let base = format!("http://{}", node.api);
    let browser = Browser::start(dir.path(), 1280, 900);
    browser.log_in(&node);
    let zone_page = format!("{base}/ui/zones/bulk.test.");
    let dns = node.dns;

    // Tick a and b, set their TTL: previewed as one change, written on
    // confirmation as one journal entry.
    browser.open(&zone_page);
    browser.click_on("input[aria-label='Select a A']");
    browser.click_on("input[aria-label='Select b A']");
    browser.fill("#bulk-ttl", "2m");
    browser.click_on("#bulk-set-ttl");
    browser.wait_for("h1", "Set the TTL of 2 RRsets of bulk.test. to 120?");
    browser.wait_for("#bulk-summary", "serial 1 → 2");
    browser.wait_for("ul.diff li.added", "b.bulk.test. 120 A 192.0.2.3");
    assert_eq!(
        soa_serial(dns, "bulk.test."),
        Some(1),
        "nothing before Apply"
    );
    let entries = history_len(&node, "bulk.test.");
    browser.fill("#bulk-comment", "shorter TTLs before the move");
    browser.click_on("#bulk-apply");
    browser.wait_for("#saved-heading", "Saved: serial 1 → 2");
    assert_eq!(ttl_of(&node, "a.bulk.test.", Rtype::A), Some(120));
    assert_eq!(ttl_of(&node, "b.bulk.test.", Rtype::A), Some(120));
    assert_eq!(ask(dns, "b.bulk.test.", Rtype::A).answer.len(), 2);
    assert_eq!(ttl_of(&node, "d.bulk.test.", Rtype::A), Some(300));
    assert_eq!(history_len(&node, "bulk.test."), entries + 1);

    // Tick b and c, delete them.
    browser.click_on("input[aria-label='Select b A']");
    browser.click_on("input[aria-label='Select c TXT']");
    browser.click_on("#bulk-delete");
    browser.wait_for("h1", "Delete 2 RRsets of bulk.test.?");
    browser.wait_for("ul.diff li.removed", "c.bulk.test. 300 TXT \"keep\"");
    browser.click_on("#bulk-apply");
    browser.wait_for("#saved-heading", "Saved: serial 2 → 3");
    assert_eq!(ask(dns, "b.bulk.test.", Rtype::A).rcode, Rcode::NXDOMAIN);
    assert_eq!(ask(dns, "c.bulk.test.", Rtype::TXT).rcode, Rcode::NXDOMAIN);
    assert_eq!(ask(dns, "a.bulk.test.", Rtype::A).answer.len(), 1);
    assert_eq!(history_len(&node, "bulk.test."), entries + 2);

    // Paste records: a bad line is named and nothing changes; fixed, they
    // are previewed, then added as one change.
    browser.click_on("details.paste summary");
    browser.fill(
        "#paste-records",
        "www 600 A 192.0.2.80\nwww A 192.0.2.81\nmail MX 10 mx.example.net.\nbad A 192.0.2.300\n",
    );
    browser.click_on("form.paste button[type=submit]");
    browser.wait_for("ul.errors li", "pasted:4");
    assert_eq!(soa_serial(dns, "bulk.test."), Some(3));
    browser.fill(
        "#bulk-records",
        "www 600 A 192.0.2.80\nwww A 192.0.2.81\nmail MX 10 mx.example.net.\n",
    );
    browser.click_on("form.bulk-confirm button[type=submit]");
    browser.wait_for("h1", "Add 3 pasted records to bulk.test.?");
    browser.wait_for("ul.diff li.added", "www.bulk.test. 600 A 192.0.2.81");
    assert_eq!(
        soa_serial(dns, "bulk.test."),
        Some(3),
        "nothing before Apply"
    );
    browser.click_on("#bulk-apply");
    browser.wait_for("#saved-heading", "Saved: serial 3 → 4");
    assert_eq!(
        addresses(&node, "www.bulk.test."),
        (
            Rcode::NOERROR,
            vec![Ipv4Addr::new(192, 0, 2, 80), Ipv4Addr::new(192, 0, 2, 81)]
        )
    );
    assert_eq!(ttl_of(&node, "www.bulk.test.", Rtype::A), Some(600));
    assert_eq!(ask(dns, "mail.bulk.test.", Rtype::MX).answer.len(), 1);
    assert_eq!(history_len(&node, "bulk.test."), entries + 3);
    browser.screenshot(&screenshots().join("zone-bulk.png"));

    // A paste the zone refuses (a CNAME beside other data) is refused in
    // the preview, with the reason, and changes nothing.
    browser.open(&zone_page);
    browser.click_on("details.paste summary");
    browser.fill("#paste-records", "a CNAME elsewhere.example.net.\n");
    browser.click_on("form.paste button[type=submit]");
    browser.wait_for("ul.errors li", "CNAME");
    assert_eq!(soa_serial(dns, "bulk.test."), Some(4));
    assert_eq!(history_len(&node, "bulk.test."), entries + 3);
}

#[test]
fn every_page_fits_a_desktop_and_a_phone() {
    let dir = tempfile::tempdir().unwrap();
    let node = ApiNode::start(dir.path(), "hadns", "");
    let created = node.send(
        "POST",
        "/api/v1/servers/localhost/zones",
        &serde_json::json!({
            "name": "pages.example.test.", "kind": "Native", "nameservers": ["ns1.example.net.", "ns2.example.net."],
            "rrsets": [
                {"name": "www.pages.example.test.", "type": "A", "ttl": 300, "records": [{"content": "192.0.2.1"}, {"content": "192.0.2.2"}]},
                {"name": "pages.example.test.", "type": "TXT", "ttl": 3600, "records": [{"content": "\"v=spf1 ip4:192.0.2.0/24 include:_spf.mail.example.net -all\""}]},
                {"name": "_sip._tcp.pages.example.test.", "type": "SRV", "ttl": 600, "records": [{"content": "10 60 5060 sip-gateway-01.pages.example.test."}]}
            ]
        }),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let changed = node.send(
        "PATCH",
        "/api/v1/servers/localhost/zones/pages.example.test.",
        &serde_json::json!({"rrsets": [{"name": "mail.pages.example.test.", "type": "A", "ttl": 300, "changetype": "REPLACE", "records": [{"content": "192.0.2.25"}]}]}),
    );
    assert_eq!(changed.status, 204, "{}", changed.text());
    let base = format!("http://{}", node.api);
    let zone = format!("{base}/ui/zones/pages.example.test.");
    let browser = Browser::start(dir.path(), 1280, 900);
    browser.open(&format!("{base}/ui/login"));
    browser.wait_for("h1", "Log in");
    browser.screenshot(&screenshots().join("login-1280.png"));
    browser.resize(390, 844);
    browser.screenshot(&screenshots().join("login-390.png"));
    browser.resize(1280, 900);
    browser.log_in(&node);
    browser.open(&format!("{base}/ui/users"));
    browser.fill("#user-name", "bob");
    browser.click_on("form.create button[type=submit]");
    browser.wait_for("#shown-heading", "User bob added");

    // Each page: its address (or how to reach it) and a heading it shows.
    let record = "name=www.pages.example.test.&rtype=A&content=192.0.2.1";
    let pages: Vec<(&str, String, &str)> = vec![
        ("zones", format!("{base}/ui/"), "Zones"),
        ("zone", zone.clone(), "pages.example.test."),
        ("edit", format!("{zone}/edit?{record}"), "Edit a record"),
        (
            "delete-record",
            format!("{zone}/records/delete?{record}"),
            "Delete this record",
        ),
        ("history", format!("{zone}/history"), "History of"),
        (
            "revert",
            format!("{zone}/revert?serial=1"),
            "Revert pages.example.test. to serial 1?",
        ),
        (
            "settings",
            format!("{zone}/settings"),
            "pages.example.test.",
        ),
        (
            "delete-zone",
            format!("{zone}/delete"),
            "Delete pages.example.test.?",
        ),
        ("cluster", format!("{base}/ui/cluster"), "Cluster"),
        ("import", format!("{base}/ui/import"), "Import a zone file"),
        ("users", format!("{base}/ui/users"), "Users"),
        (
            "delete-user",
            format!("{base}/ui/users/delete?name=bob"),
            "Delete user bob?",
        ),
        ("audit", format!("{base}/ui/audit"), "Audit"),
        ("account", format!("{base}/ui/account"), "admin"),
        ("bulk", String::new(), "Set the TTL of 2 RRsets"),
    ];
    for (name, url, heading) in &pages {
        for (width, height) in [(1280, 900), (390, 844)] {
            browser.resize(width, height);
            if url.is_empty() {
                // The bulk preview is a form's answer.
                browser.open(&zone);
                browser.click_on("input[aria-label='Select www A']");
                browser.click_on("input[aria-label='Select mail A']");
                browser.fill("#bulk-ttl", "1h");
                browser.click_on("#bulk-set-ttl");
            } else {
                browser.open(url);
            }
            browser.wait_for("h1", heading);
            browser.screenshot(&screenshots().join(format!("{name}-{width}.png")));
            let overflow = browser.execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            );
            assert_eq!(
                overflow.as_i64(),
                Some(0),
                "{name} scrolls sideways at {width} px"
            );
            let broken = broken_words(&browser);
            assert!(
                broken.is_empty(),
                "{name} at {width} px breaks words: {broken:?}"
            );
            // Well formed: a plain-text title, and no id given twice
            // (labels, aria references and tests point at ids).
            let title = browser.execute("return document.title;");
            let title = title.as_str().unwrap_or_default();
            assert!(
                title.ends_with("· hadns") && !title.contains('<'),
                "{name}: title {title:?}"
            );
            let twice = browser.execute(
                "const seen = new Set(), twice = [];\
                 for (const e of document.querySelectorAll('[id]')) {\
                   if (seen.has(e.id)) twice.push(e.id); seen.add(e.id);\
                 }\
                 return twice;",
            );
            assert_eq!(twice, serde_json::json!([]), "{name}: ids given twice");
        }
    }
    // Nothing above changed the zone: the previews and confirmation pages
    // write nothing.
    assert_eq!(soa_serial(node.dns, "pages.example.test."), Some(2));
}

#[test]
fn a_refreshing_page_whose_session_ends_goes_to_the_login_whole() {
    let dir = tempfile::tempdir().unwrap();
    let node = ApiNode::start(dir.path(), "hadns", "");
    let browser = Browser::start(dir.path(), 1280, 900);
    browser.log_in(&node);
    browser.open(&format!("http://{}/ui/cluster", node.api));
    browser.wait_for("h1", "Cluster");

    // Another session of admin's logs out every other one, the browser's
    // included.
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let login = http_request(
        node.api,
        "POST",
        "/ui/login",
        &form,
        Some(format!("username=admin&password={}", node.initial_password()).as_bytes()),
    );
    assert_eq!(login.status, 303, "{}", login.text());
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let account = http_request(node.api, "GET", "/ui/account", &[("Cookie", &cookie)], None);
    let csrf = account
        .text()
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token")
        .to_string();
    let ended = http_request(
        node.api,
        "POST",
        "/ui/account/sessions/revoke",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(format!("csrf={csrf}&session=").as_bytes()),
    );
    assert_eq!(ended.status, 303, "{}", ended.text());

    // The page's next refresh (htmx, every 5 s) finds no session: the whole
    // page goes to the login, which leads back to the cluster page — not a
    // login form swapped into the list of zones.
    browser.wait_for("h1", "Log in");
    assert!(
        browser.url().ends_with("/ui/login?next=%2Fui%2Fcluster"),
        "{}",
        browser.url()
    );
    assert!(browser.find("#cluster-zones").is_none());
}
