//! Test harness: spawns the real `excc-simnet` binary as node and wallet
//! processes on free ports in temporary directories, and talks to them over
//! TLS like the pool would.

#![allow(dead_code)]

pub mod shape;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use excc_rpc::types::RpcError;
pub mod http_probe;

use excc_rpc::{ClientConfig, PinnedCert, RpcClient};
use http_probe::{HttpProbe, ProbeError};

/// How tests reach a daemon: JSON-RPC through the pool's own `excc-rpc`
/// client, raw HTTP exchanges through the probe.
pub struct Client {
    rpc: RpcClient,
    probe: HttpProbe,
}

#[derive(Debug)]
pub enum ClientError {
    Rpc(RpcError),
    Transport(String),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Rpc(e) => write!(f, "{e}"),
            ClientError::Transport(e) => f.write_str(e),
        }
    }
}

impl Client {
    pub async fn call(&self, method: &str, params: &[Value]) -> Result<Value, ClientError> {
        match self.rpc.call_raw(method, params.to_vec()).await {
            Ok(v) => Ok(v),
            Err(excc_rpc::Error::Rpc { code, message, .. }) => {
                Err(ClientError::Rpc(RpcError::new(code, message)))
            }
            Err(e) => Err(ClientError::Transport(e.to_string())),
        }
    }

    pub async fn request(
        &self,
        body: &[u8],
        auth: Option<&str>,
    ) -> Result<(u16, String, String), ProbeError> {
        self.probe.request(body, auth).await
    }
}
use excc_simnet::rpc::tls;
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_excc-simnet");
pub const USER: &str = "u";
pub const PASS: &str = "p";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn tempdir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!("excc-simnet-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A spawned daemon; killed (by its pid) and its directory removed when
/// dropped (kept when the test failed).
pub struct Daemon {
    pub args: Vec<String>,
    pub child: Child,
    /// Held open: the daemon (`--exitwithstdin`) exits when the test process dies.
    pub stdin: Option<std::process::ChildStdin>,
    pub addr: String,
    pub dir: PathBuf,
    pub cert: PathBuf,
    pub client: Client,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Keep the directory (logs) of a failed test.
        if !std::thread::panicking() && !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Daemon {
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let p = params.as_array().cloned().unwrap_or_default();
        match self.client.call(method, &p).await {
            Ok(v) => Ok(v),
            Err(ClientError::Rpc(e)) => Err(e),
            Err(e) => panic!("{method}: transport error: {e}"),
        }
    }

    pub async fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params.clone())
            .await
            .unwrap_or_else(|e| panic!("{method} {params}: {e}"))
    }

    /// Sends a raw request object; returns (HTTP status, head, parsed body or Null).
    pub async fn raw(&self, req: &Value, auth: Option<&str>) -> (u16, String, String) {
        self.client
            .request(&serde_json::to_vec(req).unwrap(), auth)
            .await
            .expect("transport")
    }

    /// Stops the process (by its pid) and starts it again with the same flags.
    pub async fn restart(mut self) -> Daemon {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut child = spawn(&self.dir, &self.args);
        let client = ready(&mut child, &self.addr, &self.cert, &self.dir).await;
        let d = Daemon {
            args: std::mem::take(&mut self.args),
            stdin: child.stdin.take(),
            child,
            addr: self.addr.clone(),
            dir: self.dir.clone(),
            cert: self.cert.clone(),
            client,
        };
        self.dir = PathBuf::new();
        drop(self);
        d
    }

    /// Like [`Daemon::restart`], keeping this value (and what borrows it).
    pub async fn restart_in_place(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut child = spawn(&self.dir, &self.args);
        self.client = ready(&mut child, &self.addr, &self.cert, &self.dir).await;
        self.stdin = child.stdin.take();
        self.child = child;
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log.txt")).unwrap_or_default()
    }
}

/// Runs an async test on a thread with a large stack (the scenarios are big
/// futures in debug builds) and a two-worker runtime.
pub fn run<F>(f: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let res = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(64 << 20)
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(Box::pin(f))
        })
        .expect("test thread")
        .join();
    if let Err(e) = res {
        std::panic::resume_unwind(e);
    }
}

/// Waits until `f` returns Some, failing after `secs`.
pub async fn wait_for<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn spawn(dir: &Path, args: &[String]) -> Child {
    let log = std::fs::File::create(dir.join("log.txt")).unwrap();
    Command::new(BIN)
        .args(args)
        .arg("--exitwithstdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn excc-simnet")
}

async fn ready(child: &mut Child, addr: &str, cert: &Path, dir: &Path) -> Client {
    let cert = cert.to_path_buf();
    let path = dir.to_path_buf();
    let cfg: Arc<rustls::ClientConfig> = wait_for(30, "the certificate", || {
        let cert = cert.clone();
        async move { tls::client_config(&cert).ok() }
    })
    .await;
    let pinned = PinnedCert::from_pem_file(&cert).expect("pinned cert");
    let rpc_cfg =
        ClientConfig::new(addr, USER, PASS, pinned).with_timeout(Duration::from_secs(120));
    let client = Client {
        rpc: RpcClient::http(rpc_cfg, "excc-simnet"),
        probe: HttpProbe::new(addr, cfg, USER, PASS),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "daemon exited with {status}: {}",
                std::fs::read_to_string(path.join("log.txt")).unwrap_or_default()
            );
        }
        match client.call("getbestblockhash", &[]).await {
            Ok(_) => return client,
            Err(ClientError::Rpc(_)) => return client,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(25)).await
            }
            Err(e) => panic!("daemon at {addr} not ready: {e}"),
        }
    }
}

/// A node with a transaction index (`--txindex`), as the captures were made.
pub async fn start_node(name: &str, extra: &[&str]) -> Daemon {
    let mut with_index = vec!["--txindex"];
    with_index.extend_from_slice(extra);
    start_node_without_txindex(name, &with_index).await
}

/// A node as exccd starts by default: no transaction index.
pub async fn start_node_without_txindex(name: &str, extra: &[&str]) -> Daemon {
    let dir = tempdir(name);
    let addr = format!("127.0.0.1:{}", free_port());
    let mut args: Vec<String> = vec![
        "node".into(),
        "--simnet".into(),
        format!("--appdata={}", dir.display()),
        format!("--rpclisten={addr}"),
        format!("--rpcuser={USER}"),
        format!("--rpcpass={PASS}"),
    ];
    for default in ["--generatetimeout=5", "--votewait=500"] {
        let key = default.split('=').next().unwrap_or(default);
        if !extra.iter().any(|e| e.starts_with(key)) {
            args.push(default.into());
        }
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut child = spawn(&dir, &args);
    let cert = dir.join("rpc.cert");
    let client = ready(&mut child, &addr, &cert, &dir).await;
    Daemon {
        args,
        stdin: child.stdin.take(),
        child,
        addr,
        dir,
        cert,
        client,
    }
}

pub async fn start_wallet(name: &str, node: &Daemon, extra: &[&str]) -> Daemon {
    let dir = tempdir(name);
    let addr = format!("127.0.0.1:{}", free_port());
    let mut args: Vec<String> = vec![
        "wallet".into(),
        "--simnet".into(),
        format!("--appdata={}", dir.display()),
        format!("--rpclisten={addr}"),
        format!("--username={USER}"),
        format!("--password={PASS}"),
        format!("--rpcconnect={}", node.addr),
        format!("--cafile={}", node.cert.display()),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut child = spawn(&dir, &args);
    let cert = dir.join("rpc.cert");
    let client = ready(&mut child, &addr, &cert, &dir).await;
    Daemon {
        args,
        stdin: child.stdin.take(),
        child,
        addr,
        dir,
        cert,
        client,
    }
}

pub fn s(v: &Value) -> String {
    v.as_str().expect("string").to_string()
}

/// The pool setup of the captures: a node, a cold fee wallet and a pool
/// wallet in stake-pool mode (cold xpub:100, 7.5 %), unlocked.
pub struct Pool {
    pub node: Daemon,
    pub cold: Daemon,
    pub wallet: Daemon,
}

impl Pool {
    pub async fn start(name: &str) -> Pool {
        let node = start_node(&format!("{name}-node"), &["--simadmin"]).await;
        let cold = start_wallet(&format!("{name}-cold"), &node, &["--createtemp"]).await;
        let xpub = s(&cold.ok("getmasterpubkey", json!(["default"])).await);
        let seed_dir = tempdir(&format!("{name}-seed"));
        let seed = seed_dir.join("seed.hex");
        std::fs::write(
            &seed,
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
        )
        .unwrap();
        let wallet = start_wallet(
            &format!("{name}-pool"),
            &node,
            &[
                "--create",
                &format!("--seedfile={}", seed.display()),
                "--privpass=password",
                &format!("--stakepoolcoldextkey={xpub}:100"),
                "--poolfees=7.5",
                "--tlscurve=P-256",
                "--simadmin",
            ],
        )
        .await;
        let _ = std::fs::remove_dir_all(&seed_dir);
        wallet.ok("walletpassphrase", json!(["password", 0])).await;
        Pool { node, cold, wallet }
    }

    pub async fn height(&self) -> u64 {
        self.node
            .ok("getblockcount", json!([]))
            .await
            .as_u64()
            .unwrap()
    }

    pub async fn winners(&self) -> (String, u64, Vec<String>) {
        let ci = self.node.ok("simnet_chaininfo", json!([])).await;
        let w = ci["winners"].as_array().unwrap().iter().map(s).collect();
        (s(&ci["hash"]), ci["height"].as_u64().unwrap(), w)
    }

    /// Votes the tip's winners through `generatevote` + `sendrawtransaction`,
    /// skipping `skip` of them; returns the vote txids.
    pub async fn vote(&self, skip: usize) -> Vec<String> {
        let (hash, height, winners) = self.winners().await;
        let mut ids = Vec::new();
        for t in winners.iter().skip(skip) {
            let v = self
                .wallet
                .ok("generatevote", json!([hash, height, t, 1, "0a000000"]))
                .await;
            let id = self.node.ok("sendrawtransaction", json!([v["hex"]])).await;
            ids.push(s(&id));
        }
        ids
    }

    /// Mines `n` blocks, voting every winner first and (from height 100)
    /// buying five wallet tickets per block to keep the live pool steady.
    pub async fn mine(&self, n: usize) {
        for _ in 0..n {
            self.mine_one(0).await;
        }
    }

    /// Mines one block leaving `skip` winners unvoted; returns the vote txids.
    pub async fn mine_one(&self, skip: usize) -> Vec<String> {
        if self.height().await >= 100 {
            self.wallet
                .ok("purchaseticket", json!(["default", 100000, 1, "", 5]))
                .await;
        }
        let votes = self.vote(skip).await;
        self.node.ok("generate", json!([1])).await;
        votes
    }

    /// Mines to `height`, buying `tickets` wallet tickets per block while
    /// below 100 (from StakeEnabledHeight) so the live pool is big enough.
    pub async fn mine_to(&self, height: u64, tickets: u64) {
        while self.height().await < height {
            let h = self.height().await;
            if (31..100).contains(&h) && tickets > 0 {
                self.wallet
                    .ok("purchaseticket", json!(["default", 1000, 1, "", tickets]))
                    .await;
            }
            self.mine(1).await;
        }
    }
}

/// Waits until `b` has `a`'s tip.
pub async fn same_tip(a: &Daemon, b: &Daemon) {
    async fn tip(d: &Daemon) -> String {
        s(&d.ok("getbestblockhash", json!([])).await)
    }
    let want = tip(a).await;
    wait_for(30, "the follower to reach the leader's tip", || {
        let want = want.clone();
        async move { (tip(b).await == want).then_some(()) }
    })
    .await;
}

/// Opens `wss://…/ws`, with the Basic header on the upgrade when `basic_auth`.
pub async fn ws_connect(
    d: &Daemon,
    basic_auth: bool,
) -> tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    use base64::Engine as _;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let cfg = tls::client_config(&d.cert).unwrap();
    let tcp = tokio::net::TcpStream::connect(&d.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let stream = tokio_rustls::TlsConnector::from(cfg)
        .connect(name, tcp)
        .await
        .unwrap();
    let mut req = format!("wss://{}/ws", d.addr)
        .into_client_request()
        .unwrap();
    if basic_auth {
        let b = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"));
        req.headers_mut()
            .insert("Authorization", format!("Basic {b}").parse().unwrap());
    }
    tokio_tungstenite::client_async(req, stream)
        .await
        .unwrap()
        .0
}
