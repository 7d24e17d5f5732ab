//! The simulated network: `excc-simnet node` and `excc-simnet wallet` processes.

use std::path::{Path, PathBuf};

use excc_chain::ChainHash;
use excc_rpc::{ClientConfig, PinnedCert, RpcClient};
use serde_json::{Value, json};

use crate::proc::{Proc, bin, free_port};
use crate::wait_for;

pub const USER: &str = "u";
pub const PASS: &str = "p";
/// The pool wallets' seed (every voting wallet of one pool is restored from it).
pub const POOL_SEED_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// A node or wallet and an RPC client pinned to its certificate: a process this harness
/// started, or one it was pointed at ([`Daemon::attach`], e.g. a lab host's exccd).
pub struct Daemon {
    pub name: String,
    proc: Option<Proc>,
    pub addr: String,
    pub dir: PathBuf,
    pub cert: PathBuf,
    /// RPC credentials (wallets started on a node use them for it).
    pub user: String,
    pub pass: String,
    pub rpc: RpcClient,
    args: Vec<String>,
}

impl Daemon {
    async fn spawn(name: &str, dir: PathBuf, args: Vec<String>, addr: String) -> Daemon {
        let proc = Proc::spawn(name, &bin("excc-simnet"), &args, &dir.join("log.txt"));
        let cert = dir.join("rpc.cert");
        let rpc = connect(&addr, &cert, name, USER, PASS).await;
        let mut d = Daemon {
            name: name.into(),
            proc: Some(proc),
            addr,
            dir,
            cert,
            user: USER.into(),
            pass: PASS.into(),
            rpc,
            args,
        };
        d.wait_ready().await;
        d
    }

    /// A running node or wallet elsewhere: `addr`, its certificate at `cert`, credentials.
    /// It cannot be stopped or restarted from here.
    pub async fn attach(name: &str, addr: &str, cert: &Path, user: &str, pass: &str) -> Daemon {
        let rpc = connect(addr, cert, name, user, pass).await;
        let mut d = Daemon {
            name: name.into(),
            proc: None,
            addr: addr.into(),
            dir: cert.parent().unwrap_or(Path::new(".")).into(),
            cert: cert.into(),
            user: user.into(),
            pass: pass.into(),
            rpc,
            args: Vec::new(),
        };
        d.wait_ready().await;
        d
    }

    fn proc(&mut self) -> &mut Proc {
        let name = &self.name;
        self.proc
            .as_mut()
            .unwrap_or_else(|| panic!("{name} was not started by this harness"))
    }

    async fn wait_ready(&mut self) {
        for _ in 0..1500 {
            if let Some(p) = &mut self.proc {
                p.assert_running();
            }
            match self.rpc.call_raw("getbestblockhash", vec![]).await {
                Ok(_) => return,
                Err(e) if e.rpc_code().is_some() => return,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
        let log = self.proc.as_ref().map(Proc::log_text).unwrap_or_default();
        panic!("{} not ready:\n{log}", self.name);
    }

    /// Stops the process (SIGTERM) and starts it again with the same flags.
    pub async fn restart(&mut self) {
        self.stop();
        self.start_again().await;
    }

    /// Stops the process (SIGTERM) and waits for it to exit.
    pub fn stop(&mut self) {
        self.proc().terminate();
    }

    /// Starts a stopped process again with the same flags.
    pub async fn start_again(&mut self) {
        self.proc();
        self.proc = Some(Proc::spawn(
            &self.name,
            &bin("excc-simnet"),
            &self.args,
            &self.dir.join("log.txt"),
        ));
        self.wait_ready().await;
    }

    /// A client configuration for this daemon (for the typed `NodeClient`/`WalletClient`).
    pub fn client_config(&self) -> ClientConfig {
        let cert = PinnedCert::from_pem_file(&self.cert)
            .unwrap_or_else(|e| panic!("{}'s rpc.cert: {e}", self.name));
        ClientConfig::new(&self.addr, &self.user, &self.pass, cert)
    }

    pub async fn call(&self, method: &str, params: Value) -> Result<Value, excc_rpc::Error> {
        self.rpc
            .call_raw(method, params.as_array().cloned().unwrap_or_default())
            .await
    }

    pub async fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params.clone())
            .await
            .unwrap_or_else(|e| panic!("{} {method} {params}: {e}", self.name))
    }

    /// A new address of the wallet's default account and its public-key form
    /// (`validateaddress`'s `pubkeyaddr`): (P2PKH, P2PK).
    pub async fn new_address(&self) -> (String, String) {
        let addr = self
            .ok_str("getnewaddress", json!(["default", "ignore"]))
            .await;
        let v = self.ok("validateaddress", json!([addr])).await;
        let pka = v["pubkeyaddr"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: validateaddress without pubkeyaddr: {v}", self.name))
            .to_owned();
        (addr, pka)
    }

    pub async fn ok_str(&self, method: &str, params: Value) -> String {
        self.ok(method, params)
            .await
            .as_str()
            .expect("string result")
            .to_string()
    }
}

async fn connect(addr: &str, cert: &Path, name: &str, user: &str, pass: &str) -> RpcClient {
    let cert = cert.to_path_buf();
    let pinned = wait_for(30, &format!("{name}'s rpc.cert"), || {
        let cert = cert.clone();
        async move { PinnedCert::from_pem_file(&cert).ok() }
    })
    .await;
    RpcClient::http(ClientConfig::new(addr, user, pass, pinned), name)
}

/// A node with a transaction index (`txindex=1`, as poolctl configures exccd).
pub async fn start_node(root: &std::path::Path, name: &str, extra: &[String]) -> Daemon {
    let mut with_index = vec!["--txindex".to_string()];
    with_index.extend_from_slice(extra);
    start_node_without_txindex(root, name, &with_index).await
}

/// A node as exccd starts by default: mined transactions are not served by
/// `getrawtransaction` (-32603).
pub async fn start_node_without_txindex(
    root: &std::path::Path,
    name: &str,
    extra: &[String],
) -> Daemon {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let mut args: Vec<String> = [
        "node",
        "--simnet",
        &format!("--appdata={}", dir.display()),
        &format!("--rpclisten={addr}"),
        &format!("--rpcuser={USER}"),
        &format!("--rpcpass={PASS}"),
        "--generatetimeout=20",
        "--simadmin",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().cloned());
    Daemon::spawn(name, dir, args, addr).await
}

pub async fn start_wallet(
    root: &std::path::Path,
    name: &str,
    node: &Daemon,
    extra: &[String],
) -> Daemon {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let mut args: Vec<String> = [
        "wallet",
        "--simnet",
        &format!("--appdata={}", dir.display()),
        &format!("--rpclisten={addr}"),
        &format!("--username={USER}"),
        &format!("--password={PASS}"),
        &format!("--rpcconnect={}", node.addr),
        &format!("--cafile={}", node.cert.display()),
        &format!("--exccdusername={}", node.user),
        &format!("--exccdpassword={}", node.pass),
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().cloned());
    Daemon::spawn(name, dir, args, addr).await
}

/// A voting wallet in stake-pool mode, restored from the pool seed and unlocked.
pub async fn start_pool_wallet(
    root: &std::path::Path,
    name: &str,
    node: &Daemon,
    cold_xpub: &str,
) -> Daemon {
    start_pool_wallet_with(root, name, node, cold_xpub, &[]).await
}

/// Like [`start_pool_wallet`] with extra wallet flags (`--enablevoting`, …); the
/// simulator's fault-injection methods (`--simadmin`) are always on here.
pub async fn start_pool_wallet_with(
    root: &std::path::Path,
    name: &str,
    node: &Daemon,
    cold_xpub: &str,
    extra: &[String],
) -> Daemon {
    let seed = root.join(format!("{name}.seed"));
    crate::pki::write_private(&seed, POOL_SEED_HEX);
    let w = start_wallet(
        root,
        name,
        node,
        &[
            "--create".into(),
            format!("--seedfile={}", seed.display()),
            "--privpass=password".into(),
            format!("--stakepoolcoldextkey={cold_xpub}:100"),
            "--poolfees=7.5".into(),
            "--simadmin".into(),
        ]
        .into_iter()
        .chain(extra.iter().cloned())
        .collect::<Vec<_>>(),
    )
    .await;
    w.ok("walletpassphrase", json!(["password", 0])).await;
    w
}

/// A vote in the mempool or a block: which ticket it spends and its vote bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteTx {
    pub ticket: ChainHash,
    pub vote_bits: u16,
}

/// Decodes a vote transaction; `None` for anything else.
pub fn parse_vote(hex: &str) -> Option<VoteTx> {
    let vote = excc_chain::Vote::from_hex(hex).ok()?;
    Some(VoteTx {
        ticket: vote.ticket,
        vote_bits: vote.vote_bits,
    })
}

/// Votes currently in a node's mempool.
pub async fn mempool_votes(node: &Daemon) -> Vec<VoteTx> {
    let ids = node.ok("getrawmempool", json!([])).await;
    let mut out = Vec::new();
    for id in ids.as_array().unwrap() {
        if let Ok(hex) = node.call("getrawtransaction", json!([id, 0])).await
            && let Some(v) = hex.as_str().and_then(parse_vote)
        {
            out.push(v);
        }
    }
    out
}

/// The tip's hash, height and winners (simulator admin method).
pub async fn tip_winners(node: &Daemon) -> (String, u64, Vec<ChainHash>) {
    let ci = node.ok("simnet_chaininfo", json!([])).await;
    let winners = ci["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().parse().unwrap())
        .collect();
    (
        ci["hash"].as_str().unwrap().to_string(),
        ci["height"].as_u64().unwrap(),
        winners,
    )
}
