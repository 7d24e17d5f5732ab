//! What the soak does to lab voting hosts: read their `/healthz`, run commands
//! over SSH (pinned keys), call their wallet, power them off and on, cut their
//! exccd from its peers. Every operation names the host and what failed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use poolctl::config::PoolConfig;
use poolctl::lab::LabState;
use poolctl::lab::net::{host_address, netns, veth};
use poolctl::plan::conf::WALLET_RPC_USER;
use poolctl::plan::render::ports;
use serde_json::{Value, json};

/// The lab's voting hosts as the soak reaches them.
pub struct LabHosts {
    pub dir: PathBuf,
    pub state: LabState,
    pub config: PoolConfig,
}

fn run(cmd: &mut Command, what: &str) -> anyhow::Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("{what}: cannot run"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl LabHosts {
    pub fn load(dir: &Path, config: PoolConfig) -> anyhow::Result<LabHosts> {
        Ok(LabHosts {
            dir: dir.to_owned(),
            state: LabState::load(dir).context("reading the lab's state")?,
            config,
        })
    }

    pub fn names(&self) -> Vec<String> {
        self.config.hosts.iter().map(|h| h.name.clone()).collect()
    }

    fn index(&self, name: &str) -> u32 {
        self.config
            .hosts
            .iter()
            .position(|h| h.name == name)
            .map(|i| i as u32 + 1)
            .unwrap_or_else(|| panic!("{name} is not a host of the pool"))
    }

    /// `curl` inside the host's network namespace (its services listen on 127.0.0.1).
    fn curl_in(&self, name: &str, args: &[&str]) -> anyhow::Result<String> {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &netns(name), "curl", "-sS", "-m", "3"])
            .args(args);
        run(&mut cmd, &format!("curl on {name}"))
    }

    /// stakepoold's `/healthz` on `name`; `None` when it does not answer.
    pub fn health(&self, name: &str) -> Option<Value> {
        let url = format!("http://127.0.0.1:{}/healthz", ports(&self.config).http);
        let body = self.curl_in(name, &[&url]).ok()?;
        serde_json::from_str(&body).ok()
    }

    /// True when `name`'s stakepoold answers and says it is healthy.
    pub fn healthy(&self, name: &str) -> bool {
        self.health(name)
            .is_some_and(|h| h["healthy"] == Value::Bool(true))
    }

    /// A counter from `name`'s stakepoold `/metrics` (0 when absent or unreachable).
    pub fn metric(&self, name: &str, series: &str) -> f64 {
        let url = format!("http://127.0.0.1:{}/metrics", ports(&self.config).http);
        self.curl_in(name, &[&url])
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            })
            .unwrap_or(0.0)
    }

    /// A JSON-RPC call to `name`'s exccwallet (TLS pinned by the pool CA).
    pub fn wallet(&self, name: &str, method: &str, params: Value) -> anyhow::Result<Value> {
        let ca = self.config.state_dir().join("ca").join("ca.cert");
        let url = format!("https://127.0.0.1:{}/", ports(&self.config).wallet_rpc);
        let auth = format!(
            "{WALLET_RPC_USER}:{}",
            self.config.secrets.exccwallet_rpc_password.expose()
        );
        let body = json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params});
        let out = self.curl_in(
            name,
            &[
                "--cacert",
                &ca.display().to_string(),
                "-u",
                &auth,
                "-d",
                &body.to_string(),
                &url,
            ],
        )?;
        let v: Value = serde_json::from_str(&out)
            .with_context(|| format!("{method} on {name}'s wallet: not JSON: {out}"))?;
        if !v["error"].is_null() {
            bail!("{method} on {name}'s wallet: {}", v["error"]);
        }
        Ok(v["result"].clone())
    }

    pub fn lock_wallet(&self, name: &str) -> anyhow::Result<()> {
        self.wallet(name, "walletlock", json!([])).map(drop)
    }

    pub fn unlock_wallet(&self, name: &str) -> anyhow::Result<()> {
        let pass = self.config.secrets.wallet_passphrase.expose().to_owned();
        self.wallet(name, "walletpassphrase", json!([pass, 0]))
            .map(drop)
    }

    /// Runs a shell command on `name` as root over SSH (pinned host key).
    pub async fn ssh(&self, name: &str, script: &str) -> anyhow::Result<String> {
        use poolctl::host::{Host, RemoteCommand};
        let host = self
            .state
            .host(name)
            .with_context(|| format!("{name} is not in the lab"))?;
        let ssh = host
            .connect()
            .await
            .with_context(|| format!("SSH to {name}"))?;
        let out = ssh
            .run(&RemoteCommand::shell(script, [""; 0]))
            .await
            .with_context(|| format!("{script:?} on {name}"));
        ssh.close().await;
        let out = out?.check(name, script)?;
        Ok(out.stdout_text())
    }

    /// Powers `name` off as its peers see it: every process of the container
    /// stopped (SIGSTOP) and its network link down.
    pub fn power_off(&self, name: &str) -> anyhow::Result<()> {
        run(
            Command::new("ip").args(["link", "set", &veth(self.index(name)), "down"]),
            &format!("unplugging {name}"),
        )?;
        self.signal_all(name, "-STOP")
    }

    /// Brings a powered-off host back: processes continue, link up.
    pub fn power_on(&self, name: &str) -> anyhow::Result<()> {
        self.signal_all(name, "-CONT")?;
        run(
            Command::new("ip").args(["link", "set", &veth(self.index(name)), "up"]),
            &format!("plugging {name} in"),
        )
        .map(drop)
    }

    fn signal_all(&self, name: &str, signal: &str) -> anyhow::Result<()> {
        let pids: Vec<String> = poolctl::lab::cgroup::host_processes(name)
            .iter()
            .map(i32::to_string)
            .collect();
        if pids.is_empty() {
            bail!("{name} has no processes: is the lab up?");
        }
        run(
            Command::new("kill").arg(signal).args(&pids),
            &format!("kill {signal} on {name}"),
        )
        .map(drop)
    }

    /// Cuts (or restores) `name`'s network path to every other voting host:
    /// its exccd cannot reach its peers; SSH from this machine still works.
    pub fn cut_from_peers(&self, name: &str, cut: bool) -> anyhow::Result<()> {
        let me = self.index(name);
        for i in 1..=self.config.hosts.len() as u32 {
            if i == me {
                continue;
            }
            let target = format!("{}/32", host_address(i));
            let verb = if cut { "add" } else { "del" };
            run(
                Command::new("ip").args([
                    "netns",
                    "exec",
                    &netns(name),
                    "ip",
                    "route",
                    verb,
                    "blackhole",
                    &target,
                ]),
                &format!("route {verb} blackhole {target} on {name}"),
            )?;
        }
        Ok(())
    }
}
