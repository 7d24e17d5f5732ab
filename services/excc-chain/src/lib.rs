//! EXCC chain primitives for the stake pool. No I/O, no async, no global state.
//!
//! EXCC is a Decred fork that hashes with SHA-256 where Decred uses BLAKE-256
//! (tx/block ids, base58check checksums, Hash160, BIP32). Everything here
//! follows exccd 2.7.6 / exccwallet 2.7.6; see `../shared/docs/excc-chain-and-rpc.md`.

pub mod address;
pub mod amount;
pub mod base58;
pub mod error;
pub mod hash;
pub mod hd;
pub mod header;
pub mod network;
pub mod poolfee;
pub mod pubkey;
pub mod script;
pub mod subsidy;
pub mod ticket;
pub mod tx;
pub mod vote;

pub use address::{Address, AddressKind};
pub use amount::Amount;
pub use error::ChainError;
pub use hash::ChainHash;
pub use hd::ExtendedKey;
pub use header::BlockHeader;
pub use network::{Network, Params};
pub use poolfee::{PoolFeePercent, stake_pool_ticket_fee};
pub use pubkey::PubKey;
pub use script::Multisig;
pub use ticket::{Commitment, FeeCheck, Ticket};
pub use tx::Transaction;
pub use vote::Vote;
