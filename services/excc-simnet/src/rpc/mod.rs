//! The JSON-RPC transport shared by the simulated node and wallet.

pub mod envelope;
pub mod httpdate;
pub mod server;
pub mod service;
pub mod tls;
