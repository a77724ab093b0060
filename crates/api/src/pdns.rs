//! The shapes of the PowerDNS Authoritative HTTP API, field for field
//! (names, `type` discriminators, trailing dots), as clients written for
//! PowerDNS read and send them.
//!
//! Requests ignore fields PowerDNS does not define either, as PowerDNS
//! does; external-dns sends `changetype` inside zone creation, where it
//! means nothing but `DELETE`. Responses carry the fields PowerDNS
//! 4.9 sends for the same object, with fixed values where hadns has no
//! such notion (`dnssec: false`, `nsec3param: ""`). Every zone field
//! PowerDNS defines is honoured, stored and returned, or refused with a
//! 422 naming it (docs/api.md lists which).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One API version the server speaks (`GET /api`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiVersion {
    /// The version number.
    #[schema(example = 1)]
    pub version: u32,
    /// Where it lives.
    #[schema(example = "/api/v1")]
    pub url: String,
}

/// What `GET /api/v1` lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiFeatures {
    /// URL template of the servers.
    pub server_url: String,
    /// Optional features (none).
    pub api_features: Vec<String>,
}

/// The server (`GET /api/v1/servers/localhost`). There is one, `localhost`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Server {
    /// Always `Server`.
    #[serde(rename = "type")]
    pub object_type: String,
    /// Always `localhost`.
    pub id: String,
    /// This object's URL.
    pub url: String,
    /// Always `authoritative`.
    pub daemon_type: String,
    /// The PowerDNS version hadns behaves like, then `-hadns.` and hadns's
    /// own version: `4.9.0-hadns.0.1.0`.
    pub version: String,
    /// URL template of the configuration (`GET …/config`, read-only).
    pub config_url: String,
    /// URL template of the zones.
    pub zones_url: String,
    /// The node's name (`[node] name`); a hadns addition.
    pub node_name: String,
}

/// A zone.
///
/// `GET …/zones` lists zones without `rrsets`; `GET …/zones/{zone}` and
/// the answer to `POST …/zones` include them (unless `rrsets=false`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Zone {
    /// Opaque identifier for URLs: the name, with characters outside
    /// `A-Za-z0-9.-_` written `=XX`.
    #[schema(example = "example.com.")]
    pub id: String,
    /// This zone's URL.
    #[schema(example = "/api/v1/servers/localhost/zones/example.com.")]
    pub url: String,
    /// The apex, absolute (trailing dot).
    #[schema(example = "example.com.")]
    pub name: String,
    /// Always `Zone`.
    #[serde(rename = "type")]
    pub object_type: String,
    /// `Native` or `Master` for zones kept in the store (served alike);
    /// `Master` for zones served from a zone file (read-only here);
    /// `Slave` for secondary zones (read-only here).
    #[schema(example = "Master")]
    pub kind: String,
    /// The SOA serial being served (0 when a secondary holds no copy yet).
    pub serial: u32,
    /// The serial of the last NOTIFY sent to the configured targets, 0
    /// before the first.
    pub notified_serial: u32,
    /// The serial seen in answers (hadns never edits it: equals `serial`).
    pub edited_serial: u32,
    /// Primaries of a secondary zone (`ADDRESS` or `ADDRESS:PORT` when the
    /// port is not 53); for a store zone, the `masters` last sent (stored,
    /// not used: store zones are primaries).
    pub masters: Vec<String>,
    /// Always false: hadns does not sign zones.
    pub dnssec: bool,
    /// Who the zone belongs to, as last sent (stored, not used).
    pub account: String,
    /// The catalog zone (RFC 9432) this zone is a member of, as last sent
    /// (stored, not used: hadns does not produce catalog zones yet).
    pub catalog: String,
    /// TSIG key ids for transfers from `masters`, as last sent (stored,
    /// not used).
    #[serde(default)]
    pub master_tsig_key_ids: Vec<String>,
    /// TSIG key ids allowed to transfer the zone, as last sent (stored, not
    /// used: transfer rules come from the configuration).
    #[serde(default)]
    pub slave_tsig_key_ids: Vec<String>,
    /// As last sent (stored, not used: there is no DNSSEC ordering data to
    /// rectify).
    #[serde(default)]
    pub api_rectify: bool,
    /// As last sent (stored; hadns serves the signatures it is given either
    /// way).
    #[serde(default)]
    pub presigned: bool,
    /// Always empty: hadns does not sign zones, with NSEC3 or otherwise.
    #[serde(default)]
    pub nsec3param: String,
    /// Always false.
    #[serde(default)]
    pub nsec3narrow: bool,
    /// Unix time of a secondary's last successful check, 0 otherwise.
    pub last_check: u64,
    /// The RRsets, disabled records and comment-only sets included: the
    /// SOA first, then by owner (canonical order) and type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rrsets: Option<Vec<Rrset>>,
    /// As last sent; `DEFAULT`, `INCREASE` and `EPOCH` chose the zone's
    /// `serial_policy` (`date`, `increment`, `epoch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soa_edit_api: Option<String>,
    /// As last sent (stored, not used: hadns never edits the serial it
    /// serves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soa_edit: Option<String>,
    /// How the serial moves on each change (`increment`, `date` or
    /// `epoch`) for zones kept in the store; a hadns addition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_policy: Option<String>,
}

/// An RRset as the server shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rrset {
    /// Owner name, absolute.
    #[schema(example = "www.example.com.")]
    pub name: String,
    /// Type mnemonic (`TYPEnnn` for types without one).
    #[serde(rename = "type")]
    #[schema(example = "A")]
    pub rtype: String,
    /// TTL of the set (0 for a set that has only comments).
    #[schema(example = 3600)]
    pub ttl: u32,
    /// The records, in the order given when they were written.
    pub records: Vec<Record>,
    /// The comments.
    pub comments: Vec<Comment>,
}

/// One record of an RRset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Record {
    /// RDATA in presentation format; names inside it are absolute.
    /// Responses always carry the canonical form.
    #[schema(example = "192.0.2.1")]
    pub content: String,
    /// Kept but not served.
    #[serde(default)]
    pub disabled: bool,
}

/// A comment on an RRset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Comment {
    /// The text.
    pub content: String,
    /// Who wrote it (free text).
    #[serde(default)]
    pub account: String,
    /// Unix time it was written; the server's time when omitted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole::option_u64"
    )]
    pub modified_at: Option<u64>,
}

/// An RRset in a request: a change in `PATCH`, a set of a new zone in
/// `POST`, a set of the zone's full new content in `PUT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RrsetChange {
    /// Owner name; must be absolute (end with a dot).
    #[schema(example = "www.example.com.")]
    pub name: String,
    /// Type mnemonic or `TYPEnnn`.
    #[serde(rename = "type")]
    #[schema(example = "A")]
    pub rtype: String,
    /// TTL of the set; required whenever `records` are given.
    #[serde(default, deserialize_with = "whole::option_u32")]
    #[schema(example = 3600)]
    pub ttl: Option<u32>,
    /// `REPLACE` (the set becomes `records`; `[]` deletes it), `DELETE`
    /// (the set and its comments), `EXTEND` (add `records`, keeping the
    /// others), `PRUNE` (remove `records`). Required in `PATCH`, ignored
    /// elsewhere (except that `DELETE` sets are skipped when creating a
    /// zone). Any case.
    #[serde(default)]
    #[schema(example = "REPLACE")]
    pub changetype: Option<String>,
    /// The records. Omitted in a `REPLACE`, the records stay and only the
    /// comments change.
    #[serde(default)]
    pub records: Option<Vec<Record>>,
    /// The comments: given, they replace the set's comments; omitted, the
    /// set's comments stay.
    #[serde(default)]
    pub comments: Option<Vec<Comment>>,
}

/// `PATCH …/zones/{zone}`: changes applied all together, as one journal
/// entry and one serial bump, or not at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ZonePatch {
    /// The changes, in order.
    pub rrsets: Vec<RrsetChange>,
    /// Why (stored in the journal); a hadns addition. The `X-Change-Comment`
    /// header does the same for every write.
    #[serde(default)]
    pub comment: Option<String>,
}

/// `POST …/zones`: a new zone.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct ZoneCreate {
    /// The apex; must be absolute (end with a dot).
    #[schema(example = "example.com.")]
    pub name: String,
    /// `Native` or `Master` (also `Primary`). Secondary zones are declared
    /// in the configuration, not created here.
    #[schema(example = "Master")]
    pub kind: String,
    /// Targets of the apex NS set to create (TTL 3600); absolute names.
    /// Give these or an apex NS RRset, not both.
    #[serde(default)]
    pub nameservers: Vec<String>,
    /// The zone's RRsets. Without an SOA one is made:
    /// `ns1.ZONE hostmaster.ZONE SERIAL 10800 3600 604800 3600`.
    #[serde(default)]
    pub rrsets: Vec<RrsetChange>,
    /// The zone's records as zone-file text (BIND, or AXFR output as `dig`
    /// prints it), instead of `rrsets`; `$INCLUDE` is refused.
    #[serde(default)]
    pub zone: Option<String>,
    /// The serial of the SOA made when none is given; 0 or absent for the
    /// policy's first serial.
    #[serde(default, deserialize_with = "whole::option_u32")]
    pub serial: Option<u32>,
    /// Stored and returned; not used (the zone is a primary).
    #[serde(default)]
    pub masters: Vec<String>,
    /// `increment`, `date` (`YYYYMMDDnn`) or `epoch`; defaults to what
    /// `soa_edit_api` says, else the configuration's policy for the zone.
    /// A hadns addition.
    #[serde(default)]
    pub serial_policy: Option<String>,
    /// Why (stored in the journal); a hadns addition.
    #[serde(default)]
    pub comment: Option<String>,
    /// `DEFAULT`, `INCREASE`, `EPOCH` (serial policies `date`, `increment`,
    /// `epoch`), `SOA-EDIT`, `SOA-EDIT-INCREASE`, `OFF` or empty; stored.
    #[serde(default)]
    pub soa_edit_api: Option<String>,
    /// `INCREMENT-WEEKS`, `INCEPTION-EPOCH`, `INCEPTION-INCREMENT`, `EPOCH`,
    /// `NONE` or empty; stored, not used.
    #[serde(default)]
    pub soa_edit: Option<String>,
    /// Must be false or absent: hadns does not sign zones.
    #[serde(default)]
    pub dnssec: Option<bool>,
    /// Must be empty or absent: hadns does not sign zones.
    #[serde(default)]
    pub nsec3param: Option<String>,
    /// Must be false or absent.
    #[serde(default)]
    pub nsec3narrow: Option<bool>,
    /// Stored and returned.
    #[serde(default)]
    pub presigned: Option<bool>,
    /// Stored and returned; not used.
    #[serde(default)]
    pub api_rectify: Option<bool>,
    /// Who the zone belongs to; stored and returned.
    #[serde(default)]
    pub account: Option<String>,
    /// A catalog zone's name, or empty; stored and returned.
    #[serde(default)]
    pub catalog: Option<String>,
    /// TSIG key names; stored and returned.
    #[serde(default)]
    pub master_tsig_key_ids: Option<Vec<String>>,
    /// TSIG key names; stored and returned.
    #[serde(default)]
    pub slave_tsig_key_ids: Option<Vec<String>>,
}

/// `PUT …/zones/{zone}`: zone settings, and optionally the zone's whole new
/// content.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct ZoneUpdate {
    /// `Native` or `Master` (also `Primary`): the two are exchanged
    /// freely; a store zone never becomes a secondary.
    #[serde(default)]
    pub kind: Option<String>,
    /// Stored and returned; not used (the zone is a primary).
    #[serde(default)]
    pub masters: Option<Vec<String>>,
    /// Who the zone belongs to; stored and returned.
    #[serde(default)]
    pub account: Option<String>,
    /// Must be false or absent.
    #[serde(default)]
    pub dnssec: Option<bool>,
    /// Must be empty or absent.
    #[serde(default)]
    pub nsec3param: Option<String>,
    /// Must be false or absent.
    #[serde(default)]
    pub nsec3narrow: Option<bool>,
    /// Stored and returned.
    #[serde(default)]
    pub presigned: Option<bool>,
    /// Stored and returned; not used.
    #[serde(default)]
    pub api_rectify: Option<bool>,
    /// As in `POST`: stored, and `DEFAULT`, `INCREASE`, `EPOCH` set the
    /// serial policy.
    #[serde(default)]
    pub soa_edit_api: Option<String>,
    /// Stored and returned; not used.
    #[serde(default)]
    pub soa_edit: Option<String>,
    /// A catalog zone's name, or empty; stored and returned.
    #[serde(default)]
    pub catalog: Option<String>,
    /// TSIG key names; stored and returned.
    #[serde(default)]
    pub master_tsig_key_ids: Option<Vec<String>>,
    /// TSIG key names; stored and returned.
    #[serde(default)]
    pub slave_tsig_key_ids: Option<Vec<String>>,
    /// `increment`, `date` or `epoch`; a hadns addition.
    #[serde(default)]
    pub serial_policy: Option<String>,
    /// Given, every RRset of the zone is replaced by these (the SOA must be
    /// among them), as one change.
    #[serde(default)]
    pub rrsets: Option<Vec<RrsetChange>>,
    /// Why (stored in the journal); a hadns addition.
    #[serde(default)]
    pub comment: Option<String>,
}

/// The body of `PUT …/notify` and `PUT …/axfr-retrieve` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResultBody {
    /// What was done.
    #[schema(example = "Notification queued")]
    pub result: String,
}

/// One hit of `search-data`.
///
/// Zones carry `name` and `zone_id`; records also `zone`, `type`, `ttl`,
/// `disabled` and `content`; comments `zone`, `type` and `content`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SearchResult {
    /// `zone`, `record` or `comment`.
    pub object_type: String,
    /// The zone's name, or the owner of the record or comment.
    pub name: String,
    /// The zone's id.
    pub zone_id: String,
    /// The zone (records and comments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The type (records and comments).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub rtype: Option<String>,
    /// The TTL (records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// Whether the record is disabled (records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// The record's content or the comment's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// Whole numbers in requests, written as integers or as numbers with a
/// zero fraction (`300.0`, which JSON Schema counts as an integer and some
/// JSON encoders write); anything else is refused with the field named.
pub(crate) mod whole {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer};

    /// A whole number from 0 to `max`.
    fn whole<E: Error>(number: serde_json::Number, max: u64) -> Result<u64, E> {
        if let Some(value) = number.as_u64()
            && value <= max
        {
            return Ok(value);
        }
        if let Some(value) = number.as_f64()
            && value.fract() == 0.0
            && (0.0..=max as f64).contains(&value)
        {
            return Ok(value as u64);
        }
        Err(E::custom(format!(
            "invalid value: {number}, expected a whole number from 0 to {max}"
        )))
    }

    /// An optional `u32`.
    pub(crate) fn option_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        Option::<serde_json::Number>::deserialize(d)?
            .map(|n| whole(n, u64::from(u32::MAX)).map(|v| v as u32))
            .transpose()
    }

    /// An optional `u64`.
    pub(crate) fn option_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Option::<serde_json::Number>::deserialize(d)?
            .map(|n| whole(n, u64::MAX))
            .transpose()
    }

    /// A `u32`.
    pub(crate) fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        whole(serde_json::Number::deserialize(d)?, u64::from(u32::MAX)).map(|v| v as u32)
    }
}

/// A TSIG key (`…/tsigkeys`), as PowerDNS shows it.
///
/// Lists leave `key` empty, as PowerDNS does; a single key, a created one
/// and a changed one show the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TsigKey {
    /// The key's name, without the final dot (as PowerDNS writes it).
    #[schema(example = "xfr-key")]
    pub name: String,
    /// Identifier for URLs: the name with its final dot, characters
    /// outside `A-Za-z0-9.-_` written `=XX`.
    #[schema(example = "xfr-key.")]
    pub id: String,
    /// `hmac-md5`, `hmac-sha1`, `hmac-sha224`, `hmac-sha256`,
    /// `hmac-sha384` or `hmac-sha512`.
    #[schema(example = "hmac-sha256")]
    pub algorithm: String,
    /// The secret, base64; empty in lists.
    #[schema(example = "pjt1Aq3fX2mPBL3NXDDnXBSKc2aeAEl8b2sXGAFfNp0=")]
    pub key: String,
    /// Always `TSIGKey`.
    #[serde(rename = "type")]
    pub object_type: String,
    /// Where the key is kept: `store` (made through the API; can be changed
    /// and deleted) or `config` (a `[[key]]`; read-only here). A hadns
    /// addition.
    #[schema(example = "store")]
    pub source: String,
}

/// The body of `POST …/tsigkeys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TsigKeyCreate {
    /// The key's name (a domain name; the final dot is optional).
    pub name: String,
    /// The HMAC algorithm: `hmac-md5`, `hmac-sha1`, `hmac-sha224`,
    /// `hmac-sha256`, `hmac-sha384` or `hmac-sha512` (wire names such as
    /// `hmac-md5.sig-alg.reg.int` too).
    pub algorithm: String,
    /// The secret, base64. Absent or empty: the server makes a random one
    /// as long as the algorithm's output (32 octets for hmac-sha256).
    #[serde(default)]
    pub key: Option<String>,
}

/// The body of `PUT …/tsigkeys/{id}`: only the fields to change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TsigKeyChange {
    /// A new name: the key is renamed.
    #[serde(default)]
    pub name: Option<String>,
    /// A new algorithm.
    #[serde(default)]
    pub algorithm: Option<String>,
    /// A new secret, base64.
    #[serde(default)]
    pub key: Option<String>,
}

/// One setting of `GET …/config`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConfigSetting {
    /// Always `ConfigSetting`.
    #[serde(rename = "type")]
    pub object_type: String,
    /// The setting, named by its key path in the configuration file
    /// (`dns.listen`, `zone[0].allow_transfer`).
    #[schema(example = "dns.listen")]
    pub name: String,
    /// Its effective value, as text (lists comma-separated).
    #[schema(example = "127.0.0.1:5353")]
    pub value: String,
}

/// One counter of `GET …/statistics`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatisticItem {
    /// Always `StatisticItem`.
    #[serde(rename = "type")]
    pub object_type: String,
    /// The counter's name (`uptime`, `zones`…).
    #[schema(example = "uptime")]
    pub name: String,
    /// Its value, a decimal number as text (as PowerDNS sends it).
    #[schema(example = "3600")]
    pub value: String,
}
