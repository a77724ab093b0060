//! `hadns keepalived`: the shipped example's configs byte for byte, every
//! generated config accepted by keepalived itself (`keepalived -t`), the
//! check arguments as a real keepalived hands them to the program, and the
//! command's errors and `--output`.
//!
//! keepalived runs here as root would run it on a balancer, inside a
//! network namespace of its own (`unshare -n`) where the test creates the
//! interfaces the config names: `keepalived -t` refuses a config naming an
//! interface the machine lacks. It runs as the config's `script_user`:
//! keepalived 2.2.7's `-t` kills itself with SIGTERM when it checks a
//! script as another user than its own (fixed upstream after 2.2.7 by
//! "config_check: Don't kill process when checking validity of scripts").
//! So these tests need root, as CI and scripts/test have.
//!
//! Regenerate the golden files on purpose with
//! `HADNS_BLESS=1 cargo test --test keepalived`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{Process, hadns_binary, require_program};

/// The shipped example cluster file.
fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/cluster-example.toml")
}

fn hadns(args: &[&str]) -> Output {
    Command::new(hadns_binary())
        .args(args)
        .output()
        .expect("run hadns")
}

/// `hadns keepalived --config FILE --node NODE`, which must succeed.
fn generate(config: &Path, node: &str) -> String {
    let out = hadns(&[
        "keepalived",
        "--config",
        config.to_str().unwrap(),
        "--node",
        node,
    ]);
    assert!(
        out.status.success(),
        "hadns keepalived --node {node} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Fails unless this test runs as root (see the module comment).
fn require_root() {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("effective uid in /proc/self/status");
    assert_eq!(
        uid, "0",
        "this test runs keepalived in a network namespace of its own and as its script_user: run it as root (CI and scripts/test do)"
    );
}

/// A directory others can read (keepalived reads the config as the
/// script user), removed at the end.
fn readable_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// The value of the first `    KEYWORD VALUE` line of `conf`.
fn keyword<'a>(conf: &'a str, name: &str) -> Option<&'a str> {
    conf.lines()
        .filter_map(|l| l.trim_start().strip_prefix(name))
        .find_map(|rest| rest.strip_prefix(' '))
}

/// Shell commands creating every interface `conf` names (veth pairs) in
/// the namespace, and bringing them up.
fn interface_setup(conf: &str) -> String {
    let mut names: Vec<&str> = conf
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("interface "))
        .collect();
    names.sort();
    names.dedup();
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format!(
                "ip link add {name} type veth peer name hadns-peer{i} && ip link set {name} up && "
            )
        })
        .collect()
}

/// Runs `keepalived -t -l -f` on `conf` in a fresh network namespace, as
/// the config's script user: its exit code and everything it printed.
fn keepalived_test(conf: &str) -> (Option<i32>, String) {
    require_root();
    let keepalived = require_program("keepalived", "keepalived");
    let dir = readable_dir();
    let file = dir.path().join("keepalived.conf");
    std::fs::write(&file, conf).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let user = keyword(conf, "script_user").unwrap_or("root");
    let script = format!(
        "{}exec setpriv --reuid={user} --regid=$(id -g {user}) --clear-groups {} -t -l -f {}",
        interface_setup(conf),
        keepalived.display(),
        file.display()
    );
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .output()
        .expect("run unshare");
    let mut printed = String::from_utf8_lossy(&out.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), printed)
}

/// Asserts keepalived accepts `conf` with nothing to say about it.
fn assert_keepalived_accepts(conf: &str, what: &str) {
    let (code, printed) = keepalived_test(conf);
    assert_eq!(
        (code, printed.as_str()),
        (Some(0), ""),
        "keepalived -t refused {what}:\n{printed}\n--- config ---\n{conf}"
    );
}

/// The first line where `actual` and `expected` differ, for messages.
fn first_difference(actual: &str, expected: &str) -> String {
    for (n, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
        if a != e {
            return format!("line {}:\n  got:      {a}\n  expected: {e}", n + 1);
        }
    }
    format!(
        "lengths differ: {} lines against {}",
        actual.lines().count(),
        expected.lines().count()
    )
}

#[test]
fn the_example_renders_the_checked_in_configs() {
    let bless = std::env::var_os("HADNS_BLESS").is_some();
    for node in ["lb1", "lb2"] {
        let conf = generate(&example(), node);
        let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/keepalived")
            .join(format!("{node}.conf"));
        if bless {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &conf).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden)
            .unwrap_or_else(|e| panic!("{}: {e} (HADNS_BLESS=1 writes it)", golden.display()));
        assert!(
            conf == expected,
            "{node}: output differs from {} ({}); if the change is meant, regenerate with HADNS_BLESS=1 cargo test --test keepalived",
            golden.display(),
            first_difference(&conf, &expected)
        );
    }
}

#[test]
fn keepalived_accepts_the_example_for_both_balancers() {
    for node in ["lb1", "lb2"] {
        let conf = generate(&example(), node);
        assert!(conf.contains("lb_kind DR"), "{conf}");
        assert_keepalived_accepts(&conf, &format!("the example for {node}"));
    }
}

/// Variants of the example: (what, file text). Each is generated for each
/// of its balancers and run through `keepalived -t`.
fn variants() -> Vec<(&'static str, String)> {
    let example = std::fs::read_to_string(example()).unwrap();
    let dual_stack = example
        .replace(
            r#"addresses = ["192.0.2.2"]"#,
            r#"addresses = ["192.0.2.2", "2001:db8::2"]"#,
        )
        .replace(
            r#"addresses = ["192.0.2.3"]"#,
            r#"addresses = ["192.0.2.3", "2001:db8::3"]"#,
        )
        .replace(
            r#"vips = ["192.0.2.53"]"#,
            r#"vips = ["192.0.2.53", "2001:db8::53"]"#,
        )
        // Multicast VRRPv3 every tenth of a second, no authentication.
        .replace("advert_int = 1 ", "advert_int = 0.1 ")
        .replace("auth_pass = \"hadns-lb\"", "# no auth_pass")
        .replace("unicast = true", "unicast = false")
        .replace("lb_algo = \"rr\"", "lb_algo = \"wlc\"")
        .replace("# interface = \"ens3\"", "interface = \"ens3\"")
        + "\n[[balancer.node]]\nname = \"lb3\"\npriority = 50\n";
    let ipv6_only = example
        .replace(
            r#"addresses = ["192.0.2.2"]"#,
            r#"addresses = ["2001:db8::2"]"#,
        )
        .replace(
            r#"addresses = ["192.0.2.3"]"#,
            r#"addresses = ["2001:db8::3"]"#,
        )
        .replace(r#"vips = ["192.0.2.53"]"#, r#"vips = ["2001:db8::53"]"#)
        .replace("auth_pass = \"hadns-lb\"", "# no auth_pass")
        .replace("\"192.0.2.11\"", "\"2001:db8::11\"")
        .replace("\"192.0.2.12\"", "\"2001:db8::12\"");
    // Every optional check argument, and values that need quoting.
    let every_argument = example
        .replace(
            "program = \"/usr/local/bin/hadns\"",
            r#"program = "/opt/hadns 1.0/bin/it's \"hadns\"""#,
        )
        .replace(
            "zones = [\"example.com\", \"example.net\"]",
            "all_zones_config = \"/etc/hadns/node #1 {main}!.toml\"",
        )
        .replace("# max_behind = 30", "max_behind = 30")
        .replace("# name = ", "name = ")
        .replace("# type = ", "type = ")
        .replace(
            "# expect = \"192.0.2.80\"",
            "expect = \"v=spf1 \\\"-all\\\" \\\\\"",
        )
        .replace("weight = 1 ", "health = \"192.0.2.2:8053\"\nweight = 1 ")
        .replace("weight = 1\n", "health = \"192.0.2.3:8053\"\nweight = 1\n")
        .replace("timeout = 1 ", "timeout = 0.25 ")
        .replace("# misc_timeout = 3", "misc_timeout = 4")
        .replace("# retry = 1", "retry = 3")
        .replace("# delay_before_retry = 1", "delay_before_retry = 2");
    vec![
        ("dual stack, multicast VRRPv3", dual_stack),
        ("IPv6 only, unicast", ipv6_only),
        ("every check argument, quoted", every_argument),
    ]
}

#[test]
fn keepalived_accepts_every_variant_for_every_balancer() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (what, text)) in variants().into_iter().enumerate() {
        let file = dir.path().join(format!("cluster-{i}.toml"));
        std::fs::write(&file, &text).unwrap();
        let cluster =
            config::cluster::Cluster::load(&file).unwrap_or_else(|e| panic!("{what}: {e}\n{text}"));
        for node in &cluster.balancer.nodes {
            let conf = generate(&file, &node.name);
            assert_keepalived_accepts(&conf, &format!("{what}, {}", node.name));
        }
    }
}

#[test]
fn keepalived_test_catches_a_broken_config() {
    // The harness above must be able to fail: each of these is refused.
    let conf = generate(&example(), "lb1");
    let broken = [
        (
            "an unknown forwarding method",
            conf.replacen("\n    lb_kind DR\n", "\n    lb_kind XX\n", 1),
        ),
        (
            "an unknown scheduler",
            conf.replacen("\n    lb_algo rr\n", "\n    lb_algo xx\n", 1),
        ),
        (
            "an unknown keyword",
            conf.replacen("    ops\n", "    opps\n", 1),
        ),
        (
            "an over-long auth_pass",
            conf.replacen("auth_pass hadns-lb", "auth_pass hadns-lb-longer", 1),
        ),
        (
            "an unterminated misc_path",
            conf.replacen("--timeout 1\"", "--timeout 1", 1),
        ),
    ];
    for (what, text) in broken {
        assert_ne!(text, conf, "{what}: the edit did not apply");
        let (code, printed) = keepalived_test(&text);
        assert_ne!(code, Some(0), "keepalived -t accepted {what}");
        assert!(
            !printed.is_empty(),
            "keepalived -t said nothing about {what}"
        );
    }
}

#[test]
fn keepalived_hands_the_check_its_arguments_as_rendered() {
    // keepalived parses a vrrp_script's `script` exactly as a MISC_CHECK's
    // `misc_path` (both alloc_strvec_quoted_escaped, then
    // set_script_params_array), and runs it without IPVS. So the generated
    // misc_path line, as a vrrp_script, with the program replaced by one
    // that writes down its arguments, shows what `hadns check` would get.
    require_root();
    let keepalived = require_program("keepalived", "keepalived");
    let dir = readable_dir();
    let bin = dir.path().join("my bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    // keepalived refuses a script in a directory others may write to;
    // the recorder writes into a directory of its own instead.
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let arguments = out_dir.join("arguments");
    let recorder = bin.join(r#"it's "hadns"\"#);
    std::fs::write(
        &recorder,
        format!(
            "#!/bin/sh\nfor a in \"$0\" \"$@\"; do printf '%s\\0' \"$a\"; done > '{}'\n",
            arguments.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&recorder, std::fs::Permissions::from_mode(0o755)).unwrap();

    let (_, every_argument) = variants().remove(2);
    let text = every_argument.replace(
        r#"program = "/opt/hadns 1.0/bin/it's \"hadns\"""#,
        &format!(
            "program = \"{}\"",
            recorder
                .display()
                .to_string()
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
        ),
    );
    let file = dir.path().join("cluster.toml");
    std::fs::write(&file, &text).unwrap();
    let cluster = config::cluster::Cluster::load(&file).unwrap();
    let ns2 = &cluster.secondaries[1];
    let expected = config::keepalived::check_arguments(
        &cluster,
        ns2,
        ns2.addresses[0],
        config::keepalived::Protocol::Tcp,
    );
    assert!(expected.iter().any(|a| a.contains(' ') && a.contains('"')));

    // The line from the generated file itself, not rebuilt here.
    let conf = generate(&file, "lb1");
    let line = conf
        .lines()
        .find(|l| l.contains("misc_path") && l.contains("192.0.2.3:53 --tcp"))
        .expect("ns2's TCP misc_path line")
        .trim_start()
        .replacen("misc_path", "script", 1);
    let vrrp_conf = format!(
        "global_defs {{\n    enable_script_security\n    script_user nobody\n}}\n\
         vrrp_script record {{\n    {line}\n    interval 1\n}}\n\
         vrrp_instance record {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 1\n    priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        198.51.100.53/32\n    }}\n    track_script {{\n        record\n    }}\n}}\n"
    );
    let conf_file = dir.path().join("record.conf");
    std::fs::write(&conf_file, &vrrp_conf).unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let script = format!(
        "ip link add eth0 type veth peer name hadns-peer && ip link set eth0 up && ip link set hadns-peer up && \
         ip address add 198.51.100.1/24 dev eth0 && \
         exec {} -P -n -l -f {} -p {run}/keepalived.pid -r {run}/vrrp.pid",
        keepalived.display(),
        conf_file.display(),
        run = run.display()
    );
    let mut command = Command::new("unshare");
    command.args(["-n", "sh", "-c", &script]);
    let mut process = Process::start("keepalived", command, &dir.path().join("keepalived.log"));

    let deadline = Instant::now() + Duration::from_secs(20);
    let recorded = loop {
        // The file is complete once the recorder's shell closed it.
        if let Ok(bytes) = std::fs::read(&arguments)
            && bytes.ends_with(b"\0")
            && bytes.iter().filter(|&&b| b == 0).count() == expected.len()
        {
            break bytes;
        }
        assert!(
            Instant::now() < deadline && !process.has_exited(),
            "the check never ran; keepalived said:\n{}\n--- config ---\n{vrrp_conf}",
            process.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // As a balancer is stopped: SIGTERM, never SIGKILL.
    process.signal("TERM");
    assert_eq!(
        process.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        process.log_text()
    );

    let argv: Vec<String> = recorded
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8(a.to_vec()).unwrap())
        .collect();
    assert_eq!(argv, expected, "generated line: {line}");
}

#[test]
fn an_unknown_balancer_is_an_error_naming_the_known_ones() {
    let out = hadns(&[
        "keepalived",
        "--config",
        example().to_str().unwrap(),
        "--node",
        "lb9",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`balancer.node`: no balancer named `lb9` (the file names lb1, lb2)"),
        "{stderr}"
    );
}

#[test]
fn a_file_error_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cluster.toml");
    let text = std::fs::read_to_string(example())
        .unwrap()
        .replace("priority = 100", "priority = 150");
    std::fs::write(&file, &text).unwrap();
    let out = hadns(&[
        "keepalived",
        "--config",
        file.to_str().unwrap(),
        "--node",
        "lb1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let line = text
        .lines()
        .position(|l| l.starts_with("priority = 150"))
        .unwrap();
    let line = text
        .lines()
        .skip(line + 1)
        .position(|l| l.starts_with("priority = 150"))
        .unwrap()
        + line
        + 2;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:{line}: `balancer.node[1].priority`: priority 150 is also `lb1`'s",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn output_replaces_the_file_with_what_would_be_printed() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("keepalived.conf");
    std::fs::write(&target, "old\n").unwrap();
    let out = hadns(&[
        "keepalived",
        "--config",
        example().to_str().unwrap(),
        "--node",
        "lb2",
        "--output",
        target.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        generate(&example(), "lb2")
    );
    // The example sets auth_pass: the file is root's alone.
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // No temporary file left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["keepalived.conf"]);
}
