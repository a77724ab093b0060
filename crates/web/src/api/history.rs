//! hadns's history endpoints for zones kept in the store: the journal
//! (newest first), the difference one change made, and reverting to an
//! earlier serial as a new change.

use std::sync::Arc;

use api::ApiError;
use api::convert;
use api::own::{ChangeDiff, HistoryEntry, RevertRequest, RevertResult};
use axum::http::HeaderMap;
use serde::Deserialize;
use store::{AuditAction, ChangeMeta, Source};
use utoipa::IntoParams;
use wire::{Name, Rtype, Serial};

use super::audit::{ClientAddress, api_event};
use super::error::{Failure, ReadErrors, WriteErrors, blocking};
use super::extract::{JsonBody, PathParams, Query, Reader, Writer, ZonePath, change_comment};
use super::views::{ViewQuery, known_view};
use super::zones::{ZoneParam, find};
use crate::state::{AppState, now};

/// How many entries a history page holds unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 100;

/// The most a history page holds.
const MAX_LIMIT: usize = 10_000;

/// Refuses zones whose history the store does not keep.
async fn store_zone(state: &AppState, zone: &Name) -> Result<(), Failure> {
    match find(state, zone).await? {
        super::zones::Found::Store(_) => Ok(()),
        _ => Err(ApiError::Unprocessable(format!(
            "zone {zone} is not kept in the store, which is where history is kept"
        ))
        .into()),
    }
}

/// Parameters of `GET …/history`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct HistoryQuery {
    /// At most this many entries (default 100, at most 10000).
    limit: Option<usize>,
    /// Only entries older than the change that produced this serial (the
    /// next page: the last `serial_to` of the previous one).
    before: Option<u32>,
    /// A `[[view]]`'s name: the history of that view's copy (the base's
    /// entries until the view had data of its own, then the view's).
    view: Option<String>,
}

/// The zone's journal: one entry per change of served data, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost/zones/{zone}/history",
    tag = "history",
    params(ZoneParam, HistoryQuery),
    responses((status = 200, description = "Journal entries, newest first", body = Vec<HistoryEntry>), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn list_history(
    _caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    ZonePath(zone): ZonePath,
    Query(query): Query<HistoryQuery>,
) -> Result<axum::Json<Vec<HistoryEntry>>, Failure> {
    let view = known_view(&state, query.view.as_deref())?;
    store_zone(&state, &zone).await?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let before = query.before.map(Serial);
    let store = Arc::clone(state.manager.store());
    let entries =
        blocking(move || Ok(store.history_in(&zone, view.as_deref(), limit, before)?)).await?;
    Ok(axum::Json(
        entries.iter().map(convert::history_entry).collect(),
    ))
}

/// The path parameters of `GET …/history/{serial}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Only describes the parameters.
pub(crate) struct ChangeParams {
    /// The zone's id or name.
    zone: String,
    /// The serial the change produced (its `serial_to`).
    serial: u32,
}

/// One change: the records it removed and added.
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost/zones/{zone}/history/{serial}",
    tag = "history",
    params(ChangeParams, ViewQuery),
    responses((status = 200, description = "The change", body = ChangeDiff), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn get_change(
    _caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    params: PathParams,
    Query(view): Query<ViewQuery>,
) -> Result<axum::Json<ChangeDiff>, Failure> {
    let view = view.known(&state)?;
    let zone = params.zone()?;
    let text = params.get("serial")?;
    let serial = text.parse::<u32>().map_err(|_| {
        ApiError::BadRequest(format!(
            "serial `{text}` is not a number from 0 to 4294967295"
        ))
    })?;
    store_zone(&state, &zone).await?;
    let store = Arc::clone(state.manager.store());
    let name = zone.clone();
    match blocking(move || Ok(store.change_in(&name, view.as_deref(), Serial(serial))?)).await? {
        Some(change) => Ok(axum::Json(convert::change_diff(&change))),
        None => {
            Err(ApiError::NotFound(format!("no change of {zone} produced serial {serial}")).into())
        }
    }
}

/// Parameters of `POST …/revert`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RevertQuery {
    /// `true`: only say what would change.
    dry_run: Option<bool>,
    /// A `[[view]]`'s name. Reverting one view's copy is not supported
    /// (422); change its RRsets with `PATCH …?view=` instead.
    view: Option<String>,
}

/// The SOA serial among records, if any.
fn soa_serial(records: &[wire::Record]) -> Option<u32> {
    records
        .iter()
        .find(|r| r.rtype == Rtype::SOA)
        .and_then(|r| wire::rdata::soa_numbers(&r.rdata))
        .map(|numbers| numbers[0])
}

/// Brings the zone's served data back to what it was at `serial` by
/// applying the inverse of every later change as one new change (history is
/// never rewritten). Answers with the new serial.
#[utoipa::path(
    post,
    path = "/api/v1/servers/localhost/zones/{zone}/revert",
    tag = "history",
    params(ZoneParam, RevertQuery),
    request_body = RevertRequest,
    responses((status = 200, description = "Reverted (or what would change)", body = RevertResult), WriteErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn revert(
    writer: Writer,
    client: ClientAddress,
    axum::extract::State(state): axum::extract::State<AppState>,
    ZonePath(zone): ZonePath,
    Query(query): Query<RevertQuery>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<RevertRequest>,
) -> Result<axum::Json<RevertResult>, Failure> {
    if let Some(view) = known_view(&state, query.view.as_deref())? {
        return Err(ApiError::Unprocessable(format!(
            "reverting view {view}'s copy of {zone} is not supported: revert the base (without `view`), or change the view's own RRsets with PATCH …?view={view}"
        ))
        .into());
    }
    let info = match find(&state, &zone).await? {
        super::zones::Found::Store(info) => info,
        _ => {
            return Err(ApiError::Unprocessable(format!(
                "zone {zone} is not kept in the store and cannot be reverted"
            ))
            .into());
        }
    };
    let to = Serial(request.serial);
    if query.dry_run == Some(true) {
        let store = Arc::clone(state.manager.store());
        let name = zone.clone();
        let at = now();
        let (removed, added) = blocking(move || Ok(store.preview_revert(&name, to, at)?)).await?;
        let serial_from = soa_serial(&removed).unwrap_or(info.serial.0);
        let serial_to = soa_serial(&added).unwrap_or(serial_from);
        return Ok(axum::Json(RevertResult {
            dry_run: true,
            serial_from,
            serial_to,
            removed: convert::changed_records(&removed),
            added: convert::changed_records(&added),
        }));
    }
    let meta = ChangeMeta {
        author: writer.author(),
        source: Source::Api,
        comment: change_comment(&headers, request.comment.as_ref())?,
        now: now(),
    };
    let mut event = api_event(
        &writer.0,
        &client,
        AuditAction::ZoneRevert,
        &zone.to_string(),
    );
    event.detail = format!("to serial {}", request.serial);
    let applied = state
        .manager
        .audited(event, state.manager.revert(&zone, to, meta))
        .await?;
    tracing::info!(zone = %zone, author = %writer.author(), to = request.serial, from = applied.from.0, serial = applied.to.0, "zone reverted through the API");
    Ok(axum::Json(RevertResult {
        dry_run: false,
        serial_from: applied.from.0,
        serial_to: applied.to.0,
        removed: convert::changed_records(&applied.removed),
        added: convert::changed_records(&applied.added),
    }))
}
