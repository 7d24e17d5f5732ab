//! Reading `pool.toml`: toml_edit keeps each value's byte span, so every problem is reported
//! with its line, and all problems of a file are collected before failing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use excc_chain::hd::ExtendedKey;
use excc_chain::{Network, PoolFeePercent};
use toml_edit::{Document, Item, TableLike, Value};

use super::model::{BinaryName, BinarySource, HostEntry, PoolConfig, PoolSettings, Secrets};
use super::problems::{ConfigError, Problem, line_of};
use super::secret::{SecretRef, short_io};
use crate::host::Fingerprint;

/// exccd.conf / exccwallet.conf keys poolctl writes itself; `settings` may not set them.
const MANAGED_EXCCD: &[&str] = &[
    "simnet",
    "testnet",
    "rpcuser",
    "rpcpass",
    "rpclisten",
    "rpccert",
    "rpckey",
    "appdata",
    "configfile",
    "peercafile",
];
const MANAGED_WALLET: &[&str] = &[
    "simnet",
    "testnet",
    "username",
    "password",
    "rpclisten",
    "rpccert",
    "rpckey",
    "rpcconnect",
    "cafile",
    "exccdusername",
    "exccdpassword",
    "stakepoolcoldextkey",
    "poolfees",
    "enablevoting",
    "create",
    "seedfile",
    "privpass",
    "appdata",
    "configfile",
    "unlocked",
];

impl PoolConfig {
    /// Reads, validates and resolves `path`. Every problem is reported at once.
    pub fn load(path: &Path) -> Result<PoolConfig, ConfigError> {
        let path = absolute(path);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            ConfigError::unreadable(
                path.clone(),
                format!(
                    "cannot read it: {} (pass the pool's file with -f, or start from sample-configs/pool.toml)",
                    short_io(&e)
                ),
            )
        })?;
        Self::parse(&text, &path)
    }

    /// Validates the text of a pool.toml located at `path` (relative paths resolve there).
    pub fn parse(text: &str, path: &Path) -> Result<PoolConfig, ConfigError> {
        let doc = Document::parse(text.to_owned()).map_err(|e| ConfigError {
            file: path.to_owned(),
            problems: vec![Problem {
                line: e.span().map(|s| line_of(text, s.start)).unwrap_or(0),
                key: String::new(),
                reason: format!("not valid TOML: {}", first_line(e.message())),
            }],
        })?;
        let mut l = Loader {
            text,
            dir: path.parent().map(Path::to_owned).unwrap_or_default(),
            problems: Vec::new(),
        };
        let root = doc.as_table();
        l.unknown(
            root,
            "",
            &[
                "network",
                "pool",
                "ssh",
                "binaries",
                "secrets",
                "exccd",
                "exccwallet",
                "hosts",
            ],
        );
        let network =
            l.string(root, "", "network", None)
                .and_then(|(s, line)| match s.parse::<Network>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        l.push(line, "network", "must be mainnet, testnet or simnet");
                        None
                    }
                });
        let pool = l.pool(root, network);
        let (ssh_identity, ssh_connect_timeout) = l.ssh(root);
        let binaries = l.binaries(root);
        let secrets = l.secrets(root);
        let exccd_settings = l.settings(root, "exccd", MANAGED_EXCCD);
        let exccwallet_settings = l.settings(root, "exccwallet", MANAGED_WALLET);
        let hosts = l.hosts(root);

        if !l.problems.is_empty() {
            return Err(ConfigError {
                file: path.to_owned(),
                problems: l.problems,
            });
        }
        Ok(PoolConfig {
            path: path.to_owned(),
            network: network.expect("checked"),
            pool: pool.expect("checked"),
            ssh_identity,
            ssh_connect_timeout,
            binaries,
            secrets: secrets.expect("checked"),
            exccd_settings,
            exccwallet_settings,
            hosts,
        })
    }
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim()
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_owned())
    }
}

struct Loader<'a> {
    text: &'a str,
    dir: PathBuf,
    problems: Vec<Problem>,
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

impl Loader<'_> {
    fn push(&mut self, line: usize, key: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(Problem {
            line,
            key: key.into(),
            reason: reason.into(),
        });
    }

    fn line(&self, item: &Item) -> usize {
        item.span()
            .map(|s| line_of(self.text, s.start))
            .unwrap_or(0)
    }

    /// Reports keys of `table` not in `allowed` (typos would otherwise be silently ignored).
    fn unknown(&mut self, table: &dyn TableLike, prefix: &str, allowed: &[&str]) {
        let extra: Vec<(String, usize)> = table
            .iter()
            .filter(|(k, _)| !allowed.contains(k))
            .map(|(k, item)| (k.to_owned(), self.line(item)))
            .collect();
        for (k, line) in extra {
            self.push(
                line,
                join(prefix, &k),
                format!("unknown key (expected one of: {})", allowed.join(", ")),
            );
        }
    }

    /// A sub-table (`[name]` or inline); reports it missing when `required`.
    fn table<'t>(
        &mut self,
        parent: &'t dyn TableLike,
        prefix: &str,
        key: &str,
        required: bool,
    ) -> Option<&'t dyn TableLike> {
        match parent.get(key) {
            Some(item) => match item.as_table_like() {
                Some(t) => Some(t),
                None => {
                    let line = self.line(item);
                    self.push(line, join(prefix, key), "must be a table");
                    None
                }
            },
            None => {
                if required {
                    self.push(0, join(prefix, key), "missing table");
                }
                None
            }
        }
    }

    /// A required (when `default` is `None`) string value and its line.
    fn string(
        &mut self,
        t: &dyn TableLike,
        prefix: &str,
        key: &str,
        default: Option<&str>,
    ) -> Option<(String, usize)> {
        match t.get(key) {
            Some(item) => match item.as_str() {
                Some(s) => Some((s.to_owned(), self.line(item))),
                None => {
                    let line = self.line(item);
                    self.push(line, join(prefix, key), "must be a string in quotes");
                    None
                }
            },
            None => match default {
                Some(d) => Some((d.to_owned(), 0)),
                None => {
                    self.push(0, join(prefix, key), "missing");
                    None
                }
            },
        }
    }

    fn integer(
        &mut self,
        t: &dyn TableLike,
        prefix: &str,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        default: Option<i64>,
    ) -> Option<i64> {
        match t.get(key) {
            Some(item) => match item.as_integer() {
                Some(n) if range.contains(&n) => Some(n),
                _ => {
                    let line = self.line(item);
                    self.push(
                        line,
                        join(prefix, key),
                        format!(
                            "must be a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    );
                    None
                }
            },
            None => {
                if default.is_none() {
                    self.push(0, join(prefix, key), "missing");
                }
                default
            }
        }
    }

    fn path(&self, s: &str) -> PathBuf {
        if let Some(rest) = s.strip_prefix("~/")
            && let Some(home) = std::env::var_os("HOME")
        {
            return PathBuf::from(home).join(rest);
        }
        self.dir.join(s)
    }

    fn pool(&mut self, root: &dyn TableLike, network: Option<Network>) -> Option<PoolSettings> {
        let t = self.table(root, "", "pool", true)?;
        self.unknown(
            t,
            "pool",
            &[
                "fee_percent",
                "cold_wallet_xpub",
                "fee_address_count",
                "voting_wallet_xpub",
                "voting_address_count",
            ],
        );
        let fee = match t.get("fee_percent") {
            Some(item) => {
                let line = self.line(item);
                let text = match item.as_value() {
                    Some(Value::Float(f)) => Some(f.value().to_string()),
                    Some(Value::Integer(i)) => Some(i.value().to_string()),
                    Some(Value::String(s)) => Some(s.value().clone()),
                    _ => None,
                };
                match text.map(|t| (t.parse::<PoolFeePercent>(), t)) {
                    Some((Ok(fee), text)) => Some((fee, text)),
                    _ => {
                        self.push(
                            line,
                            "pool.fee_percent",
                            "must be a percentage from 0.01 to 100 with at most two decimals, e.g. 7.5",
                        );
                        None
                    }
                }
            }
            None => {
                self.push(0, "pool.fee_percent", "missing");
                None
            }
        };
        let cold = self.xpub(t, "cold_wallet_xpub", network);
        let voting = self.xpub(t, "voting_wallet_xpub", network);
        let fee_count = self.integer(t, "pool", "fee_address_count", 1..=1_000_000, None);
        let voting_count = self.integer(t, "pool", "voting_address_count", 1..=1_000_000, None);
        let (fee_percent, fee_text) = fee?;
        Some(PoolSettings {
            fee_percent,
            fee_text,
            cold_wallet_xpub: cold?,
            fee_address_count: fee_count? as u32,
            voting_wallet_xpub: voting?,
            voting_address_count: voting_count? as u32,
        })
    }

    fn xpub(&mut self, t: &dyn TableLike, key: &str, network: Option<Network>) -> Option<String> {
        let (s, line) = self.string(t, "pool", key, None)?;
        if let Some(network) = network
            && let Err(e) = ExtendedKey::decode_xpub_for(&s, network)
        {
            self.push(
                line,
                format!("pool.{key}"),
                format!("not an account xpub of {network}: {e}"),
            );
            return None;
        }
        Some(s)
    }

    fn ssh(&mut self, root: &dyn TableLike) -> (PathBuf, u64) {
        let Some(t) = self.table(root, "", "ssh", false) else {
            return (self.path("~/.ssh/id_ed25519"), 10);
        };
        self.unknown(t, "ssh", &["identity", "connect_timeout_secs"]);
        let identity = self
            .string(t, "ssh", "identity", Some("~/.ssh/id_ed25519"))
            .map(|(s, _)| self.path(&s))
            .unwrap_or_default();
        let timeout = self
            .integer(t, "ssh", "connect_timeout_secs", 1..=300, Some(10))
            .unwrap_or(10);
        (identity, timeout as u64)
    }

    fn binaries(&mut self, root: &dyn TableLike) -> Vec<BinarySource> {
        let Some(t) = self.table(root, "", "binaries", true) else {
            return Vec::new();
        };
        self.unknown(t, "binaries", &["exccd", "exccwallet", "stakepoold"]);
        let mut out = Vec::new();
        for name in BinaryName::ALL {
            let prefix = format!("binaries.{name}");
            let Some(b) = self.table(t, "binaries", name.as_str(), true) else {
                continue;
            };
            self.unknown(
                b,
                &prefix,
                &[
                    "version",
                    "path",
                    "archive",
                    "member",
                    "sha256",
                    "simulator",
                ],
            );
            let version = self.string(b, &prefix, "version", None);
            let (source, member) = match (b.get("path"), b.get("archive")) {
                (Some(_), None) => (self.string(b, &prefix, "path", None), None),
                (None, Some(_)) => (
                    self.string(b, &prefix, "archive", None),
                    self.string(b, &prefix, "member", None),
                ),
                _ => {
                    self.push(
                        0,
                        prefix.clone(),
                        "set exactly one of `path` (an executable) or `archive` (a .tar.gz, with `member`)",
                    );
                    (None, None)
                }
            };
            let sha = self.string(b, &prefix, "sha256", None);
            let sha = sha.and_then(|(s, line)| {
                let ok = s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit());
                if ok {
                    Some((s.to_ascii_lowercase(), line))
                } else {
                    self.push(
                        line,
                        format!("{prefix}.sha256"),
                        "must be 64 hex digits (`sha256sum FILE`)",
                    );
                    None
                }
            });
            let simulator = match b.get("simulator") {
                None => false,
                Some(item) => item.as_bool().unwrap_or_else(|| {
                    let line = self.line(item);
                    self.push(line, format!("{prefix}.simulator"), "must be true or false");
                    false
                }),
            };
            if simulator && name.simulator_mode().is_none() {
                self.push(
                    0,
                    format!("{prefix}.simulator"),
                    "only exccd and exccwallet have a simulator",
                );
            }
            let source = source.map(|(s, line)| (self.path(&s), line));
            if let Some((p, line)) = &source
                && !p.is_file()
            {
                let line = *line;
                self.push(
                    line,
                    format!(
                        "{prefix}.{}",
                        if member.is_some() { "archive" } else { "path" }
                    ),
                    format!("{} is not a file (build or download it first)", p.display()),
                );
            }
            if let (Some((version, _)), Some((source, _)), Some((sha256, line))) =
                (version, source, sha)
            {
                out.push(BinarySource {
                    name,
                    version,
                    source,
                    member: member.map(|(m, _)| m),
                    sha256,
                    simulator,
                    line,
                });
            }
        }
        out
    }

    fn secrets(&mut self, root: &dyn TableLike) -> Option<Secrets> {
        const NAMES: [&str; 4] = [
            "exccd_rpc_password",
            "exccwallet_rpc_password",
            "wallet_passphrase",
            "wallet_seed",
        ];
        let t = self.table(root, "", "secrets", true)?;
        self.unknown(t, "secrets", &NAMES);
        let mut values = Vec::new();
        let mut refs = Vec::new();
        for name in NAMES {
            let key = format!("secrets.{name}");
            let Some(item) = t.get(name) else {
                self.push(0, key, "missing (a `{ file = \"…\" }`, `{ env = \"…\" }` or `{ command = [\"…\"] }` reference)");
                values.push(None);
                continue;
            };
            let line = self.line(item);
            let Some(r) = self.secret_ref(item, &key, line) else {
                values.push(None);
                continue;
            };
            match r.resolve(&self.dir) {
                Ok(s) => values.push(Some(s)),
                Err(reason) => {
                    self.push(line, key, reason);
                    values.push(None);
                }
            }
            refs.push((name.to_owned(), r));
        }
        let mut it = values.into_iter();
        let mut next = || it.next().flatten();
        let (a, b, c, d) = (next(), next(), next(), next());
        let secrets = Secrets {
            exccd_rpc_password: a?,
            exccwallet_rpc_password: b?,
            wallet_passphrase: c?,
            wallet_seed: d?,
            refs,
        };
        let seed = secrets.wallet_seed.expose();
        let hex_ok = seed.len().is_multiple_of(2)
            && (32..=128).contains(&seed.len())
            && seed.bytes().all(|c| c.is_ascii_hexdigit());
        if !hex_ok {
            let line = t.get("wallet_seed").map(|i| self.line(i)).unwrap_or(0);
            self.push(
                line,
                "secrets.wallet_seed",
                "the seed must be 16 to 64 bytes in hex (32 to 128 hex digits)",
            );
            return None;
        }
        Some(secrets)
    }

    fn secret_ref(&mut self, item: &Item, key: &str, line: usize) -> Option<SecretRef> {
        let Some(t) = item.as_table_like() else {
            self.push(
                line,
                key,
                "secrets are references, never values: write { file = \"path\" } (mode 0600), { env = \"VAR\" } or { command = [\"prog\", \"arg\"] }",
            );
            return None;
        };
        let keys: Vec<&str> = t.iter().map(|(k, _)| k).collect();
        match keys.as_slice() {
            ["file"] => match t.get("file").and_then(Item::as_str) {
                Some(p) => Some(SecretRef::File(self.path(p))),
                None => {
                    self.push(line, key, "`file` must be a path in quotes");
                    None
                }
            },
            ["env"] => match t.get("env").and_then(Item::as_str) {
                Some(v) => Some(SecretRef::Env(v.to_owned())),
                None => {
                    self.push(line, key, "`env` must be a variable name in quotes");
                    None
                }
            },
            ["command"] => {
                let argv: Option<Vec<String>> =
                    t.get("command").and_then(Item::as_array).and_then(|a| {
                        a.iter()
                            .map(|v| v.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                    });
                match argv {
                    Some(argv) if !argv.is_empty() => Some(SecretRef::Command(argv)),
                    _ => {
                        self.push(line, key, "`command` must be a non-empty array of strings");
                        None
                    }
                }
            }
            _ => {
                self.push(line, key, "set exactly one of `file`, `env` or `command`");
                None
            }
        }
    }

    fn settings(
        &mut self,
        root: &dyn TableLike,
        section: &str,
        managed: &[&str],
    ) -> Vec<(String, String)> {
        let Some(t) = self.table(root, "", section, false) else {
            return Vec::new();
        };
        self.unknown(t, section, &["settings"]);
        let prefix = format!("{section}.settings");
        let Some(s) = self.table(t, section, "settings", false) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, item) in s.iter() {
            let line = self.line(item);
            let key = format!("{prefix}.{k}");
            if managed.contains(&k.to_ascii_lowercase().as_str()) {
                self.push(
                    line,
                    key,
                    "poolctl writes this setting itself; remove it here",
                );
                continue;
            }
            let value = match item.as_value() {
                Some(Value::String(v)) => v.value().clone(),
                Some(Value::Integer(v)) => v.value().to_string(),
                Some(Value::Boolean(v)) => if *v.value() { "1" } else { "0" }.to_owned(),
                _ => {
                    self.push(line, key, "must be a string, a whole number or true/false");
                    continue;
                }
            };
            if value.contains(['\n', '\r']) {
                self.push(line, key, "must be one line");
                continue;
            }
            out.push((k.to_owned(), value));
        }
        out
    }

    fn hosts(&mut self, root: &dyn TableLike) -> Vec<HostEntry> {
        let Some(item) = root.get("hosts") else {
            self.push(0, "hosts", "no voting host: add a [[hosts]] table per host");
            return Vec::new();
        };
        let Some(array) = item.as_array_of_tables() else {
            let line = self.line(item);
            self.push(line, "hosts", "must be [[hosts]] tables");
            return Vec::new();
        };
        let mut names = BTreeSet::new();
        let mut addresses = BTreeSet::new();
        let mut out = Vec::new();
        for (i, t) in array.iter().enumerate() {
            let prefix = format!("hosts[{}]", i + 1);
            let line = t.span().map(|s| line_of(self.text, s.start)).unwrap_or(0);
            self.unknown(
                t,
                &prefix,
                &["name", "address", "ssh_user", "ssh_port", "host_key"],
            );
            let name = self.string(t, &prefix, "name", None);
            let address = self.string(t, &prefix, "address", None);
            let user = self.string(t, &prefix, "ssh_user", Some("root"));
            let port = self.integer(t, &prefix, "ssh_port", 1..=65535, Some(22));
            let host_key = match t.get("host_key") {
                None => Some(None),
                Some(item) => {
                    let line = self.line(item);
                    match item.as_str().map(str::parse::<Fingerprint>) {
                        Some(Ok(fp)) => Some(Some(fp)),
                        Some(Err(reason)) => {
                            self.push(line, format!("{prefix}.host_key"), reason);
                            None
                        }
                        None => {
                            self.push(line, format!("{prefix}.host_key"), "must be a string");
                            None
                        }
                    }
                }
            };
            if let Some((n, l)) = &name {
                let valid = !n.is_empty()
                    && n.len() <= 63
                    && n.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
                if !valid {
                    self.push(
                        *l,
                        format!("{prefix}.name"),
                        "must be a host name of lowercase letters, digits and '-'",
                    );
                } else if !names.insert(n.clone()) {
                    self.push(*l, format!("{prefix}.name"), format!("{n} is listed twice"));
                }
            }
            if let Some((a, l)) = &address {
                if a.is_empty() || a.contains(char::is_whitespace) {
                    self.push(
                        *l,
                        format!("{prefix}.address"),
                        "must be an IP address or DNS name",
                    );
                } else if !addresses.insert(a.clone()) {
                    self.push(
                        *l,
                        format!("{prefix}.address"),
                        format!("{a} is listed twice"),
                    );
                }
            }
            if let (
                Some((name, _)),
                Some((address, _)),
                Some((ssh_user, _)),
                Some(port),
                Some(host_key),
            ) = (name, address, user, port, host_key)
            {
                out.push(HostEntry {
                    name,
                    address,
                    ssh_user,
                    ssh_port: port as u16,
                    host_key,
                    line,
                });
            }
        }
        if array.is_empty() {
            let line = self.line(item);
            self.push(line, "hosts", "no voting host");
        }
        out
    }
}
