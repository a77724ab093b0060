//! `hadns ctl`: one command to a running node over its control socket.

use std::path::PathBuf;
use std::process::ExitCode;

use config::Config;

/// `hadns ctl`'s arguments.
#[derive(clap::Args)]
pub struct CtlArgs {
    /// status (every zone: role, serial, view), zone-status ZONE (timers,
    /// journal, NOTIFY targets), notify ZONE, refresh ZONE, retransfer ZONE,
    /// reload (re-read zone files), sync ZONE (re-read a store zone another
    /// process changed).
    command: String,
    /// The zone, for the per-zone commands.
    zone: Option<String>,
    /// The zone's view, on a node with views where it is in several.
    #[arg(long)]
    view: Option<String>,
    /// The node's configuration (to find its data_dir).
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// The node's data directory (instead of --config).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Print the reply as one JSON document, for scripts.
    #[arg(long)]
    json: bool,
}

/// Runs `hadns ctl`.
pub fn ctl_command(args: CtlArgs) -> anyhow::Result<ExitCode> {
    let data_dir = match (&args.data_dir, &args.config) {
        (Some(dir), _) => dir.clone(),
        (None, Some(config)) => Config::load(config)
            .map_err(anyhow::Error::msg)?
            .node
            .data_dir_from_host(),
        (None, None) => Config::default().node.data_dir,
    };
    let mut command = if args.json {
        format!("json {}", args.command)
    } else {
        args.command.clone()
    };
    if let Some(zone) = &args.zone {
        command.push(' ');
        command.push_str(zone);
        if let Some(view) = &args.view {
            command.push(' ');
            command.push_str(view);
        }
    }
    Ok(if node::control::client(&data_dir, &command)? {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
