//! Checking `[[zone]]` and `[zone_defaults]`: roles, primaries and NOTIFY
//! targets, the keys they name, serial policies, and who may transfer,
//! NOTIFY and update.

use std::collections::HashSet;

use answer::acl::{MatchElement, MatchRule};
use toml::Spanned;
use wire::Name;

use crate::checker::Checker;
use crate::error::ConfigError;
use crate::spec;
use crate::validated::{NotifyTarget, Role, SerialPolicy, WrittenKeys, ZoneConfig, ZoneDefaults};

impl Checker<'_> {
    /// `[[zone]]`s.
    pub(crate) fn zones(
        &self,
        spec: &spec::FileSpec,
        view_names: &HashSet<String>,
        acl_names: &HashSet<String>,
        key_names: &HashSet<Name>,
    ) -> Result<Vec<ZoneConfig>, ConfigError> {
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
            let notify =
                self.notify_targets(z.notify.as_deref().unwrap_or(&[]), &prefix, key_names)?;
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
                && let Some(first) = z.allow_update.as_deref().and_then(<[_]>::first)
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
            let catalog_group = match &z.catalog_group {
                None => None,
                Some(_) if role == Role::Secondary => {
                    return Err(self.error(
                        z.catalog_group.as_ref().map(|g| g.span()),
                        format!("{prefix}.catalog_group"),
                        "only zones this node is primary for are members of its catalog",
                    ));
                }
                Some(g) => Some(self.catalog_group(g, &format!("{prefix}.catalog_group"))?),
            };
            zones.push(ZoneConfig {
                name,
                view,
                role,
                file: z.file.as_ref().map(|f| self.path(f.get_ref())),
                notify,
                notify_key: key_ref(&z.notify_key, &format!("{prefix}.notify_key"))?,
                notify_ns: z.notify_ns.unwrap_or(false),
                allow_transfer: self.match_list(
                    z.allow_transfer.as_deref().unwrap_or(&[]),
                    &format!("{prefix}.allow_transfer"),
                    acl_names,
                    key_names,
                )?,
                allow_notify: match &z.allow_notify {
                    Some(list) => self.match_list(
                        list,
                        &format!("{prefix}.allow_notify"),
                        acl_names,
                        key_names,
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
                    z.allow_update.as_deref().unwrap_or(&[]),
                    &format!("{prefix}.allow_update"),
                    acl_names,
                    key_names,
                )?,
                primaries,
                primary_key: key_ref(&z.primary_key, &format!("{prefix}.primary_key"))?,
                serial_policy,
                catalog_group,
                written: WrittenKeys {
                    notify: z.notify.is_some(),
                    notify_key: z.notify_key.is_some(),
                    allow_transfer: z.allow_transfer.is_some(),
                    allow_update: z.allow_update.is_some(),
                    serial_policy: z.serial_policy.is_some(),
                    catalog_group: z.catalog_group.is_some(),
                },
                line,
            });
        }
        Ok(zones)
    }

    /// A `notify` list: `"ADDR"` or `"ADDR key NAME"` per element (BIND's
    /// `also-notify { ADDR key NAME; }`), the key a `[[key]]`.
    pub(crate) fn notify_targets(
        &self,
        list: &[Spanned<String>],
        prefix: &str,
        key_names: &HashSet<Name>,
    ) -> Result<Vec<NotifyTarget>, ConfigError> {
        let mut targets = Vec::with_capacity(list.len());
        for (j, element) in list.iter().enumerate() {
            let path = format!("{prefix}.notify[{j}]");
            let words: Vec<&str> = element.get_ref().split_whitespace().collect();
            let (address, key) = match words.as_slice() {
                [address] => (*address, None),
                [address, "key", name] => (*address, Some(*name)),
                _ => {
                    return Err(self.at(
                        element,
                        path,
                        format!(
                            "`{}` is not a NOTIFY target (expected \"192.0.2.2:53\" or \"192.0.2.2:53 key NAME\")",
                            element.get_ref()
                        ),
                    ));
                }
            };
            let address = self.socket(
                &Spanned::new(element.span(), address.to_string()),
                &path,
                53,
            )?;
            let key = match key {
                None => None,
                Some(text) => {
                    let name = self.name(&Spanned::new(element.span(), text.to_string()), &path)?;
                    if !key_names.contains(&name) {
                        return Err(self.at(element, path, format!("no [[key]] named `{name}`")));
                    }
                    Some(name)
                }
            };
            // One key per address: a second element for the same address
            // would silently replace the first one's key in the driver.
            if let Some(k) = targets
                .iter()
                .position(|t: &NotifyTarget| t.address == address)
            {
                return Err(self.at(
                    element,
                    path,
                    format!("{address} is already a target (notify[{k}]); list each address once"),
                ));
            }
            targets.push(NotifyTarget { address, key });
        }
        Ok(targets)
    }

    /// `[zone_defaults]`.
    pub(crate) fn zone_defaults(
        &self,
        spec: &spec::FileSpec,
        acl_names: &HashSet<String>,
        key_names: &HashSet<Name>,
    ) -> Result<ZoneDefaults, ConfigError> {
        let d = &spec.zone_defaults;
        let zone_defaults = ZoneDefaults {
            notify: self.notify_targets(&d.notify, "zone_defaults", key_names)?,
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
                acl_names,
                key_names,
            )?,
            allow_update: self.match_list(
                &d.allow_update,
                "zone_defaults.allow_update",
                acl_names,
                key_names,
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
        Ok(zone_defaults)
    }
}
