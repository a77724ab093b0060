//! The UI's routes and what every UI response carries: security headers,
//! the stylesheet and htmx.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};

use super::{
    account, audit, auth, bulk, cluster, history, import, records, removal, settings, users, views,
    zones,
};
use crate::state::AppState;

/// A GET of a URL forms post to: 303 to the zone's page.
async fn back_to_zone(axum::extract::Path(zone): axum::extract::Path<String>) -> Redirect {
    Redirect::to(&format!("/ui/zones/{}", super::url_encode(&zone)))
}

/// The UI's routes, state applied by the caller. Who may use each one is
/// in `crate::access::ui_need`: a route not listed there is for admins.
pub(crate) fn routes() -> Router<AppState> {
    declared()
        .router
        .layer(axum::middleware::map_response(security_headers))
}

/// The path of every UI route, as routed (`/ui/zones/{zone}`): read from
/// the same declarations the router is built from, so that
/// `tests/security.rs` can fail when a route is added without a line in
/// its table.
pub(crate) fn paths() -> Vec<&'static str> {
    declared().paths
}

/// A router being declared, and the paths declared so far.
struct Declared {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl Declared {
    /// Adds a route, remembering its path.
    fn route(mut self, path: &'static str, method_router: MethodRouter<AppState>) -> Declared {
        self.paths.push(path);
        self.router = Router::route(self.router, path, method_router);
        self
    }
}

/// Every UI route, declared once for both [`routes`] and [`paths`].
fn declared() -> Declared {
    Declared {
        router: Router::new(),
        paths: Vec::new(),
    }
    .route("/", get(|| async { Redirect::to("/ui/") }))
    .route("/ui", get(|| async { Redirect::to("/ui/") }))
    .route("/ui/static/style.css", get(stylesheet))
    .route("/ui/static/htmx.min.js", get(htmx))
    .route("/ui/login", get(auth::login_page).post(auth::login))
    .route("/ui/logout", post(auth::logout))
    .route("/ui/", get(zones::zones_page))
    .route("/ui/zones", post(zones::create_zone))
    .route("/ui/zones/{zone}", get(records::zone_page))
    // A form answered with its errors leaves the browser at the URL it
    // posted to; reloading or bookmarking it GETs that URL, which then
    // leads back to the zone instead of answering 405.
    .route(
        "/ui/zones/{zone}/records",
        get(back_to_zone).post(records::add_record),
    )
    .route(
        "/ui/zones/{zone}/records/delete",
        get(removal::delete_record_page).post(records::delete_record),
    )
    .route("/ui/zones/{zone}/bulk", get(back_to_zone).post(bulk::bulk))
    .route(
        "/ui/zones/{zone}/view-rrset",
        get(back_to_zone).post(views::view_rrset),
    )
    .route(
        "/ui/zones/{zone}/edit",
        get(records::edit_page).post(records::edit_record),
    )
    // The form posts to the page's own URL: a reload after a refusal
    // GETs the page again, no 405.
    .route(
        "/ui/zones/{zone}/settings",
        get(settings::settings_page).post(settings::save_settings),
    )
    .route(
        "/ui/zones/{zone}/delete",
        get(zones::delete_zone_page).post(zones::delete_zone),
    )
    .route("/ui/cluster", get(cluster::cluster_page))
    .route("/ui/cluster/live", get(cluster::cluster_live))
    .route("/ui/cluster/notify", post(cluster::notify_target))
    .route(
        "/ui/cluster/peer-retransfer",
        post(cluster::peer_retransfer),
    )
    .route("/ui/cluster/{action}", post(cluster::secondary_action))
    .route("/ui/import", get(import::import_page).post(import::import))
    .route("/ui/users", get(users::users_page).post(users::add_user))
    .route("/ui/users/password", post(users::reset_password))
    .route("/ui/users/state", post(users::set_user_state))
    .route("/ui/users/role", post(users::set_role))
    .route("/ui/users/grant", post(users::grant))
    .route("/ui/users/revoke-grant", post(users::revoke_grant))
    .route(
        "/ui/users/delete",
        get(users::delete_user_page).post(users::delete_user),
    )
    .route("/ui/tokens", post(users::create_token))
    .route("/ui/tokens/revoke", post(users::revoke_token))
    .route("/ui/audit", get(audit::audit_page))
    .route("/ui/account", get(account::account_page))
    .route(
        "/ui/account/tokens",
        get(|| async { Redirect::to("/ui/account") }).post(account::create_own_token),
    )
    .route(
        "/ui/account/tokens/revoke",
        get(|| async { Redirect::to("/ui/account") }).post(account::revoke_own_token),
    )
    .route(
        "/ui/account/password",
        get(|| async { Redirect::to("/ui/account") }).post(account::change_password),
    )
    .route(
        "/ui/account/sessions/revoke",
        get(|| async { Redirect::to("/ui/account") }).post(account::revoke_session),
    )
    .route("/ui/zones/{zone}/history", get(history::history_page))
    .route(
        "/ui/zones/{zone}/revert",
        get(history::revert_page).post(history::revert),
    )
}

/// Headers on every UI response: no framing, no sniffing, no caching of
/// pages that show zone data, and a policy that allows only our own script
/// and stylesheet.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn stylesheet() -> Response {
    static_file(
        "text/css; charset=utf-8",
        include_str!("../../static/ui/style.css"),
    )
}

async fn htmx() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/ui/htmx.min.js"),
    )
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
