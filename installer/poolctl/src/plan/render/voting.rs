//! A voting host: exccd, exccwallet and stakepoold with their configs, the CA's
//! certificates, secrets and the hardened units from `systemd/`.

use crate::ca::{PoolCa, host_sans};
use crate::config::{BinaryName, HostEntry, PoolConfig};

use super::super::binaries::PreparedBinary;
use super::super::conf::{self, WALLET_RPC_USER, WALLET_SEED};
use super::super::resource::{
    HealthCheck, HostDesired, Role, Secrecy, Service, UserRes, WalletCreation, WalletRes,
};
use super::{CLIENT_CRL, RenderError, WALLET_CONF, file, pool_dirs, ports, programs, unit_path};

const EXCCD_UNIT: &str = include_str!("../../../../../systemd/exccd.service");
const EXCCWALLET_UNIT: &str = include_str!("../../../../../systemd/exccwallet.service");
const STAKEPOOLD_UNIT: &str = include_str!("../../../../../systemd/stakepoold.service");

/// exccd.conf keys holding secrets.
pub const EXCCD_SECRET_KEYS: &[&str] = &["rpcpass"];
/// exccwallet.conf keys holding secrets.
pub const WALLET_SECRET_KEYS: &[&str] = &["password", "exccdpassword", "privpass"];

pub(super) fn render_host(
    config: &PoolConfig,
    binaries: &[PreparedBinary],
    ca: &PoolCa,
    host: &HostEntry,
    leader: bool,
) -> Result<HostDesired, RenderError> {
    use Service::*;
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
    let dirs = pool_dirs(&BinaryName::VOTING);
    let voting: Vec<PreparedBinary> = binaries
        .iter()
        .filter(|b| BinaryName::VOTING.contains(&b.name))
        .cloned()
        .collect();
    let (bins, mut files) = programs(&voting);

    // exccd
    let simulator = config.binary(BinaryName::Exccd).simulator;
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
        role: Role::Voting,
        packages: Vec::new(),
        services: vec![Exccd, Exccwallet, Stakepoold],
        wallet: Some(WalletRes {
            rpc_port: ports.wallet_rpc,
            rpc_user: WALLET_RPC_USER.to_owned(),
            cert_pem: wallet_cert.cert_pem,
            voting_xpub: config.pool.voting_wallet_xpub.clone(),
            sync_index: config.pool.voting_address_count,
            creation,
        }),
        health: HealthCheck::Stakepoold { port: ports.http },
    })
}
