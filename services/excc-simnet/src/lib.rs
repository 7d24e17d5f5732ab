//! excc-simnet: a simulated exccd node and exccwallet that speak the real
//! JSON-RPC wire format. See README.md for what is simulated and how.

pub mod chain;
pub mod cli;
pub mod node;
pub mod rpc;
pub mod wallet;
