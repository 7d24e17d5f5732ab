//! Scenario tests of the chain model: maturity, lottery, votes, misses,
//! automatic revocation, expiry and the ticket price.

use excc_chain::{Address, ChainHash, ExtendedKey, Network, PubKey};

use super::sigcheck::{p2pkh_sig_script, sign_input};
use super::stake_tx::{Contribution, build_ticket, build_vote, parse_ticket};
use super::wire::WireIn;
use super::*;

struct Harness {
    chain: Chain,
    secret: [u8; 32],
    key: PubKey,
    addr: Address,
    counter: u32,
    time: u32,
}

impl Harness {
    fn new() -> Self {
        let k = ExtendedKey::master(Network::Simnet, &[7u8; 32]).unwrap();
        let key = k.pubkey();
        Harness {
            chain: Chain::new(ChainConfig::simnet()),
            secret: k.secret_bytes().unwrap(),
            addr: Address::p2pkh_from_pubkey(Network::Simnet, &key),
            key,
            counter: 0,
            time: 1_700_000_000,
        }
    }

    fn ticket_bytes(&mut self) -> Vec<u8> {
        self.counter += 1;
        let price = self.chain.next_ticket_price();
        let input = WireIn {
            prev_hash: ChainHash::of(&self.counter.to_le_bytes()),
            prev_index: 0,
            tree: 0,
            sequence: u32::MAX,
            value_in: price + 1000,
            block_height: 1,
            block_index: 0,
            sig_script: vec![],
        };
        build_ticket(
            &self.addr,
            price,
            &[Contribution {
                input,
                commit_to: self.addr,
                commitment: price + 1000,
            }],
        )
        .serialize()
    }

    fn buy(&mut self, n: usize) -> Vec<ChainHash> {
        (0..n)
            .map(|_| {
                let b = self.ticket_bytes();
                self.chain.accept_tx(&b).unwrap()
            })
            .collect()
    }

    fn vote_bytes(&self, ticket: ChainHash) -> Vec<u8> {
        let rec = self.chain.tx(&ticket).unwrap();
        let (_, t) = parse_ticket(Network::Simnet, &rec.bytes).unwrap();
        let tip = self.chain.tip();
        let mut vote = build_vote(
            ticket,
            &t,
            (tip.hash, tip.height()),
            1,
            &[10, 0, 0, 0],
            self.chain.vote_subsidy_for(tip.height()),
        );
        let sig = sign_input(&vote, 1, &self.secret).unwrap();
        vote.inputs[1].sig_script = p2pkh_sig_script(&sig, &self.key);
        vote.serialize()
    }

    fn vote(&mut self, n: usize) {
        for w in self.chain.tip().winners.clone().into_iter().take(n) {
            if self.chain.mempool.vote_by_ticket.contains_key(&w) {
                continue;
            }
            let v = self.vote_bytes(w);
            self.chain.accept_tx(&v).unwrap();
        }
    }

    fn mine(&mut self) -> Result<ChainHash, MineError> {
        self.time += 1;
        self.chain.mine_block(self.time)
    }

    fn mine_voting_all(&mut self, blocks: usize) {
        for _ in 0..blocks {
            self.vote(5);
            self.mine().unwrap();
        }
    }
}

#[test]
fn genesis_has_the_real_hash_and_tickets_wait_for_stake_enabled_height() {
    let mut h = Harness::new();
    assert_eq!(
        h.chain.tip().hash.to_string(),
        "9e57347692a4a6cd8a1e56076cc753c0827da88fff810c8e8a5567b356e802fd"
    );
    for _ in 0..30 {
        h.mine().unwrap();
    }
    let b = h.ticket_bytes();
    assert!(matches!(h.chain.accept_tx(&b), Err(TxReject::Rule { .. })));
    h.mine().unwrap();
    let t = h.buy(1)[0];
    assert!(h.chain.accept_tx(&b).is_ok());
    let txid = excc_chain::Transaction::parse(&b).unwrap().txid;
    assert_eq!(
        h.chain.accept_tx(&b).unwrap_err().to_string(),
        format!("rejected transaction {txid}: already have transaction {txid}")
    );
    h.mine().unwrap();
    let rec = h.chain.ticket(&t).unwrap();
    assert_eq!((rec.height, rec.status), (32, TicketStatus::Immature));
    for _ in 0..15 {
        h.mine().unwrap();
    }
    assert_eq!(h.chain.ticket(&t).unwrap().status, TicketStatus::Immature);
    h.mine().unwrap();
    assert_eq!(h.chain.height(), 48);
    assert_eq!(h.chain.ticket(&t).unwrap().status, TicketStatus::Live);
    assert_eq!(h.chain.tip().matured.len(), 2);
    assert!(h.chain.is_live(&t));
}

#[test]
fn fresh_stake_is_capped_at_twenty_per_block() {
    let mut h = Harness::new();
    for _ in 0..40 {
        h.mine().unwrap();
    }
    h.buy(25);
    h.mine().unwrap();
    assert_eq!(h.chain.tip().new_tickets.len(), 20);
    h.mine().unwrap();
    assert_eq!(h.chain.tip().new_tickets.len(), 5);
}

fn to_svh_minus_one() -> Harness {
    let mut h = Harness::new();
    while h.chain.height() < 100 {
        if h.chain.height() >= 31 {
            h.buy(3);
        }
        h.mine().unwrap();
    }
    while h.chain.height() < 143 {
        h.mine().unwrap();
    }
    h
}

#[test]
fn stake_validation_needs_three_votes_and_unvoted_winners_are_missed_then_revoked() {
    let mut h = to_svh_minus_one();
    let tip = h.chain.tip().clone();
    assert_eq!(tip.winners.len(), 5);
    let err = h.mine().unwrap_err();
    assert!(err.to_string().contains("needs at least 3 votes"), "{err}");
    h.vote(2);
    assert!(h.mine().is_err());
    h.vote(3);
    let b144 = h.mine().unwrap();
    let blk = h.chain.block(&b144).unwrap().clone();
    assert_eq!(blk.votes.len(), 3);
    assert_eq!(blk.missed.len(), 2);
    for (t, vote, _, _) in &blk.votes {
        let rec = h.chain.ticket(t).unwrap();
        assert_eq!(rec.status, TicketStatus::Voted);
        assert_eq!(rec.spent_by, Some(*vote));
        assert_eq!(rec.spent_height, 144);
        let loc = h.chain.tx(vote).unwrap().location.unwrap();
        assert_eq!(loc.height, 144);
    }
    assert_eq!(h.chain.unrevoked_missed(), blk.missed);
    h.mine_voting_all(1);
    let b145 = h.chain.tip().clone();
    assert_eq!(b145.revoked, blk.missed);
    for t in &blk.missed {
        let rec = h.chain.ticket(t).unwrap();
        assert_eq!(rec.status, TicketStatus::Missed);
        assert_eq!(rec.spent_height, 145);
        assert!(rec.spent_by.is_some());
        assert!(!h.chain.is_live(t));
    }
    assert!(h.chain.unrevoked_missed().is_empty());
}

#[test]
fn only_current_winners_may_vote_and_stale_votes_are_refused() {
    let mut h = to_svh_minus_one();
    let winners = h.chain.tip().winners.clone();
    let loser = *h
        .chain
        .live_tickets()
        .find(|t| !winners.contains(t))
        .unwrap();
    let v = h.vote_bytes(loser);
    let err = h.chain.accept_tx(&v).unwrap_err().to_string();
    assert!(err.contains("not eligible to vote"), "{err}");
    let good = h.vote_bytes(winners[0]);
    h.chain.accept_tx(&good).unwrap();
    assert!(matches!(
        h.chain.accept_tx(&good),
        Err(TxReject::Duplicate(_))
    ));
    h.vote(5);
    h.mine().unwrap();
    // The mined vote sent again "exists" (exccd's -40 for a mined transaction).
    let err = h.chain.accept_tx(&good).unwrap_err();
    assert!(matches!(err, TxReject::Exists(_)), "{err}");
}

#[test]
fn a_forged_vote_signature_is_refused() {
    let mut h = to_svh_minus_one();
    let w = h.chain.tip().winners[0];
    let mut bytes = h.vote_bytes(w);
    let n = bytes.len();
    bytes[n - 40] ^= 1;
    let err = h.chain.accept_tx(&bytes).unwrap_err().to_string();
    assert!(err.contains("vote signature"), "{err}");
}

#[test]
fn the_lottery_is_the_same_on_two_chains_with_the_same_history() {
    let a = to_svh_minus_one();
    let b = to_svh_minus_one();
    assert_eq!(a.chain.tip().hash, b.chain.tip().hash);
    assert_eq!(a.chain.tip().winners, b.chain.tip().winners);
}

#[test]
fn unvoted_tickets_expire_and_are_revoked_and_the_price_stays_above_minimum() {
    let mut h = to_svh_minus_one();
    let min = h.chain.params().stake.minimum_stake_diff;
    let mut expired = 0;
    while h.chain.height() < 560 {
        h.buy(20);
        h.mine_voting_all(1);
        assert!(h.chain.tip().header.sbits >= min);
        expired += h
            .chain
            .tip()
            .missed
            .iter()
            .filter(|t| h.chain.ticket(t).unwrap().status == TicketStatus::Expired)
            .count();
    }
    assert!(expired > 0, "some tickets must expire");
    // No ticket mined 400+ blocks ago is still live.
    for t in h.chain.live_tickets() {
        assert!(h.chain.ticket(t).unwrap().height + 400 > h.chain.height());
    }
}

#[test]
fn disconnecting_the_tip_restores_the_pool_and_a_new_block_replaces_it() {
    let mut h = to_svh_minus_one();
    h.mine_voting_all(3);
    h.buy(4);
    let live_before = h.chain.live_count();
    let tip_before = h.chain.tip().hash;
    h.vote(5);
    let mined = h.mine().unwrap();
    let block = h.chain.block(&mined).unwrap().clone();
    let old = h.chain.disconnect_tip().unwrap();
    assert_eq!(old.hash, mined);
    assert_eq!(h.chain.tip().hash, tip_before);
    assert_eq!(h.chain.live_count(), live_before);
    assert_eq!(h.chain.mempool.votes.len(), 5);
    assert_eq!(h.chain.mempool.tickets.len(), 4);
    for (t, _, _, _) in &block.votes {
        assert!(h.chain.is_live(t));
    }
    // A replacement block at another time has another hash and other winners.
    h.time += 7;
    let replacement = h.chain.mine_block(h.time).unwrap();
    assert_ne!(replacement, mined);
    assert_eq!(h.chain.tip().votes.len(), 5);
    assert_eq!(h.chain.tip().new_tickets.len(), 4);
    assert!(h.chain.block(&mined).is_none());
    h.mine_voting_all(2);
}
