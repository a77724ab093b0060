//! No secret reaches a log (issue 13, point 7): a node logging at
//! `HADNS_LOG=trace`, with the query log on, is put through everything
//! that carries one — a web UI login, a failed one, a password change, an
//! API token made in the UI and used, a wrong API key, a TSIG key made
//! through the API and an RFC 2136 UPDATE signed with it by `nsupdate -y`,
//! and one signed with a wrong secret — then every file the node wrote
//! outside its store is searched for each secret.
//!
//! The store itself (`hadns.db`: Argon2 hashes, token digests, and the
//! TSIG secrets it must keep to verify) and `initial-credentials` (the
//! first start's password and token, mode 0600, by design) are not logs.
//! The first start also prints those two once on standard output, where
//! an operator sees them; that banner is the one place they may appear.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{ApiNode, HttpResponse, ask, free_port, http_request, require_program};
use wire::{Rcode, Rtype};

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

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

/// A login attempt over HTTP.
fn login(node: &ApiNode, user: &str, password: &str) -> HttpResponse {
    http_request(
        node.api,
        "POST",
        "/ui/login",
        &[FORM],
        Some(format!("username={user}&password={}", url_encode(password)).as_bytes()),
    )
}

/// The session cookie's value and the CSRF token of a successful login.
fn session(node: &ApiNode, login: &HttpResponse) -> (String, String) {
    assert_eq!(login.status, 303, "login: {}", login.text());
    let cookie = login
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let page = http_request(node.api, "GET", "/ui/account", &[("Cookie", &cookie)], None);
    assert_eq!(page.status, 200, "account page: {}", page.text());
    let csrf = page
        .text()
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token")
        .to_string();
    (cookie, csrf)
}

/// Runs `nsupdate -y dash_y` with `script` against the node, bounded in
/// time; returns whether it succeeded and what it printed.
fn nsupdate(node: &ApiNode, dash_y: &str, script: &str) -> (bool, String) {
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
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write the script");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("nsupdate's state").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nsupdate did not finish within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("nsupdate's output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Every file under `dir`, however deep (bounded by the few the node
/// writes).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// The secret's bytes, as text and lower-case hex: a secret must appear
/// in neither form.
fn forms(secret: &str) -> Vec<Vec<u8>> {
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    vec![secret.as_bytes().to_vec(), hex.into_bytes()]
}

#[test]
fn no_password_token_session_or_tsig_secret_is_ever_logged() {
    let root = tempfile::tempdir().unwrap();
    let dns = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut node = ApiNode::start_logging(
        root.path(),
        "hadns",
        dns,
        "[log]\nqueries = true\n\
         [[zone]]\nname = \"keys.test\"\nallow_update = [\"key api-upd\"]\n",
        "trace",
    );
    let initial_password = node.initial_password();
    let initial_token = node.token.clone();
    // (name, secret) pairs to look for.
    let mut secrets: Vec<(&str, String)> = Vec::new();

    // A failed login, then the right one: the session's cookie and CSRF
    // token are secrets too.
    let wrong_password = "Wrong-Password-7f3a9c1e";
    let failed = login(&node, "admin", wrong_password);
    assert_eq!(failed.status, 401, "{}", failed.text());
    secrets.push(("a wrong password", wrong_password.to_string()));
    let (cookie, csrf) = session(&node, &login(&node, "admin", &initial_password));
    secrets.push((
        "a session cookie",
        cookie.split('=').nth(1).unwrap().to_string(),
    ));
    secrets.push(("a CSRF token", csrf.clone()));

    // The password changed; the session lives on, and a login takes the
    // new one.
    let new_password = "New-Password-4b8d2e6f0a";
    let changed = http_request(
        node.api,
        "POST",
        "/ui/account/password",
        &[FORM, ("Cookie", &cookie)],
        Some(
            format!(
                "current={}&new={new_password}&repeat={new_password}&csrf={csrf}",
                url_encode(&initial_password)
            )
            .as_bytes(),
        ),
    );
    assert!(
        [200, 303].contains(&changed.status),
        "password change: {} {}",
        changed.status,
        changed.text()
    );
    secrets.push(("the new password", new_password.to_string()));
    let (cookie, csrf) = session(&node, &login(&node, "admin", new_password));
    secrets.push((
        "a second session cookie",
        cookie.split('=').nth(1).unwrap().to_string(),
    ));
    secrets.push(("a second CSRF token", csrf.clone()));

    // An API token made in the UI, and used; a wrong key tried.
    let made = http_request(
        node.api,
        "POST",
        "/ui/account/tokens",
        &[FORM, ("Cookie", &cookie)],
        Some(format!("name=mine&scope=write&csrf={csrf}").as_bytes()),
    );
    let token = made
        .text()
        .split("<code id=\"new-token-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no new token shown: {} {}", made.status, made.text()))
        .to_string();
    secrets.push(("an API token made in the UI", token.clone()));
    let zones = node.request(
        "GET",
        "/api/v1/servers/localhost/zones",
        Some(&token),
        &[],
        None,
    );
    assert_eq!(zones.status, 200, "{}", zones.text());
    let wrong_key = "not-a-key-5c1e9a7b3d";
    let refused = node.request(
        "GET",
        "/api/v1/servers/localhost/zones",
        Some(wrong_key),
        &[],
        None,
    );
    assert_eq!(refused.status, 401);
    secrets.push(("a wrong API key", wrong_key.to_string()));

    // A TSIG key made through the API, and an UPDATE signed with it; one
    // signed with a wrong secret is refused.
    let zone = node.request(
        "POST",
        "/api/v1/servers/localhost/zones",
        Some(&token),
        &[],
        Some(
            &serde_json::json!({"name": "keys.test.", "kind": "Native",
                                "nameservers": ["ns1.keys.test."]})
            .to_string(),
        ),
    );
    assert_eq!(zone.status, 201, "{}", zone.text());
    let key = node.request(
        "POST",
        "/api/v1/servers/localhost/tsigkeys",
        Some(&token),
        &[],
        Some(r#"{"name": "api-upd", "algorithm": "hmac-sha256"}"#),
    );
    assert_eq!(key.status, 201, "{}", key.text());
    let tsig_secret = key.json()["key"]
        .as_str()
        .expect("the key's secret")
        .to_string();
    secrets.push(("a TSIG secret (base64)", tsig_secret.clone()));
    let raw = wire::base64::decode(&tsig_secret).expect("base64");
    secrets.push((
        "a TSIG secret (hex)",
        raw.iter().map(|b| format!("{b:02x}")).collect(),
    ));
    let (ok, out) = nsupdate(
        &node,
        &format!("hmac-sha256:api-upd:{tsig_secret}"),
        "update add signed.keys.test. 300 A 192.0.2.9",
    );
    assert!(ok, "the signed UPDATE failed: {out}");
    assert_eq!(
        ask(node.dns, "signed.keys.test.", Rtype::A).rcode,
        Rcode::NOERROR
    );
    let forged = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let (ok, out) = nsupdate(
        &node,
        &format!("hmac-sha256:api-upd:{forged}"),
        "update add forged.keys.test. 300 A 192.0.2.10",
    );
    assert!(!ok, "an UPDATE with a wrong secret was taken: {out}");
    secrets.push(("a wrong TSIG secret", forged.to_string()));

    // Stopped, so the query log's writer has flushed everything.
    node.process.signal("TERM");
    assert!(
        node.process.wait_exit(Duration::from_secs(15)).is_some(),
        "the node did not stop"
    );

    let log = node.process.log_text();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "the node did not log at trace level:\n{}",
        log.chars().take(2000).collect::<String>()
    );
    let mut searched = Vec::new();
    let mut found = Vec::new();
    for path in files_under(&node.dir) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        // The store, the credentials file (by design) and the
        // configuration the test wrote are not logs.
        if name.starts_with("hadns.db") || name == "initial-credentials" || name == "hadns.toml" {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        searched.push(format!("{} ({} octets)", path.display(), bytes.len()));
        for (what, secret) in &secrets {
            for form in forms(secret) {
                if bytes.windows(form.len()).any(|w| w == form.as_slice()) {
                    found.push(format!("{what} in {}", path.display()));
                }
            }
        }
        // The first start's password and token: in its banner only.
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines() {
            let banner = line.starts_with("hadns: first start:")
                || line.starts_with("hadns: and the read-write API token");
            for (what, secret) in [
                ("the initial password", &initial_password),
                ("the initial API token", &initial_token),
            ] {
                if !banner && line.contains(secret.as_str()) {
                    found.push(format!("{what} in {}: {line}", path.display()));
                }
            }
        }
    }
    assert!(
        searched.iter().any(|s| s.contains("hadns.log")),
        "the node's log was not searched: {searched:?}"
    );
    // The query log was written (the question asked above is in it), so
    // it was searched too.
    let query_log = files_under(&node.dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("quer"))
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect::<String>();
    assert!(
        query_log.contains("signed.keys.test"),
        "no query log with the question asked: {searched:?}"
    );
    eprintln!("searched: {searched:#?}");
    assert!(
        found.is_empty(),
        "secrets written outside the store:\n{}\n(searched {searched:?})",
        found.join("\n")
    );
}
