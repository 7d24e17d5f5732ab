//! `pool.toml`: the pool's declared state, owned by the operator.
//!
//! [`PoolConfig::load`] reads and validates the whole file and reports every problem at once,
//! each with `file:line`, the key and the reason ([`ConfigError`]). Secrets are never written
//! in the file: each is a reference ([`SecretRef`]) to a mode-0600 file, an environment
//! variable or a command, resolved at load time into a [`Secret`] that never prints.
//! [`writeback`] changes single values (a learned host key) while keeping the operator's
//! comments and formatting.

mod generated;
mod load;
mod model;
mod problems;
mod secret;
pub mod writeback;

pub use generated::{generated_secret_path, random_hex};
pub use model::{
    BackupSettings, BinaryName, BinarySource, ColdWallet, DATABASE_NAME, DATABASE_USER, Database,
    HostEntry, PoolConfig, PoolSettings, Secrets, Smtp, SshSettings, WebSettings, WebSide, WebTls,
};
pub use problems::{ConfigError, Problem};
pub(crate) use secret::short_io;
pub use secret::{Secret, SecretRef};

/// `pool.toml` unless `-f` says otherwise.
pub const DEFAULT_FILE: &str = "pool.toml";

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod web_tests;
