//! stakepoold: one per voting node, beside exccd and exccwallet.
//!
//! It votes every winning pool ticket whose fee was paid (or that an admin added)
//! with its owner's vote bits, keeps the ticket book current from exccd's
//! notifications, and performs the wallet operations the web service needs over
//! gRPC with mutual TLS. It never touches the pool database.

pub mod config;
pub mod prefs;
pub mod store;
pub mod tickets;
