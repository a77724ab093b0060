//! The HTTP side of a node: the REST API (PowerDNS-compatible) and, later,
//! the web UI.

use std::sync::Arc;

use crate::manage::Manager;

/// What the HTTP server shows about the node.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// The node's name.
    pub node_name: String,
}

/// Serves HTTP on `listener` until the runtime stops.
pub async fn serve(
    listener: tokio::net::TcpListener,
    manager: Arc<Manager>,
    settings: HttpSettings,
) {
    let _ = (listener, manager, settings);
    std::future::pending::<()>().await;
}
