//! `poolctl upgrade` while the pool votes, on three real lab hosts: pool tickets win in every
//! block and blocks keep coming during a rolling upgrade of stakepoold; afterwards the chain
//! says that not one pool ticket was missed.
//!
//! The setup is the production flow: users' 1-of-2 multisig addresses are made from the pool
//! key (derived from pool.toml's voting xpub, which poolctl synced into every voting wallet)
//! and imported on every voting node through stakepoold's gRPC with the web service's
//! client certificate from the pool CA; tickets pay the pool fee to a cold-wallet address.
//! A local wallet (outside the pool) buys filler tickets until the pool can buy its own
//! (from StakeValidationHeight) and votes them. The test mines on voting1's exccd like
//! exccd's miner: it waits up to [`VOTE_WAIT`] for the votes of the tip's pool winners, then
//! mines whatever is there (a vote that is late is a missed ticket).
//!
//! Needs root (the lab). Not root: prints why and returns; as root (CI) it must run through.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use excc_chain::hd::ExtendedKey;
use excc_chain::{Address, ChainHash, Network};
use pool_tests::filler::{Filler, hashes};
use pool_tests::simnet::{Daemon, mempool_votes, start_wallet};
use poolctl::config::{HostEntry, PoolConfig};
use poolctl::lab::is_root;
use poolctl::plan::render::ports;
use serde_json::json;
use stakepoold_proto::v1 as pb;
use stakepoold_proto::v1::stakepoold_service_client::StakepooldServiceClient;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

mod common;
use common::{lab_pool, leader_node, stakepoold_copy, stakepoold_path, text, with_stakepoold};

/// How long the miner waits for the votes of the tip's pool winners before it mines anyway.
const VOTE_WAIT: Duration = Duration::from_secs(5);
/// Simnet's StakeValidationHeight: from here every block needs votes.
const SVH: u64 = 143;
/// Spend limit of the test's ticket purchases (the simulator does not track funds).
const SPEND_LIMIT: u64 = 100_000;

/// A gRPC client of stakepoold on `host`, as the web service connects: the pool CA's `web`
/// client certificate, the host's certificate checked against the pool CA and its name.
async fn stakepoold_client(
    host: &HostEntry,
    ca_dir: &Path,
    port: u16,
) -> StakepooldServiceClient<Channel> {
    let read = |p: &str| std::fs::read(ca_dir.join(p)).unwrap();
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("ca.cert")))
        .identity(Identity::from_pem(
            read("clients/web.cert"),
            read("clients/web.key"),
        ))
        .domain_name(&host.name);
    let channel = Channel::from_shared(format!("https://{}:{port}", host.address))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap_or_else(|e| panic!("gRPC to stakepoold on {}: {e:?}", host.name));
    StakepooldServiceClient::new(channel)
}

/// The pool's side of the chain: who buys pool tickets, which tickets are the pool's, and
/// how mining went.
struct Miner {
    leader: Daemon,
    filler: Filler,
    users: Daemon,
    multisigs: Vec<String>,
    fee_address: String,
    pool_tickets: HashSet<ChainHash>,
    /// Pool winners of every mined block, by height of the tip they voted on.
    pool_winners: Vec<(u64, usize)>,
    slowest_votes: Duration,
}

impl Miner {
    /// Buys `buy` pool tickets (users in turn), waits up to [`VOTE_WAIT`] for the votes of
    /// the tip's pool winners in voting1's mempool, mines one block. Returns the tip height
    /// and its pool winners.
    async fn block(&mut self, buy: u64) -> (u64, usize) {
        let tip = self.filler.prepare_block(&self.leader).await;
        if buy > 0 {
            let multisig = &self.multisigs[tip.height as usize % self.multisigs.len()];
            let t = self
                .users
                .ok(
                    "purchaseticket",
                    json!([
                        "default",
                        SPEND_LIMIT,
                        1,
                        multisig,
                        buy,
                        self.fee_address,
                        7.5
                    ]),
                )
                .await;
            self.pool_tickets.extend(hashes(&t));
        }
        let expect: Vec<ChainHash> = tip
            .winners
            .iter()
            .filter(|w| self.pool_tickets.contains(w))
            .copied()
            .collect();
        let started = Instant::now();
        while started.elapsed() < VOTE_WAIT {
            let seen: HashSet<ChainHash> = mempool_votes(&self.leader)
                .await
                .iter()
                .map(|v| v.ticket)
                .collect();
            if expect.iter().all(|t| seen.contains(t)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.slowest_votes = self.slowest_votes.max(started.elapsed());
        self.leader
            .call("generate", json!([1]))
            .await
            .unwrap_or_else(|e| panic!("mining on the tip at {}: {e}", tip.height));
        self.pool_winners.push((tip.height, expect.len()));
        (tip.height, expect.len())
    }

    /// Pool tickets the chain (voting1's exccd) lists as missed.
    async fn missed_pool_tickets(&self) -> Vec<ChainHash> {
        let missed = self.leader.ok("missedtickets", json!([])).await;
        let missed: Vec<ChainHash> = missed["tickets"]
            .as_array()
            .unwrap_or_else(|| panic!("missedtickets: {missed}"))
            .iter()
            .map(|h| h.as_str().unwrap().parse().unwrap())
            .collect();
        missed
            .into_iter()
            .filter(|t| self.pool_tickets.contains(t))
            .collect()
    }
}

/// The lab chain with pool users, pool tickets bought and stakepoold voting them.
async fn pool_with_tickets(config: &PoolConfig, root: &Path) -> Miner {
    let network = Network::Simnet;
    let p = ports(config);
    let ca_dir = config.state_dir().join("ca");
    let leader = leader_node(config).await;
    let filler = start_wallet(root, "filler", &leader, &["--createtemp".into()]).await;
    filler.ok("walletpassphrase", json!(["password", 0])).await;
    let mut filler = Filler::new(filler);
    // One filler ticket a block until the pool can buy (few enough that pool tickets win
    // nearly every seat later, enough to vote alone until pool tickets mature).
    filler.schedule = |h| u64::from((31..SVH).contains(&h));
    let users = start_wallet(root, "users", &leader, &["--createtemp".into()]).await;
    users.ok("walletpassphrase", json!(["password", 0])).await;

    // Two users, as the web service adds them: pool key k from the voting xpub, multisig
    // made by one voting node, script imported on every voting node, preferences pushed.
    let voting: ExtendedKey = config.pool.voting_wallet_xpub.parse().unwrap();
    let cold: ExtendedKey = config.pool.cold_wallet_xpub.parse().unwrap();
    let mut clients = Vec::new();
    for h in &config.hosts {
        clients.push(stakepoold_client(h, &ca_dir, p.grpc).await);
    }
    let mut multisigs = Vec::new();
    let mut prefs = Vec::new();
    for k in 0..2u32 {
        let pool_key = voting.child(0).unwrap().child(k).unwrap().pubkey();
        let pool_pka = Address::p2pk(network, pool_key).encode();
        let user_addr = users
            .ok_str("getnewaddress", json!(["default", "ignore"]))
            .await;
        let user_pka = users.ok("validateaddress", json!([user_addr])).await["pubkeyaddr"]
            .as_str()
            .unwrap()
            .to_owned();
        let ms = clients[0]
            .create_multisig(pb::CreateMultisigRequest {
                addresses: vec![pool_pka, user_pka],
            })
            .await
            .unwrap()
            .into_inner();
        for c in &mut clients {
            c.import_new_script(pb::ImportNewScriptRequest {
                script: hex::decode(&ms.redeem_script).unwrap(),
            })
            .await
            .unwrap();
        }
        prefs.push(pb::UserVotingPrefs {
            user_id: i64::from(k) + 1,
            multisig_address: ms.address.clone(),
            vote_bits: 1,
            vote_bits_version: 10,
        });
        multisigs.push(ms.address);
    }
    for c in &mut clients {
        c.set_user_voting_prefs(pb::SetUserVotingPrefsRequest {
            users: prefs.clone(),
        })
        .await
        .unwrap();
    }
    let fee_address =
        Address::p2pkh_from_pubkey(network, &cold.child(0).unwrap().child(1).unwrap().pubkey())
            .encode();

    let mut miner = Miner {
        leader,
        filler,
        users,
        multisigs,
        fee_address,
        pool_tickets: HashSet::new(),
        pool_winners: Vec::new(),
        slowest_votes: Duration::ZERO,
    };
    // To StakeValidationHeight on filler tickets; then the pool buys 20 tickets a block
    // (MaxFreshStakePerBlock) for 20 blocks and mines until its tickets have won a few.
    let t = Instant::now();
    loop {
        let height = miner.leader.ok("getblockcount", json!([])).await;
        let height = height.as_u64().unwrap();
        let buy = if (SVH..SVH + 20).contains(&height) {
            20
        } else {
            5
        };
        if height < SVH {
            miner.block(0).await;
        } else if miner.pool_winners.iter().filter(|(_, n)| *n > 0).count() >= 5 {
            break;
        } else {
            miner.block(buy).await;
        }
    }
    eprintln!(
        "chain at {} with {} pool tickets after {:.1}s",
        miner.pool_winners.last().unwrap().0 + 1,
        miner.pool_tickets.len(),
        t.elapsed().as_secs_f32()
    );
    assert_eq!(miner.missed_pool_tickets().await, Vec::<ChainHash>::new());
    miner
}

#[test]
fn no_ticket_missed_during_a_rolling_upgrade() {
    if !is_root() {
        eprintln!(
            "SKIPPED no_ticket_missed_during_a_rolling_upgrade: not root; the lab needs root (CI runs it as root)"
        );
        return;
    }
    let (_turn, _guard, _state, pool) = lab_pool(3);
    let config = PoolConfig::load(Path::new(&pool)).unwrap();
    let root = pool_tests::test_dir("upgrade-voting");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut miner = rt.block_on(pool_with_tickets(&config, root.path()));

    // The rolling upgrade to a differently-built stakepoold runs while blocks keep coming,
    // each with pool winners; the pool keeps buying what it spends.
    let good = std::fs::read_to_string(&pool).unwrap();
    let v2 = stakepoold_copy(&stakepoold_path(&good), "v2");
    std::fs::write(&pool, with_stakepoold(&good, &v2, "v2")).unwrap();
    let upgrading = Arc::new(AtomicBool::new(true));
    let upgrade = {
        let (pool, upgrading) = (pool.clone(), Arc::clone(&upgrading));
        std::thread::spawn(move || {
            let out = common::poolctl(&["upgrade", "-f", &pool]);
            upgrading.store(false, Ordering::SeqCst);
            out
        })
    };
    let first = miner.pool_winners.len();
    let t = Instant::now();
    rt.block_on(async {
        while upgrading.load(Ordering::SeqCst) {
            miner.block(5).await;
        }
        // The last upgraded host votes too.
        for _ in 0..3 {
            miner.block(5).await;
        }
    });
    let out = upgrade.join().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    eprint!("{stderr}");
    assert!(out.status.success(), "upgrade failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("3 of 3 hosts upgraded one at a time and healthy"),
        "{stdout}"
    );
    let during = &miner.pool_winners[first..];
    let won: usize = during.iter().map(|(_, n)| n).sum();
    eprintln!(
        "during the upgrade ({:.1}s): {} blocks, {won} pool winners, slowest votes {:.2}s",
        t.elapsed().as_secs_f32(),
        during.len(),
        miner.slowest_votes.as_secs_f32()
    );
    assert!(
        during.len() >= 10,
        "only {} blocks were mined during the upgrade",
        during.len()
    );
    assert!(
        during.iter().all(|(_, n)| *n > 0),
        "a block without pool winners (the test's premise): {during:?}"
    );
    let missed = rt.block_on(miner.missed_pool_tickets());
    assert!(missed.is_empty(), "pool tickets missed: {missed:?}");
    std::fs::write(&pool, &good).unwrap();
    std::fs::remove_file(&v2).unwrap();
}
