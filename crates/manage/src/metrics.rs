//! The writer's own metric: how long a store write takes.

/// How long store writes take, commit and publication together (the
/// API's, the web UI's and RFC 2136 updates'): one histogram for the
/// process, registered by the metrics endpoint.
pub fn write_latency() -> &'static prometheus_client::metrics::histogram::Histogram {
    static LATENCY: std::sync::OnceLock<prometheus_client::metrics::histogram::Histogram> =
        std::sync::OnceLock::new();
    LATENCY.get_or_init(|| {
        prometheus_client::metrics::histogram::Histogram::new([
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
        ])
    })
}
