//! The audit log and the account page in a real browser (headless
//! Chromium over WebDriver) against a running `hadns serve`: a failed and
//! a successful login, a zone created and deleted and a token created in
//! the UI are on `/ui/audit` and in `GET /api/v1/audit` with the user and
//! 127.0.0.1, and filters narrow both; a user changes their own password
//! (a wrong current one refused, nothing changed) and ends another
//! session, which is sent to the login page at its next request.
//! Screenshots of both pages at 1280 and 390 px go to
//! `target/ui-screenshots/`.

mod common;

use common::webdriver::{Browser, screenshots};
use common::{ApiNode, HttpResponse, http_request};

/// Logs in over plain HTTP as `user`, saying it is curl.
fn http_login(node: &ApiNode, user: &str, password: &str) -> HttpResponse {
    http_request(
        node.api,
        "POST",
        "/ui/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("User-Agent", "curl/8.5.0"),
        ],
        Some(format!("username={user}&password={password}").as_bytes()),
    )
}

/// The session cookie (`name=value`) a login answered with.
fn session_cookie(login: &HttpResponse) -> String {
    assert_eq!(login.status, 303, "a login: {}", login.text());
    login
        .header("set-cookie")
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// The audit events `query` selects, through the API.
fn audit(node: &ApiNode, query: &str) -> Vec<serde_json::Value> {
    node.get_json(&format!("/api/v1/audit{query}"))["events"]
        .as_array()
        .expect("an events array")
        .clone()
}

/// `action` and `outcome` of each event, newest first.
fn actions(events: &[serde_json::Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(action: &str, outcome: &str) -> (String, String) {
    (action.to_string(), outcome.to_string())
}

#[test]
fn logins_zones_and_tokens_are_audited_and_filters_narrow_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let node = ApiNode::start(dir.path(), "hadns", "");
    let base = format!("http://{}", node.api);
    let browser = Browser::start(dir.path(), 1280, 900);

    // A failed login, then a good one.
    browser.open(&format!("{base}/ui/login"));
    browser.fill("#username", "admin");
    browser.fill("#password", "not-the-password");
    browser.click_on("section.login button[type=submit]");
    browser.wait_for("#login-error", "wrong password");
    browser.fill("#username", "admin");
    browser.fill("#password", &node.initial_password());
    browser.click_on("section.login button[type=submit]");
    browser.wait_for("h1", "Zones");

    // A zone created and deleted, a read-only token created.
    browser.fill("#zone-name", "audit.test");
    browser.fill("#zone-ns", "ns1.example.net");
    browser.click_on("form.create button[type=submit]");
    browser.wait_for("h1", "audit.test.");
    browser.open(&format!("{base}/ui/zones/audit.test./delete"));
    browser.fill("#confirm", "audit.test");
    browser.click_on("main form button.danger");
    browser.wait_for("#zones-notice", "Zone audit.test. deleted.");
    browser.open(&format!("{base}/ui/users"));
    browser.fill("#token-name", "reader");
    browser.execute("document.querySelector('#token-scope').value = 'read';");
    browser.click_on("form[action='/ui/tokens'] button[type=submit]");
    let secret_element = browser.wait_for("#shown-secret", "hadns_");
    let read_only = browser.text(&secret_element);
    // And one change through the API, with the node's first token.
    node.create_zone("api.test.", serde_json::json!([]));

    // The page lists them, newest first, with who and from where; the
    // link to it is in the navigation.
    browser.click_on("header nav a[href='/ui/audit']");
    browser.wait_for("h1", "Audit log");
    let rows = browser.find_all("table.audit tbody tr");
    let cells: Vec<String> = rows.iter().map(|r| browser.text(r)).collect();
    let want = [
        ("zone.create", "api.test."),
        ("token.create", "reader"),
        ("zone.delete", "audit.test."),
        ("zone.create", "audit.test."),
        ("login", ""),
        ("login", ""),
    ];
    assert_eq!(cells.len(), want.len(), "{cells:#?}");
    for (row, (action, target)) in cells.iter().zip(want) {
        assert!(
            row.contains(action) && row.contains(target) && row.contains("admin"),
            "{row}"
        );
        assert!(row.contains("127.0.0.1"), "{row}");
    }
    assert!(cells[0].contains("token admin"), "{}", cells[0]);
    assert!(cells[1].contains("scope read"), "{}", cells[1]);
    assert!(
        cells[5].contains("failure") && cells[4].contains("success"),
        "{cells:#?}"
    );
    assert!(
        !browser.source().contains("not-the-password"),
        "no password"
    );
    assert!(!browser.source().contains(&read_only), "no token secret");
    browser.screenshot(&screenshots().join("audit.png"));
    browser.resize(390, 844);
    browser.open(&format!("{base}/ui/audit"));
    browser.wait_for("h1", "Audit log");
    browser.screenshot(&screenshots().join("audit-phone.png"));
    browser.resize(1280, 900);

    // Filters narrow the list: by action, then by zone (typed without
    // its final dot), then by a user nobody is.
    browser.open(&format!("{base}/ui/audit"));
    browser.execute("document.querySelector('#audit-action').value = 'zone.create';");
    browser.click_on("form.filters button[type=submit]");
    browser.wait_for("table.audit caption", "2 events");
    for row in browser.find_all("table.audit td.action") {
        assert_eq!(browser.text(&row), "zone.create");
    }
    browser.open(&format!("{base}/ui/audit"));
    browser.fill("#audit-target", "audit.test");
    browser.click_on("form.filters button[type=submit]");
    browser.wait_for("table.audit caption", "2 events");
    let shown: Vec<String> = browser
        .find_all("table.audit td.action")
        .iter()
        .map(|e| browser.text(e))
        .collect();
    assert_eq!(shown, ["zone.delete", "zone.create"]);
    browser.open(&format!("{base}/ui/audit"));
    browser.fill("#audit-user", "nobody");
    browser.click_on("form.filters button[type=submit]");
    browser.wait_for("table.audit caption", "No events");
    browser.open(&format!("{base}/ui/audit?to=1999-12-31"));
    browser.wait_for("table.audit caption", "No events");
    browser.open(&format!("{base}/ui/audit?from=tomorrow"));
    browser.wait_for("#audit-error", "is not a date");

    // The API: the same events, the same filters.
    let all = audit(&node, "");
    assert_eq!(
        actions(&all),
        [
            pair("zone.create", "success"),
            pair("token.create", "success"),
            pair("zone.delete", "success"),
            pair("zone.create", "success"),
            pair("login", "success"),
            pair("login", "failure"),
        ]
    );
    let ui_create = &all[3];
    assert_eq!(ui_create["user"], "admin");
    assert_eq!(ui_create["client"], "127.0.0.1");
    assert_eq!(ui_create["target"], "audit.test.");
    assert!(ui_create.get("token").is_none(), "{ui_create}");
    assert_eq!(all[0]["token"], "admin", "the API's token is named");
    assert_eq!(all[5]["user"], "admin", "the name tried");
    assert!(
        all[5]["detail"]
            .as_str()
            .unwrap()
            .contains("wrong password")
    );
    assert_eq!(
        actions(&audit(&node, "?action=login")),
        [pair("login", "success"), pair("login", "failure")]
    );
    assert_eq!(audit(&node, "?target=audit.test").len(), 2);
    assert_eq!(audit(&node, "?user=nobody").len(), 0);
    let at = all[2]["at"].as_u64().unwrap();
    assert!(
        audit(&node, &format!("?from={}", at + 3600)).is_empty(),
        "nothing an hour later"
    );
    assert_eq!(
        audit(&node, &format!("?to={at}&action=zone.delete")).len(),
        0
    );
    // Keyset pages: two at a time, every event once.
    let first = node.get_json("/api/v1/audit?limit=2");
    assert_eq!(first["events"].as_array().unwrap().len(), 2);
    let older = first["older"].as_u64().expect("more pages");
    let second = audit(&node, &format!("?limit=2&before={older}"));
    assert_eq!(actions(&second), actions(&all[2..4]));
    // Refusals: an unknown action, a read-only token, no token.
    let bad = node.get("/api/v1/audit?action=zone.explode");
    assert_eq!(bad.status, 422, "{}", bad.text());
    let reader = node.request("GET", "/api/v1/audit", Some(&read_only), &[], None);
    assert_eq!(reader.status, 403, "{}", reader.text());
    assert_eq!(
        node.request("GET", "/api/v1/audit", None, &[], None).status,
        401
    );
    // The OpenAPI document describes it.
    let document = node.get_json("/api/openapi.json");
    let operation = &document["paths"]["/api/v1/audit"]["get"];
    let parameters: Vec<&str> = operation["parameters"]
        .as_array()
        .expect("documented parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in ["user", "action", "target", "from", "to", "before", "limit"] {
        assert!(parameters.contains(&name), "{parameters:?}");
    }
}

#[test]
fn a_user_changes_their_password_and_ends_another_session() {
    let dir = tempfile::tempdir().unwrap();
    let node = ApiNode::start(dir.path(), "hadns", "");
    let base = format!("http://{}", node.api);
    let old = node.initial_password();
    let new = "a-brand-new-password";
    let browser = Browser::start(dir.path(), 1280, 900);
    browser.open(&format!("{base}/ui/login"));
    browser.fill("#username", "admin");
    browser.fill("#password", &old);
    browser.click_on("section.login button[type=submit]");
    browser.wait_for("h1", "Zones");
    // A second session, from "curl".
    let other = session_cookie(&http_login(&node, "admin", &old));
    let page = |cookie: &str| http_request(node.api, "GET", "/ui/", &[("Cookie", cookie)], None);
    assert_eq!(page(&other).status, 200);

    // The header's user name leads to the account page, which lists both.
    browser.click_on("header a.who");
    browser.wait_for("h1", "Your account: admin");
    browser.wait_for("table.sessions caption", "2 sessions");
    let current = browser.wait_for("table.sessions tr.current", "this session");
    let text = browser.text(&current);
    assert!(
        text.contains("Chrome") && text.contains("127.0.0.1"),
        "{text}"
    );
    let curl = browser.wait_for("table.sessions tbody tr", "curl 8");
    assert!(browser.text(&curl).contains("127.0.0.1"));
    browser.screenshot(&screenshots().join("account.png"));
    browser.resize(390, 844);
    browser.open(&format!("{base}/ui/account"));
    browser.wait_for("h1", "Your account");
    browser.screenshot(&screenshots().join("account-phone.png"));
    browser.resize(1280, 900);

    // End the curl session: its next request goes to the login page.
    browser.open(&format!("{base}/ui/account"));
    browser.click_on("table.sessions button[aria-label*='curl 8']");
    browser.wait_for("#account-notice", "Session ended.");
    browser.wait_for("table.sessions caption", "1 session");
    let ended = page(&other);
    assert_eq!(ended.status, 303);
    assert_eq!(ended.header("location"), Some("/ui/login"));

    // Another one, which the password change will end.
    let third = session_cookie(&http_login(&node, "admin", &old));
    // A wrong current password: refused beside its field, nothing changed.
    browser.open(&format!("{base}/ui/account"));
    browser.fill("#current-password", "not-my-password");
    browser.fill("#new-password", new);
    browser.fill("#repeat-password", new);
    browser.click_on("form[action='/ui/account/password'] button[type=submit]");
    browser.wait_for("#current-password-error", "not your current password");
    assert_eq!(page(&third).status, 200, "the password did not change");
    // Too short: refused beside the new one.
    browser.fill("#current-password", &old);
    browser.execute("document.querySelectorAll('input[minlength]').forEach(i => i.removeAttribute('minlength'));");
    browser.fill("#new-password", "short");
    browser.fill("#repeat-password", "short");
    browser.click_on("form[action='/ui/account/password'] button[type=submit]");
    browser.wait_for("#new-password-error", "at least 12 characters");
    assert_eq!(page(&third).status, 200);
    // The right one: changed; this session goes on, the other ends.
    browser.fill("#current-password", &old);
    browser.fill("#new-password", new);
    browser.fill("#repeat-password", new);
    browser.click_on("form[action='/ui/account/password'] button[type=submit]");
    browser.wait_for("#account-notice", "Password changed");
    browser.open(&format!("{base}/ui/"));
    browser.wait_for("h1", "Zones");
    assert_eq!(page(&third).status, 303, "other sessions end");
    assert_eq!(http_login(&node, "admin", &old).status, 401, "the old one");
    session_cookie(&http_login(&node, "admin", new));

    // "Log out everywhere else" ends the session just made.
    let fourth = session_cookie(&http_login(&node, "admin", new));
    browser.open(&format!("{base}/ui/account"));
    browser.click_on("#end-others");
    browser.wait_for("#account-notice", "Your other sessions have ended.");
    assert_eq!(page(&fourth).status, 303);
    browser.open(&format!("{base}/ui/"));
    browser.wait_for("h1", "Zones");

    // All of it is in the audit log; no password anywhere in it.
    let events = audit(&node, "");
    let done = actions(&events);
    for expected in [
        pair("password.change", "success"),
        pair("password.change", "failure"),
        pair("session.revoke", "success"),
    ] {
        assert!(done.contains(&expected), "{done:?}");
    }
    let text = serde_json::Value::Array(events).to_string();
    for secret in [old.as_str(), new, "not-my-password"] {
        assert!(!text.contains(secret), "a password in the log: {text}");
    }
    let changes = audit(&node, "?action=password.change");
    assert_eq!(changes[1]["detail"], "wrong current password");
    assert_eq!(changes[0]["client"], "127.0.0.1");
}
