//! Zone files into the store and back: `hadns import` (a file, or every
//! primary zone of a named.conf), `hadns export`, all-or-nothing on bad
//! input, an import beside a running node served at once, and the embedded
//! default (`hadns serve` with no configuration).

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{Process, ask, free_port, hadns_binary, soa_serial};
use wire::{Name, Rcode, Rtype};

fn hadns(dir: &Path, args: &[&str]) -> Output {
    common::hadns_in(dir, args)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The records of a zone file, as a set of presentation lines.
fn records_of(text: &str, origin: &str) -> BTreeSet<String> {
    let origin: Name = origin.parse().unwrap();
    let file = zonefile::parse_str(text, &origin, Path::new("zone"))
        .unwrap_or_else(|e| panic!("does not parse: {e:?}\n{text}"));
    file.records
        .into_iter()
        .map(|r| {
            let r = r.record;
            format!(
                "{} {} {} {}",
                r.owner.to_lowercase(),
                r.ttl,
                r.rtype,
                wire::rdata::RdataText {
                    rtype: r.rtype,
                    rdata: &r.rdata
                }
            )
        })
        .collect()
}

const ALPHA: &str = "$ORIGIN alpha.test.\n$TTL 600\n@ SOA ns1 hostmaster 2024010101 3600 600 86400 300\n\
@ NS ns1\n@ MX 10 mail\nns1 A 192.0.2.1\nmail A 192.0.2.2\nwww CNAME mail\n\
_sip._udp SRV 10 20 5060 mail\n@ TXT \"v=spf1 -all\" \"second string\"\n@ CAA 0 issue \"ca.test\"\n\
v6 AAAA 2001:db8::1\n";

const BETA: &str = "$TTL 300\n@ SOA ns.alpha.test. admin.beta.test. 7 3600 600 86400 300\n\
@ NS ns.alpha.test.\n$GENERATE 1-5 host$ A 198.51.100.$\n";

#[test]
fn named_conf_import_takes_every_primary_zone_and_export_gives_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("zones")).unwrap();
    std::fs::write(root.join("zones/alpha.db"), ALPHA).unwrap();
    std::fs::write(root.join("zones/beta.db"), BETA).unwrap();
    std::fs::write(
        root.join("named.conf"),
        "options { directory \"zones\"; };\n\
         zone \"alpha.test\" { type master; file \"alpha.db\"; };\n\
         zone \"beta.test\" IN { type primary; file \"beta.db\"; };\n\
         zone \"other.test\" { type slave; masters { 192.0.2.9; }; file \"other.db\"; };\n",
    )
    .unwrap();
    let output = hadns(
        root,
        &["import", "--named-conf", "named.conf", "--data-dir", "data"],
    );
    assert!(output.status.success(), "{}", text(&output));
    let said = text(&output);
    assert!(
        said.contains("zone alpha.test.: imported 10 records, serial 2024010101"),
        "{said}"
    );
    assert!(
        said.contains("zone beta.test.: imported 7 records, serial 7"),
        "{said}"
    );
    assert!(
        said.contains("other.test (type slave) is not a primary zone"),
        "{said}"
    );

    for (zone, source) in [("alpha.test.", ALPHA), ("beta.test.", BETA)] {
        let output = hadns(root, &["export", zone, "--data-dir", "data"]);
        assert!(output.status.success(), "{}", text(&output));
        let exported = String::from_utf8(output.stdout).unwrap();
        assert_eq!(
            records_of(&exported, zone),
            records_of(source, zone),
            "export of {zone}:\n{exported}"
        );
    }
    let store = store::Store::open(&root.join("data/hadns.db")).unwrap();
    let history = store
        .history(&"alpha.test.".parse().unwrap(), 10, None)
        .unwrap();
    assert_eq!(history.len(), 1, "one journal entry per imported zone");
    assert_eq!(history[0].source, store::Source::Import);
    assert!(
        store
            .zone(&"other.test.".parse().unwrap())
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_bad_file_imports_nothing_and_names_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("bad.zone"),
        "$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.300\nx MX mail\nns1 A 192.0.2.1\n",
    )
    .unwrap();
    std::fs::write(root.join("good.zone"), ALPHA).unwrap();
    let output = hadns(
        root,
        &[
            "import",
            "bad.zone",
            "--origin",
            "bad.test",
            "--data-dir",
            "data",
        ],
    );
    assert!(!output.status.success());
    let said = text(&output);
    assert!(said.contains("bad.zone:4"), "{said}");
    assert!(said.contains("bad.zone:5"), "{said}");
    assert!(said.contains("nothing imported"), "{said}");

    // With a named.conf, one bad zone keeps the good ones out too.
    std::fs::write(
        root.join("named.conf"),
        "zone \"alpha.test\" { type master; file \"good.zone\"; };\nzone \"bad.test\" { type master; file \"bad.zone\"; };\n",
    )
    .unwrap();
    let output = hadns(
        root,
        &["import", "--named-conf", "named.conf", "--data-dir", "data"],
    );
    assert!(!output.status.success(), "{}", text(&output));
    let store = store::Store::open(&root.join("data/hadns.db")).unwrap();
    assert!(store.zones().unwrap().is_empty(), "nothing may be imported");

    // A CNAME beside other data passes the file checks only as a warning
    // in some servers; the store refuses it and keeps nothing.
    std::fs::write(
        root.join("cname.zone"),
        "$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\nwww CNAME ns1\nwww TXT \"x\"\n",
    )
    .unwrap();
    let output = hadns(
        root,
        &[
            "import",
            "cname.zone",
            "--origin",
            "cname.test",
            "--data-dir",
            "data",
        ],
    );
    assert!(!output.status.success(), "{}", text(&output));
    assert!(store.zones().unwrap().is_empty());
}

fn wait_for<T>(what: &str, process: &mut Process, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            !process.has_exited() && Instant::now() < deadline,
            "{what}: timed out\n{}",
            process.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_import_beside_a_running_node_is_served_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let port = free_port();
    let server: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    std::fs::write(
        root.join("hadns.toml"),
        format!(
            "version = 1\n[node]\ndata_dir = \"data\"\n[dns]\nlisten = [\"127.0.0.1:{port}\"]\nudp_workers = 1\n"
        ),
    )
    .unwrap();
    let mut command = Command::new(hadns_binary());
    command
        .args(["serve", "-c", "hadns.toml"])
        .current_dir(root);
    let mut node = Process::start("hadns", command, &root.join("hadns.log"));
    wait_for("control socket", &mut node, || {
        root.join("data/control.sock").exists().then_some(())
    });
    assert_eq!(
        ask(server, "www.alpha.test.", Rtype::CNAME).rcode,
        Rcode::REFUSED
    );

    std::fs::write(root.join("alpha.db"), ALPHA).unwrap();
    let output = hadns(
        root,
        &[
            "import",
            "alpha.db",
            "--origin",
            "alpha.test",
            "-c",
            "hadns.toml",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("running node: zone alpha.test. served"),
        "{}",
        text(&output)
    );
    assert_eq!(soa_serial(server, "alpha.test."), Some(2024010101));

    // A changed file: the node moves to the new serial.
    std::fs::write(
        root.join("alpha.db"),
        ALPHA.replace("192.0.2.2", "192.0.2.22"),
    )
    .unwrap();
    let output = hadns(
        root,
        &[
            "import",
            "alpha.db",
            "--origin",
            "alpha.test",
            "-c",
            "hadns.toml",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(soa_serial(server, "alpha.test."), Some(2024010102));
    let answer = ask(server, "mail.alpha.test.", Rtype::A);
    assert!(
        format!("{:?}", answer.answer).contains("192.0.2.22"),
        "{answer:?}"
    );
}

#[test]
fn embedded_default_serves_the_example_zone_and_shows_credentials_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (dns, api) = (free_port(), free_port());
    let server: SocketAddr = format!("127.0.0.1:{dns}").parse().unwrap();
    let start = || {
        let mut command = Command::new(hadns_binary());
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{dns}")])
            .args(["--api-listen", &format!("127.0.0.1:{api}")])
            .current_dir(root);
        Process::start("hadns", command, &root.join("hadns.log"))
    };
    let mut node = start();
    wait_for("example zone", &mut node, || {
        soa_serial(server, "example.test.")
    });
    let answer = ask(server, "www.example.test.", Rtype::A);
    assert_eq!(answer.rcode, Rcode::NOERROR);
    assert!(
        format!("{:?}", answer.answer).contains("192.0.2.10"),
        "{answer:?}"
    );

    let credentials = root.join("hadns-data/initial-credentials");
    let mode = std::fs::metadata(&credentials)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "credentials must be readable by their owner only"
    );
    let kept = std::fs::read_to_string(&credentials).unwrap();
    let token = kept
        .lines()
        .find_map(|l| l.strip_prefix("api_token = "))
        .expect("token in the credentials file")
        .to_string();
    assert!(token.starts_with("hadns_") && token.len() > 60, "{token}");
    assert!(
        node.log_text().contains(&token),
        "the token is printed on first start"
    );
    let store = store::Store::open(&root.join("hadns-data/hadns.db")).unwrap();
    let info = store
        .check_token(&token)
        .unwrap()
        .expect("the printed token works");
    assert_eq!(info.user, "admin");
    drop(store);

    node.signal("TERM");
    assert_eq!(node.wait_exit(Duration::from_secs(10)), Some(0));
    let mut node = start();
    wait_for("example zone again", &mut node, || {
        soa_serial(server, "example.test.")
    });
    assert!(
        !node.log_text().contains("first start"),
        "{}",
        node.log_text()
    );
}
