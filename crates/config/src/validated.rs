//! The validated configuration: [`Config`] and one type per section of the
//! file, as the rest of hadns uses them. Built from the file by `load.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use answer::acl::MatchRule;
use wire::Name;
use wire::tsig::Algorithm;

use crate::error::UnconfiguredKey;

/// Whether a zone takes writes here or copies them from elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Authoritative source of the zone (zone file or store).
    Primary,
    /// Replicates from `primaries`.
    Secondary,
}

/// How the SOA serial moves when a zone changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SerialPolicy {
    /// Keep the serial the file says; a reload that changes content without
    /// raising the serial is rejected.
    Keep,
    /// Add one to the serial on each change (RFC 1982 arithmetic).
    Increment,
    /// `YYYYMMDDnn`, never going backwards.
    Date,
    /// Like `Keep`, but when content changed and the serial did not, bump it.
    Auto,
}

/// `[node]`.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Name of this node (NSID default, logs).
    pub name: String,
    /// Where the node keeps its state.
    pub data_dir: PathBuf,
    /// The user `hadns serve` runs as once its sockets are bound (started
    /// as root); `None`: it stays the user it was started as.
    pub user: Option<String>,
    /// The group it runs as; `None`: the user's primary group.
    pub group: Option<String>,
    /// The directory `hadns serve` chroots into before it reads anything
    /// but the configuration file (BIND's chrooted layout); every other
    /// path in the file is then seen from inside it.
    pub chroot: Option<PathBuf>,
}

impl NodeConfig {
    /// `data_dir` as the host sees it, for the commands run beside a
    /// chrooted node (`hadns ctl`, `hadns import`, `hadns user`): inside
    /// the chroot the node reads `data_dir` from its root, so outside it is
    /// under `chroot`, unless it already lies there (a relative `data_dir`
    /// resolves from the configuration file's directory, which is inside).
    pub fn data_dir_from_host(&self) -> PathBuf {
        match &self.chroot {
            Some(root) if !self.data_dir.starts_with(root) => {
                let inside = self
                    .data_dir
                    .strip_prefix("/")
                    .unwrap_or(self.data_dir.as_path());
                root.join(inside)
            }
            _ => self.data_dir.clone(),
        }
    }
}

/// `[dns]`.
#[derive(Clone, Debug)]
pub struct DnsConfig {
    /// UDP and TCP listen addresses.
    pub listen: Vec<SocketAddr>,
    /// CHAOS `version.bind` answer; `None` refuses.
    pub version: Option<String>,
    /// CHAOS `hostname.bind`/`id.server` answer; `None` refuses.
    pub identity: Option<String>,
    /// NSID payload; `None` sends none.
    pub nsid: Option<Vec<u8>>,
    /// EDNS UDP payload size we advertise and honour.
    pub edns_udp_payload: u16,
    /// UDP worker threads; 0 means one per CPU.
    pub udp_workers: usize,
    /// How long an idle TCP connection is kept (RFC 7766 §6.2.3).
    pub tcp_idle_timeout: Duration,
    /// Most TCP connections at once.
    pub tcp_max_connections: usize,
    /// Most TCP connections at once from one client address (IPv4) or
    /// /64 (IPv6).
    pub tcp_max_connections_per_client: usize,
    /// Serve the built-in `localhost.` and loopback reverse zones.
    pub builtin_zones: bool,
}

/// `[api]`.
#[derive(Clone, Debug, Default)]
pub struct ApiConfig {
    /// HTTP listen address for the API and web UI.
    pub listen: Option<SocketAddr>,
    /// Web origins (`https://admin.example`) whose pages may call the API
    /// from a browser (CORS); empty: no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// Requests a second each API token may make (bursts of twice that);
    /// 0: no limit.
    pub requests_per_second: u32,
}

/// `[health]`.
#[derive(Clone, Debug, Default)]
pub struct HealthConfig {
    /// HTTP listen address serving `GET /health` alone (for nodes without
    /// `[api] listen`, or to keep the API itself off a monitoring network).
    pub listen: Option<SocketAddr>,
}

/// `[metrics]`.
#[derive(Clone, Debug, Default)]
pub struct MetricsConfig {
    /// HTTP listen address serving `GET /metrics` (Prometheus) alone, for
    /// nodes without `[api] listen`.
    pub listen: Option<SocketAddr>,
}

/// `[[key]]`: a TSIG key.
#[derive(Clone, Debug)]
pub struct KeyConfig {
    /// Key name (as on the wire).
    pub name: Name,
    /// HMAC algorithm.
    pub algorithm: Algorithm,
    /// The shared secret.
    pub secret: Vec<u8>,
}

/// `[[acl]]`.
#[derive(Clone, Debug)]
pub struct AclConfig {
    /// Name used in match lists.
    pub name: String,
    /// The list.
    pub rules: Vec<MatchRule>,
}

/// `[[view]]`.
#[derive(Clone, Debug)]
pub struct ViewConfig {
    /// View name.
    pub name: String,
    /// Client address match list.
    pub match_clients: Vec<MatchRule>,
    /// TSIG keys that select this view.
    pub match_keys: Vec<Name>,
    /// Select by EDNS Client Subnet from trusted resolvers.
    pub match_ecs: bool,
    /// Resolvers whose ECS is believed.
    pub ecs_trusted: Vec<MatchRule>,
    /// Response Rate Limiting in this view: `[rrl]` with the view's own
    /// `rrl` keys over it.
    pub rrl: RrlConfig,
}

/// Response Rate Limiting (`[rrl]`, or a view's `rrl`), with defaults
/// applied. Rates are credits a second per client prefix and response;
/// 0 leaves that kind of response unlimited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RrlConfig {
    /// `enabled` (default true): false turns RRL off whatever the rates.
    pub enabled: bool,
    /// `responses_per_second`: non-empty answers (default 0: off).
    pub responses_per_second: u32,
    /// `nodata_per_second`: empty answers (default: responses_per_second).
    pub nodata_per_second: u32,
    /// `nxdomains_per_second`: NXDOMAIN, per zone (default:
    /// responses_per_second).
    pub nxdomains_per_second: u32,
    /// `referrals_per_second`: referrals, per delegation (default:
    /// responses_per_second).
    pub referrals_per_second: u32,
    /// `errors_per_second`: other RCODEs (default: responses_per_second).
    pub errors_per_second: u32,
    /// `slip`: every Nth limited response is sent truncated (default 2;
    /// 0 never, 1 always).
    pub slip: u8,
    /// `window`: seconds of debt (default 15).
    pub window: u32,
    /// `ipv4_prefix_length` (default 24).
    pub ipv4_prefix_length: u8,
    /// `ipv6_prefix_length` (default 56).
    pub ipv6_prefix_length: u8,
    /// `exempt_clients`: never limited.
    pub exempt_clients: Vec<MatchRule>,
    /// `log_only`: count and log, send everything.
    pub log_only: bool,
}

impl RrlConfig {
    /// Whether any response is limited.
    pub fn is_active(&self) -> bool {
        self.enabled
            && [
                self.responses_per_second,
                self.nodata_per_second,
                self.nxdomains_per_second,
                self.referrals_per_second,
                self.errors_per_second,
            ]
            .iter()
            .any(|&rate| rate > 0)
    }
}

/// `[[zone]]`.
#[derive(Clone, Debug)]
pub struct ZoneConfig {
    /// The apex.
    pub name: Name,
    /// View the zone belongs to; `None` for the default view.
    pub view: Option<String>,
    /// Primary or secondary.
    pub role: Role,
    /// Zone file (primary); `None` keeps the zone in the store.
    pub file: Option<PathBuf>,
    /// NOTIFY targets, each with the key that signs its NOTIFYs, if it
    /// names one.
    pub notify: Vec<NotifyTarget>,
    /// Key that signs our NOTIFYs to targets that name no key of their own.
    pub notify_key: Option<Name>,
    /// Also NOTIFY the zone's NS targets (addresses from the zone itself).
    pub notify_ns: bool,
    /// Who may transfer the zone.
    pub allow_transfer: Vec<MatchRule>,
    /// Who may send dynamic updates.
    pub allow_update: Vec<MatchRule>,
    /// Who may NOTIFY a secondary zone; by default its primaries' addresses.
    pub allow_notify: Vec<MatchRule>,
    /// Where a secondary transfers from, in order of preference.
    pub primaries: Vec<SocketAddr>,
    /// Key for SOA queries and transfers from the primaries.
    pub primary_key: Option<Name>,
    /// How the serial moves on change.
    pub serial_policy: SerialPolicy,
    /// The zone's `group` property in the catalog (`[catalog]`), in place
    /// of `[catalog] group`.
    pub catalog_group: Option<String>,
    /// Which of the keys a store zone's own settings may also give the
    /// file writes: those win over the store's (see `manage::settings`).
    pub written: WrittenKeys,
    /// Line of the `[[zone]]` table, for later error messages.
    pub line: Option<usize>,
}

/// Which keys of a `[[zone]]` the file writes, among those a zone kept in
/// the store may also set on its own settings page: a key written here
/// wins, even when it writes the default (`allow_transfer = []`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WrittenKeys {
    /// `notify`.
    pub notify: bool,
    /// `notify_key`.
    pub notify_key: bool,
    /// `allow_transfer`.
    pub allow_transfer: bool,
    /// `allow_update`.
    pub allow_update: bool,
    /// `serial_policy`.
    pub serial_policy: bool,
    /// `catalog_group`.
    pub catalog_group: bool,
}

/// One element of a `notify` list: `"192.0.2.2:53"`, or with its own key
/// as BIND's `also-notify { ADDR key NAME; }`, `"192.0.2.2:53 key xfr"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyTarget {
    /// Where the NOTIFY goes (port 53 when the element gives none).
    pub address: SocketAddr,
    /// The `[[key]]` that signs NOTIFYs to this target; `None` means the
    /// zone's `notify_key` (or none).
    pub key: Option<Name>,
}

/// `[zone_defaults]`: how zones kept in the store but named by no
/// `[[zone]]` (zones created through the API or `hadns import`) replicate
/// and who may change them.
#[derive(Clone, Debug)]
pub struct ZoneDefaults {
    /// NOTIFY targets, each with its own key if it names one.
    pub notify: Vec<NotifyTarget>,
    /// Key that signs our NOTIFYs to targets that name no key of their own.
    pub notify_key: Option<Name>,
    /// Also NOTIFY the zone's NS targets.
    pub notify_ns: bool,
    /// Who may transfer the zone.
    pub allow_transfer: Vec<MatchRule>,
    /// Who may send dynamic updates.
    pub allow_update: Vec<MatchRule>,
    /// Serial policy of zones created without one (`increment` or `date`).
    pub serial_policy: SerialPolicy,
    /// The apex NS set of a zone created through the API without one (a
    /// zone must have NS records; clients such as octoDNS create zones
    /// with `nameservers: []` and manage only the records below the apex).
    /// The first name is also the new zone's SOA MNAME.
    pub nameservers: Vec<Name>,
}

/// `[catalog]`: the catalog zone (RFC 9432, version 2) a primary produces
/// from the zones it keeps in the store, so that secondaries that consume
/// catalogs (BIND, Knot) add and drop member zones on their own.
#[derive(Clone, Debug, Default)]
pub struct CatalogConfig {
    /// The catalog zone's apex; `None`: no catalog is produced.
    pub produce: Option<Name>,
    /// The `group` property (RFC 9432 §4.4.2) given to every member.
    pub group: Option<String>,
    /// Also list the primary zones read from files.
    pub include_files: bool,
    /// Who may transfer the catalog (and ask for its SOA).
    pub allow_transfer: Vec<MatchRule>,
    /// Who may send other queries for names in the catalog.
    pub allow_query: Vec<MatchRule>,
    /// NOTIFY targets of the catalog.
    pub notify: Vec<NotifyTarget>,
    /// Key that signs the catalog's NOTIFYs.
    pub notify_key: Option<Name>,
}

/// `[[catalog_consumer]]`: a catalog zone (RFC 9432, version 2) this node
/// transfers as a secondary zone, and whose members it serves as
/// secondary zones of their own, added and dropped as the catalog changes.
#[derive(Clone, Debug)]
pub struct CatalogConsumerConfig {
    /// The catalog zone's apex.
    pub zone: Name,
    /// Where the catalog, and members of no configured group, transfer
    /// from, and the key they are signed with.
    pub template: MemberTemplate,
    /// Templates for members whose `group` property names them.
    pub groups: Vec<MemberTemplate>,
    /// Line of the `[[catalog_consumer]]` table, for later messages.
    pub line: Option<usize>,
}

/// Where a member zone of a consumed catalog transfers from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberTemplate {
    /// The group this template is for; `None` for the default.
    pub group: Option<String>,
    /// Primaries, in order of preference (their addresses may NOTIFY).
    pub primaries: Vec<SocketAddr>,
    /// Key for SOA queries, transfers and NOTIFYs.
    pub key: Option<Name>,
}

/// `[log]`.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// Log every query.
    pub queries: bool,
    /// Query log file (relative paths are inside `data_dir`).
    pub query_file: PathBuf,
    /// Rotate the query log at this size.
    pub max_size: u64,
    /// Rotated files to keep.
    pub keep: u32,
    /// Lines as text (`false`) or one JSON object each (`true`).
    pub json: bool,
}

/// `[replication]`: bounds on SOA timers (as BIND's min-refresh-time and
/// friends) and transfer limits.
#[derive(Clone, Debug)]
pub struct ReplicationConfig {
    /// Refresh interval bounds.
    pub refresh: (Duration, Duration),
    /// Retry interval bounds.
    pub retry: (Duration, Duration),
    /// Expire interval bounds.
    pub expire: (Duration, Duration),
    /// Largest journal file before old entries are dropped.
    pub journal_max_size: u64,
    /// Most journal entries kept.
    pub journal_max_entries: usize,
    /// Outgoing transfers at once.
    pub max_transfers_out: usize,
    /// Outgoing transfers at once to one client address.
    pub max_transfers_out_per_client: usize,
    /// Most records one incoming transfer may carry.
    pub max_transfer_records: u64,
    /// Most octets one incoming transfer may carry.
    pub max_transfer_size: u64,
    /// Longest a transfer may take.
    pub transfer_timeout: Duration,
}

/// A validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file it came from, if any.
    pub source: Option<PathBuf>,
    /// `[node]`.
    pub node: NodeConfig,
    /// `[dns]`.
    pub dns: DnsConfig,
    /// `[api]`.
    pub api: ApiConfig,
    /// `[health]`.
    pub health: HealthConfig,
    /// `[metrics]`.
    pub metrics: MetricsConfig,
    /// `[[key]]`s.
    pub keys: Vec<KeyConfig>,
    /// `[[acl]]`s.
    pub acls: Vec<AclConfig>,
    /// `[[view]]`s, in match order.
    pub views: Vec<ViewConfig>,
    /// `[[zone]]`s.
    pub zones: Vec<ZoneConfig>,
    /// `[log]`.
    pub log: LogConfig,
    /// `[zone_defaults]`.
    pub zone_defaults: ZoneDefaults,
    /// `[replication]`.
    pub replication: ReplicationConfig,
    /// `[catalog]`.
    pub catalog: CatalogConfig,
    /// `[[catalog_consumer]]`s.
    pub catalog_consumers: Vec<CatalogConsumerConfig>,
    /// `[[peer]]`s: other hadns nodes, in file order.
    pub peers: Vec<PeerConfig>,
    /// `[rrl]`: Response Rate Limiting of the default view (each
    /// `[[view]]` has its own, [`ViewConfig::rrl`]).
    pub rrl: RrlConfig,
    /// Match list elements `key NAME` naming no `[[key]]`, in file order.
    pub unconfigured_keys: Vec<UnconfiguredKey>,
}

/// `[[peer]]`: another hadns node of the cluster, typically a secondary
/// this primary notifies, which the web UI's cluster page may ask over its
/// HTTP API to transfer a zone again (`POST /api/v1/control`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerConfig {
    /// Its name, for people.
    pub name: String,
    /// Where it answers DNS (port 53 unless written): a NOTIFY target at
    /// this address is this peer.
    pub dns: SocketAddr,
    /// Its HTTP API (plain HTTP; port 8053 unless written).
    pub api: SocketAddr,
    /// A file holding an API token of that node that may write (read when
    /// used, so a new token needs no restart).
    pub token_file: PathBuf,
    /// Line of the `[[peer]]` table.
    pub line: Option<usize>,
}

impl Config {
    /// The key with this name.
    pub fn key(&self, name: &Name) -> Option<&KeyConfig> {
        self.keys.iter().find(|k| k.name == *name)
    }
}
