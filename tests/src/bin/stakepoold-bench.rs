//! Benchmark of stakepoold on the simulated network at pool scale:
//! 40,960 live pool tickets of 10,000 users (1-of-2 multisig scripts).
//!
//! Reports, one JSON line each (the last one is the headline):
//! * cold start: stakepoold spawn → all tickets classified (`/healthz` live count), target < 5 s;
//! * peak memory (VmHWM) of stakepoold;
//! * vote latency: block connected (`generate` returns, `winningtickets` sent) → the 5th
//!   vote in the node's mempool, p50/p99 over the measured blocks, target p99 < 50 ms.
//!
//! `cargo build --release --workspace --bins && target/release/stakepoold-bench [--users N] [--tickets N] [--blocks N]`

use std::time::{Duration, Instant};

use excc_chain::hd::EXTERNAL_BRANCH;
use excc_chain::script::pool_ticket_multisig;
use excc_chain::{ExtendedKey, Network};
use futures_util::StreamExt;
use pool_tests::bench::{arg, metric};
use pool_tests::filler::Filler;
use pool_tests::simnet::{
    Daemon, mempool_votes, start_node, start_pool_wallet, start_wallet, tip_winners,
};
use pool_tests::stakepoold::{PoolPki, Stakepoold};
use serde_json::json;
use stakepoold_proto::v1 as pb;

fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Waits until every ticket in `winners` has a vote in the node's mempool.
async fn all_voted(node: &Daemon, winners: Vec<excc_chain::ChainHash>) {
    loop {
        let votes = mempool_votes(node).await;
        if winners.iter().all(|w| votes.iter().any(|v| v.ticket == *w)) {
            return;
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

/// Mines one block: other stakers vote theirs, the voting wallet (by hand, as
/// stakepoold would) votes the pool's. Returns the new height.
async fn mine_voting_by_hand(node: &Daemon, wallet: &Daemon, filler: &mut Filler) -> u64 {
    let tip = filler.prepare_block(node).await;
    for w in tip.winners.iter().filter(|w| !filler.tickets.contains(w)) {
        let v = wallet
            .ok(
                "generatevote",
                json!([tip.hash, tip.height, w.to_string(), 1, "0a000000"]),
            )
            .await;
        node.ok("sendrawtransaction", json!([v["hex"]])).await;
    }
    node.ok("generate", json!([1])).await;
    tip.height + 1
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users = arg("--users", 10_000usize);
    let tickets = arg("--tickets", 40_960usize);
    let blocks = arg("--blocks", 50usize);
    let dir = tempfile::Builder::new()
        .prefix("stakepoold-bench-")
        .tempdir()?;
    let root = dir.path();
    eprintln!(
        "setting up {tickets} pool tickets of {users} users in {}",
        root.display()
    );

    let node = start_node(
        root,
        "node",
        &["--maxfreshstake=2500".into(), "--nopersist".into()],
    )
    .await;
    let cold = start_wallet(root, "cold", &node, &["--createtemp".into()]).await;
    let cold_xpub = cold.ok_str("getmasterpubkey", json!(["default"])).await;
    let fee_addr = cold
        .ok_str("getnewaddress", json!(["default", "ignore"]))
        .await;
    let wallet = start_pool_wallet(root, "voting-wallet", &node, &cold_xpub).await;
    let buyer = start_wallet(root, "buyer", &node, &["--createtemp".into()]).await;
    buyer.ok("walletpassphrase", json!(["password", 0])).await;

    // Users' 1-of-2 scripts, built locally from the pool wallet's account xpub and user keys.
    let pool_xpub = wallet.ok_str("getmasterpubkey", json!(["default"])).await;
    let pool_branch =
        ExtendedKey::decode_xpub_for(&pool_xpub, Network::Simnet)?.child(EXTERNAL_BRANCH)?;
    let user_branch = ExtendedKey::master(Network::Simnet, &[7u8; 32])?.child(EXTERNAL_BRANCH)?;
    let scripts: Vec<_> = (0..users as u32)
        .map(|i| {
            let pool = pool_branch.child(i).expect("pool key").pubkey();
            let user = user_branch.child(i).expect("user key").pubkey();
            pool_ticket_multisig(Network::Simnet, &pool, &user)
        })
        .collect();
    wallet
        .ok("accountsyncaddressindex", json!(["default", 0, users]))
        .await;
    let started = Instant::now();
    futures_util::stream::iter(&scripts)
        .map(|m| {
            wallet.ok(
                "importscript",
                json!([hex::encode(&m.redeem_script), false]),
            )
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    eprintln!(
        "imported {users} scripts in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Other stakers keep blocks coming until the pool's tickets dominate.
    let filler = start_wallet(root, "other-stakers", &node, &["--createtemp".into()]).await;
    filler.ok("walletpassphrase", json!(["password", 0])).await;
    let mut filler = Filler::new(filler);
    while node
        .ok("getblockcount", json!([]))
        .await
        .as_u64()
        .unwrap_or(0)
        < 143
    {
        filler.prepare_block(&node).await;
        node.ok("generate", json!([1])).await;
    }
    // Pool tickets can be bought from StakeValidationHeight-1 (the pool fee needs a vote
    // subsidy); 2,500 a block. Until stakepoold runs, this harness votes the pool's winners.
    let per_user = tickets.div_ceil(users);
    let mut bought = 0;
    let mut in_block = 0;
    let mut last_purchase = 0;
    for m in scripts.iter().cycle() {
        if bought >= tickets {
            break;
        }
        let n = (tickets - bought).min(per_user).min(2500 - in_block);
        buyer
            .ok(
                "purchaseticket",
                json!([
                    "default",
                    100000,
                    1,
                    m.address.to_string(),
                    n,
                    fee_addr,
                    7.5
                ]),
            )
            .await;
        bought += n;
        in_block += n;
        if in_block == 2500 || bought >= tickets {
            last_purchase = mine_voting_by_hand(&node, &wallet, &mut filler).await;
            in_block = 0;
        }
    }
    while mine_voting_by_hand(&node, &wallet, &mut filler).await < last_purchase + 17 {}
    eprintln!(
        "{bought} pool tickets live after {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Cold start: spawn → every ticket classified.
    // Some pool tickets already won (and were voted) while they were being bought.
    let live = wallet.ok("gettickets", json!([false])).await["hashes"]
        .as_array()
        .map_or(0, Vec::len);
    let pki = PoolPki::new(&root.join("pki"));
    let cold_start = Instant::now();
    let spd = Stakepoold::start(root, "stakepoold", &pki, &node, &wallet, &cold_xpub).await;
    loop {
        let h = spd.health().await;
        if h["live_tickets"].as_u64() == Some(live as u64) {
            break;
        }
        anyhow::ensure!(
            cold_start.elapsed() < Duration::from_secs(300),
            "stakepoold never classified all tickets: {h}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cold_secs = cold_start.elapsed().as_secs_f64();
    let mut api = pki.client(spd.grpc_port, "web", None).await?;
    let prefs = scripts
        .iter()
        .enumerate()
        .map(|(i, m)| pb::UserVotingPrefs {
            user_id: i as i64 + 1,
            multisig_address: m.address.to_string(),
            vote_bits: 1,
            vote_bits_version: 10,
        })
        .collect();
    api.set_user_voting_prefs(pb::SetUserVotingPrefsRequest { users: prefs })
        .await?;

    // Vote latency per block: the other stakers vote theirs before the block; the
    // clock runs from the block's connection to the last pool vote in the mempool.
    let mut latencies = Vec::new();
    let pool_winners =
        |winners: Vec<excc_chain::ChainHash>, filler: &Filler| -> Vec<excc_chain::ChainHash> {
            winners
                .into_iter()
                .filter(|w| !filler.tickets.contains(w))
                .collect()
        };
    let (_, _, winners) = tip_winners(&node).await;
    tokio::time::timeout(
        Duration::from_secs(30),
        all_voted(&node, pool_winners(winners, &filler)),
    )
    .await?;
    for _ in 0..blocks {
        filler.prepare_block(&node).await;
        node.ok("generate", json!([1])).await;
        let t0 = Instant::now();
        let (_, _, winners) = tip_winners(&node).await;
        tokio::time::timeout(
            Duration::from_secs(30),
            all_voted(&node, pool_winners(winners, &filler)),
        )
        .await?;
        latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let rss = peak_rss_mib(spd.proc.child.id());
    eprintln!("live pool tickets {live}, users {users}, blocks {blocks}");
    metric("stakepoold_cold_start_classify_seconds", cold_secs, "s");
    metric("stakepoold_peak_rss", rss, "MiB");
    metric(
        "stakepoold_vote_latency_p50",
        percentile(&latencies, 0.5),
        "ms",
    );
    metric(
        "stakepoold_vote_latency_p99",
        percentile(&latencies, 0.99),
        "ms",
    );
    Ok(())
}
