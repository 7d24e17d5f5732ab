//! Unconfirmed transactions waiting for the next block.

use std::collections::HashMap;

use excc_chain::ChainHash;

use super::stake_tx::VoteInfo;

#[derive(Default, Debug, Clone)]
pub struct Mempool {
    /// Votes by txid.
    pub votes: HashMap<ChainHash, VoteInfo>,
    /// Vote txid by the ticket it spends.
    pub vote_by_ticket: HashMap<ChainHash, ChainHash>,
    /// Tickets in arrival order.
    pub tickets: Vec<ChainHash>,
    /// Other transactions in arrival order.
    pub regular: Vec<ChainHash>,
}

impl Mempool {
    pub fn contains(&self, txid: &ChainHash) -> bool {
        self.votes.contains_key(txid) || self.tickets.contains(txid) || self.regular.contains(txid)
    }

    /// Votes in the mempool on `block`.
    pub fn votes_on(&self, block: &ChainHash) -> Vec<(ChainHash, VoteInfo)> {
        let mut v: Vec<(ChainHash, VoteInfo)> = self
            .votes
            .iter()
            .filter(|(_, i)| i.block_hash == *block)
            .map(|(t, i)| (*t, i.clone()))
            .collect();
        v.sort_by_key(|(t, _)| t.0);
        v
    }

    pub fn len(&self) -> usize {
        self.votes.len() + self.tickets.len() + self.regular.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
