//! The lab's pool: `DIR/pool/pool.toml` for the lab hosts, with the simulator and stakepoold
//! built in this workspace, the lab's pinned host keys and client key, and secrets in
//! mode-0600 files under `DIR/pool/secrets/` (random on first use, then kept).
//!
//! An existing pool.toml is updated in place (host keys, and the sha256 of programs that
//! are still the workspace's builds) with toml_edit, so an operator's edits survive
//! `lab up`; it is written afresh when missing or when the lab's host list changed.
//! `lab down` removes `DIR/pool` with the hosts it was for.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use excc_chain::hd::ExtendedKey;
use excc_chain::{Address, Network};
use toml_edit::{DocumentMut, value};

use super::{LabError, LabState};
use crate::config::writeback::{set_host_key_in, write_atomic};
use crate::host::sha256_hex;

/// `DIR/pool/pool.toml`.
pub fn pool_toml_path(dir: &Path) -> PathBuf {
    dir.join("pool").join("pool.toml")
}

/// Where the workspace's binaries are: next to the running poolctl (`target/debug` or
/// `target/release`).
fn built_binary(name: &str) -> Result<PathBuf, LabError> {
    let exe = std::env::current_exe()
        .map_err(|e| LabError::Invalid(format!("cannot locate poolctl itself: {e}")))?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    // Test binaries live in target/debug/deps.
    for d in [dir, dir.parent().unwrap_or(dir)] {
        let p = d.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(LabError::Invalid(format!(
        "{name} is not built next to {}; run `cargo build -p excc-simnet -p stakepoold` (same profile as poolctl) first",
        dir.display()
    )))
}

const HARDENED: u32 = 1 << 31;

/// A random hex string of `bytes` bytes from the kernel.
fn random_hex(bytes: usize) -> Result<String, LabError> {
    let mut buf = vec![0u8; bytes];
    let mut f = std::fs::File::open("/dev/urandom")
        .map_err(LabError::io("cannot open", Path::new("/dev/urandom")))?;
    std::io::Read::read_exact(&mut f, &mut buf)
        .map_err(LabError::io("cannot read", Path::new("/dev/urandom")))?;
    Ok(hex::encode(buf))
}

/// Reads `path`, or writes `make()` there with mode 0600 first.
fn secret_file(
    path: &Path,
    make: impl FnOnce() -> Result<String, LabError>,
) -> Result<String, LabError> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return Ok(text.trim().to_owned());
    }
    let value = make()?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(LabError::io("cannot create", path))?;
    f.write_all(format!("{value}\n").as_bytes())
        .map_err(LabError::io("cannot write", path))?;
    Ok(value)
}

/// The account xpub (`m/44'/coin'/0'`) a simulator wallet made from `seed_hex` reports.
fn account_xpub(network: Network, seed_hex: &str) -> Result<ExtendedKey, LabError> {
    let seed = hex::decode(seed_hex)
        .map_err(|e| LabError::Invalid(format!("lab wallet seed is not hex: {e}")))?;
    let coin = network.params().legacy_coin_type;
    let master = ExtendedKey::master(network, &seed)
        .map_err(|e| LabError::Invalid(format!("lab seed: {e}")))?;
    master
        .derive_path(&[44 + HARDENED, coin + HARDENED, HARDENED])
        .map(|k| k.neuter())
        .map_err(|e| LabError::Invalid(format!("lab seed: {e}")))
}

/// Writes or updates the lab's pool.toml; returns its path.
pub fn write_pool_toml(state: &LabState) -> Result<PathBuf, LabError> {
    let pool_dir = state.dir.join("pool");
    let secrets = pool_dir.join("secrets");
    std::fs::create_dir_all(&secrets).map_err(LabError::io("cannot create", &secrets))?;
    std::fs::set_permissions(
        &secrets,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .map_err(LabError::io("cannot chmod", &secrets))?;
    let network = Network::Simnet;
    for name in [
        "exccd-rpc.password",
        "exccwallet-rpc.password",
        "wallet.passphrase",
    ] {
        secret_file(&secrets.join(name), || random_hex(16))?;
    }
    let seed = secret_file(&secrets.join("wallet.seed"), || random_hex(32))?;
    let cold_seed = secret_file(&secrets.join("cold-wallet.seed"), || random_hex(32))?;
    let voting = account_xpub(network, &seed)?;
    let cold = account_xpub(network, &cold_seed)?;
    let mining = cold
        .child(0)
        .and_then(|b| b.child(0))
        .map(|k| Address::p2pkh_from_pubkey(network, &k.pubkey()))
        .map_err(|e| LabError::Invalid(format!("lab mining address: {e}")))?;

    let simnet = built_binary("excc-simnet")?;
    let stakepoold = built_binary("stakepoold")?;
    let hash = |p: &Path| -> Result<String, LabError> {
        Ok(sha256_hex(
            &std::fs::read(p).map_err(LabError::io("cannot read", p))?,
        ))
    };
    let (sim_sha, sp_sha) = (hash(&simnet)?, hash(&stakepoold)?);
    let mut built = vec![
        ("exccd", simnet.clone(), sim_sha.clone()),
        ("exccwallet", simnet.clone(), sim_sha.clone()),
        ("stakepoold", stakepoold.clone(), sp_sha.clone()),
    ];
    let web_side = if state.web_hosts.is_empty() {
        String::new()
    } else {
        let web = built_binary("exccstakepool")?;
        let web_sha = hash(&web)?;
        built.push(("exccstakepool", web.clone(), web_sha.clone()));
        secret_file(&secrets.join("web-api.secret"), || random_hex(32))?;
        secret_file(&secrets.join("database.password"), || random_hex(16))?;
        web_side_toml(state, &web, &web_sha)
    };

    let path = pool_toml_path(&state.dir);
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Some(updated) = update(&text, state, &built)
    {
        if updated != text {
            write_atomic(&path, &updated).map_err(LabError::io("cannot write", &path))?;
        }
        return Ok(path);
    }

    let mut hosts = String::new();
    for h in &state.hosts {
        hosts.push_str(&format!(
            "\n[[hosts]]\nname = \"{}\"\naddress = \"{}\"\nssh_user = \"{}\"\nssh_port = {}\nhost_key = \"{}\"\n",
            h.name, h.address, h.user, h.ssh_port, h.host_key_fingerprint
        ));
    }
    let text = format!(
        r#"# The lab's pool, written by `poolctl lab up` (see sample-configs/pool.toml for every key).
# Edits are kept: later `lab up` runs only refresh host keys and binaries' sha256.
network = "simnet"

[pool]
fee_percent = 7.5
cold_wallet_xpub = "{cold}"
fee_address_count = 100
voting_wallet_xpub = "{voting}"
voting_address_count = 100

[ssh]
identity = "{identity}"
connect_timeout_secs = 5

# The simulator built in this workspace stands in for exccd and exccwallet.
[binaries.exccd]
version = "simnet-dev"
path = "{simnet}"
sha256 = "{sim_sha}"
simulator = true

[binaries.exccwallet]
version = "simnet-dev"
path = "{simnet}"
sha256 = "{sim_sha}"
simulator = true

[binaries.stakepoold]
version = "dev"
path = "{stakepoold}"
sha256 = "{sp_sha}"

[secrets]
exccd_rpc_password = {{ file = "secrets/exccd-rpc.password" }}
exccwallet_rpc_password = {{ file = "secrets/exccwallet-rpc.password" }}
wallet_passphrase = {{ file = "secrets/wallet.passphrase" }}
wallet_seed = {{ file = "secrets/wallet.seed" }}
{web_secrets}
# The simulated chain: every node needs the same mining address and lottery seed.
[exccd.settings]
miningaddr = "{mining}"
lotteryseed = "excc-lab"
{hosts}{web_side}"#,
        web_secrets = match (state.web_hosts.is_empty(), state.database.is_some()) {
            (true, _) => "",
            (false, false) => "web_api_secret = { file = \"secrets/web-api.secret\" }\n",
            (false, true) =>
                "web_api_secret = { file = \"secrets/web-api.secret\" }\ndatabase_password = { file = \"secrets/database.password\" }\n",
        },
        identity = state.client_key.display(),
        simnet = simnet.display(),
        stakepoold = stakepoold.display(),
    );
    write_atomic(&path, &text).map_err(LabError::io("cannot write", &path))?;
    Ok(path)
}

/// The web side of the lab's pool.toml: web hosts behind nginx with pool-CA certificates,
/// MariaDB on the database host (SQLite without one), the workspace's exccstakepool.
fn web_side_toml(state: &LabState, web: &Path, web_sha: &str) -> String {
    let first = &state.web_hosts[0];
    let database = match &state.database {
        Some(db) => format!(
            "kind = \"mariadb\"\nname = \"{}\"\naddress = \"{}\"\nssh_user = \"{}\"\nssh_port = {}\nhost_key = \"{}\"\n",
            db.name, db.address, db.user, db.ssh_port, db.host_key_fingerprint
        ),
        None => "kind = \"sqlite\"\n".to_owned(),
    };
    let mut hosts = String::new();
    for h in &state.web_hosts {
        hosts.push_str(&format!(
            "\n[[web_hosts]]\nname = \"{}\"\naddress = \"{}\"\nssh_user = \"{}\"\nssh_port = {}\nhost_key = \"{}\"\n",
            h.name, h.address, h.user, h.ssh_port, h.host_key_fingerprint
        ));
    }
    format!(
        r#"
# The web side: nginx (HTTPS with a pool-CA certificate: trust .poolctl/ca/ca.cert) in front
# of the web service on every web host.
[binaries.exccstakepool]
version = "dev"
path = "{web}"
sha256 = "{web_sha}"

[web]
base_url = "https://{addr}"
pool_email = "admin@pool.excc-lab"
admin_emails = ["admin@pool.excc-lab"]
sync_interval_secs = 30

[database]
{database}
[backup]
every_hours = 24
keep = 7
{hosts}"#,
        web = web.display(),
        addr = first.address,
    )
}

/// Names of `key`'s array of tables in `doc`.
fn names_in<'d>(doc: &'d DocumentMut, key: &str) -> Vec<&'d str> {
    doc.get(key)
        .and_then(|i| i.as_array_of_tables())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get("name").and_then(|n| n.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

/// Refreshes host keys and sha256 in an existing lab pool.toml; `None` when its hosts are
/// not the lab's (then it is written afresh).
fn update(text: &str, state: &LabState, built: &[(&str, PathBuf, String)]) -> Option<String> {
    let mut doc: DocumentMut = text.parse().ok()?;
    let lab: Vec<&str> = state.hosts.iter().map(|h| h.name.as_str()).collect();
    let web: Vec<&str> = state.web_hosts.iter().map(|h| h.name.as_str()).collect();
    let db = doc
        .get("database")
        .and_then(|d| d.get("name"))
        .and_then(|n| n.as_str());
    if names_in(&doc, "hosts") != lab
        || names_in(&doc, "web_hosts") != web
        || db != state.database.as_ref().map(|d| d.name.as_str())
    {
        return None;
    }
    for (name, built, sha) in built {
        let (name, built, sha) = (*name, built.as_path(), sha.as_str());
        let b = doc
            .get_mut("binaries")?
            .get_mut(name)?
            .as_table_like_mut()?;
        // Only the workspace's own builds are refreshed; a program the operator pointed
        // elsewhere keeps its pinned digest.
        if b.get("path").and_then(|p| p.as_str()) != Some(&*built.to_string_lossy()) {
            continue;
        }
        if let Some(v) = b.get_mut("sha256").and_then(|i| i.as_value_mut()) {
            let decor = v.decor().clone();
            *v = sha.into();
            *v.decor_mut() = decor;
        } else {
            b.insert("sha256", value(sha));
        }
    }
    let mut text = doc.to_string();
    for h in state.all_hosts() {
        text = set_host_key_in(&text, &h.name, &h.host_key_fingerprint).ok()?;
    }
    Some(text)
}
