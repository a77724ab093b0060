//! Between the API's shapes and the store's: requests become change sets
//! and new zones, stored RRsets and journal entries become responses.
//!
//! Names in requests must be absolute, as PowerDNS requires (`www.example.com.`,
//! not `www.example.com`), and names inside record content are read as
//! absolute whether or not they end in a dot (PowerDNS reads them so).
//! Each record is parsed here; an error names the RRset and the record.
//! The rules about the zone as a whole (CNAME exclusivity, the SOA, the
//! apex NS set, names inside the zone) are the store's, checked in the
//! same transaction that writes.

use std::collections::{BTreeMap, HashSet};

use store::{
    ChangeSet, JournalChange, JournalEntry, NewZone, RecordInput, RrsetInput, RrsetOp,
    SerialPolicy, SettingsChange, StoredRrset, ZoneKind, ZoneSettings,
};
use wire::rdata::RdataText;
use wire::{Name, Record, Rtype, Serial};

use crate::error::ApiError;
use crate::own::{ChangeDiff, ChangedRecord, HistoryEntry};
use crate::pdns::{self, RrsetChange, ZoneCreate};

/// The URL path of the zones collection.
pub const ZONES_PATH: &str = "/api/v1/servers/localhost/zones";

/// A zone's id in URLs: its name, with every character outside
/// `A-Za-z0-9.-_` written `=XX` (upper-case hex), as PowerDNS writes ids;
/// the root zone is `=2E` (a path segment `.` would be dropped by clients).
pub fn zone_id(name: &Name) -> String {
    if name.is_root() {
        return "=2E".to_string();
    }
    let text = name.to_string();
    let mut id = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_') {
            id.push(char::from(byte));
        } else {
            id.push_str(&format!("={byte:02X}"));
        }
    }
    id
}

/// A zone's URL.
pub fn zone_url(name: &Name) -> String {
    format!("{ZONES_PATH}/{}", zone_id(name))
}

/// The zone a URL id names: `=XX` escapes decoded, with or without the
/// final dot, in any case; lower-cased.
pub fn parse_zone_id(id: &str) -> Result<Name, ApiError> {
    let text = unescape_id(id, "zone")?;
    let name = Name::from_text(&text, Some(&Name::root()))
        .map_err(|e| ApiError::NotFound(format!("Could not find domain '{text}': {e}")))?;
    Ok(name.to_lowercase())
}

/// The text of a PowerDNS object id in a URL (`what` names the object for
/// messages): `=XX` escapes decoded; a bad escape or non-UTF-8 is a 400.
pub fn unescape_id(id: &str, what: &str) -> Result<String, ApiError> {
    let bytes = id.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "{what} id `{id}` has a bad `=XX` escape at position {i}"
                    ))
                })?;
            decoded.push(hex);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded)
        .map_err(|_| ApiError::BadRequest(format!("{what} id `{id}` is not UTF-8")))
}

/// An absolute name from a request: it must end with a dot (PowerDNS calls
/// names without it "not canonical").
pub fn parse_absolute(text: &str) -> Result<Name, String> {
    let before_dot = text.strip_suffix('.').unwrap_or_default();
    let escapes = before_dot.bytes().rev().take_while(|&b| b == b'\\').count();
    if !text.ends_with('.') || escapes % 2 == 1 {
        return Err(format!(
            "DNS Name '{text}' is not canonical: names must be absolute, ending with a dot"
        ));
    }
    Name::from_text(text, None).map_err(|e| format!("Unable to parse DNS Name '{text}': {e}"))
}

/// A record type from its mnemonic or `TYPEnnn`, in any case.
pub fn parse_rtype(text: &str) -> Result<Rtype, String> {
    text.parse::<Rtype>().map_err(|e| e.to_string())
}

/// RDATA in canonical presentation form.
pub fn content_text(rtype: Rtype, rdata: &[u8]) -> String {
    RdataText { rtype, rdata }.to_string()
}

/// `RRset NAME IN TYPE`, how messages name a set.
fn describe(name: &str, rtype: &str) -> String {
    format!("RRset {name} IN {rtype}")
}

/// The owner and type of a requested RRset.
fn key_of(change: &RrsetChange) -> Result<(Name, Rtype), ApiError> {
    let name = parse_absolute(&change.name).map_err(ApiError::Unprocessable)?;
    let rtype = parse_rtype(&change.rtype).map_err(|e| {
        ApiError::Unprocessable(format!("{}: {e}", describe(&change.name, &change.rtype)))
    })?;
    Ok((name, rtype))
}

/// One requested record, parsed.
fn record_input(name: &Name, rtype: Rtype, record: &pdns::Record) -> Result<RecordInput, ApiError> {
    let rdata = zonefile::parse_rdata(rtype, &record.content, &Name::root()).map_err(|e| {
        ApiError::Unprocessable(format!(
            "RRset {name} IN {rtype}: record `{}` is not valid {rtype} data: {e}",
            record.content
        ))
    })?;
    Ok(RecordInput {
        rdata,
        // The store prints the canonical form itself.
        content: None,
        disabled: record.disabled,
    })
}

/// Every requested record of a set, parsed.
fn record_inputs(
    name: &Name,
    rtype: Rtype,
    records: &[pdns::Record],
) -> Result<Vec<RecordInput>, ApiError> {
    records
        .iter()
        .map(|record| record_input(name, rtype, record))
        .collect()
}

/// Requested comments; a comment without a time gets `now`.
fn comments_in(comments: &[pdns::Comment], now: u64) -> Vec<store::Comment> {
    comments
        .iter()
        .map(|c| store::Comment {
            content: c.content.clone(),
            account: c.account.clone(),
            modified_at: c.modified_at.unwrap_or(now),
        })
        .collect()
}

/// The TTL of a set given with records, which it must have.
fn required_ttl(change: &RrsetChange, name: &Name, rtype: Rtype) -> Result<u32, ApiError> {
    change.ttl.ok_or_else(|| {
        ApiError::Unprocessable(format!(
            "RRset {name} IN {rtype}: `ttl` is required when records are given"
        ))
    })
}

/// What a PATCH `changetype` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ChangeType {
    Replace,
    Delete,
    Extend,
    Prune,
}

fn change_type(change: &RrsetChange, name: &Name, rtype: Rtype) -> Result<ChangeType, ApiError> {
    let Some(text) = change.changetype.as_deref() else {
        return Err(ApiError::Unprocessable(format!(
            "RRset {name} IN {rtype}: `changetype` is required (REPLACE, DELETE, EXTEND or PRUNE)"
        )));
    };
    match text.to_ascii_uppercase().as_str() {
        "REPLACE" => Ok(ChangeType::Replace),
        "DELETE" => Ok(ChangeType::Delete),
        "EXTEND" => Ok(ChangeType::Extend),
        "PRUNE" => Ok(ChangeType::Prune),
        _ => Err(ApiError::Unprocessable(format!(
            "RRset {name} IN {rtype}: changetype '{text}' is not a valid value (REPLACE, DELETE, EXTEND or PRUNE)"
        ))),
    }
}

/// A PATCH body's RRsets → one change set, applied in order as one change.
///
/// As in PowerDNS, an RRset may be the subject of at most one `REPLACE` and
/// one `DELETE` in a request (any number of `EXTEND` and `PRUNE`).
pub fn patch_changes(rrsets: &[RrsetChange], now: u64) -> Result<ChangeSet, ApiError> {
    let mut seen: HashSet<(Name, Rtype, ChangeType)> = HashSet::new();
    let mut changes = Vec::with_capacity(rrsets.len());
    for change in rrsets {
        let (name, rtype) = key_of(change)?;
        let kind = change_type(change, &name, rtype)?;
        if matches!(kind, ChangeType::Replace | ChangeType::Delete)
            && !seen.insert((name.to_lowercase(), rtype, kind))
        {
            return Err(ApiError::Unprocessable(format!(
                "Duplicate RRset {name} IN {rtype} with changetype: {}",
                change.changetype.as_deref().unwrap_or_default()
            )));
        }
        let comments = change.comments.as_deref().map(|c| comments_in(c, now));
        let op = match kind {
            ChangeType::Delete => RrsetOp::Delete,
            ChangeType::Replace => match &change.records {
                Some(records) => RrsetOp::Replace {
                    ttl: if records.is_empty() {
                        change.ttl.unwrap_or(0)
                    } else {
                        required_ttl(change, &name, rtype)?
                    },
                    records: record_inputs(&name, rtype, records)?,
                },
                // Only the comments change.
                None if comments.is_some() => RrsetOp::Extend {
                    ttl: 0,
                    records: Vec::new(),
                },
                None => {
                    return Err(ApiError::Unprocessable(format!(
                        "No change for RRset {name} IN {rtype}: give `records`, `comments` or both"
                    )));
                }
            },
            ChangeType::Extend | ChangeType::Prune => {
                let records = match change.records.as_deref() {
                    Some(records) if !records.is_empty() => records,
                    _ => {
                        return Err(ApiError::Unprocessable(format!(
                            "RRset {name} IN {rtype}: EXTEND and PRUNE need at least one record"
                        )));
                    }
                };
                let records = record_inputs(&name, rtype, records)?;
                if kind == ChangeType::Extend {
                    RrsetOp::Extend {
                        ttl: required_ttl(change, &name, rtype)?,
                        records,
                    }
                } else {
                    RrsetOp::Prune { records }
                }
            }
        };
        changes.push(store::RrsetChange {
            name,
            rtype,
            op,
            comments,
        });
    }
    Ok(ChangeSet { changes })
}

/// A PUT body's RRsets → the change set that makes them the zone's whole
/// content: every other stored set (comment-only sets included) is
/// deleted, every given one replaced, records and comments alike.
pub fn replace_all(
    apex: &Name,
    current: &[StoredRrset],
    rrsets: &[RrsetChange],
    now: u64,
) -> Result<ChangeSet, ApiError> {
    let mut wanted: BTreeMap<(Name, Rtype), &RrsetChange> = BTreeMap::new();
    for change in rrsets {
        let (name, rtype) = key_of(change)?;
        if wanted
            .insert((name.to_lowercase(), rtype), change)
            .is_some()
        {
            return Err(ApiError::Unprocessable(format!(
                "Duplicate RRset {name} IN {rtype}"
            )));
        }
    }
    let apex = apex.to_lowercase();
    let has_soa = wanted
        .get(&(apex.clone(), Rtype::SOA))
        .is_some_and(|c| c.records.as_ref().is_some_and(|r| !r.is_empty()));
    if !has_soa {
        return Err(ApiError::Unprocessable(format!(
            "Must give SOA record for zone {apex} when replacing all RR sets"
        )));
    }
    let mut changes = Vec::new();
    for stored in current {
        let key = (stored.name.to_lowercase(), stored.rtype);
        if !wanted.contains_key(&key) {
            changes.push(store::RrsetChange {
                name: key.0,
                rtype: key.1,
                op: RrsetOp::Delete,
                comments: None,
            });
        }
    }
    for ((name, rtype), change) in wanted {
        let comments = comments_in(change.comments.as_deref().unwrap_or_default(), now);
        match change.records.as_deref() {
            Some(records) => changes.push(store::RrsetChange {
                op: RrsetOp::Replace {
                    ttl: if records.is_empty() {
                        0
                    } else {
                        required_ttl(change, &name, rtype)?
                    },
                    records: record_inputs(&name, rtype, records)?,
                },
                name,
                rtype,
                comments: Some(comments),
            }),
            None => {
                changes.push(store::RrsetChange {
                    name: name.clone(),
                    rtype,
                    op: RrsetOp::Delete,
                    comments: None,
                });
                if !comments.is_empty() {
                    changes.push(store::RrsetChange {
                        name,
                        rtype,
                        op: RrsetOp::Extend {
                            ttl: 0,
                            records: Vec::new(),
                        },
                        comments: Some(comments),
                    });
                }
            }
        }
    }
    Ok(ChangeSet { changes })
}

/// The kind of a zone kept in the store as a primary: `Native` or
/// `Master`. A secondary is created as one (see [`new_secondary`]) and
/// never becomes or stops being one.
pub fn creatable_kind(text: &str) -> Result<ZoneKind, ApiError> {
    match text.parse::<ZoneKind>() {
        Ok(ZoneKind::Slave) => Err(ApiError::Unprocessable(format!(
            "kind {text}: a zone does not become a secondary; delete it and create it again \
             (POST) with kind Slave and its masters"
        ))),
        Ok(kind) => Ok(kind),
        Err(_) => Err(ApiError::Unprocessable(format!(
            "kind '{text}' is not supported: use Native or Master"
        ))),
    }
}

/// A serial policy named in a request.
pub fn serial_policy(text: &str) -> Result<SerialPolicy, ApiError> {
    text.parse::<SerialPolicy>()
        .map_err(|e| ApiError::Unprocessable(format!("serial_policy: {e}")))
}

/// The PowerDNS zone settings a `POST` or `PUT` carries; `None`: not
/// given (a `PUT` keeps what is stored).
#[derive(Clone, Copy, Debug, Default)]
pub struct SettingsRequest<'a> {
    /// `account`.
    pub account: Option<&'a str>,
    /// `soa_edit_api`.
    pub soa_edit_api: Option<&'a str>,
    /// `soa_edit`.
    pub soa_edit: Option<&'a str>,
    /// `catalog`.
    pub catalog: Option<&'a str>,
    /// `masters`.
    pub masters: Option<&'a [String]>,
    /// `master_tsig_key_ids`.
    pub master_tsig_key_ids: Option<&'a [String]>,
    /// `slave_tsig_key_ids`.
    pub slave_tsig_key_ids: Option<&'a [String]>,
    /// `api_rectify`.
    pub api_rectify: Option<bool>,
    /// `presigned`.
    pub presigned: Option<bool>,
    /// `dnssec`: only false is possible.
    pub dnssec: Option<bool>,
    /// `nsec3param`: only empty is possible.
    pub nsec3param: Option<&'a str>,
    /// `nsec3narrow`: only false is possible.
    pub nsec3narrow: Option<bool>,
}

impl<'a> SettingsRequest<'a> {
    /// The settings of a `POST …/zones` body.
    pub fn of_create(create: &'a ZoneCreate) -> SettingsRequest<'a> {
        SettingsRequest {
            account: create.account.as_deref(),
            soa_edit_api: create.soa_edit_api.as_deref(),
            soa_edit: create.soa_edit.as_deref(),
            catalog: create.catalog.as_deref(),
            masters: Some(&create.masters),
            master_tsig_key_ids: create.master_tsig_key_ids.as_deref(),
            slave_tsig_key_ids: create.slave_tsig_key_ids.as_deref(),
            api_rectify: create.api_rectify,
            presigned: create.presigned,
            dnssec: create.dnssec,
            nsec3param: create.nsec3param.as_deref(),
            nsec3narrow: create.nsec3narrow,
        }
    }

    /// The settings of a `PUT …/zones/{zone}` body.
    pub fn of_update(update: &'a pdns::ZoneUpdate) -> SettingsRequest<'a> {
        SettingsRequest {
            account: update.account.as_deref(),
            soa_edit_api: update.soa_edit_api.as_deref(),
            soa_edit: update.soa_edit.as_deref(),
            catalog: update.catalog.as_deref(),
            masters: update.masters.as_deref(),
            master_tsig_key_ids: update.master_tsig_key_ids.as_deref(),
            slave_tsig_key_ids: update.slave_tsig_key_ids.as_deref(),
            api_rectify: update.api_rectify,
            presigned: update.presigned,
            dnssec: update.dnssec,
            nsec3param: update.nsec3param.as_deref(),
            nsec3narrow: update.nsec3narrow,
        }
    }

    /// Whether any setting is given.
    pub fn is_empty(&self) -> bool {
        let SettingsRequest {
            account,
            soa_edit_api,
            soa_edit,
            catalog,
            masters,
            master_tsig_key_ids,
            slave_tsig_key_ids,
            api_rectify,
            presigned,
            dnssec,
            nsec3param,
            nsec3narrow,
        } = self;
        account.is_none()
            && soa_edit_api.is_none()
            && soa_edit.is_none()
            && catalog.is_none()
            && masters.is_none()
            && master_tsig_key_ids.is_none()
            && slave_tsig_key_ids.is_none()
            && api_rectify.is_none()
            && presigned.is_none()
            && dnssec.is_none()
            && nsec3param.is_none()
            && nsec3narrow.is_none()
    }
}

/// The `soa_edit_api` values PowerDNS knows, and the serial policy each
/// chooses (`None`: the zone keeps its policy; hadns always moves the
/// serial on a change, which secondaries need to see it).
const SOA_EDIT_API: [(&str, Option<SerialPolicy>); 7] = [
    ("", None),
    ("DEFAULT", Some(SerialPolicy::Date)),
    ("INCREASE", Some(SerialPolicy::Increment)),
    ("EPOCH", Some(SerialPolicy::Epoch)),
    ("SOA-EDIT", None),
    ("SOA-EDIT-INCREASE", None),
    ("OFF", None),
];

/// The `soa_edit` values PowerDNS knows (used when it signs; stored here).
const SOA_EDIT: [&str; 6] = [
    "",
    "INCREMENT-WEEKS",
    "INCEPTION-EPOCH",
    "INCEPTION-INCREMENT",
    "EPOCH",
    "NONE",
];

/// Checks the settings of a request and writes them over `settings`;
/// returns the serial policy `soa_edit_api` chooses, if it chooses one.
/// Each refusal names the field and the rule.
pub fn apply_settings(
    request: &SettingsRequest<'_>,
    settings: &mut ZoneSettings,
) -> Result<Option<SerialPolicy>, ApiError> {
    let change = settings_change(request)?;
    change.apply_to(settings);
    Ok(change.serial_policy)
}

/// Checks the settings of a request: the change that writes the fields it
/// gives (and no other), its `serial_policy` the one `soa_edit_api`
/// chooses, if it chooses one. The store merges it into the stored row
/// in its own transaction. Each refusal names the field and the rule.
pub fn settings_change(request: &SettingsRequest<'_>) -> Result<SettingsChange, ApiError> {
    let mut change = SettingsChange::default();
    let refuse = |text: String| Err(ApiError::Unprocessable(text));
    if request.dnssec == Some(true) {
        return refuse(
            "dnssec: hadns does not sign zones (it serves pre-signed data as given); send false"
                .to_string(),
        );
    }
    if request.nsec3param.is_some_and(|p| !p.is_empty()) {
        return refuse(
            "nsec3param: hadns does not sign zones, with NSEC3 or otherwise; send an empty string"
                .to_string(),
        );
    }
    if request.nsec3narrow == Some(true) {
        return refuse("nsec3narrow: hadns does not sign zones; send false".to_string());
    }
    if let Some(text) = request.soa_edit_api {
        let Some((_, chosen)) = SOA_EDIT_API
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(text))
        else {
            return refuse(format!(
                "soa_edit_api: '{text}' is not a SOA-EDIT-API kind (DEFAULT, INCREASE, EPOCH, \
                 SOA-EDIT, SOA-EDIT-INCREASE, OFF, or empty)"
            ));
        };
        // Kept as sent (octoDNS sends `default`), so that a client reading
        // it back sees no difference.
        change.soa_edit_api = Some(text.to_string());
        change.serial_policy = *chosen;
    }
    if let Some(text) = request.soa_edit {
        if !SOA_EDIT.iter().any(|k| k.eq_ignore_ascii_case(text)) {
            return refuse(format!(
                "soa_edit: '{text}' is not a SOA-EDIT kind (INCREMENT-WEEKS, INCEPTION-EPOCH, \
                 INCEPTION-INCREMENT, EPOCH, NONE, or empty)"
            ));
        }
        change.soa_edit = Some(text.to_string());
    }
    if let Some(account) = request.account {
        if account.chars().any(char::is_control) {
            return refuse("account: control characters are not allowed".to_string());
        }
        change.account = Some(account.to_string());
    }
    if let Some(catalog) = request.catalog {
        if !catalog.is_empty() {
            Name::from_text(catalog, Some(&Name::root())).map_err(|e| {
                ApiError::Unprocessable(format!("catalog: '{catalog}' is not a zone name: {e}"))
            })?;
        }
        change.catalog = Some(catalog.to_string());
    }
    if let Some(masters) = request.masters {
        for (index, text) in masters.iter().enumerate() {
            let address = text.parse::<std::net::IpAddr>().is_ok()
                || text.parse::<std::net::SocketAddr>().is_ok();
            if !address {
                return refuse(format!(
                    "masters[{index}]: '{text}' is not an IP address (ADDRESS or ADDRESS:PORT, \
                     [IPv6]:PORT)"
                ));
            }
        }
        change.masters = Some(masters.to_vec());
    }
    for (field, given, target) in [
        (
            "master_tsig_key_ids",
            request.master_tsig_key_ids,
            &mut change.master_tsig_key_ids,
        ),
        (
            "slave_tsig_key_ids",
            request.slave_tsig_key_ids,
            &mut change.slave_tsig_key_ids,
        ),
    ] {
        let Some(ids) = given else { continue };
        for (index, id) in ids.iter().enumerate() {
            // Key ids are key names; stored one per line, so none may hold
            // a line break (a name's presentation form never does).
            let valid = !id.is_empty()
                && !id.chars().any(char::is_control)
                && Name::from_text(id, Some(&Name::root())).is_ok();
            if !valid {
                return refuse(format!("{field}[{index}]: '{id}' is not a TSIG key name"));
            }
        }
        *target = Some(ids.to_vec());
    }
    if let Some(flag) = request.api_rectify {
        change.api_rectify = Some(flag);
    }
    if let Some(flag) = request.presigned {
        change.presigned = Some(flag);
    }
    Ok(change)
}

/// Where each RRset of zone-file text was first written, so that a rule
/// the store finds broken can name the line.
#[derive(Clone, Debug, Default)]
pub struct ZoneTextLines(BTreeMap<(Name, Rtype), u32>);

impl ZoneTextLines {
    /// `zone: line N: ` for a refusal about (name, type), if that RRset
    /// came from zone-file text.
    pub fn prefix(&self, name: &Name, rtype: Rtype) -> Option<String> {
        self.0
            .get(&(name.to_lowercase(), rtype))
            .map(|line| format!("zone: line {line}: "))
    }
}

/// Whether a zone-file finding refuses the text as PowerDNS refuses it:
/// data outside the zone and the rules of what may share a name. Missing
/// SOA and NS are not (the SOA is made, the NS set may come from
/// `nameservers`), nor glue and target findings, which PowerDNS accepts.
fn refuses_zone_text(problem: &zonefile::Problem) -> bool {
    use zonefile::Problem as P;
    matches!(
        problem,
        P::OutOfZone { .. }
            | P::MultipleSoa(_)
            | P::SoaNotAtApex { .. }
            | P::MultipleCnames(_)
            | P::MultipleDnames(_)
            | P::CnameAtApex(_)
            | P::CnameAndOtherData { .. }
            | P::DnameAndCname(_)
    )
}

/// A zone-file finding as the API reports it: `zone: line N: problem`.
fn zone_text_error(diagnostic: &zonefile::Diagnostic) -> String {
    match &diagnostic.location {
        Some(location) => format!("zone: line {}: {}", location.line, diagnostic.problem),
        None => format!("zone: {}", diagnostic.problem),
    }
}

/// The most records zone-file text in `POST …/zones` may make: about what
/// the largest JSON body the API reads (16 MiB) can carry as `rrsets`, so
/// `$GENERATE` (65,536 records a line) cannot turn a small body into a
/// million records parsed and written under the store's write lock.
pub const MAX_ZONE_TEXT_RECORDS: usize = 200_000;

/// The RRsets of zone-file text (`zone` in `POST …/zones`), BIND style or
/// AXFR output (its closing SOA repeats the first and is dropped); the
/// first error found names its line.
pub fn zone_text_rrsets(
    apex: &Name,
    text: &str,
) -> Result<(Vec<RrsetInput>, ZoneTextLines), ApiError> {
    let label = std::path::Path::new("zone");
    let parsed =
        zonefile::parse_untrusted_with_limit(text.as_bytes(), apex, label, MAX_ZONE_TEXT_RECORDS)
            .map_err(|errors| {
            let first = errors
                .iter()
                .find(|d| d.is_error())
                .or(errors.first())
                .map_or_else(|| "zone: cannot be read".to_string(), zone_text_error);
            ApiError::Unprocessable(first)
        })?;
    if let Some(refusal) = zonefile::check(&parsed)
        .iter()
        .find(|d| d.is_error() && refuses_zone_text(&d.problem))
    {
        return Err(ApiError::Unprocessable(zone_text_error(refusal)));
    }
    let mut sets: BTreeMap<(Name, Rtype), (u32, Vec<RecordInput>)> = BTreeMap::new();
    let mut lines = BTreeMap::new();
    for sourced in parsed.records {
        let record = sourced.record;
        let key = (record.owner.to_lowercase(), record.rtype);
        lines.entry(key.clone()).or_insert(sourced.location.line);
        let (ttl, records) = sets.entry(key).or_insert((record.ttl, Vec::new()));
        // One TTL per set (RFC 2181 §5.2): the smallest, as imports do.
        *ttl = (*ttl).min(record.ttl);
        records.push(RecordInput {
            rdata: record.rdata,
            content: None,
            disabled: false,
        });
    }
    let rrsets = sets
        .into_iter()
        .map(|((name, rtype), (ttl, records))| RrsetInput {
            name,
            rtype,
            ttl,
            records,
            comments: Vec::new(),
        })
        .collect();
    Ok((rrsets, ZoneTextLines(lines)))
}

/// A POST body → the zone to create, and where its RRsets were written
/// when they came as zone-file text. `default_policy` is the configured
/// serial policy for the zone, used unless the request chooses one
/// (`serial_policy`, else `soa_edit_api`).
pub fn new_zone(
    create: &ZoneCreate,
    default_policy: SerialPolicy,
    now: u64,
) -> Result<(NewZone, ZoneTextLines), ApiError> {
    let name = parse_absolute(&create.name).map_err(ApiError::Unprocessable)?;
    let kind = creatable_kind(&create.kind)?;
    let mut settings = ZoneSettings::default();
    let chosen = apply_settings(&SettingsRequest::of_create(create), &mut settings)?;
    let serial_policy = match &create.serial_policy {
        Some(text) => serial_policy(text)?,
        None => chosen.unwrap_or(default_policy),
    };
    let serial = create.serial.filter(|s| *s != 0).map(Serial);
    if let Some(text) = &create.zone {
        if !create.rrsets.is_empty() {
            return Err(ApiError::Unprocessable(
                "zone: give the records either as zone-file text (`zone`) or as `rrsets`, not both"
                    .to_string(),
            ));
        }
        let (rrsets, lines) = zone_text_rrsets(&name, text)?;
        let nameservers = nameservers(create)?;
        return Ok((
            NewZone {
                name,
                kind,
                serial_policy,
                rrsets,
                nameservers,
                serial,
                settings,
            },
            lines,
        ));
    }
    let mut rrsets = Vec::with_capacity(create.rrsets.len());
    for change in &create.rrsets {
        let (owner, rtype) = key_of(change)?;
        // A DELETE has nothing to delete in a new zone (clients that build
        // a zone from a diff send them).
        if change
            .changetype
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("DELETE"))
        {
            continue;
        }
        let (ttl, records) = match change.records.as_deref() {
            Some(records) if !records.is_empty() => (
                required_ttl(change, &owner, rtype)?,
                record_inputs(&owner, rtype, records)?,
            ),
            _ => (change.ttl.unwrap_or(0), Vec::new()),
        };
        rrsets.push(RrsetInput {
            name: owner,
            rtype,
            ttl,
            records,
            comments: comments_in(change.comments.as_deref().unwrap_or_default(), now),
        });
    }
    let nameservers = nameservers(create)?;
    Ok((
        NewZone {
            name,
            kind,
            serial_policy,
            rrsets,
            nameservers,
            serial,
            settings,
        },
        ZoneTextLines::default(),
    ))
}

/// The `nameservers` of a POST body.
fn nameservers(create: &ZoneCreate) -> Result<Vec<Name>, ApiError> {
    create
        .nameservers
        .iter()
        .enumerate()
        .map(|(index, ns)| {
            parse_absolute(ns)
                .map_err(|e| ApiError::Unprocessable(format!("nameservers[{index}]: {e}")))
        })
        .collect()
}

/// A stored RRset as the API shows it, content in canonical form.
pub fn rrset_out(stored: &StoredRrset) -> pdns::Rrset {
    pdns::Rrset {
        name: stored.name.to_string(),
        rtype: stored.rtype.to_string(),
        ttl: stored.ttl,
        records: stored
            .records
            .iter()
            .map(|r| pdns::Record {
                content: content_text(stored.rtype, &r.rdata),
                disabled: r.disabled,
            })
            .collect(),
        comments: stored
            .comments
            .iter()
            .map(|c| pdns::Comment {
                content: c.content.clone(),
                account: c.account.clone(),
                modified_at: Some(c.modified_at),
            })
            .collect(),
    }
}

/// Served records (a snapshot of a zone kept elsewhere) as RRsets: the SOA
/// first, then by owner and type; each set's TTL is the smallest of its
/// records'.
pub fn rrsets_from_records(
    apex: &Name,
    records: impl IntoIterator<Item = Record>,
) -> Vec<pdns::Rrset> {
    let mut sets: BTreeMap<(bool, Name, Rtype), (u32, Vec<pdns::Record>)> = BTreeMap::new();
    for record in records {
        let not_soa = !(record.rtype == Rtype::SOA && record.owner == *apex);
        let entry = sets
            .entry((not_soa, record.owner.to_lowercase(), record.rtype))
            .or_insert((record.ttl, Vec::new()));
        entry.0 = entry.0.min(record.ttl);
        entry.1.push(pdns::Record {
            content: content_text(record.rtype, &record.rdata),
            disabled: false,
        });
    }
    sets.into_iter()
        .map(|((_, name, rtype), (ttl, records))| pdns::Rrset {
            name: name.to_string(),
            rtype: rtype.to_string(),
            ttl,
            records,
            comments: Vec::new(),
        })
        .collect()
}

/// A journal entry as the API shows it.
pub fn history_entry(entry: &JournalEntry) -> HistoryEntry {
    HistoryEntry {
        serial_from: entry.serial_from.0,
        serial_to: entry.serial_to.0,
        author: entry.author.clone(),
        source: entry.source.as_str().to_string(),
        changed_at: entry.changed_at,
        comment: entry.comment.clone(),
        removed_count: entry.removed_count,
        added_count: entry.added_count,
        view: entry.view.clone(),
    }
}

/// Records of a difference as the API shows them.
pub fn changed_records(records: &[Record]) -> Vec<ChangedRecord> {
    records
        .iter()
        .map(|r| ChangedRecord {
            name: r.owner.to_string(),
            rtype: r.rtype.to_string(),
            ttl: r.ttl,
            content: content_text(r.rtype, &r.rdata),
        })
        .collect()
}

/// A journal entry with its records as the API shows it.
pub fn change_diff(change: &JournalChange) -> ChangeDiff {
    ChangeDiff {
        change: history_entry(&change.entry),
        removed: changed_records(&change.removed),
        added: changed_records(&change.added),
    }
}

/// `ADDRESS` when the port is 53, `ADDRESS:PORT` otherwise, as PowerDNS
/// shows a zone's primaries.
pub fn address_text(address: std::net::SocketAddr) -> String {
    if address.port() == 53 {
        address.ip().to_string()
    } else {
        address.to_string()
    }
}

pub mod secondary;

#[cfg(test)]
mod tests;
