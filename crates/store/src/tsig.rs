//! TSIG keys managed through the API.
//!
//! A key is a name, an algorithm and a secret, kept as [`wire::tsig::Key`]
//! so that what the store returns is what the node verifies with. The
//! secret is stored as it is used: a server must compute HMACs with it,
//! so hashing it (as API tokens are) is not possible. Nothing here logs a
//! secret; `Key`'s `Debug` shows only its length.
//!
//! Every write is one transaction, and a refused one (a name taken, an
//! unknown key) returns before `COMMIT`, so the table is as it was.

use rusqlite::{OptionalExtension, params};
use wire::Name;
use wire::tsig::{Algorithm, Key};

use crate::error::{StoreError, WriteError};
use crate::store::Store;

impl Store {
    /// Every key in the store, in canonical order of their names.
    pub fn tsig_keys(&self) -> Result<Vec<Key>, StoreError> {
        let mut keys = self.read(
            || "listing TSIG keys".to_string(),
            |tx| {
                let mut statement =
                    tx.prepare("SELECT name, algorithm, secret FROM tsig_keys ORDER BY id")?;
                let rows = statement
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, Vec<u8>>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Vec<u8>>(2)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                rows.into_iter()
                    .map(|(name, algorithm, secret)| decode(&name, &algorithm, secret))
                    .collect::<Result<Vec<_>, _>>()
            },
        )?;
        keys.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(keys)
    }

    /// The key called `name` (any case), if the store has it.
    pub fn tsig_key(&self, name: &Name) -> Result<Option<Key>, StoreError> {
        let wire_name = name.to_lowercase().as_wire().to_vec();
        self.read(
            || format!("reading TSIG key {name}"),
            |tx| {
                let row = tx
                    .query_row(
                        "SELECT name, algorithm, secret FROM tsig_keys WHERE name = ?1",
                        [wire_name.as_slice()],
                        |r| {
                            Ok((
                                r.get::<_, Vec<u8>>(0)?,
                                r.get::<_, String>(1)?,
                                r.get::<_, Vec<u8>>(2)?,
                            ))
                        },
                    )
                    .optional()?;
                row.map(|(name, algorithm, secret)| decode(&name, &algorithm, secret))
                    .transpose()
            },
        )
    }

    /// Adds a key; [`WriteError::TsigKeyExists`] when one of that name is
    /// in the store already.
    pub fn create_tsig_key(&self, key: &Key) -> Result<(), WriteError> {
        check_secret(key)?;
        let name = key.name().to_lowercase();
        self.write(
            || format!("creating TSIG key {name}"),
            |tx| {
                if exists(tx, &name)? {
                    return Err(WriteError::TsigKeyExists(name.clone()));
                }
                tx.execute(
                    "INSERT INTO tsig_keys (name, algorithm, secret) VALUES (?1, ?2, ?3)",
                    params![name.as_wire(), key.algorithm().short_name(), key.secret()],
                )?;
                Ok(())
            },
        )
    }

    /// Replaces the key called `old` with `key`, which may have another
    /// name (a rename), algorithm or secret, in one transaction.
    /// [`WriteError::NoSuchTsigKey`] when `old` is not in the store,
    /// [`WriteError::TsigKeyExists`] when the new name belongs to another
    /// key.
    pub fn replace_tsig_key(&self, old: &Name, key: &Key) -> Result<(), WriteError> {
        check_secret(key)?;
        let old = old.to_lowercase();
        let name = key.name().to_lowercase();
        self.write(
            || format!("replacing TSIG key {old}"),
            |tx| {
                if name != old && exists(tx, &name)? {
                    return Err(WriteError::TsigKeyExists(name.clone()));
                }
                let changed = tx.execute(
                    "UPDATE tsig_keys SET name = ?1, algorithm = ?2, secret = ?3,
                     updated_at = unixepoch() WHERE name = ?4",
                    params![
                        name.as_wire(),
                        key.algorithm().short_name(),
                        key.secret(),
                        old.as_wire()
                    ],
                )?;
                if changed == 0 {
                    return Err(WriteError::NoSuchTsigKey(old.clone()));
                }
                Ok(())
            },
        )
    }

    /// Deletes the key called `name`; [`WriteError::NoSuchTsigKey`] when the
    /// store has none.
    pub fn delete_tsig_key(&self, name: &Name) -> Result<(), WriteError> {
        let name = name.to_lowercase();
        self.write(
            || format!("deleting TSIG key {name}"),
            |tx| {
                let changed =
                    tx.execute("DELETE FROM tsig_keys WHERE name = ?1", [name.as_wire()])?;
                if changed == 0 {
                    return Err(WriteError::NoSuchTsigKey(name.clone()));
                }
                Ok(())
            },
        )
    }
}

/// Whether a key called `name` (lower case) is stored.
fn exists(tx: &rusqlite::Transaction<'_>, name: &Name) -> Result<bool, WriteError> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM tsig_keys WHERE name = ?1",
            [name.as_wire()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Refuses an empty secret, which no HMAC should be keyed with.
fn check_secret(key: &Key) -> Result<(), WriteError> {
    if key.secret().is_empty() {
        return Err(WriteError::EmptyTsigSecret(key.name().clone()));
    }
    Ok(())
}

/// A stored row as a key.
fn decode(name: &[u8], algorithm: &str, secret: Vec<u8>) -> Result<Key, StoreError> {
    let name = Name::from_wire(name)
        .map_err(|e| StoreError::corrupt(format!("a TSIG key has an unreadable name: {e}")))?;
    let algorithm: Algorithm = algorithm
        .parse()
        .map_err(|e| StoreError::corrupt(format!("TSIG key {name}: {e}")))?;
    Ok(Key::new(name, algorithm, secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PasswordCost;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("t.db"), PasswordCost::MINIMUM).unwrap();
        (dir, store)
    }

    fn key(name: &str, algorithm: Algorithm, secret: &[u8]) -> Key {
        Key::new(name.parse().unwrap(), algorithm, secret.to_vec())
    }

    #[test]
    fn keys_are_created_renamed_replaced_and_deleted() {
        let (_dir, store) = store();
        store
            .create_tsig_key(&key("Xfr.Example.", Algorithm::HmacSha256, &[1; 32]))
            .unwrap();
        let found = store.tsig_key(&"xfr.example.".parse().unwrap()).unwrap();
        let found = found.expect("stored");
        assert_eq!(found.name().to_string(), "xfr.example.");
        assert_eq!(found.secret(), &[1; 32]);
        assert!(matches!(
            store.create_tsig_key(&key("xfr.EXAMPLE.", Algorithm::HmacMd5, &[2; 16])),
            Err(WriteError::TsigKeyExists(_))
        ));
        store
            .create_tsig_key(&key("other.", Algorithm::HmacSha1, &[3; 20]))
            .unwrap();
        // A rename onto another key's name is refused and changes nothing.
        assert!(matches!(
            store.replace_tsig_key(
                &"xfr.example.".parse().unwrap(),
                &key("other.", Algorithm::HmacSha256, &[9; 32])
            ),
            Err(WriteError::TsigKeyExists(_))
        ));
        assert_eq!(store.tsig_keys().unwrap().len(), 2);
        store
            .replace_tsig_key(
                &"xfr.example.".parse().unwrap(),
                &key("renamed.", Algorithm::HmacSha512, &[4; 64]),
            )
            .unwrap();
        let names: Vec<String> = store
            .tsig_keys()
            .unwrap()
            .iter()
            .map(|k| k.name().to_string())
            .collect();
        assert_eq!(names, ["other.", "renamed."]);
        assert!(matches!(
            store.delete_tsig_key(&"xfr.example.".parse().unwrap()),
            Err(WriteError::NoSuchTsigKey(_))
        ));
        store.delete_tsig_key(&"renamed.".parse().unwrap()).unwrap();
        assert_eq!(store.tsig_keys().unwrap().len(), 1);
        assert!(matches!(
            store.create_tsig_key(&key("empty.", Algorithm::HmacSha1, &[])),
            Err(WriteError::EmptyTsigSecret(_))
        ));
    }
}
