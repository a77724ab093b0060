//! `GET /api/v1/views`: the configuration's `[[view]]`s, in match order,
//! with what each store zone holds of its own in each. The zone endpoints
//! take `view=NAME` to read or change one view's copy of a store zone; a
//! view the configuration does not define is a 404 there and here.

use std::sync::Arc;

use api::ApiError;
use api::own::{ViewInfo, ViewZone};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{Failure, ReadErrors, blocking};
use super::extract::{PathParams, Reader};
use crate::state::AppState;

/// The `view` query parameter of the zone endpoints.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub(crate) struct ViewQuery {
    /// A `[[view]]`'s name: read or change that view's copy of the zone
    /// (its own RRsets in place of the base's) instead of the base data
    /// every view shares.
    pub view: Option<String>,
}

impl ViewQuery {
    /// The view asked for, checked against the configuration: unknown is
    /// a 404 naming it.
    pub(crate) fn known(&self, state: &AppState) -> Result<Option<String>, Failure> {
        known_view(state, self.view.as_deref())
    }
}

/// Checks a view name against the configuration: `None` stays `None`, an
/// unknown name is a 404 naming it.
pub(crate) fn known_view(state: &AppState, view: Option<&str>) -> Result<Option<String>, Failure> {
    match view {
        None => Ok(None),
        Some(name) if state.manager.views().contains(&name) => Ok(Some(name.to_string())),
        Some(name) => Err(ApiError::no_such_view(name).into()),
    }
}

/// The views, in match order, with each store zone's copy in them.
#[utoipa::path(
    get,
    path = "/api/v1/views",
    tag = "views",
    responses((status = 200, description = "The views, in match order (empty without views)", body = Vec<ViewInfo>), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn list_views(
    caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<axum::Json<Vec<ViewInfo>>, Failure> {
    let names: Vec<String> = state
        .manager
        .views()
        .into_iter()
        .map(str::to_string)
        .collect();
    let store = Arc::clone(state.manager.store());
    let rights = caller.1;
    let views = blocking(move || {
        let zones = store.zones()?;
        let mut out = Vec::with_capacity(names.len());
        for (order, name) in names.into_iter().enumerate() {
            out.push(view_info(&store, &zones, &rights, order, name)?);
        }
        Ok(out)
    })
    .await?;
    Ok(axum::Json(views))
}

/// The path parameter of `GET /api/v1/views/{view}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Only describes the parameter.
pub(crate) struct ViewParam {
    /// The view's name.
    view: String,
}

/// One view.
#[utoipa::path(
    get,
    path = "/api/v1/views/{view}",
    tag = "views",
    params(ViewParam),
    responses((status = 200, description = "The view", body = ViewInfo), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn get_view(
    caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    params: PathParams,
) -> Result<axum::Json<ViewInfo>, Failure> {
    let wanted = params.get("view")?.to_string();
    let Some(order) = state.manager.views().iter().position(|v| *v == wanted) else {
        return Err(ApiError::no_such_view(&wanted).into());
    };
    let store = Arc::clone(state.manager.store());
    let rights = caller.1;
    let view = blocking(move || {
        let zones = store.zones()?;
        view_info(&store, &zones, &rights, order, wanted)
    })
    .await?;
    Ok(axum::Json(view))
}

/// One view's entry: every store zone's serial there and what it holds of
/// its own; only the zones `rights` may read there.
fn view_info(
    store: &store::Store,
    zones: &[store::ZoneInfo],
    rights: &store::Rights,
    order: usize,
    name: String,
) -> Result<ViewInfo, Failure> {
    let mut out = Vec::with_capacity(zones.len());
    // A secondary's copy is its primaries', the same in every view: the
    // store keeps no per-view data of it.
    for zone in zones
        .iter()
        .filter(|z| z.kind != store::ZoneKind::Slave)
        .filter(|z| rights.may_read_zone(&z.name, Some(&name)))
    {
        let serial = store
            .serial_in(&zone.name, Some(&name))?
            .unwrap_or(zone.serial);
        let own = store
            .rrsets_in_view(&zone.name, &name)?
            .map(|sets| sets.own)
            .unwrap_or_default();
        out.push(ViewZone {
            zone: zone.name.to_string(),
            serial: serial.0,
            own_rrsets: own.iter().filter(|o| o.set.is_some()).count(),
            hidden_rrsets: own.iter().filter(|o| o.set.is_none()).count(),
        });
    }
    Ok(ViewInfo {
        name,
        order,
        zones: out,
    })
}
