//! TSIG keys between the API's shapes and [`wire::tsig::Key`]: names,
//! algorithms and secrets read from requests (each refusal a 422 naming
//! the field and the rule), keys written as PowerDNS writes them.
//!
//! Making a random secret needs the operating system; that is the
//! caller's ([`TsigKeyRequest::Generate`] says when one is needed).

use wire::Name;
use wire::tsig::{Algorithm, Key};

use crate::convert::{unescape_id, zone_id};
use crate::error::ApiError;
use crate::pdns::{TsigKey, TsigKeyChange, TsigKeyCreate};

/// The URL path of the TSIG keys collection.
pub const TSIGKEYS_PATH: &str = "/api/v1/servers/localhost/tsigkeys";

/// Where a key is kept, which decides whether the API may change it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// In the store: made through the API, changed and deleted there.
    Store,
    /// A `[[key]]` of the configuration: listed, never changed here.
    Config,
}

impl KeySource {
    /// The name shown in `source`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeySource::Store => "store",
            KeySource::Config => "config",
        }
    }
}

/// Whether the secret of a key goes into a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secret {
    /// Shown (a single key, a created or changed one).
    Shown,
    /// Left empty (lists, as PowerDNS does).
    Omitted,
}

/// The secret of a key to be created.
#[derive(Clone, Debug)]
pub enum TsigKeyRequest {
    /// The client gave this key, secret included.
    Given(Key),
    /// The client gave no secret: make one of `algorithm.output_len()`
    /// random octets for this name and algorithm.
    Generate {
        /// The key's name.
        name: Name,
        /// Its algorithm.
        algorithm: Algorithm,
    },
}

/// A key as the API shows it.
pub fn key_out(key: &Key, source: KeySource, secret: Secret) -> TsigKey {
    let name = key.name().to_string();
    TsigKey {
        name: name.strip_suffix('.').unwrap_or(&name).to_string(),
        id: key_id(key.name()),
        algorithm: key.algorithm().short_name().to_string(),
        key: match secret {
            Secret::Shown => wire::base64::encode(key.secret()),
            Secret::Omitted => String::new(),
        },
        object_type: "TSIGKey".to_string(),
        source: source.as_str().to_string(),
    }
}

/// A key's id in URLs: its absolute name, escaped as zone ids are.
pub fn key_id(name: &Name) -> String {
    zone_id(name)
}

/// A key's URL.
pub fn key_url(name: &Name) -> String {
    format!("{TSIGKEYS_PATH}/{}", key_id(name))
}

/// The key a URL id names (with or without the final dot, any case,
/// `=XX` escapes), lower-cased. A name that cannot be a key's is a 404,
/// as no key can have it.
pub fn parse_key_id(id: &str) -> Result<Name, ApiError> {
    let text = unescape_id(id, "TSIG key")?;
    let name = Name::from_text(&text, Some(&Name::root()))
        .map_err(|e| ApiError::NotFound(format!("TSIG key with name '{text}' not found: {e}")))?;
    Ok(name.to_lowercase())
}

/// What `POST …/tsigkeys` asks for, checked.
pub fn create_request(body: &TsigKeyCreate) -> Result<TsigKeyRequest, ApiError> {
    let name = key_name(&body.name)?;
    let algorithm = algorithm(&body.algorithm)?;
    // PowerDNS makes a secret when `key` is absent or empty.
    match body.key.as_deref() {
        None | Some("") => Ok(TsigKeyRequest::Generate { name, algorithm }),
        Some(text) => Ok(TsigKeyRequest::Given(Key::new(
            name,
            algorithm,
            secret(text)?,
        ))),
    }
}

/// `current` with the changes of a `PUT …/tsigkeys/{id}` body.
pub fn changed_key(current: &Key, change: &TsigKeyChange) -> Result<Key, ApiError> {
    let name = match &change.name {
        Some(text) => key_name(text)?,
        None => current.name().clone(),
    };
    let algorithm = match &change.algorithm {
        Some(text) => algorithm(text)?,
        None => current.algorithm(),
    };
    let secret = match &change.key {
        Some(text) => secret(text)?,
        None => current.secret().to_vec(),
    };
    Ok(Key::new(name, algorithm, secret))
}

/// A key name from a request: a domain name, the final dot optional.
fn key_name(text: &str) -> Result<Name, ApiError> {
    if text.trim().is_empty() || text == "." {
        return Err(ApiError::Unprocessable(
            "`name`: a TSIG key needs a name (a domain name such as `xfr-key`)".to_string(),
        ));
    }
    Name::from_text(text, Some(&Name::root()))
        .map(|name| name.to_lowercase())
        .map_err(|e| {
            ApiError::Unprocessable(format!(
                "`name`: `{text}` is not a valid TSIG key name: {e}"
            ))
        })
}

/// An algorithm from a request.
fn algorithm(text: &str) -> Result<Algorithm, ApiError> {
    text.parse::<Algorithm>()
        .map_err(|e| ApiError::Unprocessable(format!("`algorithm`: {e}")))
}

/// A secret from a request: base64 of at least one octet.
fn secret(text: &str) -> Result<Vec<u8>, ApiError> {
    let octets = wire::base64::decode(text).map_err(|e| {
        ApiError::Unprocessable(format!("`key`: the secret is not valid base64: {e}"))
    })?;
    if octets.is_empty() {
        return Err(ApiError::Unprocessable(
            "`key`: the secret cannot be empty".to_string(),
        ));
    }
    Ok(octets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(name: &str, algorithm: &str, key: Option<&str>) -> Result<TsigKeyRequest, ApiError> {
        create_request(&TsigKeyCreate {
            name: name.to_string(),
            algorithm: algorithm.to_string(),
            key: key.map(str::to_string),
        })
    }

    #[test]
    fn keys_are_shown_as_powerdns_shows_them() {
        let key = Key::new(
            "Xfr-Key.".parse().unwrap(),
            Algorithm::HmacMd5,
            vec![1, 2, 3],
        );
        let shown = key_out(&key, KeySource::Store, Secret::Shown);
        assert_eq!(shown.name, "Xfr-Key");
        assert_eq!(shown.id, "Xfr-Key.");
        assert_eq!(shown.algorithm, "hmac-md5");
        assert_eq!(shown.key, "AQID");
        assert_eq!(shown.object_type, "TSIGKey");
        assert_eq!(key_out(&key, KeySource::Config, Secret::Omitted).key, "");
        let odd = Key::new("a\\/b.".parse().unwrap(), Algorithm::HmacSha1, vec![1]);
        let id = key_out(&odd, KeySource::Store, Secret::Omitted).id;
        assert_eq!(id, "a=2Fb.");
        assert_eq!(parse_key_id(&id).unwrap(), *odd.name());
    }

    #[test]
    fn requests_are_checked_field_by_field() {
        match create("xfr", "hmac-sha256", None).unwrap() {
            TsigKeyRequest::Generate { name, algorithm } => {
                assert_eq!(name.to_string(), "xfr.");
                assert_eq!(algorithm, Algorithm::HmacSha256);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            create("xfr.", "HMAC-MD5.SIG-ALG.REG.INT.", Some("")).unwrap(),
            TsigKeyRequest::Generate { .. }
        ));
        assert!(matches!(
            create("xfr.", "hmac-sha1", Some("AQID")).unwrap(),
            TsigKeyRequest::Given(_)
        ));
        for (name, algorithm, key, field) in [
            ("", "hmac-sha1", None, "`name`"),
            (".", "hmac-sha1", None, "`name`"),
            ("a..b", "hmac-sha1", None, "`name`"),
            ("xfr", "hmac-sha3", None, "`algorithm`"),
            ("xfr", "hmac-sha1", Some("not base64!"), "`key`"),
        ] {
            let error = create(name, algorithm, key).unwrap_err();
            assert_eq!(error.status(), 422, "{name} {algorithm} {key:?}");
            assert!(error.message().starts_with(field), "{error}");
        }
        let current = Key::new("old.".parse().unwrap(), Algorithm::HmacSha1, vec![7; 20]);
        let renamed = changed_key(
            &current,
            &TsigKeyChange {
                name: Some("New".to_string()),
                ..TsigKeyChange::default()
            },
        )
        .unwrap();
        assert_eq!(renamed.name().to_string(), "new.");
        assert_eq!(renamed.secret(), current.secret());
        assert_eq!(renamed.algorithm(), Algorithm::HmacSha1);
    }
}
