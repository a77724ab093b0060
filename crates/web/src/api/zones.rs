//! The PowerDNS zones endpoints: list, create, read, change (`PATCH`
//! RRsets, `PUT` settings or whole content), delete, export, NOTIFY and
//! retransfer.
//!
//! Zones kept in the store can be changed; zones the configuration serves
//! from a zone file (kind `Master`) or as a secondary (kind `Slave`) are
//! listed and readable, and a write to them is a 422 saying why. A
//! secondary zone can also be created through the API (`POST` with kind
//! `Slave` and its `masters`): its row is kept in the store, its data is
//! the copy transferred from its primaries; it is read and deleted like
//! any zone, and its data is changed on its primary only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use api::convert::{self, address_text, zone_url};
use api::pdns::{self, ZoneCreate, ZonePatch, ZoneUpdate};
use api::{ApiError, ErrorBody};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use store::{AuditAction, ChangeMeta, Source, WriteError, ZoneInfo};
use utoipa::IntoParams;
use wire::{Name, Rtype, Serial};

use super::audit::{ClientAddress, api_event};
use super::error::{Failure, ReadErrors, WriteErrors, blocking};
use super::extract::{JsonBody, Query, Reader, Writer, ZonePath, change_comment};
use super::views::{ViewQuery, known_view};
use crate::state::{AppState, now};
use manage::{Elsewhere, ManageError};

/// Where a zone the API was asked about comes from.
pub(crate) enum Found {
    /// Kept in the store: readable and writable.
    Store(Box<ZoneInfo>),
    /// Served from a zone file: read-only here.
    File(PathBuf),
    /// A secondary zone: its data is read-only here.
    Secondary {
        /// Where it is transferred from.
        primaries: Vec<SocketAddr>,
        /// Its row, for a secondary created through the API (which can be
        /// deleted); `None` for one the configuration declares.
        stored: Option<Box<ZoneInfo>>,
    },
}

impl Found {
    /// Refuses a write to a zone not kept in the store.
    fn writable(&self, zone: &Name) -> Result<&ZoneInfo, Failure> {
        match self {
            Found::Store(info) => Ok(info),
            Found::File(path) => Err(ApiError::Unprocessable(format!(
                "zone {zone} is served from the zone file {} and is read-only through the API; \
                 edit the file and reload, or import it into the store",
                path.display()
            ))
            .into()),
            Found::Secondary { .. } => Err(ApiError::Unprocessable(format!(
                "zone {zone} is a secondary zone, copied from its primaries; change it there"
            ))
            .into()),
        }
    }

    /// Refuses to delete a zone the configuration serves.
    fn deletable(&self, zone: &Name) -> Result<(), Failure> {
        match self {
            Found::Store(_)
            | Found::Secondary {
                stored: Some(_), ..
            } => Ok(()),
            Found::File(_) | Found::Secondary { stored: None, .. } => {
                self.writable(zone).map(|_| ())
            }
        }
    }

    /// A zone the store keeps: a primary, or a secondary created through
    /// the API.
    fn of_store(info: ZoneInfo) -> Found {
        if info.kind == store::ZoneKind::Slave {
            Found::Secondary {
                primaries: info
                    .settings
                    .masters
                    .iter()
                    .filter_map(|text| convert::secondary::primary_address(text))
                    .collect(),
                stored: Some(Box::new(info)),
            }
        } else {
            Found::Store(Box::new(info))
        }
    }
}

/// Finds a zone: configured elsewhere, or in the store; else 404.
pub(crate) async fn find(state: &AppState, zone: &Name) -> Result<Found, Failure> {
    if let Some(elsewhere) = state.manager.elsewhere().get(zone) {
        return Ok(match elsewhere {
            Elsewhere::File(path) => Found::File(path.clone()),
            Elsewhere::Secondary(primaries) => Found::Secondary {
                primaries: primaries.clone(),
                stored: None,
            },
        });
    }
    let store = Arc::clone(state.manager.store());
    let name = zone.clone();
    match blocking(move || Ok(store.zone(&name)?)).await? {
        Some(info) => Ok(Found::of_store(info)),
        None => Err(ApiError::no_such_zone(zone).into()),
    }
}

/// The serial of the newest NOTIFY sent to the zone's configured targets.
fn notified_serial(state: &AppState, zone: &Name) -> u32 {
    let Some(status) = state.manager.replicator_in(zone, None).status(zone) else {
        return 0;
    };
    status
        .notify
        .iter()
        .filter_map(|(_, target)| target.serial)
        .fold(None, |newest: Option<Serial>, serial| match newest {
            Some(newest) if !serial.is_newer_than(newest) => Some(newest),
            _ => Some(serial),
        })
        .map_or(0, |serial| serial.0)
}

/// Unix seconds of a time.
pub(crate) fn unix(time: std::time::SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A zone's object, without RRsets.
pub(crate) fn zone_object(state: &AppState, zone: &Name, found: &Found) -> pdns::Zone {
    let served = || {
        state
            .manager
            .replicator_in(zone, None)
            .current(zone)
            .map_or(0, |snapshot| snapshot.serial().0)
    };
    let no_settings = store::ZoneSettings::default();
    let settings = match found {
        Found::Store(info)
        | Found::Secondary {
            stored: Some(info), ..
        } => &info.settings,
        Found::File(_) | Found::Secondary { stored: None, .. } => &no_settings,
    };
    let (kind, serial, masters, last_check, serial_policy) = match found {
        Found::Store(info) => (
            info.kind.as_str(),
            info.serial.0,
            info.settings.masters.clone(),
            0,
            Some(info.serial_policy.as_str().to_string()),
        ),
        Found::File(_) => ("Master", served(), Vec::new(), 0, None),
        Found::Secondary { primaries, stored } => {
            let last_check = state
                .manager
                .replicator_in(zone, None)
                .status(zone)
                .and_then(|s| s.secondary)
                .and_then(|s| s.last_check)
                .map_or(0, unix);
            let masters = match stored {
                // As given, as PowerDNS returns them.
                Some(info) => info.settings.masters.clone(),
                None => primaries.iter().map(|a| address_text(*a)).collect(),
            };
            ("Slave", served(), masters, last_check, None)
        }
    };
    pdns::Zone {
        id: convert::zone_id(zone),
        url: zone_url(zone),
        name: zone.to_string(),
        object_type: "Zone".to_string(),
        kind: kind.to_string(),
        serial,
        notified_serial: notified_serial(state, zone),
        edited_serial: serial,
        masters,
        dnssec: false,
        account: settings.account.clone(),
        catalog: settings.catalog.clone(),
        master_tsig_key_ids: settings.master_tsig_key_ids.clone(),
        slave_tsig_key_ids: settings.slave_tsig_key_ids.clone(),
        api_rectify: settings.api_rectify,
        presigned: settings.presigned,
        nsec3param: String::new(),
        nsec3narrow: false,
        last_check,
        rrsets: None,
        soa_edit_api: Some(settings.soa_edit_api.clone()),
        soa_edit: Some(settings.soa_edit.clone()),
        serial_policy,
    }
}

/// Which RRsets a zone read returns.
#[derive(Default)]
struct RrsetFilter {
    /// Only sets with this owner.
    name: Option<String>,
    /// Only sets of this type.
    rtype: Option<String>,
    /// Leave disabled records out.
    without_disabled: bool,
}

/// A zone's RRsets, filtered.
async fn load_rrsets(
    state: &AppState,
    zone: &Name,
    found: &Found,
    view: Option<&str>,
    filter: &RrsetFilter,
) -> Result<Vec<pdns::Rrset>, Failure> {
    let mut sets = match found {
        Found::Store(_) => {
            let store = Arc::clone(state.manager.store());
            let name = zone.clone();
            let view = view.map(str::to_string);
            let stored =
                blocking(move || Ok(stored_rrsets(&store, &name, view.as_deref())?)).await?;
            stored.iter().map(convert::rrset_out).collect()
        }
        Found::File(_) | Found::Secondary { .. } => {
            match state.manager.replicator_in(zone, view).current(zone) {
                Some(snapshot) => convert::rrsets_from_records(zone, snapshot.records()),
                None => Vec::new(),
            }
        }
    };
    sets.retain(|set| {
        filter.name.as_ref().is_none_or(|n| *n == set.name)
            && filter.rtype.as_ref().is_none_or(|t| *t == set.rtype)
    });
    if filter.without_disabled {
        for set in &mut sets {
            set.records.retain(|r| !r.disabled);
        }
    }
    Ok(sets)
}

/// A store zone's RRsets: the base's, or what view `view` serves (its own
/// sets in place of the base's).
fn stored_rrsets(
    store: &store::Store,
    zone: &Name,
    view: Option<&str>,
) -> Result<Vec<store::StoredRrset>, store::StoreError> {
    match view {
        None => store.rrsets(zone),
        Some(view) => Ok(store
            .rrsets_in_view(zone, view)?
            .map(|sets| sets.merged())
            .unwrap_or_default()),
    }
}

/// A PowerDNS boolean query parameter: `true` or `false`.
fn flag(name: &str, value: Option<&str>, default: bool) -> Result<bool, Failure> {
    match value {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(ApiError::Unprocessable(format!(
            "'{name}' request parameter value '{other}' is not supported (use true or false)"
        ))
        .into()),
    }
}

/// Parameters of `GET …/zones`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only the zone with this name (an empty list if there is none).
    zone: Option<String>,
    /// Accepted and ignored (there is no DNSSEC data to leave out).
    #[allow(dead_code)]
    dnssec: Option<String>,
}

/// Lists every zone this node serves from the store, from zone files and
/// as a secondary (without RRsets).
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost/zones",
    tag = "zones",
    params(ListQuery),
    responses((status = 200, description = "The zones, by name", body = Vec<pdns::Zone>), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn list_zones(
    caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Vec<pdns::Zone>>, Failure> {
    let only = match &query.zone {
        Some(text) => Some(
            Name::from_text(text, Some(&Name::root()))
                .map_err(|e| ApiError::Unprocessable(format!("zone '{text}': {e}")))?
                .to_lowercase(),
        ),
        None => None,
    };
    let store = Arc::clone(state.manager.store());
    let stored = blocking(move || Ok(store.zones()?)).await?;
    // The configuration wins over a stored secondary of the same name.
    let elsewhere = state.manager.elsewhere();
    let mut found: Vec<(Name, Found)> = stored
        .into_iter()
        .filter(|info| !elsewhere.contains_key(&info.name))
        .map(|info| (info.name.clone(), Found::of_store(info)))
        .collect();
    for (name, elsewhere) in elsewhere.iter() {
        let entry = match elsewhere {
            Elsewhere::File(path) => Found::File(path.clone()),
            Elsewhere::Secondary(primaries) => Found::Secondary {
                primaries: primaries.clone(),
                stored: None,
            },
        };
        found.push((name.clone(), entry));
    }
    found
        .retain(|(name, _)| only.as_ref().is_none_or(|o| o == name) && caller.1.may_see_zone(name));
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(axum::Json(
        found
            .iter()
            .map(|(name, entry)| zone_object(&state, name, entry))
            .collect(),
    ))
}

/// Parameters of `POST …/zones`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CreateQuery {
    /// `false` leaves the RRsets out of the answer.
    rrsets: Option<String>,
}

/// Creates a zone in the store and serves it at once (one journal entry,
/// from serial 0); with kind `Slave` (or `Secondary`), a secondary zone
/// that is transferred from its `masters` at once and kept replicating.
#[utoipa::path(
    post,
    path = "/api/v1/servers/localhost/zones",
    tag = "zones",
    params(CreateQuery),
    request_body = ZoneCreate,
    responses(
        (status = 201, description = "Created; the zone as stored", body = pdns::Zone,
         headers(("Location" = String, description = "The zone's URL"))),
        (status = 409, description = "A zone with this name exists", body = ErrorBody),
        WriteErrors,
    ),
    security(("api_key" = [])),
)]
pub(crate) async fn create_zone(
    writer: Writer,
    client: ClientAddress,
    axum::extract::State(state): axum::extract::State<AppState>,
    Query(query): Query<CreateQuery>,
    headers: HeaderMap,
    JsonBody(create): JsonBody<ZoneCreate>,
) -> Result<Response, Failure> {
    let with_rrsets = flag("rrsets", query.rrsets.as_deref(), true)?;
    if convert::secondary::is_secondary_kind(&create.kind) {
        return create_secondary(&writer, &client, &state, &create, with_rrsets).await;
    }
    let name = convert::parse_absolute(&create.name)
        .map_err(ApiError::Unprocessable)?
        .to_lowercase();
    if let Some(elsewhere) = state.manager.elsewhere().get(&name) {
        let how = elsewhere.describe();
        return Err(ApiError::Conflict(format!(
            "Domain '{name}' already exists: the configuration serves it {how}"
        ))
        .into());
    }
    let rules = state.manager.rules(&name);
    // Zone-file text can take a while to read (up to
    // convert::MAX_ZONE_TEXT_RECORDS records): off the async threads.
    let policy = rules.serial_policy;
    let ((mut new, lines), create) = blocking(move || {
        let converted = convert::new_zone(&create, policy, now())?;
        Ok((converted, create))
    })
    .await?;
    // No NS set given (octoDNS creates zones with `nameservers: []`): the
    // configured default nameservers, if any; without them the store
    // refuses the zone, as a zone without NS records cannot be served.
    let apex_ns_given = new
        .rrsets
        .iter()
        .any(|r| r.rtype == Rtype::NS && r.name == new.name && !r.records.is_empty());
    if new.nameservers.is_empty() && !apex_ns_given {
        if rules.nameservers.is_empty() {
            return Err(ApiError::Unprocessable(format!(
                "{name} NS: the zone apex needs at least one NS record: give an NS RRset or \
                 nameservers, or configure [zone_defaults] nameservers on this node"
            ))
            .into());
        }
        new.nameservers = rules.nameservers.clone();
    }
    let meta = ChangeMeta {
        author: writer.author(),
        source: Source::Api,
        comment: change_comment(&headers, create.comment.as_ref())?,
        now: now(),
    };
    let event = api_event(
        &writer.0,
        &client,
        AuditAction::ZoneCreate,
        &name.to_string(),
    );
    let applied = match state
        .manager
        .audited(event, state.manager.create_zone(new, meta))
        .await
    {
        Ok(applied) => applied,
        // A rule broken by zone-file text names the line of the RRset.
        Err(ManageError::Refused(WriteError::Validation {
            name,
            rtype,
            reason,
        })) => {
            let prefix = lines.prefix(&name, rtype).unwrap_or_default();
            let error = WriteError::Validation {
                name,
                rtype,
                reason,
            };
            return Err(ApiError::Unprocessable(format!("{prefix}{error}")).into());
        }
        Err(error) => return Err(error.into()),
    };
    tracing::info!(zone = %name, author = %writer.author(), serial = applied.to.0, "zone created through the API");
    let found = find(&state, &name).await?;
    let mut zone = zone_object(&state, &name, &found);
    if with_rrsets {
        zone.rrsets =
            Some(load_rrsets(&state, &name, &found, None, &RrsetFilter::default()).await?);
    }
    let mut response = (StatusCode::CREATED, axum::Json(zone)).into_response();
    if let Ok(location) = HeaderValue::from_str(&zone_url(&name)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `POST …/zones` with kind `Slave`: records the secondary zone and starts
/// replicating it; answers 201 with the zone as served so far (its first
/// transfer is under way, so usually without records yet).
async fn create_secondary(
    writer: &Writer,
    client: &ClientAddress,
    state: &AppState,
    create: &ZoneCreate,
    with_rrsets: bool,
) -> Result<Response, Failure> {
    let new = convert::secondary::new_secondary(create)?;
    let name = new.name.to_lowercase();
    let primaries = new.primaries.clone();
    let mut event = api_event(
        &writer.0,
        client,
        AuditAction::ZoneCreate,
        &name.to_string(),
    );
    event.detail = "secondary".to_string();
    state
        .manager
        .audited(event, state.manager.create_secondary(new, now()))
        .await?;
    tracing::info!(zone = %name, author = %writer.author(), primaries = ?primaries, "secondary zone created through the API");
    let found = find(state, &name).await?;
    let mut zone = zone_object(state, &name, &found);
    if with_rrsets {
        zone.rrsets = Some(load_rrsets(state, &name, &found, None, &RrsetFilter::default()).await?);
    }
    let mut response = (StatusCode::CREATED, axum::Json(zone)).into_response();
    if let Ok(location) = HeaderValue::from_str(&zone_url(&name)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Parameters of `GET …/zones/{zone}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ZoneQuery {
    /// `false`: the zone object alone, without the `rrsets` key (nothing
    /// of the zone's data is read). `true` or `false`, else 422.
    rrsets: Option<String>,
    /// Only the RRsets with this owner name: absolute, any case, the final
    /// dot optional; a name without RRsets gives `[]`. Unreadable: 422.
    rrset_name: Option<String>,
    /// Only the RRsets of this type (`A`, `aaaa`, `TYPE65534`); an
    /// unknown type is a 422.
    rrset_type: Option<String>,
    /// `false` leaves disabled records out.
    include_disabled: Option<String>,
    /// A `[[view]]`'s name: that view's copy of a store zone (its serial,
    /// and its own RRsets in place of the base's).
    view: Option<String>,
}

/// The path parameter every zone endpoint takes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Only describes the parameter.
pub(crate) struct ZoneParam {
    /// The zone's id or name, with or without the final dot, any case.
    zone: String,
}

/// A zone with its RRsets (disabled records and comments included). A
/// store zone's base is streamed a chunk at a time from one snapshot, so
/// a zone of millions of records is never held in memory whole; should
/// reading fail midway, the body ends early (truncated JSON), as the status
/// has been sent.
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost/zones/{zone}",
    tag = "zones",
    params(ZoneParam, ZoneQuery),
    responses((status = 200, description = "The zone", body = pdns::Zone), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn get_zone(
    _caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    ZonePath(zone): ZonePath,
    Query(query): Query<ZoneQuery>,
) -> Result<Response, Failure> {
    let with_rrsets = flag("rrsets", query.rrsets.as_deref(), true)?;
    let include_disabled = flag("include_disabled", query.include_disabled.as_deref(), true)?;
    let name = match &query.rrset_name {
        Some(text) => Some(
            Name::from_text(text, Some(&Name::root()))
                .map_err(|e| ApiError::Unprocessable(format!("rrset_name '{text}': {e}")))?
                .to_lowercase(),
        ),
        None => None,
    };
    let rtype = match &query.rrset_type {
        Some(text) => Some(
            convert::parse_rtype(text)
                .map_err(|e| ApiError::Unprocessable(format!("rrset_type: {e}")))?,
        ),
        None => None,
    };
    let filter = RrsetFilter {
        name: name.as_ref().map(Name::to_string),
        rtype: rtype.map(|t| t.to_string()),
        without_disabled: !include_disabled,
    };
    let view = known_view(&state, query.view.as_deref())?;
    let found = find(&state, &zone).await?;
    let mut object = zone_object(&state, &zone, &found);
    if let (Some(view), Found::Store(_)) = (&view, &found) {
        let (store, name, view) = (
            Arc::clone(state.manager.store()),
            zone.clone(),
            view.clone(),
        );
        if let Some(serial) = blocking(move || Ok(store.serial_in(&name, Some(&view))?)).await? {
            object.serial = serial.0;
            object.edited_serial = serial.0;
        }
    }
    if !with_rrsets {
        return Ok(axum::Json(object).into_response());
    }
    if let (None, Found::Store(_)) = (&view, &found) {
        // The base of a store zone, which may hold millions of RRsets:
        // streamed from the store a chunk at a time.
        let store = Arc::clone(state.manager.store());
        let apex = zone.clone();
        let wanted = store::RrsetFilter { name, rtype };
        let cursor = blocking(move || Ok(store.rrset_cursor(&apex, wanted)?))
            .await?
            .ok_or_else(|| Failure::from(ApiError::no_such_zone(&zone)))?;
        return Ok(stream_zone(object, cursor, !include_disabled));
    }
    object.rrsets = Some(load_rrsets(&state, &zone, &found, view.as_deref(), &filter).await?);
    Ok(axum::Json(object).into_response())
}

/// RRsets per piece of a streamed zone: about 100 kB of JSON.
const STREAM_CHUNK: usize = 1000;

/// `object` as JSON with the RRsets `cursor` reads appended a chunk at a
/// time (the object's own fields first, then `"rrsets": [...]`).
fn stream_zone(
    object: pdns::Zone,
    mut cursor: store::RrsetCursor,
    without_disabled: bool,
) -> Response {
    let body = super::stream::blocking_body(move |sink| {
        // The object without RRsets ends in `}`: the list goes before it.
        let mut head = match serde_json::to_vec(&object) {
            Ok(head) => head,
            Err(e) => return sink.fail(format!("writing zone {}: {e}", object.name)),
        };
        head.pop();
        head.extend_from_slice(b",\"rrsets\":[");
        if !sink.send(head) {
            return;
        }
        let mut first = true;
        loop {
            let sets = match cursor.next_chunk(STREAM_CHUNK) {
                Ok(sets) if sets.is_empty() => break,
                Ok(sets) => sets,
                Err(e) => {
                    tracing::warn!(zone = %cursor.apex(), error = %e, "a zone read through the API ended early");
                    return sink.fail(e.to_string());
                }
            };
            let mut piece = Vec::with_capacity(100 * sets.len());
            for set in &sets {
                let mut out = convert::rrset_out(set);
                if without_disabled {
                    out.records.retain(|r| !r.disabled);
                }
                if !first {
                    piece.push(b',');
                }
                first = false;
                if let Err(e) = serde_json::to_writer(&mut piece, &out) {
                    return sink.fail(format!("writing an RRset of {}: {e}", cursor.apex()));
                }
            }
            if !sink.send(piece) {
                return;
            }
        }
        sink.send(b"]}".to_vec());
    });
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The response to a write that changed RRsets: 204, with the serials
/// before and after as PowerDNS reports them.
fn changed(from: Serial, to: Serial) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert("x-pdns-old-serial", HeaderValue::from(from.0));
    headers.insert("x-pdns-new-serial", HeaderValue::from(to.0));
    response
}

/// Changes RRsets: every entry of `rrsets` (REPLACE, DELETE, EXTEND,
/// PRUNE), applied in order as one change, one serial bump and one journal
/// entry, or not at all. Answers once the change is served over DNS.
#[utoipa::path(
    patch,
    path = "/api/v1/servers/localhost/zones/{zone}",
    tag = "zones",
    params(ZoneParam, ViewQuery),
    request_body = ZonePatch,
    responses(
        (status = 204, description = "Applied (or nothing to change)",
         headers(("X-PDNS-Old-Serial" = u32, description = "Serial before"),
                 ("X-PDNS-New-Serial" = u32, description = "Serial after"))),
        WriteErrors,
    ),
    security(("api_key" = [])),
)]
pub(crate) async fn patch_zone(
    writer: Writer,
    axum::extract::State(state): axum::extract::State<AppState>,
    ZonePath(zone): ZonePath,
    Query(view): Query<ViewQuery>,
    headers: HeaderMap,
    JsonBody(patch): JsonBody<ZonePatch>,
) -> Result<Response, Failure> {
    let view = view.known(&state)?;
    find(&state, &zone).await?.writable(&zone)?;
    let changes = convert::patch_changes(&patch.rrsets, now())?;
    let meta = ChangeMeta {
        author: writer.author(),
        source: Source::Api,
        comment: change_comment(&headers, patch.comment.as_ref())?,
        now: now(),
    };
    let applied = state
        .manager
        .apply_in(&zone, view.as_deref(), changes, meta)
        .await?;
    if applied.from != applied.to {
        tracing::info!(zone = %zone, view, author = %writer.author(), from = applied.from.0, to = applied.to.0, "zone changed through the API");
    }
    Ok(changed(applied.from, applied.to))
}

/// Changes zone settings (`kind` between Native and Master, the serial
/// policy, and the PowerDNS settings it stores) and, with `rrsets`,
/// replaces the zone's whole content as one change.
#[utoipa::path(
    put,
    path = "/api/v1/servers/localhost/zones/{zone}",
    tag = "zones",
    params(ZoneParam, ViewQuery),
    request_body = ZoneUpdate,
    responses((status = 204, description = "Applied"), WriteErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn put_zone(
    writer: Writer,
    client: ClientAddress,
    axum::extract::State(state): axum::extract::State<AppState>,
    ZonePath(zone): ZonePath,
    Query(view): Query<ViewQuery>,
    headers: HeaderMap,
    JsonBody(update): JsonBody<ZoneUpdate>,
) -> Result<Response, Failure> {
    let view = view.known(&state)?;
    find(&state, &zone).await?.writable(&zone)?;
    // Everything the request alone can be judged by is checked before
    // anything is written; the store then applies settings and content in
    // one transaction, so a refused body changes nothing.
    let mut settings = convert::settings_change(&convert::SettingsRequest::of_update(&update))?;
    if let Some(text) = &update.kind {
        settings.kind = Some(convert::creatable_kind(text)?);
    }
    if let Some(text) = &update.serial_policy {
        settings.serial_policy = Some(convert::serial_policy(text)?);
    }
    let settings_given = !settings.is_empty()
        || update.dnssec.is_some()
        || update.nsec3param.is_some()
        || update.nsec3narrow.is_some();
    // Settings are an admin's (the route table admits writers of the
    // zone's records, crate::access).
    if settings_given && !writer.1.is_admin() {
        return Err(ApiError::Forbidden(format!(
            "Forbidden: {} may not change the settings of zone `{zone}`: that is for admins",
            writer.1.who()
        ))
        .into());
    }
    if settings_given && view.is_some() {
        return Err(ApiError::Unprocessable(format!(
            "zone settings (kind, serial policy, {}) are the zone's in every view: PUT them without `view`",
            "account, soa_edit_api …"
        ))
        .into());
    }
    let changes = match &update.rrsets {
        Some(rrsets) => {
            let store = Arc::clone(state.manager.store());
            let (name, in_view) = (zone.clone(), view.clone());
            let current =
                blocking(move || Ok(stored_rrsets(&store, &name, in_view.as_deref())?)).await?;
            Some(convert::replace_all(&zone, &current, rrsets, now())?)
        }
        None => None,
    };
    let meta = ChangeMeta {
        author: writer.author(),
        source: Source::Api,
        comment: change_comment(&headers, update.comment.as_ref())?,
        now: now(),
    };
    let applied = match (view.as_deref(), changes) {
        // A view's own content: no settings come with it (refused above).
        (Some(view), Some(changes)) => Some(
            state
                .manager
                .apply_in(&zone, Some(view), changes, meta)
                .await?,
        ),
        (Some(_), None) => None,
        // Settings are audited (content changes are in the journal):
        // their row commits with them.
        (None, changes) if settings_given => {
            let mut event = api_event(
                &writer.0,
                &client,
                AuditAction::ZoneSettings,
                &zone.to_string(),
            );
            if changes.is_some() {
                event.detail = "with the zone's content replaced".to_string();
            }
            state
                .manager
                .audited(
                    event,
                    state.manager.update_zone(&zone, settings, changes, meta),
                )
                .await?
        }
        (None, changes) => {
            state
                .manager
                .update_zone(&zone, settings, changes, meta)
                .await?
        }
    };
    if settings_given {
        tracing::info!(zone = %zone, author = %writer.author(), "zone settings changed through the API");
    }
    match applied {
        Some(applied) => {
            tracing::info!(zone = %zone, view, author = %writer.author(), from = applied.from.0, to = applied.to.0, "zone content replaced through the API");
            Ok(changed(applied.from, applied.to))
        }
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// Deletes a zone from the store, with its history, and stops serving it.
#[utoipa::path(
    delete,
    path = "/api/v1/servers/localhost/zones/{zone}",
    tag = "zones",
    params(ZoneParam, ViewQuery),
    responses((status = 204, description = "Deleted"), WriteErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn delete_zone(
    writer: Writer,
    client: ClientAddress,
    axum::extract::State(state): axum::extract::State<AppState>,
    ZonePath(zone): ZonePath,
    Query(view): Query<ViewQuery>,
) -> Result<StatusCode, Failure> {
    if let Some(view) = view.known(&state)? {
        return Err(ApiError::Unprocessable(format!(
            "a zone is deleted from every view at once (DELETE without `view`); to take RRsets out of view {view} only, PATCH …?view={view} with changetype DELETE"
        ))
        .into());
    }
    find(&state, &zone).await?.deletable(&zone)?;
    let event = api_event(
        &writer.0,
        &client,
        AuditAction::ZoneDelete,
        &zone.to_string(),
    );
    state
        .manager
        .audited(event, state.manager.delete_zone(&zone))
        .await?;
    tracing::info!(zone = %zone, author = %writer.author(), "zone deleted through the API");
    Ok(StatusCode::NO_CONTENT)
}

/// The zone's served records as a master file (absolute owner names, the
/// SOA first), which `hadns import` and BIND read back; a store zone's
/// base is streamed as its RRsets are read.
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost/zones/{zone}/export",
    tag = "zones",
    params(ZoneParam, ViewQuery),
    responses(
        (status = 200, description = "The zone file", body = String, content_type = "text/plain"),
        ReadErrors,
    ),
    security(("api_key" = [])),
)]
pub(crate) async fn export_zone(
    _caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    ZonePath(zone): ZonePath,
    Query(view): Query<ViewQuery>,
) -> Result<Response, Failure> {
    let view = view.known(&state)?;
    let found = find(&state, &zone).await?;
    if let (None, Found::Store(_)) = (&view, &found) {
        let store = Arc::clone(state.manager.store());
        let apex = zone.clone();
        let cursor =
            blocking(move || Ok(store.rrset_cursor(&apex, store::RrsetFilter::default())?))
                .await?
                .ok_or_else(|| Failure::from(ApiError::no_such_zone(&zone)))?;
        return Ok(stream_export(cursor));
    }
    let records = match &found {
        Found::Store(_) => {
            let store = Arc::clone(state.manager.store());
            let name = zone.clone();
            blocking(move || {
                Ok(match &view {
                    None => store.zone_records(&name)?,
                    Some(view) => store.zone_records_in_view(&name, view)?,
                })
            })
            .await?
        }
        Found::File(_) | Found::Secondary { .. } => state
            .manager
            .replicator_in(&zone, view.as_deref())
            .current(&zone)
            .map(|snapshot| snapshot.records().collect())
            .unwrap_or_default(),
    };
    let text = zonefile::write_zone(&zone, &records);
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// A store zone's file written a chunk of RRsets at a time: the same text
/// as `zonefile::write_zone` of all its served records.
fn stream_export(mut cursor: store::RrsetCursor) -> Response {
    let body = super::stream::blocking_body(move |sink| {
        let apex = cursor.apex().clone();
        let mut first = true;
        loop {
            let records = match cursor.next_served(STREAM_CHUNK) {
                Ok(records) if records.is_empty() => break,
                Ok(records) => records,
                Err(e) => {
                    tracing::warn!(zone = %apex, error = %e, "a zone export ended early");
                    return sink.fail(e.to_string());
                }
            };
            let text = zonefile::write_zone(&apex, &records);
            // Each piece is written as a zone of its own, which starts with
            // the `$ORIGIN` line: the file has it once, at the top.
            let piece = if first {
                text
            } else {
                text.split_once('\n')
                    .map(|(_, rest)| rest.to_string())
                    .unwrap_or_default()
            };
            first = false;
            if !sink.send(piece.into_bytes()) {
                return;
            }
        }
        if first {
            // No served record (every one disabled): the file is its
            // `$ORIGIN` line, as for a zone written whole.
            sink.send(zonefile::write_zone(&apex, &[]).into_bytes());
        }
    });
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
