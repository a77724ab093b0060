//! Checking `[catalog]`: the catalog zone's name, its members' group, and
//! who may transfer, query and be NOTIFYed about it; and
//! `[[catalog_consumer]]`s: the catalogs this node consumes, with where
//! their members transfer from.

use std::collections::HashSet;

use toml::Spanned;
use wire::Name;

use crate::checker::Checker;
use crate::error::ConfigError;
use crate::spec;
use crate::validated::{
    CatalogConfig, CatalogConsumerConfig, MemberTemplate, ViewConfig, ZoneConfig,
};

/// Longest `group` value: one TXT character-string (RFC 1035 §3.3).
const MAX_GROUP_LEN: usize = 255;

impl Checker<'_> {
    /// A catalog `group` property: one TXT character-string.
    pub(crate) fn catalog_group(
        &self,
        value: &toml::Spanned<String>,
        key: &str,
    ) -> Result<String, ConfigError> {
        let text = value.get_ref();
        if text.is_empty() || text.len() > MAX_GROUP_LEN {
            return Err(self.at(
                value,
                key,
                format!("a group is 1 to {MAX_GROUP_LEN} octets (one TXT string)"),
            ));
        }
        Ok(text.clone())
    }

    /// `[catalog]`.
    pub(crate) fn catalog(
        &self,
        spec: &spec::FileSpec,
        zones: &[ZoneConfig],
        acl_names: &HashSet<String>,
        key_names: &HashSet<Name>,
    ) -> Result<CatalogConfig, ConfigError> {
        let c = &spec.catalog;
        let Some(produce) = &c.produce else {
            // Settings without a catalog would be silently ignored: say so.
            let stray = c
                .group
                .as_ref()
                .map(|g| ("catalog.group", g.span()))
                .or_else(|| {
                    c.allow_transfer
                        .first()
                        .map(|v| ("catalog.allow_transfer", v.span()))
                })
                .or_else(|| {
                    c.allow_query
                        .first()
                        .map(|v| ("catalog.allow_query", v.span()))
                })
                .or_else(|| c.notify.first().map(|v| ("catalog.notify", v.span())))
                .or_else(|| {
                    c.notify_key
                        .as_ref()
                        .map(|v| ("catalog.notify_key", v.span()))
                });
            if let Some((key, span)) = stray {
                return Err(self.error(
                    Some(span),
                    key,
                    "no catalog is produced without `produce = \"catalog.example.\"`",
                ));
            }
            if c.include_files == Some(true) {
                return Err(self.error(
                    None,
                    "catalog.include_files",
                    "no catalog is produced without `produce = \"catalog.example.\"`",
                ));
            }
            return Ok(CatalogConfig::default());
        };
        let apex = self.name(produce, "catalog.produce")?;
        if apex.is_root() {
            return Err(self.at(
                produce,
                "catalog.produce",
                "the catalog cannot be the root zone",
            ));
        }
        if let Some(zone) = zones.iter().find(|z| z.name == apex) {
            return Err(self.at(
                produce,
                "catalog.produce",
                format!(
                    "zone `{apex}` is also a [[zone]] (line {}); the catalog zone is made by hadns, give it a name of its own",
                    zone.line.unwrap_or(0)
                ),
            ));
        }
        let group = match &c.group {
            None => None,
            Some(g) => Some(self.catalog_group(g, "catalog.group")?),
        };
        let notify_key = match &c.notify_key {
            None => None,
            Some(s) => {
                let name = self.name(s, "catalog.notify_key")?;
                if !key_names.contains(&name) {
                    return Err(self.at(
                        s,
                        "catalog.notify_key",
                        format!("no [[key]] named `{name}`"),
                    ));
                }
                Some(name)
            }
        };
        // With nobody allowed to transfer it, no consumer can ever read
        // the catalog (and its SOA is refused to all): a catalog that
        // serves nothing is a mistake, not a choice to accept silently.
        if c.allow_transfer.is_empty() {
            return Err(self.at(
                produce,
                "catalog.allow_transfer",
                "a catalog needs `allow_transfer` (e.g. [\"key xfr\"]): consumers read it only by transfer, and with nobody allowed the catalog reaches no one",
            ));
        }
        Ok(CatalogConfig {
            produce: Some(apex),
            group,
            include_files: c.include_files.unwrap_or(false),
            allow_transfer: self.match_list(
                &c.allow_transfer,
                "catalog.allow_transfer",
                acl_names,
                key_names,
            )?,
            allow_query: self.match_list(
                &c.allow_query,
                "catalog.allow_query",
                acl_names,
                key_names,
            )?,
            // The same element form as a zone's: `ADDR[:PORT] [key NAME]`.
            notify: self.notify_targets(&c.notify, "catalog", key_names)?,
            notify_key,
        })
    }
}

impl Checker<'_> {
    /// `[[catalog_consumer]]`s.
    pub(crate) fn catalog_consumers(
        &self,
        spec: &spec::FileSpec,
        zones: &[ZoneConfig],
        catalog: &CatalogConfig,
        views: &[ViewConfig],
        key_names: &HashSet<Name>,
    ) -> Result<Vec<CatalogConsumerConfig>, ConfigError> {
        let mut out: Vec<CatalogConsumerConfig> = Vec::new();
        for (i, c) in spec.catalog_consumer.iter().enumerate() {
            let line = Some(self.line_of(c.span().start));
            let prefix = format!("catalog_consumer[{i}]");
            if !views.is_empty() {
                // Each view has its own replicator; which view(s) a
                // catalog's members belong to is not decided yet.
                return Err(self.error(
                    Some(c.span()),
                    &prefix,
                    "catalog zones are not consumed on a node with [[view]]s yet",
                ));
            }
            let c = c.get_ref();
            let zone = self.name(&c.zone, &format!("{prefix}.zone"))?;
            if zone.is_root() {
                return Err(self.at(
                    &c.zone,
                    format!("{prefix}.zone"),
                    "the catalog cannot be the root zone",
                ));
            }
            if let Some(z) = zones.iter().find(|z| z.name == zone) {
                return Err(self.at(
                    &c.zone,
                    format!("{prefix}.zone"),
                    format!(
                        "zone `{zone}` is also a [[zone]] (line {}); a consumed catalog is transferred by its [[catalog_consumer]] alone",
                        z.line.unwrap_or(0)
                    ),
                ));
            }
            if catalog.produce.as_ref() == Some(&zone) {
                return Err(self.at(
                    &c.zone,
                    format!("{prefix}.zone"),
                    "this node produces that catalog ([catalog] produce); it cannot consume it too",
                ));
            }
            if let Some(other) = out.iter().find(|o| o.zone == zone) {
                return Err(self.at(
                    &c.zone,
                    format!("{prefix}.zone"),
                    format!(
                        "catalog `{zone}` is consumed twice (also line {})",
                        other.line.unwrap_or(0)
                    ),
                ));
            }
            let template =
                self.member_template(None, &c.primaries, &c.key, None, &prefix, key_names)?;
            if template.primaries.is_empty() {
                return Err(self.error(
                    line.map(|_| c.zone.span()),
                    format!("{prefix}.primaries"),
                    "a consumed catalog needs at least one primary",
                ));
            }
            let mut groups: Vec<MemberTemplate> = Vec::new();
            for (j, g) in c.group.iter().enumerate() {
                let g = g.get_ref();
                let key = format!("{prefix}.group[{j}]");
                let name = self.catalog_group(&g.name, &format!("{key}.name"))?;
                if groups.iter().any(|t| t.group.as_deref() == Some(&name)) {
                    return Err(self.at(
                        &g.name,
                        format!("{key}.name"),
                        format!("group `{name}` is given twice"),
                    ));
                }
                groups.push(self.member_template(
                    Some(name),
                    &g.primaries,
                    &g.key,
                    Some(&template),
                    &key,
                    key_names,
                )?);
            }
            out.push(CatalogConsumerConfig {
                zone,
                template,
                groups,
                line,
            });
        }
        Ok(out)
    }

    /// One member template: its primaries and key, each the default
    /// template's when not given.
    fn member_template(
        &self,
        group: Option<String>,
        primaries: &[Spanned<String>],
        key: &Option<Spanned<String>>,
        default: Option<&MemberTemplate>,
        prefix: &str,
        key_names: &HashSet<Name>,
    ) -> Result<MemberTemplate, ConfigError> {
        let mut addresses = Vec::new();
        for (j, t) in primaries.iter().enumerate() {
            addresses.push(self.socket(t, &format!("{prefix}.primaries[{j}]"), 53)?);
        }
        let key = match key {
            None => None,
            Some(s) => {
                let name = self.name(s, &format!("{prefix}.key"))?;
                if !key_names.contains(&name) {
                    return Err(self.at(
                        s,
                        format!("{prefix}.key"),
                        format!("no [[key]] named `{name}`"),
                    ));
                }
                Some(name)
            }
        };
        Ok(match default {
            Some(d) => MemberTemplate {
                group,
                primaries: if addresses.is_empty() {
                    d.primaries.clone()
                } else {
                    addresses
                },
                key: key.or_else(|| d.key.clone()),
            },
            None => MemberTemplate {
                group,
                primaries: addresses,
                key,
            },
        })
    }
}
