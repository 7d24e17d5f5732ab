//! The web service (`exccstakepool`) as a process in front of a pool's voting nodes: its
//! configuration written like a web host's ([`WebSetup`]: from a poolctl-applied pool's
//! pool.toml with the pool CA's `web` client certificate, or from a pool of plain processes
//! with a test CA), a SQLite database in its directory, and a small API client.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use exccstakepool::db::Db;
use exccstakepool::token;
use poolctl::config::PoolConfig;
use poolctl::plan::render::ports;
use serde_json::Value;

use crate::http::request;
use crate::pki::write_private;
use crate::proc::{Proc, bin, free_port};
use crate::wait_for;

pub struct WebService {
    pub proc: Proc,
    pub addr: SocketAddr,
    pub dir: PathBuf,
    pub base_url: String,
    db_url: String,
    secret: Vec<u8>,
}

/// What the web service's configuration says about the pool: what a real web host's
/// `exccstakepool.toml` holds, from a pool.toml or from a pool of plain processes.
pub struct WebSetup {
    /// `simnet`, `testnet`, …
    pub network: String,
    /// The fee as written (`7.5`).
    pub fee_percent: String,
    pub cold_wallet_xpub: String,
    pub voting_wallet_xpub: String,
    pub max_users: u32,
    /// The CA that signed the voting nodes' gRPC certificates and the client certificate.
    pub ca: PathBuf,
    /// The web service's gRPC client certificate and key (mutual TLS).
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// Voting nodes: (name its certificate carries, gRPC `address:port`).
    pub voting_nodes: Vec<(String, String)>,
}

impl WebSetup {
    /// The web service of a poolctl-applied pool: its voting hosts, the pool CA and the
    /// CA's `web` client certificate.
    pub fn for_pool(pool: &PoolConfig) -> WebSetup {
        let ca = pool.state_dir().join("ca");
        WebSetup {
            network: pool.network.name().to_owned(),
            fee_percent: pool.pool.fee_percent.to_string(),
            cold_wallet_xpub: pool.pool.cold_wallet_xpub.clone(),
            voting_wallet_xpub: pool.pool.voting_wallet_xpub.clone(),
            max_users: pool
                .pool
                .voting_address_count
                .min(pool.pool.fee_address_count),
            ca: ca.join("ca.cert"),
            client_cert: ca.join("clients/web.cert"),
            client_key: ca.join("clients/web.key"),
            voting_nodes: pool
                .hosts
                .iter()
                .map(|h| {
                    (
                        h.name.clone(),
                        format!("{}:{}", h.address, ports(pool).grpc),
                    )
                })
                .collect(),
        }
    }

    /// The configuration file: SQLite `pool.db` and `api.secret` in the service's directory.
    fn render(&self, port: u16, base_url: &str, admin_emails: &[&str]) -> String {
        let mut nodes = String::new();
        for (name, grpc) in &self.voting_nodes {
            nodes.push_str(&format!(
                "\n[[voting_nodes]]\nname = \"{name}\"\ngrpc = \"{grpc}\"\n"
            ));
        }
        format!(
            "network = \"{network}\"\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"{base_url}\"\npool_email = \"admin@localhost\"\nadmin_emails = {admins:?}\napi_secret_file = \"api.secret\"\n\n[database]\nurl = \"sqlite://pool.db\"\n\n[pool]\nfee_percent = {fee}\ncold_wallet_xpub = \"{cold}\"\nvoting_wallet_xpub = \"{voting}\"\nmax_users = {max}\n\n[tls]\nca = \"{ca}\"\nclient_cert = \"{cert}\"\nclient_key = \"{key}\"\n{nodes}",
            network = self.network,
            admins = admin_emails,
            fee = self.fee_percent,
            cold = self.cold_wallet_xpub,
            voting = self.voting_wallet_xpub,
            max = self.max_users,
            ca = self.ca.display(),
            cert = self.client_cert.display(),
            key = self.client_key.display(),
        )
    }
}

impl WebService {
    /// Writes `DIR/exccstakepool.toml` for `pool` (the accounts of `admin_emails` are its
    /// admins) and starts the service on a free port.
    pub async fn start(dir: &Path, pool: &PoolConfig, admin_emails: &[&str]) -> WebService {
        Self::start_with(dir, &WebSetup::for_pool(pool), admin_emails).await
    }

    /// Writes `DIR/exccstakepool.toml` from `setup` and starts the service on a free port.
    pub async fn start_with(dir: &Path, setup: &WebSetup, admin_emails: &[&str]) -> WebService {
        std::fs::create_dir_all(dir).unwrap();
        let secret: String = {
            let mut b = [0u8; 32];
            std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom").unwrap(), &mut b)
                .unwrap();
            hex::encode(b)
        };
        write_private(&dir.join("api.secret"), &secret);
        let port = free_port();
        let base_url = format!("http://127.0.0.1:{port}");
        let config = setup.render(port, &base_url, admin_emails);
        let path = dir.join("exccstakepool.toml");
        std::fs::write(&path, config).unwrap();
        let args = ["--config".to_owned(), path.display().to_string()];
        let proc = Proc::spawn(
            "exccstakepool",
            &bin("exccstakepool"),
            &args,
            &dir.join("log.txt"),
        );
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_for(30, "exccstakepool to answer", || async {
            request(addr, "GET", "/api/v1/stats", &[], "")
                .await
                .map(|_| ())
        })
        .await;
        WebService {
            proc,
            addr,
            dir: dir.to_owned(),
            base_url,
            db_url: format!("sqlite://{}", dir.join("pool.db").display()),
            secret: secret.into_bytes(),
        }
    }

    /// Waits until `/healthz` answers 200 (the database and every voting node healthy);
    /// after `secs` seconds, or when the service exits, the reason with its last answer.
    pub async fn wait_healthy(&mut self, secs: u64) -> Result<(), String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Ok(Some(status)) = self.proc.child.try_wait() {
                return Err(format!(
                    "exccstakepool exited with {status}; its log: {}",
                    self.proc.log.display()
                ));
            }
            let answer = request(self.addr, "GET", "/healthz", &[], "").await;
            match answer {
                Some((200, _)) => return Ok(()),
                last if std::time::Instant::now() >= deadline => {
                    return Err(format!(
                        "{}/healthz was not 200 within {secs} s (last answer: {last:?}; log {})",
                        self.base_url,
                        self.proc.log.display()
                    ));
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Stops the service (SIGTERM: a graceful stop) and returns how it exited.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        self.proc.terminate()
    }

    /// Starts the stopped service again with the same configuration, secret and database.
    pub async fn restart(&mut self) {
        self.proc.kill();
        let args = [
            "--config".to_owned(),
            self.dir.join("exccstakepool.toml").display().to_string(),
        ];
        self.proc = Proc::spawn(
            "exccstakepool",
            &bin("exccstakepool"),
            &args,
            &self.dir.join("log.txt"),
        );
        let addr = self.addr;
        wait_for(30, "exccstakepool to answer again", || async {
            request(addr, "GET", "/api/v1/stats", &[], "")
                .await
                .map(|_| ())
        })
        .await;
    }

    /// A verified account with an API token (what signing up and visiting the settings page
    /// do, straight in the service's database): (user id, token).
    pub async fn create_user(&self, email: &str, password: &str) -> (i64, String) {
        let db = Db::open(&self.db_url)
            .await
            .expect("the web service's database");
        let id = db
            .create_user(email, &exccstakepool::passwords::hash(password))
            .await
            .expect("create user");
        db.set_email_verified(id).await.unwrap();
        let t = token::issue(&self.secret, &self.base_url, id, Db::now());
        db.set_api_token(id, &t).await.unwrap();
        db.pool_close().await;
        (id, t)
    }

    /// An API call; the JSON answer (panics unless HTTP 200 and JSON).
    pub async fn api(&self, method: &str, path: &str, token: &str, form: &str) -> Value {
        let auth = format!("Authorization: Bearer {token}");
        let headers = [
            "Content-Type: application/x-www-form-urlencoded",
            auth.as_str(),
        ];
        let (status, body) = tokio::time::timeout(
            Duration::from_secs(60),
            request(self.addr, method, path, &headers, form),
        )
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("{method} {path}: no answer"));
        assert_eq!(status, 200, "{method} {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method} {path}: {body}: {e}"))
    }
}
