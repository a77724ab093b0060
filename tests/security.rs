//! Who may reach what, route by route (issue 13, point 7), against a
//! running `hadns serve`.
//!
//! The matrix: every API operation the node's own OpenAPI document lists
//! (each path × method, path parameters filled with objects the test
//! made: a zone, TSIG keys, a journal entry) and every web UI route the
//! router declares (`web::ui_route_paths`), each asked by six callers:
//!
//! ```text
//!              no auth   read-only token   read-write token   session   session + wrong CSRF   session + CSRF
//!  API keyed    401      GET ok, else 403   never 401/403      401       401                    401
//!  API open     2xx      2xx                2xx                2xx       2xx                    2xx
//!  UI page      → login  → login            → login            ok        ok                     ok
//!  UI form      → login  → login            → login            403       403                    accepted
//! ```
//!
//! A session never opens the API (a cookie-authenticated API would need
//! CSRF tokens of its own) and a token never opens the UI. A refused form
//! must change nothing: the zones, TSIG keys and audit log are compared
//! before and after; a form the table marks as changing something must
//! change them once the CSRF token is there, so the refusal is shown to
//! matter. Methods a route does not list must be 405, so a method added
//! to a route without a line here fails too. The whole table is printed
//! when a cell differs.
//!
//! Roles (operator, `user` with grants) are `tests/roles.rs`'s matrix;
//! secrets kept out of the logs are `tests/secrets_log.rs`'s.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use common::{ApiNode, HttpResponse, hadns_binary, http_request};

/// The callers of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    /// No key, no cookie.
    Nobody,
    /// The admin's read-only API token.
    ReadOnly,
    /// The admin's read-write API token.
    ReadWrite,
    /// An admin's session cookie, no CSRF token.
    Session,
    /// An admin's session cookie with another session's CSRF token.
    WrongCsrf,
    /// An admin's session cookie with its own CSRF token.
    SessionCsrf,
}

const CALLERS: [Caller; 6] = [
    Caller::Nobody,
    Caller::ReadOnly,
    Caller::ReadWrite,
    Caller::Session,
    Caller::WrongCsrf,
    Caller::SessionCsrf,
];

/// The operations that take no key, as the documentation promises
/// (discovery, the OpenAPI document, health and metrics). The document's
/// own `security` must agree, so a route cannot quietly open up.
const OPEN_API: [(&str, &str); 5] = [
    ("GET", "/api"),
    ("GET", "/api/v1"),
    ("GET", "/api/openapi.json"),
    ("GET", "/health"),
    ("GET", "/metrics"),
];

const Z: &str = "/api/v1/servers/localhost/zones";
const KEYS: &str = "/api/v1/servers/localhost/tsigkeys";

/// A minimal valid request for an API operation: its query string and
/// JSON body (`{n}` is a number unique to the cell). Operations not
/// listed are sent with neither. `PUT …/settings` sends back what its GET
/// answered.
fn api_request(method: &str, route: &str) -> (&'static str, &'static str) {
    match (method, route) {
        ("GET", "/api/v1/servers/localhost/search-data") => ("?q=*", ""),
        // No probes of peers: there are none, and the answer is the same.
        ("GET", "/api/v1/cluster") => ("?probe=false", ""),
        ("POST", KEYS) => ("", r#"{"name": "made{n}.", "algorithm": "hmac-sha256"}"#),
        ("PUT", "/api/v1/servers/localhost/tsigkeys/{tsigkey_id}") => {
            ("", r#"{"algorithm": "hmac-sha512"}"#)
        }
        ("POST", Z) => (
            "",
            r#"{"name": "new{n}.test.", "kind": "Native", "nameservers": ["ns1.example.net."]}"#,
        ),
        ("PATCH", "/api/v1/servers/localhost/zones/{zone}") => (
            "",
            r#"{"rrsets": [{"name": "t{n}.a.test.", "type": "TXT", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "\"x\"", "disabled": false}]}]}"#,
        ),
        ("PUT", "/api/v1/servers/localhost/zones/{zone}") => ("", r#"{"account": ""}"#),
        ("POST", "/api/v1/servers/localhost/zones/{zone}/revert") => {
            ("", r#"{"serial": {serial}}"#)
        }
        ("POST", "/api/v1/control") => ("", r#"{"command": "status"}"#),
        _ => ("", ""),
    }
}

/// What a read-write token may get from an operation besides 2xx, and
/// why; anything else outside 2xx fails the test.
fn read_write_exception(method: &str, route: &str) -> Option<u16> {
    match (method, route) {
        // a.test. is a primary zone: a transfer makes no sense (422).
        ("PUT", "/api/v1/servers/localhost/zones/{zone}/axfr-retrieve") => Some(422),
        // No views are configured, so no view can be named.
        ("GET", "/api/v1/views/{view}") => Some(404),
        _ => None,
    }
}

/// Whether a read-only token is refused an operation that only reads:
/// the audit log shows who did what from where, and is for tokens that
/// may write (its tag in the OpenAPI document says so).
fn read_only_refused_anyway(method: &str, route: &str) -> bool {
    (method, route) == ("GET", "/api/v1/audit")
}

/// One UI route and method: a query or body that makes the request valid
/// (`{n}` unique per cell), and whether, accepted, it changes something
/// the fingerprint sees (zones and serials, TSIG keys, the audit log).
struct UiRow {
    method: &'static str,
    route: &'static str,
    path: &'static str,
    body: &'static str,
    changes: bool,
}

const fn row(
    method: &'static str,
    route: &'static str,
    path: &'static str,
    body: &'static str,
    changes: bool,
) -> UiRow {
    UiRow {
        method,
        route,
        path,
        body,
        changes,
    }
}

/// Every UI route and method. Pages and forms that need no session are
/// in [`UI_OPEN`].
#[rustfmt::skip]
const UI: &[UiRow] = &[
    row("GET", "/ui/", "/ui/", "", false),
    row("POST", "/ui/logout", "/ui/logout", "", true),
    row("POST", "/ui/zones", "/ui/zones", "name=ui{n}.test&nameservers=ns1.example.net.", true),
    row("GET", "/ui/zones/{zone}", "/ui/zones/a.test.", "", false),
    row("GET", "/ui/zones/{zone}/records", "/ui/zones/a.test./records", "", false),
    row("POST", "/ui/zones/{zone}/records", "/ui/zones/a.test./records", "name=u{n}&ttl=60&rtype=TXT&content=%22x%22", true),
    row("GET", "/ui/zones/{zone}/records/delete", "/ui/zones/a.test./records/delete?name=gone.a.test.&rtype=TXT&content=%22x%22", "", false),
    row("POST", "/ui/zones/{zone}/records/delete", "/ui/zones/a.test./records/delete", "name=gone.a.test.&rtype=TXT&content=%22x%22", true),
    row("GET", "/ui/zones/{zone}/bulk", "/ui/zones/a.test./bulk", "", false),
    // Nothing selected: refused once past the CSRF check.
    row("POST", "/ui/zones/{zone}/bulk", "/ui/zones/a.test./bulk", "action=delete&stage=preview", false),
    row("GET", "/ui/zones/{zone}/view-rrset", "/ui/zones/a.test./view-rrset", "", false),
    // No views are configured: refused once past the CSRF check.
    row("POST", "/ui/zones/{zone}/view-rrset", "/ui/zones/a.test./view-rrset", "view=none&name=edit.a.test.&rtype=TXT&action=hide", false),
    row("GET", "/ui/zones/{zone}/edit", "/ui/zones/a.test./edit?name=edit.a.test.&rtype=TXT&content=%22x%22", "", false),
    row("POST", "/ui/zones/{zone}/edit", "/ui/zones/a.test./edit", "name=edit.a.test.&ttl=60&rtype=TXT&content=%22y{n}%22&old_name=edit.a.test.&old_rtype=TXT&old_content=%22x%22", true),
    row("GET", "/ui/zones/{zone}/settings", "/ui/zones/a.test./settings", "", false),
    // Without the SOA's fields: refused once past the CSRF check.
    row("POST", "/ui/zones/{zone}/settings", "/ui/zones/a.test./settings", "mname=&rname=", false),
    row("GET", "/ui/zones/{zone}/delete", "/ui/zones/doomed-ui.test./delete", "", false),
    row("POST", "/ui/zones/{zone}/delete", "/ui/zones/doomed-ui.test./delete", "confirm=doomed-ui.test.", true),
    row("GET", "/ui/cluster", "/ui/cluster", "", false),
    row("GET", "/ui/cluster/live", "/ui/cluster/live", "", false),
    // a.test. has no NOTIFY targets, is no secondary, and there is no peer.
    row("POST", "/ui/cluster/notify", "/ui/cluster/notify", "zone=a.test.&target=127.0.0.1:9", false),
    row("POST", "/ui/cluster/peer-retransfer", "/ui/cluster/peer-retransfer", "zone=a.test.&peer=ghost", false),
    row("POST", "/ui/cluster/{action}", "/ui/cluster/retransfer", "zone=a.test.", false),
    row("GET", "/ui/import", "/ui/import", "", false),
    // A preview: nothing is imported yet.
    row("POST", "/ui/import", "/ui/import", "multipart:origin=imported{n}.test.&stage=preview&text={zone_text}", false),
    row("GET", "/ui/users", "/ui/users", "", false),
    row("POST", "/ui/users", "/ui/users", "name=carol{n}&role=user", true),
    row("POST", "/ui/users/password", "/ui/users/password", "name=dave", true),
    row("POST", "/ui/users/state", "/ui/users/state", "name=dave&disabled=true", true),
    row("POST", "/ui/users/role", "/ui/users/role", "name=dave&role=operator", true),
    row("POST", "/ui/users/grant", "/ui/users/grant", "name=erin&kind=zone&target=a.test&access=read", true),
    row("POST", "/ui/users/revoke-grant", "/ui/users/revoke-grant", "name=erin&kind=zone&target=a.test", true),
    row("GET", "/ui/users/delete", "/ui/users/delete?name=frank", "", false),
    row("POST", "/ui/users/delete", "/ui/users/delete", "name=frank", true),
    row("POST", "/ui/tokens", "/ui/tokens", "name=ui{n}&scope=read", true),
    row("POST", "/ui/tokens/revoke", "/ui/tokens/revoke", "name=doomed", true),
    row("GET", "/ui/audit", "/ui/audit", "", false),
    row("GET", "/ui/account", "/ui/account", "", false),
    row("GET", "/ui/account/tokens", "/ui/account/tokens", "", false),
    row("POST", "/ui/account/tokens", "/ui/account/tokens", "name=own{n}&scope=read", true),
    row("GET", "/ui/account/tokens/revoke", "/ui/account/tokens/revoke", "", false),
    row("POST", "/ui/account/tokens/revoke", "/ui/account/tokens/revoke", "name=own-doomed", true),
    row("GET", "/ui/account/password", "/ui/account/password", "", false),
    // Too short a new password: refused once past the CSRF check (a real
    // change would end the test's other sessions; the log test makes one).
    row("POST", "/ui/account/password", "/ui/account/password", "current=x&new=short&repeat=short", false),
    row("GET", "/ui/account/sessions/revoke", "/ui/account/sessions/revoke", "", false),
    // No such session (an empty handle would end the test's others).
    row("POST", "/ui/account/sessions/revoke", "/ui/account/sessions/revoke", "session=0000000000000000", false),
    row("GET", "/ui/zones/{zone}/history", "/ui/zones/a.test./history", "", false),
    row("GET", "/ui/zones/{zone}/revert", "/ui/zones/a.test./revert?serial=1", "", false),
    row("POST", "/ui/zones/{zone}/revert", "/ui/zones/a.test./revert", "serial=1", true),
];

/// The zone file the import form is given.
const ZONE_TEXT: &str = "$TTL 60\n@ IN SOA ns1.example.net. hostmaster.example.net. 1 60 60 60 60\n@ IN NS ns1.example.net.\n";

/// A multipart form of `fields` (the import form's shape), and its
/// content type.
fn multipart(fields: &[(&str, &str)]) -> (String, String) {
    const BOUNDARY: &str = "security-matrix-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    (body, format!("multipart/form-data; boundary={BOUNDARY}"))
}

/// UI routes that take no session: the redirects to the UI, its static
/// files, and the login page and form (method, route, expected status
/// without a session).
const UI_OPEN: [(&str, &str, u16); 6] = [
    ("GET", "/", 303),
    ("GET", "/ui", 303),
    ("GET", "/ui/static/style.css", 200),
    ("GET", "/ui/static/htmx.min.js", 200),
    ("GET", "/ui/login", 200),
    // Right credentials: a session (the form is checked by its Origin).
    ("POST", "/ui/login", 303),
];

/// Runs `hadns ARGS --data-dir data` in the node's directory, `input` on
/// standard input; returns its standard output.
fn hadns(node: &ApiNode, args: &[&str], input: &str) -> String {
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend(["--data-dir".to_string(), "data".to_string()]);
    let mut command = Command::new(hadns_binary());
    command.args(&all).current_dir(&node.dir);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run hadns");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("hadns finishes");
    assert!(
        output.status.success(),
        "hadns {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A session: its cookie (`name=value`) and CSRF token.
#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

/// Logs `user` in with `password` over HTTP and reads the CSRF token from
/// the zones page.
fn log_in(node: &ApiNode, user: &str, password: &str) -> Session {
    let login = http_request(
        node.api,
        "POST",
        "/ui/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(format!("username={user}&password={}", url_encode(password)).as_bytes()),
    );
    assert_eq!(login.status, 303, "{user} logs in: {}", login.text());
    let cookie = login
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let page = http_request(node.api, "GET", "/ui/", &[("Cookie", &cookie)], None);
    assert_eq!(page.status, 200, "{user}'s zones page");
    let csrf = page
        .text()
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token in the page")
        .to_string();
    Session { cookie, csrf }
}

/// Percent-encodes a form value.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Everything a node was given and made for the matrix.
struct Setup {
    node: ApiNode,
    read_only: String,
    admin_password: String,
    serial: u32,
}

fn set_up(root: &std::path::Path) -> Setup {
    let node = ApiNode::start(
        root,
        "hadns",
        "[zone_defaults]\nnameservers = [\"ns1.example.net.\"]\n",
    );
    let txt = |name: &str| {
        serde_json::json!({"name": name, "type": "TXT", "ttl": 60,
                           "records": [{"content": "\"x\"", "disabled": false}]})
    };
    node.create_zone(
        "a.test.",
        serde_json::json!([txt("gone.a.test."), txt("edit.a.test.")]),
    );
    for zone in ["doomed.test.", "doomed-ui.test."] {
        node.create_zone(zone, serde_json::json!([]));
    }
    for key in ["kept.", "doomed."] {
        let made = node.send(
            "POST",
            KEYS,
            &serde_json::json!({"name": key, "algorithm": "hmac-sha256"}),
        );
        assert_eq!(made.status, 201, "{}", made.text());
    }
    for (user, role) in [("dave", "user"), ("erin", "user"), ("frank", "user")] {
        hadns(
            &node,
            &["user", "add", user, "--role", role],
            "a-long-password\n",
        );
    }
    let read_only = hadns(&node, &["token", "create", "ro", "--read-only"], "");
    hadns(&node, &["token", "create", "doomed"], "");
    hadns(&node, &["token", "create", "own-doomed"], "");
    // The journal entry the history routes name: a.test.'s first change.
    let history = node.get_json(&format!("{Z}/a.test./history"));
    let entries = history
        .as_array()
        .or_else(|| history.get("entries").and_then(|e| e.as_array()))
        .expect("a list of changes");
    let serial = entries
        .iter()
        .filter_map(|e| e.get("serial_to").and_then(|s| s.as_u64()))
        .min()
        .expect("a journal entry") as u32;
    let admin_password = node.initial_password();
    Setup {
        node,
        read_only,
        admin_password,
        serial,
    }
}

/// What the state-changing requests can change, as the API shows it:
/// zones and their serials, TSIG keys, and the newest audit events
/// (users, grants, tokens, sessions, settings, reverts, imports).
fn fingerprint(node: &ApiNode) -> String {
    let zones = node.get_json(Z);
    let mut zones: Vec<String> = zones
        .as_array()
        .expect("zones")
        .iter()
        .map(|z| format!("{} {}", z["name"], z["serial"]))
        .collect();
    zones.sort();
    let keys = node.get_json(KEYS).to_string();
    let audit = node.get_json("/api/v1/audit").to_string();
    format!("{zones:?}\n{keys}\n{audit}")
}

/// One cell of the table.
struct Cell {
    method: String,
    path: String,
    caller: Caller,
    status: u16,
    /// Empty when the answer is the expected one.
    wrong: String,
}

/// The table, one line per cell, the wrong ones marked.
fn render(cells: &[Cell]) -> String {
    cells
        .iter()
        .map(|c| {
            format!(
                "{} {:<7} {:<70} {:<12} → {}{}",
                if c.wrong.is_empty() { " " } else { "✗" },
                c.method,
                c.path,
                format!("{:?}", c.caller),
                c.status,
                if c.wrong.is_empty() {
                    String::new()
                } else {
                    format!("   ({})", c.wrong)
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A short account of a response, for the table.
fn said(response: &HttpResponse) -> String {
    let text = response.text();
    let text = match text.split_once("<title>") {
        Some((_, rest)) => rest
            .split("</title>")
            .next()
            .unwrap_or_default()
            .to_string(),
        None => text.chars().take(160).collect(),
    };
    let location = response.header("location").unwrap_or_default();
    format!("{location} {}", text.replace('\n', " "))
}

/// Whether a response sends the browser to the login page.
fn to_login(response: &HttpResponse) -> bool {
    response.status == 303
        && response
            .header("location")
            .is_some_and(|l| l.starts_with("/ui/login"))
}

/// The (method, path) pairs of the OpenAPI document, and which of them
/// name a security requirement.
fn documented(node: &ApiNode) -> BTreeMap<(String, String), bool> {
    let document = node.get_json("/api/openapi.json");
    let mut found = BTreeMap::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                let keyed = operation
                    .get("security")
                    .and_then(|s| s.as_array())
                    .is_some_and(|s| !s.is_empty());
                found.insert((method.to_uppercase(), path.clone()), keyed);
            }
        }
    }
    found
}

/// Sends one request as `caller`: its key or cookie, and for a UI form
/// the CSRF token it has (none, another session's, its own).
struct Asker<'a> {
    node: &'a ApiNode,
    read_only: &'a str,
    session: Session,
    /// A second session of the same user, whose CSRF token is the wrong
    /// one for [`Asker::session`].
    other: Session,
}

/// Whether a body is JSON (the API) or a form (the UI).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Surface {
    Api,
    Ui,
}

impl Asker<'_> {
    fn ask(
        &self,
        caller: Caller,
        surface: Surface,
        method: &str,
        path: &str,
        body: &str,
    ) -> HttpResponse {
        let mut headers: Vec<(&str, &str)> = Vec::new();
        match caller {
            Caller::Nobody => {}
            Caller::ReadOnly => headers.push(("X-API-Key", self.read_only)),
            Caller::ReadWrite => headers.push(("X-API-Key", &self.node.token)),
            Caller::Session | Caller::WrongCsrf | Caller::SessionCsrf => {
                headers.push(("Cookie", &self.session.cookie));
            }
        }
        let csrf = match caller {
            Caller::WrongCsrf => Some(self.other.csrf.as_str()),
            Caller::SessionCsrf => Some(self.session.csrf.as_str()),
            _ => None,
        };
        let mut body = body.to_string();
        let form_type: String;
        match surface {
            Surface::Api => {
                // Where a client could put a CSRF token: the API must not
                // care, a cookie is no key.
                if let Some(csrf) = csrf {
                    headers.push(("X-CSRF-Token", csrf));
                }
                if !body.is_empty() {
                    headers.push(("Content-Type", "application/json"));
                }
            }
            Surface::Ui => {
                if let Some(fields) = body.strip_prefix("multipart:") {
                    let mut fields: Vec<(&str, &str)> = fields
                        .split('&')
                        .filter_map(|pair| pair.split_once('='))
                        .map(|(k, v)| (k, if v == "{zone_text}" { ZONE_TEXT } else { v }))
                        .collect();
                    if let Some(csrf) = csrf {
                        fields.push(("csrf", csrf));
                    }
                    let (text, content_type) = multipart(&fields);
                    body = text;
                    form_type = content_type;
                    headers.push(("Content-Type", &form_type));
                } else if method == "POST" {
                    headers.push(("Content-Type", "application/x-www-form-urlencoded"));
                    if let Some(csrf) = csrf {
                        body = if body.is_empty() {
                            format!("csrf={csrf}")
                        } else {
                            format!("{body}&csrf={csrf}")
                        };
                    }
                }
            }
        }
        let send_body = method != "GET" || !body.is_empty();
        http_request(
            self.node.api,
            method,
            path,
            &headers,
            send_body.then_some(body.as_bytes()),
        )
    }
}

/// Fills a route's parameters with the objects made for the matrix; an
/// operation that is to delete gets the objects made to be deleted. A
/// parameter this test does not know fails it: a new route needs an
/// object to be asked about.
fn fill_api_route(route: &str, method: &str, serial: u32) -> String {
    let deleting = method == "DELETE";
    let mut path = route.to_string();
    let values = [
        ("{zone}", if deleting { "doomed.test." } else { "a.test." }),
        ("{tsigkey_id}", if deleting { "doomed." } else { "kept." }),
        ("{serial}", &*serial.to_string()),
        // No views are configured (see `read_write_exception`).
        ("{view}", "none"),
    ]
    .map(|(k, v)| (k, v.to_string()));
    for (parameter, value) in &values {
        path = path.replace(parameter, value);
    }
    assert!(
        !path.contains('{'),
        "{method} {route}: a path parameter this test does not fill: add it to fill_api_route"
    );
    path
}

/// What a caller must get from a keyed API operation; `None` when a
/// read-write token's answer is to be judged by [`read_write_exception`].
fn api_expected(caller: Caller, method: &str, route: &str, body: &str) -> Option<u16> {
    let reads = method == "GET" || (route == "/api/v1/control" && body.contains("\"status\""));
    match caller {
        Caller::ReadWrite => None,
        Caller::ReadOnly if reads && !read_only_refused_anyway(method, route) => {
            Some(read_write_exception(method, route).unwrap_or(200))
        }
        Caller::ReadOnly => Some(403),
        // A cookie, with or without a CSRF token, is no API key.
        Caller::Nobody | Caller::Session | Caller::WrongCsrf | Caller::SessionCsrf => Some(401),
    }
}

#[test]
fn every_route_answers_every_caller_as_the_matrix_says() {
    let dir = tempfile::tempdir().unwrap();
    let setup = set_up(dir.path());
    let node = &setup.node;
    let session = log_in(node, "admin", &setup.admin_password);
    let other = log_in(node, "admin", &setup.admin_password);
    let mut asker = Asker {
        node,
        read_only: &setup.read_only,
        session,
        other,
    };
    let mut cells: Vec<Cell> = Vec::new();
    let mut n = 0;
    let push = |cells: &mut Vec<Cell>,
                method: &str,
                path: &str,
                caller,
                response: &HttpResponse,
                wrong: String| {
        cells.push(Cell {
            method: method.to_string(),
            path: path.to_string(),
            caller,
            status: response.status,
            wrong: if wrong.is_empty() {
                wrong
            } else {
                format!("{wrong}; {}", said(response))
            },
        });
    };

    // The API, from its own OpenAPI document.
    let operations = documented(node);
    let open: BTreeSet<(String, String)> = operations
        .iter()
        .filter(|(_, keyed)| !**keyed)
        .map(|(op, _)| op.clone())
        .collect();
    let promised: BTreeSet<(String, String)> = OPEN_API
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        open, promised,
        "the operations the OpenAPI document leaves without a key differ from the documented ones"
    );
    for ((method, route), keyed) in &operations {
        let (query, body) = api_request(method, route);
        let path = format!("{}{query}", fill_api_route(route, method, setup.serial));
        // A PUT of settings sends back what the GET answered.
        let fetched;
        let mut body = if route.ends_with("/settings") && method == "PUT" {
            fetched = node.get_json(&path).to_string();
            fetched.clone()
        } else {
            body.to_string()
        };
        let mut bodies = vec![body.clone()];
        if route == "/api/v1/control" {
            // A command that acts, besides `status`, which reads.
            bodies.push(r#"{"command": "notify", "zone": "a.test."}"#.to_string());
        }
        for each in bodies {
            body = each;
            let before = (method != "GET").then(|| fingerprint(node));
            for caller in CALLERS {
                n += 1;
                let body = body
                    .replace("{n}", &n.to_string())
                    .replace("{serial}", &setup.serial.to_string());
                if caller == Caller::ReadWrite
                    && let Some(before) = &before
                {
                    // Nothing the callers before it sent may have changed
                    // anything.
                    let now = fingerprint(node);
                    if &now != before {
                        cells.push(Cell {
                            method: method.clone(),
                            path: path.clone(),
                            caller,
                            status: 0,
                            wrong: format!(
                                "a refused caller changed something:\n{before}\n→\n{now}"
                            ),
                        });
                    }
                }
                let response = asker.ask(caller, Surface::Api, method, &path, &body);
                let status = response.status;
                let wrong = if !keyed {
                    if (200..300).contains(&status) {
                        String::new()
                    } else {
                        "an open route must answer anyone".to_string()
                    }
                } else {
                    match api_expected(caller, method, route, &body) {
                        Some(expected) if expected == status => String::new(),
                        Some(expected) => format!("expected {expected}"),
                        None => match read_write_exception(method, route) {
                            Some(expected) if expected == status => String::new(),
                            None if (200..300).contains(&status) => String::new(),
                            Some(expected) => format!("expected {expected}"),
                            None => "expected 2xx".to_string(),
                        },
                    }
                };
                push(&mut cells, method, &path, caller, &response, wrong);
            }
        }
    }
    // A method an API path does not document is not routed at all.
    let paths: BTreeSet<&String> = operations.keys().map(|(_, p)| p).collect();
    for route in paths {
        for method in ["GET", "PUT", "POST", "PATCH", "DELETE"] {
            if operations.contains_key(&(method.to_string(), route.clone())) {
                continue;
            }
            let path = fill_api_route(route, "GET", setup.serial);
            let response = asker.ask(Caller::ReadWrite, Surface::Api, method, &path, "");
            let wrong = if response.status == 405 {
                String::new()
            } else {
                "a method the OpenAPI document does not list must be 405".to_string()
            };
            push(
                &mut cells,
                method,
                &path,
                Caller::ReadWrite,
                &response,
                wrong,
            );
        }
    }

    // The UI: its table must list every route the router declares.
    let declared: BTreeSet<&str> = web::ui_route_paths().into_iter().collect();
    let in_table: BTreeSet<&str> = UI
        .iter()
        .map(|r| r.route)
        .chain(UI_OPEN.iter().map(|(_, r, _)| *r))
        .collect();
    assert_eq!(
        declared, in_table,
        "the UI routes the router declares differ from this test's table: add or remove rows of UI"
    );
    for (method, route, expected) in UI_OPEN {
        let body = if method == "POST" {
            format!(
                "username=admin&password={}",
                url_encode(&setup.admin_password)
            )
        } else {
            String::new()
        };
        for caller in CALLERS {
            let response = asker.ask(caller, Surface::Ui, method, route, &body);
            let session = matches!(
                caller,
                Caller::Session | Caller::WrongCsrf | Caller::SessionCsrf
            );
            // With a session, the login page leads on to the zones.
            let expected = if session && (method, route) == ("GET", "/ui/login") {
                303
            } else {
                expected
            };
            let wrong = if response.status == expected {
                String::new()
            } else {
                format!("expected {expected}")
            };
            push(&mut cells, method, route, caller, &response, wrong);
        }
    }
    // A login form posted from another site is refused (login CSRF).
    let foreign = http_request(
        node.api,
        "POST",
        "/ui/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "http://evil.example"),
        ],
        Some(
            format!(
                "username=admin&password={}",
                url_encode(&setup.admin_password)
            )
            .as_bytes(),
        ),
    );
    let wrong = if foreign.status == 403 && foreign.header("set-cookie").is_none() {
        String::new()
    } else {
        "a login from another origin must be refused".to_string()
    };
    push(
        &mut cells,
        "POST",
        "/ui/login (Origin: evil.example)",
        Caller::Nobody,
        &foreign,
        wrong,
    );

    for row in UI {
        if row.route == "/ui/logout" {
            // Each logout ends a session: a fresh one for this row.
            asker.session = log_in(node, "admin", &setup.admin_password);
        }
        for caller in CALLERS {
            n += 1;
            let body = row.body.replace("{n}", &n.to_string());
            let path = row.path.replace("{n}", &n.to_string());
            let before = (row.method == "POST").then(|| fingerprint(node));
            let response = asker.ask(caller, Surface::Ui, row.method, &path, &body);
            let status = response.status;
            let changed = before.map(|before| before != fingerprint(node));
            let session = matches!(
                caller,
                Caller::Session | Caller::WrongCsrf | Caller::SessionCsrf
            );
            let mut wrong = Vec::new();
            if !session {
                // Tokens open no page: as without anything, to the login,
                // or to a page that sends there (a GET of a form's URL
                // leads to the page the form is on).
                let followed = match response.header("location") {
                    Some(to) if status == 303 && !to_login(&response) && to.starts_with("/ui/") => {
                        Some(asker.ask(caller, Surface::Ui, "GET", to, ""))
                    }
                    _ => None,
                };
                let refused = |r: &HttpResponse| to_login(r) || r.status == 401;
                if !(refused(&response) || followed.as_ref().is_some_and(refused)) {
                    wrong.push("expected the login page".to_string());
                }
            } else if caller == Caller::SessionCsrf && row.route == "/ui/logout" {
                if !to_login(&response) {
                    wrong.push("a logout leads to the login page".to_string());
                }
            } else if row.method == "GET" || caller == Caller::SessionCsrf {
                if to_login(&response) || [401, 403, 405].contains(&status) || status >= 500 {
                    wrong.push("an admin's session must be admitted".to_string());
                }
                if row.method == "POST" && row.changes && changed != Some(true) {
                    wrong.push(
                        "accepted, it was to change something and changed nothing".to_string(),
                    );
                }
            } else if status != 403 {
                wrong.push("a form without this session's CSRF token must be 403".to_string());
            }
            if changed == Some(true) && !(session && caller == Caller::SessionCsrf) {
                wrong.push("a refused request changed something".to_string());
            }
            push(
                &mut cells,
                row.method,
                &path,
                caller,
                &response,
                wrong.join("; "),
            );
        }
        if row.route == "/ui/logout" {
            // The refused logouts left the session alive; the accepted one
            // ended it.
            let page = http_request(
                node.api,
                "GET",
                "/ui/",
                &[("Cookie", &asker.session.cookie)],
                None,
            );
            let wrong = if to_login(&page) {
                String::new()
            } else {
                "the session lives on after its logout".to_string()
            };
            push(
                &mut cells,
                "GET",
                "/ui/ (after logout)",
                Caller::Session,
                &page,
                wrong,
            );
            asker.session = log_in(node, "admin", &setup.admin_password);
        }
    }
    // A method a UI route does not list is not routed at all.
    let listed: BTreeSet<(&str, &str)> = UI
        .iter()
        .map(|r| (r.method, r.route))
        .chain(UI_OPEN.iter().map(|(m, r, _)| (*m, *r)))
        .collect();
    for route in &declared {
        for method in ["GET", "PUT", "POST", "PATCH", "DELETE"] {
            if listed.contains(&(method, *route)) {
                continue;
            }
            let path = route
                .replace("{zone}", "a.test.")
                .replace("{action}", "retransfer");
            // A session without a CSRF token: should the method be routed
            // after all, it still cannot change anything.
            let response = asker.ask(Caller::Session, Surface::Ui, method, &path, "");
            let wrong = if response.status == 405 {
                String::new()
            } else {
                "a method the table does not list must be 405".to_string()
            };
            push(&mut cells, method, &path, Caller::Session, &response, wrong);
        }
    }

    let failures = cells.iter().filter(|c| !c.wrong.is_empty()).count();
    eprintln!(
        "security matrix: {} API operations and {} UI routes × {} callers, {} cells",
        operations.len(),
        UI.len() + UI_OPEN.len(),
        CALLERS.len(),
        cells.len()
    );
    assert!(
        failures == 0,
        "{failures} of {} cells differ from the matrix:\n{}",
        cells.len(),
        render(&cells)
    );
}
