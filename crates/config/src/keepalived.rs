//! A balancer's keepalived.conf, written from a [`Cluster`]: pure text, no
//! I/O. `hadns keepalived` prints or writes what [`render`] returns.
//!
//! ```text
//!  global_defs       script security on, checks run as script_user
//!  vrrp_instance     this node's state and priority, the VIPs
//!  virtual_server    per VIP: UDP (with ops) and TCP, lb_kind DR,
//!    real_server     per secondary of the VIP's family, MISC_CHECK → hadns check
//! ```
//!
//! keepalived 2.2 reads `misc_path` twice: the line's double-quoted string
//! (`\` escapes), then that string split into arguments at blanks, with
//! single quotes and `\` escapes. [`misc_path_line`] quotes for both, so
//! every argument reaches `hadns check` exactly as [`check_arguments`]
//! lists it; no shell is involved.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::cluster::{Balancer, BalancerNode, CheckedZones, Cluster, Secondary, VrrpVersion};

/// The DNS port: LVS-DR forwards to the same port on the real servers.
const DNS_PORT: u16 = 53;

/// Indentation of the `misc_path` line, inside `virtual_server`,
/// `real_server` and `MISC_CHECK`.
const MISC_PATH_INDENT: &str = "            ";

/// The transport of a virtual server, and of the check of its real servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// DNS over UDP.
    Udp,
    /// DNS over TCP.
    Tcp,
}

/// The keepalived.conf of balancer `node` of `cluster`.
pub fn render(cluster: &Cluster, node: &BalancerNode) -> String {
    let mut out = String::new();
    header(&mut out, cluster, node);
    global_defs(&mut out, node, &cluster.balancer);
    vrrp_instance(&mut out, &cluster.balancer, node, cluster.preempt_delay());
    for vip in &cluster.balancer.vips {
        for protocol in [Protocol::Udp, Protocol::Tcp] {
            virtual_server(&mut out, cluster, *vip, protocol);
        }
    }
    // Each block ends with a blank line to part it from the next; the
    // file ends with one newline.
    let end = out.trim_end().len();
    out.truncate(end);
    out.push('\n');
    out
}

/// The arguments keepalived runs to check `secondary` at `address` over
/// `protocol`, the program first.
pub fn check_arguments(
    cluster: &Cluster,
    secondary: &Secondary,
    address: IpAddr,
    protocol: Protocol,
) -> Vec<String> {
    let check = &cluster.check;
    let mut args = vec![
        check.program.display().to_string(),
        "check".to_string(),
        "--server".to_string(),
        SocketAddr::new(address, DNS_PORT).to_string(),
    ];
    if protocol == Protocol::Tcp {
        args.push("--tcp".to_string());
    }
    match &check.zones {
        CheckedZones::Listed(zones) => {
            for zone in zones {
                args.push("--zone".to_string());
                args.push(zone_text(zone));
            }
        }
        CheckedZones::All { config } => {
            args.push("--all-zones".to_string());
            args.push("--config".to_string());
            args.push(config.display().to_string());
        }
    }
    if let (Some(primary), Some(max_lag)) = (&cluster.primary, check.max_lag) {
        args.extend([
            "--primary".to_string(),
            primary.address.to_string(),
            "--max-lag".to_string(),
            max_lag.to_string(),
        ]);
    }
    if let (Some(max_behind), Some(health)) = (check.max_behind, secondary.health) {
        args.extend([
            "--max-behind".to_string(),
            max_behind.to_string(),
            "--health".to_string(),
            health.to_string(),
        ]);
    }
    if let Some(query) = &check.query {
        args.extend([
            "--name".to_string(),
            zone_text(&query.name),
            "--type".to_string(),
            query.rtype.to_string(),
            "--expect".to_string(),
            query.expect.clone(),
        ]);
    }
    args.extend(["--timeout".to_string(), seconds(check.timeout)]);
    args
}

/// The whole `misc_path "…"` line for `secondary` at `address`, indented
/// as [`render`] writes it: the arguments quoted for keepalived's two
/// readings.
pub fn misc_path_line(
    cluster: &Cluster,
    secondary: &Secondary,
    address: IpAddr,
    protocol: Protocol,
) -> String {
    let command: Vec<String> = check_arguments(cluster, secondary, address, protocol)
        .iter()
        .map(|a| quote_argument(a))
        .collect();
    format!(
        "{MISC_PATH_INDENT}misc_path {}",
        quote_string(&command.join(" "))
    )
}

/// One argument of a command line keepalived splits: bare when it has
/// nothing keepalived reads specially, else single-quoted with `\` and `'`
/// escaped.
pub fn quote_argument(argument: &str) -> String {
    let bare = !argument.is_empty()
        && argument
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:@%+=,-[]".contains(&b));
    if bare {
        return argument.to_string();
    }
    let mut quoted = String::with_capacity(argument.len() + 2);
    quoted.push('\'');
    for c in argument.chars() {
        if c == '\\' || c == '\'' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// A double-quoted keepalived string: `\` and `"` escaped. Inside it `#`
/// and `!` start no comment and braces open no block.
pub fn quote_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if c == '\\' || c == '"' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Seconds with as few decimals as needed: `1`, `0.5`, `0.25`.
pub fn seconds(duration: Duration) -> String {
    let millis = duration.as_millis();
    let (whole, fraction) = (millis / 1000, millis % 1000);
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:03}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// A zone or query name as `hadns check` takes it: no final dot.
fn zone_text(name: &wire::Name) -> String {
    let text = name.to_string();
    match text.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped.to_string(),
        _ => text,
    }
}

/// The VIP as an address with a host prefix (/32 or /128).
fn host_prefix(address: IpAddr) -> String {
    match address {
        IpAddr::V4(a) => format!("{a}/32"),
        IpAddr::V6(a) => format!("{a}/128"),
    }
}

/// The comment block: where the file came from, what the balancers and
/// the secondaries need beside it, and how to stop keepalived.
fn header(out: &mut String, cluster: &Cluster, node: &BalancerNode) {
    let balancer = &cluster.balancer;
    let source = cluster
        .source
        .as_deref()
        .and_then(|p| p.file_name())
        .map_or_else(
            || "a cluster file".to_string(),
            |f| f.to_string_lossy().into_owned(),
        );
    let names = |list: Vec<&str>| list.join(", ");
    let balancers = names(balancer.nodes.iter().map(|n| n.name.as_str()).collect());
    let has_ipv4 = balancer.vips.iter().any(IpAddr::is_ipv4);
    let has_ipv6 = balancer.vips.iter().any(IpAddr::is_ipv6);
    let _ = writeln!(
        out,
        "# keepalived.conf for balancer {}, written by `hadns keepalived` from\n\
         # {source}: change that file and write this one again (edits made\n\
         # here are lost).\n\
         #\n\
         # The balancers ({balancers}) hold the VIPs by VRRP and spread DNS over UDP\n\
         # and TCP to the secondaries by LVS direct routing (lb_kind DR): a\n\
         # secondary answers each client itself, from the VIP.\n\
         #\n\
         # Each balancer needs these sysctls (e.g. /etc/sysctl.d/hadns-balancer.conf):\n\
         #   net.ipv4.vs.expire_nodest_conn = 1  # a removed secondary's clients move at once\n\
         #   net.ipv4.ip_nonlocal_bind = 1       # a VIP can be bound before this node holds it",
        node.name
    );
    if has_ipv6 {
        out.push_str("#   net.ipv6.ip_nonlocal_bind = 1       # the same for the IPv6 VIPs\n");
    }
    let secondaries = names(
        cluster
            .secondaries
            .iter()
            .map(|s| s.name.as_str())
            .collect(),
    );
    let _ = writeln!(
        out,
        "#\n\
         # Each secondary ({secondaries}) needs every VIP on its loopback interface,\n\
         # so it accepts the queries LVS forwards to it:"
    );
    for vip in &balancer.vips {
        let _ = writeln!(out, "#   ip address add {} dev lo", host_prefix(*vip));
    }
    if has_ipv4 {
        out.push_str(
            "# and must not answer ARP for the IPv4 VIPs, or clients would bypass the\n\
             # balancer (sysctls, e.g. /etc/sysctl.d/hadns-secondary.conf):\n\
             #   net.ipv4.conf.all.arp_ignore = 1    # answer ARP only for the asking interface's addresses\n\
             #   net.ipv4.conf.all.arp_announce = 2  # never give the VIP as an ARP source\n",
        );
    }
    if has_ipv6 {
        out.push_str(
            "# (IPv6 needs no such setting: Linux answers neighbour solicitations only\n\
             # for addresses of the interface they arrive on.)\n",
        );
    }
    out.push_str(
        "# hadns on a secondary listens on 0.0.0.0:53 and [::]:53 (it replies from the\n\
         # address each query was sent to) or on the VIPs themselves.\n\
         #\n\
         # Stop keepalived with SIGTERM (systemctl stop keepalived): it gives up the\n\
         # VIPs and removes its LVS services, and the next balancer takes over\n\
         # within about one advertisement. Never SIGKILL it: the VIPs and the LVS\n\
         # services stay on this node, unchecked, and two balancers end up\n\
         # answering ARP for the VIPs.\n\n",
    );
}

/// `global_defs`: the checks run as an unprivileged user, and keepalived
/// refuses check programs that user or others could change.
fn global_defs(out: &mut String, node: &BalancerNode, balancer: &Balancer) {
    let _ = writeln!(
        out,
        "global_defs {{\n    router_id {}\n    enable_script_security\n    script_user {}\n}}\n",
        node.name, balancer.script_user
    );
}

/// The `vrrp_instance` holding the VIPs.
fn vrrp_instance(out: &mut String, balancer: &Balancer, node: &BalancerNode, preempt_delay: u32) {
    // Every balancer starts BACKUP (keepalived takes preempt_delay only
    // then); the highest priority becomes MASTER after one master-down
    // interval.
    let state = "BACKUP";
    let version = match balancer.vrrp_version {
        VrrpVersion::V2 => 2,
        VrrpVersion::V3 => 3,
    };
    let _ = writeln!(
        out,
        "vrrp_instance hadns {{\n    state {state}\n    interface {}\n    virtual_router_id {}\n    priority {}\n    advert_int {}\n    version {version}",
        balancer.interface_of(node),
        balancer.virtual_router_id,
        node.priority,
        balancer.advert_int,
    );
    if preempt_delay > 0 {
        let _ = writeln!(out, "    preempt_delay {preempt_delay}");
    }
    if balancer.unicast {
        if let Some(source) = node.address {
            let _ = writeln!(out, "    unicast_src_ip {source}");
        }
        out.push_str("    unicast_peer {\n");
        for peer in balancer.nodes.iter().filter(|n| n.name != node.name) {
            if let Some(address) = peer.address {
                let _ = writeln!(out, "        {address}");
            }
        }
        out.push_str("    }\n");
    }
    if let Some(pass) = &balancer.auth_pass {
        let _ = writeln!(
            out,
            "    authentication {{\n        auth_type PASS\n        auth_pass {pass}\n    }}"
        );
    }
    // An instance speaks one family; VIPs of the other move with it as
    // excluded addresses (not announced in VRRP, added and removed alike).
    let ipv4 = balancer.instance_is_ipv4();
    let (own, other): (Vec<IpAddr>, Vec<IpAddr>) =
        balancer.vips.iter().partition(|v| v.is_ipv4() == ipv4);
    out.push_str("    virtual_ipaddress {\n");
    for vip in own {
        let _ = writeln!(out, "        {}", host_prefix(vip));
    }
    out.push_str("    }\n");
    if !other.is_empty() {
        out.push_str("    virtual_ipaddress_excluded {\n");
        for vip in other {
            let _ = writeln!(out, "        {}", host_prefix(vip));
        }
        out.push_str("    }\n");
    }
    out.push_str("}\n\n");
}

/// One `virtual_server` for `vip` port 53 over `protocol`, with every
/// secondary of the VIP's family as a real server.
fn virtual_server(out: &mut String, cluster: &Cluster, vip: IpAddr, protocol: Protocol) {
    let balancer = &cluster.balancer;
    match protocol {
        Protocol::Udp => {
            let _ = writeln!(
                out,
                "# {vip} port 53 over UDP. ops (one-packet scheduling) schedules each\n\
                 # datagram on its own: without it LVS keeps sending a client to the\n\
                 # secondary it first chose, even after that secondary failed.\n\
                 virtual_server {vip} 53 {{\n    delay_loop {}\n    lb_algo {}\n    lb_kind DR\n    protocol UDP\n    ops",
                balancer.delay_loop, balancer.lb_algo
            );
        }
        Protocol::Tcp => {
            let _ = writeln!(
                out,
                "# {vip} port 53 over TCP; the checks query over TCP too.\n\
                 virtual_server {vip} 53 {{\n    delay_loop {}\n    lb_algo {}\n    lb_kind DR\n    protocol TCP",
                balancer.delay_loop, balancer.lb_algo
            );
        }
    }
    let check = &cluster.check;
    for secondary in &cluster.secondaries {
        let Some(address) = secondary
            .addresses
            .iter()
            .find(|a| a.is_ipv4() == vip.is_ipv4())
        else {
            continue;
        };
        let _ = writeln!(
            out,
            "\n    # {}\n    real_server {address} 53 {{\n        weight {}\n        MISC_CHECK {{\n{}\n            misc_timeout {}\n            retry {}\n            delay_before_retry {}\n        }}\n    }}",
            secondary.name,
            secondary.weight,
            misc_path_line(cluster, secondary, *address, protocol),
            check.misc_timeout,
            check.retry,
            check.delay_before_retry,
        );
    }
    out.push_str("}\n\n");
}

#[cfg(test)]
mod tests;
