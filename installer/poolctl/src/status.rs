//! `poolctl status`: one line per host from what the host says now: installed versions (the
//! wrappers poolctl wrote), services, and stakepoold's `/healthz` (height, wallet, tickets,
//! last vote, health) on voting hosts; the web service's `/healthz` (database reachable,
//! voting nodes seen) on web hosts; the last backup's verification where backups are taken.
//! Read-only.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use tokio::task::JoinSet;

use crate::config::{BinaryName, Database, HostEntry, PoolConfig};
use crate::host::{Host, RemoteCommand, SshHost};
use crate::plan::db_conf::LAST_VERIFICATION;
use crate::plan::diff::wrapper_version;
use crate::plan::render::ports;
use crate::plan::resource::Role;
use crate::plan::web_conf::WEB_LISTEN_PORT;
use crate::runtime::{Health, LastVote, health};

/// One host's state.
#[derive(Clone, Debug, Serialize)]
pub struct HostStatus {
    pub host: String,
    /// `voting`, `database` or `web`.
    pub role: Role,
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
    /// A web host's `/healthz`; `None` elsewhere or when it did not answer.
    pub web: Option<WebHealth>,
    /// The last backup's verification, where backups are taken.
    pub backup: Option<BackupVerification>,
}

/// The web service's `/healthz` body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct WebHealth {
    pub healthy: bool,
    pub database: bool,
    pub voting_nodes: u32,
    pub voting_nodes_healthy: u32,
}

/// `last-verification.json`, written by `exccstakepool backup create`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct BackupVerification {
    pub file: String,
    pub ok: bool,
    pub checked_at: String,
    pub detail: String,
}

impl Role {
    /// The programs whose versions `status` shows for this role.
    fn programs(self) -> &'static [BinaryName] {
        match self {
            Role::Voting => &BinaryName::VOTING,
            Role::Database | Role::Web => &[BinaryName::Exccstakepool],
        }
    }

    fn services(self) -> &'static str {
        match self {
            Role::Voting => "exccd exccwallet stakepoold",
            Role::Database => "mariadb excc-pool-db-setup",
            Role::Web => "exccstakepool nginx",
        }
    }
}

impl HostStatus {
    pub fn healthy(&self) -> bool {
        let backup_ok = self.backup.as_ref().is_none_or(|b| b.ok);
        backup_ok
            && match self.role {
                Role::Voting => self.health.as_ref().is_some_and(|h| h.healthy),
                Role::Web => self.web.as_ref().is_some_and(|w| w.healthy),
                Role::Database => self.services.values().all(|a| a == "active"),
            }
    }

    fn backup_text(&self) -> String {
        match &self.backup {
            None => String::new(),
            Some(b) if b.ok => format!("  backup verified {} ({})", b.checked_at, b.file),
            Some(b) => format!(
                "  BACKUP VERIFICATION FAILED {} ({}): {}",
                b.checked_at, b.file, b.detail
            ),
        }
    }

    /// The one-line form.
    pub fn line(&self) -> String {
        if let Some(e) = &self.error {
            return format!("{:<10} {:<15} unreachable: {e}", self.host, self.address);
        }
        let versions = self
            .role
            .programs()
            .iter()
            .map(|n| {
                format!(
                    "{n} {}",
                    self.versions.get(n.as_str()).map_or("-", String::as_str)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        if self.role != Role::Voting {
            return self.web_line(&versions);
        }
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

    /// A web or database host's line.
    fn web_line(&self, versions: &str) -> String {
        let services = self
            .services
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let web = match (&self.web, self.role) {
            (Some(w), _) => format!(
                "  database {}  voting nodes {}/{} healthy",
                if w.database {
                    "reachable"
                } else {
                    "UNREACHABLE"
                },
                w.voting_nodes_healthy,
                w.voting_nodes
            ),
            (None, Role::Web) => format!(
                "  no /healthz ({})",
                self.health_error.as_deref().unwrap_or("?")
            ),
            (None, _) => String::new(),
        };
        let verdict = if self.healthy() {
            "healthy"
        } else {
            "UNHEALTHY"
        };
        format!(
            "{:<10} {:<15} {} {versions}  {services}{web}{}  {verdict}",
            self.host,
            self.address,
            self.role,
            self.backup_text()
        )
    }
}

fn last_vote(v: Option<&LastVote>) -> String {
    match v {
        Some(v) => format!("at height {}", v.height),
        None => "none".to_owned(),
    }
}

/// Arguments: the backup report's path, programs, `--`, services; prints `W NAME
/// WRAPPER-LINE` per program, `NAME ACTIVE` per service, then `B` + the backup report (if
/// any).
const STATUS_SCRIPT: &str = r#"report=$1; shift
while [ "$1" != -- ]; do echo "W $1 $(sed -n 2p "/usr/local/bin/$1" 2>/dev/null)"; shift; done; shift
for n; do
  a=$(systemctl is-active "$n.service" 2>/dev/null)
  echo "$n ${a:-unknown}"
done
if [ -f "$report" ]; then printf 'B '; tr -d '\n' < "$report"; echo; fi"#;

/// Whether backups are taken on this host.
fn takes_backups(config: &PoolConfig, role: Role) -> bool {
    match (&config.web, role) {
        (Some(w), Role::Web) => matches!(w.database, Database::Sqlite),
        (Some(_), Role::Database) => true,
        _ => false,
    }
}

async fn one(config: &PoolConfig, entry: &HostEntry, role: Role) -> HostStatus {
    let mut status = HostStatus {
        host: entry.name.clone(),
        role,
        web: None,
        backup: None,
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
    let mut args = vec![LAST_VERIFICATION.to_owned()];
    args.extend(role.programs().iter().map(|p| p.as_str().to_owned()));
    args.push("--".to_owned());
    args.extend(role.services().split(' ').map(str::to_owned));
    match ssh.run(&RemoteCommand::shell(STATUS_SCRIPT, args)).await {
        Ok(out) => {
            for line in out.stdout_text().lines() {
                if let Some(report) = line.strip_prefix("B ") {
                    if takes_backups(config, role) {
                        status.backup = Some(serde_json::from_str(report).unwrap_or_else(|e| {
                            BackupVerification {
                                detail: format!("unreadable report {LAST_VERIFICATION}: {e}"),
                                ..BackupVerification::default()
                            }
                        }));
                    }
                    continue;
                }
                if let Some(program) = line.strip_prefix("W ") {
                    let (n, line2) = program.split_once(' ').unwrap_or((program, ""));
                    let wrapper = format!("#!/bin/sh\n{line2}\n");
                    status.versions.insert(
                        n.to_owned(),
                        wrapper_version(wrapper.as_bytes()).unwrap_or_else(|| "-".into()),
                    );
                    continue;
                }
                if let Some((n, a)) = line.split_once(' ') {
                    status.services.insert(n.to_owned(), a.to_owned());
                }
            }
        }
        Err(e) => status.error = Some(e.to_string()),
    }
    match role {
        Role::Voting => match health(&ssh, ports(config).http).await {
            Ok(h) => status.health = Some(h),
            Err(e) => status.health_error = Some(e),
        },
        Role::Web => match crate::health::http_get(&ssh, WEB_LISTEN_PORT, "/healthz").await {
            Ok((_, body)) => match serde_json::from_str(&body) {
                Ok(w) => status.web = Some(w),
                Err(e) => status.health_error = Some(format!("/healthz body: {e}")),
            },
            Err(e) => status.health_error = Some(e),
        },
        Role::Database => {}
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
    let mut all: Vec<(HostEntry, Role)> = config
        .hosts
        .iter()
        .map(|h| (h.clone(), Role::Voting))
        .collect();
    all.extend(config.database_host().map(|h| (h.clone(), Role::Database)));
    all.extend(config.web_hosts().iter().map(|h| (h.clone(), Role::Web)));
    for (i, (h, role)) in all.into_iter().enumerate() {
        let config = Arc::clone(&config);
        tasks.spawn(async move { (i, one(&config, &h, role).await) });
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
