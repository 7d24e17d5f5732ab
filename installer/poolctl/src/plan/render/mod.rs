//! pool.toml → the desired state of each host ([`resource::HostDesired`]): voting hosts
//! ([`voting`]), the database host ([`database`]) and web hosts ([`web`]).
//!
//! Programs are stored as `/usr/local/lib/excc-pool/NAME/SHA256` and started through a
//! two-line wrapper `/usr/local/bin/NAME` (`exec …/SHA256 "$@"`, plus `node`/`wallet` for the
//! simulator), so the units stay the same for the real programs and the simulator, and the
//! previous version stays on disk for a rollback.
//!
//! [`resource::HostDesired`]: super::resource::HostDesired

mod database;
#[cfg(test)]
mod tests;
mod voting;
mod web;

use crate::ca::PoolCa;
use crate::config::{BinaryName, PoolConfig};

use super::binaries::PreparedBinary;
use super::conf;
use super::resource::{
    BinaryRes, DirRes, FileRes, HostDesired, POOL_LIB, POOL_STATE, Secrecy, Service,
};

pub use voting::{EXCCD_SECRET_KEYS, WALLET_SECRET_KEYS};
pub use web::{WEB_CONF, WEB_LISTEN_PORT};

/// The ports of one network.
#[derive(Clone, Copy, Debug)]
pub struct Ports {
    pub node_rpc: u16,
    pub wallet_rpc: u16,
    pub grpc: u16,
    pub http: u16,
}

pub fn ports(config: &PoolConfig) -> Ports {
    let p = config.network.params().ports;
    Ports {
        node_rpc: p.node_rpc,
        wallet_rpc: p.wallet_rpc.unwrap_or(p.node_rpc + 1),
        grpc: p.stakepoold_grpc,
        http: p.stakepoold_grpc + 1,
    }
}

/// Why the desired state could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Ca(#[from] crate::ca::CaError),
}

/// Renders every voting host.
pub fn render_all(
    config: &PoolConfig,
    binaries: &[PreparedBinary],
    ca: &PoolCa,
) -> Result<Vec<HostDesired>, RenderError> {
    config
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| voting::render_host(config, binaries, ca, h, i == 0))
        .collect()
}

/// Renders the web side: the database host (when poolctl installs MariaDB) first, then
/// every web host. Empty without `[web]`.
pub fn render_web_side(
    config: &PoolConfig,
    binaries: &[PreparedBinary],
    ca: &PoolCa,
) -> Result<Vec<HostDesired>, RenderError> {
    let Some(web) = &config.web else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    if let Some(db) = config.database_host() {
        out.push(database::render_host(config, web, binaries, ca, db)?);
    }
    for h in &web.hosts {
        out.push(web::render_host(config, web, binaries, ca, h)?);
    }
    Ok(out)
}

fn file(path: &str, owner: &str, mode: u32, content: impl Into<Vec<u8>>) -> FileRes {
    FileRes {
        path: path.to_owned(),
        owner: owner.to_owned(),
        group: owner.to_owned(),
        mode,
        content: content.into(),
        secrecy: Secrecy::Public,
        restarts: Vec::new(),
    }
}

impl FileRes {
    fn secret(mut self, s: Secrecy) -> Self {
        self.secrecy = s;
        self
    }

    fn restarts(mut self, svc: Service) -> Self {
        self.restarts.push(svc);
        self
    }
}

fn dir(path: &str, owner: &str, group: &str, mode: u32) -> DirRes {
    DirRes {
        path: path.to_owned(),
        owner: owner.to_owned(),
        group: group.to_owned(),
        mode,
    }
}

/// poolctl's own directories, and `/etc/NAME` + the program directory of each of `names`.
fn pool_dirs(names: &[BinaryName]) -> Vec<DirRes> {
    let mut dirs = vec![
        dir(POOL_LIB, "root", "root", 0o755),
        dir(POOL_STATE, "root", "root", 0o700),
    ];
    for n in names {
        dirs.push(dir(&format!("/etc/{n}"), "root", n.as_str(), 0o750));
        dirs.push(dir(&format!("{POOL_LIB}/{n}"), "root", "root", 0o755));
    }
    dirs
}

/// The programs and their wrappers `/usr/local/bin/NAME` (each restarts its service).
fn programs(binaries: &[PreparedBinary]) -> (Vec<BinaryRes>, Vec<FileRes>) {
    let mut bins = Vec::new();
    let mut files = Vec::new();
    for b in binaries {
        let path = format!("{POOL_LIB}/{}/{}", b.name, b.sha256);
        let wrapper = conf::wrapper(b, &path);
        files.push(
            file(
                &format!("/usr/local/bin/{}", b.name),
                "root",
                0o755,
                wrapper,
            )
            .restarts(b.name.into()),
        );
        bins.push(BinaryRes {
            name: b.name,
            version: b.version.clone(),
            sha256: b.sha256.clone(),
            path,
            bytes: b.bytes.clone(),
        });
    }
    (bins, files)
}

/// The database backup's service (run as `user` on `database_url`) and its timer.
fn backup_units(
    database_url: &str,
    user: &str,
    backup: &crate::config::BackupSettings,
) -> [FileRes; 2] {
    let timer = unit_path(Service::BackupTimer);
    [
        file(
            &timer.replace(".timer", ".service"),
            "root",
            0o644,
            super::db_conf::backup_service(database_url, user, backup),
        ),
        file(&timer, "root", 0o644, super::db_conf::backup_timer(backup))
            .restarts(Service::BackupTimer),
    ]
}

/// exccwallet's config file.
pub const WALLET_CONF: &str = "/etc/exccwallet/exccwallet.conf";

/// stakepoold's `grpc.client_crl`: the pool CA's revocation list of client certificates.
pub const CLIENT_CRL: &str = "/etc/stakepoold/client.crl";

/// `/etc/systemd/system/UNIT`.
pub fn unit_path(s: Service) -> String {
    format!("/etc/systemd/system/{}", s.unit())
}
