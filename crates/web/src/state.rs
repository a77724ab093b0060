//! What every handler of the API and the UI can reach, and the settings the
//! binary gives the HTTP server.

use std::sync::Arc;

use axum::extract::FromRef;
use manage::Manager;

use crate::health::HealthSource;

/// What the HTTP server shows about the node.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// The node's name.
    pub node_name: String,
    /// When the node started (`uptime` in `…/statistics`).
    pub started: std::time::Instant,
    /// The effective settings `…/config` shows, without secrets.
    pub effective_config: Vec<(String, String)>,
    /// Web origins whose pages may call the API (CORS); empty: none.
    pub cors_origins: Vec<String>,
    /// The metrics `/metrics` serves and `…/statistics` reads.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The node's counters, for `…/statistics`.
    pub node_metrics: node::metrics::NodeMetrics,
    /// The node's control commands (`POST /api/v1/control`), whose stop
    /// request also stops this server gracefully; `None`: no node.
    pub control: Option<Arc<node::Controller>>,
    /// The other hadns nodes (`[[peer]]`) the cluster page may ask to act.
    pub peers: Peers,
    /// Requests a second each API token may make (`[api]
    /// requests_per_second`; bursts of twice that).
    pub api_requests_per_second: u32,
}

/// The configuration's `[[peer]]`s, shared with the reload that replaces
/// them.
pub type Peers = Arc<std::sync::RwLock<Vec<config::PeerConfig>>>;

/// The largest request body accepted: a zone of some tens of thousands of
/// records in one `POST` or `PUT`.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    /// The writer, the store and the replicator.
    pub manager: Arc<Manager>,
    /// Node facts.
    pub settings: Arc<HttpSettings>,
    /// The OpenAPI document, serialised once.
    pub openapi: Arc<String>,
    /// Web UI sessions and failed-login counts.
    pub sessions: Arc<crate::ui::session::Sessions>,
    /// What `GET /health` reports on.
    pub health: Arc<HealthSource>,
    /// The node's control commands, if there is a node.
    pub control: Option<Arc<node::Controller>>,
    /// Each API token's request allowance.
    pub token_rates: Arc<crate::api::rate::TokenRates>,
}

impl FromRef<AppState> for Arc<crate::metrics::Metrics> {
    fn from_ref(state: &AppState) -> Arc<crate::metrics::Metrics> {
        Arc::clone(&state.settings.metrics)
    }
}

impl FromRef<AppState> for Arc<HealthSource> {
    fn from_ref(state: &AppState) -> Arc<HealthSource> {
        Arc::clone(&state.health)
    }
}

/// Unix time now.
pub(crate) fn now() -> u64 {
    node::clock::unix_now()
}
