//! Reconfiguration without restart: SIGHUP and `hadns ctl reload` re-read
//! the configuration, and what changed takes effect while everything else
//! goes on answering.
//!
//! - A steady query stream (UDP and TCP) for a zone whose definition never
//!   changes counts no failure over 20 reloads that add and remove zones.
//! - A configuration that does not validate (bad TOML, an undefined ACL, a
//!   new zone whose file does not load, a view added) changes nothing, and
//!   the error, with file and line where there is one, comes back to `ctl`.
//! - Keys, transfer rules, NOTIFY targets, `[zone_defaults]` for zones
//!   kept in the store, secondary zones and views' match lists follow the
//!   new configuration.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{
    Process, TsigKey, free_port, hadns_ctl, query, start_hadns, tcp_exchange, udp_exchange,
};
use wire::{Message, Rcode, Rtype};

const LIMIT: Duration = Duration::from_secs(20);

fn zone_text(origin: &str, serial: u32, www: &str) -> String {
    format!(
        "$ORIGIN {origin}\n$TTL 300\n@ SOA ns1 hostmaster {serial} 60 30 600 60\n@ NS ns1\nns1 A 127.0.0.1\nwww A {www}\n"
    )
}

fn address(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A node whose configuration the test rewrites: a fixed head (node,
/// listen, keys) and a body that changes from reload to reload.
struct Node {
    dir: PathBuf,
    port: u16,
    head: String,
    process: Process,
}

impl Node {
    fn start(root: &Path, name: &str, head_extra: &str, body: &str) -> Node {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let head = format!(
            "version = 1\n[node]\nname = \"{name}\"\ndata_dir = \"data\"\n[dns]\nlisten = [\"127.0.0.1:{port}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             [replication]\nmin_refresh = 1\nmin_retry = 1\nmin_expire = 1\n{head_extra}"
        );
        std::fs::write(dir.join("hadns.toml"), format!("{head}{body}")).unwrap();
        let process = start_hadns(
            &dir,
            name,
            &[
                "--config".to_string(),
                dir.join("hadns.toml").display().to_string(),
            ],
        );
        Node {
            dir,
            port,
            head,
            process,
        }
    }

    fn address(&self) -> SocketAddr {
        address(self.port)
    }

    /// Writes a new configuration body (the head kept).
    fn configure(&self, body: &str) {
        std::fs::write(self.dir.join("hadns.toml"), format!("{}{body}", self.head)).unwrap();
    }

    /// `hadns ctl reload`: the reply, and whether it succeeded.
    fn ctl_reload(&self) -> (bool, String) {
        let output = std::process::Command::new(common::hadns_binary())
            .args(["ctl", "reload", "--data-dir"])
            .arg(self.dir.join("data"))
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }

    fn reload_ok(&self) -> String {
        let (ok, text) = self.ctl_reload();
        assert!(ok, "reload failed: {text}\n{}", self.process.log_text());
        text
    }

    /// Sends SIGHUP and waits until the log reports the reload done (or
    /// refused).
    fn sighup(&mut self) {
        let done = |p: &Process| {
            let log = p.log_text();
            log.matches("reload done").count() + log.matches("reload refused").count()
        };
        let before = done(&self.process);
        self.process.signal("HUP");
        let deadline = Instant::now() + LIMIT;
        while done(&self.process) == before {
            assert!(
                Instant::now() < deadline,
                "no reload after SIGHUP:\n{}",
                self.process.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn wait_for_zone(&mut self, zone: &str) {
        let server = self.address();
        common::wait_for_zone(server, zone, LIMIT, &mut self.process);
    }
}

/// The RCODE and AA bit of a SOA query over UDP, `None` on no answer.
fn soa_status(server: SocketAddr, zone: &str) -> Option<(Rcode, bool)> {
    let reply = udp_exchange(
        server,
        &query(0x5a5a, zone, Rtype::SOA, 0, None),
        Duration::from_secs(2),
    )?;
    let message = Message::parse(&reply).ok()?;
    Some((
        message.rcode(),
        message.header.flag(wire::header::flags::AA),
    ))
}

fn serves(server: SocketAddr, zone: &str) -> bool {
    soa_status(server, zone) == Some((Rcode::NOERROR, true))
}

fn refused(server: SocketAddr, zone: &str) -> bool {
    soa_status(server, zone) == Some((Rcode::REFUSED, false))
}

/// The A record of `www.ZONE` asked from `source` (an address of
/// 127.0.0.0/8), over UDP.
fn www_from(server: SocketAddr, source: &str, zone: &str) -> Option<String> {
    let socket = UdpSocket::bind(format!("{source}:0")).ok()?;
    socket.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let request = query(0x7777, &format!("www.{zone}"), Rtype::A, 0, None);
    socket.send_to(&request, server).ok()?;
    let mut buf = [0u8; 1500];
    let (len, _) = socket.recv_from(&mut buf).ok()?;
    let message = Message::parse(&buf[..len]).ok()?;
    message
        .answer
        .iter()
        .find(|r| r.rtype == Rtype::A && r.rdata.len() == 4)
        .map(|r| {
            std::net::Ipv4Addr::new(r.rdata[0], r.rdata[1], r.rdata[2], r.rdata[3]).to_string()
        })
}

fn file_zone(name: &str, path: &Path) -> String {
    format!(
        "[[zone]]\nname = \"{name}\"\nfile = \"{}\"\n",
        path.display()
    )
}

#[test]
fn twenty_reloads_under_a_steady_query_stream() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let stable_path = root.join("stable.zone");
    std::fs::write(&stable_path, zone_text("stable.test.", 1, "192.0.2.1")).unwrap();
    for i in 0..20 {
        let origin = format!("dyn{i}.test.");
        std::fs::write(
            root.join(format!("dyn{i}.zone")),
            zone_text(&origin, 1, "192.0.2.2"),
        )
        .unwrap();
    }
    let stable = file_zone("stable.test", &stable_path);
    let mut node = Node::start(root, "node", "", &stable);
    node.wait_for_zone("stable.test.");
    let server = node.address();

    // Two clients, UDP and TCP, each bounded in count and time.
    let stop = Arc::new(AtomicBool::new(false));
    let asked = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for tcp in [false, true] {
        let (stop, asked, failures) = (stop.clone(), asked.clone(), failures.clone());
        clients.push(std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            for i in 0..200_000u32 {
                if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
                    break;
                }
                let request = query(i as u16, "www.stable.test.", Rtype::A, 0, None);
                let reply = if tcp {
                    tcp_exchange(server, &request, Duration::from_secs(2))
                } else {
                    udp_exchange(server, &request, Duration::from_secs(2))
                };
                asked.fetch_add(1, Ordering::SeqCst);
                let good = reply
                    .as_deref()
                    .and_then(|r| Message::parse(r).ok())
                    .is_some_and(|m| {
                        m.rcode() == Rcode::NOERROR
                            && m.header.flag(wire::header::flags::AA)
                            && m.answer.len() == 1
                    });
                if !good {
                    failures.lock().unwrap().push(format!(
                        "query {i} over {}: {reply:?}",
                        if tcp { "TCP" } else { "UDP" }
                    ));
                }
            }
        }));
    }

    for i in 0..20 {
        let origin = format!("dyn{i}.test.");
        node.configure(&format!(
            "{stable}{}",
            file_zone(&origin, &root.join(format!("dyn{i}.zone")))
        ));
        if i % 4 == 3 {
            node.sighup();
        } else {
            let reply = node.reload_ok();
            assert!(reply.contains("zones added 1"), "{reply}");
        }
        assert!(serves(server, &origin), "dyn{i} not served after reload");
        if i > 0 {
            assert!(
                refused(server, &format!("dyn{}.test.", i - 1)),
                "dyn{} still served after its removal",
                i - 1
            );
        }
    }
    // Let the clients run a little past the last reload, then stop them.
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    let failures = failures.lock().unwrap();
    let asked = asked.load(Ordering::SeqCst);
    assert!(asked >= 100, "the clients asked only {asked} queries");
    assert!(
        failures.is_empty(),
        "{} of {asked} queries for the unchanged zone failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    // The unchanged zone's file was not read again by any reload.
    let log = node.process.log_text();
    let stable_loads = log
        .lines()
        .filter(|l| l.contains("zone loaded") && l.contains("stable.test"))
        .count();
    assert_eq!(stable_loads, 1, "{log}");
}

#[test]
fn a_configuration_that_does_not_validate_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a_path = root.join("a.zone");
    let b_path = root.join("b.zone");
    let broken = root.join("broken.zone");
    std::fs::write(&a_path, zone_text("a.test.", 1, "192.0.2.1")).unwrap();
    std::fs::write(&b_path, zone_text("b.test.", 1, "192.0.2.2")).unwrap();
    std::fs::write(&broken, "$ORIGIN broken.test.\n@ SOA ns1 hostmaster\n").unwrap();
    let base = file_zone("a.test", &a_path);
    let mut node = Node::start(root, "node", "", &base);
    node.wait_for_zone("a.test.");
    let server = node.address();

    // Bad TOML: the error names the file and line.
    node.configure(&format!(
        "{base}{}[[zone]]\nname = 3\n",
        file_zone("b.test", &b_path)
    ));
    let (ok, reply) = node.ctl_reload();
    assert!(!ok, "{reply}");
    assert!(reply.contains("nothing changed"), "{reply}");
    assert!(
        reply.contains(&format!("{}:", node.file("hadns.toml").display())),
        "the error names the file and line: {reply}"
    );
    assert!(
        refused(server, "b.test."),
        "b.test. added by a refused reload"
    );

    // An undefined ACL: refused, b.test. not added.
    node.configure(&format!(
        "{base}{}allow_transfer = [\"acl nosuch\"]\n",
        file_zone("b.test", &b_path)
    ));
    let (ok, reply) = node.ctl_reload();
    assert!(!ok, "{reply}");
    assert!(reply.contains("nosuch"), "{reply}");
    assert!(refused(server, "b.test."));

    // A new zone whose file does not load: nothing of the reload happens,
    // not even the other new zone.
    node.configure(&format!(
        "{base}{}{}",
        file_zone("b.test", &b_path),
        file_zone("broken.test", &broken)
    ));
    let (ok, reply) = node.ctl_reload();
    assert!(!ok, "{reply}");
    assert!(reply.contains("broken.test"), "{reply}");
    assert!(refused(server, "b.test."));
    assert!(refused(server, "broken.test."));

    // A view added needs a restart: refused, and the node serves on.
    node.configure(&format!(
        "[[view]]\nname = \"v\"\nmatch_clients = [\"any\"]\n{base}view = \"v\"\n"
    ));
    let (ok, reply) = node.ctl_reload();
    assert!(!ok, "{reply}");
    assert!(reply.contains("restart"), "{reply}");
    assert!(serves(server, "a.test."));

    // SIGHUP with a bad configuration: logged, nothing changed.
    node.configure("[[zone]]\nname = \n");
    node.sighup();
    assert!(node.process.log_text().contains("reload refused"));
    assert!(serves(server, "a.test."));

    // The same change, valid: applied.
    node.configure(&format!("{base}{}", file_zone("b.test", &b_path)));
    node.reload_ok();
    assert!(serves(server, "b.test."));
    assert!(serves(server, "a.test."));
}

#[test]
fn keys_rules_notify_targets_and_secondaries_follow_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let zone_path = root.join("p.zone");
    std::fs::write(&zone_path, zone_text("p.test.", 1, "192.0.2.1")).unwrap();
    let key = TsigKey {
        name: "reload-key".to_string(),
        algorithm: wire::tsig::Algorithm::HmacSha256,
        secret: "cmVsb2FkcmVsb2FkcmVsb2FkcmVsb2FkcmVsb2Fk".to_string(),
    };
    let listener = UdpSocket::bind("127.0.0.1:0").unwrap();
    listener
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let target = listener.local_addr().unwrap();

    let primary_zone = |extra: &str| format!("{}{extra}", file_zone("p.test", &zone_path));
    let mut primary = Node::start(root, "primary", "", &primary_zone(""));
    primary.wait_for_zone("p.test.");
    let server = primary.address();
    assert!(
        common::axfr(server, "p.test.", None).is_err(),
        "AXFR allowed by default"
    );

    // Transfer rules: open to loopback.
    primary.configure(&primary_zone("allow_transfer = [\"127.0.0.1\"]\n"));
    primary.reload_ok();
    let (records, _) = common::axfr(server, "p.test.", None).expect("AXFR after the reload");
    assert!(records.len() >= 4);

    // A key added and required for transfers, and a NOTIFY target signed
    // with it.
    primary.configure(&format!(
        "{}{}",
        key.hadns_toml(),
        primary_zone(&format!(
            "allow_transfer = [\"key reload-key\"]\nnotify = [\"{target} key reload-key\"]\n"
        ))
    ));
    primary.reload_ok();
    assert!(
        common::axfr(server, "p.test.", None).is_err(),
        "unsigned AXFR still allowed"
    );
    common::axfr(server, "p.test.", Some(&key)).expect("signed AXFR with the new key");
    let reply = hadns_ctl(&primary.dir.join("data"), &["notify", "p.test."]);
    assert!(reply.contains("NOTIFY sent"), "{reply}");
    let mut buf = [0u8; 1500];
    let deadline = Instant::now() + LIMIT;
    let notify = loop {
        assert!(
            Instant::now() < deadline,
            "no NOTIFY reached the new target"
        );
        if let Ok((len, _)) = listener.recv_from(&mut buf) {
            break Message::parse(&buf[..len]).unwrap();
        }
    };
    assert_eq!(notify.header.opcode(), wire::Opcode::NOTIFY);
    assert!(
        notify.additional.iter().any(|r| r.rtype == Rtype::TSIG),
        "the NOTIFY is signed with the target's key"
    );

    // A secondary gets the zone by a reload that adds it, and drops it by
    // one that removes it.
    let secondary_zone = format!(
        "[[zone]]\nname = \"p.test\"\nrole = \"secondary\"\nprimaries = [\"{server}\"]\nprimary_key = \"reload-key\"\n"
    );
    let mut secondary = Node::start(root, "secondary", &key.hadns_toml(), "");
    let secondary_address = secondary.address();
    std::thread::sleep(Duration::from_millis(200));
    assert!(refused(secondary_address, "p.test."));
    secondary.configure(&secondary_zone);
    let reply = secondary.reload_ok();
    assert!(reply.contains("zones added 1"), "{reply}");
    secondary.wait_for_zone("p.test.");
    // Its primaries, changed in place: the zone stays in service and the
    // status shows the new list.
    secondary.configure(&secondary_zone.replace(
        &format!("primaries = [\"{server}\"]"),
        &format!("primaries = [\"127.0.0.1:9\", \"{server}\"]"),
    ));
    let reply = secondary.reload_ok();
    assert!(reply.contains("reconfigured 1"), "{reply}");
    assert!(serves(secondary_address, "p.test."));
    let status = hadns_ctl(&secondary.dir.join("data"), &["zone-status", "p.test."]);
    assert!(
        status.contains(&format!("primaries: 127.0.0.1:9, {server}")),
        "{status}"
    );
    secondary.configure("");
    secondary.reload_ok();
    assert!(refused(secondary_address, "p.test."), "removed by reload");
}

#[test]
fn store_rules_and_views_follow_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();

    // [zone_defaults] of a store zone: transfers opened by a reload.
    let api_port = free_port();
    let mut node = Node::start(
        root,
        "store",
        &format!("[api]\nlisten = \"127.0.0.1:{api_port}\"\n"),
        "",
    );
    let api = address(api_port);
    let deadline = Instant::now() + LIMIT;
    while std::net::TcpStream::connect(api).is_err() {
        assert!(Instant::now() < deadline, "{}", node.process.log_text());
        std::thread::sleep(Duration::from_millis(50));
    }
    let credentials = std::fs::read_to_string(node.dir.join("data/initial-credentials")).unwrap();
    let token = credentials
        .lines()
        .find_map(|l| l.strip_prefix("api_token = "))
        .unwrap()
        .trim()
        .to_string();
    let body = serde_json::json!({
        "name": "s.test.", "kind": "Native",
        "nameservers": ["ns1.s.test."],
    })
    .to_string();
    let created = common::http_request(
        api,
        "POST",
        "/api/v1/servers/localhost/zones",
        &[("X-API-Key", &token), ("Content-Type", "application/json")],
        Some(body.as_bytes()),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    node.wait_for_zone("s.test.");
    let server = node.address();
    assert!(common::axfr(server, "s.test.", None).is_err());
    node.configure("[zone_defaults]\nallow_transfer = [\"127.0.0.1\"]\n");
    node.reload_ok();
    common::axfr(server, "s.test.", None).expect("AXFR under the new zone_defaults");
    assert!(serves(server, "s.test."));

    // Views: a match list changed by a reload moves a client.
    let a = root.join("va.zone");
    let b = root.join("vb.zone");
    std::fs::write(&a, zone_text("v.test.", 1, "10.0.0.1")).unwrap();
    std::fs::write(&b, zone_text("v.test.", 1, "10.0.0.2")).unwrap();
    let views = |a_clients: &str| {
        format!(
            "[[view]]\nname = \"a\"\nmatch_clients = [\"{a_clients}\"]\n\
             [[view]]\nname = \"b\"\nmatch_clients = [\"any\"]\n\
             [[zone]]\nname = \"v.test\"\nview = \"a\"\nfile = \"{}\"\n\
             [[zone]]\nname = \"v.test\"\nview = \"b\"\nfile = \"{}\"\n",
            a.display(),
            b.display()
        )
    };
    let mut viewed = Node::start(root, "views", "", &views("127.0.0.2"));
    viewed.wait_for_zone("v.test.");
    let server = viewed.address();
    assert_eq!(
        www_from(server, "127.0.0.2", "v.test.").as_deref(),
        Some("10.0.0.1")
    );
    assert_eq!(
        www_from(server, "127.0.0.3", "v.test.").as_deref(),
        Some("10.0.0.2")
    );
    viewed.configure(&views("127.0.0.3"));
    viewed.reload_ok();
    assert_eq!(
        www_from(server, "127.0.0.3", "v.test.").as_deref(),
        Some("10.0.0.1")
    );
    assert_eq!(
        www_from(server, "127.0.0.2", "v.test.").as_deref(),
        Some("10.0.0.2")
    );
    // A changed zone file in a view is read again; the other view's is not.
    std::fs::write(&b, zone_text("v.test.", 2, "10.0.0.22")).unwrap();
    let reply = viewed.reload_ok();
    assert!(reply.contains("zone files re-read 1"), "{reply}");
    assert_eq!(
        www_from(server, "127.0.0.2", "v.test.").as_deref(),
        Some("10.0.0.22")
    );
}
