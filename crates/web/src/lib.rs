//! The HTTP side of a node: the PowerDNS-compatible REST API (`api`:
//! handlers, extractors, errors, OpenAPI) and the web UI (`ui`: sessions,
//! pages, askama templates in `templates/ui/`, static files in
//! `static/ui/`), on one port, with connection limits. It knows the
//! primary's writer ([`manage::Manager`]) and nothing of the node's
//! sockets: the binary starts [`serve`] on a listener it bound.
//!
//! | module | concern |
//! |---|---|
//! | `router` | every route, CORS, the server and its limits |
//! | `state` | what handlers reach ([`HttpSettings`], the manager, sessions) |
//! | `api` | the REST API's handlers (see its own map) |
//! | `health` | `GET /health`, on the API's port and alone on `[health] listen` |
//! | `ui` | the web UI's pages |
//! | `client` | a small blocking HTTP/1.1 client: `hadns check`, `hadns ctl --server`, and the cluster page's actions on peer nodes |

mod access;
mod alone;
mod api;
pub mod client;
mod health;
mod metrics;
mod router;
mod state;
mod ui;

pub use health::{HealthSource, health_router, serve_health};
pub use metrics::{Metrics, metrics_router, serve_metrics};
pub use router::{router, serve};
pub use state::{HttpSettings, MAX_BODY, Peers};

/// The path of every web UI route as the router declares it
/// (`/ui/zones/{zone}/records`), in declaration order: what a test that
/// must cover every page compares its table with.
pub fn ui_route_paths() -> Vec<&'static str> {
    ui::routes::paths()
}
