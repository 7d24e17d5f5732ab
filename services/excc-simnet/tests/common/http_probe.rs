//! A raw HTTPS probe for conformance tests: sends exactly the captured request
//! bytes (with any Authorization header, e.g. a wrong password) and returns the
//! status, head and body as received. JSON-RPC calls go through `excc-rpc`.

use std::sync::Arc;

use base64::Engine as _;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot reach {addr}: {reason}; is the daemon running and is --rpcconnect right?")]
    Transport { addr: String, reason: String },
}

pub struct HttpProbe {
    addr: String,
    server_name: ServerName<'static>,
    tls: TlsConnector,
    auth: String,
}

impl HttpProbe {
    /// `addr` is `host:port`; `tls` trusts the server's certificate.
    pub fn new(addr: &str, tls: Arc<rustls::ClientConfig>, user: &str, pass: &str) -> Self {
        let host = addr
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(addr)
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let server_name = ServerName::try_from(host)
            .unwrap_or_else(|_| ServerName::try_from("localhost".to_string()).expect("valid name"));
        HttpProbe {
            addr: addr.to_string(),
            server_name,
            tls: TlsConnector::from(tls),
            auth: base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")),
        }
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    fn transport(&self, reason: impl ToString) -> ProbeError {
        ProbeError::Transport {
            addr: self.addr.clone(),
            reason: reason.to_string(),
        }
    }

    /// One HTTP exchange: (status, head, body) of the reply.
    pub async fn request(
        &self,
        body: &[u8],
        auth: Option<&str>,
    ) -> Result<(u16, String, String), ProbeError> {
        let tcp = TcpStream::connect(&self.addr)
            .await
            .map_err(|e| self.transport(e))?;
        let _ = tcp.set_nodelay(true);
        let mut tls = self
            .tls
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| self.transport(format!("TLS: {e}")))?;
        let auth = auth
            .map(str::to_string)
            .unwrap_or_else(|| self.auth.clone());
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(body);
        tls.write_all(&req).await.map_err(|e| self.transport(e))?;
        tls.flush().await.map_err(|e| self.transport(e))?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16384];
        loop {
            if let Some(done) = complete_body(&buf) {
                return Ok(split(&done));
            }
            match tls.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                // The server may close without a TLS close_notify.
                Err(_) if !buf.is_empty() => break,
                Err(e) => return Err(self.transport(e)),
            }
        }
        complete_body(&buf)
            .map(|d| split(&d))
            .ok_or_else(|| self.transport("connection closed mid-reply"))
    }
}

fn split(raw: &[u8]) -> (u16, String, String) {
    let text = String::from_utf8_lossy(raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// The whole response once its `Content-Length` body has arrived.
fn complete_body(buf: &[u8]) -> Option<Vec<u8>> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]);
    let len: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())?;
    (buf.len() >= end + 4 + len).then(|| buf[..end + 4 + len].to_vec())
}
