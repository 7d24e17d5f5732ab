//! Benchmark of the chain model under pool-sized load: 40,960 live tickets
//! whose voting addresses are 10,000 1-of-2 multisig scripts; every block
//! carries five signed votes (built, signed and verified) and five fresh
//! tickets. Prints progress to stderr and a final JSON line:
//! `{"metric":"blocks_per_second","value":…,"unit":"blocks/s"}`.
//!
//! `excc-simnet-bench [blocks]` (default 200 measured blocks).

use std::collections::HashMap;
use std::time::Instant;

use excc_chain::script::pool_ticket_multisig;
use excc_chain::{Address, ChainHash, ExtendedKey, Network, PubKey};
use excc_simnet::chain::sigcheck::{p2sh_sig_script, sign_input};
use excc_simnet::chain::stake_tx::{Contribution, build_ticket, build_vote, parse_ticket};
use excc_simnet::chain::wire::WireIn;
use excc_simnet::chain::{Chain, ChainConfig};

const LIVE: usize = 40_960;
const SCRIPTS: u32 = 10_000;

struct Bench {
    chain: Chain,
    pool_secret: [u8; 32],
    scripts: Vec<(Address, Vec<u8>)>,
    by_hash: HashMap<[u8; 20], usize>,
    fee_addr: Address,
    counter: u64,
    time: u32,
}

impl Bench {
    fn buy(&mut self, n: usize) {
        let price = self.chain.next_ticket_price();
        for _ in 0..n {
            self.counter += 1;
            let (voting, _) = &self.scripts[(self.counter % u64::from(SCRIPTS)) as usize];
            let input = |v: i64, c: u64| WireIn {
                prev_hash: ChainHash::of(&c.to_le_bytes()),
                prev_index: 0,
                tree: 0,
                sequence: u32::MAX,
                value_in: v,
                block_height: 1,
                block_index: 0,
                sig_script: vec![],
            };
            let fee = price / 20;
            let tx = build_ticket(
                voting,
                price,
                &[
                    Contribution {
                        input: input(fee, self.counter),
                        commit_to: self.fee_addr,
                        commitment: fee,
                    },
                    Contribution {
                        input: input(price - fee + 50_000, self.counter << 1),
                        commit_to: self.fee_addr,
                        commitment: price - fee + 50_000,
                    },
                ],
            );
            self.chain
                .accept_tx(&tx.serialize())
                .expect("ticket accepted");
        }
    }

    fn vote_all(&mut self) {
        let tip = self.chain.tip().clone();
        let subsidy = self.chain.vote_subsidy_for(tip.height());
        for w in &tip.winners {
            let bytes = &self.chain.tx(w).expect("ticket").bytes;
            let (_, ticket) = parse_ticket(Network::Simnet, bytes).expect("ticket");
            let idx = self.by_hash[&ticket.voting_address.hash160()];
            let mut vote = build_vote(
                *w,
                &ticket,
                (tip.hash, tip.height()),
                1,
                &[10, 0, 0, 0],
                subsidy,
            );
            let sig = sign_input(&vote, 1, &self.pool_secret).expect("sign");
            vote.inputs[1].sig_script = p2sh_sig_script(&sig, &self.scripts[idx].1);
            self.chain
                .accept_tx(&vote.serialize())
                .expect("vote accepted");
        }
    }

    fn mine(&mut self) {
        self.time += 1;
        self.chain.mine_block(self.time).expect("block");
    }
}

fn main() {
    let measured: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let net = Network::Simnet;
    let setup = Instant::now();
    let pool = ExtendedKey::master(net, &[1u8; 32]).expect("key");
    let pool_pk: PubKey = pool.pubkey();
    let users = ExtendedKey::master(net, &[2u8; 32]).expect("key").neuter();
    let mut scripts = Vec::with_capacity(SCRIPTS as usize);
    let mut by_hash = HashMap::new();
    for i in 0..SCRIPTS {
        let user = users.child(i).expect("child").pubkey();
        let ms = pool_ticket_multisig(net, &pool_pk, &user);
        by_hash.insert(ms.address.hash160(), scripts.len());
        scripts.push((ms.address, ms.redeem_script));
    }
    let mut cfg = ChainConfig::simnet();
    cfg.max_fresh_stake = Some(4096);
    let mut b = Bench {
        chain: Chain::new(cfg),
        pool_secret: pool.secret_bytes().expect("private"),
        scripts,
        by_hash,
        fee_addr: Address::p2pkh_from_pubkey(net, &pool_pk),
        counter: 0,
        time: 1_700_000_000,
    };
    let svh = u64::from(net.params().stake.stake_validation_height);
    while (b.chain.height() as u64) < svh - 1 {
        let h = b.chain.height();
        if h >= 31 && b.chain.live_count() + b.chain.immature_count() < LIVE {
            b.buy(2048);
        }
        b.mine();
    }
    eprintln!(
        "setup: height {}, {} live tickets, {} multisig scripts in {:.1}s",
        b.chain.height(),
        b.chain.live_count(),
        SCRIPTS,
        setup.elapsed().as_secs_f64()
    );
    assert!(b.chain.live_count() >= LIVE, "pool not filled");
    let start = Instant::now();
    for _ in 0..measured {
        b.buy(5);
        b.vote_all();
        b.mine();
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "mined {measured} blocks with 5 votes and 5 tickets each at {} live tickets in {secs:.2}s",
        b.chain.live_count()
    );
    println!(
        "{{\"metric\":\"blocks_per_second\",\"value\":{:.2},\"unit\":\"blocks/s\"}}",
        measured as f64 / secs
    );
}
