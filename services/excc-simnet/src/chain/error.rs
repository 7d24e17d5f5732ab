//! Errors of the chain model. `Display` texts are what the RPC layer returns.

use excc_chain::ChainHash;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MineError {
    /// From StakeValidationHeight a block needs a majority of the parent's winners to vote.
    #[error(
        "block height {height} needs at least {need} votes on block {parent} but only {have} are in the mempool: vote the current winners (generatevote + sendrawtransaction) first"
    )]
    NotEnoughVotes {
        height: u32,
        parent: ChainHash,
        need: usize,
        have: usize,
    },
}

/// Why `sendrawtransaction` refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxReject {
    #[error("Failed to deserialize transaction: {0}")]
    Decode(String),
    /// In the mempool already (-40).
    #[error("rejected transaction {0}: already have transaction {0}")]
    Duplicate(ChainHash),
    /// Mined already (-40).
    #[error("rejected transaction {0}: transaction already exists")]
    Exists(ChainHash),
    #[error("rejected transaction {txid}: {reason}")]
    Rule { txid: ChainHash, reason: String },
}

impl TxReject {
    pub fn rule(txid: ChainHash, reason: impl Into<String>) -> Self {
        TxReject::Rule {
            txid,
            reason: reason.into(),
        }
    }
}
