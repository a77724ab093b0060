//! The cluster file as written (format version 1): plain serde types with
//! spans, no validation beyond TOML types. [`super::Cluster`] is built from
//! these by `load.rs`.

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct ClusterSpec {
    pub version: Option<Spanned<i64>>,
    pub primary: Option<Spanned<PrimarySpec>>,
    #[serde(default)]
    pub secondary: Vec<Spanned<SecondarySpec>>,
    pub balancer: Option<Spanned<BalancerSpec>>,
    pub check: Option<Spanned<CheckSpec>>,
}

/// `[primary]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct PrimarySpec {
    pub name: Option<Spanned<String>>,
    pub address: Spanned<String>,
}

/// `[[secondary]]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct SecondarySpec {
    pub name: Spanned<String>,
    pub addresses: Spanned<Vec<Spanned<String>>>,
    pub weight: Option<Spanned<i64>>,
    pub health: Option<Spanned<String>>,
}

/// `[balancer]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct BalancerSpec {
    pub interface: Spanned<String>,
    pub virtual_router_id: Spanned<i64>,
    pub vips: Spanned<Vec<Spanned<String>>>,
    pub advert_int: Option<Spanned<Number>>,
    pub vrrp_version: Option<Spanned<i64>>,
    pub auth_pass: Option<Spanned<String>>,
    pub unicast: Option<Spanned<bool>>,
    pub lb_algo: Option<Spanned<String>>,
    pub delay_loop: Option<Spanned<i64>>,
    pub preempt_delay: Option<Spanned<i64>>,
    pub script_user: Option<Spanned<String>>,
    #[serde(default)]
    pub node: Vec<Spanned<BalancerNodeSpec>>,
}

/// `[[balancer.node]]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct BalancerNodeSpec {
    pub name: Spanned<String>,
    pub priority: Spanned<i64>,
    pub address: Option<Spanned<String>>,
    pub interface: Option<Spanned<String>>,
}

/// `[check]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckSpec {
    pub program: Option<Spanned<String>>,
    pub zones: Option<Spanned<Vec<Spanned<String>>>>,
    pub all_zones_config: Option<Spanned<String>>,
    pub max_lag: Option<Spanned<i64>>,
    pub max_behind: Option<Spanned<i64>>,
    pub name: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub rtype: Option<Spanned<String>>,
    pub expect: Option<Spanned<String>>,
    pub timeout: Option<Spanned<Number>>,
    pub misc_timeout: Option<Spanned<i64>>,
    pub retry: Option<Spanned<i64>>,
    pub delay_before_retry: Option<Spanned<i64>>,
}

/// A number of seconds that may have a fraction (`1`, `0.1`).
#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(untagged)]
pub(super) enum Number {
    Integer(i64),
    Float(f64),
}
