//! Async JSON-RPC client for exccd (the node) and exccwallet (the wallet), and
//! the wire types both the client and the simulator use.
//!
//! * [`types`]: the JSON-RPC 1.0 envelope and a typed result for every method
//!   the pool uses, reproducing exccd/exccwallet 2.7.6 JSON exactly.
//!
//! Not jsonrpsee: exccd speaks JSON-RPC **1.0** and pushes notifications with
//! `id: null` (shared/docs/anchors-and-crates.md, F7), so this is a small
//! hand-written client.

pub mod types;
