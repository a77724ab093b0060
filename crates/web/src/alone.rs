//! The listeners that serve one route alone (`[health] listen`,
//! `[metrics] listen`): the route with the API's 404 and 405 answers for
//! everything else, served with the API's connection cap and idle timeout.

use axum::Router;
use axum::routing::MethodRouter;

use crate::api::{error, limits};

/// A router with `path` alone; every other path is 404, another method 405.
pub fn one_route<S: Clone + Send + Sync + 'static>(
    path: &str,
    route: MethodRouter<S>,
) -> Router<S> {
    Router::new()
        .route(path, route)
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
}

/// Serves `router` on `listener` until the runtime stops; `what` names
/// the listener in the error log.
pub async fn serve_alone(listener: tokio::net::TcpListener, router: Router, what: &str) {
    let listener = limits::CappedListener::new(listener);
    if let Err(e) = axum::serve(listener, router).await {
        tracing::error!(error = %e, "the {what} listener stopped");
    }
}
