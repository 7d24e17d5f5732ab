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

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal legacy web config: wallets only (no stakepoold), local database and mail
    /// relay, an http base URL and a short API secret.
    const MINIMAL: &str = "testnet=1
baseurl=http://pool.example.net/
apisecret=short
coldwalletextpub=tpubcold
votingwalletextpub=tpubvoting
dbpassword=db-secret
wallethosts=10.1.0.1:19110,127.0.0.1:19110
walletpasswords=wallet-secret
smtphost=localhost:25
listen=/run/exccstakepool.sock
colour=blue
";

    fn build(text: &str) -> (String, Vec<SecretValue>, Vec<String>) {
        let web = Ini::parse(text, Path::new("exccstakepool.conf")).unwrap();
        let legacy = check(web, Vec::new()).unwrap();
        build::document(&legacy, Path::new("/etc/pool/secrets"), None).unwrap()
    }

    #[test]
    fn minimal_web_config() {
        let (toml, secrets, todos) = build(MINIMAL);
        let doc: toml_edit::DocumentMut = toml.parse().expect("valid TOML");
        assert_eq!(doc["network"].as_str(), Some("testnet"));
        assert_eq!(doc["pool"]["fee_percent"].as_float(), Some(7.5));
        // http:// becomes https://; the trailing slash goes.
        assert_eq!(
            doc["web"]["base_url"].as_str(),
            Some("https://pool.example.net")
        );
        // The second wallet host is this machine: a TODO placeholder, never a guess.
        let hosts = doc["hosts"].as_array_of_tables().unwrap();
        let addresses: Vec<&str> = hosts
            .iter()
            .map(|h| h["address"].as_str().unwrap())
            .collect();
        assert_eq!(addresses, ["10.1.0.1", "voting2.example.invalid"]);
        assert!(
            todos.iter().any(|t| t.starts_with("hosts[2].address")),
            "{todos:?}"
        );
        assert!(
            todos.iter().any(|t| t.starts_with("database.url")),
            "{todos:?}"
        );
        assert_eq!(
            doc["database"]["url"].as_str(),
            Some("mysql://stakepool@localhost:3306/stakepool")
        );
        assert_eq!(doc["web"]["smtp"]["security"].as_str(), Some("none"));
        // A unix-socket listen address names no machine: the site's name, with a TODO.
        assert_eq!(
            doc["web_hosts"][0]["address"].as_str(),
            Some("pool.example.net")
        );
        assert!(
            todos.iter().any(|t| t.starts_with("web_hosts[1].address")),
            "{todos:?}"
        );
        assert!(doc["web"]["smtp"].get("user").is_none());
        // Secrets: absolute references into the secrets directory.
        assert_eq!(
            doc["secrets"]["exccwallet_rpc_password"]["file"].as_str(),
            Some("/etc/pool/secrets/exccwallet_rpc_password")
        );
        let by_name = |n: &str| secrets.iter().find(|s| s.name == n).unwrap();
        assert_eq!(
            by_name("exccwallet_rpc_password").value.as_deref(),
            Some("wallet-secret")
        );
        // No stakepoold.conf: exccd's password is new (poolctl configures exccd with it).
        let exccd = by_name("exccd_rpc_password");
        assert!(exccd.generated && exccd.value.as_ref().is_some_and(|v| v.len() == 64));
        // The short API secret is not used: poolctl generates one.
        assert!(doc["secrets"].get("web_api_secret").is_none());
        assert!(!secrets.iter().any(|s| s.name == "web_api_secret"));
        assert!(
            toml.contains("# not imported: apisecret = <secret, not shown> (shorter than 32"),
            "{toml}"
        );
        assert!(
            toml.contains("# not imported: colour = blue (not an option of the legacy program)"),
            "{toml}"
        );
        for secret in ["short", "db-secret", "wallet-secret"] {
            assert!(
                !toml.contains(&format!("= {secret}")),
                "{secret} in:\n{toml}"
            );
            assert!(
                !toml.contains(&format!("\"{secret}\"")),
                "{secret} in:\n{toml}"
            );
        }
    }

    #[test]
    fn required_options_and_networks() {
        let web = Ini::parse("simnet=1\ntestnet=1\n", Path::new("w.conf")).unwrap();
        let err = check(web, Vec::new()).unwrap_err().to_string();
        assert!(err.contains("testnet and simnet are both set"), "{err}");
        let web = Ini::parse("votingwalletextpub=x\n", Path::new("w.conf")).unwrap();
        let err = check(web, Vec::new()).unwrap_err().to_string();
        assert!(err.contains("coldwalletextpub: not set"), "{err}");
        let web = Ini::parse(MINIMAL, Path::new("w.conf")).unwrap();
        let node = Ini::parse(
            "coldwalletextpub=tpubother\ntestnet=1\n",
            Path::new("n.conf"),
        )
        .unwrap();
        let err = check(web.clone(), vec![node]).unwrap_err().to_string();
        assert!(err.contains("n.conf: coldwalletextpub differs"), "{err}");
        let node = Ini::parse("simnet=1\n", Path::new("n.conf")).unwrap();
        let err = check(web, vec![node]).unwrap_err().to_string();
        assert!(err.contains("n.conf is for simnet"), "{err}");
    }
}
