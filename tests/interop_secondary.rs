//! hadns as the secondary of a real BIND 9 or Knot DNS primary that takes
//! dynamic updates (RFC 2136, `nsupdate` signed with a TSIG key).
//!
//! The primary serves a zone file, accepts updates and transfers only with
//! the key, and sends NOTIFYs signed with it to hadns; hadns transfers
//! with the key and accepts only signed NOTIFYs. Each test checks that:
//!
//! 1. hadns loads the zone by AXFR (several TSIG-signed messages: a
//!    `$GENERATE` block makes it larger than one 64 KiB message), serves
//!    the primary's serial, says so in `hadns ctl zone-status`, and serves
//!    exactly the records the primary does;
//! 2. after each of two `nsupdate` batches (records added, deleted,
//!    replaced, one record of an RRset removed) hadns is NOTIFYed, reaches
//!    the primary's new serial by IXFR (its log shows
//!    `transfer in done zone=Z. … serial=N request=Ixfr(Serial(O))`), and
//!    answers every name the batch touched as the primary does.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{
    Process, TsigKey, ask, assert_same_records, axfr, free_port, hadns_ctl, record_set,
    require_program, run_tool, soa_serial, start_hadns, start_knot_configured, start_named,
    wait_for_serial, wait_for_zone,
};
use wire::tsig::Algorithm;
use wire::{Rcode, Rtype};

const ZONE: &str = "peer.test.";
/// How long any one step may take.
const LIMIT: Duration = Duration::from_secs(20);

/// The primary's zone at serial 1, without the filler.
const ZONE_HEAD: &str = r#"$ORIGIN peer.test.
$TTL 300
@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 60
@ NS ns1
@ NS ns2
@ MX 10 mail
@ TXT "v=spf1 -all"
@ CAA 0 issue "letsencrypt.org"
ns1 A 127.0.0.1
ns2 AAAA ::1
mail A 192.0.2.25
www A 192.0.2.80
www A 192.0.2.81
alias CNAME www
txt TXT "hello world" "with \"quotes\" inside" "semi;colon"
txt TXT "second string set"
_sip._tcp SRV 10 60 5060 sip
sip A 192.0.2.50
*.wild A 192.0.2.99
sub NS ns.sub
ns.sub A 192.0.2.53
changeme A 192.0.2.1
deleteme A 192.0.2.2
deleteme TXT "going away"
"#;

/// The primary's zone at serial 1: `ZONE_HEAD` and enough filler for
/// several transfer messages (written out: Knot has no `$GENERATE`).
fn zone_file() -> String {
    let mut text = ZONE_HEAD.to_string();
    for i in 1..=2000 {
        text.push_str(&format!(
            "filler{i} TXT \"filler record {i} makes the zone span several messages\"\n"
        ));
    }
    text
}

/// Update batches, as nsupdate commands, applied in turn: two small ones,
/// then one that replaces 600 filler records, so that its IXFR spans
/// several messages.
fn updates() -> Vec<String> {
    let mut bulk = String::new();
    for i in 1..=600 {
        bulk.push_str(&format!("update delete filler{i}.peer.test. TXT\n"));
    }
    for i in 3001..=3600 {
        bulk.push_str(&format!(
            "update add filler{i}.peer.test. 300 IN TXT \"replacement filler {i} added in bulk\"\n"
        ));
    }
    let mut batches: Vec<String> = SMALL_UPDATES.iter().map(|b| b.to_string()).collect();
    batches.push(bulk);
    batches
}

/// Two small update batches.
const SMALL_UPDATES: [&str; 2] = [
    "update add new1.peer.test. 600 IN A 192.0.2.201\n\
     update add new1.peer.test. 600 IN TXT \"added by nsupdate\" \"second string\"\n\
     update delete deleteme.peer.test.\n\
     update delete changeme.peer.test. A\n\
     update add changeme.peer.test. 300 IN A 192.0.2.202\n\
     update add www.peer.test. 300 IN AAAA 2001:db8::80\n",
    "update delete new1.peer.test. TXT\n\
     update delete txt.peer.test. TXT \"second string set\"\n\
     update add peer.test. 300 IN MX 20 mail2.example.net.\n\
     update add New2.Peer.Test. 300 IN A 192.0.2.203\n\
     update delete filler7.peer.test.\n",
];

/// The questions whose answers must agree after each batch.
const QUESTIONS: &[(&str, Rtype)] = &[
    ("peer.test.", Rtype::SOA),
    ("peer.test.", Rtype::MX),
    ("peer.test.", Rtype::NS),
    ("new1.peer.test.", Rtype::A),
    ("new1.peer.test.", Rtype::TXT),
    ("new2.peer.test.", Rtype::A),
    ("deleteme.peer.test.", Rtype::A),
    ("deleteme.peer.test.", Rtype::TXT),
    ("changeme.peer.test.", Rtype::A),
    ("www.peer.test.", Rtype::A),
    ("www.peer.test.", Rtype::AAAA),
    ("alias.peer.test.", Rtype::A),
    ("txt.peer.test.", Rtype::TXT),
    ("filler7.peer.test.", Rtype::TXT),
    ("filler8.peer.test.", Rtype::TXT),
    ("filler600.peer.test.", Rtype::TXT),
    ("filler601.peer.test.", Rtype::TXT),
    ("filler3001.peer.test.", Rtype::TXT),
    ("x.wild.peer.test.", Rtype::A),
    ("_sip._tcp.peer.test.", Rtype::SRV),
];

fn address(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Which server is the primary.
#[derive(Clone, Copy)]
enum Primary {
    Bind,
    Knot,
}

impl Primary {
    fn name(self) -> &'static str {
        match self {
            Primary::Bind => "named",
            Primary::Knot => "knotd",
        }
    }

    /// What the primary logs when it has sent an IXFR up to `serial`
    /// (BIND 9.18 with `-d 3`, Knot 3.2); the line ends in its message
    /// count.
    fn ixfr_out_log(self, serial: u32) -> Vec<String> {
        match self {
            Primary::Bind => vec![
                "transfer of 'peer.test/IN': IXFR ended: ".into(),
                format!("(serial {serial})"),
            ],
            // Knot names no serial in the line that ends a transfer; one
            // IXFR is sent per batch, so the batch's mark is enough.
            Primary::Knot => vec![
                "[peer.test.] IXFR, outgoing, remote 127.0.0.1@".into(),
                " finished, ".into(),
            ],
        }
    }

    /// Starts the primary for `zone_file()`, accepting updates and transfers
    /// signed with `key` and NOTIFYing hadns (signed) on `hadns_port`.
    fn start(self, dir: &Path, port: u16, hadns_port: u16, key: &TsigKey) -> Process {
        match self {
            Primary::Bind => {
                std::fs::create_dir_all(dir.join("named")).unwrap();
                std::fs::write(dir.join("named/peer.test.db"), zone_file()).unwrap();
                start_named(
                    dir,
                    port,
                    &format!(
                        "{key_statement}\
                         zone \"peer.test\" {{\n  type primary;\n  file \"peer.test.db\";\n\
                         \x20 allow-update {{ key \"{name}\"; }};\n\
                         \x20 allow-transfer {{ key \"{name}\"; }};\n\
                         \x20 notify explicit;\n\
                         \x20 notify-delay 0;\n\
                         \x20 also-notify {{ 127.0.0.1 port {hadns_port} key \"{name}\"; }};\n}};\n",
                        key_statement = key.bind_statement(),
                        name = key.name,
                    ),
                )
            }
            Primary::Knot => {
                let file = dir.join("knot/peer.test.zone");
                std::fs::create_dir_all(dir.join("knot")).unwrap();
                std::fs::write(&file, zone_file()).unwrap();
                start_knot_configured(
                    dir,
                    port,
                    &format!(
                        "key:\n{key_entry}\
                         remote:\n  - id: hadns\n    address: 127.0.0.1@{hadns_port}\n    key: {name}\n\
                         acl:\n  - id: signed-update-and-transfer\n    key: {name}\n    action: [update, transfer]\n\
                         zone:\n  - domain: peer.test.\n    file: \"{file}\"\n    zonefile-sync: -1\n\
                         \x20   notify: hadns\n    acl: signed-update-and-transfer\n",
                        key_entry = key.knot_entry(),
                        name = key.name,
                        file = file.display(),
                    ),
                )
            }
        }
    }
}

fn start_secondary(dir: &Path, port: u16, primary_port: u16, key: &TsigKey) -> (Process, PathBuf) {
    let data = dir.join("hadns-data");
    let config = dir.join("hadns.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n\
             [node]\ndata_dir = \"{data}\"\n\
             [dns]\nlisten = [\"127.0.0.1:{port}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             {key_table}\
             [[zone]]\nname = \"peer.test\"\nrole = \"secondary\"\n\
             primaries = [\"127.0.0.1:{primary_port}\"]\nprimary_key = \"{name}\"\n\
             allow_notify = [\"key {name}\"]\nallow_transfer = [\"key {name}\"]\n",
            data = data.display(),
            key_table = key.hadns_toml(),
            name = key.name,
        ),
    )
    .unwrap();
    let process = start_hadns(
        dir,
        "hadns",
        &["--config".into(), config.display().to_string()],
    );
    (process, data)
}

/// Fails unless hadns answers every question as the primary does, and
/// holds exactly the primary's records.
fn assert_hadns_serves_what_the_primary_serves(
    primary: Primary,
    primary_port: u16,
    hadns_port: u16,
    key: &TsigKey,
) -> usize {
    for &(qname, qtype) in QUESTIONS {
        assert_eq!(
            ask(address(hadns_port), qname, qtype),
            ask(address(primary_port), qname, qtype),
            "hadns and {} answer {qname} {qtype} differently",
            primary.name()
        );
    }
    let (theirs, messages) = axfr(address(primary_port), ZONE, Some(key))
        .unwrap_or_else(|e| panic!("AXFR from {}: {e}", primary.name()));
    let (ours, _) = axfr(address(hadns_port), ZONE, Some(key))
        .unwrap_or_else(|e| panic!("AXFR from hadns: {e}"));
    assert_same_records(
        "AXFR",
        primary.name(),
        &record_set(&theirs),
        "hadns",
        &record_set(&ours),
    );
    messages
}

fn hadns_follows(primary: Primary, key: TsigKey) {
    let nsupdate = require_program("nsupdate", "bind9-dnsutils");
    let dir = tempfile::tempdir().unwrap();
    let primary_port = free_port();
    let hadns_port = free_port();
    let mut peer = primary.start(dir.path(), primary_port, hadns_port, &key);
    wait_for_zone(address(primary_port), ZONE, LIMIT, &mut peer);

    // The initial transfer.
    let (mut hadns, hadns_data) = start_secondary(dir.path(), hadns_port, primary_port, &key);
    wait_for_serial(address(hadns_port), ZONE, 1, LIMIT, &mut hadns);
    hadns.wait_for_log(
        0,
        &[
            "transfer in done",
            "zone=peer.test.",
            &format!("primary=127.0.0.1:{primary_port}"),
            "serial=1 request=Axfr",
        ],
        1,
        LIMIT,
    );
    let status = hadns_ctl(&hadns_data, &["zone-status", ZONE]);
    assert!(
        status.contains("role: secondary\n")
            && status.contains("serial: 1\n")
            && status.contains("last transfer: ")
            && !status.contains("last transfer: never")
            && !status.contains("last error"),
        "zone-status after the first transfer:\n{status}"
    );
    let messages =
        assert_hadns_serves_what_the_primary_serves(primary, primary_port, hadns_port, &key);
    assert!(
        messages >= 2,
        "the zone should need several transfer messages, {} sent {messages}",
        primary.name()
    );

    let mut serial = 1;
    let batches = updates();
    for (index, batch) in batches.iter().enumerate() {
        let mark = hadns.log_mark();
        let peer_mark = peer.log_mark();
        run_tool(
            &nsupdate,
            // -v: over TCP, as the bulk batch does not fit in a datagram.
            &["-v".into(), "-y".into(), key.dash_y()],
            &format!("server 127.0.0.1 {primary_port}\nzone peer.test\n{batch}send\n"),
            LIMIT,
        );
        // The primary bumps the serial itself; learn the new one from it.
        let deadline = Instant::now() + LIMIT;
        let new_serial = loop {
            match soa_serial(address(primary_port), ZONE) {
                Some(s) if s != serial => break s,
                _ => {}
            }
            assert!(
                Instant::now() < deadline,
                "{} did not apply the update:\n{}",
                primary.name(),
                peer.log_tail(100)
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        hadns.wait_for_log(mark, &["NOTIFY received", "zone=peer.test."], 1, LIMIT);
        hadns.wait_for_log(
            mark,
            &[
                "transfer in done",
                "zone=peer.test.",
                &format!("serial={new_serial} request=Ixfr(Serial({serial}))"),
            ],
            1,
            LIMIT,
        );
        wait_for_serial(address(hadns_port), ZONE, new_serial, LIMIT, &mut hadns);
        let needles = primary.ixfr_out_log(new_serial);
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        let sent = peer.wait_for_log(peer_mark, &needles, 1, LIMIT);
        if index == batches.len() - 1 {
            let messages: usize = sent[0]
                .split_once(" messages")
                .and_then(|(head, _)| head.split_whitespace().last())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no message count in {}", sent[0]));
            assert!(
                messages >= 2,
                "the bulk IXFR should span several messages: {}",
                sent[0]
            );
        }
        let status = hadns_ctl(&hadns_data, &["zone-status", ZONE]);
        assert!(
            status.contains(&format!("serial: {new_serial}\n")) && !status.contains("last error"),
            "zone-status after the update:\n{status}"
        );
        assert_hadns_serves_what_the_primary_serves(primary, primary_port, hadns_port, &key);
        serial = new_serial;
    }

    // The updates took effect: the comparisons above were not between two
    // unchanged copies.
    let new2 = ask(address(hadns_port), "new2.peer.test.", Rtype::A);
    assert_eq!(
        (new2.rcode, new2.answer.len()),
        (Rcode::NOERROR, 1),
        "{new2:?}"
    );
    let deleted = ask(address(hadns_port), "deleteme.peer.test.", Rtype::A);
    assert_eq!(deleted.rcode, Rcode::NXDOMAIN, "{deleted:?}");
    let changed = ask(address(hadns_port), "changeme.peer.test.", Rtype::A);
    assert!(
        format!("{changed:?}").contains("192.0.2.202"),
        "{changed:?}"
    );
}

#[test]
fn hadns_secondary_follows_bind_primary_through_signed_dynamic_updates() {
    hadns_follows(
        Primary::Bind,
        TsigKey {
            name: "update-key".into(),
            algorithm: Algorithm::HmacSha256,
            secret: "Gq4YpNYFV4PuLHdymb4jDPCkSIfHCdiIcrKyXvU3k/g=".into(),
        },
    );
}

#[test]
fn hadns_secondary_follows_knot_primary_through_signed_dynamic_updates() {
    hadns_follows(
        Primary::Knot,
        TsigKey {
            name: "update-key".into(),
            algorithm: Algorithm::HmacSha512,
            secret: "kXiN4Fa0c6dXAE9MEqyfR5T1RSk6ZOSrKMLZh0gN8gPmoHm2I6Cu2q0rrYDe4KbJrj6MV4n4mG9LcQbg5/l2gQ==".into(),
        },
    );
}
