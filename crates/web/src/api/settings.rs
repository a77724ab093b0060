//! hadns's settings endpoint for zones kept in the store (the web UI's
//! settings page as JSON): `GET` and `PUT …/zones/{zone}/settings`. Both
//! go through the same `Manager::zone_settings` and `save_settings` as the
//! page, so the checks, the precedence of hadns.toml and the effect (SOA
//! journaled with a bumped serial, rules applied at once) are the same.

use store::AuditAction;

use super::audit::{ClientAddress, api_event};
use std::collections::BTreeMap;
use std::sync::Arc;

use api::ApiError;
use api::own::{Seconds, ZoneSettingsBody};
use manage::settings::{SettingsInput, rname_text};
use manage::{SettingsError, SettingsView};
use store::{ChangeMeta, Source};

use super::error::{Failure, ReadErrors, WriteErrors, blocking};
use super::extract::{JsonBody, Reader, Writer, ZonePath};
use super::zones::ZoneParam;
use crate::state::{AppState, now};

/// The body of a GET.
fn body(view: &SettingsView) -> ZoneSettingsBody {
    let mut configured = BTreeMap::new();
    let written = view.written;
    let text = &view.configured;
    let mut put = |is: bool, key: &str, value: String| {
        if is {
            configured.insert(key.to_string(), value);
        }
    };
    put(written.notify, "notify", text.notify.join(", "));
    put(
        written.notify_key,
        "notify_key",
        text.notify_key.clone().unwrap_or_default(),
    );
    put(
        written.allow_transfer,
        "allow_transfer",
        text.allow_transfer.join(", "),
    );
    put(
        written.allow_update,
        "allow_update",
        text.allow_update.join(", "),
    );
    put(
        written.serial_policy,
        "serial_policy",
        text.serial_policy.clone(),
    );
    put(
        written.catalog_group,
        "catalog_group",
        text.catalog_group.clone().unwrap_or_default(),
    );
    let options = &view.options;
    ZoneSettingsBody {
        mname: view.soa.mname.to_string(),
        rname: rname_text(&view.soa.rname),
        refresh: Seconds::Number(view.soa.refresh),
        retry: Seconds::Number(view.soa.retry),
        expire: Seconds::Number(view.soa.expire),
        minimum: Seconds::Number(view.soa.minimum),
        serial: view.serial,
        serial_policy: view.serial_policy.to_string(),
        default_ttl: options.default_ttl.map(Seconds::Number),
        notify: options.notify.clone(),
        notify_key: options.notify_key.as_ref().map(ToString::to_string),
        allow_transfer: options.allow_transfer.clone(),
        allow_update: options.allow_update.clone(),
        catalog_group: options.catalog_group.clone(),
        configured,
        warnings: view
            .warnings
            .iter()
            .map(|w| (w.field.id().to_string(), w.text.clone()))
            .collect(),
    }
}

/// A store zone's settings: the SOA's fields and serial, the serial
/// policy, and the zone's own rules (`null`: not set), with the keys
/// hadns.toml writes for it in `configured` (those win).
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost/zones/{zone}/settings",
    tag = "settings",
    params(ZoneParam),
    responses((status = 200, description = "The zone's settings", body = ZoneSettingsBody), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn get_settings(
    _caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    ZonePath(zone): ZonePath,
) -> Result<axum::Json<ZoneSettingsBody>, Failure> {
    let manager = Arc::clone(&state.manager);
    let view = blocking(move || Ok(manager.zone_settings(&zone)?)).await?;
    Ok(axum::Json(body(&view)))
}

/// Replaces a store zone's settings, all at once or not at all (422
/// naming each bad key). The SOA changes as one journaled change with
/// the next serial when a field differs (secondaries get it by IXFR after
/// a NOTIFY); NOTIFY targets and the transfer and update rules apply to
/// the next request. Answers with the settings as saved.
#[utoipa::path(
    put,
    path = "/api/v1/servers/localhost/zones/{zone}/settings",
    tag = "settings",
    params(ZoneParam),
    request_body = ZoneSettingsBody,
    responses((status = 200, description = "Saved; the settings now", body = ZoneSettingsBody), WriteErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn put_settings(
    writer: Writer,
    client: ClientAddress,
    axum::extract::State(state): axum::extract::State<AppState>,
    ZonePath(zone): ZonePath,
    JsonBody(request): JsonBody<ZoneSettingsBody>,
) -> Result<axum::Json<ZoneSettingsBody>, Failure> {
    let lines = |list: &Option<Vec<String>>| match list {
        Some(list) if list.is_empty() => "none".to_string(),
        Some(list) => list.join("\n"),
        None => String::new(),
    };
    let input = SettingsInput {
        mname: request.mname.clone(),
        rname: request.rname.clone(),
        refresh: request.refresh.text(),
        retry: request.retry.text(),
        expire: request.expire.text(),
        minimum: request.minimum.text(),
        default_ttl: request
            .default_ttl
            .as_ref()
            .map(Seconds::text)
            .unwrap_or_default(),
        serial_policy: request.serial_policy.clone(),
        notify: lines(&request.notify),
        notify_key: request.notify_key.clone().unwrap_or_default(),
        // An empty match list given is nobody: `none`, as the page writes it.
        allow_transfer: lines(&request.allow_transfer),
        allow_update: lines(&request.allow_update),
        catalog_group: request.catalog_group.clone().unwrap_or_default(),
    };
    let meta = ChangeMeta {
        author: writer.author(),
        source: Source::Api,
        comment: Some("zone settings".to_string()),
        now: now(),
    };
    let event = api_event(
        &writer.0,
        &client,
        AuditAction::ZoneSettings,
        &zone.to_string(),
    );
    match state
        .manager
        .audited(event, state.manager.save_settings(&zone, input, meta))
        .await
    {
        Ok(_) => {}
        Err(SettingsError::Invalid(messages)) => {
            return Err(ApiError::Unprocessable(
                messages
                    .iter()
                    .map(|m| format!("{}: {}", m.field.id(), m.text))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
            .into());
        }
        Err(SettingsError::Manage(e)) => return Err(e.into()),
    }
    let manager = Arc::clone(&state.manager);
    let view = blocking(move || Ok(manager.zone_settings(&zone)?)).await?;
    Ok(axum::Json(body(&view)))
}
