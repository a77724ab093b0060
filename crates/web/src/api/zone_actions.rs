//! The PowerDNS zone actions: NOTIFY now (`PUT …/notify`) and transfer a
//! secondary again now (`PUT …/axfr-retrieve`).

use api::ApiError;
use api::convert::address_text;
use api::pdns::ResultBody;

use super::error::{Failure, WriteErrors};
use super::extract::{Writer, ZonePath};
use super::zones::{Found, ZoneParam, find};
use crate::state::AppState;

/// Sends NOTIFY for the zone to its targets now.
#[utoipa::path(
    put,
    path = "/api/v1/servers/localhost/zones/{zone}/notify",
    tag = "zones",
    params(ZoneParam),
    responses((status = 200, description = "Queued", body = ResultBody), WriteErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn notify_zone(
    _writer: Writer,
    axum::extract::State(state): axum::extract::State<AppState>,
    ZonePath(zone): ZonePath,
) -> Result<axum::Json<ResultBody>, Failure> {
    match find(&state, &zone).await? {
        Found::Store(info) if info.soa_disabled => {
            return Err(ApiError::Unprocessable(format!(
                "zone {zone} is out of service (its SOA record is disabled), so no NOTIFY is sent; \
                 enable the SOA to serve it again"
            ))
            .into());
        }
        // PowerDNS notifies for a Slave zone only with
        // secondary-do-renotify; ours has no NOTIFY targets, so say so
        // rather than answer "queued" for nothing.
        Found::Secondary {
            stored: Some(_), ..
        } => {
            return Err(ApiError::Unprocessable(format!(
                "zone {zone} is a secondary zone created through the API and has no NOTIFY \
                 targets; to have it check its primaries now, PUT …/axfr-retrieve"
            ))
            .into());
        }
        _ => {}
    }
    // A store zone is in every view: each view's copy notifies its own
    // targets.
    let mut queued = false;
    for lane in state.manager.lanes() {
        queued |= lane.replicator.notify_now(&zone);
    }
    if !queued {
        return Err(ApiError::Unprocessable(format!(
            "zone {zone} is not under replication here, so it has no NOTIFY targets"
        ))
        .into());
    }
    Ok(axum::Json(ResultBody {
        result: "Notification queued".to_string(),
    }))
}

/// Transfers a secondary zone from its primary again now (a full
/// transfer).
#[utoipa::path(
    put,
    path = "/api/v1/servers/localhost/zones/{zone}/axfr-retrieve",
    tag = "zones",
    params(ZoneParam),
    responses((status = 200, description = "Queued", body = ResultBody), WriteErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn axfr_retrieve(
    _writer: Writer,
    axum::extract::State(state): axum::extract::State<AppState>,
    ZonePath(zone): ZonePath,
) -> Result<axum::Json<ResultBody>, Failure> {
    let Found::Secondary { primaries, .. } = find(&state, &zone).await? else {
        return Err(
            ApiError::Unprocessable(format!("Domain '{zone}' is not a secondary domain")).into(),
        );
    };
    // A secondary created through the API replicates in every lane; one
    // the configuration declares, in its view's lane only.
    let mut queued = false;
    for lane in state.manager.lanes() {
        queued |= lane.replicator.retransfer_now(&zone);
    }
    if !queued {
        return Err(
            ApiError::Internal(format!("secondary zone {zone} is not under replication")).into(),
        );
    }
    let from = primaries
        .iter()
        .map(|a| address_text(*a))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(axum::Json(ResultBody {
        result: format!("Added retrieval request for '{zone}' from primary {from}"),
    }))
}
