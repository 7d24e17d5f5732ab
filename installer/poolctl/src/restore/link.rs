//! stakepoold's gRPC API on a voting host, reached like its `/healthz`: through the host's
//! SSH connection (a local forward to the host's `127.0.0.1`), with mutual TLS: the host's
//! certificate must chain to the pool CA and name the host; poolctl presents the pool CA's
//! `poolctl` client certificate (`.poolctl/ca/clients/poolctl.*`, revocable like `web`).

use std::sync::Arc;
use std::time::Duration;

use stakepoold_proto::v1::stakepoold_service_client::StakepooldServiceClient;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::ca::{CaError, PoolCa};
use crate::config::PoolConfig;
use crate::host::{LocalForward, SshHost, forward_local};
use crate::plan::render::ports;
use crate::runtime::CALL_TIMEOUT;

/// The client certificate poolctl presents to stakepoold.
pub const CLIENT_NAME: &str = "poolctl";

/// How to reach every host's stakepoold: the hosts' SSH connections (pool.toml order), the
/// gRPC port and poolctl's TLS identity.
#[derive(Clone)]
pub struct Reach {
    pub hosts: Vec<(String, Arc<SshHost>)>,
    grpc_port: u16,
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

impl Reach {
    /// Opens the pool CA (issuing poolctl's client certificate on first use).
    pub fn new(config: &PoolConfig, hosts: &[Arc<SshHost>]) -> Result<Reach, CaError> {
        let ca = PoolCa::open_or_create(&config.state_dir())?;
        let client = ca.client_cert(CLIENT_NAME)?;
        Ok(Reach {
            hosts: config
                .hosts
                .iter()
                .map(|h| h.name.clone())
                .zip(hosts.iter().cloned())
                .collect(),
            grpc_port: ports(config).grpc,
            ca_pem: ca.cert_pem().to_owned(),
            cert_pem: client.cert_pem,
            key_pem: client.key_pem,
        })
    }

    /// A gRPC client of stakepoold on host `i`; `Err` says why there is none.
    pub async fn open(&self, i: usize) -> Result<StakepooldLink, String> {
        let (name, ssh) = &self.hosts[i];
        let forward = forward_local(Arc::clone(ssh), "127.0.0.1", self.grpc_port)
            .await
            .map_err(|e| e.to_string())?;
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca_pem))
            .identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
            .domain_name(name.as_str());
        let channel = Endpoint::from_shared(format!("https://{}", forward.addr()))
            .map_err(|e| e.to_string())?
            .connect_timeout(CALL_TIMEOUT)
            .tls_config(tls)
            .map_err(|e| format!("TLS setup: {e}"))?
            .connect()
            .await
            .map_err(|e| {
                let cause = std::error::Error::source(&e)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                format!(
                    "stakepoold's gRPC port {} does not answer: {e} {cause}",
                    self.grpc_port
                )
            })?;
        Ok(StakepooldLink {
            name: name.clone(),
            client: StakepooldServiceClient::new(channel),
            _forward: forward,
        })
    }
}

/// One host's stakepoold gRPC client; the forward lives as long as it.
pub struct StakepooldLink {
    pub name: String,
    pub client: StakepooldServiceClient<Channel>,
    _forward: LocalForward,
}

/// Runs one gRPC call with `limit`, naming the call in the error.
pub async fn call<T>(
    what: &str,
    limit: Duration,
    fut: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, String> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(r)) => Ok(r.into_inner()),
        Ok(Err(s)) if s.code() == tonic::Code::Unimplemented => Err(format!(
            "{what}: this stakepoold is older than gRPC API 1.1 (upgrade it)"
        )),
        Ok(Err(s)) => Err(format!("{what}: {}", s.message())),
        Err(_) => Err(format!("{what}: no answer within {}s", limit.as_secs())),
    }
}
