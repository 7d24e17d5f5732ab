//! `poolctl ca revoke --client NAME`: put a client certificate on the pool CA's revocation list.

use std::io::Write;

use poolctl::ca::PoolCa;

use crate::cli::CaCommand;

pub fn run(command: CaCommand, out: &mut impl Write) -> anyhow::Result<()> {
    match command {
        CaCommand::Revoke { file, client } => {
            // Only pool.toml's directory matters: no secrets are resolved, no host is reached.
            let file = std::path::absolute(&file)?;
            let dir = file.parent().unwrap_or(std::path::Path::new("."));
            let ca = PoolCa::open(&dir.join(".poolctl"))?;
            let revoked = ca.revoke_client(&client)?;
            writeln!(
                out,
                "revoked client certificate {client} (serial {}); run `poolctl apply -f {}` to upload the revocation list to every voting host (stakepoold restarts and refuses it); the next plan or apply issues a new {client} certificate",
                hex::encode(&revoked.serial),
                file.display()
            )?;
        }
    }
    Ok(())
}
