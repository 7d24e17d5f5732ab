//! `excc-simnet wallet`: answers like exccwallet 2.7.6 (RPC mode, stake-pool
//! mode optional) and talks to its node over TLS like the real one.

pub mod config;
mod dispatch;
mod help_texts;
pub mod keys;
mod methods_addr;
mod methods_stake;
mod methods_tx;
mod purchase;
pub mod run;
pub mod store;
mod vote;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use excc_chain::{Address, PoolFeePercent};
use excc_rpc::types::RpcError;
use serde_json::Value;

use crate::rpc::envelope::{Call, RpcResult};
use crate::rpc::service::{Faults, Service};
use excc_rpc::RpcClient;
use keys::Keyring;
use store::WalletFile;

/// Stake-pool mode (`--stakepoolcoldextkey`, `--poolfees`).
pub struct PoolMode {
    /// Hash160s of the cold wallet's fee addresses `xpub/0/0..=end`.
    pub fee_addresses: HashSet<[u8; 20]>,
    pub fee: PoolFeePercent,
}

pub struct WalletSettings {
    pub user: String,
    pub pass: String,
    pub pool: Option<PoolMode>,
    pub voting: bool,
    pub admin: bool,
    pub file: PathBuf,
}

pub struct WalletState {
    pub file: WalletFile,
    pub keys: Keyring,
    pub unlocked: bool,
    /// Bumped on every lock/unlock so a stale unlock timeout does nothing.
    pub lock_generation: u64,
    /// Imported scripts by Hash160.
    pub scripts: HashMap<[u8; 20], Vec<u8>>,
}

impl WalletState {
    pub fn save(&self, settings: &WalletSettings) -> Result<(), RpcError> {
        self.file
            .save(&settings.file)
            .map_err(|e| RpcError::new(-4, e.to_string()))
    }

    /// Imported P2SH addresses in import order.
    pub fn imported_addresses(&self) -> Vec<Address> {
        let net = self.keys.network();
        self.file
            .scripts
            .iter()
            .filter_map(|h| hex::decode(h).ok())
            .map(|s| Address::p2sh_from_script(net, &s))
            .collect()
    }

    /// Every address whose tickets the wallet owns.
    pub fn owned_addresses(&self) -> Vec<String> {
        let mut v = self.keys.all_addresses();
        v.extend(self.imported_addresses().iter().map(Address::encode));
        v
    }
}

pub struct Wallet {
    state: Mutex<WalletState>,
    pub node: RpcClient,
    pub settings: WalletSettings,
    node_ok: AtomicBool,
    node_cut: AtomicBool,
    faults: Mutex<Faults>,
    drop_next: AtomicU64,
}

/// The error exccwallet returns when a private key is needed while locked.
pub fn locked_error(op: &str) -> RpcError {
    RpcError::new(
        -13,
        format!("{op}: wallet locked; use walletpassphrase first"),
    )
}

impl Wallet {
    pub fn new(state: WalletState, node: RpcClient, settings: WalletSettings) -> Arc<Self> {
        Arc::new(Wallet {
            state: Mutex::new(state),
            node,
            settings,
            node_ok: AtomicBool::new(false),
            node_cut: AtomicBool::new(false),
            faults: Mutex::new(Faults::default()),
            drop_next: AtomicU64::new(0),
        })
    }

    pub fn state(&self) -> MutexGuard<'_, WalletState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn node_connected(&self) -> bool {
        self.node_ok.load(Ordering::Relaxed) && !self.node_cut.load(Ordering::Relaxed)
    }

    /// Calls the node, returning the raw JSON of the result.
    pub async fn node_raw(&self, method: &str, params: &[Value]) -> Result<String, RpcError> {
        if self.node_cut.load(Ordering::Relaxed) {
            return Err(RpcError::new(
                -1,
                "wallet is not connected to exccd (simulated disconnect)",
            ));
        }
        match self.node.call_raw(method, params.to_vec()).await {
            Ok(v) => {
                self.node_ok.store(true, Ordering::Relaxed);
                // serde_json's preserve_order keeps exccd's key order.
                Ok(v.to_string())
            }
            Err(excc_rpc::Error::Rpc { code, message, .. }) => {
                self.node_ok.store(true, Ordering::Relaxed);
                Err(RpcError::new(code, message))
            }
            Err(e) => {
                self.node_ok.store(false, Ordering::Relaxed);
                Err(RpcError::new(-1, e.to_string()))
            }
        }
    }

    pub async fn node_call(&self, method: &str, params: &[Value]) -> Result<Value, RpcError> {
        let raw = self.node_raw(method, params).await?;
        serde_json::from_str(&raw).map_err(|e| RpcError::new(-1, format!("bad node reply: {e}")))
    }
}

impl Service for Wallet {
    fn realm(&self) -> &'static str {
        "exccwallet RPC"
    }

    fn authorized(&self, user: &str, pass: &str) -> bool {
        user == self.settings.user && pass == self.settings.pass
    }

    fn call(self: &Arc<Self>, call: Call) -> impl Future<Output = RpcResult> + Send {
        let w = self.clone();
        async move { dispatch::dispatch(&w, &call.method, &call.params).await }
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
