//! The pure chain model of the simulator: no I/O, no clocks, no randomness
//! beyond the configured lottery seed.

pub mod block;
pub mod error;
pub mod header;
pub mod lottery;
pub mod mempool;
pub mod reorg;
pub mod sigcheck;
pub mod stake_tx;
pub mod stakediff;
pub mod state;
pub mod tickets;
pub mod wire;

#[cfg(test)]
mod tests;

pub use block::Block;
pub use error::{MineError, TxReject};
pub use state::{Chain, ChainConfig, TxLocation, TxRecord};
pub use tickets::{TicketRecord, TicketStatus};
