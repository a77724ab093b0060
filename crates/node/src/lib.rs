//! A running hadns node: the part of the binary that answers DNS. It knows
//! nothing of HTTP or SQL; the binary hands it a [`Plan`], and what the
//! primary's writer and the web server need comes in through the narrow
//! [`hooks`] it is given.
//!
//! ```text
//!            ┌──────── Arc<ArcSwap<Served>> per lane (view) ──┐
//!  load ───► │ catalog + settings + keys + zone policies       │ ◄── Replicator::publish
//!            └──────┬──────────────────────┬───────────────────┘
//!          UDP worker threads        tokio: TCP connections ──► AXFR/IXFR out (Replicator)
//!      (recvmmsg → respond → sendmmsg)   UPDATE tickets ──► hooks::UpdateSink (the writer)
//!                                        control (hadns ctl): socket here, HTTP in `web` ──► Controller
//!                                          ──► hooks::ControlHooks (sync)
//!                                        signals: SIGHUP reload; SIGTERM, SIGINT, ctl stop: graceful stop
//! ```
//!
//! | module | concern |
//! |---|---|
//! | `runtime` | [`load`] the lanes from a [`Plan`], then [`serve`] them: sockets, threads, runtime, signals |
//! | `lane` | one served state and its replicator; loading primary zone files |
//! | `reload` | reconfiguration without restart: the new definition diffed with the running one |
//! | `catalog_consumer` | consumed catalog zones (RFC 9432): members added and removed as the catalog changes |
//! | `zones` | where zones come from: files, the built-in zones, the example |
//! | `udp` | UDP workers (recvmmsg/sendmmsg, IP_PKTINFO replies) |
//! | `tcp` | DNS over TCP (RFC 7766) |
//! | `control` | `hadns ctl`'s commands: one dispatch, the Unix socket, the JSON and the text |
//! | `shutdown` | the graceful stop: the request, and the work under way it waits for |
//! | `hooks` | what the node asks of the writer it is given |
//! | `seclog` | the rate-limited security log |
//! | `memory`, `clock` | returning freed memory; the Unix time |

pub mod catalog_consumer;
pub mod clock;
pub mod control;
pub mod hooks;
pub mod lane;
pub mod memory;
pub mod metrics;
pub mod querylog;
pub mod reload;
pub mod runtime;
pub mod seclog;
pub mod shutdown;
pub mod stats;
pub mod tcp;
pub mod udp;
pub mod zones;

pub use catalog_consumer::{CatalogConsumer, MemberTemplate};
pub use control::Controller;
pub use lane::{Lane, Replicated};
pub use reload::{ConfigSource, Definition, LaneDefinition, Reloader};
pub use runtime::{Lifecycle, Loaded, Plan, Services, ViewPlan, load, serve};
