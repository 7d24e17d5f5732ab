//! Chain traffic for a pool on the simulated network: blocks mined like exccd's miner does
//! (wait a little for the votes of the tip's winners, then mine what is there), filler
//! tickets of stakers outside the pool, and pool tickets bought by the pool's users, so a
//! test can count which pool tickets won and whether any was missed.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use excc_chain::ChainHash;
use serde_json::json;

use crate::filler::{Filler, hashes};
use crate::simnet::{Daemon, mempool_votes};

/// Simnet's StakeValidationHeight: from here every block needs votes, and the pool's fee
/// (a share of the vote subsidy) can be paid.
pub const SVH: u64 = 143;
/// Spend limit of ticket purchases (the simulator does not track funds).
const SPEND_LIMIT: u64 = 100_000;

/// A block exccd refused to mine on the tip at `height`.
#[derive(Debug)]
pub struct Refused {
    pub height: u64,
    pub pool_winners: usize,
    pub error: String,
}

pub struct Traffic {
    /// The node blocks are mined on.
    pub node: Daemon,
    pub filler: Filler,
    /// The pool users' own wallet.
    pub users: Daemon,
    /// Pool tickets go to these multisig addresses in turn.
    pub multisigs: Vec<String>,
    /// Where pool tickets pay the pool fee (percent `fee_percent`).
    pub fee_address: String,
    pub fee_percent: f64,
    /// How long a block waits for the votes of the tip's pool winners.
    pub vote_wait: Duration,
    pub pool_tickets: HashSet<ChainHash>,
    /// Per mined block: the height of the tip it was mined on and its pool winners.
    pub pool_winners: Vec<(u64, usize)>,
    /// The longest wait for pool votes so far.
    pub slowest_votes: Duration,
}

impl Traffic {
    /// Buys `buy` pool tickets (users in turn), waits up to `vote_wait` for the votes of the
    /// tip's pool winners in the node's mempool, mines one block. Returns the tip height and
    /// its pool winners.
    pub async fn block(&mut self, buy: u64) -> (u64, usize) {
        self.try_block(buy)
            .await
            .unwrap_or_else(|r| panic!("mining on the tip at {}: {}", r.height, r.error))
    }

    /// [`block`](Self::block), but when exccd refuses to mine (fewer votes than a majority
    /// of the tip's winners: the pool's did not come) nothing is mined; once the cause is
    /// gone, [`mine_refused`](Self::mine_refused) mines it.
    pub async fn try_block(&mut self, buy: u64) -> Result<(u64, usize), Refused> {
        let tip = self.filler.prepare_block(&self.node).await;
        if buy > 0 {
            let multisig = &self.multisigs[tip.height as usize % self.multisigs.len()];
            let t = self
                .users
                .ok(
                    "purchaseticket",
                    json!([
                        "default",
                        SPEND_LIMIT,
                        1,
                        multisig,
                        buy,
                        self.fee_address,
                        self.fee_percent
                    ]),
                )
                .await;
            self.pool_tickets.extend(hashes(&t));
        }
        let expect: Vec<ChainHash> = tip
            .winners
            .iter()
            .filter(|w| self.pool_tickets.contains(w))
            .copied()
            .collect();
        let started = Instant::now();
        while started.elapsed() < self.vote_wait {
            let seen: HashSet<ChainHash> = mempool_votes(&self.node)
                .await
                .iter()
                .map(|v| v.ticket)
                .collect();
            if expect.iter().all(|t| seen.contains(t)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.slowest_votes = self.slowest_votes.max(started.elapsed());
        if let Err(e) = self.node.call("generate", json!([1])).await {
            return Err(Refused {
                height: tip.height,
                pool_winners: expect.len(),
                error: e.to_string(),
            });
        }
        self.pool_winners.push((tip.height, expect.len()));
        Ok((tip.height, expect.len()))
    }

    /// Mines the block [`try_block`](Self::try_block) could not, as soon as exccd accepts
    /// (within 10 s).
    pub async fn mine_refused(&mut self, refused: Refused) -> (u64, usize) {
        let node = &self.node;
        crate::wait_for(10, "the refused block mined", || async {
            node.call("generate", json!([1])).await.ok()
        })
        .await;
        self.pool_winners
            .push((refused.height, refused.pool_winners));
        (refused.height, refused.pool_winners)
    }

    /// Mines on filler tickets (one a block) to StakeValidationHeight, then the pool buys
    /// `burst` tickets a block for 20 blocks, and mining goes on until pool tickets have won
    /// in `wins` blocks.
    pub async fn to_pool_voting(&mut self, burst: u64, wins: usize) {
        self.filler.schedule = |h| u64::from((31..SVH).contains(&h));
        loop {
            let height = self.node.ok("getblockcount", json!([])).await;
            let height = height.as_u64().expect("height");
            if height < SVH {
                self.block(0).await;
            } else if self.pool_winners.iter().filter(|(_, n)| *n > 0).count() >= wins {
                return;
            } else if height < SVH + 20 {
                self.block(burst).await;
            } else {
                self.block(5).await;
            }
        }
    }

    /// Pool tickets the node lists as missed.
    pub async fn missed_pool_tickets(&self) -> Vec<ChainHash> {
        let missed = self.node.ok("missedtickets", json!([])).await;
        missed["tickets"]
            .as_array()
            .unwrap_or_else(|| panic!("missedtickets: {missed}"))
            .iter()
            .map(|h| h.as_str().expect("hash").parse().expect("hash"))
            .filter(|t| self.pool_tickets.contains(t))
            .collect()
    }
}
