//! Disconnecting the tip (for the one-block reorg of fault injection): every
//! change the block made to tickets, transactions and the mempool is undone,
//! and its votes, tickets and regular transactions go back to the mempool.

use excc_chain::ChainHash;

use super::block::Block;
use super::stake_tx::parse_vote;
use super::state::Chain;
use super::tickets::TicketStatus;
use super::wire::WireTx;

impl Chain {
    /// Removes the tip block (never the genesis block) and returns it.
    pub fn disconnect_tip(&mut self) -> Option<Block> {
        if self.blocks.len() <= 1 {
            return None;
        }
        let block = self.blocks.pop().expect("more than genesis");
        let height = block.height();
        self.by_hash.remove(&block.hash);
        self.mempool.votes.clear();
        self.mempool.vote_by_ticket.clear();

        // Tickets mined here go back to the mempool.
        for t in &block.new_tickets {
            if let Some(rec) = self.tickets.remove(t) {
                self.immature -= 1;
                if let Some(list) = self.by_address.get_mut(&rec.voting_address.hash160()) {
                    list.retain(|x| x != t);
                }
            }
            if let Some(r) = self.txs.get_mut(t) {
                r.location = None;
            }
        }
        let mut back: Vec<ChainHash> = block.new_tickets.clone();
        back.extend(std::mem::take(&mut self.mempool.tickets));
        self.mempool.tickets = back;

        // Matured tickets are immature again.
        for t in &block.matured {
            self.live.remove(t);
            if let Some(rec) = self.tickets.get_mut(t) {
                rec.status = TicketStatus::Immature;
                self.immature += 1;
            }
        }
        // Missed or expired here: live again.
        for t in &block.missed {
            if let Some(rec) = self.tickets.get_mut(t) {
                rec.status = TicketStatus::Live;
                rec.missed_height = 0;
                self.live.insert(*t);
            }
        }
        // Revocations here are undone (the tickets stay missed).
        for t in &block.revoked {
            if let Some(rec) = self.tickets.get_mut(t) {
                if let Some(rev) = rec.spent_by.take() {
                    self.txs.remove(&rev);
                }
                rec.spent_height = 0;
            }
        }
        // Votes: tickets live again, votes back to the mempool.
        for (t, vote, _, _) in &block.votes {
            if let Some(rec) = self.tickets.get_mut(t) {
                rec.status = TicketStatus::Live;
                rec.spent_by = None;
                rec.spent_height = 0;
                self.live.insert(*t);
            }
            if let Some(r) = self.txs.get_mut(vote) {
                r.location = None;
                if let Some(info) = WireTx::parse(&r.bytes).ok().as_ref().and_then(parse_vote) {
                    self.mempool.vote_by_ticket.insert(info.ticket, *vote);
                    self.mempool.votes.insert(*vote, info);
                }
            }
        }
        // Regular transactions: the coinbase disappears, the rest go back.
        let mut regular = block.regular.clone();
        if !regular.is_empty() {
            let cb = regular.remove(0);
            self.txs.remove(&cb);
        }
        for t in &regular {
            if let Some(r) = self.txs.get_mut(t) {
                r.location = None;
            }
        }
        regular.extend(std::mem::take(&mut self.mempool.regular));
        self.mempool.regular = regular;
        self.next_sbits = block.header.sbits;
        debug_assert_eq!(self.height() + 1, height);
        Some(block)
    }
}
