//! `local-pool --processes`: the pool as plain processes of this user (no root, no lab):
//! exccd + a cold fee wallet + the voting wallet (stake-pool mode) + stakepoold (gRPC over
//! mutual TLS, /healthz, /metrics), a demo user whose tickets it votes, and a miner.

use std::path::PathBuf;
use std::time::Duration;

use crate::Options;

use pool_tests::filler::{Filler, hashes};
use pool_tests::simnet::{start_node, start_pool_wallet, start_wallet};
use pool_tests::stakepoold::{PoolPki, Stakepoold};
use serde_json::json;
use stakepoold_proto::v1 as pb;

pub async fn run(opts: &Options) -> anyhow::Result<()> {
    let dir = opts
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("/var/tmp/excc-local-pool"));
    let block_secs = opts.block_secs;
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    println!("local pool in {}", dir.display());

    let node = start_node(&dir, "exccd", &[]).await;
    let cold = start_wallet(&dir, "cold-wallet", &node, &["--createtemp".into()]).await;
    let cold_xpub = cold.ok_str("getmasterpubkey", json!(["default"])).await;
    let fee_addr = cold
        .ok_str("getnewaddress", json!(["default", "ignore"]))
        .await;
    let filler_wallet = start_wallet(&dir, "other-stakers", &node, &["--createtemp".into()]).await;
    filler_wallet
        .ok("walletpassphrase", json!(["password", 0]))
        .await;
    let mut filler = Filler::new(filler_wallet);
    let wallet = start_pool_wallet(&dir, "voting-wallet", &node, &cold_xpub).await;
    let user_wallet = start_wallet(&dir, "user-wallet", &node, &["--createtemp".into()]).await;
    user_wallet
        .ok("walletpassphrase", json!(["password", 0]))
        .await;

    println!("mining to stake validation height…");
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

    let pki = PoolPki::new(&dir.join("pool-ca"));
    let spd = Stakepoold::start(&dir, "stakepoold", &pki, &node, &wallet, &cold_xpub).await;

    // A demo user: 1-of-2 multisig with the pool key first, voting preferences, tickets.
    let pool_addr = wallet
        .ok_str("getnewaddress", json!(["default", "ignore"]))
        .await;
    let pool_pka = wallet.ok("validateaddress", json!([pool_addr])).await["pubkeyaddr"].clone();
    let user_addr = user_wallet
        .ok_str("getnewaddress", json!(["default", "ignore"]))
        .await;
    let user_pka =
        user_wallet.ok("validateaddress", json!([user_addr])).await["pubkeyaddr"].clone();
    let ms = wallet
        .ok("createmultisig", json!([1, [pool_pka, user_pka]]))
        .await;
    let multisig = ms["address"].as_str().unwrap_or_default().to_string();
    wallet
        .ok("importscript", json!([ms["redeemScript"], true, 143]))
        .await;
    let mut api = pki.client(spd.grpc_port, "web", None).await?;
    let prefs = pb::UserVotingPrefs {
        user_id: 1,
        multisig_address: multisig.clone(),
        vote_bits: 1,
        vote_bits_version: 10,
    };
    api.set_user_voting_prefs(pb::SetUserVotingPrefsRequest { users: vec![prefs] })
        .await?;
    let tickets = hashes(
        &user_wallet
            .ok(
                "purchaseticket",
                json!(["default", 1000, 1, multisig, 5, fee_addr, 7.5]),
            )
            .await,
    );

    println!();
    println!("pool is up (simnet):");
    println!(
        "  exccd          https://{}  user u / pass p, cert {}",
        node.addr,
        node.cert.display()
    );
    println!(
        "  voting wallet  https://{}  cert {}",
        wallet.addr,
        wallet.cert.display()
    );
    println!(
        "  stakepoold     gRPC 127.0.0.1:{} (client certs from {})",
        spd.grpc_port,
        pki.dir.display()
    );
    println!(
        "                 http://127.0.0.1:{}/healthz  /metrics",
        spd.http_port
    );
    println!(
        "  demo user      {multisig}: {} tickets mature in 16 blocks",
        tickets.len()
    );
    println!("  a block every {block_secs} s; Ctrl-C stops the pool");

    let mut tick = tokio::time::interval(Duration::from_secs(block_secs));
    let mut mined = 0;
    // One Ctrl-C listener for the whole run: a signal that arrives while a block is
    // being mined is kept for the next turn, not lost.
    let mut stop = std::pin::pin!(tokio::signal::ctrl_c());
    while opts.blocks.is_none_or(|n| mined < n) {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {
                filler.prepare_block(&node).await;
                // Give stakepoold a moment to vote the pool's winners, then mine.
                tokio::time::sleep(Duration::from_millis(500)).await;
                match node.call("generate", json!([1])).await {
                    Ok(_) => {
                        mined += 1;
                        let h = node.ok("getblockcount", json!([])).await;
                        let health = spd.health().await;
                        println!("block {h}: stakepoold live tickets {}, healthy {}", health["live_tickets"], health["healthy"]);
                    }
                    Err(e) => println!("no block this round: {e}"),
                }
            }
        }
    }
    println!("stopping");
    Ok(())
}
