//! `poolctl upgrade`: apply pool.toml one voting host at a time, health-gated, with an
//! automatic rollback of the host whose upgrade fails.
//!
//! Planning is apply's (everything that can fail without touching a host fails first). Then
//! the hosts with changes are processed in pool.toml order:
//!
//! 1. gate: every *other* host's stakepoold `/healthz` must say healthy (so at least N−1
//!    nodes vote while this one is touched); else stop, naming the unhealthy host, with
//!    nothing changed on this one;
//! 2. apply the host's plan with apply's own steps ([`steps::apply_host`]), whose last phase
//!    waits for `/healthz` within the upgrade's health timeout;
//! 3. on any failure: restore the files this run replaced from the copies apply keeps in
//!    `/var/lib/excc-pool/previous/` (each verified against the sha256 the plan saw before
//!    the change), remove files this run created, restart what the upgrade restarted,
//!    unlock the wallet, wait for healthy again, and stop with
//!    `upgrade of HOST failed: CHECK (rolled back to the previous version)`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::apply::journal::{self, Journal};
use crate::apply::{JournalError, StepError, steps};
use crate::config::PoolConfig;
use crate::host::{Host, RemoteCommand, SshHost, sha256_hex};
use crate::plan::facts::PathFact;
use crate::plan::resource::{HealthCheck, PREVIOUS_DIR};
use crate::plan::{self, Change, FileChange, HostPlan, PlanError};
use crate::progress::Progress;

/// How long the gate waits for another host to become healthy before it refuses.
pub const GATE_GRACE: Duration = Duration::from_secs(10);

/// Options of one upgrade.
#[derive(Clone, Debug, Default)]
pub struct UpgradeOptions {
    pub accept_new_host_keys: bool,
    pub quiet: bool,
    /// Seconds each upgraded host has to become healthy; default `[apply] health_timeout_secs`.
    pub health_timeout_secs: Option<u64>,
}

/// Why an upgrade stopped.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The gate before `next`: another host was not healthy. Nothing was changed on `next`.
    #[error(
        "upgrade stopped before {next}: {unhealthy} is not healthy ({why}); at least N-1 other nodes must vote while one is upgraded"
    )]
    Gate {
        next: String,
        unhealthy: String,
        why: String,
    },
    /// The host's upgrade failed and it runs its previous version again.
    #[error("upgrade of {host} failed: {check} (rolled back to the previous version)")]
    RolledBack { host: String, check: String },
    /// The host's upgrade failed and so did its rollback.
    #[error("upgrade of {host} failed: {check}; ROLLBACK FAILED: {rollback}")]
    RollbackFailed {
        host: String,
        check: String,
        rollback: String,
    },
}

/// What an upgrade did.
#[derive(Debug)]
pub struct UpgradeReport {
    /// Hosts upgraded, in order.
    pub upgraded: Vec<String>,
    pub hosts: usize,
    pub log: PathBuf,
}

pub use crate::health::failed_check;

/// The host's health now, as `Err(failed check)` unless healthy.
async fn check_now(ssh: &SshHost, check: HealthCheck) -> Result<(), String> {
    crate::health::check(ssh, check).await
}

/// Loads `pool_toml` and upgrades the hosts with changes one at a time.
pub async fn upgrade(
    pool_toml: &Path,
    options: &UpgradeOptions,
) -> Result<UpgradeReport, UpgradeError> {
    let config = PoolConfig::load(pool_toml).map_err(PlanError::from)?;
    let state_dir = config.state_dir();
    let _lock = journal::lock(&state_dir)?;
    let journal = Journal::open(&state_dir)?;
    let (log, log_path) = journal::log_file(&state_dir, journal.run())?;
    let progress = Progress::new(Some(log), options.quiet);

    progress.line("", "checking programs, rendering configs");
    let mut prepared = plan::prepare(config)?;
    let hosts = plan::connect_pool(&mut prepared, options.accept_new_host_keys).await?;
    // Plan every host (facts kept: the rollback checks files against what was there).
    let mut observed = Vec::new();
    for (ssh, desired) in hosts.iter().zip(prepared.all_desired()) {
        let o = plan::observe(Arc::clone(ssh), desired, &prepared.config).await?;
        let p = plan::diff::diff(desired, &o.facts, o.wallet.as_ref());
        progress.line(
            &desired.host.name,
            &format!("{} changes planned", p.changes.len()),
        );
        observed.push((o.facts, p));
    }
    // A host rebuilt empty gets the users' scripts and preferences from a healthy peer.
    let reach = crate::restore::Reach::new(&prepared.config, &hosts).map_err(PlanError::from)?;
    {
        let voting = prepared.desired.len();
        let new_wallet: Vec<bool> = observed[..voting]
            .iter()
            .map(|(f, _)| f.wallet_files.is_empty())
            .collect();
        let mut plans: Vec<HostPlan> = observed[..voting].iter().map(|(_, p)| p.clone()).collect();
        plan::add_restores(&reach, &mut plans, &new_wallet).await;
        for ((_, p), with) in observed.iter_mut().zip(plans) {
            *p = with;
        }
    }

    let original = prepared.config.clone();
    let mut forward = prepared.config;
    if let Some(t) = options.health_timeout_secs {
        forward.health_timeout_secs = t;
    }
    let mut upgraded = Vec::new();
    let result = async {
        for (i, (facts, plan)) in observed.iter().enumerate() {
            if plan.is_empty() {
                continue;
            }
            let name = plan.desired.host.name.clone();
            gate(i, &hosts, &observed, &progress).await?;
            progress.line(&name, "upgrading (other hosts healthy)");
            match steps::apply_host(&hosts[i], &reach, plan, &forward, &journal, &progress).await {
                Ok(()) => {
                    progress.line(&name, "upgraded: healthy");
                    upgraded.push(name);
                }
                Err(e) => {
                    let check = match &e {
                        StepError::Failed { step, .. } if step == "health" => {
                            check_now(&hosts[i], plan.desired.health)
                                .await
                                .err()
                                .map(|c| {
                                    format!(
                                        "{c} (not healthy within {}s)",
                                        forward.health_timeout_secs
                                    )
                                })
                                .unwrap_or_else(|| e.to_string())
                        }
                        StepError::Failed { step, reason, .. } => format!("{step}: {reason}"),
                        StepError::Host(h) => h.to_string(),
                        StepError::Restore(r) => r.to_string(),
                    };
                    progress.line(&name, &format!("FAILED: {check}; rolling back"));
                    journal.record(&name, "upgrade", "failed", &check);
                    return match rollback(
                        &hosts[i], &reach, plan, facts, &original, &journal, &progress,
                    )
                    .await
                    {
                        Ok(()) => {
                            // The rollback's own steps ended the journal with `done ok`.
                            progress.line(&name, "rolled back: healthy on the previous version");
                            Err(UpgradeError::RolledBack { host: name, check })
                        }
                        Err(r) => {
                            journal.record(&name, "rollback", "failed", &r);
                            Err(UpgradeError::RollbackFailed {
                                host: name,
                                check,
                                rollback: r,
                            })
                        }
                    };
                }
            }
        }
        Ok(())
    }
    .await;
    let n = hosts.len();
    for ssh in hosts {
        if let Ok(ssh) = Arc::try_unwrap(ssh) {
            ssh.close().await;
        }
    }
    result?;
    progress.line(
        "",
        &format!("upgrade finished in {:.1}s", progress.elapsed()),
    );
    Ok(UpgradeReport {
        upgraded,
        hosts: n,
        log: log_path,
    })
}

/// Every host but `i` must be healthy (waiting up to [`GATE_GRACE`] for each).
async fn gate(
    i: usize,
    hosts: &[Arc<SshHost>],
    observed: &[(plan::Facts, HostPlan)],
    progress: &Progress,
) -> Result<(), UpgradeError> {
    let next = &observed[i].1.desired.host.name;
    for (j, (_, other)) in observed.iter().enumerate() {
        if j == i {
            continue;
        }
        let deadline = Instant::now() + GATE_GRACE;
        loop {
            match check_now(&hosts[j], other.desired.health).await {
                Ok(()) => break,
                Err(why) if Instant::now() >= deadline => {
                    progress.line(
                        next,
                        &format!("not touched: {} is unhealthy", other.desired.host.name),
                    );
                    return Err(UpgradeError::Gate {
                        next: next.clone(),
                        unhealthy: other.desired.host.name.clone(),
                        why,
                    });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }
    Ok(())
}

/// `/etc/exccd/exccd.conf` → `etc%exccd%exccd.conf` (apply's name for the previous copy).
fn previous_name(path: &str) -> String {
    path.trim_start_matches('/').replace('/', "%")
}

/// Arguments: the previous-copies directory; files to remove, `--`; `PATH PREVIOUS SHA256`
/// triples, `--`; `PATH OWNER:GROUP MODE` triples. A file whose content is no longer SHA256
/// is replaced by its previous copy (`cp -p`: content, owner and mode), which must have
/// exactly that content; the last triples put back owner and mode changed on their own.
const RESTORE_SCRIPT: &str = r#"prev=$1; shift
while [ "$1" != -- ]; do rm -f -- "$1"; shift; done; shift
while [ "$1" != -- ]; do
  cur=$(sha256sum < "$1" 2>/dev/null | cut -c1-64)
  if [ "$cur" != "$3" ]; then
    old=$(sha256sum < "$prev/$2" 2>/dev/null | cut -c1-64)
    if [ "$old" != "$3" ]; then echo "no previous copy of $1 with sha256 $3" >&2; exit 1; fi
    cp -p -- "$prev/$2" "$1.poolctl-rollback" && mv -f -- "$1.poolctl-rollback" "$1" || exit 1
  fi
  shift 3
done; shift
while [ $# -gt 0 ]; do chown -- "$2" "$1" && chmod -- "$3" "$1" || exit 1; shift 3; done"#;

/// `PATH OWNER:GROUP MODE` for the restore script.
fn meta_triple(path: &str, was: &plan::facts::Meta) -> [String; 3] {
    [
        path.to_owned(),
        format!("{}:{}", was.owner, was.group),
        format!("{:o}", was.mode),
    ]
}

/// Puts the host back to what `facts` saw before `plan` was applied, restarts what the plan
/// restarted and waits for health (pool.toml's timeout).
async fn rollback(
    ssh: &Arc<SshHost>,
    reach: &crate::restore::Reach,
    plan: &HostPlan,
    facts: &plan::Facts,
    config: &PoolConfig,
    journal: &Journal,
    progress: &Progress,
) -> Result<(), String> {
    let name = &plan.desired.host.name;
    let mut created = Vec::new();
    let mut restore = Vec::new();
    let mut metas = Vec::new();
    let mut units = false;
    let mut after = Vec::new();
    for c in &plan.changes {
        match c {
            Change::File { res, change, .. } => {
                units |= res.path.starts_with("/etc/systemd/system/");
                match change {
                    FileChange::Create => created.push(res.path.clone()),
                    FileChange::Meta { was } => metas.extend(meta_triple(&res.path, was)),
                    FileChange::Content => {
                        let sha = match facts.paths.get(&res.path) {
                            Some(PathFact::File {
                                content: Some(c), ..
                            }) => sha256_hex(c),
                            Some(PathFact::File {
                                sha256: Some(s), ..
                            }) => s.clone(),
                            _ => return Err(format!("no earlier content known for {}", res.path)),
                        };
                        restore.extend([res.path.clone(), previous_name(&res.path), sha]);
                    }
                }
            }
            // A directory poolctl created stays (it may hold data by now); one whose owner or
            // mode changed gets them back.
            Change::Dir { res, was: Some(w) } => metas.extend(meta_triple(&res.path, w)),
            Change::Restart { service, .. } | Change::Start(service) => {
                after.push(Change::Restart {
                    service: *service,
                    reason: "rollback".to_owned(),
                });
            }
            _ => {}
        }
    }
    progress.line(
        name,
        &format!(
            "rollback: restoring {} files and {} owners/modes, removing {} new files",
            restore.len() / 3,
            metas.len() / 3,
            created.len()
        ),
    );
    let mut args = vec![PREVIOUS_DIR.to_owned()];
    args.extend(created);
    args.push("--".to_owned());
    args.extend(restore);
    args.push("--".to_owned());
    args.extend(metas);
    ssh.run(&RemoteCommand::shell(RESTORE_SCRIPT, args))
        .await
        .and_then(|o| o.check(name, "restoring previous files"))
        .map_err(|e| e.to_string())?;
    let mut changes = Vec::new();
    if units {
        changes.push(Change::DaemonReload);
    }
    changes.extend(after);
    if plan.desired.wallet.is_some() {
        changes.push(Change::UnlockWallet);
    }
    let back = HostPlan {
        desired: plan.desired.clone(),
        changes,
    };
    steps::apply_host(ssh, reach, &back, config, journal, progress)
        .await
        .map_err(|e| e.to_string())?;
    check_now(ssh, plan.desired.health).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Health;

    #[test]
    fn checks_are_named() {
        let ok = Health {
            healthy: true,
            node_connected: true,
            node_synced: true,
            wallet_connected: true,
            wallet_unlocked: true,
            ..Health::default()
        };
        assert_eq!(failed_check(&ok), None);
        let locked = Health {
            healthy: false,
            wallet_unlocked: false,
            problems: vec!["exccwallet is locked".into()],
            ..ok.clone()
        };
        assert_eq!(
            failed_check(&locked).unwrap(),
            "health check \"unlocked\" failed: exccwallet is locked"
        );
        let unsynced = Health {
            node_synced: false,
            ..locked
        };
        assert!(failed_check(&unsynced).unwrap().contains("\"synced\""));
        assert_eq!(previous_name("/usr/local/bin/x"), "usr%local%bin%x");
    }

    #[test]
    fn restore_script_puts_back_only_verified_copies() {
        let dir = tempfile::tempdir().unwrap();
        let prev = dir.path().join("prev");
        std::fs::create_dir(&prev).unwrap();
        let f = dir.path().join("conf");
        let new = dir.path().join("new");
        std::fs::write(&f, "new").unwrap();
        std::fs::write(&new, "created").unwrap();
        let fname = previous_name(f.to_str().unwrap());
        std::fs::write(prev.join(&fname), "old").unwrap();
        // A file whose mode alone changed (0640 → 0600): the rollback makes it 0640 again.
        let m = dir.path().join("meta-only");
        std::fs::write(&m, "same").unwrap();
        let mode = |p: &std::path::Path| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
        };
        std::fs::set_permissions(&m, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let owner = {
            let out = std::process::Command::new("id")
                .args(["-un"])
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        };
        let group = {
            let out = std::process::Command::new("id")
                .args(["-gn"])
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        };
        let was = plan::facts::Meta {
            mode: 0o640,
            owner,
            group,
        };
        let run = |sha: &str| {
            std::process::Command::new("sh")
                .arg("-c")
                .arg(RESTORE_SCRIPT)
                .arg("sh")
                .arg(&prev)
                .arg(&new)
                .arg("--")
                .args([f.to_str().unwrap(), &fname, sha])
                .arg("--")
                .args(meta_triple(m.to_str().unwrap(), &was))
                .status()
                .unwrap()
                .success()
        };
        assert!(!run(&sha256_hex(b"other")));
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
        assert!(run(&sha256_hex(b"old")));
        assert_eq!(std::fs::read(&f).unwrap(), b"old");
        assert!(!new.exists());
        assert_eq!(mode(&m), 0o640);
        // Already restored: nothing to do.
        assert!(run(&sha256_hex(b"old")));
        assert_eq!(mode(&m), 0o640);
    }
}
