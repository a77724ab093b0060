//! The zone-level vocabulary of the store: kinds, serial policies, what a
//! zone and its RRsets look like when read back, and what a new zone and
//! a client's records ([`RecordInput`]) are made of.

use std::fmt;
use std::str::FromStr;

use wire::{Name, Rtype, Serial};

use crate::journal::JournalEntry;

/// A zone's role, named as the PowerDNS API names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZoneKind {
    /// Served from the store; replication is left to the operator
    /// (PowerDNS `Native`). hadns treats it like `Master`.
    Native,
    /// A primary zone: changes are journaled and sent to secondaries.
    Master,
    /// A secondary zone (PowerDNS `Slave`).
    Slave,
}

impl ZoneKind {
    /// The name stored in the database and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneKind::Native => "Native",
            ZoneKind::Master => "Master",
            ZoneKind::Slave => "Slave",
        }
    }
}

impl fmt::Display for ZoneKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A zone kind the store does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown zone kind `{0}` (expected Native, Master or Slave)")]
pub struct UnknownZoneKind(pub String);

impl FromStr for ZoneKind {
    type Err = UnknownZoneKind;

    /// Reads `Native`, `Master` or `Slave` in any case, and PowerDNS's newer
    /// spellings `Primary` and `Secondary`.
    fn from_str(s: &str) -> Result<ZoneKind, UnknownZoneKind> {
        match s.to_ascii_lowercase().as_str() {
            "native" => Ok(ZoneKind::Native),
            "master" | "primary" => Ok(ZoneKind::Master),
            "slave" | "secondary" => Ok(ZoneKind::Slave),
            _ => Err(UnknownZoneKind(s.to_string())),
        }
    }
}

/// How the store picks the next SOA serial when a change is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SerialPolicy {
    /// The old serial plus one, in RFC 1982 arithmetic (4294967295 + 1 is 0).
    #[default]
    Increment,
    /// `YYYYMMDDnn` for the day of the change (UTC): the first change of a
    /// day gets `YYYYMMDD01`, later ones the old serial plus one. A serial
    /// already at or beyond `YYYYMMDD01` is only ever incremented, so the
    /// serial never goes back: after `YYYYMMDD99` comes `YYYYMMDD99 + 1`.
    Date,
    /// The Unix time of the change (PowerDNS's `SOA-EDIT-API` `EPOCH`), or
    /// the old serial plus one when that would not be newer (RFC 1982).
    Epoch,
}

impl SerialPolicy {
    /// The name stored in the database: `increment`, `date` or `epoch`.
    pub fn as_str(self) -> &'static str {
        match self {
            SerialPolicy::Increment => "increment",
            SerialPolicy::Date => "date",
            SerialPolicy::Epoch => "epoch",
        }
    }
}

impl fmt::Display for SerialPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A serial policy the store does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown serial policy `{0}` (expected increment, date or epoch)")]
pub struct UnknownSerialPolicy(pub String);

impl FromStr for SerialPolicy {
    type Err = UnknownSerialPolicy;

    /// Reads `increment`, `date` or `epoch`, in any case.
    fn from_str(s: &str) -> Result<SerialPolicy, UnknownSerialPolicy> {
        match s.to_ascii_lowercase().as_str() {
            "increment" => Ok(SerialPolicy::Increment),
            "date" => Ok(SerialPolicy::Date),
            "epoch" => Ok(SerialPolicy::Epoch),
            _ => Err(UnknownSerialPolicy(s.to_string())),
        }
    }
}

/// A zone as listed by [`crate::Store::zones`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneInfo {
    /// The zone's row id in the store: stable while the zone exists (and
    /// across restarts), never given again to a zone created later, even
    /// one with the same name. The catalog's member ids derive from it.
    pub id: i64,
    /// The apex, lower-case.
    pub name: Name,
    /// Its role.
    pub kind: ZoneKind,
    /// The serial of its SOA record.
    pub serial: Serial,
    /// How its serial moves on each change.
    pub serial_policy: SerialPolicy,
    /// How many records are served: enabled records, the SOA included.
    pub records: usize,
    /// Unix time of the last write to the zone's data (a change of
    /// comments or disabled records included).
    pub updated_at: u64,
    /// The newest journal entry, if any.
    pub last_change: Option<JournalEntry>,
    /// Whether its SOA record is disabled: the zone is kept but not served.
    pub soa_disabled: bool,
    /// The PowerDNS settings clients keep on it.
    pub settings: ZoneSettings,
    /// Its own rules (default TTL, NOTIFY, transfer, update, catalog
    /// group), where set.
    pub options: ZoneOptions,
}

/// A zone's own rules, set on its settings page or through the API's
/// `/settings`: each `None` is not set, and then the configuration
/// decides (its `[[zone]]`, else `[zone_defaults]`). A `[[zone]]` that
/// writes a key wins over the value here, which is kept but not used.
///
/// Lists are kept as their elements' text in the configuration's syntax
/// (`192.0.2.0/24`, `key xfr`, `none`; `192.0.2.2:53 key xfr`): the store
/// sits below the configuration's parser, so the writer (`manage`) checks
/// them before they are stored, and reads them again when it applies them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZoneOptions {
    /// TTL pre-filled for new records (the zone file's `$TTL`).
    pub default_ttl: Option<u32>,
    /// NOTIFY targets, `ADDR:PORT` with an optional ` key NAME`; an empty
    /// list sends no NOTIFY (set, unlike `None`).
    pub notify: Option<Vec<String>>,
    /// Key that signs NOTIFYs to targets that name none.
    pub notify_key: Option<Name>,
    /// Who may transfer the zone (a match list).
    pub allow_transfer: Option<Vec<String>>,
    /// Who may update the zone by RFC 2136 (a match list).
    pub allow_update: Option<Vec<String>>,
    /// The zone's `group` property in the produced catalog (RFC 9432
    /// §4.4.2).
    pub catalog_group: Option<String>,
}

/// The PowerDNS zone settings a client sets and reads back, kept as given.
///
/// hadns acts on none of them itself except through the serial policy
/// (`soa_edit_api` `DEFAULT`, `INCREASE` and `EPOCH` choose one when the
/// zone is created or changed through the API): they are stored so that
/// tools which assign zones to accounts (PowerDNS-Admin) or compare what
/// they sent with what they read (Terraform) see their own values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZoneSettings {
    /// PowerDNS `account`: who the zone belongs to (free text).
    pub account: String,
    /// PowerDNS `soa_edit_api`, as given.
    pub soa_edit_api: String,
    /// PowerDNS `soa_edit`, as given (hadns never edits served serials).
    pub soa_edit: String,
    /// PowerDNS `catalog`: the catalog zone it belongs to (RFC 9432), as
    /// given; empty for none.
    pub catalog: String,
    /// PowerDNS `masters`, as given (addresses, with an optional port).
    pub masters: Vec<String>,
    /// PowerDNS `master_tsig_key_ids`, as given.
    pub master_tsig_key_ids: Vec<String>,
    /// PowerDNS `slave_tsig_key_ids`, as given.
    pub slave_tsig_key_ids: Vec<String>,
    /// PowerDNS `api_rectify`, as given.
    pub api_rectify: bool,
    /// PowerDNS `presigned`, as given (hadns serves signatures it is given
    /// either way).
    pub presigned: bool,
}

/// What a zone's settings page reads: its row and apex SOA, never its
/// other RRsets, so reading it costs the same for any size of zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApexSettings {
    /// Its role.
    pub kind: ZoneKind,
    /// How its serial moves.
    pub serial_policy: SerialPolicy,
    /// The apex SOA's TTL; `None` for a secondary (no records here).
    pub soa_ttl: Option<u32>,
    /// The apex SOA's RDATA (uncompressed); empty for a secondary.
    pub soa: Vec<u8>,
    /// Its own rules.
    pub options: ZoneOptions,
}

/// A change to a zone's settings: each `Some` field replaces what is
/// stored, each `None` keeps it. The store merges it into the stored row
/// inside its write transaction, so two changes to different fields never
/// undo each other.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsChange {
    /// The zone's kind; only `Native` and `Master` can be exchanged.
    pub kind: Option<ZoneKind>,
    /// The serial policy, from the next change on.
    pub serial_policy: Option<SerialPolicy>,
    /// PowerDNS `account`.
    pub account: Option<String>,
    /// PowerDNS `soa_edit_api`, as given.
    pub soa_edit_api: Option<String>,
    /// PowerDNS `soa_edit`, as given.
    pub soa_edit: Option<String>,
    /// PowerDNS `catalog`, as given.
    pub catalog: Option<String>,
    /// PowerDNS `masters`, as given.
    pub masters: Option<Vec<String>>,
    /// PowerDNS `master_tsig_key_ids`, as given.
    pub master_tsig_key_ids: Option<Vec<String>>,
    /// PowerDNS `slave_tsig_key_ids`, as given.
    pub slave_tsig_key_ids: Option<Vec<String>>,
    /// PowerDNS `api_rectify`.
    pub api_rectify: Option<bool>,
    /// PowerDNS `presigned`.
    pub presigned: Option<bool>,
    /// The zone's own rules, replaced as a whole.
    pub options: Option<ZoneOptions>,
}

impl SettingsChange {
    /// Whether the change sets nothing.
    pub fn is_empty(&self) -> bool {
        *self == SettingsChange::default()
    }

    /// Writes the PowerDNS settings this change gives over `settings`
    /// (kind and serial policy are columns of their own, not settings).
    pub fn apply_to(&self, settings: &mut ZoneSettings) {
        let text = |given: &Option<String>, target: &mut String| {
            if let Some(value) = given {
                target.clone_from(value);
            }
        };
        text(&self.account, &mut settings.account);
        text(&self.soa_edit_api, &mut settings.soa_edit_api);
        text(&self.soa_edit, &mut settings.soa_edit);
        text(&self.catalog, &mut settings.catalog);
        let list = |given: &Option<Vec<String>>, target: &mut Vec<String>| {
            if let Some(value) = given {
                target.clone_from(value);
            }
        };
        list(&self.masters, &mut settings.masters);
        list(&self.master_tsig_key_ids, &mut settings.master_tsig_key_ids);
        list(&self.slave_tsig_key_ids, &mut settings.slave_tsig_key_ids);
        if let Some(flag) = self.api_rectify {
            settings.api_rectify = flag;
        }
        if let Some(flag) = self.presigned {
            settings.presigned = flag;
        }
    }
}

/// A comment on an RRset, as the PowerDNS API has them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Comment {
    /// The text.
    pub content: String,
    /// Who wrote it (free text).
    pub account: String,
    /// Unix time it was written, as the client gives it.
    pub modified_at: u64,
}

/// One stored record of an RRset.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoredRecord {
    /// Uncompressed wire RDATA.
    pub rdata: Vec<u8>,
    /// The presentation form: the text the user gave, or the form
    /// [`wire::rdata::RdataText`] prints.
    pub content: String,
    /// Kept but not served (PowerDNS `disabled`).
    pub disabled: bool,
}

/// A record given by a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordInput {
    /// Uncompressed wire RDATA.
    pub rdata: Vec<u8>,
    /// The text the client gave; when `None` the store derives it with
    /// [`wire::rdata::RdataText`].
    pub content: Option<String>,
    /// Keep the record without serving it (PowerDNS `disabled`).
    pub disabled: bool,
}

/// One page of a zone's RRsets ([`crate::Store::rrsets_page`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RrsetPage {
    /// The RRsets of the page, in canonical order of their owners (the
    /// SOA first at the apex), with their records; comments are left out.
    pub rrsets: Vec<StoredRrset>,
    /// How many RRsets match in all.
    pub total: usize,
}

/// An RRset as stored, disabled records and comments included.
///
/// An RRset with comments and no records is listed too (PowerDNS keeps
/// comments independently of records); its `ttl` is 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRrset {
    /// Owner name, lower-case.
    pub name: Name,
    /// Type.
    pub rtype: Rtype,
    /// TTL shared by the records (RFC 2181 §5.2).
    pub ttl: u32,
    /// Records, in the order they were given.
    pub records: Vec<StoredRecord>,
    /// Comments, in the order they were given.
    pub comments: Vec<Comment>,
}

/// A zone's base RRsets with one view's own sets beside them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewRrsets {
    /// The zone's apex.
    pub apex: Name,
    /// The base RRsets, as [`crate::Store::rrsets`] lists them.
    pub base: Vec<StoredRrset>,
    /// The view's own sets, by owner and type.
    pub own: Vec<OwnRrset>,
}

/// One RRset a view has of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnRrset {
    /// Owner name, lower-case.
    pub name: Name,
    /// Type.
    pub rtype: Rtype,
    /// What the view has in place of the base's set; `None`: the view hides
    /// the base's set.
    pub set: Option<StoredRrset>,
}

impl ViewRrsets {
    /// The view's own set of (name, type): `Some(None)` hidden,
    /// `Some(Some(_))` replaced, `None` the base's is served.
    pub fn own(&self, name: &Name, rtype: Rtype) -> Option<Option<&StoredRrset>> {
        self.own
            .iter()
            .find(|o| o.name == *name && o.rtype == rtype)
            .map(|o| o.set.as_ref())
    }

    /// What the view serves: the base's sets with the view's own in their
    /// place, hidden ones left out; the SOA first, then by owner and type.
    pub fn merged(&self) -> Vec<StoredRrset> {
        let mut out: Vec<StoredRrset> = self
            .base
            .iter()
            .filter(|set| self.own(&set.name, set.rtype).is_none())
            .cloned()
            .collect();
        out.extend(self.own.iter().filter_map(|o| o.set.clone()));
        let apex = &self.apex;
        out.sort_by(|a, b| {
            let not_soa = |s: &StoredRrset| s.rtype != Rtype::SOA || s.name != *apex;
            not_soa(a)
                .cmp(&not_soa(b))
                .then_with(|| a.name.cmp(&b.name))
                .then(a.rtype.cmp(&b.rtype))
        });
        out
    }
}

/// An RRset of a new zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RrsetInput {
    /// Owner name.
    pub name: Name,
    /// Type.
    pub rtype: Rtype,
    /// TTL of the set.
    pub ttl: u32,
    /// Records.
    pub records: Vec<RecordInput>,
    /// Comments.
    pub comments: Vec<Comment>,
}

/// A zone to create with [`crate::Store::create_zone`].
///
/// Without an SOA RRset one is made:
/// `ns1.ZONE hostmaster.ZONE SERIAL 10800 3600 604800 3600`, TTL 3600, with
/// serial 1 under [`SerialPolicy::Increment`] and `YYYYMMDD01` under
/// [`SerialPolicy::Date`]. No NS set is ever invented: give one in `rrsets`
/// or list the servers in `nameservers` (not both).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewZone {
    /// The apex.
    pub name: Name,
    /// Its role.
    pub kind: ZoneKind,
    /// How its serial moves on each change.
    pub serial_policy: SerialPolicy,
    /// Its RRsets.
    pub rrsets: Vec<RrsetInput>,
    /// Targets of the apex NS set to create, TTL 3600 (PowerDNS
    /// `nameservers`).
    pub nameservers: Vec<Name>,
    /// The serial of the SOA made when `rrsets` hold none (PowerDNS
    /// `serial`); `None` for the policy's first serial.
    pub serial: Option<Serial>,
    /// The PowerDNS settings to keep with it.
    pub settings: ZoneSettings,
}
