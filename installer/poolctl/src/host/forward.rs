//! Local port forwarding over SSH (`ssh -L`): a listener on this machine's loopback whose
//! connections are carried to a port on the host, so ordinary TCP clients (the pool's
//! `excc-rpc` client) reach services that listen only on the host's loopback.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::{HostError, SshHost};

/// A running forward; stops when dropped.
#[derive(Debug)]
pub struct LocalForward {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl LocalForward {
    /// `127.0.0.1:PORT` to connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for LocalForward {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Forwards `127.0.0.1:<random port>` here to `remote_host:remote_port` as seen from `ssh`'s host.
pub async fn forward_local(
    ssh: Arc<SshHost>,
    remote_host: &str,
    remote_port: u16,
) -> Result<LocalForward, HostError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| HostError::Session {
            host: ssh.target().name.clone(),
            action: "opening a local forward".to_owned(),
            cause: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| HostError::Session {
        host: ssh.target().name.clone(),
        action: "opening a local forward".to_owned(),
        cause: e.to_string(),
    })?;
    let remote_host = remote_host.to_owned();
    let task = tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let ssh = Arc::clone(&ssh);
            let remote_host = remote_host.clone();
            tokio::spawn(async move {
                if let Ok(mut channel) = ssh.open_tcp(&remote_host, remote_port).await {
                    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut channel).await;
                }
            });
        }
    });
    Ok(LocalForward { addr, task })
}
