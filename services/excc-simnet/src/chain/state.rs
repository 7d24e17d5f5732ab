//! The simulated chain: blocks on demand, tickets, lottery, votes, misses,
//! expiry, automatic revocations and the ticket price.

use std::collections::HashMap;

use excc_chain::subsidy::{block_subsidy, vote_subsidy};
use excc_chain::{Address, ChainHash, Network, Params, Ticket};
use sha2::{Digest, Sha256};

use super::block::Block;
use super::error::{MineError, TxReject};
use super::header::{BLOCK_VERSION, Header, POW_LIMIT_BITS, SOLUTION_LEN, merkle_root};
use super::lottery;
use super::mempool::Mempool;
use super::sigcheck;
use super::stake_tx::{build_coinbase, build_revocation, parse_ticket, parse_vote};
use super::stakediff::next_price;
use super::tickets::{LivePool, TicketRecord, TicketStatus};
use super::wire::{TREE_REGULAR, TREE_STAKE, WireTx};

/// Where a confirmed transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    pub height: u32,
    pub index: u32,
    pub tree: u8,
}

#[derive(Clone, Debug)]
pub struct TxRecord {
    pub bytes: Vec<u8>,
    /// `None` while in the mempool.
    pub location: Option<TxLocation>,
}

/// Options fixed at chain creation.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    pub network: Network,
    /// Seeds the lottery (all nodes of one simulated network must share it).
    pub lottery_seed: [u8; 32],
    /// Where coinbases pay (`--miningaddr`).
    pub mining_addr: Option<Address>,
    /// Timestamp of the genesis block.
    pub genesis_time: u32,
    /// Overrides MaxFreshStakePerBlock (benchmarks fill the pool faster).
    pub max_fresh_stake: Option<u32>,
}

impl ChainConfig {
    pub fn simnet() -> Self {
        ChainConfig {
            network: Network::Simnet,
            lottery_seed: [0x5e; 32],
            mining_addr: None,
            genesis_time: 1_401_292_357,
            max_fresh_stake: None,
        }
    }
}

pub struct Chain {
    pub(super) cfg: ChainConfig,
    pub(super) params: &'static Params,
    pub(super) blocks: Vec<Block>,
    pub(super) by_hash: HashMap<ChainHash, u32>,
    pub(super) txs: HashMap<ChainHash, TxRecord>,
    pub(super) tickets: HashMap<ChainHash, TicketRecord>,
    pub(super) by_address: HashMap<[u8; 20], Vec<ChainHash>>,
    pub(super) live: LivePool,
    pub(super) immature: usize,
    /// Price of tickets in the next block.
    pub(super) next_sbits: i64,
    pub mempool: Mempool,
}

impl Chain {
    pub fn new(cfg: ChainConfig) -> Self {
        let params = cfg.network.params();
        let header = Header {
            version: 1,
            prev_block: ChainHash([0; 32]),
            merkle_root: ChainHash([0; 32]),
            stake_root: ChainHash([0; 32]),
            vote_bits: 0,
            final_state: [0; 6],
            voters: 0,
            fresh_stake: 0,
            revocations: 0,
            pool_size: 0,
            bits: POW_LIMIT_BITS,
            sbits: params.stake.minimum_stake_diff,
            height: 0,
            size: 280,
            timestamp: cfg.genesis_time,
            nonce: 0,
            extra_data: [0; 32],
            stake_version: 0,
            equihash_solution: [0; SOLUTION_LEN],
        };
        // The genesis block keeps the network's real hash so clients that check it agree.
        let hash: ChainHash = params.genesis_hash.parse().expect("valid genesis hash");
        let genesis = Block {
            header,
            hash,
            regular: vec![],
            stake: vec![],
            winners: vec![],
            votes: vec![],
            new_tickets: vec![],
            matured: vec![],
            missed: vec![],
            revoked: vec![],
        };
        let mut by_hash = HashMap::new();
        by_hash.insert(hash, 0);
        Chain {
            params,
            blocks: vec![genesis],
            by_hash,
            txs: HashMap::new(),
            tickets: HashMap::new(),
            by_address: HashMap::new(),
            live: LivePool::default(),
            immature: 0,
            next_sbits: params.stake.minimum_stake_diff,
            mempool: Mempool::default(),
            cfg,
        }
    }

    pub fn params(&self) -> &'static Params {
        self.params
    }

    pub fn network(&self) -> Network {
        self.cfg.network
    }

    pub fn tip(&self) -> &Block {
        self.blocks.last().expect("genesis exists")
    }

    pub fn height(&self) -> u32 {
        self.tip().height()
    }

    pub fn block_at(&self, height: u32) -> Option<&Block> {
        self.blocks.get(height as usize)
    }

    pub fn block(&self, hash: &ChainHash) -> Option<&Block> {
        self.by_hash.get(hash).and_then(|h| self.block_at(*h))
    }

    pub fn tx(&self, txid: &ChainHash) -> Option<&TxRecord> {
        self.txs.get(txid)
    }

    pub fn ticket(&self, hash: &ChainHash) -> Option<&TicketRecord> {
        self.tickets.get(hash)
    }

    pub fn is_live(&self, hash: &ChainHash) -> bool {
        self.live.contains(hash)
    }

    pub fn live_tickets(&self) -> impl Iterator<Item = &ChainHash> {
        self.live.iter()
    }

    pub fn live_count(&self) -> usize {
        self.live.len()
    }

    pub fn immature_count(&self) -> usize {
        self.immature
    }

    /// Tickets missed or expired and not yet revoked.
    pub fn unrevoked_missed(&self) -> Vec<ChainHash> {
        self.tip().missed.clone()
    }

    /// Tickets ever mined whose voting address has this Hash160.
    pub fn tickets_for_hash160(&self, h: &[u8; 20]) -> &[ChainHash] {
        self.by_address.get(h).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Price of tickets that the next block can include.
    pub fn next_ticket_price(&self) -> i64 {
        self.next_sbits
    }

    /// Price estimate for the window after the next one.
    pub fn estimated_next_price(&self) -> i64 {
        let pool = (self.live.len() + self.immature) as u64;
        let window = self.params.stake.stake_diff_window_size;
        let h = self.height() + 1;
        let boundary = h + (window - 1 - (h % window).min(window - 1));
        let boundary = if (boundary + 1).is_multiple_of(window) {
            boundary
        } else {
            h
        };
        next_price(self.params, boundary, self.next_sbits, pool)
    }

    /// Transactions a `blockconnected` notification would carry for a block.
    pub fn block_tx_bytes(&self, block: &Block) -> Vec<&[u8]> {
        block
            .regular
            .iter()
            .chain(block.stake.iter())
            .filter_map(|t| self.txs.get(t).map(|r| r.bytes.as_slice()))
            .collect()
    }

    /// exccd's script error for an input whose signature script only pushes the
    /// redeem script (what a locked wallet's `generatevote` returns for a
    /// multisig ticket): the multisig finds no signature on the stack.
    fn unsigned_input(&self, tx: &WireTx, input: usize, spends: ChainHash) -> Option<String> {
        let script = &tx.inputs[input].sig_script;
        let pushes = super::wire::parse_pushes(script)?;
        if pushes.len() != 1 {
            return None;
        }
        let prev = self
            .txs
            .get(&spends)
            .and_then(|r| WireTx::parse(&r.bytes).ok())?;
        let prev_script = &prev.outputs.first()?.script;
        Some(format!(
            "failed to validate input {}:{input} which references output {spends}:0 - index 0 is invalid for stack size 0 (input script bytes {}, prev output script bytes {})",
            tx.txid(),
            hex::encode(script),
            hex::encode(prev_script)
        ))
    }

    /// Accepts a transaction into the mempool (`sendrawtransaction`).
    pub fn accept_tx(&mut self, bytes: &[u8]) -> Result<ChainHash, TxReject> {
        let mut tx = WireTx::parse(bytes).map_err(|e| TxReject::Decode(e.to_string()))?;
        let txid = tx.txid();
        if let Some(rec) = self.txs.get(&txid) {
            return Err(if rec.location.is_some() {
                TxReject::Exists(txid)
            } else {
                TxReject::Duplicate(txid)
            });
        }
        if let Some(vote) = parse_vote(&tx) {
            // exccd's order: spent or unknown inputs, double spends in the mempool,
            // then the vote's own rules and its scripts.
            let spent = self
                .tickets
                .get(&vote.ticket)
                .is_none_or(|t| t.status == TicketStatus::Voted || t.spent_by.is_some());
            if spent {
                return Err(TxReject::rule(
                    txid,
                    format!(
                        "orphan transaction {txid} references outputs of unknown or fully-spent transaction {}",
                        vote.ticket
                    ),
                ));
            }
            if let Some(other) = self.mempool.vote_by_ticket.get(&vote.ticket) {
                let on = &self.mempool.votes[other];
                return Err(TxReject::rule(
                    txid,
                    format!(
                        "vote {txid} spending ticket {} already votes on block {} (height {})",
                        vote.ticket, on.block_hash, on.block_height
                    ),
                ));
            }
            let tip = self.tip();
            if vote.block_hash != tip.hash || vote.block_height != tip.height() {
                return Err(TxReject::rule(
                    txid,
                    format!(
                        "vote on block {} at height {} is not for the current tip {} at height {}",
                        vote.block_hash,
                        vote.block_height,
                        tip.hash,
                        tip.height()
                    ),
                ));
            }
            if !tip.winners.contains(&vote.ticket) {
                return Err(TxReject::rule(
                    txid,
                    format!(
                        "ticket {} is not eligible to vote on block {}",
                        vote.ticket, tip.hash
                    ),
                ));
            }
            let rec = &self.tickets[&vote.ticket];
            if let Some(e) = self.unsigned_input(&tx, 1, vote.ticket) {
                return Err(TxReject::rule(txid, e));
            }
            sigcheck::check_input(&tx, 1, &rec.voting_address)
                .map_err(|e| TxReject::rule(txid, format!("vote signature: {e}")))?;
            // exccd records where the spent ticket was mined.
            tx.inputs[1].block_height = rec.height;
            tx.inputs[1].block_index = rec.block_index;
            self.mempool.vote_by_ticket.insert(vote.ticket, txid);
            self.mempool.votes.insert(txid, vote);
            self.txs.insert(
                txid,
                TxRecord {
                    bytes: tx.serialize(),
                    location: None,
                },
            );
            return Ok(txid);
        }
        if let Some((_, ticket)) = parse_ticket(self.cfg.network, bytes) {
            let next = self.height() + 1;
            if next < self.params.stake.stake_enabled_height {
                return Err(TxReject::rule(
                    txid,
                    format!(
                        "ticket purchases are not allowed before StakeEnabledHeight {} (next block is {next})",
                        self.params.stake.stake_enabled_height
                    ),
                ));
            }
            if ticket.price.atoms() != self.next_sbits {
                return Err(TxReject::rule(
                    txid,
                    format!(
                        "ticket price {} is not the stake difficulty {}",
                        ticket.price.atoms(),
                        self.next_sbits
                    ),
                ));
            }
            self.mempool.tickets.push(txid);
        } else {
            self.mempool.regular.push(txid);
        }
        self.txs.insert(
            txid,
            TxRecord {
                bytes: bytes.to_vec(),
                location: None,
            },
        );
        Ok(txid)
    }

    fn ticket_of(&self, hash: &ChainHash) -> Option<Ticket> {
        let rec = self.txs.get(hash)?;
        parse_ticket(self.cfg.network, &rec.bytes).map(|(_, t)| t)
    }

    fn store(&mut self, txid: ChainHash, bytes: Vec<u8>, loc: TxLocation) {
        self.txs.insert(
            txid,
            TxRecord {
                bytes,
                location: Some(loc),
            },
        );
    }

    /// Mines one block on the tip. From StakeValidationHeight the block needs
    /// a majority of the tip's winners to have votes in the mempool.
    pub fn mine_block(&mut self, timestamp: u32) -> Result<ChainHash, MineError> {
        let p = self.params.stake;
        let parent_hash = self.tip().hash;
        let parent_height = self.height();
        let height = parent_height + 1;
        let svh = p.stake_validation_height;
        let need = (p.tickets_per_block / 2 + 1) as usize;

        // 1. Votes on the parent.
        let votes = if height >= svh {
            let mut v = self.mempool.votes_on(&parent_hash);
            let winners = &self.tip().winners;
            v.retain(|(_, i)| winners.contains(&i.ticket));
            v.truncate(p.tickets_per_block as usize);
            if v.len() < need {
                return Err(MineError::NotEnoughVotes {
                    height,
                    parent: parent_hash,
                    need,
                    have: v.len(),
                });
            }
            v
        } else {
            Vec::new()
        };

        let mut stake_ids: Vec<ChainHash> = Vec::new();
        let mut block_votes = Vec::new();
        for (vote_id, info) in &votes {
            let index = stake_ids.len() as u32;
            stake_ids.push(*vote_id);
            block_votes.push((info.ticket, *vote_id, info.vote_bits, info.version));
            let rec = self
                .tickets
                .get_mut(&info.ticket)
                .expect("winner is a ticket");
            rec.status = TicketStatus::Voted;
            rec.spent_by = Some(*vote_id);
            rec.spent_height = height;
            self.live.remove(&info.ticket);
            if let Some(r) = self.txs.get_mut(vote_id) {
                r.location = Some(TxLocation {
                    height,
                    index,
                    tree: TREE_STAKE,
                });
            }
            self.mempool.votes.remove(vote_id);
        }
        self.mempool.votes.clear();
        self.mempool.vote_by_ticket.clear();

        // 2. Winners of the parent that did not vote are missed.
        let mut missed = Vec::new();
        if height >= svh {
            let voted: Vec<ChainHash> = block_votes.iter().map(|v| v.0).collect();
            for w in self.tip().winners.clone() {
                if !voted.contains(&w) {
                    let rec = self.tickets.get_mut(&w).expect("winner is a ticket");
                    rec.status = TicketStatus::Missed;
                    rec.missed_height = height;
                    self.live.remove(&w);
                    missed.push(w);
                }
            }
        }

        // 3. Automatic revocations of what the parent marked missed/expired.
        let mut revoked = Vec::new();
        for t in self.tip().missed.clone() {
            let Some(ticket) = self.ticket_of(&t) else {
                continue;
            };
            let rec = self.tickets[&t].clone();
            let rev = build_revocation(t, &ticket, rec.height, rec.block_index);
            let rev_id = rev.txid();
            let index = stake_ids.len() as u32;
            stake_ids.push(rev_id);
            self.store(
                rev_id,
                rev.serialize(),
                TxLocation {
                    height,
                    index,
                    tree: TREE_STAKE,
                },
            );
            let rec = self.tickets.get_mut(&t).expect("ticket");
            rec.spent_by = Some(rev_id);
            rec.spent_height = height;
            revoked.push(t);
        }

        // 4. Expiry.
        let expiry_span = p.ticket_maturity + p.ticket_expiry;
        if height > expiry_span {
            let mined_at = height - expiry_span;
            for t in self.blocks[mined_at as usize].new_tickets.clone() {
                if self.live.remove(&t) {
                    let rec = self.tickets.get_mut(&t).expect("ticket");
                    rec.status = TicketStatus::Expired;
                    rec.missed_height = height;
                    missed.push(t);
                }
            }
        }

        // 5. Maturity.
        let mut matured = Vec::new();
        if height > p.ticket_maturity {
            let mined_at = height - p.ticket_maturity;
            for t in self.blocks[mined_at as usize].new_tickets.clone() {
                let rec = self.tickets.get_mut(&t).expect("ticket");
                if rec.status == TicketStatus::Immature {
                    rec.status = TicketStatus::Live;
                    self.live.insert(t);
                    self.immature -= 1;
                    matured.push(t);
                }
            }
        }

        // 6. New tickets from the mempool (at most MaxFreshStakePerBlock).
        let sbits = self.next_sbits;
        let take = self.mempool.tickets.len().min(
            self.cfg
                .max_fresh_stake
                .unwrap_or(p.max_fresh_stake_per_block) as usize,
        );
        let fresh: Vec<ChainHash> = self.mempool.tickets.drain(..take).collect();
        let mut new_tickets = Vec::new();
        for t in fresh {
            let Some(ticket) = self.ticket_of(&t) else {
                continue;
            };
            let index = stake_ids.len() as u32;
            stake_ids.push(t);
            if let Some(r) = self.txs.get_mut(&t) {
                r.location = Some(TxLocation {
                    height,
                    index,
                    tree: TREE_STAKE,
                });
            }
            let hash160 = ticket.voting_address.hash160();
            self.by_address.entry(hash160).or_default().push(t);
            self.tickets.insert(
                t,
                TicketRecord {
                    hash: t,
                    voting_address: ticket.voting_address,
                    price: ticket.price.atoms(),
                    height,
                    block_index: index,
                    status: TicketStatus::Immature,
                    spent_by: None,
                    spent_height: 0,
                    missed_height: 0,
                },
            );
            self.immature += 1;
            new_tickets.push(t);
        }

        // 7. Regular transactions: the coinbase, then the mempool.
        let work = block_subsidy(self.params, i64::from(height))
            * self.params.subsidy.work_proportion
            / (self.params.subsidy.work_proportion + self.params.subsidy.stake_proportion);
        let coinbase = build_coinbase(height, work, self.cfg.mining_addr.as_ref());
        let cb_id = coinbase.txid();
        self.store(
            cb_id,
            coinbase.serialize(),
            TxLocation {
                height,
                index: 0,
                tree: TREE_REGULAR,
            },
        );
        let mut regular = vec![cb_id];
        for t in std::mem::take(&mut self.mempool.regular) {
            let index = regular.len() as u32;
            regular.push(t);
            if let Some(r) = self.txs.get_mut(&t) {
                r.location = Some(TxLocation {
                    height,
                    index,
                    tree: TREE_REGULAR,
                });
            }
        }

        // 8. Header.
        let size: usize = 280
            + regular
                .iter()
                .chain(stake_ids.iter())
                .map(|t| self.txs.get(t).map(|r| r.bytes.len()).unwrap_or(0))
                .sum::<usize>();
        let parent_winners_digest: [u8; 32] = {
            let mut h = Sha256::new();
            for w in &self.tip().winners {
                h.update(w.as_bytes());
            }
            h.finalize().into()
        };
        let mut extra = [0u8; 32];
        extra[..8].copy_from_slice(&u64::from(height).to_le_bytes());
        let header = Header {
            version: BLOCK_VERSION,
            prev_block: parent_hash,
            merkle_root: merkle_root(&regular),
            stake_root: merkle_root(&stake_ids),
            vote_bits: if block_votes.is_empty() {
                1
            } else {
                block_votes[0].2
            },
            final_state: parent_winners_digest[..6].try_into().expect("6"),
            voters: block_votes.len() as u16,
            fresh_stake: new_tickets.len() as u8,
            revocations: revoked.len() as u8,
            pool_size: self.live.len() as u32,
            bits: POW_LIMIT_BITS,
            sbits,
            height,
            size: size as u32,
            timestamp: timestamp.max(self.tip().header.timestamp + 1),
            nonce: 0,
            extra_data: extra,
            stake_version: 0,
            equihash_solution: [0; SOLUTION_LEN],
        };
        let hash = header.hash();

        // 9. Winners for votes on this block.
        let winners = if height + 1 >= svh {
            lottery::draw(
                &self.cfg.lottery_seed,
                &hash,
                &self.live,
                p.tickets_per_block as usize,
            )
        } else {
            Vec::new()
        };

        self.blocks.push(Block {
            header,
            hash,
            regular,
            stake: stake_ids,
            winners,
            votes: block_votes,
            new_tickets,
            matured,
            missed,
            revoked,
        });
        self.by_hash.insert(hash, height);

        // 10. Next price; tickets at a stale price leave the mempool.
        let pool = (self.live.len() + self.immature) as u64;
        self.next_sbits = next_price(self.params, height + 1, sbits, pool);
        if self.next_sbits != sbits {
            for t in std::mem::take(&mut self.mempool.tickets) {
                self.txs.remove(&t);
            }
        }
        Ok(hash)
    }

    /// (votes in the mempool from the tip's winners, number of winners).
    pub fn tip_votes(&self) -> (usize, usize) {
        let tip = self.tip();
        let have = self
            .mempool
            .votes
            .values()
            .filter(|v| v.block_hash == tip.hash && tip.winners.contains(&v.ticket))
            .count();
        (have, tip.winners.len())
    }

    /// True when the next block must carry votes (height ≥ StakeValidationHeight).
    pub fn next_needs_votes(&self) -> bool {
        self.height() + 1 >= self.params.stake.stake_validation_height
    }

    /// Vote subsidy for a vote on the block at `height` (paid in block `height + 1`).
    pub fn vote_subsidy_for(&self, height: u32) -> i64 {
        vote_subsidy(self.params, i64::from(height) + 1)
    }
}
