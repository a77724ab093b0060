//! The REST API (PowerDNS-compatible zones and
//! RRsets, plus hadns's own history, revert and cluster endpoints) and the
//! web UI (`crate::ui`, under `/ui/`).
//!
//! ```text
//!  TCP (tokio) ─► axum router ─► extractors (extract.rs): X-API-Key → token (401/403),
//!                     │          path/query/body → typed request (400/413/422, JSON errors)
//!                     ▼
//!  cors.rs: CORS preflights answered, allowed origins marked (before routing)
//!  handlers: server.rs (discovery, servers, config, statistics, search-data, OpenAPI)
//!            zones.rs (PowerDNS zones; a zone's RRsets and its export streamed, stream.rs) · tsigkeys.rs (TSIG keys)
//!            history.rs (history, diff, revert) · settings.rs (a store zone's settings) · cluster.rs (replication state, SOA probes)
//!            control.rs (hadns ctl's commands, through the node's Controller)
//!            audit.rs (the audit log; audit events of API calls)
//!                     │ reads: Store on blocking threads, Replicator status
//!                     ▼ writes: api::convert → Manager (store commit, snapshot, journal, NOTIFY)
//!  response: JSON, or {"error": "…"} with the status PowerDNS uses (error.rs)
//! ```
//!
//! A write is answered only after the store has committed it and the new
//! snapshot is served, so a client that reads DNS right after a 2xx sees
//! the change. Every route's OpenAPI description comes from its handler
//! (`#[utoipa::path]`), collected as the route is added; the document is
//! served at `/api/openapi.json`. See `docs/api.md`.

pub(crate) mod audit;
pub(crate) mod cluster;
pub(crate) mod control;
pub(crate) mod cors;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod history;
pub(crate) mod limits;
pub(crate) mod rate;
pub(crate) mod server;
pub(crate) mod settings;
pub(crate) mod stream;
pub(crate) mod tsigkeys;
pub(crate) mod views;
pub(crate) mod zone_actions;
pub(crate) mod zones;
