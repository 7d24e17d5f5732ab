//! Library side of `poolctl`: `pool.toml` ([`config`]), the pool CA ([`ca`]), desired state
//! and facts of each voting host and their differences ([`plan`]), executing those
//! differences ([`apply`]), a one-line state per host ([`status`]), the vote audit
//! ([`audit`]: chain, vote journals and owners' preferences checked against each other), the host layer ([`host`]:
//! what can be done to a machine, over SSH with pinned host keys), the local lab ([`lab`]:
//! real test hosts as systemd-nspawn containers) and the legacy pool's configs turned into a
//! pool.toml ([`import`]). The `poolctl` binary (`main.rs`, `cli.rs`,
//! `command/`) is a thin CLI over it.

pub mod apply;
pub mod audit;
pub mod backup;
pub mod ca;
pub mod config;
pub mod health;
pub mod host;
pub mod import;
pub mod lab;
pub mod nixos;
pub mod plan;
pub mod progress;
pub mod restore;
pub mod runtime;
pub mod status;
pub mod upgrade;
