//! Checking the server-wide sections: `[node]`, `[dns]`, `[api]`,
//! `[health]`, `[log]` and `[replication]`.

use std::path::PathBuf;
use std::time::Duration;

use toml::Spanned;

use crate::checker::Checker;
use crate::error::ConfigError;
use crate::spec;
use crate::validated::{
    ApiConfig, DnsConfig, HealthConfig, LogConfig, MetricsConfig, NodeConfig, ReplicationConfig,
};

/// Default DNS listen address when none is configured.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:5353";

/// The port of `[health] listen` when only an address is written.
pub const DEFAULT_HEALTH_PORT: u16 = 8054;
/// The port of `[metrics] listen` when only an address is written.
pub const DEFAULT_METRICS_PORT: u16 = 8055;

/// The longest NSID accepted (RFC 5001 sets no limit; answers must carry
/// it beside the other options within 512 octets).
pub const MAX_NSID: usize = 128;

impl Checker<'_> {
    /// `[node]`.
    pub(crate) fn node(&self, spec: &spec::FileSpec) -> Result<NodeConfig, ConfigError> {
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
            user: self.account(spec.node.user.as_ref(), "node.user")?,
            group: self.account(spec.node.group.as_ref(), "node.group")?,
            chroot: None,
        };
        if let (Some(group), None) = (&spec.node.group, &node.user) {
            return Err(self.at(
                group,
                "node.group",
                "needs `node.user`: the group is the one the node switches to with its user",
            ));
        }
        let Some(chroot) = &spec.node.chroot else {
            return Ok(node);
        };
        let dir = PathBuf::from(chroot.get_ref());
        if !dir.is_absolute() || dir.parent().is_none() {
            // Relative to what the configuration's directory is after the
            // chroot would be ambiguous; `/` would be no chroot at all.
            return Err(self.at(
                chroot,
                "node.chroot",
                format!(
                    "`{}` must be an absolute path other than `/` (the directory the node chroots into)",
                    chroot.get_ref()
                ),
            ));
        }
        if node.user.is_none() {
            // A process still running as root can leave a chroot.
            return Err(self.at(
                chroot,
                "node.chroot",
                "needs `node.user`: a node that stays root can leave its chroot",
            ));
        }
        Ok(NodeConfig {
            chroot: Some(dir),
            ..node
        })
    }

    /// A user or group name (`node.user`, `node.group`): what `getpwnam`
    /// and `getgrnam` can look up, checked for shape only (whether it
    /// exists is a fact of the host that runs the node, known at start).
    fn account(
        &self,
        value: Option<&Spanned<String>>,
        key: &str,
    ) -> Result<Option<String>, ConfigError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let name = value.get_ref();
        let valid = !name.is_empty()
            && name.len() <= 32
            && !name.starts_with('-')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid {
            return Err(self.at(
                value,
                key,
                format!(
                    "`{name}` is not a user or group name (1 to 32 of a-z, A-Z, 0-9, `_`, `-`, `.`, not starting with `-`)"
                ),
            ));
        }
        Ok(Some(name.clone()))
    }

    /// `[dns]`.
    pub(crate) fn dns(&self, spec: &spec::FileSpec) -> Result<DnsConfig, ConfigError> {
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
            tcp_max_connections_per_client: match &dns_spec.tcp_max_connections_per_client {
                Some(v) => self.int(v, "dns.tcp_max_connections_per_client", 1..=1_000_000)?,
                None => 32,
            },
            builtin_zones: dns_spec.builtin_zones.unwrap_or(true),
        };
        Ok(dns)
    }

    /// `[api]`.
    pub(crate) fn api(&self, spec: &spec::FileSpec) -> Result<ApiConfig, ConfigError> {
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
            requests_per_second: match &spec.api.requests_per_second {
                Some(v) => self.int(v, "api.requests_per_second", 0..=1_000_000)?,
                None => 0,
            },
        };
        Ok(api)
    }

    /// `[health]`: its address must be free of the API's and the DNS
    /// listeners' (TCP), which would otherwise fail to bind at start.
    pub(crate) fn health(
        &self,
        spec: &spec::FileSpec,
        dns: &DnsConfig,
        api: &ApiConfig,
    ) -> Result<HealthConfig, ConfigError> {
        let Some(value) = &spec.health.listen else {
            return Ok(HealthConfig { listen: None });
        };
        let listen = self.socket(value, "health.listen", DEFAULT_HEALTH_PORT)?;
        if api.listen == Some(listen) {
            return Err(self.at(
                value,
                "health.listen",
                format!("{listen} is also `api.listen`, which serves /health already; omit [health] or give it another address"),
            ));
        }
        if dns.listen.contains(&listen) {
            return Err(self.at(
                value,
                "health.listen",
                format!("{listen} is also in `dns.listen` (DNS over TCP listens there)"),
            ));
        }
        Ok(HealthConfig {
            listen: Some(listen),
        })
    }

    /// `[metrics]`: like `[health]`, an address of its own.
    pub(crate) fn metrics(
        &self,
        spec: &spec::FileSpec,
        dns: &DnsConfig,
        api: &ApiConfig,
        health: &HealthConfig,
    ) -> Result<MetricsConfig, ConfigError> {
        let Some(value) = &spec.metrics.listen else {
            return Ok(MetricsConfig { listen: None });
        };
        let listen = self.socket(value, "metrics.listen", DEFAULT_METRICS_PORT)?;
        let clash = if api.listen == Some(listen) {
            Some(
                "`api.listen`, which serves /metrics already; omit [metrics] or give it another address",
            )
        } else if health.listen == Some(listen) {
            Some("`health.listen`")
        } else if dns.listen.contains(&listen) {
            Some("in `dns.listen` (DNS over TCP listens there)")
        } else {
            None
        };
        if let Some(clash) = clash {
            return Err(self.at(value, "metrics.listen", format!("{listen} is also {clash}")));
        }
        Ok(MetricsConfig {
            listen: Some(listen),
        })
    }

    /// `[log]`.
    pub(crate) fn log(&self, spec: &spec::FileSpec) -> Result<LogConfig, ConfigError> {
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
            json: match &spec.log.format {
                None => false,
                Some(v) => match v.get_ref().as_str() {
                    "text" => false,
                    "json" => true,
                    other => {
                        return Err(self.at(
                            v,
                            "log.format",
                            format!("`{other}` is not a format: use \"text\" or \"json\""),
                        ));
                    }
                },
            },
        };
        Ok(log)
    }

    /// `[replication]`.
    pub(crate) fn replication(
        &self,
        spec: &spec::FileSpec,
    ) -> Result<ReplicationConfig, ConfigError> {
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
            max_transfers_out_per_client: match &r.max_transfers_out_per_client {
                Some(v) => self.int(v, "replication.max_transfers_out_per_client", 1..=10_000)?,
                None => 4,
            },
            max_transfer_records: match &r.max_transfer_records {
                Some(v) => self.int(v, "replication.max_transfer_records", 10..=1_000_000_000)?,
                None => 10_000_000,
            },
            max_transfer_size: match &r.max_transfer_size {
                Some(v) => self.size(v, "replication.max_transfer_size")?,
                None => 1 << 30,
            },
            transfer_timeout: duration_or(
                &r.transfer_timeout,
                "replication.transfer_timeout",
                3600,
            )?,
        };
        Ok(replication)
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
