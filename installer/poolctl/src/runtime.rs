//! Talking to the running daemons of a host through its SSH connection: stakepoold's
//! `/healthz` over a `direct-tcpip` channel, and the voting wallet's and exccd's JSON-RPC (with
//! the pool's `excc-rpc` client) over local forwards. All listen only on the host's loopback.

use std::sync::Arc;
use std::time::Duration;

use excc_rpc::{ClientConfig, NodeClient, PinnedCert, WalletClient};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::Secret;
use crate::host::{LocalForward, SshHost, forward_local};
use crate::plan::WalletRes;

/// How long one health or wallet call may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// stakepoold's `/healthz` body (the fields poolctl uses).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Health {
    pub healthy: bool,
    pub node_connected: bool,
    pub node_synced: bool,
    pub wallet_connected: bool,
    pub wallet_unlocked: bool,
    pub best_height: i64,
    pub live_tickets: u64,
    pub last_vote: Option<LastVote>,
    pub problems: Vec<String>,
}

/// The last vote stakepoold cast.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LastVote {
    pub height: u32,
    pub ticket: String,
    pub unix: i64,
}

/// `GET /healthz` on the host's `127.0.0.1:port`; `Err` says why there is no answer.
pub async fn health(ssh: &SshHost, port: u16) -> Result<Health, String> {
    let call = async {
        let mut stream = ssh
            .open_tcp("127.0.0.1", port)
            .await
            .map_err(|e| e.to_string())?;
        stream
            .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .map_err(|e| format!("sending to /healthz: {e}"))?;
        let mut reply = Vec::new();
        stream
            .read_to_end(&mut reply)
            .await
            .map_err(|e| format!("reading /healthz: {e}"))?;
        parse_health(&reply)
    };
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "no /healthz answer within {}s",
            CALL_TIMEOUT.as_secs()
        )),
    }
}

fn parse_health(reply: &[u8]) -> Result<Health, String> {
    if reply.is_empty() {
        return Err("stakepoold's health port is closed (not running?)".to_owned());
    }
    let text = String::from_utf8_lossy(reply);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("malformed /healthz reply")?;
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if status != "200" && status != "503" {
        return Err(format!("/healthz answered HTTP {status}"));
    }
    serde_json::from_str(body).map_err(|e| format!("/healthz body: {e}"))
}

/// An RPC client (`WalletClient` or `NodeClient`) whose connection runs through the host's
/// SSH connection: a local forward to the server on the host's loopback.
pub struct RpcLink<C> {
    pub client: C,
    _forward: LocalForward,
}

/// The voting wallet's RPC through SSH.
pub type WalletLink = RpcLink<WalletClient>;
/// exccd's RPC through SSH.
pub type NodeLink = RpcLink<NodeClient>;

/// Where an RPC server listens on the host and how to log in.
pub struct RpcServer<'a> {
    /// Its port on the host's `127.0.0.1`.
    pub port: u16,
    pub user: &'a str,
    pub password: &'a Secret,
    /// Its certificate (pinned), PEM.
    pub cert_pem: &'a str,
}

impl<C> RpcLink<C> {
    async fn connect(
        ssh: Arc<SshHost>,
        server: &RpcServer<'_>,
        what: &str,
        client: fn(ClientConfig) -> C,
    ) -> Result<RpcLink<C>, String> {
        let forward = forward_local(ssh, "127.0.0.1", server.port)
            .await
            .map_err(|e| e.to_string())?;
        let cert =
            PinnedCert::from_pem(server.cert_pem.as_bytes(), what).map_err(|e| e.to_string())?;
        let cfg = ClientConfig::new(
            forward.addr().to_string(),
            server.user,
            server.password.expose(),
            cert,
        )
        .with_timeout(CALL_TIMEOUT);
        Ok(RpcLink {
            client: client(cfg),
            _forward: forward,
        })
    }
}

impl RpcLink<WalletClient> {
    /// The voting wallet as planned.
    pub async fn open(
        ssh: Arc<SshHost>,
        wallet: &WalletRes,
        password: &Secret,
    ) -> Result<WalletLink, String> {
        let server = RpcServer {
            port: wallet.rpc_port,
            user: &wallet.rpc_user,
            password,
            cert_pem: &wallet.cert_pem,
        };
        Self::wallet(ssh, &server).await
    }

    /// exccwallet at `server`.
    pub async fn wallet(ssh: Arc<SshHost>, server: &RpcServer<'_>) -> Result<WalletLink, String> {
        Self::connect(
            ssh,
            server,
            "the pool CA's exccwallet cert",
            WalletClient::new,
        )
        .await
    }
}

impl RpcLink<NodeClient> {
    /// exccd at `server`.
    pub async fn node(ssh: Arc<SshHost>, server: &RpcServer<'_>) -> Result<NodeLink, String> {
        Self::connect(ssh, server, "the pool CA's exccd cert", NodeClient::new).await
    }
}

/// What the voting wallet says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletFacts {
    pub unlocked: bool,
    pub connected: bool,
    pub voting: bool,
    /// `accountaddressindex default 0`.
    pub address_index: u32,
    /// `getmasterpubkey default`.
    pub master_pubkey: String,
}

/// Asks the wallet for [`WalletFacts`].
pub async fn wallet_facts(link: &WalletLink) -> Result<WalletFacts, String> {
    let c = &link.client;
    let info = c.wallet_info().await.map_err(|e| e.to_string())?;
    let address_index = c
        .account_address_index("default", 0)
        .await
        .map_err(|e| e.to_string())?;
    let master_pubkey = c
        .get_master_pub_key("default")
        .await
        .map_err(|e| e.to_string())?;
    Ok(WalletFacts {
        unlocked: info.unlocked,
        connected: info.daemonconnected,
        voting: info.voting,
        address_index,
        master_pubkey,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_replies() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"healthy\":true,\"node_connected\":true,\"best_height\":7,\"last_vote\":null,\"problems\":[]}";
        let h = parse_health(ok).unwrap();
        assert!(h.healthy && h.node_connected);
        assert_eq!(h.best_height, 7);
        let bad = b"HTTP/1.1 503 Service Unavailable\r\n\r\n{\"healthy\":false,\"problems\":[\"exccwallet is locked\"]}";
        assert_eq!(
            parse_health(bad).unwrap().problems,
            ["exccwallet is locked"]
        );
        assert!(parse_health(b"").unwrap_err().contains("closed"));
        assert!(parse_health(b"HTTP/1.1 404 Not Found\r\n\r\n").is_err());
    }
}
