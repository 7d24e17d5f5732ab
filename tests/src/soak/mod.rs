//! The soak: a lab pool (three voting hosts applied by poolctl, the web service
//! in front of them, users changing their preferences as it runs) mines blocks
//! with pool tickets winning every block while faults hit the hosts one after
//! the other: two rolling upgrades, stakepoold killed mid-vote, a host powered
//! off, an exccd cut from its peers, a locked wallet, an exccd restart, the
//! web service down. Each fault records whether `/healthz` saw it and after how
//! many blocks the host was healthy again. At the end the chain says how many
//! pool tickets were missed, and `poolctl audit votes` checks every vote's bits.
//!
//! `pool-soak --blocks 1000` is the benchmark; `tests/tests/pool_soak.rs` runs a
//! 150-block version in CI. Needs root (the lab).

pub mod hosts;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::json;

use crate::filler::Filler;
use crate::lab::{leader_node, load};
use crate::simnet::start_wallet;
use crate::traffic::Traffic;
use crate::web::WebService;
use hosts::LabHosts;

/// How long the miner waits for the pool winners' votes before it mines anyway.
const VOTE_WAIT: Duration = Duration::from_secs(4);
/// Pool users (web accounts) buying tickets and changing preferences.
const USERS: usize = 3;

#[derive(Clone, Debug)]
pub struct SoakOptions {
    pub blocks: u64,
    /// Lab directory (`poolctl lab up --dir`).
    pub dir: PathBuf,
}

/// What one fault did.
#[derive(Clone, Debug, Serialize)]
pub struct FaultOutcome {
    pub fault: String,
    pub host: String,
    /// Blocks mined before the fault began, and how many it lasted.
    pub at_block: u64,
    pub blocks: u64,
    /// `/healthz` (stakepoold's, or the web service's for the web outage)
    /// reported it: unhealthy or not answering while it lasted.
    pub detected: bool,
    /// Blocks from the end of the fault until healthy again (`None`: never, within the run).
    pub recovered_after: Option<u64>,
    /// `/healthz` problems when it did not recover.
    pub problems: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SoakReport {
    pub blocks: u64,
    pub pool_winners: u64,
    pub votes: u64,
    pub missed: u64,
    /// From `poolctl audit votes` (`None` if the audit could not run).
    pub bit_mismatches: Option<u64>,
    pub audit_ok: bool,
    /// Preferences saved through the web service's API and pushed to every
    /// voting node (EXCC defines no agendas: `1` is the only valid vote bits,
    /// so a save cannot change the bits; it exercises the push path).
    pub preference_saves: u64,
    /// Upper bound of the p99 bucket of stakepoold's vote latency, over every host.
    pub vote_latency_p99_ms: f64,
    pub faults: Vec<FaultOutcome>,
}

/// One step of the schedule.
#[derive(Clone, Debug)]
enum Step {
    Mine(u64),
    Upgrade(&'static str),
    KillStakepoold(&'static str),
    PowerOff(&'static str, u64),
    CutFromPeers(&'static str, u64),
    LockWallet(&'static str, u64),
    RestartExccd(&'static str),
    WebDown(u64),
}

/// The faults in order, scaled to `blocks` (durations of the 1,000-block run:
/// power-off 50, cut 20, lock 10, web down 100; at least a few blocks each).
fn schedule(blocks: u64) -> Vec<Step> {
    let scaled = |per_thousand: u64, min: u64| (blocks * per_thousand / 1000).max(min);
    let gap = scaled(40, 4);
    vec![
        Step::Mine(gap),
        Step::Upgrade("v2"),
        Step::Mine(gap),
        Step::KillStakepoold("voting1"),
        Step::Mine(gap),
        Step::PowerOff("voting2", scaled(50, 6)),
        Step::Mine(gap),
        Step::CutFromPeers("voting3", scaled(20, 4)),
        Step::Mine(gap),
        Step::LockWallet("voting2", scaled(10, 3)),
        Step::Mine(gap),
        Step::RestartExccd("voting3"),
        Step::Mine(gap),
        Step::WebDown(scaled(100, 10)),
        Step::Mine(gap),
        Step::Upgrade("v3"),
        Step::Mine(gap),
    ]
}

/// The running pool: chain traffic, the web service, the hosts.
struct Soak {
    traffic: Traffic,
    web: WebService,
    web_up: bool,
    /// (user id, API token, current vote bits) of every user.
    users: Vec<(i64, String, u16)>,
    hosts: LabHosts,
    pool_toml: PathBuf,
    mined: u64,
    preference_saves: u64,
}

pub async fn run(opts: &SoakOptions) -> anyhow::Result<SoakReport> {
    if !poolctl::lab::is_root() {
        bail!("the soak runs on lab hosts (systemd-nspawn containers) and needs root");
    }
    let d = opts
        .dir
        .to_str()
        .context("the lab directory must be UTF-8")?;
    poolctl_cmd(&["lab", "up", "--web-hosts", "0", "--hosts", "3", "--dir", d])?;
    let result = soak(opts).await;
    let down = poolctl_cmd(&["lab", "down", "--dir", d]);
    let report = result?;
    down?;
    Ok(report)
}

fn poolctl_cmd(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(crate::proc::bin("poolctl"))
        .args(args)
        .output()
        .context("running poolctl (build it first: cargo build --bins)")?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "poolctl {} failed ({}):\n{stdout}\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(stdout)
}

async fn soak(opts: &SoakOptions) -> anyhow::Result<SoakReport> {
    let pool_toml = opts.dir.join("pool").join("pool.toml");
    let config = load(&pool_toml);
    let local = opts.dir.join("soak");
    if local.exists() {
        std::fs::remove_dir_all(&local).context("removing the last soak's directory")?;
    }
    std::fs::create_dir_all(&local)?;
    let node = leader_node(&config).await;
    let filler = start_wallet(&local, "other-stakers", &node, &["--createtemp".into()]).await;
    filler.ok("walletpassphrase", json!(["password", 0])).await;
    let wallet = start_wallet(&local, "users", &node, &["--createtemp".into()]).await;
    wallet.ok("walletpassphrase", json!(["password", 0])).await;
    let web = WebService::start(&local.join("web"), &config, &[]).await;
    let mut users = Vec::new();
    let mut multisigs = Vec::new();
    let mut purchase = serde_json::Value::Null;
    for i in 0..USERS {
        let (id, token) = web
            .create_user(&format!("soak{i}@localhost"), "soak-password-long")
            .await;
        let (_, pubkey) = wallet.new_address().await;
        let r = web
            .api(
                "POST",
                "/api/v1/address",
                &token,
                &format!("UserPubKeyAddr={pubkey}"),
            )
            .await;
        if r["code"] != 0 {
            bail!("the web service refused user {i}'s address: {r}");
        }
        purchase = web.api("GET", "/api/v1/getpurchaseinfo", &token, "").await["data"].clone();
        multisigs.push(
            purchase["TicketAddress"]
                .as_str()
                .context("TicketAddress")?
                .to_owned(),
        );
        users.push((id, token, 1));
    }
    let traffic = Traffic {
        node,
        filler: Filler::new(filler),
        users: wallet,
        multisigs,
        fee_address: purchase["PoolAddress"]
            .as_str()
            .context("PoolAddress")?
            .to_owned(),
        fee_percent: purchase["PoolFees"].as_f64().context("PoolFees")?,
        vote_wait: VOTE_WAIT,
        pool_tickets: Default::default(),
        pool_winners: Vec::new(),
        slowest_votes: Duration::ZERO,
    };
    let mut s = Soak {
        traffic,
        web,
        web_up: true,
        users,
        hosts: LabHosts::load(&opts.dir, config)?,
        pool_toml,
        mined: 0,
        preference_saves: 0,
    };
    s.traffic.to_pool_voting(10, 3).await;
    let first_winner = s.traffic.pool_winners.len();
    let mut faults = Vec::new();
    for step in schedule(opts.blocks) {
        if let Some(f) = s.step(step).await? {
            eprintln!("soak: {}", serde_json::to_string(&f)?);
            faults.push(f);
        }
    }
    while s.mined < opts.blocks {
        s.block().await;
    }
    // Votes of the last tip's winners land in one more block.
    s.traffic.block(0).await;
    let winners: u64 = s.traffic.pool_winners[first_winner..]
        .iter()
        .map(|(_, n)| *n as u64)
        .sum();
    let missed = s.traffic.missed_pool_tickets().await.len() as u64;
    let (audit_ok, bit_mismatches) = audit(&s.pool_toml);
    Ok(SoakReport {
        blocks: s.mined,
        pool_winners: winners,
        votes: winners.saturating_sub(missed),
        missed,
        bit_mismatches,
        audit_ok,
        preference_saves: s.preference_saves,
        vote_latency_p99_ms: s.vote_latency_p99_ms(),
        faults,
    })
}

/// True when the web service's `/healthz` answers at all (200 or 503).
fn web_answers(web: &WebService) -> bool {
    Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-m", "2", "-w", "%{http_code}"])
        .arg(format!("{}/healthz", web.base_url))
        .output()
        .is_ok_and(|o| matches!(&o.stdout[..], b"200" | b"503"))
}

/// `poolctl audit votes --json`: (exit 0, bit mismatches from its summary line).
fn audit(pool_toml: &Path) -> (bool, Option<u64>) {
    let out = Command::new(crate::proc::bin("poolctl"))
        .args(["audit", "votes", "-f"])
        .arg(pool_toml)
        .arg("--json")
        .output();
    let Ok(out) = out else {
        return (false, None);
    };
    let text = String::from_utf8_lossy(&out.stdout);
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let summary = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| v.get("summary").cloned());
    if let Some(s) = &summary {
        eprintln!("soak: poolctl audit votes: {s}");
    }
    let mismatches = summary.and_then(|s| s["bit_mismatches"].as_u64());
    (out.status.success(), mismatches)
}

impl Soak {
    /// One block with pool tickets bought; users change preferences now and then.
    async fn block(&mut self) {
        self.traffic.block(5).await;
        self.mined += 1;
        if self.web_up && self.mined.is_multiple_of(7) {
            let i = (self.mined / 7) as usize % self.users.len();
            let (_, token, bits) = &self.users[i];
            let r = self
                .web
                .api("POST", "/api/v1/voting", token, &format!("VoteBits={bits}"))
                .await;
            if r["code"] == 0 {
                self.preference_saves += 1;
            } else {
                eprintln!("soak: preference save refused: {r}");
            }
        }
    }

    /// Mines `n` blocks; returns whether `unhealthy` held at any of them.
    async fn mine_watching(&mut self, n: u64, unhealthy: &dyn Fn(&Soak) -> bool) -> bool {
        let mut seen = false;
        for _ in 0..n {
            self.block().await;
            seen |= unhealthy(self);
        }
        seen
    }

    /// Blocks until `healthy` holds (at most 100); `None` if it never did.
    async fn blocks_until(&mut self, healthy: &dyn Fn(&Soak) -> bool) -> Option<u64> {
        for n in 0..100 {
            if healthy(self) {
                return Some(n);
            }
            self.block().await;
        }
        None
    }

    /// Mines `blocks` blocks after a fault on `host` began, watching its `/healthz`.
    async fn watch(&mut self, fault: &str, host: &str, at_block: u64, blocks: u64) -> FaultOutcome {
        let h = host.to_owned();
        let mut detected = self
            .mine_watching(blocks.max(1), &|s: &Soak| !s.hosts.healthy(&h))
            .await;
        // Blocks can come faster than stakepoold's health poll (2 s): the fault
        // lasts at least one more poll before it ends.
        let until = std::time::Instant::now() + Duration::from_secs(3);
        while !detected && std::time::Instant::now() < until {
            detected = !self.hosts.healthy(&h);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        FaultOutcome {
            fault: fault.into(),
            host: host.into(),
            at_block,
            blocks,
            detected,
            recovered_after: None,
            problems: None,
        }
    }

    async fn recovered(&mut self, mut f: FaultOutcome) -> FaultOutcome {
        let h = f.host.clone();
        f.recovered_after = self.blocks_until(&|s: &Soak| s.hosts.healthy(&h)).await;
        if f.recovered_after.is_none() {
            f.problems = Some(
                self.hosts
                    .health(&h)
                    .map_or("no answer".into(), |v| v["problems"].to_string()),
            );
        }
        f
    }

    async fn step(&mut self, step: Step) -> anyhow::Result<Option<FaultOutcome>> {
        Ok(Some(match step {
            Step::Mine(n) => {
                for _ in 0..n {
                    self.block().await;
                }
                return Ok(None);
            }
            Step::Upgrade(tag) => self.upgrade(tag).await?,
            Step::KillStakepoold(h) => {
                // Right after a block: its winners' votes are in flight.
                let at = self.mined;
                self.hosts
                    .ssh(h, "systemctl kill -s KILL stakepoold")
                    .await?;
                let f = self.watch("stakepoold SIGKILL mid-vote", h, at, 1).await;
                self.recovered(f).await
            }
            Step::PowerOff(h, n) => {
                let at = self.mined;
                self.hosts.power_off(h)?;
                let f = self.watch("host powered off", h, at, n).await;
                self.hosts.power_on(h)?;
                self.recovered(f).await
            }
            Step::CutFromPeers(h, n) => {
                let at = self.mined;
                self.hosts.cut_from_peers(h, true)?;
                let f = self.watch("exccd cut from its peers", h, at, n).await;
                self.hosts.cut_from_peers(h, false)?;
                self.recovered(f).await
            }
            Step::LockWallet(h, n) => {
                let at = self.mined;
                self.hosts.lock_wallet(h)?;
                let f = self.watch("wallet locked", h, at, n).await;
                self.hosts.unlock_wallet(h)?;
                self.recovered(f).await
            }
            Step::RestartExccd(h) => {
                let at = self.mined;
                self.hosts.ssh(h, "systemctl restart exccd").await?;
                let f = self.watch("exccd restarted", h, at, 1).await;
                self.recovered(f).await
            }
            Step::WebDown(n) => self.web_down(n).await?,
        }))
    }

    /// The web service (and its SQLite database) stopped for `n` blocks.
    async fn web_down(&mut self, n: u64) -> anyhow::Result<FaultOutcome> {
        let at_block = self.mined;
        self.web.proc.kill();
        self.web_up = false;
        let detected = self
            .mine_watching(n, &|s: &Soak| !web_answers(&s.web))
            .await;
        self.web.restart().await;
        self.web_up = true;
        let f = FaultOutcome {
            fault: "web service and database down".into(),
            host: "web".into(),
            at_block,
            blocks: n,
            detected,
            recovered_after: None,
            problems: None,
        };
        let recovered_after = self.blocks_until(&|s: &Soak| web_answers(&s.web)).await;
        Ok(FaultOutcome {
            recovered_after,
            ..f
        })
    }

    /// `poolctl upgrade` to a differently-built stakepoold while blocks keep coming.
    async fn upgrade(&mut self, tag: &str) -> anyhow::Result<FaultOutcome> {
        let at_block = self.mined;
        let toml = std::fs::read_to_string(&self.pool_toml)?;
        let mut doc: toml_edit::DocumentMut = toml.parse().context("pool.toml")?;
        let current = doc["binaries"]["stakepoold"]["path"]
            .as_str()
            .context("binaries.stakepoold.path")?
            .to_owned();
        let copy = self.pool_toml.with_file_name(format!("stakepoold-{tag}"));
        let mut bytes = std::fs::read(&current)?;
        bytes.extend_from_slice(tag.as_bytes());
        std::fs::write(&copy, &bytes)?;
        std::fs::set_permissions(&copy, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        let sha = {
            use sha2::{Digest, Sha256};
            hex::encode(Sha256::digest(&bytes))
        };
        doc["binaries"]["stakepoold"]["path"] = toml_edit::value(copy.display().to_string());
        doc["binaries"]["stakepoold"]["sha256"] = toml_edit::value(sha);
        doc["binaries"]["stakepoold"]["version"] = toml_edit::value(tag);
        std::fs::write(&self.pool_toml, doc.to_string())?;
        let done = Arc::new(AtomicBool::new(false));
        let pool = self.pool_toml.clone();
        let flag = done.clone();
        let upgrade = std::thread::spawn(move || {
            let out = Command::new(crate::proc::bin("poolctl"))
                .args(["upgrade", "-f"])
                .arg(&pool)
                .output();
            flag.store(true, Ordering::SeqCst);
            out
        });
        let mut unhealthy_seen = false;
        while !done.load(Ordering::SeqCst) {
            self.block().await;
            unhealthy_seen |= self.hosts.names().iter().any(|h| !self.hosts.healthy(h));
        }
        let out = upgrade
            .join()
            .map_err(|_| anyhow::anyhow!("the upgrade thread panicked"))?
            .context("running poolctl upgrade")?;
        if !out.status.success() {
            bail!(
                "poolctl upgrade to {tag} failed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let f = FaultOutcome {
            fault: format!("rolling upgrade to stakepoold {tag} (every host in turn)"),
            host: "all".into(),
            at_block,
            blocks: self.mined - at_block,
            detected: unhealthy_seen,
            recovered_after: None,
            problems: None,
        };
        let names = self.hosts.names();
        let recovered_after = self
            .blocks_until(&|s: &Soak| names.iter().all(|h| s.hosts.healthy(h)))
            .await;
        Ok(FaultOutcome {
            recovered_after,
            ..f
        })
    }

    /// p99 of stakepoold's vote latency over every host's histogram (bucket upper bound).
    fn vote_latency_p99_ms(&self) -> f64 {
        const BUCKETS: [&str; 11] = [
            "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf",
        ];
        let series = |le: &str| format!("stakepoold_vote_latency_seconds_bucket{{le=\"{le}\"}}");
        let total: f64 = self
            .hosts
            .names()
            .iter()
            .map(|h| self.hosts.metric(h, &series("+Inf")))
            .sum();
        for le in BUCKETS {
            let n: f64 = self
                .hosts
                .names()
                .iter()
                .map(|h| self.hosts.metric(h, &series(le)))
                .sum();
            if total > 0.0 && n >= 0.99 * total {
                return le
                    .parse::<f64>()
                    .map(|s| s * 1000.0)
                    .unwrap_or(f64::INFINITY);
            }
        }
        f64::NAN
    }
}
