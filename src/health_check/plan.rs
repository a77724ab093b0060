//! `hadns check`'s arguments, and the plan made of them (and of the
//! node's configuration, when `--config` names it): which server, which
//! zones, which primary and key, which limits. Pure: the files are read
//! by the caller, so every rule here is a unit test.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use config::{Config, Role};
use wire::tsig::{Algorithm, Key};
use wire::{Name, Rtype};

/// `hadns check`'s options (see docs/health-check.md).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct CheckArgs {
    /// The node to check, queried like a client: ADDR[:PORT] (port 53 by
    /// default). Default with --config: its first `dns.listen` address
    /// (a wildcard address is asked on loopback).
    #[arg(long, value_name = "ADDR[:PORT]")]
    pub server: Option<String>,
    /// Also ask every question over TCP (UDP is always asked).
    #[arg(long)]
    pub tcp: bool,
    /// How long each query (and the /health request) may take: seconds
    /// (`1`, `0.5`), or with a unit (`500ms`, `2s`).
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    pub timeout: String,
    /// A zone that must be served: answered NOERROR with AA and its SOA
    /// (repeatable).
    #[arg(long = "zone", value_name = "ZONE")]
    pub zones: Vec<String>,
    /// Every zone of the node: from its /health when one can be asked
    /// (--health, `[health] listen` or `[api] listen`), else the zones
    /// of --config.
    #[arg(long, conflicts_with = "zones")]
    pub all_zones: bool,
    /// The node's configuration: its address, zones, primaries, keys and
    /// /health listener.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Compare each zone's serial with this primary's: ADDR[:PORT].
    /// Default with --config: a secondary zone's first primary.
    #[arg(long, value_name = "ADDR[:PORT]")]
    pub primary: Option<String>,
    /// Fail when a zone's serial is more than N behind the primary's
    /// (RFC 1982 serial arithmetic). Default 0 when --primary is given.
    #[arg(long, value_name = "N")]
    pub max_lag: Option<u32>,
    /// TSIG key for the primary's SOA: NAME:ALGORITHM:BASE64SECRET.
    #[arg(long, value_name = "NAME:ALG:SECRET", conflicts_with_all = ["key_file", "key_name"])]
    pub key: Option<String>,
    /// A file holding the key as NAME:ALGORITHM:BASE64SECRET (keeps the
    /// secret off the command line).
    #[arg(long, value_name = "FILE", conflicts_with = "key_name")]
    pub key_file: Option<PathBuf>,
    /// The `[[key]]` of --config with this name.
    #[arg(long, value_name = "NAME")]
    pub key_name: Option<String>,
    /// Fail when the node has been behind its primary for longer than
    /// this many seconds (from the node's /health).
    #[arg(long, value_name = "SECONDS")]
    pub max_behind: Option<u64>,
    /// Where the node's /health is: http://ADDR:PORT[/PATH] or ADDR[:PORT]
    /// (port 8054). Default with --config: `[health] listen`, else
    /// `[api] listen`.
    #[arg(long, value_name = "URL|ADDR[:PORT]")]
    pub health: Option<String>,
    /// A canary name to ask for.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The canary's type (default A).
    #[arg(long = "type", value_name = "TYPE", requires = "name")]
    pub rtype: Option<String>,
    /// The RDATA the canary must have, in presentation form (`192.0.2.1`,
    /// `10 mail.example.com.`); one record of the answer must match.
    #[arg(long, value_name = "VALUE", requires = "name")]
    pub expect: Option<String>,
}

/// Where a primary is asked for its serial, and the key it wants.
#[derive(Clone, Debug)]
pub struct Primary {
    /// Its address.
    pub address: SocketAddr,
    /// The key that signs the SOA query, if any.
    pub key: Option<Arc<Key>>,
}

/// Where the node's `/health` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthUrl {
    /// Address of the HTTP listener.
    pub address: SocketAddr,
    /// Path asked (`/health` unless the URL names another).
    pub path: String,
}

impl std::fmt::Display for HealthUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}{}", self.address, self.path)
    }
}

/// Which zones are checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Zones {
    /// These, named on the command line or taken from the configuration.
    Listed(Vec<Name>),
    /// Every zone the node's `/health` lists.
    FromHealth,
}

/// A canary record: a name and type that must be answered, with a value.
#[derive(Clone, Debug)]
pub struct Canary {
    /// The name asked for.
    pub name: Name,
    /// The type asked for.
    pub rtype: Rtype,
    /// The expected RDATA (uncompressed wire form) and as written.
    pub expect: Option<(Vec<u8>, String)>,
}

/// Everything `hadns check` will do.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The node asked.
    pub server: SocketAddr,
    /// Ask over TCP as well as UDP.
    pub tcp: bool,
    /// Per query.
    pub timeout: Duration,
    /// The zones checked.
    pub zones: Zones,
    /// Largest serial lag allowed, when the lag is checked.
    pub max_lag: Option<u32>,
    /// The primary every zone is compared with (`--primary`).
    pub primary: Option<Primary>,
    /// Each secondary zone's first primary and key, from the
    /// configuration (used where `--primary` is not given).
    pub configured_primaries: HashMap<Name, Primary>,
    /// Zones the configuration has as primary zones: no lag to check.
    pub configured_primary_zones: Vec<Name>,
    /// Longest time a zone may have been behind, when that is checked.
    pub max_behind: Option<Duration>,
    /// Where the node's `/health` is, when it is needed or known.
    pub health: Option<HealthUrl>,
    /// The canary, if any.
    pub canary: Option<Canary>,
}

impl Plan {
    /// The primary `apex` is compared with: `--primary`, else its
    /// configured first primary.
    pub fn primary_for(&self, apex: &Name) -> Option<&Primary> {
        self.primary
            .as_ref()
            .or_else(|| self.configured_primaries.get(&apex.to_lowercase()))
    }

    /// Whether `/health` must be read.
    pub fn needs_health(&self) -> bool {
        self.max_behind.is_some() || self.zones == Zones::FromHealth
    }
}

/// Why the arguments (or the configuration) cannot make a plan: exit 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn usage(text: impl Into<String>) -> UsageError {
    UsageError(text.into())
}

/// Makes the plan from the arguments, the configuration `--config` named
/// (already read), and the text of `--key-file` (already read).
pub fn plan(
    args: &CheckArgs,
    config: Option<&Config>,
    key_file: Option<&str>,
) -> Result<Plan, UsageError> {
    let timeout = parse_timeout(&args.timeout)?;
    let server = match (&args.server, config) {
        (Some(text), _) => parse_address(text, 53).map_err(|e| usage(format!("--server: {e}")))?,
        (None, Some(config)) => config
            .dns
            .listen
            .first()
            .map(|a| reachable(*a))
            .ok_or_else(|| usage("--config lists no dns.listen address; give --server"))?,
        (None, None) => return Err(usage("--server ADDR[:PORT] is required (or --config FILE)")),
    };
    let key = key_of(args, config, key_file)?;
    let primary = args
        .primary
        .as_deref()
        .map(|text| {
            parse_address(text, 53)
                .map(|address| Primary {
                    address,
                    key: key.clone(),
                })
                .map_err(|e| usage(format!("--primary: {e}")))
        })
        .transpose()?;
    let mut configured_primaries = HashMap::new();
    let mut configured_primary_zones = Vec::new();
    if let Some(config) = config {
        for zone in &config.zones {
            let apex = zone.name.to_lowercase();
            match zone.role {
                Role::Primary => configured_primary_zones.push(apex),
                Role::Secondary => {
                    if let Some(address) = zone.primaries.first() {
                        // An explicit key (--key…) wins; else the zone's own.
                        let key = key.clone().or_else(|| {
                            zone.primary_key
                                .as_ref()
                                .and_then(|name| config.key(name))
                                .map(|k| {
                                    Arc::new(Key::new(
                                        k.name.clone(),
                                        k.algorithm,
                                        k.secret.clone(),
                                    ))
                                })
                        });
                        configured_primaries.insert(
                            apex,
                            Primary {
                                address: *address,
                                key,
                            },
                        );
                    }
                }
            }
        }
    }
    let health = match (&args.health, config) {
        (Some(text), _) => {
            Some(parse_health_url(text).map_err(|e| usage(format!("--health: {e}")))?)
        }
        (None, Some(config)) => {
            config
                .health
                .listen
                .or(config.api.listen)
                .map(|address| HealthUrl {
                    address: reachable(address),
                    path: "/health".to_string(),
                })
        }
        (None, None) => None,
    };
    let zones = if args.all_zones {
        match (&health, config) {
            (Some(_), _) => Zones::FromHealth,
            (None, Some(config)) => {
                // Without /health only the configuration's own [[zone]]s
                // are known: refuse rather than check half a node.
                if let Some(zone) = config
                    .zones
                    .iter()
                    .find(|z| z.role == Role::Primary && z.file.is_none())
                {
                    return Err(usage(format!(
                        "--all-zones: zone {} is kept in the store, which only the node's /health lists; add `[health] listen` to the configuration or give --health",
                        zone.name
                    )));
                }
                if !config.catalog_consumers.is_empty() {
                    return Err(usage(
                        "--all-zones: the members of a consumed catalog are listed only by the node's /health; add `[health] listen` to the configuration or give --health",
                    ));
                }
                let mut names: Vec<Name> = Vec::new();
                for zone in &config.zones {
                    let apex = zone.name.to_lowercase();
                    if !names.contains(&apex) {
                        names.push(apex);
                    }
                }
                if names.is_empty() {
                    return Err(usage("--all-zones: the configuration has no [[zone]]"));
                }
                Zones::Listed(names)
            }
            (None, None) => {
                return Err(usage(
                    "--all-zones needs --config FILE or --health URL to know the node's zones",
                ));
            }
        }
    } else {
        let mut names = Vec::new();
        for text in &args.zones {
            let apex = Name::from_text(text, Some(&Name::root()))
                .map_err(|e| usage(format!("--zone {text}: {e}")))?
                .to_lowercase();
            if !names.contains(&apex) {
                names.push(apex);
            }
        }
        Zones::Listed(names)
    };
    let max_lag = match (args.max_lag, &primary) {
        (Some(max), _) => Some(max),
        (None, Some(_)) => Some(0),
        (None, None) => None,
    };
    if max_lag.is_some()
        && primary.is_none()
        && let Zones::Listed(names) = &zones
    {
        // Every zone named must have a primary to be compared with, but a
        // zone the configuration makes a primary zone has none to lag.
        if let Some(apex) = names.iter().find(|apex| {
            !configured_primaries.contains_key(*apex) && !configured_primary_zones.contains(apex)
        }) {
            return Err(usage(format!(
                "--max-lag: no primary to compare zone {apex} with; give --primary ADDR[:PORT] (or --config naming the zone's primaries)"
            )));
        }
    }
    if max_lag.is_some()
        && primary.is_none()
        && zones == Zones::FromHealth
        && configured_primaries.is_empty()
    {
        return Err(usage(
            "--max-lag: no primary to compare with; give --primary ADDR[:PORT] (or --config with secondary zones)",
        ));
    }
    let max_behind = args.max_behind.map(Duration::from_secs);
    if max_behind.is_some() && health.is_none() {
        return Err(usage(
            "--max-behind reads the node's /health: give --health URL, or --config with `[health] listen` or `[api] listen`",
        ));
    }
    let canary = match &args.name {
        None => None,
        Some(text) => {
            let name = Name::from_text(text, Some(&Name::root()))
                .map_err(|e| usage(format!("--name {text}: {e}")))?;
            let rtype = match &args.rtype {
                None => Rtype::A,
                Some(t) => t
                    .parse::<Rtype>()
                    .map_err(|_| usage(format!("--type {t}: not a record type")))?,
            };
            if rtype.is_meta() {
                return Err(usage(format!(
                    "--type {rtype}: a meta type, not a record type"
                )));
            }
            let expect = match &args.expect {
                None => None,
                Some(value) => {
                    let rdata = zonefile::parse_rdata(rtype, value, &Name::root())
                        .map_err(|e| usage(format!("--expect {value}: not {rtype} data: {e}")))?;
                    Some((rdata, value.clone()))
                }
            };
            Some(Canary {
                name,
                rtype,
                expect,
            })
        }
    };
    if zones == Zones::Listed(Vec::new()) && canary.is_none() {
        return Err(usage(
            "nothing to check: give --zone ZONE, --all-zones or --name NAME",
        ));
    }
    Ok(Plan {
        server,
        tcp: args.tcp,
        timeout,
        zones,
        max_lag,
        primary,
        configured_primaries,
        configured_primary_zones,
        max_behind,
        health,
        canary,
    })
}

/// The TSIG key named by `--key`, `--key-file` or `--key-name`, if any.
fn key_of(
    args: &CheckArgs,
    config: Option<&Config>,
    key_file: Option<&str>,
) -> Result<Option<Arc<Key>>, UsageError> {
    if let Some(text) = &args.key {
        return parse_key(text)
            .map(Some)
            .map_err(|e| usage(format!("--key: {e}")));
    }
    if let Some(text) = key_file {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or_else(|| {
                usage("--key-file: the file holds no key (expected NAME:ALGORITHM:BASE64SECRET)")
            })?;
        return parse_key(line)
            .map(Some)
            .map_err(|e| usage(format!("--key-file: {e}")));
    }
    if let Some(text) = &args.key_name {
        let config =
            config.ok_or_else(|| usage("--key-name needs --config FILE, where the [[key]] is"))?;
        let name = Name::from_text(text, Some(&Name::root()))
            .map_err(|e| usage(format!("--key-name {text}: {e}")))?;
        let key = config.key(&name).ok_or_else(|| {
            usage(format!(
                "--key-name {text}: the configuration has no [[key]] named so"
            ))
        })?;
        return Ok(Some(Arc::new(Key::new(
            key.name.clone(),
            key.algorithm,
            key.secret.clone(),
        ))));
    }
    Ok(None)
}

/// `NAME:ALGORITHM:BASE64SECRET` (the order of the brief's contract; the
/// secret is last because base64 never holds a colon).
pub fn parse_key(text: &str) -> Result<Arc<Key>, String> {
    let mut parts = text.splitn(3, ':');
    let (Some(name), Some(algorithm), Some(secret)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("expected NAME:ALGORITHM:BASE64SECRET".to_string());
    };
    let name = Name::from_text(name.trim(), Some(&Name::root()))
        .map_err(|e| format!("key name `{name}`: {e}"))?;
    let algorithm: Algorithm = algorithm.trim().parse().map_err(|e| format!("{e}"))?;
    let key =
        Key::from_base64(name, algorithm, secret.trim()).map_err(|e| format!("secret: {e}"))?;
    Ok(Arc::new(key))
}

/// `ADDR` or `ADDR:PORT` (`[V6]:PORT`), with `port` when none is given.
pub fn parse_address(text: &str, port: u16) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    text.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, port))
        .map_err(|_| format!("`{text}` is not an IP address with an optional port (192.0.2.1:53, [2001:db8::1]:53)"))
}

/// `http://ADDR[:PORT][/PATH]` or `ADDR[:PORT]`; the port defaults to
/// [`config::DEFAULT_HEALTH_PORT`] without a scheme and 80 with one.
pub fn parse_health_url(text: &str) -> Result<HealthUrl, String> {
    if text.starts_with("https://") {
        return Err("https is not spoken here; give the plain-HTTP address of `[health] listen` or `[api] listen`".to_string());
    }
    let (rest, port) = match text.strip_prefix("http://") {
        Some(rest) => (rest, 80),
        None => (text, config::DEFAULT_HEALTH_PORT),
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/health"),
    };
    let address = parse_address(authority, port)?;
    Ok(HealthUrl {
        address,
        path: path.to_string(),
    })
}

/// `1`, `0.5`, `500ms`, `2s`: more than zero, at most a minute.
pub fn parse_timeout(text: &str) -> Result<Duration, UsageError> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 1.0)
    };
    let seconds = number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| v * scale)
        .ok_or_else(|| {
            usage(format!(
                "--timeout {text}: expected seconds (1, 0.5) or 500ms, 2s"
            ))
        })?;
    if !(0.001..=60.0).contains(&seconds) {
        return Err(usage(format!("--timeout {text}: between 1ms and 60s")));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A listening address as a client reaches it: the wildcard address is
/// asked on loopback.
fn reachable(address: SocketAddr) -> SocketAddr {
    match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), address.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), address.port())
        }
        _ => address,
    }
}

#[cfg(test)]
mod tests;
