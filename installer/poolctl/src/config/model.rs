//! The validated content of `pool.toml`.

use std::fmt;
use std::path::PathBuf;

use excc_chain::{Network, PoolFeePercent};

use super::{Secret, SecretRef};
use crate::host::{Fingerprint, SshOptions, SshTarget};

/// Everything `pool.toml` declares, validated, with secrets resolved.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// The file it was loaded from (absolute).
    pub path: PathBuf,
    pub network: Network,
    pub pool: PoolSettings,
    /// `[ssh]`: how poolctl logs in to every host.
    pub ssh: SshSettings,
    /// How long apply waits for stakepoold's `/healthz` after changing a host, seconds.
    pub health_timeout_secs: u64,
    pub binaries: Vec<BinarySource>,
    pub secrets: Secrets,
    /// Extra `key=value` lines for exccd.conf, in file order.
    pub exccd_settings: Vec<(String, String)>,
    /// Extra `key=value` lines for exccwallet.conf, in file order.
    pub exccwallet_settings: Vec<(String, String)>,
    pub hosts: Vec<HostEntry>,
    /// `[cold_wallet]`: the fee wallet poolctl keeps in sync, when it can reach it.
    pub cold_wallet: Option<ColdWallet>,
    /// The web side (`[web]`, `[[web_hosts]]`, `[database]`, `[backup]`,
    /// `[binaries.exccstakepool]`); `None` when pool.toml declares no web host.
    pub web: Option<WebSide>,
}

/// Everything pool.toml declares about the web service and its database.
#[derive(Clone, Debug)]
pub struct WebSide {
    /// `[web]`.
    pub site: WebSettings,
    /// `[[web_hosts]]`, at least one.
    pub hosts: Vec<HostEntry>,
    /// `[database]`.
    pub database: Database,
    /// `[backup]`.
    pub backup: BackupSettings,
    /// `secrets.web_api_secret` (or the one poolctl generated in `.poolctl/secrets/`):
    /// signs API tokens and session cookies; the same on every web host.
    pub api_secret: Secret,
    /// `[web] tls_cert` + `secrets.web_tls_key`; `None`: certificates from the pool CA.
    pub tls: Option<WebTls>,
}

/// `[web]`: the site's settings, rendered into exccstakepool.toml.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSettings {
    /// `https://NAME[:PORT]`, no trailing slash.
    pub base_url: String,
    /// The host name of `base_url` (nginx's `server_name`, the pool-CA certificate's SAN).
    pub server_name: String,
    pub pool_email: String,
    pub closed: bool,
    pub admin_emails: Vec<String>,
    pub sync_interval_secs: u64,
    pub voting_node_timeout_secs: u64,
    /// `[web.limits]` as written: (key, value) in a fixed key order, only those set.
    pub limits: Vec<(String, i64)>,
    /// `[web.smtp]`.
    pub smtp: Option<Smtp>,
}

/// `[web.smtp]` (+ `secrets.smtp_password`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    /// `starttls`, `tls` or `none`.
    pub security: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
}

/// `[database]`.
#[derive(Clone, Debug)]
pub enum Database {
    /// A file in the (single) web host's state directory.
    Sqlite,
    /// MariaDB installed by poolctl on `host`.
    Mariadb {
        host: HostEntry,
        /// `secrets.database_password` (or generated).
        password: Secret,
    },
    /// A server the operator runs.
    External {
        /// `mysql://USER@HOST:PORT/DATABASE`, no password.
        url: String,
        /// Its CA certificate (PEM), read at load.
        ca_pem: String,
        password: Secret,
    },
}

/// The database name and user poolctl creates on an installed MariaDB.
pub const DATABASE_NAME: &str = "excc_pool";
pub const DATABASE_USER: &str = "excc_pool";

/// `[backup]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupSettings {
    pub every_hours: u32,
    pub keep: u32,
}

impl Default for BackupSettings {
    fn default() -> Self {
        BackupSettings {
            every_hours: 24,
            keep: 7,
        }
    }
}

/// The operator's certificate for the site.
#[derive(Clone, Debug)]
pub struct WebTls {
    /// The chain, PEM, read at load.
    pub cert_pem: String,
    /// `secrets.web_tls_key`.
    pub key: Secret,
}

/// `[cold_wallet]`: the operator's wallet that receives the pool fees, reached directly over
/// its JSON-RPC (TLS, certificate pinned) from where poolctl runs.
#[derive(Clone, Debug)]
pub struct ColdWallet {
    /// `host:port` of its RPC.
    pub rpc: String,
    /// Its `rpc.cert` (PEM), read at load.
    pub cert_pem: String,
    pub user: String,
    /// `secrets.cold_wallet_rpc_password`.
    pub password: Secret,
    /// The account whose xpub is `pool.cold_wallet_xpub`.
    pub account: String,
}

/// `[ssh]`.
#[derive(Clone, Debug)]
pub struct SshSettings {
    /// Private key that logs in to every host (unless `agent`).
    pub identity: PathBuf,
    /// `ssh.key_passphrase`: the passphrase of an encrypted `identity`, resolved.
    pub key_passphrase: Option<Secret>,
    /// `ssh.agent = true`: log in with the keys of the SSH agent at this socket (the
    /// `SSH_AUTH_SOCK` poolctl was started with).
    pub agent: Option<PathBuf>,
    /// Connect timeout per host, seconds.
    pub connect_timeout_secs: u64,
}

/// `[pool]`.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub fee_percent: PoolFeePercent,
    /// The fee as written (`7.5`), for config files.
    pub fee_text: String,
    pub cold_wallet_xpub: String,
    pub fee_address_count: u32,
    pub voting_wallet_xpub: String,
    pub voting_address_count: u32,
}

/// The programs poolctl installs: three on each voting host, the web service on web hosts
/// (and on the database host, for its backups).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BinaryName {
    Exccd,
    Exccwallet,
    Stakepoold,
    Exccstakepool,
}

impl BinaryName {
    /// A voting host's programs, in start order.
    pub const VOTING: [BinaryName; 3] = [
        BinaryName::Exccd,
        BinaryName::Exccwallet,
        BinaryName::Stakepoold,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BinaryName::Exccd => "exccd",
            BinaryName::Exccwallet => "exccwallet",
            BinaryName::Stakepoold => "stakepoold",
            BinaryName::Exccstakepool => "exccstakepool",
        }
    }

    /// The simulator's subcommand standing in for this program.
    pub fn simulator_mode(self) -> Option<&'static str> {
        match self {
            BinaryName::Exccd => Some("node"),
            BinaryName::Exccwallet => Some("wallet"),
            BinaryName::Stakepoold | BinaryName::Exccstakepool => None,
        }
    }
}

impl fmt::Display for BinaryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[binaries.NAME]`: where a program comes from and which bytes are expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinarySource {
    pub name: BinaryName,
    /// Shown by plan and status.
    pub version: String,
    /// A local executable, or a `.tar.gz` release archive when `member` is set.
    pub source: PathBuf,
    /// The executable's path inside the archive.
    pub member: Option<String>,
    /// Expected SHA-256 (hex) of `source` (the archive itself for archives).
    pub sha256: String,
    /// The file is `excc-simnet`: run it as `excc-simnet node|wallet …`.
    pub simulator: bool,
    /// Line of `sha256` in pool.toml, for messages.
    pub line: usize,
}

/// `[secrets]`: references, resolved.
#[derive(Clone, Debug)]
pub struct Secrets {
    pub exccd_rpc_password: Secret,
    pub exccwallet_rpc_password: Secret,
    /// The voting wallet's private passphrase (creation and unlock).
    pub wallet_passphrase: Secret,
    /// The voting wallet's seed, hex; the same on every host.
    pub wallet_seed: Secret,
    /// Where each came from, for messages.
    pub refs: Vec<(String, SecretRef)>,
}

/// `[[hosts]]`: one voting host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostEntry {
    pub name: String,
    pub address: String,
    pub ssh_user: String,
    pub ssh_port: u16,
    /// The pinned host key; `None` until learned with `--accept-new-host-keys`.
    pub host_key: Option<Fingerprint>,
    /// Line of the `[[hosts]]` header.
    pub line: usize,
}

impl HostEntry {
    pub fn ssh_target(&self) -> SshTarget {
        SshTarget::new(&self.name, &self.address)
            .port(self.ssh_port)
            .user(&self.ssh_user)
    }
}

impl PoolConfig {
    /// The directory of pool.toml: relative paths in it are relative to this.
    pub fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// poolctl's local state next to pool.toml: CA, journal, logs, lock.
    pub fn state_dir(&self) -> PathBuf {
        self.dir().join(".poolctl")
    }

    /// The program `name`. The loader requires the three voting programs, and
    /// `exccstakepool` whenever there are web hosts ([`web`](Self::web) is `Some`); for it
    /// without a web side use [`binary_if_declared`](Self::binary_if_declared).
    pub fn binary(&self, name: BinaryName) -> &BinarySource {
        self.binary_if_declared(name)
            .expect("the loader requires the voting programs, and exccstakepool with web hosts")
    }

    /// The program `name` when pool.toml declares it (`[binaries.exccstakepool]` is
    /// optional without web hosts).
    pub fn binary_if_declared(&self, name: BinaryName) -> Option<&BinarySource> {
        self.binaries.iter().find(|b| b.name == name)
    }

    /// The web hosts (none without `[web]`).
    pub fn web_hosts(&self) -> &[HostEntry] {
        self.web.as_ref().map_or(&[], |w| &w.hosts)
    }

    /// The database host poolctl installs MariaDB on, if any.
    pub fn database_host(&self) -> Option<&HostEntry> {
        match &self.web.as_ref()?.database {
            Database::Mariadb { host, .. } => Some(host),
            _ => None,
        }
    }

    pub fn host(&self, name: &str) -> Option<&HostEntry> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// SSH options for every host.
    pub fn ssh_options(&self) -> SshOptions {
        SshOptions::new(&self.ssh.identity)
            .key_passphrase(self.ssh.key_passphrase.clone())
            .agent(self.ssh.agent.clone())
            .connect_timeout(std::time::Duration::from_secs(
                self.ssh.connect_timeout_secs,
            ))
    }
}
