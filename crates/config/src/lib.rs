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
//!
//! Also here: reading the zone statements of BIND's named.conf
//! ([`namedconf`]), so `hadns import` can take a BIND server's zones; and
//! the cluster file ([`cluster`]) that describes the balancing tier, with
//! the keepalived.conf each balancer gets from it ([`keepalived`]).

mod access;
mod catalog;
mod checker;
pub mod cluster;
mod effective;
mod error;
pub mod keepalived;
mod load;
mod match_list;
pub mod namedconf;
mod peers;
mod rrl;
mod server;
mod spec;
pub mod typed;
mod validated;
mod zones;

pub use answer::acl::{MatchElement, MatchRule, parse_match_rule};
pub use error::{ConfigError, UnconfiguredKey};
pub use load::FORMAT_VERSION;
pub use rrl::{MAX_RATE, MAX_WINDOW};
pub use server::{DEFAULT_HEALTH_PORT, DEFAULT_LISTEN, DEFAULT_METRICS_PORT, MAX_NSID};
pub use validated::{
    AclConfig, ApiConfig, CatalogConfig, CatalogConsumerConfig, Config, DnsConfig, HealthConfig,
    KeyConfig, LogConfig, MemberTemplate, MetricsConfig, NodeConfig, NotifyTarget, PeerConfig,
    ReplicationConfig, Role, RrlConfig, SerialPolicy, ViewConfig, WrittenKeys, ZoneConfig,
    ZoneDefaults,
};

#[cfg(test)]
mod tests;
