//! Several simulated nodes sharing one chain. A node started with
//! `--connect`/`--addpeer` polls its peers' `simnet_blocks` and replays every
//! block it lacks: it puts the block's votes, tickets and other transactions
//! into its own mempool and mines with the block's timestamp. The chain model
//! is deterministic, so the replayed block has the same hash (checked). A
//! node that falls behind (disconnected, restarted) catches up the same way.
//! A transaction a node accepts is relayed to its peers (`Node::relay`), so
//! votes sent to a follower reach the node that mines.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::{info, warn};

use super::Node;
use crate::chain::stake_tx::parse_vote;
use crate::chain::wire::WireTx;
use crate::chain::{Block, Chain};
use crate::rpc::envelope::{Json, RpcResult, params};
use excc_rpc::RpcClient;

/// What a follower needs to replay one block.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct BlockData {
    pub height: u32,
    pub hash: String,
    pub timestamp: u32,
    /// Votes, tickets, then regular transactions (hex), in block order.
    pub txs: Vec<String>,
}

pub fn blocks(node: &Arc<Node>, p: &[Value]) -> RpcResult {
    let from = params::i64_at(p, 0, "from")?.max(1) as u32;
    let count = params::opt_i64(p, 1).unwrap_or(100).clamp(1, 500) as u32;
    let c = node.chain();
    let out: Vec<BlockData> = (from..from.saturating_add(count))
        .map_while(|h| c.block_at(h).map(|b| block_data(&c, b)))
        .collect();
    Ok(Json::of(&out))
}

/// What replaying `b` needs: its votes, tickets and regular transactions
/// (not the coinbase or the automatic revocations, which mining recreates).
pub fn block_data(c: &Chain, b: &Block) -> BlockData {
    let mut txs = Vec::new();
    for t in b.stake.iter().chain(b.regular.iter().skip(1)) {
        let Some(rec) = c.tx(t) else { continue };
        let is_revocation = WireTx::parse(&rec.bytes)
            .map(|tx| tx.version == 2 && parse_vote(&tx).is_none() && tx.inputs.len() == 1)
            .unwrap_or(false);
        if !is_revocation {
            txs.push(hex::encode(&rec.bytes));
        }
    }
    BlockData {
        height: b.height(),
        hash: b.hash.to_string(),
        timestamp: b.header.timestamp,
        txs,
    }
}

/// Applies one peer block; false if it did not reproduce the same hash.
pub fn apply(node: &Arc<Node>, data: &BlockData) -> Result<bool, String> {
    let mut chain = node.chain();
    if chain.height() + 1 != data.height {
        return Ok(true);
    }
    for tx in &data.txs {
        let bytes = hex::decode(tx).map_err(|e| e.to_string())?;
        // Already in our mempool is fine.
        let _ = chain.accept_tx(&bytes);
    }
    let hash = chain
        .mine_block(data.timestamp)
        .map_err(|e| e.to_string())?;
    let block = chain.tip().clone();
    node.announce(&chain, &block);
    Ok(hash.to_string() == data.hash)
}

/// Disconnects this node's tip and announces it (`blockdisconnected`).
pub fn disconnect_tip(node: &Arc<Node>) -> Option<crate::chain::Block> {
    let mut chain = node.chain();
    let old = chain.disconnect_tip()?;
    node.announce_disconnected(&chain, &old);
    info!(height = old.height(), hash = %old.hash, "disconnected block");
    Some(old)
}

/// Polls `peers` forever, replaying blocks this node lacks.
pub async fn sync_loop(node: Arc<Node>, peers: Vec<RpcClient>) {
    let mut diverged = false;
    loop {
        for peer in &peers {
            if diverged {
                break;
            }
            let (ours, our_tip) = {
                let c = node.chain();
                (c.height(), c.tip().hash.to_string())
            };
            let res = peer
                .call_raw(
                    "simnet_blocks",
                    vec![Value::from(ours.max(1)), Value::from(200)],
                )
                .await;
            match res {
                Ok(v) => {
                    let Ok(mut list) = serde_json::from_value::<Vec<BlockData>>(v) else {
                        continue;
                    };
                    // The peer replaced our tip (a reorg): disconnect it and retry.
                    if ours >= 1 && list.first().is_some_and(|b| b.height == ours) {
                        if list[0].hash != our_tip {
                            disconnect_tip(&node);
                            continue;
                        }
                        list.remove(0);
                    }
                    for b in &list {
                        match apply(&node, b) {
                            Ok(true) => {}
                            Ok(false) => {
                                warn!(
                                    height = b.height,
                                    peer = peer.server(),
                                    "replayed block differs from the peer's; the nodes need the same --lotteryseed and --miningaddr"
                                );
                                diverged = true;
                                break;
                            }
                            Err(e) => {
                                warn!(height = b.height, error = %e, "cannot replay peer block");
                                break;
                            }
                        }
                    }
                    if !list.is_empty() {
                        info!(
                            height = node.chain().height(),
                            peer = peer.server(),
                            "synced from peer"
                        );
                    }
                }
                Err(e) => tracing::debug!(peer = peer.server(), error = %e, "peer unreachable"),
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
