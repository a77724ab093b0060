//! `hadns`: a high-availability authoritative DNS server.
//!
//! The binary is thin: argument parsing, one module per subcommand
//! (`serve`, `ctl`, `check` for `zone check` and `config check`,
//! `health_check` for `hadns check`, `keepalived`, and `admin` for `user`, `token`,
//! `import`, `export`; `check` and `ctl --server` speak HTTP through
//! `web::client`), and the wiring of the library crates: `node` (a running
//! node), `manage` (the primary's writer over the store), `web` (the API
//! and the UI). See ARCHITECTURE.md for the map.

mod admin;
mod check;
mod ctl;
mod data_dir;
mod generate;
mod health_check;
mod keepalived;
mod privilege;
mod sd_notify;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// High-availability authoritative DNS server.
#[derive(Parser)]
#[command(name = "hadns", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node. With no options: serve the example zone example.test. on
    /// 127.0.0.1:5353.
    Serve(serve::ServeArgs),
    /// Zone file tools.
    #[command(subcommand)]
    Zone(ZoneCommand),
    /// Configuration tools.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Control a running node: over the control socket in its data_dir, or
    /// over its HTTP API with a token (--server).
    Ctl(ctl::CtlArgs),
    /// Health check for keepalived's MISC_CHECK: fails a node that is dead
    /// or stale (zone not loaded, expired, too far or too long behind its
    /// primary). One line on stdout; exit 0 healthy, 1 unhealthy, 2 usage.
    Check(health_check::CheckArgs),
    /// Users of the web UI and API (in the node's store).
    User {
        #[command(subcommand)]
        command: admin::UserCommand,
        #[command(flatten)]
        store: admin::StoreArgs,
    },
    /// API tokens (in the node's store).
    Token {
        #[command(subcommand)]
        command: admin::TokenCommand,
        #[command(flatten)]
        store: admin::StoreArgs,
    },
    /// Import a zone file (or every primary zone of a named.conf) into the
    /// store, as one journal entry per zone.
    Import {
        #[command(flatten)]
        args: admin::ImportArgs,
        #[command(flatten)]
        store: admin::StoreArgs,
    },
    /// Print a store zone as a zone file.
    Export {
        /// The zone.
        zone: String,
        /// The view whose copy to print (its own RRsets in place of the
        /// base's); without it, the base.
        #[arg(long)]
        view: Option<String>,
        #[command(flatten)]
        store: admin::StoreArgs,
    },
    /// Write a balancer's keepalived.conf (VRRP, LVS-DR for UDP and TCP
    /// port 53, checks by `hadns check`) from a cluster file.
    Keepalived(keepalived::KeepalivedArgs),
    /// Man pages and shell completions, for packaging.
    #[command(subcommand, hide = true)]
    Generate(generate::GenerateCommand),
}

#[derive(Subcommand)]
enum ZoneCommand {
    /// Check a zone file like named-checkzone: print every problem, exit 1
    /// on errors; on success print the serial and record count.
    Check {
        /// The zone file.
        file: PathBuf,
        /// The zone's origin (apex).
        #[arg(long, short = 'o')]
        origin: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check a configuration file like named-checkconf.
    Check {
        /// The configuration file.
        file: PathBuf,
        /// Also load and check every zone file it names.
        #[arg(long, short = 'z')]
        zones: bool,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `hadns check` speaks to keepalived: one line on stdout, exit 2.
        Err(e) if e.use_stderr() && invoked_check() => return health_check::usage_line(&e),
        Err(e) => e.exit(),
    };
    if let Command::Check(args) = cli.command {
        // No logging: the check's one line is all it says.
        return health_check::check_command(args);
    }
    init_logging();
    if matches!(
        cli.command,
        Command::Serve(_) | Command::User { .. } | Command::Token { .. } | Command::Import { .. }
    ) {
        // These write into a data directory: what they create is private.
        data_dir::private_umask();
    }
    let result = match cli.command {
        Command::Serve(args) => serve::serve_command(args),
        Command::Zone(ZoneCommand::Check { file, origin }) => check::zone_check(&file, &origin),
        Command::Config(ConfigCommand::Check { file, zones }) => check::config_check(&file, zones),
        Command::Ctl(args) => ctl::ctl_command(args),
        Command::Check(_) => unreachable!("handled before logging starts"),
        Command::User { command, store } => admin::user(command, &store),
        Command::Token { command, store } => admin::token(command, &store),
        Command::Import { args, store } => admin::import(args, &store),
        Command::Export { zone, view, store } => admin::export(&zone, view.as_deref(), &store),
        Command::Keepalived(args) => keepalived::keepalived_command(args),
        Command::Generate(what) => generate::generate_command(what, Cli::command()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hadns: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whether the command line asks for `hadns check` (its first word).
fn invoked_check() -> bool {
    std::env::args().nth(1).as_deref() == Some("check")
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("HADNS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}
