//! hadns configuration: a versioned, strict TOML file converted once into a
//! validated [`Config`].
//!
//! ```text
//!  file text ──toml + serde (unknown keys rejected)──► spec::FileSpec (with spans)
//!            ──Config::from_spec (every value checked)──► Config
//! ```
//!
//! Every error names the file, the line and the key (`zone[2].role`), so an
//! operator can go straight to the mistake. Relative paths in the file are
//! taken relative to the directory holding the file.

mod effective;
mod spec;

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use toml::Spanned;
use wire::Name;
use wire::tsig::Algorithm;

/// The only format version this build reads.
pub const FORMAT_VERSION: i64 = 1;

/// A configuration error: where, which key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, when the configuration came from one.
    pub file: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key path, e.g. `zone[1].role`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self
            .file
            .as_deref()
            .map_or_else(|| "<config>".to_string(), |p| p.display().to_string());
        match self.line {
            Some(line) => write!(f, "{file}:{line}: ")?,
            None => write!(f, "{file}: ")?,
        }
        if !self.key.is_empty() {
            write!(f, "`{}`: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// A `key NAME` in a match list that names no `[[key]]`. Accepted: the key
/// may be made through the API (`/tsigkeys`) and kept in the store, and it
/// takes effect the moment it is. Until then the element matches nothing,
/// so the node warns at start about every one the store lacks too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnconfiguredKey {
    /// The key name.
    pub name: Name,
    /// Where it is written; the message says what is missing.
    pub place: ConfigError,
}

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

pub use answer::acl::{MatchElement, MatchRule, parse_match_rule};

/// `[node]`.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Name of this node (NSID default, logs).
    pub name: String,
    /// Where the node keeps its state.
    pub data_dir: PathBuf,
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

/// The longest NSID accepted (RFC 5001 sets no limit; answers must carry
/// it beside the other options within 512 octets).
pub const MAX_NSID: usize = 128;

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
    /// NOTIFY targets.
    pub notify: Vec<SocketAddr>,
    /// Key that signs our NOTIFYs.
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
    /// Line of the `[[zone]]` table, for later error messages.
    pub line: Option<usize>,
}

/// `[zone_defaults]`: how zones kept in the store but named by no
/// `[[zone]]` (zones created through the API or `hadns import`) replicate
/// and who may change them.
#[derive(Clone, Debug)]
pub struct ZoneDefaults {
    /// NOTIFY targets.
    pub notify: Vec<SocketAddr>,
    /// Key that signs our NOTIFYs.
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
    /// Match list elements `key NAME` naming no `[[key]]`, in file order.
    pub unconfigured_keys: Vec<UnconfiguredKey>,
}

impl Default for Config {
    /// The configuration with every default and no zones.
    fn default() -> Config {
        Config::parse("version = 1\n", None)
            .unwrap_or_else(|e| panic!("built-in default config is valid: {e}"))
    }
}

/// Default DNS listen address when none is configured.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:5353";

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: Some(path.to_path_buf()),
            line: None,
            key: String::new(),
            message: format!("cannot read: {e}"),
        })?;
        Config::parse(&text, Some(path))
    }

    /// Validates configuration text; `path` is used in errors and to resolve
    /// relative paths.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Config, ConfigError> {
        let checker = Checker {
            text,
            file: path.map(Path::to_path_buf),
            unconfigured_keys: std::cell::RefCell::new(Vec::new()),
        };
        let spec: spec::FileSpec = {
            let deserializer = toml::de::Deserializer::parse(text)
                .map_err(|e| checker.toml_error(e, String::new()))?;
            serde_path_to_error::deserialize(deserializer).map_err(|e| {
                // Spans wrap values in a private struct whose field shows up
                // in the path; drop it so the key reads as written.
                let key = e
                    .path()
                    .to_string()
                    .replace(".$__serde_spanned_private_value", "")
                    .replace("$__serde_spanned_private_value", "");
                let key = if key == "." { String::new() } else { key };
                checker.toml_error(e.into_inner(), key)
            })?
        };
        checker.build(spec)
    }

    /// The key with this name.
    pub fn key(&self, name: &Name) -> Option<&KeyConfig> {
        self.keys.iter().find(|k| k.name == *name)
    }
}

/// Turns spans into lines and checks values.
struct Checker<'a> {
    text: &'a str,
    file: Option<PathBuf>,
    /// `key NAME` elements of match lists naming no `[[key]]`, collected
    /// as the lists are read.
    unconfigured_keys: std::cell::RefCell<Vec<UnconfiguredKey>>,
}

impl Checker<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.text.as_bytes()[..offset.min(self.text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn error(
        &self,
        span: Option<std::ops::Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            line: span.map(|s| self.line_of(s.start)),
            key: key.into(),
            message: message.into(),
        }
    }

    fn at<T>(
        &self,
        spanned: &Spanned<T>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        self.error(Some(spanned.span()), key, message)
    }

    fn toml_error(&self, e: toml::de::Error, key: String) -> ConfigError {
        let message = e.message().trim_end().to_string();
        self.error(e.span(), key, message)
    }

    fn path(&self, value: &str) -> PathBuf {
        let p = PathBuf::from(value);
        if p.is_absolute() {
            return p;
        }
        match self.file.as_deref().and_then(Path::parent) {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(p),
            _ => p,
        }
    }

    fn name(&self, value: &Spanned<String>, key: &str) -> Result<Name, ConfigError> {
        Name::from_text(value.get_ref(), Some(&Name::root())).map_err(|e| {
            self.at(
                value,
                key,
                format!("`{}` is not a domain name: {e}", value.get_ref()),
            )
        })
    }

    fn socket(
        &self,
        value: &Spanned<String>,
        key: &str,
        default_port: u16,
    ) -> Result<SocketAddr, ConfigError> {
        let text = value.get_ref();
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(addr);
        }
        if let Ok(ip) = text
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
        {
            return Ok(SocketAddr::new(ip, default_port));
        }
        Err(self.at(
            value,
            key,
            format!("`{text}` is not an address (expected 192.0.2.1:53 or [2001:db8::1]:53)"),
        ))
    }

    fn int<T: TryFrom<i64>>(
        &self,
        value: &Spanned<i64>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<T, ConfigError> {
        let v = *value.get_ref();
        if !range.contains(&v) {
            return Err(self.at(
                value,
                key,
                format!("{v} is out of range ({}..={})", range.start(), range.end()),
            ));
        }
        T::try_from(v).map_err(|_| self.at(value, key, format!("{v} is out of range")))
    }

    fn duration(
        &self,
        value: &Spanned<spec::Duration>,
        key: &str,
    ) -> Result<Duration, ConfigError> {
        let seconds = match value.get_ref() {
            spec::Duration::Seconds(s) if *s >= 0 => *s as u64,
            spec::Duration::Seconds(s) => return Err(self.at(value, key, format!("{s} is negative"))),
            spec::Duration::Text(t) => wire::Ttl::from_str(t)
                .map_err(|_| self.at(value, key, format!("`{t}` is not a duration (expected seconds or units such as 10s, 5m, 1h)")))?
                .0 as u64,
        };
        Ok(Duration::from_secs(seconds))
    }

    fn size(&self, value: &Spanned<spec::Size>, key: &str) -> Result<u64, ConfigError> {
        match value.get_ref() {
            spec::Size::Octets(n) if *n > 0 => Ok(*n as u64),
            spec::Size::Octets(n) => {
                Err(self.at(value, key, format!("{n} is not a positive size")))
            }
            spec::Size::Text(t) => parse_size(t).ok_or_else(|| {
                self.at(
                    value,
                    key,
                    format!("`{t}` is not a size (expected e.g. 2MiB, 500KiB, 1GiB)"),
                )
            }),
        }
    }

    fn match_list(
        &self,
        values: &[Spanned<String>],
        key: &str,
        acls: &HashSet<String>,
        keys: &HashSet<Name>,
    ) -> Result<Vec<MatchRule>, ConfigError> {
        let mut rules = Vec::with_capacity(values.len());
        // Where each rule of `rules` was written, for messages.
        let mut listed = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            let key = format!("{key}[{i}]");
            let rule = parse_match_rule(value.get_ref()).map_err(|m| self.at(value, &key, m))?;
            match &rule.element {
                MatchElement::Acl(name) if !acls.contains(name) => {
                    return Err(self.at(value, &key, format!("no [[acl]] named `{name}`")));
                }
                MatchElement::Key(name) if !keys.contains(name) => {
                    // Keys may live in the store (made through the API), which
                    // the configuration cannot see: accept, and let the node
                    // warn at start if the store lacks it too.
                    self.unconfigured_keys.borrow_mut().push(UnconfiguredKey {
                        name: name.clone(),
                        place: self.at(
                            value,
                            &key,
                            format!("no [[key]] named `{name}`; the element matches nothing until a key of that name is made through the API (/tsigkeys)"),
                        ),
                    });
                }
                _ => {}
            }
            place(&mut rules, &mut listed, rule, i).map_err(|m| self.at(value, &key, m))?;
        }
        Ok(rules)
    }

    fn build(&self, spec: spec::FileSpec) -> Result<Config, ConfigError> {
        match &spec.version {
            Some(v) if *v.get_ref() == FORMAT_VERSION => {}
            Some(v) => return Err(self.at(v, "version", format!("format version {} is not supported (this build reads version {FORMAT_VERSION})", v.get_ref()))),
            None => return Err(self.error(None, "version", format!("missing; add `version = {FORMAT_VERSION}` at the top"))),
        }

        let node = NodeConfig {
            name: match &spec.node.name {
                Some(n) if n.get_ref().is_empty() => {
                    return Err(self.at(n, "node.name", "must not be empty"));
                }
                Some(n) => n.get_ref().clone(),
                None => "hadns".to_string(),
            },
            data_dir: spec
                .node
                .data_dir
                .as_ref()
                .map_or_else(|| self.path("hadns-data"), |d| self.path(d.get_ref())),
        };

        let dns_spec = &spec.dns;
        let listen = match &dns_spec.listen {
            None => vec![DEFAULT_LISTEN.parse().expect("valid default")],
            Some(list) => {
                let mut out = Vec::new();
                for (i, v) in list.iter().enumerate() {
                    out.push(self.socket(v, &format!("dns.listen[{i}]"), 53)?);
                }
                out
            }
        };
        let hidden = |v: &Option<Spanned<String>>| -> Option<String> {
            match v {
                None => None,
                Some(s) if s.get_ref().eq_ignore_ascii_case("none") => None,
                Some(s) => Some(s.get_ref().clone()),
            }
        };
        if let Some(nsid) = &dns_spec.nsid
            && nsid.get_ref().len() > MAX_NSID
        {
            // Every answer that carries it must still fit 512 octets.
            return Err(self.at(
                nsid,
                "dns.nsid",
                format!(
                    "the NSID is {} octets; at most {MAX_NSID}",
                    nsid.get_ref().len()
                ),
            ));
        }
        let dns = DnsConfig {
            listen,
            version: hidden(&dns_spec.version),
            identity: hidden(&dns_spec.identity),
            nsid: hidden(&dns_spec.nsid).map(String::into_bytes),
            edns_udp_payload: match &dns_spec.edns_udp_payload {
                Some(v) => self.int(v, "dns.edns_udp_payload", 512..=4096)?,
                None => 1232,
            },
            udp_workers: match &dns_spec.udp_workers {
                Some(v) => self.int(v, "dns.udp_workers", 0..=256)?,
                None => 0,
            },
            tcp_idle_timeout: match &dns_spec.tcp_idle_timeout {
                Some(v) => self.duration(v, "dns.tcp_idle_timeout")?,
                None => Duration::from_secs(10),
            },
            tcp_max_connections: match &dns_spec.tcp_max_connections {
                Some(v) => self.int(v, "dns.tcp_max_connections", 1..=1_000_000)?,
                None => 1024,
            },
            builtin_zones: dns_spec.builtin_zones.unwrap_or(true),
        };

        let mut cors_origins = Vec::with_capacity(spec.api.cors_origins.len());
        for (i, origin) in spec.api.cors_origins.iter().enumerate() {
            let key = format!("api.cors_origins[{i}]");
            let text = cors_origin(origin.get_ref()).map_err(|m| self.at(origin, &key, m))?;
            if cors_origins.contains(&text) {
                return Err(self.at(origin, &key, format!("origin `{text}` is listed twice")));
            }
            cors_origins.push(text);
        }
        let api = ApiConfig {
            listen: match &spec.api.listen {
                Some(v) => Some(self.socket(v, "api.listen", 8053)?),
                None => None,
            },
            cors_origins,
        };

        let mut keys = Vec::new();
        let mut key_names = HashSet::new();
        for (i, k) in spec.key.iter().enumerate() {
            let k_ref = k.get_ref();
            let prefix = format!("key[{i}]");
            let name = self.name(&k_ref.name, &format!("{prefix}.name"))?;
            if !key_names.insert(name.clone()) {
                return Err(self.at(
                    &k_ref.name,
                    format!("{prefix}.name"),
                    format!("key `{name}` is defined twice"),
                ));
            }
            let algorithm = k_ref
                .algorithm
                .get_ref()
                .parse::<Algorithm>()
                .map_err(|e| {
                    self.at(
                        &k_ref.algorithm,
                        format!("{prefix}.algorithm"),
                        e.to_string(),
                    )
                })?;
            let (text, span_of) = match (&k_ref.secret, &k_ref.secret_file) {
                (Some(s), None) => (s.get_ref().clone(), s),
                (None, Some(f)) => {
                    let path = self.path(f.get_ref());
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        self.at(
                            f,
                            format!("{prefix}.secret_file"),
                            format!("cannot read {}: {e}", path.display()),
                        )
                    })?;
                    (secret_from_file(&text), f)
                }
                (Some(s), Some(_)) => {
                    return Err(self.at(s, &prefix, "give `secret` or `secret_file`, not both"));
                }
                (None, None) => return Err(self.at(k, &prefix, "needs `secret` or `secret_file`")),
            };
            let secret = wire::base64::decode(&text).map_err(|e| {
                self.at(
                    span_of,
                    format!("{prefix}.secret"),
                    format!("not base64: {e}"),
                )
            })?;
            if secret.is_empty() {
                return Err(self.at(span_of, format!("{prefix}.secret"), "the secret is empty"));
            }
            keys.push(KeyConfig {
                name,
                algorithm,
                secret,
            });
        }

        let mut acl_names = HashSet::new();
        for a in &spec.acl {
            if !acl_names.insert(a.get_ref().name.get_ref().clone()) {
                return Err(self.at(
                    &a.get_ref().name,
                    "acl.name",
                    format!("acl `{}` is defined twice", a.get_ref().name.get_ref()),
                ));
            }
        }
        let mut acls = Vec::new();
        for (i, a) in spec.acl.iter().enumerate() {
            let a = a.get_ref();
            let rules = self.match_list(
                &a.addresses,
                &format!("acl[{i}].addresses"),
                &acl_names,
                &key_names,
            )?;
            acls.push(AclConfig {
                name: a.name.get_ref().clone(),
                rules,
            });
        }

        let mut views = Vec::new();
        let mut view_names = HashSet::new();
        for (i, v) in spec.view.iter().enumerate() {
            let v = v.get_ref();
            let prefix = format!("view[{i}]");
            let view_name = v.name.get_ref();
            let path_safe = !view_name.is_empty()
                && view_name.len() <= 64
                && !view_name.starts_with('.')
                && view_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !path_safe {
                // The name becomes a directory under data_dir/views/.
                return Err(self.at(
                    &v.name,
                    format!("{prefix}.name"),
                    format!(
                        "`{view_name}` is not a view name: 1 to 64 letters, digits, `-`, `_` or `.`, not starting with `.`"
                    ),
                ));
            }
            if v.match_ecs == Some(true) && v.ecs_trusted.is_empty() {
                return Err(self.at(
                    &v.name,
                    format!("{prefix}.ecs_trusted"),
                    "match_ecs needs ecs_trusted: the resolvers whose client subnets are believed"
                        .to_string(),
                ));
            }
            if !view_names.insert(v.name.get_ref().clone()) {
                return Err(self.at(
                    &v.name,
                    format!("{prefix}.name"),
                    format!("view `{}` is defined twice", v.name.get_ref()),
                ));
            }
            let mut match_keys = Vec::new();
            for (j, k) in v.match_keys.iter().enumerate() {
                let name = self.name(k, &format!("{prefix}.match_keys[{j}]"))?;
                if !key_names.contains(&name) {
                    return Err(self.at(
                        k,
                        format!("{prefix}.match_keys[{j}]"),
                        format!("no [[key]] named `{name}`"),
                    ));
                }
                match_keys.push(name);
            }
            views.push(ViewConfig {
                name: v.name.get_ref().clone(),
                match_clients: self.match_list(
                    &v.match_clients,
                    &format!("{prefix}.match_clients"),
                    &acl_names,
                    &key_names,
                )?,
                match_keys,
                match_ecs: v.match_ecs.unwrap_or(false),
                ecs_trusted: self.match_list(
                    &v.ecs_trusted,
                    &format!("{prefix}.ecs_trusted"),
                    &acl_names,
                    &key_names,
                )?,
            });
        }

        let mut zones = Vec::new();
        let mut zone_names: HashSet<(Name, Option<String>)> = HashSet::new();
        for (i, z) in spec.zone.iter().enumerate() {
            let line = Some(self.line_of(z.span().start));
            let z = z.get_ref();
            let prefix = format!("zone[{i}]");
            let name = self.name(&z.name, &format!("{prefix}.name"))?;
            let view = match &z.view {
                Some(v) if !view_names.contains(v.get_ref()) => {
                    return Err(self.at(
                        v,
                        format!("{prefix}.view"),
                        format!("no [[view]] named `{}`", v.get_ref()),
                    ));
                }
                Some(v) => Some(v.get_ref().clone()),
                None => None,
            };
            if !zone_names.insert((name.clone(), view.clone())) {
                return Err(self.at(
                    &z.name,
                    format!("{prefix}.name"),
                    format!("zone `{name}` is defined twice in the same view"),
                ));
            }
            let role = match z.role.as_ref().map(|r| (r, r.get_ref().as_str())) {
                None | Some((_, "primary")) | Some((_, "master")) => Role::Primary,
                Some((_, "secondary")) | Some((_, "slave")) => Role::Secondary,
                Some((r, other)) => {
                    return Err(self.at(
                        r,
                        format!("{prefix}.role"),
                        format!("`{other}` is not a role (expected primary or secondary)"),
                    ));
                }
            };
            let key_ref =
                |v: &Option<Spanned<String>>, key: &str| -> Result<Option<Name>, ConfigError> {
                    match v {
                        None => Ok(None),
                        Some(s) => {
                            let n = self.name(s, key)?;
                            if !key_names.contains(&n) {
                                return Err(self.at(s, key, format!("no [[key]] named `{n}`")));
                            }
                            Ok(Some(n))
                        }
                    }
                };
            let mut notify = Vec::new();
            for (j, t) in z.notify.iter().enumerate() {
                notify.push(self.socket(t, &format!("{prefix}.notify[{j}]"), 53)?);
            }
            let mut primaries = Vec::new();
            for (j, t) in z.primaries.iter().enumerate() {
                primaries.push(self.socket(t, &format!("{prefix}.primaries[{j}]"), 53)?);
            }
            if role == Role::Secondary && primaries.is_empty() {
                return Err(self.error(
                    line.map(|_| z.name.span()),
                    format!("{prefix}.primaries"),
                    "a secondary zone needs at least one primary",
                ));
            }
            if role == Role::Secondary
                && let Some(file) = &z.file
            {
                return Err(self.at(
                    file,
                    format!("{prefix}.file"),
                    "a secondary zone keeps its copy in data_dir; remove `file`",
                ));
            }
            if role == Role::Secondary
                && let Some(first) = z.allow_update.first()
            {
                return Err(self.at(
                    first,
                    format!("{prefix}.allow_update"),
                    "a secondary zone takes no dynamic updates (send them to its primary)",
                ));
            }
            let serial_policy = match z.serial_policy.as_ref().map(|s| (s, s.get_ref().as_str())) {
                None => {
                    if z.file.is_some() {
                        SerialPolicy::Keep
                    } else {
                        SerialPolicy::Increment
                    }
                }
                Some((_, "keep")) => SerialPolicy::Keep,
                Some((_, "increment")) => SerialPolicy::Increment,
                Some((_, "date")) => SerialPolicy::Date,
                Some((_, "auto")) => SerialPolicy::Auto,
                Some((s, other)) => return Err(self.at(
                    s,
                    format!("{prefix}.serial_policy"),
                    format!(
                        "`{other}` is not a serial policy (expected keep, increment, date or auto)"
                    ),
                )),
            };
            if let Some(s) = &z.serial_policy
                && role == Role::Primary
            {
                let store_zone = z.file.is_none();
                let fits = match serial_policy {
                    SerialPolicy::Keep | SerialPolicy::Auto => !store_zone,
                    SerialPolicy::Increment | SerialPolicy::Date => store_zone,
                };
                if !fits {
                    let expected = if store_zone {
                        "a zone kept in the store takes increment or date"
                    } else {
                        "a zone file takes keep or auto"
                    };
                    return Err(self.at(s, format!("{prefix}.serial_policy"), expected));
                }
            }
            zones.push(ZoneConfig {
                name,
                view,
                role,
                file: z.file.as_ref().map(|f| self.path(f.get_ref())),
                notify,
                notify_key: key_ref(&z.notify_key, &format!("{prefix}.notify_key"))?,
                notify_ns: z.notify_ns.unwrap_or(false),
                allow_transfer: self.match_list(
                    &z.allow_transfer,
                    &format!("{prefix}.allow_transfer"),
                    &acl_names,
                    &key_names,
                )?,
                allow_notify: match &z.allow_notify {
                    Some(list) => self.match_list(
                        list,
                        &format!("{prefix}.allow_notify"),
                        &acl_names,
                        &key_names,
                    )?,
                    None => primaries
                        .iter()
                        .map(|p| MatchRule {
                            negated: false,
                            element: MatchElement::Prefix(p.ip().into()),
                        })
                        .collect(),
                },
                allow_update: self.match_list(
                    &z.allow_update,
                    &format!("{prefix}.allow_update"),
                    &acl_names,
                    &key_names,
                )?,
                primaries,
                primary_key: key_ref(&z.primary_key, &format!("{prefix}.primary_key"))?,
                serial_policy,
                line,
            });
        }

        let d = &spec.zone_defaults;
        let zone_defaults = ZoneDefaults {
            notify: d
                .notify
                .iter()
                .enumerate()
                .map(|(j, t)| self.socket(t, &format!("zone_defaults.notify[{j}]"), 53))
                .collect::<Result<_, _>>()?,
            notify_key: match &d.notify_key {
                None => None,
                Some(s) => {
                    let n = self.name(s, "zone_defaults.notify_key")?;
                    if !key_names.contains(&n) {
                        return Err(self.at(
                            s,
                            "zone_defaults.notify_key",
                            format!("no [[key]] named `{n}`"),
                        ));
                    }
                    Some(n)
                }
            },
            notify_ns: d.notify_ns.unwrap_or(false),
            allow_transfer: self.match_list(
                &d.allow_transfer,
                "zone_defaults.allow_transfer",
                &acl_names,
                &key_names,
            )?,
            allow_update: self.match_list(
                &d.allow_update,
                "zone_defaults.allow_update",
                &acl_names,
                &key_names,
            )?,
            nameservers: d
                .nameservers
                .iter()
                .enumerate()
                .map(|(j, s)| self.name(s, &format!("zone_defaults.nameservers[{j}]")))
                .collect::<Result<_, _>>()?,
            serial_policy: match d.serial_policy.as_ref().map(|s| (s, s.get_ref().as_str())) {
                None | Some((_, "increment")) => SerialPolicy::Increment,
                Some((_, "date")) => SerialPolicy::Date,
                Some((s, other)) => {
                    return Err(self.at(
                        s,
                        "zone_defaults.serial_policy",
                        format!(
                            "`{other}` is not a serial policy for store zones (expected increment or date)"
                        ),
                    ));
                }
            },
        };

        let log = LogConfig {
            queries: spec.log.queries.unwrap_or(false),
            query_file: spec.log.query_file.as_ref().map_or_else(
                || PathBuf::from("query.log"),
                |f| PathBuf::from(f.get_ref()),
            ),
            max_size: match &spec.log.max_size {
                Some(v) => self.size(v, "log.max_size")?,
                None => 2 * 1024 * 1024,
            },
            keep: match &spec.log.keep {
                Some(v) => self.int(v, "log.keep", 0..=1000)?,
                None => 3,
            },
        };

        let r = &spec.replication;
        let duration_or = |v: &Option<Spanned<spec::Duration>>,
                           key: &str,
                           default: u64|
         -> Result<Duration, ConfigError> {
            match v {
                Some(v) => self.duration(v, key),
                None => Ok(Duration::from_secs(default)),
            }
        };
        type Bound<'a> = (&'a Option<Spanned<spec::Duration>>, &'a str, u64);
        let bounds =
            |low: Bound<'_>, high: Bound<'_>| -> Result<(Duration, Duration), ConfigError> {
                let a = duration_or(low.0, low.1, low.2)?;
                let b = duration_or(high.0, high.1, high.2)?;
                if a > b {
                    let span = high.0.as_ref().or(low.0.as_ref()).map(|s| s.span());
                    return Err(self.error(
                        span,
                        high.1,
                        format!("{}s is below {} ({}s)", b.as_secs(), low.1, a.as_secs()),
                    ));
                }
                Ok((a, b))
            };
        let replication = ReplicationConfig {
            refresh: bounds(
                (&r.min_refresh, "replication.min_refresh", 300),
                (&r.max_refresh, "replication.max_refresh", 28 * 86400),
            )?,
            retry: bounds(
                (&r.min_retry, "replication.min_retry", 60),
                (&r.max_retry, "replication.max_retry", 14 * 86400),
            )?,
            expire: bounds(
                (&r.min_expire, "replication.min_expire", 3600),
                (&r.max_expire, "replication.max_expire", 14 * 7 * 86400),
            )?,
            journal_max_size: match &r.journal_max_size {
                Some(v) => self.size(v, "replication.journal_max_size")?,
                None => 64 * 1024 * 1024,
            },
            journal_max_entries: match &r.journal_max_entries {
                Some(v) => self.int(v, "replication.journal_max_entries", 1..=10_000_000)?,
                None => 10_000,
            },
            max_transfers_out: match &r.max_transfers_out {
                Some(v) => self.int(v, "replication.max_transfers_out", 1..=10_000)?,
                None => 16,
            },
            transfer_timeout: duration_or(
                &r.transfer_timeout,
                "replication.transfer_timeout",
                3600,
            )?,
        };

        Ok(Config {
            source: self.file.clone(),
            node,
            dns,
            api,
            keys,
            acls,
            views,
            zones,
            log,
            zone_defaults,
            replication,
            unconfigured_keys: self.unconfigured_keys.take(),
        })
    }
}

/// A web origin as browsers send it in `Origin`: `http` or `https`, a
/// host and an optional port, nothing after (no path, not even `/`);
/// lower-cased, since scheme and host compare without case.
fn cors_origin(text: &str) -> Result<String, String> {
    let explain = "(expected a web origin such as `https://admin.example` or `http://127.0.0.1:8080`: scheme, host, optional port, no path)";
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| format!("`{text}` does not start with http:// or https:// {explain}"))?;
    let host = match rest.rsplit_once(':') {
        // `[::1]:8080` and `host:8080`; a bare `[::1]` has its colons inside brackets.
        Some((host, port)) if !port.contains(']') => {
            port.parse::<u16>()
                .map_err(|_| format!("`{text}` has a bad port `{port}` {explain}"))?;
            host
        }
        _ => rest,
    };
    let valid_host = !host.is_empty()
        && (host.starts_with('[') && host.ends_with(']')
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    if !valid_host {
        return Err(format!("`{text}` is not a web origin {explain}"));
    }
    Ok(lower)
}

/// Reads a secret file: either bare base64 or a BIND `key { … secret "…"; }`
/// clause (as `tsig-keygen` writes).
fn secret_from_file(text: &str) -> String {
    if let Some(start) = text.find("secret") {
        let rest = &text[start + "secret".len()..];
        if let Some(open) = rest.find('"')
            && let Some(close) = rest[open + 1..].find('"')
        {
            return rest[open + 1..open + 1 + close].to_string();
        }
    }
    text.trim().to_string()
}

/// Parses `2MiB`, `500KiB`, `1GiB`, `10MB`, or a plain number of octets.
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1_000_000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1024 * 1024 * 1024,
        _ => return None,
    };
    number.checked_mul(factor).filter(|&n| n > 0)
}

#[cfg(test)]
mod tests;

/// Adds the `index`th element of a list to the rules in the order they are
/// tried (the first match decides, as in BIND), with one difference that
/// makes nested prefixes mean what they say: an address prefix inside an
/// earlier wider one of the opposite sense (`10.0.0.0/8, !10.9.0.0/16`,
/// or `any, !192.0.2.0/24`) is an exception to it and is tried before it,
/// as the longest prefix would decide — in BIND it could never match. A
/// prefix inside an earlier one of the same sense, or listed twice, can
/// never decide anything and is refused, naming both.
fn place(
    rules: &mut Vec<MatchRule>,
    listed: &mut Vec<usize>,
    rule: MatchRule,
    index: usize,
) -> Result<(), String> {
    let MatchElement::Prefix(net) = &rule.element else {
        rules.push(rule);
        listed.push(index);
        return Ok(());
    };
    let sense = |r: &MatchRule| if r.negated { "!" } else { "" };
    let covering = rules.iter().position(|before| match &before.element {
        MatchElement::Any => true,
        MatchElement::Prefix(wider) => wider.contains(net),
        _ => false,
    });
    let Some(at) = covering else {
        rules.push(rule);
        listed.push(index);
        return Ok(());
    };
    let before = &rules[at];
    let shown = match &before.element {
        MatchElement::Prefix(wider) => wider.to_string(),
        _ => "any".to_string(),
    };
    if matches!(&before.element, MatchElement::Prefix(wider) if wider == net) {
        return Err(format!(
            "`{}{net}` overlaps `{}{shown}` (element {}): the same prefix is listed twice; keep one",
            sense(&rule),
            sense(before),
            listed[at]
        ));
    }
    if before.negated == rule.negated {
        return Err(format!(
            "`{}{net}` overlaps `{}{shown}` (element {}), which covers it with the same sense, so it can never decide anything; remove it",
            sense(&rule),
            sense(before),
            listed[at]
        ));
    }
    rules.insert(at, rule);
    listed.insert(at, index);
    Ok(())
}
