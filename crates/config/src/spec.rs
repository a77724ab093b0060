//! The configuration file as written (format version 1): plain serde types
//! with spans, no validation beyond TOML types. [`crate::Config`] is built
//! from these.

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSpec {
    pub version: Option<Spanned<i64>>,
    #[serde(default)]
    pub node: NodeSpec,
    #[serde(default)]
    pub dns: DnsSpec,
    #[serde(default)]
    pub api: ApiSpec,
    #[serde(default)]
    pub health: HealthSpec,
    #[serde(default)]
    pub metrics: HealthSpec,
    #[serde(default)]
    pub key: Vec<Spanned<KeySpec>>,
    #[serde(default)]
    pub acl: Vec<Spanned<AclSpec>>,
    #[serde(default)]
    pub view: Vec<Spanned<ViewSpec>>,
    #[serde(default)]
    pub zone: Vec<Spanned<ZoneSpec>>,
    #[serde(default)]
    pub log: LogSpec,
    #[serde(default)]
    pub replication: ReplicationSpec,
    #[serde(default)]
    pub zone_defaults: ZoneDefaultsSpec,
    #[serde(default)]
    pub catalog: CatalogSpec,
    #[serde(default)]
    pub catalog_consumer: Vec<Spanned<CatalogConsumerSpec>>,
    #[serde(default)]
    pub peer: Vec<Spanned<PeerSpec>>,
    pub rrl: Option<Spanned<RrlSpec>>,
}

/// `[rrl]`, and a `[[view]]`'s `rrl` table: Response Rate Limiting. Every
/// key is optional; a view's keys override the section's one by one.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RrlSpec {
    pub enabled: Option<bool>,
    pub responses_per_second: Option<Spanned<i64>>,
    pub nodata_per_second: Option<Spanned<i64>>,
    pub nxdomains_per_second: Option<Spanned<i64>>,
    pub referrals_per_second: Option<Spanned<i64>>,
    pub errors_per_second: Option<Spanned<i64>>,
    pub slip: Option<Spanned<i64>>,
    pub window: Option<Spanned<Duration>>,
    pub ipv4_prefix_length: Option<Spanned<i64>>,
    pub ipv6_prefix_length: Option<Spanned<i64>>,
    pub exempt_clients: Option<Vec<Spanned<String>>>,
    pub log_only: Option<bool>,
}

/// `[[peer]]`: another hadns node this one may ask to act (the cluster
/// page's "transfer again" on a secondary).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeerSpec {
    pub name: Spanned<String>,
    pub dns: Spanned<String>,
    pub api: Spanned<String>,
    pub token_file: Spanned<String>,
}

/// `[[catalog_consumer]]`: a catalog zone (RFC 9432) this node consumes.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogConsumerSpec {
    pub zone: Spanned<String>,
    #[serde(default)]
    pub primaries: Vec<Spanned<String>>,
    pub key: Option<Spanned<String>>,
    #[serde(default)]
    pub group: Vec<Spanned<CatalogGroupSpec>>,
}

/// `[[catalog_consumer.group]]`: where members of one group transfer from.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogGroupSpec {
    pub name: Spanned<String>,
    #[serde(default)]
    pub primaries: Vec<Spanned<String>>,
    pub key: Option<Spanned<String>>,
}

/// `[catalog]`: the catalog zone (RFC 9432) this primary produces.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogSpec {
    pub produce: Option<Spanned<String>>,
    pub group: Option<Spanned<String>>,
    pub include_files: Option<bool>,
    #[serde(default)]
    pub allow_transfer: Vec<Spanned<String>>,
    #[serde(default)]
    pub allow_query: Vec<Spanned<String>>,
    #[serde(default)]
    pub notify: Vec<Spanned<String>>,
    pub notify_key: Option<Spanned<String>>,
}

/// `[zone_defaults]`: settings for store zones no `[[zone]]` names (zones
/// created through the API).
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ZoneDefaultsSpec {
    #[serde(default)]
    pub notify: Vec<Spanned<String>>,
    pub notify_key: Option<Spanned<String>>,
    pub notify_ns: Option<bool>,
    #[serde(default)]
    pub allow_transfer: Vec<Spanned<String>>,
    #[serde(default)]
    pub allow_update: Vec<Spanned<String>>,
    pub serial_policy: Option<Spanned<String>>,
    #[serde(default)]
    pub nameservers: Vec<Spanned<String>>,
}

/// `[replication]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplicationSpec {
    pub min_refresh: Option<Spanned<Duration>>,
    pub max_refresh: Option<Spanned<Duration>>,
    pub min_retry: Option<Spanned<Duration>>,
    pub max_retry: Option<Spanned<Duration>>,
    pub min_expire: Option<Spanned<Duration>>,
    pub max_expire: Option<Spanned<Duration>>,
    pub journal_max_size: Option<Spanned<Size>>,
    pub journal_max_entries: Option<Spanned<i64>>,
    pub max_transfers_out: Option<Spanned<i64>>,
    pub max_transfers_out_per_client: Option<Spanned<i64>>,
    pub max_transfer_records: Option<Spanned<i64>>,
    pub max_transfer_size: Option<Spanned<Size>>,
    pub transfer_timeout: Option<Spanned<Duration>>,
}

/// `[node]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct NodeSpec {
    pub name: Option<Spanned<String>>,
    pub data_dir: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
    pub group: Option<Spanned<String>>,
    pub chroot: Option<Spanned<String>>,
}

/// `[dns]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct DnsSpec {
    pub listen: Option<Vec<Spanned<String>>>,
    pub version: Option<Spanned<String>>,
    pub identity: Option<Spanned<String>>,
    pub nsid: Option<Spanned<String>>,
    pub edns_udp_payload: Option<Spanned<i64>>,
    pub udp_workers: Option<Spanned<i64>>,
    pub tcp_idle_timeout: Option<Spanned<Duration>>,
    pub tcp_max_connections: Option<Spanned<i64>>,
    pub tcp_max_connections_per_client: Option<Spanned<i64>>,
    pub builtin_zones: Option<bool>,
}

/// `[api]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApiSpec {
    pub listen: Option<Spanned<String>>,
    pub requests_per_second: Option<Spanned<i64>>,
    #[serde(default)]
    pub cors_origins: Vec<Spanned<String>>,
}

/// `[health]`, and `[metrics]` (the same shape: one listen address).
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct HealthSpec {
    pub listen: Option<Spanned<String>>,
}

/// `[[key]]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeySpec {
    pub name: Spanned<String>,
    pub algorithm: Spanned<String>,
    pub secret: Option<Spanned<String>>,
    pub secret_file: Option<Spanned<String>>,
}

/// `[[acl]]`: a named address match list.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct AclSpec {
    pub name: Spanned<String>,
    pub addresses: Vec<Spanned<String>>,
}

/// `[[view]]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ViewSpec {
    pub name: Spanned<String>,
    #[serde(default)]
    pub match_clients: Vec<Spanned<String>>,
    #[serde(default)]
    pub match_keys: Vec<Spanned<String>>,
    #[serde(default)]
    pub match_ecs: Option<bool>,
    #[serde(default)]
    pub ecs_trusted: Vec<Spanned<String>>,
    pub rrl: Option<Spanned<RrlSpec>>,
}

/// `[[zone]]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ZoneSpec {
    pub name: Spanned<String>,
    pub view: Option<Spanned<String>>,
    pub role: Option<Spanned<String>>,
    pub file: Option<Spanned<String>>,
    // Lists a store zone's settings may also give are `Option`s: whether
    // the file writes them decides which of the two wins (`WrittenKeys`).
    pub notify: Option<Vec<Spanned<String>>>,
    pub notify_key: Option<Spanned<String>>,
    pub notify_ns: Option<bool>,
    pub allow_transfer: Option<Vec<Spanned<String>>>,
    pub allow_update: Option<Vec<Spanned<String>>>,
    pub allow_notify: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub primaries: Vec<Spanned<String>>,
    pub primary_key: Option<Spanned<String>>,
    pub serial_policy: Option<Spanned<String>>,
    pub catalog_group: Option<Spanned<String>>,
}

/// `[log]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogSpec {
    pub queries: Option<bool>,
    pub query_file: Option<Spanned<String>>,
    pub max_size: Option<Spanned<Size>>,
    pub keep: Option<Spanned<i64>>,
    pub format: Option<Spanned<String>>,
}

/// A duration: seconds as an integer, or a string with units (`"10s"`, `"5m"`).
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
pub(crate) enum Duration {
    Seconds(i64),
    Text(String),
}

/// A size: octets as an integer, or a string with units (`"2MiB"`).
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
pub(crate) enum Size {
    Octets(i64),
    Text(String),
}
