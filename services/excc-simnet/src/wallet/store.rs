//! The wallet file: seed, passphrase hash, address indexes and imported
//! scripts, as JSON in `<appdata>/simnet/wallet.json`. (The simulator keeps the
//! seed in clear text; it guards no real funds.)

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct WalletFile {
    pub seed: String,
    pub passphrase_sha256: String,
    /// Last returned index per branch (external, internal); -1 = none yet.
    pub last_index: [i64; 2],
    /// Imported redeem scripts (hex), in import order.
    pub scripts: Vec<String>,
    /// Counter for the simulated funding outpoints of purchases.
    pub spends: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot access wallet file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("wallet file {path} is corrupt: {reason}; remove it to create a new wallet")]
    Corrupt { path: String, reason: String },
    #[error(
        "no wallet in {0}: start with --createtemp, or --create with --seed/--seedfile and --privpass"
    )]
    Missing(String),
}

pub fn hash_pass(pass: &str) -> String {
    hex::encode(Sha256::digest(pass.as_bytes()))
}

pub fn path(appdata: &Path) -> PathBuf {
    appdata.join("simnet").join("wallet.json")
}

impl WalletFile {
    pub fn new(seed: &[u8], pass: &str) -> Self {
        WalletFile {
            seed: hex::encode(seed),
            passphrase_sha256: hash_pass(pass),
            last_index: [-1, -1],
            scripts: vec![],
            spends: 0,
        }
    }

    pub fn load(p: &Path) -> Result<Self, StoreError> {
        if !p.exists() {
            return Err(StoreError::Missing(p.display().to_string()));
        }
        let text = std::fs::read_to_string(p).map_err(|source| StoreError::Io {
            path: p.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            path: p.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Writes atomically (temp file + rename).
    pub fn save(&self, p: &Path) -> Result<(), StoreError> {
        let io = |source| StoreError::Io {
            path: p.display().to_string(),
            source,
        };
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = p.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).expect("serializes")).map_err(io)?;
        std::fs::rename(&tmp, p).map_err(io)
    }
}
