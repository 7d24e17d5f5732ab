//! `poolctl upgrade`: rolling, health-gated apply with automatic rollback; progress on
//! stderr, a summary on stdout.

use std::io::Write;

use poolctl::upgrade::{UpgradeOptions, upgrade};

use crate::cli::PoolArgs;

pub fn run(
    args: PoolArgs,
    quiet: bool,
    health_timeout: Option<u64>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let options = UpgradeOptions {
        accept_new_host_keys: args.accept_new_host_keys,
        quiet,
        health_timeout_secs: health_timeout,
    };
    // The error already names the host and the failed check: no extra context.
    let report = super::runtime()?.block_on(upgrade(&args.file, &options))?;
    if report.upgraded.is_empty() {
        writeln!(
            out,
            "upgrade: nothing to change on {} hosts; log in {}",
            report.hosts,
            report.log.display()
        )?;
    } else {
        writeln!(
            out,
            "upgrade: {} of {} hosts upgraded one at a time and healthy ({}); log in {}",
            report.upgraded.len(),
            report.hosts,
            report.upgraded.join(", "),
            report.log.display()
        )?;
    }
    Ok(())
}
