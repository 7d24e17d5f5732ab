//! What a host should look like: a list of resources rendered from pool.toml.

use std::fmt;
use std::sync::Arc;

use crate::config::{BinaryName, HostEntry};

/// What a host is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// exccd, exccwallet, stakepoold (`[[hosts]]`).
    Voting,
    /// MariaDB installed by poolctl (`[database]`).
    Database,
    /// nginx + the web service (`[[web_hosts]]`).
    Web,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Voting => "voting",
            Role::Database => "database",
            Role::Web => "web",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A systemd unit poolctl enables, starts and restarts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    Exccd,
    Exccwallet,
    Stakepoold,
    Exccstakepool,
    Nginx,
    Mariadb,
    /// A oneshot that creates the database, its user and grants (re-run when they change).
    DbSetup,
    /// The database backup's timer.
    BackupTimer,
}

impl Service {
    pub const ALL: [Service; 8] = [
        Service::Exccd,
        Service::Exccwallet,
        Service::Stakepoold,
        Service::Exccstakepool,
        Service::Nginx,
        Service::Mariadb,
        Service::DbSetup,
        Service::BackupTimer,
    ];

    /// The unit's name without its suffix (also the restart marker's name).
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Exccd => "exccd",
            Service::Exccwallet => "exccwallet",
            Service::Stakepoold => "stakepoold",
            Service::Exccstakepool => "exccstakepool",
            Service::Nginx => "nginx",
            Service::Mariadb => "mariadb",
            Service::DbSetup => "excc-pool-db-setup",
            Service::BackupTimer => "excc-pool-backup",
        }
    }

    /// `NAME.service` or `NAME.timer`.
    pub fn unit(self) -> String {
        match self {
            Service::BackupTimer => format!("{}.timer", self.as_str()),
            _ => format!("{}.service", self.as_str()),
        }
    }

    pub fn from_unit(unit: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.unit() == unit)
    }

    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl From<BinaryName> for Service {
    fn from(b: BinaryName) -> Service {
        match b {
            BinaryName::Exccd => Service::Exccd,
            BinaryName::Exccwallet => Service::Exccwallet,
            BinaryName::Stakepoold => Service::Stakepoold,
            BinaryName::Exccstakepool => Service::Exccstakepool,
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How apply knows a changed host works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthCheck {
    /// stakepoold's `/healthz` on the host's loopback.
    Stakepoold { port: u16 },
    /// The web service's `/healthz` on the host's loopback (200: database and every voting
    /// node reachable), and nginx answering HTTPS on port 443.
    Web { port: u16 },
    /// The pool's database answers a query (as root over the socket).
    Database,
}

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
    pub restarts: Vec<Service>,
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
    pub role: Role,
    /// Distribution packages that must be installed (apt).
    pub packages: Vec<String>,
    pub users: Vec<UserRes>,
    pub dirs: Vec<DirRes>,
    pub binaries: Vec<BinaryRes>,
    pub files: Vec<FileRes>,
    /// Services in start order.
    pub services: Vec<Service>,
    /// The voting wallet (voting hosts only).
    pub wallet: Option<WalletRes>,
    pub health: HealthCheck,
}

impl HostDesired {
    pub fn file(&self, path: &str) -> Option<&FileRes> {
        self.files.iter().find(|f| f.path == path)
    }

    /// stakepoold's `/healthz` port (voting hosts).
    pub fn stakepoold_health_port(&self) -> Option<u16> {
        match self.health {
            HealthCheck::Stakepoold { port } => Some(port),
            _ => None,
        }
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
