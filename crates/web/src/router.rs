//! The router: every API route (its OpenAPI description collected as it
//! is added) and the UI's, CORS in front, and the server that runs it with
//! its connection limits.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::serve::ListenerExt;
use manage::Manager;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{
    audit, cluster, control, cors, error, history, limits, server, settings, tsigkeys, views,
    zone_actions, zones,
};
use crate::health::HealthSource;
use crate::state::{AppState, HttpSettings, MAX_BODY};

/// Serves HTTP on `listener` until the runtime stops or, with a node to
/// control, until the node stops: then it accepts no more connections,
/// finishes the requests under way, and the node waits for it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    manager: Arc<Manager>,
    settings: HttpSettings,
) {
    let stop = settings.control.as_ref().map(|c| Arc::clone(c.shutdown()));
    let app = router(manager, settings);
    let listener = limits::CappedListener::new(listener).tap_io(|stream| {
        // Replies go out as soon as they are written.
        let _ = stream.get_mut().set_nodelay(true);
    });
    // The client's address: the web UI counts failed logins per address.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = match stop {
        Some(stop) => {
            let _hold = stop.hold();
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.requested().await })
                .await
        }
        None => axum::serve(listener, app).await,
    };
    if let Err(e) = served {
        tracing::error!(error = %e, "the HTTP server stopped");
    }
}

/// The API's OpenAPI description, completed by the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "hadns REST API",
        description = "PowerDNS-compatible zones and RRsets, TSIG keys, configuration and statistics (`/api/v1/servers/localhost/…`) and hadns's own history, revert and cluster endpoints. Authenticate with an API token in the `X-API-Key` header. Errors are `{\"error\": \"…\"}`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "discovery", description = "API versions and the OpenAPI document (no key needed)"),
        (name = "servers", description = "The server (there is one: `localhost`)"),
        (name = "zones", description = "PowerDNS-compatible zones and RRsets"),
        (name = "history", description = "Each zone's change journal, diffs and revert (hadns)"),
        (name = "settings", description = "A store zone's SOA, serial policy, NOTIFY, transfer and update rules, catalog group (hadns)"),
        (name = "cluster", description = "Replication state (hadns)"),
        (name = "views", description = "The configured views and each store zone's copy in them (hadns); the zone endpoints take `view=NAME`"),
        (name = "health", description = "Each zone's serial, role and state, and how long a secondary has been behind its primary: what `hadns check` reads (no key needed; also on `[health] listen`)"),
        (name = "control", description = "`hadns ctl` over HTTP, as rndc with a key: status, zones, zone-status, notify, refresh, retransfer, reload, sync and stop, run by the node's control dispatch (read-only tokens: status, zones and zone-status)"),
        (name = "audit", description = "The audit log: logins, users, tokens, sessions, and zone creation, deletion, settings, reverts and imports — who, when, from where, what, and the outcome (hadns; a token that may write)"),
        (name = "tsigkeys", description = "TSIG keys, PowerDNS-compatible: kept in the store and used for transfers and updates at once; the configuration's `[[key]]`s are listed read-only"),
    ),
)]
struct ApiDoc;

/// The router with every route, and the OpenAPI document built from them.
pub fn router(manager: Arc<Manager>, settings: HttpSettings) -> Router {
    let (router, mut openapi) = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .routes(routes!(server::discovery))
        .routes(routes!(server::discovery_v1))
        .routes(routes!(server::openapi_document))
        .routes(routes!(server::list_servers))
        .routes(routes!(server::get_server))
        .routes(routes!(server::search_data))
        .routes(routes!(server::config))
        .routes(routes!(server::statistics))
        .routes(routes!(tsigkeys::list_keys, tsigkeys::create_key))
        .routes(routes!(
            tsigkeys::get_key,
            tsigkeys::put_key,
            tsigkeys::delete_key
        ))
        .routes(routes!(zones::list_zones, zones::create_zone))
        .routes(routes!(
            zones::get_zone,
            zones::patch_zone,
            zones::put_zone,
            zones::delete_zone
        ))
        .routes(routes!(zones::export_zone))
        .routes(routes!(zone_actions::notify_zone))
        .routes(routes!(zone_actions::axfr_retrieve))
        .routes(routes!(history::list_history))
        .routes(routes!(history::get_change))
        .routes(routes!(history::revert))
        .routes(routes!(settings::get_settings, settings::put_settings))
        .routes(routes!(cluster::cluster))
        .routes(routes!(control::control))
        .routes(routes!(audit::list_audit))
        .routes(routes!(views::list_views))
        .routes(routes!(views::get_view))
        .routes(routes!(crate::health::health))
        .routes(routes!(crate::metrics::metrics))
        .split_for_parts();
    error::document_security(&mut openapi);
    let document = openapi.to_json().unwrap_or_else(|e| {
        format!("{{\"error\": \"the OpenAPI document did not serialise: {e}\"}}")
    });
    let cors = Arc::new(cors::Cors::new(&settings.cors_origins));
    let health = Arc::new(HealthSource::new(
        settings.node_name.clone(),
        manager.lanes().to_vec(),
    ));
    let metrics = Arc::clone(&settings.metrics);
    let token_rates = Arc::new(crate::api::rate::TokenRates::new(
        settings.api_requests_per_second,
    ));
    let state = AppState {
        token_rates,
        control: settings.control.clone(),
        health,
        manager,
        settings: Arc::new(settings),
        openapi: Arc::new(document),
        sessions: Arc::default(),
    };
    router
        .merge(crate::ui::routes::routes())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // Bodies are read here at a minimum pace, before any handler.
        .layer(axum::middleware::from_fn(limits::read_body_in_time))
        .route_layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::count_requests,
        ))
        // Outermost, so a preflight is answered before routing and
        // authentication (browsers send it without the API key).
        .layer(axum::middleware::from_fn_with_state(cors, cors::handle))
        .with_state(state)
}
