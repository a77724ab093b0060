//! Errors on the wire: [`Failure`] turns an [`api::ApiError`] (and the
//! manager's and store's errors) into a status and `{"error": "…"}`;
//! unknown paths and methods get the same shape. Also the error responses
//! and the security scheme as the OpenAPI document describes them.

use api::{ApiError, ErrorBody};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};

use manage::ManageError;

/// A failed request, ready to be sent.
#[derive(Debug)]
pub(crate) struct Failure(pub ApiError);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(
                status = status.as_u16(),
                "API request failed: {}",
                self.0.message()
            );
        } else {
            tracing::debug!(
                status = status.as_u16(),
                "API request refused: {}",
                self.0.message()
            );
        }
        let mut response = (status, axum::Json(self.0.body())).into_response();
        if let ApiError::TooManyRequests(_, seconds) = &self.0 {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("X-API-Key realm=\"hadns\""),
            );
        }
        response
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Failure {
        Failure(error)
    }
}

impl From<store::WriteError> for Failure {
    fn from(error: store::WriteError) -> Failure {
        Failure(error.into())
    }
}

impl From<store::StoreError> for Failure {
    fn from(error: store::StoreError) -> Failure {
        Failure(error.into())
    }
}

impl From<ManageError> for Failure {
    fn from(error: ManageError) -> Failure {
        Failure(match error {
            ManageError::Refused(error) => error.into(),
            ManageError::Store(error) => error.into(),
            ManageError::NotInStore { zone, why } => ApiError::Unprocessable(format!(
                "zone {zone} cannot be changed through the API: {why}; only zones kept in the store can"
            )),
            ManageError::Configured { .. } => ApiError::Conflict(error.to_string()),
            ManageError::UnknownKey(_) => ApiError::Unprocessable(error.to_string()),
            ManageError::Internal(message) => ApiError::Internal(message),
        })
    }
}

impl From<manage::KeyError> for Failure {
    fn from(error: manage::KeyError) -> Failure {
        use manage::KeyError as K;
        Failure(match error {
            K::Configured(_) => ApiError::Unprocessable(error.to_string()),
            K::NameInConfig(_) => ApiError::Conflict(error.to_string()),
            K::Refused(error) => error.into(),
            K::Store(error) => error.into(),
            K::Invalid(error) => error,
            K::Internal(message) => ApiError::Internal(message),
        })
    }
}

/// Answers paths no route knows.
pub(crate) async fn not_found(uri: axum::http::Uri) -> Failure {
    Failure(ApiError::NotFound(format!(
        "Not Found: no API endpoint at {}",
        uri.path()
    )))
}

/// Answers a known path asked with a method it does not take.
pub(crate) async fn method_not_allowed(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Failure {
    Failure(ApiError::MethodNotAllowed(format!(
        "Method Not Allowed: {method} is not supported on {}",
        uri.path()
    )))
}

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Failure(ApiError::Internal(format!("a store task failed: {e}"))))?
}

/// Adds the `X-API-Key` security scheme to the document.
pub(crate) fn document_security(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SECURITY_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-API-Key",
            "An API token (`hadns token create NAME`; the first is printed at first start and kept in DATA_DIR/initial-credentials). Read-only tokens may only read.",
        ))),
    );
}

/// The name of the security scheme in the OpenAPI document; every
/// authenticated handler's `security(("api_key" = []))` names it (the
/// attribute takes a literal), and `tests/api.rs` checks they agree.
pub(crate) const SECURITY_SCHEME: &str = "api_key";

/// The error responses of a request that reads.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only describes responses.
pub(crate) enum ReadErrors {
    /// A query parameter or the zone id is malformed.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// No `X-API-Key`, or one the server does not know.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// No such zone (or change).
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// A parameter has a value the server does not accept.
    #[response(status = 422)]
    Unprocessable(ErrorBody),
    /// The server failed.
    #[response(status = 500)]
    Internal(ErrorBody),
}

/// The error responses of a request that writes.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only describes responses.
pub(crate) enum WriteErrors {
    /// The body is not JSON, or a parameter is malformed.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// No `X-API-Key`, or one the server does not know.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The token is read-only.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such zone.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// The body is larger than the server accepts.
    #[response(status = 413)]
    PayloadTooLarge(ErrorBody),
    /// The request cannot be carried out: a field of the wrong type, a
    /// record that does not parse, a rule of the zone broken, a zone not
    /// kept in the store. Nothing was changed; the message names the
    /// record.
    #[response(status = 422)]
    Unprocessable(ErrorBody),
    /// The server failed.
    #[response(status = 500)]
    Internal(ErrorBody),
}
