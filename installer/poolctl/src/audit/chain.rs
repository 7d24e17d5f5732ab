//! The chain's facts about the pool's winning tickets, over JSON-RPC: the voting wallet
//! lists every user (`getaddressesbyaccount imported`) and each user's tickets with their
//! status and spending transaction (`stakepooluserinfo`); each vote is read from exccd
//! (`getrawtransaction`, exccd runs with `txindex=1`), or from the wallet
//! (`gettransaction`) when exccd cannot serve it.
//!
//! exccd 2.7.6 cannot list an earlier block's lottery winners, but every pool ticket that
//! won either voted (its vote names the block) or was missed and is then revoked.
//! Low-fee tickets (the wallet lists them under `invalid`, without a status) are not
//! audited.

use excc_chain::{ChainHash, Vote};
use excc_rpc::types::PoolTicketStatus;
use excc_rpc::{NodeClient, WalletClient};

use super::check::{ChainOutcome, PoolWinner};
use super::report::HeightRange;

/// Why the chain's facts could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("{source} ({what})")]
    Rpc {
        what: String,
        source: excc_rpc::Error,
    },
    #[error(
        "vote {vote} of ticket {ticket} could not be read from exccd ({node}) nor from the wallet ({wallet})"
    )]
    VoteUnreadable {
        vote: ChainHash,
        ticket: ChainHash,
        node: excc_rpc::Error,
        wallet: excc_rpc::Error,
    },
    #[error("transaction {vote}, which spent ticket {ticket} as its vote, is not a vote: {cause}")]
    NotAVote {
        vote: ChainHash,
        ticket: ChainHash,
        cause: excc_chain::ChainError,
    },
}

fn rpc(what: impl Into<String>) -> impl FnOnce(excc_rpc::Error) -> ChainError {
    let what = what.into();
    move |source| ChainError::Rpc { what, source }
}

/// Every pool ticket that voted or was missed, with a winning height that may be in
/// `range` (undated misses always). Votes outside `range` are not fetched.
pub async fn pool_winners(
    node: &NodeClient,
    wallet: &WalletClient,
    range: HeightRange,
) -> Result<Vec<PoolWinner>, ChainError> {
    let users = wallet
        .get_addresses_by_account("imported")
        .await
        .map_err(rpc("listing the pool's users"))?;
    let mut winners = Vec::new();
    for address in users {
        let info = wallet
            .stake_pool_user_info(&address)
            .await
            .map_err(rpc(format!("the tickets of pool user {address}")))?;
        for t in info.tickets {
            let revocation = (t.spentby != ChainHash([0; 32])).then_some(t.spentby);
            let winner = match t.status {
                PoolTicketStatus::Voted => {
                    if !range.contains(t.spentbyheight.saturating_sub(1)) {
                        continue;
                    }
                    let vote = read_vote(node, wallet, &t.spentby, &t.ticket).await?;
                    PoolWinner {
                        ticket: t.ticket,
                        address: address.clone(),
                        won_height: Some(vote.block_height),
                        chain: ChainOutcome::Voted {
                            vote: t.spentby,
                            vote_bits: vote.vote_bits,
                            vote_version: vote.vote_version,
                        },
                    }
                }
                PoolTicketStatus::Missed => PoolWinner {
                    ticket: t.ticket,
                    address: address.clone(),
                    won_height: revocation.map(|_| t.spentbyheight.saturating_sub(2)),
                    chain: ChainOutcome::Missed { revocation },
                },
                _ => continue,
            };
            winners.push(winner);
        }
    }
    Ok(winners)
}

/// A vote's content, from exccd or else from the wallet.
async fn read_vote(
    node: &NodeClient,
    wallet: &WalletClient,
    vote: &ChainHash,
    ticket: &ChainHash,
) -> Result<Vote, ChainError> {
    let hex = match node.get_raw_transaction_hex(vote).await {
        Ok(hex) => hex,
        Err(node_err) => match wallet.get_transaction(vote, false).await {
            Ok(tx) => tx.hex,
            Err(wallet_err) => {
                return Err(ChainError::VoteUnreadable {
                    vote: *vote,
                    ticket: *ticket,
                    node: node_err,
                    wallet: wallet_err,
                });
            }
        },
    };
    let parsed = Vote::from_hex(&hex).map_err(|cause| ChainError::NotAVote {
        vote: *vote,
        ticket: *ticket,
        cause,
    })?;
    if parsed.ticket != *ticket {
        return Err(ChainError::NotAVote {
            vote: *vote,
            ticket: *ticket,
            cause: excc_chain::ChainError::Tx(format!("it spends ticket {}", parsed.ticket)),
        });
    }
    Ok(parsed)
}
