//! [`ApiError`]: every way a request can fail, each with the HTTP status
//! PowerDNS uses for it and a message for the `{"error": "…"}` body; and
//! [`parse_json`], which turns a request body into a typed request or into
//! the right one of those errors.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why a request failed. The variant decides the status; the message is
/// shown to the client as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// 400: the request cannot be read (malformed JSON, bad query string).
    BadRequest(String),
    /// 401: no API key, or one the store does not know.
    Unauthorized(String),
    /// 403: the key is valid but may not do this (a read-only token writing).
    Forbidden(String),
    /// 404: no such zone, change or path.
    NotFound(String),
    /// 405: the path exists but not with this method.
    MethodNotAllowed(String),
    /// 409: the zone (or TSIG key) exists already.
    Conflict(String),
    /// 413: the request body is larger than the server accepts.
    PayloadTooLarge(String),
    /// 422: the request is well-formed but cannot be carried out (a record
    /// that does not parse, a rule of the zone broken, an unsupported
    /// option); nothing was changed.
    Unprocessable(String),
    /// 429: the token made more requests than `[api] requests_per_second`
    /// allows; the value is the seconds to wait (`Retry-After`).
    TooManyRequests(String, u64),
    /// 500: the server failed; nothing the client can fix.
    Internal(String),
}

impl ApiError {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthorized(_) => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed(_) => 405,
            ApiError::Conflict(_) => 409,
            ApiError::PayloadTooLarge(_) => 413,
            ApiError::Unprocessable(_) => 422,
            ApiError::TooManyRequests(..) => 429,
            ApiError::Internal(_) => 500,
        }
    }

    /// The message for the client.
    pub fn message(&self) -> &str {
        match self {
            ApiError::BadRequest(m)
            | ApiError::Unauthorized(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::MethodNotAllowed(m)
            | ApiError::Conflict(m)
            | ApiError::PayloadTooLarge(m)
            | ApiError::Unprocessable(m)
            | ApiError::TooManyRequests(m, _)
            | ApiError::Internal(m) => m,
        }
    }

    /// The response body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.message().to_string(),
        }
    }

    /// The 404 of a zone that is not served here, worded as PowerDNS words
    /// it (octoDNS matches the start of this text on old servers).
    pub fn no_such_zone(zone: &wire::Name) -> ApiError {
        ApiError::NotFound(format!("Could not find domain '{zone}'"))
    }

    /// 404 for a TSIG key neither the store nor the configuration has,
    /// worded as PowerDNS words it.
    pub fn no_such_tsig_key(name: &wire::Name) -> ApiError {
        ApiError::NotFound(format!("TSIG key with name '{name}' not found"))
    }

    /// 409 for a TSIG key name that is taken, worded as PowerDNS words it.
    pub fn tsig_key_exists(name: &wire::Name) -> ApiError {
        ApiError::Conflict(format!("A TSIG key with the name '{name}' already exists"))
    }

    /// 404 for a view the configuration does not define.
    pub fn no_such_view(view: &str) -> ApiError {
        ApiError::NotFound(format!(
            "Could not find view '{view}': the configuration defines no [[view]] of that name"
        ))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status(), self.message())
    }
}

impl std::error::Error for ApiError {}

/// The body of every error response, as PowerDNS sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    #[schema(example = "www.example.com. CNAME: CNAME cannot coexist with A at www.example.com.")]
    pub error: String,
}

impl From<store::WriteError> for ApiError {
    fn from(error: store::WriteError) -> ApiError {
        use store::WriteError as W;
        match error {
            W::NoSuchZone(zone) => ApiError::no_such_zone(&zone),
            W::ZoneExists(zone) => ApiError::Conflict(format!("Domain '{zone}' already exists")),
            W::NoSuchView(view) => ApiError::no_such_view(&view),
            W::NoSuchTsigKey(name) => ApiError::no_such_tsig_key(&name),
            W::TsigKeyExists(name) => ApiError::tsig_key_exists(&name),
            W::Storage(error) => error.into(),
            W::PasswordHash(_) | W::Randomness(_) => ApiError::Internal(error.to_string()),
            other => ApiError::Unprocessable(other.to_string()),
        }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(error: store::StoreError) -> ApiError {
        ApiError::Internal(format!("the store failed: {error}"))
    }
}

/// Reads a JSON request body into `T`.
///
/// An empty body, or one that is not JSON at all, is a 400 (as in
/// PowerDNS); JSON of the wrong shape (a missing field, a string where a
/// number belongs) is a 422 whose message names the place, e.g.
/// `rrsets[0].ttl`; so is JSON that is not an object. Unknown fields are
/// ignored, as PowerDNS ignores them.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "a JSON document is required in the request body".to_string(),
        ));
    }
    // Every request body is an object; serde would also read a struct
    // from an array of its fields, which no client means.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(_) => Err(ApiError::Unprocessable(
                "invalid request body: expected a JSON object".to_string(),
            )),
            Err(error) => Err(body_error(".", &error)),
        };
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        body_error(&path, &inner)
    })?;
    deserializer
        .end()
        .map_err(|error| body_error(".", &error))?;
    Ok(value)
}

/// The error for a body serde_json refused.
fn body_error(path: &str, error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {
            let at = if path.is_empty() || path == "." {
                String::new()
            } else {
                format!(" at `{path}`")
            };
            ApiError::Unprocessable(format!("invalid request body{at}: {error}"))
        }
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::BadRequest(format!("malformed JSON in the request body: {error}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Sample {
        ttl: u32,
        items: Vec<Item>,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        name: String,
    }

    #[test]
    fn malformed_json_is_a_400_and_wrong_shapes_a_422_naming_the_place() {
        for body in [
            "",
            "  ",
            "{",
            "{\"ttl\": }",
            "nope",
            "{\"ttl\":1,\"items\":[]} x",
        ] {
            let error = parse_json::<Sample>(body.as_bytes()).unwrap_err();
            assert_eq!(error.status(), 400, "{body:?}: {error}");
        }
        let error = parse_json::<Sample>(br#"{"ttl": "3600", "items": []}"#).unwrap_err();
        assert_eq!(error.status(), 422);
        assert!(error.message().contains("`ttl`"), "{error}");
        let error = parse_json::<Sample>(br#"{"ttl": 1, "items": [{"name": 5}]}"#).unwrap_err();
        assert_eq!(error.status(), 422);
        assert!(error.message().contains("items[0].name"), "{error}");
        let error = parse_json::<Sample>(br#"{"items": []}"#).unwrap_err();
        assert_eq!(error.status(), 422);
        assert!(error.message().contains("ttl"), "{error}");
        for body in ["[1, []]", "null", "3", "\"x\""] {
            let error = parse_json::<Sample>(body.as_bytes()).unwrap_err();
            assert_eq!(error.status(), 422, "{body}");
            assert!(error.message().contains("object"), "{error}");
        }
        let ok = parse_json::<Sample>(br#"{"ttl": 1, "items": [], "extra": true}"#).unwrap();
        assert_eq!(ok.ttl, 1);
        // Whole numbers written with a fraction are whole numbers.
        let change: crate::pdns::RrsetChange =
            parse_json(br#"{"name": "a.", "type": "A", "ttl": 300.0}"#).unwrap();
        assert_eq!(change.ttl, Some(300));
        for ttl in ["300.5", "-1", "4294967296", "1e10", "\"300\""] {
            let body = format!(r#"{{"name": "a.", "type": "A", "ttl": {ttl}}}"#);
            let error = parse_json::<crate::pdns::RrsetChange>(body.as_bytes()).unwrap_err();
            assert_eq!(error.status(), 422, "{ttl}");
            assert!(error.message().contains("ttl"), "{error}");
        }
    }

    #[test]
    fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
        let body = "[".repeat(100_000);
        let error = parse_json::<serde_json::Value>(body.as_bytes()).unwrap_err();
        assert_eq!(error.status(), 400);
    }

    #[test]
    fn store_errors_get_powerdns_statuses() {
        let zone: wire::Name = "example.com.".parse().unwrap();
        let error: ApiError = store::WriteError::ZoneExists(zone.clone()).into();
        assert_eq!(error.status(), 409);
        let error: ApiError = store::WriteError::NoSuchZone(zone).into();
        assert_eq!(error.status(), 404);
        assert_eq!(error.message(), "Could not find domain 'example.com.'");
    }
}
