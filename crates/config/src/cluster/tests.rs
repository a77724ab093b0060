//! Validation of cluster files: the shipped example, and each error
//! naming its file, line and key.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use super::*;

/// The shipped example, which the documentation walks through.
const EXAMPLE: &str = include_str!("../../../../contrib/cluster-example.toml");

/// A small valid file the error cases below edit one key at a time.
const BASE: &str = r#"version = 1

[[secondary]]
name = "ns1"
addresses = ["192.0.2.2"]

[[secondary]]
name = "ns2"
addresses = ["192.0.2.3"]

[balancer]
interface = "eth0"
virtual_router_id = 53
vips = ["192.0.2.53"]

[[balancer.node]]
name = "lb1"
priority = 150

[[balancer.node]]
name = "lb2"
priority = 100

[check]
program = "/usr/local/bin/hadns"
zones = ["example.com"]
"#;

fn parse(text: &str) -> Result<Cluster, ConfigError> {
    Cluster::parse(text, Some(Path::new("/etc/hadns/cluster.toml")))
}

/// The error `text` gives, as an operator reads it.
fn error(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// `BASE` with `old` replaced by `new` (which must be there).
fn edit(old: &str, new: &str) -> String {
    assert!(BASE.contains(old), "BASE lacks {old:?}");
    BASE.replacen(old, new, 1)
}

#[test]
fn the_shipped_example_describes_the_classic_topology() {
    let cluster = parse(EXAMPLE).unwrap();
    let primary = cluster.primary.as_ref().unwrap();
    assert_eq!(primary.name.as_deref(), Some("ns0"));
    assert_eq!(primary.address, "192.0.2.1:53".parse().unwrap());
    let names: Vec<&str> = cluster
        .secondaries
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["ns1", "ns2"]);
    let b = &cluster.balancer;
    assert_eq!(b.vips, ["192.0.2.53".parse::<IpAddr>().unwrap()]);
    assert_eq!(b.vrrp_version, VrrpVersion::V2);
    assert_eq!(b.auth_pass.as_deref(), Some("hadns-lb"));
    assert!(b.unicast);
    assert_eq!(cluster.node("lb1").unwrap().priority, 150);
    assert_eq!(cluster.node("lb2").unwrap().priority, 100);
    // delay_loop 3 + misc_timeout 3 + 1: checks have run again before a
    // balancer that came back takes the VIPs.
    assert_eq!(b.preempt_delay, None);
    assert_eq!(cluster.preempt_delay(), 7);
    assert_eq!(cluster.check.max_lag, Some(1));
    assert_eq!(cluster.check.misc_timeout, 3);
}

#[test]
fn defaults_fill_what_the_file_leaves_out() {
    let cluster = parse(BASE).unwrap();
    let b = &cluster.balancer;
    assert_eq!(b.advert_int, Centiseconds(100));
    assert_eq!(b.vrrp_version, VrrpVersion::V2);
    assert_eq!(b.lb_algo, "rr");
    assert_eq!(b.delay_loop, 3);
    assert_eq!(b.script_user, "nobody");
    assert_eq!(b.preempt_delay, None);
    assert!(!b.unicast);
    assert_eq!(cluster.check.timeout, Duration::from_secs(1));
    assert_eq!(cluster.check.misc_timeout, 3);
    assert_eq!(cluster.check.retry, 1);
    assert_eq!(cluster.secondaries[0].weight, 1);
}

#[test]
fn an_unknown_key_is_named_with_its_file_and_line() {
    let text = edit(
        "virtual_router_id = 53",
        "virtual_router_id = 53\nvirtual_router = 7",
    );
    let e = error(&text);
    assert!(
        e.starts_with("/etc/hadns/cluster.toml:14: `balancer.virtual_router`: unknown field"),
        "{e}"
    );
    let text = edit("priority = 100", "priority = 100\npriorty = 5");
    assert!(
        error(&text).starts_with("/etc/hadns/cluster.toml:23: `balancer.node[1].priorty`"),
        "{}",
        error(&text)
    );
}

#[test]
fn an_unknown_node_names_the_known_ones() {
    let cluster = parse(BASE).unwrap();
    let e = cluster.node("lb3").unwrap_err().to_string();
    assert_eq!(
        e,
        "/etc/hadns/cluster.toml: `balancer.node`: no balancer named `lb3` (the file names lb1, lb2)"
    );
}

#[test]
fn two_balancers_with_one_priority_are_refused() {
    let e = error(&edit("priority = 100", "priority = 150"));
    assert!(
        e.starts_with(
            "/etc/hadns/cluster.toml:22: `balancer.node[1].priority`: priority 150 is also `lb1`'s"
        ),
        "{e}"
    );
}

#[test]
fn two_balancers_with_one_name_are_refused() {
    let e = error(&edit("name = \"lb2\"", "name = \"lb1\""));
    assert!(
        e.contains(":21: `balancer.node[1].name`: balancer `lb1` is described twice"),
        "{e}"
    );
}

#[test]
fn a_virtual_router_id_outside_vrrp_range_is_refused() {
    for bad in ["0", "256"] {
        let e = error(&edit(
            "virtual_router_id = 53",
            &format!("virtual_router_id = {bad}"),
        ));
        assert!(e.contains(":13: `balancer.virtual_router_id`: "), "{e}");
        assert!(e.contains("out of range (1..=255)"), "{e}");
    }
}

#[test]
fn a_vip_that_is_not_an_address_is_refused() {
    for bad in [
        "192.0.2.53/32",
        "vip.example.com",
        "192.0.2.53:53",
        "0.0.0.0",
        "224.0.0.18",
    ] {
        let e = error(&edit(
            r#"vips = ["192.0.2.53"]"#,
            &format!(r#"vips = ["{bad}"]"#),
        ));
        assert!(e.contains(":14: `balancer.vips[0]`: "), "{bad}: {e}");
    }
    let e = error(&edit(
        r#"vips = ["192.0.2.53"]"#,
        r#"vips = ["192.0.2.53", "192.0.2.53"]"#,
    ));
    assert!(
        e.contains("`balancer.vips[1]`: VIP 192.0.2.53 is listed twice"),
        "{e}"
    );
}

#[test]
fn a_vip_without_real_servers_is_refused() {
    // No secondary at all.
    let without: String = BASE
        .split("[balancer]")
        .nth(1)
        .map(|rest| format!("version = 1\n\n[balancer]{rest}"))
        .unwrap();
    let e = error(&without);
    assert!(
        e.contains(":6: `balancer.vips[0]`: no real servers for VIP 192.0.2.53: no [[secondary]] has an IPv4 address"),
        "{e}"
    );
    // An IPv6 VIP behind IPv4-only secondaries.
    let e = error(&edit(
        r#"vips = ["192.0.2.53"]"#,
        r#"vips = ["192.0.2.53", "2001:db8::53"]"#,
    ));
    assert!(
        e.contains("`balancer.vips[1]`: no real servers for VIP 2001:db8::53"),
        "{e}"
    );
}

#[test]
fn secondaries_have_distinct_names_and_addresses() {
    let e = error(&edit(
        r#"addresses = ["192.0.2.3"]"#,
        r#"addresses = ["192.0.2.2"]"#,
    ));
    assert!(
        e.contains(
            ":9: `secondary[1].addresses[0]`: 192.0.2.2 is already another secondary's address"
        ),
        "{e}"
    );
    let e = error(&edit(
        r#"addresses = ["192.0.2.2"]"#,
        r#"addresses = ["192.0.2.2", "192.0.2.9"]"#,
    ));
    assert!(
        e.contains("`secondary[0].addresses[1]`: a second IPv4 address"),
        "{e}"
    );
    let e = error(&edit(r#"addresses = ["192.0.2.2"]"#, "addresses = []"));
    assert!(e.contains("`secondary[0].addresses`: empty"), "{e}");
    let e = error(&edit(r#"name = "ns2""#, r#"name = "ns1""#));
    assert!(
        e.contains("`secondary[1].name`: secondary `ns1` is described twice"),
        "{e}"
    );
    let e = error(&edit(
        r#"addresses = ["192.0.2.2"]"#,
        r#"addresses = ["192.0.2.53"]"#,
    ));
    assert!(
        e.contains("`balancer.vips[0]`: 192.0.2.53 is a secondary's own address"),
        "{e}"
    );
}

#[test]
fn the_format_version_is_required() {
    let e = error(&BASE.replacen("version = 1\n", "", 1));
    assert!(e.contains("`version`: missing"), "{e}");
    let e = error(&BASE.replacen("version = 1", "version = 2", 1));
    assert!(
        e.starts_with("/etc/hadns/cluster.toml:1: `version`: format version 2 is not supported"),
        "{e}"
    );
}

#[test]
fn fractional_advert_int_chooses_vrrp_version_3() {
    let cluster = parse(&edit("vips = [", "advert_int = 0.1\nvips = [")).unwrap();
    assert_eq!(cluster.balancer.advert_int, Centiseconds(10));
    assert_eq!(cluster.balancer.vrrp_version, VrrpVersion::V3);
    let e = error(&edit(
        "vips = [",
        "advert_int = 0.1\nvrrp_version = 2\nvips = [",
    ));
    assert!(e.contains("`balancer.vrrp_version`: VRRPv2 advertises in whole seconds; advert_int 0.1 needs vrrp_version 3"), "{e}");
    let e = error(&edit("vips = [", "advert_int = 0.125\nvips = ["));
    assert!(
        e.contains("`balancer.advert_int`: seconds with at most two decimals"),
        "{e}"
    );
    let e = error(&edit("vips = [", "advert_int = 0\nvips = ["));
    assert!(
        e.contains("`balancer.advert_int`: must be a positive number"),
        "{e}"
    );
    let e = error(&edit("vips = [", "advert_int = 300\nvips = ["));
    assert!(
        e.contains("`balancer.advert_int`: 300 s is out of range for VRRPv2"),
        "{e}"
    );
}

#[test]
fn an_ipv6_only_instance_speaks_vrrp_version_3() {
    let text = BASE
        .replace(
            r#"addresses = ["192.0.2.2"]"#,
            r#"addresses = ["2001:db8::2"]"#,
        )
        .replace(
            r#"addresses = ["192.0.2.3"]"#,
            r#"addresses = ["2001:db8::3"]"#,
        )
        .replace(r#"vips = ["192.0.2.53"]"#, r#"vips = ["2001:db8::53"]"#);
    let cluster = parse(&text).unwrap();
    assert_eq!(cluster.balancer.vrrp_version, VrrpVersion::V3);
    assert!(!cluster.balancer.instance_is_ipv4());
    let e = error(&text.replace("vips = [", "vrrp_version = 2\nvips = ["));
    assert!(e.contains("VRRPv2 is IPv4 only"), "{e}");
}

#[test]
fn authentication_is_vrrp_version_2_and_eight_characters() {
    let cluster = parse(&edit("vips = [", "auth_pass = \"s3cret\"\nvips = [")).unwrap();
    assert_eq!(cluster.balancer.auth_pass.as_deref(), Some("s3cret"));
    let e = error(&edit(
        "vips = [",
        "auth_pass = \"s3cret\"\nadvert_int = 0.5\nvips = [",
    ));
    assert!(
        e.contains("`balancer.auth_pass`: VRRPv3 has no authentication"),
        "{e}"
    );
    let e = error(&edit("vips = [", "auth_pass = \"123456789\"\nvips = ["));
    assert!(
        e.contains("`balancer.auth_pass`: VRRPv2 carries 1 to 8 characters; this is 9"),
        "{e}"
    );
    for bad in ["a b", "a#b", "a\\\"b", "a$b"] {
        let e = error(&edit(
            "vips = [",
            &format!("auth_pass = \"{bad}\"\nvips = ["),
        ));
        assert!(e.contains("cannot be written bare"), "{bad}: {e}");
    }
}

#[test]
fn unicast_needs_every_balancer_address_in_the_instance_family() {
    let e = error(&edit("vips = [", "unicast = true\nvips = ["));
    assert!(
        e.contains(":18: `balancer.node[0].address`: missing; with unicast = true"),
        "{e}"
    );
    let text = edit("vips = [", "unicast = true\nvips = [")
        .replace("priority = 150", "priority = 150\naddress = \"192.0.2.11\"")
        .replace(
            "priority = 100",
            "priority = 100\naddress = \"2001:db8::12\"",
        );
    let e = error(&text);
    assert!(
        e.contains(
            "`balancer.node[1].address`: 2001:db8::12 is IPv6, but the VRRP instance is IPv4"
        ),
        "{e}"
    );
}

#[test]
fn lb_algo_must_be_an_lvs_scheduler() {
    let cluster = parse(&edit("vips = [", "lb_algo = \"wlc\"\nvips = [")).unwrap();
    assert_eq!(cluster.balancer.lb_algo, "wlc");
    let e = error(&edit("vips = [", "lb_algo = \"random\"\nvips = ["));
    assert!(
        e.contains("`balancer.lb_algo`: `random` is not an LVS scheduler"),
        "{e}"
    );
}

#[test]
fn the_serial_comparison_needs_both_primary_and_max_lag() {
    let e = error(&format!("{BASE}max_lag = 2\n"));
    assert!(
        e.contains(":27: `check.max_lag`: compares serials with the primary's: add [primary]"),
        "{e}"
    );
    let with_primary = BASE.replacen(
        "version = 1\n",
        "version = 1\n[primary]\naddress = \"192.0.2.1\"\n",
        1,
    );
    let e = error(&with_primary);
    assert!(e.contains("`check.max_lag`: missing"), "{e}");
    let cluster = parse(&format!("{with_primary}max_lag = 2\n")).unwrap();
    assert_eq!(cluster.check.max_lag, Some(2));
}

#[test]
fn the_check_must_ask_about_something() {
    let e = error(&BASE.replace("zones = [\"example.com\"]\n", ""));
    assert!(
        e.contains("`check.zones`: the check asks about nothing"),
        "{e}"
    );
    let e = error(&format!(
        "{BASE}all_zones_config = \"/etc/hadns/hadns.toml\"\n"
    ));
    assert!(
        e.contains("`check.zones`: give zones or all_zones_config, not both"),
        "{e}"
    );
    let text = BASE.replace(
        "zones = [\"example.com\"]\n",
        "name = \"www.example.com\"\ntype = \"A\"\n",
    );
    let e = error(&text);
    assert!(e.contains("name, type and expect go together"), "{e}");
    let cluster = parse(&format!("{text}expect = \"192.0.2.80\"\n")).unwrap();
    assert_eq!(cluster.check.query.unwrap().rtype, wire::Rtype::A);
}

#[test]
fn check_paths_are_absolute_and_free_of_dollars() {
    let e = error(&BASE.replace("/usr/local/bin/hadns", "hadns"));
    assert!(
        e.contains(":25: `check.program`: `hadns` is not an absolute path"),
        "{e}"
    );
    let e = error(&BASE.replace("/usr/local/bin/hadns", "/opt/${_PWD}/hadns"));
    assert!(e.contains("`check.program`: `$` cannot be written"), "{e}");
    let e = error(&BASE.replace("program = \"/usr/local/bin/hadns\"\n", ""));
    assert!(e.contains("`check.program`: missing"), "{e}");
}

#[test]
fn max_behind_needs_each_secondary_health_address() {
    let e = error(&format!("{BASE}max_behind = 30\n"));
    assert!(
        e.contains(":4: `secondary[0].health`: missing; check.max_behind"),
        "{e}"
    );
    let text = BASE
        .replace(
            r#"addresses = ["192.0.2.2"]"#,
            "addresses = [\"192.0.2.2\"]\nhealth = \"192.0.2.2\"",
        )
        .replace(
            r#"addresses = ["192.0.2.3"]"#,
            "addresses = [\"192.0.2.3\"]\nhealth = \"192.0.2.3:8080\"",
        );
    let e = error(&text);
    assert!(
        e.contains("`secondary[0].health`: only used with check.max_behind"),
        "{e}"
    );
    let cluster = parse(&format!("{text}max_behind = 30\n")).unwrap();
    assert_eq!(
        cluster.secondaries[0].health,
        Some("192.0.2.2:8053".parse().unwrap())
    );
    assert_eq!(
        cluster.secondaries[1].health,
        Some("192.0.2.3:8080".parse().unwrap())
    );
}

#[test]
fn keepalived_must_not_kill_a_check_that_is_still_waiting() {
    let e = error(&format!("{BASE}timeout = 2\nmisc_timeout = 2\n"));
    assert!(
        e.contains("`check.misc_timeout`: 2 s does not exceed the check's own timeout (2 s)"),
        "{e}"
    );
    let cluster = parse(&format!("{BASE}timeout = 0.5\n")).unwrap();
    assert_eq!(cluster.check.timeout, Duration::from_millis(500));
    assert_eq!(cluster.check.misc_timeout, 3);
}

#[test]
fn a_check_line_longer_than_keepalived_reads_is_refused() {
    let zones: Vec<String> = (0..60)
        .map(|i| format!("\"zone-number-{i}.example.com\""))
        .collect();
    let text = BASE.replace(
        "zones = [\"example.com\"]",
        &format!("zones = [{}]", zones.join(", ")),
    );
    let e = error(&text);
    assert!(
        e.contains(":26: `check.zones`: the check command for `ns1` is"),
        "{e}"
    );
    assert!(e.contains("use all_zones_config"), "{e}");
}

#[test]
fn missing_sections_are_named() {
    let e = error("version = 1\n");
    assert!(e.contains("`balancer`: missing"), "{e}");
    let e = error(BASE.split("[check]").next().unwrap());
    assert!(e.contains("`check`: missing"), "{e}");
    let e = error(&BASE.replace("[[balancer.node]]\nname = \"lb1\"\npriority = 150\n\n[[balancer.node]]\nname = \"lb2\"\npriority = 100\n", ""));
    assert!(e.contains("`balancer.node`: no [[balancer.node]]"), "{e}");
}

#[test]
fn an_explicit_preempt_delay_wins_and_zero_preempts_at_once() {
    let with = |value: &str| {
        parse(&BASE.replace(
            "[balancer]\n",
            &format!("[balancer]\npreempt_delay = {value}\n"),
        ))
    };
    assert_eq!(with("12").unwrap().preempt_delay(), 12);
    assert_eq!(with("0").unwrap().preempt_delay(), 0);
    let error = with("-1").unwrap_err().to_string();
    assert!(error.contains("balancer.preempt_delay"), "{error}");
}
