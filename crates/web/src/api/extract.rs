//! Typed pieces of a request, each refusing with a JSON error rather than
//! axum's plain-text rejections: the caller's token ([`Reader`],
//! [`Writer`]), the zone in the path ([`ZonePath`]), query parameters
//! ([`Query`]), other path parameters ([`PathParams`]), the JSON body ([`JsonBody`]) and the change comment
//! header ([`change_comment`]).
//!
//! Authentication runs before the body is read, so an unauthenticated
//! request is a 401 whatever its body. So does authorisation: the token's
//! [`Rights`] are judged against what the route needs
//! ([`crate::access::api_need`]), for the `{zone}` of the path and the
//! `view` of the query, before any handler code runs.

use api::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use store::{Rights, Scope, TokenInfo};
use wire::Name;

use super::error::{Failure, blocking};
use crate::access::{Refusal, api_need, judge, query_view};
use crate::state::AppState;

/// The header that carries the API token.
pub(crate) const API_KEY_HEADER: &str = "x-api-key";

/// The header that gives the reason for a change (stored in the journal).
pub(crate) const COMMENT_HEADER: &str = "x-change-comment";

/// A caller with a valid token that the route admits, its token and its
/// rights.
pub(crate) struct Reader(pub TokenInfo, pub Rights);

impl Reader {
    /// Whether the caller's token may write.
    pub(crate) fn may_write(&self) -> bool {
        self.0.scope == Scope::Write
    }
}

/// A caller whose token may write and that the route admits.
pub(crate) struct Writer(pub TokenInfo, pub Rights);

impl Writer {
    /// The journal's author of this caller's changes: the token's user and
    /// the token's name.
    pub(crate) fn author(&self) -> String {
        format!("{} (token {})", self.0.user, self.0.name)
    }
}

/// Computes the rights of a checked token and judges them against the
/// route.
async fn admit(
    parts: &mut Parts,
    state: &AppState,
    token: TokenInfo,
) -> Result<(TokenInfo, Rights), Failure> {
    let store = std::sync::Arc::clone(state.manager.store());
    let user = token.user.clone();
    // The user may have been disabled or deleted since the token was
    // checked: no rights, no access.
    let rights = blocking(move || Ok(store.user_rights(&user)?))
        .await?
        .ok_or_else(|| {
            Failure::from(ApiError::Unauthorized(
                "Unauthorized: unknown or revoked API key".to_string(),
            ))
        })?
        .for_token(&token);
    let route = parts
        .extensions
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| parts.uri.path().to_string(), |m| m.as_str().to_string());
    let need = api_need(&parts.method, &route);
    let zone = if route.contains("{zone}") {
        Some(PathParams::from_request_parts(parts, state).await?.zone()?)
    } else {
        None
    };
    let view = query_view(parts.uri.query());
    let action = format!("{} {route}", parts.method);
    match judge(need, &rights, zone.as_ref(), view.as_deref(), &action) {
        Ok(()) => Ok((token, rights)),
        Err(Refusal::Hidden(zone)) => Err(ApiError::no_such_zone(&zone).into()),
        Err(Refusal::Forbidden(text)) => Err(ApiError::Forbidden(text).into()),
    }
}

/// Checks the `X-API-Key` header against the store.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<TokenInfo, Failure> {
    let Some(value) = parts.headers.get(API_KEY_HEADER) else {
        return Err(ApiError::Unauthorized(
            "Unauthorized: an X-API-Key header with an API token is required".to_string(),
        )
        .into());
    };
    let secret = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Unauthorized: unknown API key".to_string()))?
        .trim()
        .to_string();
    let store = std::sync::Arc::clone(state.manager.store());
    let token = blocking(move || Ok(store.check_token(&secret)?))
        .await?
        .ok_or_else(|| {
            Failure::from(ApiError::Unauthorized(
                "Unauthorized: unknown or revoked API key".to_string(),
            ))
        })?;
    // Counted once the key is known good: a wrong key costs the caller a
    // 401, never another token's allowance.
    if let Err(wait) = state
        .token_rates
        .admit(&token.name, std::time::Instant::now())
    {
        let seconds = wait.as_secs().max(1);
        return Err(ApiError::TooManyRequests(
            format!(
                "Too many requests: API token `{}` is over {} requests a second; retry in {seconds} s",
                token.name, state.settings.api_requests_per_second
            ),
            seconds,
        )
        .into());
    }
    Ok(token)
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let token = authenticate(parts, state).await?;
        admit(parts, state, token)
            .await
            .map(|(token, rights)| Reader(token, rights))
    }
}

impl FromRequestParts<AppState> for Writer {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let token = authenticate(parts, state).await?;
        // A read-only token is refused as such, before its rights are asked.
        if token.scope != Scope::Write {
            return Err(ApiError::Forbidden(format!(
                "Forbidden: API token `{}` is read-only",
                token.name
            ))
            .into());
        }
        let (token, rights) = admit(parts, state, token).await?;
        Ok(Writer(token, rights))
    }
}

/// The path's parameters (`{zone}`, `{serial}`), percent-decoded.
pub(crate) struct PathParams(pub Vec<(String, String)>);

impl PathParams {
    /// The text of the parameter `name`.
    pub(crate) fn get(&self, name: &str) -> Result<&str, Failure> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .ok_or_else(|| ApiError::Internal(format!("route without a {{{name}}} segment")).into())
    }

    /// The zone named by `{zone}` (with or without the final dot, any
    /// case, PowerDNS `=XX` escapes), lower-cased.
    pub(crate) fn zone(&self) -> Result<Name, Failure> {
        Ok(api::convert::parse_zone_id(self.get("zone")?)?)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        let axum::extract::Path(params) =
            axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        Ok(PathParams(params))
    }
}

/// The zone named by the `{zone}` path segment, lower-cased.
pub(crate) struct ZonePath(pub Name);

impl<S: Send + Sync> FromRequestParts<S> for ZonePath {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        let params = PathParams::from_request_parts(parts, state).await?;
        Ok(ZonePath(params.zone()?))
    }
}

/// Query parameters; a malformed query string is a 400 with a JSON body.
pub(crate) struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        Ok(Query(value))
    }
}

/// A JSON body (any content type): 400 when it is not JSON, 422 when it
/// has the wrong shape, 413 when it is too large.
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Failure;

    async fn from_request(request: Request, state: &S) -> Result<Self, Failure> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(format!(
                        "the request body is larger than {} octets",
                        crate::state::MAX_BODY
                    ))
                } else {
                    ApiError::BadRequest(rejection.body_text())
                }
            })?;
        Ok(JsonBody(api::parse_json(&bytes)?))
    }
}

/// The reason for a change: the body's `comment` if given, else the
/// `X-Change-Comment` header; a header that is not text is a 400.
pub(crate) fn change_comment(
    headers: &HeaderMap,
    body: Option<&String>,
) -> Result<Option<String>, Failure> {
    if let Some(comment) = body {
        return Ok(Some(comment.clone()));
    }
    match headers.get(COMMENT_HEADER) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(|text| Some(text.to_string()))
            .map_err(|_| {
                ApiError::BadRequest(
                    "the X-Change-Comment header must be visible ASCII text".to_string(),
                )
                .into()
            }),
    }
}
