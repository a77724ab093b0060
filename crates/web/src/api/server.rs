//! Discovery (`/api`, `/api/v1`, the OpenAPI document), the server object,
//! `search-data`, and the node's effective settings (`config`) and counters
//! (`statistics`).

use std::sync::Arc;

use api::ApiError;
use api::convert::{self, zone_id};
use api::pdns::{ApiFeatures, ApiVersion, ConfigSetting, SearchResult, Server, StatisticItem};
use api::search::Pattern;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use wire::Name;

use super::error::{Failure, ReadErrors, blocking};
use super::extract::{Query, Reader};
use crate::state::AppState;
use manage::Elsewhere;

/// The API versions this server speaks; lego probes it. No key needed.
#[utoipa::path(
    get,
    path = "/api",
    tag = "discovery",
    responses((status = 200, description = "The versions", body = Vec<ApiVersion>)),
)]
pub(crate) async fn discovery() -> axum::Json<Vec<ApiVersion>> {
    axum::Json(vec![ApiVersion {
        version: 1,
        url: "/api/v1".to_string(),
    }])
}

/// What version 1 offers. No key needed.
#[utoipa::path(
    get,
    path = "/api/v1",
    tag = "discovery",
    responses((status = 200, description = "Version 1", body = Vec<ApiFeatures>)),
)]
pub(crate) async fn discovery_v1() -> axum::Json<Vec<ApiFeatures>> {
    axum::Json(vec![ApiFeatures {
        server_url: "/api/v1/servers{/server}".to_string(),
        api_features: Vec::new(),
    }])
}

/// This document: OpenAPI 3, generated from the handlers. No key needed.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "discovery",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")),
)]
pub(crate) async fn openapi_document(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.as_str().to_string(),
    )
        .into_response()
}

/// The one server object.
fn server(state: &AppState) -> Server {
    Server {
        object_type: "Server".to_string(),
        id: "localhost".to_string(),
        url: "/api/v1/servers/localhost".to_string(),
        daemon_type: "authoritative".to_string(),
        version: api::server_version(),
        config_url: "/api/v1/servers/localhost/config{/config_setting}".to_string(),
        zones_url: "/api/v1/servers/localhost/zones{/zone}".to_string(),
        node_name: state.settings.node_name.clone(),
    }
}

/// The servers: one, `localhost`.
#[utoipa::path(
    get,
    path = "/api/v1/servers",
    tag = "servers",
    responses((status = 200, description = "The servers", body = Vec<Server>), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn list_servers(
    _caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<Vec<Server>> {
    axum::Json(vec![server(&state)])
}

/// The server; `version` is PowerDNS-style (`4.9.0-hadns.VERSION`).
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost",
    tag = "servers",
    responses((status = 200, description = "The server", body = Server), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn get_server(
    _caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<Server> {
    axum::Json(server(&state))
}

/// What `search-data` looks at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ObjectType {
    All,
    Zone,
    Record,
    Comment,
}

impl ObjectType {
    fn zones(self) -> bool {
        matches!(self, ObjectType::All | ObjectType::Zone)
    }

    fn records(self) -> bool {
        matches!(self, ObjectType::All | ObjectType::Record)
    }

    fn comments(self) -> bool {
        matches!(self, ObjectType::All | ObjectType::Comment)
    }
}

/// Parameters of `search-data`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// The pattern: the whole name or content must match; `*` matches any
    /// run of characters, `?` one character; case does not matter.
    q: Option<String>,
    /// At most this many results (default 100).
    max: Option<String>,
    /// `all` (default), `zone`, `record` or `comment`.
    object_type: Option<String>,
}

/// Whether a name matches, written with or without its final dot.
fn name_matches(pattern: &Pattern, name: &Name) -> bool {
    let text = name.to_string();
    pattern.matches(&text) || pattern.matches(text.strip_suffix('.').unwrap_or(&text))
}

/// Results of one zone: the zone, its records and its comments.
fn search_zone(
    pattern: &Pattern,
    kind: ObjectType,
    zone: &Name,
    rrsets: &[api::pdns::Rrset],
    max: usize,
    out: &mut Vec<SearchResult>,
) {
    let id = zone_id(zone);
    if kind.zones() && out.len() < max && name_matches(pattern, zone) {
        out.push(SearchResult {
            object_type: "zone".to_string(),
            name: zone.to_string(),
            zone_id: id.clone(),
            zone: None,
            rtype: None,
            ttl: None,
            disabled: None,
            content: None,
        });
    }
    for set in rrsets {
        let owner_matches = pattern.matches(&set.name)
            || pattern.matches(set.name.strip_suffix('.').unwrap_or(&set.name));
        if kind.records() {
            for record in &set.records {
                if out.len() >= max {
                    return;
                }
                if owner_matches || pattern.matches(&record.content) {
                    out.push(SearchResult {
                        object_type: "record".to_string(),
                        name: set.name.clone(),
                        zone_id: id.clone(),
                        zone: Some(zone.to_string()),
                        rtype: Some(set.rtype.clone()),
                        ttl: Some(set.ttl),
                        disabled: Some(record.disabled),
                        content: Some(record.content.clone()),
                    });
                }
            }
        }
        if kind.comments() {
            for comment in &set.comments {
                if out.len() >= max {
                    return;
                }
                if pattern.matches(&comment.content) {
                    out.push(SearchResult {
                        object_type: "comment".to_string(),
                        name: set.name.clone(),
                        zone_id: id.clone(),
                        zone: Some(zone.to_string()),
                        rtype: Some(set.rtype.clone()),
                        ttl: None,
                        disabled: None,
                        content: Some(comment.content.clone()),
                    });
                }
            }
        }
    }
}

/// Searches zone names, record owners and contents, and comments across
/// every zone, PowerDNS-style.
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost/search-data",
    tag = "zones",
    params(SearchQuery),
    responses((status = 200, description = "The hits, zones first within each zone", body = Vec<SearchResult>), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn search_data(
    caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    Query(query): Query<SearchQuery>,
) -> Result<axum::Json<Vec<SearchResult>>, Failure> {
    let q = query.q.unwrap_or_default();
    if q.is_empty() {
        return Err(ApiError::Unprocessable("Query q can't be blank".to_string()).into());
    }
    let max = match query.max.as_deref() {
        None | Some("") => 100,
        Some(text) => text.parse::<usize>().map_err(|_| {
            ApiError::Unprocessable(format!("Invalid value for maximum entries: '{text}'"))
        })?,
    };
    if max < 1 {
        return Err(
            ApiError::Unprocessable("Maximum entries must be larger than 0".to_string()).into(),
        );
    }
    let kind = match query.object_type.as_deref() {
        None | Some("") | Some("all") => ObjectType::All,
        Some("zone") => ObjectType::Zone,
        Some("record") => ObjectType::Record,
        Some("comment") => ObjectType::Comment,
        Some(other) => {
            return Err(ApiError::Unprocessable(format!(
                "object_type '{other}' must be one of the following options: all, zone, record, comment"
            ))
            .into());
        }
    };
    let pattern = Pattern::new(&q);
    let store = Arc::clone(state.manager.store());
    let store_pattern = pattern.clone();
    // Only the zones the caller may read are searched.
    let rights = caller.1.clone();
    let mut results = blocking(move || {
        let mut out = Vec::new();
        let zones = store.zones()?;
        for info in zones.iter().filter(|z| rights.may_read_zone(&z.name, None)) {
            if out.len() >= max {
                break;
            }
            let sets: Vec<api::pdns::Rrset> = if kind == ObjectType::Zone {
                Vec::new()
            } else {
                store
                    .rrsets(&info.name)?
                    .iter()
                    .map(convert::rrset_out)
                    .collect()
            };
            search_zone(&store_pattern, kind, &info.name, &sets, max, &mut out);
        }
        Ok(out)
    })
    .await?;
    let configured = state.manager.elsewhere();
    let mut elsewhere: Vec<(&Name, &Elsewhere)> = configured.iter().collect();
    elsewhere.sort_by(|a, b| a.0.cmp(b.0));
    for (zone, _) in elsewhere {
        if !caller.1.may_read_zone(zone, None) {
            continue;
        }
        if results.len() >= max {
            break;
        }
        let sets = match state.manager.replicator_in(zone, None).current(zone) {
            Some(snapshot) if kind != ObjectType::Zone => {
                convert::rrsets_from_records(zone, snapshot.records())
            }
            _ => Vec::new(),
        };
        search_zone(&pattern, kind, zone, &sets, max, &mut results);
    }
    Ok(axum::Json(results))
}

/// The node's effective settings, read-only, as PowerDNS lists its
/// configuration: one `ConfigSetting` per key path of the configuration
/// file, after defaults and command-line overrides. No secrets: TSIG keys
/// show their name and algorithm only, API tokens are not configuration.
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost/config",
    tag = "servers",
    responses((status = 200, description = "The settings, in file order", body = Vec<ConfigSetting>), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn config(
    _caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<Vec<ConfigSetting>> {
    axum::Json(
        state
            .settings
            .effective_config
            .iter()
            .map(|(name, value)| ConfigSetting {
                object_type: "ConfigSetting".to_string(),
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
    )
}

/// Parameters of `statistics`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StatisticsQuery {
    /// Only this counter (a list of one); an unknown name is a 422.
    statistic: Option<String>,
    /// PowerDNS's switch for its ring buffers (top queries and the like):
    /// accepted; hadns keeps no rings, so it changes nothing.
    includerings: Option<String>,
}

/// The node's counters, as PowerDNS lists them: `StatisticItem`s whose
/// values are decimal text: the node's zones and keys, and the query,
/// response, transfer and NOTIFY counters `/metrics` serves.
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost/statistics",
    tag = "servers",
    params(StatisticsQuery),
    responses((status = 200, description = "The counters", body = Vec<StatisticItem>), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn statistics(
    _caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    Query(query): Query<StatisticsQuery>,
) -> Result<axum::Json<Vec<StatisticItem>>, Failure> {
    // Nothing to leave out: there are no ring statistics.
    let _ = query.includerings;
    let store = Arc::clone(state.manager.store());
    let keys = Arc::clone(state.manager.keys());
    let (store_zones, key_count) =
        blocking(move || Ok((store.zones()?.len(), keys.count()?))).await?;
    let configured_zones = state.manager.elsewhere().len();
    let mut counters: Vec<(String, u64)> = vec![
        ("zones".into(), (store_zones + configured_zones) as u64),
        ("zones-in-store".into(), store_zones as u64),
        ("zones-configured".into(), configured_zones as u64),
        ("tsig-keys".into(), key_count as u64),
        ("views".into(), state.manager.views().len() as u64),
    ];
    // The query, transfer and NOTIFY counters `/metrics` serves, under
    // PowerDNS's names where it has them (`udp-queries`, …), and `uptime`.
    counters.extend(state.settings.node_metrics.statistics());
    let mut items: Vec<StatisticItem> = counters
        .iter()
        .map(|(name, value)| StatisticItem {
            object_type: "StatisticItem".to_string(),
            name: name.clone(),
            value: value.to_string(),
        })
        .collect();
    if let Some(wanted) = query.statistic.as_deref() {
        items.retain(|item| item.name == wanted);
        if items.is_empty() {
            return Err(ApiError::Unprocessable(format!(
                "Unknown statistic name `{wanted}` (known: {})",
                counters
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into());
        }
    }
    Ok(axum::Json(items))
}
