//! The pool-fee check: the pool's fee addresses (derived from the cold wallet's
//! xpub, `xpub/0/0..count`) and the fee verdict of a ticket.

use std::collections::HashSet;

use excc_chain::hd::EXTERNAL_BRANCH;
use excc_chain::{
    Address, AddressKind, ChainError, ExtendedKey, FeeCheck, PoolFeePercent, Ticket, Transaction,
};

use crate::tickets::{IgnoreReason, Verdict};

/// The set of fee addresses (as Hash160s of P2PKH addresses).
#[derive(Clone, Debug)]
pub struct FeeAddresses {
    hashes: HashSet<[u8; 20]>,
}

impl FeeAddresses {
    /// Derives `count` external addresses of the cold wallet's account xpub.
    pub fn derive(cold_xpub: &ExtendedKey, count: u32) -> Result<Self, ChainError> {
        let branch = cold_xpub.child(EXTERNAL_BRANCH)?;
        let mut hashes = HashSet::with_capacity(count as usize);
        for i in 0..count {
            // An invalid child (probability 2^-127) is skipped, as hdkeychain callers do.
            if let Ok(child) = branch.child(i) {
                hashes.insert(excc_chain::hash::hash160(&child.pubkey().serialize()));
            }
        }
        Ok(FeeAddresses { hashes })
    }

    pub fn contains(&self, address: &Address) -> bool {
        matches!(address.kind, AddressKind::P2pkh(h) if self.hashes.contains(&h))
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// The fee verdict of a ticket transaction mined at `height`, and the ticket's voting address.
pub fn evaluate_ticket(
    tx_hex: &str,
    height: i64,
    fees: &FeeAddresses,
    pool_fee: PoolFeePercent,
    network: excc_chain::Network,
) -> Result<(Address, Verdict), ChainError> {
    let tx = Transaction::from_hex(tx_hex)?;
    let ticket = Ticket::from_tx(network, &tx)?;
    let verdict = match ticket.check_pool_fee(|a| fees.contains(a), height, pool_fee) {
        FeeCheck::Paid { .. } => Verdict::FeePaid,
        FeeCheck::TooLow { required, paid } => {
            Verdict::Ignored(IgnoreReason::FeeTooLow { required, paid })
        }
        FeeCheck::NotPoolFeeAddress(_) => Verdict::Ignored(IgnoreReason::NotPoolFeeAddress),
    };
    Ok((ticket.voting_address, verdict))
}
