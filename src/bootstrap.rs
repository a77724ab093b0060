//! First start of a node with a store: the example zone of the embedded
//! default, and the first user and API token, shown once.

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;
use store::{ChangeMeta, Scope, Source, Store, ZoneKind};
use wire::Name;

use crate::zones::{EXAMPLE_ORIGIN, EXAMPLE_ZONE};

/// File in the data directory that keeps the first credentials.
pub const CREDENTIALS_FILE: &str = "initial-credentials";

/// Puts the example zone `example.test.` into an empty store.
pub fn seed_example(store: &Store) -> anyhow::Result<()> {
    let origin: Name = EXAMPLE_ORIGIN.parse().expect("valid origin");
    let file = zonefile::parse_str(EXAMPLE_ZONE, &origin, Path::new("example.test.zone"))
        .map_err(|d| anyhow::anyhow!("the built-in example zone does not parse: {d:?}"))?;
    let records = file.records.into_iter().map(|r| r.record).collect();
    let meta = ChangeMeta {
        author: "hadns".into(),
        source: Source::Import,
        comment: Some("example zone of the embedded default".into()),
        now: crate::tcp::unix_now(),
    };
    store
        .import(&origin, records, ZoneKind::Master, &meta)
        .context("cannot create the example zone")?;
    tracing::info!(zone = %origin, "example zone created in the store");
    Ok(())
}

/// Creates the user `admin` with a random password and a read-write API
/// token for it, prints both once and keeps them in a file only the
/// server's user can read.
pub fn first_user(store: &Store, data_dir: &Path, api: Option<SocketAddr>) -> anyhow::Result<()> {
    let password = random_secret()?;
    store
        .add_user("admin", &password)
        .context("cannot create the first user")?;
    let token = store
        .create_token("admin", "admin", Scope::Write)
        .context("cannot create the first API token")?;
    let path = data_dir.join(CREDENTIALS_FILE);
    let text = format!(
        "# Created by hadns on first start. Change the password and delete this file.\n\
         user = admin\npassword = {password}\napi_token = {token}\n"
    );
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
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
fn random_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
