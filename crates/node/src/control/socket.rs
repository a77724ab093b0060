//! The control socket: `control.sock` in the data directory, readable
//! and writable by the server's own user only (the file mode is the
//! authentication, as with BIND's rndc over a local socket).
//!
//! Protocol: the client sends one line, `[json] COMMAND [ZONE [VIEW]]`;
//! the server answers with `ok` or `error: …` on the first line, details
//! after, and closes. With the `json` prefix the details are the
//! command's JSON ([`super::report`]; a failure is `{"ok": false,
//! "error": …}`), without it the text people read ([`super::render`]).

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use super::{Command, Controller, render, report};

/// File name of the control socket inside the data directory.
pub const SOCKET_NAME: &str = "control.sock";

/// Binds the control socket and serves it in the background.
pub fn listen(data_dir: &Path, controller: Arc<Controller>) -> io::Result<PathBuf> {
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join(SOCKET_NAME);
    // A socket left by a previous run that died; nothing listens on it.
    if path.exists() && std::os::unix::net::UnixStream::connect(&path).is_err() {
        std::fs::remove_file(&path)?;
    }
    // Created private, not chmod'ed after: between a bind and a chmod,
    // anyone could connect and stop the node. The mode bits of a socket
    // come from the umask, so it is narrowed around the bind (the node
    // runs with 077 already; this keeps the guarantee for any caller).
    let listener = {
        let _umask = PrivateUmask::set();
        UnixListener::bind(&path)?
    };
    let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(io::Error::other(format!(
            "the control socket {} was created with mode {mode:o}, open to other users",
            path.display()
        )));
    }
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            // Held until the reply is written, so that `stop` answers
            // before the node exits.
            let hold = controller.shutdown().hold();
            let controller = Arc::clone(&controller);
            tokio::spawn(async move {
                if let Err(e) = session(stream, &controller).await {
                    tracing::debug!(error = %e, "control session ended");
                }
                drop(hold);
            });
        }
    });
    Ok(path)
}

async fn session(stream: UnixStream, controller: &Controller) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(read.take(1024));
    tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no command"))??;
    let reply = execute(line.trim(), controller).await;
    // A client that stops reading must not hold its session (and the
    // node's stop, which waits for sessions) for ever.
    let written = async {
        write.write_all(reply.as_bytes()).await?;
        write.shutdown().await
    };
    tokio::time::timeout(Duration::from_secs(30), written)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the client read no reply"))?
}

/// Runs one command line: the reply, status line first.
async fn execute(line: &str, controller: &Controller) -> String {
    let (json, rest) = match line.strip_prefix("json") {
        Some(rest) if rest.is_empty() || rest.starts_with(' ') => (true, rest.trim()),
        _ => (false, line),
    };
    let mut words = rest.split_whitespace();
    let name = words.next().unwrap_or("");
    let (zone, view) = (words.next(), words.next());
    let result = match Command::parse(name, zone, view) {
        Ok(command) => controller.run(command).await,
        Err(e) => Err(e),
    };
    match (result, json) {
        (Ok(value), true) => format!("ok\n{value}\n"),
        (Ok(value), false) => format!("ok\n{}", render::text(name, &value)),
        (Err(e), json) => {
            let error = e.to_string();
            // The status line is one line; the whole error follows.
            let first = error.lines().next().unwrap_or_default();
            if json {
                format!("error: {first}\n{}\n", report::error(&error))
            } else {
                let rest: Vec<&str> = error.lines().skip(1).collect();
                if rest.is_empty() {
                    format!("error: {first}\n")
                } else {
                    format!("error: {first}\n{}\n", rest.join("\n"))
                }
            }
        }
    }
}

/// Why the socket could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// Nothing listens at the path (or the path is not reachable).
    #[error("cannot reach the node at {} (is it running with this data_dir?): {source}", path.display())]
    Unreachable {
        /// The socket's path.
        path: PathBuf,
        /// What connect said.
        source: io::Error,
    },
    /// The exchange failed after connecting.
    #[error("control socket {}: {source}", path.display())]
    Exchange {
        /// The socket's path.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
}

/// Sends one command line to the node whose data directory is
/// `data_dir`: whether it said `ok`, its first line and the rest.
pub fn request(data_dir: &Path, command: &str) -> Result<(bool, String, String), SocketError> {
    use std::io::{Read, Write};
    let path = data_dir.join(SOCKET_NAME);
    let mut stream = std::os::unix::net::UnixStream::connect(&path).map_err(|source| {
        SocketError::Unreachable {
            path: path.clone(),
            source,
        }
    })?;
    let exchange = |source| SocketError::Exchange {
        path: path.clone(),
        source,
    };
    // A reload of many big zone files can take a while.
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(exchange)?;
    stream
        .write_all(format!("{command}\n").as_bytes())
        .map_err(exchange)?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).map_err(exchange)?;
    let (first, rest) = reply.split_once('\n').unwrap_or((reply.as_str(), ""));
    Ok((first == "ok", first.to_string(), rest.to_string()))
}

/// The process umask narrowed to 077 until dropped, then put back.
struct PrivateUmask(libc::mode_t);

#[allow(unsafe_code)]
impl PrivateUmask {
    fn set() -> PrivateUmask {
        // SAFETY: umask takes a plain integer and cannot fail.
        PrivateUmask(unsafe { libc::umask(0o077) })
    }
}

#[allow(unsafe_code)]
impl Drop for PrivateUmask {
    fn drop(&mut self) {
        // SAFETY: as above.
        unsafe {
            libc::umask(self.0);
        }
    }
}
