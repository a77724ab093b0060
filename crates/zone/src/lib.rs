//! Zone snapshots: immutable, indexed, with answers precompiled to wire form.
//!
//! ```text
//!  Vec<Record> ──Zone::build──► Zone ─┬─ precompiled(qname, qtype) ──► Precompiled (bytes, pointer fix-ups)
//!                                     └─ resolve(qname, qtype, opts) ──► Resolution ──encode──► Writer
//! ```
//!
//! A snapshot never changes after it is built; a new version of a zone is a
//! new snapshot, published by the server through `arc-swap`. Nothing here
//! knows who asks (views and ACLs live in `answer`) and nothing does I/O.

mod arena;
mod build;
mod compiled;
mod encode;
mod overlay;
mod patch;
mod precompiled;
mod resolve;
mod snapshot;

pub use compiled::Precompiled;
pub use encode::Truncated;
pub use patch::PatchError;
pub use resolve::{Item, MAX_CHAIN, Owner, QueryOptions, Resolution, Transport};
pub use snapshot::{BuildOptions, NodeId, RrsetId, RrsetView, SoaFields, Zone, ZoneError};
