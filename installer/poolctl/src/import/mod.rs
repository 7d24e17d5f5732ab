//! `poolctl import`: the legacy Go pool's INI configs (`exccstakepool.conf`, one
//! `stakepoold.conf` per voting node) → an equivalent pool.toml.
//!
//! Every option of ../shared/docs/legacy-exccstakepool.md §10 is either imported or listed
//! as a `# not imported: KEY = VALUE (why)` comment ([`keys`]); secret values are never
//! written into pool.toml (not even in comments): each goes into its own mode-0600 file in
//! the secrets directory and pool.toml references it. What import cannot know (the wallet
//! seed, the programs, SSH details) is marked `TODO` in the output.

mod build;
mod ini;
mod keys;
mod secrets;

use std::path::{Path, PathBuf};

use excc_chain::{Network, PoolFeePercent};

pub use ini::Ini;

/// What to import and where secrets go.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    pub exccstakepool_conf: PathBuf,
    /// One per voting node, in the order of the web app's `stakepooldhosts`.
    pub stakepoold_confs: Vec<PathBuf>,
    /// Where secret files are written; referenced from pool.toml as given (a relative
    /// directory is relative to pool.toml's directory, i.e. the current one).
    pub secrets_dir: PathBuf,
    /// A directory holding `exccd`, `exccwallet`, `stakepoold` and `exccstakepool`: pool.toml
    /// then names them with their sha256; without it `[binaries]` are placeholders.
    pub binaries_dir: Option<PathBuf>,
}

/// The result: pool.toml's text and the secret files written.
#[derive(Clone, Debug)]
pub struct Imported {
    pub toml: String,
    pub secret_files: Vec<PathBuf>,
    /// What the operator must still do (also `TODO` comments in the text).
    pub todos: Vec<String>,
}

/// Why an import failed (nothing was written then).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {cause}", path.display())]
    Read { path: PathBuf, cause: String },
    #[error("{}:{line}: {reason}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("cannot write secret file {}: {cause}", path.display())]
    Secret { path: PathBuf, cause: String },
    #[error("cannot use {}: {cause} (--binaries-dir must hold exccd, exccwallet, stakepoold and exccstakepool)", path.display())]
    Binary { path: PathBuf, cause: String },
}

/// The legacy configs, read and checked against each other.
#[derive(Debug)]
pub(crate) struct Legacy {
    pub web: Ini,
    pub stakepoolds: Vec<Ini>,
    pub network: Network,
    pub fee: String,
}

/// A secret for pool.toml's `[secrets]`: written to a file, or a TODO when unknown.
#[derive(Clone, Debug)]
pub(crate) struct SecretValue {
    pub name: &'static str,
    /// `None`: import cannot know it; pool.toml references a file the operator writes.
    pub value: Option<String>,
    /// Where it came from or what to do, for the comment above it.
    pub note: String,
    /// Made by import (no legacy value): a file left by an earlier import is kept.
    pub generated: bool,
}

/// Reads the legacy configs, writes the secret files and returns pool.toml's text.
pub fn import(opts: &ImportOptions) -> Result<Imported, ImportError> {
    let web = Ini::read(&opts.exccstakepool_conf)?;
    let stakepoolds = opts
        .stakepoold_confs
        .iter()
        .map(|p| Ini::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let legacy = check(web, stakepoolds)?;
    let binaries = match &opts.binaries_dir {
        Some(dir) => Some(build::binaries_in(dir)?),
        None => None,
    };
    let (toml, secret_values, todos) = build::document(&legacy, &opts.secrets_dir, binaries)?;
    let secret_files = secrets::write_all(&opts.secrets_dir, &secret_values)?;
    Ok(Imported {
        toml,
        secret_files,
        todos,
    })
}

/// Network, cold wallet and fee must agree across the files; the web app's required
/// options must be there.
fn check(web: Ini, stakepoolds: Vec<Ini>) -> Result<Legacy, ImportError> {
    let network = network(&web)?;
    for s in &stakepoolds {
        let theirs = self::network(s)?;
        if theirs != network {
            return Err(ImportError::Conflict(format!(
                "{} is for {theirs} but {} is for {network}: import one pool's configs",
                s.path.display(),
                web.path.display()
            )));
        }
    }
    for key in ["coldwalletextpub", "votingwalletextpub"] {
        if web.non_empty(key).is_none() {
            return Err(web.invalid(key, "not set (the legacy web app required it)"));
        }
    }
    let cold = web.get("coldwalletextpub").unwrap_or_default();
    let fee = web.non_empty("poolfees").unwrap_or("7.5").to_owned();
    if fee.parse::<PoolFeePercent>().is_err() {
        return Err(web.invalid(
            "poolfees",
            "is not a percentage from 0.01 to 100 with at most two decimals",
        ));
    }
    for s in &stakepoolds {
        if let Some(theirs) = s.non_empty("coldwalletextpub")
            && theirs != cold
        {
            return Err(ImportError::Conflict(format!(
                "{}: coldwalletextpub differs from {}'s: the pool has one cold wallet; correct the legacy configs first",
                s.path.display(),
                web.path.display()
            )));
        }
        if let Some(theirs) = s.non_empty("poolfees")
            && theirs.parse::<f64>().ok() != fee.parse::<f64>().ok()
        {
            return Err(ImportError::Conflict(format!(
                "{}: poolfees = {theirs} but {} has {fee}: the pool has one fee; correct the legacy configs first",
                s.path.display(),
                web.path.display()
            )));
        }
    }
    Ok(Legacy {
        web,
        stakepoolds,
        network,
        fee,
    })
}

fn network(ini: &Ini) -> Result<Network, ImportError> {
    match (ini.flag("testnet")?, ini.flag("simnet")?) {
        (false, false) => Ok(Network::Mainnet),
        (true, false) => Ok(Network::Testnet),
        (false, true) => Ok(Network::Simnet),
        (true, true) => Err(ini.invalid("simnet", "testnet and simnet are both set")),
    }
}

/// How pool.toml references the secret file `name` in `dir`.
pub(crate) fn secret_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
