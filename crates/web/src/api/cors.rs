//! CORS for the REST API (`[api] cors_origins`), so that an admin page
//! served from another origin can call the API from a browser.
//!
//! - With no origins configured nothing here adds a header: browsers keep
//!   their same-origin rule, as PowerDNS's default.
//! - A preflight (`OPTIONS` with `Access-Control-Request-Method`) from an
//!   allowed origin on an `/api` path is answered **204** here, before
//!   routing and authentication (a browser sends it without the API key),
//!   with the origin, the methods, the headers a client may send
//!   (`X-API-Key`, `Content-Type`, `X-Change-Comment`) and how long the
//!   answer may be cached.
//! - Every other response to an allowed origin carries
//!   `Access-Control-Allow-Origin` with that origin, the headers a script
//!   may read, and `Vary: Origin` (the answer depends on the origin, so
//!   caches must key on it).
//! - A request from any other origin gets no `Access-Control-*` header
//!   (its preflight goes on to routing, which answers 405), only
//!   `Vary: Origin`: the browser then refuses the script the response.
//!
//! Credentials are never allowed (no `Access-Control-Allow-Credentials`):
//! the API key is a header the page sends on purpose, and the web UI's
//! session cookie must not ride along with a cross-origin request.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Methods a cross-origin page may use.
const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

/// Request headers a cross-origin page may send.
const ALLOWED_HEADERS: &str = "X-API-Key, Content-Type, X-Change-Comment";

/// Response headers a cross-origin page may read beyond the basic ones.
const EXPOSED_HEADERS: &str = "Location, X-PDNS-Old-Serial, X-PDNS-New-Serial";

/// How long (seconds) a browser may reuse a preflight answer.
const MAX_AGE: &str = "600";

/// The allowed origins, lower-cased as the configuration wrote them.
#[derive(Debug, Default)]
pub(crate) struct Cors {
    origins: Vec<HeaderValue>,
}

impl Cors {
    /// CORS for `origins` (already checked by the configuration); an origin
    /// that is not a valid header value is left out, as no browser could
    /// send it.
    pub(crate) fn new(origins: &[String]) -> Cors {
        Cors {
            origins: origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect(),
        }
    }

    /// The request's `Origin` if it is allowed. Scheme and host compare
    /// without case; browsers send them lower-case anyway.
    fn allowed(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
        self.origins
            .iter()
            .find(|allowed| allowed.as_bytes().eq_ignore_ascii_case(origin.as_bytes()))
            .and_then(|_| HeaderValue::from_str(origin).ok())
    }
}

/// The middleware: answers allowed preflights, marks allowed responses.
pub(crate) async fn handle(
    State(cors): State<Arc<Cors>>,
    request: Request,
    next: Next,
) -> Response {
    if cors.origins.is_empty() || !request.uri().path().starts_with("/api") {
        return next.run(request).await;
    }
    let Some(origin) = cors.allowed(request.headers()) else {
        let mut response = next.run(request).await;
        // The answer would differ for an allowed origin: caches must know.
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("Origin"));
        return response;
    };
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE),
        );
        response
    } else {
        let mut response = next.run(request).await;
        response.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    response
}
