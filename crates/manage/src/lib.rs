//! The primary's writer over the store: every change to a zone kept in the
//! store — from the REST API, the web UI, RFC 2136 UPDATE or `hadns
//! import` — goes commit → snapshot → journal → publish → NOTIFY here, one
//! at a time, in every view's lane it reaches. Also the TSIG keys made at
//! run time and the first start's seeding. No HTTP: the web crate calls
//! the [`Manager`]; the node reaches it through the hooks it implements.
//!
//! | module | concern |
//! |---|---|
//! | `manager` | the [`Manager`]: store zones in lanes, writes, UPDATE, sync, start |
//! | `catalog` | the catalog zone (RFC 9432) produced from the store's zone list |
//! | `keys` | TSIG keys made through the API, merged with the configuration's and published |
//! | `bootstrap` | the example zone of the embedded default; the first user and token |
//! | `hooks` | the [`Manager`] as the node's update sink and control hooks |
//! | `settings` | a store zone's settings page checked (SOA, own rules) and merged with the configuration's |

/// The store's file inside the data directory.
pub const STORE_FILE: &str = "hadns.db";

pub mod bootstrap;
pub mod catalog;
pub mod hooks;
pub mod keys;
pub mod manager;
pub mod metrics;
mod rules;
pub mod settings;

pub use catalog::CatalogSetup;

pub use hooks::NodeHooks;
pub use keys::{KeyError, KeyManager};
pub use manager::settings::{SettingsError, SettingsSaved, SettingsView};
pub use manager::{
    Elsewhere, ManageError, ManagedLane, Manager, Rules, ZoneRules, store_zone_policy,
};
pub use metrics::write_latency;
