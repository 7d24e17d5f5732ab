//! `excc-simnet node`: answers like exccd 2.7.6 on simnet.

pub mod config;
mod dispatch;
mod generate;
mod methods_chain;
pub mod methods_sim;
mod methods_stake;
mod methods_tx;
pub mod notify;
pub mod peers;
pub mod persist;
pub mod run;
pub mod script_json;

pub use methods_chain::{node_versions as methods_chain_versions, version_info as version_info_of};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, broadcast};

use crate::chain::{Block, Chain};
use crate::rpc::envelope::{Call, RpcResult};
use crate::rpc::service::{Faults, Notice, Service};

/// Settings the running node needs.
#[derive(Clone, Debug)]
pub struct NodeSettings {
    pub user: String,
    pub pass: String,
    /// 0 = wait forever for votes.
    pub generate_timeout_secs: u64,
    /// How long `generate` waits for all winners' votes once a majority is in.
    pub vote_wait_ms: u64,
    pub admin: bool,
    /// `--txindex`: without it, mined transactions are not served by `getrawtransaction`.
    pub txindex: bool,
}

pub struct Node {
    chain: Mutex<Chain>,
    pub settings: NodeSettings,
    notices: broadcast::Sender<Notice>,
    /// Signalled when the mempool or the tip changes.
    pub changed: Notify,
    generate_lock: tokio::sync::Mutex<()>,
    faults: Mutex<Faults>,
    drop_next: AtomicU64,
    /// Where connected blocks are appended (set after the start-up replay).
    store: Mutex<Option<persist::Store>>,
    /// Peers that accepted transactions are relayed to (`--connect`/`--addpeer`),
    /// as exccd relays to its peers.
    relay: Mutex<Vec<excc_rpc::RpcClient>>,
}

impl Node {
    /// Sets the peers transactions are relayed to.
    pub fn set_relay_peers(&self, peers: Vec<excc_rpc::RpcClient>) {
        *self.relay.lock().unwrap_or_else(|e| e.into_inner()) = peers;
    }

    /// Forwards an accepted transaction to every peer (fire and forget; a peer
    /// that already has it answers "already have", which is fine).
    pub fn relay(&self, hex_tx: &str) {
        let peers = self.relay.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for peer in peers {
            let hex_tx = hex_tx.to_string();
            tokio::spawn(async move {
                let r = peer
                    .call_raw("sendrawtransaction", vec![hex_tx.into()])
                    .await;
                if let Err(e) = r {
                    tracing::debug!(peer = peer.server(), error = %e, "transaction not relayed");
                }
            });
        }
    }

    pub fn new(chain: Chain, settings: NodeSettings) -> Arc<Self> {
        let (notices, _) = broadcast::channel(4096);
        Arc::new(Node {
            chain: Mutex::new(chain),
            settings,
            notices,
            changed: Notify::new(),
            relay: Mutex::new(Vec::new()),
            generate_lock: tokio::sync::Mutex::new(()),
            faults: Mutex::new(Faults::default()),
            drop_next: AtomicU64::new(0),
            store: Mutex::new(None),
        })
    }

    pub fn chain(&self) -> MutexGuard<'_, Chain> {
        self.chain.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes the notifications of a block just connected.
    pub fn announce(&self, chain: &Chain, block: &Block) {
        if let Some(store) = self
            .store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            store.append(&peers::block_data(chain, block));
        }
        for n in notify::block_notices(chain, block) {
            let _ = self.notices.send(n);
        }
        self.changed.notify_waiters();
    }

    /// Publishes `blockdisconnected` for a block just removed from the tip.
    pub fn announce_disconnected(&self, chain: &Chain, block: &Block) {
        if let Some(store) = self
            .store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            store.rewrite(chain);
        }
        let n = excc_rpc::types::Notification::BlockDisconnected {
            header: excc_rpc::types::RawHeader::new(hex::encode(block.header.serialize())),
        };
        let _ = self.notices.send(Notice {
            topic: crate::rpc::service::Topic::Blocks,
            frame: serde_json::to_string(&n.to_frame()).expect("frames serialize"),
        });
        self.changed.notify_waiters();
    }

    /// Starts appending connected blocks to `store`.
    pub fn persist_to(&self, store: persist::Store) {
        *self.store.lock().unwrap_or_else(|e| e.into_inner()) = Some(store);
    }

    fn set_faults(&self, f: impl FnOnce(&mut Faults)) {
        let mut g = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut g);
    }
}

impl Service for Node {
    fn realm(&self) -> &'static str {
        "exccd RPC"
    }

    fn authorized(&self, user: &str, pass: &str) -> bool {
        user == self.settings.user && pass == self.settings.pass
    }

    fn call(self: &Arc<Self>, call: Call) -> impl Future<Output = RpcResult> + Send {
        let node = self.clone();
        async move { dispatch::dispatch(&node, &call.method, &call.params).await }
    }

    fn notices(&self) -> Option<broadcast::Receiver<Notice>> {
        Some(self.notices.subscribe())
    }

    fn rebroadcast_winners(self: &Arc<Self>) -> impl Future<Output = Vec<String>> + Send {
        let node = self.clone();
        async move {
            let chain = node.chain();
            notify::winning(&chain, chain.tip()).into_iter().collect()
        }
    }

    fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn take_drop(&self) -> bool {
        self.drop_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}
