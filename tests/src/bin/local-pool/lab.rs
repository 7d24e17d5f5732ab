//! The pool on lab hosts provisioned by `poolctl lab up` (voting hosts, the web host `web1`
//! with nginx in front of the web service, MariaDB on `db1`), with a demo user signed up on
//! web1 over HTTPS (certificate verified against the pool CA) and blocks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use pool_tests::filler::Filler;
use pool_tests::https::HttpsClient;
use pool_tests::lab::{leader_node, load};
use pool_tests::simnet::start_wallet;
use pool_tests::site::SiteVisitor;
use pool_tests::traffic::Traffic;
use poolctl::config::PoolConfig;
use poolctl::lab::{LabHost, LabState};
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

/// The web side poolctl deployed: the first web host, the site's URL and the pool CA.
struct Site {
    host: LabHost,
    /// `https://ADDRESS` of the first web host (what `[web] base_url` says in the lab).
    url: String,
    ca: PathBuf,
    /// The database host, when MariaDB has its own.
    database: Option<String>,
    web_hosts: usize,
    /// The demo account's e-mail: the lab pool's admin, else [`DEMO_EMAIL`].
    email: String,
}

impl Site {
    fn of(dir: &Path, config: &PoolConfig) -> anyhow::Result<Site> {
        let lab = LabState::load(dir).context("reading the lab's lab.json")?;
        let Some(host) = lab.web_hosts.first().cloned() else {
            bail!(
                "the lab at {} has no web host: `poolctl lab down --dir {0}`, then run local-pool again (lab up boots web1 by default)",
                dir.display()
            );
        };
        let email = config
            .web
            .as_ref()
            .and_then(|w| w.site.admin_emails.first().cloned())
            .unwrap_or_else(|| DEMO_EMAIL.to_owned());
        Ok(Site {
            url: format!("https://{}", host.address),
            host,
            ca: config.state_dir().join("ca").join("ca.cert"),
            database: lab.database.map(|d| d.name),
            web_hosts: lab.web_hosts.len(),
            email,
        })
    }
}

/// Demo user, tickets and blocks until Ctrl-C or SIGTERM (or `--blocks`).
async fn drive(opts: &Options, dir: &Path, stop: &mut StopSignal) -> anyhow::Result<()> {
    let pool_toml = dir.join("pool").join("pool.toml");
    let config = load(&pool_toml);
    let site = Site::of(dir, &config)?;
    let Some(ready) = stop.unless_stopped(set_up(dir, &config, &site)).await else {
        return Ok(());
    };
    let (mut traffic, api_token) = ready?;

    let p = pool_toml.display();
    let (url, ca) = (&site.url, site.ca.display());
    println!();
    println!(
        "pool is up (simnet), {} voting hosts, {} web host{}:",
        config.hosts.len(),
        site.web_hosts,
        if site.web_hosts == 1 { "" } else { "s" }
    );
    println!("  pool.toml      {p}");
    println!("  status         poolctl status -f {p}");
    println!(
        "  a host         ssh -F {} {}",
        dir.join("ssh_config").display(),
        config.hosts[0].name
    );
    let database = match &site.database {
        Some(db) => format!("MariaDB on {db}"),
        None => "SQLite".to_owned(),
    };
    println!(
        "  web service    {url} ({}: nginx + exccstakepool, {database})",
        site.host.name
    );
    println!("  pool CA        {ca} (signed the web hosts' certificates)");
    println!("                 trust it: curl --cacert {ca} {url}/");
    println!(
        "                 browser: import {ca} as a certificate authority (Firefox: Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import; Chromium: certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n excc-lab-ca -i {ca})"
    );
    println!("                 (the lab's addresses are reachable from this machine only)");
    println!(
        "                 curl --cacert {ca} -H 'Authorization: Bearer {api_token}' {url}/api/v1/getpurchaseinfo"
    );
    println!("  demo user      {}", traffic.multisigs[0]);
    println!(
        "                 sign in at {url}/signin as {} / {DEMO_PASSWORD} (an admin: {url}/admin/status)",
        site.email
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

/// Wallets, the demo user on the deployed web service (signed up and in through web1's
/// forms over HTTPS, its API token from the settings page, its ticket address through the
/// JSON API as a wallet gets it) and its first tickets: (traffic, the demo user's API token).
async fn set_up(dir: &Path, config: &PoolConfig, site: &Site) -> anyhow::Result<(Traffic, String)> {
    // local-pool's own scratch (the wallets): fresh every run.
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

    let client = HttpsClient::new(&site.url, &site.ca)?;
    let mut visitor = SiteVisitor::new(client);
    visitor.get("/").await?;
    visitor.sign_up_and_in(&site.email, DEMO_PASSWORD).await?;
    let api_token = visitor.api_token().await?;
    let (_, user_pka) = user.new_address().await;
    let r = visitor
        .api(
            "POST",
            "/api/v1/address",
            &api_token,
            &format!("UserPubKeyAddr={user_pka}"),
        )
        .await?;
    // A demo user of an earlier run on the same lab keeps its first address.
    if r["code"] != 0 && !r.to_string().contains("already submitted") {
        bail!("the web service refused the demo user's address: {r}");
    }
    let info = visitor
        .api("GET", "/api/v1/getpurchaseinfo", &api_token, "")
        .await?;
    let info = &info["data"];
    let mut traffic = Traffic {
        node,
        filler: Filler::new(filler),
        users: user,
        multisigs: vec![
            info["TicketAddress"]
                .as_str()
                .context("getpurchaseinfo: TicketAddress")?
                .to_owned(),
        ],
        fee_address: info["PoolAddress"]
            .as_str()
            .context("getpurchaseinfo: PoolAddress")?
            .to_owned(),
        fee_percent: info["PoolFees"]
            .as_f64()
            .context("getpurchaseinfo: PoolFees")?,
        vote_wait: Duration::from_secs(2),
        pool_tickets: Default::default(),
        pool_winners: Vec::new(),
        slowest_votes: Duration::ZERO,
    };
    println!("mining to stake validation height; the demo user buys tickets from there…");
    traffic.to_pool_voting(5, 1).await;
    Ok((traffic, api_token))
}
