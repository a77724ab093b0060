//! The renderer: blocks per protocol and family, VRRP settings, and the
//! quoting of `misc_path` checked against a model of keepalived's parser.

use std::path::Path;

use super::*;

/// Two balancers, two dual-stack secondaries, an IPv4 and an IPv6 VIP.
const DUAL_STACK: &str = r#"version = 1

[primary]
address = "192.0.2.1"

[[secondary]]
name = "ns1"
addresses = ["192.0.2.2", "2001:db8::2"]
weight = 2

[[secondary]]
name = "ns2"
addresses = ["192.0.2.3", "2001:db8::3"]

[balancer]
interface = "eth0"
virtual_router_id = 7
vips = ["192.0.2.53", "2001:db8::53"]
advert_int = 0.1
unicast = true
lb_algo = "wlc"
delay_loop = 2
script_user = "keepalived_script"

[[balancer.node]]
name = "lb1"
priority = 150
address = "192.0.2.11"

[[balancer.node]]
name = "lb2"
priority = 100
address = "192.0.2.12"
interface = "ens3"

[[balancer.node]]
name = "lb3"
priority = 50
address = "192.0.2.13"

[check]
program = "/usr/bin/hadns"
zones = ["example.com."]
max_lag = 3
timeout = 0.5
"#;

fn cluster(text: &str) -> Cluster {
    Cluster::parse(text, Some(Path::new("/etc/hadns/cluster.toml"))).unwrap()
}

fn render_for(text: &str, node: &str) -> String {
    let cluster = cluster(text);
    render(&cluster, cluster.node(node).unwrap())
}

/// The text of every `virtual_server ADDR 53 { … }` block, in order.
fn virtual_servers(conf: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut rest = conf;
    while let Some(start) = rest.find("\nvirtual_server ") {
        let block = &rest[start + 1..];
        let end = block.find("\n}\n").map_or(block.len(), |e| e + 3);
        blocks.push(block[..end].to_string());
        rest = &block[end..];
    }
    blocks
}

/// The text of the `vrrp_instance` block.
fn vrrp_block(conf: &str) -> &str {
    let start = conf.find("vrrp_instance hadns {").unwrap();
    let end = conf[start..].find("\n}\n").unwrap();
    &conf[start..start + end + 2]
}

#[test]
fn udp_has_ops_and_tcp_has_not() {
    let conf = render_for(DUAL_STACK, "lb1");
    let blocks = virtual_servers(&conf);
    assert_eq!(blocks.len(), 4, "UDP and TCP for each of two VIPs");
    for block in &blocks {
        assert!(block.contains("    lb_kind DR\n"), "{block}");
        assert!(block.contains("    lb_algo wlc\n"), "{block}");
        assert!(block.contains("    delay_loop 2\n"), "{block}");
        if block.contains("protocol UDP") {
            assert!(block.contains("\n    ops\n"), "{block}");
            assert!(!block.contains("--tcp"), "{block}");
        } else {
            assert!(block.contains("protocol TCP"), "{block}");
            assert!(!block.contains("ops"), "{block}");
            assert_eq!(block.matches("--tcp").count(), 2, "{block}");
        }
    }
    let protocols: Vec<&str> = blocks
        .iter()
        .map(|b| {
            if b.contains("protocol UDP") {
                "UDP"
            } else {
                "TCP"
            }
        })
        .collect();
    assert_eq!(protocols, ["UDP", "TCP", "UDP", "TCP"]);
}

#[test]
fn an_ipv6_vip_has_ipv6_real_servers_and_rides_an_ipv4_instance() {
    let conf = render_for(DUAL_STACK, "lb1");
    let blocks = virtual_servers(&conf);
    assert!(
        blocks[2].starts_with("virtual_server 2001:db8::53 53 {"),
        "{}",
        blocks[2]
    );
    assert!(blocks[2].contains("real_server 2001:db8::2 53 {"));
    assert!(blocks[2].contains("--server [2001:db8::2]:53 "));
    // Only the primary, reached over IPv4 from the balancer, is IPv4 there.
    let ipv6_block = blocks[2].replace("--primary 192.0.2.1:53", "");
    assert!(!ipv6_block.contains("192.0.2."), "{ipv6_block}");
    assert!(blocks[0].contains("real_server 192.0.2.3 53 {"));
    assert!(!blocks[0].contains("2001:db8::"));
    // One instance of one family; the IPv6 VIP moves with it, excluded
    // from the advertisements.
    let vrrp = vrrp_block(&conf);
    assert!(
        vrrp.contains("    virtual_ipaddress {\n        192.0.2.53/32\n    }\n"),
        "{vrrp}"
    );
    assert!(
        vrrp.contains("    virtual_ipaddress_excluded {\n        2001:db8::53/128\n    }\n"),
        "{vrrp}"
    );
    assert!(
        vrrp.contains("    advert_int 0.1\n    version 3\n"),
        "{vrrp}"
    );
    // What the secondaries and balancers need, for both families.
    assert!(conf.contains("#   ip address add 2001:db8::53/128 dev lo\n"));
    assert!(conf.contains("#   ip address add 192.0.2.53/32 dev lo\n"));
    assert!(conf.contains("net.ipv6.ip_nonlocal_bind = 1"));
    assert!(conf.contains("net.ipv4.conf.all.arp_ignore = 1"));
}

#[test]
fn an_ipv6_only_cluster_has_an_ipv6_instance() {
    let text = DUAL_STACK
        .replace(
            r#"vips = ["192.0.2.53", "2001:db8::53"]"#,
            r#"vips = ["2001:db8::53"]"#,
        )
        .replace("192.0.2.11", "2001:db8::11")
        .replace("192.0.2.12", "2001:db8::12")
        .replace("192.0.2.13", "2001:db8::13");
    let conf = render_for(&text, "lb2");
    let vrrp = vrrp_block(&conf);
    assert!(
        vrrp.contains("    virtual_ipaddress {\n        2001:db8::53/128\n    }\n"),
        "{vrrp}"
    );
    assert!(!vrrp.contains("excluded"), "{vrrp}");
    assert!(vrrp.contains("    unicast_src_ip 2001:db8::12\n"), "{vrrp}");
    assert_eq!(virtual_servers(&conf).len(), 2);
    // No IPv4 VIP: no ARP settings to ask for.
    assert!(!conf.contains("arp_ignore"));
}

#[test]
fn each_node_gets_its_own_state_priority_interface_and_peers() {
    let lb1 = render_for(DUAL_STACK, "lb1");
    let vrrp = vrrp_block(&lb1);
    assert!(
        vrrp.contains(
            "    state BACKUP\n    interface eth0\n    virtual_router_id 7\n    priority 150\n"
        ),
        "{vrrp}"
    );
    assert!(vrrp.contains("    unicast_src_ip 192.0.2.11\n    unicast_peer {\n        192.0.2.12\n        192.0.2.13\n    }\n"), "{vrrp}");
    assert!(lb1.contains("    router_id lb1\n"));

    let lb2 = render_for(DUAL_STACK, "lb2");
    let vrrp = vrrp_block(&lb2);
    assert!(
        vrrp.contains(
            "    state BACKUP\n    interface ens3\n    virtual_router_id 7\n    priority 100\n"
        ),
        "{vrrp}"
    );
    assert!(vrrp.contains("    unicast_src_ip 192.0.2.12\n    unicast_peer {\n        192.0.2.11\n        192.0.2.13\n    }\n"), "{vrrp}");
    // Everything but the VRRP instance and router_id is the same.
    assert_eq!(virtual_servers(&lb1), virtual_servers(&lb2));
}

#[test]
fn multicast_vrrp_has_no_unicast_lines() {
    let conf = render_for(&DUAL_STACK.replace("unicast = true\n", ""), "lb3");
    assert!(!conf.contains("unicast"), "{conf}");
    assert!(vrrp_block(&conf).contains("    state BACKUP\n"));
}

#[test]
fn authentication_is_written_only_when_set() {
    let with = DUAL_STACK
        .replace(
            "advert_int = 0.1\n",
            "advert_int = 1\nauth_pass = \"s3cret\"\n",
        )
        .replace(
            r#"vips = ["192.0.2.53", "2001:db8::53"]"#,
            r#"vips = ["192.0.2.53"]"#,
        );
    let conf = render_for(&with, "lb1");
    let vrrp = vrrp_block(&conf);
    assert!(vrrp.contains("    advert_int 1\n    version 2\n"), "{vrrp}");
    assert!(
        vrrp.contains(
            "    authentication {\n        auth_type PASS\n        auth_pass s3cret\n    }\n"
        ),
        "{vrrp}"
    );
    let without = render_for(DUAL_STACK, "lb1");
    assert!(!without.contains("authentication"));
    assert!(!without.contains("auth_pass"));
}

#[test]
fn global_defs_enable_script_security_with_a_script_user() {
    let conf = render_for(DUAL_STACK, "lb1");
    assert!(conf.contains("global_defs {\n    router_id lb1\n    enable_script_security\n    script_user keepalived_script\n}\n"), "{conf}");
    assert!(!conf.contains("vrrp_strict"));
}

#[test]
fn the_check_command_carries_every_configured_argument() {
    let c = cluster(DUAL_STACK);
    let ns1 = &c.secondaries[0];
    let args = check_arguments(&c, ns1, ns1.addresses[0], Protocol::Udp);
    assert_eq!(
        args,
        [
            "/usr/bin/hadns",
            "check",
            "--server",
            "192.0.2.2:53",
            "--zone",
            "example.com",
            "--primary",
            "192.0.2.1:53",
            "--max-lag",
            "3",
            "--timeout",
            "0.5"
        ]
    );
    let conf = render(&c, c.node("lb1").unwrap());
    assert!(conf.contains(
        "\n            misc_path \"/usr/bin/hadns check --server 192.0.2.2:53 --tcp --zone example.com --primary 192.0.2.1:53 --max-lag 3 --timeout 0.5\"\n            misc_timeout 3\n            retry 1\n            delay_before_retry 1\n"
    ), "{conf}");
    assert!(conf.contains("    real_server 192.0.2.2 53 {\n        weight 2\n"));

    let all = DUAL_STACK
        .replace("zones = [\"example.com.\"]\n", "all_zones_config = \"/etc/hadns/hadns.toml\"\n")
        .replace("timeout = 0.5\n", "timeout = 2\nmax_behind = 30\nname = \"www.example.com\"\ntype = \"aaaa\"\nexpect = \"2001:db8::80\"\n")
        .replace("weight = 2\n", "weight = 2\nhealth = \"192.0.2.2\"\n")
        .replace("addresses = [\"192.0.2.3\", \"2001:db8::3\"]\n", "addresses = [\"192.0.2.3\", \"2001:db8::3\"]\nhealth = \"[2001:db8::3]:8080\"\n");
    let c = cluster(&all);
    let ns2 = &c.secondaries[1];
    let args = check_arguments(&c, ns2, ns2.addresses[1], Protocol::Tcp);
    assert_eq!(
        args,
        [
            "/usr/bin/hadns",
            "check",
            "--server",
            "[2001:db8::3]:53",
            "--tcp",
            "--all-zones",
            "--config",
            "/etc/hadns/hadns.toml",
            "--primary",
            "192.0.2.1:53",
            "--max-lag",
            "3",
            "--max-behind",
            "30",
            "--health",
            "[2001:db8::3]:8080",
            "--name",
            "www.example.com",
            "--type",
            "AAAA",
            "--expect",
            "2001:db8::80",
            "--timeout",
            "2"
        ]
    );
    assert_eq!(c.check.misc_timeout, 5);
}

/// keepalived 2.2's `alloc_strvec_quoted_escaped` (lib/parser.c): words
/// at blanks; `"…"` and `'…'` group; `\` escapes everywhere (`\n`, `\t`
/// and a literal next character are enough here).
fn keepalived_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| " \t\x0c\n\r\x0b".contains(*c)) {
            chars.next();
        }
        if chars.peek().is_none() {
            return words;
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _) => match chars.next().expect("escape at the end") {
                    'n' => word.push('\n'),
                    't' => word.push('\t'),
                    other => word.push(other),
                },
                (q, Some(open)) if q == open => quote = None,
                (c, Some(_)) => word.push(c),
                ('"' | '\'', None) => quote = Some(c),
                (c, None) if " \t\x0c\n\r\x0b".contains(c) => break,
                (c, None) => word.push(c),
            }
        }
        assert!(quote.is_none(), "unterminated quote in {text:?}");
        words.push(word);
    }
}

/// What keepalived runs for a `misc_path` line: comments cut (`#`, `!`
/// outside double quotes), the line split, and its second word split again.
fn keepalived_argv(line: &str) -> Vec<String> {
    let mut cut = line.len();
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => in_quotes = !in_quotes,
            '#' | '!' if !in_quotes => {
                cut = i;
                break;
            }
            _ => {}
        }
    }
    let line_words = keepalived_words(&line[..cut]);
    assert_eq!(
        line_words.len(),
        2,
        "misc_path and one string: {line_words:?}"
    );
    assert_eq!(line_words[0], "misc_path");
    keepalived_words(&line_words[1])
}

#[test]
fn misc_path_arguments_survive_keepalived_quoting() {
    let awkward = DUAL_STACK
        .replace("/usr/bin/hadns", r#"/opt/my hadns/bin/had'ns\"x\\y"#)
        .replace("zones = [\"example.com.\"]\n", "all_zones_config = \"/etc/hadns/a #b! {c}.toml\"\n")
        .replace("timeout = 0.5\n", "name = \"example.com\"\ntype = \"TXT\"\nexpect = \"v=spf1 -all \\\"quoted\\\" \\\\ end\"\n");
    let c = cluster(&awkward);
    for secondary in &c.secondaries {
        for address in &secondary.addresses {
            for protocol in [Protocol::Udp, Protocol::Tcp] {
                let expected = check_arguments(&c, secondary, *address, protocol);
                let line = misc_path_line(&c, secondary, *address, protocol);
                assert_eq!(keepalived_argv(&line), expected, "{line}");
            }
        }
    }
    let ns1 = &c.secondaries[0];
    let args = check_arguments(&c, ns1, ns1.addresses[0], Protocol::Udp);
    assert_eq!(args[0], r#"/opt/my hadns/bin/had'ns"x\y"#);
    assert_eq!(args.last().unwrap(), "1");
    assert!(args.contains(&r#"v=spf1 -all "quoted" \ end"#.to_string()));
    // The line as written: each level's escapes visible.
    let line = misc_path_line(&c, ns1, ns1.addresses[0], Protocol::Udp);
    assert!(line.starts_with(r#"            misc_path "'/opt/my hadns/bin/had\\'ns\"x\\\\y' check --server 192.0.2.2:53 --all-zones --config '/etc/hadns/a #b! {c}.toml' "#), "{line}");
}

#[test]
fn plain_arguments_stay_bare() {
    for plain in [
        "--server",
        "[2001:db8::2]:53",
        "/usr/bin/hadns",
        "example.com",
        "0.5",
    ] {
        assert_eq!(quote_argument(plain), plain);
    }
    assert_eq!(quote_argument("a b"), "'a b'");
    assert_eq!(quote_argument("it's"), r"'it\'s'");
    assert_eq!(quote_argument(""), "''");
    assert_eq!(quote_string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
}

#[test]
fn times_are_written_with_the_decimals_they_need() {
    assert_eq!(seconds(Duration::from_secs(2)), "2");
    assert_eq!(seconds(Duration::from_millis(500)), "0.5");
    assert_eq!(seconds(Duration::from_millis(250)), "0.25");
    assert_eq!(seconds(Duration::from_millis(1050)), "1.05");
    assert_eq!(crate::cluster::Centiseconds(5).to_string(), "0.05");
    assert_eq!(crate::cluster::Centiseconds(150).to_string(), "1.5");
    assert_eq!(crate::cluster::Centiseconds(300).to_string(), "3");
}

#[test]
fn the_header_names_the_sysctls_and_sigterm() {
    let conf = render_for(DUAL_STACK, "lb1");
    let header: String = conf
        .lines()
        .take_while(|l| l.starts_with('#') || l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    for needed in [
        "written by `hadns keepalived` from\n# cluster.toml",
        "net.ipv4.vs.expire_nodest_conn = 1",
        "net.ipv4.ip_nonlocal_bind = 1",
        "net.ipv6.ip_nonlocal_bind = 1",
        "net.ipv4.conf.all.arp_ignore = 1",
        "net.ipv4.conf.all.arp_announce = 2",
        "ip address add 192.0.2.53/32 dev lo",
        "SIGTERM",
        "Never SIGKILL",
    ] {
        assert!(
            header.contains(needed),
            "{needed:?} missing from:\n{header}"
        );
    }
    assert!(conf.ends_with("}\n") && !conf.ends_with("\n\n"));
}
