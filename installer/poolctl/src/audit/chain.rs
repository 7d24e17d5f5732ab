//! The chain's facts about the pool's winning tickets, over JSON-RPC: the voting wallet
//! lists every user (`getaddressesbyaccount imported`) and each user's tickets with their
//! status and spending transaction (`stakepooluserinfo`); each vote is read from exccd
//! (`getrawtransaction`, exccd runs with `txindex=1`), or from the wallet
//! (`gettransaction`) when exccd cannot serve it.
//!
//! exccd 2.7.6 cannot list an earlier block's lottery winners, but every pool ticket that
//! won either voted (its vote names the block) or was missed and is then revoked.
//! Low-fee tickets (the wallet lists them under `invalid`, without a status) count when a
//! journal shows the pool tried to vote them (an admin added them): voted when one of the
//! journaled votes is mined, missed when none is and none is still pending.

use std::collections::HashMap;

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
        node: Box<excc_rpc::Error>,
        wallet: Box<excc_rpc::Error>,
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
/// `range` (undated misses always). Votes outside `range` are not fetched. `tried`: the
/// tickets some journal shows a vote attempt for, with the votes journaled for each.
pub async fn pool_winners(
    node: &NodeClient,
    wallet: &WalletClient,
    tried: &HashMap<ChainHash, Vec<ChainHash>>,
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
        for ticket in info.invalid {
            let Some(votes) = tried.get(&ticket) else {
                continue;
            };
            if let Some(w) = low_fee_winner(node, wallet, (&address, ticket), votes).await?
                && w.won_height.is_none_or(|h| range.contains(h))
            {
                winners.push(w);
            }
        }
    }
    Ok(winners)
}

/// Where a transaction is.
enum TxState {
    /// In a block: its hex.
    Mined(String),
    /// In the mempool.
    Pending,
    /// Neither exccd nor the wallet knows it.
    Unknown,
}

async fn tx_state(node: &NodeClient, wallet: &WalletClient, txid: &ChainHash) -> TxState {
    match node.get_raw_transaction_verbose(txid).await {
        Ok(raw) if raw.confirmations > 0 => TxState::Mined(raw.hex),
        Ok(_) => TxState::Pending,
        Err(_) => match wallet.get_transaction(txid, false).await {
            Ok(tx) if tx.confirmations > 0 => TxState::Mined(tx.hex),
            Ok(_) => TxState::Pending,
            Err(_) => TxState::Unknown,
        },
    }
}

/// A low-fee ticket a journal shows the pool tried to vote: voted by the first journaled
/// vote that is mined, missed when none is mined or pending, `None` while one is pending.
async fn low_fee_winner(
    node: &NodeClient,
    wallet: &WalletClient,
    (address, ticket): (&str, ChainHash),
    votes: &[ChainHash],
) -> Result<Option<PoolWinner>, ChainError> {
    let mut chain = ChainOutcome::Missed { revocation: None };
    let mut won_height = None;
    for v in votes {
        match tx_state(node, wallet, v).await {
            TxState::Mined(hex) => {
                let vote = parse_vote(&hex, v, &ticket)?;
                won_height = Some(vote.block_height);
                chain = ChainOutcome::Voted {
                    vote: *v,
                    vote_bits: vote.vote_bits,
                    vote_version: vote.vote_version,
                };
                break;
            }
            TxState::Pending => return Ok(None),
            TxState::Unknown => {}
        }
    }
    Ok(Some(PoolWinner {
        ticket,
        address: address.to_owned(),
        won_height,
        chain,
    }))
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
                    node: Box::new(node_err),
                    wallet: Box::new(wallet_err),
                });
            }
        },
    };
    parse_vote(&hex, vote, ticket)
}

/// Decodes the vote `vote` of `ticket`.
fn parse_vote(hex: &str, vote: &ChainHash, ticket: &ChainHash) -> Result<Vote, ChainError> {
    let parsed = Vote::from_hex(hex).map_err(|cause| ChainError::NotAVote {
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
