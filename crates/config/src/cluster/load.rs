//! Reading a cluster file: the text through TOML and serde into
//! [`ClusterSpec`], then every section checked into a [`Cluster`]. Every
//! error names the file, the line and the key.

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use wire::{Name, Rtype};

use super::spec::{
    BalancerNodeSpec, BalancerSpec, CheckSpec, ClusterSpec, Number, PrimarySpec, SecondarySpec,
};
use super::{
    Balancer, BalancerNode, Centiseconds, CheckedZones, Cluster, ExpectedAnswer, Primary,
    Secondary, VrrpVersion,
};
use crate::checker::Checker;
use crate::error::ConfigError;
use crate::keepalived;
use crate::load::FORMAT_VERSION;

/// The LVS schedulers keepalived 2.2 names (`lb_algo`).
const LB_ALGORITHMS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

/// The longest interface name Linux takes (IFNAMSIZ less the NUL).
const MAX_INTERFACE_LEN: usize = 15;

/// The longest `auth_pass` VRRPv2 carries (RFC 2338 §5.3.10: 8 octets);
/// keepalived truncates a longer one, with a warning.
const MAX_AUTH_PASS_LEN: usize = 8;

/// The longest line keepalived 2.2 reads whole (`fgets` into 1024 octets,
/// newline included); a longer `misc_path` line would be cut in two.
pub(crate) const MAX_LINE_LEN: usize = 1022;

/// Default seconds between checks of a real server: a dead one leaves the
/// pool within a few seconds (keepalived's own default is 60).
const DEFAULT_DELAY_LOOP: u32 = 3;

/// Default check timeout, per answer waited for.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

impl Cluster {
    /// Reads and validates a cluster file.
    pub fn load(path: &Path) -> Result<Cluster, ConfigError> {
        let text = Checker::read(path)?;
        Cluster::parse(&text, Some(path))
    }

    /// Validates cluster file text; `path` is named in errors.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Cluster, ConfigError> {
        let checker = Checker::new(text, path);
        let spec: ClusterSpec = checker.deserialize()?;
        checker.cluster(spec)
    }
}

impl Checker<'_> {
    /// Checks every section and assembles the [`Cluster`].
    fn cluster(&self, spec: ClusterSpec) -> Result<Cluster, ConfigError> {
        match &spec.version {
            Some(v) if *v.get_ref() == FORMAT_VERSION => {}
            Some(v) => return Err(self.at(v, "version", format!("format version {} is not supported (this build reads version {FORMAT_VERSION})", v.get_ref()))),
            None => return Err(self.error(None, "version", format!("missing; add `version = {FORMAT_VERSION}` at the top"))),
        }
        let Some(balancer_spec) = &spec.balancer else {
            return Err(self.error(
                None,
                "balancer",
                "missing; the file describes one [balancer] with its [[balancer.node]]s",
            ));
        };
        let Some(check_spec) = &spec.check else {
            return Err(self.error(
                None,
                "check",
                "missing; [check] says how keepalived checks each secondary",
            ));
        };
        let primary = spec.primary.as_ref().map(|p| self.primary(p)).transpose()?;
        let secondaries = self.secondaries(&spec.secondary)?;
        let balancer = self.balancer(balancer_spec, &secondaries)?;
        let check = self.check(check_spec, primary.as_ref(), &spec.secondary, &secondaries)?;
        let cluster = Cluster {
            source: self.file.clone(),
            primary,
            secondaries,
            balancer,
            check,
        };
        self.lines_fit(&cluster, check_spec)?;
        Ok(cluster)
    }

    /// `[primary]`.
    fn primary(&self, spec: &Spanned<PrimarySpec>) -> Result<Primary, ConfigError> {
        let p = spec.get_ref();
        Ok(Primary {
            name: p
                .name
                .as_ref()
                .map(|n| self.word(n, "primary.name"))
                .transpose()?,
            address: self.socket(&p.address, "primary.address", 53)?,
        })
    }

    /// `[[secondary]]`s: names and addresses distinct across all of them.
    fn secondaries(&self, specs: &[Spanned<SecondarySpec>]) -> Result<Vec<Secondary>, ConfigError> {
        let mut names = HashSet::new();
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let s = spec.get_ref();
            let key = format!("secondary[{i}]");
            let name = self.word(&s.name, &format!("{key}.name"))?;
            if !names.insert(name.clone()) {
                return Err(self.at(
                    &s.name,
                    format!("{key}.name"),
                    format!("secondary `{name}` is described twice"),
                ));
            }
            if s.addresses.get_ref().is_empty() {
                return Err(self.at(
                    &s.addresses,
                    format!("{key}.addresses"),
                    "empty; give the secondary's own address (IPv4, IPv6 or one of each)",
                ));
            }
            let mut addresses: Vec<IpAddr> = Vec::new();
            for (j, value) in s.addresses.get_ref().iter().enumerate() {
                let akey = format!("{key}.addresses[{j}]");
                let address = self.host_address(value, &akey)?;
                if addresses.iter().any(|a| a.is_ipv4() == address.is_ipv4()) {
                    // Two real servers on one host would double its share.
                    return Err(self.at(
                        value,
                        akey,
                        format!(
                            "a second {} address; a secondary has at most one of each family",
                            family(address)
                        ),
                    ));
                }
                if !seen.insert(address) {
                    return Err(self.at(
                        value,
                        akey,
                        format!("{address} is already another secondary's address"),
                    ));
                }
                addresses.push(address);
            }
            out.push(Secondary {
                name,
                addresses,
                weight: match &s.weight {
                    Some(w) => self.int(w, &format!("{key}.weight"), 0..=65535)?,
                    None => 1,
                },
                health: s
                    .health
                    .as_ref()
                    .map(|h| self.socket(h, &format!("{key}.health"), 8053))
                    .transpose()?,
            });
        }
        Ok(out)
    }

    /// `[balancer]` with its nodes; every VIP must have a real server.
    fn balancer(
        &self,
        spec: &Spanned<BalancerSpec>,
        secondaries: &[Secondary],
    ) -> Result<Balancer, ConfigError> {
        let b = spec.get_ref();
        let interface = self.interface(&b.interface, "balancer.interface")?;
        let virtual_router_id =
            self.int(&b.virtual_router_id, "balancer.virtual_router_id", 1..=255)?;

        if b.vips.get_ref().is_empty() {
            return Err(self.at(
                &b.vips,
                "balancer.vips",
                "empty; give the addresses clients query (IPv4, IPv6 or both)",
            ));
        }
        let mut vips: Vec<IpAddr> = Vec::new();
        for (i, value) in b.vips.get_ref().iter().enumerate() {
            let key = format!("balancer.vips[{i}]");
            let vip = self.host_address(value, &key)?;
            if vips.contains(&vip) {
                return Err(self.at(value, key, format!("VIP {vip} is listed twice")));
            }
            if secondaries.iter().any(|s| s.addresses.contains(&vip)) {
                return Err(self.at(
                    value,
                    key,
                    format!("{vip} is a secondary's own address; a VIP is an address of its own"),
                ));
            }
            if !secondaries
                .iter()
                .any(|s| s.addresses.iter().any(|a| a.is_ipv4() == vip.is_ipv4()))
            {
                return Err(self.at(
                    value,
                    key,
                    format!(
                        "no real servers for VIP {vip}: no [[secondary]] has an {} address",
                        family(vip)
                    ),
                ));
            }
            vips.push(vip);
        }
        let ipv4_instance = vips.iter().any(IpAddr::is_ipv4);

        let advert_int = match &b.advert_int {
            Some(v) => self.centiseconds(v, "balancer.advert_int")?,
            None => Centiseconds(100),
        };
        let whole_seconds = advert_int.0 % 100 == 0;
        let vrrp_version = match &b.vrrp_version {
            Some(v) => match v.get_ref() {
                2 if !whole_seconds => return Err(self.at(v, "balancer.vrrp_version", format!("VRRPv2 advertises in whole seconds; advert_int {advert_int} needs vrrp_version 3"))),
                2 if !ipv4_instance => return Err(self.at(v, "balancer.vrrp_version", "VRRPv2 is IPv4 only and every VIP is IPv6; use vrrp_version 3")),
                2 => VrrpVersion::V2,
                3 => VrrpVersion::V3,
                n => return Err(self.at(v, "balancer.vrrp_version", format!("{n} is not a VRRP version (2 or 3)"))),
            },
            None if whole_seconds && ipv4_instance => VrrpVersion::V2,
            None => VrrpVersion::V3,
        };
        if let Some(v) = &b.advert_int {
            let range = match vrrp_version {
                VrrpVersion::V2 => Centiseconds(100)..=Centiseconds(25500),
                // A 12-bit count of centiseconds (RFC 5798 §5.2.7).
                VrrpVersion::V3 => Centiseconds(1)..=Centiseconds(4095),
            };
            if !range.contains(&advert_int) {
                return Err(self.at(
                    v,
                    "balancer.advert_int",
                    format!(
                        "{advert_int} s is out of range for VRRPv{} ({}..={} s)",
                        if vrrp_version == VrrpVersion::V2 {
                            2
                        } else {
                            3
                        },
                        range.start(),
                        range.end()
                    ),
                ));
            }
        }

        let auth_pass = match &b.auth_pass {
            None => None,
            Some(v) if vrrp_version == VrrpVersion::V3 => {
                return Err(self.at(v, "balancer.auth_pass", "VRRPv3 has no authentication (RFC 5798 §9); drop auth_pass or use VRRPv2 (whole-second advert_int, an IPv4 VIP)"));
            }
            Some(v) => Some(self.auth_pass(v)?),
        };

        let unicast = b.unicast.as_ref().is_some_and(|u| *u.get_ref());
        let nodes = self.balancer_nodes(spec, ipv4_instance, unicast)?;

        let lb_algo = match &b.lb_algo {
            Some(v) if LB_ALGORITHMS.contains(&v.get_ref().as_str()) => v.get_ref().clone(),
            Some(v) => {
                return Err(self.at(
                    v,
                    "balancer.lb_algo",
                    format!(
                        "`{}` is not an LVS scheduler (one of {})",
                        v.get_ref(),
                        LB_ALGORITHMS.join(", ")
                    ),
                ));
            }
            None => "rr".to_string(),
        };
        let delay_loop = match &b.delay_loop {
            Some(v) => self.int(v, "balancer.delay_loop", 1..=3600)?,
            None => DEFAULT_DELAY_LOOP,
        };
        let preempt_delay = match &b.preempt_delay {
            Some(v) => Some(self.int(v, "balancer.preempt_delay", 0..=1000)?),
            None => None,
        };
        let script_user = match &b.script_user {
            Some(v) => self.word(v, "balancer.script_user")?,
            None => "nobody".to_string(),
        };
        Ok(Balancer {
            interface,
            virtual_router_id,
            vips,
            advert_int,
            vrrp_version,
            auth_pass,
            unicast,
            lb_algo,
            delay_loop,
            preempt_delay,
            script_user,
            nodes,
        })
    }

    /// `[[balancer.node]]`s: distinct names, priorities and addresses.
    fn balancer_nodes(
        &self,
        spec: &Spanned<BalancerSpec>,
        ipv4_instance: bool,
        unicast: bool,
    ) -> Result<Vec<BalancerNode>, ConfigError> {
        let specs: &[Spanned<BalancerNodeSpec>] = &spec.get_ref().node;
        if specs.is_empty() {
            return Err(self.at(
                spec,
                "balancer.node",
                "no [[balancer.node]]: name each balancer with its priority",
            ));
        }
        if unicast && specs.len() < 2 {
            return Err(self.at(
                &specs[0],
                "balancer.unicast",
                "unicast VRRP needs a peer: describe at least two [[balancer.node]]s",
            ));
        }
        let mut out: Vec<BalancerNode> = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let n = spec.get_ref();
            let key = format!("balancer.node[{i}]");
            let name = self.word(&n.name, &format!("{key}.name"))?;
            if out.iter().any(|o| o.name == name) {
                return Err(self.at(
                    &n.name,
                    format!("{key}.name"),
                    format!("balancer `{name}` is described twice"),
                ));
            }
            let priority: u8 = self.int(&n.priority, &format!("{key}.priority"), 1..=254)?;
            if let Some(other) = out.iter().find(|o| o.priority == priority) {
                // VRRP breaks a tie by the higher address: which node is
                // master would depend on addressing, not on the file.
                return Err(self.at(
                    &n.priority,
                    format!("{key}.priority"),
                    format!(
                        "priority {priority} is also `{}`'s; give each balancer its own",
                        other.name
                    ),
                ));
            }
            let address = match &n.address {
                Some(value) => {
                    let akey = format!("{key}.address");
                    let address = self.host_address(value, &akey)?;
                    if address.is_ipv4() != ipv4_instance {
                        return Err(self.at(value, akey, format!("{address} is {}, but the VRRP instance is {} (the family of its VIPs)", family(address), if ipv4_instance { "IPv4" } else { "IPv6" })));
                    }
                    if out.iter().any(|o| o.address == Some(address)) {
                        return Err(self.at(value, akey, format!("{address} is another balancer's address")));
                    }
                    Some(address)
                }
                None if unicast => return Err(self.at(&n.name, format!("{key}.address"), format!("missing; with unicast = true each balancer needs its address (`{name}`'s source, the others' peer)"))),
                None => None,
            };
            let interface = n
                .interface
                .as_ref()
                .map(|v| self.interface(v, &format!("{key}.interface")))
                .transpose()?;
            out.push(BalancerNode {
                name,
                priority,
                address,
                interface,
            });
        }
        Ok(out)
    }

    /// `[check]`.
    fn check(
        &self,
        spec: &Spanned<CheckSpec>,
        primary: Option<&Primary>,
        secondary_specs: &[Spanned<SecondarySpec>],
        secondaries: &[Secondary],
    ) -> Result<super::Check, ConfigError> {
        let c = spec.get_ref();
        let program = match &c.program {
            Some(v) => self.absolute_path(v, "check.program")?,
            None => return Err(self.at(
                spec,
                "check.program",
                "missing; the path of the hadns binary on the balancers, e.g. /usr/local/bin/hadns",
            )),
        };
        let zones = match (&c.zones, &c.all_zones_config) {
            (Some(z), Some(_)) => {
                return Err(self.at(z, "check.zones", "give zones or all_zones_config, not both"));
            }
            (_, Some(config)) => CheckedZones::All {
                config: self.absolute_path(config, "check.all_zones_config")?,
            },
            (Some(z), None) => {
                let mut names: Vec<Name> = Vec::new();
                for (i, value) in z.get_ref().iter().enumerate() {
                    let key = format!("check.zones[{i}]");
                    let name = self.name(value, &key)?;
                    if names.contains(&name) {
                        return Err(self.at(value, key, format!("zone {name} is listed twice")));
                    }
                    names.push(name);
                }
                CheckedZones::Listed(names)
            }
            (None, None) => CheckedZones::Listed(Vec::new()),
        };
        let no_zones = zones == CheckedZones::Listed(Vec::new());

        let max_lag = match (&c.max_lag, primary) {
            (Some(v), Some(_)) if no_zones => return Err(self.at(v, "check.max_lag", "compares zone serials, but no zone is checked: set zones or all_zones_config")),
            (Some(v), Some(_)) => Some(self.int(v, "check.max_lag", 0..=i64::from(u32::MAX))?),
            (Some(v), None) => return Err(self.at(v, "check.max_lag", "compares serials with the primary's: add [primary] with its address")),
            (None, Some(_)) => return Err(self.at(spec, "check.max_lag", "missing; [primary] is there for the serial comparison: say how many serials a secondary may be behind")),
            (None, None) => None,
        };

        let max_behind = match &c.max_behind {
            Some(v) => {
                let seconds: u32 = self.int(v, "check.max_behind", 1..=i64::from(u32::MAX))?;
                if let Some((i, s)) = secondaries
                    .iter()
                    .enumerate()
                    .find(|(_, s)| s.health.is_none())
                {
                    return Err(self.at(&secondary_specs[i].get_ref().name, format!("secondary[{i}].health"), format!("missing; check.max_behind reads each secondary's health from its API: give `{}`'s API address", s.name)));
                }
                Some(seconds)
            }
            None => {
                if let Some(i) = secondaries.iter().position(|s| s.health.is_some()) {
                    let h = secondary_specs[i]
                        .get_ref()
                        .health
                        .as_ref()
                        .expect("health is set");
                    return Err(self.at(
                        h,
                        format!("secondary[{i}].health"),
                        "only used with check.max_behind, which is not set",
                    ));
                }
                None
            }
        };

        let query = match (&c.name, &c.rtype, &c.expect) {
            (None, None, None) => None,
            (Some(name), Some(rtype), Some(expect)) => Some(ExpectedAnswer {
                name: self.name(name, "check.name")?,
                rtype: rtype
                    .get_ref()
                    .to_ascii_uppercase()
                    .parse::<Rtype>()
                    .map_err(|_| {
                        self.at(
                            rtype,
                            "check.type",
                            format!("`{}` is not a record type", rtype.get_ref()),
                        )
                    })?,
                expect: self.argument(expect, "check.expect")?,
            }),
            _ => return Err(self.at(
                spec,
                "check.name",
                "name, type and expect go together: the query and the value its answer must hold",
            )),
        };
        if no_zones && query.is_none() {
            return Err(self.at(
                spec,
                "check.zones",
                "the check asks about nothing: set zones, all_zones_config, or name/type/expect",
            ));
        }

        let timeout = match &c.timeout {
            Some(v) => {
                let hundredths = self.centiseconds(v, "check.timeout")?;
                if !(Centiseconds(1)..=Centiseconds(6000)).contains(&hundredths) {
                    return Err(self.at(
                        v,
                        "check.timeout",
                        format!("{hundredths} s is out of range (0.01..=60 s)"),
                    ));
                }
                Duration::from_millis(u64::from(hundredths.0) * 10)
            }
            None => DEFAULT_TIMEOUT,
        };
        // The check may wait once on the secondary, once on the primary or
        // its health, and needs a moment to start: keepalived must not kill
        // it before it can fail by itself.
        let whole_timeout = timeout.as_millis().div_ceil(1000) as u32;
        let misc_timeout = match &c.misc_timeout {
            Some(v) => {
                let seconds: u32 = self.int(v, "check.misc_timeout", 1..=3600)?;
                if u128::from(seconds) * 1000 <= timeout.as_millis() {
                    return Err(self.at(v, "check.misc_timeout", format!("{seconds} s does not exceed the check's own timeout ({} s): keepalived would kill checks that are still waiting", keepalived::seconds(timeout))));
                }
                seconds
            }
            None => 2 * whole_timeout + 1,
        };
        Ok(super::Check {
            program,
            zones,
            max_lag,
            max_behind,
            query,
            timeout,
            misc_timeout,
            retry: match &c.retry {
                Some(v) => self.int(v, "check.retry", 0..=100)?,
                None => 1,
            },
            delay_before_retry: match &c.delay_before_retry {
                Some(v) => self.int(v, "check.delay_before_retry", 0..=3600)?,
                None => 1,
            },
        })
    }

    /// Each `misc_path` line must fit the line keepalived reads.
    fn lines_fit(&self, cluster: &Cluster, check: &Spanned<CheckSpec>) -> Result<(), ConfigError> {
        for secondary in &cluster.secondaries {
            for address in &secondary.addresses {
                let line = keepalived::misc_path_line(
                    cluster,
                    secondary,
                    *address,
                    keepalived::Protocol::Tcp,
                );
                if line.len() > MAX_LINE_LEN {
                    let span = check
                        .get_ref()
                        .zones
                        .as_ref()
                        .map(Spanned::span)
                        .or_else(|| Some(check.span()));
                    return Err(self.error(span, "check.zones", format!("the check command for `{}` is {} characters; keepalived reads lines of at most {MAX_LINE_LEN}: use all_zones_config instead of listing the zones", secondary.name, line.len())));
                }
            }
        }
        Ok(())
    }

    /// An address of a host: no port, no prefix, not a wildcard, multicast
    /// or loopback address.
    fn host_address(&self, value: &Spanned<String>, key: &str) -> Result<IpAddr, ConfigError> {
        let text = value.get_ref();
        let address: IpAddr = text.parse().map_err(|_| {
            self.at(value, key, format!("`{text}` is not an address (expected 192.0.2.53 or 2001:db8::53, without port or prefix length)"))
        })?;
        if address.is_unspecified() || address.is_multicast() || address.is_loopback() {
            return Err(self.at(value, key, format!("{address} is not a host's address")));
        }
        Ok(address)
    }

    /// A name written bare into keepalived.conf (node and user names).
    fn word(&self, value: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let text = value.get_ref();
        let fits = !text.is_empty()
            && !text.starts_with('-')
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !fits {
            return Err(self.at(
                value,
                key,
                format!("`{text}` is not a name (letters, digits, `_`, `.`, `-`)"),
            ));
        }
        Ok(text.clone())
    }

    /// A network interface name.
    fn interface(&self, value: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let text = value.get_ref();
        let fits = !text.is_empty()
            && text.len() <= MAX_INTERFACE_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-@:".contains(&b));
        if !fits {
            return Err(self.at(value, key, format!("`{text}` is not an interface name (at most {MAX_INTERFACE_LEN} letters, digits, `_.-@:`)")));
        }
        Ok(text.clone())
    }

    /// `auth_pass`: one bare word of at most eight characters.
    fn auth_pass(&self, value: &Spanned<String>) -> Result<String, ConfigError> {
        let text = value.get_ref();
        if text.is_empty() || text.len() > MAX_AUTH_PASS_LEN {
            return Err(self.at(
                value,
                "balancer.auth_pass",
                format!(
                    "VRRPv2 carries 1 to {MAX_AUTH_PASS_LEN} characters; this is {}",
                    text.len()
                ),
            ));
        }
        // Quotes, `#`/`!` (comments), `\`, `$` (definitions) and braces
        // mean something to keepalived's parser.
        if let Some(c) = text
            .chars()
            .find(|c| !c.is_ascii_graphic() || "\"'#!\\${}".contains(*c))
        {
            return Err(self.at(value, "balancer.auth_pass", format!("`{}` cannot be written bare in keepalived.conf; use letters, digits and other punctuation", c.escape_default())));
        }
        Ok(text.clone())
    }

    /// An absolute path on the balancers, fit to be a check argument.
    fn absolute_path(&self, value: &Spanned<String>, key: &str) -> Result<PathBuf, ConfigError> {
        let text = self.argument(value, key)?;
        if !text.starts_with('/') {
            // Relative to what? keepalived runs checks from `/`.
            return Err(self.at(
                value,
                key,
                format!("`{text}` is not an absolute path (it names a file on the balancers)"),
            ));
        }
        Ok(PathBuf::from(text))
    }

    /// A value that becomes one argument of the check command: anything but
    /// control characters and `$`.
    fn argument(&self, value: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let text = value.get_ref();
        if text.is_empty() {
            return Err(self.at(value, key, "empty"));
        }
        if text.chars().any(char::is_control) {
            return Err(self.at(
                value,
                key,
                "control characters cannot be written in keepalived.conf",
            ));
        }
        if text.contains('$') {
            // keepalived replaces `$NAME`/`${NAME}` with its definitions
            // (built-in ones such as `${_PWD}` included), even in quotes.
            return Err(self.at(value, key, "`$` cannot be written in keepalived.conf: keepalived substitutes its definitions there"));
        }
        Ok(text.clone())
    }

    /// Seconds with at most two decimals, as centiseconds.
    fn centiseconds(
        &self,
        value: &Spanned<Number>,
        key: &str,
    ) -> Result<Centiseconds, ConfigError> {
        let hundredths = match *value.get_ref() {
            Number::Integer(n) => n.checked_mul(100),
            Number::Float(f) => {
                let h = (f * 100.0).round();
                ((f * 100.0 - h).abs() < 1e-6 && h.is_finite() && h.abs() < 1e12)
                    .then_some(h as i64)
            }
        };
        match hundredths {
            Some(h) if h > 0 && h <= i64::from(u32::MAX) => Ok(Centiseconds(h as u32)),
            Some(_) => Err(self.at(value, key, "must be a positive number of seconds")),
            None => Err(self.at(
                value,
                key,
                "seconds with at most two decimals, e.g. 1 or 0.25",
            )),
        }
    }
}

/// "IPv4" or "IPv6".
fn family(address: IpAddr) -> &'static str {
    if address.is_ipv4() { "IPv4" } else { "IPv6" }
}
