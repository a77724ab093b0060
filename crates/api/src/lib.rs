//! The REST API's vocabulary, shared by the HTTP server in the binary and,
//! later, `hadns ctl` and the web UI: what goes over the wire and what it
//! means to the store. No HTTP code lives here.
//!
//! ```text
//!  request body ──► parse_json (400 malformed / 422 wrong shape, path named)
//!        │ pdns::ZonePatch, pdns::ZoneCreate, pdns::ZoneUpdate, own::RevertRequest
//!        ▼
//!  convert ── names must be absolute, RDATA parsed per record ──► store::ChangeSet / NewZone
//!        │                                          (422 naming the record on any error)
//!  store / replicator ─► convert ─► pdns::Zone, pdns::Rrset, own::HistoryEntry, own::Cluster …
//!        │
//!  ApiError ─► status + {"error": "…"}
//! ```
//!
//! - [`pdns`] holds the shapes of the PowerDNS Authoritative HTTP API
//!   (`/api/v1/servers/localhost/…`), field for field, so that external-dns,
//!   octoDNS, lego, cert-manager, Terraform and DNSControl work unchanged.
//! - [`own`] holds hadns's own endpoints: history, diffs, revert, cluster.
//! - [`health`] is `GET /health`, which `hadns check` reads.
//! - [`convert`] turns requests into store change sets and store data into
//!   responses. Record content is always printed in canonical presentation
//!   form, whatever the client sent.
//! - [`search`] is PowerDNS's `search-data` pattern (`*` and `?`).
//! - [`tsig`] reads TSIG keys from requests and shows them as PowerDNS does.
//! - [`error`] is the one error type, with the status PowerDNS uses for each
//!   case.
//!
//! Every type that crosses the wire derives [`utoipa::ToSchema`], so the
//! OpenAPI document the server publishes is generated from these
//! definitions and the handlers that use them.

pub mod convert;
pub mod error;
pub mod health;
pub mod own;
pub mod pdns;
pub mod search;
pub mod tsig;

pub use error::{ApiError, ErrorBody, parse_json};

/// The PowerDNS version hadns reports in `GET /api/v1/servers/localhost`.
///
/// Clients branch on it: octoDNS parses the first three dot-separated
/// numbers (cutting each at a `-`) and wants at least 4.2 to treat 404 as
/// "no such zone". hadns answers like PowerDNS 4.9 on the paths it
/// implements; its own version follows the `-hadns.` marker.
pub const PDNS_COMPAT_VERSION: &str = "4.9.0";

/// The server version string: [`PDNS_COMPAT_VERSION`], then `-hadns.` and
/// hadns's own version, e.g. `4.9.0-hadns.0.1.0`.
pub fn server_version() -> String {
    format!("{PDNS_COMPAT_VERSION}-hadns.{}", env!("CARGO_PKG_VERSION"))
}
