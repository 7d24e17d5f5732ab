//! `poolctl status`: one line per host from what the host says now: installed versions (the
//! wrappers poolctl wrote), services, and stakepoold's `/healthz` (height, wallet, tickets,
//! last vote, health). Read-only.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use tokio::task::JoinSet;

use crate::config::{BinaryName, HostEntry, PoolConfig};
use crate::host::{Host, RemoteCommand, SshHost};
use crate::plan::diff::wrapper_version;
use crate::plan::render::ports;
use crate::runtime::{Health, LastVote, health};

/// One host's state.
#[derive(Clone, Debug, Serialize)]
pub struct HostStatus {
    pub host: String,
    pub address: String,
    /// Why the host could not be asked, if it could not.
    pub error: Option<String>,
    /// Installed version per program (`-` when not installed by poolctl).
    pub versions: BTreeMap<String, String>,
    /// `systemctl is-active` per service.
    pub services: BTreeMap<String, String>,
    /// stakepoold's view; `None` when /healthz did not answer.
    pub health: Option<Health>,
    pub health_error: Option<String>,
    /// The highest height any host reports (the pool's tip).
    pub tip: i64,
}

impl HostStatus {
    pub fn healthy(&self) -> bool {
        self.health.as_ref().is_some_and(|h| h.healthy)
    }

    /// The one-line form.
    pub fn line(&self) -> String {
        if let Some(e) = &self.error {
            return format!("{:<10} {:<15} unreachable: {e}", self.host, self.address);
        }
        let versions = BinaryName::VOTING
            .iter()
            .map(|n| {
                format!(
                    "{n} {}",
                    self.versions.get(n.as_str()).map_or("-", String::as_str)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let rest = match &self.health {
            Some(h) => format!(
                "height {}/{}{}  wallet {}  live tickets {}  last vote {}  {}",
                h.best_height,
                self.tip,
                if h.node_synced { "" } else { " (syncing)" },
                if h.wallet_unlocked {
                    "unlocked"
                } else {
                    "LOCKED"
                },
                h.live_tickets,
                last_vote(h.last_vote.as_ref()),
                if h.healthy {
                    "healthy".to_owned()
                } else {
                    format!("UNHEALTHY: {}", h.problems.join("; "))
                }
            ),
            None => {
                let services = self
                    .services
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "UNHEALTHY: no /healthz ({}); {services}",
                    self.health_error.as_deref().unwrap_or("?")
                )
            }
        };
        format!("{:<10} {:<15} {versions}  {rest}", self.host, self.address)
    }
}

fn last_vote(v: Option<&LastVote>) -> String {
    match v {
        Some(v) => format!("at height {}", v.height),
        None => "none".to_owned(),
    }
}

const STATUS_SCRIPT: &str = r#"for n in exccd exccwallet stakepoold; do
  v=$(sed -n 2p "/usr/local/bin/$n" 2>/dev/null)
  a=$(systemctl is-active "$n.service" 2>/dev/null)
  echo "$n ${a:-unknown} $v"
done"#;

async fn one(config: &PoolConfig, entry: &HostEntry) -> HostStatus {
    let mut status = HostStatus {
        host: entry.name.clone(),
        address: entry.address.clone(),
        error: None,
        versions: BTreeMap::new(),
        services: BTreeMap::new(),
        health: None,
        health_error: None,
        tip: 0,
    };
    let Some(key) = &entry.host_key else {
        status.error = Some(
            "no host_key pinned in pool.toml; run `poolctl plan --accept-new-host-keys`".into(),
        );
        return status;
    };
    let ssh = match SshHost::connect(entry.ssh_target(), Some(key), &config.ssh_options()).await {
        Ok(s) => Arc::new(s),
        Err(e) => {
            status.error = Some(e.to_string());
            return status;
        }
    };
    match ssh.run(&RemoteCommand::shell(STATUS_SCRIPT, [""; 0])).await {
        Ok(out) => {
            for line in out.stdout_text().lines() {
                let mut w = line.splitn(3, ' ');
                let (Some(n), Some(a)) = (w.next(), w.next()) else {
                    continue;
                };
                let wrapper = format!("#!/bin/sh\n{}\n", w.next().unwrap_or(""));
                status.services.insert(n.to_owned(), a.to_owned());
                status.versions.insert(
                    n.to_owned(),
                    wrapper_version(wrapper.as_bytes()).unwrap_or_else(|| "-".into()),
                );
            }
        }
        Err(e) => status.error = Some(e.to_string()),
    }
    match health(&ssh, ports(config).http).await {
        Ok(h) => status.health = Some(h),
        Err(e) => status.health_error = Some(e),
    }
    if let Ok(ssh) = Arc::try_unwrap(ssh) {
        ssh.close().await;
    }
    status
}

/// Asks every host in parallel; the result is in pool.toml's order.
pub async fn status_all(config: &PoolConfig) -> Vec<HostStatus> {
    let config = Arc::new(config.clone());
    let mut tasks = JoinSet::new();
    for (i, h) in config.hosts.iter().enumerate() {
        let (config, h) = (Arc::clone(&config), h.clone());
        tasks.spawn(async move { (i, one(&config, &h).await) });
    }
    let mut out = Vec::new();
    while let Some(j) = tasks.join_next().await {
        out.push(j.expect("status task panicked"));
    }
    out.sort_by_key(|(i, _)| *i);
    let mut out: Vec<HostStatus> = out.into_iter().map(|(_, s)| s).collect();
    let tip = out
        .iter()
        .filter_map(|s| s.health.as_ref().map(|h| h.best_height))
        .max()
        .unwrap_or(0);
    for s in &mut out {
        s.tip = tip;
    }
    out
}
