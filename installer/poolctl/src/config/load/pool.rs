//! `[pool]`, `[ssh]` and the `[exccd|exccwallet.settings]` tables.

use excc_chain::hd::ExtendedKey;
use excc_chain::{Network, PoolFeePercent};
use toml_edit::{TableLike, Value};

use super::Loader;
use crate::config::model::{PoolSettings, SshSettings};

impl Loader<'_> {
    pub(super) fn pool(
        &mut self,
        root: &dyn TableLike,
        network: Option<Network>,
    ) -> Option<PoolSettings> {
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

    /// `[apply]`: the health wait (a real exccd may need long to sync).
    pub(super) fn apply(&mut self, root: &dyn TableLike) -> u64 {
        const DEFAULT: i64 = 90;
        let Some(t) = self.table(root, "", "apply", false) else {
            return DEFAULT as u64;
        };
        self.unknown(t, "apply", &["health_timeout_secs"]);
        self.integer(t, "apply", "health_timeout_secs", 5..=86_400, Some(DEFAULT))
            .unwrap_or(DEFAULT) as u64
    }

    pub(super) fn ssh(&mut self, root: &dyn TableLike) -> SshSettings {
        let Some(t) = self.table(root, "", "ssh", false) else {
            return SshSettings {
                identity: self.path("~/.ssh/id_ed25519"),
                key_passphrase: None,
                agent: None,
                connect_timeout_secs: 10,
            };
        };
        self.unknown(
            t,
            "ssh",
            &[
                "identity",
                "key_passphrase",
                "agent",
                "connect_timeout_secs",
            ],
        );
        let identity = self
            .string(t, "ssh", "identity", Some("~/.ssh/id_ed25519"))
            .map(|(s, _)| self.path(&s))
            .unwrap_or_default();
        let key_passphrase = t
            .get("key_passphrase")
            .and_then(|item| self.resolve_secret(item, "ssh.key_passphrase").0);
        let agent = match (
            self.boolean(t, "ssh", "agent"),
            std::env::var_os("SSH_AUTH_SOCK"),
        ) {
            (false, _) => None,
            (true, Some(socket)) if !socket.is_empty() => Some(socket.into()),
            (true, _) => {
                let line = t.get("agent").map(|i| self.line(i)).unwrap_or(0);
                self.push(
                    line,
                    "ssh.agent",
                    "SSH_AUTH_SOCK is not set: start ssh-agent (eval \"$(ssh-agent)\"), ssh-add the pool's key, then run poolctl from that shell",
                );
                None
            }
        };
        let timeout = self
            .integer(t, "ssh", "connect_timeout_secs", 1..=300, Some(10))
            .unwrap_or(10);
        SshSettings {
            identity,
            key_passphrase,
            agent,
            connect_timeout_secs: timeout as u64,
        }
    }

    pub(super) fn settings(
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
}
