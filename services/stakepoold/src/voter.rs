//! Voting: on `winningtickets`, every winner this node votes is voted at once,
//! in parallel, each under a deadline: `generatevote` on the wallet (with the
//! owner's vote bits) then `sendrawtransaction` on exccd.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use excc_chain::ChainHash;

use crate::daemon::Shared;
use crate::health::LastVote;
use crate::prefs::BitsSource;

/// What happened to one winning ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteOutcome {
    Voted {
        vote: ChainHash,
    },
    /// Another voting node (or an earlier attempt) already sent the vote.
    Duplicate,
    Failed(String),
    /// Not a ticket this node votes (not ours, low fee, or spent).
    NotOurs,
}

/// Per-block summary (also logged).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct VoteSummary {
    pub voted: usize,
    pub duplicate: usize,
    pub failed: usize,
    pub not_ours: usize,
}

fn is_duplicate(e: &excc_rpc::Error) -> bool {
    let text = e.to_string();
    text.contains("already have transaction") || text.contains("already voted")
}

async fn vote_one(
    shared: &Shared,
    block: ChainHash,
    height: u32,
    ticket: ChainHash,
    started: Instant,
) -> VoteOutcome {
    if shared.health.snapshot().wallet_voting {
        return VoteOutcome::Failed(
            "exccwallet has voting enabled; not voting so two voters do not race (set enablevoting=0)".into(),
        );
    }
    let Some((address, bits, source, ext)) = shared.vote_plan(&ticket) else {
        return VoteOutcome::NotOurs;
    };
    let deadline = shared.config.vote_deadline;
    let attempt = async {
        let vote = shared
            .wallet
            .generate_vote(&block, height, &ticket, bits, &ext)
            .await
            .inspect_err(|_| {
                shared
                    .metrics
                    .rpc_errors_wallet
                    .fetch_add(1, Ordering::Relaxed);
            })?;
        shared
            .node
            .send_raw_transaction(&vote.hex, false)
            .await
            .inspect_err(|_| {
                shared
                    .metrics
                    .rpc_errors_node
                    .fetch_add(1, Ordering::Relaxed);
            })
    };
    let outcome = match tokio::time::timeout(deadline, attempt).await {
        Ok(Ok(vote)) => VoteOutcome::Voted { vote },
        Ok(Err(e)) if is_duplicate(&e) => VoteOutcome::Duplicate,
        Ok(Err(e)) => VoteOutcome::Failed(e.to_string()),
        Err(_) => VoteOutcome::Failed(format!(
            "no vote within the {} ms deadline",
            deadline.as_millis()
        )),
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
            tracing::info!(%ticket, %vote, %address, vote_bits = bits, ?user, ?source,
                elapsed_ms = elapsed.as_millis() as u64, "voted");
        }
        VoteOutcome::Duplicate => {
            shared
                .metrics
                .votes_duplicate
                .fetch_add(1, Ordering::Relaxed);
            tracing::info!(%ticket, %address, "vote already sent by another voting node");
        }
        VoteOutcome::Failed(reason) => {
            shared.metrics.votes_failed.fetch_add(1, Ordering::Relaxed);
            tracing::error!(%ticket, %address, %reason, "vote failed");
        }
        VoteOutcome::NotOurs => {}
    }
    outcome
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
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
        return VoteSummary {
            failed: winners.len(),
            ..Default::default()
        };
    }
    // Wait for classifications announced before these winners.
    drop(shared.book_gate.read().await);
    let tasks: Vec<_> = winners
        .into_iter()
        .map(|ticket| {
            let shared = shared.clone();
            tokio::spawn(async move { vote_one(&shared, block, height, ticket, received).await })
        })
        .collect();
    let mut summary = VoteSummary::default();
    for t in tasks {
        match t.await {
            Ok(VoteOutcome::Voted { .. }) => summary.voted += 1,
            Ok(VoteOutcome::Duplicate) => summary.duplicate += 1,
            Ok(VoteOutcome::NotOurs) => summary.not_ours += 1,
            Ok(VoteOutcome::Failed(_)) | Err(_) => summary.failed += 1,
        }
    }
    tracing::info!(height, %block, voted = summary.voted, duplicate = summary.duplicate,
        failed = summary.failed, not_ours = summary.not_ours,
        elapsed_ms = received.elapsed().as_millis() as u64, "block voted");
    summary
}

/// How long to wait between retries of a failed vote on the same block.
pub const RETRY_DELAY: Duration = Duration::from_millis(500);
