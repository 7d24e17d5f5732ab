//! What a voting host should look like: a list of resources rendered from pool.toml.

use std::sync::Arc;

use crate::config::{BinaryName, HostEntry};

/// How much of a file's content may be shown in a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secrecy {
    /// Diff freely.
    Public,
    /// `key=value` / `key = value` lines whose key is listed hold secrets: their values are
    /// masked in diffs.
    Keys(&'static [&'static str]),
    /// The whole file is a secret: only `<secret changed>` is ever shown; the host's copy is
    /// compared by SHA-256 and never read back.
    Whole,
}

/// A system user (and its group of the same name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRes {
    pub name: String,
}

/// A directory with owner and mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirRes {
    pub path: String,
    pub owner: String,
    pub group: String,
    pub mode: u32,
}

/// A regular file with owner, mode and exact content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRes {
    pub path: String,
    pub owner: String,
    pub group: String,
    pub mode: u32,
    pub content: Vec<u8>,
    pub secrecy: Secrecy,
    /// Services that must restart when this file changes.
    pub restarts: Vec<BinaryName>,
}

/// An executable stored under its own SHA-256, so versions sit side by side (rollback).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinaryRes {
    pub name: BinaryName,
    pub version: String,
    /// SHA-256 of the executable (not of its archive).
    pub sha256: String,
    /// `/usr/local/lib/excc-pool/NAME/SHA256`.
    pub path: String,
    pub bytes: Arc<Vec<u8>>,
}

/// What the voting wallet must be told at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletRes {
    /// The wallet's RPC port on the host's loopback.
    pub rpc_port: u16,
    pub rpc_user: String,
    /// The wallet's RPC certificate (pinned by the client), PEM.
    pub cert_pem: String,
    /// `getmasterpubkey default` must return this.
    pub voting_xpub: String,
    /// `accountsyncaddressindex default 0 N`.
    pub sync_index: u32,
    /// What creates the wallet on a host that has none yet.
    pub creation: WalletCreation,
}

/// The wallet's first start: exccwallet.conf with `create=1`, `seedfile` and `privpass`, and
/// the seed file. Once a wallet file exists in [`WALLET_STATE`], both are gone from the
/// host (apply removes them after the wallet is up): the wallet is unlocked over RPC only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletCreation {
    /// exccwallet.conf's path; its final content is the host's file of that path.
    pub conf_path: String,
    /// exccwallet.conf for the first start.
    pub creating_conf: Vec<u8>,
    /// The seed file (a whole secret).
    pub seed: FileRes,
}

/// exccwallet's `--appdata` (the unit's StateDirectory): a `*/wallet.db` (or the simulator's
/// `*/wallet.json`) in it means the wallet exists.
pub const WALLET_STATE: &str = "/var/lib/exccwallet";

/// Everything one host should have.
#[derive(Clone, Debug)]
pub struct HostDesired {
    pub host: HostEntry,
    pub users: Vec<UserRes>,
    pub dirs: Vec<DirRes>,
    pub binaries: Vec<BinaryRes>,
    pub files: Vec<FileRes>,
    /// Services in start order.
    pub services: Vec<BinaryName>,
    pub wallet: WalletRes,
    /// stakepoold's `/healthz` port on the host's loopback.
    pub health_port: u16,
}

impl HostDesired {
    pub fn file(&self, path: &str) -> Option<&FileRes> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// Where poolctl keeps its own things on a host.
pub const POOL_LIB: &str = "/usr/local/lib/excc-pool";
/// Restart markers and previous copies of replaced files.
pub const POOL_STATE: &str = "/var/lib/excc-pool";
/// A service is marked here before its inputs change and unmarked after its restart, so a
/// re-run after an interrupted apply still restarts it.
pub const PENDING_DIR: &str = "/var/lib/excc-pool/restart-pending";
/// Previous copies of replaced files, for rollback (`/etc/exccd/exccd.conf` →
/// `…/previous/etc%exccd%exccd.conf`).
pub const PREVIOUS_DIR: &str = "/var/lib/excc-pool/previous";
