//! Opening the store: the file (created with mode 0600, since it holds
//! password and token hashes), its schema brought up to date, the two
//! connections, and the Argon2 cost for new password hashes.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;

use super::Store;
use crate::auth::PasswordCost;
use crate::error::StoreError;
use crate::schema;

impl Store {
    /// Opens the store at `path`, creating missing parent directories and
    /// the file (mode 0600: it holds password and token hashes), and
    /// brings its schema up to date. Passwords are hashed with the Argon2
    /// crate's default cost.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, PasswordCost::default())
    }

    /// Like [`Store::open`], with a chosen Argon2 cost for new password
    /// hashes (tests use [`PasswordCost::MINIMUM`] to stay fast). Existing
    /// hashes are checked with the cost they were made with.
    pub fn open_with(path: &Path, cost: PasswordCost) -> Result<Store, StoreError> {
        let password_params = cost.params()?;
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Create {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|source| StoreError::Create {
                path: path.to_path_buf(),
                source,
            })?;
        let writer = schema::open_writer(path)?;
        let reader = schema::open_reader(path)?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            password_params,
            audit_retention: crate::audit::AuditRetention::DEFAULT,
        })
    }
}
