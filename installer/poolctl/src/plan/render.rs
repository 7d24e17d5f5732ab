//! pool.toml → the desired state of each voting host: users, directories, programs, config
//! files for exccd / exccwallet / stakepoold, the CA's certificates, secrets and the hardened
//! systemd units from `systemd/`.
//!
//! Programs are stored as `/usr/local/lib/excc-pool/NAME/SHA256` and started through a
//! two-line wrapper `/usr/local/bin/NAME` (`exec …/SHA256 "$@"`, plus `node`/`wallet` for the
//! simulator), so the units stay the same for the real programs and the simulator, and the
//! previous version stays on disk for a rollback.

use crate::ca::{PoolCa, host_sans};
use crate::config::{BinaryName, HostEntry, PoolConfig};

use super::binaries::PreparedBinary;
use super::conf::{self, WALLET_RPC_USER, WALLET_SEED};
use super::resource::{
    BinaryRes, DirRes, FileRes, HostDesired, POOL_LIB, POOL_STATE, Secrecy, UserRes,
    WalletCreation, WalletRes,
};

const EXCCD_UNIT: &str = include_str!("../../../../systemd/exccd.service");
const EXCCWALLET_UNIT: &str = include_str!("../../../../systemd/exccwallet.service");
const STAKEPOOLD_UNIT: &str = include_str!("../../../../systemd/stakepoold.service");

/// exccd.conf keys holding secrets.
pub const EXCCD_SECRET_KEYS: &[&str] = &["rpcpass"];
/// exccwallet.conf keys holding secrets.
pub const WALLET_SECRET_KEYS: &[&str] = &["password", "exccdpassword", "privpass"];

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

/// Renders every host.
pub fn render_all(
    config: &PoolConfig,
    binaries: &[PreparedBinary],
    ca: &PoolCa,
) -> Result<Vec<HostDesired>, RenderError> {
    config
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| render_host(config, binaries, ca, h, i == 0))
        .collect()
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

    fn restarts(mut self, svc: BinaryName) -> Self {
        self.restarts.push(svc);
        self
    }
}

fn render_host(
    config: &PoolConfig,
    binaries: &[PreparedBinary],
    ca: &PoolCa,
    host: &HostEntry,
    leader: bool,
) -> Result<HostDesired, RenderError> {
    use BinaryName::*;
    let ports = ports(config);
    let sans = host_sans(&host.name, &host.address);
    let node_cert = ca.server_cert(&host.name, "exccd-rpc", &sans)?;
    let wallet_cert = ca.server_cert(&host.name, "exccwallet-rpc", &sans)?;
    let grpc_cert = ca.server_cert(&host.name, "stakepoold-grpc", &sans)?;
    let secrets = &config.secrets;

    let users = BinaryName::VOTING
        .iter()
        .map(|n| UserRes {
            name: n.as_str().to_owned(),
        })
        .collect();
    let mut dirs = vec![
        DirRes {
            path: POOL_LIB.to_owned(),
            owner: "root".into(),
            group: "root".into(),
            mode: 0o755,
        },
        DirRes {
            path: POOL_STATE.to_owned(),
            owner: "root".into(),
            group: "root".into(),
            mode: 0o700,
        },
    ];
    for n in BinaryName::VOTING {
        dirs.push(DirRes {
            path: format!("/etc/{n}"),
            owner: "root".into(),
            group: n.as_str().into(),
            mode: 0o750,
        });
        dirs.push(DirRes {
            path: format!("{POOL_LIB}/{n}"),
            owner: "root".into(),
            group: "root".into(),
            mode: 0o755,
        });
    }

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
            .restarts(b.name),
        );
        bins.push(BinaryRes {
            name: b.name,
            version: b.version.clone(),
            sha256: b.sha256.clone(),
            path,
            bytes: b.bytes.clone(),
        });
    }

    // exccd
    let simulator = config.binary(Exccd).simulator;
    let mut conf = conf::exccd(config, host, &ports);
    let leader_host = &config.hosts[0];
    if simulator && !leader {
        conf.push_str(&conf::exccd_follow(leader_host, &ports));
        let leader_cert = ca.server_cert(
            &leader_host.name,
            "exccd-rpc",
            &host_sans(&leader_host.name, &leader_host.address),
        )?;
        files.push(
            file("/etc/exccd/peer.cert", "exccd", 0o644, leader_cert.cert_pem).restarts(Exccd),
        );
    }
    conf::push_settings(&mut conf, &config.exccd_settings);
    files.push(
        file("/etc/exccd/exccd.conf", "exccd", 0o600, conf)
            .secret(Secrecy::Keys(EXCCD_SECRET_KEYS))
            .restarts(Exccd),
    );
    files.push(
        file(
            "/etc/exccd/rpc.cert",
            "exccd",
            0o644,
            node_cert.cert_pem.clone(),
        )
        .restarts(Exccd),
    );
    files.push(
        file("/etc/exccd/rpc.key", "exccd", 0o600, node_cert.key_pem)
            .secret(Secrecy::Whole)
            .restarts(Exccd),
    );

    // exccwallet: the seed and the private passphrase only until the wallet exists.
    let wallet_conf = |content: String| {
        file(WALLET_CONF, "exccwallet", 0o600, content)
            .secret(Secrecy::Keys(WALLET_SECRET_KEYS))
            .restarts(Exccwallet)
    };
    files.push(wallet_conf(conf::exccwallet(config, host, &ports)));
    let creation = WalletCreation {
        conf_path: WALLET_CONF.to_owned(),
        creating_conf: conf::exccwallet_creating(config, host, &ports).into_bytes(),
        seed: file(
            WALLET_SEED,
            "exccwallet",
            0o600,
            format!("{}\n", secrets.wallet_seed.expose()),
        )
        .secret(Secrecy::Whole)
        .restarts(Exccwallet),
    };
    files.push(
        file(
            "/etc/exccwallet/rpc.cert",
            "exccwallet",
            0o644,
            wallet_cert.cert_pem.clone(),
        )
        .restarts(Exccwallet),
    );
    files.push(
        file(
            "/etc/exccwallet/rpc.key",
            "exccwallet",
            0o600,
            wallet_cert.key_pem,
        )
        .secret(Secrecy::Whole)
        .restarts(Exccwallet),
    );
    files.push(
        file(
            "/etc/exccwallet/exccd-rpc.cert",
            "exccwallet",
            0o644,
            node_cert.cert_pem.clone(),
        )
        .restarts(Exccwallet),
    );

    // stakepoold
    let toml = conf::stakepoold(config, host, &ports);
    let sp = "stakepoold";
    files.push(file("/etc/stakepoold/stakepoold.toml", sp, 0o600, toml).restarts(Stakepoold));
    files.push(
        file(
            "/etc/stakepoold/exccd.password",
            sp,
            0o600,
            secrets.exccd_rpc_password.expose(),
        )
        .secret(Secrecy::Whole)
        .restarts(Stakepoold),
    );
    files.push(
        file(
            "/etc/stakepoold/exccwallet.password",
            sp,
            0o600,
            secrets.exccwallet_rpc_password.expose(),
        )
        .secret(Secrecy::Whole)
        .restarts(Stakepoold),
    );
    files
        .push(file(conf::STAKEPOOLD_NODE_CERT, sp, 0o644, node_cert.cert_pem).restarts(Stakepoold));
    files.push(
        file(
            conf::STAKEPOOLD_WALLET_CERT,
            sp,
            0o644,
            wallet_cert.cert_pem.clone(),
        )
        .restarts(Stakepoold),
    );
    files.push(
        file("/etc/stakepoold/grpc.cert", sp, 0o644, grpc_cert.cert_pem).restarts(Stakepoold),
    );
    files.push(
        file("/etc/stakepoold/grpc.key", sp, 0o600, grpc_cert.key_pem)
            .secret(Secrecy::Whole)
            .restarts(Stakepoold),
    );
    files.push(file("/etc/stakepoold/pool-ca.cert", sp, 0o644, ca.cert_pem()).restarts(Stakepoold));
    // Revoked client certificates (`poolctl ca revoke`); stakepoold reads it at start.
    files.push(file(CLIENT_CRL, sp, 0o644, ca.crl_pem()?).restarts(Stakepoold));

    for (n, unit) in [
        (Exccd, EXCCD_UNIT),
        (Exccwallet, EXCCWALLET_UNIT),
        (Stakepoold, STAKEPOOLD_UNIT),
    ] {
        files.push(file(&unit_path(n), "root", 0o644, unit).restarts(n));
    }

    Ok(HostDesired {
        host: host.clone(),
        users,
        dirs,
        binaries: bins,
        files,
        services: BinaryName::VOTING.to_vec(),
        wallet: WalletRes {
            rpc_port: ports.wallet_rpc,
            rpc_user: WALLET_RPC_USER.to_owned(),
            cert_pem: wallet_cert.cert_pem,
            voting_xpub: config.pool.voting_wallet_xpub.clone(),
            sync_index: config.pool.voting_address_count,
            creation,
        },
        health_port: ports.http,
    })
}

/// exccwallet's config file.
pub const WALLET_CONF: &str = "/etc/exccwallet/exccwallet.conf";

/// stakepoold's `grpc.client_crl`: the pool CA's revocation list of client certificates.
pub const CLIENT_CRL: &str = "/etc/stakepoold/client.crl";

/// `/etc/systemd/system/NAME.service`.
pub fn unit_path(n: BinaryName) -> String {
    format!("/etc/systemd/system/{n}.service")
}
