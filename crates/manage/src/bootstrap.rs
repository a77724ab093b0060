//! First start of a node with a store: the example zone of the embedded
//! default, and the first user and API token, shown once.

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use node::clock::unix_now;
use node::zones::{EXAMPLE_ORIGIN, EXAMPLE_ZONE};
use store::{ChangeMeta, Scope, Source, Store, WriteError, ZoneKind};
use wire::Name;

/// Why a first start could not set the store up.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// The example zone shipped in the binary does not parse (a build defect).
    #[error("the built-in example zone does not parse: {0}")]
    Example(String),
    /// The store refused a write.
    #[error("{what}: {source}")]
    Store {
        /// What was being made.
        what: &'static str,
        /// The store's reason.
        source: WriteError,
    },
    /// The credentials file could not be written.
    #[error("cannot write {path}: {source}")]
    Credentials {
        /// The file.
        path: String,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The system gave no randomness for the password.
    #[error("no randomness from the operating system: {0}")]
    Randomness(String),
}

/// File in the data directory that keeps the first credentials.
pub const CREDENTIALS_FILE: &str = "initial-credentials";

/// Puts the example zone `example.test.` into an empty store.
pub fn seed_example(store: &Store) -> Result<(), BootstrapError> {
    let origin: Name = EXAMPLE_ORIGIN.parse().expect("valid origin");
    let file = zonefile::parse_str(EXAMPLE_ZONE, &origin, Path::new("example.test.zone"))
        .map_err(|d| BootstrapError::Example(format!("{d:?}")))?;
    let records = file.records.into_iter().map(|r| r.record).collect();
    let meta = ChangeMeta {
        author: "hadns".into(),
        source: Source::Import,
        comment: Some("example zone of the embedded default".into()),
        now: unix_now(),
    };
    store
        .import(&origin, records, ZoneKind::Master, &meta)
        .map_err(|source| BootstrapError::Store {
            what: "cannot create the example zone",
            source,
        })?;
    tracing::info!(zone = %origin, "example zone created in the store");
    Ok(())
}

/// Creates the user `admin` with a random password and a read-write API
/// token for it, prints both once and keeps them in a file only the
/// server's user can read.
pub fn first_user(
    store: &Store,
    data_dir: &Path,
    api: Option<SocketAddr>,
) -> Result<(), BootstrapError> {
    let password = random_secret()?;
    store
        .add_user("admin", &password)
        .map_err(|source| BootstrapError::Store {
            what: "cannot create the first user",
            source,
        })?;
    let token = store
        .create_token("admin", "admin", Scope::Write)
        .map_err(|source| BootstrapError::Store {
            what: "cannot create the first API token",
            source,
        })?;
    let path = data_dir.join(CREDENTIALS_FILE);
    let text = format!(
        "# Created by hadns on first start. Change the password and delete this file.\n\
         user = admin\npassword = {password}\napi_token = {token}\n"
    );
    let credentials = |source| BootstrapError::Credentials {
        path: path.display().to_string(),
        source,
    };
    // Whatever stands at that name (a file of an earlier start, or a
    // symbolic link someone planted) is removed, and the file made anew
    // with O_EXCL: the password is never written through a link.
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(credentials(e)),
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(credentials)?;
    file.write_all(text.as_bytes()).map_err(credentials)?;
    file.sync_all().map_err(credentials)?;
    let api = api.map_or_else(String::new, |a| format!(" at http://{a}/"));
    println!(
        "hadns: first start: created user `admin` with password {password}\n\
         hadns: and the read-write API token {token}{api}\n\
         hadns: (shown once; also kept in {}, readable by this user only)",
        path.display()
    );
    Ok(())
}

/// 128 random bits, hex.
fn random_secret() -> Result<String, BootstrapError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| BootstrapError::Randomness(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
