//! `hadns ctl`: one command to a running node, over its control socket
//! (the default: the node's data directory, found from its configuration)
//! or over its HTTP API with a token (`--server`, as rndc with a key).
//! Either way the node answers with the command's JSON, printed as is
//! with `--json` and otherwise as text (`node::control::render`, local
//! times). Exit status 0 when the node did what was asked, 1 otherwise.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use config::Config;
use node::control::{ControlError, render, report, socket};
use serde_json::Value;

use web::client::{self as http_client, HttpError};

/// `hadns ctl`'s arguments.
#[derive(clap::Args)]
#[command(after_help = "\
Without --server, the command goes to the control socket in the node's data_dir \
(from --config, --data-dir, or the default configuration). With --server (or \
HADNS_SERVER), it goes to the node's HTTP API, POST /api/v1/control, with the API \
token from --token, --token-file or HADNS_TOKEN: a read-only token may run status, \
zones and zone-status, a read-write token every command.")]
pub struct CtlArgs {
    #[command(subcommand)]
    command: CtlCommand,
    /// The zone's view, on a node with views where the zone is in several.
    #[arg(long, global = true)]
    view: Option<String>,
    /// The node's configuration (to find its data_dir and control socket).
    #[arg(long, short = 'c', global = true)]
    config: Option<PathBuf>,
    /// The node's data directory (instead of --config).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Talk to the node's HTTP API at this URL (http://HOST:PORT) instead of
    /// its control socket [env: HADNS_SERVER].
    #[arg(long, global = true, value_name = "URL")]
    server: Option<String>,
    /// The API token for --server [env: HADNS_TOKEN]; prefer the
    /// environment or --token-file, which other users cannot read in the
    /// process list.
    #[arg(long, global = true)]
    token: Option<String>,
    /// A file whose first line is the API token for --server.
    #[arg(long, global = true, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Print the reply as one JSON document, for scripts.
    #[arg(long, global = true)]
    json: bool,
}

/// The commands (see node::control for what each does).
#[derive(clap::Subcommand)]
enum CtlCommand {
    /// The node: version, start time, uptime, roles, zone count, views,
    /// queries per second; then one line per zone (zone, role, serial).
    Status,
    /// Every zone: view, zone, role, serial, last change or transfer,
    /// state (loaded, expired, not-yet-transferred, refreshing).
    Zones,
    /// One zone: serial, state, last transfer, next refresh, expiry,
    /// journal, NOTIFY targets.
    ZoneStatus {
        /// The zone.
        zone: String,
    },
    /// Send NOTIFY for the zone to its targets now.
    Notify {
        /// The zone.
        zone: String,
    },
    /// Check a secondary zone's primary now.
    Refresh {
        /// The zone.
        zone: String,
    },
    /// Transfer a secondary zone whole (AXFR) now.
    Retransfer {
        /// The zone.
        zone: String,
    },
    /// Re-read the configuration and the zone files that changed (as SIGHUP).
    Reload,
    /// Re-read a store zone another process changed (hadns import does this).
    Sync {
        /// The zone.
        zone: String,
    },
    /// Stop the node gracefully (as SIGTERM): it finishes the queries and
    /// transfers under way, saves its timers and exits.
    Stop,
    /// Switch the query log on or off while the node runs; without an
    /// argument, say whether it is on.
    Querylog {
        /// on or off.
        state: Option<String>,
    },
    /// Counters: queries, responses, transfers, NOTIFY, TCP; and per zone
    /// (all, or ZONE's): queries, results, serial, refresh and expiry.
    Stats {
        /// Only this zone.
        zone: Option<String>,
    },
    /// Anything else: refused with the list of commands.
    #[command(external_subcommand)]
    Unknown(Vec<String>),
}

impl CtlCommand {
    /// The command's name and zone as the node parses them.
    fn parts(&self) -> (&str, Option<&str>) {
        match self {
            CtlCommand::Status => ("status", None),
            CtlCommand::Zones => ("zones", None),
            CtlCommand::ZoneStatus { zone } => ("zone-status", Some(zone)),
            CtlCommand::Notify { zone } => ("notify", Some(zone)),
            CtlCommand::Refresh { zone } => ("refresh", Some(zone)),
            CtlCommand::Retransfer { zone } => ("retransfer", Some(zone)),
            CtlCommand::Reload => ("reload", None),
            CtlCommand::Sync { zone } => ("sync", Some(zone)),
            CtlCommand::Stop => ("stop", None),
            CtlCommand::Querylog { state } => ("querylog", state.as_deref()),
            CtlCommand::Stats { zone } => ("stats", zone.as_deref()),
            CtlCommand::Unknown(words) => (words.first().map_or("", String::as_str), None),
        }
    }
}

/// How long the node may take to answer (a reload of many big zone
/// files takes a while).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// The largest answer read from the API (`zones` of some 200,000 zones).
const MAX_ANSWER: usize = 64 * 1024 * 1024;

/// The port of `--server HOST` without one: `[api] listen`'s default.
const DEFAULT_API_PORT: u16 = 8053;

/// Runs `hadns ctl`.
pub fn ctl_command(args: CtlArgs) -> anyhow::Result<ExitCode> {
    let (name, zone) = args.command.parts();
    // An external subcommand takes the rest of the line raw.
    let json = args.json
        || matches!(&args.command, CtlCommand::Unknown(words) if words.iter().any(|w| w == "--json"));
    let outcome = match &args.command {
        CtlCommand::Unknown(_) => Ok(Err(
            ControlError::UnknownCommand(name.to_string()).to_string()
        )),
        _ => run(&args, name, zone),
    };
    let failed = |message: &str| {
        if json {
            println!("{}", report::error(message));
        }
        eprintln!("error: {message}");
        ExitCode::FAILURE
    };
    Ok(match outcome {
        Ok(Ok(value)) => {
            if json {
                println!("{value}");
            } else {
                print!("{}", render::text(name, &value));
            }
            ExitCode::SUCCESS
        }
        Ok(Err(refusal)) => failed(&refusal),
        Err(e) => failed(&format!("{e:#}")),
    })
}

/// Sends the command: the node's answer (its JSON, or why it refused),
/// or why the node could not be asked.
fn run(args: &CtlArgs, name: &str, zone: Option<&str>) -> anyhow::Result<Result<Value, String>> {
    let server = match (&args.server, &args.config, &args.data_dir) {
        (Some(server), _, _) => Some(server.clone()),
        // A configuration or data directory named on the command line
        // means the local socket, whatever the environment says.
        (None, None, None) => std::env::var("HADNS_SERVER").ok().filter(|s| !s.is_empty()),
        (None, _, _) => None,
    };
    match server {
        Some(server) => over_http(args, &server, name, zone),
        None => over_socket(args, name, zone),
    }
}

/// The command over the control socket (always in JSON mode: the text is
/// rendered here).
fn over_socket(
    args: &CtlArgs,
    name: &str,
    zone: Option<&str>,
) -> anyhow::Result<Result<Value, String>> {
    let data_dir = match (&args.data_dir, &args.config) {
        (Some(dir), _) => dir.clone(),
        (None, Some(config)) => Config::load(config)
            .map_err(anyhow::Error::msg)?
            .node
            .data_dir_from_host(),
        (None, None) => Config::default().node.data_dir,
    };
    let mut line = format!("json {name}");
    if let Some(zone) = zone {
        line.push(' ');
        line.push_str(zone);
        if let Some(view) = &args.view {
            line.push(' ');
            line.push_str(view);
        }
    }
    let (ok, first, rest) = socket::request(&data_dir, &line)?;
    let value: Value = serde_json::from_str(rest.trim()).with_context(|| {
        format!(
            "the node's answer is not JSON: {first} {}",
            rest.chars().take(200).collect::<String>()
        )
    })?;
    if ok {
        return Ok(Ok(value));
    }
    Ok(Err(value["error"].as_str().map_or_else(
        || first.trim_start_matches("error: ").to_string(),
        str::to_string,
    )))
}

/// The command over the node's HTTP API.
fn over_http(
    args: &CtlArgs,
    server: &str,
    name: &str,
    zone: Option<&str>,
) -> anyhow::Result<Result<Value, String>> {
    let (address, base) = parse_server(server)?;
    let token = token(args)?;
    let body = serde_json::json!({"command": name, "zone": zone, "view": args.view});
    let body = body.to_string();
    let path = format!("{base}/api/v1/control");
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
    ];
    if let Some(token) = &token {
        headers.push(("X-API-Key", token));
    }
    let request = http_client::Request {
        method: "POST",
        path: &path,
        headers: &headers,
        body: Some(body.as_bytes()),
    };
    let (status, answer) = http_client::exchange(address, &request, ANSWER_TIMEOUT, MAX_ANSWER)
        .map_err(|e| match e {
            HttpError::Connect(e) => {
                anyhow::anyhow!("cannot reach the node at {server} ({address}): {e}")
            }
            HttpError::Timeout => anyhow::anyhow!(
                "the node at {server} did not answer within {}s",
                ANSWER_TIMEOUT.as_secs()
            ),
            other => anyhow::anyhow!("the exchange with the node at {server} failed: {other}"),
        })?;
    let value: Option<Value> = serde_json::from_slice(&answer).ok();
    let said = value
        .as_ref()
        .and_then(|v| v["error"].as_str())
        .map_or_else(
            || String::from_utf8_lossy(&answer).chars().take(200).collect(),
            str::to_string,
        );
    match status {
        200 => value
            .map(Ok)
            .with_context(|| format!("the node at {server} answered 200 without JSON: {said}")),
        401 | 403 => {
            let which = if token.is_some() {
                "the token given"
            } else {
                "a request without a token (give --token, --token-file or HADNS_TOKEN)"
            };
            bail!("the node at {server} refused {which}: HTTP {status}: {said}")
        }
        404 if value.is_none() || said.starts_with("Not Found: no API endpoint") => bail!(
            "{server} has no control endpoint (HTTP 404: {said}); is it a hadns node's [api] listen?"
        ),
        _ => Ok(Err(said)),
    }
}

/// The token for `--server`: `--token`, `--token-file`, or `HADNS_TOKEN`.
fn token(args: &CtlArgs) -> anyhow::Result<Option<String>> {
    if let Some(token) = &args.token {
        return Ok(Some(token.trim().to_string()));
    }
    if let Some(file) = &args.token_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the token file {}", file.display()))?;
        let token = text.lines().next().unwrap_or_default().trim().to_string();
        if token.is_empty() {
            bail!("the token file {} is empty", file.display());
        }
        return Ok(Some(token));
    }
    Ok(std::env::var("HADNS_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty()))
}

/// `http://HOST[:PORT][/PREFIX]` or `HOST[:PORT]`: the address to connect
/// to and the path prefix the API is under (empty unless a proxy adds one).
fn parse_server(text: &str) -> anyhow::Result<(SocketAddr, String)> {
    if text.starts_with("https://") {
        bail!(
            "--server {text}: https is not spoken here; give the plain-HTTP address of the node's [api] listen (put TLS in front with a proxy on the node's side)"
        );
    }
    let (rest, default_port) = match text.strip_prefix("http://") {
        Some(rest) => (rest, 80),
        None => (text, DEFAULT_API_PORT),
    };
    let (authority, prefix) = match rest.find('/') {
        Some(slash) => (&rest[..slash], rest[slash..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.is_empty() {
        bail!("--server {text}: no host");
    }
    // `[::1]:8053`, `[::1]`, `127.0.0.1:8053`, `host`, `host:8053`.
    let with_port = if authority.ends_with(']') || !authority.contains(':') {
        format!("{authority}:{default_port}")
    } else if authority.matches(':').count() > 1 && !authority.starts_with('[') {
        // A bare IPv6 address.
        format!("[{authority}]:{default_port}")
    } else {
        authority.to_string()
    };
    let address = with_port
        .to_socket_addrs()
        .with_context(|| format!("--server {text}: cannot resolve `{authority}`"))?
        .next()
        .with_context(|| format!("--server {text}: `{authority}` has no address"))?;
    Ok((address, prefix.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_give_an_address_and_a_prefix() {
        let parsed = |text: &str| parse_server(text).unwrap();
        assert_eq!(
            parsed("http://127.0.0.1:8053"),
            ("127.0.0.1:8053".parse().unwrap(), String::new())
        );
        assert_eq!(
            parsed("127.0.0.1"),
            ("127.0.0.1:8053".parse().unwrap(), String::new())
        );
        assert_eq!(
            parsed("http://[::1]/hadns/"),
            ("[::1]:80".parse().unwrap(), "/hadns".to_string())
        );
        assert_eq!(parsed("::1").0, "[::1]:8053".parse().unwrap());
        assert!(parse_server("https://127.0.0.1").is_err());
        assert!(parse_server("http:///x").is_err());
    }
}
