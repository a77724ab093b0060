//! Checking `[catalog]`: the catalog zone's name, its members' group, and
//! who may transfer, query and be NOTIFYed about it.

use std::collections::HashSet;

use wire::Name;

use crate::checker::Checker;
use crate::error::ConfigError;
use crate::spec;
use crate::validated::{CatalogConfig, ZoneConfig};

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
