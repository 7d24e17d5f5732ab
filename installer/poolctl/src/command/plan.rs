//! `poolctl plan`: print what apply would change; exit 0 (nothing), 2 (changes) or 1 (error).

use std::io::Write;

use anyhow::Context;
use poolctl::config::PoolConfig;
use poolctl::plan;

use crate::cli::PoolArgs;

pub fn run(args: PoolArgs, out: &mut impl Write) -> anyhow::Result<u8> {
    let config = PoolConfig::load(&args.file)?;
    let runtime = super::runtime()?;
    let (plans, cold, notes) = runtime
        .block_on(async {
            let mut prepared = plan::prepare(config)?;
            let notes = std::mem::take(&mut prepared.notes);
            let hosts = plan::connect_pool(&mut prepared, args.accept_new_host_keys).await?;
            let plans = plan::plan_all(&prepared, &hosts).await;
            for ssh in hosts {
                if let Ok(ssh) = std::sync::Arc::try_unwrap(ssh) {
                    ssh.close().await;
                }
            }
            let cold = plan::cold::observe(&prepared.config).await?;
            Ok::<_, plan::PlanError>((plans?, cold, notes))
        })
        .context("plan")?;
    write!(out, "{}", plan::show::render(&plans, cold.as_ref()))?;
    for note in notes {
        writeln!(out, "{note}")?;
    }
    let cold_done = cold.as_ref().is_none_or(plan::ColdPlan::is_empty);
    Ok(if cold_done && plans.iter().all(|p| p.is_empty()) {
        0
    } else {
        2
    })
}
