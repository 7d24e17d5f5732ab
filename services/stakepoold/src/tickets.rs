//! Which pool tickets this node votes: the ticket book.
//!
//! Every live pool ticket is recorded with its fee verdict; the admin-added set is
//! kept apart. A ticket is voted when it is live on chain **and** (its fee was paid
//! **or** an admin added it). This fixes the legacy stakepoold (legacy document §14):
//! a low-fee ticket is never voted unless an admin added it (B-4), and a ticket
//! removed from the admin set stops being voted (B-6).

use std::collections::{HashMap, HashSet};

use excc_chain::{Address, Amount, ChainHash};

/// Why a ticket's fee was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IgnoreReason {
    /// The pool fee commitment was below the required fee.
    FeeTooLow { required: Amount, paid: Amount },
    /// The pool fee went to an address that is not one of the pool's fee addresses.
    NotPoolFeeAddress,
}

/// The fee verdict of one ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    FeePaid,
    Ignored(IgnoreReason),
}

/// A live pool ticket: the user's multisig address and the fee verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolTicket {
    pub address: Address,
    pub verdict: Verdict,
}

/// Live pool tickets with their verdicts, plus the admin-added set.
#[derive(Clone, Debug, Default)]
pub struct TicketBook {
    pool: HashMap<ChainHash, PoolTicket>,
    added: HashSet<ChainHash>,
}

/// Counts by state, for health and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TicketCounts {
    /// Tickets that will be voted.
    pub live: usize,
    /// Low-fee tickets that will not be voted.
    pub ignored: usize,
    /// Admin-added tickets (voted when live).
    pub added: usize,
}

impl TicketBook {
    /// Records a live pool ticket with its fee verdict (replacing an earlier record).
    pub fn classify(&mut self, hash: ChainHash, address: Address, verdict: Verdict) {
        self.pool.insert(hash, PoolTicket { address, verdict });
    }

    /// Replaces the admin-added set.
    pub fn set_added(&mut self, tickets: impl IntoIterator<Item = ChainHash>) {
        self.added = tickets.into_iter().collect();
    }

    /// Removes tickets that were voted, missed, expired or revoked.
    pub fn remove_spent<'a>(&mut self, hashes: impl IntoIterator<Item = &'a ChainHash>) {
        for h in hashes {
            self.pool.remove(h);
        }
    }

    /// Forgets the chain view before a full re-classification; the admin set stays.
    pub fn clear_chain_view(&mut self) {
        self.pool.clear();
    }

    /// The multisig address of a ticket this node must vote, if any.
    pub fn votable(&self, hash: &ChainHash) -> Option<Address> {
        let t = self.pool.get(hash)?;
        (t.verdict == Verdict::FeePaid || self.added.contains(hash)).then_some(t.address)
    }

    pub fn get(&self, hash: &ChainHash) -> Option<&PoolTicket> {
        self.pool.get(hash)
    }

    /// Tickets that will be voted.
    pub fn live(&self) -> impl Iterator<Item = (&ChainHash, &Address)> {
        self.pool
            .iter()
            .filter(|(h, t)| t.verdict == Verdict::FeePaid || self.added.contains(h))
            .map(|(h, t)| (h, &t.address))
    }

    /// Low-fee tickets that will not be voted (not admin-added).
    pub fn ignored(&self) -> impl Iterator<Item = (&ChainHash, &PoolTicket)> {
        self.pool
            .iter()
            .filter(|(h, t)| t.verdict != Verdict::FeePaid && !self.added.contains(h))
    }

    /// The admin-added set, with the multisig address where the ticket is known.
    pub fn added(&self) -> impl Iterator<Item = (&ChainHash, Option<Address>)> {
        self.added
            .iter()
            .map(|h| (h, self.pool.get(h).map(|t| t.address)))
    }

    pub fn added_hashes(&self) -> impl Iterator<Item = &ChainHash> {
        self.added.iter()
    }

    pub fn counts(&self) -> TicketCounts {
        let ignored = self.ignored().count();
        TicketCounts {
            live: self.pool.len() - ignored,
            ignored,
            added: self.added.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use excc_chain::{AddressKind, Network};

    fn h(n: u8) -> ChainHash {
        ChainHash([n; 32])
    }
    fn addr(n: u8) -> Address {
        Address {
            network: Network::Simnet,
            kind: AddressKind::P2sh([n; 20]),
        }
    }
    const LOW: Verdict = Verdict::Ignored(IgnoreReason::FeeTooLow {
        required: Amount(10),
        paid: Amount(1),
    });

    #[test]
    fn low_fee_tickets_are_voted_only_while_added() {
        let mut book = TicketBook::default();
        book.classify(h(1), addr(1), Verdict::FeePaid);
        book.classify(h(2), addr(2), LOW);
        assert_eq!(book.votable(&h(1)), Some(addr(1)));
        assert_eq!(book.votable(&h(2)), None);
        assert_eq!(
            book.counts(),
            TicketCounts {
                live: 1,
                ignored: 1,
                added: 0
            }
        );

        book.set_added([h(2)]);
        assert_eq!(book.votable(&h(2)), Some(addr(2)));
        assert_eq!(
            book.counts(),
            TicketCounts {
                live: 2,
                ignored: 0,
                added: 1
            }
        );

        // Removing it from the admin set stops voting it (legacy bug B-6).
        book.set_added([]);
        assert_eq!(book.votable(&h(2)), None);
        assert_eq!(book.ignored().count(), 1);
    }

    #[test]
    fn spent_tickets_are_not_voted_even_if_added() {
        let mut book = TicketBook::default();
        book.classify(h(3), addr(3), LOW);
        book.set_added([h(3)]);
        book.remove_spent([&h(3)]);
        assert_eq!(book.votable(&h(3)), None);
        assert_eq!(
            book.counts(),
            TicketCounts {
                live: 0,
                ignored: 0,
                added: 1
            }
        );
        // Unknown tickets are never voted.
        assert_eq!(book.votable(&h(9)), None);
    }
}
