//! `poolctl audit votes`: for every pool ticket that won in a range of heights, what the
//! chain says (voted by which vote with which bits and version, missed, or revoked) checked
//! against the vote journals of every voting host (which host cast the vote, with the
//! owner's preference or the wallet's defaults, and why a winner was not voted) and
//! against the owner's preference at the time. What vspd's vote-validator does, built in.
//!
//! [`chain`] reads the facts over JSON-RPC, [`journal`] reads stakepoold's `votes.jsonl`,
//! [`check`] is the pure core, [`report`] the result; [`hosts`] gathers everything from a
//! pool over SSH for the command.

pub mod chain;
pub mod check;
pub mod hosts;
pub mod journal;
pub mod report;

#[cfg(test)]
mod tests;

use excc_rpc::{NodeClient, WalletClient};

pub use chain::ChainError;
pub use check::{ChainOutcome, PoolWinner, audit};
pub use journal::{HostJournal, JournalEntry};
pub use report::{BitsCheck, HeightRange, Report, Summary, TicketAudit, Verdict};

/// Reads the chain's facts through `node` and `wallet` and audits them against `journals`.
pub async fn audit_chain(
    node: &NodeClient,
    wallet: &WalletClient,
    journals: &[HostJournal],
    range: HeightRange,
) -> Result<Report, ChainError> {
    let tried = journal::tried(journals);
    let winners = chain::pool_winners(node, wallet, &tried, range).await?;
    Ok(audit(&winners, journals, range))
}
