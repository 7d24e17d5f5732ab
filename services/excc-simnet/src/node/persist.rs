//! The node's chain on disk: one JSON line per block (`peers::BlockData`:
//! its transactions and timestamp) in `<appdata>/simnet/blocks.jsonl`. On
//! start the node replays the file through the deterministic chain model, so
//! a restarted node has the same chain (same hashes, tickets, winners).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tracing::{info, warn};

use super::Node;
use super::peers::{self, BlockData};
use crate::chain::Chain;

pub struct Store {
    path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "stored block {height} of {path} does not replay ({reason}); the node was started with other --lotteryseed/--miningaddr, or the file is damaged: fix the flags or move the file away"
    )]
    Replay {
        path: String,
        height: u32,
        reason: String,
    },
}

impl Store {
    pub fn new(appdata: &Path) -> Store {
        Store {
            path: appdata.join("simnet").join("blocks.jsonl"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self) -> Result<Vec<BlockData>, PersistError> {
        if !self.path.exists() {
            return Ok(vec![]);
        }
        let text = std::fs::read_to_string(&self.path).map_err(|source| PersistError::Io {
            path: self.path.display().to_string(),
            source,
        })?;
        let mut out = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str(line) {
                Ok(b) => out.push(b),
                // A torn last line (killed mid-write) ends the chain there.
                Err(e) => {
                    warn!(error = %e, "ignoring a damaged block line at the end of the store");
                    break;
                }
            }
        }
        Ok(out)
    }

    pub fn append(&self, b: &BlockData) {
        let res = (|| -> std::io::Result<()> {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            let mut line = serde_json::to_vec(b).expect("serializes");
            line.push(b'\n');
            f.write_all(&line)
        })();
        if let Err(e) = res {
            warn!(path = %self.path.display(), error = %e, "cannot store block");
        }
    }

    /// Rewrites the file from `chain` (after a block was disconnected).
    pub fn rewrite(&self, chain: &Chain) {
        let mut text = Vec::new();
        for h in 1..=chain.height() {
            if let Some(b) = chain.block_at(h) {
                text.extend(serde_json::to_vec(&peers::block_data(chain, b)).expect("serializes"));
                text.push(b'\n');
            }
        }
        let tmp = self.path.with_extension("jsonl.tmp");
        if let Err(e) = std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, &self.path)) {
            warn!(path = %self.path.display(), error = %e, "cannot rewrite block store");
        }
    }
}

/// Replays the stored chain into `node`, then keeps storing new blocks.
pub fn restore(node: &Arc<Node>, store: Store) -> Result<(), PersistError> {
    let blocks = store.load()?;
    for b in &blocks {
        match peers::apply(node, b) {
            Ok(true) => {}
            Ok(false) => {
                return Err(PersistError::Replay {
                    path: store.path.display().to_string(),
                    height: b.height,
                    reason: "different block hash".into(),
                });
            }
            Err(reason) => {
                return Err(PersistError::Replay {
                    path: store.path.display().to_string(),
                    height: b.height,
                    reason,
                });
            }
        }
    }
    if !blocks.is_empty() {
        info!(height = node.chain().height(), path = %store.path.display(), "restored chain");
    }
    node.persist_to(store);
    Ok(())
}
