//! Roles and per-zone rights, route by route, against a running
//! `hadns serve`: every API route the OpenAPI document lists and every web
//! UI route `crates/web/src/ui/routes.rs` declares is asked by an admin,
//! an operator, a `user` with write on a.test. and read on b.test. (and
//! nothing on c.test.), and an admin's token limited to a.test.; each
//! answer must be the status the table expects.
//!
//! The tables ([`API`], [`UI`]) have one line per route and method. A
//! route the server has but a table lacks (or the other way round) fails
//! the test: whoever adds a route adds its line, and so decides who may
//! use it. Zone routes are asked about a.test., b.test. or c.test. as the
//! column says; for routes without a zone the columns differ only by who
//! asks.
//!
//! In Chromium: an admin grants a user write on one zone; the user sees
//! only that zone, adds a record that is answered over DNS, and finds the
//! other zone missing; an operator cannot open the users page.
//! Screenshots of the users page go to `target/ui-screenshots/`.
//!
//! The rule the server follows (crates/web/src/access.rs): a zone the
//! caller may not read is a 404, as if it did not exist; a zone it may
//! read but not change, and routes above its role, are a 403.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use std::net::Ipv4Addr;
use std::path::PathBuf;

use common::webdriver::Browser;
use common::{ApiNode, HttpResponse, ask, hadns_binary, http_request};
use wire::{Rcode, Rtype};

/// Who asks, about which zone, in the columns of [`API`].
const API_COLUMNS: [(Who, &str); 7] = [
    (Who::Admin, "a.test."),
    (Who::Operator, "a.test."),
    (Who::User, "a.test."),
    (Who::User, "b.test."),
    (Who::User, "c.test."),
    (Who::Limited, "a.test."),
    (Who::Limited, "c.test."),
];

/// Who asks, about which zone, in the columns of [`UI`].
const UI_COLUMNS: [(Who, &str); 5] = [
    (Who::Admin, "a.test."),
    (Who::Operator, "a.test."),
    (Who::User, "a.test."),
    (Who::User, "b.test."),
    (Who::User, "c.test."),
];

/// The callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// The bootstrap admin (its token, its session).
    Admin,
    /// `ops`, role operator.
    Operator,
    /// `bob`, role user: write on a.test., read on b.test.
    User,
    /// The admin's token limited to a.test. (API only).
    Limited,
}

/// One API route: method, route as the OpenAPI document spells it, the
/// request path (`{zone}` and `{cell}` filled in per column), the JSON
/// body, and the expected status per column of [`API_COLUMNS`]:
/// admin@a, operator@a, user@a (write), user@b (read), user@c (none),
/// limited@a, limited@c.
type ApiRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [u16; 7],
);

const Z: &str = "/api/v1/servers/localhost/zones";

#[rustfmt::skip]
const API: &[ApiRow] = &[
    ("GET", "/api", "/api", "", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1", "/api/v1", "", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/openapi.json", "/api/openapi.json", "", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/health", "/health", "", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/metrics", "/metrics", "", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/servers", "/api/v1/servers", "", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/servers/localhost", "/api/v1/servers/localhost", "", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/servers/localhost/search-data", "/api/v1/servers/localhost/search-data?q=*", "", [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/servers/localhost/config", "/api/v1/servers/localhost/config", "", [200, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/servers/localhost/statistics", "/api/v1/servers/localhost/statistics", "", [200, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/servers/localhost/tsigkeys", "/api/v1/servers/localhost/tsigkeys", "", [200, 403, 403, 403, 403, 403, 403]),
    ("POST", "/api/v1/servers/localhost/tsigkeys", "/api/v1/servers/localhost/tsigkeys", r#"{"name": "k{cell}.", "algorithm": "hmac-sha256"}"#, [201, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/servers/localhost/tsigkeys/{tsigkey_id}", "/api/v1/servers/localhost/tsigkeys/kept.", "", [200, 403, 403, 403, 403, 403, 403]),
    ("PUT", "/api/v1/servers/localhost/tsigkeys/{tsigkey_id}", "/api/v1/servers/localhost/tsigkeys/kept.", r#"{"algorithm": "hmac-sha512"}"#, [200, 403, 403, 403, 403, 403, 403]),
    ("DELETE", "/api/v1/servers/localhost/tsigkeys/{tsigkey_id}", "/api/v1/servers/localhost/tsigkeys/doomed.", "", [204, 403, 403, 403, 403, 403, 403]),
    ("GET", Z, Z, "", [200, 200, 200, 200, 200, 200, 200]),
    ("POST", Z, Z, r#"{"name": "new{cell}.test.", "kind": "Native", "nameservers": ["ns1.example.net."]}"#, [201, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/servers/localhost/zones/{zone}", "{Z}/{zone}", "", [200, 200, 200, 200, 404, 200, 404]),
    ("PATCH", "/api/v1/servers/localhost/zones/{zone}", "{Z}/{zone}", r#"{"rrsets": [{"name": "t{cell}.{zone}", "type": "TXT", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "\"x\""}]}]}"#, [204, 204, 204, 403, 404, 204, 404]),
    // Zone settings (here `account`) are an admin's, whoever may write the records.
    ("PUT", "/api/v1/servers/localhost/zones/{zone}", "{Z}/{zone}", r#"{"account": ""}"#, [204, 403, 403, 403, 404, 403, 404]),
    // `view=none` (no such view) makes an admin's DELETE fail after the rights check: the zone stays.
    ("DELETE", "/api/v1/servers/localhost/zones/{zone}", "{Z}/{zone}?view=none", "", [404, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/servers/localhost/zones/{zone}/export", "{Z}/{zone}/export", "", [200, 200, 200, 200, 404, 200, 404]),
    ("PUT", "/api/v1/servers/localhost/zones/{zone}/notify", "{Z}/{zone}/notify", "", [200, 200, 403, 403, 404, 200, 404]),
    // Not a secondary: 422 once admitted.
    ("PUT", "/api/v1/servers/localhost/zones/{zone}/axfr-retrieve", "{Z}/{zone}/axfr-retrieve", "", [422, 422, 403, 403, 404, 422, 404]),
    ("GET", "/api/v1/servers/localhost/zones/{zone}/history", "{Z}/{zone}/history", "", [200, 200, 200, 200, 404, 200, 404]),
    ("GET", "/api/v1/servers/localhost/zones/{zone}/history/{serial}", "{Z}/{zone}/history/1", "", [200, 200, 200, 200, 404, 200, 404]),
    ("POST", "/api/v1/servers/localhost/zones/{zone}/revert", "{Z}/{zone}/revert", r#"{"serial": 1}"#, [200, 200, 200, 403, 404, 200, 404]),
    ("GET", "/api/v1/servers/localhost/zones/{zone}/settings", "{Z}/{zone}/settings", "", [200, 200, 200, 200, 404, 200, 404]),
    // A body without the SOA's fields is refused after the rights check.
    ("PUT", "/api/v1/servers/localhost/zones/{zone}/settings", "{Z}/{zone}/settings", "{}", [422, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/audit", "/api/v1/audit", "", [200, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/cluster", "/api/v1/cluster?probe=false", "", [200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/control", "/api/v1/control", r#"{"command": "status"}"#, [200, 200, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/views", "/api/v1/views", "", [200, 200, 200, 200, 200, 200, 200]),
    // No views are configured: an unknown view for everyone.
    ("GET", "/api/v1/views/{view}", "/api/v1/views/none", "", [404, 404, 404, 404, 404, 404, 404]),
];

/// One UI route: method, route as routes.rs spells it, the request path
/// (`{zone}`, `{cell}` filled in), the form body (`csrf` is added), and the
/// expected status per column of [`UI_COLUMNS`]: admin@a, operator@a,
/// user@a (write), user@b (read), user@c (none).
type UiRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [u16; 5],
);

#[rustfmt::skip]
const UI: &[UiRow] = &[
    ("GET", "/", "/", "", [303, 303, 303, 303, 303]),
    ("GET", "/ui", "/ui", "", [303, 303, 303, 303, 303]),
    ("GET", "/ui/static/style.css", "/ui/static/style.css", "", [200, 200, 200, 200, 200]),
    ("GET", "/ui/static/htmx.min.js", "/ui/static/htmx.min.js", "", [200, 200, 200, 200, 200]),
    // With a session, the login page leads on to the zones.
    ("GET", "/ui/login", "/ui/login", "", [303, 303, 303, 303, 303]),
    // Right credentials (failed logins would be rate limited).
    ("POST", "/ui/login", "/ui/login", "username={user}&password={password}", [303, 303, 303, 303, 303]),
    ("POST", "/ui/logout", "/ui/logout", "", [303, 303, 303, 303, 303]),
    ("GET", "/ui/", "/ui/", "", [200, 200, 200, 200, 200]),
    ("POST", "/ui/zones", "/ui/zones", "name=ui{cell}.test&nameservers=ns1.example.net.", [303, 403, 403, 403, 403]),
    ("GET", "/ui/zones/{zone}", "/ui/zones/{zone}", "", [200, 200, 200, 200, 404]),
    // A GET of a form's URL leads back to the zone page (which decides).
    ("GET", "/ui/zones/{zone}/records", "/ui/zones/{zone}/records", "", [303, 303, 303, 303, 303]),
    ("POST", "/ui/zones/{zone}/records", "/ui/zones/{zone}/records", "name=u{cell}&ttl=60&rtype=TXT&content=%22x%22", [303, 303, 303, 403, 404]),
    // The confirmation page; with no record named, back to the zone.
    ("GET", "/ui/zones/{zone}/records/delete", "/ui/zones/{zone}/records/delete", "", [303, 303, 303, 403, 404]),
    ("POST", "/ui/zones/{zone}/records/delete", "/ui/zones/{zone}/records/delete", "name=absent&rtype=TXT&content=%22x%22", [422, 422, 422, 403, 404]),
    ("GET", "/ui/zones/{zone}/view-rrset", "/ui/zones/{zone}/view-rrset", "", [303, 303, 303, 303, 303]),
    ("POST", "/ui/zones/{zone}/view-rrset", "/ui/zones/{zone}/view-rrset", "view=none&name=absent&rtype=TXT&action=hide", [404, 404, 404, 403, 404]),
    ("GET", "/ui/zones/{zone}/edit", "/ui/zones/{zone}/edit?name=absent&rtype=TXT&content=x", "", [422, 422, 422, 403, 404]),
    ("POST", "/ui/zones/{zone}/edit", "/ui/zones/{zone}/edit", "name=absent&ttl=60&rtype=TXT&content=%22x%22&old_name=absent&old_rtype=TXT&old_content=%22y%22", [422, 422, 422, 403, 404]),
    ("GET", "/ui/zones/{zone}/delete", "/ui/zones/{zone}/delete", "", [200, 403, 403, 403, 403]),
    // The confirmation does not match: an admin's deletion is refused after the rights check.
    ("POST", "/ui/zones/{zone}/delete", "/ui/zones/{zone}/delete", "confirm=wrong", [422, 403, 403, 403, 403]),
    ("GET", "/ui/zones/{zone}/bulk", "/ui/zones/{zone}/bulk", "", [303, 303, 303, 303, 303]),
    // Nothing selected: refused once admitted.
    ("POST", "/ui/zones/{zone}/bulk", "/ui/zones/{zone}/bulk", "action=delete&stage=preview", [422, 422, 422, 403, 404]),
    ("GET", "/ui/zones/{zone}/settings", "/ui/zones/{zone}/settings", "", [200, 403, 403, 403, 403]),
    ("POST", "/ui/zones/{zone}/settings", "/ui/zones/{zone}/settings", "mname=&rname=", [422, 403, 403, 403, 403]),
    ("GET", "/ui/cluster", "/ui/cluster", "", [200, 200, 200, 200, 200]),
    ("GET", "/ui/cluster/live", "/ui/cluster/live", "", [200, 200, 200, 200, 200]),
    // a.test. is not replicated here (no NOTIFY targets, not a secondary).
    ("POST", "/ui/cluster/notify", "/ui/cluster/notify", "zone=a.test.&target=127.0.0.1:9", [422, 422, 403, 403, 403]),
    ("POST", "/ui/cluster/{action}", "/ui/cluster/retransfer", "zone=a.test.", [422, 422, 403, 403, 403]),
    ("POST", "/ui/cluster/peer-retransfer", "/ui/cluster/peer-retransfer", "zone=a.test.&peer=ghost", [422, 422, 403, 403, 403]),
    ("GET", "/ui/audit", "/ui/audit", "", [200, 403, 403, 403, 403]),
    ("GET", "/ui/account", "/ui/account", "", [200, 200, 200, 200, 200]),
    ("GET", "/ui/account/password", "/ui/account/password", "", [303, 303, 303, 303, 303]),
    // Too short a new password: refused before the current one is checked
    // (which would count as a failed login).
    ("POST", "/ui/account/password", "/ui/account/password", "current=x&new=short&repeat=short", [422, 422, 422, 422, 422]),
    ("GET", "/ui/account/sessions/revoke", "/ui/account/sessions/revoke", "", [303, 303, 303, 303, 303]),
    ("POST", "/ui/account/sessions/revoke", "/ui/account/sessions/revoke", "session=0000000000000000", [404, 404, 404, 404, 404]),
    ("GET", "/ui/account/tokens", "/ui/account/tokens", "", [303, 303, 303, 303, 303]),
    // Everyone makes their own tokens (here refused: no such scope).
    ("POST", "/ui/account/tokens", "/ui/account/tokens", "name=t{cell}&scope=all", [422, 422, 422, 422, 422]),
    ("GET", "/ui/account/tokens/revoke", "/ui/account/tokens/revoke", "", [303, 303, 303, 303, 303]),
    // Another user's token is no token of yours.
    ("POST", "/ui/account/tokens/revoke", "/ui/account/tokens/revoke", "name=ghost", [422, 422, 422, 422, 422]),
    ("GET", "/ui/import", "/ui/import", "", [200, 403, 403, 403, 403]),
    ("POST", "/ui/import", "/ui/import", "", [400, 403, 403, 403, 403]),
    ("GET", "/ui/users", "/ui/users", "", [200, 403, 403, 403, 403]),
    ("POST", "/ui/users", "/ui/users", "name=u{cell}&role=user", [200, 403, 403, 403, 403]),
    ("POST", "/ui/users/password", "/ui/users/password", "name=ghost", [422, 403, 403, 403, 403]),
    ("POST", "/ui/users/state", "/ui/users/state", "name=ghost&disabled=true", [422, 403, 403, 403, 403]),
    ("POST", "/ui/users/role", "/ui/users/role", "name=ghost&role=user", [422, 403, 403, 403, 403]),
    ("POST", "/ui/users/grant", "/ui/users/grant", "name=ghost&kind=zone&target=a.test&access=read", [422, 403, 403, 403, 403]),
    ("POST", "/ui/users/revoke-grant", "/ui/users/revoke-grant", "name=ghost&kind=zone&target=a.test", [422, 403, 403, 403, 403]),
    ("GET", "/ui/users/delete", "/ui/users/delete?name=ghost", "", [422, 403, 403, 403, 403]),
    ("POST", "/ui/users/delete", "/ui/users/delete", "name=ghost", [422, 403, 403, 403, 403]),
    ("POST", "/ui/tokens", "/ui/tokens", "name=t{cell}&scope=read", [200, 403, 403, 403, 403]),
    ("POST", "/ui/tokens/revoke", "/ui/tokens/revoke", "name=ghost", [422, 403, 403, 403, 403]),
    ("GET", "/ui/zones/{zone}/history", "/ui/zones/{zone}/history", "", [200, 200, 200, 200, 404]),
    ("GET", "/ui/zones/{zone}/revert", "/ui/zones/{zone}/revert?serial=1", "", [200, 200, 200, 403, 404]),
    ("POST", "/ui/zones/{zone}/revert", "/ui/zones/{zone}/revert", "serial=1", [303, 303, 303, 403, 404]),
];

/// Runs `hadns ARGS --data-dir data` in the node's directory with `input`
/// on standard input; fails the test if it fails.
fn hadns(node: &ApiNode, args: &[&str], input: &str) -> String {
    let mut child = Command::new(hadns_binary())
        .args(args)
        .args(["--data-dir", "data"])
        .current_dir(&node.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hadns");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "hadns {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The node, its zones, users, grants and tokens.
struct Setup {
    node: ApiNode,
    admin_password: String,
    operator_token: String,
    user_token: String,
    limited_token: String,
}

fn set_up(root: &std::path::Path) -> Setup {
    let node = ApiNode::start(
        root,
        "hadns",
        "[zone_defaults]\nnameservers = [\"ns1.example.net.\"]\n",
    );
    for zone in ["a.test.", "b.test.", "c.test."] {
        node.create_zone(zone, serde_json::json!([]));
    }
    for key in ["kept.", "doomed."] {
        let made = node.send(
            "POST",
            "/api/v1/servers/localhost/tsigkeys",
            &serde_json::json!({"name": key, "algorithm": "hmac-sha256"}),
        );
        assert_eq!(made.status, 201, "{}", made.text());
    }
    hadns(
        &node,
        &["user", "add", "ops", "--role", "operator"],
        "ops-password\n",
    );
    hadns(
        &node,
        &["user", "add", "bob", "--role", "user"],
        "bob-password\n",
    );
    hadns(
        &node,
        &[
            "user", "grant", "bob", "--zone", "a.test", "--access", "write",
        ],
        "",
    );
    hadns(
        &node,
        &[
            "user", "grant", "bob", "--zone", "b.test", "--access", "read",
        ],
        "",
    );
    let operator_token = hadns(&node, &["token", "create", "ops", "--user", "ops"], "");
    let user_token = hadns(&node, &["token", "create", "bob", "--user", "bob"], "");
    let limited_token = hadns(
        &node,
        &[
            "token", "create", "limited", "--user", "admin", "--zone", "a.test.",
        ],
        "",
    );
    let admin_password = node.initial_password();
    Setup {
        node,
        admin_password,
        operator_token,
        user_token,
        limited_token,
    }
}

impl Setup {
    fn token(&self, who: Who) -> &str {
        match who {
            Who::Admin => &self.node.token,
            Who::Operator => &self.operator_token,
            Who::User => &self.user_token,
            Who::Limited => &self.limited_token,
        }
    }

    fn credentials(&self, who: Who) -> (&str, &str) {
        match who {
            Who::Admin | Who::Limited => ("admin", &self.admin_password),
            Who::Operator => ("ops", "ops-password"),
            Who::User => ("bob", "bob-password"),
        }
    }

    /// A fresh session of `who`: its cookie and CSRF token.
    fn log_in(&self, who: Who) -> (String, String) {
        let (user, password) = self.credentials(who);
        let login = http_request(
            self.node.api,
            "POST",
            "/ui/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(format!("username={user}&password={password}").as_bytes()),
        );
        assert_eq!(login.status, 303, "{user} logs in: {}", login.text());
        let cookie = login
            .header("set-cookie")
            .expect("a session cookie")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let page = http_request(self.node.api, "GET", "/ui/", &[("Cookie", &cookie)], None);
        assert_eq!(page.status, 200, "{user}'s zones page");
        let csrf = page
            .text()
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a CSRF token in the page")
            .to_string();
        (cookie, csrf)
    }
}

/// A path or body with its placeholders filled in.
fn fill(template: &str, zone: &str, cell: &str) -> String {
    template
        .replace("{Z}", Z)
        .replace("{zone}", zone)
        .replace("{cell}", cell)
}

/// A mismatch, described for the failure message.
fn mismatch(method: &str, path: &str, who: Who, expected: u16, response: &HttpResponse) -> String {
    let text = response.text();
    // A page is summed up by its title and first error line.
    let text = match text.split_once("<title>") {
        Some((_, rest)) => {
            let title = rest.split("</title>").next().unwrap_or_default();
            let said = text
                .split("<p class=\"error\"")
                .nth(1)
                .or_else(|| text.split("<main id=\"main\">").nth(1))
                .unwrap_or_default();
            let said: String = said.chars().take(300).collect();
            format!("{title}: {}", said.replace('\n', " "))
        }
        None => text.chars().take(200).collect(),
    };
    format!(
        "{method} {path} as {who:?}: expected {expected}, got {} ({text})",
        response.status
    )
}

/// The (method, route) pairs of the OpenAPI document.
fn documented_routes(node: &ApiNode) -> BTreeSet<(String, String)> {
    let document = node.get_json("/api/openapi.json");
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// The (method, route) pairs `crates/web/src/ui/routes.rs` declares: each
/// `.route("PATH", get(…).post(…))`.
fn declared_ui_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../crates/web/src/ui/routes.rs");
    let mut routes = BTreeSet::new();
    for segment in source.split(".route(").skip(1) {
        let segment = segment.split(".layer(").next().unwrap_or(segment);
        let path = segment
            .split('"')
            .nth(1)
            .expect("a route path literal")
            .to_string();
        for (method, token) in [("GET", "get("), ("POST", "post(")] {
            let found = segment.match_indices(token).any(|(at, _)| {
                at == 0
                    || !segment.as_bytes()[at - 1].is_ascii_alphanumeric()
                        && segment.as_bytes()[at - 1] != b'_'
            });
            if found {
                routes.insert((method.to_string(), path.clone()));
            }
        }
    }
    assert!(routes.len() > 20, "routes.rs did not parse: {routes:?}");
    routes
}

#[test]
fn every_api_and_ui_route_answers_each_role_as_the_table_says() {
    let dir = tempfile::tempdir().unwrap();
    let setup = set_up(dir.path());
    let node = &setup.node;

    // The tables cover exactly the routes the server has.
    let in_table: BTreeSet<(String, String)> = API
        .iter()
        .map(|row| (row.0.to_string(), row.1.to_string()))
        .collect();
    let documented = documented_routes(node);
    assert_eq!(
        documented.difference(&in_table).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "API routes missing from the table: add a line to API"
    );
    assert_eq!(
        in_table.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "lines of API for routes the OpenAPI document does not list"
    );
    let in_ui_table: BTreeSet<(String, String)> = UI
        .iter()
        .map(|row| (row.0.to_string(), row.1.to_string()))
        .collect();
    assert_eq!(
        declared_ui_routes(),
        in_ui_table,
        "the UI table and routes.rs differ: add or remove lines of UI"
    );

    let mut wrong = Vec::new();
    let mut cell = 0;
    for (method, _, path, body, expected) in API {
        for ((who, zone), expected) in API_COLUMNS.iter().zip(expected) {
            cell += 1;
            let path = fill(path, zone, &cell.to_string());
            let body = fill(body, zone, &cell.to_string());
            let response = node.request(
                method,
                &path,
                Some(setup.token(*who)),
                &[],
                (!body.is_empty()).then_some(body.as_str()),
            );
            if response.status != *expected {
                wrong.push(mismatch(method, &path, *who, *expected, &response));
            }
        }
    }
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    // One session per caller (a login costs an Argon2 hash), a fresh one
    // for logging out.
    let mut sessions: Vec<(Who, (String, String))> = Vec::new();
    for (method, route, path, body, expected) in UI {
        for ((who, zone), expected) in UI_COLUMNS.iter().zip(expected) {
            cell += 1;
            let path = fill(path, zone, &cell.to_string());
            let (cookie, csrf) = match sessions.iter().find(|(w, _)| w == who) {
                Some((_, session)) if *route != "/ui/logout" => session.clone(),
                _ => {
                    let session = setup.log_in(*who);
                    if *route != "/ui/logout" {
                        sessions.push((*who, session.clone()));
                    }
                    session
                }
            };
            let (user, password) = setup.credentials(*who);
            let mut body = fill(body, zone, &cell.to_string())
                .replace("{user}", user)
                .replace("{password}", password);
            if *method == "POST" && !path.starts_with("/ui/login") {
                body = if body.is_empty() {
                    format!("csrf={csrf}")
                } else {
                    format!("{body}&csrf={csrf}")
                };
            }
            let headers = [("Cookie", cookie.as_str()), form];
            let response = http_request(
                node.api,
                method,
                &path,
                &headers,
                (*method == "POST").then_some(body.as_bytes()),
            );
            if response.status != *expected {
                wrong.push(mismatch(method, &path, *who, *expected, &response));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answers differ from the table:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Lists show a `user` only its zones: the zone list, search, and the
/// UI's zone list; a forbidden write names who and what.
#[test]
fn a_user_sees_only_its_zones_and_is_told_why_a_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let setup = set_up(dir.path());
    let node = &setup.node;
    let names = |response: HttpResponse, key: &str| -> Vec<String> {
        assert_eq!(response.status, 200, "{}", response.text());
        let mut names: Vec<String> = response
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|z| z[key].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names.dedup();
        names
    };
    let zones = |who: Who| {
        names(
            node.request("GET", Z, Some(setup.token(who)), &[], None),
            "name",
        )
    };
    assert_eq!(zones(Who::Admin), ["a.test.", "b.test.", "c.test."]);
    assert_eq!(zones(Who::Operator), ["a.test.", "b.test.", "c.test."]);
    assert_eq!(zones(Who::User), ["a.test.", "b.test."]);
    assert_eq!(zones(Who::Limited), ["a.test."]);
    let search = node.request(
        "GET",
        "/api/v1/servers/localhost/search-data?q=*.test.&object_type=zone",
        Some(setup.token(Who::User)),
        &[],
        None,
    );
    assert_eq!(names(search, "zone_id"), ["a.test.", "b.test."]);

    let refused = node.request(
        "PATCH",
        &format!("{Z}/b.test."),
        Some(setup.token(Who::User)),
        &[],
        Some(r#"{"rrsets": [{"name": "x.b.test.", "type": "TXT", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "\"x\""}]}]}"#),
    );
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.error(),
        "Forbidden: user `bob` (token `bob`) may not change zone `b.test.`"
    );
    let hidden = node.request(
        "GET",
        &format!("{Z}/c.test."),
        Some(setup.token(Who::User)),
        &[],
        None,
    );
    assert_eq!(hidden.status, 404);
    let unknown = node.request(
        "GET",
        &format!("{Z}/nowhere.test."),
        Some(setup.token(Who::User)),
        &[],
        None,
    );
    assert_eq!(
        hidden.error(),
        unknown.error().replace("nowhere.test.", "c.test."),
        "a zone bob may not read looks like one that does not exist"
    );

    let (cookie, _) = setup.log_in(Who::User);
    let page = http_request(node.api, "GET", "/ui/", &[("Cookie", &cookie)], None).text();
    assert!(
        page.contains("a.test.") && page.contains("b.test."),
        "{page}"
    );
    assert!(!page.contains("c.test."), "{page}");
    assert!(!page.contains("/ui/users"), "no link to the users page");
    let (cookie, _) = setup.log_in(Who::Admin);
    let page = http_request(node.api, "GET", "/ui/", &[("Cookie", &cookie)], None).text();
    assert!(page.contains("/ui/users"), "admins have the link");
}

/// Logs `browser` in as `user`, landing on the zones page.
fn browser_log_in(browser: &Browser, node: &ApiNode, user: &str, password: &str) {
    browser.open(&format!("http://{}/ui/login", node.api));
    browser.fill("#username", user);
    browser.fill("#password", password);
    browser.click_on("section.login button[type=submit]");
    browser.wait_for("h1", "Zones");
}

#[test]
fn an_admin_grants_a_zone_and_the_user_works_in_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let setup = set_up(dir.path());
    let node = &setup.node;
    let base = format!("http://{}", node.api);
    let browser = Browser::start(dir.path(), 1280, 900);
    browser_log_in(&browser, node, "admin", &setup.admin_password);

    // A new user, role `user`, granted write on a.test.
    browser.open(&format!("{base}/ui/users"));
    browser.fill("#user-name", "carol");
    browser.click(&browser.wait_for("#user-role option[value=user]", ""));
    browser.click_on("form.create[aria-labelledby=new-user-heading] button[type=submit]");
    browser.wait_for("#shown-heading", "User carol added");
    let carol_password = browser.text(&browser.wait_for("#shown-secret", ""));
    browser.wait_for("#user-carol td.grants", "none: sees no zone");
    browser.click(&browser.wait_for("#grant-user option[value=carol]", ""));
    browser.fill("#grant-target", "a.test");
    browser.click(&browser.wait_for("#grant-access option[value=write]", ""));
    browser.click_on("form.create[aria-labelledby=grant-heading] button[type=submit]");
    browser.wait_for(
        "#users-notice",
        "carol may now read and change zone a.test.",
    );
    assert!(
        !browser.source().contains("a.test.."),
        "one final dot ends the sentence"
    );
    browser.wait_for("#user-carol td.grants li", "write on zone a.test.");
    browser.wait_for("#user-bob td.grants li", "read on zone b.test.");
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ui-screenshots");
    browser.screenshot(&shots.join("users-roles-1280.png"));
    browser.resize(390, 844);
    browser.wait_for("#user-carol td.grants li", "write on zone a.test.");
    browser.screenshot(&shots.join("users-roles-390.png"));
    browser.resize(1280, 900);
    browser.click_on("form.logout button[type=submit]");
    browser.wait_for("h1", "Log in");

    // Carol sees a.test. only, and no Users link.
    browser_log_in(&browser, node, "carol", &carol_password);
    let listed: Vec<String> = browser
        .find_all("table.list tbody td:first-child a")
        .iter()
        .map(|cell| browser.text(cell))
        .collect();
    assert_eq!(listed, ["a.test."]);
    assert!(browser.find("nav a[href='/ui/users']").is_none());
    assert!(
        browser.find("#zone-name").is_none(),
        "no zone creation form"
    );

    // She adds a record; it is answered over DNS.
    browser.open(&format!("{base}/ui/zones/a.test."));
    browser.fill("#rec-name", "www");
    browser.fill("#rec-ttl", "300");
    browser.fill("#rec-type", "A");
    browser.fill("#rec-content", "192.0.2.44");
    browser.click_on("form.record button[type=submit]");
    browser.wait_for("#saved-heading", "Saved");
    let answer = ask(node.dns, "www.a.test.", Rtype::A);
    assert_eq!(answer.rcode, Rcode::NOERROR);
    let found: Vec<Ipv4Addr> = answer
        .answer
        .iter()
        .filter_map(|r| <[u8; 4]>::try_from(r.rdata()).ok().map(Ipv4Addr::from))
        .collect();
    assert_eq!(found, [Ipv4Addr::new(192, 0, 2, 44)]);
    let history = node.get_json(&format!("{Z}/a.test./history"));
    assert!(
        history.to_string().contains("carol"),
        "the change is carol's: {history}"
    );

    // Another zone is not there for her, nor its users page.
    browser.open(&format!("{base}/ui/zones/b.test."));
    browser.wait_for("h1", "No such zone");
    browser.open(&format!("{base}/ui/users"));
    browser.wait_for("h1", "Forbidden");
    assert_eq!(ask(node.dns, "www.b.test.", Rtype::A).answer.len(), 0);

    // Her own API token, made on her account page: it acts with her
    // rights (a.test. and nothing else) until she revokes it there.
    browser.open(&format!("{base}/ui/account"));
    browser.fill("#own-token-name", "carol-certbot");
    browser.click_on("form.create[aria-labelledby=tokens-heading] button[type=submit]");
    browser.wait_for("#new-token-heading", "Token carol-certbot created");
    let secret = browser.text(&browser.wait_for("#new-token-secret", "hadns_"));
    let api = |method: &str, path: &str, body: Option<&str>| {
        http_request(
            node.api,
            method,
            path,
            &[
                ("X-API-Key", secret.as_str()),
                ("Content-Type", "application/json"),
            ],
            body.map(str::as_bytes),
        )
        .status
    };
    let change = r#"{"rrsets": [{"name": "_acme-challenge.a.test.", "type": "TXT", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "\"token\""}]}]}"#;
    assert_eq!(api("PATCH", &format!("{Z}/a.test."), Some(change)), 204);
    assert_eq!(
        ask(node.dns, "_acme-challenge.a.test.", Rtype::TXT)
            .answer
            .len(),
        1
    );
    assert_eq!(api("GET", &format!("{Z}/b.test."), None), 404);
    assert_eq!(api("GET", "/api/v1/servers/localhost/tsigkeys", None), 403);
    browser.wait_for("table.own-tokens td", "every zone you may reach");
    browser.click_on("button[aria-label='Revoke your token carol-certbot']");
    browser.wait_for("#account-notice", "Token revoked.");
    assert_eq!(api("GET", &format!("{Z}/a.test."), None), 401);
    browser.click_on("form.logout button[type=submit]");
    browser.wait_for("h1", "Log in");

    // The operator reaches every zone but not the users page.
    browser_log_in(&browser, node, "ops", "ops-password");
    assert_eq!(
        browser.find_all("table.list tbody td:first-child a").len(),
        3
    );
    assert!(browser.find("nav a[href='/ui/users']").is_none());
    browser.open(&format!("{base}/ui/users"));
    let refusal = browser.wait_for("main", "may not use GET /ui/users");
    assert!(
        browser.text(&refusal).contains("user `ops`"),
        "{}",
        browser.text(&refusal)
    );
}

/// A grant limited to one view reaches that view's copy (`?view=`) and
/// nothing else: not the base data, not another view, and not through a
/// form whose URL names the view while its body changes the base.
#[test]
fn a_view_grant_reaches_that_views_copy_only() {
    let dir = tempfile::tempdir().unwrap();
    let node = ApiNode::start(
        dir.path(),
        "hadns",
        "[zone_defaults]\nnameservers = [\"ns1.example.net.\"]\n\
         [[view]]\nname = \"inside\"\nmatch_clients = [\"127.0.0.2\"]\n\
         [[view]]\nname = \"outside\"\nmatch_clients = [\"any\"]\n",
    );
    node.create_zone("v.test.", serde_json::json!([]));
    hadns(
        &node,
        &["user", "add", "dana", "--role", "user"],
        "dana-password\n",
    );
    hadns(
        &node,
        &[
            "user", "grant", "dana", "--zone", "v.test", "--view", "inside", "--access", "write",
        ],
        "",
    );
    let token = hadns(&node, &["token", "create", "dana", "--user", "dana"], "");
    let patch = |query: &str| {
        node.request(
            "PATCH",
            &format!("{Z}/v.test.{query}"),
            Some(&token),
            &[],
            Some(r#"{"rrsets": [{"name": "x.v.test.", "type": "TXT", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "\"x\""}]}]}"#),
        )
        .status
    };
    assert_eq!(patch("?view=inside"), 204);
    assert_eq!(patch(""), 404, "the base data is not dana's");
    assert_eq!(patch("?view=outside"), 404);
    let listed = node.request("GET", Z, Some(&token), &[], None).json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "listed: {listed}");

    // In the UI a form is judged as a change to the base, whatever view
    // its URL names.
    let login = http_request(
        node.api,
        "POST",
        "/ui/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"username=dana&password=dana-password"),
    );
    assert_eq!(login.status, 303);
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = http_request(
        node.api,
        "GET",
        "/ui/zones/v.test.?view=inside",
        &[("Cookie", &cookie)],
        None,
    );
    assert_eq!(page.status, 200, "the view's copy is readable");
    let csrf = page
        .text()
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let posted = http_request(
        node.api,
        "POST",
        "/ui/zones/v.test./records?view=inside",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(format!("name=y&ttl=60&rtype=TXT&content=y&csrf={csrf}").as_bytes()),
    );
    assert_eq!(posted.status, 404, "{}", posted.text());
    let base = node.get_json(&format!("{Z}/v.test."));
    assert!(
        !base.to_string().contains("y.v.test."),
        "the base is unchanged: {base}"
    );
}
