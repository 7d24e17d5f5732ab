//! Transports: HTTPS POST ([`http`]) and WebSocket ([`ws`]), sharing the TLS
//! connect step in [`Endpoint`].
//!
//! HTTP uses `hyper` 1 (`client::conn::http1`) directly over our own
//! tokio-rustls stream rather than reqwest: the TLS stream has to carry the
//! pinned-certificate verifier anyway, exccd speaks plain HTTP/1.1, and a tiny
//! keep-alive pool is 40 lines, so hyper's connection API is the smallest
//! dependency that still gets chunked bodies and keep-alive right. The
//! websocket uses `tokio-tungstenite`'s `client_async_with_config` over the same
//! TLS stream, so both paths pin the same way.

pub mod http;
pub mod ws;

use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::config::ClientConfig;
use crate::error::Error;
use crate::tls;

/// One server: configuration, TLS settings and its name for messages.
pub(crate) struct Endpoint {
    pub cfg: ClientConfig,
    pub tls: Arc<rustls::ClientConfig>,
    /// `exccd at host:port`.
    pub server: String,
}

impl Endpoint {
    pub fn new(cfg: ClientConfig, label: &str) -> Arc<Self> {
        Arc::new(Endpoint {
            tls: tls::client_config(&cfg.cert),
            server: format!("{label} at {}", cfg.addr),
            cfg,
        })
    }

    /// TCP connect plus TLS handshake with the pinned certificate.
    pub async fn connect_tls(&self) -> Result<TlsStream<TcpStream>, Error> {
        let tcp = TcpStream::connect(&self.cfg.addr)
            .await
            .map_err(|source| Error::Connect {
                server: self.server.clone(),
                source,
            })?;
        let _ = tcp.set_nodelay(true);
        // The name is sent as SNI only; the verifier pins the certificate itself.
        let name = ServerName::try_from(self.cfg.host().to_owned())
            .unwrap_or_else(|_| ServerName::try_from("excc-rpc.invalid").expect("valid name"));
        TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| tls::handshake_error(e, &self.server, &self.cfg.cert))
    }
}

/// Turns a reply into its result, or [`Error::Rpc`] when it carries an error.
pub(crate) fn into_result(
    server: &str,
    method: &str,
    resp: crate::types::Response,
) -> Result<serde_json::Value, Error> {
    match resp.error {
        Some(e) => Err(Error::Rpc {
            server: server.to_owned(),
            method: method.to_owned(),
            code: e.code,
            message: e.message,
        }),
        None => Ok(resp.result),
    }
}
