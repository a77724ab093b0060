//! `hadns keepalived`: a balancer's keepalived.conf from the cluster file,
//! printed or written in place. The file itself is made by the pure
//! `config::keepalived::render`; this module reads, selects and writes.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use config::cluster::Cluster;

/// Arguments of `hadns keepalived`.
#[derive(Args)]
pub struct KeepalivedArgs {
    /// The cluster file (see docs/keepalived.md and
    /// contrib/cluster-example.toml).
    #[arg(long, short = 'c')]
    config: PathBuf,
    /// The balancer to write for: a `[[balancer.node]]` name.
    #[arg(long)]
    node: String,
    /// Write here (replaced atomically) instead of printing, e.g.
    /// /etc/keepalived/keepalived.conf.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

/// Runs `hadns keepalived`.
pub fn keepalived_command(args: KeepalivedArgs) -> anyhow::Result<ExitCode> {
    let cluster = Cluster::load(&args.config)?;
    let node = cluster.node(&args.node)?;
    let text = config::keepalived::render(&cluster, node);
    match &args.output {
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("writing to standard output")?,
        Some(path) => {
            // VRRP's auth_pass is in it: readable by root alone then.
            let mode = if cluster.balancer.auth_pass.is_some() {
                0o600
            } else {
                0o644
            };
            write_replacing(path, text.as_bytes(), mode)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to a temporary file beside `path` and renames it over
/// `path`, so keepalived reloading at any moment reads the old file or
/// the new one, never half of one.
fn write_replacing(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(".hadns-new");
    let temporary = path.with_file_name(temporary_name);
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
