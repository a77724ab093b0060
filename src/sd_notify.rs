//! systemd's readiness protocol (`Type=notify`, sd_notify(3)) written by
//! hand: one datagram per state change (`READY=1`, `RELOADING=1`,
//! `STOPPING=1`) to the Unix datagram socket named by `$NOTIFY_SOCKET`. A
//! name starting with `@` is in the abstract namespace (`\0` + the rest).
//!
//! The socket is connected once, at start, before a chroot could hide a
//! filesystem path such as `/run/systemd/notify`; with no
//! `$NOTIFY_SOCKET` (not started by systemd, or `Type=simple`) every
//! notification is a no-op.

use std::os::unix::net::UnixDatagram;

/// Where state changes go: the service manager's socket, or nowhere.
pub struct Notifier {
    socket: Option<UnixDatagram>,
}

/// The state strings this node sends (sd_notify(3)).
pub mod state {
    /// Zones loaded, sockets bound: the node answers.
    pub const READY: &str = "READY=1";
    /// A reload began; `READY=1` follows when it ends.
    pub const RELOADING: &str = "RELOADING=1";
    /// The node is shutting down.
    pub const STOPPING: &str = "STOPPING=1";
}

impl Notifier {
    /// The notifier `$NOTIFY_SOCKET` asks for; a socket that cannot be
    /// reached is logged (naming it and the error) and ignored: systemd
    /// then times the start out, which says more than a refusal to start.
    pub fn from_env() -> Notifier {
        let Some(name) = std::env::var_os("NOTIFY_SOCKET") else {
            return Notifier { socket: None };
        };
        let name = name.to_string_lossy().into_owned();
        match connect(&name) {
            Ok(socket) => Notifier {
                socket: Some(socket),
            },
            Err(e) => {
                tracing::warn!(socket = %name, error = %e, "cannot reach $NOTIFY_SOCKET; systemd will not hear that the node is ready");
                Notifier { socket: None }
            }
        }
    }

    /// Sends one state (best effort: a lost notification is logged, the
    /// node goes on).
    pub fn notify(&self, state: &str) {
        if let Some(socket) = &self.socket
            && let Err(e) = socket.send(state.as_bytes())
        {
            tracing::warn!(state, error = %e, "cannot notify systemd");
        }
    }
}

/// An unbound datagram socket connected to `name`: a path, or an abstract
/// name when it starts with `@`.
fn connect(name: &str) -> std::io::Result<UnixDatagram> {
    let socket = UnixDatagram::unbound()?;
    match name.strip_prefix('@') {
        Some(abstract_name) => {
            use std::os::linux::net::SocketAddrExt;
            let address =
                std::os::unix::net::SocketAddr::from_abstract_name(abstract_name.as_bytes())?;
            socket.connect_addr(&address)?;
        }
        None => socket.connect(name)?,
    }
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_reach_a_path_socket_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let notifier = Notifier {
            socket: Some(connect(path.to_str().unwrap()).unwrap()),
        };
        notifier.notify(state::READY);
        notifier.notify(state::STOPPING);
        let mut buffer = [0u8; 64];
        let n = listener.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..n], b"READY=1");
        let n = listener.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..n], b"STOPPING=1");
    }

    #[test]
    fn an_at_sign_names_the_abstract_namespace() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("hadns-test-notify-{}", std::process::id());
        let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = UnixDatagram::bind_addr(&address).unwrap();
        let notifier = Notifier {
            socket: Some(connect(&format!("@{name}")).unwrap()),
        };
        notifier.notify(state::RELOADING);
        let mut buffer = [0u8; 64];
        let n = listener.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..n], b"RELOADING=1");
    }

    #[test]
    fn without_a_socket_nothing_is_sent_and_nothing_fails() {
        Notifier { socket: None }.notify(state::READY);
    }
}
