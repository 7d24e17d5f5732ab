//! A pool applied by `poolctl` (e.g. on `poolctl lab up`'s hosts), seen from outside as the
//! web service sees it: the chain's leader node (the first host's exccd) as an RPC client,
//! and every host's stakepoold over gRPC with the pool CA's `web` client certificate.

use std::path::Path;

use excc_chain::hd::ExtendedKey;
use excc_chain::{Address, Network};
use poolctl::config::{HostEntry, PoolConfig};
use poolctl::plan::conf::EXCCD_RPC_USER;
use poolctl::plan::render::ports;
use stakepoold_proto::v1 as pb;
use stakepoold_proto::v1::stakepoold_service_client::StakepooldServiceClient;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::simnet::Daemon;

pub type StakepooldClient = StakepooldServiceClient<Channel>;

/// The lab tests' directory (separate from the operator's default lab, `/var/tmp/excc-lab`).
pub const TEST_LAB_DIR: &str = "/var/tmp/excc-lab-test";

/// Blocks until this process is the only lab test on the machine (`TEST_LAB_DIR.lock`);
/// released when the file is dropped.
pub fn machine_wide_turn() -> std::fs::File {
    use std::os::fd::AsRawFd;
    let path = format!("{TEST_LAB_DIR}.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    // SAFETY: flock on a descriptor we own; blocks until granted.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(rc, 0, "flock {path}: {}", std::io::Error::last_os_error());
    file
}

/// The first host's exccd (the simulated chain's leader), reached at its address with the
/// pool CA's certificate for it and the pool's RPC password.
pub async fn leader_node(config: &PoolConfig) -> Daemon {
    let leader = &config.hosts[0];
    let cert = config
        .state_dir()
        .join(format!("ca/hosts/{}/exccd-rpc.cert", leader.name));
    Daemon::attach(
        &format!("{}-exccd", leader.name),
        &format!("{}:{}", leader.address, ports(config).node_rpc),
        &cert,
        EXCCD_RPC_USER,
        config.secrets.exccd_rpc_password.expose(),
    )
    .await
}

/// A gRPC client of stakepoold on `host`, as the web service connects: the pool CA's `web`
/// client certificate; the host's certificate must chain to the pool CA and name the host.
pub async fn stakepoold_client(config: &PoolConfig, host: &HostEntry) -> StakepooldClient {
    let ca_dir = config.state_dir().join("ca");
    let read = |p: &str| {
        let path = ca_dir.join(p);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("ca.cert")))
        .identity(Identity::from_pem(
            read("clients/web.cert"),
            read("clients/web.key"),
        ))
        .domain_name(&host.name);
    let channel = Channel::from_shared(format!("https://{}:{}", host.address, ports(config).grpc))
        .expect("gRPC URI")
        .tls_config(tls)
        .expect("TLS config")
        .connect()
        .await
        .unwrap_or_else(|e| panic!("gRPC to stakepoold on {}: {e:?}", host.name));
    StakepooldServiceClient::new(channel)
}

/// Adds pool users as the web service does: user `id`'s pool key is `voting_xpub/0/id`,
/// the first voting node makes the 1-of-2 multisig (pool key first) with a fresh key of
/// `users` (the users' own wallet), every voting node imports the script and gets the
/// preferences (vote bits 1, version 10). Returns the multisig addresses.
pub async fn add_users(
    config: &PoolConfig,
    clients: &mut [StakepooldClient],
    users: &Daemon,
    ids: std::ops::RangeInclusive<u32>,
) -> Vec<String> {
    let voting: ExtendedKey = config.pool.voting_wallet_xpub.parse().expect("voting xpub");
    let mut multisigs = Vec::new();
    let mut prefs = Vec::new();
    for id in ids {
        let pool_key = voting.child(0).unwrap().child(id).unwrap().pubkey();
        let pool_pka = Address::p2pk(config.network, pool_key).encode();
        let (_, user_pka) = users.new_address().await;
        let ms = clients[0]
            .create_multisig(pb::CreateMultisigRequest {
                addresses: vec![pool_pka, user_pka],
            })
            .await
            .expect("CreateMultisig")
            .into_inner();
        let script = hex::decode(&ms.redeem_script).expect("redeem script hex");
        for c in clients.iter_mut() {
            c.import_new_script(pb::ImportNewScriptRequest {
                script: script.clone(),
            })
            .await
            .expect("ImportNewScript");
        }
        prefs.push(pb::UserVotingPrefs {
            user_id: i64::from(id),
            multisig_address: ms.address.clone(),
            vote_bits: 1,
            vote_bits_version: 10,
        });
        multisigs.push(ms.address);
    }
    for c in clients.iter_mut() {
        c.update_user_voting_prefs(pb::UpdateUserVotingPrefsRequest {
            users: prefs.clone(),
        })
        .await
        .expect("UpdateUserVotingPrefs");
    }
    multisigs
}

/// User `id`'s fee address: `cold_wallet_xpub/0/id` (P2PKH).
pub fn fee_address(config: &PoolConfig, id: u32) -> String {
    let cold: ExtendedKey = config.pool.cold_wallet_xpub.parse().expect("cold xpub");
    let key = cold.child(0).unwrap().child(id).unwrap().pubkey();
    Address::p2pkh_from_pubkey(config.network, &key).encode()
}

/// pool.toml at `path`, loaded (secrets resolved).
pub fn load(path: &Path) -> PoolConfig {
    let config = PoolConfig::load(path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.network, Network::Simnet, "the lab runs on simnet");
    config
}
