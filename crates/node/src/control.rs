//! The local control channel behind `hadns ctl`: a Unix socket in the data
//! directory, readable and writable by the server's own user only (the
//! file mode is the authentication, as with BIND's rndc over a local
//! socket). The HTTP API takes over this role when it exists.
//!
//! Protocol: the client sends one line, `[json] COMMAND [ZONE [VIEW]]`; the
//! server answers with `ok` or `error: …` on the first line, details after,
//! and closes. With the `json` prefix (`hadns ctl --json`) the details are
//! one JSON document: `status` and `zone-status` give their data, every
//! other command `{"ok": …, "message"|"error": …}`. Times are RFC 3339, UTC. On a node with views, a zone served in several views needs its
//! view named.
//!
//! | command | effect |
//! |---|---|
//! | `status` | one line per zone: name, role, serial (and view, with views) |
//! | `zone-status ZONE` | serial, role, last transfer, next refresh, expiry, journal, NOTIFY targets |
//! | `notify ZONE` | send NOTIFY to the zone's targets now |
//! | `refresh ZONE` | check a secondary zone's primary now |
//! | `retransfer ZONE` | AXFR a secondary zone now |
//! | `reload` | re-read the configuration and the zone files that changed (as SIGHUP) |
//! | `sync ZONE` | re-read a store zone another process changed (`hadns import`) |

use std::fmt::Write as _;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use replicate::driver::Replicator;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use wire::Name;

use crate::hooks::ControlHooks;
use crate::lane::Lane;
use crate::reload::Reloader;

/// File name of the control socket inside the data directory.
pub const SOCKET_NAME: &str = "control.sock";

/// Binds the control socket and serves it in the background.
pub fn listen(
    data_dir: &Path,
    lanes: Arc<Vec<Lane>>,
    reloader: Arc<Reloader>,
    hooks: Option<Arc<dyn ControlHooks>>,
) -> io::Result<PathBuf> {
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join(SOCKET_NAME);
    // A socket left by a previous run that died; nothing listens on it.
    if path.exists() && std::os::unix::net::UnixStream::connect(&path).is_err() {
        std::fs::remove_file(&path)?;
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let lanes = Arc::clone(&lanes);
            let reloader = Arc::clone(&reloader);
            let hooks = hooks.clone();
            tokio::spawn(async move {
                if let Err(e) = session(stream, lanes, reloader, hooks).await {
                    tracing::debug!(error = %e, "control session ended");
                }
            });
        }
    });
    Ok(path)
}

async fn session(
    stream: UnixStream,
    lanes: Arc<Vec<Lane>>,
    reloader: Arc<Reloader>,
    hooks: Option<Arc<dyn ControlHooks>>,
) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(read.take(1024));
    tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no command"))??;
    let reply = execute(line.trim(), &lanes, &reloader, hooks.as_ref()).await;
    write.write_all(reply.as_bytes()).await?;
    write.shutdown().await
}

/// The replicator serving `zone` in `view` (or in the only view that has
/// it); an error line when there is none, or several and no view named.
fn replicator_for<'a>(
    lanes: &'a [Lane],
    zone: &Name,
    view: Option<&str>,
) -> Result<&'a Arc<Replicator>, String> {
    if let Some(view) = view {
        return lanes
            .iter()
            .find(|l| l.view.as_deref() == Some(view))
            .map(|l| &l.replicator)
            .ok_or_else(|| format!("error: no view `{view}`\n"));
    }
    let having: Vec<&Lane> = lanes
        .iter()
        .filter(|l| l.replicator.status(zone).is_some())
        .collect();
    match having.as_slice() {
        [] => Ok(&lanes[0].replicator),
        [one] => Ok(&one.replicator),
        several => Err(format!(
            "error: zone {zone} is in the views {}: name one after the zone\n",
            several
                .iter()
                .filter_map(|l| l.view.as_deref())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Runs one command line; with the `json` prefix, renders the reply as JSON.
async fn execute(
    line: &str,
    lanes: &Arc<Vec<Lane>>,
    reloader: &Arc<Reloader>,
    hooks: Option<&Arc<dyn ControlHooks>>,
) -> String {
    let Some(rest) = line.strip_prefix("json ") else {
        return execute_text(line, lanes, reloader, hooks).await;
    };
    let rest = rest.trim();
    let mut words = rest.split_whitespace();
    let command = words.next().unwrap_or("");
    let zone = words.next();
    let view = words.next();
    match (command, zone) {
        ("status", _) => format!("ok\n{}\n", status_json(lanes)),
        ("zone-status", Some(zone)) => match Name::from_text(zone, Some(&Name::root())) {
            Err(e) => json_reply(&format!("error: bad zone name: {e}\n")),
            Ok(name) => match replicator_for(lanes, &name, view) {
                Err(e) => json_reply(&e),
                Ok(replicator) => match replicator.status(&name) {
                    None => json_reply(&format!(
                        "error: zone {name} is not replicated by this node\n"
                    )),
                    Some(status) => format!("ok\n{}\n", zone_status_json(&status)),
                },
            },
        },
        _ => json_reply(&execute_text(rest, lanes, reloader, hooks).await),
    }
}

/// A text reply (`ok`/`error: …` line, then details) as one JSON object.
fn json_reply(text: &str) -> String {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let rest = rest.trim_end();
    match first.strip_prefix("error: ") {
        Some(error) => {
            let mut error = error.to_string();
            if !rest.is_empty() {
                error.push('\n');
                error.push_str(rest);
            }
            // The status line is one line; the whole error is in the JSON,
            // which is all the client prints on standard output.
            let first = error.lines().next().unwrap_or_default();
            format!(
                "error: {first}\n{}\n",
                serde_json::json!({"ok": false, "error": error})
            )
        }
        None => format!("ok\n{}\n", serde_json::json!({"ok": true, "message": rest})),
    }
}

/// Every zone of every lane, as `status` lists them.
fn status_json(lanes: &[Lane]) -> serde_json::Value {
    let mut zones = Vec::new();
    for lane in lanes {
        let mut names: Vec<Name> = lane.replicator.zones();
        names.sort();
        for name in &names {
            if let Some(s) = lane.replicator.status(name) {
                zones.push(serde_json::json!({
                    "zone": s.apex.to_string(),
                    "view": lane.view,
                    "role": s.role,
                    "serial": s.serial.map(|v| v.0),
                    "catalog": s.catalog.as_ref().map(ToString::to_string),
                }));
            }
        }
    }
    serde_json::json!({ "zones": zones })
}

/// An optional time as RFC 3339 (UTC), `null` when never.
fn time_json(t: Option<SystemTime>) -> serde_json::Value {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(serde_json::Value::Null, |d| {
            wire::time::rfc3339(d.as_secs()).into()
        })
}

/// `zone-status` as JSON.
fn zone_status_json(s: &replicate::driver::ZoneStatus) -> serde_json::Value {
    let secondary = s.secondary.as_ref().map(|sec| {
        serde_json::json!({
            "last_transfer": time_json(sec.last_transfer),
            "last_check": time_json(sec.last_check),
            "next_refresh": time_json(Some(sec.next_refresh)),
            "expires": time_json(sec.expires_at),
            "expired": sec.expired,
            "timers": {
                "refresh": sec.timers.refresh.as_secs(),
                "retry": sec.timers.retry.as_secs(),
                "expire": sec.timers.expire.as_secs(),
            },
            "last_error": sec.last_error,
            "behind": sec.behind.map(|b| serde_json::json!({
                "since": time_json(Some(b.since)),
                "seconds": b.duration(SystemTime::now()).as_secs(),
                "primary_serial": b.primary_serial.0,
            })),
        })
    });
    let journal = s.journal.map(|(first, last, entries)| {
        serde_json::json!({
            "entries": entries,
            "first_serial": first.map(|v| v.0),
            "last_serial": last.map(|v| v.0),
        })
    });
    let notify: Vec<serde_json::Value> = s
        .notify
        .iter()
        .map(|(target, n)| {
            serde_json::json!({
                "target": target.to_string(),
                "serial": n.serial.map(|v| v.0),
                "acknowledged": time_json(n.acknowledged),
                "error": n.error,
            })
        })
        .collect();
    serde_json::json!({
        "zone": s.apex.to_string(),
        "role": s.role,
        "serial": s.serial.map(|v| v.0),
        "secondary": secondary,
        "journal": journal,
        "notify": notify,
        "primaries": s.primaries.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "catalog": s.catalog.as_ref().map(ToString::to_string),
    })
}

/// Runs one command line, replying in text.
async fn execute_text(
    line: &str,
    lanes: &Arc<Vec<Lane>>,
    reloader: &Arc<Reloader>,
    hooks: Option<&Arc<dyn ControlHooks>>,
) -> String {
    let mut words = line.split_whitespace();
    let command = words.next().unwrap_or("");
    let zone = words
        .next()
        .map(|z| Name::from_text(z, Some(&Name::root())));
    let zone = match zone {
        Some(Ok(name)) => Some(name),
        Some(Err(e)) => return format!("error: bad zone name: {e}\n"),
        None => None,
    };
    let view = words.next();
    let need_zone = |zone: &Option<Name>| {
        zone.clone()
            .ok_or("error: this command needs a zone name\n".to_string())
    };
    let replicator = match (&zone, command) {
        (Some(name), "zone-status" | "notify" | "refresh" | "retransfer") => {
            match replicator_for(lanes, name, view) {
                Ok(replicator) => Arc::clone(replicator),
                Err(e) => return e,
            }
        }
        _ => Arc::clone(&lanes[0].replicator),
    };
    match command {
        "status" => {
            let mut out = String::from("ok\n");
            for lane in lanes.iter() {
                let mut names: Vec<Name> = lane.replicator.zones();
                names.sort();
                for name in &names {
                    if let Some(s) = lane.replicator.status(name) {
                        let _ = write!(
                            out,
                            "{}\t{}\t{}",
                            s.apex,
                            s.role,
                            s.serial.map_or("-".to_string(), |v| v.0.to_string())
                        );
                        if let Some(view) = &lane.view {
                            let _ = write!(out, "\t{view}");
                        }
                        // Members of a consumed catalog name it, so an
                        // operator sees where a zone nobody configured came from.
                        if let Some(catalog) = &s.catalog {
                            let _ = write!(out, "\tcatalog={catalog}");
                        }
                        out.push('\n');
                    }
                }
            }
            out
        }
        "zone-status" => match need_zone(&zone) {
            Err(e) => e,
            Ok(name) => match replicator.status(&name) {
                None => format!("error: zone {name} is not replicated by this node\n"),
                Some(s) => zone_status(&s),
            },
        },
        "notify" => match need_zone(&zone) {
            Err(e) => e,
            Ok(name) if replicator.notify_now(&name) => "ok\nNOTIFY sent\n".into(),
            Ok(name) => format!("error: zone {name} is not replicated by this node\n"),
        },
        "refresh" => match need_zone(&zone) {
            Err(e) => e,
            Ok(name) if replicator.refresh_now(&name) => "ok\nrefresh scheduled\n".into(),
            Ok(name) => format!("error: zone {name} is not a secondary zone of this node\n"),
        },
        "retransfer" => match need_zone(&zone) {
            Err(e) => e,
            Ok(name) if replicator.retransfer_now(&name) => "ok\nAXFR scheduled\n".into(),
            Ok(name) => format!("error: zone {name} is not a secondary zone of this node\n"),
        },
        "reload" => {
            let reloader = Arc::clone(reloader);
            match tokio::task::spawn_blocking(move || reloader.reload()).await {
                Ok(Ok(done)) => format!("ok\nreloaded\n{}", lines(&done)),
                Ok(Err(why)) => format!("error: reload refused, nothing changed:\n{why}\n"),
                Err(e) => format!("error: reload task failed: {e}\n"),
            }
        }
        "sync" => match (need_zone(&zone), hooks) {
            (Err(e), _) => e,
            (Ok(_), None) => "error: this node has no store\n".into(),
            (Ok(name), Some(hooks)) => match hooks.sync(name).await {
                Ok(what) => format!("ok\n{what}\n"),
                Err(e) => format!("error: {e}\n"),
            },
        },
        "" => "error: empty command\n".into(),
        other => format!(
            "error: unknown command `{other}` (status, zone-status, notify, refresh, retransfer, reload, sync)\n"
        ),
    }
}

/// A time as RFC 3339 (UTC) with how far it is from now, or `never`.
fn time(t: Option<SystemTime>) -> String {
    match t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()) {
        None => "never".into(),
        Some(d) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |n| n.as_secs()) as i64;
            let delta = d.as_secs() as i64 - now;
            let relative = if delta > 0 {
                format!("in {delta}s")
            } else {
                format!("{}s ago", -delta)
            };
            format!("{} ({relative})", wire::time::rfc3339(d.as_secs()))
        }
    }
}

fn zone_status(s: &replicate::driver::ZoneStatus) -> String {
    let mut out = String::from("ok\n");
    let _ = writeln!(out, "zone: {}", s.apex);
    let _ = writeln!(out, "role: {}", s.role);
    let _ = writeln!(
        out,
        "serial: {}",
        s.serial
            .map_or("none (not served)".to_string(), |v| v.0.to_string())
    );
    if !s.primaries.is_empty() {
        let list: Vec<String> = s.primaries.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "primaries: {}", list.join(", "));
    }
    if let Some(catalog) = &s.catalog {
        let _ = writeln!(out, "catalog: {catalog}");
    }
    if let Some(sec) = &s.secondary {
        let _ = writeln!(out, "last transfer: {}", time(sec.last_transfer));
        let _ = writeln!(out, "last check: {}", time(sec.last_check));
        let _ = writeln!(out, "next refresh: {}", time(Some(sec.next_refresh)));
        let _ = writeln!(out, "expires: {}", time(sec.expires_at));
        let _ = writeln!(out, "expired: {}", sec.expired);
        match &sec.behind {
            None => {
                let _ = writeln!(out, "behind: no");
            }
            Some(b) => {
                let _ = writeln!(
                    out,
                    "behind: since {}, the primary has serial {}",
                    time(Some(b.since)),
                    b.primary_serial.0
                );
            }
        }
        let _ = writeln!(
            out,
            "timers: refresh {}s retry {}s expire {}s",
            sec.timers.refresh.as_secs(),
            sec.timers.retry.as_secs(),
            sec.timers.expire.as_secs()
        );
        if let Some(e) = &sec.last_error {
            let _ = writeln!(out, "last error: {e}");
        }
    }
    if let Some((first, last, entries)) = s.journal {
        let _ = writeln!(
            out,
            "journal: {entries} entries, serials {} to {}",
            first.map_or("-".into(), |v| v.0.to_string()),
            last.map_or("-".into(), |v| v.0.to_string())
        );
    }
    for (target, n) in &s.notify {
        let _ = writeln!(
            out,
            "notify {target}: serial {} acknowledged {}{}",
            n.serial.map_or("-".into(), |v| v.0.to_string()),
            time(n.acknowledged),
            n.error
                .as_ref()
                .map_or(String::new(), |e| format!(" error: {e}"))
        );
    }
    out
}

/// The client side of `hadns ctl`: sends one command and prints the reply.
/// Returns whether the server said `ok`.
pub fn client(data_dir: &Path, command: &str) -> anyhow::Result<bool> {
    let (ok, first, rest) = request(data_dir, command)?;
    if ok {
        print!("{rest}");
    } else {
        eprintln!("{first}");
        print!("{rest}");
    }
    Ok(ok)
}

/// Sends one command to the node whose data directory is `data_dir`:
/// whether it said `ok`, its first line and the rest.
pub fn request(data_dir: &Path, command: &str) -> anyhow::Result<(bool, String, String)> {
    use anyhow::Context;
    use std::io::{Read, Write};
    let path = data_dir.join(SOCKET_NAME);
    let mut stream = std::os::unix::net::UnixStream::connect(&path).with_context(|| {
        format!(
            "cannot reach the node at {} (is it running with this data_dir?)",
            path.display()
        )
    })?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    stream.write_all(format!("{command}\n").as_bytes())?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    let (first, rest) = reply.split_once('\n').unwrap_or((reply.as_str(), ""));
    Ok((first == "ok", first.to_string(), rest.to_string()))
}

/// Each line of `done`, newline-terminated.
fn lines(done: &[String]) -> String {
    done.iter().map(|l| format!("{l}\n")).collect()
}
