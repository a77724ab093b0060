//! `GET /api/v1/audit`: the audit log (logins, users, tokens, sessions,
//! zone creation, deletion, settings, reverts and imports), newest first,
//! filtered and paged by keyset; and the audit events of API calls (the
//! token's user and name, the client's address).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use api::ApiError;
use api::own::AuditList;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use serde::Deserialize;
use store::{AuditAction, AuditEvent, AuditFilter, TokenInfo};
use utoipa::IntoParams;

use super::error::{Failure, ReadErrors, blocking};
use super::extract::{Query, Writer};
use crate::state::{AppState, now};

/// Events a page holds unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 100;

/// The most a page holds.
const MAX_LIMIT: usize = 1_000;

/// The client's address, when the server was started with it (it always
/// is; a router served without connection info gives `None` rather than
/// refusing the request).
pub(crate) struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

/// The audit event of an API call by `token` from `client`.
pub(crate) fn api_event(
    token: &TokenInfo,
    client: &ClientAddress,
    action: AuditAction,
    target: &str,
) -> AuditEvent {
    AuditEvent {
        token: Some(token.name.clone()),
        client: client.0,
        ..AuditEvent::new(now(), &token.user, action, target)
    }
}

/// Parameters of `GET /api/v1/audit`; every one given narrows the list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Only this user's events (the exact name).
    user: Option<String>,
    /// Only this action (`login`, `zone.create`, …; see the event's `action`).
    action: Option<String>,
    /// Only events on this target: a zone (with or without its final
    /// dot), a user or a token.
    target: Option<String>,
    /// Only events at or after this Unix time.
    from: Option<u64>,
    /// Only events before this Unix time.
    to: Option<u64>,
    /// Only events older than the one with this id (the next page: the
    /// previous page's `older`).
    before: Option<u64>,
    /// At most this many events (default 100, at most 1000).
    limit: Option<usize>,
}

impl AuditQuery {
    /// The store's filter; an unknown action is a 422.
    fn filter(&self) -> Result<AuditFilter, Failure> {
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let action = match text(&self.action) {
            Some(name) => Some(
                name.parse::<AuditAction>()
                    .map_err(|e| ApiError::Unprocessable(e.to_string()))?,
            ),
            None => None,
        };
        Ok(AuditFilter {
            user: text(&self.user),
            action,
            target: text(&self.target),
            from: self.from,
            to: self.to,
        })
    }
}

/// The audit log: who did what, when, from where, and whether it worked;
/// newest first. Record changes themselves are in each zone's history.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "Audit events, newest first", body = AuditList),
        (status = 403, description = "The token is read-only", body = api::ErrorBody),
        ReadErrors,
    ),
    security(("api_key" = [])),
)]
pub(crate) async fn list_audit(
    // An admin's token only (`access::api_need`); a read-only one is
    // refused too, as the log shows who holds which token.
    _writer: Writer,
    axum::extract::State(state): axum::extract::State<AppState>,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<AuditList>, Failure> {
    let filter = query.filter()?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::Unprocessable(format!(
            "limit must be between 1 and {MAX_LIMIT}, not {limit}"
        ))
        .into());
    }
    let store = Arc::clone(state.manager.store());
    let before = query.before;
    let page = blocking(move || Ok(store.audit_events(&filter, before, limit)?)).await?;
    Ok(axum::Json(page.into()))
}
