//! `[secrets]`: references to secrets, resolved at load time.

use toml_edit::{Item, TableLike};

use super::Loader;
use crate::config::model::Secrets;
use crate::config::secret::{Secret, SecretRef};

/// The cold wallet's RPC password: required with `[cold_wallet]`, refused without.
pub(super) const COLD_PASSWORD: &str = "cold_wallet_rpc_password";

/// The web side's secrets (`load/web.rs` checks when each is needed or refused).
pub(super) const WEB_API_SECRET: &str = "web_api_secret";
pub(super) const DATABASE_PASSWORD: &str = "database_password";
pub(super) const WEB_TLS_KEY: &str = "web_tls_key";
pub(super) const SMTP_PASSWORD: &str = "smtp_password";

impl Loader<'_> {
    pub(super) fn secrets(&mut self, root: &dyn TableLike) -> Option<Secrets> {
        const NAMES: [&str; 4] = [
            "exccd_rpc_password",
            "exccwallet_rpc_password",
            "wallet_passphrase",
            "wallet_seed",
        ];
        let t = self.table(root, "", "secrets", true)?;
        let mut allowed = NAMES.to_vec();
        allowed.extend([
            COLD_PASSWORD,
            WEB_API_SECRET,
            DATABASE_PASSWORD,
            WEB_TLS_KEY,
            SMTP_PASSWORD,
        ]);
        self.unknown(t, "secrets", &allowed);
        let mut values = Vec::new();
        let mut refs = Vec::new();
        for name in NAMES {
            let key = format!("secrets.{name}");
            let Some(item) = t.get(name) else {
                self.push(0, key, "missing (a `{ file = \"…\" }`, `{ env = \"…\" }` or `{ command = [\"…\"] }` reference)");
                values.push(None);
                continue;
            };
            let (value, r) = self.resolve_secret(item, &key);
            values.push(value);
            refs.extend(r.map(|r| (name.to_owned(), r)));
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

    /// Reads and resolves the secret reference `item` (reported as `key` when wrong).
    pub(super) fn resolve_secret(
        &mut self,
        item: &Item,
        key: &str,
    ) -> (Option<Secret>, Option<SecretRef>) {
        self.resolve_secret_as(item, key, false)
    }

    /// Like [`resolve_secret`](Self::resolve_secret); `multiline`: a secret of several
    /// lines (a PEM key).
    pub(super) fn resolve_secret_as(
        &mut self,
        item: &Item,
        key: &str,
        multiline: bool,
    ) -> (Option<Secret>, Option<SecretRef>) {
        let line = self.line(item);
        let Some(r) = self.secret_ref(item, key, line) else {
            return (None, None);
        };
        let resolved = if multiline {
            r.resolve_text(&self.dir)
        } else {
            r.resolve(&self.dir)
        };
        match resolved {
            Ok(s) => (Some(s), Some(r)),
            Err(reason) => {
                self.push(line, key, reason);
                (None, Some(r))
            }
        }
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
}
