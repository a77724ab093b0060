//! `GET /metrics`: the node's counters in the Prometheus text format.
//!
//! ```text
//!  API port (router.rs) ─┐
//!                        ├─► Metrics::render ─► registry: node::metrics::NodeMetrics (queries, zones,
//!  [metrics] listen ─────┘   (serve_metrics)             transfers, NOTIFY, TCP, query log),
//!                                                        the store's write latency, API requests
//! ```
//!
//! No key, like `/health`: a Prometheus scraper reads it as it is. The
//! numbers carry zone names (as `/health` does), so keep the listener on a
//! management network.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The labels of `hadns_api_requests_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

/// Every metric the HTTP side serves.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Histogram,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The registry over the node's counters and the store's write
    /// latency, with the API's own request counters.
    pub fn new(node: node::metrics::NodeMetrics) -> Arc<Metrics> {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(node));
        registry.register(
            "hadns_store_write_duration_seconds",
            "Time to commit one change to the store (SQLite, synchronous=FULL) and publish it.",
            manage::write_latency().clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "hadns_api_requests",
            "HTTP requests to the API and web UI, by route template, method and status.",
            requests.clone(),
        );
        let request_seconds = Histogram::new([0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10.0]);
        registry.register(
            "hadns_api_request_duration_seconds",
            "Time to answer an API or web UI request.",
            request_seconds.clone(),
        );
        Arc::new(Metrics {
            registry,
            requests,
            request_seconds,
        })
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
        {
            tracing::error!(error = %e, "metrics did not encode");
        }
        out
    }

    /// Counts one API request.
    fn count(&self, route: &str, method: &str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                method: method.to_string(),
                status: status.to_string(),
            })
            .inc();
        self.request_seconds.observe(took.as_secs_f64());
    }
}

/// The Prometheus text exposition of every metric. No key needed.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)),
)]
pub(crate) async fn metrics(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        )],
        metrics.render(),
    )
        .into_response()
}

/// Middleware: counts each request by its route template (`/api/v1/servers/localhost/zones/{zone}`,
/// never the raw path, so the label set stays small), method and status.
pub(crate) async fn count_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().as_str().to_string();
    let response = next.run(request).await;
    metrics.count(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// A router with `GET /metrics` alone (every other path is 404).
pub fn metrics_router(metrics: Arc<Metrics>) -> Router {
    crate::alone::one_route("/metrics", get(self::metrics)).with_state(metrics)
}

/// Serves `GET /metrics` alone on `listener` (`[metrics] listen`) until
/// the runtime stops, with the API's connection cap and idle timeout.
pub async fn serve_metrics(listener: tokio::net::TcpListener, metrics: Arc<Metrics>) {
    crate::alone::serve_alone(listener, metrics_router(metrics), "metrics").await;
}
