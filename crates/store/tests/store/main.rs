//! The store against real SQLite files in temporary directories. One test
//! binary; each module covers one part of the API.

mod access;
mod auth;
mod counts;
mod durability;
mod fixture;
mod history;
mod import;
mod operations;
mod options;
mod paging;
mod serials;
mod validation;
mod views;
