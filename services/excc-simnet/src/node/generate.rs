//! `generate N`: mines blocks on demand. From StakeValidationHeight a block
//! needs ≥3 votes on the tip in the mempool; like exccd's CPU miner the call
//! then waits for them (up to `--generatetimeout` seconds, 0 = forever) and
//! fails with the reason when the time is up. With a majority but not all
//! five votes it first waits up to `--votewait` ms for the rest.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use excc_rpc::types::RpcError;
use serde_json::Value;

use super::Node;
use crate::chain::MineError;
use crate::rpc::envelope::{Json, RpcResult, params};

fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or(0)
}

/// Mines one block and announces it; the error says which votes are missing.
pub fn mine_one(node: &Arc<Node>) -> Result<excc_chain::ChainHash, MineError> {
    let mut chain = node.chain();
    let hash = chain.mine_block(now())?;
    let block = chain.tip().clone();
    node.announce(&chain, &block);
    Ok(hash)
}

pub async fn generate(node: &Arc<Node>, p: &[Value]) -> RpcResult {
    params::require(p, 1, "generate")?;
    let n = params::i64_at(p, 0, "numblocks")?;
    if n <= 0 {
        return Err(RpcError::new(
            -8,
            "Please request a nonzero number of blocks to generate.",
        ));
    }
    let _guard = node.generate_lock.lock().await;
    let timeout = node.settings.generate_timeout_secs;
    let grace = Duration::from_millis(node.settings.vote_wait_ms);
    let mut hashes = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let start = Instant::now();
        loop {
            // Like exccd's template generator, wait a moment for every winner's
            // vote before settling for a majority.
            let (have, winners) = {
                let c = node.chain();
                if c.next_needs_votes() {
                    c.tip_votes()
                } else {
                    (0, 0)
                }
            };
            if have < winners && start.elapsed() < grace {
                let _ =
                    tokio::time::timeout(Duration::from_millis(50), node.changed.notified()).await;
                continue;
            }
            match mine_one(node) {
                Ok(h) => {
                    hashes.push(h);
                    break;
                }
                Err(e) => {
                    if timeout > 0 && start.elapsed() >= Duration::from_secs(timeout) {
                        return Err(RpcError::new(-1, e.to_string()));
                    }
                    let _ =
                        tokio::time::timeout(Duration::from_millis(100), node.changed.notified())
                            .await;
                }
            }
        }
    }
    Ok(Json::of(&hashes))
}
