//! The pool on lab hosts provisioned by `poolctl lab up`, with a demo user and blocks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use pool_tests::filler::Filler;
use pool_tests::lab::{leader_node, load};
use pool_tests::simnet::start_wallet;
use pool_tests::traffic::Traffic;
use pool_tests::web::WebService;
use poolctl::config::PoolConfig;
use serde_json::json;

use crate::{DEMO_EMAIL, DEMO_PASSWORD, Options, StopSignal};

/// `poolctl` next to this program (the same build).
fn poolctl() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating local-pool itself")?;
    let p = exe.with_file_name("poolctl");
    if !p.is_file() {
        bail!(
            "{} is missing: build everything first (cargo build --release --workspace --bins)",
            p.display()
        );
    }
    Ok(p)
}

fn run_poolctl(args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(poolctl()?)
        .args(args)
        .status()
        .context("running poolctl")?;
    if !status.success() {
        bail!("poolctl {} failed ({status})", args.join(" "));
    }
    Ok(())
}

pub async fn run(opts: &Options, stop: &mut StopSignal) -> anyhow::Result<()> {
    if !poolctl::lab::is_root() {
        bail!(
            "the lab's voting hosts are systemd-nspawn containers and need root: run as root, or use --processes for a pool of plain processes"
        );
    }
    let dir = opts
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("/var/tmp/excc-lab"));
    let d = dir.to_str().context("the directory must be UTF-8")?;
    let hosts = opts.hosts.to_string();
    // A lab that was up before (the operator's) is used, and left up afterwards.
    let existed = dir.join("lab.json").exists();
    println!("local pool: poolctl lab up --hosts {hosts} --dir {d}");
    if let Err(e) = run_poolctl(&["lab", "up", "--hosts", &hosts, "--dir", d]) {
        if !existed {
            // Leave no half-booted lab behind.
            let _ = run_poolctl(&["lab", "down", "--dir", d]);
        }
        return Err(e);
    }
    let result = drive(opts, &dir, stop).await;
    if opts.keep || existed {
        println!("the lab stays up; `poolctl lab down --dir {d}` removes it");
    } else {
        println!("stopping: poolctl lab down --dir {d}");
        run_poolctl(&["lab", "down", "--dir", d])?;
    }
    result
}

/// Demo user, tickets and blocks until Ctrl-C or SIGTERM (or `--blocks`).
async fn drive(opts: &Options, dir: &Path, stop: &mut StopSignal) -> anyhow::Result<()> {
    let pool_toml = dir.join("pool").join("pool.toml");
    let config = load(&pool_toml);
    let Some(ready) = stop.unless_stopped(set_up(dir, &config)).await else {
        return Ok(());
    };
    let (mut traffic, web, api_token) = ready?;

    let p = pool_toml.display();
    println!();
    println!("pool is up (simnet), {} voting hosts:", config.hosts.len());
    println!("  pool.toml      {p}");
    println!("  status         poolctl status -f {p}");
    println!(
        "  a host         ssh -F {} {}",
        dir.join("ssh_config").display(),
        config.hosts[0].name
    );
    println!(
        "  web client     gRPC :{} on every host with {}/ca/clients/web.{{cert,key}}",
        poolctl::plan::render::ports(&config).grpc,
        config.state_dir().display()
    );
    println!(
        "  web service    {} (log {})",
        web.base_url,
        web.proc.log.display()
    );
    println!(
        "                curl -H 'Authorization: Bearer {api_token}' {}/api/v1/getpurchaseinfo",
        web.base_url
    );
    println!("  demo user      {}", traffic.multisigs[0]);
    println!(
        "                sign in at {}/signin as {DEMO_EMAIL} / {DEMO_PASSWORD} (an admin: {}/admin/status)",
        web.base_url, web.base_url
    );
    println!(
        "  a block every {} s; Ctrl-C stops the pool",
        opts.block_secs
    );

    let mut tick = tokio::time::interval(Duration::from_secs(opts.block_secs));
    let mut mined = 0;
    // A stop asked for while a block is being mined is kept for the next turn, not lost.
    while opts.blocks.is_none_or(|n| mined < n) {
        tokio::select! {
            _ = stop.recv() => break,
            _ = tick.tick() => {
                let (height, voted) = traffic.block(5).await;
                mined += 1;
                let missed = traffic.missed_pool_tickets().await.len();
                println!(
                    "block {}: {voted} pool votes; {} pool tickets bought, {missed} missed",
                    height + 1,
                    traffic.pool_tickets.len()
                );
            }
        }
    }
    let missed = traffic.missed_pool_tickets().await;
    if !missed.is_empty() {
        bail!("pool tickets were missed: {missed:?}");
    }
    Ok(())
}

/// Wallets, the web service in front of the lab's stakepoolds, the demo user and its first
/// tickets: (traffic, web service, the demo user's API token).
async fn set_up(dir: &Path, config: &PoolConfig) -> anyhow::Result<(Traffic, WebService, String)> {
    // local-pool's own scratch (wallets, the web service's database): fresh every run.
    let local = dir.join("local");
    if local.exists() {
        std::fs::remove_dir_all(&local).context("removing the previous run's local directory")?;
    }
    std::fs::create_dir_all(&local).context("creating the local directory")?;
    let node = leader_node(config).await;
    let filler = start_wallet(&local, "other-stakers", &node, &["--createtemp".into()]).await;
    filler.ok("walletpassphrase", json!(["password", 0])).await;
    let user = start_wallet(&local, "demo-user", &node, &["--createtemp".into()]).await;
    user.ok("walletpassphrase", json!(["password", 0])).await;
    // The web service in front of the lab's stakepoolds; the demo user gets its ticket
    // address through the JSON API, as a wallet would.
    let web = WebService::start(&local.join("web"), config, &[DEMO_EMAIL]).await;
    let (_, api_token) = web.create_user(DEMO_EMAIL, DEMO_PASSWORD).await;
    let (_, user_pka) = user.new_address().await;
    let r = web
        .api(
            "POST",
            "/api/v1/address",
            &api_token,
            &format!("UserPubKeyAddr={user_pka}"),
        )
        .await;
    if r["code"] != 0 {
        bail!("the web service refused the demo user's address: {r}");
    }
    let info = web
        .api("GET", "/api/v1/getpurchaseinfo", &api_token, "")
        .await;
    let info = &info["data"];
    let mut traffic = Traffic {
        node,
        filler: Filler::new(filler),
        users: user,
        multisigs: vec![
            info["TicketAddress"]
                .as_str()
                .context("TicketAddress")?
                .to_owned(),
        ],
        fee_address: info["PoolAddress"]
            .as_str()
            .context("PoolAddress")?
            .to_owned(),
        fee_percent: info["PoolFees"].as_f64().context("PoolFees")?,
        vote_wait: Duration::from_secs(2),
        pool_tickets: Default::default(),
        pool_winners: Vec::new(),
        slowest_votes: Duration::ZERO,
    };
    println!("mining to stake validation height; the demo user buys tickets from there…");
    traffic.to_pool_voting(5, 1).await;
    Ok((traffic, web, api_token))
}
