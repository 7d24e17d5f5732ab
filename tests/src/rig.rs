//! One voting node on the simulated network, ready to vote: exccd (with or
//! without a transaction index), the pool's cold wallet and voting wallet,
//! pool users with 1-of-2 multisig addresses imported and their preferences
//! pushed to a real stakepoold, and [`Traffic`] to mine blocks with pool
//! tickets winning. For tests of how stakepoold votes under faults.

use std::path::Path;

use excc_rpc::{NodeClient, WalletClient};
use poolctl::audit::{HeightRange, HostJournal, Report};
use serde_json::json;
use stakepoold_proto::v1 as pb;

use crate::filler::Filler;
use crate::simnet::{
    Daemon, start_node, start_node_without_txindex, start_pool_wallet, start_wallet,
};
use crate::stakepoold::{PoolPki, Stakepoold};
use crate::traffic::Traffic;

/// How the voting node is set up.
#[derive(Clone, Debug)]
pub struct RigOptions {
    /// exccd keeps a transaction index (`txindex=1`).
    pub txindex: bool,
    /// Pool users (multisig addresses); user `i` gets vote bits `1 + 4 * (i % 2)`.
    pub users: usize,
}

impl Default for RigOptions {
    fn default() -> Self {
        RigOptions {
            txindex: true,
            users: 2,
        }
    }
}

pub struct Rig {
    /// Blocks are mined on `traffic.node` (this voting node's exccd).
    pub traffic: Traffic,
    pub wallet: Daemon,
    pub cold: Daemon,
    pub cold_xpub: String,
    pub pki: PoolPki,
    pub spd: Stakepoold,
    pub users: Vec<PoolUser>,
}

/// A pool user as the voting wallets know it.
#[derive(Clone, Debug)]
pub struct PoolUser {
    pub multisig: String,
    pub redeem_script: String,
    pub vote_bits: u16,
}

/// The daemons of one voting node before stakepoold: exccd, the pool's cold
/// wallet (its xpub) and the voting wallet in stake-pool mode, unlocked.
pub struct VotingNode {
    pub node: Daemon,
    pub cold: Daemon,
    pub cold_xpub: String,
    pub wallet: Daemon,
    pub pki: PoolPki,
}

impl VotingNode {
    pub async fn start(root: &Path, txindex: bool) -> VotingNode {
        let node = if txindex {
            start_node(root, "node", &[]).await
        } else {
            start_node_without_txindex(root, "node", &[]).await
        };
        let cold = start_wallet(root, "cold", &node, &["--createtemp".into()]).await;
        let cold_xpub = cold.ok_str("getmasterpubkey", json!(["default"])).await;
        let wallet = start_pool_wallet(root, "wallet", &node, &cold_xpub).await;
        VotingNode {
            node,
            cold,
            cold_xpub,
            wallet,
            pki: PoolPki::new(&root.join("pki")),
        }
    }
}

impl Rig {
    pub async fn start(root: &Path, opts: RigOptions) -> Rig {
        let VotingNode {
            node,
            cold,
            cold_xpub,
            wallet,
            pki,
        } = VotingNode::start(root, opts.txindex).await;
        let fee_address = cold
            .ok_str("getnewaddress", json!(["default", "ignore"]))
            .await;
        let filler = start_wallet(root, "filler", &node, &["--createtemp".into()]).await;
        filler.ok("walletpassphrase", json!(["password", 0])).await;
        let users_wallet = start_wallet(root, "users", &node, &["--createtemp".into()]).await;
        users_wallet
            .ok("walletpassphrase", json!(["password", 0]))
            .await;
        let mut users = Vec::new();
        for i in 0..opts.users {
            let (multisig, redeem_script) = add_user(&wallet, &users_wallet).await;
            users.push(PoolUser {
                multisig,
                redeem_script,
                vote_bits: 1 + 4 * (i as u16 % 2),
            });
        }
        let spd = Stakepoold::start(root, "stakepoold", &pki, &node, &wallet, &cold_xpub).await;
        let rig = Rig {
            traffic: Traffic {
                node,
                filler: Filler::new(filler),
                users: users_wallet,
                multisigs: users.iter().map(|u| u.multisig.clone()).collect(),
                fee_address,
                fee_percent: 7.5,
                vote_wait: std::time::Duration::from_secs(3),
                pool_tickets: Default::default(),
                pool_winners: Vec::new(),
                slowest_votes: Default::default(),
            },
            wallet,
            cold,
            cold_xpub,
            pki,
            spd,
            users,
        };
        rig.push_prefs().await;
        rig
    }

    /// Sends every user's preferences to stakepoold, as the web service does.
    pub async fn push_prefs(&self) {
        let mut api = self
            .pki
            .client(self.spd.grpc_port, "web", None)
            .await
            .expect("gRPC client");
        let users = self
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| pb::UserVotingPrefs {
                user_id: i as i64 + 1,
                multisig_address: u.multisig.clone(),
                vote_bits: u32::from(u.vote_bits),
                vote_bits_version: 10,
            })
            .collect();
        api.set_user_voting_prefs(pb::SetUserVotingPrefsRequest { users })
            .await
            .expect("SetUserVotingPrefs");
    }

    /// A second voting wallet (the same seed) on the same exccd, with every
    /// user's script, and its own stakepoold that was never sent the users'
    /// preferences (it votes with the wallet's defaults): another voting node
    /// racing this one for every pool winner. Returns once it is healthy.
    pub async fn second_voter(&self, root: &Path) -> (Daemon, Stakepoold) {
        let node = &self.traffic.node;
        let wallet = start_pool_wallet(root, "wallet2", node, &self.cold_xpub).await;
        for u in &self.users {
            wallet
                .ok("importscript", json!([u.redeem_script, false, 0]))
                .await;
        }
        let index = self
            .wallet
            .ok("accountaddressindex", json!(["default", 0]))
            .await;
        wallet
            .ok("accountsyncaddressindex", json!(["default", 0, index]))
            .await;
        let spd = Stakepoold::start(
            root,
            "stakepoold2",
            &self.pki,
            node,
            &wallet,
            &self.cold_xpub,
        )
        .await;
        crate::wait_for(30, "the second voter healthy", || async {
            (spd.health().await["healthy"] == json!(true)).then_some(())
        })
        .await;
        (wallet, spd)
    }

    /// User `user` buys `n` tickets paying only 1 % (below the pool's fee), an admin adds
    /// them (stakepoold votes them anyway) and the miner waits for their votes like for any
    /// pool ticket's. Returns their hashes.
    pub async fn add_low_fee_tickets(&mut self, user: usize, n: u64) -> Vec<excc_chain::ChainHash> {
        let multisig = self.users[user].multisig.clone();
        let bought = self
            .traffic
            .users
            .ok(
                "purchaseticket",
                json!([
                    "default",
                    100_000,
                    1,
                    multisig,
                    n,
                    self.traffic.fee_address,
                    1.0
                ]),
            )
            .await;
        let low = crate::filler::hashes(&bought);
        self.traffic.pool_tickets.extend(low.iter().copied());
        let tickets = low
            .iter()
            .map(|h| pb::Ticket {
                hash: h.to_string(),
                multisig_address: multisig.clone(),
            })
            .collect();
        let mut api = self
            .pki
            .client(self.spd.grpc_port, "web", None)
            .await
            .expect("gRPC client");
        api.set_added_low_fee_tickets(pb::SetAddedLowFeeTicketsRequest { tickets })
            .await
            .expect("SetAddedLowFeeTickets");
        low
    }

    /// The node blocks are mined on.
    pub fn node(&self) -> &Daemon {
        &self.traffic.node
    }

    /// Mines (the pool buying 5 tickets a block, as many as a block's winners spend, so the
    /// live pool does not drain) until pool tickets have won in `wins` more blocks.
    pub async fn pool_wins(&mut self, wins: usize) {
        let mut seen = 0;
        while seen < wins {
            let (_, n) = self.traffic.block(5).await;
            seen += usize::from(n > 0);
        }
    }

    /// `poolctl audit votes` of this chain over `range`: the facts read through this
    /// node and voting wallet, checked against `journals`.
    pub async fn audit(&self, journals: &[HostJournal], range: HeightRange) -> Report {
        let node = NodeClient::new(self.node().client_config());
        let wallet = WalletClient::new(self.wallet.client_config());
        poolctl::audit::audit_chain(&node, &wallet, journals, range)
            .await
            .expect("the audit reads the chain")
    }
}

/// A stakepoold's vote journal as `poolctl audit votes` reads it, under the host name `host`.
pub fn host_journal(spd: &Stakepoold, host: &str) -> HostJournal {
    let path = spd.dir.join("state").join("votes.jsonl");
    HostJournal::parse(host, &std::fs::read_to_string(path).unwrap_or_default())
}

/// A Prometheus series of a stakepoold's `/metrics` (0 when absent).
pub async fn metric(spd: &Stakepoold, series: &str) -> u64 {
    let (_, text) = spd.get("/metrics").await.expect("/metrics answers");
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

/// A stakepoold's vote journal.
pub fn journal(spd: &Stakepoold) -> Vec<serde_json::Value> {
    let text =
        std::fs::read_to_string(spd.dir.join("state").join("votes.jsonl")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// A pool user: a 1-of-2 multisig of a pool key and a user key, imported into
/// the voting wallet. Returns its address and redeem script.
pub async fn add_user(wallet: &Daemon, users_wallet: &Daemon) -> (String, String) {
    let pool_key = pubkey_of(wallet).await;
    let user_key = pubkey_of(users_wallet).await;
    let ms = wallet
        .ok("createmultisig", json!([1, [pool_key, user_key]]))
        .await;
    wallet
        .ok("importscript", json!([ms["redeemScript"], false, 0]))
        .await;
    (
        ms["address"].as_str().expect("multisig address").into(),
        ms["redeemScript"].as_str().expect("redeem script").into(),
    )
}

/// A fresh address's public key address (`pubkeyaddr`) of `wallet`.
async fn pubkey_of(wallet: &Daemon) -> serde_json::Value {
    let a = wallet
        .ok_str("getnewaddress", json!(["default", "ignore"]))
        .await;
    wallet.ok("validateaddress", json!([a])).await["pubkeyaddr"].clone()
}
