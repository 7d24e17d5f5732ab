//! Ticket records and the live ticket pool (O(1) insert/remove/select-by-index).

use std::collections::HashMap;

use excc_chain::{Address, ChainHash};

/// Where a ticket stands in the node's view of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketStatus {
    /// Mined, not yet `TicketMaturity` blocks old.
    Immature,
    /// In the live pool; may be drawn.
    Live,
    /// Spent by a vote.
    Voted,
    /// Drawn but not voted (revoked automatically in the next block).
    Missed,
    /// Not drawn within `TicketExpiry` blocks (revoked automatically in the next block).
    Expired,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Immature => "immature",
            TicketStatus::Live => "live",
            TicketStatus::Voted => "voted",
            TicketStatus::Missed => "missed",
            TicketStatus::Expired => "expired",
        }
    }
}

/// One mined ticket.
#[derive(Clone, Debug)]
pub struct TicketRecord {
    pub hash: ChainHash,
    pub voting_address: Address,
    pub price: i64,
    pub height: u32,
    /// Index in its block's stake tree.
    pub block_index: u32,
    pub status: TicketStatus,
    /// The vote (voted) or revocation (missed/expired, once revoked).
    pub spent_by: Option<ChainHash>,
    pub spent_height: u32,
    /// Height at which it was marked missed/expired (0 if not).
    pub missed_height: u32,
}

/// The live tickets: a vector for selection by index and a map for O(1) removal.
#[derive(Default, Clone, Debug)]
pub struct LivePool {
    order: Vec<ChainHash>,
    index: HashMap<ChainHash, usize>,
}

impl LivePool {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn contains(&self, h: &ChainHash) -> bool {
        self.index.contains_key(h)
    }

    pub fn insert(&mut self, h: ChainHash) {
        if self.index.contains_key(&h) {
            return;
        }
        self.index.insert(h, self.order.len());
        self.order.push(h);
    }

    pub fn remove(&mut self, h: &ChainHash) -> bool {
        let Some(i) = self.index.remove(h) else {
            return false;
        };
        self.order.swap_remove(i);
        if let Some(moved) = self.order.get(i) {
            self.index.insert(*moved, i);
        }
        true
    }

    pub fn get(&self, i: usize) -> Option<&ChainHash> {
        self.order.get(i)
    }

    pub fn iter(&self) -> impl Iterator<Item = &ChainHash> {
        self.order.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_keeps_index_consistent() {
        let mut p = LivePool::default();
        let hs: Vec<ChainHash> = (0..10u8).map(|i| ChainHash([i; 32])).collect();
        for h in &hs {
            p.insert(*h);
        }
        assert!(p.remove(&hs[2]));
        assert!(!p.remove(&hs[2]));
        assert!(p.remove(&hs[9]));
        assert_eq!(p.len(), 8);
        for (i, h) in p.iter().enumerate() {
            assert_eq!(p.index[h], i);
        }
        assert!(p.contains(&hs[5]) && !p.contains(&hs[2]));
    }
}
