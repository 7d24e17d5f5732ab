//! The audit of a pool from pool.toml: every voting host over SSH (pinned host keys, like
//! `plan`), every host's vote journal read with [`Host::read_file`], and the chain and the
//! voting wallet read through local forwards to the first healthy host's exccd and
//! exccwallet (their certificates as stakepoold on that host pins them).

use std::sync::Arc;

use crate::config::PoolConfig;
use crate::host::{Host, HostError, SshHost};
use crate::plan::conf::{
    EXCCD_RPC_USER, STAKEPOOLD_NODE_CERT, STAKEPOOLD_STATE_DIR, STAKEPOOLD_WALLET_CERT,
    WALLET_RPC_USER,
};
use crate::plan::render::ports;
use crate::plan::{PlanError, connect_all};
use crate::runtime::{NodeLink, RpcServer, WalletLink, health};

use super::chain::ChainError;
use super::journal::HostJournal;
use super::report::{HeightRange, Report};

/// Why a pool could not be audited (each variant is one line per problem).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A host is unreachable or its key is not the pinned one.
    #[error(transparent)]
    Connect(#[from] PlanError),
    /// A host's journal or certificate could not be read.
    #[error(transparent)]
    Host(#[from] HostError),
    #[error(
        "no voting host is healthy, so none can be trusted to read the chain through ({0}); see `poolctl status`"
    )]
    NoHealthyHost(String),
    #[error("{host}: cannot reach {what} through SSH: {cause}")]
    Link {
        host: String,
        what: &'static str,
        cause: String,
    },
    #[error("{host}: {source}")]
    Chain { host: String, source: ChainError },
}

/// The journal file on every voting host.
pub fn journal_path() -> String {
    format!("{STAKEPOOLD_STATE_DIR}/votes.jsonl")
}

/// An audit of a pool, and what it was made from.
pub struct PoolAudit {
    pub report: Report,
    /// The host whose exccd and wallet were asked.
    pub read_through: String,
    /// Per host: journal lines read, and lines that did not parse.
    pub journals: Vec<(String, usize, usize)>,
}

impl PoolAudit {
    /// `chain and wallet read through voting1; journals: voting1 120 lines, …`.
    pub fn sources_line(&self) -> String {
        let journals = self
            .journals
            .iter()
            .map(|(host, n, bad)| match bad {
                0 => format!("{host} {n} lines"),
                _ => format!("{host} {n} lines ({bad} unreadable)"),
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "chain and wallet read through {}; journals: {journals}",
            self.read_through
        )
    }
}

/// Audits the pool of `config` over `range`.
pub async fn audit_pool(config: &PoolConfig, range: HeightRange) -> Result<PoolAudit, AuditError> {
    let mut config = config.clone();
    let hosts = connect_all(&mut config, false).await?;
    let mut journals = Vec::new();
    for ssh in &hosts {
        let text = ssh.read_file(&journal_path()).await?;
        journals.push(HostJournal::parse(
            ssh.name(),
            &String::from_utf8_lossy(&text),
        ));
    }
    let ssh = healthy_host(&config, &hosts).await?;
    let name = ssh.name().to_owned();
    let link_error = |what| {
        let host = name.clone();
        move |cause| AuditError::Link { host, what, cause }
    };
    let ports = ports(&config);
    let node_cert =
        String::from_utf8_lossy(&ssh.read_file(STAKEPOOLD_NODE_CERT).await?).into_owned();
    let wallet_cert =
        String::from_utf8_lossy(&ssh.read_file(STAKEPOOLD_WALLET_CERT).await?).into_owned();
    let secrets = &config.secrets;
    let node = NodeLink::node(
        Arc::clone(&ssh),
        &RpcServer {
            port: ports.node_rpc,
            user: EXCCD_RPC_USER,
            password: &secrets.exccd_rpc_password,
            cert_pem: &node_cert,
        },
    )
    .await
    .map_err(link_error("exccd"))?;
    let wallet = WalletLink::wallet(
        Arc::clone(&ssh),
        &RpcServer {
            port: ports.wallet_rpc,
            user: WALLET_RPC_USER,
            password: &secrets.exccwallet_rpc_password,
            cert_pem: &wallet_cert,
        },
    )
    .await
    .map_err(link_error("exccwallet"))?;
    let report = super::audit_chain(&node.client, &wallet.client, &journals, range)
        .await
        .map_err(|source| AuditError::Chain {
            host: name.clone(),
            source,
        })?;
    Ok(PoolAudit {
        report,
        read_through: name,
        journals: journals
            .iter()
            .map(|j| (j.host.clone(), j.entries.len(), j.unreadable_lines))
            .collect(),
    })
}

/// The first host (pool.toml order) whose stakepoold says it is healthy.
async fn healthy_host(
    config: &PoolConfig,
    hosts: &[Arc<SshHost>],
) -> Result<Arc<SshHost>, AuditError> {
    let port = ports(config).http;
    let mut why = Vec::new();
    for ssh in hosts {
        match health(ssh, port).await {
            Ok(h) if h.healthy => return Ok(Arc::clone(ssh)),
            Ok(h) => why.push(format!("{}: {}", ssh.name(), h.problems.join(", "))),
            Err(e) => why.push(format!("{}: {e}", ssh.name())),
        }
    }
    Err(AuditError::NoHealthyHost(why.join("; ")))
}
