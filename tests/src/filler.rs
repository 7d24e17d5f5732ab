//! Filler tickets: a wallet outside the pool that buys enough tickets to keep
//! the live pool steady and votes its own winners, so blocks keep coming
//! whatever the pool does.

use std::collections::HashSet;

use excc_chain::ChainHash;
use serde_json::json;

use crate::simnet::{Daemon, tip_winners};

pub struct Filler {
    pub wallet: Daemon,
    pub tickets: HashSet<ChainHash>,
    /// How many tickets to buy on a tip of the given height.
    pub schedule: fn(u64) -> u64,
}

/// Two tickets a block from height 31 (coinbase maturity) until stake validation, five after.
pub fn steady_schedule(height: u64) -> u64 {
    match height {
        0..31 => 0,
        31..143 => 2,
        _ => 5,
    }
}

/// The tip a block is being prepared on.
pub struct Tip {
    pub hash: String,
    pub height: u64,
    pub winners: Vec<ChainHash>,
}

/// Ticket hashes of a `purchaseticket` or ticket-list result.
pub fn hashes(v: &serde_json::Value) -> Vec<ChainHash> {
    v.as_array()
        .expect("array of hashes")
        .iter()
        .map(|h| h.as_str().expect("hash").parse().expect("hash"))
        .collect()
}

impl Filler {
    pub fn new(wallet: Daemon) -> Filler {
        Filler {
            wallet,
            tickets: HashSet::new(),
            schedule: steady_schedule,
        }
    }

    /// Buys filler tickets (as many as `schedule` says) and votes the filler winners of
    /// the tip.
    pub async fn prepare_block(&mut self, node: &Daemon) -> Tip {
        let (hash, height, winners) = tip_winners(node).await;
        let n = (self.schedule)(height);
        if n > 0 {
            let t = self
                .wallet
                .ok("purchaseticket", json!(["default", 1000, 1, "", n]))
                .await;
            self.tickets.extend(hashes(&t));
        }
        for w in winners.iter().filter(|w| self.tickets.contains(w)) {
            let v = self
                .wallet
                .ok(
                    "generatevote",
                    json!([hash, height, w.to_string(), 1, "0a000000"]),
                )
                .await;
            node.ok("sendrawtransaction", json!([v["hex"]])).await;
        }
        Tip {
            hash,
            height,
            winners,
        }
    }
}
