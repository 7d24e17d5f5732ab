//! exccstakepool's configuration file (TOML; every key in `sample-configs/exccstakepool.toml`).
//! Syntax and unknown keys fail with the file's line; then every semantic problem is
//! reported at once with its key and what to write instead.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use excc_chain::{ExtendedKey, Network, PoolFeePercent};
use serde::Deserialize;

use crate::mail::{MailSettings, Security};
use crate::pool::PoolSettings;
use crate::rate_limit::Limits;
use crate::serve::ServerLimits;
use crate::voting_nodes::{NodeAddress, NodeTls};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    network: String,
    listen: String,
    base_url: String,
    #[serde(default)]
    pool_email: String,
    #[serde(default)]
    closed: bool,
    #[serde(default)]
    admin_emails: Vec<String>,
    /// Deprecated: accounts by id (ids are handed out in sign-up order).
    #[serde(default)]
    admin_user_ids: Vec<i64>,
    #[serde(default = "default_sync_interval")]
    sync_interval_secs: u64,
    #[serde(default = "default_node_timeout")]
    voting_node_timeout_secs: u64,
    database: Database,
    pool: Pool,
    api_secret_file: PathBuf,
    /// The legacy Go pool's `apisecret`, for the API tokens `migrate-legacy` moved.
    legacy_api_secret_file: Option<PathBuf>,
    tls: Tls,
    voting_nodes: Vec<Node>,
    smtp: Option<Smtp>,
    #[serde(default)]
    limits: LimitsFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LimitsFile {
    form_posts_per_minute: u32,
    api_requests_per_minute: u32,
    signed_in_posts_per_minute: u32,
    real_ip_header: Option<String>,
    max_connections: usize,
    connections_per_client: usize,
    requests_in_flight: usize,
    header_timeout_secs: u64,
    body_timeout_secs: u64,
    request_timeout_secs: u64,
}

/// A missing key is [`Limits`]' and [`ServerLimits`]' default.
impl Default for LimitsFile {
    fn default() -> Self {
        let (l, s) = (Limits::default(), ServerLimits::default());
        LimitsFile {
            form_posts_per_minute: l.form_posts_per_minute,
            api_requests_per_minute: l.api_requests_per_minute,
            signed_in_posts_per_minute: l.signed_in_posts_per_minute,
            real_ip_header: l.real_ip_header,
            max_connections: s.max_connections,
            connections_per_client: s.connections_per_client,
            requests_in_flight: s.requests_in_flight,
            header_timeout_secs: s.header_timeout.as_secs(),
            body_timeout_secs: s.body_timeout.as_secs(),
            request_timeout_secs: s.request_timeout.as_secs(),
        }
    }
}

fn default_node_timeout() -> u64 {
    crate::voting_nodes::DEFAULT_DEADLINE.as_secs()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Smtp {
    host: String,
    port: Option<u16>,
    #[serde(default = "default_security")]
    security: String,
    user: Option<String>,
    password_file: Option<PathBuf>,
    from: String,
    ca_file: Option<PathBuf>,
}

fn default_security() -> String {
    "starttls".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Database {
    url: String,
    password_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pool {
    fee_percent: f64,
    cold_wallet_xpub: String,
    voting_wallet_xpub: String,
    #[serde(default = "default_max_users")]
    max_users: u32,
}

fn default_max_users() -> u32 {
    10_000
}

fn default_sync_interval() -> u64 {
    300
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tls {
    ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Node {
    name: String,
    grpc: String,
}

/// The loaded configuration.
pub struct Config {
    pub listen: SocketAddr,
    /// How often every voting node is synced with the database ([`crate::sync`]).
    pub sync_interval: std::time::Duration,
    /// The deadline of every call to a voting node.
    pub node_timeout: std::time::Duration,
    /// Database URL with the password filled in (never logged).
    pub database_url: String,
    pub settings: PoolSettings,
    pub nodes: Vec<NodeAddress>,
    pub tls: NodeTls,
    /// `None`: no `[smtp]`, the pool sends no e-mail.
    pub smtp: Option<MailSettings>,
}

/// What is wrong with a configuration file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {}", problems.join("\n  "))]
pub struct ConfigError {
    pub path: PathBuf,
    pub problems: Vec<String>,
}

struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, key: &str, why: impl std::fmt::Display) {
        self.0.push(format!("{key}: {why}"));
    }

    /// A file's contents, relative to the config file's directory.
    fn read(&mut self, base: &Path, key: &str, p: &Path, private: bool) -> Option<Vec<u8>> {
        let path = base.join(p);
        if private {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(m) = std::fs::metadata(&path)
                && m.permissions().mode() & 0o077 != 0
            {
                self.push(
                    key,
                    format!("{} is readable by others: chmod 600 it", path.display()),
                );
                return None;
            }
        }
        match std::fs::read(&path) {
            Ok(b) => Some(b),
            Err(e) => {
                self.push(key, format!("cannot read {}: {e}", path.display()));
                None
            }
        }
    }
}

/// `scheme://user@host/db` with the (percent-encoded) password after the user.
fn with_password(url: &str, password: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (user, host) = rest.split_once('@')?;
    if user.is_empty() || user.contains(':') {
        return None;
    }
    let encoded: String = password
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Some(format!("{scheme}://{user}:{encoded}@{host}"))
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let fail = |problems| ConfigError {
            path: path.to_owned(),
            problems,
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            fail(vec![format!(
                "cannot read it: {e} (start from sample-configs/exccstakepool.toml)"
            )])
        })?;
        let f: File = toml::from_str(&text)
            .map_err(|e| fail(vec![e.to_string().trim().replace('\n', " ")]))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut p = Problems(Vec::new());

        let network = f.network.parse::<Network>().ok();
        if network.is_none() {
            p.push("network", "must be mainnet, testnet or simnet");
        }
        let listen = f.listen.parse::<SocketAddr>().ok();
        if listen.is_none() {
            p.push(
                "listen",
                format!("{:?} is not IP:PORT (e.g. \"127.0.0.1:8000\")", f.listen),
            );
        }
        if !(f.base_url.starts_with("https://") || f.base_url.starts_with("http://")) {
            p.push(
                "base_url",
                "must be the pool's public URL, e.g. \"https://pool.example.org\"",
            );
        }
        let fee = PoolFeePercent::from_hundredths((f.pool.fee_percent * 100.0).round() as u32)
            .ok()
            .filter(|_| f.pool.fee_percent > 0.0);
        if fee.is_none() {
            p.push(
                "pool.fee_percent",
                "must be 0.01 to 100 (the voting wallets' poolfees)",
            );
        }
        let mut xpub = |key: &str, s: &str| match network {
            Some(n) => match ExtendedKey::decode_xpub_for(s, n) {
                Ok(k) => Some(k),
                Err(e) => {
                    p.push(key, e);
                    None
                }
            },
            None => None,
        };
        let cold = xpub("pool.cold_wallet_xpub", &f.pool.cold_wallet_xpub);
        let voting = xpub("pool.voting_wallet_xpub", &f.pool.voting_wallet_xpub);
        if f.pool.max_users == 0 {
            p.push("pool.max_users", "must be at least 1");
        }
        let secret = p.read(base, "api_secret_file", &f.api_secret_file, true);
        if secret.as_ref().is_some_and(|s| s.len() < 32) {
            p.push(
                "api_secret_file",
                "holds fewer than 32 bytes: use e.g. `head -c 32 /dev/urandom | base64`",
            );
        }
        // Like the legacy INI file's value: without surrounding blanks and the newline.
        let legacy_secret = f.legacy_api_secret_file.as_ref().and_then(|file| {
            let s = p.read(base, "legacy_api_secret_file", file, true)?;
            let s = s.trim_ascii().to_vec();
            if s.is_empty() {
                p.push(
                    "legacy_api_secret_file",
                    "is empty: write the legacy exccstakepool.conf's apisecret into it",
                );
            }
            Some(s)
        });
        let database_url = match &f.database.password_file {
            // A relative SQLite path is relative to this file, like every path here.
            None => Some(match f.database.url.strip_prefix("sqlite://") {
                Some(rest) if !rest.starts_with('/') => {
                    format!("sqlite://{}", base.join(rest).display())
                }
                _ => f.database.url.clone(),
            }),
            Some(file) => p.read(base, "database.password_file", file, true).and_then(|pw| {
                let pw = String::from_utf8_lossy(&pw).trim().to_owned();
                let with = with_password(&f.database.url, &pw);
                if with.is_none() {
                    p.push(
                        "database.url",
                        "with password_file, write the URL with a user and without a password: mysql://USER@HOST/DB",
                    );
                }
                with
            }),
        };
        if !(f.database.url.starts_with("sqlite://") || f.database.url.starts_with("mysql://")) {
            p.push("database.url", "must start with sqlite:// or mysql://");
        }
        if let Some(why) = unverified_remote_mysql(&f.database.url) {
            p.push("database.url", why);
        }
        let admin_emails: Vec<String> = f
            .admin_emails
            .iter()
            .filter_map(|e| match crate::email_address::parse(e) {
                Ok(e) => Some(e),
                Err(why) => {
                    p.push("admin_emails", format!("{e:?}: {why}"));
                    None
                }
            })
            .collect();
        let ca = p.read(base, "tls.ca", &f.tls.ca, false);
        let cert = p.read(base, "tls.client_cert", &f.tls.client_cert, false);
        let key = p.read(base, "tls.client_key", &f.tls.client_key, true);
        if f.voting_nodes.is_empty() {
            p.push(
                "voting_nodes",
                "no voting node: add a [[voting_nodes]] table (name, grpc) per node",
            );
        }
        for (i, n) in f.voting_nodes.iter().enumerate() {
            if n.grpc
                .rsplit_once(':')
                .and_then(|(_, port)| port.parse::<u16>().ok())
                .is_none()
            {
                p.push(
                    &format!("voting_nodes[{}].grpc", i + 1),
                    format!("{:?} is not HOST:PORT", n.grpc),
                );
            }
        }
        let smtp = f.smtp.as_ref().and_then(|m| smtp(&mut p, base, m));
        let l = &f.limits;
        let (per_minute, count, secs) = (
            "must be at least 1 (requests per minute and client)",
            "must be at least 1",
            "must be at least 1 (seconds)",
        );
        for (key, v, why) in [
            (
                "limits.form_posts_per_minute",
                l.form_posts_per_minute.into(),
                per_minute,
            ),
            (
                "limits.api_requests_per_minute",
                l.api_requests_per_minute.into(),
                per_minute,
            ),
            (
                "limits.signed_in_posts_per_minute",
                l.signed_in_posts_per_minute.into(),
                per_minute,
            ),
            ("limits.max_connections", l.max_connections as u64, count),
            (
                "limits.connections_per_client",
                l.connections_per_client as u64,
                count,
            ),
            (
                "limits.requests_in_flight",
                l.requests_in_flight as u64,
                count,
            ),
            ("limits.header_timeout_secs", l.header_timeout_secs, secs),
            ("limits.body_timeout_secs", l.body_timeout_secs, secs),
            ("limits.request_timeout_secs", l.request_timeout_secs, secs),
            ("voting_node_timeout_secs", f.voting_node_timeout_secs, secs),
        ] {
            if v == 0u64 {
                p.push(key, why);
            }
        }
        if f.limits
            .real_ip_header
            .as_ref()
            .is_some_and(|h| axum::http::HeaderName::from_bytes(h.as_bytes()).is_err())
        {
            p.push(
                "limits.real_ip_header",
                "is not a header name; e.g. \"X-Real-IP\"",
            );
        }
        if !p.0.is_empty() {
            return Err(fail(p.0));
        }
        let (
            Some(network),
            Some(listen),
            Some(pool_fees),
            Some(cold),
            Some(voting),
            Some(secret),
            Some(database_url),
            Some(ca),
            Some(cert),
            Some(key),
        ) = (
            network,
            listen,
            fee,
            cold,
            voting,
            secret,
            database_url,
            ca,
            cert,
            key,
        )
        else {
            unreachable!("every missing value was reported as a problem")
        };
        Ok(Config {
            listen,
            sync_interval: std::time::Duration::from_secs(f.sync_interval_secs.max(10)),
            node_timeout: std::time::Duration::from_secs(f.voting_node_timeout_secs),
            database_url,
            settings: PoolSettings {
                network,
                base_url: f.base_url.trim_end_matches('/').to_owned(),
                pool_fees,
                cold_wallet_xpub: cold,
                voting_wallet_xpub: voting,
                max_users: f.pool.max_users,
                pool_email: f.pool_email,
                closed: f.closed,
                admin_emails,
                admins: f.admin_user_ids,
                limits: Limits {
                    form_posts_per_minute: f.limits.form_posts_per_minute,
                    api_requests_per_minute: f.limits.api_requests_per_minute,
                    signed_in_posts_per_minute: f.limits.signed_in_posts_per_minute,
                    real_ip_header: f.limits.real_ip_header,
                },
                server: ServerLimits {
                    max_connections: f.limits.max_connections,
                    connections_per_client: f.limits.connections_per_client,
                    requests_in_flight: f.limits.requests_in_flight,
                    header_timeout: std::time::Duration::from_secs(f.limits.header_timeout_secs),
                    body_timeout: std::time::Duration::from_secs(f.limits.body_timeout_secs),
                    request_timeout: std::time::Duration::from_secs(f.limits.request_timeout_secs),
                },
                api_secret: secret,
                legacy_api_secret: legacy_secret,
            },
            nodes: f
                .voting_nodes
                .into_iter()
                .map(|n| NodeAddress {
                    name: n.name,
                    grpc: n.grpc,
                })
                .collect(),
            tls: NodeTls {
                ca_pem: ca,
                client_cert_pem: cert,
                client_key_pem: key,
            },
            smtp,
        })
    }
}

/// Why a MariaDB/MySQL URL is not safe to use (`None`: it is): a server on another host
/// must be reached over TLS that checks its certificate, which sqlx does only with
/// `ssl-mode=VERIFY_IDENTITY` (or `VERIFY_CA`); by default it encrypts if it can but
/// verifies nothing, so anyone on the path could read the credentials and data.
pub(crate) fn unverified_remote_mysql(url: &str) -> Option<String> {
    let rest = url.strip_prefix("mysql://")?;
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a.split('/').next().unwrap_or(""), q),
        None => (rest.split('/').next().unwrap_or(""), ""),
    };
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    let loopback = host.is_empty()
        || host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let verified = query.split('&').any(|kv| {
        kv.split_once('=').is_some_and(|(k, v)| {
            k.eq_ignore_ascii_case("ssl-mode")
                && (v.eq_ignore_ascii_case("verify_identity")
                    || v.eq_ignore_ascii_case("verify_ca"))
        })
    });
    (!loopback && !verified).then(|| {
        format!(
            "the database server {host:?} is reached over the network without a verified TLS certificate: add ?ssl-mode=VERIFY_IDENTITY&ssl-ca=/path/to/db-ca.pem to the URL (or use a server on this machine)"
        )
    })
}

/// The `[smtp]` table checked: every problem pushed, the settings if there was none.
fn smtp(p: &mut Problems, base: &Path, m: &Smtp) -> Option<MailSettings> {
    let before = p.0.len();
    let security = match m.security.as_str() {
        "starttls" => Some(Security::StartTls),
        "tls" => Some(Security::Tls),
        "none" => Some(Security::None),
        _ => {
            p.push("smtp.security", "must be \"starttls\", \"tls\" or \"none\"");
            None
        }
    };
    let loopback = m.host == "localhost"
        || m.host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if security == Some(Security::None) && !loopback {
        p.push(
            "smtp.security",
            format!("\"none\" sends passwords and links in clear text: only for a relay on this machine, not {:?}; use \"starttls\" or \"tls\"", m.host),
        );
    }
    if m.host.is_empty() {
        p.push(
            "smtp.host",
            "must name the mail relay, e.g. \"smtp.example.org\"",
        );
    }
    let from = m.from.parse().ok();
    if from.is_none() {
        p.push(
            "smtp.from",
            format!(
                "{:?} is not a sender address; write e.g. \"EXCC pool <pool@example.org>\"",
                m.from
            ),
        );
    }
    let login = match (&m.user, &m.password_file) {
        (Some(user), Some(file)) => p
            .read(base, "smtp.password_file", file, true)
            .map(|pw| (user.clone(), String::from_utf8_lossy(&pw).trim().to_owned())),
        (None, None) => None,
        _ => {
            p.push("smtp", "set both user and password_file, or neither");
            None
        }
    };
    let ca_pem = m
        .ca_file
        .as_ref()
        .and_then(|f| p.read(base, "smtp.ca_file", f, false));
    if p.0.len() > before {
        return None;
    }
    let security = security?;
    Some(MailSettings {
        host: m.host.clone(),
        port: m.port.unwrap_or(security.default_port()),
        security,
        login,
        from: from?,
        ca_pem,
    })
}

#[cfg(test)]
mod tests {
    use super::{unverified_remote_mysql, with_password};

    #[test]
    fn a_remote_mariadb_needs_verified_tls() {
        for fine in [
            "sqlite://pool.db",
            "mysql://pool@127.0.0.1:3306/pool",
            "mysql://pool@localhost/pool",
            "mysql://pool@[::1]:3306/pool",
            "mysql://pool@db.example.org/pool?ssl-mode=VERIFY_IDENTITY&ssl-ca=ca.pem",
            "mysql://pool@10.0.0.5:3306/pool?ssl-ca=ca.pem&ssl-mode=verify_ca",
        ] {
            assert_eq!(unverified_remote_mysql(fine), None, "{fine}");
        }
        for bad in [
            "mysql://pool@db.example.org/pool",
            "mysql://pool@10.0.0.5:3306/pool?ssl-mode=REQUIRED",
            "mysql://pool@[2001:db8::1]:3306/pool?ssl-mode=PREFERRED",
            "mysql://db.example.org/pool",
        ] {
            let why = unverified_remote_mysql(bad).unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(why.contains("add ?ssl-mode=VERIFY_IDENTITY"), "{why}");
        }
    }

    #[test]
    fn password_goes_after_the_user_encoded() {
        assert_eq!(
            with_password("mysql://pool@127.0.0.1:3306/pool", "p@ss:w/rd").as_deref(),
            Some("mysql://pool:p%40ss%3Aw%2Frd@127.0.0.1:3306/pool")
        );
        assert_eq!(with_password("mysql://pool:old@h/db", "x"), None);
        assert_eq!(with_password("mysql://h/db", "x"), None);
    }
}
