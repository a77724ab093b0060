//! The web UI: server-rendered pages (askama templates in `templates/ui/`,
//! the stylesheet and a vendored htmx in `static/ui/`) on the API's HTTP
//! port, under `/ui/`.
//!
//! ```text
//!  browser ─► /ui/… ─► UiSession (cookie → Sessions; else 303 to /ui/login)
//!                      POST: same-origin check + CSRF token of the session
//!          ─► handler: reads from the Store (blocking threads), writes through
//!                      Manager::apply / create_zone / delete_zone / revert
//!                      (source `ui`, author = the user), the same write path
//!                      as the API and UPDATE
//!          ◄─ HTML; a refused change re-renders its form (422) with the
//!             write path's message beside the field it concerns
//! ```
//!
//! Every form works without JavaScript; htmx (`hx-boost`) only swaps pages
//! in place. Pages are served with a strict Content-Security-Policy (no
//! inline script or style), `X-Frame-Options: DENY` and `no-store`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use store::{
    ChangeMeta, ChangeSet, NewZone, RecordInput, RrsetChange, RrsetOp, Source, StoredRrset,
    ValidationReason, WriteError, ZoneKind,
};
use wire::{Name, Record, Rtype, Serial};

use crate::http::{AppState, now};
use crate::manage::{Elsewhere, ManageError};

pub(crate) mod session;

use session::{SessionView, same_token};

/// The session cookie's name.
const COOKIE: &str = "hadns_session";
/// RRsets per page of a zone.
const PAGE_SIZE: usize = 100;
/// History entries per page.
const HISTORY_PAGE: usize = 25;
/// TTL of a record added without one.
const DEFAULT_TTL: u32 = 3600;

/// The UI's routes, state applied by the caller.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/static/style.css", get(stylesheet))
        .route("/ui/static/htmx.min.js", get(htmx))
        .route("/ui/login", get(login_page).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/", get(zones_page))
        .route("/ui/zones", post(create_zone))
        .route("/ui/zones/{zone}", get(zone_page))
        .route("/ui/zones/{zone}/records", post(add_record))
        .route("/ui/zones/{zone}/records/delete", post(delete_record))
        .route("/ui/zones/{zone}/edit", get(edit_page).post(edit_record))
        .route(
            "/ui/zones/{zone}/delete",
            get(delete_zone_page).post(delete_zone),
        )
        .route("/ui/zones/{zone}/history", get(history_page))
        .route("/ui/zones/{zone}/revert", get(revert_page).post(revert))
        .layer(axum::middleware::map_response(security_headers))
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

/// Renders a page with `status`.
fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a UI template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

/// A page that says what went wrong, with a way back.
#[derive(Template)]
#[template(path = "ui/message.html")]
struct MessagePage {
    nav: Option<SessionView>,
    heading: String,
    text: String,
    back: String,
}

fn message(
    status: StatusCode,
    nav: Option<SessionView>,
    heading: &str,
    text: impl Into<String>,
    back: &str,
) -> Response {
    render(
        status,
        &MessagePage {
            nav,
            heading: heading.to_string(),
            text: text.into(),
            back: back.to_string(),
        },
    )
}

// ---------------------------------------------------------------------------
// Sessions, CSRF

/// The logged-in user of a request; without a live session the request is
/// sent to the login page.
pub(crate) struct UiSession {
    id: String,
    view: SessionView,
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

impl FromRequestParts<AppState> for UiSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let id = cookie_value(&parts.headers, COOKIE).unwrap_or_default();
        match state.sessions.get(id, now()) {
            Some(view) => Ok(UiSession {
                id: id.to_string(),
                view,
            }),
            None => Err(Redirect::to("/ui/login").into_response()),
        }
    }
}

/// The refusal of a state-changing request from another origin (a browser names
/// it in `Origin`), or whose form lacks this session's CSRF token.
fn check_form(session: &UiSession, headers: &HeaderMap, csrf: &str) -> Option<Response> {
    if let Some(refused) = check_origin(headers) {
        return Some(refused);
    }
    if same_token(csrf, &session.view.csrf) {
        None
    } else {
        Some(message(
            StatusCode::FORBIDDEN,
            Some(session.view.clone()),
            "Form refused",
            "The form did not carry this session's security token (CSRF); it may be stale or \
             forged. Reload the page and try again.",
            "/ui/",
        ))
    }
}

/// The refusal of a POST whose `Origin` is not this server.
fn check_origin(headers: &HeaderMap) -> Option<Response> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin on every cross-origin POST; without one the
        // request is not a cross-site form, and the CSRF token decides.
        return None;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) {
        None
    } else {
        Some(message(
            StatusCode::FORBIDDEN,
            None,
            "Form refused",
            format!("A form from {origin} may not change this server."),
            "/ui/",
        ))
    }
}

#[derive(Template)]
#[template(path = "ui/login.html")]
struct LoginPage {
    nav: Option<SessionView>,
    error: Option<String>,
    username: String,
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let id = cookie_value(&headers, COOKIE).unwrap_or_default();
    if state.sessions.get(id, now()).is_some() {
        return Redirect::to("/ui/").into_response();
    }
    render(
        StatusCode::OK,
        &LoginPage {
            nav: None,
            error: None,
            username: String::new(),
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<axum::Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if let Some(refused) = check_origin(&headers) {
        return refused;
    }
    let client: IpAddr = client.ip();
    let at = now();
    let page = |status, error: String, username: String| {
        render(
            status,
            &LoginPage {
                nav: None,
                error: Some(error),
                username,
            },
        )
    };
    if let Err(limited) = state.sessions.login_allowed(client, at) {
        let mut response = page(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed logins from your address; try again in {} seconds.",
                limited.retry_after
            ),
            String::new(),
        );
        if let Ok(value) = HeaderValue::from_str(&limited.retry_after.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let Ok(axum::Form(form)) = form else {
        return page(
            StatusCode::BAD_REQUEST,
            "The login form was not readable.".into(),
            String::new(),
        );
    };
    let store = Arc::clone(state.manager.store());
    let (name, password) = (form.username.clone(), form.password);
    let checked = tokio::task::spawn_blocking(move || store.check_password(&name, &password)).await;
    match checked {
        Ok(Ok(Some(user))) => {
            state.sessions.login_succeeded(client);
            let (id, _) = state.sessions.create(&user.name, at);
            tracing::info!(user = %user.name, client = %client, "web UI login");
            let mut response = Redirect::to("/ui/").into_response();
            // No Secure flag: the server speaks plain HTTP (keep it on
            // loopback or behind a TLS proxy, which should add it).
            let cookie = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict");
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(Ok(None)) => {
            state.sessions.login_failed(client, at);
            tracing::warn!(user = %form.username, client = %client, "web UI login failed");
            page(
                StatusCode::UNAUTHORIZED,
                "Unknown user or wrong password (or the user is disabled).".into(),
                form.username,
            )
        }
        Ok(Err(e)) => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("The user store could not be read: {e}"),
            form.username,
        ),
        Err(e) => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("The login check failed: {e}"),
            form.username,
        ),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    state.sessions.remove(&session.id);
    let mut response = Redirect::to("/ui/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("hadns_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

// ---------------------------------------------------------------------------
// Shared helpers

/// A zone in a URL path: its name with the final dot, `=XX`-escaped like
/// the API's zone ids.
fn zone_url(zone: &Name) -> String {
    format!("/ui/zones/{}", api::convert::zone_id(zone))
}

fn parse_zone(text: &str) -> Result<Name, String> {
    api::convert::parse_zone_id(text)
        .map(|n| n.to_lowercase())
        .map_err(|e| e.to_string())
}

/// Percent-encodes a query-string value.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs blocking store work.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("internal error: {e}"))?
}

/// A served record as one line of a diff.
fn record_line(record: &Record) -> String {
    format!(
        "{} {} {} {}",
        record.owner,
        record.ttl,
        record.rtype,
        api::convert::content_text(record.rtype, &record.rdata)
    )
}

/// Where a zone shown in the UI comes from.
enum Origin {
    Store(store::ZoneInfo),
    Elsewhere(Elsewhere),
}

async fn find_zone(state: &AppState, zone: &Name) -> Result<Option<Origin>, String> {
    if let Some(other) = state.manager.elsewhere().get(zone) {
        return Ok(Some(Origin::Elsewhere(other.clone())));
    }
    let store = Arc::clone(state.manager.store());
    let name = zone.clone();
    let info = blocking(move || store.zone(&name).map_err(|e| e.to_string())).await?;
    Ok(info.map(Origin::Store))
}

fn not_found(session: &UiSession, zone: &str) -> Response {
    message(
        StatusCode::NOT_FOUND,
        Some(session.view.clone()),
        "No such zone",
        format!("This node serves no zone {zone}."),
        "/ui/",
    )
}

// ---------------------------------------------------------------------------
// Zones

struct ZoneRow {
    name: String,
    url: String,
    kind: &'static str,
    serial: u32,
    records: usize,
    last_change: String,
    secondaries: String,
    writable: bool,
}

#[derive(Default)]
struct CreateForm {
    name: String,
    nameservers: String,
    name_error: Option<String>,
    ns_error: Option<String>,
}

#[derive(Template)]
#[template(path = "ui/zones.html")]
struct ZonesPage {
    nav: Option<SessionView>,
    session: SessionView,
    zones: Vec<ZoneRow>,
    form: CreateForm,
    default_nameservers: String,
}

/// "2/2 in step", "1/2 in step", or "—" without NOTIFY targets.
fn secondaries_text(state: &AppState, zone: &Name, serial: Serial) -> String {
    let Some(status) = state.manager.replicator().status(zone) else {
        return "—".into();
    };
    if status.notify.is_empty() {
        return "—".into();
    }
    let in_step = status
        .notify
        .iter()
        .filter(|(_, t)| t.serial == Some(serial) && t.acknowledged.is_some() && t.error.is_none())
        .count();
    format!("{in_step}/{} in step", status.notify.len())
}

fn time_text(unix: u64) -> String {
    let days = unix / 86_400;
    let seconds = unix % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

async fn zone_rows(state: &AppState) -> Result<Vec<ZoneRow>, String> {
    let store = Arc::clone(state.manager.store());
    let stored = blocking(move || store.zones().map_err(|e| e.to_string())).await?;
    let mut rows: Vec<ZoneRow> = stored
        .into_iter()
        .map(|info| ZoneRow {
            url: zone_url(&info.name),
            kind: "primary (store)",
            serial: info.serial.0,
            records: info.records,
            last_change: info
                .last_change
                .as_ref()
                .map(|c| {
                    format!(
                        "{} by {} ({})",
                        time_text(c.changed_at),
                        c.author,
                        c.source.as_str()
                    )
                })
                .unwrap_or_default(),
            secondaries: secondaries_text(state, &info.name, info.serial),
            writable: true,
            name: info.name.to_string(),
        })
        .collect();
    for (name, other) in state.manager.elsewhere() {
        let current = state.manager.replicator().current(name);
        let serial = current.as_ref().map(|z| z.serial());
        rows.push(ZoneRow {
            name: name.to_string(),
            url: zone_url(name),
            kind: match other {
                Elsewhere::File(_) => "primary (file)",
                Elsewhere::Secondary(_) => "secondary",
            },
            serial: serial.map_or(0, |s| s.0),
            records: current.as_ref().map_or(0, |z| z.record_count()),
            last_change: String::new(),
            secondaries: serial.map_or_else(|| "—".into(), |s| secondaries_text(state, name, s)),
            writable: false,
        });
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

async fn render_zones(
    state: &AppState,
    session: &UiSession,
    status: StatusCode,
    form: CreateForm,
) -> Response {
    match zone_rows(state).await {
        Ok(zones) => {
            let defaults = &state.manager.rules(&Name::root()).nameservers;
            render(
                status,
                &ZonesPage {
                    nav: Some(session.view.clone()),
                    session: session.view.clone(),
                    zones,
                    form,
                    default_nameservers: defaults
                        .iter()
                        .map(Name::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                },
            )
        }
        Err(e) => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(session.view.clone()),
            "Zones unavailable",
            e,
            "/ui/",
        ),
    }
}

async fn zones_page(State(state): State<AppState>, session: UiSession) -> Response {
    render_zones(&state, &session, StatusCode::OK, CreateForm::default()).await
}

#[derive(Deserialize)]
struct CreateZoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    nameservers: String,
}

async fn create_zone(
    State(state): State<AppState>,
    session: UiSession,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CreateZoneForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let mut shown = CreateForm {
        name: form.name.clone(),
        nameservers: form.nameservers.clone(),
        ..CreateForm::default()
    };
    let text = form.name.trim();
    let absolute = if text.ends_with('.') {
        text.to_string()
    } else {
        format!("{text}.")
    };
    let name = match Name::from_text(&absolute, None) {
        Ok(name) if text.is_empty() => {
            let _ = name;
            shown.name_error = Some("Give the zone's name, e.g. example.com".into());
            return render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
        }
        Ok(name) => name.to_lowercase(),
        Err(e) => {
            shown.name_error = Some(format!("`{text}` is not a domain name: {e}"));
            return render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
        }
    };
    if let Some(other) = state.manager.elsewhere().get(&name) {
        shown.name_error = Some(format!(
            "{name} is already served by this node ({}).",
            match other {
                Elsewhere::File(path) => format!("from the zone file {}", path.display()),
                Elsewhere::Secondary(_) => "as a secondary".into(),
            }
        ));
        return render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    }
    let mut nameservers = Vec::new();
    for ns in form
        .nameservers
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
    {
        let absolute = if ns.ends_with('.') {
            ns.to_string()
        } else {
            format!("{ns}.")
        };
        match Name::from_text(&absolute, None) {
            Ok(n) => nameservers.push(n),
            Err(e) => {
                shown.ns_error = Some(format!("`{ns}` is not a host name: {e}"));
                return render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown)
                    .await;
            }
        }
    }
    let rules = state.manager.rules(&name);
    if nameservers.is_empty() {
        nameservers = rules.nameservers.clone();
    }
    if nameservers.is_empty() {
        shown.ns_error = Some(
            "A zone needs at least one name server (this node has no [zone_defaults] nameservers)."
                .into(),
        );
        return render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    }
    let new = NewZone {
        name: name.clone(),
        kind: ZoneKind::Master,
        serial_policy: rules.serial_policy,
        rrsets: Vec::new(),
        nameservers,
    };
    let meta = ChangeMeta {
        author: session.view.user.clone(),
        source: Source::Ui,
        comment: Some("zone created in the web UI".into()),
        now: now(),
    };
    match state.manager.create_zone(new, meta).await {
        Ok(applied) => {
            tracing::info!(zone = %name, user = %session.view.user, serial = applied.to.0, "zone created in the web UI");
            Redirect::to(&format!("{}?saved={}", zone_url(&name), applied.to.0)).into_response()
        }
        Err(e) => {
            shown.name_error = Some(e.to_string());
            render_zones(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}

#[derive(Template)]
#[template(path = "ui/delete_zone.html")]
struct DeleteZonePage {
    nav: Option<SessionView>,
    session: SessionView,
    zone: String,
    url: String,
    records: usize,
    error: Option<String>,
}

async fn delete_zone_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session, &zone);
    };
    match find_zone(&state, &name).await {
        Ok(Some(Origin::Store(info))) => render(
            StatusCode::OK,
            &DeleteZonePage {
                nav: Some(session.view.clone()),
                session: session.view.clone(),
                zone: name.to_string(),
                url: zone_url(&name),
                records: info.records,
                error: None,
            },
        ),
        _ => not_found(&session, &zone),
    }
}

#[derive(Deserialize)]
struct DeleteZoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

async fn delete_zone(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<DeleteZoneForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session, &zone);
    };
    let Ok(Some(Origin::Store(info))) = find_zone(&state, &name).await else {
        return not_found(&session, &zone);
    };
    let typed = form
        .confirm
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let wanted = name.to_string();
    if typed != wanted.trim_end_matches('.') {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &DeleteZonePage {
                nav: Some(session.view.clone()),
                session: session.view.clone(),
                zone: wanted.clone(),
                url: zone_url(&name),
                records: info.records,
                error: Some(format!("Type {wanted} to confirm.")),
            },
        );
    }
    match state.manager.delete_zone(&name).await {
        Ok(()) => {
            tracing::info!(zone = %name, user = %session.view.user, "zone deleted in the web UI");
            Redirect::to("/ui/").into_response()
        }
        Err(e) => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Not deleted",
            e.to_string(),
            &zone_url(&name),
        ),
    }
}

// ---------------------------------------------------------------------------
// A zone's records

struct RecordRow {
    content: String,
    disabled: bool,
    /// The query string of its edit link.
    query: String,
}

struct RrsetRow {
    /// The owner relative to the zone (`@` for the apex).
    name: String,
    /// The owner, absolute.
    owner: String,
    ttl: u32,
    rtype: String,
    editable: bool,
    records: Vec<RecordRow>,
}

/// The record form's fields as typed, and an error per field.
#[derive(Default)]
struct RecordFormView {
    name: String,
    ttl: String,
    rtype: String,
    content: String,
    comment: String,
    errors: FieldErrors,
}

#[derive(Default, Debug)]
struct FieldErrors {
    name: Option<String>,
    ttl: Option<String>,
    rtype: Option<String>,
    content: Option<String>,
}

struct Saved {
    from: u32,
    to: u32,
    removed: Vec<String>,
    added: Vec<String>,
}

#[derive(Template)]
#[template(path = "ui/zone.html")]
struct ZonePage {
    nav: Option<SessionView>,
    session: SessionView,
    zone: String,
    url: String,
    kind: &'static str,
    serial: u32,
    total: usize,
    writable: bool,
    read_only: Option<String>,
    saved: Option<Saved>,
    form: RecordFormView,
    query: String,
    rrsets: Vec<RrsetRow>,
    page: usize,
    pages: usize,
    prev_page: Option<String>,
    next_page: Option<String>,
}

#[derive(Deserialize, Default)]
struct ZoneQuery {
    q: Option<String>,
    page: Option<usize>,
    saved: Option<u32>,
}

fn relative(owner: &Name, zone: &Name) -> String {
    if owner == zone {
        return "@".into();
    }
    let text = owner.to_string();
    let suffix = format!(".{zone}");
    text.strip_suffix(&suffix)
        .map_or(text.clone(), str::to_string)
}

/// The RRsets of a zone for display: from the store, or from the served
/// snapshot for zones kept elsewhere.
async fn load_sets(
    state: &AppState,
    zone: &Name,
    origin: &Origin,
) -> Result<Vec<StoredRrset>, String> {
    match origin {
        Origin::Store(_) => {
            let store = Arc::clone(state.manager.store());
            let name = zone.clone();
            blocking(move || store.rrsets(&name).map_err(|e| e.to_string())).await
        }
        Origin::Elsewhere(_) => {
            let Some(snapshot) = state.manager.replicator().current(zone) else {
                return Ok(Vec::new());
            };
            let mut sets: Vec<StoredRrset> = Vec::new();
            for record in snapshot.records() {
                let content = api::convert::content_text(record.rtype, &record.rdata);
                match sets.last_mut() {
                    Some(set) if set.name == record.owner && set.rtype == record.rtype => {
                        set.records.push(store::StoredRecord {
                            rdata: record.rdata,
                            content,
                            disabled: false,
                        });
                    }
                    _ => sets.push(StoredRrset {
                        name: record.owner,
                        rtype: record.rtype,
                        ttl: record.ttl,
                        records: vec![store::StoredRecord {
                            rdata: record.rdata,
                            content,
                            disabled: false,
                        }],
                        comments: Vec::new(),
                    }),
                }
            }
            Ok(sets)
        }
    }
}

async fn render_zone(
    state: &AppState,
    session: &UiSession,
    zone: &Name,
    query: ZoneQuery,
    status: StatusCode,
    form: RecordFormView,
) -> Response {
    let origin = match find_zone(state, zone).await {
        Ok(Some(origin)) => origin,
        Ok(None) => return not_found(session, &zone.to_string()),
        Err(e) => {
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(session.view.clone()),
                "Zone unavailable",
                e,
                "/ui/",
            );
        }
    };
    let sets = match load_sets(state, zone, &origin).await {
        Ok(sets) => sets,
        Err(e) => {
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(session.view.clone()),
                "Zone unavailable",
                e,
                "/ui/",
            );
        }
    };
    let (kind, serial, writable, read_only) = match &origin {
        Origin::Store(info) => ("primary (store)", info.serial.0, true, None),
        Origin::Elsewhere(other) => {
            let serial = state
                .manager
                .replicator()
                .current(zone)
                .map_or(0, |z| z.serial().0);
            match other {
                Elsewhere::File(path) => (
                    "primary (file)",
                    serial,
                    false,
                    Some(format!(
                        "Served from the zone file {}: edit the file and reload, or import it into the store.",
                        path.display()
                    )),
                ),
                Elsewhere::Secondary(_) => (
                    "secondary",
                    serial,
                    false,
                    Some("A secondary zone, copied from its primaries: change it there.".into()),
                ),
            }
        }
    };
    let needle = query
        .q
        .clone()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let matching: Vec<&StoredRrset> = sets
        .iter()
        .filter(|set| {
            needle.is_empty()
                || set.name.to_string().contains(&needle)
                || set.rtype.to_string().eq_ignore_ascii_case(&needle)
                || set
                    .records
                    .iter()
                    .any(|r| r.content.to_ascii_lowercase().contains(&needle))
        })
        .collect();
    let total = matching.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query.page.unwrap_or(1).clamp(1, pages);
    let page_url = |n: usize| {
        let mut url = format!("{}?page={n}", zone_url(zone));
        if !needle.is_empty() {
            url.push_str(&format!("&q={}", url_encode(&needle)));
        }
        url
    };
    let rrsets = matching
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .filter(|set| !set.records.is_empty())
        .map(|set| RrsetRow {
            name: relative(&set.name, zone),
            owner: set.name.to_string(),
            ttl: set.ttl,
            rtype: set.rtype.to_string(),
            editable: set.rtype != Rtype::SOA,
            records: set
                .records
                .iter()
                .map(|r| RecordRow {
                    content: r.content.clone(),
                    disabled: r.disabled,
                    query: format!(
                        "name={}&rtype={}&content={}",
                        url_encode(&set.name.to_string()),
                        url_encode(&set.rtype.to_string()),
                        url_encode(&r.content)
                    ),
                })
                .collect(),
        })
        .collect();
    let saved = match (query.saved, &origin) {
        (Some(serial), Origin::Store(_)) => {
            let store = Arc::clone(state.manager.store());
            let name = zone.clone();
            blocking(move || {
                store
                    .change(&name, Serial(serial))
                    .map_err(|e| e.to_string())
            })
            .await
            .ok()
            .flatten()
            .map(|change| Saved {
                from: change.entry.serial_from.0,
                to: change.entry.serial_to.0,
                removed: change.removed.iter().map(record_line).collect(),
                added: change.added.iter().map(record_line).collect(),
            })
        }
        _ => None,
    };
    render(
        status,
        &ZonePage {
            nav: Some(session.view.clone()),
            session: session.view.clone(),
            zone: zone.to_string(),
            url: zone_url(zone),
            kind,
            serial,
            total,
            writable,
            read_only,
            saved,
            form,
            query: needle.clone(),
            rrsets,
            page,
            pages,
            prev_page: (page > 1).then(|| page_url(page - 1)),
            next_page: (page < pages).then(|| page_url(page + 1)),
        },
    )
}

async fn zone_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    Query(query): Query<ZoneQuery>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session, &zone);
    };
    render_zone(
        &state,
        &session,
        &name,
        query,
        StatusCode::OK,
        RecordFormView {
            ttl: DEFAULT_TTL.to_string(),
            ..RecordFormView::default()
        },
    )
    .await
}

#[derive(Deserialize)]
struct RecordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    ttl: String,
    #[serde(default)]
    rtype: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    old_name: String,
    #[serde(default)]
    old_rtype: String,
    #[serde(default)]
    old_content: String,
}

impl RecordForm {
    fn view(&self) -> RecordFormView {
        RecordFormView {
            name: self.name.clone(),
            ttl: self.ttl.clone(),
            rtype: self.rtype.clone(),
            content: self.content.clone(),
            comment: self.comment.clone(),
            errors: FieldErrors::default(),
        }
    }
}

/// A record as typed in the form: owner relative to the zone (or `@`, or
/// absolute with a final dot), TTL (default 3600), type, and content in
/// zone-file syntax with names relative to the zone.
#[derive(Debug)]
struct ParsedRecord {
    name: Name,
    ttl: u32,
    rtype: Rtype,
    rdata: Vec<u8>,
}

fn parse_record(zone: &Name, form: &RecordForm) -> Result<ParsedRecord, FieldErrors> {
    let mut errors = FieldErrors::default();
    let text = form.name.trim();
    let name = if text.is_empty() || text == "@" {
        Some(zone.clone())
    } else {
        match Name::from_text(text, Some(zone)) {
            Ok(name) if name.is_subdomain_of(zone) => Some(name.to_lowercase()),
            Ok(name) => {
                errors.name = Some(format!("{name} is not inside the zone {zone}"));
                None
            }
            Err(e) => {
                errors.name = Some(format!("`{text}` is not a valid name: {e}"));
                None
            }
        }
    };
    let ttl_text = form.ttl.trim();
    let ttl = if ttl_text.is_empty() {
        Some(DEFAULT_TTL)
    } else {
        match ttl_text.parse::<u32>() {
            Ok(ttl) if ttl <= i32::MAX as u32 => Some(ttl),
            _ => {
                errors.ttl = Some(format!(
                    "`{ttl_text}` is not a TTL: seconds from 0 to 2147483647"
                ));
                None
            }
        }
    };
    let rtype = match form.rtype.trim().to_ascii_uppercase().parse::<Rtype>() {
        Ok(rtype) if !rtype.is_meta() && rtype != Rtype::SOA => Some(rtype),
        Ok(rtype) if rtype == Rtype::SOA => {
            errors.rtype = Some(
                "The SOA record is kept by the server: its serial moves on every change".into(),
            );
            None
        }
        _ => {
            errors.rtype = Some(format!(
                "`{}` is not a record type (A, AAAA, CNAME, MX, TXT, …)",
                form.rtype.trim()
            ));
            None
        }
    };
    let rdata =
        rtype.and_then(
            |rtype| match zonefile::parse_rdata(rtype, form.content.trim(), zone) {
                Ok(rdata) => Some(rdata),
                Err(e) => {
                    errors.content = Some(format!("Not valid {rtype} data: {e}"));
                    None
                }
            },
        );
    match (name, ttl, rtype, rdata) {
        (Some(name), Some(ttl), Some(rtype), Some(rdata)) => Ok(ParsedRecord {
            name,
            ttl,
            rtype,
            rdata,
        }),
        _ => Err(errors),
    }
}

/// The field a refusal of the write path concerns, with its message.
fn refusal_errors(error: &ManageError) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let text = error.to_string();
    match error {
        ManageError::Refused(WriteError::Validation { reason, .. }) => match reason {
            ValidationReason::OutsideZone { .. } | ValidationReason::CnameAtApex => {
                errors.name = Some(text);
            }
            ValidationReason::TtlTooLarge { .. } => errors.ttl = Some(text),
            ValidationReason::MetaType | ValidationReason::ClassNotIn { .. } => {
                errors.rtype = Some(text);
            }
            _ => errors.content = Some(text),
        },
        _ => errors.content = Some(text),
    }
    errors
}

fn input(rdata: Vec<u8>) -> RecordInput {
    RecordInput {
        rdata,
        content: None,
        disabled: false,
    }
}

/// Applies `changes` as the session's user; on success, 303 to the zone
/// page showing the diff; on refusal, the form again with the message.
#[allow(clippy::too_many_arguments)]
async fn write(
    state: &AppState,
    session: &UiSession,
    zone: &Name,
    changes: Vec<RrsetChange>,
    comment: &str,
    form: RecordFormView,
    edit: Option<(String, String, String)>,
) -> Response {
    let meta = ChangeMeta {
        author: session.view.user.clone(),
        source: Source::Ui,
        comment: Some(comment.trim().to_string()).filter(|c| !c.is_empty()),
        now: now(),
    };
    match state.manager.apply(zone, ChangeSet { changes }, meta).await {
        Ok(applied) => {
            tracing::info!(zone = %zone, user = %session.view.user, serial = applied.to.0, "zone changed in the web UI");
            Redirect::to(&format!("{}?saved={}", zone_url(zone), applied.to.0)).into_response()
        }
        Err(error) => {
            let form = RecordFormView {
                errors: refusal_errors(&error),
                ..form
            };
            match edit {
                Some((old_name, old_rtype, old_content)) => render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &EditPage {
                        nav: Some(session.view.clone()),
                        session: session.view.clone(),
                        zone: zone.to_string(),
                        url: zone_url(zone),
                        old_name,
                        old_rtype,
                        old_content,
                        form,
                    },
                ),
                None => {
                    render_zone(
                        state,
                        session,
                        zone,
                        ZoneQuery::default(),
                        StatusCode::UNPROCESSABLE_ENTITY,
                        form,
                    )
                    .await
                }
            }
        }
    }
}

async fn add_record(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RecordForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session, &zone);
    };
    let record = match parse_record(&name, &form) {
        Ok(record) => record,
        Err(errors) => {
            let view = RecordFormView {
                errors,
                ..form.view()
            };
            return render_zone(
                &state,
                &session,
                &name,
                ZoneQuery::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                view,
            )
            .await;
        }
    };
    let change = RrsetChange {
        name: record.name,
        rtype: record.rtype,
        op: RrsetOp::Extend {
            ttl: record.ttl,
            records: vec![input(record.rdata)],
        },
        comments: None,
    };
    write(
        &state,
        &session,
        &name,
        vec![change],
        &form.comment,
        form.view(),
        None,
    )
    .await
}

/// The stored record named by a delete or edit form: absolute owner, type,
/// and content as the store shows it.
fn stored_record(
    zone: &Name,
    owner: &str,
    rtype: &str,
    content: &str,
) -> Option<(Name, Rtype, Vec<u8>)> {
    let owner = Name::from_text(owner, None).ok()?.to_lowercase();
    let rtype = rtype.parse::<Rtype>().ok()?;
    let rdata = zonefile::parse_rdata(rtype, content, zone).ok()?;
    Some((owner, rtype, rdata))
}

async fn delete_record(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RecordForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session, &zone);
    };
    let Some((owner, rtype, rdata)) = stored_record(&name, &form.name, &form.rtype, &form.content)
    else {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Not deleted",
            "The record to delete was not recognised.",
            &zone_url(&name),
        );
    };
    let change = RrsetChange {
        name: owner,
        rtype,
        op: RrsetOp::Prune {
            records: vec![input(rdata)],
        },
        comments: None,
    };
    write(
        &state,
        &session,
        &name,
        vec![change],
        &form.comment,
        RecordFormView {
            ttl: DEFAULT_TTL.to_string(),
            ..RecordFormView::default()
        },
        None,
    )
    .await
}

#[derive(Template)]
#[template(path = "ui/edit.html")]
struct EditPage {
    nav: Option<SessionView>,
    session: SessionView,
    zone: String,
    url: String,
    old_name: String,
    old_rtype: String,
    old_content: String,
    form: RecordFormView,
}

#[derive(Deserialize)]
struct EditQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    rtype: String,
    #[serde(default)]
    content: String,
}

async fn edit_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    Query(query): Query<EditQuery>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session, &zone);
    };
    let Ok(Some(Origin::Store(_))) = find_zone(&state, &name).await else {
        return not_found(&session, &zone);
    };
    let Some((owner, rtype, _)) = stored_record(&name, &query.name, &query.rtype, &query.content)
    else {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Cannot edit",
            "The record to edit was not recognised.",
            &zone_url(&name),
        );
    };
    let store = Arc::clone(state.manager.store());
    let zone_name = name.clone();
    let sets = blocking(move || store.rrsets(&zone_name).map_err(|e| e.to_string()))
        .await
        .unwrap_or_default();
    let ttl = sets
        .iter()
        .find(|s| s.name == owner && s.rtype == rtype)
        .map_or(DEFAULT_TTL, |s| s.ttl);
    render(
        StatusCode::OK,
        &EditPage {
            nav: Some(session.view.clone()),
            session: session.view.clone(),
            zone: name.to_string(),
            url: zone_url(&name),
            old_name: owner.to_string(),
            old_rtype: rtype.to_string(),
            old_content: query.content.clone(),
            form: RecordFormView {
                name: relative(&owner, &name),
                ttl: ttl.to_string(),
                rtype: rtype.to_string(),
                content: query.content,
                comment: String::new(),
                errors: FieldErrors::default(),
            },
        },
    )
}

async fn edit_record(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RecordForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session, &zone);
    };
    let old = (
        form.old_name.clone(),
        form.old_rtype.clone(),
        form.old_content.clone(),
    );
    let Some((old_owner, old_rtype, old_rdata)) =
        stored_record(&name, &form.old_name, &form.old_rtype, &form.old_content)
    else {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Cannot edit",
            "The record to edit was not recognised.",
            &zone_url(&name),
        );
    };
    let record = match parse_record(&name, &form) {
        Ok(record) => record,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &EditPage {
                    nav: Some(session.view.clone()),
                    session: session.view.clone(),
                    zone: name.to_string(),
                    url: zone_url(&name),
                    old_name: old.0,
                    old_rtype: old.1,
                    old_content: old.2,
                    form: RecordFormView {
                        errors,
                        ..form.view()
                    },
                },
            );
        }
    };
    // One change: the old record leaves its set, the new one joins its own
    // (the same set, or another) with the TTL given.
    let changes = vec![
        RrsetChange {
            name: old_owner,
            rtype: old_rtype,
            op: RrsetOp::Prune {
                records: vec![input(old_rdata)],
            },
            comments: None,
        },
        RrsetChange {
            name: record.name,
            rtype: record.rtype,
            op: RrsetOp::Extend {
                ttl: record.ttl,
                records: vec![input(record.rdata)],
            },
            comments: None,
        },
    ];
    write(
        &state,
        &session,
        &name,
        changes,
        &form.comment,
        form.view(),
        Some(old),
    )
    .await
}

// ---------------------------------------------------------------------------
// History and revert

struct HistoryEntry {
    from: u32,
    to: u32,
    when: String,
    author: String,
    source: &'static str,
    comment: Option<String>,
    removed: Vec<String>,
    added: Vec<String>,
}

#[derive(Template)]
#[template(path = "ui/history.html")]
struct HistoryPage {
    nav: Option<SessionView>,
    zone: String,
    url: String,
    writable: bool,
    /// The serial served now (reverting to it would change nothing).
    current: u32,
    entries: Vec<HistoryEntry>,
    older: Option<String>,
}

#[derive(Deserialize)]
struct HistoryQuery {
    before: Option<u32>,
}

async fn history_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session, &zone);
    };
    let Ok(Some(Origin::Store(info))) = find_zone(&state, &name).await else {
        return not_found(&session, &zone);
    };
    let store = Arc::clone(state.manager.store());
    let zone_name = name.clone();
    let loaded = blocking(move || {
        let entries = store
            .history(&zone_name, HISTORY_PAGE + 1, query.before.map(Serial))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for entry in entries.iter().take(HISTORY_PAGE) {
            let change = store
                .change(&zone_name, entry.serial_to)
                .map_err(|e| e.to_string())?;
            out.push(HistoryEntry {
                from: entry.serial_from.0,
                to: entry.serial_to.0,
                when: time_text(entry.changed_at),
                author: entry.author.clone(),
                source: entry.source.as_str(),
                comment: entry.comment.clone(),
                removed: change
                    .as_ref()
                    .map(|c| c.removed.iter().map(record_line).collect())
                    .unwrap_or_default(),
                added: change
                    .as_ref()
                    .map(|c| c.added.iter().map(record_line).collect())
                    .unwrap_or_default(),
            });
        }
        let more = entries.len() > HISTORY_PAGE;
        Ok((out, more))
    })
    .await;
    match loaded {
        Ok((entries, more)) => {
            let older = more
                .then(|| {
                    entries
                        .last()
                        .map(|e| format!("{}/history?before={}", zone_url(&name), e.to))
                })
                .flatten();
            render(
                StatusCode::OK,
                &HistoryPage {
                    nav: Some(session.view.clone()),
                    zone: name.to_string(),
                    url: zone_url(&name),
                    writable: true,
                    current: info.serial.0,
                    entries,
                    older,
                },
            )
        }
        Err(e) => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(session.view.clone()),
            "History unavailable",
            e,
            &zone_url(&name),
        ),
    }
}

#[derive(Template)]
#[template(path = "ui/revert.html")]
struct RevertPage {
    nav: Option<SessionView>,
    session: SessionView,
    zone: String,
    url: String,
    target: u32,
    from: u32,
    to: u32,
    removed: Vec<String>,
    added: Vec<String>,
}

#[derive(Deserialize)]
struct RevertQuery {
    serial: Option<u32>,
}

fn soa_serial(records: &[Record]) -> Option<u32> {
    records
        .iter()
        .find(|r| r.rtype == Rtype::SOA)
        .and_then(|r| wire::rdata::soa_numbers(&r.rdata))
        .map(|n| n[0])
}

async fn revert_page(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    Query(query): Query<RevertQuery>,
) -> Response {
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session, &zone);
    };
    let Some(target) = query.serial else {
        return Redirect::to(&format!("{}/history", zone_url(&name))).into_response();
    };
    let store = Arc::clone(state.manager.store());
    let zone_name = name.clone();
    let at = now();
    let preview = blocking(move || {
        store
            .preview_revert(&zone_name, Serial(target), at)
            .map_err(|e| e.to_string())
    })
    .await;
    match preview {
        Ok((removed, added)) => {
            let from = soa_serial(&removed).unwrap_or(0);
            let to = soa_serial(&added).unwrap_or(from);
            render(
                StatusCode::OK,
                &RevertPage {
                    nav: Some(session.view.clone()),
                    session: session.view.clone(),
                    zone: name.to_string(),
                    url: zone_url(&name),
                    target,
                    from,
                    to,
                    removed: removed.iter().map(record_line).collect(),
                    added: added.iter().map(record_line).collect(),
                },
            )
        }
        Err(e) => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Cannot revert",
            e,
            &format!("{}/history", zone_url(&name)),
        ),
    }
}

#[derive(Deserialize)]
struct RevertForm {
    #[serde(default)]
    csrf: String,
    serial: u32,
    #[serde(default)]
    comment: String,
}

async fn revert(
    State(state): State<AppState>,
    session: UiSession,
    Path(zone): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RevertForm>,
) -> Response {
    if let Some(refused) = check_form(&session, &headers, &form.csrf) {
        return refused;
    }
    let Ok(name) = parse_zone(&zone) else {
        return not_found(&session, &zone);
    };
    let meta = ChangeMeta {
        author: session.view.user.clone(),
        source: Source::Ui,
        comment: Some(if form.comment.trim().is_empty() {
            format!("revert to serial {}", form.serial)
        } else {
            form.comment.trim().to_string()
        }),
        now: now(),
    };
    match state.manager.revert(&name, Serial(form.serial), meta).await {
        Ok(applied) => {
            tracing::info!(zone = %name, user = %session.view.user, to = form.serial, serial = applied.to.0, "zone reverted in the web UI");
            Redirect::to(&format!("{}?saved={}", zone_url(&name), applied.to.0)).into_response()
        }
        Err(e) => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(session.view.clone()),
            "Not reverted",
            e.to_string(),
            &format!("{}/history", zone_url(&name)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(time_text(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(time_text(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(time_text(1_795_622_020), "2026-11-25 15:53:40 UTC");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(url_encode("www.example."), "www.example.");
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; hadns_session=xyz; b=2"),
        );
        assert_eq!(cookie_value(&headers, COOKIE), Some("xyz"));
        assert_eq!(cookie_value(&headers, "c"), None);
    }

    #[test]
    fn record_forms_parse_relative_names_and_report_each_field() {
        let zone: Name = "example.test.".parse().unwrap();
        let form = |name: &str, ttl: &str, rtype: &str, content: &str| RecordForm {
            csrf: String::new(),
            name: name.into(),
            ttl: ttl.into(),
            rtype: rtype.into(),
            content: content.into(),
            comment: String::new(),
            old_name: String::new(),
            old_rtype: String::new(),
            old_content: String::new(),
        };
        let ok = parse_record(&zone, &form("www", "", "mx", "10 mail")).unwrap();
        assert_eq!(ok.name, "www.example.test.".parse().unwrap());
        assert_eq!(ok.ttl, DEFAULT_TTL);
        assert_eq!(ok.rtype, Rtype::MX);
        assert_eq!(
            api::convert::content_text(Rtype::MX, &ok.rdata),
            "10 mail.example.test."
        );
        let apex = parse_record(&zone, &form("@", "60", "A", "192.0.2.1")).unwrap();
        assert_eq!(apex.name, zone);
        let errors = parse_record(&zone, &form("www.other.", "x", "A", "1.2.3")).unwrap_err();
        assert!(errors.name.unwrap().contains("not inside"));
        assert!(errors.ttl.unwrap().contains("not a TTL"));
        assert!(errors.content.unwrap().contains("Not valid A data"));
        let errors = parse_record(&zone, &form("www", "60", "NOPE", "x")).unwrap_err();
        assert!(errors.rtype.unwrap().contains("not a record type"));
        let errors = parse_record(&zone, &form("@", "60", "SOA", "x")).unwrap_err();
        assert!(errors.rtype.unwrap().contains("kept by the server"));
    }
}
