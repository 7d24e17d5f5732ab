//! Executing one host's plan, phase by phase in a fixed order. Every phase is idempotent
//! (check then apply: the plan was computed from facts read just before), and an interrupted
//! run leaves restart markers on the host so the next plan still restarts what changed.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::PoolConfig;
use crate::host::{Host, HostError, RemoteCommand, SshHost, UploadOptions};
use crate::plan::resource::{
    HealthCheck, PENDING_DIR, POOL_LIB, PREVIOUS_DIR, Service, WALLET_STATE, WalletRes,
};
use crate::plan::{Change, FileChange, HostPlan};
use crate::runtime::WalletLink;

use super::journal::Journal;
use crate::progress::Progress;
use crate::restore::{self, Reach};

/// How long a started wallet may take to answer RPC.
pub const WALLET_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a host's apply stopped.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Host(#[from] HostError),
    #[error(transparent)]
    Restore(#[from] crate::restore::RestoreError),
    #[error("{host}: {step}: {reason}")]
    Failed {
        host: String,
        step: String,
        reason: String,
    },
}

struct Ctx<'a> {
    ssh: &'a Arc<SshHost>,
    reach: &'a Reach,
    plan: &'a HostPlan,
    config: &'a PoolConfig,
    journal: &'a Journal,
    progress: &'a Progress,
}

impl Ctx<'_> {
    fn name(&self) -> &str {
        &self.plan.desired.host.name
    }

    async fn phase<F, T>(&self, step: &str, what: &str, work: F) -> Result<T, StepError>
    where
        F: std::future::Future<Output = Result<T, StepError>>,
    {
        self.journal.record(self.name(), step, "start", what);
        self.progress.line(self.name(), what);
        match work.await {
            Ok(v) => {
                self.journal.record(self.name(), step, "ok", "");
                Ok(v)
            }
            Err(e) => {
                self.journal
                    .record(self.name(), step, "failed", &e.to_string());
                Err(e)
            }
        }
    }

    async fn sh(&self, action: &str, script: &str, args: Vec<String>) -> Result<(), StepError> {
        self.ssh
            .run(&RemoteCommand::shell(script, args))
            .await?
            .check(self.name(), action)?;
        Ok(())
    }

    /// The voting wallet (a wallet change on a host without one is a bug in the plan).
    fn wallet(&self) -> Result<&WalletRes, StepError> {
        self.plan
            .desired
            .wallet
            .as_ref()
            .ok_or_else(|| self.fail("wallet", "this host has no voting wallet"))
    }

    fn fail(&self, step: &str, reason: impl Into<String>) -> StepError {
        StepError::Failed {
            host: self.name().to_owned(),
            step: step.to_owned(),
            reason: reason.into(),
        }
    }
}

/// `/etc/exccd/exccd.conf` → `etc%exccd%exccd.conf`.
fn previous_name(path: &str) -> String {
    path.trim_start_matches('/').replace('/', "%")
}

/// Applies `plan` on `ssh`; `reach` leads to every host's stakepoold (for a restore).
pub async fn apply_host(
    ssh: &Arc<SshHost>,
    reach: &Reach,
    plan: &HostPlan,
    config: &PoolConfig,
    journal: &Journal,
    progress: &Progress,
) -> Result<(), StepError> {
    let cx = Ctx {
        ssh,
        reach,
        plan,
        config,
        journal,
        progress,
    };
    let changes = &plan.changes;

    // Temporary files of uploads an interrupted run left behind (the upload is atomic, so
    // they were never in use).
    let mut dirs: Vec<String> = plan.desired.dirs.iter().map(|d| d.path.clone()).collect();
    dirs.push("/usr/local/bin".to_owned());
    dirs.push("/etc/systemd/system".to_owned());
    cx.sh(
        "removing stale upload files",
        r#"for d; do rm -f -- "$d"/.poolctl-upload.*; done"#,
        dirs,
    )
    .await?;

    if let Some(packages) = changes.iter().find_map(|c| match c {
        Change::Packages(p) => Some(p.clone()),
        _ => None,
    }) {
        cx.phase(
            "packages",
            &format!("installing {} (apt-get)", packages.join(" ")),
            async {
                cx.sh(
                    "installing packages (apt-get install; the host needs its package mirror)",
                    r#"export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "$@" >/dev/null"#,
                    packages.clone(),
                )
                .await
            },
        )
        .await?;
    }

    let users: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::User(u) => Some(u.clone()),
            _ => None,
        })
        .collect();
    if !users.is_empty() {
        cx.phase("users", &format!("creating users {}", users.join(" ")), async {
            cx.sh(
                "creating system users",
                r#"for u; do getent passwd "$u" >/dev/null || useradd --system --user-group --no-create-home --home-dir "/var/lib/$u" --shell /usr/sbin/nologin "$u"; done"#,
                users.clone(),
            )
            .await
        })
        .await?;
    }

    let mut dirs = Vec::new();
    for c in changes {
        if let Change::Dir { res, .. } = c {
            dirs.extend([
                format!("{:o}", res.mode),
                res.owner.clone(),
                res.group.clone(),
                res.path.clone(),
            ]);
        }
    }
    if !dirs.is_empty() {
        cx.phase("directories", &format!("{} directories", dirs.len() / 4), async {
            cx.sh(
                "creating directories",
                r#"while [ $# -gt 0 ]; do install -d -m "$1" -o "$2" -g "$3" -- "$4"; chmod "$1" -- "$4"; chown "$2:$3" -- "$4"; shift 4; done"#,
                dirs.clone(),
            )
            .await
        })
        .await?;
    }

    for c in changes {
        if let Change::Binary { res, .. } = c {
            let what = format!(
                "uploading {} {} ({:.1} MB, verified by sha256)",
                res.name,
                res.version,
                res.bytes.len() as f64 / 1e6
            );
            cx.phase("binaries", &what, async {
                let opts = UploadOptions::default()
                    .mode(0o755)
                    .owner("root")
                    .group("root");
                ssh.upload(&res.bytes, &res.path, &opts).await?;
                Ok(())
            })
            .await?;
        }
    }

    // Before any input of a service changes: mark it for a restart and keep the files being
    // replaced, so an interrupted run still restarts it and a rollback has the old copies.
    let mut marks: Vec<Service> = Vec::new();
    let mut backups: Vec<String> = Vec::new();
    for c in changes {
        if let Change::File { res, change, .. } = c
            && *change != FileChange::Create
            && !matches!(change, FileChange::Meta { .. })
        {
            backups.push(res.path.clone());
        }
        if let Change::Restart { service, .. } = c {
            marks.push(*service);
        }
    }
    if !marks.is_empty() || !backups.is_empty() {
        let mut args = vec![PENDING_DIR.to_owned(), PREVIOUS_DIR.to_owned()];
        args.extend(marks.iter().map(|m| m.as_str().to_owned()));
        args.push("--".into());
        for b in &backups {
            args.extend([b.clone(), previous_name(b)]);
        }
        cx.phase(
            "prepare",
            "marking restarts, keeping previous files",
            async {
                cx.sh(
                    "marking restarts",
                    r#"pending=$1 previous=$2; shift 2
mkdir -p -m 0700 "$pending" "$previous"
while [ "$1" != -- ]; do : > "$pending/$1"; shift; done; shift
while [ $# -gt 0 ]; do cp -p -- "$1" "$previous/$2"; shift 2; done"#,
                    args.clone(),
                )
                .await
            },
        )
        .await?;
    }

    let files: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            Change::File { res, change, .. } => Some((res, change)),
            _ => None,
        })
        .collect();
    if !files.is_empty() {
        cx.phase("files", &format!("writing {} files", files.len()), async {
            let mut meta = Vec::new();
            for (res, change) in &files {
                if matches!(change, FileChange::Meta { .. }) {
                    meta.extend([
                        format!("{:o}", res.mode),
                        format!("{}:{}", res.owner, res.group),
                        res.path.clone(),
                    ]);
                    continue;
                }
                let opts = UploadOptions::default()
                    .mode(res.mode)
                    .owner(&res.owner)
                    .group(&res.group);
                ssh.upload(&res.content, &res.path, &opts).await?;
            }
            if !meta.is_empty() {
                cx.sh(
                    "fixing owners and modes",
                    r#"while [ $# -gt 0 ]; do chown "$2" -- "$3"; chmod "$1" -- "$3"; shift 3; done"#,
                    meta,
                )
                .await?;
            }
            Ok(())
        })
        .await?;
    }

    if changes.iter().any(|c| matches!(c, Change::DaemonReload)) {
        cx.phase("daemon-reload", "systemctl daemon-reload", async {
            cx.sh("systemctl daemon-reload", "systemctl daemon-reload", vec![])
                .await
        })
        .await?;
    }

    let enable: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Enable(s) => Some(s.unit()),
            _ => None,
        })
        .collect();
    if !enable.is_empty() {
        cx.phase("enable", &format!("enabling {}", enable.join(" ")), async {
            cx.sh(
                "enabling services",
                r#"systemctl enable --quiet "$@""#,
                enable.clone(),
            )
            .await
        })
        .await?;
    }

    for c in changes {
        let (verb, service) = match c {
            Change::Restart { service, .. } => ("restart", *service),
            Change::Start(s) => ("start", *s),
            _ => continue,
        };
        cx.phase("services", &format!("{verb}ing {service}"), async {
            let unit = service.unit();
            let out = ssh
                .run(&RemoteCommand::shell(
                    r#"systemctl "$1" "$2" && rm -f -- "$3""#,
                    [verb, unit.as_str(), &format!("{PENDING_DIR}/{service}")],
                ))
                .await?;
            if !out.success() {
                let journal = ssh
                    .run(&RemoteCommand::shell(
                        r#"journalctl -u "$1" -n 3 --no-pager -o cat 2>/dev/null | tail -n 1"#,
                        [unit.as_str()],
                    ))
                    .await
                    .map(|o| o.stdout_text().trim().to_owned())
                    .unwrap_or_default();
                return Err(cx.fail(
                    "services",
                    format!(
                        "systemctl {verb} {unit} failed ({}); last log line: {journal}; see `journalctl -u {unit}` there",
                        out.stderr_text().lines().next().unwrap_or("").trim()
                    ),
                ));
            }
            Ok(())
        })
        .await?;
    }

    let unlock = changes.iter().any(|c| matches!(c, Change::UnlockWallet));
    let sync = changes.iter().find_map(|c| match c {
        Change::SyncAddresses { to, .. } => Some(*to),
        _ => None,
    });
    if unlock || sync.is_some() {
        wallet_steps(&cx, unlock, sync).await?;
    }

    if let Some(r) = changes.iter().find_map(|c| match c {
        Change::Restore(r) => Some(r),
        _ => None,
    }) {
        let from = r.from.as_deref().unwrap_or("a healthy peer");
        cx.phase(
            "restore",
            &format!("restoring {} from {from}", r.what),
            async { restore_from_peer(&cx, &r.what).await },
        )
        .await?;
    }

    if !changes.is_empty() {
        let what = match plan.desired.health {
            HealthCheck::Stakepoold { .. } => "waiting for stakepoold /healthz",
            HealthCheck::Web { .. } => "waiting for the web service's /healthz and nginx",
            HealthCheck::Database => "waiting for the database",
        };
        cx.phase("health", what, async { wait_healthy(&cx).await })
            .await?;
    }
    // Last, so an upgrade that fails before still has every previous copy for its rollback.
    if changes
        .iter()
        .any(|c| matches!(c, Change::ForgetWalletSecrets))
    {
        cx.phase(
            "forget-wallet-secrets",
            "removing the wallet seed and privpass (the wallet exists)",
            forget_wallet_secrets(&cx),
        )
        .await?;
    }
    let upgraded: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Binary { res, .. } => Some(res.name.as_str().to_owned()),
            _ => None,
        })
        .collect();
    if !upgraded.is_empty() {
        let mut args = vec![
            POOL_LIB.to_owned(),
            PREVIOUS_DIR.to_owned(),
            "/usr/local/bin".to_owned(),
        ];
        args.extend(upgraded);
        cx.phase(
            "prune",
            "removing program versions older than the previous one",
            async {
                cx.sh("pruning old program versions", PRUNE_SCRIPT, args)
                    .await
            },
        )
        .await?;
    }
    journal.record(cx.name(), "done", "ok", "");
    Ok(())
}

/// Succeeds when the wallet exists (`$1/*/wallet.db`, the simulator's `wallet.json`).
const WALLET_EXISTS_SCRIPT: &str = r#"for f in "$1"/*/wallet.db "$1"/*/wallet.json; do [ -f "$f" ] && exit 0; done
echo "no wallet file in $1/*/: the wallet was not created; see journalctl -u exccwallet" >&2; exit 1"#;

/// Removes the seed file `$1` and, in the previous-copies directory `$2`, its copy `$3` and
/// the copy `$4` of exccwallet.conf when that holds the private passphrase.
const FORGET_SCRIPT: &str = r#"seed=$1 prev=$2 seedcopy=$3 confcopy=$4
rm -f -- "$seed" "$prev/$seedcopy"
if grep -q '^privpass=' "$prev/$confcopy" 2>/dev/null; then rm -f -- "$prev/$confcopy"; fi"#;

/// The wallet exists: exccwallet.conf without the creation lines (the running wallet does
/// not reread it, so no restart), and the seed gone, with any previous copies of either.
async fn forget_wallet_secrets(cx: &Ctx<'_>) -> Result<(), StepError> {
    let creation = &cx.wallet()?.creation;
    let conf = cx
        .plan
        .desired
        .file(&creation.conf_path)
        .ok_or_else(|| cx.fail("forget-wallet-secrets", "exccwallet.conf was not rendered"))?;
    cx.sh(
        "checking that the wallet exists",
        WALLET_EXISTS_SCRIPT,
        vec![WALLET_STATE.to_owned()],
    )
    .await?;
    let opts = UploadOptions::default()
        .mode(conf.mode)
        .owner(&conf.owner)
        .group(&conf.group);
    cx.ssh.upload(&conf.content, &conf.path, &opts).await?;
    cx.sh(
        "removing the wallet seed",
        FORGET_SCRIPT,
        vec![
            creation.seed.path.clone(),
            PREVIOUS_DIR.to_owned(),
            previous_name(&creation.seed.path),
            previous_name(&conf.path),
        ],
    )
    .await
}

/// Keeps, per program, the version the wrapper runs and the one the previous wrapper ran.
const PRUNE_SCRIPT: &str = r#"lib=$1 prev=$2 bin=$3; shift 3
for n; do
  [ -f "$bin/$n" ] || continue
  cur=$(sed -n "s#^exec $lib/$n/\([0-9a-f]*\).*#\1#p" "$bin/$n")
  old=$(sed -n "s#^exec $lib/$n/\([0-9a-f]*\).*#\1#p" "$prev/usr%local%bin%$n" 2>/dev/null)
  [ -n "$cur" ] || continue
  for f in "$lib/$n"/*; do
    b=${f##*/}
    [ "$b" = "$cur" ] || [ "$b" = "$old" ] || rm -f -- "$f"
  done
done"#;

async fn wallet_steps(cx: &Ctx<'_>, unlock: bool, sync: Option<u32>) -> Result<(), StepError> {
    let secrets = &cx.config.secrets;
    let wallet = cx.wallet()?;
    let link = WalletLink::open(Arc::clone(cx.ssh), wallet, &secrets.exccwallet_rpc_password)
        .await
        .map_err(|e| cx.fail("wallet", e))?;
    let c = &link.client;
    // The wallet may still be starting (or creating itself from the seed).
    cx.phase("wallet", "waiting for the wallet's RPC", async {
        let deadline = Instant::now() + WALLET_TIMEOUT;
        loop {
            match c.wallet_info().await {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    return Err(cx.fail(
                        "wallet",
                        format!(
                            "exccwallet did not answer within {}s: {e}",
                            WALLET_TIMEOUT.as_secs()
                        ),
                    ));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    })
    .await?;
    let xpub = c
        .get_master_pub_key("default")
        .await
        .map_err(|e| cx.fail("wallet", e.to_string()))?;
    if xpub != wallet.voting_xpub {
        return Err(cx.fail(
            "wallet",
            format!(
                "the wallet's account xpub is {xpub}, but pool.voting_wallet_xpub is {}; fix secrets.wallet_seed or the xpub",
                wallet.voting_xpub
            ),
        ));
    }
    if unlock {
        cx.phase("unlock", "unlocking the voting wallet", async {
            let info = c
                .wallet_info()
                .await
                .map_err(|e| cx.fail("unlock", e.to_string()))?;
            if !info.unlocked {
                c.wallet_passphrase(secrets.wallet_passphrase.expose(), 0)
                    .await
                    .map_err(|e| {
                        cx.fail(
                            "unlock",
                            format!(
                                "walletpassphrase failed ({e}); check secrets.wallet_passphrase"
                            ),
                        )
                    })?;
            }
            Ok(())
        })
        .await?;
    }
    if let Some(to) = sync {
        cx.phase(
            "address-sync",
            &format!("accountsyncaddressindex default 0 {to}"),
            async {
                let now = c
                    .account_address_index("default", 0)
                    .await
                    .map_err(|e| cx.fail("address-sync", e.to_string()))?;
                if now < to {
                    c.account_sync_address_index("default", 0, to)
                        .await
                        .map_err(|e| cx.fail("address-sync", e.to_string()))?;
                }
                Ok(())
            },
        )
        .await?;
    }
    Ok(())
}

/// The restore phase: re-reads the host and its peers (a peer healthy now), then copies.
async fn restore_from_peer(cx: &Ctx<'_>, planned: &str) -> Result<(), StepError> {
    let me = cx
        .reach
        .hosts
        .iter()
        .position(|(n, _)| n == cx.name())
        .ok_or_else(|| cx.fail("restore", "the host is not in pool.toml's [[hosts]]"))?;
    let limit = Duration::from_secs(cx.config.health_timeout_secs);
    let line = match restore::restore(cx.reach, me, planned, cx.config.network, limit).await? {
        Some(done) => done.to_string(),
        None => {
            "nothing to restore any more (the host holds what its healthy peers hold)".to_owned()
        }
    };
    cx.progress.line(cx.name(), &line);
    Ok(())
}

async fn wait_healthy(cx: &Ctx<'_>) -> Result<(), StepError> {
    let timeout = Duration::from_secs(cx.config.health_timeout_secs);
    let deadline = Instant::now() + timeout;
    loop {
        let why = match crate::health::check(cx.ssh, cx.plan.desired.health).await {
            Ok(()) => return Ok(()),
            Err(why) => why,
        };
        if Instant::now() >= deadline {
            return Err(cx.fail(
                "health",
                format!(
                    "{why} after {}s; see `journalctl -u {}` there (or raise apply.health_timeout_secs)",
                    timeout.as_secs(),
                    crate::health::checked_unit(cx.plan.desired.health),
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, args: &[&std::path::Path]) -> bool {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .args(args)
            .status()
            .unwrap()
            .success()
    }

    #[test]
    fn forgetting_removes_the_seed_and_copies_holding_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let (etc, prev, state) = (
            dir.path().join("etc"),
            dir.path().join("prev"),
            dir.path().join("state"),
        );
        for d in [&etc, &prev, &state.join("simnet")] {
            std::fs::create_dir_all(d).unwrap();
        }
        let seed = etc.join("seed");
        let conf = etc.join("exccwallet.conf");
        // Not created yet: refused.
        assert!(!sh(WALLET_EXISTS_SCRIPT, &[&state]));
        std::fs::write(state.join("simnet/wallet.json"), "{}").unwrap();
        assert!(sh(WALLET_EXISTS_SCRIPT, &[&state]));

        let (seed_copy, conf_copy) = (
            previous_name(seed.to_str().unwrap()),
            previous_name(conf.to_str().unwrap()),
        );
        std::fs::write(&seed, "00ff\n").unwrap();
        std::fs::write(prev.join(&seed_copy), "00ff\n").unwrap();
        std::fs::write(prev.join(&conf_copy), "a=1\nprivpass=pw\n").unwrap();
        let run = || {
            sh(
                FORGET_SCRIPT,
                &[
                    &seed,
                    &prev,
                    std::path::Path::new(&seed_copy),
                    std::path::Path::new(&conf_copy),
                ],
            )
        };
        assert!(run());
        assert!(!seed.exists() && !prev.join(&seed_copy).exists());
        assert!(!prev.join(&conf_copy).exists());
        // A previous conf without the passphrase stays (upgrade rollbacks need it); again is fine.
        std::fs::write(prev.join(&conf_copy), "a=1\n").unwrap();
        assert!(run());
        assert!(prev.join(&conf_copy).exists());
    }

    #[test]
    fn prune_keeps_current_and_previous_versions() {
        let dir = tempfile::tempdir().unwrap();
        let (lib, prev, bin) = (
            dir.path().join("lib"),
            dir.path().join("prev"),
            dir.path().join("bin"),
        );
        for d in [&lib.join("stakepoold"), &prev, &bin] {
            std::fs::create_dir_all(d).unwrap();
        }
        for v in ["aa", "bb", "cc"] {
            std::fs::write(lib.join("stakepoold").join(v), v).unwrap();
        }
        let wrapper = |v: &str| {
            format!(
                "#!/bin/sh\n# stakepoold {v}\nexec {}/stakepoold/{v} \"$@\"\n",
                lib.display()
            )
        };
        std::fs::write(bin.join("stakepoold"), wrapper("cc")).unwrap();
        std::fs::write(prev.join("usr%local%bin%stakepoold"), wrapper("bb")).unwrap();
        let ok = std::process::Command::new("sh")
            .arg("-c")
            .arg(PRUNE_SCRIPT)
            .arg("sh")
            .args([&lib, &prev, &bin])
            .arg("stakepoold")
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let mut left: Vec<String> = std::fs::read_dir(lib.join("stakepoold"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["bb", "cc"]);
        assert_eq!(
            previous_name("/etc/exccd/exccd.conf"),
            "etc%exccd%exccd.conf"
        );
    }
}
