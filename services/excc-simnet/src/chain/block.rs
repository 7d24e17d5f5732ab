//! A connected block and what it changed in the ticket pool.

use excc_chain::ChainHash;

use super::header::Header;

#[derive(Clone, Debug)]
pub struct Block {
    pub header: Header,
    pub hash: ChainHash,
    /// Regular-tree transaction ids (coinbase first).
    pub regular: Vec<ChainHash>,
    /// Stake-tree transaction ids (votes, tickets, revocations).
    pub stake: Vec<ChainHash>,
    /// Tickets eligible to vote on this block (empty below StakeValidationHeight − 1).
    pub winners: Vec<ChainHash>,
    /// Votes on the parent included here: (ticket, vote txid, vote bits, vote version).
    pub votes: Vec<(ChainHash, ChainHash, u16, u32)>,
    /// Tickets mined in this block.
    pub new_tickets: Vec<ChainHash>,
    /// Tickets that entered the live pool with this block.
    pub matured: Vec<ChainHash>,
    /// Tickets that became missed or expired with this block.
    pub missed: Vec<ChainHash>,
    /// Tickets revoked in this block.
    pub revoked: Vec<ChainHash>,
}

impl Block {
    pub fn height(&self) -> u32 {
        self.header.height
    }

    /// Serialized size estimate reported in the header and by `getblock`.
    pub fn size(&self) -> u32 {
        self.header.size
    }
}
