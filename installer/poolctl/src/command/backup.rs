//! `poolctl backup` and `poolctl restore`.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use poolctl::config::PoolConfig;

pub fn backup(file: &Path, dir: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let mut config = PoolConfig::load(file)?;
    let fetched = super::runtime()?
        .block_on(poolctl::backup::backup_now(&mut config, dir))
        .context("backup")?;
    writeln!(
        out,
        "backup verified {} and copied to {} (manifest {})",
        fetched.verification.checked_at,
        fetched.file.display(),
        fetched.manifest.display()
    )?;
    Ok(())
}

pub fn restore(
    file: &Path,
    backup: &Path,
    health_timeout: Option<u64>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut config = PoolConfig::load(file)?;
    let timeout = Duration::from_secs(health_timeout.unwrap_or(config.health_timeout_secs));
    super::runtime()?
        .block_on(poolctl::backup::restore(&mut config, backup, timeout))
        .context("restore")?;
    writeln!(
        out,
        "restored {}; every web host is healthy",
        backup.display()
    )?;
    Ok(())
}
