//! The cluster file: a description of the balancing tier (format version 1),
//! read by `hadns keepalived` to write each balancer's keepalived.conf.
//!
//! ```text
//!  cluster.toml ──toml + serde (unknown keys rejected)──► spec::ClusterSpec
//!               ──Cluster::parse (every value checked)──► Cluster
//!               ──keepalived::render(&cluster, node)────► keepalived.conf
//! ```
//!
//! It is a file of its own, not keys of a node's configuration: it
//! describes the whole tier (every balancer, every secondary behind the
//! VIPs, the primary the health check compares with), which no single
//! node's configuration knows, and the balancers run keepalived, not hadns.
//! One file serves every balancer; `--node` picks the one to write for.
//! Its errors are [`ConfigError`]s like the node configuration's: file,
//! line and key path. docs/keepalived.md describes every key.

mod load;
mod spec;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use wire::{Name, Rtype};

use crate::error::ConfigError;

/// A validated cluster file.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// The file it was read from, when it was.
    pub source: Option<PathBuf>,
    /// `[primary]`: where the health check reads the serials to compare.
    pub primary: Option<Primary>,
    /// `[[secondary]]`: the servers behind the VIPs, in file order.
    pub secondaries: Vec<Secondary>,
    /// `[balancer]`: the VRRP instance and the virtual servers.
    pub balancer: Balancer,
    /// `[check]`: how each secondary is health-checked.
    pub check: Check,
}

/// `[primary]`: the node that takes the writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Primary {
    /// Its name, for the comments of the generated file.
    pub name: Option<String>,
    /// Where it answers DNS (port 53 unless written).
    pub address: SocketAddr,
}

/// `[[secondary]]`: one real server behind the VIPs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secondary {
    /// Its name, for the comments of the generated file.
    pub name: String,
    /// Its own addresses, at most one per family: a real server of every
    /// VIP of the same family (LVS-DR forwards within a family).
    pub addresses: Vec<IpAddr>,
    /// Its LVS weight (0 takes no new clients).
    pub weight: u32,
    /// Its HTTP API address, for `--health` when `check.max_behind` is set.
    pub health: Option<SocketAddr>,
}

/// `[balancer]` and its `[[balancer.node]]`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balancer {
    /// The interface VRRP runs on and the VIPs are added to, unless a node
    /// names its own.
    pub interface: String,
    /// VRRP's virtual router id, the same on every balancer.
    pub virtual_router_id: u8,
    /// The VIPs, in file order. The family of the VRRP instance is IPv4
    /// when any VIP is IPv4; the others ride along as excluded addresses.
    pub vips: Vec<IpAddr>,
    /// The interval between VRRP advertisements.
    pub advert_int: Centiseconds,
    /// The VRRP version the instance speaks.
    pub vrrp_version: VrrpVersion,
    /// `auth_pass`: VRRPv2 PASS authentication, when set.
    pub auth_pass: Option<String>,
    /// Whether VRRP is sent to the peers' addresses instead of multicast.
    pub unicast: bool,
    /// The LVS scheduler (`rr`, `wlc`, …).
    pub lb_algo: String,
    /// Seconds between health checks of each real server.
    pub delay_loop: u32,
    /// Seconds a balancer that comes back waits before it takes the VIPs
    /// back from a lower-priority one (`preempt_delay`); `None`: long
    /// enough for its checks to have found the secondaries again
    /// ([`Cluster::preempt_delay`]).
    pub preempt_delay: Option<u32>,
    /// The user keepalived runs the checks as.
    pub script_user: String,
    /// The balancers, in file order.
    pub nodes: Vec<BalancerNode>,
}

/// `[[balancer.node]]`: one balancer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalancerNode {
    /// The name `--node` selects it by; keepalived's `router_id`.
    pub name: String,
    /// Its VRRP priority (1–254); the highest starts as MASTER.
    pub priority: u8,
    /// Its address on the VRRP interface: the unicast source, and a peer
    /// of the others. Required with `unicast`.
    pub address: Option<IpAddr>,
    /// Its VRRP interface, when it differs from `balancer.interface`.
    pub interface: Option<String>,
}

/// The VRRP protocol version (RFC 3768 or RFC 5798).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VrrpVersion {
    /// Whole-second advertisements, IPv4 only, PASS authentication.
    V2,
    /// Centisecond advertisements, IPv4 or IPv6, no authentication.
    V3,
}

/// A time in hundredths of a second, as VRRPv3 counts `advert_int`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Centiseconds(pub u32);

/// `[check]`: the `MISC_CHECK` keepalived runs against each real server,
/// a `hadns check` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// The hadns binary on the balancers (absolute path).
    pub program: PathBuf,
    /// Which zones the check asks each secondary about.
    pub zones: CheckedZones,
    /// With `[primary]`: how many serials a secondary may be behind.
    pub max_lag: Option<u32>,
    /// How many seconds a secondary's copy may be behind (its `health`).
    pub max_behind: Option<u32>,
    /// A query and the answer the secondary must give.
    pub query: Option<ExpectedAnswer>,
    /// `--timeout`: how long the check waits for each answer.
    pub timeout: Duration,
    /// How long keepalived lets the whole check run before killing it.
    pub misc_timeout: u32,
    /// How many times keepalived retries a failed check before removing
    /// the real server.
    pub retry: u32,
    /// Seconds between those retries.
    pub delay_before_retry: u32,
}

/// The zones a check covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckedZones {
    /// `--zone` for each (possibly none).
    Listed(Vec<Name>),
    /// `--all-zones --config FILE`: every zone the node configuration at
    /// this path (on the balancer) names.
    All {
        /// The node configuration file.
        config: PathBuf,
    },
}

/// `check.name`, `check.type`, `check.expect`: one query whose answer must
/// contain a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedAnswer {
    /// The query name.
    pub name: Name,
    /// The query type.
    pub rtype: Rtype,
    /// The value the answer must hold, in presentation format.
    pub expect: String,
}

impl Cluster {
    /// The balancer named `name`, or an error naming the ones there are.
    pub fn node(&self, name: &str) -> Result<&BalancerNode, ConfigError> {
        self.balancer
            .nodes
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .balancer
                    .nodes
                    .iter()
                    .map(|n| n.name.as_str())
                    .collect();
                ConfigError {
                    file: self.source.clone(),
                    line: None,
                    key: "balancer.node".to_string(),
                    message: format!(
                        "no balancer named `{name}` (the file names {})",
                        known.join(", ")
                    ),
                }
            })
    }
}

impl Cluster {
    /// The `preempt_delay` every balancer gets: the configured one, else
    /// one check round (`delay_loop`) plus the time keepalived lets a check
    /// run (`misc_timeout`) plus a second. A balancer whose link came back
    /// has failed every secondary's check meanwhile; taking the VIPs back
    /// at once would send queries to an empty pool until its checks pass
    /// again (measured in the namespace lab: about a second of lost
    /// queries).
    pub fn preempt_delay(&self) -> u32 {
        self.balancer
            .preempt_delay
            .unwrap_or(self.balancer.delay_loop + self.check.misc_timeout + 1)
    }
}

impl Balancer {
    /// The interface `node` runs VRRP on.
    pub fn interface_of<'a>(&'a self, node: &'a BalancerNode) -> &'a str {
        node.interface.as_deref().unwrap_or(&self.interface)
    }

    /// Whether the VRRP instance is IPv4 (any VIP is) or IPv6.
    pub fn instance_is_ipv4(&self) -> bool {
        self.vips.iter().any(IpAddr::is_ipv4)
    }
}

impl std::fmt::Display for Centiseconds {
    /// Seconds with as few decimals as needed: `1`, `0.1`, `2.25`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, hundredths) = (self.0 / 100, self.0 % 100);
        match hundredths {
            0 => write!(f, "{whole}"),
            h if h % 10 == 0 => write!(f, "{whole}.{}", h / 10),
            h => write!(f, "{whole}.{h:02}"),
        }
    }
}

#[cfg(test)]
mod tests;
