//! Async JSON-RPC client for exccd (the node) and exccwallet (the wallet), and
//! the wire types both the client and the simulator use.
//!
//! * [`types`]: the JSON-RPC 1.0 envelope and a typed result for every method
//!   the pool uses, reproducing exccd/exccwallet 2.7.6 JSON exactly.
//! * [`NodeClient`], [`WalletClient`]: one typed async method per RPC, over
//!   HTTPS POST or a websocket; [`RpcClient::call_raw`] for anything else.
//! * [`WsSession`]: a reconnecting websocket that subscribes to exccd
//!   notifications and yields typed [`Event`]s.
//! * [`tls`]: the server's own `rpc.cert` pinned by exact DER match.
//! * [`Error`]: typed errors whose messages tell the operator what to do.
//!
//! Not jsonrpsee: exccd speaks JSON-RPC **1.0** and pushes notifications with
//! `id: null` (shared/docs/anchors-and-crates.md, F7), so this is a small
//! hand-written client on hyper (HTTP/1.1) and tokio-tungstenite (websocket).

#![warn(missing_docs)]

pub mod client;
pub mod config;
pub mod error;
pub mod node;
mod params;
pub mod tls;
pub mod transport;
pub mod types;
pub mod wallet;

pub use client::RpcClient;
pub use config::{Backoff, ClientConfig, DEFAULT_TIMEOUT, WsAuth};
pub use error::Error;
pub use node::NodeClient;
pub use tls::PinnedCert;
pub use transport::ws::session::{Event, Subscription, WsSession};
pub use wallet::{GapPolicy, PurchaseTicket, WalletClient};
