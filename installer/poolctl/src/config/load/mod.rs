//! Reading `pool.toml`: toml_edit keeps each value's byte span, so every problem is reported
//! with its line, and all problems of a file are collected before failing.

use std::path::{Path, PathBuf};

use excc_chain::Network;
use toml_edit::{Document, Item, TableLike};

use super::model::PoolConfig;
use super::problems::{ConfigError, Problem, line_of};
use super::secret::short_io;

mod binaries;
mod cold;
mod hosts;
mod pool;
mod secrets;
mod web;

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
                "apply",
                "binaries",
                "secrets",
                "exccd",
                "exccwallet",
                "hosts",
                "cold_wallet",
                "web",
                "web_hosts",
                "database",
                "backup",
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
        let ssh = l.ssh(root);
        let health_timeout_secs = l.apply(root);
        let binaries = l.binaries(root);
        let secrets = l.secrets(root);
        let exccd_settings = l.settings(root, "exccd", MANAGED_EXCCD);
        let exccwallet_settings = l.settings(root, "exccwallet", MANAGED_WALLET);
        let hosts = l.hosts(root);
        let cold_wallet = l.cold_wallet(root);
        let web = l.web(root, &hosts);

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
            ssh,
            health_timeout_secs,
            binaries,
            secrets: secrets.expect("checked"),
            exccd_settings,
            exccwallet_settings,
            hosts,
            cold_wallet,
            web,
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

    /// An optional `true`/`false` value (`false` when absent).
    fn boolean(&mut self, t: &dyn TableLike, prefix: &str, key: &str) -> bool {
        match t.get(key) {
            None => false,
            Some(item) => item.as_bool().unwrap_or_else(|| {
                let line = self.line(item);
                self.push(line, join(prefix, key), "must be true or false");
                false
            }),
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
}
