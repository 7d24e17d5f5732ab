//! stakepoold's configuration: a TOML file (`--config FILE`) with per-network
//! defaults. Validation reports every problem at once, each with its key and reason.
//! Every key is documented in `sample-configs/stakepoold.toml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use excc_chain::{ExtendedKey, Network, PoolFeePercent};
use toml::{Table, Value};

/// Connection to exccd or exccwallet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcEndpoint {
    pub address: String,
    pub user: String,
    pub password: String,
    pub cert: PathBuf,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrpcConfig {
    pub listen: Vec<SocketAddr>,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: PathBuf,
    /// Certificate revocation lists (PEM) of `client_ca`: revoked clients are refused.
    pub client_crl: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub network: Network,
    pub state_dir: PathBuf,
    pub pool_fees: PoolFeePercent,
    pub cold_wallet_ext_pub: ExtendedKey,
    pub fee_address_count: u32,
    pub node: RpcEndpoint,
    pub wallet: RpcEndpoint,
    pub grpc: GrpcConfig,
    pub http_listen: SocketAddr,
    pub vote_deadline: Duration,
    pub rpc_timeout: Duration,
}

/// All problems found in a configuration file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {} problem(s):\n{}", problems.len(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigError {
    pub path: PathBuf,
    pub problems: Vec<String>,
}

struct Reader<'a> {
    problems: Vec<String>,
    base: &'a Path,
}

impl Reader<'_> {
    fn problem(&mut self, key: &str, reason: impl std::fmt::Display) {
        self.problems.push(format!("{key}: {reason}"));
    }

    fn table<'t>(&mut self, t: &'t Table, key: &str) -> Option<&'t Table> {
        match t.get(key) {
            None => {
                self.problem(key, "missing section");
                None
            }
            Some(Value::Table(s)) => Some(s),
            Some(_) => {
                self.problem(key, "must be a section ([…])");
                None
            }
        }
    }

    fn str(&mut self, t: &Table, prefix: &str, key: &str, default: Option<&str>) -> Option<String> {
        let full = join(prefix, key);
        match t.get(key) {
            None if default.is_some() => default.map(str::to_string),
            None => {
                self.problem(&full, "missing (required)");
                None
            }
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(Value::String(_)) => {
                self.problem(&full, "must not be empty");
                None
            }
            Some(v) => {
                self.problem(&full, format!("must be a string, found {}", v.type_str()));
                None
            }
        }
    }

    fn path(&mut self, t: &Table, prefix: &str, key: &str, must_exist: bool) -> Option<PathBuf> {
        let s = self.str(t, prefix, key, None)?;
        let p = self.base.join(s);
        if must_exist && !p.is_file() {
            self.problem(
                &join(prefix, key),
                format!("file {} does not exist", p.display()),
            );
            return None;
        }
        Some(p)
    }

    fn uint(
        &mut self,
        t: &Table,
        key: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> u64 {
        match t.get(key) {
            None => default,
            Some(Value::Integer(i)) if *i >= 0 && range.contains(&(*i as u64)) => *i as u64,
            Some(v) => {
                self.problem(
                    key,
                    format!(
                        "{v} is not an integer in {}..={}",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        }
    }

    fn addr(&mut self, key: &str, s: &str) -> Option<SocketAddr> {
        match s.parse() {
            Ok(a) => Some(a),
            Err(_) => {
                self.problem(key, format!("{s:?} is not IP:port (e.g. 127.0.0.1:19560)"));
                None
            }
        }
    }

    /// `password = "…"` or `password_file = "/path"` (mode 0600), exactly one.
    fn secret(&mut self, t: &Table, prefix: &str) -> Option<String> {
        let key = join(prefix, "password");
        match (t.get("password"), t.get("password_file")) {
            (Some(_), Some(_)) => {
                self.problem(&key, "set either password or password_file, not both");
                None
            }
            (Some(_), None) => self.str(t, prefix, "password", None),
            (None, Some(_)) => {
                let path = self.path(t, prefix, "password_file", true)?;
                read_secret_file(&path)
                    .map_err(|e| self.problem(&join(prefix, "password_file"), e))
                    .ok()
            }
            (None, None) => {
                self.problem(&key, "missing: set password_file (preferred) or password");
                None
            }
        }
    }

    fn endpoint(&mut self, root: &Table, section: &str, default_port: u16) -> Option<RpcEndpoint> {
        let t = self.table(root, section)?;
        let default_addr = format!("127.0.0.1:{default_port}");
        let address = self.str(t, section, "rpc", Some(&default_addr))?;
        let address = if address.contains(':') {
            address
        } else {
            format!("{address}:{default_port}")
        };
        let (user, password, cert) = (
            self.str(t, section, "user", None),
            self.secret(t, section),
            self.path(t, section, "cert", true),
        );
        Some(RpcEndpoint {
            user: user?,
            password: password?,
            cert: cert?,
            address,
        })
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.into()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Refuses a file that group or others may read or write (a password file, the gRPC key).
pub fn check_owner_only(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "{} is readable by group or others; run chmod 600 {}",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

/// Reads a secret file, refusing one that others can read.
pub fn read_secret_file(path: &Path) -> Result<String, String> {
    check_owner_only(path)?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let secret = text.trim_end_matches(['\n', '\r']).to_string();
    if secret.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(secret)
}

const KNOWN_TOP: &[&str] = &[
    "network",
    "state_dir",
    "pool_fees",
    "cold_wallet_ext_pub",
    "fee_address_count",
    "node",
    "wallet",
    "grpc",
    "http",
    "voting",
];

impl Config {
    /// Loads and validates `path`; relative paths inside are relative to its directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let fail = |problems| ConfigError {
            path: path.into(),
            problems,
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            fail(vec![format!(
                "cannot read the file: {e} (give it with --config FILE)"
            )])
        })?;
        let table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| fail(vec![e.to_string()]))?;
        Self::from_table(&table, path.parent().unwrap_or(Path::new("."))).map_err(fail)
    }

    fn from_table(t: &Table, base: &Path) -> Result<Config, Vec<String>> {
        let mut r = Reader {
            problems: Vec::new(),
            base,
        };
        for key in t.keys().filter(|k| !KNOWN_TOP.contains(&k.as_str())) {
            r.problem(key, "unknown key (see sample-configs/stakepoold.toml)");
        }
        let network = r.str(t, "", "network", None).and_then(|s| {
            s.parse::<Network>()
                .map_err(|e| r.problem("network", e))
                .ok()
        });
        let params_net = network.unwrap_or(Network::Mainnet);
        let ports = params_net.params().ports;
        let state_dir = r
            .str(t, "", "state_dir", Some("/var/lib/stakepoold"))
            .map(|s| base.join(s));
        let pool_fees = match t.get("pool_fees") {
            Some(Value::Float(f)) => format!("{f}")
                .parse::<PoolFeePercent>()
                .map_err(|e| r.problem("pool_fees", e))
                .ok(),
            Some(Value::Integer(i)) => i
                .to_string()
                .parse::<PoolFeePercent>()
                .map_err(|e| r.problem("pool_fees", e))
                .ok(),
            Some(Value::String(s)) => s
                .parse::<PoolFeePercent>()
                .map_err(|e| r.problem("pool_fees", e))
                .ok(),
            Some(v) => {
                r.problem(
                    "pool_fees",
                    format!("must be a number like 7.5, found {}", v.type_str()),
                );
                None
            }
            None => {
                r.problem("pool_fees", "missing (required): the pool fee in percent, e.g. 7.5, the same as exccwallet's poolfees");
                None
            }
        };
        let cold = r.str(t, "", "cold_wallet_ext_pub", None).and_then(|s| {
            network.and_then(|n| {
                ExtendedKey::decode_xpub_for(&s, n)
                    .map_err(|e| r.problem("cold_wallet_ext_pub", e))
                    .ok()
            })
        });
        let fee_address_count = r.uint(t, "fee_address_count", 10_000, 1..=1_000_000) as u32;
        let node = r.endpoint(t, "node", ports.node_rpc);
        let wallet = r.endpoint(t, "wallet", ports.wallet_rpc.unwrap_or(ports.node_rpc + 1));
        let grpc = r.table(t, "grpc").and_then(|g| {
            let listen: Vec<SocketAddr> = match g.get("listen") {
                None => vec![SocketAddr::from(([0, 0, 0, 0], ports.stakepoold_grpc))],
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|v| match v.as_str() {
                        Some(s) => r.addr("grpc.listen", s),
                        None => {
                            r.problem(
                                "grpc.listen",
                                "entries must be strings like \"0.0.0.0:19560\"",
                            );
                            None
                        }
                    })
                    .collect(),
                Some(Value::String(s)) => r.addr("grpc.listen", s).into_iter().collect(),
                Some(_) => {
                    r.problem("grpc.listen", "must be a list of IP:port strings");
                    vec![]
                }
            };
            // Evaluate all three before `?`, so every missing file is reported.
            let (cert, key, client_ca) = (
                r.path(g, "grpc", "cert", true),
                r.path(g, "grpc", "key", true),
                r.path(g, "grpc", "client_ca", true),
            );
            let key = key.and_then(|k| {
                check_owner_only(&k)
                    .map_err(|e| r.problem("grpc.key", e))
                    .ok()
                    .map(|()| k)
            });
            let client_crl = match g.get("client_crl") {
                None => Some(None),
                Some(_) => r.path(g, "grpc", "client_crl", true).map(Some),
            };
            Some(GrpcConfig {
                listen,
                cert: cert?,
                key: key?,
                client_ca: client_ca?,
                client_crl: client_crl?,
            })
        });
        let http_listen = match t.get("http") {
            None => Some(SocketAddr::from((
                [127, 0, 0, 1],
                ports.stakepoold_grpc + 1,
            ))),
            Some(Value::Table(h)) => {
                let default = format!("127.0.0.1:{}", ports.stakepoold_grpc + 1);
                r.str(h, "http", "listen", Some(&default))
                    .and_then(|s| r.addr("http.listen", &s))
            }
            Some(_) => {
                r.problem("http", "must be a section ([http])");
                None
            }
        };
        let (vote_deadline, rpc_timeout) = match t.get("voting") {
            None => (Duration::from_secs(5), Duration::from_secs(10)),
            Some(Value::Table(v)) => (
                Duration::from_millis(r.uint(v, "deadline_ms", 5_000, 100..=60_000)),
                Duration::from_millis(r.uint(v, "rpc_timeout_ms", 10_000, 100..=300_000)),
            ),
            Some(_) => {
                r.problem("voting", "must be a section ([voting])");
                (Duration::ZERO, Duration::ZERO)
            }
        };
        if !r.problems.is_empty() {
            return Err(r.problems);
        }
        Ok(Config {
            network: network.expect("checked"),
            state_dir: state_dir.expect("checked"),
            pool_fees: pool_fees.expect("checked"),
            cold_wallet_ext_pub: cold.expect("checked"),
            fee_address_count,
            node: node.expect("checked"),
            wallet: wallet.expect("checked"),
            grpc: grpc.expect("checked"),
            http_listen: http_listen.expect("checked"),
            vote_deadline,
            rpc_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_problem_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stakepoold.toml");
        std::fs::write(
            &path,
            r#"
network = "moonnet"
pool_fees = 150
colour = "blue"
[node]
user = "u"
password = "p"
cert = "missing.cert"
[grpc]
listen = ["nonsense"]
"#,
        )
        .unwrap();
        let err = Config::load(&path).unwrap_err();
        let text = err.to_string();
        for needle in [
            "network: unknown network \"moonnet\"",
            "pool_fees: invalid pool fee percent 150",
            "colour: unknown key",
            "node.cert: file",
            "wallet: missing section",
            "grpc.listen: \"nonsense\" is not IP:port",
            "grpc.cert: missing (required)",
            "cold_wallet_ext_pub: missing (required)",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
    }

    #[test]
    fn grpc_key_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for f in ["grpc.cert", "grpc.key", "ca.cert"] {
            std::fs::write(dir.path().join(f), "pem").unwrap();
        }
        let key = dir.path().join("grpc.key");
        let path = dir.path().join("stakepoold.toml");
        std::fs::write(
            &path,
            "[grpc]\ncert = \"grpc.cert\"\nkey = \"grpc.key\"\nclient_ca = \"ca.cert\"\n",
        )
        .unwrap();
        let problem = |mode| {
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
            let text = Config::load(&path).unwrap_err().to_string();
            text.lines()
                .find(|l| l.contains("grpc.key"))
                .map(str::to_owned)
        };
        let line = problem(0o640).expect("a group-readable grpc.key is refused");
        assert!(
            line.contains(&format!("{} is readable by group or others", key.display()))
                && line.contains(&format!("chmod 600 {}", key.display())),
            "{line}"
        );
        assert_eq!(problem(0o600), None);
    }

    #[test]
    fn secret_files_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "hunter2\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read_secret_file(&p).unwrap_err().contains("chmod 600"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret_file(&p).unwrap(), "hunter2");
    }
}
