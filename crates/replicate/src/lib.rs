//! Replication: journals of zone changes, NOTIFY, SOA refresh, AXFR/IXFR in
//! and out.

pub mod catalog;
mod crc32;
pub mod diff;
pub mod driver;
pub mod durable;
pub mod journal;
pub mod metrics;
pub mod notify;
pub mod persist;
pub mod record_encoding;
pub mod secondary;
pub mod xfr_in;
pub mod xfr_out;

pub use journal::Diff;

#[cfg(test)]
mod transfer_tests;
