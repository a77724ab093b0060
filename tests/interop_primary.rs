//! hadns as the primary of real BIND 9 and Knot DNS secondaries, over TSIG.
//!
//! hadns serves a zone file with transfers allowed only to a TSIG key and
//! NOTIFYs signed with it; `named` and `knotd` are configured as
//! secondaries that transfer with that key and accept only signed NOTIFYs.
//! Each test checks that:
//!
//! 1. both secondaries load the zone (AXFR, several TSIG-signed messages:
//!    a `$GENERATE` block makes the zone larger than one 64 KiB message)
//!    and serve exactly the records hadns serves;
//! 2. after the zone file changes (serial + 1, records changed, added,
//!    deleted, an RRset's TTL changed, and a thousand filler records
//!    replaced so that the IXFR, too, spans several signed messages) and
//!    hadns is sent SIGHUP, or is stopped and started again, both reach the
//!    new serial through a signed NOTIFY and an IXFR, as their logs and
//!    hadns's log show, and again serve exactly what hadns serves.
//!
//! Log lines relied on (BIND 9.18 with `-d 3`, Knot 3.2):
//! - BIND: `received notify for zone 'Z': TSIG 'K'`,
//!   `transfer of 'Z/IN' from 127.0.0.1#P: got incremental response`,
//!   `transfer of 'Z/IN' from 127.0.0.1#P: Transfer completed: … (serial N)`;
//! - Knot: `[Z.] notify, incoming, remote 127.0.0.1@…, serial N`,
//!   `[Z.] IXFR, incoming, remote 127.0.0.1@P, finished`,
//!   `[Z.] refresh, remote 127.0.0.1@P, zone updated, …, serial O -> N`;
//! - hadns: `transfer out done zone=Z. qtype=IXFR kind="IXFR" serial=N … from=Some(O)`.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use common::{
    Process, TsigKey, ask, assert_same_records, axfr, free_port, hadns_ctl, record_set,
    start_hadns, start_knot_configured, start_named, wait_for_serial, wait_for_zone,
};
use wire::tsig::Algorithm;
use wire::{Rcode, Rtype};

const ZONE: &str = "interop.test.";
const OLD_SERIAL: u32 = 2024010101;
const NEW_SERIAL: u32 = 2024010102;
/// How long any one step may take.
const LIMIT: Duration = Duration::from_secs(20);

/// The zone at `OLD_SERIAL`: most record types a zone carries, a TXT with
/// spaces, quotes and a semicolon, a delegation with in-zone glue, a
/// wildcard, and enough filler for several transfer messages.
const ZONE_V1: &str = r#"$ORIGIN interop.test.
$TTL 300
@ 3600 SOA ns1 hostmaster 2024010101 7200 3600 1209600 60
@ NS ns1
@ NS ns2
@ MX 10 mail
@ MX 20 mail2.example.net.
@ TXT "v=spf1 -all"
@ CAA 0 issue "letsencrypt.org"
@ CAA 128 iodef "mailto:security@interop.test"
ns1 A 127.0.0.1
ns2 AAAA ::1
mail A 192.0.2.25
mail AAAA 2001:db8::25
www 600 A 192.0.2.80
www 600 A 192.0.2.81
www AAAA 2001:db8::80
alias CNAME www
txt TXT "hello world" "with \"quotes\" inside" "semi;colon"
txt TXT "second string set"
_sip._tcp SRV 10 60 5060 sip
_sip._tcp SRV 20 0 5060 sip2.example.net.
sip A 192.0.2.50
*.wild A 192.0.2.99
*.wild TXT "wildcard"
sub NS ns.sub
sub NS ns.elsewhere.example.
ns.sub A 192.0.2.53
ns.sub AAAA 2001:db8::53
ptr PTR www
changeme A 192.0.2.1
deleteme A 192.0.2.2
deleteme TXT "going away"
$GENERATE 1-2000 filler$ TXT "filler record $ makes the zone span several messages"
"#;

/// Records in `ZONE_V1`, the SOA counted once.
const ZONE_V1_RECORDS: usize = 31 + 2000;

/// `ZONE_V1` at `NEW_SERIAL`: `changeme` changed, `deleteme` deleted,
/// `added` added, the TTL of `www`'s A RRset raised, and filler 1–1000
/// replaced by filler 2001–3000 (the record count stays the same).
fn zone_v2() -> String {
    let text = ZONE_V1
        .replace("2024010101", "2024010102")
        .replace("changeme A 192.0.2.1", "changeme A 192.0.2.101")
        .replace("deleteme A 192.0.2.2\n", "")
        .replace("deleteme TXT \"going away\"\n", "")
        .replace("www 600 A", "www 900 A")
        .replace("$GENERATE 1-2000 ", "$GENERATE 1001-3000 ");
    assert_ne!(text, ZONE_V1);
    format!("{text}added TXT \"added in serial 2\"\nadded AAAA 2001:db8::2\n")
}

/// The questions whose answers must agree after the change.
const CHANGED: &[(&str, Rtype)] = &[
    ("interop.test.", Rtype::SOA),
    ("changeme.interop.test.", Rtype::A),
    ("deleteme.interop.test.", Rtype::A),
    ("deleteme.interop.test.", Rtype::TXT),
    ("added.interop.test.", Rtype::TXT),
    ("added.interop.test.", Rtype::AAAA),
    ("added.interop.test.", Rtype::A),
    ("www.interop.test.", Rtype::A),
    ("alias.interop.test.", Rtype::A),
    ("anything.wild.interop.test.", Rtype::TXT),
    ("filler1.interop.test.", Rtype::TXT),
    ("filler2001.interop.test.", Rtype::TXT),
];

/// How hadns learns of the new zone file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// SIGHUP to the running server.
    Reload,
    /// The server is stopped, the file changed, the server started again
    /// with the same data directory (its journal bridges the gap).
    Restart,
}

fn address(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// hadns, named and knotd with their ports.
struct Topology {
    hadns: Process,
    hadns_port: u16,
    hadns_args: Vec<String>,
    hadns_data: std::path::PathBuf,
    named: Process,
    named_port: u16,
    knot: Process,
    knot_port: u16,
}

fn start_topology(dir: &Path, key: &TsigKey) -> Topology {
    let hadns_port = free_port();
    let named_port = free_port();
    let knot_port = free_port();
    let zone_file = dir.join("interop.test.zone");
    std::fs::write(&zone_file, ZONE_V1).unwrap();
    let hadns_data = dir.join("hadns-data");
    let config = dir.join("hadns.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n\
             [node]\ndata_dir = \"{data}\"\n\
             [dns]\nlisten = [\"127.0.0.1:{hadns_port}\"]\nbuiltin_zones = false\nudp_workers = 1\n\
             {key_table}\
             [[zone]]\nname = \"interop.test\"\nfile = \"{file}\"\n\
             allow_transfer = [\"key {key_name}\"]\n\
             notify = [\"127.0.0.1:{named_port}\", \"127.0.0.1:{knot_port}\"]\n\
             notify_key = \"{key_name}\"\n",
            data = hadns_data.display(),
            key_table = key.hadns_toml(),
            file = zone_file.display(),
            key_name = key.name,
        ),
    )
    .unwrap();
    let hadns_args = vec!["--config".to_string(), config.display().to_string()];
    let mut hadns = start_hadns(dir, "hadns", &hadns_args);
    wait_for_zone(address(hadns_port), ZONE, LIMIT, &mut hadns);

    // The secondaries start once hadns answers, so their first SOA check
    // finds it (a refused first try would push their retry out by minutes).
    let named = start_named(
        dir,
        named_port,
        &format!(
            "{key_statement}\
             zone \"interop.test\" {{\n  type secondary;\n  file \"interop.test.db\";\n\
             \x20 primaries {{ 127.0.0.1 port {hadns_port} key \"{key_name}\"; }};\n\
             \x20 allow-notify {{ key \"{key_name}\"; }};\n\
             \x20 allow-transfer {{ key \"{key_name}\"; }};\n\
             \x20 notify no;\n}};\n",
            key_statement = key.bind_statement(),
            key_name = key.name,
        ),
    );
    let knot = start_knot_configured(
        dir,
        knot_port,
        &format!(
            "key:\n{key_entry}\
             remote:\n  - id: hadns\n    address: 127.0.0.1@{hadns_port}\n    key: {key_name}\n\
             acl:\n  - id: signed-notify-from-hadns\n    address: 127.0.0.1\n    key: {key_name}\n    action: notify\n\
             \x20 - id: signed-transfer\n    key: {key_name}\n    action: transfer\n\
             zone:\n  - domain: interop.test.\n    master: hadns\n    acl: [signed-notify-from-hadns, signed-transfer]\n",
            key_entry = key.knot_entry(),
            key_name = key.name,
        ),
    );
    Topology {
        hadns,
        hadns_port,
        hadns_args,
        hadns_data,
        named,
        named_port,
        knot,
        knot_port,
    }
}

/// Fails unless named and knotd serve, by AXFR, exactly what hadns does.
fn assert_secondaries_hold_what_hadns_serves(t: &Topology, key: &TsigKey, expected_records: usize) {
    let (records, messages) = axfr(address(t.hadns_port), ZONE, Some(key))
        .unwrap_or_else(|e| panic!("AXFR from hadns: {e}\n{}", t.hadns.log_tail(100)));
    assert_eq!(records.len(), expected_records, "AXFR from hadns");
    assert!(
        messages >= 2,
        "the zone should need several transfer messages, hadns sent {messages}"
    );
    let reference = record_set(&records);
    assert_eq!(reference.len(), records.len(), "hadns sent duplicates");
    for (name, port, process) in [
        ("named", t.named_port, &t.named),
        ("knotd", t.knot_port, &t.knot),
    ] {
        let (copy, _) = axfr(address(port), ZONE, Some(key))
            .unwrap_or_else(|e| panic!("AXFR from {name}: {e}\n{}", process.log_tail(100)));
        assert_same_records("AXFR", "hadns", &reference, name, &record_set(&copy));
    }
}

fn secondaries_follow_hadns(key: TsigKey, delivery: Delivery) {
    let dir = tempfile::tempdir().unwrap();
    let mut t = start_topology(dir.path(), &key);

    // Initial transfers.
    wait_for_serial(address(t.named_port), ZONE, OLD_SERIAL, LIMIT, &mut t.named);
    wait_for_serial(address(t.knot_port), ZONE, OLD_SERIAL, LIMIT, &mut t.knot);
    assert_secondaries_hold_what_hadns_serves(&t, &key, ZONE_V1_RECORDS);
    // Without the key hadns does not hand the zone out: the secondaries
    // above had to sign their transfers.
    let unsigned = axfr(address(t.hadns_port), ZONE, None);
    assert!(
        matches!(&unsigned, Err(e) if e.contains("REFUSED")),
        "unsigned AXFR from hadns: {unsigned:?}"
    );

    // The change: new file, SIGHUP or a restart, NOTIFY, IXFR.
    let named_mark = t.named.log_mark();
    let knot_mark = t.knot.log_mark();
    let hadns_mark = match delivery {
        Delivery::Reload => {
            let mark = t.hadns.log_mark();
            std::fs::write(dir.path().join("interop.test.zone"), zone_v2()).unwrap();
            t.hadns.signal("HUP");
            mark
        }
        Delivery::Restart => {
            t.hadns.signal("TERM");
            assert_eq!(
                t.hadns.wait_exit(LIMIT),
                Some(0),
                "hadns did not stop cleanly:\n{}",
                t.hadns.log_tail(100)
            );
            std::fs::write(dir.path().join("interop.test.zone"), zone_v2()).unwrap();
            t.hadns = start_hadns(dir.path(), "hadns-restarted", &t.hadns_args);
            wait_for_zone(address(t.hadns_port), ZONE, LIMIT, &mut t.hadns);
            0
        }
    };

    t.named.wait_for_log(
        named_mark,
        &[&format!(
            "received notify for zone 'interop.test': TSIG '{}'",
            key.name
        )],
        1,
        LIMIT,
    );
    let named_transfer = format!(
        "transfer of 'interop.test/IN' from 127.0.0.1#{}: ",
        t.hadns_port
    );
    t.named.wait_for_log(
        named_mark,
        &[&named_transfer, "got incremental response"],
        1,
        LIMIT,
    );
    t.named.wait_for_log(
        named_mark,
        &[
            &named_transfer,
            "Transfer completed:",
            &format!("(serial {NEW_SERIAL})"),
        ],
        1,
        LIMIT,
    );
    t.knot.wait_for_log(
        knot_mark,
        &[
            "[interop.test.] notify, incoming, remote 127.0.0.1@",
            &format!("serial {NEW_SERIAL}"),
        ],
        1,
        LIMIT,
    );
    t.knot.wait_for_log(
        knot_mark,
        &[&format!(
            "[interop.test.] IXFR, incoming, remote 127.0.0.1@{}, finished",
            t.hadns_port
        )],
        1,
        LIMIT,
    );
    t.knot.wait_for_log(
        knot_mark,
        &[
            "[interop.test.] refresh, remote 127.0.0.1@",
            "zone updated",
            &format!("serial {OLD_SERIAL} -> {NEW_SERIAL}"),
        ],
        1,
        LIMIT,
    );
    // hadns sent two incremental transfers, of several messages each, and
    // no full one.
    let ixfrs = t.hadns.wait_for_log(
        hadns_mark,
        &[
            "transfer out done",
            "zone=interop.test.",
            "kind=\"IXFR\"",
            &format!("serial={NEW_SERIAL}"),
            &format!("from=Some({OLD_SERIAL})"),
        ],
        2,
        LIMIT,
    );
    for line in &ixfrs {
        let messages: usize = line
            .split_once("messages=")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no message count in {line}"));
        assert!(
            messages >= 2,
            "the IXFR should span several messages: {line}"
        );
    }
    let log = t.hadns.log_text();
    let full_after_change = log
        .get(hadns_mark..)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("transfer out done") && l.contains("kind=\"AXFR\""))
        .count();
    assert_eq!(
        full_after_change, 0,
        "a secondary fell back to AXFR:\n{log}"
    );

    wait_for_serial(address(t.named_port), ZONE, NEW_SERIAL, LIMIT, &mut t.named);
    wait_for_serial(address(t.knot_port), ZONE, NEW_SERIAL, LIMIT, &mut t.knot);

    // Both NOTIFYs were acknowledged, as hadns records it.
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let status = hadns_ctl(&t.hadns_data, &["zone-status", ZONE]);
        let acknowledged = [t.named_port, t.knot_port].iter().all(|port| {
            status.lines().any(|l| {
                l.starts_with(&format!(
                    "notify 127.0.0.1:{port}: serial {NEW_SERIAL} acknowledged "
                )) && !l.contains("never")
                    && !l.contains("error")
            })
        });
        if acknowledged {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "NOTIFY acknowledgements missing from zone-status:\n{status}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The answers for what changed agree, and hadns's are the new ones.
    let changed = ask(address(t.hadns_port), "changeme.interop.test.", Rtype::A);
    assert_eq!(changed.rcode, Rcode::NOERROR);
    assert!(
        format!("{:?}", changed.answer).contains("192.0.2.101"),
        "{changed:?}"
    );
    assert_eq!(
        ask(address(t.hadns_port), "deleteme.interop.test.", Rtype::A).rcode,
        Rcode::NXDOMAIN
    );
    for &(qname, qtype) in CHANGED {
        let reference = ask(address(t.hadns_port), qname, qtype);
        for (name, port) in [("named", t.named_port), ("knotd", t.knot_port)] {
            assert_eq!(
                ask(address(port), qname, qtype),
                reference,
                "{name} and hadns answer {qname} {qtype} differently"
            );
        }
    }
    // Two records deleted, two added.
    assert_secondaries_hold_what_hadns_serves(&t, &key, ZONE_V1_RECORDS);
}

fn sha256_key() -> TsigKey {
    TsigKey {
        name: "transfer-key".into(),
        algorithm: Algorithm::HmacSha256,
        secret: "TuUBrWAiNYUAy0X1zoRzBj3cAx2Fv1CO1o0LS7h2ZE0=".into(),
    }
}

#[test]
fn bind_and_knot_secondaries_follow_hadns_by_notify_and_ixfr_with_hmac_sha256() {
    secondaries_follow_hadns(sha256_key(), Delivery::Reload);
}

#[test]
fn bind_and_knot_secondaries_follow_hadns_by_notify_and_ixfr_with_hmac_md5() {
    secondaries_follow_hadns(
        TsigKey {
            name: "md5-transfer-key".into(),
            algorithm: Algorithm::HmacMd5,
            secret: "R3WwNvdm7cHFRQlwnhYIHg==".into(),
        },
        Delivery::Reload,
    );
}

/// Regression: a zone file changed while hadns was down used to make
/// hadns panic at start (NOTIFY spawned before the tokio runtime existed).
#[test]
fn bind_and_knot_secondaries_catch_up_by_ixfr_when_hadns_restarts_with_a_changed_zone_file() {
    secondaries_follow_hadns(sha256_key(), Delivery::Restart);
}
