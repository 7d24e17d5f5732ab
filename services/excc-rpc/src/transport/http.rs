//! HTTPS POST to `https://host:port/` with HTTP Basic auth and a small
//! keep-alive connection pool.

use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;

use super::Endpoint;
use crate::error::Error;
use crate::types::Response;

type Sender = SendRequest<Full<Bytes>>;

/// Posts JSON-RPC bodies; one request per connection at a time, idle
/// connections are reused.
pub(crate) struct HttpTransport {
    ep: Arc<Endpoint>,
    idle: Mutex<Vec<Sender>>,
}

impl HttpTransport {
    pub fn new(ep: Arc<Endpoint>) -> Self {
        HttpTransport {
            ep,
            idle: Mutex::new(Vec::new()),
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.ep
    }

    /// Posts `body` and returns the reply body, within the per-call timeout.
    pub async fn post(&self, method: &str, body: Vec<u8>) -> Result<Bytes, Error> {
        let timeout = self.ep.cfg.timeout;
        tokio::time::timeout(timeout, self.post_inner(method, Bytes::from(body)))
            .await
            .map_err(|_| Error::Timeout {
                server: self.ep.server.clone(),
                method: method.to_owned(),
                timeout,
            })?
    }

    async fn post_inner(&self, method: &str, body: Bytes) -> Result<Bytes, Error> {
        while let Some(mut s) = self.take_idle() {
            if s.ready().await.is_err() {
                continue;
            }
            match s.try_send_request(self.request(body.clone())).await {
                Ok(resp) => return self.finish(method, s, resp).await,
                Err(mut e) => {
                    // Not written: the idle connection had gone; try the next one.
                    if e.take_message().is_none() {
                        return Err(self.protocol(e.into_error()));
                    }
                }
            }
        }
        let mut s = self.connect().await?;
        let resp = s
            .send_request(self.request(body))
            .await
            .map_err(|e| self.protocol(e))?;
        self.finish(method, s, resp).await
    }

    fn take_idle(&self) -> Option<Sender> {
        self.idle.lock().expect("pool lock").pop()
    }

    fn request(&self, body: Bytes) -> Request<Full<Bytes>> {
        Request::post("/")
            .header(header::HOST, &self.ep.cfg.addr)
            .header(header::AUTHORIZATION, self.ep.cfg.basic_auth())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .expect("static request parts are valid")
    }

    async fn connect(&self) -> Result<Sender, Error> {
        let tls = self.ep.connect_tls().await?;
        let (sender, conn) = http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| self.protocol(e))?;
        let server = self.ep.server.clone();
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%server, error = %e, "http connection ended");
            }
        });
        Ok(sender)
    }

    async fn finish(
        &self,
        method: &str,
        sender: Sender,
        resp: hyper::Response<hyper::body::Incoming>,
    ) -> Result<Bytes, Error> {
        let status = resp.status();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| self.protocol(e))?
            .to_bytes();
        if !sender.is_closed() {
            self.idle.lock().expect("pool lock").push(sender);
        }
        match status {
            StatusCode::OK => Ok(bytes),
            StatusCode::UNAUTHORIZED => Err(Error::Unauthorized {
                server: self.ep.server.clone(),
                how: "HTTP 401".into(),
            }),
            // Some servers put JSON-RPC errors in a non-200 reply; keep the JSON.
            _ if serde_json::from_slice::<Response>(&bytes).is_ok() => Ok(bytes),
            _ => Err(Error::Http {
                server: self.ep.server.clone(),
                method: method.to_owned(),
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                    .trim()
                    .to_owned(),
            }),
        }
    }

    fn protocol(&self, e: hyper::Error) -> Error {
        Error::Protocol {
            server: self.ep.server.clone(),
            reason: format!("HTTP: {e}"),
        }
    }
}
