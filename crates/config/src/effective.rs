//! The effective settings of a [`Config`] as `(key path, text)` pairs: what
//! `GET /api/v1/servers/localhost/config` shows. Every setting the node
//! acts on is listed with its value after defaults are applied, named by
//! its key path in the file (`dns.listen`, `zone[0].allow_transfer`).
//!
//! Secrets are never listed: a `[[key]]` shows its name and algorithm,
//! not its secret (nor where a `secret_file` is).

use std::net::SocketAddr;
use std::time::Duration;

use answer::acl::{MatchElement, MatchRule};

use crate::load::FORMAT_VERSION;
use crate::validated::{Config, NotifyTarget, Role, RrlConfig, SerialPolicy};

impl Config {
    /// Every effective setting, in file order, without secrets.
    pub fn effective_settings(&self) -> Vec<(String, String)> {
        let mut out = Settings(Vec::new());
        out.push("version", FORMAT_VERSION.to_string());
        out.push("node.name", self.node.name.clone());
        out.push("node.data_dir", self.node.data_dir.display().to_string());
        out.push("node.user", optional(self.node.user.as_deref()));
        out.push("node.group", optional(self.node.group.as_deref()));
        out.push(
            "node.chroot",
            optional(
                self.node
                    .chroot
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .as_deref(),
            ),
        );
        let dns = &self.dns;
        out.push("dns.listen", addresses(&dns.listen));
        out.push("dns.version", optional(dns.version.as_deref()));
        out.push("dns.identity", optional(dns.identity.as_deref()));
        out.push(
            "dns.nsid",
            optional(dns.nsid.as_deref().map(String::from_utf8_lossy).as_deref()),
        );
        out.push("dns.edns_udp_payload", dns.edns_udp_payload.to_string());
        out.push("dns.udp_workers", dns.udp_workers.to_string());
        out.push("dns.tcp_idle_timeout", seconds(dns.tcp_idle_timeout));
        out.push(
            "dns.tcp_max_connections",
            dns.tcp_max_connections.to_string(),
        );
        out.push(
            "dns.tcp_max_connections_per_client",
            dns.tcp_max_connections_per_client.to_string(),
        );
        out.push("dns.builtin_zones", dns.builtin_zones.to_string());
        out.push(
            "api.listen",
            self.api
                .listen
                .map_or_else(|| "none".to_string(), |a| a.to_string()),
        );
        out.push("api.cors_origins", self.api.cors_origins.join(", "));
        out.push(
            "api.requests_per_second",
            self.api.requests_per_second.to_string(),
        );
        out.push(
            "health.listen",
            self.health
                .listen
                .map_or_else(|| "none".to_string(), |a| a.to_string()),
        );
        out.push(
            "metrics.listen",
            self.metrics
                .listen
                .map_or_else(|| "none".to_string(), |a| a.to_string()),
        );
        rrl(&mut out, "rrl", &self.rrl);
        for (i, key) in self.keys.iter().enumerate() {
            // The name and algorithm only: the secret stays out.
            out.push(&format!("key[{i}].name"), key.name.to_string());
            out.push(
                &format!("key[{i}].algorithm"),
                key.algorithm.short_name().to_string(),
            );
        }
        for (i, acl) in self.acls.iter().enumerate() {
            out.push(&format!("acl[{i}].name"), acl.name.clone());
            out.push(&format!("acl[{i}].addresses"), rules(&acl.rules));
        }
        for (i, view) in self.views.iter().enumerate() {
            let at = format!("view[{i}]");
            out.push(&format!("{at}.name"), view.name.clone());
            out.push(&format!("{at}.match_clients"), rules(&view.match_clients));
            out.push(&format!("{at}.match_keys"), names(&view.match_keys));
            out.push(&format!("{at}.match_ecs"), view.match_ecs.to_string());
            out.push(&format!("{at}.ecs_trusted"), rules(&view.ecs_trusted));
            rrl(&mut out, &format!("{at}.rrl"), &view.rrl);
        }
        for (i, zone) in self.zones.iter().enumerate() {
            let at = format!("zone[{i}]");
            out.push(&format!("{at}.name"), zone.name.to_string());
            out.push(&format!("{at}.view"), optional(zone.view.as_deref()));
            out.push(
                &format!("{at}.role"),
                match zone.role {
                    Role::Primary => "primary",
                    Role::Secondary => "secondary",
                }
                .to_string(),
            );
            out.push(
                &format!("{at}.file"),
                zone.file
                    .as_ref()
                    .map_or_else(|| "none".to_string(), |f| f.display().to_string()),
            );
            out.push(&format!("{at}.notify"), notify_targets(&zone.notify));
            out.push(
                &format!("{at}.notify_key"),
                optional(zone.notify_key.as_ref().map(ToString::to_string).as_deref()),
            );
            out.push(&format!("{at}.notify_ns"), zone.notify_ns.to_string());
            out.push(&format!("{at}.allow_transfer"), rules(&zone.allow_transfer));
            out.push(&format!("{at}.allow_update"), rules(&zone.allow_update));
            if zone.role == Role::Secondary {
                out.push(&format!("{at}.allow_notify"), rules(&zone.allow_notify));
                out.push(&format!("{at}.primaries"), addresses(&zone.primaries));
                out.push(
                    &format!("{at}.primary_key"),
                    optional(
                        zone.primary_key
                            .as_ref()
                            .map(ToString::to_string)
                            .as_deref(),
                    ),
                );
            }
            out.push(
                &format!("{at}.serial_policy"),
                serial_policy(zone.serial_policy),
            );
            if let Some(group) = &zone.catalog_group {
                out.push(&format!("{at}.catalog_group"), group.clone());
            }
        }
        let defaults = &self.zone_defaults;
        out.push("zone_defaults.notify", notify_targets(&defaults.notify));
        out.push(
            "zone_defaults.notify_key",
            optional(
                defaults
                    .notify_key
                    .as_ref()
                    .map(ToString::to_string)
                    .as_deref(),
            ),
        );
        out.push("zone_defaults.notify_ns", defaults.notify_ns.to_string());
        out.push(
            "zone_defaults.allow_transfer",
            rules(&defaults.allow_transfer),
        );
        out.push("zone_defaults.allow_update", rules(&defaults.allow_update));
        out.push(
            "zone_defaults.serial_policy",
            serial_policy(defaults.serial_policy),
        );
        out.push("zone_defaults.nameservers", names(&defaults.nameservers));
        let r = &self.replication;
        out.push("replication.min_refresh", seconds(r.refresh.0));
        out.push("replication.max_refresh", seconds(r.refresh.1));
        out.push("replication.min_retry", seconds(r.retry.0));
        out.push("replication.max_retry", seconds(r.retry.1));
        out.push("replication.min_expire", seconds(r.expire.0));
        out.push("replication.max_expire", seconds(r.expire.1));
        out.push(
            "replication.journal_max_size",
            r.journal_max_size.to_string(),
        );
        out.push(
            "replication.journal_max_entries",
            r.journal_max_entries.to_string(),
        );
        out.push(
            "replication.max_transfers_out",
            r.max_transfers_out.to_string(),
        );
        out.push(
            "replication.max_transfers_out_per_client",
            r.max_transfers_out_per_client.to_string(),
        );
        out.push(
            "replication.max_transfer_records",
            r.max_transfer_records.to_string(),
        );
        out.push(
            "replication.max_transfer_size",
            r.max_transfer_size.to_string(),
        );
        out.push("replication.transfer_timeout", seconds(r.transfer_timeout));
        let c = &self.catalog;
        out.push(
            "catalog.produce",
            optional(c.produce.as_ref().map(ToString::to_string).as_deref()),
        );
        if c.produce.is_some() {
            out.push("catalog.group", optional(c.group.as_deref()));
            out.push("catalog.include_files", c.include_files.to_string());
            out.push("catalog.allow_transfer", rules(&c.allow_transfer));
            out.push("catalog.allow_query", rules(&c.allow_query));
            out.push("catalog.notify", notify_targets(&c.notify));
            out.push(
                "catalog.notify_key",
                optional(c.notify_key.as_ref().map(ToString::to_string).as_deref()),
            );
        }
        for (i, c) in self.catalog_consumers.iter().enumerate() {
            let at = format!("catalog_consumer[{i}]");
            out.push(&format!("{at}.zone"), c.zone.to_string());
            for t in std::iter::once(&c.template).chain(&c.groups) {
                let at = match &t.group {
                    None => at.clone(),
                    Some(g) => format!("{at}.group[{g}]"),
                };
                out.push(&format!("{at}.primaries"), addresses(&t.primaries));
                out.push(
                    &format!("{at}.key"),
                    optional(t.key.as_ref().map(ToString::to_string).as_deref()),
                );
            }
        }
        for (i, p) in self.peers.iter().enumerate() {
            let at = format!("peer[{i}]");
            out.push(&format!("{at}.name"), p.name.clone());
            out.push(&format!("{at}.dns"), p.dns.to_string());
            out.push(&format!("{at}.api"), p.api.to_string());
            // The file's path only: the token itself is a secret.
            out.push(
                &format!("{at}.token_file"),
                p.token_file.display().to_string(),
            );
        }
        out.push("log.queries", self.log.queries.to_string());
        out.push("log.query_file", self.log.query_file.display().to_string());
        out.push("log.max_size", self.log.max_size.to_string());
        out.push("log.keep", self.log.keep.to_string());
        out.push(
            "log.format",
            if self.log.json { "json" } else { "text" }.to_string(),
        );
        out.0
    }
}

/// The list being built.
struct Settings(Vec<(String, String)>);

impl Settings {
    fn push(&mut self, name: &str, value: String) {
        self.0.push((name.to_string(), value));
    }
}

/// The RRL settings under `at` (`rrl`, `view[0].rrl`).
fn rrl(out: &mut Settings, at: &str, rrl: &RrlConfig) {
    out.push(&format!("{at}.enabled"), rrl.enabled.to_string());
    let rates = [
        ("responses_per_second", rrl.responses_per_second),
        ("nodata_per_second", rrl.nodata_per_second),
        ("nxdomains_per_second", rrl.nxdomains_per_second),
        ("referrals_per_second", rrl.referrals_per_second),
        ("errors_per_second", rrl.errors_per_second),
    ];
    for (name, rate) in rates {
        out.push(&format!("{at}.{name}"), rate.to_string());
    }
    out.push(&format!("{at}.slip"), rrl.slip.to_string());
    out.push(&format!("{at}.window"), rrl.window.to_string());
    out.push(
        &format!("{at}.ipv4_prefix_length"),
        rrl.ipv4_prefix_length.to_string(),
    );
    out.push(
        &format!("{at}.ipv6_prefix_length"),
        rrl.ipv6_prefix_length.to_string(),
    );
    out.push(&format!("{at}.exempt_clients"), rules(&rrl.exempt_clients));
    out.push(&format!("{at}.log_only"), rrl.log_only.to_string());
}

/// `none` for an unset value, as the file spells "no value" (`version = "none"`).
fn optional(value: Option<&str>) -> String {
    value.unwrap_or("none").to_string()
}

/// Whole seconds.
fn seconds(duration: Duration) -> String {
    duration.as_secs().to_string()
}

/// Addresses, comma-separated.
fn addresses(list: &[SocketAddr]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// NOTIFY targets as the file spells them (`ADDR` or `ADDR key NAME`),
/// comma-separated.
fn notify_targets(list: &[NotifyTarget]) -> String {
    list.iter()
        .map(|t| match &t.key {
            Some(key) => format!("{} key {key}", t.address),
            None => t.address.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Names, comma-separated.
fn names(list: &[wire::Name]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A match list in the order its elements are tried, as the file spells them.
fn rules(list: &[MatchRule]) -> String {
    list.iter().map(rule_text).collect::<Vec<_>>().join(", ")
}

/// One element of a match list as the file spells it.
pub(crate) fn rule_text(rule: &MatchRule) -> String {
    let element = match &rule.element {
        MatchElement::Prefix(prefix) => prefix.to_string(),
        MatchElement::Key(name) => format!("key {name}"),
        MatchElement::Acl(name) => name.clone(),
        MatchElement::Any => "any".to_string(),
        MatchElement::None => "none".to_string(),
    };
    if rule.negated {
        format!("!{element}")
    } else {
        element
    }
}

/// A serial policy as the file spells it.
fn serial_policy(policy: SerialPolicy) -> String {
    match policy {
        SerialPolicy::Keep => "keep",
        SerialPolicy::Auto => "auto",
        SerialPolicy::Increment => "increment",
        SerialPolicy::Date => "date",
    }
    .to_string()
}
