//! stakepoold processes and their gRPC clients (mutual TLS with a test CA).

use std::path::{Path, PathBuf};

use stakepoold_proto::v1::stakepoold_service_client::StakepooldServiceClient;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::pki::{TestCa, write_private};
use crate::proc::{Proc, bin, free_port};
use crate::simnet::{Daemon, PASS, USER};

pub struct Stakepoold {
    pub proc: Proc,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub grpc_port: u16,
    pub http_port: u16,
}

/// The mutual-TLS material shared by a test pool: CA, and a client identity for the web side.
pub struct PoolPki {
    pub ca: TestCa,
    pub dir: PathBuf,
    /// stakepoold's `grpc.client_crl`, when set before it starts.
    pub client_crl: Option<PathBuf>,
}

impl PoolPki {
    pub fn new(dir: &Path) -> PoolPki {
        std::fs::create_dir_all(dir).unwrap();
        PoolPki {
            ca: TestCa::new("test pool CA"),
            dir: dir.into(),
            client_crl: None,
        }
    }

    /// A gRPC channel presenting a certificate issued by the pool CA (or by `signer`).
    pub async fn channel(
        &self,
        port: u16,
        cn: &str,
        signer: Option<&TestCa>,
    ) -> Result<Channel, tonic::transport::Error> {
        let ca = signer.unwrap_or(&self.ca);
        self.channel_as(port, &ca.issue(cn, &self.dir)).await
    }

    /// A gRPC channel presenting the certificate `id`.
    pub async fn channel_as(
        &self,
        port: u16,
        id: &crate::pki::Issued,
    ) -> Result<Channel, tonic::transport::Error> {
        let identity = Identity::from_pem(
            std::fs::read(&id.cert).unwrap(),
            std::fs::read(&id.key).unwrap(),
        );
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca.cert_pem))
            .identity(identity)
            .domain_name("localhost");
        let channel = Channel::from_shared(format!("https://127.0.0.1:{port}"))
            .unwrap()
            .tls_config(tls)?
            .connect()
            .await?;
        Ok(channel)
    }

    /// A stakepoold client presenting a certificate issued by the pool CA (or by `signer`).
    pub async fn client(
        &self,
        port: u16,
        cn: &str,
        signer: Option<&TestCa>,
    ) -> Result<StakepooldServiceClient<Channel>, tonic::transport::Error> {
        Ok(StakepooldServiceClient::new(
            self.channel(port, cn, signer).await?,
        ))
    }
}

impl Stakepoold {
    /// Writes a config for a voting node (its node + wallet) and starts stakepoold.
    pub async fn start(
        root: &Path,
        name: &str,
        pki: &PoolPki,
        node: &Daemon,
        wallet: &Daemon,
        cold_xpub: &str,
    ) -> Stakepoold {
        let node = (node.addr.as_str(), node.cert.as_path());
        let wallet = (wallet.addr.as_str(), wallet.cert.as_path());
        Self::start_with(root, name, pki, node, wallet, cold_xpub).await
    }

    /// Like [`Stakepoold::start`] with explicit (address, pinned cert) of exccd and exccwallet.
    pub async fn start_with(
        root: &Path,
        name: &str,
        pki: &PoolPki,
        (node_addr, node_cert): (&str, &Path),
        (wallet_addr, wallet_cert): (&str, &Path),
        cold_xpub: &str,
    ) -> Stakepoold {
        Self::launch(
            root,
            name,
            pki,
            (node_addr, node_cert),
            (wallet_addr, wallet_cert),
            cold_xpub,
            false,
        )
        .await
    }

    /// Starts stakepoold for a voting node where it must refuse to run; returns
    /// whether it exited successfully and its log.
    pub async fn run_expecting_exit(
        root: &Path,
        name: &str,
        pki: &PoolPki,
        node: &Daemon,
        wallet: &Daemon,
        cold_xpub: &str,
    ) -> (bool, String) {
        let node = (node.addr.as_str(), node.cert.as_path());
        let wallet = (wallet.addr.as_str(), wallet.cert.as_path());
        let mut s = Self::launch(root, name, pki, node, wallet, cold_xpub, true).await;
        let status = s.proc.child.wait().expect("wait for stakepoold");
        (status.success(), s.proc.log_text())
    }

    #[allow(clippy::too_many_arguments)]
    async fn launch(
        root: &Path,
        name: &str,
        pki: &PoolPki,
        (node_addr, node_cert): (&str, &Path),
        (wallet_addr, wallet_cert): (&str, &Path),
        cold_xpub: &str,
        expect_exit: bool,
    ) -> Stakepoold {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        // Named like a host: web services may address the node by `name`.
        let server = pki.ca.issue_for(&format!("{name}-grpc"), &[name], &dir);
        let ca = pki.ca.write_cert(&dir.join("pool-ca.cert"));
        write_private(&dir.join("rpc.password"), PASS);
        let (grpc_port, http_port) = (free_port(), free_port());
        let config = dir.join("stakepoold.toml");
        std::fs::write(
            &config,
            format!(
                r#"network = "simnet"
state_dir = "state"
pool_fees = 7.5
cold_wallet_ext_pub = "{cold_xpub}"
fee_address_count = 101

[node]
rpc = "{node_addr}"
user = "{USER}"
password_file = "rpc.password"
cert = "{node_cert}"

[wallet]
rpc = "{wallet_addr}"
user = "{USER}"
password_file = "rpc.password"
cert = "{wallet_cert}"

[grpc]
listen = ["127.0.0.1:{grpc_port}"]
cert = "{cert}"
key = "{key}"
client_ca = "{ca}"
{crl}
[http]
listen = "127.0.0.1:{http_port}"

[voting]
deadline_ms = 5000
rpc_timeout_ms = 5000
"#,
                node_cert = node_cert.display(),
                wallet_cert = wallet_cert.display(),
                cert = server.cert.display(),
                key = server.key.display(),
                ca = ca.display(),
                crl = pki
                    .client_crl
                    .as_ref()
                    .map(|p| format!("client_crl = \"{}\"\n", p.display()))
                    .unwrap_or_default(),
            ),
        )
        .unwrap();
        let mut s = Stakepoold {
            proc: spawn(name, &dir, &config),
            dir,
            config,
            grpc_port,
            http_port,
        };
        if !expect_exit {
            s.wait_http().await;
        }
        s
    }

    async fn wait_http(&mut self) {
        for _ in 0..1500 {
            self.proc.assert_running();
            if self.get("/healthz").await.is_some() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!(
            "stakepoold HTTP port never answered:\n{}",
            self.proc.log_text()
        );
    }

    /// Stops (SIGTERM) and starts again with the same config and state directory.
    pub async fn restart(&mut self) {
        self.stop();
        self.start_again().await;
    }

    /// Stops (SIGTERM) and checks the shutdown was clean.
    pub fn stop(&mut self) {
        let status = self.proc.terminate();
        assert!(
            status.success(),
            "stakepoold did not shut down cleanly: {status}\n{}",
            self.proc.log_text()
        );
    }

    /// Starts a stopped stakepoold again with the same config and state directory.
    pub async fn start_again(&mut self) {
        let name = self.proc.name.clone();
        self.proc = spawn(&name, &self.dir, &self.config);
        self.wait_http().await;
    }

    /// A plain HTTP GET on the health port: (status, body).
    pub async fn get(&self, path: &str) -> Option<(u16, String)> {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.http_port));
        crate::http::request(addr, "GET", path, &[], "").await
    }

    /// The `/healthz` JSON.
    pub async fn health(&self) -> serde_json::Value {
        let (_, body) = self.get("/healthz").await.expect("healthz");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("healthz body {body:?}: {e}"))
    }
}

fn spawn(name: &str, dir: &Path, config: &Path) -> Proc {
    let args = [
        "--config",
        &config.display().to_string(),
        "--log-level",
        "info",
    ]
    .map(String::from);
    Proc::spawn(name, &bin("stakepoold"), &args, &dir.join("log.txt"))
}

/// Runs `stakepoold --config FILE --check-config`: (success, stdout + stderr).
pub fn check_config(config: &Path) -> (bool, String) {
    let out = std::process::Command::new(bin("stakepoold"))
        .args(["--config", &config.display().to_string(), "--check-config"])
        .output()
        .expect("run stakepoold");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
