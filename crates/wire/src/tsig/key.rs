//! Shared secrets and the keyring a server looks them up in.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use subtle::ConstantTimeEq;

use super::algorithm::Algorithm;
use crate::base64::{self, Base64Error};
use crate::name::Name;

/// A TSIG key: a name both sides agree on, an algorithm and a secret.
///
/// `Debug` shows the secret's length, never the secret.
#[derive(Clone)]
pub struct Key {
    name: Name,
    algorithm: Algorithm,
    secret: Vec<u8>,
    mac_len: usize,
}

/// Why a key could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The secret is not valid base64.
    #[error("bad base64 secret: {0}")]
    Secret(#[from] Base64Error),
    /// A truncated MAC length outside what RFC 8945 §5.2.2.1 allows.
    #[error(
        "MAC length {requested} is not allowed for {algorithm} (between {minimum} and {maximum} octets)"
    )]
    MacLength {
        /// The length asked for.
        requested: usize,
        /// The key's algorithm.
        algorithm: Algorithm,
        /// The shortest allowed length.
        minimum: usize,
        /// The full HMAC output length.
        maximum: usize,
    },
}

impl Key {
    /// A key that signs with, and insists on, full-length MACs.
    pub fn new(name: Name, algorithm: Algorithm, secret: Vec<u8>) -> Key {
        Key {
            name,
            algorithm,
            secret,
            mac_len: algorithm.output_len(),
        }
    }

    /// A key whose secret is written in base64, as `tsig-keygen` and
    /// `keymgr` print it.
    pub fn from_base64(name: Name, algorithm: Algorithm, secret: &str) -> Result<Key, KeyError> {
        Ok(Key::new(name, algorithm, base64::decode(secret)?))
    }

    /// The same key, but signing with MACs truncated to `mac_len` octets and
    /// accepting received MACs of that length or longer (BIND's
    /// `hmac-sha256-128` style). Shorter received MACs are answered with
    /// BADTRUNC (RFC 8945 §5.2.4).
    pub fn truncated(self, mac_len: usize) -> Result<Key, KeyError> {
        let minimum = self.algorithm.minimum_mac_len();
        let maximum = self.algorithm.output_len();
        if !(minimum..=maximum).contains(&mac_len) {
            return Err(KeyError::MacLength {
                requested: mac_len,
                algorithm: self.algorithm,
                minimum,
                maximum,
            });
        }
        Ok(Key { mac_len, ..self })
    }

    /// Whether `other` is the same key: name (case-insensitively),
    /// algorithm, secret and MAC length. A reload compares a zone's keys
    /// this way to tell a changed secret from an unchanged one.
    pub fn same_as(&self, other: &Key) -> bool {
        self.name.to_lowercase() == other.name.to_lowercase()
            && self.algorithm == other.algorithm
            // Both secrets are ours (configuration, store), but a secret is
            // never compared with an early exit, so no code path's timing
            // depends on how much of one matches.
            && bool::from(self.secret.as_slice().ct_eq(other.secret.as_slice()))
            && self.mac_len == other.mac_len
    }

    /// The key name, as configured (it is compared case-insensitively).
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// The HMAC algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The shared secret.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// Length of the MACs this key signs with, and the shortest received
    /// MAC it accepts.
    pub fn mac_len(&self) -> usize {
        self.mac_len
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("mac_len", &self.mac_len)
            .field(
                "secret",
                &format_args!("<{} octets, not shown>", self.secret.len()),
            )
            .finish()
    }
}

/// The keys a server knows, by name.
///
/// Key names are unique, as in BIND and Knot: the name on the wire selects
/// the key, and the algorithm must then match (RFC 8945 §5.2.1).
#[derive(Clone, Debug, Default)]
pub struct Keyring {
    keys: HashMap<Name, Arc<Key>>,
}

impl Keyring {
    /// An empty keyring.
    pub fn new() -> Keyring {
        Keyring::default()
    }

    /// Adds a key; returns the key it replaces, if one had the same name
    /// (compared case-insensitively).
    pub fn insert(&mut self, key: Key) -> Option<Arc<Key>> {
        self.keys.insert(key.name.clone(), Arc::new(key))
    }

    /// The key called `name`, whatever its algorithm.
    pub fn get(&self, name: &Name) -> Option<&Arc<Key>> {
        self.keys.get(name)
    }

    /// The key called `name` if it uses `algorithm`.
    pub fn find(&self, name: &Name, algorithm: Algorithm) -> Option<&Arc<Key>> {
        self.get(name).filter(|key| key.algorithm == algorithm)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every key, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Key>> {
        self.keys.values()
    }
}

impl FromIterator<Key> for Keyring {
    fn from_iter<I: IntoIterator<Item = Key>>(keys: I) -> Keyring {
        let mut keyring = Keyring::new();
        keyring.extend(keys);
        keyring
    }
}

impl Extend<Key> for Keyring {
    fn extend<I: IntoIterator<Item = Key>>(&mut self, keys: I) {
        for key in keys {
            self.insert(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        text.parse().unwrap()
    }

    #[test]
    fn debug_does_not_show_the_secret() {
        let key = Key::new(
            name("k."),
            Algorithm::HmacSha256,
            b"hunter2-secret".to_vec(),
        );
        let text = format!("{key:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("104, 117"), "{text}");
        assert!(text.contains("14 octets"), "{text}");
        let keyring: Keyring = [key].into_iter().collect();
        assert!(!format!("{keyring:?}").contains("hunter2"));
    }

    #[test]
    fn lookup_ignores_case_and_checks_the_algorithm() {
        let keyring: Keyring = [
            Key::new(
                name("Transfer.Example."),
                Algorithm::HmacSha256,
                vec![1; 32],
            ),
            Key::new(name("update.example."), Algorithm::HmacMd5, vec![2; 16]),
        ]
        .into_iter()
        .collect();
        assert_eq!(keyring.len(), 2);
        let key = keyring.get(&name("TRANSFER.example.")).unwrap();
        assert_eq!(key.secret(), &[1; 32]);
        assert!(
            keyring
                .find(&name("transfer.example."), Algorithm::HmacSha256)
                .is_some()
        );
        assert!(
            keyring
                .find(&name("transfer.example."), Algorithm::HmacSha512)
                .is_none()
        );
        assert!(keyring.get(&name("other.example.")).is_none());
    }

    #[test]
    fn same_as_tells_every_secret_difference() {
        let key = |secret: &[u8]| Key::new(name("K."), Algorithm::HmacSha256, secret.to_vec());
        assert!(key(b"secret").same_as(&Key::new(
            name("k."),
            Algorithm::HmacSha256,
            b"secret".to_vec()
        )));
        // A prefix, a longer secret, one octet changed, and empty ones:
        // the constant-time compare must still tell them apart.
        assert!(!key(b"secret").same_as(&key(b"secre")));
        assert!(!key(b"secret").same_as(&key(b"secret!")));
        assert!(!key(b"secret").same_as(&key(b"secreT")));
        assert!(!key(b"").same_as(&key(b"s")));
        assert!(key(b"").same_as(&key(b"")));
    }

    #[test]
    fn truncation_is_limited_to_what_the_rfc_allows() {
        let key = Key::new(name("k."), Algorithm::HmacSha256, vec![0; 32]);
        assert_eq!(key.mac_len(), 32);
        assert_eq!(key.clone().truncated(16).unwrap().mac_len(), 16);
        assert!(matches!(
            key.clone().truncated(15),
            Err(KeyError::MacLength { minimum: 16, .. })
        ));
        assert!(key.truncated(33).is_err());
        let md5 = Key::new(name("k."), Algorithm::HmacMd5, vec![0; 16]);
        assert!(md5.clone().truncated(10).is_ok());
        assert!(md5.truncated(9).is_err());
    }

    #[test]
    fn base64_secrets_are_decoded() {
        let key = Key::from_base64(name("k."), Algorithm::HmacSha1, "AAEC").unwrap();
        assert_eq!(key.secret(), &[0, 1, 2]);
        assert!(matches!(
            Key::from_base64(name("k."), Algorithm::HmacSha1, "A!"),
            Err(KeyError::Secret(_))
        ));
    }
}
