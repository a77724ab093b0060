//! Replication: journals of zone changes, NOTIFY, SOA refresh, AXFR/IXFR in
//! and out.

pub mod journal;
