//! `poolctl apply`: make every voting host look like pool.toml says.
//!
//! Everything that can fail without touching a host happens first, for all hosts: load
//! pool.toml and its secrets, verify the programs' SHA-256, render, connect (pinned host
//! keys), read facts and plan. Only then are the hosts changed, in parallel, each by
//! [`steps::apply_host`] in a fixed order of idempotent phases, journaled in
//! `.poolctl/journal.jsonl` with a per-run log in `.poolctl/logs/`. A failed or interrupted
//! apply is simply run again: the new plan starts from what the hosts now have.
//!
//! For a later rolling upgrade: each host keeps the previous program versions
//! (`/usr/local/lib/excc-pool/NAME/SHA256`) and the previous copy of every replaced file
//! (`/var/lib/excc-pool/previous/`), so a rollback is a plan to the previous state.

pub mod journal;
pub mod steps;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::task::JoinSet;

use crate::config::PoolConfig;
use crate::host::SshHost;
use crate::plan::resource::Role;
use crate::plan::{self, ColdPlan, HostPlan, PlanError};
use crate::progress::Progress;

pub use journal::JournalError;
pub use steps::StepError;

/// Why apply stopped.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Before any host was changed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// Some hosts failed (others may have succeeded); one line per failed host.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Hosts(Vec<StepError>),
    /// The cold wallet's fee-address sync failed (before any host was changed).
    #[error("{0}")]
    ColdWallet(String),
}

/// What an apply did.
#[derive(Debug)]
pub struct ApplyReport {
    pub plans: Vec<HostPlan>,
    /// The cold wallet's plan (with `[cold_wallet]`), done when apply returns.
    pub cold: Option<ColdPlan>,
    pub log: PathBuf,
}

/// Options of one apply.
#[derive(Clone, Debug, Default)]
pub struct ApplyOptions {
    pub accept_new_host_keys: bool,
    /// No progress lines on stderr (the log file still gets them).
    pub quiet: bool,
}

/// Loads `pool_toml` and applies it to every host.
pub async fn apply(pool_toml: &Path, options: &ApplyOptions) -> Result<ApplyReport, ApplyError> {
    let config = PoolConfig::load(pool_toml).map_err(PlanError::from)?;
    let state_dir = config.state_dir();
    let _lock = journal::lock(&state_dir)?;
    let journal = journal::Journal::open(&state_dir)?;
    let (log, log_path) = journal::log_file(&state_dir, journal.run())?;
    let progress = Progress::new(Some(log), options.quiet);
    for (host, step, detail) in journal.unfinished() {
        let why = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        progress.line(
            &host,
            &format!("the previous apply stopped in step {step}{why}; continuing from the host's current state"),
        );
    }

    progress.line("", "checking programs, rendering configs");
    let mut prepared = plan::prepare(config)?;
    for note in &prepared.notes {
        progress.line("", note);
    }
    progress.line(
        "",
        &format!("connecting to {} hosts", prepared.all_desired().count()),
    );
    let hosts = plan::connect_pool(&mut prepared, options.accept_new_host_keys).await?;
    let plans = plan::plan_all(&prepared, &hosts).await?;
    for p in &plans {
        progress.line(
            &p.desired.host.name,
            &format!("{} changes planned", p.changes.len()),
        );
    }
    let cold = plan::cold::observe(&prepared.config).await?;
    if let Some(c) = cold.as_ref().filter(|c| !c.is_empty()) {
        sync_cold_wallet(&prepared.config, c, &journal, &progress).await?;
    }

    let reach =
        Arc::new(crate::restore::Reach::new(&prepared.config, &hosts).map_err(PlanError::from)?);
    let config = Arc::new(prepared.config);
    let journal = Arc::new(journal);
    let progress = Arc::new(progress);
    // Voting hosts first, then the database, then the web hosts (which need both); a
    // failed group stops the later ones.
    let mut failed = Vec::new();
    for role in [Role::Voting, Role::Database, Role::Web] {
        let group: Vec<(Arc<SshHost>, HostPlan)> = hosts
            .iter()
            .zip(&plans)
            .filter(|(_, p)| p.desired.role == role && !p.is_empty())
            .map(|(h, p)| (Arc::clone(h), p.clone()))
            .collect();
        if group.is_empty() {
            continue;
        }
        if !failed.is_empty() {
            for (_, p) in &group {
                progress.line(
                    &p.desired.host.name,
                    "not changed: an earlier group of hosts failed",
                );
            }
            continue;
        }
        let mut tasks = JoinSet::new();
        for (ssh, plan) in group {
            let reach = Arc::clone(&reach);
            let (config, journal, progress) = (
                Arc::clone(&config),
                Arc::clone(&journal),
                Arc::clone(&progress),
            );
            tasks.spawn(async move {
                let r = steps::apply_host(&ssh, &reach, &plan, &config, &journal, &progress).await;
                if r.is_ok() {
                    progress.line(&plan.desired.host.name, "done: healthy");
                }
                r
            });
        }
        while let Some(joined) = tasks.join_next().await {
            if let Err(e) = joined.expect("apply task panicked") {
                progress.line("", &format!("failed: {e}"));
                failed.push(e);
            }
        }
    }
    drop(reach);
    for ssh in hosts {
        if let Ok(ssh) = Arc::try_unwrap(ssh) {
            ssh.close().await;
        }
    }
    if !failed.is_empty() {
        failed.sort_by_key(|e| e.to_string());
        return Err(ApplyError::Hosts(failed));
    }
    progress.line("", &format!("apply finished in {:.1}s", progress.elapsed()));
    Ok(ApplyReport {
        plans,
        cold,
        log: log_path,
    })
}

/// The cold wallet's fee-address sync, journaled like a host's step (as `cold-wallet`).
async fn sync_cold_wallet(
    config: &PoolConfig,
    c: &ColdPlan,
    journal: &journal::Journal,
    progress: &Progress,
) -> Result<(), ApplyError> {
    const WHO: &str = "cold-wallet";
    const STEP: &str = "fee-address-sync";
    let what = format!("accountsyncaddressindex {} 0 {}", c.account, c.to);
    progress.line(WHO, &what);
    journal.record(WHO, STEP, "start", &what);
    match plan::cold::sync(config, c).await {
        Ok(()) => {
            journal.record(WHO, STEP, "ok", "");
            journal.record(WHO, "done", "ok", "");
            Ok(())
        }
        Err(why) => {
            journal.record(WHO, STEP, "failed", &why);
            Err(ApplyError::ColdWallet(format!(
                "cold wallet at {}: {why}",
                c.rpc
            )))
        }
    }
}
