//! The text of the files poolctl writes: exccd.conf, exccwallet.conf, stakepoold.toml and the
//! program wrappers. Pure functions of pool.toml, so they are tested here without hosts.

use excc_chain::Network;

use super::binaries::PreparedBinary;
use super::render::Ports;
use crate::config::{HostEntry, PoolConfig};

/// exccd's RPC user.
pub const EXCCD_RPC_USER: &str = "exccd-rpc";
/// exccwallet's RPC user.
pub const WALLET_RPC_USER: &str = "exccwallet-rpc";
/// The seed file, on the host only until the wallet exists.
pub const WALLET_SEED: &str = "/etc/exccwallet/seed";
/// stakepoold's state directory on every voting host (its vote journal is `votes.jsonl`).
pub const STAKEPOOLD_STATE_DIR: &str = "/var/lib/stakepoold";
/// exccd's RPC certificate as stakepoold pins it.
pub const STAKEPOOLD_NODE_CERT: &str = "/etc/stakepoold/exccd-rpc.cert";
/// exccwallet's RPC certificate as stakepoold pins it.
pub const STAKEPOOLD_WALLET_CERT: &str = "/etc/stakepoold/exccwallet-rpc.cert";

fn header(file: &str, host: &HostEntry) -> String {
    format!(
        "; {file} on {}, written by poolctl from pool.toml; local edits are overwritten.\n",
        host.name
    )
}

fn network_line(network: Network) -> &'static str {
    match network {
        Network::Mainnet => "",
        Network::Testnet => "testnet=1\n",
        Network::Simnet => "simnet=1\n",
        Network::Regnet => "regnet=1\n",
    }
}

/// `/usr/local/bin/NAME`: runs the stored version (`node`/`wallet` first for the simulator).
pub fn wrapper(b: &PreparedBinary, path: &str) -> String {
    let (mode_arg, sim) = match (b.simulator, b.name.simulator_mode()) {
        (true, Some(mode)) => (format!(" {mode}"), "; the EXCC simulator"),
        _ => (String::new(), ""),
    };
    format!(
        "#!/bin/sh\n# {} {} (sha256 {}), installed by poolctl{sim}\nexec {path}{mode_arg} \"$@\"\n",
        b.name, b.version, b.sha256
    )
}

/// exccd.conf (without the follower lines and extra settings).
pub fn exccd(config: &PoolConfig, host: &HostEntry, ports: &Ports) -> String {
    let simulator = config.binary(crate::config::BinaryName::Exccd).simulator;
    // The simulator's followers sync over the leader's RPC port.
    let listen = if simulator { "0.0.0.0" } else { "127.0.0.1" };
    format!(
        "{}{}rpcuser={EXCCD_RPC_USER}\nrpcpass={}\nrpclisten={listen}:{}\nrpccert=/etc/exccd/rpc.cert\nrpckey=/etc/exccd/rpc.key\ntxindex=1\n",
        header("exccd.conf", host),
        network_line(config.network),
        config.secrets.exccd_rpc_password.expose(),
        ports.node_rpc,
    )
}

/// The lines that make a simulated node follow the first host's chain.
pub fn exccd_follow(leader: &HostEntry, ports: &Ports) -> String {
    format!(
        "; follow the chain of {} (the simulator's nodes sync from the first host)\nconnect={}:{}\npeercafile=/etc/exccd/peer.cert\n",
        leader.name, leader.address, ports.node_rpc
    )
}

/// exccwallet.conf once the wallet exists: stake-pool mode, voting off, and neither the seed
/// nor the private passphrase (apply unlocks the wallet over RPC).
pub fn exccwallet(config: &PoolConfig, host: &HostEntry, ports: &Ports) -> String {
    exccwallet_conf(config, host, ports, false)
}

/// exccwallet.conf for the wallet's first start, which creates it from the seed file with the
/// private passphrase; apply replaces it with [`exccwallet`] once the wallet exists.
pub fn exccwallet_creating(config: &PoolConfig, host: &HostEntry, ports: &Ports) -> String {
    exccwallet_conf(config, host, ports, true)
}

fn exccwallet_conf(config: &PoolConfig, host: &HostEntry, ports: &Ports, create: bool) -> String {
    let s = &config.secrets;
    let mut conf = header("exccwallet.conf", host);
    conf.push_str(network_line(config.network));
    conf.push_str(&format!(
        "username={WALLET_RPC_USER}\npassword={}\nrpclisten=127.0.0.1:{}\nrpccert=/etc/exccwallet/rpc.cert\nrpckey=/etc/exccwallet/rpc.key\n",
        s.exccwallet_rpc_password.expose(),
        ports.wallet_rpc
    ));
    conf.push_str(&format!(
        "rpcconnect=127.0.0.1:{}\ncafile=/etc/exccwallet/exccd-rpc.cert\nexccdusername={EXCCD_RPC_USER}\nexccdpassword={}\n",
        ports.node_rpc,
        s.exccd_rpc_password.expose()
    ));
    conf.push_str(&format!(
        "; stake-pool mode: fees go to the cold wallet's first {count} addresses\nstakepoolcoldextkey={xpub}:{count}\npoolfees={fee}\n; stakepoold votes; two voters would race\nenablevoting=0\n",
        count = config.pool.fee_address_count,
        xpub = config.pool.cold_wallet_xpub,
        fee = config.pool.fee_percent,
    ));
    if create {
        conf.push_str(&format!(
            "; created on first start from the seed; unlocked by poolctl apply (walletpassphrase)\ncreate=1\nseedfile={WALLET_SEED}\nprivpass={}\n",
            s.wallet_passphrase.expose()
        ));
    }
    push_settings(&mut conf, &config.exccwallet_settings);
    conf
}

/// stakepoold.toml: both RPC links with their pinned certificates, mutual-TLS gRPC with the
/// pool CA and its revocation list, `/healthz` on loopback.
pub fn stakepoold(config: &PoolConfig, host: &HostEntry, ports: &Ports) -> String {
    format!(
        "# stakepoold on {name}, written by poolctl from pool.toml; local edits are overwritten.
network = \"{network}\"
state_dir = \"{STAKEPOOLD_STATE_DIR}\"
pool_fees = {fee}
cold_wallet_ext_pub = \"{cold}\"
fee_address_count = {count}

[node]
rpc = \"127.0.0.1:{node}\"
user = \"{EXCCD_RPC_USER}\"
password_file = \"/etc/stakepoold/exccd.password\"
cert = \"{STAKEPOOLD_NODE_CERT}\"

[wallet]
rpc = \"127.0.0.1:{wallet}\"
user = \"{WALLET_RPC_USER}\"
password_file = \"/etc/stakepoold/exccwallet.password\"
cert = \"{STAKEPOOLD_WALLET_CERT}\"

[grpc]
listen = [\"0.0.0.0:{grpc}\"]
cert = \"/etc/stakepoold/grpc.cert\"
key = \"/etc/stakepoold/grpc.key\"
client_ca = \"/etc/stakepoold/pool-ca.cert\"
client_crl = \"{crl}\"

[http]
listen = \"127.0.0.1:{http}\"
",
        name = host.name,
        network = config.network.name(),
        fee = config.pool.fee_percent,
        cold = config.pool.cold_wallet_xpub,
        count = config.pool.fee_address_count,
        node = ports.node_rpc,
        wallet = ports.wallet_rpc,
        grpc = ports.grpc,
        http = ports.http,
        crl = super::render::CLIENT_CRL,
    )
}

/// Appends pool.toml's extra `settings` lines.
pub fn push_settings(conf: &mut String, settings: &[(String, String)]) {
    if settings.is_empty() {
        return;
    }
    conf.push_str("; [settings] from pool.toml\n");
    for (k, v) in settings {
        conf.push_str(&format!("{k}={v}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_conf_holds_the_passphrase_only_for_creation() {
        let dir = tempfile::tempdir().unwrap();
        let config = PoolConfig::load(&crate::config::tests::sample_in(dir.path())).unwrap();
        let (host, ports) = (&config.hosts[0], super::super::render::ports(&config));
        let kept = exccwallet(&config, host, &ports);
        let creating = exccwallet_creating(&config, host, &ports);
        for line in ["privpass=", "seedfile=", "create="] {
            assert!(!kept.lines().any(|l| l.starts_with(line)), "{kept}");
        }
        assert!(
            creating.contains("\ncreate=1\nseedfile=/etc/exccwallet/seed\nprivpass=pass\n"),
            "{creating}"
        );
        // Only the creation lines differ, so dropping them needs no wallet restart.
        let extra: Vec<&str> = creating
            .lines()
            .filter(|l| !kept.lines().any(|k| k == *l))
            .collect();
        assert_eq!(extra.len(), 4, "{extra:?}");
    }
}
