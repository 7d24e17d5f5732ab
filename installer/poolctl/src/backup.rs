//! `poolctl backup` and `poolctl restore`: the database's backups from where poolctl runs.
//!
//! Backups are taken on the database host (the web host for SQLite) by the web service's
//! program, `exccstakepool backup create` (a consistent copy, verified by restoring it into a
//! scratch database and comparing row counts), run by `excc-pool-backup.service` — by its
//! timer, or now by `poolctl backup`, which then copies the backup and its manifest here.
//! `poolctl restore FILE` checks the file here (manifest, sha256), uploads it and has
//! `exccstakepool backup verify` check it there *before* anything is stopped; only then
//! are the web services stopped on every web host, the database restored, the services
//! started and their health awaited.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::{Database, HostEntry, PoolConfig};
use crate::host::{Host, HostError, RemoteCommand, SshHost, UploadOptions, sha256_hex};
use crate::plan::db_conf::{BACKUP_DIR, LAST_VERIFICATION, local_mariadb_url};
use crate::plan::resource::HealthCheck;
use crate::plan::web_conf::{WEB_LISTEN_PORT, database_url};
use crate::plan::{PlanError, connect_hosts};
use crate::status::BackupVerification;

/// Why a backup or restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Host(#[from] HostError),
    #[error(
        "pool.toml declares no web side ([web], [[web_hosts]]): there is no database to back up"
    )]
    NoWebSide,
    #[error(
        "[database] kind = \"external\": poolctl does not manage that server; back it up with your own tools (mariadb-dump --single-transaction)"
    )]
    External,
    #[error("{0}")]
    Refused(String),
    #[error("{host}: {what}")]
    Failed { host: String, what: String },
}

/// Where backups are taken, and the database URL the backup program uses there.
struct BackupHost {
    entry: HostEntry,
    url: String,
    /// Who runs the backup program (file ownership of a SQLite database).
    user: &'static str,
}

fn backup_host(config: &PoolConfig) -> Result<BackupHost, BackupError> {
    let web = config.web.as_ref().ok_or(BackupError::NoWebSide)?;
    match &web.database {
        Database::Sqlite => Ok(BackupHost {
            entry: web.hosts[0].clone(),
            url: database_url(web),
            user: "exccstakepool",
        }),
        Database::Mariadb { host, .. } => Ok(BackupHost {
            entry: host.clone(),
            url: local_mariadb_url(),
            user: "root",
        }),
        Database::External { .. } => Err(BackupError::External),
    }
}

/// A backup copied here: the file and its manifest.
#[derive(Debug)]
pub struct Fetched {
    pub file: PathBuf,
    pub manifest: PathBuf,
    pub verification: BackupVerification,
}

async fn connect(
    config: &mut PoolConfig,
    entries: &[HostEntry],
) -> Result<Vec<Arc<SshHost>>, BackupError> {
    Ok(connect_hosts(config, entries, false).await?)
}

/// Takes a backup now (the timer's service, so it is verified the same way) and copies it
/// and its manifest into `out`.
pub async fn backup_now(config: &mut PoolConfig, out: &Path) -> Result<Fetched, BackupError> {
    let at = backup_host(config)?;
    let ssh = connect(config, std::slice::from_ref(&at.entry))
        .await?
        .remove(0);
    let name = at.entry.name.clone();
    let run = ssh
        .run(&RemoteCommand::shell(
            r#"systemctl start excc-pool-backup.service"#,
            [""; 0],
        ))
        .await?;
    let report = read_report(&ssh).await?;
    if !run.success() || !report.ok {
        return Err(BackupError::Failed {
            host: name,
            what: format!(
                "the backup failed: {}; see `journalctl -u excc-pool-backup` there",
                if report.detail.is_empty() {
                    run.stderr_text().trim().to_owned()
                } else {
                    report.detail
                }
            ),
        });
    }
    let remote = remote_path(&report.file);
    let base = Path::new(&remote)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    std::fs::create_dir_all(out)
        .map_err(|e| refused(format!("cannot create {}: {e}", out.display())))?;
    let file = out.join(&base);
    let manifest = out.join(format!("{base}.json"));
    let bytes = ssh.read_file(&remote).await?;
    let meta = ssh.read_file(&format!("{remote}.json")).await?;
    write_private(&file, &bytes)?;
    write_private(&manifest, &meta)?;
    close(ssh).await;
    Ok(Fetched {
        file,
        manifest,
        verification: report,
    })
}

fn remote_path(file: &str) -> String {
    if file.starts_with('/') {
        file.to_owned()
    } else {
        format!("{BACKUP_DIR}/{file}")
    }
}

async fn read_report(ssh: &SshHost) -> Result<BackupVerification, BackupError> {
    let text = ssh.read_file(LAST_VERIFICATION).await?;
    serde_json::from_slice(&text)
        .map_err(|e| refused(format!("{LAST_VERIFICATION} on {}: {e}", ssh.name())))
}

fn refused(why: impl Into<String>) -> BackupError {
    BackupError::Refused(why.into())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| refused(format!("cannot write {}: {e}", path.display())))?;
    f.write_all(bytes)
        .map_err(|e| refused(format!("cannot write {}: {e}", path.display())))
}

/// The manifest's fields poolctl checks before uploading.
#[derive(serde::Deserialize)]
struct Manifest {
    sha256: String,
}

/// Checks `file` and its manifest here: a file without `FILE.json`, or whose sha256 is not
/// the manifest's, is refused before any host is touched.
pub fn check_local(file: &Path) -> Result<(Vec<u8>, Vec<u8>), BackupError> {
    let manifest_path = PathBuf::from(format!("{}.json", file.display()));
    let bytes =
        std::fs::read(file).map_err(|e| refused(format!("cannot read {}: {e}", file.display())))?;
    let meta = std::fs::read(&manifest_path).map_err(|e| {
        refused(format!(
            "cannot read the backup's manifest {}: {e} (poolctl backup writes it beside the backup)",
            manifest_path.display()
        ))
    })?;
    let m: Manifest = serde_json::from_slice(&meta).map_err(|e| {
        refused(format!(
            "{} is not a backup manifest: {e}",
            manifest_path.display()
        ))
    })?;
    if sha256_hex(&bytes) != m.sha256.to_ascii_lowercase() {
        return Err(refused(format!(
            "{} does not match its manifest (sha256 differs): the file is damaged or not this backup; nothing was stopped",
            file.display()
        )));
    }
    Ok((bytes, meta))
}

/// Restores `file`: checked here and on the database's host first; then every web host's
/// service is stopped, the database restored, the services started again and healthy.
pub async fn restore(
    config: &mut PoolConfig,
    file: &Path,
    health_timeout: Duration,
) -> Result<(), BackupError> {
    let at = backup_host(config)?;
    let (bytes, meta) = check_local(file)?;
    let web_hosts: Vec<HostEntry> = config.web_hosts().to_vec();
    let mut entries = vec![at.entry.clone()];
    entries.extend(
        web_hosts
            .iter()
            .filter(|h| h.name != at.entry.name)
            .cloned(),
    );
    let hosts = connect(config, &entries).await?;
    let db = Arc::clone(&hosts[0]);
    let base = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    let remote = format!("{BACKUP_DIR}/restore-{base}");
    let opts = UploadOptions::default()
        .mode(0o600)
        .owner(at.user)
        .group(at.user);
    db.upload(&bytes, &remote, &opts).await?;
    db.upload(&meta, &format!("{remote}.json"), &opts).await?;
    let program = |verb: &str| {
        RemoteCommand::shell(
            r#"u=$1; shift; if [ "$u" = root ]; then exec "$@"; else exec runuser -u "$u" -- "$@"; fi"#,
            [
                at.user,
                "/usr/local/bin/exccstakepool",
                "backup",
                verb,
                "--database",
                &at.url,
                &remote,
            ],
        )
    };
    let verify = db.run(&program("verify")).await?;
    if !verify.success() {
        return Err(refused(format!(
            "{} refused the backup before anything was stopped: {}",
            at.entry.name,
            verify.stderr_text().trim()
        )));
    }
    let web: Vec<Arc<SshHost>> = entries
        .iter()
        .zip(&hosts)
        .filter(|(e, _)| web_hosts.iter().any(|w| w.name == e.name))
        .map(|(_, h)| Arc::clone(h))
        .collect();
    for h in &web {
        systemctl(h, "stop").await?;
    }
    let restored = db.run(&program("restore")).await?;
    // Started again whatever the restore's outcome: a failed restore leaves the old data.
    for h in &web {
        systemctl(h, "start").await?;
    }
    if !restored.success() {
        return Err(BackupError::Failed {
            host: at.entry.name.clone(),
            what: format!(
                "the restore failed (the database keeps its previous content): {}",
                restored.stderr_text().trim()
            ),
        });
    }
    for h in &web {
        wait_healthy(h, health_timeout).await?;
    }
    for h in hosts {
        close(h).await;
    }
    Ok(())
}

async fn systemctl(ssh: &SshHost, verb: &str) -> Result<(), BackupError> {
    ssh.run(&RemoteCommand::shell(
        r#"systemctl "$1" exccstakepool.service"#,
        [verb],
    ))
    .await?
    .check(ssh.name(), &format!("systemctl {verb} exccstakepool"))?;
    Ok(())
}

async fn wait_healthy(ssh: &SshHost, timeout: Duration) -> Result<(), BackupError> {
    let deadline = Instant::now() + timeout;
    loop {
        match crate::health::check(
            ssh,
            HealthCheck::Web {
                port: WEB_LISTEN_PORT,
            },
        )
        .await
        {
            Ok(()) => return Ok(()),
            Err(why) if Instant::now() >= deadline => {
                return Err(BackupError::Failed {
                    host: ssh.name().to_owned(),
                    what: format!("not healthy after the restore: {why}"),
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

async fn close(ssh: Arc<SshHost>) {
    if let Ok(ssh) = Arc::try_unwrap(ssh) {
        ssh.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_does_not_match_its_manifest_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pool.sql");
        std::fs::write(&file, b"-- a dump\n-- Dump completed\n").unwrap();
        let manifest = dir.path().join("pool.sql.json");
        std::fs::write(
            &manifest,
            format!(
                r#"{{"sha256":"{}"}}"#,
                sha256_hex(b"-- a dump\n-- Dump completed\n")
            ),
        )
        .unwrap();
        assert!(check_local(&file).is_ok());
        std::fs::write(&file, b"-- a dump\n").unwrap();
        let e = check_local(&file).unwrap_err().to_string();
        assert!(e.contains("does not match its manifest"), "{e}");
        std::fs::remove_file(&manifest).unwrap();
        let e = check_local(&file).unwrap_err().to_string();
        assert!(e.contains("manifest"), "{e}");
    }
}
