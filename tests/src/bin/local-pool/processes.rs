//! `local-pool --processes`: the pool as plain processes of this user (no root, no lab):
//! exccd + a cold fee wallet + the voting wallet (stake-pool mode) + stakepoold (gRPC over
//! mutual TLS, /healthz, /metrics) + the web service (`exccstakepool`, SQLite in its
//! directory, configured like a web host's: the test CA's client certificate, the started
//! stakepoold as its voting node), a demo user signed up in the web service whose tickets
//! the pool votes, and a miner.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use pool_tests::filler::{Filler, hashes};
use pool_tests::simnet::{Daemon, start_node, start_pool_wallet, start_wallet};
use pool_tests::stakepoold::{PoolPki, Stakepoold};
use pool_tests::web::{WebService, WebSetup};
use serde_json::json;

use crate::{DEMO_EMAIL, DEMO_PASSWORD, Options, StopSignal};

/// The pool's fee (the voting wallet's `--poolfees` and stakepoold's `pool_fees`).
const FEE_PERCENT: &str = "7.5";
/// Accounts the web service takes: one voting-wallet address per user, all synced.
const MAX_USERS: u32 = 100;
/// How long the web service may take to see its voting node healthy.
const HEALTH_SECS: u64 = 60;

/// The running pool: every process local-pool started (each stopped when dropped).
struct Pool {
    node: Daemon,
    wallet: Daemon,
    filler: Filler,
    pki: PoolPki,
    spd: Stakepoold,
    web: WebService,
    /// Kept running for the demo user's tickets (and dropped, stopped, with the pool).
    _wallets: [Daemon; 2],
    multisig: String,
    tickets: usize,
}

pub async fn run(opts: &Options, stop: &mut StopSignal) -> anyhow::Result<()> {
    let dir = opts
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("/var/tmp/excc-local-pool"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("removing the previous run's {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    println!("local pool in {}", dir.display());
    // A stop while the pool comes up drops what was started so far, stopping it.
    let Some(pool) = stop.unless_stopped(start(&dir)).await else {
        println!("stopping");
        return Ok(());
    };
    let mut pool = pool?;
    print_summary(&pool, opts.block_secs);
    mine(&mut pool, opts, stop).await;
    println!("stopping");
    pool.stop()
}

/// Chain, wallets, stakepoold, the web service and the demo user's first tickets.
async fn start(dir: &Path) -> anyhow::Result<Pool> {
    let node = start_node(dir, "exccd", &[]).await;
    let cold = start_wallet(dir, "cold-wallet", &node, &["--createtemp".into()]).await;
    let cold_xpub = cold.ok_str("getmasterpubkey", json!(["default"])).await;
    let filler_wallet = start_wallet(dir, "other-stakers", &node, &["--createtemp".into()]).await;
    filler_wallet
        .ok("walletpassphrase", json!(["password", 0]))
        .await;
    let mut filler = Filler::new(filler_wallet);
    let wallet = start_pool_wallet(dir, "voting-wallet", &node, &cold_xpub).await;
    // The web service gives user N the voting wallet's address N: the wallet must know them
    // (poolctl apply syncs `voting_address_count` the same way).
    wallet
        .ok("accountsyncaddressindex", json!(["default", 0, MAX_USERS]))
        .await;
    let voting_xpub = wallet.ok_str("getmasterpubkey", json!(["default"])).await;
    let user_wallet = start_wallet(dir, "user-wallet", &node, &["--createtemp".into()]).await;
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
    let spd = Stakepoold::start(dir, "stakepoold", &pki, &node, &wallet, &cold_xpub).await;

    // The web service, configured like a web host's: the CA that signed stakepoold's
    // certificate, a client certificate from it, the started stakepoold as voting node.
    let ca = pki.ca.write_cert(&pki.dir.join("ca.cert"));
    let client = pki.ca.issue("web", &pki.dir);
    let setup = WebSetup {
        network: "simnet".into(),
        fee_percent: FEE_PERCENT.into(),
        cold_wallet_xpub: cold_xpub.clone(),
        voting_wallet_xpub: voting_xpub,
        max_users: MAX_USERS,
        ca,
        client_cert: client.cert,
        client_key: client.key,
        voting_nodes: vec![("stakepoold".into(), format!("127.0.0.1:{}", spd.grpc_port))],
    };
    println!("starting the web service…");
    let mut web = WebService::start_with(&dir.join("web"), &setup, &[DEMO_EMAIL]).await;
    if let Err(e) = web.wait_healthy(HEALTH_SECS).await {
        bail!("the web service did not become healthy: {e}");
    }

    // The demo user: an account in the web service (as signing up does), its ticket address
    // through the JSON API as a wallet gets it, and tickets bought to it.
    let (_, token) = web.create_user(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (_, user_pka) = user_wallet.new_address().await;
    let r = web
        .api(
            "POST",
            "/api/v1/address",
            &token,
            &format!("UserPubKeyAddr={user_pka}"),
        )
        .await;
    if r["code"] != 0 {
        bail!("the web service refused the demo user's address: {r}");
    }
    let info = web.api("GET", "/api/v1/getpurchaseinfo", &token, "").await;
    let info = &info["data"];
    let multisig = info["TicketAddress"]
        .as_str()
        .context("getpurchaseinfo: TicketAddress")?
        .to_owned();
    let fee_address = info["PoolAddress"]
        .as_str()
        .context("getpurchaseinfo: PoolAddress")?;
    let fee = info["PoolFees"]
        .as_f64()
        .context("getpurchaseinfo: PoolFees")?;
    let bought = user_wallet
        .ok(
            "purchaseticket",
            json!(["default", 1000, 1, multisig, 5, fee_address, fee]),
        )
        .await;
    Ok(Pool {
        node,
        wallet,
        filler,
        pki,
        spd,
        web,
        _wallets: [cold, user_wallet],
        multisig,
        tickets: hashes(&bought).len(),
    })
}

fn print_summary(p: &Pool, block_secs: u64) {
    let web = &p.web;
    println!();
    println!("pool is up (simnet):");
    println!(
        "  exccd          https://{}  user u / pass p, cert {}",
        p.node.addr,
        p.node.cert.display()
    );
    println!(
        "  voting wallet  https://{}  cert {}",
        p.wallet.addr,
        p.wallet.cert.display()
    );
    println!(
        "  stakepoold     gRPC 127.0.0.1:{} (client certs from {})",
        p.spd.grpc_port,
        p.pki.dir.display()
    );
    println!(
        "                 http://127.0.0.1:{}/healthz  /metrics",
        p.spd.http_port
    );
    println!(
        "  web service    {} (config {}, log {})",
        web.base_url,
        web.dir.join("exccstakepool.toml").display(),
        web.proc.log.display()
    );
    println!(
        "  demo user      sign in at {}/signin as {DEMO_EMAIL} / {DEMO_PASSWORD} (an admin: {}/admin/status)",
        web.base_url, web.base_url
    );
    println!(
        "                 ticket address {}: {} tickets mature in 16 blocks",
        p.multisig, p.tickets
    );
    println!("  a block every {block_secs} s; Ctrl-C stops the pool");
}

/// A block every `--block-secs` until a stop (or `--blocks`).
async fn mine(p: &mut Pool, opts: &Options, stop: &mut StopSignal) {
    let mut tick = tokio::time::interval(Duration::from_secs(opts.block_secs));
    let mut mined = 0;
    // A stop asked for while a block is being mined is kept for the next turn, not lost.
    while opts.blocks.is_none_or(|n| mined < n) {
        tokio::select! {
            _ = stop.recv() => break,
            _ = tick.tick() => {
                p.filler.prepare_block(&p.node).await;
                // Give stakepoold a moment to vote the pool's winners, then mine.
                tokio::time::sleep(Duration::from_millis(500)).await;
                match p.node.call("generate", json!([1])).await {
                    Ok(_) => {
                        mined += 1;
                        let h = p.node.ok("getblockcount", json!([])).await;
                        let health = p.spd.health().await;
                        println!("block {h}: stakepoold live tickets {}, healthy {}", health["live_tickets"], health["healthy"]);
                    }
                    Err(e) => println!("no block this round: {e}"),
                }
            }
        }
    }
}

impl Pool {
    /// Stops the web service, then stakepoold (each SIGTERM, a graceful stop), then the
    /// simulator's processes (dropped); an unclean stop is an error naming the log.
    fn stop(mut self) -> anyhow::Result<()> {
        let web = self.web.stop();
        let spd = self.spd.proc.terminate();
        let (web_log, spd_log) = (self.web.proc.log.clone(), self.spd.proc.log.clone());
        drop(self);
        if !web.success() {
            bail!(
                "the web service did not stop cleanly ({web}); see {}",
                web_log.display()
            );
        }
        if !spd.success() {
            bail!(
                "stakepoold did not stop cleanly ({spd}); see {}",
                spd_log.display()
            );
        }
        Ok(())
    }
}
