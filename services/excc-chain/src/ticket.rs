//! Ticket (SStx) commitments and the pool-fee check stakepoold and the simulator share.

use crate::address::{Address, AddressKind};
use crate::amount::Amount;
use crate::error::ChainError;
use crate::network::Network;
use crate::poolfee::{PoolFeePercent, stake_pool_ticket_fee};
use crate::script::{OP_DATA_30, OP_RETURN, OP_SSTX, extract_address};
use crate::tx::Transaction;

/// One `OP_RETURN` commitment output of a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commitment {
    /// Who gets this share back (the pool fee address for `vout[1]` of a pool ticket).
    pub address: Address,
    /// The amount committed (contributed by this party).
    pub amount: Amount,
    /// Vote and revocation fee limits, as in the script (`0x4e00` from the wallet).
    pub limits: u16,
}

/// Parses a commitment script `OP_RETURN OP_DATA_30 <hash160 || amount LE (bit 63 = P2SH) || limits LE>`.
pub fn parse_commitment(network: Network, script: &[u8]) -> Result<Commitment, ChainError> {
    let data = match script {
        [OP_RETURN, OP_DATA_30, data @ ..] if data.len() == 30 => data,
        _ => {
            return Err(ChainError::Script(
                "not a ticket commitment (OP_RETURN with 30 bytes)".into(),
            ));
        }
    };
    let hash: [u8; 20] = data[..20].try_into().expect("20");
    let raw = u64::from_le_bytes(data[20..28].try_into().expect("8"));
    let is_p2sh = raw & (1 << 63) != 0;
    let amount = (raw & !(1 << 63)) as i64;
    let kind = if is_p2sh {
        AddressKind::P2sh(hash)
    } else {
        AddressKind::P2pkh(hash)
    };
    Ok(Commitment {
        address: Address { network, kind },
        amount: Amount(amount),
        limits: u16::from_le_bytes(data[28..30].try_into().expect("2")),
    })
}

/// The parts of a ticket the pool looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    /// Where the vote goes: the ticket's `vout[0]` address (the user's 1-of-2 P2SH).
    pub voting_address: Address,
    /// The ticket price (`vout[0]` value).
    pub price: Amount,
    /// Commitments in output order (`vout[1]`, `vout[3]`, …).
    pub commitments: Vec<Commitment>,
    /// Transaction fee = Σ commitments − Σ outputs.
    pub tx_fee: Amount,
}

impl Ticket {
    /// Reads a ticket transaction; errors when it is not shaped like one.
    pub fn from_tx(network: Network, tx: &Transaction) -> Result<Self, ChainError> {
        let first = tx
            .outputs
            .first()
            .ok_or_else(|| ChainError::Tx("a ticket needs outputs".into()))?;
        if first.pk_script.first() != Some(&OP_SSTX) {
            return Err(ChainError::Tx(
                "vout[0] is not an OP_SSTX output: not a ticket".into(),
            ));
        }
        let voting_address = extract_address(network, &first.pk_script)
            .ok_or_else(|| ChainError::Tx("vout[0] pays to no P2PKH/P2SH address".into()))?;
        let commitments = tx
            .outputs
            .iter()
            .skip(1)
            .step_by(2)
            .map(|o| parse_commitment(network, &o.pk_script))
            .collect::<Result<Vec<_>, _>>()?;
        if commitments.is_empty() {
            return Err(ChainError::Tx(
                "a ticket needs at least one commitment".into(),
            ));
        }
        let committed: i64 = commitments.iter().map(|c| c.amount.atoms()).sum();
        Ok(Ticket {
            voting_address,
            price: first.value,
            tx_fee: Amount(committed - tx.output_total().atoms()),
            commitments,
        })
    }

    /// The pool-fee check of the wallet's stake-pool mode (and of stakepoold):
    /// `vout[1]` must commit at least the required fee to one of the pool's fee
    /// addresses. `height` is the height of the block the ticket was mined in.
    pub fn check_pool_fee(
        &self,
        is_fee_address: impl Fn(&Address) -> bool,
        height: i64,
        pool_fee: PoolFeePercent,
    ) -> FeeCheck {
        let fee_commitment = &self.commitments[0];
        if !is_fee_address(&fee_commitment.address) {
            return FeeCheck::NotPoolFeeAddress(fee_commitment.address);
        }
        let params = self.voting_address.network.params();
        let required = stake_pool_ticket_fee(params, self.price, self.tx_fee, height, pool_fee);
        if fee_commitment.amount < required {
            FeeCheck::TooLow {
                required,
                paid: fee_commitment.amount,
            }
        } else {
            FeeCheck::Paid {
                required,
                paid: fee_commitment.amount,
            }
        }
    }
}

/// Outcome of the pool-fee check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeeCheck {
    Paid { required: Amount, paid: Amount },
    TooLow { required: Amount, paid: Amount },
    NotPoolFeeAddress(Address),
}

impl FeeCheck {
    pub fn is_paid(&self) -> bool {
        matches!(self, FeeCheck::Paid { .. })
    }
}
