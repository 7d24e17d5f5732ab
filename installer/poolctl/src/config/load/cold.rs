//! `[cold_wallet]`: the fee wallet poolctl may reach, and its password in `[secrets]`.

use toml_edit::TableLike;

use super::Loader;
use super::secrets::COLD_PASSWORD;
use crate::config::model::ColdWallet;

impl Loader<'_> {
    pub(super) fn cold_wallet(&mut self, root: &dyn TableLike) -> Option<ColdWallet> {
        let secret = root
            .get("secrets")
            .and_then(|s| s.as_table_like())
            .and_then(|s| s.get(COLD_PASSWORD));
        let password_key = format!("secrets.{COLD_PASSWORD}");
        let Some(t) = self.table(root, "", "cold_wallet", false) else {
            if let Some(item) = secret {
                let line = self.line(item);
                self.push(
                    line,
                    password_key,
                    "set, but there is no [cold_wallet] table: add one or remove this secret",
                );
            }
            return None;
        };
        let p = "cold_wallet";
        self.unknown(t, p, &["rpc", "cert", "user", "account"]);
        let rpc = self.string(t, p, "rpc", None).and_then(|(rpc, line)| {
            let port = rpc.rsplit_once(':').and_then(|(h, port)| {
                (!h.is_empty()).then(|| port.parse::<u16>().ok()).flatten()
            });
            if port.is_some_and(|p| p > 0) {
                Some(rpc)
            } else {
                self.push(
                    line,
                    "cold_wallet.rpc",
                    format!("{rpc:?} is not HOST:PORT (the cold wallet's RPC listen address, e.g. \"192.0.2.20:9110\")"),
                );
                None
            }
        });
        let cert_pem = self.string(t, p, "cert", None).and_then(|(path, line)| {
            let path = self.path(&path);
            let checked = std::fs::read(&path)
                .map_err(|e| format!("cannot read {}: {}", path.display(), super::short_io(&e)))
                .and_then(|pem| {
                    excc_rpc::PinnedCert::from_pem(&pem, "the cold wallet's rpc.cert")
                        .map(|_| pem)
                        .map_err(|e| e.to_string())
                })
                .and_then(|pem| String::from_utf8(pem).map_err(|_| "not PEM text".to_owned()));
            match checked {
                Ok(pem) => Some(pem),
                Err(why) => {
                    self.push(
                        line,
                        "cold_wallet.cert",
                        format!("{why} (copy the cold wallet's rpc.cert here)"),
                    );
                    None
                }
            }
        });
        let user = self.string(t, p, "user", None).and_then(|(user, line)| {
            if user.is_empty() {
                self.push(
                    line,
                    "cold_wallet.user",
                    "must not be empty (the wallet's RPC username)",
                );
                None
            } else {
                Some(user)
            }
        });
        let account = self
            .string(t, p, "account", Some("default"))
            .map(|(a, _)| a);
        let password = match secret {
            Some(item) => self.resolve_secret(item, &password_key).0,
            None => {
                self.push(
                    0,
                    password_key,
                    "missing: [cold_wallet] needs the wallet's RPC password as a reference",
                );
                None
            }
        };
        Some(ColdWallet {
            rpc: rpc?,
            cert_pem: cert_pem?,
            user: user?,
            password: password?,
            account: account?,
        })
    }
}
