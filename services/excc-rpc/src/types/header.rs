//! The 280-byte block header carried (hex) by `blockconnected`,
//! `blockdisconnected` and non-verbose `getblockheader`: decoded by the chain
//! library ([`excc_chain::header`]), re-exported here for the wire types.

pub use excc_chain::header::{BlockHeader, EQUIHASH_SOLUTION_LEN, HEADER_LEN};
