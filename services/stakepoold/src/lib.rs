//! stakepoold: one per voting node, beside exccd and exccwallet.
//!
//! It votes every winning pool ticket whose fee was paid (or that an admin added)
//! with its owner's vote bits, keeps the ticket book current from exccd's
//! notifications, and performs the wallet operations the web service needs over
//! gRPC with mutual TLS. It never touches the pool database.
//!
//! Map: `config` (TOML, validation) → `daemon` (shared state, RPC clients,
//! ticket classification) → `watcher` (notifications, health polling) →
//! `voter` (winning tickets) ; `grpc` + `tls` + `server` (API), `http` +
//! `health` + `metrics` (operations), `store` (durable state), `journal` (every vote cast or given up, for
//! `poolctl audit votes`), `tickets`,
//! `prefs`, `fees` (pure logic).

pub mod api_version;
pub mod config;
pub mod daemon;
pub mod fees;
pub mod grpc;
pub mod health;
pub mod http;
pub mod journal;
pub mod metrics;
pub mod prefs;
pub mod server;
pub mod store;
pub mod tickets;
pub mod tls;
pub mod voter;
pub mod watcher;
