//! One file per subcommand.

mod apply;
mod audit;
mod backup;
mod ca;
mod import;
mod key;
mod lab;
mod nixos;
mod plan;
mod status;
mod upgrade;

use std::io::Write;

use crate::cli::{AuditCommand, Command};

/// Runs `command`; `Ok` carries the exit status (plan: 2 when there are changes).
pub fn run(command: Command, out: &mut impl Write) -> anyhow::Result<u8> {
    match command {
        Command::Plan { pool } => plan::run(pool, out),
        Command::Apply { pool, quiet } => apply::run(pool, quiet, out).map(|()| 0),
        Command::Upgrade {
            pool,
            quiet,
            health_timeout,
        } => upgrade::run(pool, quiet, health_timeout, out).map(|()| 0),
        Command::Status { file, json } => status::run(&file, json, out),
        Command::Backup { file, out: dir } => backup::backup(&file, &dir, out).map(|()| 0),
        Command::Restore {
            file,
            backup,
            health_timeout,
        } => backup::restore(&file, &backup, health_timeout, out).map(|()| 0),
        Command::Ca(cmd) => ca::run(cmd, out).map(|()| 0),
        Command::Audit(AuditCommand::Votes {
            file,
            from,
            to,
            json,
        }) => audit::votes(&file, poolctl::audit::HeightRange { from, to }, json, out),
        Command::Key(cmd) => key::run(cmd, out).map(|()| 0),
        Command::Import {
            exccstakepool_conf,
            stakepoold_conf,
            secrets_dir,
            binaries_dir,
        } => import::run(
            poolctl::import::ImportOptions {
                exccstakepool_conf,
                stakepoold_confs: stakepoold_conf,
                secrets_dir,
                binaries_dir,
            },
            out,
        )
        .map(|()| 0),
        Command::Lab(cmd) => lab::run(cmd, out).map(|()| 0),
        Command::Nixos(cmd) => nixos::run(cmd, out).map(|()| 0),
    }
}

/// The runtime every networked command uses (2 worker threads: the machine is small).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
