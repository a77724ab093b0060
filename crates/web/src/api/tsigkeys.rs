//! The PowerDNS TSIG key endpoints (`…/tsigkeys`): list, create (with a
//! given or a generated secret), read, change (rename, algorithm, secret),
//! delete.
//!
//! Keys made here are kept in the store and published to every view's
//! keyring before the answer is sent, so they verify transfers, updates
//! and NOTIFYs at once (see `crate::keys`). The configuration's `[[key]]`s
//! are listed and readable without their secrets; changing or deleting one
//! is a 422, and making a key of a configured name a 409.

use std::sync::Arc;

use api::pdns::{TsigKey, TsigKeyChange, TsigKeyCreate};
use api::tsig::{self, KeySource, Secret, TsigKeyRequest, key_out, key_url};
use api::{ApiError, ErrorBody};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::IntoParams;
use wire::Name;
use wire::tsig::Key;

use super::error::{Failure, ReadErrors, WriteErrors, blocking};
use super::extract::{JsonBody, PathParams, Reader, Writer};
use crate::state::AppState;

/// The path parameter of one key.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Only describes the parameter.
pub(crate) struct KeyParam {
    /// The key's `id` as listed (`xfr-key.`), or its name with or
    /// without the final dot; `=XX` escapes are understood.
    tsigkey_id: String,
}

/// The key named by `{tsigkey_id}`.
fn key_name(params: &PathParams) -> Result<Name, Failure> {
    Ok(tsig::parse_key_id(params.get("tsigkey_id")?)?)
}

/// Every key, without secrets (as PowerDNS lists them).
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost/tsigkeys",
    tag = "tsigkeys",
    responses((status = 200, description = "The keys; `key` is empty", body = Vec<TsigKey>), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn list_keys(
    _caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<axum::Json<Vec<TsigKey>>, Failure> {
    let keys = Arc::clone(state.manager.keys());
    let list = blocking(move || Ok(keys.list()?)).await?;
    Ok(axum::Json(
        list.iter()
            .map(|(key, source)| key_out(key, *source, Secret::Omitted))
            .collect(),
    ))
}

/// Makes a key, with the secret given or a random one as long as the
/// algorithm's output; it verifies requests when the 201 is sent.
#[utoipa::path(
    post,
    path = "/api/v1/servers/localhost/tsigkeys",
    tag = "tsigkeys",
    request_body = TsigKeyCreate,
    responses(
        (status = 201, description = "Created; the key with its secret", body = TsigKey,
         headers(("Location" = String, description = "The key's URL"))),
        (status = 409, description = "A key with this name exists (in the store or the configuration)", body = ErrorBody),
        WriteErrors,
    ),
    security(("api_key" = [])),
)]
pub(crate) async fn create_key(
    _writer: Writer,
    axum::extract::State(state): axum::extract::State<AppState>,
    JsonBody(create): JsonBody<TsigKeyCreate>,
) -> Result<Response, Failure> {
    let key = match tsig::create_request(&create)? {
        TsigKeyRequest::Given(key) => key,
        TsigKeyRequest::Generate { name, algorithm } => {
            let mut secret = vec![0u8; algorithm.output_len()];
            getrandom::fill(&mut secret).map_err(|e| {
                ApiError::Internal(format!(
                    "no randomness from the operating system for a TSIG secret: {e}"
                ))
            })?;
            Key::new(name, algorithm, secret)
        }
    };
    let shown = key_out(&key, KeySource::Store, Secret::Shown);
    let location = key_url(key.name());
    state.manager.keys().create(key).await?;
    let mut response = (StatusCode::CREATED, axum::Json(shown)).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// One key; its secret only to a token that may write, and only for a key
/// kept in the store.
///
/// PowerDNS shows every secret to every caller, but it has no read-only
/// tokens: here a read-only token holding the secret of a key that
/// `allow_update` admits could change zones by signed UPDATE, so it gets
/// `key: ""`. The configuration's `[[key]]`s (which include the keys this
/// node signs NOTIFYs and transfer requests with) never leave the file
/// through the API.
#[utoipa::path(
    get,
    path = "/api/v1/servers/localhost/tsigkeys/{tsigkey_id}",
    tag = "tsigkeys",
    params(KeyParam),
    responses((status = 200, description = "The key; with its secret for a read-write token and a key kept in the store, `key` empty otherwise", body = TsigKey), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn get_key(
    caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    params: PathParams,
) -> Result<axum::Json<TsigKey>, Failure> {
    let name = key_name(&params)?;
    let (key, source) = find(&state, &name).await?;
    let secret = if caller.may_write() && source == KeySource::Store {
        Secret::Shown
    } else {
        Secret::Omitted
    };
    Ok(axum::Json(key_out(&key, source, secret)))
}

/// Changes a key kept in the store: a new `name` renames it, `algorithm`
/// and `key` replace those; fields left out stay. Served when the 200 is
/// sent; under a new name the old one stops verifying at once.
#[utoipa::path(
    put,
    path = "/api/v1/servers/localhost/tsigkeys/{tsigkey_id}",
    tag = "tsigkeys",
    params(KeyParam),
    request_body = TsigKeyChange,
    responses(
        (status = 200, description = "Changed; the key as it is now, with its secret", body = TsigKey),
        (status = 409, description = "The new name belongs to another key", body = ErrorBody),
        WriteErrors,
    ),
    security(("api_key" = [])),
)]
pub(crate) async fn put_key(
    _writer: Writer,
    axum::extract::State(state): axum::extract::State<AppState>,
    params: PathParams,
    JsonBody(change): JsonBody<TsigKeyChange>,
) -> Result<axum::Json<TsigKey>, Failure> {
    let name = key_name(&params)?;
    let key = state
        .manager
        .keys()
        .change(&name, move |current| tsig::changed_key(current, &change))
        .await?;
    Ok(axum::Json(key_out(&key, KeySource::Store, Secret::Shown)))
}

/// Deletes a key kept in the store; it stops verifying at once.
#[utoipa::path(
    delete,
    path = "/api/v1/servers/localhost/tsigkeys/{tsigkey_id}",
    tag = "tsigkeys",
    params(KeyParam),
    responses((status = 204, description = "Deleted"), WriteErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn delete_key(
    _writer: Writer,
    axum::extract::State(state): axum::extract::State<AppState>,
    params: PathParams,
) -> Result<StatusCode, Failure> {
    let name = key_name(&params)?;
    state.manager.keys().delete(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The key called `name` and where it is kept; 404 when neither the store
/// nor the configuration has it.
async fn find(state: &AppState, name: &Name) -> Result<(Key, KeySource), Failure> {
    let keys = Arc::clone(state.manager.keys());
    let wanted = name.clone();
    blocking(move || Ok(keys.get(&wanted)?))
        .await?
        .ok_or_else(|| ApiError::no_such_tsig_key(name).into())
}
