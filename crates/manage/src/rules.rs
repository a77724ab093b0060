//! A store zone's rules as the configuration gives them ([`ZoneRules`]),
//! and the configuration's own text of them ([`ConfiguredText`]): what the
//! writer (`crate::manager`) applies and the settings page
//! (`crate::settings`) merges a zone's own settings with. Types only, so
//! that both can use them without using each other.

use std::sync::Arc;

use answer::ZonePolicy;
use replicate::driver::NotifyTarget;
use wire::Name;
use wire::tsig::Key;

/// How a store zone replicates and who may change it: from its
/// `[[zone]]`, or `[zone_defaults]` for zones no `[[zone]]` names.
#[derive(Clone, Debug)]
pub struct ZoneRules {
    /// NOTIFY targets, each with its own key if it names one.
    pub notify: Vec<NotifyTarget>,
    /// Key that signs our NOTIFYs to targets without a key of their own.
    pub notify_key: Option<Arc<Key>>,
    /// Also NOTIFY the zone's NS targets.
    pub notify_ns: bool,
    /// Transfer and update rules.
    pub policy: ZonePolicy,
    /// Serial policy for a zone created through the API.
    pub serial_policy: store::SerialPolicy,
    /// The apex NS set of a zone created through the API without one.
    pub nameservers: Vec<Name>,
    /// The zone's `group` property in the catalog, in place of the
    /// catalog's own (`[[zone]] catalog_group`).
    pub catalog_group: Option<String>,
    /// Which keys the zone's `[[zone]]` writes: those win over the zone's
    /// own settings in the store (none for `[zone_defaults]`).
    pub written: config::WrittenKeys,
    /// The configuration's values as the file spells them, for the
    /// settings page.
    pub configured: ConfiguredText,
}

/// The configuration's value of each setting, as the file spells it: for a
/// zone with a `[[zone]]`, that table's (its defaults where it writes
/// nothing), else `[zone_defaults]`'s. Shown beside a read-only field
/// ("set in hadns.toml") and as the value a field falls back to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfiguredText {
    /// `notify` elements.
    pub notify: Vec<String>,
    /// `notify_key`.
    pub notify_key: Option<String>,
    /// `allow_transfer` elements, in the order they are tried.
    pub allow_transfer: Vec<String>,
    /// `allow_update` elements, in the order they are tried.
    pub allow_update: Vec<String>,
    /// `serial_policy`.
    pub serial_policy: String,
    /// `catalog_group`.
    pub catalog_group: Option<String>,
}
