//! Listeners: the gRPC API behind mutual TLS and the HTTP health/metrics port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use stakepoold_proto::v1::stakepoold_service_server::StakepooldServiceServer;
use stakepoold_proto::v1::version_service_server::VersionServiceServer;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::daemon::Shared;
use crate::grpc::Api;

/// How long a client may take to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

type Incoming = Result<TlsStream<TcpStream>, std::io::Error>;

/// Binds every gRPC listen address now (so a bad address fails at startup) and
/// returns the future that serves until `shutdown` resolves.
pub async fn grpc(
    shared: Arc<Shared>,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<impl std::future::Future<Output = anyhow::Result<()>>> {
    let (tx, rx) = mpsc::channel::<Incoming>(64);
    let acceptor = TlsAcceptor::from(tls);
    for addr in &shared.config.grpc.listen {
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!("grpc.listen {addr}: cannot listen (in use, or not an address of this host?)")
        })?;
        tracing::info!(%addr, "gRPC listening (mutual TLS)");
        tokio::spawn(accept_loop(listener, acceptor.clone(), tx.clone()));
    }
    drop(tx);
    let router = tonic::transport::Server::builder()
        .add_service(VersionServiceServer::new(Api(shared.clone())))
        .add_service(StakepooldServiceServer::new(Api(shared)));
    Ok(async move {
        router
            .serve_with_incoming_shutdown(tokio_stream::wrappers::ReceiverStream::new(rx), shutdown)
            .await
            .context("gRPC server")
    })
}

async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor, tx: mpsc::Sender<Incoming>) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "gRPC accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        // Handshakes run apart from the accept loop: a slow client blocks nobody.
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send(Ok(tls)).await;
                }
                Ok(Err(e)) => tracing::warn!(%peer, error = %e, "gRPC TLS handshake refused"),
                Err(_) => tracing::warn!(%peer, "gRPC TLS handshake timed out"),
            }
        });
    }
}

/// Binds the HTTP port and returns the future that serves it.
pub async fn http(
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<impl std::future::Future<Output = anyhow::Result<()>>> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("http.listen {addr}: cannot listen"))?;
    tracing::info!(%addr, "health and metrics on http://{addr}/healthz and /metrics");
    let app = crate::http::router(shared);
    Ok(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("HTTP server")
    })
}
