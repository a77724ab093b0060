//! TSIG keys at run time: the configuration's `[[key]]`s and the keys kept
//! in the store (made through the API), merged into the one keyring every
//! view's served state verifies requests with.
//!
//! ```text
//!  POST/PUT/DELETE …/tsigkeys ──► KeyManager (one change at a time)
//!                                   │ Store::{create,replace,delete}_tsig_key ── COMMIT
//!                                   │ keyring = store keys + [[key]]s (a [[key]] wins a clash)
//!                                   ▼ every lane: Replicator::update_served(keyring)
//!                                 2xx only after all of the above
//! ```
//!
//! Because the keyring is published before the API answers, a key created
//! through the API verifies AXFR/IXFR, UPDATE and NOTIFY at once (so ACLs
//! such as `allow_transfer = ["key NAME"]` admit its holder), and a deleted
//! key stops verifying at once (BADKEY). Configuration keys are read-only
//! here: the file is their source, and the API cannot write it.
//!
//! Secrets are never logged: `Key`'s `Debug` shows only their length, and
//! the messages below name keys, not secrets.

use std::sync::Arc;

use api::ApiError;
use replicate::driver::Replicator;
use store::{Store, StoreError, WriteError};
use wire::Name;
use wire::tsig::{Key, Keyring};

/// Why a key change was refused or failed. Nothing was written when this
/// is returned (a committed change is always reported as done).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key is a `[[key]]` of the configuration, which the API does not
    /// change.
    #[error(
        "TSIG key {0} is a [[key]] of the configuration and is read-only through the API; change the configuration file"
    )]
    Configured(Name),
    /// A `[[key]]` of the configuration has the name asked for.
    #[error("A TSIG key with the name '{0}' already exists (a [[key]] of the configuration)")]
    NameInConfig(Name),
    /// The store refused the change (unknown key, name taken).
    #[error(transparent)]
    Refused(#[from] WriteError),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The change asked for is not valid (a bad name, algorithm or secret).
    #[error(transparent)]
    Invalid(ApiError),
    /// A blocking task died.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Where a key comes from.
pub use api::tsig::KeySource;

/// The keys of a node with a store, and where they are published.
pub struct KeyManager {
    store: Arc<Store>,
    /// The configuration's `[[key]]`s (swapped by a reload).
    configured: arc_swap::ArcSwap<Keyring>,
    /// Every lane's replicator: each lane's served state gets the keyring.
    lanes: Vec<Arc<Replicator>>,
    /// One change at a time, so keyrings are published in commit order.
    /// Held on the blocking thread from before the commit to after the
    /// publish: a request whose client goes away cannot release it early
    /// (an async guard would be dropped with the request's future while
    /// its blocking work went on, and a late publish could bring back a
    /// key deleted after it).
    writes: std::sync::Mutex<()>,
}

impl KeyManager {
    /// A key manager over `store` with the configuration's keys,
    /// publishing to `lanes`; call [`KeyManager::start`] before serving.
    pub fn new(store: Arc<Store>, configured: Keyring, lanes: Vec<Arc<Replicator>>) -> KeyManager {
        KeyManager {
            store,
            configured: arc_swap::ArcSwap::from_pointee(configured),
            lanes,
            writes: std::sync::Mutex::new(()),
        }
    }

    /// Publishes the merged keyring, and warns about store keys a `[[key]]`
    /// hides and about match-list keys that exist nowhere. Returns how many
    /// keys the store holds.
    pub fn start(&self, unconfigured: &[config::UnconfiguredKey]) -> Result<usize, StoreError> {
        let stored = self.store.tsig_keys()?;
        for key in &stored {
            if self.configured.load().get(key.name()).is_some() {
                tracing::warn!(key = %key.name(), "a TSIG key in the store has the name of a [[key]] of the configuration; the configuration's is used (DELETE …/tsigkeys/NAME removes the store's)");
            }
        }
        for reference in unconfigured {
            if !stored.iter().any(|k| *k.name() == reference.name) {
                tracing::warn!("{}", reference.place);
            }
        }
        self.publish_keys(&stored);
        Ok(stored.len())
    }

    /// Every key: the configuration's, then the store's a `[[key]]` does
    /// not hide, each group by name.
    pub fn list(&self) -> Result<Vec<(Key, KeySource)>, StoreError> {
        let mut configured: Vec<Key> = self
            .configured
            .load()
            .iter()
            .map(|k| (**k).clone())
            .collect();
        configured.sort_by(|a, b| a.name().cmp(b.name()));
        let mut out: Vec<(Key, KeySource)> = configured
            .into_iter()
            .map(|k| (k, KeySource::Config))
            .collect();
        for key in self.store.tsig_keys()? {
            if self.configured.load().get(key.name()).is_none() {
                out.push((key, KeySource::Store));
            }
        }
        Ok(out)
    }

    /// The key called `name`, and where it is kept.
    pub fn get(&self, name: &Name) -> Result<Option<(Key, KeySource)>, StoreError> {
        if let Some(key) = self.configured.load().get(name) {
            return Ok(Some(((**key).clone(), KeySource::Config)));
        }
        Ok(self.store.tsig_key(name)?.map(|k| (k, KeySource::Store)))
    }

    /// How many keys verify requests now (configuration and store).
    pub fn count(&self) -> Result<usize, StoreError> {
        Ok(self.list()?.len())
    }

    /// Adds `key` to the store and serves it.
    pub async fn create(self: &Arc<Self>, key: Key) -> Result<(), KeyError> {
        if self.configured.load().get(key.name()).is_some() {
            return Err(KeyError::NameInConfig(key.name().clone()));
        }
        self.write(move |store| Ok(store.create_tsig_key(&key)?))
            .await
    }

    /// Changes the store's key `old` as `change` says (renamed, another
    /// algorithm or secret), reading and writing it under the write lock so
    /// that concurrent changes do not undo each other, and serves the
    /// result. Returns the key as it now is.
    pub async fn change(
        self: &Arc<Self>,
        old: &Name,
        change: impl FnOnce(&Key) -> Result<Key, ApiError> + Send + 'static,
    ) -> Result<Key, KeyError> {
        if self.configured.load().get(old).is_some() {
            return Err(KeyError::Configured(old.clone()));
        }
        let old = old.clone();
        let configured = (**self.configured.load()).clone();
        self.write(move |store| {
            let current = store
                .tsig_key(&old)?
                .ok_or_else(|| WriteError::NoSuchTsigKey(old.clone()))?;
            let key = change(&current).map_err(KeyError::Invalid)?;
            if configured.get(key.name()).is_some() {
                return Err(KeyError::NameInConfig(key.name().clone()));
            }
            store.replace_tsig_key(&old, &key)?;
            Ok(key)
        })
        .await
    }

    /// Deletes the store's key `name`; it stops verifying at once. A store
    /// key that a `[[key]]` of the same name hides can be deleted too (so
    /// that it cannot come back to life should the `[[key]]` be dropped);
    /// the `[[key]]` itself is read-only here.
    pub async fn delete(self: &Arc<Self>, name: &Name) -> Result<(), KeyError> {
        let configured = self.configured.load().get(name).is_some();
        let name = name.clone();
        self.write(move |store| match store.delete_tsig_key(&name) {
            Ok(()) => Ok(()),
            Err(WriteError::NoSuchTsigKey(_)) if configured => Err(KeyError::Configured(name)),
            Err(e) => Err(e.into()),
        })
        .await
    }

    /// Runs one store change on a blocking thread and publishes the
    /// keyring it leaves, before answering. The change and the publish run
    /// under `writes` on that thread, so they finish together even when
    /// the request is abandoned.
    async fn write<T: Send + 'static>(
        self: &Arc<Self>,
        change: impl FnOnce(&Store) -> Result<T, KeyError> + Send + 'static,
    ) -> Result<T, KeyError> {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _writer = this.writes.lock().unwrap_or_else(|p| p.into_inner());
            let value = change(&this.store)?;
            // Committed: from here on the change stands, so it is reported
            // as done and the keyring must follow it.
            this.republish();
            Ok(value)
        })
        .await
        .map_err(|e| KeyError::Internal(format!("a store task failed: {e}")))?
    }

    /// Reads the store's keys and publishes them; a read that fails is
    /// tried again, and if it keeps failing the error is logged (the
    /// committed change is not undone by a failed read).
    fn republish(&self) {
        let mut last_error = None;
        for attempt in 0..5 {
            match self.store.tsig_keys() {
                Ok(stored) => {
                    self.publish_keys(&stored);
                    return;
                }
                Err(e) => last_error = Some(e),
            }
            std::thread::sleep(std::time::Duration::from_millis(20 << attempt));
        }
        if let Some(e) = last_error {
            tracing::error!(error = %e, "a TSIG key change was committed but the keys could not be read back to serve it; it takes effect with the next key change or restart");
        }
    }

    /// The keyring the lanes would serve with `configured` as the
    /// configuration's keys: a reload swaps it in with the rest of the
    /// configuration, then calls [`KeyManager::set_configured`].
    pub fn merged_with(&self, configured: &Keyring) -> Result<Keyring, StoreError> {
        Ok(merge(&self.store.tsig_keys()?, configured))
    }

    /// Makes `configured` the configuration's keys (a reload) and
    /// publishes the keyring they make with the store's.
    pub fn set_configured(&self, configured: Keyring) {
        let _writer = self.writes.lock().unwrap_or_else(|p| p.into_inner());
        self.configured.store(Arc::new(configured));
        self.republish();
    }

    /// Serves the store's `stored` keys and the configuration's in every
    /// lane; a `[[key]]` wins over a store key of the same name.
    fn publish_keys(&self, stored: &[Key]) {
        let keyring = merge(stored, &self.configured.load());
        for lane in &self.lanes {
            lane.update_served(|served| served.keyring = keyring.clone());
        }
    }
}

/// The store's `stored` keys and the configuration's `configured`; a
/// `[[key]]` wins over a store key of the same name.
fn merge(stored: &[Key], configured: &Keyring) -> Keyring {
    let mut keyring: Keyring = stored.iter().cloned().collect();
    keyring.extend(configured.iter().map(|k| (**k).clone()));
    keyring
}
