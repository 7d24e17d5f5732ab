//! Voting: on `winningtickets`, every winner this node votes is voted at once,
//! in parallel, each under a deadline: `generatevote` on the wallet (with the
//! owner's vote bits) then `sendrawtransaction` on exccd.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use excc_chain::ChainHash;

use crate::daemon::Shared;
use crate::health::LastVote;
use crate::journal::{Entry, unix_now};
use crate::prefs::BitsSource;

/// What happened to one winning ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteOutcome {
    Voted {
        vote: ChainHash,
    },
    /// Another voting node (or an earlier attempt) already sent the vote.
    Duplicate,
    Failed {
        cause: MissCause,
        reason: String,
    },
    /// Not a ticket this node votes (not ours, low fee, or spent).
    NotOurs,
}

/// Why a winning pool ticket was not voted (a metric label and journal field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissCause {
    /// The wallet is locked: `generatevote` failed or returned an unsigned vote.
    WalletLocked,
    /// exccwallet votes by itself; stakepoold stands aside.
    WalletVoting,
    /// The ticket book is being rebuilt (wallet or node unreachable).
    TicketListIncomplete,
    /// No vote within the per-vote deadline.
    Deadline,
    /// exccwallet refused or could not be reached.
    WalletError,
    /// exccd refused the vote or could not be reached.
    NodeError,
    /// exccd's or exccwallet's JSON-RPC API is incompatible.
    IncompatibleApi,
}

impl MissCause {
    pub fn as_str(self) -> &'static str {
        match self {
            MissCause::WalletLocked => "wallet_locked",
            MissCause::WalletVoting => "wallet_voting",
            MissCause::TicketListIncomplete => "ticket_list_incomplete",
            MissCause::Deadline => "deadline",
            MissCause::WalletError => "wallet_error",
            MissCause::NodeError => "node_error",
            MissCause::IncompatibleApi => "incompatible_api",
        }
    }
}

/// Per-block summary (also logged).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VoteSummary {
    pub voted: usize,
    pub duplicate: usize,
    pub not_ours: usize,
    /// Winners that failed this round, with the cause (retried while the block is the tip).
    pub failed: Vec<(ChainHash, MissCause, String)>,
}

/// exccd's answers that mean this ticket's vote is already in: the same vote
/// (in the mempool: "already have transaction"; mined: "transaction already
/// exists"), another vote for it in the mempool ("already votes on block"), or
/// a mined vote that spent the ticket ("orphan transaction … fully-spent
/// transaction <ticket>").
fn already_voted(e: &excc_rpc::Error, ticket: &ChainHash) -> bool {
    let text = e.to_string();
    text.contains("already have transaction")
        || text.contains("transaction already exists")
        || text.contains("already votes on block")
        || (text.contains("fully-spent transaction") && text.contains(&ticket.to_string()))
}

/// Why one attempt failed.
enum AttemptError {
    Wallet(excc_rpc::Error),
    Unsigned,
    Node(excc_rpc::Error),
}

async fn vote_one(
    shared: &Shared,
    block: ChainHash,
    height: u32,
    ticket: ChainHash,
    started: Instant,
) -> VoteOutcome {
    let Some((address, bits, source, ext)) = shared.vote_plan(&ticket) else {
        return VoteOutcome::NotOurs;
    };
    if let Some(e) = shared.health.snapshot().incompatible_api {
        return VoteOutcome::Failed {
            cause: MissCause::IncompatibleApi,
            reason: e,
        };
    }
    if shared.health.snapshot().wallet_voting {
        return VoteOutcome::Failed {
            cause: MissCause::WalletVoting,
            reason: "exccwallet has voting enabled; not voting so two voters do not race (set enablevoting=0)".into(),
        };
    }
    let deadline = shared.config.vote_deadline;
    let attempt = async {
        let vote = shared
            .wallet
            .generate_vote(&block, height, &ticket, bits, &ext)
            .await
            .map_err(AttemptError::Wallet)?;
        // A locked wallet answers a multisig ticket with an unsigned vote.
        let signed = excc_chain::Transaction::from_hex(&vote.hex)
            .is_ok_and(|tx| excc_chain::script::vote_is_signed(&tx));
        if !signed {
            return Err(AttemptError::Unsigned);
        }
        shared
            .node
            .send_raw_transaction(&vote.hex, false)
            .await
            .map_err(AttemptError::Node)
    };
    let outcome = match tokio::time::timeout(deadline, attempt).await {
        Ok(Ok(vote)) => VoteOutcome::Voted { vote },
        Ok(Err(AttemptError::Node(e))) if already_voted(&e, &ticket) => VoteOutcome::Duplicate,
        Ok(Err(AttemptError::Node(e))) => {
            shared
                .metrics
                .rpc_errors_node
                .fetch_add(1, Ordering::Relaxed);
            VoteOutcome::Failed {
                cause: MissCause::NodeError,
                reason: e.to_string(),
            }
        }
        Ok(Err(AttemptError::Wallet(e))) => {
            shared
                .metrics
                .rpc_errors_wallet
                .fetch_add(1, Ordering::Relaxed);
            let cause = if e.is_wallet_locked() {
                shared.health.update(|f| f.wallet_unlocked = false);
                MissCause::WalletLocked
            } else {
                MissCause::WalletError
            };
            VoteOutcome::Failed {
                cause,
                reason: e.to_string(),
            }
        }
        Ok(Err(AttemptError::Unsigned)) => {
            shared.health.update(|f| f.wallet_unlocked = false);
            VoteOutcome::Failed {
                cause: MissCause::WalletLocked,
                reason: "exccwallet returned an unsigned vote (the wallet is locked); not sent. Unlock it with walletpassphrase".into(),
            }
        }
        Err(_) => VoteOutcome::Failed {
            cause: MissCause::Deadline,
            reason: format!("no vote within the {} ms deadline", deadline.as_millis()),
        },
    };
    let elapsed = started.elapsed();
    let user = match source {
        BitsSource::User(id) => Some(id),
        BitsSource::StaleVersion(id) => Some(id),
        BitsSource::Unknown => None,
    };
    match &outcome {
        VoteOutcome::Voted { vote } => {
            shared.metrics.votes_cast.fetch_add(1, Ordering::Relaxed);
            shared.metrics.observe_vote_latency(elapsed);
            shared.health.update(|f| {
                f.last_vote = Some(LastVote {
                    height,
                    ticket: ticket.to_string(),
                    unix: unix_now(),
                })
            });
            let vote_version = shared
                .defaults
                .read()
                .expect("defaults lock")
                .as_ref()
                .map(|d| d.vote_version)
                .unwrap_or(0);
            shared.journal.append(&Entry::Vote {
                unix: unix_now(),
                height,
                block: block.to_string(),
                ticket: ticket.to_string(),
                vote: vote.to_string(),
                address: address.to_string(),
                vote_bits: bits,
                vote_version,
                source: match source {
                    BitsSource::User(_) => "user",
                    BitsSource::StaleVersion(_) => "stale_version",
                    BitsSource::Unknown => "unknown",
                }
                .into(),
            });
            tracing::info!(%ticket, %vote, %address, vote_bits = bits, ?user, ?source,
                elapsed_ms = elapsed.as_millis() as u64, "voted");
        }
        VoteOutcome::Duplicate => {
            shared
                .metrics
                .votes_duplicate
                .fetch_add(1, Ordering::Relaxed);
            shared.journal.append(&Entry::VotedElsewhere {
                unix: unix_now(),
                height,
                ticket: ticket.to_string(),
                address: address.to_string(),
            });
            tracing::info!(%ticket, %address, "vote already in (another voting node or an earlier attempt)");
        }
        VoteOutcome::Failed { cause, reason } => {
            shared.metrics.votes_failed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%ticket, %address, cause = cause.as_str(), %reason, "vote failed; retrying while the block is the tip");
        }
        VoteOutcome::NotOurs => {}
    }
    outcome
}

/// Records winners given up on: the block is no longer the tip (or retries
/// ran out) and they were not voted. Each is logged, counted by cause and
/// journaled, so an audit can explain every miss.
pub fn give_up(
    shared: &Shared,
    block: ChainHash,
    height: u32,
    failed: &[(ChainHash, MissCause, String)],
) {
    for (ticket, cause, reason) in failed {
        shared.metrics.not_voted(cause.as_str());
        shared.journal.append(&Entry::NotVoted {
            unix: unix_now(),
            height,
            block: block.to_string(),
            ticket: ticket.to_string(),
            cause: cause.as_str().into(),
            reason: reason.clone(),
        });
        tracing::error!(%ticket, height, %block, cause = cause.as_str(), %reason,
            "winning ticket NOT voted");
    }
}

/// Votes every winner of `block` this node is responsible for.
pub async fn vote_winners(
    shared: Arc<Shared>,
    block: ChainHash,
    height: u32,
    winners: Vec<ChainHash>,
    received: Instant,
) -> VoteSummary {
    // A book that is being (or must be) rebuilt cannot say which winners are ours.
    shared.resync_if_needed().await;
    if shared.resync_pending() {
        tracing::warn!(height, %block, "ticket list incomplete (is exccwallet reachable?); will retry these winners");
        let reason = "the ticket list is being rebuilt (is exccwallet reachable?); cannot tell which winners are the pool's";
        return VoteSummary {
            failed: winners
                .into_iter()
                .map(|t| (t, MissCause::TicketListIncomplete, reason.to_string()))
                .collect(),
            ..Default::default()
        };
    }
    // Wait for classifications announced before these winners.
    drop(shared.book_gate.read().await);
    let tasks: Vec<_> = winners
        .into_iter()
        .map(|ticket| {
            let shared = shared.clone();
            let task =
                tokio::spawn(
                    async move { vote_one(&shared, block, height, ticket, received).await },
                );
            (ticket, task)
        })
        .collect();
    let mut summary = VoteSummary::default();
    for (ticket, t) in tasks {
        match t.await {
            Ok(VoteOutcome::Voted { .. }) => summary.voted += 1,
            Ok(VoteOutcome::Duplicate) => summary.duplicate += 1,
            Ok(VoteOutcome::NotOurs) => summary.not_ours += 1,
            Ok(VoteOutcome::Failed { cause, reason }) => {
                summary.failed.push((ticket, cause, reason))
            }
            Err(e) => summary.failed.push((
                ticket,
                MissCause::NodeError,
                format!("vote task failed: {e}"),
            )),
        }
    }
    tracing::info!(height, %block, voted = summary.voted, duplicate = summary.duplicate,
        failed = summary.failed.len(), not_ours = summary.not_ours,
        elapsed_ms = received.elapsed().as_millis() as u64, "block voted");
    summary
}

/// How long to wait between retries of a failed vote on the same block.
pub const RETRY_DELAY: Duration = Duration::from_millis(500);
