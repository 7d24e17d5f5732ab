//! Library side of `poolctl`: the host layer ([`host`]: what can be done to a machine, over
//! SSH with pinned host keys) and the local lab ([`lab`]: real test hosts as systemd-nspawn
//! containers). The `poolctl` binary (`main.rs`, `cli.rs`, `command/`) is a thin CLI over it.

pub mod host;
pub mod lab;
