//! Reading a configuration: the file text through TOML and serde into
//! [`spec::FileSpec`], then every section checked, in file order, into a
//! [`Config`]. The sections are checked in `server.rs`, `access.rs` and
//! `zones.rs`.

use std::path::Path;

use crate::checker::Checker;
use crate::error::ConfigError;
use crate::spec;
use crate::validated::Config;

/// The only format version this build reads.
pub const FORMAT_VERSION: i64 = 1;

impl Default for Config {
    /// The configuration with every default and no zones.
    fn default() -> Config {
        Config::parse("version = 1\n", None)
            .unwrap_or_else(|e| panic!("built-in default config is valid: {e}"))
    }
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = Checker::read(path)?;
        Config::parse(&text, Some(path))
    }

    /// Validates configuration text; `path` is used in errors and to resolve
    /// relative paths.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Config, ConfigError> {
        let checker = Checker::new(text, path);
        let spec: spec::FileSpec = checker.deserialize()?;
        checker.build(spec)
    }
}

impl Checker<'_> {
    /// Checks every section, in file order, and assembles the [`Config`].
    fn build(&self, spec: spec::FileSpec) -> Result<Config, ConfigError> {
        match &spec.version {
            Some(v) if *v.get_ref() == FORMAT_VERSION => {}
            Some(v) => return Err(self.at(v, "version", format!("format version {} is not supported (this build reads version {FORMAT_VERSION})", v.get_ref()))),
            None => return Err(self.error(None, "version", format!("missing; add `version = {FORMAT_VERSION}` at the top"))),
        }

        let node = self.node(&spec)?;
        let dns = self.dns(&spec)?;
        let api = self.api(&spec)?;
        let health = self.health(&spec, &dns, &api)?;
        let metrics = self.metrics(&spec, &dns, &api, &health)?;
        let (keys, key_names) = self.keys(&spec)?;
        let (acls, acl_names) = self.acls(&spec, &key_names)?;
        let rrl = self.rrl(&spec, None, &acl_names, &key_names)?;
        let (views, view_names) = self.views(&spec, &acl_names, &key_names)?;
        let zones = self.zones(&spec, &view_names, &acl_names, &key_names)?;
        let zone_defaults = self.zone_defaults(&spec, &acl_names, &key_names)?;
        let log = self.log(&spec)?;
        let replication = self.replication(&spec)?;
        let catalog = self.catalog(&spec, &zones, &acl_names, &key_names)?;
        let catalog_consumers =
            self.catalog_consumers(&spec, &zones, &catalog, &views, &key_names)?;
        let peers = self.peers(&spec)?;

        Ok(Config {
            source: self.file.clone(),
            node,
            dns,
            api,
            health,
            metrics,
            keys,
            acls,
            views,
            zones,
            log,
            zone_defaults,
            replication,
            catalog,
            catalog_consumers,
            peers,
            rrl,
            unconfigured_keys: self.unconfigured_keys.take(),
        })
    }
}
