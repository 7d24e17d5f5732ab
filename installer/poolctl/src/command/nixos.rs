//! `poolctl nixos render`: one host of pool.toml as NixOS configuration.

use std::io::Write;

use anyhow::Context;
use poolctl::ca::PoolCa;
use poolctl::config::PoolConfig;

use crate::cli::NixosCommand;

pub fn run(cmd: NixosCommand, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        NixosCommand::Render {
            file,
            host,
            out: dir,
        } => {
            let config = PoolConfig::load(&file)?;
            let ca = PoolCa::open_or_create(&config.state_dir()).context("the pool CA")?;
            let rendered = poolctl::nixos::render(&config, &ca, &host)?;
            let dir = dir.unwrap_or_else(|| config.state_dir().join("nixos").join(&host));
            poolctl::nixos::write(&rendered, &dir)?;
            writeln!(
                out,
                "{host}: NixOS configuration in {} (copy secrets/ to {} on the host, root 0600)",
                dir.display(),
                poolctl::nixos::SECRETS_DIR
            )?;
            Ok(())
        }
    }
}
