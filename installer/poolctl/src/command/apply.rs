//! `poolctl apply`: converge every host; progress on stderr, a summary on stdout.

use std::io::Write;

use anyhow::Context;
use poolctl::apply::{ApplyOptions, apply};

use crate::cli::PoolArgs;

pub fn run(args: PoolArgs, quiet: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let options = ApplyOptions {
        accept_new_host_keys: args.accept_new_host_keys,
        quiet,
    };
    let report = super::runtime()?
        .block_on(apply(&args.file, &options))
        .context("apply")?;
    let changed = report.plans.iter().filter(|p| !p.is_empty()).count();
    if let Some(c) = &report.cold {
        writeln!(
            out,
            "apply: cold wallet {} watches fee addresses up to index {}",
            c.rpc,
            c.to.max(c.now)
        )?;
    }
    if changed == 0 {
        writeln!(
            out,
            "apply: nothing to change on {} hosts; log in {}",
            report.plans.len(),
            report.log.display()
        )?;
    } else {
        writeln!(
            out,
            "apply: {changed} of {} hosts changed and healthy; log in {}",
            report.plans.len(),
            report.log.display()
        )?;
    }
    Ok(())
}
